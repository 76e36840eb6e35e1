"""Two entries for one gene, spelled in different case, are an error, never merged silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgx import ProfileError, evaluate, load_profile
from tests.adapters_support import tiny_definitions, tiny_ruleset, vcf_text, write_vcf
from tests.helpers import NOW


@pytest.mark.parametrize(
    "germline",
    [
        {"CYP2C19": {"diplotype": "*1/*1"}, "cyp2c19": {"diplotype": "*2/*2"}},
        {"cyp2c19": {"diplotype": "*2/*2"}, "CYP2C19": {"diplotype": "*1/*1"}},
        {"Cyp2c19": {"diplotype": "*2/*2"}, "cyp2c19": {"diplotype": "*2/*2"}},
    ],
)
def test_germline_keys_differing_in_case_are_an_error(germline: dict[str, object]) -> None:
    """Neither key wins: the profile is refused, naming both entries."""
    with pytest.raises(ProfileError) as info:
        evaluate({"germline": germline}, drugs=["clopidogrel"], now=NOW)
    paths = {p.path for p in info.value.problems}
    assert paths <= {f"$.germline.{key}" for key in germline}
    assert any("CYP2C19" in p.message for p in info.value.problems)


def test_expression_keys_differing_in_case_are_an_error() -> None:
    """``IGF1R`` high and ``igf1r`` low are one gene measured two ways: refused."""
    profile = {"tumor": {"expression": {"IGF1R": {"level": "high"}, "igf1r": {"level": "low"}}}}
    with pytest.raises(ProfileError) as info:
        load_profile(profile)
    assert {p.path for p in info.value.problems} <= {
        "$.tumor.expression.IGF1R",
        "$.tumor.expression.igf1r",
    }


def test_case_only_key_from_a_yaml_file_is_located(tmp_path: Path) -> None:
    """The error from a file names its line."""
    path = tmp_path / "p.yaml"
    path.write_text(
        "germline:\n  CYP2C19: {diplotype: '*1/*1'}\n  cyp2c19: {diplotype: '*2/*2'}\n",
        encoding="utf-8",
    )
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert any(p.line == 3 and p.source == str(path) for p in info.value.problems)


def test_lowercase_profile_gene_cannot_escape_the_vcf_check(tmp_path: Path) -> None:
    """A profile ``cyp2c9`` entry disagreeing with the VCF's CYP2C9 call is the same conflict."""
    vcf = write_vcf(tmp_path / "s.vcf", vcf_text(tiny_definitions(), {"CYP2C9": ("*1", "*3")}))
    for key in ("CYP2C9", "cyp2c9"):
        with pytest.raises(ProfileError, match="disagrees"):
            load_profile(
                {"germline": {key: {"diplotype": "*1/*1"}}}, vcf=vcf, ruleset=tiny_ruleset()
            )
