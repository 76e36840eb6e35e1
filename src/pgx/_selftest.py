"""Running the inline ``tests:`` of rules (``pgx test`` and the pytest suite)."""

from __future__ import annotations

from attrs import frozen

from pgx._load import load_profile
from pgx.ruleset import RuleSet

__all__ = ["CaseResult", "run_rule_tests"]


@frozen
class CaseResult:
    """One inline test case and what the rule actually did."""

    rule_id: str
    name: str
    expect: str
    got: str
    file: str
    line: int | None

    @property
    def passed(self) -> bool:
        """Whether the rule's outcome was the expected one."""
        return self.expect == self.got


def run_rule_tests(ruleset: RuleSet) -> list[CaseResult]:
    """Evaluate every inline test of every rule, in rule order."""
    out = []
    compiled = ruleset.compiled
    for rule in ruleset.rules:
        source = ruleset.sources[rule.id]
        for case in rule.tests:
            profile = load_profile(case.profile)
            got = compiled.outcome(profile, rule.id).outcome
            out.append(CaseResult(rule.id, case.name, case.expect, got, source.file, source.line))
    return out
