"""Rendering a `Report` as one self-contained, printable HTML page.

No script, no external stylesheet, font or image: the page reads the same offline, in an
electronic record's viewer and on paper. Every text from the report is escaped; a rule's
Markdown detail is rendered from the escaped text (paragraphs, lists, bold, code), so no
markup in a rule or profile can reach the page.
"""

from __future__ import annotations

import re
from html import escape

from pgx.model.report import Finding, Report, TraceEntry, UndecidedMode
from pgx.render._relevance import (
    ACTION_WORDS,
    EVIDENCE_WORDS,
    finding_groups,
    finding_source,
    group_line,
    summarise_undecided,
    undecided_sentence,
)

__all__ = ["render_html"]

_CSS = """
:root { --critical: #b00020; --warning: #a15c00; --info: #1f5fa8; --muted: #555; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #111; max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; border-bottom: 2px solid #ddd; padding-bottom: .2rem; margin-top: 1.6rem; }
h3 { font-size: 1.05rem; margin: 0 0 .4rem; }
.provenance { color: var(--muted); font-size: .85rem; }
.warnings { border: 2px solid var(--warning); background: #fff6e5; padding: .5rem 1rem;
            margin: 1rem 0; }
.warnings h2 { border: 0; margin: .2rem 0; color: var(--warning); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .25rem .4rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.finding { border-left: 6px solid var(--info); padding: .5rem .8rem; margin: .8rem 0;
           background: #fafafa; break-inside: avoid; }
.finding.critical { border-color: var(--critical); }
.finding.warning { border-color: var(--warning); }
.badge { display: inline-block; padding: 0 .4rem; border-radius: .2rem; font-size: .8rem;
         font-weight: 600; color: #fff; background: var(--info); }
.badge.critical { background: var(--critical); }
.badge.warning { background: var(--warning); }
.badge.current { background: #2e7d32; }
.facts { color: var(--muted); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem;
          margin: .3rem 0; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
.legend { font-size: .85rem; color: var(--muted); }
nav.contents { font-size: .9rem; margin: .4rem 0 0; }
.glance tr.critical td:first-child { border-left: 6px solid var(--critical); }
.glance tr.warning td:first-child { border-left: 6px solid var(--warning); }
.glance tr.info td:first-child { border-left: 6px solid var(--info); }
.glance tr.current td:first-child { font-weight: 600; }
.glance tr.group th { background: #e9e9e9; font-size: .85rem; }
code { font-size: .85em; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  .finding, .warnings { background: none; }
  nav.contents { display: none; }
  a { color: inherit; text-decoration: none; }
}
"""

_TRUTH = {"true": "✔ true", "false": "✘ false", "unknown": "? unknown"}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _inline(text: str) -> str:
    """Escaped text with Markdown's ``**bold**``, ``*emphasis*`` and `` `code` ``."""
    out = _e(text).replace("\\*", "&#42;")
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", out)


def _markdown(text: str) -> str:
    """A rule's detail: paragraphs and ``-`` lists (the Markdown rules use)."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines()]
        if all(line.startswith(("- ", "* ")) for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append(f"<p>{_inline(' '.join(lines))}</p>")
    return "\n".join(blocks)


def _trace(trace: tuple[TraceEntry, ...]) -> str:
    rows = "".join(
        f"<tr><td><code>{_e(t.path)}</code></td><td>{_e(t.observed)}</td>"
        f"<td>{_e(t.condition)}</td><td>{_TRUTH[t.truth]}</td></tr>"
        for t in trace
    )
    return (
        "<table class='trace'><thead><tr><th>fact</th><th>observed</th><th>condition</th>"
        f"<th>truth</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _words(action: str) -> str:
    return action.replace("_", " ")


def _finding(f: Finding) -> str:
    strength = f", {f.evidence.strength}" if f.evidence.strength else ""
    current = " <span class='badge current'>current</span>" if f.current else ""
    meta = [
        ("Action", f"{_e(_words(f.action))} — {_e(', '.join(f.drugs))}"),
        ("Evidence", f"level {_e(f.evidence.level)}{_e(strength)}"),
        ("Source", _e(finding_source(f))),
    ]
    if f.regimen is not None:
        if f.regimen.all_of:
            meta.append(("Regimen (combination)", _e(" + ".join(f.regimen.all_of))))
        if f.regimen.any_of:
            meta.append(("Options", _e(", ".join(f.regimen.any_of))))
    meta.append(("Rule", f"<code>{_e(f.rule_id)}</code> v{_e(f.rule_version)}"))
    meta.append(("Citations", _e(", ".join(f.citations))))
    parts = [
        f"<article class='finding {f.indicator}'>",
        f"<h3><span class='badge {f.indicator}'>{_e(_words(f.action))}</span>{current} "
        f"{_e(f.summary)}</h3>",
        "<dl class='meta'>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta) + "</dl>",
    ]
    if f.detail:
        parts.append(f"<div class='detail'>{_markdown(f.detail)}</div>")
    if f.against:
        items = "".join(
            f"<li>{_e(a.summary)} ({_e(', '.join(a.citations))})</li>" for a in f.against
        )
        parts.append(f"<p><strong>Evidence against:</strong></p><ul>{items}</ul>")
    parts.append(f"<details class='facts'><summary>Why it fired</summary>{_trace(f.because)}")
    parts.append("</details></article>")
    return "\n".join(parts)


def _glance(report: Report) -> str:
    """The findings at a glance, in the groups the detail below uses.

    Each row is marked by its severity (a coloured edge); current drugs are in bold.
    """
    rows = []
    for group in finding_groups(report):
        rows.append(f"<tr class='group'><th colspan='5'>{_e(group.title)}</th></tr>")
        for f in group.findings:
            current = " current" if f.current else ""
            rows.append(
                f"<tr class='{f.indicator}{current}'><td>{_e(', '.join(f.drugs))}"
                f"{' (current)' if f.current else ''}</td><td>{_e(_words(f.action))}</td>"
                f"<td>{_e(f.evidence.level)}</td><td>{_e(finding_source(f))}</td>"
                f"<td>{_e(f.summary)}</td></tr>"
            )
    return (
        "<table class='glance'><thead><tr><th>drugs</th><th>action</th><th>evidence</th>"
        f"<th>source</th><th>summary</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _contents(report: Report) -> str:
    """Links to each part of a long page (not printed)."""
    parts = []
    if report.warnings:
        parts.append(("warnings", f"Warnings ({len(report.warnings)})"))
    parts.append(("findings", f"Findings ({len(report.findings)})"))
    if report.phenotypes:
        genes = len(report.phenotypes)
        parts.append(("germline", f"Germline results ({genes} gene{'' if genes == 1 else 's'})"))
    if report.conflicts:
        parts.append(("conflicts", f"Conflicts ({len(report.conflicts)})"))
    if report.indeterminate:
        parts.append(("undecided", f"Could not be decided ({len(report.indeterminate)})"))
    parts.append(("legend", "Legend"))
    links = " · ".join(f"<a href='#{key}'>{_e(text)}</a>" for key, text in parts)
    return f"<nav class='contents' aria-label='Contents'>{links}</nav>"


def _germline(report: Report) -> str:
    from pgx.render._markdown import germline_note  # noqa: PLC0415 - one wording for both formats

    rows = []
    for gene, p in report.phenotypes.items():
        score = "" if p.activity_score is None else f"{p.activity_score:g}"
        rows.append(
            f"<tr><td>{_e(gene)}</td><td>{_e(p.diplotype or '')}</td>"
            f"<td>{_e(p.phenotype or '—')}</td><td>{score}</td>"
            f"<td>{_e(germline_note(p))}</td></tr>"
        )
    return (
        "<h2 id='germline'>Germline results</h2><table class='germline'><thead><tr><th>gene</th>"
        "<th>result</th><th>phenotype</th><th>activity score</th><th>note</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _undecided(report: Report, mode: UndecidedMode) -> str:
    groups = summarise_undecided(report)
    items = "".join(f"<li>{_e(group_line(g))}</li>" for g in groups)
    rules = "".join(
        f"<li><code>{_e(i.rule_id)}</code>: would fire if {_e(i.would_fire_if)}</li>"
        for i in report.indeterminate
    )
    opened = " open" if mode == "full" else ""
    return (
        f"<h2 id='undecided'>Could not be decided ({len(report.indeterminate)})</h2>"
        f"<p>{_e(undecided_sentence(report, groups))} Missing data is never assumed normal.</p>"
        f"<ul class='undecided'>{items}</ul>"
        f"<details class='undecided-rules'{opened}><summary>Every undecided rule</summary>"
        f"<ul>{rules}</ul></details>"
    )


def _legend() -> str:
    levels = "".join(f"<dt>level {_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in EVIDENCE_WORDS)
    actions = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in ACTION_WORDS)
    return (
        "<section class='legend'><h2 id='legend'>Legend</h2>"
        f"<p>Evidence levels</p><dl class='meta'>{levels}</dl>"
        f"<p>Actions, most severe first</p><dl class='meta'>{actions}</dl>"
        "<p>Findings for the patient's current medications (or the order) come first, then "
        "within each group the most severe action, then the strongest evidence.</p></section>"
    )


def render_html(report: Report, undecided: UndecidedMode = "summary") -> str:
    """The whole report as one HTML page (UTF-8, no external resources).

    Args:
        report: The report.
        undecided: ``summary`` lists what would decide the undecided rules and folds the
            rules themselves away; ``full`` shows every rule opened.
    """
    rs = report.ruleset
    name = report.profile_id or "unnamed profile"
    body = [
        f"<h1>pgx report — {_e(name)}</h1>",
        f"<p class='provenance'>Generated {_e(report.generated_at)} by pgx "
        f"{_e(report.pgx_version)} with ruleset {_e(rs.name)} {_e(rs.version)} (sha256 "
        f"<code>{_e(rs.sha256[:12])}…</code>); input sha256 "
        f"<code>{_e(report.input_sha256[:12])}…</code></p>",
        _contents(report),
    ]
    if report.drugs is not None:
        body.append(f"<p>Limited to rules about: {_e(', '.join(report.drugs))}.</p>")
    if report.warnings:
        items = "".join(f"<li>{_e(w)}</li>" for w in report.warnings)
        body.append(
            "<section class='warnings' role='alert'><h2 id='warnings'>Warnings</h2>"
            f"<ul>{items}</ul></section>"
        )
    body.append(f"<h2 id='findings'>Findings ({len(report.findings)})</h2>")
    if report.findings:
        body.append(_glance(report))
    else:
        from pgx.render._markdown import no_findings_sentence  # noqa: PLC0415

        body.append(f"<p>{_e(no_findings_sentence(report))}</p>")
    for group in finding_groups(report):
        body.append(f"<section class='group {group.key}'><h2>{_e(group.title)}</h2>")
        body += [_finding(f) for f in group.findings]
        body.append("</section>")
    if report.phenotypes:
        body.append(_germline(report))
    if report.conflicts:
        items = "".join(
            f"<li>{_e(c.drug)}: "
            + ", ".join(
                f"<code>{_e(r)}</code> ({_e(_words(a))})"
                for r, a in zip(c.rule_ids, c.actions, strict=True)
            )
            + "</li>"
            for c in report.conflicts
        )
        body.append(f"<h2 id='conflicts'>Conflicts</h2><ul>{items}</ul>")
    if report.superseded:
        items = "".join(
            f"<li><code>{_e(s.rule_id)}</code> hidden by <code>{_e(s.superseded_by)}</code></li>"
            for s in report.superseded
        )
        body.append(f"<h2>Superseded</h2><ul>{items}</ul>")
    if report.indeterminate:
        body.append(_undecided(report, undecided))
    body.append(_legend())
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>pgx report — {_e(name)}</title><style>{_CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
