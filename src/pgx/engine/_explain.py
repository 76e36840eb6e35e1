"""One rule, whatever its status, evaluated against one loaded profile with its full trace."""

from __future__ import annotations

from pgx.engine._compile import compiled
from pgx.errors import InputError, Problem
from pgx.model._words import describe, did_you_mean
from pgx.model.explanation import Explanation
from pgx.model.profile import Profile
from pgx.model.ruleset import RuleSet

__all__ = ["explain_rule"]


def explain_rule(profile: Profile, rule_id: str, rules: RuleSet) -> Explanation:
    """The `Explanation` of rule ``rule_id`` for ``profile``.

    Raises:
        InputError: no rule with that id in the ruleset.
    """
    engine = compiled(rules)
    try:
        result = engine.outcome(profile, rule_id)
    except KeyError:
        raise InputError(
            [
                Problem(
                    "rule",
                    f"no rule '{rule_id}' in ruleset {rules.name} {rules.version}"
                    + did_you_mean(rule_id, (r.id for r in rules.rules)),
                )
            ]
        ) from None
    undecided = result.outcome == "indeterminate"
    hiding = tuple(
        other.id
        for other in rules.rules
        if other.status == "active"
        and rule_id in other.supersedes
        and engine.outcome(profile, other.id).outcome == "fires"
    )
    return Explanation(
        rule=result.rule,
        profile_id=profile.id,
        outcome=result.outcome,  # type: ignore[arg-type]
        trace=result.trace,
        condition=describe(result.rule.when),
        missing=result.missing if undecided else (),
        would_fire_if=result.would_fire_if if undecided else None,
        superseded_by=hiding,
    )
