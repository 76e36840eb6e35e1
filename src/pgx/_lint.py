"""Curation checks beyond loading (``pgx lint``) and the ruleset's coverage."""

from __future__ import annotations

from attrs import frozen

from pgx._engine import leaves_of
from pgx.errors import Problem
from pgx.ruleset import RuleSet

__all__ = ["MAX_SUMMARY", "Coverage", "coverage", "lint"]

#: Longest summary a finding may carry (it is the headline of a card).
MAX_SUMMARY = 140
_OUTCOMES = ("fires", "does_not_fire", "indeterminate")


def lint(ruleset: RuleSet) -> list[Problem]:
    """Everything a curator must fix before a rule ships."""
    problems = []
    for rule in ruleset.rules:
        src = ruleset.sources[rule.id]
        path = f"$.rules[{src.index}]"
        if len(rule.then.summary) > MAX_SUMMARY:
            problems.append(
                Problem(
                    f"{path}.then.summary",
                    f"summary is {len(rule.then.summary)} characters; at most {MAX_SUMMARY}",
                    src.file,
                    src.line,
                )
            )
        expected = {t.expect for t in rule.tests}
        missing = [o for o in _OUTCOMES if o not in expected]
        if missing:
            problems.append(
                Problem(
                    f"{path}.tests",
                    f"rule '{rule.id}' needs an inline test expecting {', '.join(missing)}",
                    src.file,
                    src.line,
                )
            )
    return problems


@frozen
class Coverage:
    """What a ruleset covers: genes read, drugs named, and gene–drug pairs."""

    rules: int
    genes: tuple[str, ...]
    drugs: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]

    def summary(self) -> str:
        """One line for the terminal."""
        return (
            f"{self.rules} rules; {len(self.genes)} genes; {len(self.drugs)} drugs; "
            f"{len(self.pairs)} gene-drug pairs"
        )


def coverage(ruleset: RuleSet) -> Coverage:
    """Genes, drugs and gene–drug pairs the active rules cover."""
    genes: set[str] = set()
    drugs: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    active = [r for r in ruleset.rules if r.status == "active"]
    for rule in active:
        rule_genes = {g for leaf in leaves_of(rule.when) if (g := getattr(leaf, "gene", None))}
        genes |= rule_genes
        drugs |= set(rule.drugs)
        pairs |= {(g, d) for g in rule_genes for d in rule.drugs}
    return Coverage(len(active), tuple(sorted(genes)), tuple(sorted(drugs)), tuple(sorted(pairs)))
