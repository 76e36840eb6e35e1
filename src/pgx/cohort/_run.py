"""Evaluating a plan over a batch of encoded columns, with Kleene logic on boolean arrays.

Each leaf is decided once per distinct combination of the columns it reads, by the very
function the per-profile engine uses, then spread to every row by the integer codes. A truth
is two boolean arrays ``(is_true, is_false)``: a row where both are false is UNKNOWN, so
``not`` swaps the pair, ``all`` is (AND of trues, OR of falses) and ``any`` the converse.
Rules whose leaves all read the same columns are decided on the distinct values, not rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pgx.cohort._columns import Batch, Column, put
from pgx.cohort._encode import freeze
from pgx.cohort._plan import Node, Plan, relevant
from pgx.engine import compiled
from pgx.errors import Problem, ProfileError
from pgx.io import read_profile
from pgx.model.logic import Truth
from pgx.model.report import GenePhenotype

__all__ = ["OUTCOMES", "Evaluator"]

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
#: Outcome codes: position in this tuple.
OUTCOMES = ("does_not_fire", "fires", "indeterminate")
_DOES_NOT_FIRE, _FIRES, _INDETERMINATE = 0, 1, 2
_TRUTH_CODE = {Truth.FALSE: 0, Truth.TRUE: 1, Truth.UNKNOWN: 2}

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
PHENOTYPE_SCHEMA = pa.schema(
    [
        pa.field("row", pa.int64(), nullable=False),
        pa.field("profile_id", pa.string()),
        pa.field("gene", pa.string(), nullable=False),
        pa.field("diplotype", pa.string()),
        pa.field("phenotype", pa.string()),
        pa.field("activity_score", pa.float64()),
        pa.field("status", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
    ]
)


def joint(columns: Sequence[Column], rows: int) -> tuple[Ints, list[tuple[Any, ...]], Ints]:
    """Codes of the distinct value combinations of ``columns``.

    Returns the code of each row, the combinations, and one row holding each combination.
    """
    if not columns:
        return np.zeros(rows, dtype=np.int64), [()], np.zeros(1, dtype=np.int64)
    if len(columns) == 1:
        (column,) = columns
        present = np.zeros(len(column.values), dtype=np.int64) - 1
        present[column.codes[::-1]] = np.arange(rows - 1, -1, -1)
        used = np.flatnonzero(present >= 0)
        remap = np.zeros(len(column.values), dtype=np.int64)
        remap[used] = np.arange(len(used))
        combos = [(column.values[u],) for u in used]
        return remap[column.codes], combos, present[used]
    stacked = np.stack([c.codes for c in columns], axis=1)
    distinct, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    combos = [
        tuple(c.values[code] for c, code in zip(columns, row, strict=True)) for row in distinct
    ]
    return inverse.reshape(-1).astype(np.int64), combos, first.astype(np.int64)


class Evaluator:
    """Evaluates one plan over batches, caching leaf truths by distinct value across them."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.compiled = compiled(plan.ruleset)
        self.checked: set[tuple[tuple[str, ...], Any]] = set()
        self.leaf_cache: dict[Any, npt.NDArray[np.int8]] = {}
        self.phenotype_cache: dict[Any, dict[str, GenePhenotype]] = {}
        self.evaluations = 0  # rule evaluations (rules x rows), for benchmarks and progress
        rules = plan.rules
        self._rule_ids = pa.array([rules[i].id for i in plan.order], pa.string())
        self._versions = _Dictionary([rules[i].version for i in plan.order])
        self._actions = _Dictionary([rules[i].then.action for i in plan.order])
        self._levels = _Dictionary([rules[i].then.evidence.level for i in plan.order])
        self._drugs = _Lists([rules[i].drugs for i in plan.order])
        self._by = pa.array([rule.id for rule in rules], pa.string())
        self._outcome_names = pa.array(OUTCOMES, pa.string())

    # ---------------------------------------------------------------- checking input
    def check(self, batch: Batch) -> None:
        """Every distinct value of every column loads as part of a profile (or raise)."""
        if batch.checked:
            return
        problems: list[Problem] = []
        reported: set[tuple[str, str]] = set()
        for column in batch.columns:
            first = np.full(len(column.values), -1, dtype=np.int64)
            first[column.codes[::-1]] = np.arange(batch.rows - 1, -1, -1)
            for code, value in enumerate(column.values):
                if value is None or first[code] < 0:
                    continue
                key = (column.path, freeze(value))
                if key in self.checked:
                    continue
                mapping: dict[str, Any] = {}
                put(mapping, column.path, value)
                try:
                    read_profile(mapping)
                except ProfileError as exc:
                    where = batch.where(int(first[code]))
                    for p in exc.problems:
                        # one problem per path and message: the first row that has it
                        if (p.path, p.message) not in reported:
                            reported.add((p.path, p.message))
                            problems.append(Problem(p.path, p.message, where))
                    continue
                self.checked.add(key)
        if problems:
            raise ProfileError(problems)

    # ---------------------------------------------------------------- leaves
    def _profile(
        self, batch: Batch, columns: Sequence[Column], combo: tuple[Any, ...], row: int
    ) -> Any:
        mapping: dict[str, Any] = {}
        for column, value in zip(columns, combo, strict=True):
            put(mapping, column.path, value)
        try:
            return read_profile(mapping)
        except ProfileError as exc:
            where = batch.where(row)
            raise ProfileError(Problem(p.path, p.message, where) for p in exc.problems) from None

    def leaf_truths(
        self, batch: Batch
    ) -> tuple[dict[int, tuple[int, int]], list[Ints], list[npt.NDArray[np.int8]]]:
        """Leaf truths by distinct value.

        Returns, per leaf, its group and column in the group's table; per group, the row
        codes and the truth table (distinct combination x leaf: 0 false, 1 true, 2 unknown).
        """
        groups: dict[tuple[int, ...], list[int]] = {}
        for leaf, paths in self.plan.leaves.items():
            cols = tuple(i for i, c in enumerate(batch.columns) if relevant(c.path, paths))
            groups.setdefault(cols, []).append(leaf)
        where: dict[int, tuple[int, int]] = {}
        codes: list[Ints] = []
        tables: list[npt.NDArray[np.int8]] = []
        metas = self.compiled.leaf_meta
        for g, (cols, leaves) in enumerate(groups.items()):
            columns = [batch.columns[i] for i in cols]
            inverse, combos, first = joint(columns, batch.rows)
            paths = tuple(c.path for c in columns)
            table = np.empty((len(combos), len(leaves)), dtype=np.int8)
            for k, combo in enumerate(combos):
                key = (paths, tuple(leaves), freeze(list(combo)))
                found = self.leaf_cache.get(key)
                if found is None:
                    profile = self._profile(batch, columns, combo, int(first[k]))
                    facts = self.compiled.facts(profile)
                    found = np.array(
                        [_TRUTH_CODE[metas[n].fn(facts, metas[n].leaf)[0]] for n in leaves],
                        dtype=np.int8,
                    )
                    self.leaf_cache[key] = found
                table[k] = found
            for j, leaf in enumerate(leaves):
                where[leaf] = (g, j)
            codes.append(inverse)
            tables.append(table)
        return where, codes, tables

    # ---------------------------------------------------------------- rules
    def outcomes(self, batch: Batch) -> npt.NDArray[np.int8]:
        """Outcome codes, one row per candidate rule (ruleset order), one column per row."""
        plan = self.plan
        where, codes, tables = self.leaf_truths(batch)
        matrix = np.empty((len(plan.rules), batch.rows), dtype=np.int8)
        for r, (tree, leaves) in enumerate(zip(plan.trees, plan.rule_leaves, strict=True)):
            groups = {where[n][0] for n in leaves}
            if len(groups) == 1:
                (g,) = groups
                table = tables[g]

                def on_table(n: int, table: npt.NDArray[np.int8] = table) -> tuple[Bools, Bools]:
                    column = table[:, where[n][1]]
                    return column == 1, column == 0

                t, f = _kleene(tree, on_table)
                matrix[r] = _code(t, f)[codes[g]]
            else:

                def on_rows(n: int) -> tuple[Bools, Bools]:
                    g, j = where[n]
                    column = tables[g][:, j][codes[g]]
                    return column == 1, column == 0

                t, f = _kleene(tree, on_rows)
                matrix[r] = _code(t, f)
        self.evaluations += len(plan.rules) * batch.rows
        return matrix

    def results(self, batch: Batch, wanted: frozenset[str]) -> pa.Table:
        """The long result table of a batch.

        One row per profile and candidate rule whose outcome is in ``wanted``, in input
        order and rule id order within a profile.
        """
        plan = self.plan
        matrix = self.outcomes(batch)
        n_rules = len(plan.rules)
        by = np.full((n_rules, batch.rows), -1, dtype=np.int32)
        for x, targets in enumerate(plan.supersedes):
            if targets:
                fires = matrix[x] == _FIRES
                for y in targets:
                    by[y][fires] = x
        by[matrix == _DOES_NOT_FIRE] = -1
        shown = (matrix == _FIRES) & (by < 0)
        conflict = np.zeros_like(shown)
        for a, b in plan.clashes:
            conflict[a] |= shown[a] & shown[b]
        order = np.asarray(plan.order, dtype=np.int64)
        # profile-major copies, so the kept cells come out in (row, rule id) order
        by_rows = np.ascontiguousarray(matrix[order].T)
        keep = np.zeros(by_rows.shape, dtype=np.bool_)
        for code, name in enumerate(OUTCOMES):
            if name in wanted:
                keep |= by_rows == code
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
                pa.array(rows.astype(np.int64) + batch.offset),
                _ids(batch.ids, rows),
                pa.DictionaryArray.from_arrays(index, self._rule_ids),
                self._versions.take(positions),
                pa.DictionaryArray.from_arrays(
                    pa.array(outcome.astype(np.int8)), self._outcome_names
                ),
                self._actions.take(positions),
                self._drugs.take(positions),
                self._levels.take(positions),
                pa.DictionaryArray.from_arrays(pa.array(superseded, mask=superseded < 0), self._by),
                pa.array(clash),
            ],
            schema=RESULT_SCHEMA,
        )

    # ---------------------------------------------------------------- phenotypes
    def phenotypes(self, batch: Batch) -> pa.Table:
        """One row per profile and germline gene: the gene's result as pgx understood it."""
        units: dict[str, list[Column]] = {}
        for column in batch.columns:
            if column.path[0] == "germline":
                unit = column.path[1] if len(column.path) > 1 else ""
                units.setdefault(unit, []).append(column)
        parts: list[tuple[Ints, list[str], list[GenePhenotype]]] = []
        for columns in units.values():
            inverse, combos, first = joint(columns, batch.rows)
            paths = tuple(c.path for c in columns)
            found: list[dict[str, GenePhenotype]] = []
            for k, combo in enumerate(combos):
                key = (paths, freeze(list(combo)))
                called = self.phenotype_cache.get(key)
                if called is None:
                    if all(v is None for v in combo):
                        called = {}
                    else:
                        profile = self._profile(batch, columns, combo, int(first[k]))
                        called = dict(self.compiled.facts(profile).phenotypes)
                    self.phenotype_cache[key] = called
                found.append(called)
            for gene in sorted({g for called in found for g in called}):
                present = np.array([gene in called for called in found], dtype=np.bool_)
                rows = np.flatnonzero(present[inverse])
                combo_of = inverse[rows]
                results = [found[k].get(gene) for k in range(len(found))]
                calls = [results[k] for k in combo_of]
                parts.append((rows, [gene] * len(rows), calls))
        if not parts:
            return PHENOTYPE_SCHEMA.empty_table()
        rows = np.concatenate([p[0] for p in parts])
        genes = [g for p in parts for g in p[1]]
        calls = [c for p in parts for c in p[2]]
        order = np.lexsort((np.array(genes, dtype=object).astype(str), rows))
        ids = pa.array(batch.ids, pa.string())
        ordered = [calls[i] for i in order]
        return pa.Table.from_arrays(
            [
                pa.array(rows[order].astype(np.int64) + batch.offset),
                ids.take(pa.array(rows[order])),
                pa.array([genes[i] for i in order], pa.string()),
                pa.array([c.diplotype for c in ordered], pa.string()),
                pa.array([c.phenotype for c in ordered], pa.string()),
                pa.array([c.activity_score for c in ordered], pa.float64()),
                pa.array([c.status for c in ordered], pa.string()),
                pa.array([c.source for c in ordered], pa.string()),
            ],
            schema=PHENOTYPE_SCHEMA,
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
    """A per-rule list-of-strings column, built from offsets (no per-row Python)."""

    def __init__(self, values: Sequence[Sequence[str]]) -> None:
        self.names = pa.array(sorted({v for items in values for v in items}), pa.string())
        names = self.names.to_pylist()
        self.lengths = np.array([len(items) for items in values], dtype=np.int64)
        width = int(self.lengths.max()) if len(values) else 0
        self.table = np.zeros((len(values), max(width, 1)), dtype=np.int32)
        self.present = np.zeros(self.table.shape, dtype=np.bool_)
        for rule, items in enumerate(values):
            self.table[rule, : len(items)] = [names.index(v) for v in items]
            self.present[rule, : len(items)] = True

    def take(self, positions: Ints) -> pa.ListArray:
        offsets = np.zeros(len(positions) + 1, dtype=np.int32)
        np.cumsum(self.lengths[positions], out=offsets[1:])
        # each row's rule's items, padded to the widest rule; the mask drops the padding and
        # keeps row order
        flat = self.table[positions][self.present[positions]]
        values = pa.DictionaryArray.from_arrays(pa.array(flat), self.names).cast(pa.string())
        return pa.ListArray.from_arrays(pa.array(offsets), values)


def _ids(ids: list[str | None], rows: Ints) -> pa.Array:
    encoded = pc.dictionary_encode(pa.array(ids, pa.string()))
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)[rows]
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), encoded.dictionary)


def _code(t: Bools, f: Bools) -> npt.NDArray[np.int8]:
    out = np.full(t.shape, _INDETERMINATE, dtype=np.int8)
    out[t] = _FIRES
    out[f] = _DOES_NOT_FIRE
    return out


def _kleene(node: Node, leaf: Any) -> tuple[Bools, Bools]:
    kind = node[0]
    if kind == "leaf":
        t, f = leaf(node[1])
        return t, f
    if kind == "not":
        t, f = _kleene(node[1], leaf)
        return f, t
    parts = [_kleene(p, leaf) for p in node[1]]
    trues = [p[0] for p in parts]
    falses = [p[1] for p in parts]
    if kind == "all":
        return np.logical_and.reduce(trues), np.logical_or.reduce(falses)
    return np.logical_or.reduce(trues), np.logical_and.reduce(falses)
