"""Why one rule did, did not, or could not fire for one profile (``pgx explain``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from attrs import frozen

from pgx.errors import InputError, Problem
from pgx.profile import Profile
from pgx.report import TraceEntry
from pgx.ruleset import Rule, RuleSet

__all__ = ["Explanation", "explain"]


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
    """

    rule: Rule
    profile_id: str | None
    outcome: Literal["fires", "does_not_fire", "indeterminate"]
    trace: tuple[TraceEntry, ...]
    condition: str
    missing: tuple[str, ...] = ()
    would_fire_if: str | None = None
    superseded_by: tuple[str, ...] = ()

    def to_markdown(self) -> str:
        """The explanation as a tumor-board-style note: facts, rule, evidence, citations."""
        from pgx._markdown import render_explanation  # noqa: PLC0415 - rendering on demand

        return render_explanation(self)


def explain(
    profile: Profile | Mapping[str, Any] | str | os.PathLike[str],
    rule_id: str,
    ruleset: RuleSet | None = None,
) -> Explanation:
    """Evaluate one rule (whatever its status) against a profile, with its full trace.

    Args:
        profile: A `Profile`, a mapping in the profile format, or a path.
        rule_id: The rule's id.
        ruleset: The rules; ``None`` means the bundled rules.

    Raises:
        InputError: no rule with that id in the ruleset.
        ProfileError: the profile is malformed.
    """
    from pgx._engine import describe  # noqa: PLC0415 - keeps `import pgx` light
    from pgx._load import default_ruleset, load_profile  # noqa: PLC0415

    rules = ruleset if ruleset is not None else default_ruleset()
    loaded = load_profile(profile)
    try:
        result = rules.compiled.outcome(loaded, rule_id)
    except KeyError:
        raise InputError(
            [Problem("rule", f"no rule '{rule_id}' in ruleset {rules.name} {rules.version}")]
        ) from None
    undecided = result.outcome == "indeterminate"
    hiding = tuple(
        other.id
        for other in rules.rules
        if other.status == "active"
        and rule_id in other.supersedes
        and rules.compiled.outcome(loaded, other.id).outcome == "fires"
    )
    return Explanation(
        rule=result.rule,
        profile_id=loaded.id,
        outcome=result.outcome,  # type: ignore[arg-type]
        trace=result.trace,
        condition=describe(result.rule.when),
        missing=result.missing if undecided else (),
        would_fire_if=result.would_fire_if if undecided else None,
        superseded_by=hiding,
    )
