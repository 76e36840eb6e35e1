"""Loading profiles: absent means unknown; bad input names file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgx import ProfileError, load_profile
from pgx.io import profile_sha256
from tests.helpers import write


def test_mapping_and_shorthand() -> None:
    """A mapping in the DESIGN format loads; absent sections stay None."""
    profile = load_profile(
        {
            "id": "P1",
            "germline": {"HLA-B": {"alleles": ["*57:01", "*08:01"]}},
            "tumor": {"variants": [], "expression": {"IGF1R": {"ihc": "3+"}}},
        }
    )
    assert profile.id == "P1"
    assert profile.germline["HLA-B"].alleles == ("*57:01", "*08:01")
    assert profile.tumor is not None
    assert profile.tumor.variants == ()  # known to be none
    assert profile.tumor.copy_number is None  # not assessed
    assert profile.clinical is None


def test_all_problems_with_lines(tmp_path: Path) -> None:
    """Every problem is reported, each with file, line and path."""
    path = write(
        tmp_path,
        "p.yaml",
        "pgx_profile: 1\n"
        "id: 7\n"
        "germline:\n"
        "  CYP2C19: {diplotype: '*1', colour: red}\n"
        "clinical:\n"
        "  therapies:\n"
        "    - {drug: cetuximab, outcome: maybe}\n",
    )
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    found = {(p.line, p.path, p.message) for p in info.value.problems}
    assert (2, "$.id", "expected a string, found number 7") in found
    assert (4, "$.germline.CYP2C19.colour", "unknown key 'colour'") in found
    assert any(p[1] == "$.clinical.therapies[0].outcome" and p[0] == 7 for p in found)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_bad_diplotype_is_error() -> None:
    """A diplotype that is not 'a/b' is an error, never ignored."""
    with pytest.raises(ProfileError, match=r"germline\.CYP2C19\.diplotype"):
        load_profile({"germline": {"CYP2C19": {"diplotype": "*1*2"}}})


def test_wrong_version_refused() -> None:
    """Only profile format 1 is read."""
    with pytest.raises(ProfileError, match="pgx_profile"):
        load_profile({"pgx_profile": 2})


def test_unreadable_file(tmp_path: Path) -> None:
    """A missing file is a ProfileError naming it."""
    with pytest.raises(ProfileError, match="cannot read file"):
        load_profile(tmp_path / "nope.yaml")
    with pytest.raises(ProfileError, match=r"\.yaml, \.yml or \.json"):
        load_profile(tmp_path / "nope.txt")


def test_yaml_and_json_same_hash(tmp_path: Path) -> None:
    """The same content as YAML or JSON has the same input hash."""
    data = {"id": "P", "germline": {"CYP2C19": {"diplotype": "*1/*2"}}}
    a = load_profile(write(tmp_path, "a.json", json.dumps(data)))
    b = load_profile(
        write(tmp_path, "b.yaml", "id: P\ngermline:\n  CYP2C19: {diplotype: '*1/*2'}\n")
    )
    assert a == b
    assert profile_sha256(a) == profile_sha256(b)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_refused(bad: float) -> None:
    """NaN and infinity are never measurements: an error with the path."""
    with pytest.raises(ProfileError, match=r"\$\.tumor\.expression\.IGF1R\.z_score"):
        load_profile({"tumor": {"expression": {"IGF1R": {"z_score": bad}}}})
    with pytest.raises(ProfileError, match=r"\$\.clinical\.labs\.HbA1c\.value"):
        load_profile({"clinical": {"labs": {"HbA1c": {"value": bad, "unit": "%"}}}})
    with pytest.raises(ProfileError, match="finite"):
        load_profile({"tumor": {"biomarkers": {"TMB": bad}}})


@pytest.mark.parametrize(
    "alleles",
    [
        ["*5701", "*0801"],
        ["57:01", "08:01"],
        ["positive"],
        [],
        ["*08:01"],
        ["*57:01", "*08:01", "*44:02"],
    ],
)
def test_hla_alleles_must_be_alleles(alleles: list[str]) -> None:
    """Free text in an HLA typing would read as 'not a carrier': it is an error."""
    with pytest.raises(ProfileError, match=r"germline\.HLA-B\.alleles"):
        load_profile({"germline": {"HLA-B": {"alleles": alleles}}})


def test_not_a_profile_is_profile_error() -> None:
    """evaluate(1) and friends get a ProfileError, not a TypeError."""
    with pytest.raises(ProfileError, match="found int"):
        load_profile(1)  # type: ignore[arg-type]


def test_hla_phenotype_text_is_refused() -> None:
    """'HLA-B*57:01 positive' as a phenotype would be ignored: use alleles or carriers."""
    with pytest.raises(ProfileError, match=r"germline\.HLA-B\.phenotype"):
        load_profile({"germline": {"HLA-B": {"phenotype": "HLA-B*57:01 positive"}}})


def test_byte_order_mark_is_not_content(tmp_path: Path) -> None:
    """A profile saved with a UTF-8 byte-order mark loads like one without."""
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffid: P\ngermline:\n  CYP2C19: {diplotype: '*1/*2'}\n".encode())
    assert load_profile(path).id == "P"


def test_mapping_input_has_the_same_limits() -> None:
    """A mapping is held to the documented list-length limit, like a file."""
    from pgx.io._yaml import MAX_ITEMS

    therapies = [{"drug": "cetuximab"}] * (MAX_ITEMS + 1)
    with pytest.raises(ProfileError, match="more than"):
        load_profile({"clinical": {"therapies": therapies}})


def test_odd_spacing_and_zero_copies() -> None:
    """Double spaces in a term are read; 'x0' is not a copy-number notation."""
    from pgx import default_ruleset
    from pgx.engine import call_phenotype
    from pgx.model.profile import GeneResult

    knowledge = default_ruleset().knowledge
    called = call_phenotype("CYP2C19", GeneResult(phenotype="Poor  Metabolizer"), knowledge)
    assert called.phenotype == "Poor Metabolizer"
    with pytest.raises(ProfileError, match="expected a diplotype"):
        load_profile({"germline": {"CYP2D6": {"diplotype": "*1x0/*4"}}})
