"""One rule, whatever its status, evaluated against one loaded profile with its full trace."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from pgx.engine._compile import compiled
from pgx.errors import InputError, Problem
from pgx.model._words import describe, did_you_mean, leaves_of
from pgx.model.explanation import Explanation
from pgx.model.profile import Profile
from pgx.model.ruleset import RuleSet

__all__ = ["explain_rule"]

_SHOWN = 10  # rule ids an error names before "and N more"


def explain_rule(profile: Profile, rule_id: str, rules: RuleSet) -> Explanation:
    """The `Explanation` of rule ``rule_id`` for ``profile``.

    Raises:
        InputError: no rule with that id in the ruleset.
    """
    engine = compiled(rules)
    try:
        result = engine.outcome(profile, rule_id)
    except KeyError:
        raise InputError([Problem("rule", _no_rule(rule_id, rules))]) from None
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
        warnings=result.warnings,
    )


def _closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` names, ignoring case, or its one near miss."""
    by_folded = {c.casefold(): c for c in choices}
    folded = word.strip().casefold()
    if folded in by_folded:
        return by_folded[folded]
    close = difflib.get_close_matches(folded, list(by_folded), n=1, cutoff=0.75)
    return by_folded[close[0]] if close else None


def _no_rule(rule_id: str, rules: RuleSet) -> str:
    """No such rule, and what was probably meant.

    A near rule id, or the rules about the drug or gene given in its place
    (``--rule clopidogrel``).
    """
    message = f"no rule '{rule_id}' in ruleset {rules.name} {rules.version}"
    near = did_you_mean(rule_id, (r.id for r in rules.rules))
    if near:
        return message + near
    drug = _closest(rule_id, rules.knowledge.drugs)
    gene = None if drug is not None else _closest(rule_id, rules.knowledge.genes)
    if drug is not None:
        what, about = f"the drug {drug}", [r.id for r in rules.rules if drug in r.drugs]
    elif gene is not None:
        what = f"the gene {gene}"
        about = [
            r.id
            for r in rules.rules
            if any(getattr(x, "gene", None) == gene for x in leaves_of(r.when))
        ]
    else:
        return message
    if not about:
        return f"{message}; no rule is about {what}"
    shown = ", ".join(about[:_SHOWN]) + (
        f" and {len(about) - _SHOWN} more" if len(about) > _SHOWN else ""
    )
    return f"{message}; give a rule id: the rules about {what} are {shown}"
