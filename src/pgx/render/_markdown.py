"""Rendering a `Report` as Markdown for people (clinicians, tumor boards)."""

from __future__ import annotations

from pgx.model.explanation import Explanation
from pgx.model.report import Finding, Indeterminate, Report, TraceEntry

__all__ = ["render", "render_explanation", "render_trace"]

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
    lines = [
        f"### {_ICON[f.indicator]} {f.summary}",
        "",
        f"- **Action:** {f.action.replace('_', ' ')} — {', '.join(f.drugs)}",
        f"- **Evidence:** level {f.evidence.level}{strength}"
        + (f" ({f.source})" if f.source else ""),
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
    """One row per finding, most severe first: what a prescriber reads before the detail."""
    lines = ["| | drugs | action | evidence | summary |", "| --- | --- | --- | --- | --- |"]
    for f in findings:
        lines.append(
            f"| {_ICON[f.indicator]} | {', '.join(f.drugs)} | {f.action.replace('_', ' ')} "
            f"| {f.evidence.level}{f' ({f.source})' if f.source else ''} | {_cell(f.summary)} |"
        )
    return [*lines, ""]


def _fact(path: str, report: Report) -> str:
    """A missing path, with why a germline gene that *was* given could not be used."""
    parts = path.split(".")
    if parts[0] == "germline" and len(parts) == 2 and parts[1] in report.phenotypes:
        called = report.phenotypes[parts[1]]
        why = called.reason or called.status.replace("_", " ")
        return f"`{path}` (given, but: {why})"
    return f"`{path}`"


def _indeterminate(items: tuple[Indeterminate, ...], report: Report) -> list[str]:
    groups: dict[tuple[str, ...], list[Indeterminate]] = {}
    for item in items:
        groups.setdefault(item.missing, []).append(item)
    lines = []
    for missing, group in sorted(groups.items()):
        drugs = sorted({d for i in group for d in i.drugs})
        facts = ", ".join(_fact(m, report) for m in missing) or "undecidable facts"
        lines.append(f"- **Missing {facts}** — {len(group)} rule(s) about {', '.join(drugs)}:")
        lines += [f"    - `{i.rule_id}`: would fire if {i.would_fire_if}" for i in group]
    return lines


def render(report: Report) -> str:
    """The whole report as Markdown."""
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
    if report.phenotypes:
        lines += [
            "",
            "## Germline results",
            "",
            "| gene | result | phenotype | activity score | note |",
        ]
        lines.append("| --- | --- | --- | --- | --- |")
        for gene, p in report.phenotypes.items():
            score = "" if p.activity_score is None else f"{p.activity_score:g}"
            lines.append(
                f"| {gene} | {_cell(p.diplotype or '')} | {_cell(p.phenotype or '—')} | {score} "
                f"| {_cell(p.reason or p.status)} |"
            )
    lines += ["", f"## Findings ({len(report.findings)})", ""]
    if not report.findings:
        lines += ["No rule fired.", ""]
    else:
        lines += _at_a_glance(report.findings)
    for finding in report.findings:
        lines += _finding(finding)
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
        lines += [
            f"## Could not be decided ({len(report.indeterminate)})",
            "",
            "These rules need facts the profile does not give, or gives in a form pgx could "
            "not use. Missing data is never assumed normal.",
            "",
            *_indeterminate(report.indeterminate, report),
            "",
        ]
    if report.warnings:
        lines += ["## Warnings", "", *[f"- {w}" for w in report.warnings], ""]
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
