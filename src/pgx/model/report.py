"""The report: what pgx found for one profile, with provenance and explanations.

[`Report.to_json`][pgx.model.report.Report.to_json] is byte-identical for the same profile, rules,
pgx version and ``now``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from attrs import field, frozen

from pgx.model import _ports
from pgx.model.profile import GeneCall, Profile
from pgx.model.ruleset import Against, Evidence, Regimen

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

PhenotypeStatus = Literal[
    "called",
    "reported",
    "indeterminate",
    "unknown_allele",
    "not_phenotyped",
    "typed",
    "conflict",
    "no_call",
    "invalid",
]


@frozen
class GenePhenotype:
    """A gene's result as pgx understood it.

    Attributes:
        diplotype: The diplotype (or typed alleles) given.
        phenotype: The phenotype term, or ``None`` when it cannot be stated.
        activity_score: The activity score where the gene has one.
        source: ``diplotype`` (derived through the gene's table) or ``reported`` (as given).
        status: ``called``/``reported`` when usable; ``indeterminate`` (CPIC's Indeterminate),
            ``unknown_allele``, ``not_phenotyped``, ``typed`` (HLA), ``conflict``,
            ``no_call`` or ``invalid`` (a reported term or score pgx cannot read) otherwise.
        reason: Why there is no phenotype, in words.
        call: Where the result came from (VCF, outside call, profile), the positions used
            and missing, unmatched variants and every candidate diplotype; ``None`` for a
            result given only in a profile.
    """

    status: PhenotypeStatus
    source: str
    diplotype: str | None = None
    phenotype: str | None = None
    activity_score: float | None = None
    reason: str | None = None
    call: GeneCall | None = None


@frozen
class TraceEntry:
    """One leaf of a rule's condition as evaluated: what was read, and its truth."""

    path: str
    observed: str
    condition: str
    truth: Literal["true", "false", "unknown"]


@frozen
class Finding:
    """A rule that fired: the consideration, its evidence, and the facts that fired it."""

    rule_id: str
    rule_version: str
    action: str
    indicator: Literal["info", "warning", "critical"]
    drugs: tuple[str, ...]
    summary: str
    evidence: Evidence
    citations: tuple[str, ...]
    because: tuple[TraceEntry, ...]
    title: str | None = None
    regimen: Regimen | None = None
    detail: str | None = None
    against: tuple[Against, ...] = ()
    source: str | None = None
    """The guideline body of the rule that fired (``CPIC``, ``DPWG``), if it names one."""
    current: bool = False
    """The finding is about a drug the patient takes (``clinical.medications``) or one
    being ordered (``evaluate(drugs=...)``): such findings lead the report."""


@frozen
class Indeterminate:
    """A rule that could not be decided, the facts that would decide it, and how."""

    rule_id: str
    rule_version: str
    drugs: tuple[str, ...]
    summary: str
    missing: tuple[str, ...]
    would_fire_if: str
    because: tuple[TraceEntry, ...] = ()


@frozen
class Conflict:
    """Findings with contradictory actions on the same drug."""

    drug: str
    rule_ids: tuple[str, ...]
    actions: tuple[str, ...]


@frozen
class Superseded:
    """A finding hidden because a more specific rule fired."""

    rule_id: str
    superseded_by: str


@frozen
class RulesetInfo:
    """Which rules the report was made under.

    ``data_versions`` maps each gene whose knowledge tables were generated from source data
    (CPIC's allele definitions and phenotype tables) to that data's version.
    """

    name: str
    version: str
    sha256: str
    data_versions: Mapping[str, str] = field(factory=dict)


_INDICATOR_RANK = {"critical": 0, "warning": 1, "info": 2}
#: ``summary``: undecided rules summarised by what would decide them; ``full``: every rule.
UndecidedMode = Literal["summary", "full"]


@frozen
class Report:
    """Everything pgx concluded for one profile.

    Attributes:
        pgx_report: Report format version (1).
        profile_id: The profile's ``id``.
        generated_at: ISO-8601 time (injectable through ``evaluate(now=...)``).
        pgx_version: The pgx version that made the report.
        ruleset: Name, version and content hash of the rules used.
        input_sha256: SHA-256 of the profile's canonical JSON.
        phenotypes: Each germline gene's result.
        findings: Rules that fired, most severe first.
        indeterminate: Rules that could not be decided, with what would decide them.
        conflicts: Contradictory actions on the same drug.
        superseded: Findings hidden by a more specific rule.
        warnings: Anything the user should know about the input (unknown codes, units...),
            the most important first: drugs no rule covers, then problems with the input
            files, then the rest.
        drugs: The drugs the evaluation was limited to, if any.
        has_tumor: Whether the profile describes a tumour (``None`` in reports made
            before pgx recorded it). Without one, oncology rules that wait only for tumour
            facts are summarised as one line rather than listed.
        uncovered_drugs: Drugs asked about (``drugs``) that no rule covers: an empty
            findings list then means "pgx knows nothing about it", not "nothing found".
    """

    profile_id: str | None
    generated_at: str
    pgx_version: str
    ruleset: RulesetInfo
    input_sha256: str
    phenotypes: Mapping[str, GenePhenotype]
    findings: tuple[Finding, ...]
    indeterminate: tuple[Indeterminate, ...]
    conflicts: tuple[Conflict, ...] = ()
    superseded: tuple[Superseded, ...] = ()
    warnings: tuple[str, ...] = ()
    drugs: tuple[str, ...] | None = None
    has_tumor: bool | None = None
    uncovered_drugs: tuple[str, ...] = ()
    pgx_report: Literal[1] = 1

    def to_dict(self, *, undecided: UndecidedMode = "full") -> dict[str, Any]:
        """The report as plain JSON-ready data (`pgx.io.report_to_dict`).

        Args:
            undecided: ``full`` (the default, the report contract) lists every undecided
                rule under ``indeterminate``; ``summary`` is the compact form: it replaces
                that list by ``undecided``, the count and the facts that would decide the
                rules (``{"count", "by_fact": [{"fact", "label", "status", "rules",
                "drugs"}]}``), as the human-readable reports show them.
        """
        data: dict[str, Any] = _ports.call("report_to_dict", self)
        if undecided == "summary":
            del data["indeterminate"]
            data["undecided"] = _ports.call("undecided_summary", self)
        return data

    def to_json(self, *, indent: int | None = 2, undecided: UndecidedMode = "full") -> str:
        """Deterministic JSON: sorted keys, stable order, trailing newline.

        ``undecided="summary"`` gives the compact form (see `to_dict`).
        """
        data = self.to_dict(undecided=undecided)
        return json.dumps(data, sort_keys=True, indent=indent, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """Rebuild a report from `to_dict` output (`pgx.io.report_from_dict`).

        Raises:
            InputError: the data is not a report, with the path of every bad field.
        """
        report: Report = _ports.call("report_from_dict", data, cls)
        return report

    def to_markdown(self, *, undecided: UndecidedMode = "summary") -> str:
        """A human-readable report (Markdown; `pgx.render.markdown`).

        ``undecided="summary"`` (the default) lists what would decide the undecided rules;
        ``full`` lists every undecided rule too.
        """
        text: str = _ports.call("report_markdown", self, undecided)
        return text

    def to_html(self, *, undecided: UndecidedMode = "summary") -> str:
        """One self-contained, printable HTML page (`pgx.render.html`).

        ``undecided`` as for `to_markdown`; in HTML the full list is folded away in
        ``summary`` mode and opened in ``full`` mode.
        """
        text: str = _ports.call("report_html", self, undecided)
        return text

    def to_fhir(self, *, profile: Profile | None = None) -> dict[str, Any]:
        """The report as a FHIR R4 Bundle (Genomics Reporting IG STU3); see `pgx.fhir.to_fhir`.

        Pass the profile the report was evaluated from to write the facts a report does not
        carry (HLA carriage, somatic variants, copy number, fusions, expression, TMB, MSI).
        """
        bundle: dict[str, Any] = _ports.call("report_fhir", self, profile)
        return bundle

    def finding(self, rule_id: str) -> Finding | None:
        """The finding of a rule, if it fired."""
        return next((f for f in self.findings if f.rule_id == rule_id), None)


#: Actions from the most to the least urgent to act on.
ACTION_ORDER = (
    "avoid",
    "use_alternative",
    "reduce_dose",
    "increase_dose",
    "caution",
    "monitor",
    "consider",
    "standard_dosing",
    "informative",
)
#: Evidence levels from the strongest; resistance levels sit with their counterparts.
EVIDENCE_ORDER = ("1", "R1", "2", "3A", "3B", "R2", "4")
#: Levels resting on preclinical or investigational evidence only.
INVESTIGATIONAL = frozenset({"4", "R2"})


def finding_order(finding: Finding) -> tuple[object, ...]:
    """The sort key of a finding: the order a reader should meet findings in.

    Current drugs first; then findings with clinical evidence before investigational ones
    (levels 4 and R2: never a level-4 idea above a level-1 recommendation, whatever its
    action); then the most urgent action (indicator, then action), then the strongest
    evidence; the rule id keeps the order stable.
    """
    action = ACTION_ORDER.index(finding.action) if finding.action in ACTION_ORDER else 99
    level = finding.evidence.level
    return (
        not finding.current,
        level in INVESTIGATIONAL,
        _INDICATOR_RANK[finding.indicator],
        action,
        EVIDENCE_ORDER.index(level) if level in EVIDENCE_ORDER else 99,
        finding.rule_id,
    )


def order_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Findings in the order a reader should meet them (`finding_order`)."""
    return tuple(sorted(findings, key=finding_order))


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """`order_findings` (the name earlier versions used)."""
    return order_findings(findings)
