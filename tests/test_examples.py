"""The example notebooks run without error and their committed outputs are current.

Each notebook in ``examples/`` is executed with nbclient in a fresh kernel (the same way
``examples/refresh.py`` does), which raises on any failing cell, including exception groups
and chained errors that nbmake misses. The visible text of the fresh outputs is then compared
with the committed outputs; images are compared by presence only (PNG bytes vary across
matplotlib builds), and provenance hashes are masked (they change with any rule file).
Refresh with ``python examples/refresh.py``.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
TEXT_TYPES = ("text/plain", "text/markdown", "text/html", "application/json")
# 64-hex digests and their 12-hex "abbrev…" form in the Markdown report's provenance line
_HASH = re.compile(r"\b[0-9a-f]{64}\b|\b[0-9a-f]{12}…")


def _refresh_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("examples_refresh", EXAMPLES / "refresh.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mask(text: str) -> str:
    return _HASH.sub("<sha256>", text)


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _visible(nb: Mapping[str, Any]) -> list[list[str]]:
    """Per code cell, what a reader sees: text outputs in full, images by their type only."""
    cells = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        seen: list[str] = []
        last_kind = None
        for out in cell.get("outputs", []):
            kind = out["output_type"]
            if kind == "stream":
                # the kernel splits one stream into chunks by timing: compare the whole text
                head = f"{out['name']}: "
                if seen and seen[-1].startswith(head) and last_kind == "stream":
                    seen[-1] += _mask(_text(out["text"]))
                else:
                    seen.append(head + _mask(_text(out["text"])))
            elif kind == "error":
                seen.append(f"error: {out['ename']}: {out['evalue']}")
            else:
                data = out.get("data", {})
                for mime in sorted(data):
                    if mime in TEXT_TYPES:
                        value = data[mime]
                        text = _text(value) if isinstance(value, str | list) else json.dumps(value)
                        seen.append(f"{mime}: {_mask(text)}")
                    else:
                        seen.append(f"{mime}: <present>")
            last_kind = kind
        cells.append(seen)
    return cells


def test_there_are_example_notebooks() -> None:
    """The four documented example notebooks exist."""
    names = {p.name for p in NOTEBOOKS}
    assert {
        "germline-report.ipynb",
        "igf1r-story.ipynb",
        "your-own-rule.ipynb",
        "cohort.ipynb",
    } <= names


def _notebook(stream: str, png: str, plain: str) -> dict[str, Any]:
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": stream},
        {"output_type": "display_data", "data": {"image/png": png, "text/plain": plain}},
    ]
    return {"cells": [{"cell_type": "code", "source": "x", "outputs": outputs}]}


def test_visible_masks_hashes_and_image_bytes() -> None:
    """The comparison ignores provenance hashes and image bytes, but not other text."""
    one = _notebook("sha256 `0123456789ab…`\n", "AAAA", "<Figure>")
    two = _notebook("sha256 `ba9876543210…`\n", "BBBB", "<Figure>")
    assert _visible(one) == _visible(two)
    assert _visible(one) != _visible(_notebook("sha256 `0123456789ab…`\n", "AAAA", "<Other>"))
    assert _visible(one) != _visible(_notebook("3 findings\n", "AAAA", "<Figure>"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_is_current(path: Path) -> None:
    """The notebook executes without error and its committed outputs match fresh ones."""
    stored = json.loads(path.read_text(encoding="utf-8"))
    refresh = f"run: python examples/refresh.py examples/{path.name}"
    assert all(
        cell.get("execution_count") is not None
        for cell in stored["cells"]
        if cell["cell_type"] == "code"
    ), f"{path.name} is committed unexecuted; {refresh}"
    fresh = _refresh_module().execute(path)
    assert _visible(fresh) == _visible(stored), f"{path.name} has stale outputs; {refresh}"
