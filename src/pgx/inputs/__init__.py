"""Input adapters: germline VCF, outside-call TSV, somatic MAF and expression tables.

Each adapter reads one file into parts of a [`Profile`][pgx.profile.Profile];
[`load_profile`][pgx.load_profile] merges them. Adapters never guess: a position missing from
a VCF is a no-call, never reference, and a fact given twice with different values is an error.
"""

from __future__ import annotations

from pgx.adapters._expression import read_expression, read_expression_checked
from pgx.adapters._maf import MafTumor, read_maf, read_maf_tumor
from pgx.adapters._match import call_gene
from pgx.adapters._merge import call_vcf, germline_genes, merge_inputs
from pgx.adapters._outside import read_outside_calls, read_outside_calls_checked
from pgx.adapters._panel import read_panel
from pgx.adapters._vcf import VcfGenotypes, read_vcf

__all__ = [
    "MafTumor",
    "VcfGenotypes",
    "call_gene",
    "call_vcf",
    "germline_genes",
    "merge_inputs",
    "read_expression",
    "read_expression_checked",
    "read_maf",
    "read_maf_tumor",
    "read_outside_calls",
    "read_outside_calls_checked",
    "read_panel",
    "read_vcf",
]
