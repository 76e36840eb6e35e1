"""What several subcommands share."""

from __future__ import annotations

from pgx import default_ruleset, load_ruleset
from pgx.model.ruleset import RuleSet

__all__ = ["ruleset_of"]


def ruleset_of(path: str | None) -> RuleSet:
    """The ruleset at ``path`` (``--rules``), or the bundled rules when none is given."""
    return default_ruleset() if path is None else load_ruleset(path)
