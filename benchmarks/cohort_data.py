"""Synthetic cohorts in the flat profile schema, for the cohort benchmarks.

Germline results follow the shape of a pre-emptive programme: a diplotype per phenotyped
gene (alleles drawn with a skew towards the common ones, a few unknown alleles and no-calls),
HLA typings, VKORC1 genotypes; a quarter of the profiles also carry a tumor and clinical
section. Values are random but deterministic for a seed.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pgx.model.ruleset import RuleSet

HLA = {
    "HLA-A": ["*31:01", "*02:01", "*01:01", "*24:02"],
    "HLA-B": ["*57:01", "*58:01", "*15:02", "*07:02", "*08:01", "*44:02"],
}
CANCERS = ["COADREAD", "NSCLC", "BRCA", "LUAD", "PAAD", "MEL"]
SOMATIC = [
    {"gene": "KRAS", "protein": "p.G12D"},
    {"gene": "KRAS", "protein": "p.G12C"},
    {"gene": "NRAS", "protein": "p.Q61K"},
    {"gene": "BRAF", "protein": "p.V600E"},
    {"gene": "EGFR", "protein": "p.L858R"},
    {"gene": "EGFR", "protein": "p.T790M"},
    {"gene": "PIK3CA", "protein": "p.H1047R"},
]
MEDICATIONS = ["clopidogrel", "warfarin", "simvastatin", "metformin", "codeine", "omeprazole"]


def _diplotypes(rng: np.random.Generator, alleles: list[str], n: int) -> np.ndarray:
    # a Zipf-like skew: *1 and a handful of common alleles carry most chromosomes
    weights = 1.0 / np.arange(1, len(alleles) + 1) ** 1.6
    weights /= weights.sum()
    a = rng.choice(len(alleles), size=n, p=weights)
    b = rng.choice(len(alleles), size=n, p=weights)
    names = np.array(alleles, dtype=object)
    low, high = np.minimum(a, b), np.maximum(a, b)
    out = names[low] + "/" + names[high]
    out[rng.random(n) < 0.01] = "*1/*999"  # an allele pgx does not know
    out[rng.random(n) < 0.02] = None  # not tested
    return np.asarray(out, dtype=object)


def cohort(ruleset: RuleSet, n: int, seed: int = 7, oncology: float = 0.25) -> pa.Table:
    """``n`` synthetic profiles as an Arrow table in the flat profile schema."""
    rng = np.random.default_rng(seed)
    columns: dict[str, pa.Array] = {"id": pa.array([f"S{i:07d}" for i in range(n)])}
    for gene, table in sorted(ruleset.knowledge.gene_phenotypes.items()):
        alleles = sorted(table.alleles, key=lambda a: (a != "*1", len(a), a))
        columns[f"germline.{gene}.diplotype"] = pa.array(_diplotypes(rng, alleles, n), pa.string())
    for gene, alleles in HLA.items():
        a = rng.integers(0, len(alleles), size=(n, 2))
        typed = [[alleles[i], alleles[j]] for i, j in a]
        columns[f"germline.{gene}.alleles"] = pa.array(typed, pa.list_(pa.string()))
    genotypes = np.array(["C/C", "C/T", "T/T"], dtype=object)[rng.integers(0, 3, size=n)]
    columns["germline.VKORC1.variants.rs9923231"] = pa.array(genotypes, pa.string())
    onco = rng.random(n) < oncology
    cancer = np.array(CANCERS, dtype=object)[rng.integers(0, len(CANCERS), size=n)]
    columns["tumor.cancer_type.code"] = pa.array(
        [c if o else None for c, o in zip(cancer, onco, strict=True)], pa.string()
    )
    variants: list[list[dict[str, str]] | None] = []
    for i in range(n):
        if not onco[i]:
            variants.append(None)
            continue
        k = rng.integers(0, 3)
        variants.append([SOMATIC[j] for j in rng.choice(len(SOMATIC), size=k, replace=False)])
    columns["tumor.variants"] = pa.array(
        variants, pa.list_(pa.struct([("gene", pa.string()), ("protein", pa.string())]))
    )
    tmb = np.round(rng.gamma(2.0, 4.0, size=n), 1)
    columns["tumor.biomarkers.TMB"] = pa.array(
        np.where(onco, tmb, np.nan), pa.float64(), from_pandas=True
    )
    meds: list[list[str] | None] = []
    for i in range(n):
        k = rng.integers(0, 3)
        meds.append(list(rng.choice(MEDICATIONS, size=k, replace=False)) if onco[i] else None)
    columns["clinical.medications"] = pa.array(meds, pa.list_(pa.string()))
    return pa.table(columns)
