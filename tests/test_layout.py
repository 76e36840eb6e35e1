"""The package layout: documented import paths and the rule that layers never import ``pgx``.

import-linter checks imports between the layers (pyproject.toml); it cannot see an import of
the top-level ``pgx`` package itself, which would pull the whole API into a lower layer.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import pgx

SRC = Path(pgx.__file__).parent
LAYERS = ("model", "io", "inputs", "engine", "render", "cohort")
DOCUMENTED = {
    "pgx.report": "pgx.model.report",
    "pgx.profile": "pgx.model.profile",
    "pgx.ruleset": "pgx.model.ruleset",
    "pgx.knowledge": "pgx.model.knowledge",
    "pgx.logic": "pgx.model.logic",
    "pgx.adapters": "pgx.inputs",
}


def _root_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "pgx" and node.level == 0:
            found.append(f"{path.name}:{node.lineno} from pgx import ...")
        elif isinstance(node, ast.Import) and any(a.name == "pgx" for a in node.names):
            found.append(f"{path.name}:{node.lineno} import pgx")
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_layers_never_import_the_top_level_package(layer: str) -> None:
    files = sorted((SRC / layer).rglob("*.py"))
    assert files, layer
    assert [hit for path in files for hit in _root_imports(path)] == []


@pytest.mark.parametrize(("documented", "home"), sorted(DOCUMENTED.items()))
def test_documented_module_paths_export_the_same_objects(documented: str, home: str) -> None:
    public = importlib.import_module(documented)
    owner = importlib.import_module(home)
    assert sorted(public.__all__) == sorted(owner.__all__)
    for name in owner.__all__:
        assert getattr(public, name) is getattr(owner, name), name


def test_documented_facades() -> None:
    from pgx.cds_hooks import cards
    from pgx.explanation import Explanation, explain
    from pgx.render import cards as render_cards
    from pgx.testing import CaseResult, lint, run_rule_tests

    assert cards is render_cards
    assert explain is pgx.explain
    assert Explanation is pgx.Explanation
    assert {CaseResult.__name__, lint.__name__, run_rule_tests.__name__} == {
        "CaseResult",
        "lint",
        "run_rule_tests",
    }


def test_no_source_file_is_long_without_a_reason() -> None:
    """About 400 lines at most, unless the module says at its top why it is longer."""
    long = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        head = text[:1500]
        if text.count("\n") > 420 and "Longer than" not in head:
            long.append(f"{path.relative_to(SRC)}: {text.count(chr(10))} lines")
    assert long == []
