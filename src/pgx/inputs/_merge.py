"""Merging a profile with VCF calls, outside calls, somatic variants and expression.

Every source may say something about the same fact. Facts that agree are merged (and the
gene's `GeneCall` notes it); facts that differ are an error naming both sources, never a
silent choice. The one override is PharmCAT's: an outside call replaces the VCF call for its
gene (a lab's CYP2D6 or HLA typing knows more than SNVs), and the report says so.

Longer than 400 lines on purpose: germline and tumor merging share the clash reporting and
the value comparison, and a reader checks that both follow the same rule in one place.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping, Sequence

import attrs
from attrs import evolve

from pgx.errors import Problem, ProfileError
from pgx.inputs._match import call_gene, window
from pgx.inputs._vcf import norm_chrom, read_vcf
from pgx.model import ruleset as rs
from pgx.model.knowledge import AlleleDefinitions
from pgx.model.profile import (
    RESULT_FIELDS,
    Expression,
    GeneCall,
    GeneResult,
    Profile,
    SomaticVariant,
    Tumor,
)

__all__ = [
    "call_vcf",
    "call_vcf_checked",
    "coverage_warning",
    "germline_genes",
    "merge_inputs",
    "not_from_vcf",
    "pgx_positions",
]

_GERMLINE_LEAVES = (
    rs.PhenotypeLeaf,
    rs.DiplotypeLeaf,
    rs.AlleleLeaf,
    rs.ActivityScoreLeaf,
    rs.VariantLeaf,
)


def _leaves(cond: rs.Condition) -> Iterator[object]:
    if isinstance(cond, rs.AllOf | rs.AnyOf):
        for part in cond.parts:
            yield from _leaves(part)
    elif isinstance(cond, rs.Not):
        yield from _leaves(cond.part)
    else:
        yield cond


def germline_genes(ruleset: rs.RuleSet) -> frozenset[str]:
    """Genes whose genotype, diplotype, alleles or phenotype some rule reads."""
    return frozenset(
        leaf.gene
        for rule in ruleset.rules
        for leaf in _leaves(rule.when)
        if isinstance(leaf, _GERMLINE_LEAVES)
    )


def pgx_positions(
    definitions: Mapping[str, AlleleDefinitions],
) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """The VCF positions to read (each defining position's window) and the defining ones."""
    wanted = {
        (norm_chrom(defs.chromosome), pos)
        for defs in definitions.values()
        for dp in defs.positions.values()
        for pos in window(dp)
    }
    defined = {
        (norm_chrom(defs.chromosome), dp.position)
        for defs in definitions.values()
        for dp in defs.positions.values()
    }
    return wanted, defined


def coverage_warning(
    defined: set[tuple[str, int]], found: Collection[tuple[str, int]], path: object
) -> str | None:
    """The warning for a VCF with a record at none of the defining positions, if it has none."""
    if defined and not any(key in defined for key in found):
        return (
            f"0 of {len(defined)} pharmacogene positions found in {path} — wrong build, "
            "wrong file, or a gVCF?"
        )
    return None


def not_from_vcf(gene: str, path: object, assume_reference: bool) -> GeneResult:
    """The entry of a gene the rules read that a VCF cannot call (no allele definitions)."""
    return GeneResult(
        call=GeneCall(
            source="vcf",
            file=str(path),
            assume_reference=assume_reference,
            notes=(
                f"{gene} is not called from a VCF (pgx has no allele definitions for it); "
                "give it as an outside call or in the profile",
            ),
        )
    )


def call_vcf(
    path: str | os.PathLike[str],
    ruleset: rs.RuleSet,
    *,
    sample: str | None = None,
    assume_reference: bool = False,
) -> tuple[str, dict[str, GeneResult]]:
    """Call every gene with allele definitions from one sample of a VCF.

    Genes the rules read that have no allele definitions (CYP2D6, HLA-A, HLA-B: copy
    number and HLA typing are beyond a VCF's SNVs) get an entry saying so, with no result.

    Returns:
        The sample's name and the gene results.
    """
    sample_name, results, _ = call_vcf_checked(
        path, ruleset, sample=sample, assume_reference=assume_reference
    )
    return sample_name, results


def call_vcf_checked(
    path: str | os.PathLike[str],
    ruleset: rs.RuleSet,
    *,
    sample: str | None = None,
    assume_reference: bool = False,
) -> tuple[str, dict[str, GeneResult], tuple[str, ...]]:
    """`call_vcf`, with the warnings that concern the whole file.

    A VCF with a record at none of the allele-defining positions (a header-only file,
    another build without build headers, an exome or panel of other genes, a gVCF without
    its reference blocks) says nothing about any gene: that is a warning, and
    ``assume_reference`` is then not applied at all.

    Returns:
        The sample's name, the gene results, and the file's warnings.
    """
    knowledge = ruleset.knowledge
    definitions = knowledge.allele_definitions
    wanted, defined = pgx_positions(definitions)
    genotypes = read_vcf(path, wanted, sample)
    warnings = list(genotypes.warnings)
    uncovered = coverage_warning(defined, genotypes.records, path)
    if uncovered is not None:
        warnings.append(uncovered)
        assume_reference = False
    out = {
        gene: call_gene(
            gene,
            defs,
            genotypes,
            knowledge.gene_phenotypes.get(gene),
            assume_reference=assume_reference,
        )
        for gene, defs in sorted(definitions.items())
    }
    for gene in sorted(germline_genes(ruleset) - set(definitions)):
        out[gene] = not_from_vcf(gene, path, assume_reference)
    return genotypes.sample, out, tuple(warnings)


def _bare(result: GeneResult) -> bool:
    """No result at all: no field and no candidate diplotypes (a gene only mentioned)."""
    if result.call is not None and result.call.candidates:
        return False
    return result.is_bare()


def _dip_key(text: str) -> tuple[str, ...]:
    return tuple(sorted(part.strip() for part in text.split("/")))


def _genotype_key(text: str) -> tuple[str, ...] | None:
    parts = text.replace("|", "/").split("/")
    if len(parts) != 2 or any(p.strip() in ("", ".") for p in parts):
        return None
    return tuple(sorted(p.strip().upper() for p in parts))


def _same(name: str, a: object, b: object) -> bool:
    if name == "diplotype" and isinstance(a, str) and isinstance(b, str):
        return _dip_key(a) == _dip_key(b)
    if name == "phenotype" and isinstance(a, str) and isinstance(b, str):
        return a.strip().casefold() == b.strip().casefold()
    if name == "alleles" and isinstance(a, tuple) and isinstance(b, tuple):
        return sorted(a) == sorted(b)
    return a == b


def _describe(result: GeneResult) -> str:
    if result.diplotype is not None:
        return result.diplotype
    if result.call is not None and result.call.candidates:
        return " or ".join(result.call.candidates)
    if result.variants:
        return ", ".join(f"{k} {v}" for k, v in sorted(result.variants.items()))
    if result.phenotype is not None:
        return result.phenotype
    return "no call"


def _union(
    gene: str, given: tuple[GeneResult, str], other: tuple[GeneResult, str], problems: list[Problem]
) -> GeneResult:
    """``given`` (the profile) and ``other`` merged field by field; disagreements are problems.

    Both are ``(result, source)``.
    """
    mine, mine_source = given
    theirs, their_source = other
    if _bare(theirs):
        warnings = theirs.call.warnings if theirs.call is not None else ()
        return evolve(mine, call=GeneCall(source="profile", file=mine_source, warnings=warnings))
    merged: dict[str, object] = {}
    for name in RESULT_FIELDS:
        a, b = getattr(mine, name), getattr(theirs, name)
        merged[name] = a if a is not None else b
        if a is None or b is None:
            continue
        if isinstance(a, dict) and isinstance(b, dict):  # variants: compare rsid by rsid
            merged[name] = {**b, **a}
            for rsid in sorted(set(a) & set(b)):
                ka, kb = _genotype_key(a[rsid]), _genotype_key(b[rsid])
                if ka is not None and kb is not None and ka != kb:
                    problems.append(
                        _clash(
                            f"{gene}.variants.{rsid}",
                            (a[rsid], mine_source),
                            (b[rsid], their_source),
                        )
                    )
        elif not _same(name, a, b):
            problems.append(_clash(f"{gene}.{name}", (a, mine_source), (b, their_source)))
    call = theirs.call
    if (
        mine.diplotype is not None
        and theirs.diplotype is None
        and call is not None
        and call.candidates
        and not call.truncated
        and _dip_key(mine.diplotype) not in {_dip_key(c) for c in call.candidates}
    ):
        shown = " or ".join(call.candidates)
        problems.append(
            _clash(f"{gene}.diplotype", (mine.diplotype, mine_source), (shown, their_source))
        )
    note = f"{gene} is also given in {mine_source}; the two agree"
    if call is None:
        call = GeneCall(source="profile", file=mine_source, notes=(note,))
    elif mine.diplotype is not None and theirs.diplotype is None:
        # the other input left the diplotype open and the profile's decided it: the report
        # must not credit the VCF with a call it could not make
        shown = " or ".join(call.candidates) or "no diplotype"
        listed = "were cut short" if call.truncated else "included it"
        call = evolve(
            call,
            source="profile",
            file=mine_source,
            notes=(
                *call.notes,
                f"{gene} diplotype {mine.diplotype} is from {mine_source}; the call from "
                f"{their_source} was ambiguous ({shown}) and its candidates {listed}",
            ),
        )
    else:
        call = evolve(call, notes=(*call.notes, note))
    return evolve(GeneResult(**merged), call=call)  # type: ignore[arg-type]


def _clash(where: str, a: tuple[object, str], b: tuple[object, str]) -> Problem:
    """A germline fact given as ``a[0]`` in file ``a[1]`` and as ``b[0]`` in ``b[1]``."""
    return Problem(
        f"$.germline.{where}",
        f"{_show(a[0])} in {a[1]} disagrees with {_show(b[0])} from {b[1]}",
        b[1],
    )


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return "/".join(str(v) for v in value)
    return repr(value)


def _override(gene: str, vcf: GeneResult, outside: GeneResult, source: str) -> GeneResult:
    if _bare(vcf):
        return outside
    what = f"outside call replaced the VCF call ({_describe(vcf)})"
    call = outside.call or GeneCall(source="outside_call", file=source)
    call = evolve(
        call,
        overridden=what,
        warnings=(*call.warnings, f"{gene}: the {what} (outside calls: {source})"),
    )
    return evolve(outside, call=call)


def merge_inputs(
    base: Profile | None,
    base_source: str,
    *,
    vcf: tuple[str, Mapping[str, GeneResult]] | None = None,
    outside: tuple[str, Mapping[str, GeneResult]] | None = None,
    somatic: tuple[str, tuple[SomaticVariant, ...]] | None = None,
    expression: tuple[str, Mapping[str, Expression]] | None = None,
    profile_id: str | None = None,
    somatic_genes: Sequence[str] | None = None,
    panel: tuple[str, Sequence[str]] | None = None,
    warnings: Sequence[str] = (),
) -> Profile:
    """One profile from every source (each given as ``(source name, data)``).

    Args:
        base: The profile given, if any.
        base_source: Its file name (or ``<mapping>``).
        vcf: Gene results called from a VCF.
        outside: Gene results from an outside-call file.
        somatic: Somatic variants from a MAF.
        expression: Expression entries from a table.
        profile_id: The profile's id when the profile has none (the VCF sample).
        somatic_genes: Every gene the MAF lists: without a panel they become
            ``tumor.sequenced_genes``, so a gene absent from the MAF is unknown.
        panel: The genes sequenced (source, symbols): absent from the MAF means wild type.
        warnings: Input problems for the report.

    Raises:
        ProfileError: every fact given twice with different values, naming both sources.
    """
    notes = [*base.warnings] if base is not None else []
    notes.extend(warnings)
    problems: list[Problem] = []
    germline: dict[str, GeneResult] = {}
    if vcf is not None:
        germline.update(vcf[1])
    if outside is not None:
        for gene, result in outside[1].items():
            prior = germline.get(gene)
            germline[gene] = result if prior is None else _override(gene, prior, result, outside[0])
    profile = base if base is not None else Profile()
    # a profile's ``cyp2c9`` is the CYP2C9 the VCF called: compared, never kept beside it
    by_case = {g.upper(): g for g in germline}
    for given, result in profile.germline.items():
        gene = by_case.get(given.strip().upper(), given)
        if gene != given:
            notes.append(f"gene symbol '{given}' read as {gene}")
        other = germline.get(gene)
        if other is None:
            call = result.call or GeneCall(source="profile", file=base_source)
            germline[gene] = evolve(result, call=call)
            continue
        other_source = (other.call.file if other.call else None) or "another input"
        germline[gene] = _union(gene, (result, base_source), (other, other_source), problems)
    tumor = _merge_tumor(profile.tumor, base_source, somatic, expression, problems)
    tumor = _sequenced(
        tumor,
        base_source=base_source,
        somatic=somatic,
        somatic_genes=somatic_genes,
        panel=panel,
        problems=problems,
        notes=notes,
    )
    if problems:
        raise ProfileError(problems)
    return evolve(
        profile,
        id=profile.id if profile.id is not None else profile_id,
        germline=dict(sorted(germline.items())),
        tumor=tumor,
        warnings=tuple(dict.fromkeys(notes)),
    )


def _sequenced(
    tumor: Tumor | None,
    *,
    base_source: str,
    somatic: tuple[str, tuple[SomaticVariant, ...]] | None,
    somatic_genes: Sequence[str] | None,
    panel: tuple[str, Sequence[str]] | None,
    problems: list[Problem],
    notes: list[str],
) -> Tumor | None:
    """``tumor.sequenced_genes`` from the panel, the profile, or else the MAF's own genes.

    A MAF lists the variants found, not the genes looked at: a gene absent from it is wild
    type only on the panel that was sequenced. Without a panel the genes in the MAF are all
    that is known to be covered, so every other gene stays unknown.
    """
    declared = tumor.sequenced_genes if tumor is not None else None
    if panel is not None:
        source, genes = panel
        if tumor is None or tumor.variants is None:
            problems.append(
                Problem(
                    "$.tumor.sequenced_genes",
                    "a panel says which genes a variant list covers: give the somatic "
                    "variants too (somatic= / --somatic, or tumor.variants)",
                    source,
                )
            )
            return tumor
        if declared is not None and set(declared) != set(genes):
            only_panel = sorted(set(genes) - set(declared))
            only_profile = sorted(set(declared) - set(genes))
            problems.append(
                Problem(
                    "$.tumor.sequenced_genes",
                    f"the panel {source} ({len(set(genes))} genes) disagrees with "
                    f"tumor.sequenced_genes in {base_source} ({len(set(declared))} genes): "
                    f"only in the panel: {', '.join(only_panel) or 'none'}; only in the "
                    f"profile: {', '.join(only_profile) or 'none'}",
                    source,
                )
            )
            return tumor
        off = sorted({v.gene for v in tumor.variants} - set(genes))
        if off:
            notes.append(
                f"somatic variants in genes not on the panel {source}: {', '.join(off)} "
                "(is it the right panel?)"
            )
        return evolve(tumor, sequenced_genes=tuple(genes))
    if somatic is None or declared is not None or tumor is None:
        return tumor
    source = somatic[0]
    notes.append(
        f"{source}: no panel given, so genes not in the MAF are unknown (not wild type): "
        "pass the panel (panel= / --panel) or give tumor.sequenced_genes"
    )
    if somatic_genes is None:
        somatic_genes = list(dict.fromkeys(v.gene for v in somatic[1]))
    return evolve(tumor, sequenced_genes=tuple(somatic_genes))


def _merge_tumor(
    tumor: Tumor | None,
    base_source: str,
    somatic: tuple[str, tuple[SomaticVariant, ...]] | None,
    expression: tuple[str, Mapping[str, Expression]] | None,
    problems: list[Problem],
) -> Tumor | None:
    if somatic is None and expression is None:
        return tumor
    out = tumor if tumor is not None else Tumor()
    if somatic is not None:
        source, variants = somatic
        if out.variants is not None and set(out.variants) != set(variants):
            problems.append(
                Problem(
                    "$.tumor.variants",
                    f"the somatic variants in {base_source} ({len(out.variants)}) differ from "
                    f"those in {source} ({len(variants)}): give them in one place",
                    source,
                )
            )
        out = evolve(out, variants=variants)
    if expression is not None:
        source, table = expression
        merged = dict(out.expression or {})
        for gene, expr in table.items():
            prior = merged.get(gene)
            if prior is None:
                merged[gene] = expr
                continue
            fields: dict[str, object] = {}
            for a in attrs.fields(Expression):
                x, y = getattr(prior, a.name), getattr(expr, a.name)
                if x is not None and y is not None and x != y:
                    problems.append(
                        Problem(
                            f"$.tumor.expression.{gene}.{a.name}",
                            f"{x!r} in {base_source} disagrees with {y!r} from {source}",
                            source,
                        )
                    )
                fields[a.name] = x if x is not None else y
            merged[gene] = Expression(**fields)  # type: ignore[arg-type]
        out = evolve(out, expression=dict(sorted(merged.items())))
    return out
