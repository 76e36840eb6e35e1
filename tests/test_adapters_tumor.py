"""Somatic MAF and expression tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgx import ProfileError, evaluate, load_profile, load_ruleset
from pgx.inputs import read_expression, read_maf
from pgx.model.profile import Expression, SomaticVariant
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
    profile = load_profile(
        {"tumor": {"cancer_type": {"code": "COADREAD"}}}, somatic=maf, panel=["KRAS", "NRAS"]
    )
    assert profile.tumor is not None
    assert profile.tumor.variants == ()
    assert profile.tumor.sequenced_genes == ("KRAS", "NRAS")
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


# ------------------------------------------------------------------ MAF: what absence means
CRC = {"tumor": {"cancer_type": {"code": "COADREAD"}}}
RAS_RULE = "crc-ras-mutant-anti-egfr-avoid"


def _ras_outcome(profile: object) -> str:
    report = evaluate(profile, now=NOW, drugs=["cetuximab"])  # type: ignore[arg-type]
    if report.finding(RAS_RULE) is not None:
        return "fires"
    if RAS_RULE in {i.rule_id for i in report.indeterminate}:
        return "indeterminate"
    return "does_not_fire"


def test_gene_absent_from_a_maf_is_unknown_without_a_panel(tmp_path: Path) -> None:
    """The P0 regression: a MAF with only a TP53 variant left NRAS "wild type", so RAS
    wild type was concluded for anti-EGFR therapy. NRAS may simply not have been sequenced."""
    maf = write(tmp_path, "t.maf", MAF_HEADER + "TP53\tMissense_Mutation\tp.R175H\t9\t50\tT1\n")
    profile = load_profile(CRC, somatic=maf)
    assert profile.tumor is not None
    assert profile.tumor.sequenced_genes == ("TP53",)
    assert _ras_outcome(profile) == "indeterminate"
    report = evaluate(profile, now=NOW)
    assert any(
        str(maf) in w and "genes not in the MAF are unknown" in w and "pass the panel" in w
        for w in report.warnings
    )


def test_panel_makes_absent_panel_genes_wild_type(tmp_path: Path) -> None:
    maf = write(tmp_path, "t.maf", MAF_HEADER + "TP53\tMissense_Mutation\tp.R175H\t9\t50\tT1\n")
    panel = write(tmp_path, "panel.txt", "# hotspot panel\nKRAS\nNRAS, BRAF\nTP53\n")
    profile = load_profile(CRC, somatic=maf, panel=panel)
    assert profile.tumor is not None
    assert profile.tumor.sequenced_genes == ("KRAS", "NRAS", "BRAF", "TP53")
    assert _ras_outcome(profile) == "does_not_fire"
    assert not any("genes not in the MAF" in w for w in profile.warnings)
    # NRAS off the panel: unknown again
    assert _ras_outcome(load_profile(CRC, somatic=maf, panel=["KRAS", "TP53"])) == "indeterminate"


def test_header_only_maf_with_a_panel_is_all_wild_type(tmp_path: Path) -> None:
    maf = write(tmp_path, "empty.maf", "#version 2.4\n" + MAF_HEADER)
    profile = load_profile(CRC, somatic=maf, panel=["KRAS", "NRAS"])
    assert profile.tumor is not None
    assert profile.tumor.variants == ()
    assert _ras_outcome(profile) == "does_not_fire"
    # without the panel nothing is known about any gene
    alone = load_profile(CRC, somatic=maf)
    assert alone.tumor is not None
    assert alone.tumor.sequenced_genes == ()
    assert _ras_outcome(alone) == "indeterminate"


def test_panel_and_profile_sequenced_genes_must_agree(tmp_path: Path) -> None:
    base = {"tumor": {"cancer_type": {"code": "COADREAD"}, "sequenced_genes": ["KRAS", "NRAS"]}}
    maf = ADAPTERS / "tumor.maf"
    same = load_profile(base, somatic=maf, panel=["NRAS", "KRAS"])
    assert same.tumor is not None
    assert set(same.tumor.sequenced_genes or ()) == {"KRAS", "NRAS"}
    with pytest.raises(ProfileError) as info:
        load_profile(base, somatic=maf, panel=["KRAS", "BRAF"])
    (problem,) = info.value.problems
    assert problem.path == "$.tumor.sequenced_genes"
    assert "panel=" in problem.message
    assert "<mapping>" in problem.message
    assert "only in the panel: BRAF" in problem.message
    assert "only in the profile: NRAS" in problem.message
    # the profile's own list, without a panel, is kept and needs no warning
    kept = load_profile(base, somatic=maf)
    assert kept.tumor is not None
    assert kept.tumor.sequenced_genes == ("KRAS", "NRAS")
    assert not any("panel" in w for w in kept.warnings)


def test_panel_needs_somatic_variants(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="give the somatic variants too"):
        load_profile(CRC, panel=["KRAS"])


@pytest.mark.parametrize(
    ("text", "message"),
    [("# nothing\n\n", "lists no genes"), (None, "cannot read")],
)
def test_bad_panel_file(tmp_path: Path, text: str | None, message: str) -> None:
    path = tmp_path / "panel.txt"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError, match=message):
        load_profile(CRC, somatic=ADAPTERS / "tumor.maf", panel=path)


def test_panel_gene_pgx_does_not_know_is_a_warning(tmp_path: Path) -> None:
    panel = write(tmp_path, "p.txt", "KRAS\nkras2\nNras\n")
    profile = load_profile(CRC, somatic=ADAPTERS / "tumor.maf", panel=panel)
    assert f"{panel}:3: panel gene 'Nras' is not a gene pgx knows; did you mean NRAS?" in (
        profile.warnings
    )
    assert any(w.startswith(f"{panel}: 1 panel gene") and "kras2 (line 2)" in w
               for w in profile.warnings)  # fmt: skip


# ------------------------------------------------------------------ MAF: which tumor
TWO_TUMORS = (
    MAF_HEADER
    + "KRAS\tMissense_Mutation\tp.G12D\t3\t10\tA\nNRAS\tMissense_Mutation\tp.Q61K\t3\t10\tB\n"
)


def test_tumor_sample_chooses_the_maf_tumor(tmp_path: Path) -> None:
    maf = write(tmp_path, "two.maf", TWO_TUMORS)
    profile = load_profile(CRC, somatic=maf, tumor_sample="B")
    assert profile.tumor is not None
    assert [v.gene for v in profile.tumor.variants or ()] == ["NRAS"]
    with pytest.raises(ProfileError) as info:
        load_profile(CRC, somatic=maf)
    message = info.value.problems[0].message
    assert "2 tumors" in message
    assert "tumor_sample=" in message
    assert "--tumor-sample" in message
    with pytest.raises(ProfileError, match=r"no Tumor_Sample_Barcode 'C'.*--tumor-sample"):
        load_profile(CRC, somatic=maf, tumor_sample="C")


def test_vcf_sample_does_not_choose_the_maf_tumor(tmp_path: Path) -> None:
    """``sample`` names the germline VCF column; the MAF's tumor is ``tumor_sample``."""
    maf = write(tmp_path, "two.maf", TWO_TUMORS)
    with pytest.raises(ProfileError, match="--tumor-sample"):
        load_profile(CRC, somatic=maf, sample="B")


def test_one_tumor_maf_with_another_barcode_asked_for(tmp_path: Path) -> None:
    """A barcode that is not there is an error, never a tumor with no variants."""
    with pytest.raises(ProfileError, match="no Tumor_Sample_Barcode 'X'"):
        load_profile(CRC, somatic=ADAPTERS / "tumor.maf", tumor_sample="X")


# ------------------------------------------------------------------ NaN and infinity
@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_expression_nan_is_an_error(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, "e.tsv", f"gene\tz_score\nIGF1R\t2.0\nINSR\t{value}\n")
    with pytest.raises(ProfileError) as info:
        load_profile(expression=path)
    (problem,) = info.value.problems
    assert (problem.source, problem.line) == (str(path), 3)
    assert "not a finite number" in problem.message


@pytest.mark.parametrize("column", ["t_alt_count", "t_depth"])
@pytest.mark.parametrize("value", ["nan", "inf", "1e3", "2.5"])
def test_maf_count_nan_is_an_error(tmp_path: Path, column: str, value: str) -> None:
    counts = {"t_alt_count": "3", "t_depth": "50", column: value}
    row = f"KRAS\tMissense_Mutation\tp.G12D\t{counts['t_alt_count']}\t{counts['t_depth']}\tT1\n"
    path = write(tmp_path, "n.maf", MAF_HEADER + row)
    with pytest.raises(ProfileError) as info:
        load_profile(somatic=path)
    (problem,) = info.value.problems
    assert (problem.source, problem.line) == (str(path), 2)
    assert column in problem.message


def test_profile_nan_next_to_an_expression_table(tmp_path: Path) -> None:
    """The profile's own non-finite numbers are refused (pgx.io._convert) before any merge."""
    base = write(tmp_path, "p.yaml", "tumor:\n  expression:\n    IGF1R: {z_score: .nan}\n")
    with pytest.raises(ProfileError) as info:
        load_profile(base, expression=ADAPTERS / "expression.tsv")
    (problem,) = info.value.problems
    assert problem.source == str(base)
    assert problem.line == 3


# ------------------------------------------------------------------ gene symbols
def test_expression_gene_pgx_does_not_know(tmp_path: Path) -> None:
    path = write(tmp_path, "e.tsv", "gene\tihc\nHER2\t3+\nerbb2\t2+\nIGF1R\t1+\n")
    profile = load_profile(expression=path)
    warnings = evaluate(profile, now=NOW).warnings
    her2 = next(w for w in warnings if "HER2" in w)
    assert her2.startswith(f"{path}: 1 expression gene symbol(s) not in pgx's gene table")
    assert "HER2 (line 2)" in her2
    assert "did you mean" not in her2  # no alias table: HER2 is not guessed to be ERBB2
    assert (
        f"{path}:3: expression gene 'erbb2' is not a gene pgx knows; did you mean ERBB2?"
        in warnings
    )
    assert not any("IGF1R" in w for w in warnings)


def test_maf_gene_pgx_does_not_know(tmp_path: Path) -> None:
    row = (
        "HER2\tMissense_Mutation\tp.S310F\t3\t10\tT1\nKRAS\tMissense_Mutation\tp.G12D\t3\t10\tT1\n"
    )
    path = write(tmp_path, "h.maf", MAF_HEADER + row)
    warnings = evaluate(load_profile(somatic=path), now=NOW).warnings
    assert any(w.startswith(f"{path}: 1 MAF gene symbol(s)") and "HER2 (line 2)" in w
               for w in warnings)  # fmt: skip
    assert not any("KRAS (line" in w for w in warnings)


def test_many_unknown_maf_genes_are_one_warning(tmp_path: Path) -> None:
    rows = "".join(f"GENE{i}\tMissense_Mutation\tp.A{i}T\t3\t10\tT1\n" for i in range(30))
    path = write(tmp_path, "m.maf", MAF_HEADER + rows)
    (warning,) = [w for w in load_profile(somatic=path).warnings if "gene table" in w]
    assert warning.startswith(f"{path}: 30 MAF gene symbol(s)")
    assert "GENE0 (line 2)" in warning
    assert "and 18 more" in warning
