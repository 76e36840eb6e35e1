"""MkDocs hook: generate the rule catalogue page from the bundled rules at build time.

The page ``rule-catalogue.md`` is never committed: it is written on every build from
``pgx.default_ruleset()``, so it cannot drift from the rules that ship. Registered under
``hooks:`` in ``mkdocs.yml``.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

import pgx
from pgx.io import bundled_rules_path
from pgx.model._words import describe

PAGE = "rule-catalogue.md"

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")

_CITATION_URLS = {
    "PMID": "https://pubmed.ncbi.nlm.nih.gov/{}/",
    "DOI": "https://doi.org/{}",
    "NCT": "https://clinicaltrials.gov/study/{}",
    "PMCID": "https://pmc.ncbi.nlm.nih.gov/articles/{}/",
}


def _esc(text: str) -> str:
    """Escape text so Markdown shows it literally (``*2/*17`` must not become emphasis)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _citation(citation: str) -> str:
    prefix, _, value = citation.partition(":")
    url = _CITATION_URLS.get(prefix)
    if url is None or not value:
        return _esc(citation)
    return f"[{_esc(citation)}]({url.format(value)})"


def _source(ruleset: Any, rule_id: str, root: Path) -> str:
    source = ruleset.sources[rule_id]
    path = Path(source.file)
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = path.name
    return f"rules/{rel}"


def render() -> str:
    """The catalogue page as Markdown."""
    pgx.default_ruleset.cache_clear()  # `mkdocs serve` rebuilds in one process
    ruleset = pgx.default_ruleset()
    root = bundled_rules_path()
    rules = sorted(ruleset.rules, key=lambda r: (_source(ruleset, r.id, root), r.id))
    actions = Counter(r.then.action for r in rules)
    levels = Counter(r.then.evidence.level for r in rules)

    out = [
        "# Rule catalogue",
        "",
        f"Every rule bundled with pgx: ruleset **{_esc(ruleset.name)} {_esc(ruleset.version)}**, "
        f"{len(rules)} rules (sha256 `{ruleset.sha256[:12]}…`). This page is generated from "
        "`pgx.default_ruleset()` each time the documentation is built "
        "(`docs/hooks/catalogue.py`), so it always matches the rules that ship. The condition "
        "of each rule is shown in words, as `pgx explain` and the report's *would fire if* "
        "show it; see the [rule language](rule-language.md) for what each part means and "
        "[evidence levels](evidence-levels.md) for the scale.",
        "",
        "Actions: "
        + ", ".join(f"`{a}` × {n}" for a, n in sorted(actions.items(), key=lambda x: -x[1]))
        + ". Evidence levels: "
        + ", ".join(f"`{lv}` × {n}" for lv, n in sorted(levels.items()))
        + ".",
        "",
        "## Index",
        "",
        "| rule | drugs | action | level |",
        "| --- | --- | --- | --- |",
    ]
    out += [
        f"| [`{r.id}`](#{r.id}) | {_esc(', '.join(r.drugs))} | {r.then.action} "
        f"| {r.then.evidence.level} |"
        for r in rules
    ]

    current_file = None
    for rule in rules:
        source = _source(ruleset, rule.id, root)
        if source != current_file:
            current_file = source
            out += ["", f"## `{source}`"]
        then = rule.then
        evidence = f"level {then.evidence.level}"
        if then.evidence.strength:
            evidence += f", {then.evidence.strength}"
        out += ["", f"### {rule.id} {{#{rule.id}}}", ""]
        if rule.title:
            out += [f"**{_esc(rule.title)}**", ""]
        out += [
            f"- **Drugs:** {_esc(', '.join(rule.drugs))}",
            f"- **Action:** `{then.action}` — {_esc(then.summary)}",
        ]
        if then.regimen is not None:
            if then.regimen.all_of:
                out.append(f"- **Regimen (combination):** {_esc(' + '.join(then.regimen.all_of))}")
            if then.regimen.any_of:
                out.append(f"- **Options:** {_esc(', '.join(then.regimen.any_of))}")
        out += [
            f"- **Evidence:** {evidence}",
            f"- **When:** {_esc(describe(rule.when))}",
        ]
        if rule.supersedes:
            out.append("- **Supersedes:** " + ", ".join(f"`{s}`" for s in rule.supersedes))
        if rule.status != "active":
            out.append(f"- **Status:** {rule.status}")
        out.append("- **Citations:** " + ", ".join(_citation(c) for c in then.citations))
        if then.against:
            out.append(f"- **Evidence against** ({len(then.against)}):")
            out += [
                f"    - {_esc(a.summary)} ({', '.join(_citation(c) for c in a.citations)})"
                for a in then.against
            ]
        out.append(
            f"- **Source:** `{source}`, version {_esc(rule.version)}, "
            f"{len(rule.tests)} inline tests"
        )
    return "\n".join(out) + "\n"


def on_files(files: Files, config: Any) -> Files:
    """Add the generated catalogue page to the site's files."""
    files.append(File.generated(config, PAGE, content=render()))
    return files
