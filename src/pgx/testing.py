"""Helpers for curators' and users' tests: run the inline ``tests:`` of rules, and lint them.

```python
from pgx import load_ruleset
from pgx.testing import run_rule_tests

failures = [r for r in run_rule_tests(load_ruleset("my_rules/")) if not r.passed]
```
"""

from __future__ import annotations

from pgx._lint import lint
from pgx._selftest import CaseResult, run_rule_tests

__all__ = ["CaseResult", "lint", "run_rule_tests"]
