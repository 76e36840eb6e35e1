"""Pipeline inputs: germline VCF, outside-call TSV, somatic MAF, panels and expression tables.

Each reader turns one file into parts of a [`Profile`][pgx.model.profile.Profile];
[`load_profile`][pgx.load_profile] merges them with the profile file. This layer reads the
model and uses ``pgx.io``; it never evaluates rules and never renders. Readers never guess: a
position missing from a VCF is a no-call, never reference, and a fact given twice with
different values is an error.
"""

from __future__ import annotations

from pgx.inputs._expression import read_expression, read_expression_checked
from pgx.inputs._load import load_profile
from pgx.inputs._maf import MafTumor, read_maf, read_maf_tumor
from pgx.inputs._match import call_gene
from pgx.inputs._merge import call_vcf, germline_genes, merge_inputs
from pgx.inputs._outside import read_outside_calls, read_outside_calls_checked
from pgx.inputs._panel import read_panel
from pgx.inputs._vcf import VcfGenotypes, read_vcf

__all__ = [
    "MafTumor",
    "VcfGenotypes",
    "call_gene",
    "call_vcf",
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
