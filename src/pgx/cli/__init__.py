"""The ``pgx`` command: evaluate, lint, test and explain.

Exit codes: 0 success; 1 the checks found problems (lint issues, failing rule tests);
2 bad input (a readable message naming the file; never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from pgx import default_ruleset, evaluate, explain, load_profile, load_ruleset
from pgx._lint import coverage, lint
from pgx._selftest import run_rule_tests
from pgx.errors import PgxError
from pgx.ruleset import RuleSet

__all__ = ["main"]


def _ruleset(path: str | None) -> RuleSet:
    return default_ruleset() if path is None else load_ruleset(path)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    ruleset = _ruleset(args.rules)
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
    )
    report = evaluate(profile, ruleset, drugs=args.drug or None, now=args.now)
    if args.format == "json":
        sys.stdout.write(report.to_json())
    elif args.format == "cds-hooks":
        from pgx.cds_hooks import cards  # noqa: PLC0415 - only this format needs it

        sys.stdout.write(json.dumps(cards(report), sort_keys=True, indent=2) + "\n")
    else:
        sys.stdout.write(report.to_markdown())
    return 0


def _cmd_lint(args: argparse.Namespace) -> int:
    ruleset = _ruleset(args.path)
    problems = lint(ruleset)
    for problem in problems:
        print(problem)
    cov = coverage(ruleset)
    print(f"{ruleset.name} {ruleset.version}: {cov.summary()}")
    if args.verbose:
        print("genes: " + ", ".join(cov.genes))
        print("drugs: " + ", ".join(cov.drugs))
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print("ok")
    return 0


def _cmd_test(args: argparse.Namespace) -> int:
    ruleset = _ruleset(args.path)
    results = run_rule_tests(ruleset)
    failed = [r for r in results if not r.passed]
    for r in failed:
        where = f"{r.file}:{r.line}" if r.line else r.file
        print(f"FAIL {where}: {r.rule_id} / {r.name}: expected {r.expect}, got {r.got}")
    seen: dict[str, set[str]] = {rule.id: set() for rule in ruleset.rules}
    for r in results:
        seen[r.rule_id].add(r.got)
    counts = {
        o: sum(o in s for s in seen.values()) for o in ("fires", "does_not_fire", "indeterminate")
    }
    total = len(seen)
    print(
        f"coverage: {total} rules; seen fires {counts['fires']}/{total}, does_not_fire "
        f"{counts['does_not_fire']}/{total}, indeterminate {counts['indeterminate']}/{total}"
    )
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def _cmd_explain(args: argparse.Namespace) -> int:
    explanation = explain(load_profile(args.profile), args.rule, _ruleset(args.rules))
    sys.stdout.write(explanation.to_markdown())
    return 0


def _parser() -> argparse.ArgumentParser:
    from pgx import __version__  # noqa: PLC0415 - resolved lazily

    parser = argparse.ArgumentParser(
        prog="pgx", description="Pharmacogenetic and precision-oncology decision support."
    )
    parser.add_argument("--version", action="version", version=f"pgx {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("evaluate", help="evaluate a profile and print the report")
    ev.add_argument("profile", nargs="?", help="profile file (.yaml, .yml, .json)")
    ev.add_argument("--rules", help="rule file or directory (default: bundled rules)")
    inputs = ev.add_argument_group("pipeline inputs (merged with the profile)")
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
    ev.add_argument("--format", choices=("markdown", "json", "cds-hooks"), default="markdown")
    ev.add_argument("--now", help="report time, ISO-8601 (for reproducible output)")
    ev.set_defaults(func=_cmd_evaluate)

    li = sub.add_parser("lint", help="check rules: load errors, summaries, tests; print coverage")
    li.add_argument("path", nargs="?", help="rule file or directory (default: bundled rules)")
    li.add_argument("-v", "--verbose", action="store_true", help="list genes and drugs covered")
    li.set_defaults(func=_cmd_lint)

    te = sub.add_parser("test", help="run the rules' inline tests and print coverage")
    te.add_argument("path", nargs="?", help="rule file or directory (default: bundled rules)")
    te.set_defaults(func=_cmd_test)

    ex = sub.add_parser("explain", help="the full trace of one rule for a profile")
    ex.add_argument("profile", help="profile file (.yaml, .yml, .json)")
    ex.add_argument("--rule", required=True, help="rule id")
    ex.add_argument("--rules", help="rule file or directory (default: bundled rules)")
    ex.set_defaults(func=_cmd_explain)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``pgx`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except PgxError as exc:
        print(f"pgx: error:\n{exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"pgx: error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
