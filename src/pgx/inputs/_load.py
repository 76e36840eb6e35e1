"""Loading a profile: the profile file, merged with pipeline inputs when they are given."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import evolve

from pgx.errors import Problem, ProfileError
from pgx.io import default_ruleset, read_profile
from pgx.io._files import is_link
from pgx.io._profile import located, profile_checks, source_name
from pgx.io._yaml import WITHHELD
from pgx.model import ruleset as rs
from pgx.model.profile import GeneResult, Profile

__all__ = ["load_profile"]


def load_profile(
    profile: str | os.PathLike[str] | Mapping[str, Any] | Profile | None = None,
    *,
    vcf: str | os.PathLike[str] | None = None,
    sample: str | None = None,
    outside_calls: str | os.PathLike[str] | None = None,
    somatic: str | os.PathLike[str] | None = None,
    tumor_sample: str | None = None,
    panel: str | os.PathLike[str] | Iterable[str] | None = None,
    expression: str | os.PathLike[str] | None = None,
    expression_assay: str | None = None,
    assume_reference: bool = False,
    ruleset: rs.RuleSet | None = None,
    fhir: str | os.PathLike[str] | None = None,
    strict: bool = False,
) -> Profile:
    """Load a patient profile, merged with pipeline inputs when given.

    Args:
        profile: A ``.yaml``/``.yml``/``.json`` file, a mapping, or a `Profile`.
        vcf: A germline VCF on GRCh38 (plain or bgzipped): genes with allele definitions
            are called from it. A position missing from it is a no-call, never reference.
        sample: The VCF sample to read, when the VCF holds several (CLI ``--sample``).
        outside_calls: A PharmCAT-style outside-call TSV (gene, diplotype, phenotype,
            activity score); an outside call replaces the VCF call for its gene.
        somatic: A MAF of somatic variants (``tumor.variants``). Without ``panel`` (or
            the profile's ``tumor.sequenced_genes``) a gene absent from it is unknown.
        tumor_sample: The MAF's ``Tumor_Sample_Barcode`` to read, when the MAF holds
            several tumors (CLI ``--tumor-sample``).
        panel: The genes the tumor was sequenced for: HGNC symbols, or the path of a text
            file of them (one per line or comma-separated). A panel gene absent from the
            MAF is wild type; a gene off the panel is unknown (CLI ``--panel``).
        expression: An expression table (``gene, value`` or ``gene, assay, value``).
        expression_assay: The assay of a two-column expression table without one in its
            header (``ihc``, ``h_score``, ``z_score``, ``fold_change``, ``tpm``, ``level``).
        assume_reference: Take VCF positions that are absent as reference (off by default;
            the report records its use).
        strict: Make a bad line of the outside-call file an error rather than a warning
            (CLI ``--strict``).
        ruleset: Whose knowledge (gene table, allele definitions, phenotype tables) reads
            the inputs; the bundled rules by default.
        fhir: A FHIR R4 Bundle (JSON) of Genomics Reporting IG Observations, medications
            and conditions, read instead of a profile file (see `pgx.fhir.profile_from_bundle`;
            CLI ``--fhir``).

    Raises:
        ProfileError: listing every problem (unknown keys, wrong types, bad values, bad
            input files, facts that two sources give differently), each with its file,
            line and field path.
    """
    if fhir is not None:
        if profile is not None:
            raise ProfileError(
                [Problem("$", "give a profile or a FHIR bundle (fhir=), not both", str(fhir))]
            )
        # start-up time: the FHIR reader loads only when a bundle is given
        from pgx.inputs._fhir import profile_from_file  # noqa: PLC0415

        knowledge = (ruleset if ruleset is not None else default_ruleset()).knowledge
        profile = profile_from_file(fhir, knowledge)
    inputs = (vcf, outside_calls, somatic, expression, panel)
    base = None if profile is None else read_profile(profile)
    if all(i is None for i in inputs):
        if base is None:
            raise ProfileError([Problem("$", "give a profile or at least one input file")])
        return base
    links = [str(i) for i in (vcf, outside_calls, somatic, expression, panel) if _is_link(i)]
    try:
        merged = _merge_all(
            profile,
            base,
            vcf=vcf,
            sample=sample,
            outside_calls=outside_calls,
            somatic=somatic,
            tumor_sample=tumor_sample,
            panel=panel,
            expression=expression,
            expression_assay=expression_assay,
            assume_reference=assume_reference,
            ruleset=ruleset,
            strict=strict,
        )
    except ProfileError as exc:
        if not links:
            raise
        raise ProfileError(
            Problem("$", WITHHELD, p.source, p.line) if _mentions(p, links) else p
            for p in exc.problems
        ) from None
    return _withhold_warnings(merged, links) if links else merged


def _is_link(item: object) -> bool:
    return isinstance(item, str | os.PathLike) and is_link(item)


def _mentions(problem: Problem, links: list[str]) -> bool:
    if problem.message.startswith("cannot read"):
        return False  # about the file (missing, a FIFO), not its content
    return any(link in (problem.source or "") or link in problem.message for link in links)


def _withheld(message: str, links: list[str]) -> str:
    """A message about a file read through a symbolic link, with only its file and line."""
    for link in links:
        if link in message:
            line = re.match(re.escape(link) + r"(:\d+)?", message)
            where = line.group(0) if line is not None else link
            return f"{where}: {WITHHELD}"
    return message


def _withhold_warnings(profile: Profile, links: list[str]) -> Profile:
    """Warnings and call notes that quote a symlinked input keep only its file and line."""

    def call(result: GeneResult) -> GeneResult:
        if result.call is None:
            return result
        return evolve(
            result,
            call=evolve(
                result.call,
                warnings=tuple(_withheld(w, links) for w in result.call.warnings),
                notes=tuple(_withheld(n, links) for n in result.call.notes),
            ),
        )

    return evolve(
        profile,
        warnings=tuple(dict.fromkeys(_withheld(w, links) for w in profile.warnings)),
        germline={gene: call(result) for gene, result in profile.germline.items()},
    )


def _merge_all(
    profile: str | os.PathLike[str] | Mapping[str, Any] | Profile | None,
    base: Profile | None,
    *,
    vcf: str | os.PathLike[str] | None,
    sample: str | None,
    outside_calls: str | os.PathLike[str] | None,
    somatic: str | os.PathLike[str] | None,
    tumor_sample: str | None,
    panel: str | os.PathLike[str] | Iterable[str] | None,
    expression: str | os.PathLike[str] | None,
    expression_assay: str | None,
    assume_reference: bool,
    ruleset: rs.RuleSet | None,
    strict: bool,
) -> Profile:
    # start-up time: the readers load only when pipeline files are given
    from pgx.inputs._expression import read_expression_checked  # noqa: PLC0415
    from pgx.inputs._maf import read_maf_tumor  # noqa: PLC0415
    from pgx.inputs._merge import call_vcf_checked, merge_inputs  # noqa: PLC0415
    from pgx.inputs._outside import read_outside_calls_checked  # noqa: PLC0415
    from pgx.inputs._panel import read_panel  # noqa: PLC0415

    source = "<profile>" if profile is None else source_name(profile)
    rules = ruleset if ruleset is not None else default_ruleset()
    genes = rules.knowledge.genes
    warnings: list[str] = []
    called = None
    sample_id = None
    if vcf is not None:
        sample_id, called_genes, found = call_vcf_checked(
            vcf, rules, sample=sample, assume_reference=assume_reference
        )
        called = (str(vcf), called_genes)
        warnings.extend(found)
    outside = None
    if outside_calls is not None:
        results, found = read_outside_calls_checked(outside_calls, rules.knowledge, strict=strict)
        outside = (str(outside_calls), results)
        warnings.extend(found)
    maf = None
    if somatic is not None:
        maf = read_maf_tumor(somatic, tumor_sample, genes)
        warnings.extend(maf.warnings)
    panel_genes = None
    if panel is not None:
        panel_source, symbols, found = read_panel(panel, genes)
        panel_genes = (panel_source, symbols)
        warnings.extend(found)
    table = None
    if expression is not None:
        entries, found = read_expression_checked(expression, expression_assay, genes)
        table = (str(expression), entries)
        warnings.extend(found)
    merged = merge_inputs(
        base,
        source,
        vcf=called,
        outside=outside,
        somatic=None if maf is None else (str(somatic), maf.variants),
        somatic_genes=None if maf is None else maf.genes,
        panel=panel_genes,
        expression=table,
        profile_id=sample_id,
        warnings=warnings,
    )
    errors = list(profile_checks(merged))
    if errors:
        raise ProfileError(located(errors, None, source))
    return merged
