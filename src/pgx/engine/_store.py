"""Rule results shared across evaluations, keyed by what each rule's leaves observed.

A rule's truth, trace, missing facts and residual condition are a function of its
condition and of its leaves' observations (each leaf's truth and the value it saw). The
store keeps them per distinct observation pattern, so a profile whose facts an earlier
profile already showed costs one dictionary look-up per rule instead of a tree walk, a
trace and an `Indeterminate`. Rules with equal conditions share one entry per pattern, so
an identical condition is walked once however many rules state it; rules that read the
same leaves (about 200 leaf sets for 500 rules) share one look-up for all of them.

Memory is bounded: past a fixed number of entries the compiled ruleset starts a new,
empty store. An evaluation keeps the store it started with, so observation codes of one
store never meet the entries of another.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from pgx.engine._facts import Observed
from pgx.model.logic import Truth
from pgx.model.report import TraceEntry

__all__ = ["MAX_ENTRIES", "ConditionResult", "GroupEntry", "Key", "RuleEntry", "Store"]

#: Entries (observation codes, condition results and rule results) a store holds at most.
MAX_ENTRIES = 200_000

#: A rule's observation codes in the order of its distinct leaves (one code if one leaf).
Key: TypeAlias = Any
#: What a rule contributes to a report: its truth, with the trace when it fires and its
#: `Indeterminate` when it cannot be decided (``None`` when it does not fire).
RuleEntry: TypeAlias = tuple[Truth, Any]
#: What the rules reading the same leaves contribute together: the firing ones as
#: (position, rule, trace), in ruleset order, and the `Indeterminate` entries.
GroupEntry: TypeAlias = tuple[tuple[tuple[int, Any, Any], ...], tuple[Any, ...]]


class ConditionResult:
    """A condition's result for one observation pattern: what a report says about it."""

    __slots__ = ("missing", "trace", "truth", "would_fire_if")

    def __init__(
        self,
        truth: Truth,
        trace: tuple[TraceEntry, ...],
        missing: tuple[str, ...],
        would_fire_if: str,
    ) -> None:
        self.truth = truth
        self.trace = trace
        self.missing = missing
        self.would_fire_if = would_fire_if


class Store:
    """Observation codes and results of one compiled ruleset, up to `MAX_ENTRIES`."""

    __slots__ = (
        "conditions",
        "false",
        "groups",
        "observations",
        "rules",
        "size",
        "true",
        "unknown",
    )

    def __init__(self, n_rules: int, n_conditions: int, n_groups: int) -> None:
        # observation codes by observed value, one table per truth: a look-up hashes only
        # the string (its hash is cached), not the enum (whose hash is a Python-level call)
        self.observations = 0
        self.true: dict[str, int] = {}
        self.false: dict[str, int] = {}
        self.unknown: dict[str, int] = {}
        self.conditions: list[dict[Key, ConditionResult]] = [{} for _ in range(n_conditions)]
        self.rules: list[dict[Key, RuleEntry]] = [{} for _ in range(n_rules)]
        self.groups: list[dict[Key, GroupEntry]] = [{} for _ in range(n_groups)]
        self.size = 0

    def code(self, observed: Observed) -> int:
        """The small integer standing for one observation in this store."""
        truth, seen = observed
        table = self.table(truth)
        found = table.get(seen)
        if found is None:
            found = table[seen] = self.observations
            self.observations += 1
            self.size += 1
        return found

    def table(self, truth: Truth) -> dict[str, int]:
        """The codes of the observations with this truth, by observed value."""
        if truth is Truth.TRUE:
            return self.true
        return self.false if truth is Truth.FALSE else self.unknown

    @property
    def full(self) -> bool:
        """Whether the store has reached its bound (the owner then starts a new one)."""
        return self.size >= MAX_ENTRIES
