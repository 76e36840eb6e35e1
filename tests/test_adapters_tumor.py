"""Somatic MAF and expression tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgx import ProfileError, evaluate, load_profile, load_ruleset
from pgx.adapters import read_expression, read_maf
from pgx.profile import Expression, SomaticVariant
from tests.adapters_support import ADAPTERS
from tests.helpers import NOW, write

MAF_HEADER = (
    "Hugo_Symbol\tVariant_Classification\tHGVSp_Short\tt_alt_count\tt_depth\tTumor_Sample_Barcode\n"
)


def test_maf_rows() -> None:
    variants = read_maf(ADAPTERS / "tumor.maf")
    assert variants == (
        SomaticVariant("KRAS", "p.G12D", "c.35G>A", 0.31, 2),
        SomaticVariant("BRAF", None, "c.1860A>G", 0.15, 15),
    )


def test_silent_never_matches_a_class_rule(tmp_path: Path) -> None:
    """A synonymous KRAS p.G12= is no activating KRAS variant."""
    maf = write(tmp_path, "s.maf", MAF_HEADER + "KRAS\tSilent\tp.G12=\t5\t50\tT1\n")
    profile = load_profile({"tumor": {"cancer_type": {"code": "COADREAD"}}}, somatic=maf)
    assert profile.tumor is not None
    assert profile.tumor.variants == ()
    assert profile.tumor.sequenced_genes is None
    report = evaluate(profile, now=NOW, drugs=["cetuximab"])
    assert report.finding("crc-ras-mutant-anti-egfr-avoid") is None
    assert "crc-ras-mutant-anti-egfr-avoid" not in {i.rule_id for i in report.indeterminate}
    # kept as a variant, the same row would have read as a change at codon 12
    codon_rules = load_ruleset(ADAPTERS / "rules" / "codon.yaml")
    assert evaluate(profile, codon_rules, now=NOW).finding("t-kras-codon-12") is None
    kept = {"tumor": {"variants": [{"gene": "KRAS", "protein": "p.G12="}]}}
    assert evaluate(kept, codon_rules, now=NOW).finding("t-kras-codon-12") is not None


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("KRAS\tMissense_Mutation\tp.G12D\t31\n", "columns where the header has"),
        ("KRAS\tWeird\tp.G12D\t31\t100\tT1\n", "unknown Variant_Classification"),
        ("KRAS\tMissense_Mutation\tp.G12D\tx\t100\tT1\n", "not a whole number"),
        ("KRAS\tMissense_Mutation\tp.G12D\t300\t100\tT1\n", "exceeds t_depth"),
        ("\tMissense_Mutation\tp.G12D\t3\t100\tT1\n", "empty Hugo_Symbol"),
    ],
)
def test_bad_maf_rows(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path, "bad.maf", "#version 2.4\n" + MAF_HEADER + row)
    with pytest.raises(ProfileError) as info:
        read_maf(path)
    (problem,) = info.value.problems
    assert (problem.source, problem.line) == (str(path), 3)
    assert message in problem.message


def test_maf_needs_its_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.maf", "Gene\tProtein\nKRAS\tp.G12D\n")
    with pytest.raises(ProfileError, match="no column Hugo_Symbol"):
        read_maf(path)


def test_maf_with_several_tumors(tmp_path: Path) -> None:
    text = (
        MAF_HEADER
        + "KRAS\tMissense_Mutation\tp.G12D\t3\t10\tA\nNRAS\tMissense_Mutation\tp.Q61K\t3\t10\tB\n"
    )
    path = write(tmp_path, "two.maf", text)
    with pytest.raises(ProfileError, match="2 tumors"):
        read_maf(path)
    assert [v.gene for v in read_maf(path, "B")] == ["NRAS"]


def test_expression_header_assay() -> None:
    got = read_expression(ADAPTERS / "expression.tsv")
    assert got == {"IGF1R": Expression(ihc="3+"), "INSR": Expression(ihc="1+")}


def test_expression_assay_by_flag_and_long_form(tmp_path: Path) -> None:
    two = write(tmp_path, "two.tsv", "IGF1R\t210\n")
    assert read_expression(two, "tpm") == {"IGF1R": Expression(tpm=210.0)}
    with pytest.raises(ProfileError, match="assay of this two-column table is not given"):
        read_expression(two)
    long = write(tmp_path, "long.tsv", "gene\tassay\tvalue\nIGF1R\tihc\t3+\nIGF1R\tz_score\t2.4\n")
    assert read_expression(long) == {"IGF1R": Expression(ihc="3+", z_score=2.4)}


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("gene\ttpm\nIGF1R\thigh\n", "not a number", 2),
        ("gene\tlevel\nIGF1R\tvery\n", "level must be one of", 2),
        ("gene\tassay\tvalue\nIGF1R\trna\t3\n", "unknown assay", 2),
        ("gene\tihc\nIGF1R\t3+\nIGF1R\t2+\n", "given twice", 3),
        ("gene\tihc\nIGF1R\t3+\textra\n", "columns where the table has", 2),
        ("gene\tmystery\nIGF1R\t3\n", "unknown assay column", 1),
    ],
)
def test_bad_expression(tmp_path: Path, text: str, message: str, line: int) -> None:
    path = write(tmp_path, "bad.tsv", text)
    with pytest.raises(ProfileError) as info:
        read_expression(path)
    (problem,) = info.value.problems
    assert (problem.source, problem.line) == (str(path), line)
    assert message in problem.message


def test_expression_and_profile_merge(tmp_path: Path) -> None:
    base = {"tumor": {"expression": {"IGF1R": {"z_score": 2.4}}}}
    profile = load_profile(base, expression=ADAPTERS / "expression.tsv")
    assert profile.tumor is not None
    assert profile.tumor.expression == {
        "IGF1R": Expression(ihc="3+", z_score=2.4),
        "INSR": Expression(ihc="1+"),
    }
    clash = {"tumor": {"expression": {"IGF1R": {"ihc": "1+"}}}}
    with pytest.raises(ProfileError) as info:
        load_profile(clash, expression=ADAPTERS / "expression.tsv")
    (problem,) = info.value.problems
    assert problem.path == "$.tumor.expression.IGF1R.ihc"
    assert "<mapping>" in problem.message
    assert str(ADAPTERS / "expression.tsv") in problem.message
