"""Several VCF records at one position: contradictions are a no-call, never a choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgx import load_profile
from pgx.profile import GeneResult
from tests.adapters_support import tiny_definitions, tiny_ruleset, vcf_text, write_vcf


def _cyp2c9(tmp_path: Path, first: str, second: str, *, alt2: str | None = None) -> GeneResult:
    """CYP2C9 *1/*1 with the rs1057910 (A>C) record written twice with the given GTs."""
    text = vcf_text(tiny_definitions(), {"CYP2C9": ("*1", "*1")})
    out = []
    for line in text.splitlines():
        if "\trs1057910\t" in line:
            cols = line.split("\t")
            out.append("\t".join([*cols[:-1], first]))
            if alt2 is not None:
                cols[4] = alt2
            out.append("\t".join([*cols[:-1], second]))
        else:
            out.append(line)
    path = write_vcf(tmp_path / "dup.vcf", "\n".join(out) + "\n")
    return load_profile(vcf=path, ruleset=tiny_ruleset()).germline["CYP2C9"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("0/0", "1/1"),
        ("1/1", "0/0"),
        ("0/1", "1/1"),
        ("0/0", "0/1"),
        ("./.", "1/1"),
        ("0/1", "1/0"),
    ],
)
def test_contradicting_duplicates_are_a_no_call(tmp_path: Path, first: str, second: str) -> None:
    """Record order never decides: the position is not used, and a warning says why."""
    result = _cyp2c9(tmp_path, first, second)
    assert result.call is not None
    if first.replace("1/0", "0/1") == second.replace("1/0", "0/1"):
        # 0/1 and 1/0 are one unphased genotype: heterozygous *3, not homozygous
        assert result.diplotype == "*1/*3"
        return
    assert result.diplotype is None
    assert "rs1057910" in result.call.missing_positions
    assert any("conflicting records" in w and "rs1057910" in w for w in result.call.warnings)


@pytest.mark.parametrize(
    ("gt", "diplotype"), [("0/0", "*1/*1"), ("0/1", "*1/*3"), ("1/1", "*3/*3")]
)
def test_identical_duplicates_are_one_observation(tmp_path: Path, gt: str, diplotype: str) -> None:
    result = _cyp2c9(tmp_path, gt, gt)
    assert result.diplotype == diplotype
    assert result.call is not None
    assert result.call.warnings == ()


def test_split_multiallelic_site_still_reads(tmp_path: Path) -> None:
    """A 1/2 split over two records with different ALTs (0/1 + 0/1) is still one genotype."""
    result = _cyp2c9(tmp_path, "0/1", "0/1", alt2="T")
    assert result.call is not None
    assert not any("conflicting" in w for w in result.call.warnings)
    assert result.diplotype is None  # *3 and an undocumented A>T: no defined allele fits
    assert any("A>T" in v for v in result.call.unmatched_variants)
