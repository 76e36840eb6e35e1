"""The patient profile (format version 1): what is known about one patient.

Every section and key is optional. An absent key means *not tested / unknown*, never
"normal"; an empty list means *known to be none*. Load one with [`load_profile`][pgx.load_profile].

A profile is deeply immutable and hashable: every class is frozen, every list a tuple and
every mapping a [`FrozenDict`][pgx.profile.FrozenDict], also when built by hand (the fields
convert lists and dicts they are given). Equal profiles hash equal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from attrs import field, frozen

from pgx.model._frozen import FrozenDict, freeze, freeze_optional, to_tuple, to_tuple_optional

__all__ = [
    "HLA_ALLELE",
    "RESULT_FIELDS",
    "CancerType",
    "Clinical",
    "CopyNumber",
    "Diagnosis",
    "Expression",
    "FrozenDict",
    "Fusion",
    "GeneCall",
    "GeneResult",
    "GermlineFinding",
    "Lab",
    "Profile",
    "SomaticVariant",
    "Therapy",
    "Tumor",
]

#: An HLA allele in current nomenclature, at least two fields, optionally prefixed by the
#: gene (``*57:01``, ``B*57:01``, ``HLA-B*57:01:01``). Free text such as ``*5701`` or
#: ``positive`` matches no rule and would read as "not a carrier", so it is refused.
#: ASCII digits only: ``*５７:０１`` would otherwise pass and then equal no rule's ``*57:01``.
HLA_ALLELE = re.compile(r"^(?:(?:HLA-)?[A-Z][A-Z0-9]*)?\*\d{2,3}(?::\d{2,3}){1,3}[A-Z]?$", re.ASCII)


Classification = Literal[
    "pathogenic", "likely_pathogenic", "uncertain_significance", "likely_benign", "benign"
]
Outcome = Literal["response", "stable", "progression", "intolerance"]
CopyNumberStatus = Literal["amplification", "gain", "loss", "deletion"]
Level = Literal["absent", "low", "normal", "high"]


@frozen
class GermlineFinding:
    """A classified germline variant from a diagnostic test (e.g. a pathogenic INSR variant)."""

    variant: str
    classification: Classification
    zygosity: (
        Literal["heterozygous", "homozygous", "hemizygous", "compound_heterozygous"] | None
    ) = None
    protein: str | None = None


CallSource = Literal["vcf", "outside_call", "profile"]


@frozen
class GeneCall:
    """Where a gene's result came from and how it was called (written by the input adapters).

    Attributes:
        source: ``vcf`` (called by pgx from a germline VCF), ``outside_call`` (a lab's call
            from an outside-call file) or ``profile`` (given in the profile).
        file: The file the result was read from, when there is one.
        positions_used: Allele-defining positions the VCF genotyped (by id, e.g. rsid).
        missing_positions: Allele-defining positions absent from the VCF or not called;
            never taken as reference unless ``assume_reference`` is set.
        unmatched_variants: Variants seen at allele-defining positions that no defined
            allele (or no pair of alleles) explains.
        candidates: Every diplotype that fits the genotypes equally well, best first. More
            than one means the call is ambiguous: the phenotype is stated only if all agree.
        truncated: More diplotypes fit than ``candidates`` lists (the phenotype is then
            never stated).
        unphased_positions: Heterozygous positions whose arrangement on the two chromosomes
            (same or different) the VCF does not give and which changes the diplotype:
            ``candidates`` holds every arrangement the definitions explain, and phased
            genotypes would decide between them.
        assume_reference: Positions absent from the VCF were taken as reference.
        assumed_positions: The positions taken as reference because the VCF lacks them
            (only when ``assume_reference`` is set and the VCF covers the gene at all).
        overridden: What this result replaced, e.g. ``outside call replaced VCF call *1/*2``.
        notes: Anything else the report should say about the call.
        warnings: Problems with the input for this gene (copied to the report's warnings).
    """

    source: CallSource
    file: str | None = None
    positions_used: tuple[str, ...] = field(default=(), converter=to_tuple)
    missing_positions: tuple[str, ...] = field(default=(), converter=to_tuple)
    unmatched_variants: tuple[str, ...] = field(default=(), converter=to_tuple)
    candidates: tuple[str, ...] = field(default=(), converter=to_tuple)
    truncated: bool = False
    unphased_positions: tuple[str, ...] = ()
    assume_reference: bool = False
    assumed_positions: tuple[str, ...] = field(default=(), converter=to_tuple)
    overridden: str | None = None
    notes: tuple[str, ...] = field(default=(), converter=to_tuple)
    warnings: tuple[str, ...] = field(default=(), converter=to_tuple)


@frozen
class GeneResult:
    """What a germline test said about one gene.

    Attributes:
        diplotype: Star-allele (or variant) diplotype, e.g. ``*2/*17``, ``*1/*4x2``.
        alleles: Typed alleles, for HLA genes, e.g. ``["*57:01", "*08:01"]``.
        phenotype: A phenotype reported by the lab, used as given.
        activity_score: An activity score reported by the lab, used as given.
        variants: Genotypes at named positions, ``{rsid: "C/T"}``.
        findings: Classified variants; an empty list means tested, nothing found.
        carriers: Allele carriage reported without full typing, for HLA genes:
            ``{"*57:01": True}`` is "*57:01 positive" (the other alleles unknown).
        call: How the result was obtained (VCF, outside call, profile); set by the input
            adapters of `load_profile`.
    """

    diplotype: str | None = None
    alleles: tuple[str, ...] | None = field(default=None, converter=to_tuple_optional)
    phenotype: str | None = None
    activity_score: float | None = None
    variants: Mapping[str, str] | None = field(default=None, converter=freeze_optional)
    findings: tuple[GermlineFinding, ...] | None = field(default=None, converter=to_tuple_optional)
    carriers: Mapping[str, bool] | None = field(default=None, converter=freeze_optional)
    call: GeneCall | None = None

    def is_bare(self) -> bool:
        """True when no result field is given (only, perhaps, how the gene was called)."""
        return all(getattr(self, name) is None for name in RESULT_FIELDS)


#: The fields of a `GeneResult` that carry a result (everything but ``call``).
RESULT_FIELDS = (
    "diplotype",
    "alleles",
    "phenotype",
    "activity_score",
    "variants",
    "findings",
    "carriers",
)


@frozen
class CancerType:
    """The tumor's diagnosis as a code, by default from OncoTree."""

    code: str
    system: Literal["oncotree"] = "oncotree"
    label: str | None = None


@frozen
class SomaticVariant:
    """A somatic (tumor) variant."""

    gene: str
    protein: str | None = None
    hgvsc: str | None = None
    vaf: float | None = None
    exon: int | None = None


@frozen
class CopyNumber:
    """A somatic copy-number call."""

    gene: str
    status: CopyNumberStatus
    copies: float | None = None


@frozen
class Fusion:
    """A gene fusion; ``partner`` is the other gene when known."""

    gene: str
    partner: str | None = None


@frozen
class Expression:
    """Expression measurements of one gene in the tumor; any subset may be given.

    ``level`` is an already-called ordinal level; raw values are turned into a level by
    the cut-points in the knowledge tables.
    """

    ihc: str | None = None
    h_score: float | None = None
    z_score: float | None = None
    fold_change: float | None = None
    tpm: float | None = None
    level: Level | None = None


@frozen
class Tumor:
    """Molecular and expression findings of the tumor."""

    cancer_type: CancerType | None = None
    variants: tuple[SomaticVariant, ...] | None = field(default=None, converter=to_tuple_optional)
    sequenced_genes: tuple[str, ...] | None = field(default=None, converter=to_tuple_optional)
    copy_number: tuple[CopyNumber, ...] | None = field(default=None, converter=to_tuple_optional)
    fusions: tuple[Fusion, ...] | None = field(default=None, converter=to_tuple_optional)
    expression: Mapping[str, Expression] | None = field(default=None, converter=freeze_optional)
    biomarkers: Mapping[str, str | float] | None = field(default=None, converter=freeze_optional)


@frozen
class Diagnosis:
    """A coded diagnosis (ICD-10 by default)."""

    code: str
    system: Literal["icd10", "snomed"] = "icd10"
    label: str | None = None


@frozen
class Therapy:
    """A prior line of therapy and how it ended."""

    drug: str
    outcome: Outcome | None = None
    line: int | None = None


@frozen
class Lab:
    """A laboratory value with its unit."""

    value: float
    unit: str


@frozen
class Clinical:
    """Diagnoses, current medications, prior therapies and labs."""

    diagnoses: tuple[Diagnosis, ...] | None = field(default=None, converter=to_tuple_optional)
    medications: tuple[str, ...] | None = field(default=None, converter=to_tuple_optional)
    therapies: tuple[Therapy, ...] | None = field(default=None, converter=to_tuple_optional)
    labs: Mapping[str, Lab] | None = field(default=None, converter=freeze_optional)


@frozen
class Profile:
    """One patient's profile. Build it with [`load_profile`][pgx.load_profile].

    ``warnings`` are problems with the pipeline inputs that concern no single germline gene
    (a MAF read without its panel, a gene symbol pgx does not know); `load_profile` sets
    them and the report repeats them.
    """

    pgx_profile: Literal[1] = 1
    id: str | None = None
    germline: Mapping[str, GeneResult] = field(factory=FrozenDict, converter=freeze)
    tumor: Tumor | None = None
    clinical: Clinical | None = None
    warnings: tuple[str, ...] = field(default=(), converter=to_tuple)
