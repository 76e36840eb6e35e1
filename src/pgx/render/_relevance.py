"""What a reader needs first: findings grouped by relevance, undecided rules summarised.

Every renderer (Markdown, HTML, CDS Hooks cards, compact JSON) uses these, so the groups,
their order and the sentence that summarises the undecided rules are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from attrs import frozen

from pgx.model.report import Finding, Indeterminate, Report, UndecidedMode

__all__ = [
    "ACTION_WORDS",
    "EVIDENCE_WORDS",
    "GROUP_TITLES",
    "FindingGroup",
    "UndecidedGroup",
    "UndecidedMode",
    "finding_groups",
    "finding_source",
    "group_line",
    "summarise_undecided",
    "undecided_dict",
    "undecided_sentence",
]

Group = Literal["current", "germline", "tumor", "other"]

GROUP_TITLES: dict[Group, str] = {
    "current": "For current medications",
    "germline": "Pre-emptive pharmacogenetics",
    "tumor": "Tumour",
    "other": "Other findings",
}

#: The evidence levels in words (the legend of every human-readable report).
EVIDENCE_WORDS: tuple[tuple[str, str], ...] = (
    ("1", "approved biomarker/drug in this indication, or CPIC/DPWG level A"),
    ("2", "standard of care in a guideline"),
    ("3A", "clinical evidence in this indication"),
    ("3B", "clinical evidence in another indication"),
    ("4", "biological or preclinical rationale only (investigational)"),
    ("R1", "resistance, standard of care"),
    ("R2", "resistance, investigational"),
)

#: The actions in words, most severe first.
ACTION_WORDS: tuple[tuple[str, str], ...] = (
    ("avoid", "do not use the drug"),
    ("use alternative", "prefer another drug"),
    ("reduce dose / increase dose", "adjust the dose"),
    ("caution", "a risk to weigh (often toxicity)"),
    ("monitor", "use with extra monitoring"),
    ("consider", "an option to consider"),
    ("standard dosing", "the usual dose is appropriate"),
    ("informative", "context, no change in prescribing"),
)


@frozen
class FindingGroup:
    """Findings that belong together in a report, in the report's order."""

    key: Group
    title: str
    findings: tuple[Finding, ...]


#: Citation prefixes in words, in the order a source column lists them.
_CITED_KINDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("FDA:",), "FDA label"),
    (("GUIDELINE:",), "guideline"),
    (("NCT:",), "trial"),
    (("PMID:", "DOI:", "PMCID:"), "literature"),
)


def finding_source(finding: Finding) -> str:
    """Where a finding's recommendation comes from, in a few words.

    The guideline body the rule encodes (``CPIC``, ``DPWG``) when it names one; otherwise
    the kinds of source it cites (``FDA label, trial``), so a level-1 label approval and a
    level-4 preclinical rationale never look alike in the source column.
    """
    if finding.source:
        return finding.source
    kinds = [
        words
        for prefixes, words in _CITED_KINDS
        if any(c.startswith(prefixes) for c in finding.citations)
    ]
    return ", ".join(kinds) or "—"


def _group_of(finding: Finding) -> Group:
    if finding.current:
        return "current"
    roots = {entry.path.split(".", 1)[0] for entry in finding.because}
    if "tumor" in roots:
        return "tumor"
    if "germline" in roots:
        return "germline"
    return "other"


def finding_groups(report: Report) -> tuple[FindingGroup, ...]:
    """The report's findings in groups: current drugs, germline, tumour, other.

    Empty groups are left out; each group keeps the report's order (severity, then evidence).
    """
    buckets: dict[Group, list[Finding]] = {key: [] for key in GROUP_TITLES}
    for finding in report.findings:
        buckets[_group_of(finding)].append(finding)
    return tuple(
        FindingGroup(key, GROUP_TITLES[key], tuple(items))
        for key, items in buckets.items()
        if items
    )


@frozen
class UndecidedGroup:
    """Undecided rules that one fact would (help) decide.

    Attributes:
        fact: The profile path (``germline.CYP2D6``, ``tumor.cancer_type``), or ``tumor``
            for every rule that needs a tumour profile when none was given.
        label: The fact as a reader names it (``CYP2D6``, ``a tumour profile (none given)``).
        status: Why it is missing, e.g. ``not tested``; ``None`` when not known.
        rules: The rule ids that wait for it.
        drugs: The drugs those rules are about.
    """

    fact: str
    label: str
    status: str | None
    rules: tuple[str, ...]
    drugs: tuple[str, ...]


def _needs_tumor(item: Indeterminate) -> bool:
    # an oncology rule waiting for any tumour fact: without a tumour it does not apply yet
    return any(m.split(".", 1)[0] == "tumor" for m in item.missing)


#: Clinical facts as a reader names them (the undecided summary's labels).
_CLINICAL_WORDS = {
    "diagnoses": "diagnoses",
    "medications": "current medications",
    "therapies": "prior therapies",
}


def _label(fact: str, report: Report) -> tuple[str, str | None]:
    parts = fact.split(".")
    if parts[0] == "germline" and len(parts) == 2:
        gene = parts[1]
        given = report.phenotypes.get(gene)
        if given is None:
            return gene, "not tested"
        # given, yet unusable: say why, so it does not read as a missing test
        return gene, f"given, but: {given.reason or given.status.replace('_', ' ')}"
    if parts[0] == "germline" and len(parts) == 4 and parts[2] == "variants":
        gene, position = parts[1], parts[3]
        status = "not tested" if gene not in report.phenotypes else None
        return f"{gene} {position} genotype", status
    if parts[0] == "clinical" and len(parts) == 3 and parts[1] == "labs":
        return f"{parts[2]} (lab)", None
    if parts[0] == "clinical" and len(parts) == 2 and parts[1] in _CLINICAL_WORDS:
        return _CLINICAL_WORDS[parts[1]], None
    return fact, None


def summarise_undecided(report: Report) -> tuple[UndecidedGroup, ...]:
    """The undecided rules grouped by the fact that would decide them, largest group first.

    A rule waiting for several facts is counted under each. When the profile has no tumour,
    the rules that need a tumour fact are one group (``tumor``): they are not relevant
    until there is a tumour, and listing them fact by fact would bury the rest.
    """
    by_fact: dict[str, list[Indeterminate]] = {}
    for item in report.indeterminate:
        if report.has_tumor is False and _needs_tumor(item):
            by_fact.setdefault("tumor", []).append(item)
            continue
        for fact in item.missing or ("(facts pgx could not read)",):
            by_fact.setdefault(fact, []).append(item)
    groups = []
    for fact, items in by_fact.items():
        status: str | None
        if fact == "tumor" and report.has_tumor is False:
            label, status = "a tumour profile", "none given"
        else:
            label, status = _label(fact, report)
        groups.append(
            UndecidedGroup(
                fact=fact,
                label=label,
                status=status,
                rules=tuple(i.rule_id for i in items),
                drugs=tuple(sorted({d for i in items for d in i.drugs})),
            )
        )
    return tuple(sorted(groups, key=lambda g: (-len(g.rules), g.label)))


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def undecided_sentence(report: Report, groups: Iterable[UndecidedGroup] | None = None) -> str:
    """One sentence: how many rules could not be decided and what would decide them.

    E.g. ``12 rules could not be decided: 9 wait for tumor.cancer_type; 4 for CYP2D6.``
    """
    groups = tuple(summarise_undecided(report) if groups is None else groups)
    total = len(report.indeterminate)
    if not groups:
        return ""
    parts = []
    for i, group in enumerate(groups):
        what = group.label + (" (none given)" if group.fact == "tumor" and group.status else "")
        verb = ("waits" if len(group.rules) == 1 else "wait") + " for " if i == 0 else "for "
        parts.append(f"{len(group.rules)} {verb}{what}")
    head = _plural(total, "rule", "rules")
    return f"{head} could not be decided: " + "; ".join(parts) + "."


_DRUGS_SHOWN = 12  # drugs a summary line names before "and N more"


def group_line(group: UndecidedGroup) -> str:
    """``CYP2C9: not tested — 1 rule about warfarin`` (plain text)."""
    status = f": {group.status}" if group.status and group.fact != "tumor" else ""
    label = group.label + (f" ({group.status})" if group.fact == "tumor" and group.status else "")
    drugs = list(group.drugs[:_DRUGS_SHOWN])
    if len(group.drugs) > _DRUGS_SHOWN:  # the full list is in JSON and --undecided full
        drugs.append(f"and {len(group.drugs) - _DRUGS_SHOWN} more")
    about = f" about {', '.join(drugs)}" if drugs else ""
    return f"{label}{status} — {_plural(len(group.rules), 'rule', 'rules')}{about}"


def undecided_dict(report: Report) -> dict[str, object]:
    """The compact JSON form of the undecided rules (``Report.to_dict(undecided="summary")``)."""
    return {
        "count": len(report.indeterminate),
        "sentence": undecided_sentence(report),
        "by_fact": [
            {
                "fact": g.fact,
                "label": g.label,
                "status": g.status,
                "rules": list(g.rules),
                "drugs": list(g.drugs),
            }
            for g in summarise_undecided(report)
        ],
    }
