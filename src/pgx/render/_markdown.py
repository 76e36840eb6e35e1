"""Rendering a `Report` as Markdown for people (clinicians, tumor boards)."""

from __future__ import annotations

from pathlib import PurePath

from pgx.model.explanation import Explanation
from pgx.model.report import (
    Finding,
    GenePhenotype,
    Indeterminate,
    Report,
    TraceEntry,
    UndecidedMode,
)
from pgx.render._relevance import (
    ACTION_WORDS,
    EVIDENCE_WORDS,
    finding_groups,
    finding_source,
    group_line,
    summarise_undecided,
    undecided_sentence,
)

__all__ = [
    "germline_note",
    "no_findings_sentence",
    "render",
    "render_explanation",
    "render_trace",
]

_ICON = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
_TRUTH = {"true": "✔ true", "false": "✘ false", "unknown": "? unknown"}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_trace(trace: tuple[TraceEntry, ...]) -> list[str]:
    """A trace as a Markdown table."""
    lines = ["| fact | observed | condition | truth |", "| --- | --- | --- | --- |"]
    lines += [
        f"| `{t.path}` | {_cell(t.observed)} | {_cell(t.condition)} | {_TRUTH[t.truth]} |"
        for t in trace
    ]
    return lines


def _finding(f: Finding) -> list[str]:
    strength = f", {f.evidence.strength}" if f.evidence.strength else ""
    current = " (current)" if f.current else ""
    lines = [
        f"### {_ICON[f.indicator]} {f.summary}{current}",
        "",
        f"- **Action:** {f.action.replace('_', ' ')} — {', '.join(f.drugs)}",
        f"- **Evidence:** level {f.evidence.level}{strength}",
        f"- **Source:** {finding_source(f)}",
    ]
    if f.regimen is not None:
        if f.regimen.all_of:
            lines.append(f"- **Regimen (combination):** {' + '.join(f.regimen.all_of)}")
        if f.regimen.any_of:
            lines.append(f"- **Options:** {', '.join(f.regimen.any_of)}")
    lines.append(f"- **Rule:** `{f.rule_id}` v{f.rule_version}")
    lines.append(f"- **Citations:** {', '.join(f.citations)}")
    if f.detail:
        lines += ["", f.detail.strip()]
    if f.against:
        lines += ["", "**Evidence against:**", ""]
        lines += [f"- {a.summary} ({', '.join(a.citations)})" for a in f.against]
    lines += ["", "**Why it fired:**", "", *render_trace(f.because), ""]
    return lines


def _at_a_glance(findings: tuple[Finding, ...]) -> list[str]:
    """One row per finding, in the report's order: what a prescriber reads before the detail."""
    lines = [
        "| | drugs | action | evidence | source | summary |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in findings:
        current = " (current)" if f.current else ""
        lines.append(
            f"| {_ICON[f.indicator]} | {', '.join(f.drugs)}{current} | "
            f"{f.action.replace('_', ' ')} | {f.evidence.level} | {_cell(finding_source(f))} | "
            f"{_cell(f.summary)} |"
        )
    return [*lines, ""]


def germline_note(result: GenePhenotype) -> str:
    """The germline table's note: why there is no phenotype, or how the call was made."""
    note = result.reason or result.status.replace("_", " ")
    call = result.call
    if call is not None and call.source == "outside_call":
        # called by a lab, not by pgx: say whose call it is
        where = f": {PurePath(call.file).name}" if call.file else ""
        note = f"{note} (outside call{where})"
    if call is not None and call.assumed_positions:
        total = len(call.positions_used) + len(call.missing_positions)
        read = total - len(call.assumed_positions) - len(call.missing_positions)
        note = (
            f"{note} from {read} position(s) in the VCF; assumed reference at "
            f"{len(call.assumed_positions)} of {total} positions"
        )
    return note


def no_findings_sentence(report: Report) -> str:
    """What an empty findings list means: no rule fired, or no rule covers the drug."""
    if report.drugs is None:
        return "No rule fired."
    uncovered = [d for d in report.drugs if d in report.uncovered_drugs]
    covered = [d for d in report.drugs if d not in report.uncovered_drugs]
    parts = []
    if covered:
        parts.append(f"Rules about {', '.join(covered)} ran; none fired.")
    if uncovered:
        parts.append(
            f"No pgx rule covers {', '.join(uncovered)}: pgx has no pharmacogenomic "
            "knowledge about it, which is not the same as a clean result."
        )
    return " ".join(parts)


def _indeterminate(items: tuple[Indeterminate, ...]) -> list[str]:
    groups: dict[tuple[str, ...], list[Indeterminate]] = {}
    for item in items:
        groups.setdefault(item.missing, []).append(item)
    lines = []
    for missing, group in sorted(groups.items()):
        drugs = sorted({d for i in group for d in i.drugs})
        facts = ", ".join(f"`{m}`" for m in missing) or "undecidable facts"
        lines.append(f"- **Missing {facts}** — {len(group)} rule(s) about {', '.join(drugs)}:")
        lines += [f"    - `{i.rule_id}`: would fire if {i.would_fire_if}" for i in group]
    return lines


def _undecided(report: Report, mode: UndecidedMode) -> list[str]:
    groups = summarise_undecided(report)
    lines = [
        f"## Could not be decided ({len(report.indeterminate)})",
        "",
        f"{undecided_sentence(report, groups)} Missing data is never assumed normal.",
        "",
        *[f"- {group_line(g)}" for g in groups],
        "",
    ]
    if mode == "full":
        lines += ["### Every undecided rule", "", *_indeterminate(report.indeterminate), ""]
    else:
        lines += ['(Every undecided rule: `--undecided full` / `undecided="full"`.)', ""]
    return lines


def _legend() -> list[str]:
    levels = "; ".join(f"**level {k}** {v}" for k, v in EVIDENCE_WORDS)
    actions = "; ".join(f"**{k}** {v}" for k, v in ACTION_WORDS)
    return [
        "## Legend",
        "",
        f"- Evidence: {levels}.",
        f"- Actions, most severe first: {actions}.",
        "- Order: findings for current medications (or the order) first, then pre-emptive "
        "germline results, then the tumour; within each, the most severe action, then the "
        "strongest evidence (investigational level 4 and R2 last).",
        "",
    ]


def render(report: Report, undecided: UndecidedMode = "summary") -> str:
    """The whole report as Markdown.

    Args:
        report: The report.
        undecided: ``summary`` lists what would decide the undecided rules; ``full`` lists
            every undecided rule too.
    """
    rs = report.ruleset
    lines = [
        f"# pgx report — {report.profile_id or 'unnamed profile'}",
        "",
        f"Generated {report.generated_at} by pgx {report.pgx_version} with ruleset "
        f"{rs.name} {rs.version} (sha256 `{rs.sha256[:12]}…`); input sha256 "
        f"`{report.input_sha256[:12]}…`.",
    ]
    if report.drugs is not None:
        lines.append(f"Limited to rules about: {', '.join(report.drugs)}.")
    if report.warnings:
        lines += ["", "## Warnings", "", *[f"- {w}" for w in report.warnings]]
    lines += ["", f"## Findings ({len(report.findings)})", ""]
    if not report.findings:
        lines += [no_findings_sentence(report), ""]
    else:
        lines += _at_a_glance(report.findings)
    for group in finding_groups(report):
        lines += [f"## {group.title}", ""]
        for finding in group.findings:
            lines += _finding(finding)
    if report.phenotypes:
        lines += [
            "## Germline results",
            "",
            "| gene | result | phenotype | activity score | note |",
            "| --- | --- | --- | --- | --- |",
        ]
        for gene, p in report.phenotypes.items():
            score = "" if p.activity_score is None else f"{p.activity_score:g}"
            lines.append(
                f"| {gene} | {_cell(p.diplotype or '')} | {_cell(p.phenotype or '—')} | {score} "
                f"| {_cell(germline_note(p))} |"
            )
        lines.append("")
    if report.conflicts:
        lines += ["## Conflicts", ""]
        for c in report.conflicts:
            pairs = zip(c.rule_ids, c.actions, strict=True)
            lines.append(f"- {c.drug}: {', '.join(f'`{r}` ({a})' for r, a in pairs)}")
        lines.append("")
    if report.superseded:
        lines += ["## Superseded", ""]
        lines += [f"- `{s.rule_id}` hidden by `{s.superseded_by}`" for s in report.superseded]
        lines.append("")
    if report.indeterminate:
        lines += _undecided(report, undecided)
    lines += _legend()
    return "\n".join(lines).rstrip() + "\n"


def render_explanation(explanation: Explanation) -> str:
    """One rule's explanation as Markdown (``pgx explain``)."""
    rule = explanation.rule
    then = rule.then
    strength = f", {then.evidence.strength}" if then.evidence.strength else ""
    lines = [
        f"# {rule.title or rule.id}",
        "",
        f"Patient: {explanation.profile_id or 'unnamed'}; rule `{rule.id}` v{rule.version} "
        f"({rule.status}).",
        "",
        f"**Outcome: {explanation.outcome.replace('_', ' ')}.**",
        *(
            [
                "",
                "Its finding is hidden by the more specific "
                + ", ".join(f"`{s}`" for s in explanation.superseded_by)
                + ", which fires too.",
            ]
            if explanation.superseded_by
            else []
        ),
        *(
            ["", "## Warnings", "", *(f"- {w}" for w in explanation.warnings)]
            if explanation.warnings
            else []
        ),
        "",
        "## Facts",
        "",
        *render_trace(explanation.trace),
        "",
        "## Rule",
        "",
        f"- Drugs: {', '.join(rule.drugs)}",
        f"- When: {explanation.condition}",
        f"- Action when it fires: {then.action.replace('_', ' ')} — {then.summary}",
        f"- Evidence level {then.evidence.level}{strength}",
    ]
    if explanation.would_fire_if is not None:
        lines += [
            f"- Would fire if: {explanation.would_fire_if}",
            f"- Missing facts: {', '.join(explanation.missing)}",
        ]
    if then.detail:
        lines += ["", then.detail.strip()]
    if then.against:
        lines += ["", "## Evidence against", ""]
        lines += [f"- {a.summary} ({', '.join(a.citations)})" for a in then.against]
    lines += ["", "## Citations", "", *[f"- {c}" for c in then.citations]]
    return "\n".join(lines) + "\n"
