"""A ruleset compiled for columns: rule trees over leaf numbers, and what each leaf reads.

The plan holds only plain data (tuples of numbers and strings) next to the `RuleSet`, so it
pickles with the ruleset and is rebuilt cheaply in each worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias

from pgx.engine import compiled, contradicts
from pgx.errors import InputError, Problem
from pgx.model import condition as rs
from pgx.model.ruleset import Rule, RuleSet

__all__ = ["Node", "Plan", "reads"]

#: ``("leaf", n)``, ``("not", node)``, ``("all", nodes)`` or ``("any", nodes)``.
Node: TypeAlias = tuple[Any, ...]


def reads(leaf: rs.Leaf) -> tuple[tuple[str, ...], ...]:
    """The profile paths a leaf's truth depends on (and nothing else of the profile).

    The equivalence of the columnar and the per-profile engine rests on this table: a leaf
    is evaluated once per distinct combination of the columns at or under these paths.
    """
    match leaf:
        case (
            rs.PhenotypeLeaf()
            | rs.DiplotypeLeaf()
            | rs.AlleleLeaf()
            | rs.ActivityScoreLeaf()
            | rs.VariantLeaf()
            | rs.GermlineVariantLeaf()
        ):
            return (("germline", leaf.gene),)
        case rs.SomaticLeaf():
            return (("tumor", "variants"), ("tumor", "sequenced_genes"))
        case rs.CopyNumberLeaf():
            return (("tumor", "copy_number"), ("tumor", "sequenced_genes"))
        case rs.FusionLeaf():
            return (("tumor", "fusions"), ("tumor", "sequenced_genes"))
        case rs.ExpressionLeaf(gene):
            return (("tumor", "expression", gene),)
        case rs.BiomarkerLeaf(name):
            return (("tumor", "biomarkers", name),)
        case rs.CancerTypeLeaf():
            return (("tumor", "cancer_type"),)
        case rs.DiagnosisLeaf():
            return (("clinical", "diagnoses"),)
        case rs.MedicationLeaf():
            return (("clinical", "medications"),)
        case rs.TherapyLeaf():
            return (("clinical", "therapies"),)
        case rs.LabLeaf(name):
            return (("clinical", "labs", name),)
    raise TypeError(leaf)  # pragma: no cover - every leaf kind is matched above


class Plan:
    """The candidate rules of a ruleset (all active ones, or those about some drugs).

    Attributes:
        rules: Candidate rules, in the ruleset's order (the order supersedes applies in).
        trees: Each rule's condition over leaf numbers of the compiled ruleset.
        leaves: Every leaf number the candidates use, with the paths it reads.
        order: Candidate positions sorted by rule id (the order of output rows).
        supersedes: Per candidate, the candidate positions it hides when it fires.
        conflict_groups: Per drug and source whose actions can contradict: per action, the
            candidate positions with it and the indices (in the group) of the actions that
            contradict it. Linear in the rules per drug: no pairs of rules.
    """

    def __init__(self, ruleset: RuleSet, drugs: Iterable[str] | None = None) -> None:
        engine = compiled(ruleset)
        self.ruleset = ruleset
        self.requested: tuple[str, ...] | None = None
        if drugs is None:
            rules = [rule for rule, _ in engine.active]
        else:
            self.requested = tuple(sorted({d.strip().lower() for d in drugs}))
            unknown = [d for d in self.requested if d not in ruleset.knowledge.drugs]
            if unknown:
                raise InputError(
                    Problem(f"drugs[{i}]", f"unknown drug '{d}' (not in the drug table)")
                    for i, d in enumerate(unknown)
                )
            indices = sorted({i for d in self.requested for i in engine.by_drug.get(d, ())})
            rules = [engine.active[i][0] for i in indices]
        self.rules: tuple[Rule, ...] = tuple(rules)
        index = engine.index_of_object

        def tree(cond: rs.Condition) -> Node:
            if isinstance(cond, rs.AllOf):
                return ("all", tuple(tree(p) for p in cond.parts))
            if isinstance(cond, rs.AnyOf):
                return ("any", tuple(tree(p) for p in cond.parts))
            if isinstance(cond, rs.Not):
                return ("not", tree(cond.part))
            return ("leaf", index[id(cond)])

        self.trees: tuple[Node, ...] = tuple(tree(rule.when) for rule in rules)
        self.rule_leaves: tuple[tuple[int, ...], ...] = tuple(
            engine.rule_leaves[rule.id] for rule in rules
        )
        used = sorted({n for leaves in self.rule_leaves for n in leaves})
        self.leaves: dict[int, tuple[tuple[str, ...], ...]] = {
            n: reads(engine.leaf_meta[n].leaf) for n in used
        }
        self.order = tuple(sorted(range(len(rules)), key=lambda i: rules[i].id))
        position = {rule.id: i for i, rule in enumerate(rules)}
        self.supersedes = tuple(
            tuple(position[s] for s in rule.supersedes if s in position) for rule in rules
        )
        by_group: dict[tuple[str, str | None], dict[str, list[int]]] = {}
        for i, rule in enumerate(rules):
            for drug in rule.drugs:
                group = by_group.setdefault((drug, rule.source), {})
                group.setdefault(rule.then.action, []).append(i)
        groups = []
        for actions in by_group.values():
            names = sorted(actions)
            entry = tuple(
                (tuple(actions[a]), tuple(k for k, b in enumerate(names) if contradicts(a, b)))
                for a in names
            )
            if any(against for _, against in entry):
                groups.append(entry)
        self.conflict_groups: tuple[tuple[tuple[tuple[int, ...], tuple[int, ...]], ...], ...] = (
            tuple(groups)
        )


def relevant(path: tuple[str, ...], reads_: tuple[tuple[str, ...], ...]) -> bool:
    """A column at ``path`` matters to a leaf reading ``reads_`` (one lies inside the other)."""
    for wanted in reads_:
        n = min(len(path), len(wanted))
        if path[:n] == wanted[:n]:
            return True
    return False
