"""The rule language (version 1): rules, their conditions, and the loaded `RuleSet`.

A condition is one of the combinators ([`AllOf`][pgx.ruleset.AllOf], [`AnyOf`][pgx.ruleset.AnyOf],
[`Not`][pgx.ruleset.Not]) or a leaf that reads one fact of the profile. Field names that are
Python keywords carry a trailing underscore (``in_``, ``class_``); in YAML they are written
without it (``in:``, ``class:``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, TypeAlias

from attrs import field, frozen

from pgx.knowledge import Knowledge, VariantClass, VariantType
from pgx.profile import CopyNumberStatus, Outcome

if TYPE_CHECKING:
    from pgx._engine import CompiledRuleSet

__all__ = [
    "ACTIONS",
    "ActivityScoreLeaf",
    "AllOf",
    "AlleleLeaf",
    "AnyOf",
    "BiomarkerLeaf",
    "CancerTypeLeaf",
    "Condition",
    "CopyNumberLeaf",
    "DiagnosisLeaf",
    "DiplotypeLeaf",
    "Evidence",
    "ExpressionLeaf",
    "FusionLeaf",
    "GermlineVariantLeaf",
    "LabLeaf",
    "Leaf",
    "MedicationLeaf",
    "Not",
    "Outcome",
    "PhenotypeLeaf",
    "Regimen",
    "Rule",
    "RuleFile",
    "RuleSet",
    "RuleTest",
    "SomaticLeaf",
    "Then",
    "TherapyLeaf",
    "VariantLeaf",
]

Action = Literal[
    "avoid",
    "use_alternative",
    "reduce_dose",
    "increase_dose",
    "standard_dosing",
    "monitor",
    "caution",
    "consider",
    "informative",
]
ACTIONS: tuple[str, ...] = Action.__args__  # type: ignore[attr-defined]
EvidenceLevel = Literal["1", "2", "3A", "3B", "4", "R1", "R2"]
Strength = Literal["strong", "moderate", "optional"]
Indicator = Literal["info", "warning", "critical"]
Expect = Literal["fires", "does_not_fire", "indeterminate"]
LevelName = Literal["absent", "low", "normal", "high"]


# ---------------------------------------------------------------- leaves (germline)
@frozen
class PhenotypeLeaf:
    """TRUE when the gene's phenotype is one of ``in_``."""

    gene: str
    in_: tuple[str, ...]


@frozen
class DiplotypeLeaf:
    """TRUE when the gene's diplotype is one of ``in_`` (allele order ignored)."""

    gene: str
    in_: tuple[str, ...]


@frozen
class AlleleLeaf:
    """TRUE when the patient carries the named allele of the gene."""

    gene: str
    carries: str


@frozen
class ActivityScoreLeaf:
    """TRUE when the gene's activity score is within the bounds."""

    gene: str
    at_least: float | None = None
    at_most: float | None = None


@frozen
class VariantLeaf:
    """TRUE when the germline genotype at ``rsid`` is one of ``genotype``."""

    gene: str
    rsid: str
    genotype: tuple[str, ...]


@frozen
class GermlineVariantLeaf:
    """TRUE when a classified germline variant of the gene has one of the classifications."""

    gene: str
    classification: tuple[
        Literal[
            "pathogenic", "likely_pathogenic", "uncertain_significance", "likely_benign", "benign"
        ],
        ...,
    ]


# ---------------------------------------------------------------- leaves (tumor)
@frozen
class SomaticLeaf:
    """TRUE when a somatic variant of the gene matches every filter given."""

    gene: str
    protein: tuple[str, ...] | None = None
    codon: tuple[str, ...] | None = None
    exon: int | None = None
    type: tuple[VariantType, ...] | None = None
    class_: tuple[VariantClass, ...] | None = None


@frozen
class CopyNumberLeaf:
    """TRUE when a copy-number call of the gene has one of the statuses."""

    gene: str
    status: tuple[CopyNumberStatus, ...]


@frozen
class FusionLeaf:
    """TRUE when a fusion involves the gene (and one of the partners, if given)."""

    gene: str
    partner: tuple[str, ...] | None = None


@frozen
class ExpressionLeaf:
    """TRUE when the gene's expression level satisfies the bound."""

    gene: str
    at_least: LevelName | None = None
    at_most: LevelName | None = None
    in_: tuple[LevelName, ...] | None = None


@frozen
class BiomarkerLeaf:
    """TRUE when the biomarker's value is one of ``in_`` or within the bounds."""

    name: str
    in_: tuple[str, ...] | None = None
    at_least: float | None = None
    at_most: float | None = None


@frozen
class CancerTypeLeaf:
    """TRUE when the tumor's OncoTree code is one of ``in_`` or a descendant of one."""

    in_: tuple[str, ...]


# ---------------------------------------------------------------- leaves (clinical)
@frozen
class DiagnosisLeaf:
    """TRUE when a diagnosis of ``system`` has one of the codes (or a sub-code)."""

    code: tuple[str, ...]
    system: Literal["icd10", "snomed"] = "icd10"


@frozen
class MedicationLeaf:
    """TRUE when a current medication is one of the drugs or in one of the classes."""

    drug: tuple[str, ...] | None = None
    class_: tuple[str, ...] | None = None


@frozen
class TherapyLeaf:
    """TRUE when a prior therapy matches the drug or class (and one of the outcomes)."""

    drug: tuple[str, ...] | None = None
    class_: tuple[str, ...] | None = None
    outcome: tuple[Outcome, ...] | None = None


@frozen
class LabLeaf:
    """TRUE when the lab value, in ``unit``, is within the bounds."""

    name: str
    unit: str
    at_least: float | None = None
    at_most: float | None = None


Leaf: TypeAlias = (
    PhenotypeLeaf
    | DiplotypeLeaf
    | AlleleLeaf
    | ActivityScoreLeaf
    | VariantLeaf
    | GermlineVariantLeaf
    | SomaticLeaf
    | CopyNumberLeaf
    | FusionLeaf
    | ExpressionLeaf
    | BiomarkerLeaf
    | CancerTypeLeaf
    | DiagnosisLeaf
    | MedicationLeaf
    | TherapyLeaf
    | LabLeaf
)

#: YAML key of each leaf.
LEAF_KEYS: Mapping[str, type[object]] = {
    "phenotype": PhenotypeLeaf,
    "diplotype": DiplotypeLeaf,
    "allele": AlleleLeaf,
    "activity_score": ActivityScoreLeaf,
    "variant": VariantLeaf,
    "germline_variant": GermlineVariantLeaf,
    "somatic": SomaticLeaf,
    "copy_number": CopyNumberLeaf,
    "fusion": FusionLeaf,
    "expression": ExpressionLeaf,
    "biomarker": BiomarkerLeaf,
    "cancer_type": CancerTypeLeaf,
    "diagnosis": DiagnosisLeaf,
    "medication": MedicationLeaf,
    "therapy": TherapyLeaf,
    "lab": LabLeaf,
}
KEY_OF_LEAF: Mapping[type[object], str] = {cls: key for key, cls in LEAF_KEYS.items()}


@frozen
class AllOf:
    """TRUE when every part is TRUE; FALSE when any is FALSE; otherwise UNKNOWN."""

    parts: tuple[Condition, ...]


@frozen
class AnyOf:
    """TRUE when any part is TRUE; FALSE when every part is FALSE; otherwise UNKNOWN."""

    parts: tuple[Condition, ...]


@frozen
class Not:
    """Swaps TRUE and FALSE; UNKNOWN stays UNKNOWN."""

    part: Condition


Condition: TypeAlias = AllOf | AnyOf | Not | Leaf


# ---------------------------------------------------------------- rules
@frozen
class Evidence:
    """Evidence level on pgx's scale, and recommendation strength where graded."""

    level: EvidenceLevel
    strength: Strength | None = None


@frozen
class Regimen:
    """Drugs of a finding: ``all_of`` is a combination, ``any_of`` are substitutes."""

    all_of: tuple[str, ...] | None = None
    any_of: tuple[str, ...] | None = None


@frozen
class Against:
    """Evidence that disputes a finding, shown with it."""

    summary: str
    citations: tuple[str, ...]


@frozen
class Then:
    """What a rule reports when it fires."""

    action: Action
    summary: str
    evidence: Evidence
    citations: tuple[str, ...]
    indicator: Indicator | None = None
    regimen: Regimen | None = None
    detail: str | None = None
    against: tuple[Against, ...] = ()


@frozen
class RuleTest:
    """An inline test: a profile (as written) and the expected outcome."""

    name: str
    profile: dict[str, object]
    expect: Expect


@frozen
class Rule:
    """One declarative rule."""

    id: str
    version: str
    drugs: tuple[str, ...]
    when: Condition
    then: Then
    status: Literal["draft", "active", "retired"] = "active"
    title: str | None = None
    supersedes: tuple[str, ...] = ()
    tests: tuple[RuleTest, ...] = ()

    def describe(self) -> str:
        """The rule's condition in words, as reports and ``pgx explain`` show it."""
        from pgx._engine import describe  # noqa: PLC0415 - the engine imports this module

        return describe(self.when)


@frozen
class RuleFile:
    """The contents of one rule file."""

    pgx_rules: Literal[1]
    rules: tuple[Rule, ...]
    name: str | None = None
    version: str | None = None


@frozen
class RuleSource:
    """Where a rule came from, for error messages and lint."""

    file: str
    line: int | None
    index: int


@frozen(eq=False)
class RuleSet:
    """A loaded, validated, hashed set of rules and the knowledge they are written against.

    Build one with [`load_ruleset`][pgx.load_ruleset] or
    [`default_ruleset`][pgx.default_ruleset]; it is immutable and safe to share.

    Attributes:
        name: Ruleset name (from ``ruleset.yaml``, a rule file's ``name:``, or the path).
        version: Ruleset version, ``"0"`` when none is declared.
        sha256: SHA-256 over the content of every file loaded, in path order.
        rules: Every rule, in file and position order.
        knowledge: The merged knowledge tables.
        sources: Where each rule was defined, by rule id.
    """

    name: str
    version: str
    sha256: str
    rules: tuple[Rule, ...]
    knowledge: Knowledge = field(repr=False)
    sources: Mapping[str, RuleSource] = field(repr=False)
    _compiled: list[CompiledRuleSet] = field(factory=list, repr=False, alias="_compiled")

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id; raises `KeyError` if there is none."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def compiled(self) -> CompiledRuleSet:
        """The rules compiled to predicates (built once, on first use)."""
        if not self._compiled:
            from pgx._engine import CompiledRuleSet  # noqa: PLC0415 - engine imports this module

            self._compiled.append(CompiledRuleSet(self))
        return self._compiled[0]
