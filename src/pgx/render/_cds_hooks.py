"""CDS Hooks cards from a report (for ``order-select`` / ``order-sign`` services).

A finding becomes a card with the CDS Hooks indicator, a summary of at most 140 characters,
and Markdown detail that carries the evidence level, the facts that fired the rule, the
evidence against, and the citations. Undecided rules are not dropped: each group of rules
waiting on the same missing facts becomes one ``info`` card saying which test would decide
them. Card ids are UUIDs derived from the input and the rule, so the same report always
gives the same cards (and feedback can name the card it is about).
"""

from __future__ import annotations

import uuid
from typing import Any

from pgx.model.report import Finding, Indeterminate, Report

__all__ = ["cards"]

_NAMESPACE = uuid.UUID("6f1d7f5e-2b7a-4c1e-9a55-70f3b1c2d4e8")
_MAX_SUMMARY = 140


def _short(text: str) -> str:
    return text if len(text) <= _MAX_SUMMARY else text[: _MAX_SUMMARY - 1] + "…"


def _card_id(report: Report, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{report.input_sha256}:{report.ruleset.sha256}:{key}"))


def _source(report: Report, finding: Finding | None = None) -> dict[str, Any]:
    label = f"pgx {report.pgx_version}, {report.ruleset.name} {report.ruleset.version}"
    if finding is not None:
        label += f", rule {finding.rule_id} v{finding.rule_version}"
    return {"label": label}


def _finding_detail(finding: Finding) -> str:
    strength = f" ({finding.evidence.strength})" if finding.evidence.strength else ""
    lines = [f"**Evidence level {finding.evidence.level}{strength}.**", ""]
    if finding.detail:
        lines += [finding.detail.strip(), ""]
    lines += ["Facts:", ""]
    lines += [f"- {t.condition}: {t.observed} ({t.truth})" for t in finding.because]
    if finding.against:
        lines += ["", "Evidence against:", ""]
        lines += [f"- {a.summary} ({', '.join(a.citations)})" for a in finding.against]
    lines += ["", "Citations: " + ", ".join(finding.citations)]
    return "\n".join(lines)


def _undecided_card(
    report: Report, missing: tuple[str, ...], group: list[Indeterminate]
) -> dict[str, Any]:
    drugs = sorted({d for i in group for d in i.drugs})
    facts = ", ".join(missing) or "facts pgx could not read"
    detail = "\n".join(
        [
            f"These rules need {facts}; missing data is never assumed normal.",
            "",
            *[f"- `{i.rule_id}` would fire if {i.would_fire_if}" for i in group],
        ]
    )
    return {
        "uuid": _card_id(report, "undecided:" + "|".join(missing)),
        "summary": _short(f"Not decidable without {facts}: {', '.join(drugs)}"),
        "indicator": "info",
        "detail": detail,
        "source": _source(report),
    }


def cards(report: Report) -> dict[str, Any]:
    """A CDS Hooks service response (``{"cards": [...]}``) for the report.

    Findings come first, most severe first (the report's order), then one card per group
    of undecided rules that wait on the same missing facts.
    """
    out: list[dict[str, Any]] = [
        {
            "uuid": _card_id(report, f.rule_id),
            "summary": _short(f.summary),
            "indicator": f.indicator,
            "detail": _finding_detail(f),
            "source": _source(report, f),
        }
        for f in report.findings
    ]
    groups: dict[tuple[str, ...], list[Indeterminate]] = {}
    for item in report.indeterminate:
        groups.setdefault(item.missing, []).append(item)
    out += [_undecided_card(report, missing, group) for missing, group in sorted(groups.items())]
    return {"cards": out}
