"""The profile model; it lives in `pgx.model.profile`.

This module is the documented import path ``pgx.profile``; it re-exports the same objects.
"""

from pgx.model.profile import (
    HLA_ALLELE,
    RESULT_FIELDS,
    CancerType,
    Clinical,
    CopyNumber,
    Diagnosis,
    Expression,
    FrozenDict,
    Fusion,
    GeneCall,
    GeneResult,
    GermlineFinding,
    Lab,
    Profile,
    SomaticVariant,
    Therapy,
    Tumor,
)

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
