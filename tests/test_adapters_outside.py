"""Outside-call files: forms PharmCAT accepts, HLA carriage, bad lines, VCF override."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgx import ProfileError, evaluate, load_profile
from pgx.inputs import read_outside_calls
from pgx.model.profile import GeneResult
from tests.adapters_support import ADAPTERS, tiny_definitions, tiny_ruleset, vcf_text, write_vcf
from tests.helpers import NOW, write


def _read(tmp: Path, text: str) -> dict[str, GeneResult]:
    return read_outside_calls(write(tmp, "calls.tsv", text))


@pytest.mark.parametrize(
    ("line", "diplotype"),
    [
        ("CYP2D6\t*1/*4x2", "*1/*4x2"),
        ("CYP2D6\t*36+*10/*4", "*36+*10/*4"),
        ("CYP2D6\t*1x≥3/*4", "*1x≥3/*4"),
        ("CYP2D6\tCYP2D6*1/CYP2D6*4", "*1/*4"),
    ],
)
def test_cyp2d6_forms(tmp_path: Path, line: str, diplotype: str) -> None:
    result = _read(tmp_path, line + "\n")["CYP2D6"]
    assert result.diplotype == diplotype
    assert result.call is not None
    assert result.call.source == "outside_call"


def test_phenotype_and_activity_columns(tmp_path: Path) -> None:
    got = _read(tmp_path, "CYP2C9\t\t\t2.0\nCYP2C19\t\tPM\nSLCO1B1\t\tDecreased Function\n")
    assert got["CYP2C9"].activity_score == 2.0
    assert got["CYP2C19"].phenotype == "Poor Metabolizer"
    assert got["SLCO1B1"].phenotype == "Decreased Function"


def test_hla_carriage_drives_allele_rules(tmp_path: Path) -> None:
    profile = load_profile(outside_calls=ADAPTERS / "outside.tsv")
    assert profile.germline["HLA-B"].carriers == {"*57:01": True}
    report = evaluate(profile, now=NOW, drugs=["abacavir", "carbamazepine"])
    assert report.finding("cpic-hla-b-abacavir-positive") is not None
    assert report.phenotypes["HLA-B"].status == "typed"
    assert report.phenotypes["HLA-B"].diplotype == "*57:01 positive"
    # HLA-A *31:01 negative decides HLA-A; HLA-B *15:02 is still unknown
    ids = {i.rule_id: i.missing for i in report.indeterminate}
    assert all("germline.HLA-A" not in " ".join(m) for m in ids.values())


def test_hla_negative_and_other_alleles(tmp_path: Path) -> None:
    profile = load_profile(outside_calls=write(tmp_path, "c.tsv", "HLA-B\t\t*57:01 negative\n"))
    report = evaluate(profile, now=NOW, drugs=["abacavir", "allopurinol"])
    assert report.finding("cpic-hla-b-abacavir-positive") is None
    undecided = {i.rule_id for i in report.indeterminate}
    assert any("allopurinol" in r for r in undecided)  # *58:01 was not reported


def test_hla_typed_alleles(tmp_path: Path) -> None:
    got = _read(tmp_path, "HLA-B\tHLA-B*57:01/HLA-B*08:01\n")
    assert got["HLA-B"].alleles == ("*57:01", "*08:01")


def test_bad_line_is_an_error_for_its_gene_only(tmp_path: Path) -> None:
    path = write(tmp_path, "c.tsv", "CYP2C19\t*2/*17\nCYP2C9\t*1*3\nCYP2D6\t*1/*4\t\tlots\n")
    profile = load_profile(outside_calls=path)
    assert profile.germline["CYP2C19"].diplotype == "*2/*17"
    report = evaluate(profile, now=NOW)
    assert report.phenotypes["CYP2C19"].phenotype == "Intermediate Metabolizer"
    assert report.phenotypes["CYP2C9"].status == "no_call"
    assert report.phenotypes["CYP2D6"].status == "no_call"
    assert f"{path}:2: outside call for CYP2C9 not used" in " ".join(report.warnings)
    assert f"{path}:3: outside call for CYP2D6 not used" in " ".join(report.warnings)


def test_gene_given_twice(tmp_path: Path) -> None:
    got = _read(tmp_path, "CYP2C19\t*2/*17\nCYP2C19\t*1/*1\n")
    call = got["CYP2C19"].call
    assert call is not None
    assert "given twice (lines 1 and 2)" in call.warnings[0]
    assert got["CYP2C19"].diplotype is None


@pytest.mark.parametrize("text", ["CYP2D6\tn/a\n", "CYP2D6\t\tno call\n", "CYP2D6\tNo Call\t\t\n"])
def test_explicit_no_call(tmp_path: Path, text: str) -> None:
    profile = load_profile(outside_calls=write(tmp_path, "c.tsv", text))
    report = evaluate(profile, now=NOW, drugs=["codeine"])
    assert report.phenotypes["CYP2D6"].status == "no_call"
    assert not report.findings
    assert report.indeterminate


def test_line_without_gene_is_a_file_error(tmp_path: Path) -> None:
    path = write(tmp_path, "c.tsv", "# calls\n\t*1/*2\n")
    with pytest.raises(ProfileError) as info:
        read_outside_calls(path)
    (problem,) = info.value.problems
    assert (problem.source, problem.line) == (str(path), 2)


def test_outside_call_replaces_the_vcf_and_says_so(tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path / "s.vcf", vcf_text(tiny_definitions(), {"CYP2C9": ("*1", "*1")}))
    calls = write(tmp_path, "c.tsv", "CYP2C9\t*1/*3\n")
    profile = load_profile(vcf=vcf, outside_calls=calls, ruleset=tiny_ruleset())
    result = profile.germline["CYP2C9"]
    assert result.diplotype == "*1/*3"
    assert result.call is not None
    assert result.call.source == "outside_call"
    assert result.call.overridden == "outside call replaced the VCF call (*1/*1)"
    report = evaluate(profile, tiny_ruleset(), now=NOW)
    assert report.phenotypes["CYP2C9"].call == result.call
    assert any("replaced the VCF call" in w for w in report.warnings)


# ------------------------------------------------------------------ checked against knowledge
def _warnings(path: Path) -> tuple[str, ...]:
    return evaluate(load_profile(outside_calls=path), now=NOW).warnings


def test_unknown_phenotype_is_a_warning_for_its_gene(tmp_path: Path) -> None:
    """A term the gene's table does not have is unreadable, not a silent conflict."""
    path = write(tmp_path, "c.tsv", "CYP2C19\t*1/*2\tfoo\nCYP2C9\t\tpoor metabolizer\n")
    profile = load_profile(outside_calls=path)
    assert profile.germline["CYP2C19"].is_bare()
    report = evaluate(profile, now=NOW)
    assert report.phenotypes["CYP2C19"].status == "no_call"
    assert any(
        w.startswith(
            f"{path}:1: outside call for CYP2C19 not used: unknown CYP2C19 phenotype 'foo'"
        )
        for w in report.warnings
    )
    # a known term in another case is read as the table spells it
    assert profile.germline["CYP2C9"].phenotype == "Poor Metabolizer"


@pytest.mark.parametrize(
    ("symbol", "hint"),
    [("cyp2d6", "; did you mean CYP2D6?"), ("CYP2C91", " (HGNC symbols are expected)")],
)
def test_gene_pgx_does_not_know_is_a_warning(tmp_path: Path, symbol: str, hint: str) -> None:
    path = write(tmp_path, "c.tsv", f"# calls\nCYP2C19\t*1/*2\n{symbol}\t*1/*4\n")
    profile = load_profile(outside_calls=path)
    assert symbol not in profile.germline  # not taken for the gene it may mean
    assert "CYP2D6" not in profile.germline
    assert profile.germline["CYP2C19"].diplotype == "*1/*2"
    assert (
        f"{path}:3: outside call not used: {symbol!r} is not a gene pgx knows{hint}"
        in _warnings(path)
    )


@pytest.mark.parametrize("text", ["", "# gene\tdiplotype\n\n"])
def test_empty_outside_call_file_is_a_warning(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "c.tsv", text)
    profile = load_profile(outside_calls=path)
    assert profile.germline == {}
    assert any(w.startswith(f"{path}: no calls in file") for w in _warnings(path))


@pytest.mark.parametrize("score", ["nan", "NaN", "inf", "-inf"])
def test_non_finite_activity_score(tmp_path: Path, score: str) -> None:
    path = write(tmp_path, "c.tsv", f"CYP2C9\t\t\t{score}\nCYP2C19\t*1/*2\n")
    profile = load_profile(outside_calls=path)
    assert profile.germline["CYP2C9"].activity_score is None
    assert profile.germline["CYP2C19"].diplotype == "*1/*2"
    report = evaluate(profile, now=NOW)
    assert report.phenotypes["CYP2C9"].status == "no_call"
    assert (
        f"{path}:1: outside call for CYP2C9 not used: activity score is not a finite number: "
        f"{score!r}" in report.warnings
    )
