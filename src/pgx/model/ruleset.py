"""The rule language (version 1): rules, what they report, and the loaded `RuleSet`.

A rule's ``when:`` is a condition tree ([`pgx.model.condition`][pgx.model.condition]); its
names are re-exported here so ``pgx.ruleset`` keeps offering the whole language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

from attrs import field, frozen

from pgx.model import _ports
from pgx.model._words import describe
from pgx.model.condition import (
    KEY_OF_LEAF,
    LEAF_KEYS,
    ActivityScoreLeaf,
    AlleleLeaf,
    AllOf,
    AnyOf,
    BiomarkerLeaf,
    CancerTypeLeaf,
    Condition,
    CopyNumberLeaf,
    DiagnosisLeaf,
    DiplotypeLeaf,
    ExpressionLeaf,
    FusionLeaf,
    GermlineVariantLeaf,
    LabLeaf,
    Leaf,
    LevelName,
    MedicationLeaf,
    Not,
    PhenotypeLeaf,
    SomaticLeaf,
    TherapyLeaf,
    VariantLeaf,
)
from pgx.model.knowledge import Knowledge
from pgx.model.profile import Outcome, Profile

__all__ = [
    "ACTIONS",
    "KEY_OF_LEAF",
    "LEAF_KEYS",
    "ActivityScoreLeaf",
    "AllOf",
    "AlleleLeaf",
    "AnyOf",
    "BiomarkerLeaf",
    "CancerTypeLeaf",
    "CompiledRules",
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
    "LevelName",
    "MedicationLeaf",
    "Not",
    "Outcome",
    "PhenotypeLeaf",
    "Regimen",
    "Rule",
    "RuleFile",
    "RuleOutcomeView",
    "RuleSet",
    "RuleTest",
    "SomaticLeaf",
    "Then",
    "TherapyLeaf",
    "TraceView",
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
    source: str | None = None
    """The guideline body whose recommendation the rule encodes (``CPIC``, ``DPWG``), if any.

    Findings carry it. Two sources may disagree about one patient; that is shown, each
    finding with its source, and is not a conflict: contradictory actions on a drug are
    conflicts only between findings of the same source.
    """

    def describe(self) -> str:
        """The rule's condition in words, as reports and ``pgx explain`` show it."""
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


class TraceView(Protocol):
    """What a compiled rule reports for one leaf (`pgx.report.TraceEntry` is one)."""

    @property
    def path(self) -> str:
        """The profile path the leaf reads."""

    @property
    def observed(self) -> str:
        """What the profile says there."""

    @property
    def condition(self) -> str:
        """The leaf in words."""

    @property
    def truth(self) -> str:
        """``true``, ``false`` or ``unknown``."""


class RuleOutcomeView(Protocol):
    """One rule evaluated against one profile, with its full trace."""

    @property
    def rule(self) -> Rule:
        """The rule."""

    @property
    def outcome(self) -> str:
        """``fires``, ``does_not_fire`` or ``indeterminate``."""

    @property
    def trace(self) -> tuple[TraceView, ...]:
        """Every leaf of the condition as evaluated."""

    @property
    def missing(self) -> tuple[str, ...]:
        """For an undecided rule, the profile paths that would decide it."""

    @property
    def would_fire_if(self) -> str:
        """For an undecided rule, what is still undecided, in words."""


class CompiledRules(Protocol):
    """What the engine's compiled form of a ruleset offers through `RuleSet.compiled`."""

    def outcome(self, profile: Profile, rule_id: str) -> RuleOutcomeView:
        """Evaluate one rule (whatever its status) against a profile."""


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
    _compiled: list[CompiledRules] = field(factory=list, repr=False, alias="_compiled")

    def __reduce__(self) -> tuple[type[RuleSet], tuple[object, ...]]:
        # the compiled form is closures (unpicklable) and cheap to rebuild: a pickled
        # ruleset carries the rules and knowledge only, and compiles again on first use
        # in the process that loads it (a spawn pool, a Spark or Dask worker)
        fields = (self.name, self.version, self.sha256, self.rules, self.knowledge)
        return (type(self), (*fields, self.sources))

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id; raises `KeyError` if there is none."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def compiled(self) -> CompiledRules:
        """The rules compiled to predicates by the engine (built once, on first use)."""
        if not self._compiled:
            self._compiled.append(_ports.call("compile", self))
        return self._compiled[0]
