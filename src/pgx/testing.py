"""Helpers for curators' and users' tests: run the inline ``tests:`` of rules, and lint them.

```python
from pgx import load_ruleset
from pgx.testing import run_rule_tests

failures = [r for r in run_rule_tests(load_ruleset("my_rules/")) if not r.passed]
```
"""

from __future__ import annotations

from attrs import frozen

from pgx.engine import compiled, lint
from pgx.io import read_profile
from pgx.model.ruleset import RuleSet

__all__ = ["CaseResult", "lint", "run_rule_tests"]


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
    engine = compiled(ruleset)
    for rule in ruleset.rules:
        source = ruleset.sources[rule.id]
        for case in rule.tests:
            profile = read_profile(case.profile)
            got = engine.outcome(profile, rule.id).outcome
            out.append(CaseResult(rule.id, case.name, case.expect, got, source.file, source.line))
    return out
