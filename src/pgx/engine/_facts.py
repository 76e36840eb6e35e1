"""The facts of one profile, normalized once per evaluation, and the leaf memo."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, TypeAlias

from attrs import evolve

from pgx.engine._phenotype import call_phenotype
from pgx.model import condition as rs
from pgx.model._words import describe_leaf, did_you_mean, leaf_path
from pgx.model.knowledge import Knowledge
from pgx.model.logic import Truth
from pgx.model.profile import GeneResult, Profile, SomaticVariant
from pgx.model.report import GenePhenotype, TraceEntry

__all__ = [
    "CompiledIndex",
    "Facts",
    "LeafMeta",
    "Observed",
    "bounds",
    "canonical_symbols",
    "germline_result",
]

Observed: TypeAlias = tuple[Truth, str]


class LeafMeta:
    """A distinct leaf with what is fixed at compile time: predicate, path, words."""

    __slots__ = ("description", "fn", "leaf", "path")

    def __init__(self, leaf: rs.Leaf, fn: Callable[[Facts, object], Observed]) -> None:
        self.leaf = leaf
        self.fn = fn
        self.path = leaf_path(leaf)
        self.description = describe_leaf(leaf)


class CompiledIndex(Protocol):
    """What evaluation reads from the compiled ruleset (`CompiledRuleSet` is one)."""

    leaf_meta: list[LeafMeta]
    index_of_object: dict[int, int]
    rule_leaves: dict[str, tuple[int, ...]]
    single_leaf: frozenset[str]
    rsid_letters: dict[str, frozenset[str]]
    gene_by_upper: dict[str, str]
    drug_classes: dict[str, frozenset[str]]


class Facts:
    """A profile normalized once for evaluation, with a per-evaluation leaf memo."""

    def __init__(
        self,
        profile: Profile,
        knowledge: Knowledge,
        cache: dict[object, object],
        compiled: CompiledIndex,
    ) -> None:
        self.knowledge = knowledge
        self.compiled = compiled
        self.warnings: set[str] = set()
        profile = canonical_symbols(profile, knowledge, compiled.gene_by_upper, self.warnings)
        self.profile = profile
        self.values: list[Observed | None] = [None] * len(compiled.leaf_meta)
        self.entries: dict[int, TraceEntry] = {}
        self.phenotypes: dict[str, GenePhenotype] = {}
        for gene, result in profile.germline.items():
            key: tuple[str, GeneResult] | None = (gene, result)
            try:
                cached = cache.get(key)
            except TypeError:  # unhashable (dict-valued) result: compute without caching
                cached, key = None, None
            if not isinstance(cached, GenePhenotype):
                cached = call_phenotype(gene, result, knowledge)
                if key is not None:
                    cache[key] = cached
            self.phenotypes[gene] = cached
            if result.call is not None:  # input problems for this gene (VCF, outside calls)
                self.warnings.update(result.call.warnings)
                if result.call.unphased_positions and cached.status == "indeterminate":
                    # the arrangement of unphased variants decides the phenotype: say so
                    # where every reader looks, not only in the gene's row
                    self.warnings.add(f"{gene} phenotype undecided: {cached.reason}")
            if gene not in knowledge.genes:
                hint = did_you_mean(gene, knowledge.genes)
                self.warnings.add(f"germline gene '{gene}' is not in pgx's gene table{hint}")
        self.warnings.update(profile.warnings)  # input problems load_profile found
        tumor = profile.tumor
        self.somatic: dict[str, list[SomaticVariant]] | None = None
        if tumor is not None and tumor.variants is not None:
            self.somatic = {}
            for variant in tumor.variants:
                self.somatic.setdefault(variant.gene, []).append(variant)
        clinical = profile.clinical
        if clinical is not None:
            names = list(clinical.medications or ()) + [t.drug for t in clinical.therapies or ()]
            for name in names:
                if name.strip().lower() not in knowledge.drugs:
                    # a near miss is most likely a typo; otherwise a brand name or salt
                    hint = did_you_mean(name.strip(), knowledge.drugs) or (
                        " (a brand name or salt?)"
                    )
                    self.warnings.add(
                        f"drug '{name}' is not in pgx's drug table{hint}: rules about drugs "
                        "and drug classes treat it as possibly any of them"
                    )

    def leaf(self, index: int) -> Truth:
        """The truth of leaf ``index``, computed once per evaluation."""
        found = self.values[index]
        if found is None:
            meta = self.compiled.leaf_meta[index]
            found = meta.fn(self, meta.leaf)
            self.values[index] = found
        return found[0]

    def observed(self, leaf: object) -> Observed:
        """What was observed for a leaf object of a compiled rule (evaluated first)."""
        index = self.compiled.index_of_object[id(leaf)]
        self.leaf(index)
        found = self.values[index]
        assert found is not None
        return found

    def entry(self, index: int) -> TraceEntry:
        """The trace entry of leaf ``index`` (shared by every rule naming it)."""
        found = self.entries.get(index)
        if found is None:
            meta = self.compiled.leaf_meta[index]
            truth, seen = self.values[index] or (Truth.UNKNOWN, "not evaluated")
            found = TraceEntry(meta.path, seen, meta.description, truth.value)
            self.entries[index] = found
        return found


def canonical_symbols(
    profile: Profile, knowledge: Knowledge, upper: Mapping[str, str], warnings: set[str]
) -> Profile:
    """The profile with gene symbols that differ from pgx's only by case read as pgx's.

    Matching is by exact symbol, so ``kras`` would otherwise be a gene pgx knows nothing
    about, and a KRAS G12D tumor would read as RAS wild type. The engine reads every profile
    through this; a caller that splits profiles into parts (the cohort engine) does too, so
    both see the same genes.

    Args:
        profile: The loaded profile.
        knowledge: The ruleset's knowledge (its gene table).
        upper: Every known symbol by its upper-case form (``{"KRAS": "KRAS", ...}``).
        warnings: Receives one warning per symbol read as another.

    Returns:
        ``profile`` itself when no symbol needed reading, else a copy with pgx's symbols.
    """
    renamed: dict[str, str] = {}

    def fix(symbol: str) -> str:
        clean = symbol.strip()
        if clean in knowledge.genes:
            return clean
        known = upper.get(clean.upper())
        if known is None:
            return symbol
        renamed[symbol] = known
        return known

    germline = {fix(g): r for g, r in profile.germline.items()}
    tumor = profile.tumor
    if tumor is not None:
        tumor = evolve(
            tumor,
            variants=None
            if tumor.variants is None
            else tuple(evolve(v, gene=fix(v.gene)) for v in tumor.variants),
            copy_number=None
            if tumor.copy_number is None
            else tuple(evolve(c, gene=fix(c.gene)) for c in tumor.copy_number),
            fusions=None
            if tumor.fusions is None
            else tuple(
                evolve(f, gene=fix(f.gene), partner=None if f.partner is None else fix(f.partner))
                for f in tumor.fusions
            ),
            expression=None
            if tumor.expression is None
            else {fix(g): e for g, e in tumor.expression.items()},
            sequenced_genes=None
            if tumor.sequenced_genes is None
            else tuple(fix(g) for g in tumor.sequenced_genes),
        )
    if not renamed:
        return profile
    for given, known in sorted(renamed.items()):
        warnings.add(f"gene symbol '{given}' read as {known}")
    return evolve(profile, germline=germline, tumor=tumor)


def bounds(value: float, low: float | None, high: float | None) -> bool:
    """Whether ``value`` lies within the inclusive bounds (``None``: unbounded)."""
    return (low is None or value >= low) and (high is None or value <= high)


def germline_result(facts: Facts, gene: str) -> GeneResult | None:
    """The profile's result for ``gene``, if it gives one."""
    return facts.profile.germline.get(gene)
