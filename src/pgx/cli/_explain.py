"""``pgx explain``: the full trace of one rule for a profile."""

from __future__ import annotations

import argparse
import sys

from pgx import explain, load_profile
from pgx.cli._common import ruleset_of

__all__ = ["register"]


def _run_explain(args: argparse.Namespace) -> int:
    explanation = explain(load_profile(args.profile), args.rule, ruleset_of(args.rules))
    sys.stdout.write(explanation.to_markdown())
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommand to ``pgx``."""
    ex = commands.add_parser("explain", help="the full trace of one rule for a profile")
    ex.add_argument("profile", help="profile file (.yaml, .yml, .json)")
    ex.add_argument("--rule", required=True, help="rule id")
    ex.add_argument("--rules", help="rule file or directory (default: bundled rules)")
    ex.set_defaults(func=_run_explain)
