"""Why one rule did, did not, or could not fire for one profile (``pgx explain``): the data."""

from __future__ import annotations

from typing import Literal

from attrs import frozen

from pgx.model import _ports
from pgx.model.report import TraceEntry
from pgx.model.ruleset import Rule

__all__ = ["Explanation"]


@frozen
class Explanation:
    """One rule evaluated against one profile, with everything needed to read it.

    Attributes:
        rule: The rule, as loaded.
        profile_id: The profile's ``id``.
        outcome: ``fires``, ``does_not_fire`` or ``indeterminate``.
        trace: Every leaf of the condition: the fact read, what was observed, its truth.
        condition: The whole condition in words.
        missing: For an indeterminate rule, the profile paths that would decide it.
        would_fire_if: For an indeterminate rule, what is still undecided, in words.
        superseded_by: Active rules that fire for this profile and hide this rule's finding.
        warnings: Problems with the profile the report would list (a gene or drug pgx does
            not know, with a suggestion), so a typo does not read as "not tested" unseen.
    """

    rule: Rule
    profile_id: str | None
    outcome: Literal["fires", "does_not_fire", "indeterminate"]
    trace: tuple[TraceEntry, ...]
    condition: str
    missing: tuple[str, ...] = ()
    would_fire_if: str | None = None
    superseded_by: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_markdown(self) -> str:
        """The explanation as a tumor-board-style note (`pgx.render.explanation_markdown`)."""
        text: str = _ports.call("explanation_markdown", self)
        return text
