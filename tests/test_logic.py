"""Kleene three-valued logic, checked against the truth tables of DESIGN §5."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgx.model.logic import Truth, all_of, any_of, not_

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN
truths = st.sampled_from([T, F, U])

# The reference tables, written out by hand (rows: a, columns: b).
AND = {
    (T, T): T, (T, F): F, (T, U): U,
    (F, T): F, (F, F): F, (F, U): F,
    (U, T): U, (U, F): F, (U, U): U,
}  # fmt: skip
OR = {
    (T, T): T, (T, F): T, (T, U): T,
    (F, T): T, (F, F): F, (F, U): U,
    (U, T): T, (U, F): U, (U, U): U,
}  # fmt: skip


@pytest.mark.parametrize(("a", "b"), list(AND))
def test_binary_tables(a: Truth, b: Truth) -> None:
    """all_of and any_of of two values match Kleene's tables."""
    assert all_of([a, b]) is AND[a, b]
    assert any_of([a, b]) is OR[a, b]


def test_not_table() -> None:
    """not swaps TRUE and FALSE and keeps UNKNOWN."""
    assert (not_(T), not_(F), not_(U)) == (F, T, U)
    assert ~U is U


def test_empty_identities() -> None:
    """The empty conjunction is TRUE and the empty disjunction FALSE."""
    assert all_of([]) is T
    assert any_of([]) is F


def test_truth_refuses_bool() -> None:
    """UNKNOWN can never be silently used as a Python bool."""
    with pytest.raises(TypeError):
        bool(U)
    assert Truth.of(None) is U
    assert Truth.of(True) is T


@given(st.lists(truths, max_size=6))
def test_nary_matches_folded_table(values: list[Truth]) -> None:
    """n-ary all/any equal the binary tables folded left."""
    conj, disj = T, F
    for v in values:
        conj, disj = AND[conj, v], OR[disj, v]
    assert all_of(values) is conj
    assert any_of(values) is disj


@given(st.lists(truths, max_size=6))
def test_de_morgan(values: list[Truth]) -> None:
    """not(all(xs)) == any(not x) and not(any(xs)) == all(not x)."""
    assert not_(all_of(values)) is any_of(not_(v) for v in values)
    assert not_(any_of(values)) is all_of(not_(v) for v in values)


@given(st.lists(truths, max_size=6), st.randoms())
def test_order_does_not_matter(values: list[Truth], rnd: object) -> None:
    """all and any are commutative."""
    shuffled = list(values)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert all_of(values) is all_of(shuffled)
    assert any_of(values) is any_of(shuffled)


@given(truths)
def test_double_negation(a: Truth) -> None:
    """not(not a) == a."""
    assert not_(not_(a)) is a


@given(st.lists(truths, min_size=1, max_size=6))
def test_unknown_is_monotone(values: list[Truth]) -> None:
    """Replacing an UNKNOWN by a known value never flips a known result."""
    for i, v in enumerate(values):
        if v is U:
            for known in (T, F):
                filled = [*values[:i], known, *values[i + 1 :]]
                if all_of(values) is not U:
                    assert all_of(filled) is all_of(values)
                if any_of(values) is not U:
                    assert any_of(filled) is any_of(values)
