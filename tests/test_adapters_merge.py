"""Merging sources in load_profile, and the pipeline flags of `pgx evaluate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgx import ProfileError, evaluate, load_profile
from pgx.cli import main
from tests.adapters_support import ADAPTERS, tiny_definitions, tiny_ruleset, vcf_text, write_vcf
from tests.helpers import NOW, write


def _vcf(tmp: Path, **diplotypes: tuple[str, str]) -> Path:
    return write_vcf(tmp / "s.vcf", vcf_text(tiny_definitions(), diplotypes))


def test_nothing_to_load() -> None:
    with pytest.raises(ProfileError, match="give a profile or at least one input file"):
        load_profile()


def test_plain_profiles_are_unchanged() -> None:
    profile = load_profile({"germline": {"CYP2C19": {"diplotype": "*2/*17"}}})
    assert profile.germline["CYP2C19"].call is None


def test_agreeing_sources_merge(tmp_path: Path) -> None:
    base = write(tmp_path, "p.yaml", "id: P1\ngermline:\n  CYP2C9: {diplotype: '*3/*1'}\n")
    profile = load_profile(base, vcf=_vcf(tmp_path, CYP2C9=("*1", "*3")), ruleset=tiny_ruleset())
    assert profile.id == "P1"
    result = profile.germline["CYP2C9"]
    assert result.diplotype == "*3/*1"
    assert result.call is not None
    assert result.call.source == "vcf"
    assert any("also given in" in n for n in result.call.notes)


def test_disagreeing_sources_name_both(tmp_path: Path) -> None:
    base = write(tmp_path, "p.yaml", "germline:\n  CYP2C9: {diplotype: '*1/*1'}\n")
    vcf = _vcf(tmp_path, CYP2C9=("*1", "*3"))
    with pytest.raises(ProfileError) as info:
        load_profile(base, vcf=vcf, ruleset=tiny_ruleset())
    (problem,) = info.value.problems
    assert problem.path == "$.germline.CYP2C9.diplotype"
    assert str(base) in problem.message
    assert str(vcf) in problem.message


def test_profile_and_outside_call_disagree(tmp_path: Path) -> None:
    base = write(tmp_path, "p.yaml", "germline:\n  CYP2D6: {diplotype: '*1/*1'}\n")
    calls = write(tmp_path, "c.tsv", "CYP2D6\t*1/*4\n")
    with pytest.raises(ProfileError, match="disagrees"):
        load_profile(base, outside_calls=calls)


def test_profile_resolves_an_ambiguous_vcf_call(tmp_path: Path) -> None:
    text = vcf_text(
        tiny_definitions(), {"CYP2C19": ("*1", "*3")}, missing={("CYP2C19", "rs4986893")}
    )
    vcf = write_vcf(tmp_path / "s.vcf", text)
    base = {"germline": {"CYP2C19": {"diplotype": "*1/*3"}}}
    profile = load_profile(base, vcf=vcf, ruleset=tiny_ruleset())
    report = evaluate(profile, tiny_ruleset(), now=NOW)
    assert report.phenotypes["CYP2C19"].phenotype == "Intermediate Metabolizer"
    # the profile decided, not the VCF: the call says so (and keeps what the VCF saw)
    call = profile.germline["CYP2C19"].call
    assert call is not None
    assert call.source == "profile"
    assert call.file == "<mapping>"
    assert "*1/*3" in call.candidates
    assert call.missing_positions == ("rs4986893",)
    assert any("ambiguous" in n and "included it" in n and str(vcf) in n for n in call.notes)
    with pytest.raises(ProfileError):
        load_profile({"germline": {"CYP2C19": {"diplotype": "*2/*2"}}}, vcf=vcf,
                     ruleset=tiny_ruleset())  # fmt: skip


def test_vcf_genotypes_against_profile_variants(tmp_path: Path) -> None:
    vcf = _vcf(tmp_path, VKORC1=("rs9923231 reference (C)", "rs9923231 variant (T)"))
    same = {"germline": {"VKORC1": {"variants": {"rs9923231": "T/C"}}}}
    assert load_profile(same, vcf=vcf, ruleset=tiny_ruleset()).germline["VKORC1"].variants == {
        "rs9923231": "T/C"
    }
    other = {"germline": {"VKORC1": {"variants": {"rs9923231": "T/T"}}}}
    with pytest.raises(ProfileError, match=r"variants\.rs9923231"):
        load_profile(other, vcf=vcf, ruleset=tiny_ruleset())


def test_assume_reference_is_reported(tmp_path: Path) -> None:
    text = vcf_text(
        tiny_definitions(),
        {"CYP2C9": ("*1", "*2"), "CYP2C19": ("*1", "*1")},
        missing=[("CYP2C19", "rs12248560"), ("CYP2C19", "rs28399504")],
    )
    vcf = write_vcf(tmp_path / "s.vcf", text)
    profile = load_profile(vcf=vcf, ruleset=tiny_ruleset(), assume_reference=True)
    report = evaluate(profile, tiny_ruleset(), now=NOW)
    # both absent positions tell an allele of another function (*17, *4) from the reference:
    # neither is assumed, and the warning says so
    assert report.phenotypes["CYP2C19"].phenotype is None
    call = report.phenotypes["CYP2C19"].call
    assert call is not None
    assert call.assume_reference
    assert call.assumed_positions == ()
    assert (
        "CYP2C19: reference not assumed (assume_reference): 2 of the 5 positions that tell an "
        "allele of another function from the reference are not genotyped: rs12248560 (*17), "
        "rs28399504 (*4); absent positions stay unknown"
    ) in report.warnings
    assert report.phenotypes["CYP2C9"].phenotype is not None  # every position there
    data = json.loads(report.to_json())
    assert data["phenotypes"]["CYP2C19"]["call"]["assume_reference"] is True


def test_tumor_variants_given_twice(tmp_path: Path) -> None:
    base = {"tumor": {"variants": [{"gene": "KRAS", "protein": "p.G12V"}]}}
    with pytest.raises(ProfileError) as info:
        load_profile(base, somatic=ADAPTERS / "tumor.maf")
    (problem,) = info.value.problems
    assert problem.path == "$.tumor.variants"
    assert "<mapping>" in problem.message


def test_cli_with_vcf_and_outside_calls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vcf = write_vcf(tmp_path / "s.vcf.gz", vcf_text(tiny_definitions(), {"CYP2C9": ("*1", "*1")},
                                                    samples=("NA1", "NA2")), gz=True)  # fmt: skip
    args = ["evaluate", "--vcf", str(vcf), "--sample", "NA2", "--outside-calls",
            str(ADAPTERS / "outside.tsv"), "--format", "json", "--now", NOW]  # fmt: skip
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["profile_id"] == "NA2"
    phenotypes = data["phenotypes"]
    assert phenotypes["CYP2D6"]["call"]["source"] == "outside_call"
    assert phenotypes["CYP2D6"]["phenotype"] == "Intermediate Metabolizer"
    assert phenotypes["HLA-B"]["diplotype"] == "*57:01 positive"
    # the outside CYP2C9 call replaced the VCF's, and the report says so
    assert phenotypes["CYP2C9"]["diplotype"] == "*1/*3"
    assert phenotypes["CYP2C9"]["call"]["overridden"].startswith("outside call replaced")
    assert any("replaced the VCF call" in w for w in data["warnings"])


def test_cli_bad_vcf_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vcf = write(tmp_path, "b.vcf", "##fileformat=VCFv4.2\n##reference=hg19\n")
    assert main(["evaluate", "--vcf", str(vcf)]) == 2
    err = capsys.readouterr().err
    assert f"{vcf}:2:" in err
    assert "GRCh37" in err


def test_cli_tumor_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write(tmp_path, "p.yaml", "tumor:\n  cancer_type: {code: COADREAD}\n")
    expr = write(tmp_path, "e.tsv", "IGF1R\t3+\n")
    args = ["evaluate", str(base), "--somatic", str(ADAPTERS / "tumor.maf"), "--expression",
            str(expr), "--expression-assay", "ihc", "--format", "json", "--now", NOW]  # fmt: skip
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    fired = {f["rule_id"] for f in data["findings"]}
    assert "crc-ras-mutant-anti-egfr-avoid" in fired


def test_report_with_calls_round_trips(tmp_path: Path) -> None:
    from pgx import Report

    vcf = _vcf(tmp_path, CYP2C9=("*1", "*2"))
    report = evaluate(load_profile(vcf=vcf, ruleset=tiny_ruleset()), tiny_ruleset(), now=NOW)
    again = Report.from_dict(json.loads(report.to_json()))
    assert again == report
    assert again.to_markdown() == report.to_markdown()


def test_maf_of_one_tumor_ignores_the_vcf_sample_name(tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path / "s.vcf", vcf_text(tiny_definitions(), {"CYP2C9": ("*1", "*1")},
                                                 samples=("GERM", "OTHER")))  # fmt: skip
    profile = load_profile(
        vcf=vcf, sample="GERM", somatic=ADAPTERS / "tumor.maf", ruleset=tiny_ruleset()
    )
    assert profile.tumor is not None
    assert [v.gene for v in profile.tumor.variants or ()] == ["KRAS", "BRAF"]


def test_allele_rules_over_candidates_and_carriers() -> None:
    from pgx import load_ruleset
    from pgx.model.profile import GeneCall, GeneResult, Profile

    rules = load_ruleset(ADAPTERS / "rules" / "carriers.yaml")
    call = GeneCall(source="vcf", candidates=("*1/*2", "*2/*2"))
    profile = Profile(germline={"CYP2C19": GeneResult(call=call)})
    report = evaluate(profile, rules, now=NOW)
    assert report.finding("t-carries-2") is not None  # every candidate carries *2
    assert "t-carries-17" not in {f.rule_id for f in report.findings}
    assert "t-carries-17" not in {i.rule_id for i in report.indeterminate}  # none carries it
    assert "t-carries-1" in {i.rule_id for i in report.indeterminate}  # some do
    for carriers, outcome in (
        ({"*57:01": True}, "fires"),
        ({"*57:01:01": True}, "fires"),
        ({"*57": False}, "does_not_fire"),
        ({"*57:01": False}, "does_not_fire"),
        ({"*58:01": True}, "indeterminate"),
        ({"*57:01:02": False}, "indeterminate"),
    ):
        hla = Profile(germline={"HLA-B": GeneResult(carriers=carriers)})
        assert rules.compiled.outcome(hla, "t-hla-5701").outcome == outcome, carriers


def test_cli_panel_and_tumor_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write(tmp_path, "p.yaml", "tumor:\n  cancer_type: {code: COADREAD}\n")
    header = "Hugo_Symbol\tVariant_Classification\tHGVSp_Short\tTumor_Sample_Barcode\n"
    maf = write(tmp_path, "t.maf", header + "TP53\tMissense_Mutation\tp.R175H\tT1\n"
                "KRAS\tMissense_Mutation\tp.G12D\tT2\n")  # fmt: skip
    panel = write(tmp_path, "panel.txt", "KRAS,NRAS,TP53\n")
    common = ["evaluate", str(base), "--somatic", str(maf), "--drug", "cetuximab",
              "--format", "json", "--now", NOW]  # fmt: skip
    assert main(common) == 2
    assert "--tumor-sample" in capsys.readouterr().err

    def run(*extra: str) -> dict[str, object]:
        assert main([*common, "--tumor-sample", "T1", *extra]) == 0
        data: dict[str, object] = json.loads(capsys.readouterr().out)
        return data

    # without the panel, NRAS and KRAS are unknown: RAS wild type is not concluded
    alone = run()
    assert "crc-ras-mutant-anti-egfr-avoid" in {
        i["rule_id"]
        for i in alone["indeterminate"]  # type: ignore[attr-defined]
    }
    assert any("pass the panel" in w for w in alone["warnings"])  # type: ignore[attr-defined]
    # with it they are wild type
    paneled = run("--panel", str(panel))
    assert "crc-ras-mutant-anti-egfr-avoid" not in {
        i["rule_id"]
        for i in paneled["indeterminate"]  # type: ignore[attr-defined]
    }
    assert not any("pass the panel" in w for w in paneled["warnings"])  # type: ignore[attr-defined]
    assert main([*common, "--tumor-sample", "T1", "--panel", str(tmp_path / "no.txt")]) == 2
    assert "cannot read" in capsys.readouterr().err
