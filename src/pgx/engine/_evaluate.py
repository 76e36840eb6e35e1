"""Compiling rules to three-valued predicates, and evaluating them against a profile.

Rules are compiled once per `RuleSet` into closures; no rule text is ever ``eval``-ed. During
one evaluation each distinct leaf is computed once and shared by every rule that names it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeAlias

from attrs import evolve

from pgx import ruleset as rs
from pgx._somatic import normalize_protein, parse_protein
from pgx.errors import InputError, Problem
from pgx.knowledge import Knowledge
from pgx.logic import Truth, all_of, any_of, not_
from pgx.phenotype import allele_names, call_phenotype, parse_diplotype
from pgx.profile import Expression, GeneResult, Profile, SomaticVariant
from pgx.report import (
    Conflict,
    Finding,
    GenePhenotype,
    Indeterminate,
    Report,
    RulesetInfo,
    Superseded,
    TraceEntry,
    sort_findings,
)

if TYPE_CHECKING:
    from pgx.ruleset import RuleSet

__all__ = ["CompiledRuleSet", "RuleOutcome", "describe", "evaluate_profile"]

Observed: TypeAlias = tuple[Truth, str]
_LEVELS = {"absent": 0, "low": 1, "normal": 2, "high": 3}
_RAW_ASSAYS = ("ihc", "h_score", "z_score", "fold_change", "tpm")
DEFAULT_INDICATOR = {
    "avoid": "critical",
    "use_alternative": "warning",
    "reduce_dose": "warning",
    "increase_dose": "warning",
    "caution": "warning",
    "monitor": "info",
    "consider": "info",
    "standard_dosing": "info",
    "informative": "info",
}
_AGAINST_USE = frozenset({"avoid", "use_alternative"})
_FOR_USE = frozenset({"standard_dosing", "increase_dose", "reduce_dose", "consider"})
_DOSE = frozenset({"standard_dosing", "reduce_dose", "increase_dose"})


def _contradict(a: str, b: str) -> bool:
    if (a in _AGAINST_USE and b in _FOR_USE) or (b in _AGAINST_USE and a in _FOR_USE):
        return True
    return a != b and a in _DOSE and b in _DOSE


# ------------------------------------------------------------------ facts of one profile
class _Facts:
    """A profile normalized once for evaluation, with a per-evaluation leaf memo."""

    def __init__(
        self,
        profile: Profile,
        knowledge: Knowledge,
        cache: dict[object, object],
        compiled: CompiledRuleSet,
    ) -> None:
        self.knowledge = knowledge
        self.compiled = compiled
        self.warnings: set[str] = set()
        profile = _canonical_symbols(profile, knowledge, compiled.gene_by_upper, self.warnings)
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
            if gene not in knowledge.genes:
                self.warnings.add(f"germline gene '{gene}' is not in pgx's gene table")
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
                    self.warnings.add(
                        f"drug '{name}' is not in pgx's drug table (a brand name or salt?): "
                        "rules about drugs and drug classes treat it as possibly any of them"
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


def _canonical_symbols(
    profile: Profile, knowledge: Knowledge, upper: Mapping[str, str], warnings: set[str]
) -> Profile:
    """Gene symbols that differ from pgx's only by case (``kras``) read as the real symbol.

    Matching is by exact symbol, so ``kras`` would otherwise be a gene pgx knows nothing
    about, and a KRAS G12D tumor would read as RAS wild type.
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


def _bounds(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _gene(facts: _Facts, gene: str) -> GeneResult | None:
    return facts.profile.germline.get(gene)


# ------------------------------------------------------------------ germline leaves
def _phenotype(facts: _Facts, leaf: rs.PhenotypeLeaf) -> Observed:
    called = facts.phenotypes.get(leaf.gene)
    if called is None:
        return Truth.UNKNOWN, "not tested"
    if called.phenotype is None or called.phenotype == "Indeterminate":
        return Truth.UNKNOWN, f"no phenotype: {called.reason or called.status}"
    seen = called.phenotype + (f" (from {called.diplotype})" if called.diplotype else "")
    return Truth.of(called.phenotype in leaf.in_), seen


def _diplotype_key(text: str) -> tuple[str, ...]:
    return tuple(sorted(part.strip() for part in text.split("/")))


def _diplotype(facts: _Facts, leaf: rs.DiplotypeLeaf) -> Observed:
    result = _gene(facts, leaf.gene)
    if result is None or result.diplotype is None:
        return Truth.UNKNOWN, "no diplotype"
    if (
        _diplotype_key(result.diplotype) == _diplotype_key("./.")
        or parse_diplotype(result.diplotype) is None
    ):
        # "no call" and the like: not a diplotype, so neither equal nor unequal to one
        return Truth.UNKNOWN, f"{result.diplotype} (no call)"
    wanted = {_diplotype_key(d) for d in leaf.in_}
    return Truth.of(_diplotype_key(result.diplotype) in wanted), result.diplotype


def _strip_gene(allele: str, gene: str) -> str:
    """``HLA-B*57:01`` and ``B*57:01`` are ``*57:01`` of gene HLA-B."""
    for prefix in (gene, gene.removeprefix("HLA-")):
        if allele.startswith(prefix + "*"):
            return allele[len(prefix) :]
    return allele


def _allele(facts: _Facts, leaf: rs.AlleleLeaf) -> Observed:
    result = _gene(facts, leaf.gene)
    if result is None:
        return Truth.UNKNOWN, "not tested"
    want = _strip_gene(leaf.carries, leaf.gene)
    if result.alleles is not None:
        typed: tuple[str, ...] | None = tuple(_strip_gene(a, leaf.gene) for a in result.alleles)
    elif result.diplotype is not None:
        typed = allele_names(result.diplotype)
    elif result.call is not None and len(result.call.candidates) > 1:
        # an ambiguous VCF call: a carrier only if every candidate diplotype carries it
        truths = [_carries(allele_names(d) or (), want) for d in result.call.candidates]
        if result.call.truncated:
            truths.append(Truth.UNKNOWN)
        shown = " or ".join(result.call.candidates)
        if all(t is Truth.TRUE for t in truths):
            return Truth.TRUE, shown
        if all(t is Truth.FALSE for t in truths):
            return Truth.FALSE, shown
        return Truth.UNKNOWN, shown
    else:
        typed = None
    if typed is not None:
        truth, seen = _carries(typed, want), "/".join(typed)
        if result.carriers:
            reported, said = _carrier_status(result.carriers, leaf.gene, want)
            if Truth.UNKNOWN not in (truth, reported) and truth is not reported:
                # typed alleles and a positive/negative report disagree: pgx cannot know
                # which is right, so the allele is undecided (as for a phenotype conflict)
                facts.warnings.add(
                    f"{leaf.gene}: typed alleles {seen} disagree with the report '{said}'"
                )
                return Truth.UNKNOWN, f"{seen}; {said} (conflict)"
        return truth, seen
    if result.carriers:
        return _carrier_status(result.carriers, leaf.gene, want)
    return Truth.UNKNOWN, "no alleles typed"


def _carries(typed: tuple[str, ...], want: str) -> Truth:
    ambiguous = False
    for allele in typed:
        if allele == want or allele.startswith(want + ":"):
            return Truth.TRUE
        if want.startswith(allele + ":"):
            ambiguous = True  # typed at lower resolution than the rule asks
    return Truth.UNKNOWN if ambiguous else Truth.FALSE


def _carrier_status(carriers: Mapping[str, bool], gene: str, want: str) -> Observed:
    """Carriage reported as "*57:01 positive/negative" without the alleles typed."""
    truths = []
    for raw, carried in sorted(carriers.items()):
        allele = _strip_gene(raw, gene)
        seen = f"{allele} {'positive' if carried else 'negative'}"
        if allele == want:
            return Truth.of(carried), seen
        if carried and allele.startswith(want + ":"):
            return Truth.TRUE, seen  # positive for a higher-resolution *57:01:01
        if not carried and want.startswith(allele + ":"):
            return Truth.FALSE, seen  # negative for the whole *57 group
        truths.append(seen)
    # carriage of other alleles says nothing about this one
    return Truth.UNKNOWN, ", ".join(truths) + f" (nothing reported about {want})"


def _activity(facts: _Facts, leaf: rs.ActivityScoreLeaf) -> Observed:
    called = facts.phenotypes.get(leaf.gene)
    if called is None:
        return Truth.UNKNOWN, "not tested"
    if called.activity_score is None:
        span = _phenotype_span(facts.knowledge, leaf.gene, called.phenotype)
        if span is None:
            return Truth.UNKNOWN, f"no activity score: {called.reason or called.status}"
        # a reported phenotype pins the score to its range: decide the leaf when the whole
        # range lies inside the bounds (TRUE) or outside them (FALSE)
        low, high = span
        inside = _bounds(low, leaf.at_least, leaf.at_most) and _bounds(
            high, leaf.at_least, leaf.at_most
        )
        outside = (leaf.at_least is not None and high < leaf.at_least) or (
            leaf.at_most is not None and low > leaf.at_most
        )
        seen = f"{called.phenotype} (activity score {low:g} to {high:g})"
        if inside:
            return Truth.TRUE, seen
        return (Truth.FALSE if outside else Truth.UNKNOWN), seen
    score = called.activity_score
    return Truth.of(_bounds(score, leaf.at_least, leaf.at_most)), f"activity score {score:g}"


def _phenotype_span(
    knowledge: Knowledge, gene: str, phenotype: str | None
) -> tuple[float, float] | None:
    """The activity-score range of a phenotype in the gene's table, if bounded."""
    table = knowledge.gene_phenotypes.get(gene)
    if table is None or table.method != "activity_score" or phenotype is None:
        return None
    rows = [r for r in table.phenotypes if r.phenotype == phenotype and r.functions is None]
    if len(rows) != 1 or rows[0].at_least is None:
        return None
    high = rows[0].at_most if rows[0].at_most is not None else float("inf")
    return rows[0].at_least, high


def _genotype_key(text: str) -> tuple[str, ...] | None:
    parts = text.replace("|", "/").split("/")
    if len(parts) != 2 or any(p.strip() in ("", ".") for p in parts):
        return None
    return tuple(sorted(p.strip().upper() for p in parts))


def _variant(facts: _Facts, leaf: rs.VariantLeaf) -> Observed:
    result = _gene(facts, leaf.gene)
    if result is None or result.variants is None or leaf.rsid not in result.variants:
        return Truth.UNKNOWN, f"{leaf.rsid} not genotyped"
    seen = result.variants[leaf.rsid]
    key = _genotype_key(seen)
    if key is None:
        return Truth.UNKNOWN, f"{leaf.rsid} {seen} (no call)"
    letters = facts.compiled.rsid_letters.get(leaf.rsid, frozenset())
    if not set(key) <= letters:
        # e.g. VKORC1 written on the gene's strand (G/A) where pgx reads the plus strand
        # (C/T): an allele pgx cannot place is unknown, never "not the risk genotype"
        expected = "/".join(sorted(letters))
        facts.warnings.add(
            f"{leaf.gene} {leaf.rsid} genotype '{seen}' uses alleles other than {expected} "
            "(GRCh38 plus strand, as pgx's rules write them): rules on it are undecided"
        )
        return Truth.UNKNOWN, f"{leaf.rsid} {seen} (expected alleles {expected})"
    wanted = {_genotype_key(g) for g in leaf.genotype}
    return Truth.of(key in wanted), f"{leaf.rsid} {seen}"


def _germline_variant(facts: _Facts, leaf: rs.GermlineVariantLeaf) -> Observed:
    result = _gene(facts, leaf.gene)
    if result is None or result.findings is None:
        return Truth.UNKNOWN, "not tested"
    hits = [f for f in result.findings if f.classification in leaf.classification]
    if hits:
        return Truth.TRUE, ", ".join(f"{f.variant} ({f.classification})" for f in hits)
    shown = ", ".join(f"{f.variant} ({f.classification})" for f in result.findings)
    return Truth.FALSE, shown or "tested, no variants reported"


# ------------------------------------------------------------------ tumor leaves
def _classes_of(knowledge: Knowledge, gene: str, variant: SomaticVariant) -> set[str] | None:
    """Classes a variant belongs to; ``None`` if the tables cannot decide."""
    if variant.protein is None:
        return None
    parsed = parse_protein(variant.protein)
    if parsed is None:
        return None
    ref, pos, kind = parsed
    if kind == "other":
        return set()  # synonymous: no functional class
    protein = normalize_protein(variant.protein)
    exon = _exon_of(knowledge, gene, variant, pos)
    found: set[str] = set()
    entries = [c for c in knowledge.somatic_classes if c.gene == gene]
    for entry in entries:
        codons = {c.upper() for c in entry.codons}
        proteins = {normalize_protein(p) for p in entry.proteins}
        if (
            f"{ref}{pos}" in codons
            or protein in proteins
            or any(et.exon == exon and et.type == kind for et in entry.exon_types)
        ):
            found.add(entry.class_)
    return found or None


def _exon_of(
    knowledge: Knowledge, gene: str, variant: SomaticVariant, position: int | None
) -> int | None:
    if variant.exon is not None:
        return variant.exon
    if position is None:
        return None
    for exon, (start, end) in knowledge.exons.get(gene, {}).items():
        if start <= position <= end:
            return int(exon)
    return None


def _somatic_match(knowledge: Knowledge, leaf: rs.SomaticLeaf, variant: SomaticVariant) -> Truth:
    parsed = parse_protein(variant.protein) if variant.protein else None
    checks: list[Truth] = []
    if leaf.protein is not None:
        if variant.protein is None:
            checks.append(Truth.UNKNOWN)
        else:
            wanted = {normalize_protein(p) for p in leaf.protein}
            checks.append(Truth.of(normalize_protein(variant.protein) in wanted))
    if leaf.codon is not None:
        if parsed is None:
            checks.append(Truth.UNKNOWN)
        else:
            checks.append(Truth.of(f"{parsed[0]}{parsed[1]}" in {c.upper() for c in leaf.codon}))
    if leaf.exon is not None:
        exon = _exon_of(knowledge, leaf.gene, variant, parsed[1] if parsed else None)
        checks.append(Truth.UNKNOWN if exon is None else Truth.of(exon == leaf.exon))
    if leaf.type is not None:
        checks.append(Truth.UNKNOWN if parsed is None else Truth.of(parsed[2] in leaf.type))
    if leaf.class_ is not None:
        classes = _classes_of(knowledge, leaf.gene, variant)
        checks.append(
            Truth.UNKNOWN if classes is None else Truth.of(bool(classes & set(leaf.class_)))
        )
    return all_of(checks)


def _somatic(facts: _Facts, leaf: rs.SomaticLeaf) -> Observed:
    tumor = facts.profile.tumor
    if facts.somatic is None or tumor is None:
        return Truth.UNKNOWN, "tumor not sequenced"
    variants = facts.somatic.get(leaf.gene, [])
    # a gene off the panel is unknown, but a variant reported in it is still a fact
    off_panel = tumor.sequenced_genes is not None and leaf.gene not in tumor.sequenced_genes
    truth = any_of(_somatic_match(facts.knowledge, leaf, v) for v in variants)
    if off_panel and truth is not Truth.TRUE:
        return Truth.UNKNOWN, f"{leaf.gene} not on the sequenced panel"
    if not variants:
        return Truth.FALSE, f"no {leaf.gene} variant found"
    shown = ", ".join(f"{leaf.gene} {v.protein or v.hgvsc or '?'}" for v in variants)
    return truth, shown


def _copy_number(facts: _Facts, leaf: rs.CopyNumberLeaf) -> Observed:
    tumor = facts.profile.tumor
    if tumor is None or tumor.copy_number is None:
        return Truth.UNKNOWN, "copy number not assessed"
    calls = [c for c in tumor.copy_number if c.gene == leaf.gene]
    if not calls and tumor.sequenced_genes is not None and leaf.gene not in tumor.sequenced_genes:
        return Truth.UNKNOWN, f"{leaf.gene} not on the sequenced panel"
    if not calls:
        return Truth.FALSE, f"no {leaf.gene} copy-number change"
    shown = ", ".join(f"{c.gene} {c.status}" for c in calls)
    return Truth.of(any(c.status in leaf.status for c in calls)), shown


def _fusion(facts: _Facts, leaf: rs.FusionLeaf) -> Observed:
    tumor = facts.profile.tumor
    if tumor is None or tumor.fusions is None:
        return Truth.UNKNOWN, "fusions not assessed"
    hits = []
    for fusion in tumor.fusions:
        genes = {fusion.gene, fusion.partner}
        if leaf.gene in genes:
            other = fusion.partner if fusion.gene == leaf.gene else fusion.gene
            hits.append((fusion, other))
    if not hits and tumor.sequenced_genes is not None and leaf.gene not in tumor.sequenced_genes:
        return Truth.UNKNOWN, f"{leaf.gene} not on the sequenced panel"
    if not hits:
        return Truth.FALSE, f"no {leaf.gene} fusion"
    shown = ", ".join(f"{f.gene}::{f.partner or '?'}" for f, _ in hits)
    if leaf.partner is None:
        return Truth.TRUE, shown
    truths = [
        Truth.UNKNOWN if other is None else Truth.of(other in leaf.partner) for _, other in hits
    ]
    return any_of(truths), shown


def expression_level(
    knowledge: Knowledge, gene: str, expression: Expression
) -> tuple[str | None, str, list[str]]:
    """The ordinal level of one gene's expression, what was read, and any warnings."""
    levels: dict[str, str] = {}
    warnings: list[str] = []
    seen: list[str] = []
    if expression.level is not None:
        levels["level"] = expression.level
        seen.append(f"level {expression.level}")
    for assay in _RAW_ASSAYS:
        raw = getattr(expression, assay)
        if raw is None:
            continue
        seen.append(f"{assay} {raw}")
        cut = knowledge.cutpoints.get((gene, assay))
        if cut is None:
            warnings.append(f"no {assay} cut-point for {gene}: its expression level is unknown")
            continue
        if cut.categories is not None:
            key = str(raw).strip()
            level = cut.categories.get(key)
            if level is None:
                warnings.append(f"{gene} {assay} value '{raw}' is not a category of the cut-point")
                continue
        else:
            level = None
            for cut_bin in cut.bins or ():
                if cut_bin.below is None or float(raw) < cut_bin.below:
                    level = cut_bin.level
                    break
            if level is None:
                continue
        levels[assay] = level
    distinct = set(levels.values())
    shown = "; ".join(seen) or "no measurement"
    if len(distinct) > 1:
        warnings.append(f"{gene} expression measurements disagree ({shown}): level unknown")
        return None, shown, warnings
    if not distinct:
        return None, shown, warnings
    (called,) = distinct
    if called == "equivocal":
        return None, f"{shown} (equivocal)", warnings
    return called, shown, warnings


def _expression(facts: _Facts, leaf: rs.ExpressionLeaf) -> Observed:
    tumor = facts.profile.tumor
    if tumor is None or tumor.expression is None or leaf.gene not in tumor.expression:
        return Truth.UNKNOWN, "not measured"
    level, shown, warnings = expression_level(
        facts.knowledge, leaf.gene, tumor.expression[leaf.gene]
    )
    facts.warnings.update(warnings)
    if level is None:
        return Truth.UNKNOWN, shown
    rank = _LEVELS[level]
    if leaf.at_least is not None:
        ok = rank >= _LEVELS[leaf.at_least]
    elif leaf.at_most is not None:
        ok = rank <= _LEVELS[leaf.at_most]
    else:
        ok = level in (leaf.in_ or ())
    return Truth.of(ok), f"{shown} → {level}"


def _biomarker(facts: _Facts, leaf: rs.BiomarkerLeaf) -> Observed:
    tumor = facts.profile.tumor
    if tumor is None or tumor.biomarkers is None or leaf.name not in tumor.biomarkers:
        return Truth.UNKNOWN, "not measured"
    value = tumor.biomarkers[leaf.name]
    if leaf.in_ is not None:
        known = facts.knowledge.biomarkers[leaf.name].values or ()
        seen = str(value).strip().casefold()
        if seen not in {v.casefold() for v in known}:
            # 'pos', 'unknown', '' are not results pgx can read: undecided, never 'negative'
            facts.warnings.add(
                f"biomarker {leaf.name} value '{value}' is not one of {', '.join(known)}"
            )
            return Truth.UNKNOWN, f"{leaf.name} {value} (not a known value)"
        wanted = {v.casefold() for v in leaf.in_}
        return Truth.of(seen in wanted), f"{leaf.name} {value}"
    if isinstance(value, str):
        return Truth.UNKNOWN, f"{leaf.name} {value} (not a number)"
    return Truth.of(_bounds(value, leaf.at_least, leaf.at_most)), f"{leaf.name} {value:g}"


def _cancer_type(facts: _Facts, leaf: rs.CancerTypeLeaf) -> Observed:
    tumor = facts.profile.tumor
    if tumor is None or tumor.cancer_type is None:
        return Truth.UNKNOWN, "cancer type not given"
    code = tumor.cancer_type.code
    lineage = facts.knowledge.cancer_lineage(code)
    if lineage is None:
        facts.warnings.add(f"cancer type '{code}' is not in pgx's OncoTree table")
        return Truth.UNKNOWN, f"{code} (unknown code)"
    if any(c in lineage for c in leaf.in_):
        return Truth.TRUE, code
    # a code coarser than the rule's (BREAST for a rule on BRCA) may still be one of them
    for wanted in leaf.in_:
        if code in (facts.knowledge.cancer_lineage(wanted) or ()):
            return Truth.UNKNOWN, f"{code} (less specific than {wanted})"
    return Truth.FALSE, code


# ------------------------------------------------------------------ clinical leaves
def _diagnosis(facts: _Facts, leaf: rs.DiagnosisLeaf) -> Observed:
    clinical = facts.profile.clinical
    if clinical is None or clinical.diagnoses is None:
        return Truth.UNKNOWN, "diagnoses not given"
    codes = [d.code.strip() for d in clinical.diagnoses if d.system == leaf.system]
    hit = any(c.upper().startswith(w.upper()) for c in codes for w in leaf.code)
    if hit:
        return Truth.TRUE, ", ".join(codes)
    others = [f"{d.code} ({d.system})" for d in clinical.diagnoses if d.system != leaf.system]
    if others:
        # a diagnosis coded in another system may be the one asked about
        facts.warnings.add(
            f"diagnoses coded in another system than {leaf.system} ({', '.join(others)}) "
            "cannot be matched: rules on them are undecided"
        )
        return Truth.UNKNOWN, ", ".join(codes + others)
    return Truth.FALSE, ", ".join(codes) or f"no {leaf.system} diagnoses"


def _drug_matches(
    knowledge: Knowledge, name: str, drugs: tuple[str, ...] | None, classes: tuple[str, ...] | None
) -> Truth:
    key = name.strip().lower()
    if drugs is not None and key in drugs:
        return Truth.TRUE
    if key not in knowledge.drugs:
        # a brand name or salt pgx does not know may be exactly the drug or class asked about
        return Truth.UNKNOWN
    if drugs is not None:
        return Truth.FALSE
    return Truth.of(bool(knowledge.classes_of(key) & set(classes or ())))


def _medication(facts: _Facts, leaf: rs.MedicationLeaf) -> Observed:
    clinical = facts.profile.clinical
    if clinical is None or clinical.medications is None:
        return Truth.UNKNOWN, "medications not given"
    meds = clinical.medications
    truth = any_of(_drug_matches(facts.knowledge, m, leaf.drug, leaf.class_) for m in meds)
    return truth, ", ".join(meds) or "no current medications"


def _therapy(facts: _Facts, leaf: rs.TherapyLeaf) -> Observed:
    clinical = facts.profile.clinical
    if clinical is None or clinical.therapies is None:
        return Truth.UNKNOWN, "prior therapies not given"
    truths = []
    for therapy in clinical.therapies:
        drug_truth = _drug_matches(facts.knowledge, therapy.drug, leaf.drug, leaf.class_)
        if leaf.outcome is None:
            truths.append(drug_truth)
        elif therapy.outcome is None:
            truths.append(all_of([drug_truth, Truth.UNKNOWN]))
        else:
            truths.append(all_of([drug_truth, Truth.of(therapy.outcome in leaf.outcome)]))
    shown = ", ".join(f"{t.drug} ({t.outcome or 'outcome unknown'})" for t in clinical.therapies)
    return any_of(truths), shown or "no prior therapies"


def _lab(facts: _Facts, leaf: rs.LabLeaf) -> Observed:
    clinical = facts.profile.clinical
    if clinical is None or clinical.labs is None or leaf.name not in clinical.labs:
        return Truth.UNKNOWN, "not measured"
    lab = clinical.labs[leaf.name]
    entry = facts.knowledge.labs[leaf.name]
    if lab.unit not in entry.units:
        facts.warnings.add(f"lab {leaf.name} unit '{lab.unit}' is not one pgx can convert")
        return Truth.UNKNOWN, f"{lab.value:g} {lab.unit} (unknown unit)"
    # compare in the canonical unit: conversions may be affine (HbA1c mmol/mol -> %)
    value = entry.to_canonical(lab.value, lab.unit)
    low = None if leaf.at_least is None else entry.to_canonical(leaf.at_least, leaf.unit)
    high = None if leaf.at_most is None else entry.to_canonical(leaf.at_most, leaf.unit)
    return Truth.of(_bounds(value, low, high)), f"{lab.value:g} {lab.unit}"


_EVALUATORS: Mapping[type[object], Callable[[_Facts, object], Observed]] = {
    rs.PhenotypeLeaf: _phenotype,  # type: ignore[dict-item]
    rs.DiplotypeLeaf: _diplotype,  # type: ignore[dict-item]
    rs.AlleleLeaf: _allele,  # type: ignore[dict-item]
    rs.ActivityScoreLeaf: _activity,  # type: ignore[dict-item]
    rs.VariantLeaf: _variant,  # type: ignore[dict-item]
    rs.GermlineVariantLeaf: _germline_variant,  # type: ignore[dict-item]
    rs.SomaticLeaf: _somatic,  # type: ignore[dict-item]
    rs.CopyNumberLeaf: _copy_number,  # type: ignore[dict-item]
    rs.FusionLeaf: _fusion,  # type: ignore[dict-item]
    rs.ExpressionLeaf: _expression,  # type: ignore[dict-item]
    rs.BiomarkerLeaf: _biomarker,  # type: ignore[dict-item]
    rs.CancerTypeLeaf: _cancer_type,  # type: ignore[dict-item]
    rs.DiagnosisLeaf: _diagnosis,  # type: ignore[dict-item]
    rs.MedicationLeaf: _medication,  # type: ignore[dict-item]
    rs.TherapyLeaf: _therapy,  # type: ignore[dict-item]
    rs.LabLeaf: _lab,  # type: ignore[dict-item]
}


# ------------------------------------------------------------------ words and paths
def _one_of(values: Iterable[str]) -> str:
    items = list(values)
    return items[0] if len(items) == 1 else "one of " + ", ".join(items)


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def describe(cond: rs.Condition) -> str:
    """A condition in words, e.g. ``CYP2C19 phenotype is Poor Metabolizer``."""
    if isinstance(cond, rs.AllOf):
        return "(" + " and ".join(describe(p) for p in cond.parts) + ")"
    if isinstance(cond, rs.AnyOf):
        return "(" + " or ".join(describe(p) for p in cond.parts) + ")"
    if isinstance(cond, rs.Not):
        return f"not {describe(cond.part)}"
    return _describe_leaf(cond)


def _describe_leaf(leaf: rs.Leaf) -> str:
    match leaf:
        case rs.PhenotypeLeaf(gene, in_):
            return f"{gene} phenotype is {_one_of(in_)}"
        case rs.DiplotypeLeaf(gene, in_):
            return f"{gene} diplotype is {_one_of(in_)}"
        case rs.AlleleLeaf(gene, carries):
            return f"carries {gene}{carries}"
        case rs.ActivityScoreLeaf(gene, low, high):
            return f"{gene} activity score is {_range(low, high)}"
        case rs.VariantLeaf(gene, rsid, genotype):
            return f"{gene} {rsid} genotype is {_one_of(genotype)}"
        case rs.GermlineVariantLeaf(gene, classification):
            return f"a germline {gene} variant classified {' or '.join(classification)}"
        case rs.SomaticLeaf():
            return _describe_somatic(leaf)
        case rs.CopyNumberLeaf(gene, status):
            return f"{gene} {_one_of(status)}"
        case rs.FusionLeaf(gene, partner):
            return f"{gene} fusion" + (f" with {_one_of(partner)}" if partner else "")
        case rs.ExpressionLeaf(gene, at_least, at_most, in_):
            if at_least is not None:
                return f"{gene} expression is at least {at_least}"
            if at_most is not None:
                return f"{gene} expression is at most {at_most}"
            return f"{gene} expression is {_one_of(in_ or ())}"
        case rs.BiomarkerLeaf(name, in_, low, high):
            return f"{name} is {_one_of(in_) if in_ else _range(low, high)}"
        case rs.CancerTypeLeaf(in_):
            return f"cancer type is {_one_of(in_)} (OncoTree, or a subtype)"
        case rs.DiagnosisLeaf(code, system):
            return f"diagnosis {_one_of(code)} ({system})"
        case rs.MedicationLeaf(drug, class_):
            return f"currently takes {_drugs_words(drug, class_)}"
        case rs.TherapyLeaf(drug, class_, outcome):
            return f"prior therapy with {_drugs_words(drug, class_)}" + (
                f" ending in {' or '.join(outcome)}" if outcome else ""
            )
        case rs.LabLeaf(name, unit, low, high):
            return f"{name} is {_range(low, high)} {unit}"
    raise TypeError(leaf)  # pragma: no cover - every leaf kind is matched above


def _drugs_words(drugs: tuple[str, ...] | None, classes: tuple[str, ...] | None) -> str:
    if drugs:
        return " or ".join(drugs)
    return "a drug of class " + " or ".join(classes or ())


def _describe_somatic(leaf: rs.SomaticLeaf) -> str:
    bits = []
    if leaf.class_:
        bits.append(f"{_one_of(leaf.class_)}")
    if leaf.type:
        bits.append(_one_of(leaf.type))
    text = f"{leaf.gene} {' '.join(bits)} somatic variant".replace("  ", " ")
    if leaf.protein:
        text += f" {_one_of(leaf.protein)}"
    if leaf.codon:
        text += f" at codon {_one_of(leaf.codon)}"
    if leaf.exon is not None:
        text += f" in exon {leaf.exon}"
    return text


def leaf_path(leaf: rs.Leaf) -> str:
    """The profile path a leaf reads."""
    match leaf:
        case (
            rs.PhenotypeLeaf()
            | rs.DiplotypeLeaf()
            | rs.AlleleLeaf()
            | rs.ActivityScoreLeaf()
            | rs.GermlineVariantLeaf()
        ):
            return f"germline.{leaf.gene}"
        case rs.VariantLeaf(gene, rsid):
            return f"germline.{gene}.variants.{rsid}"
        case rs.SomaticLeaf():
            return "tumor.variants"
        case rs.CopyNumberLeaf():
            return "tumor.copy_number"
        case rs.FusionLeaf():
            return "tumor.fusions"
        case rs.ExpressionLeaf(gene):
            return f"tumor.expression.{gene}"
        case rs.BiomarkerLeaf(name):
            return f"tumor.biomarkers.{name}"
        case rs.CancerTypeLeaf():
            return "tumor.cancer_type"
        case rs.DiagnosisLeaf():
            return "clinical.diagnoses"
        case rs.MedicationLeaf():
            return "clinical.medications"
        case rs.TherapyLeaf():
            return "clinical.therapies"
        case rs.LabLeaf(name):
            return f"clinical.labs.{name}"
    raise TypeError(leaf)  # pragma: no cover - every leaf kind is matched above


def leaves_of(cond: rs.Condition) -> list[rs.Leaf]:
    """Distinct leaves of a condition, in reading order."""
    out: list[rs.Leaf] = []

    def walk(c: rs.Condition) -> None:
        if isinstance(c, rs.AllOf | rs.AnyOf):
            for part in c.parts:
                walk(part)
        elif isinstance(c, rs.Not):
            walk(c.part)
        elif c not in out:
            out.append(c)

    walk(cond)
    return out


def _undecided(cond: rs.Condition, facts: _Facts) -> tuple[Truth, str | None, list[str]]:
    """Truth, undecided remainder in words, and the paths that would decide it, in one pass.

    Only UNKNOWN parts contribute: a FALSE part of an ``any`` or a TRUE part of an ``all``
    is decided and says nothing about what is missing.
    """
    if isinstance(cond, rs.AllOf | rs.AnyOf):
        results = [_undecided(p, facts) for p in cond.parts]
        truths = [t for t, _, _ in results]
        truth = all_of(truths) if isinstance(cond, rs.AllOf) else any_of(truths)
        open_parts = [(r, m) for t, r, m in results if t is Truth.UNKNOWN]
        words = [r for r, _ in open_parts if r is not None]
        missing = [path for _, m in open_parts for path in m]
        if not words:
            return truth, None, missing
        joiner = " and " if isinstance(cond, rs.AllOf) else " or "
        return truth, (words[0] if len(words) == 1 else "(" + joiner.join(words) + ")"), missing
    if isinstance(cond, rs.Not):
        truth, inner, missing = _undecided(cond.part, facts)
        return not_(truth), (None if inner is None else f"not {inner}"), missing
    index = facts.compiled.index_of_object[id(cond)]
    truth = facts.observed(cond)[0]
    if truth is not Truth.UNKNOWN:
        return truth, None, []
    meta = facts.compiled.leaf_meta[index]
    return truth, meta.description, [meta.path]


# ------------------------------------------------------------------ compilation
Predicate: TypeAlias = Callable[[_Facts], Truth]


def _has_not(cond: rs.Condition) -> bool:
    if isinstance(cond, rs.Not):
        return True
    if isinstance(cond, rs.AllOf | rs.AnyOf):
        return any(_has_not(p) for p in cond.parts)
    return False


class _LeafMeta:
    """A distinct leaf with what is fixed at compile time: evaluator, path, words."""

    __slots__ = ("description", "fn", "leaf", "path")

    def __init__(self, leaf: rs.Leaf) -> None:
        self.leaf = leaf
        self.fn = _EVALUATORS[type(leaf)]
        self.path = leaf_path(leaf)
        self.description = _describe_leaf(leaf)


def _compile(cond: rs.Condition, index_of: Callable[[rs.Leaf], int]) -> Predicate:
    if isinstance(cond, rs.AllOf):
        parts = tuple(_compile(p, index_of) for p in cond.parts)
        # every part is evaluated (no short circuit) so the trace is complete
        return lambda facts: all_of([p(facts) for p in parts])
    if isinstance(cond, rs.AnyOf):
        parts = tuple(_compile(p, index_of) for p in cond.parts)
        return lambda facts: any_of([p(facts) for p in parts])
    if isinstance(cond, rs.Not):
        inner = _compile(cond.part, index_of)
        return lambda facts: not_(inner(facts))
    index = index_of(cond)
    return lambda facts: facts.leaf(index)


class RuleOutcome:
    """One rule's result for one profile (used by `pgx explain` and `pgx test`)."""

    def __init__(self, rule: rs.Rule, truth: Truth, facts: _Facts) -> None:
        self.rule = rule
        self.truth = truth
        leaf_ids = facts.compiled.rule_leaves[rule.id]
        self.trace = tuple(facts.entry(i) for i in leaf_ids)
        self.missing: tuple[str, ...] = ()
        self.would_fire_if = ""
        if truth is Truth.UNKNOWN:
            if rule.id in facts.compiled.single_leaf:
                # a single leaf (possibly under all/any): it is the whole residual
                meta = facts.compiled.leaf_meta[leaf_ids[0]]
                self.missing, self.would_fire_if = (meta.path,), meta.description
            else:
                _, residual, missing = _undecided(rule.when, facts)
                self.missing = tuple(dict.fromkeys(missing))
                self.would_fire_if = residual or describe(rule.when)

    @property
    def outcome(self) -> str:
        """``fires``, ``does_not_fire`` or ``indeterminate``."""
        return {Truth.TRUE: "fires", Truth.FALSE: "does_not_fire"}.get(self.truth, "indeterminate")


class CompiledRuleSet:
    """A ruleset's rules compiled to predicates and indexed by drug."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.leaf_meta: list[_LeafMeta] = []
        self.index_of_object: dict[int, int] = {}  # id(leaf object) -> leaf index
        by_value: dict[rs.Leaf, int] = {}

        def index_of(leaf: rs.Leaf) -> int:
            index = by_value.get(leaf)
            if index is None:
                index = by_value[leaf] = len(self.leaf_meta)
                self.leaf_meta.append(_LeafMeta(leaf))
            self.index_of_object[id(leaf)] = index
            return index

        self.all_rules = tuple((rule, _compile(rule.when, index_of)) for rule in ruleset.rules)
        self.rule_leaves = {
            rule.id: tuple(dict.fromkeys(by_value[leaf] for leaf in leaves_of(rule.when)))
            for rule in ruleset.rules
        }
        # rules whose whole condition is one leaf under all/any (no not): the leaf is the
        # residual, so indeterminate reporting needs no tree walk
        self.single_leaf = frozenset(
            rule.id
            for rule in ruleset.rules
            if len(self.rule_leaves[rule.id]) == 1 and not _has_not(rule.when)
        )
        self.active = tuple((r, p) for r, p in self.all_rules if r.status == "active")
        by_drug: dict[str, list[int]] = {}
        for index, (rule, _) in enumerate(self.active):
            # only the drugs a rule is about: ordering an alternative it suggests (prasugrel)
            # must not bring up advice about another drug (clopidogrel)
            for drug in rule.drugs:
                by_drug.setdefault(drug, []).append(index)
        self.by_drug = {k: tuple(v) for k, v in by_drug.items()}
        letters: dict[str, set[str]] = {}
        for meta in self.leaf_meta:
            if isinstance(meta.leaf, rs.VariantLeaf):
                for genotype in meta.leaf.genotype:
                    letters.setdefault(meta.leaf.rsid, set()).update(_genotype_key(genotype) or ())
        for defs in ruleset.knowledge.allele_definitions.values():
            for pos_id, pos in defs.positions.items():
                if pos_id in letters:
                    letters[pos_id].update(b.upper() for b in (pos.ref, *pos.alts))
        self.rsid_letters = {k: frozenset(v) for k, v in letters.items()}
        self.gene_by_upper = {g.upper(): g for g in ruleset.knowledge.genes}
        self.phenotype_cache: dict[object, object] = {}

    def facts(self, profile: Profile) -> _Facts:
        """Normalize a profile for evaluation."""
        return _Facts(profile, self.ruleset.knowledge, self.phenotype_cache, self)

    def outcome(self, profile: Profile, rule_id: str) -> RuleOutcome:
        """Evaluate one rule (whatever its status) with its full trace."""
        for rule, predicate in self.all_rules:
            if rule.id == rule_id:
                facts = self.facts(profile)
                return RuleOutcome(rule, predicate(facts), facts)
        raise KeyError(rule_id)


def _finding(rule: rs.Rule, trace: tuple[TraceEntry, ...]) -> Finding:
    then = rule.then
    return Finding(
        rule_id=rule.id,
        rule_version=rule.version,
        action=then.action,
        indicator=then.indicator or DEFAULT_INDICATOR[then.action],  # type: ignore[arg-type]
        drugs=rule.drugs,
        summary=then.summary,
        evidence=then.evidence,
        citations=then.citations,
        because=trace,
        title=rule.title,
        regimen=then.regimen,
        detail=then.detail,
        against=then.against,
    )


def _timestamp(now: datetime | str | None) -> str:
    """ISO-8601 with an offset; a time given without one is taken as UTC."""
    if now is None:
        when = datetime.now(UTC).replace(microsecond=0)
    elif isinstance(now, datetime):
        when = now
    elif isinstance(now, str):
        try:
            when = datetime.fromisoformat(now)
        except ValueError:
            raise InputError(
                [Problem("now", f"expected an ISO-8601 date-time, found {now!r}")]
            ) from None
    else:
        raise InputError(
            [Problem("now", f"expected a datetime or an ISO-8601 string, found {now!r}")]
        )
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.isoformat()


def profile_sha256(profile: Profile) -> str:
    """SHA-256 of the profile's canonical JSON (the same for YAML and JSON input)."""
    from pgx._convert import converter  # noqa: PLC0415 - avoids an import cycle

    text = json.dumps(converter.unstructure(profile), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def evaluate_profile(
    profile: Profile,
    ruleset: RuleSet,
    *,
    drugs: Iterable[str] | None = None,
    now: datetime | str | None = None,
    version: str,
) -> Report:
    """Evaluate every active rule (or those about ``drugs``) and build the report."""
    compiled = ruleset.compiled
    generated_at = _timestamp(now)
    requested: tuple[str, ...] | None = None
    if drugs is not None:
        requested = tuple(sorted({d.strip().lower() for d in drugs}))
        unknown = [d for d in requested if d not in ruleset.knowledge.drugs]
        if unknown:
            raise InputError(
                Problem(f"drugs[{i}]", f"unknown drug '{d}' (not in the drug table)")
                for i, d in enumerate(unknown)
            )
        indices = sorted({i for d in requested for i in compiled.by_drug.get(d, ())})
        candidates = [compiled.active[i] for i in indices]
    else:
        candidates = list(compiled.active)

    facts = compiled.facts(profile)
    fired: list[tuple[rs.Rule, Truth]] = []
    undecided: list[rs.Rule] = []
    for rule, predicate in candidates:
        truth = predicate(facts)
        if truth is Truth.TRUE:
            fired.append((rule, truth))
        elif truth is Truth.UNKNOWN:
            undecided.append(rule)

    hidden = {sid: rule.id for rule, _ in fired for sid in rule.supersedes}
    findings = [
        _finding(rule, RuleOutcome(rule, truth, facts).trace)
        for rule, truth in fired
        if rule.id not in hidden
    ]
    indeterminate = []
    for rule in undecided:
        if rule.id in hidden:
            continue
        outcome = RuleOutcome(rule, Truth.UNKNOWN, facts)
        indeterminate.append(
            Indeterminate(
                rule.id,
                rule.version,
                rule.drugs,
                rule.then.summary,
                outcome.missing,
                outcome.would_fire_if,
                outcome.trace,
            )
        )
    superseded = sorted(
        (Superseded(rid, by) for rid, by in hidden.items() if rid in {r.id for r, _ in fired}
         or rid in {r.id for r in undecided}),
        key=lambda s: (s.rule_id, s.superseded_by),
    )  # fmt: skip
    return Report(
        profile_id=profile.id,
        generated_at=generated_at,
        pgx_version=version,
        ruleset=RulesetInfo(ruleset.name, ruleset.version, ruleset.sha256),
        input_sha256=profile_sha256(profile),
        phenotypes=dict(sorted(facts.phenotypes.items())),
        findings=sort_findings(findings),
        indeterminate=tuple(sorted(indeterminate, key=lambda i: i.rule_id)),
        conflicts=_conflicts(findings),
        superseded=tuple(superseded),
        warnings=tuple(sorted(facts.warnings)),
        drugs=requested,
    )


def _conflicts(findings: list[Finding]) -> tuple[Conflict, ...]:
    by_drug: dict[str, list[Finding]] = {}
    for finding in findings:
        for drug in finding.drugs:
            by_drug.setdefault(drug, []).append(finding)
    out = []
    for drug, group in sorted(by_drug.items()):
        clashing = {
            f.rule_id: f.action
            for f in group
            for g in group
            if f is not g and _contradict(f.action, g.action)
        }
        if clashing:
            ids = tuple(sorted(clashing))
            out.append(Conflict(drug, ids, tuple(clashing[i] for i in ids)))
    return tuple(out)
