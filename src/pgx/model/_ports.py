"""Operations behind a few documented model methods, implemented by the layers above.

Imports point down (see docs/architecture.md), so the model cannot import the converter
(``pgx.io``), the renderers (``pgx.render``) or the engine. The documented API still offers
``Report.to_dict()``, ``Report.to_json()``, ``Report.from_dict()``, ``Report.to_markdown()``,
``Explanation.to_markdown()`` and ``RuleSet.compiled``. Each of them delegates to an
operation named here; the ``pgx`` package, which Python imports before any ``pgx.*`` module,
installs the implementation from the layer that owns it. The model knows only the names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

__all__ = ["Operation", "call", "install"]

Operation = Literal[
    "report_to_dict",
    "report_from_dict",
    "report_markdown",
    "report_fhir",
    "report_html",
    "undecided_summary",
    "explanation_markdown",
    "compile",
]

_OWNER: dict[Operation, str] = {
    "report_to_dict": "pgx.io",
    "report_from_dict": "pgx.io",
    "report_markdown": "pgx.render",
    "report_fhir": "pgx.render",
    "report_html": "pgx.render",
    "undecided_summary": "pgx.render",
    "explanation_markdown": "pgx.render",
    "compile": "pgx.engine",
}
_installed: dict[Operation, Callable[..., Any]] = {}


def install(operation: Operation, implementation: Callable[..., Any]) -> None:
    """Make ``implementation`` the one behind ``operation`` (done once, by ``pgx``)."""
    _installed[operation] = implementation


def call(operation: Operation, *args: object) -> Any:
    """Run an installed operation.

    Raises:
        RuntimeError: nothing installed it, which only happens if a model module was loaded
            without the ``pgx`` package (e.g. by file path).
    """
    try:
        implementation = _installed[operation]
    except KeyError:
        raise RuntimeError(
            f"{operation} is implemented in {_OWNER[operation]}, which 'import pgx' installs"
        ) from None
    return implementation(*args)
