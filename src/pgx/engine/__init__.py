"""The engine: facts, one predicate per leaf kind, compilation, evaluation, phenotyping.

It judges loaded data: it reads the model (profile, rules, knowledge) and makes the model's
report; it never reads files (``pgx.io``, ``pgx.inputs``) and never renders (``pgx.render``).
"""

from __future__ import annotations

from pgx.engine._compile import CompiledRuleSet, RuleOutcome, compiled
from pgx.engine._evaluate import contradicts, evaluate_profile
from pgx.engine._explain import explain_rule
from pgx.engine._facts import canonical_symbols
from pgx.engine._lint import Coverage, coverage, lint
from pgx.engine._oncology import OncologyCoverage, OncologyRow, oncology_coverage
from pgx.engine._phenotype import call_phenotype

__all__ = [
    "CompiledRuleSet",
    "Coverage",
    "OncologyCoverage",
    "OncologyRow",
    "RuleOutcome",
    "call_phenotype",
    "canonical_symbols",
    "compiled",
    "contradicts",
    "coverage",
    "evaluate_profile",
    "explain_rule",
    "lint",
    "oncology_coverage",
]
