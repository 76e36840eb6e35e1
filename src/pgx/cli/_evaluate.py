"""``pgx evaluate``: a profile (and pipeline inputs) to a report."""

from __future__ import annotations

import argparse
import json
import sys

from pgx import evaluate, load_profile
from pgx.cli._common import ruleset_of
from pgx.render import cards

__all__ = ["register"]


def _run_evaluate(args: argparse.Namespace) -> int:
    ruleset = ruleset_of(args.rules)
    profile = load_profile(
        args.profile,
        vcf=args.vcf,
        sample=args.sample,
        outside_calls=args.outside_calls,
        somatic=args.somatic,
        tumor_sample=args.tumor_sample,
        panel=args.panel,
        expression=args.expression,
        expression_assay=args.expression_assay,
        assume_reference=args.assume_reference,
        ruleset=ruleset,
        fhir=args.fhir,
    )
    report = evaluate(profile, ruleset, drugs=args.drug or None, now=args.now)
    if args.format == "json":
        sys.stdout.write(report.to_json())
    elif args.format == "fhir":
        sys.stdout.write(json.dumps(report.to_fhir(), sort_keys=True, indent=2) + "\n")
    elif args.format == "cds-hooks":
        sys.stdout.write(json.dumps(cards(report), sort_keys=True, indent=2) + "\n")
    else:
        sys.stdout.write(report.to_markdown())
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommand to ``pgx``."""
    ev = commands.add_parser("evaluate", help="evaluate a profile and print the report")
    ev.add_argument("profile", nargs="?", help="profile file (.yaml, .yml, .json)")
    ev.add_argument("--rules", help="rule file or directory (default: bundled rules)")
    inputs = ev.add_argument_group("pipeline inputs (merged with the profile)")
    inputs.add_argument(
        "--fhir",
        help="FHIR R4 Bundle (JSON) of genomic Observations, medications and conditions, "
        "read instead of a profile file",
    )
    inputs.add_argument("--vcf", help="germline VCF on GRCh38, plain or bgzipped")
    inputs.add_argument("--sample", help="the sample to read from a multi-sample VCF")
    inputs.add_argument(
        "--assume-reference",
        action="store_true",
        help="take positions absent from the VCF as reference (recorded in the report)",
    )
    inputs.add_argument("--outside-calls", help="PharmCAT-style outside-call TSV")
    inputs.add_argument("--somatic", help="MAF of somatic variants")
    inputs.add_argument(
        "--tumor-sample", help="the Tumor_Sample_Barcode to read from a MAF of several tumors"
    )
    inputs.add_argument(
        "--panel",
        help="text file of the genes sequenced (one per line or comma-separated): panel genes "
        "absent from the MAF are wild type; without it, genes not in the MAF are unknown",
    )
    inputs.add_argument("--expression", help="expression TSV: gene, value or gene, assay, value")
    inputs.add_argument(
        "--expression-assay",
        choices=("ihc", "h_score", "z_score", "fold_change", "tpm", "level"),
        help="the assay of a two-column expression table without it in the header",
    )
    ev.add_argument("--drug", action="append", help="only rules about this drug (repeatable)")
    ev.add_argument(
        "--format", choices=("markdown", "json", "cds-hooks", "fhir"), default="markdown"
    )
    ev.add_argument("--now", help="report time, ISO-8601 (for reproducible output)")
    ev.set_defaults(func=_run_evaluate)
