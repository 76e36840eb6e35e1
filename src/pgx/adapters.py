"""Pipeline inputs (VCF, outside calls, MAF, expression); they live in `pgx.inputs`.

This module is the documented import path ``pgx.adapters``; it re-exports the same objects.
"""

from pgx.inputs import (
    MafTumor,
    VcfGenotypes,
    call_gene,
    call_vcf,
    call_vcf_checked,
    decisive_positions,
    germline_genes,
    load_profile,
    merge_inputs,
    read_expression,
    read_expression_checked,
    read_maf,
    read_maf_tumor,
    read_outside_calls,
    read_outside_calls_checked,
    read_panel,
    read_vcf,
)

__all__ = [
    "MafTumor",
    "VcfGenotypes",
    "call_gene",
    "call_vcf",
    "call_vcf_checked",
    "decisive_positions",
    "germline_genes",
    "load_profile",
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
