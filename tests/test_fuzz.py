"""Malformed profiles and rule files only ever raise PgxError subclasses with a path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pgx import InputError, ProfileError, RuleFileError, load_profile, load_ruleset

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
keys = st.sampled_from(["id", "germline", "tumor", "clinical", "pgx_profile", "extra"])
profiles = st.dictionaries(keys, values, max_size=4)


@given(profiles)
def test_profile_fuzz(data: dict[str, Any]) -> None:
    """Any mapping either loads or raises ProfileError whose problems carry paths."""
    try:
        load_profile(data)
    except ProfileError as exc:
        assert exc.problems
        assert all(p.path.startswith("$") for p in exc.problems)


@given(st.text(max_size=200))
def test_profile_text_fuzz(text: str) -> None:
    """Arbitrary file text either loads or raises ProfileError."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_profile(path)
        except ProfileError as exc:
            assert all(p.source == str(path) for p in exc.problems)


rule_keys = st.sampled_from(["id", "version", "drugs", "when", "then", "tests", "status", "x"])
rules = st.dictionaries(rule_keys, values, max_size=6)


@given(st.lists(rules, max_size=2))
def test_rule_file_fuzz(rule_list: list[dict[str, Any]]) -> None:
    """Any rule file either loads or raises RuleFileError with located problems."""
    import tempfile

    import yaml

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.yaml"
        path.write_text(yaml.safe_dump({"pgx_rules": 1, "rules": rule_list}), encoding="utf-8")
        try:
            load_ruleset(path)
        except RuleFileError as exc:
            assert isinstance(exc, InputError)
            assert all(p.path.startswith("$") and p.source for p in exc.problems)
