"""``pgx evaluate``: a profile (and pipeline inputs) to a report."""

from __future__ import annotations

import argparse
import json
import sys

from attrs import evolve

from pgx import evaluate, load_profile
from pgx.cli._common import ruleset_of
from pgx.errors import InputError, Problem
from pgx.model.profile import Profile
from pgx.model.report import Report, UndecidedMode
from pgx.model.ruleset import RuleSet
from pgx.render import cards

__all__ = ["register"]


_PIPELINE_INPUTS = (
    "vcf",
    "outside_calls",
    "somatic",
    "panel",
    "expression",
    "fhir",
)


def _usage(option: str, message: str) -> InputError:
    return InputError([Problem(option, message, "<command line>")])


def _profiles(args: argparse.Namespace, ruleset: RuleSet) -> list[Profile]:
    """The profiles to report on: each file given, or one built from the pipeline inputs."""
    pipeline = any(getattr(args, name) is not None for name in _PIPELINE_INPUTS)
    if len(args.profile) > 1 and pipeline:
        raise _usage(
            "profile",
            "pipeline inputs (--vcf, --outside-calls, ...) belong to one patient: give one "
            "profile with them, or run pgx once per patient",
        )
    if args.id is not None and args.profile:
        raise _usage(
            "--id",
            "--id names a profile built from pipeline inputs only; a profile file carries "
            "its own id",
        )
    if len(args.profile) > 1:
        return [load_profile(path) for path in args.profile]
    profile = load_profile(
        args.profile[0] if args.profile else None,
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
        strict=args.strict,
    )
    if args.id is not None:
        profile = evolve(profile, id=args.id)
    return [profile]


def _render(report: Report, fmt: str, undecided: UndecidedMode | None, profile: Profile) -> str:
    human: UndecidedMode = undecided or "summary"
    if fmt == "json":
        return report.to_json(undecided=undecided or "full")
    if fmt == "jsonl":
        return report.to_json(indent=None, undecided=undecided or "full")
    if fmt == "cds-hooks":
        return json.dumps(cards(report, undecided=human), sort_keys=True, indent=2) + "\n"
    if fmt == "fhir":
        bundle = report.to_fhir(profile=profile)
        return json.dumps(bundle, sort_keys=True, indent=2) + "\n"
    if fmt == "html":
        return report.to_html(undecided=human)
    return report.to_markdown(undecided=human)


def _run_evaluate(args: argparse.Namespace) -> int:
    ruleset = ruleset_of(args.rules)
    profiles = _profiles(args, ruleset)
    if len(profiles) > 1 and args.format not in ("markdown", "jsonl"):
        raise _usage(
            "--format",
            f"{len(profiles)} profiles: one {args.format} document cannot hold several "
            "reports; use --format jsonl (one JSON report per line) or markdown",
        )
    drugs = args.drug or None
    for i, profile in enumerate(profiles):
        report = evaluate(profile, ruleset, drugs=drugs, now=args.now)
        if i and args.format == "markdown":
            sys.stdout.write("\n---\n\n")
        sys.stdout.write(_render(report, args.format, args.undecided, profile))
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommand to ``pgx``."""
    ev = commands.add_parser("evaluate", help="evaluate a profile and print the report")
    ev.add_argument(
        "profile",
        nargs="*",
        help="profile file(s) (.yaml, .yml, .json); several give one report each",
    )
    ev.add_argument(
        "--id", help="the patient id of a profile built from pipeline inputs (no profile file)"
    )
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
    inputs.add_argument(
        "--strict",
        action="store_true",
        help="make a bad line of the outside-call file an error (default: a warning, and "
        "that gene is left uncalled)",
    )
    ev.add_argument("--drug", action="append", help="only rules about this drug (repeatable)")
    ev.add_argument(
        "--format",
        choices=("markdown", "html", "json", "jsonl", "cds-hooks", "fhir"),
        default="markdown",
        help="markdown (default); html: one printable page; json: the full report; jsonl: "
        "one JSON report per line (several profiles); cds-hooks: CDS Hooks cards; fhir: a FHIR "
        "R4 Bundle",
    )
    ev.add_argument(
        "--undecided",
        choices=("summary", "full"),
        help="undecided rules: summary (what would decide them; the default for markdown, "
        "html and cds-hooks) or full (every rule; the default for json, the report contract)",
    )
    ev.add_argument("--now", help="report time, ISO-8601 (for reproducible output)")
    ev.set_defaults(func=_run_evaluate)
