"""The oncology coverage table: cancer type × biomarker × drug × evidence level.

``pgx lint -v`` and the documentation's coverage page print it, with the biomarker–drug pairs
the knowledge base deliberately leaves out (``out_of_scope`` in the knowledge tables), so a
reader sees both what the rules decide and what they are silent about on purpose.
"""

from __future__ import annotations

from attrs import frozen

from pgx.model import condition as rs
from pgx.model._words import describe_leaf
from pgx.model.knowledge import ScopeNote
from pgx.model.ruleset import Rule, RuleSet

__all__ = ["OncologyCoverage", "OncologyRow", "oncology_coverage"]

_BIOMARKER_LEAVES = (
    rs.SomaticLeaf,
    rs.CopyNumberLeaf,
    rs.FusionLeaf,
    rs.ExpressionLeaf,
    rs.BiomarkerLeaf,
    rs.GermlineVariantLeaf,
)
_LEVEL_ORDER = {level: i for i, level in enumerate(("1", "2", "3A", "3B", "4", "R1", "R2"))}


@frozen
class OncologyRow:
    """One rule as a row of the coverage table."""

    cancer_type: str
    biomarker: str
    drugs: str
    level: str
    rule_id: str


@frozen
class OncologyCoverage:
    """The rows of the active tumour-biomarker rules, and the pairs left out on purpose."""

    rows: tuple[OncologyRow, ...]
    out_of_scope: tuple[ScopeNote, ...]

    def lines(self) -> list[str]:
        """The table and the out-of-scope list as plain text, one entry per line."""
        out = ["oncology coverage (cancer type | biomarker | drugs | level | rule):"]
        out += [
            f"  {r.cancer_type} | {r.biomarker} | {r.drugs} | {r.level} | {r.rule_id}"
            for r in self.rows
        ]
        out.append("deliberately out of scope (cancer type | biomarker | drugs: reason):")
        out += [
            f"  {n.cancer_type} | {n.biomarker} | {', '.join(n.drugs)}: {n.reason}"
            for n in self.out_of_scope
        ]
        return out


def _cancer_types(cond: rs.Condition, pos: list[str], neg: list[str]) -> None:
    """Cancer types the rule is limited to, and those it excludes outright.

    Only conjuncts count: a cancer type inside an ``any`` or a compound ``not`` qualifies
    another condition (the IGF1R rule reads colorectal cancer only to ask for RAS testing)
    rather than limiting where the rule applies.
    """
    if isinstance(cond, rs.AllOf):
        for part in cond.parts:
            _cancer_types(part, pos, neg)
    elif isinstance(cond, rs.Not) and isinstance(cond.part, rs.CancerTypeLeaf):
        neg.extend(c for c in cond.part.in_ if c not in neg)
    elif isinstance(cond, rs.CancerTypeLeaf):
        pos.extend(c for c in cond.in_ if c not in pos)


def _biomarker(cond: rs.Condition) -> str:
    """The biomarker part of a condition in words; exclusions (``not``) are left out."""
    if isinstance(cond, rs.AllOf | rs.AnyOf):
        parts = [text for part in cond.parts if (text := _biomarker(part))]
        joiner = " and " if isinstance(cond, rs.AllOf) else " or "
        text = joiner.join(parts)
        return f"({text})" if len(parts) > 1 and isinstance(cond, rs.AnyOf) else text
    if isinstance(cond, rs.Not):
        return ""
    if isinstance(cond, _BIOMARKER_LEAVES):
        return describe_leaf(cond)
    return ""


def _drugs(rule: Rule) -> str:
    regimen = rule.then.regimen
    if regimen is not None and regimen.all_of:
        return " + ".join(regimen.all_of)
    if regimen is not None and regimen.any_of:
        return " / ".join(regimen.any_of)
    return ", ".join(rule.drugs)


def _row(rule: Rule) -> OncologyRow | None:
    biomarker = _biomarker(rule.when)
    if not biomarker:
        return None
    pos: list[str] = []
    neg: list[str] = []
    _cancer_types(rule.when, pos, neg)
    cancer = ", ".join(pos) if pos else "any"
    if neg:
        cancer += " except " + ", ".join(neg)
    return OncologyRow(cancer, biomarker, _drugs(rule), rule.then.evidence.level, rule.id)


def oncology_coverage(ruleset: RuleSet) -> OncologyCoverage:
    """Every active rule that reads a tumour biomarker (or a germline variant), as a row.

    Drugs are joined with ``+`` for a combination and ``/`` for alternatives.
    """
    rows = [
        row for rule in ruleset.rules if rule.status == "active" and (row := _row(rule)) is not None
    ]
    rows.sort(key=lambda r: (r.cancer_type, _LEVEL_ORDER.get(r.level, 99), r.rule_id))
    return OncologyCoverage(tuple(rows), ruleset.knowledge.out_of_scope)
