"""The ``pgx`` command: evaluate, lint, test, explain, serve and cohort.

Exit codes: 0 success; 1 the checks found problems (lint issues, failing rule tests);
2 bad input (a readable message naming the file; never a traceback).

Each subcommand is one module with a ``register(commands)`` function that adds its parser
and sets ``func``; a new subcommand is a new module and one line in `_COMMANDS`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from pgx.cli import _cohort, _evaluate, _explain, _lint, _serve, _test
from pgx.errors import PgxError

__all__ = ["main"]

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

#: The subcommands, in the order ``pgx --help`` lists them.
_COMMANDS: tuple[Register, ...] = (
    _evaluate.register,
    _lint.register,
    _test.register,
    _explain.register,
    _serve.register,
    _cohort.register,
)


def _parser() -> argparse.ArgumentParser:
    from pgx import __version__  # noqa: PLC0415 - resolved lazily

    parser = argparse.ArgumentParser(
        prog="pgx", description="Pharmacogenetic and precision-oncology decision support."
    )
    parser.add_argument("--version", action="version", version=f"pgx {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for register in _COMMANDS:
        register(commands)
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
