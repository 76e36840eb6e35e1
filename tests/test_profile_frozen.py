"""A profile is deeply immutable and hashable, and survives being written out and read back."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Iterator
from typing import Any, cast

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgx import load_profile
from pgx.io import profile_to_dict
from pgx.profile import FrozenDict, GeneResult, Profile, Tumor
from tests.test_fuzz import CLINICAL_FACTS, GERMLINE_FACTS, TUMOR_FACTS

# the monotonicity pools, with the mapping-valued fields a profile can hold
_GERMLINE: dict[str, list[Any]] = {
    **GERMLINE_FACTS,
    "VKORC1": [{"variants": {"rs9923231": "C/T"}}, {"variants": {"rs9923231": "T/T"}}],
    "HLA-A": [{"carriers": {"*31:01": True, "*02:01": False}}],
    "INSR": [{"findings": []}, {"findings": [{"variant": "c.1A>G", "classification": "benign"}]}],
}
_TUMOR: dict[str, list[Any]] = {
    **TUMOR_FACTS,
    "biomarkers": [{"MSI": "MSS", "TMB": 4.2}, {"TMB": 12}],
    "copy_number": [[{"gene": "ERBB2", "status": "amplification", "copies": 9.0}]],
    "fusions": [[], [{"gene": "ALK", "partner": "EML4"}]],
    "sequenced_genes": [["KRAS", "NRAS"]],
}
_CLINICAL: dict[str, list[Any]] = {
    **CLINICAL_FACTS,
    "labs": [{"HbA1c": {"value": 8.1, "unit": "%"}, "glucose": {"value": 7.0, "unit": "mmol/L"}}],
}


def _section(pool: dict[str, list[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {}, optional={key: st.sampled_from(options) for key, options in pool.items()}
    )


profiles = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(min_size=1, max_size=5),
        "germline": _section(_GERMLINE),
        "clinical": _section(_CLINICAL),
        "tumor": _section(_TUMOR),
        "warnings": st.lists(st.text(max_size=5), max_size=2),
    },
)


def _reversed(value: Any) -> Any:
    """The same data with every mapping's keys in the opposite order."""
    if isinstance(value, dict):
        return {k: _reversed(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed(v) for v in value]
    return value


def _parts(value: object) -> Iterator[object]:
    """Every object reachable from a profile (attrs instances, containers, leaves)."""
    yield value
    if attrs.has(type(value)):
        for f in attrs.fields(cast("type[attrs.AttrsInstance]", type(value))):
            yield from _parts(getattr(value, f.name))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _parts(k)
            yield from _parts(v)
    elif isinstance(value, tuple):
        for v in value:
            yield from _parts(v)


def _assert_read_only(mapping: dict[Any, Any]) -> None:
    key = next(iter(mapping), "x")
    changes: list[tuple[str, tuple[object, ...]]] = [
        ("__setitem__", (key, None)),
        ("__delitem__", (key,)),
        ("__ior__", ({key: None},)),
        ("update", ({key: None},)),
        ("pop", (key,)),
        ("popitem", ()),
        ("setdefault", (key, None)),
        ("clear", ()),
        ("__init__", ({key: None},)),
    ]
    for name, args in changes:
        with pytest.raises(TypeError, match="read-only"):
            getattr(mapping, name)(*args)


@given(profiles)
def test_equal_profiles_hash_equal(data: dict[str, Any]) -> None:
    """Loaded twice, or with every mapping in another order: equal, and the same hash."""
    one, two = load_profile(data), load_profile(_reversed(data))
    assert one == two
    assert hash(one) == hash(two)
    assert hash(one) == hash(load_profile(copy.deepcopy(data)))
    assert {one: "seen"}[two] == "seen"  # usable as a key


@given(profiles)
def test_every_part_is_immutable(data: dict[str, Any]) -> None:
    """No list or plain dict anywhere; every attrs object and mapping refuses changes."""
    profile = load_profile(data)
    for part in _parts(profile):
        assert not isinstance(part, list | set)
        if isinstance(part, dict):
            assert type(part) is FrozenDict
            _assert_read_only(part)
        elif attrs.has(type(part)):
            name = attrs.fields(cast("type[attrs.AttrsInstance]", type(part)))[0].name
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                setattr(part, name, None)
    assert load_profile(data) == profile  # nothing above changed it


@given(profiles)
def test_dump_and_load_round_trip(data: dict[str, Any]) -> None:
    """load(dump(p)) == p, dump(load(dump(p))) == dump(p), through JSON text and pickle too."""
    profile = load_profile(data)
    dumped = profile_to_dict(profile)
    assert load_profile(dumped) == profile
    assert profile_to_dict(load_profile(dumped)) == dumped
    assert load_profile(json.loads(json.dumps(dumped))) == profile
    again = pickle.loads(pickle.dumps(profile))
    assert again == profile and hash(again) == hash(profile)


def test_built_by_hand_is_frozen_too() -> None:
    """Lists and dicts given to the constructors become tuples and frozen dicts."""
    profile = Profile(
        germline={"VKORC1": GeneResult(variants={"rs9923231": "C/T"}, alleles=None)},
        tumor=Tumor(sequenced_genes=["KRAS"], biomarkers={"TMB": 4.2}),
    )
    assert type(profile.germline) is FrozenDict
    assert profile.tumor is not None and profile.tumor.sequenced_genes == ("KRAS",)
    assert hash(profile) == hash(attrs.evolve(profile))
    with pytest.raises(TypeError, match="read-only"):
        profile.germline["CYP2C19"] = GeneResult(diplotype="*1/*1")  # narrowed: a FrozenDict
    with pytest.raises(TypeError, match="expected a list or tuple, found str"):
        Tumor(sequenced_genes="KRAS")
