"""The columnar engine's int8 Kleene logic and its linear conflict bookkeeping."""

from __future__ import annotations

import functools
import itertools

import pytest

pytest.importorskip("numpy")

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pgx
import pgx.cohort
from pgx.cohort._logic import FALSE, TRUE, TRUTH_CODE, UNKNOWN, kleene
from pgx.cohort._plan import Node, Plan
from pgx.cohort._results import Results
from pgx.engine import contradicts
from pgx.model.logic import Truth, all_of, any_of, not_

TRUTHS = (Truth.FALSE, Truth.UNKNOWN, Truth.TRUE)


@functools.cache
def plan() -> Plan:
    return pgx.cohort.plan_for(pgx.default_ruleset())


nodes = st.recursive(
    st.integers(0, 3).map(lambda n: ("leaf", n)),
    lambda inner: st.one_of(
        inner.map(lambda n: ("not", n)),
        st.tuples(st.sampled_from(["all", "any"]), st.lists(inner, min_size=1, max_size=4)).map(
            lambda t: (t[0], tuple(t[1]))
        ),
    ),
    max_leaves=8,
)


def truth_of(node: Node, leaves: tuple[Truth, ...]) -> Truth:
    kind = node[0]
    if kind == "leaf":
        found: Truth = leaves[node[1]]
        return found
    if kind == "not":
        return not_(truth_of(node[1], leaves))
    parts = [truth_of(p, leaves) for p in node[1]]
    return all_of(parts) if kind == "all" else any_of(parts)


@given(node=nodes)
def test_int8_kleene_equals_the_three_valued_logic(node: Node) -> None:
    """Every assignment of four leaves, one row each: min/max/2-x is Kleene's logic."""
    rows = list(itertools.product(TRUTHS, repeat=4))
    columns = {n: np.array([TRUTH_CODE[r[n]] for r in rows], dtype=np.int8) for n in range(4)}
    before = {n: c.copy() for n, c in columns.items()}
    got = kleene(node, columns.__getitem__)
    assert got.tolist() == [TRUTH_CODE[truth_of(node, r)] for r in rows]
    assert all((columns[n] == before[n]).all() for n in columns)  # leaves never written


def test_kleene_codes_are_ordered() -> None:
    assert FALSE < UNKNOWN < TRUE
    assert TRUTH_CODE == {Truth.FALSE: FALSE, Truth.UNKNOWN: UNKNOWN, Truth.TRUE: TRUE}


@functools.cache
def contradicting_pairs() -> tuple[tuple[int, int], ...]:
    """Every ordered pair of rules of one source, sharing a drug, with contradicting actions."""
    rules = plan().rules
    return tuple(
        (a, b)
        for a, ra in enumerate(rules)
        for b, rb in enumerate(rules)
        if a != b
        and ra.source == rb.source
        and set(ra.drugs) & set(rb.drugs)
        and contradicts(ra.then.action, rb.then.action)
    )


@st.composite
def shown_matrices(draw: st.DrawFn) -> np.ndarray:
    shape = (len(plan().rules), draw(st.integers(1, 6)))
    found: np.ndarray = draw(hnp.arrays(np.bool_, shape))
    return found


@given(shown=shown_matrices())
def test_linear_conflicts_equal_the_pairwise_definition(shown: np.ndarray) -> None:
    """The definition checks every pair; the plan's groups must find the same rows."""
    want = np.zeros_like(shown)
    for a, b in contradicting_pairs():
        want[a] |= shown[a] & shown[b]
    assert (Results(plan()).conflicts(shown) == want).all()


def test_conflict_groups_hold_each_rule_once_per_drug() -> None:
    """The bookkeeping is linear: a rule sits in one action list per drug it names."""
    p = plan()
    seen = [pos for group in p.conflict_groups for positions, _ in group for pos in positions]
    assert len(seen) <= sum(len(rule.drugs) for rule in p.rules)
    assert p.conflict_groups  # the bundled rules do have contradicting actions
    assert contradicting_pairs()
