"""Errors raised by pgx.

Every error pgx raises is a [`PgxError`][pgx.errors.PgxError]. Errors about bad input (a
profile, a rule file, a knowledge table) are also `ValueError`s and carry every problem found,
not just the first, each with the file, line and field path it concerns.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import frozen

__all__ = ["InputError", "PgxError", "Problem", "ProfileError", "RuleFileError"]


@frozen
class Problem:
    """One thing wrong with an input, and where it is.

    Attributes:
        path: JSONPath-like location of the bad field, e.g. ``$.rules[0].when.all[1]``.
        message: What was expected and what was found.
        source: The file (or ``<mapping>``) the input came from.
        line: 1-based line in ``source``, when known.
    """

    path: str
    message: str
    source: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.source or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.path}: {self.message}"


class PgxError(Exception):
    """The root of every error pgx raises on purpose."""


class InputError(PgxError, ValueError):
    """Input that pgx cannot accept; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[InputError], tuple[tuple[Problem, ...]]]:
        return (type(self), (self.problems,))


class ProfileError(InputError):
    """A patient profile is malformed: unknown keys, wrong types, bad values."""


class RuleFileError(InputError):
    """A rule file, ruleset or knowledge table is malformed or names unknown terms."""
