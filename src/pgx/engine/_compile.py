"""Compiling a ruleset's conditions to three-valued predicates over shared, memoized leaves.

Rules are compiled once per `RuleSet` into closures; no rule text is ever ``eval``-ed. During
one evaluation each distinct leaf is computed once and shared by every rule that names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import TypeAlias

from pgx.engine._clinical import CLINICAL
from pgx.engine._facts import Facts, LeafMeta, Observed
from pgx.engine._germline import GERMLINE, genotype_key
from pgx.engine._store import ConditionResult, GroupEntry, Key, RuleEntry, Store
from pgx.engine._tumor import TUMOR
from pgx.model import ruleset as rs
from pgx.model._words import describe, leaves_of
from pgx.model.logic import Truth, all_of, any_of, not_
from pgx.model.profile import Profile
from pgx.model.report import Indeterminate

__all__ = ["CompiledRuleSet", "RuleOutcome", "compiled"]

_PREDICATES: Mapping[type[object], Callable[[Facts, object], Observed]] = {
    **GERMLINE,
    **TUMOR,
    **CLINICAL,
}


def _undecided(cond: rs.Condition, facts: Facts) -> tuple[Truth, str | None, list[str]]:
    """Truth, undecided remainder in words, and the paths that would decide it, in one pass.

    Only UNKNOWN parts contribute: a FALSE part of an ``any`` or a TRUE part of an ``all``
    is decided and says nothing about what is missing.
    """
    if isinstance(cond, rs.AllOf | rs.AnyOf):
        results = [_undecided(p, facts) for p in cond.parts]
        truths = [t for t, _, _ in results]
        truth = all_of(truths) if isinstance(cond, rs.AllOf) else any_of(truths)
        open_parts = [(r, m) for t, r, m in results if t is Truth.UNKNOWN]
        words = [r for r, _ in open_parts if r is not None]
        missing = [path for _, m in open_parts for path in m]
        if not words:
            return truth, None, missing
        joiner = " and " if isinstance(cond, rs.AllOf) else " or "
        return truth, (words[0] if len(words) == 1 else "(" + joiner.join(words) + ")"), missing
    if isinstance(cond, rs.Not):
        truth, inner, missing = _undecided(cond.part, facts)
        return not_(truth), (None if inner is None else f"not {inner}"), missing
    index = facts.compiled.index_of_object[id(cond)]
    truth = facts.observed(cond)[0]
    if truth is not Truth.UNKNOWN:
        return truth, None, []
    meta = facts.compiled.leaf_meta[index]
    return truth, meta.description, [meta.path]


Predicate: TypeAlias = Callable[[Facts], Truth]


def _has_not(cond: rs.Condition) -> bool:
    if isinstance(cond, rs.Not):
        return True
    if isinstance(cond, rs.AllOf | rs.AnyOf):
        return any(_has_not(p) for p in cond.parts)
    return False


def _compile(cond: rs.Condition, index_of: Callable[[rs.Leaf], int]) -> Predicate:
    if isinstance(cond, rs.AllOf):
        parts = tuple(_compile(p, index_of) for p in cond.parts)
        # every part is evaluated (no short circuit) so the trace is complete
        return lambda facts: all_of([p(facts) for p in parts])
    if isinstance(cond, rs.AnyOf):
        parts = tuple(_compile(p, index_of) for p in cond.parts)
        return lambda facts: any_of([p(facts) for p in parts])
    if isinstance(cond, rs.Not):
        inner = _compile(cond.part, index_of)
        return lambda facts: not_(inner(facts))
    index = index_of(cond)
    return lambda facts: facts.leaf(index)


class RuleOutcome:
    """One rule's result for one profile (used by `pgx explain` and `pgx test`)."""

    def __init__(self, rule: rs.Rule, truth: Truth, facts: Facts) -> None:
        self.rule = rule
        self.truth = truth
        self.warnings = tuple(sorted(facts.warnings))  # about the profile (a gene typo...)
        leaf_ids = facts.compiled.rule_leaves[rule.id]
        self.trace = tuple(facts.entry(i) for i in leaf_ids)
        self.missing: tuple[str, ...] = ()
        self.would_fire_if = ""
        if truth is Truth.UNKNOWN:
            if rule.id in facts.compiled.single_leaf:
                # a single leaf (possibly under all/any): it is the whole residual
                meta = facts.compiled.leaf_meta[leaf_ids[0]]
                self.missing, self.would_fire_if = (meta.path,), meta.description
            else:
                _, residual, missing = _undecided(rule.when, facts)
                self.missing = tuple(dict.fromkeys(missing))
                self.would_fire_if = residual or describe(rule.when)

    @property
    def outcome(self) -> str:
        """``fires``, ``does_not_fire`` or ``indeterminate``."""
        return {Truth.TRUE: "fires", Truth.FALSE: "does_not_fire"}.get(self.truth, "indeterminate")


class CompiledRuleSet:
    """A ruleset's rules compiled to predicates and indexed by drug."""

    def __init__(self, ruleset: rs.RuleSet) -> None:
        self.ruleset = ruleset
        self.leaf_meta: list[LeafMeta] = []
        self.index_of_object: dict[int, int] = {}  # id(leaf object) -> leaf index
        by_value: dict[rs.Leaf, int] = {}

        def index_of(leaf: rs.Leaf) -> int:
            index = by_value.get(leaf)
            if index is None:
                index = by_value[leaf] = len(self.leaf_meta)
                self.leaf_meta.append(LeafMeta(leaf, _PREDICATES[type(leaf)]))
            self.index_of_object[id(leaf)] = index
            return index

        self.all_rules = tuple((rule, _compile(rule.when, index_of)) for rule in ruleset.rules)
        self.rule_leaves = {
            rule.id: tuple(dict.fromkeys(by_value[leaf] for leaf in leaves_of(rule.when)))
            for rule in ruleset.rules
        }
        # rules whose whole condition is one leaf under all/any (no not): the leaf is the
        # residual, so indeterminate reporting needs no tree walk
        self.single_leaf = frozenset(
            rule.id
            for rule in ruleset.rules
            if len(self.rule_leaves[rule.id]) == 1 and not _has_not(rule.when)
        )
        self.active = tuple((r, p) for r, p in self.all_rules if r.status == "active")
        # the result store (see _store): rules with equal conditions share a condition slot;
        # a rule's key is its leaves' observation codes, read by one C-level itemgetter
        conditions: dict[rs.Condition, int] = {}
        self.condition_of = tuple(
            conditions.setdefault(rule.when, len(conditions)) for rule, _ in self.active
        )
        self.active_leaves = tuple(self.rule_leaves[rule.id] for rule, _ in self.active)
        self.key_of: tuple[Callable[[Sequence[int]], Key], ...] = tuple(
            itemgetter(*leaves) if leaves else _no_leaves for leaves in self.active_leaves
        )
        self.every_active_leaf = tuple(sorted({n for ns in self.active_leaves for n in ns}))
        # rules reading the same leaves, in ruleset order: one key and one look-up for all
        groups: dict[tuple[int, ...], list[int]] = {}
        for position, leaves in enumerate(self.active_leaves):
            groups.setdefault(leaves, []).append(position)
        self.groups = tuple(tuple(g) for g in groups.values())
        self.group_key_of = tuple(self.key_of[g[0]] for g in self.groups)
        self._n_conditions = len(conditions)
        self.store = self._new_store()
        by_drug: dict[str, list[int]] = {}
        for index, (rule, _) in enumerate(self.active):
            # only the drugs a rule is about: ordering an alternative it suggests (prasugrel)
            # must not bring up advice about another drug (clopidogrel)
            for drug in rule.drugs:
                by_drug.setdefault(drug, []).append(index)
        self.by_drug = {k: tuple(v) for k, v in by_drug.items()}
        letters: dict[str, set[str]] = {}
        for meta in self.leaf_meta:
            if isinstance(meta.leaf, rs.VariantLeaf):
                for genotype in meta.leaf.genotype:
                    letters.setdefault(meta.leaf.rsid, set()).update(genotype_key(genotype) or ())
        for defs in ruleset.knowledge.allele_definitions.values():
            for pos_id, pos in defs.positions.items():
                if pos_id in letters:
                    letters[pos_id].update(b.upper() for b in (pos.ref, *pos.alts))
        self.rsid_letters = {k: frozenset(v) for k, v in letters.items()}
        self.gene_by_upper = {g.upper(): g for g in ruleset.knowledge.genes}
        # every class of every drug, ancestors included, once (not per medication and leaf)
        self.drug_classes = {d: ruleset.knowledge.classes_of(d) for d in ruleset.knowledge.drugs}
        self.phenotype_cache: dict[object, object] = {}

    def facts(self, profile: Profile) -> Facts:
        """Normalize a profile for evaluation."""
        return Facts(profile, self.ruleset.knowledge, self.phenotype_cache, self)

    def current_store(self) -> Store:
        """The result store to use for one evaluation (a new one once the last is full)."""
        store = self.store
        if store.full:
            store = self.store = self._new_store()
        return store

    def _new_store(self) -> Store:
        return Store(len(self.active), self._n_conditions, len(self.groups))

    def observe(self, facts: Facts, leaves: Iterable[int], store: Store) -> list[int]:
        """Evaluate ``leaves`` for ``facts``: their observation codes, by leaf index."""
        codes = [0] * len(self.leaf_meta)
        values = facts.values
        metas = self.leaf_meta
        true, false, unknown = store.true, store.false, store.unknown
        for index in leaves:
            meta = metas[index]
            observed = values[index] = meta.fn(facts, meta.leaf)
            truth, seen = observed
            table = true if truth is Truth.TRUE else false if truth is Truth.FALSE else unknown
            code = table.get(seen)
            codes[index] = store.code(observed) if code is None else code
        return codes

    def decide(self, position: int, key: Key, facts: Facts, store: Store) -> RuleEntry:
        """Active rule ``position``'s entry for an observation pattern not stored yet.

        Its leaves must have been observed (`observe`) into ``facts`` with ``store``.
        """
        rule, predicate = self.active[position]
        table = store.conditions[self.condition_of[position]]
        found = table.get(key)
        if found is None:
            truth = predicate(facts)
            outcome = RuleOutcome(rule, truth, facts)
            found = ConditionResult(truth, outcome.trace, outcome.missing, outcome.would_fire_if)
            table[key] = found
            store.size += 1
        truth = found.truth
        payload: object = None
        if truth is Truth.TRUE:
            payload = found.trace
        elif truth is Truth.UNKNOWN:
            then = rule.then
            payload = Indeterminate(
                rule.id,
                rule.version,
                rule.drugs,
                then.summary,
                found.missing,
                found.would_fire_if,
                found.trace,
            )
        entry = store.rules[position][key] = (truth, payload)
        store.size += 1
        return entry

    def decide_group(self, group: int, key: Key, facts: Facts, store: Store) -> GroupEntry:
        """The entry of rule group ``group`` for an observation pattern not stored yet."""
        fired = []
        undecided = []
        tables = store.rules
        for position in self.groups[group]:
            entry = tables[position].get(key)
            if entry is None:
                entry = self.decide(position, key, facts, store)
            truth, payload = entry
            if truth is Truth.TRUE:
                fired.append((position, self.active[position][0], payload))
            elif truth is Truth.UNKNOWN:
                undecided.append(payload)
        found = store.groups[group][key] = (tuple(fired), tuple(undecided))
        store.size += 1
        return found

    def outcome(self, profile: Profile, rule_id: str) -> RuleOutcome:
        """Evaluate one rule (whatever its status) with its full trace."""
        for rule, predicate in self.all_rules:
            if rule.id == rule_id:
                facts = self.facts(profile)
                return RuleOutcome(rule, predicate(facts), facts)
        raise KeyError(rule_id)


def _no_leaves(codes: Sequence[int]) -> Key:
    return ()


def compiled(ruleset: rs.RuleSet) -> CompiledRuleSet:
    """The ruleset compiled, built once and kept on the ruleset (`RuleSet.compiled`)."""
    found = ruleset.compiled
    if not isinstance(found, CompiledRuleSet):  # pragma: no cover - only the engine compiles
        raise TypeError(f"expected the engine's compiled ruleset, found {type(found).__name__}")
    return found
