"""The report model; it lives in `pgx.model.report`.

This module is the documented import path ``pgx.report``; it re-exports the same objects.
"""

from pgx.model.report import (
    Against,
    Conflict,
    Evidence,
    Finding,
    GenePhenotype,
    Indeterminate,
    Regimen,
    Report,
    RulesetInfo,
    Superseded,
    TraceEntry,
    UndecidedMode,
    finding_order,
    order_findings,
)

__all__ = [
    "Against",
    "Conflict",
    "Evidence",
    "Finding",
    "GenePhenotype",
    "Indeterminate",
    "Regimen",
    "Report",
    "RulesetInfo",
    "Superseded",
    "TraceEntry",
    "UndecidedMode",
    "finding_order",
    "order_findings",
]
