"""``pgx test``: run the rules' inline tests."""

from __future__ import annotations

import argparse

from pgx.cli._common import ruleset_of
from pgx.testing import run_rule_tests

__all__ = ["register"]


def _run_test(args: argparse.Namespace) -> int:
    ruleset = ruleset_of(args.path)
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


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommand to ``pgx``."""
    te = commands.add_parser("test", help="run the rules' inline tests and print coverage")
    te.add_argument("path", nargs="?", help="rule file or directory (default: bundled rules)")
    te.set_defaults(func=_run_test)
