"""Re-execute the example notebooks and write them back with fresh outputs.

Run after changing a notebook, the rules, or anything that changes what a notebook prints:

    python examples/refresh.py                      # every notebook in examples/
    python examples/refresh.py examples/cohort.ipynb

``tests/test_examples.py`` executes each notebook the same way (this module's `execute`) and
fails when a cell raises or when the committed outputs differ from fresh ones.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parent
TIMEOUT = 120  # seconds per cell


def notebooks() -> list[Path]:
    """Every example notebook, in name order."""
    return sorted(EXAMPLES.glob("*.ipynb"))


def execute(path: Path) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh kernel, in its own folder; raise on any error."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=TIMEOUT,
        kernel_name="python3",
        allow_errors=False,
        record_timing=False,  # no timestamps: refreshing an unchanged notebook changes nothing
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return nb


def main(argv: list[str]) -> int:
    """Refresh the notebooks named in ``argv`` (default: all) and write them back."""
    paths = [Path(a).resolve() for a in argv] or notebooks()
    for path in paths:
        nb = execute(path)
        nbformat.write(nb, path)
        print(f"refreshed {path.relative_to(EXAMPLES.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
