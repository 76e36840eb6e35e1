"""Evaluating a plan over a batch of encoded columns: leaves, then rules, then tables.

Each leaf is decided once per distinct combination of the columns it reads, by the very
function the per-profile engine uses, then spread to every row by the integer codes. Rules
combine the leaves with Kleene's logic on int8 truth codes (`_logic`); the result table
(`_results`) and the phenotype table are built from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from pgx.cohort._columns import Batch, Column, put
from pgx.cohort._encode import freeze
from pgx.cohort._logic import TRUTH_CODE, decide
from pgx.cohort._plan import Plan, relevant
from pgx.cohort._results import OUTCOMES, RESULT_SCHEMA, Results
from pgx.engine import compiled
from pgx.errors import Problem, ProfileError
from pgx.io import read_profile
from pgx.model.report import GenePhenotype

__all__ = ["OUTCOMES", "PHENOTYPE_SCHEMA", "RESULT_SCHEMA", "Evaluator"]

Ints = npt.NDArray[np.int64]

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
        # the profiles this batch's new values load as, reused when their leaves are decided
        self.loaded: dict[tuple[tuple[str, ...], Any], Any] = {}
        self.leaf_cache: dict[Any, npt.NDArray[np.int8]] = {}
        self.phenotype_cache: dict[Any, dict[str, GenePhenotype]] = {}
        self.evaluations = 0  # rule evaluations (rules x rows), for benchmarks and progress
        self._results = Results(plan)

    # ---------------------------------------------------------------- checking input
    def check(self, batch: Batch) -> None:
        """Every distinct value of every column loads as part of a profile (or raise)."""
        self.loaded = {}
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
                    loaded = read_profile(mapping)
                except ProfileError as exc:
                    where = batch.where(int(first[code]))
                    for p in exc.problems:
                        # one problem per path and message: the first row that has it
                        if (p.path, p.message) not in reported:
                            reported.add((p.path, p.message))
                            problems.append(Problem(p.path, p.message, where))
                    continue
                self.checked.add(key)
                self.loaded[key] = loaded
        if problems:
            raise ProfileError(problems)

    # ---------------------------------------------------------------- leaves
    def _profile(
        self, batch: Batch, columns: Sequence[Column], combo: tuple[Any, ...], row: int
    ) -> Any:
        if len(columns) == 1 and combo[0] is not None:
            # one column: the very mapping `check` loaded, so its profile is at hand
            found = self.loaded.get((columns[0].path, freeze(combo[0])))
            if found is not None:
                return found
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
        codes and the truth table (distinct combination x leaf, codes of `_logic`).
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
                        [TRUTH_CODE[metas[n].fn(facts, metas[n].leaf)[0]] for n in leaves],
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
        """Truth codes (`_logic`), one row per candidate rule (ruleset order), one per row."""
        where, codes, tables = self.leaf_truths(batch)
        matrix = decide(self.plan, where, codes, tables, batch.rows)
        self.evaluations += len(self.plan.rules) * batch.rows
        return matrix

    def results(self, batch: Batch, wanted: frozenset[str]) -> pa.Table:
        """The long result table of a batch.

        One row per profile and candidate rule whose outcome is in ``wanted``, in input
        order and rule id order within a profile.
        """
        return self._results.table(self.outcomes(batch), batch.ids, batch.offset, wanted)

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
