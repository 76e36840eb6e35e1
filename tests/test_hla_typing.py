"""HLA typings are read, or refused, in every field they can arrive through.

An HLA typing pgx cannot read must never become a definite non-carrier: for abacavir that
is "standard dosing" for an HLA-B*57:01 carrier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pgx import ProfileError, evaluate, load_profile
from tests.helpers import NOW, write


def _actions(profile: Any, drug: str) -> list[tuple[str, str]]:
    report = evaluate(profile, drugs=[drug], now=NOW)
    return sorted((f.rule_id, f.action) for f in report.findings)


CARRIER_TYPINGS = [
    ("HLA-B", "HLA-B*57:01/HLA-B*08:01", "abacavir", "cpic-hla-b-abacavir-positive", "avoid"),
    ("HLA-B", "B*57:01/B*08:01", "abacavir", "cpic-hla-b-abacavir-positive", "avoid"),
    ("HLA-B", "*08:01/HLA-B*57:01:02", "abacavir", "cpic-hla-b-abacavir-positive", "avoid"),
    ("HLA-B", "HLA-B*15:02/HLA-B*15:02", "oxcarbazepine", "cpic-hla-b-oxcarbazepine-positive",
     "avoid"),
    ("HLA-A", "HLA-A*31:01/HLA-A*02:01", "carbamazepine", "cpic-hla-a-carbamazepine-positive",
     "use_alternative"),
]  # fmt: skip


@pytest.mark.parametrize(("gene", "typing", "drug", "rule", "action"), CARRIER_TYPINGS)
def test_hla_diplotype_with_gene_prefix_reads_as_carrier(
    gene: str, typing: str, drug: str, rule: str, action: str
) -> None:
    """A diplotype naming the gene before each allele is the same typing as ``alleles``."""
    assert (rule, action) in _actions({"germline": {gene: {"diplotype": typing}}}, drug)
    assert _actions({"germline": {gene: {"diplotype": typing}}}, drug) == _actions(
        {"germline": {gene: {"alleles": typing.split("/")}}}, drug
    )


UNREADABLE = [
    "*5701/*0801",  # old nomenclature, no field separator
    "HLA-B*5701/HLA-B*0801",
    "B*5701/*08:01",
    "HLA-A*57:01/*08:01",  # an HLA-A allele given for HLA-B
    "*57:01",  # one allele: the other could be anything
    "*57:01/*08:01/*07:02",
    "positive",
    "*57/*08:01:01",  # a one-field typing is a serological group, not an allele
]


@pytest.mark.parametrize("typing", UNREADABLE)
@pytest.mark.parametrize("gene_key", ["HLA-B", "hla-b"])
def test_unreadable_hla_diplotype_is_an_error(typing: str, gene_key: str) -> None:
    """Old nomenclature and foreign alleles are refused, however the gene key is spelled."""
    with pytest.raises(ProfileError) as info:
        evaluate({"germline": {gene_key: {"diplotype": typing}}}, drugs=["abacavir"], now=NOW)
    assert [p.path for p in info.value.problems] == [f"$.germline.{gene_key}.diplotype"]


@pytest.mark.parametrize("typing", UNREADABLE)
def test_unreadable_hla_never_a_definite_non_carrier(typing: str) -> None:
    """Whatever field carries it, an unreadable typing is no 'standard dosing' finding."""
    for entry in ({"diplotype": typing}, {"alleles": typing.split("/")}):
        try:
            actions = _actions({"germline": {"HLA-B": entry}}, "abacavir")
        except ProfileError:
            continue
        assert ("cpic-hla-b-abacavir-negative", "standard_dosing") not in actions


def test_lowercase_hla_key_gets_hla_checks() -> None:
    """``hla-b`` is read as HLA-B, so its alleles are checked as HLA alleles."""
    with pytest.raises(ProfileError, match=r"\$\.germline\.hla-b\.alleles\[0\]"):
        load_profile({"germline": {"hla-b": {"alleles": ["*5701", "*08:01"]}}})


def test_carriers_spelled_two_ways_that_disagree_are_an_error() -> None:
    """``*57:01`` and ``HLA-B*57:01`` are one allele: positive and negative at once is refused."""
    with pytest.raises(ProfileError, match=r"\$\.germline\.HLA-B\.carriers"):
        load_profile({"germline": {"HLA-B": {"carriers": {"*57:01": True, "HLA-B*57:01": False}}}})


def test_carrier_of_another_gene_is_an_error() -> None:
    """An HLA-A allele reported under HLA-B says nothing about HLA-B."""
    with pytest.raises(ProfileError, match=r"\$\.germline\.HLA-B\.carriers"):
        load_profile({"germline": {"HLA-B": {"carriers": {"HLA-A*57:01": False}}}})


@pytest.mark.parametrize(
    ("line", "expect"),
    [
        ("HLA-B\tHLA-B*57:01/HLA-B*08:01", ("cpic-hla-b-abacavir-positive", "avoid")),
        ("HLA-B\tB*57:01/B*08:01", ("cpic-hla-b-abacavir-positive", "avoid")),
        ("HLA-B\tHLA-A*57:01/HLA-A*08:01", None),
        ("HLA-B\t*5701/*0801", None),
        ("HLA-B\t\tHLA-A*57:01 negative", None),
    ],
)
def test_outside_call_hla(tmp_path: Path, line: str, expect: tuple[str, str] | None) -> None:
    """Outside calls: prefixed typings are read; foreign or old-style ones are not used."""
    calls = write(tmp_path, "calls.tsv", line + "\n")
    profile = load_profile(outside_calls=calls)
    actions = _actions(profile, "abacavir")
    if expect is None:
        assert actions == []  # the call is not used: abacavir stays indeterminate
        report = evaluate(profile, drugs=["abacavir"], now=NOW)
        assert any("not used" in w for w in report.warnings)
    else:
        assert actions == [expect]


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("HLA-B*57:01+HLA-B*08:01", ("cpic-hla-b-abacavir-positive", "avoid")),
        ("B*57:01+B*08:01", ("cpic-hla-b-abacavir-positive", "avoid")),
        ("HLA-B*5701+HLA-B*0801", None),
        ("*5701+*0801", None),
        ("HLA-B*57:01/HLA-B*08:01", None),  # '/' in a GL string is ambiguity, not two alleles
        ("HLA-A*57:01+HLA-A*08:01", None),
    ],
)
def test_fhir_hla_genotype(text: str, expect: tuple[str, str] | None) -> None:
    """FHIR genotypes: prefixed typings are read; an unreadable one is never a non-carrier."""
    from pgx.fhir import profile_from_bundle

    observation = {
        "resourceType": "Observation",
        "id": "g1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "84413-4"}]},
        "subject": {"reference": "Patient/p1"},
        "valueCodeableConcept": {"text": text},
        "component": [
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "48018-6"}]},
                "valueCodeableConcept": {"text": "HLA-B"},
            }
        ],
    }
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": observation}]}
    try:
        actions = _actions(profile_from_bundle(bundle), "abacavir")
    except ProfileError:
        actions = []
    if expect is None:
        assert ("cpic-hla-b-abacavir-negative", "standard_dosing") not in actions
    else:
        assert actions == [expect]
