"""The condition tree of the rule language: leaves that read one fact, and their combinators.

A condition is one of the combinators ([`AllOf`][pgx.model.condition.AllOf],
[`AnyOf`][pgx.model.condition.AnyOf], [`Not`][pgx.model.condition.Not]) or a leaf that reads
one fact of the profile. Field names that are Python keywords carry a trailing underscore
(``in_``, ``class_``); in YAML they are written without it (``in:``, ``class:``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, TypeAlias

from attrs import frozen

from pgx.model.knowledge import VariantClass, VariantType
from pgx.model.profile import CopyNumberStatus, Outcome

__all__ = [
    "KEY_OF_LEAF",
    "LEAF_KEYS",
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
    "ExpressionLeaf",
    "FusionLeaf",
    "GermlineVariantLeaf",
    "LabLeaf",
    "Leaf",
    "LevelName",
    "MedicationLeaf",
    "Not",
    "PhenotypeLeaf",
    "SomaticLeaf",
    "TherapyLeaf",
    "VariantLeaf",
]

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
