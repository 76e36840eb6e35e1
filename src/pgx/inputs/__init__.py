"""Pipeline inputs: germline VCF, outside-call TSV, somatic MAF, panels and expression tables.

Each reader turns one file into parts of a [`Profile`][pgx.model.profile.Profile];
[`load_profile`][pgx.load_profile] merges them with the profile file. This layer reads the
model and uses ``pgx.io``; it never evaluates rules and never renders. Readers never guess: a
position missing from a VCF is a no-call, never reference, and a fact given twice with
different values is an error.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from pgx.inputs._load import load_profile

if TYPE_CHECKING:
    from pgx.inputs._decisive import decisive_positions
    from pgx.inputs._expression import read_expression, read_expression_checked
    from pgx.inputs._maf import MafTumor, read_maf, read_maf_tumor
    from pgx.inputs._match import call_gene
    from pgx.inputs._merge import call_vcf, call_vcf_checked, germline_genes, merge_inputs
    from pgx.inputs._outside import read_outside_calls, read_outside_calls_checked
    from pgx.inputs._panel import read_panel
    from pgx.inputs._vcf import VcfGenotypes, read_vcf

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

# Start-up time: `import pgx` needs only load_profile, and a profile given without pipeline
# files never needs a reader, so each reader's module loads on first use (docs/benchmarks.md).
_HOME = {
    "MafTumor": "_maf",
    "VcfGenotypes": "_vcf",
    "call_gene": "_match",
    "call_vcf": "_merge",
    "call_vcf_checked": "_merge",
    "decisive_positions": "_decisive",
    "germline_genes": "_merge",
    "merge_inputs": "_merge",
    "read_expression": "_expression",
    "read_expression_checked": "_expression",
    "read_maf": "_maf",
    "read_maf_tumor": "_maf",
    "read_outside_calls": "_outside",
    "read_outside_calls_checked": "_outside",
    "read_panel": "_panel",
    "read_vcf": "_vcf",
}


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'pgx.inputs' has no attribute {name!r}")
    return getattr(importlib.import_module(f"pgx.inputs.{home}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
