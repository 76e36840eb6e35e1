"""The long result table of a batch: outcomes, what supersedes what, and conflicts.

Supersedes and conflicts are worked out per row as a report does, in time linear in the
rules per drug: a rule hides the rules it names when it fires (the last in ruleset order
wins, as in a report), and a shown finding conflicts when another shown finding of the same
source on a shared drug has a contradicting action. That second test looks at the few
actions of a (drug, source) group, never at pairs of rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pgx.cohort._logic import FALSE, TRUE, UNKNOWN
from pgx.cohort._plan import Plan

__all__ = ["OUTCOMES", "RESULT_SCHEMA", "Results"]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

#: The outcomes a result row can have.
OUTCOMES = ("does_not_fire", "fires", "indeterminate")
_CODE = {"does_not_fire": FALSE, "indeterminate": UNKNOWN, "fires": TRUE}

RESULT_SCHEMA = pa.schema(
    [
        pa.field("row", pa.int64(), nullable=False),
        pa.field("profile_id", pa.dictionary(pa.int32(), pa.string())),
        pa.field("rule_id", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        pa.field("rule_version", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        pa.field("outcome", pa.dictionary(pa.int8(), pa.string()), nullable=False),
        pa.field("action", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        pa.field("drugs", pa.list_(pa.string()), nullable=False),
        pa.field("evidence_level", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        pa.field("superseded_by", pa.dictionary(pa.int32(), pa.string())),
        pa.field("conflict", pa.bool_(), nullable=False),
    ]
)


class Results:
    """Builds result tables for one plan (its per-rule columns made once)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        rules = plan.rules
        self._rule_ids = pa.array([rules[i].id for i in plan.order], pa.string())
        self._versions = _Dictionary([rules[i].version for i in plan.order])
        self._actions = _Dictionary([rules[i].then.action for i in plan.order])
        self._levels = _Dictionary([rules[i].then.evidence.level for i in plan.order])
        self._drugs = _Lists([rules[i].drugs for i in plan.order])
        self._by = pa.array([rule.id for rule in rules], pa.string())
        # the output dictionary in truth-code order, so a code is its own index
        names = sorted(_CODE, key=_CODE.__getitem__)
        self._outcome_names = pa.array(names, pa.string())

    def superseded(self, matrix: npt.NDArray[np.int8]) -> npt.NDArray[np.int32]:
        """Per rule and row, the candidate position of the firing rule that hides it, or -1."""
        plan = self.plan
        by = np.full(matrix.shape, -1, dtype=np.int32)
        for x, targets in enumerate(plan.supersedes):
            if targets:
                fires = matrix[x] == TRUE
                for y in targets:
                    by[y][fires] = x
        by[matrix == FALSE] = -1
        return by

    def conflicts(self, shown: Bools) -> Bools:
        """Per rule and row: a shown finding contradicted by another on a shared drug."""
        conflict = np.zeros_like(shown)
        for group in self.plan.conflict_groups:
            # per action of the group: does any rule with it show, row by row
            any_shown = [np.logical_or.reduce(shown[list(pos)]) for pos, _ in group]
            for positions, against in group:
                if not against:
                    continue
                opposed = any_shown[against[0]].copy()
                for k in against[1:]:
                    opposed |= any_shown[k]
                rows = list(positions)
                conflict[rows] |= shown[rows] & opposed
        return conflict

    def table(
        self,
        matrix: npt.NDArray[np.int8],
        ids: Sequence[str | None],
        offset: int,
        wanted: frozenset[str],
    ) -> pa.Table:
        """Rows for the cells whose outcome is in ``wanted``, by input row then rule id."""
        plan = self.plan
        n_rules = len(plan.rules)
        by = self.superseded(matrix)
        shown = (matrix == TRUE) & (by < 0)
        conflict = self.conflicts(shown)
        order = np.asarray(plan.order, dtype=np.int64)
        # profile-major copies, so the kept cells come out in (row, rule id) order
        by_rows = np.ascontiguousarray(matrix[order].T)
        if len(wanted) == len(_CODE):
            flat = np.arange(by_rows.size, dtype=np.int64)
        else:
            keep = np.zeros(by_rows.shape, dtype=np.bool_)
            for name in wanted:
                keep |= by_rows == _CODE[name]
            flat = np.flatnonzero(keep)
        rows, positions = np.divmod(flat, n_rules)
        outcome = by_rows.ravel()[flat]
        superseded = np.full(len(flat), -1, dtype=np.int32)
        if (by >= 0).any():
            superseded = np.ascontiguousarray(by[order].T).ravel()[flat]
        clash = np.zeros(len(flat), dtype=np.bool_)
        if conflict.any():
            clash = np.ascontiguousarray(conflict[order].T).ravel()[flat]
        index = pa.array(positions.astype(np.int32))
        return pa.Table.from_arrays(
            [
                pa.array(rows.astype(np.int64) + offset),
                _ids(ids, rows),
                pa.DictionaryArray.from_arrays(index, self._rule_ids),
                self._versions.take(positions),
                pa.DictionaryArray.from_arrays(pa.array(outcome), self._outcome_names),
                self._actions.take(positions),
                self._drugs.take(positions),
                self._levels.take(positions),
                pa.DictionaryArray.from_arrays(pa.array(superseded, mask=superseded < 0), self._by),
                pa.array(clash),
            ],
            schema=RESULT_SCHEMA,
        )


class _Dictionary:
    """A per-rule string column as a dictionary array (few distinct values, each once)."""

    def __init__(self, values: Sequence[str]) -> None:
        distinct = sorted(set(values))
        self.values = pa.array(distinct, pa.string())
        self.codes = np.array([distinct.index(v) for v in values], dtype=np.int32)

    def take(self, positions: Ints) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(self.codes[positions]), self.values)


class _Lists:
    """A per-rule list-of-strings column: each rule's list once, taken by Arrow's kernel."""

    def __init__(self, values: Sequence[Sequence[str]]) -> None:
        self.lists = pa.array([list(items) for items in values], pa.list_(pa.string()))

    def take(self, positions: Ints) -> pa.ListArray:
        return self.lists.take(pa.array(positions))


def _ids(ids: Sequence[str | None], rows: Ints) -> pa.Array:
    encoded = pc.dictionary_encode(pa.array(ids, pa.string()))
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)[rows]
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), encoded.dictionary)
