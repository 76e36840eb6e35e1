"""One predicate per tumor leaf kind: somatic, copy number, fusion, expression, biomarker, type."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pgx.engine._facts import Facts, Observed, bounds
from pgx.model import ruleset as rs
from pgx.model._somatic import normalize_protein, parse_protein
from pgx.model.knowledge import Knowledge
from pgx.model.logic import Truth, all_of, any_of
from pgx.model.profile import Expression, SomaticVariant

__all__ = ["TUMOR", "expression_level"]

_LEVELS = {"absent": 0, "low": 1, "normal": 2, "high": 3}
_RAW_ASSAYS = ("ihc", "h_score", "z_score", "fold_change", "tpm")


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


def _somatic(facts: Facts, leaf: rs.SomaticLeaf) -> Observed:
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


def _copy_number(facts: Facts, leaf: rs.CopyNumberLeaf) -> Observed:
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


def _fusion(facts: Facts, leaf: rs.FusionLeaf) -> Observed:
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


def _expression(facts: Facts, leaf: rs.ExpressionLeaf) -> Observed:
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


def _biomarker(facts: Facts, leaf: rs.BiomarkerLeaf) -> Observed:
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
    return Truth.of(bounds(value, leaf.at_least, leaf.at_most)), f"{leaf.name} {value:g}"


def _cancer_type(facts: Facts, leaf: rs.CancerTypeLeaf) -> Observed:
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


TUMOR: Mapping[type[object], Callable[[Facts, object], Observed]] = {
    rs.SomaticLeaf: _somatic,  # type: ignore[dict-item]
    rs.CopyNumberLeaf: _copy_number,  # type: ignore[dict-item]
    rs.FusionLeaf: _fusion,  # type: ignore[dict-item]
    rs.ExpressionLeaf: _expression,  # type: ignore[dict-item]
    rs.BiomarkerLeaf: _biomarker,  # type: ignore[dict-item]
    rs.CancerTypeLeaf: _cancer_type,  # type: ignore[dict-item]
}
