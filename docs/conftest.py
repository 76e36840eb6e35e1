"""Run the Python examples in the documentation as tests (Sybil).

Every ```python block in ``docs/*.md`` runs, in page order, sharing one namespace per page;
blocks that start with ``>>>`` run as doctests. Paths in the examples are relative to the
repository root, so each page runs with the repository root as its working directory. This
file is excluded from the site by ``exclude_docs`` in ``mkdocs.yml``.
"""

from __future__ import annotations

from doctest import ELLIPSIS, NORMALIZE_WHITESPACE
from pathlib import Path

import pytest
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo_root_cwd(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run a page's examples with the repository root as the working directory."""
    monkeypatch.chdir(ROOT)
    return ROOT


pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(doctest_optionflags=ELLIPSIS | NORMALIZE_WHITESPACE)],
    patterns=["*.md"],
    fixtures=["repo_root_cwd"],
).pytest()
