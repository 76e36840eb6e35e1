"""The knowledge tables; they live in `pgx.model.knowledge`.

This module is the documented import path ``pgx.knowledge``; it re-exports the same objects.
"""

from pgx.model.knowledge import (
    AlleleDefinitions,
    AlleleFunction,
    Biomarker,
    CancerTypeEntry,
    Cutpoint,
    CutpointBin,
    DefinedPosition,
    Drug,
    DrugClass,
    ExonType,
    Gene,
    GenePhenotypes,
    Knowledge,
    KnowledgeFile,
    LabEntry,
    PhenotypeRow,
    ScopeNote,
    SomaticClass,
)

__all__ = [
    "AlleleDefinitions",
    "AlleleFunction",
    "Biomarker",
    "CancerTypeEntry",
    "Cutpoint",
    "CutpointBin",
    "DefinedPosition",
    "Drug",
    "DrugClass",
    "ExonType",
    "Gene",
    "GenePhenotypes",
    "Knowledge",
    "KnowledgeFile",
    "LabEntry",
    "PhenotypeRow",
    "ScopeNote",
    "SomaticClass",
]
