"""Rule outcomes over rows: Kleene's logic on one int8 array per truth.

A truth is one int8 per row in Kleene order, FALSE 0 < UNKNOWN 1 < TRUE 2, so ``all`` is
the minimum of its parts, ``any`` the maximum and ``not`` is ``2 - x``: one pass per part,
where a pair of boolean arrays (is true, is false) needs two. A rule whose leaves all read
the same columns is decided on those columns' distinct combinations and spread to the rows
with one ``take``; the others combine their leaves' row arrays, each leaf spread once per
batch however many rules name it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from pgx.cohort._plan import Node, Plan
from pgx.model.logic import Truth

__all__ = ["FALSE", "TRUE", "TRUTH_CODE", "UNKNOWN", "decide", "kleene"]

Int8s = npt.NDArray[np.int8]
Ints = npt.NDArray[np.int64]

#: Truth codes in Kleene order.
FALSE, UNKNOWN, TRUE = 0, 1, 2
TRUTH_CODE = {Truth.FALSE: FALSE, Truth.UNKNOWN: UNKNOWN, Truth.TRUE: TRUE}


def kleene(node: Node, leaf: Callable[[int], Int8s]) -> Int8s:
    """The truth codes of a rule tree, given each leaf's codes (never written to)."""
    kind = node[0]
    if kind == "leaf":
        return leaf(node[1])
    if kind == "not":
        return np.subtract(TRUE, kleene(node[1], leaf), dtype=np.int8)
    parts = [kleene(p, leaf) for p in node[1]]
    if len(parts) == 1:
        return parts[0]
    combine = np.minimum if kind == "all" else np.maximum
    out: Int8s = combine(parts[0], parts[1])
    for part in parts[2:]:
        combine(out, part, out=out)
    return out


def decide(
    plan: Plan,
    where: dict[int, tuple[int, int]],
    codes: Sequence[Ints],
    tables: Sequence[Int8s],
    rows: int,
) -> Int8s:
    """Truth codes, one row per candidate rule (ruleset order), one column per input row.

    Args:
        plan: The candidate rules.
        where: Per leaf, its group and its column in the group's table.
        codes: Per group, each row's distinct combination.
        tables: Per group, the leaf truth codes of each distinct combination.
        rows: Rows in the batch.
    """
    matrix = np.empty((len(plan.rules), rows), dtype=np.int8)
    spread: dict[int, Int8s] = {}

    def on_rows(n: int) -> Int8s:
        found = spread.get(n)
        if found is None:
            g, j = where[n]
            found = spread[n] = np.ascontiguousarray(tables[g][:, j])[codes[g]]
        return found

    columns: dict[int, Int8s] = {}

    def on_table(n: int) -> Int8s:
        found = columns.get(n)
        if found is None:
            g, j = where[n]
            found = columns[n] = np.ascontiguousarray(tables[g][:, j])
        return found

    for r, (tree, leaves) in enumerate(zip(plan.trees, plan.rule_leaves, strict=True)):
        groups = {where[n][0] for n in leaves}
        if len(groups) == 1:
            (g,) = groups
            small = kleene(tree, on_table)
            np.take(small, codes[g], out=matrix[r], mode="clip")  # codes are in range
        else:
            matrix[r] = kleene(tree, on_rows)
    return matrix
