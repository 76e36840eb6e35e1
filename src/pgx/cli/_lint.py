"""``pgx lint``: curation checks and coverage of a ruleset."""

from __future__ import annotations

import argparse

from pgx.cli._common import ruleset_of
from pgx.engine import coverage, lint, oncology_coverage

__all__ = ["register"]


def _run_lint(args: argparse.Namespace) -> int:
    ruleset = ruleset_of(args.path)
    problems = lint(ruleset)
    for problem in problems:
        print(problem)
    cov = coverage(ruleset)
    print(f"{ruleset.name} {ruleset.version}: {cov.summary()}")
    if args.verbose:
        print("genes: " + ", ".join(cov.genes))
        print("drugs: " + ", ".join(cov.drugs))
        for line in oncology_coverage(ruleset).lines():
            print(line)
        print("coverage by gene and source (drugs):")
        print("\n".join(cov.by_gene()))
        print("data versions (phenotype tables):")
        print("\n".join(f"  {gene}: {source}" for gene, source in cov.data_versions))
        by_version: dict[str, list[str]] = {}
        for gene, version in ruleset.knowledge.data_versions().items():
            by_version.setdefault(version, []).append(gene)
        for version, genes in sorted(by_version.items()):
            print(f"data version {version}: {', '.join(genes)}")
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print("ok")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommand to ``pgx``."""
    li = commands.add_parser(
        "lint", help="check rules: load errors, summaries, tests; print coverage"
    )
    li.add_argument("path", nargs="?", help="rule file or directory (default: bundled rules)")
    li.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help=(
            "list genes and drugs, coverage by gene and source, data versions and the "
            "oncology coverage table"
        ),
    )
    li.set_defaults(func=_run_lint)
