"""The engine: three-valued leaves, outcomes, traces, residuals, supersedes, conflicts."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgx import InputError, Report, evaluate
from tests.helpers import NOW, basic_rules

IGF1R_FIRES: dict[str, Any] = {
    "id": "P-IGF",
    "tumor": {
        "cancer_type": {"code": "COADREAD"},
        "variants": [{"gene": "TP53", "protein": "p.R175H"}],
        "expression": {"IGF1R": {"ihc": "3+"}},
    },
    "clinical": {"therapies": [{"drug": "panitumumab", "outcome": "progression"}]},
}


def _outcome(report: Report, rule_id: str) -> str:
    if report.finding(rule_id) is not None:
        return "fires"
    if any(i.rule_id == rule_id for i in report.indeterminate):
        return "indeterminate"
    return "does_not_fire"


@pytest.fixture(name="rules", scope="module")
def _rules() -> Any:
    return basic_rules()


def test_fires_with_trace(rules: Any) -> None:
    """A firing rule carries its evidence, citations and the facts that fired it."""
    report = evaluate({"germline": {"CYP2C19": {"diplotype": "*2/*2"}}}, rules, now=NOW)
    finding = report.finding("t-clopidogrel-pm")
    assert finding is not None
    assert finding.action == "use_alternative"
    assert finding.indicator == "warning"
    assert finding.citations == ("PMID:35034351",)
    assert finding.evidence.level == "1"
    (entry,) = finding.because
    assert entry.path == "germline.CYP2C19"
    assert entry.truth == "true"
    assert "Poor Metabolizer" in entry.observed
    assert report.phenotypes["CYP2C19"].phenotype == "Poor Metabolizer"


def test_untested_gene_is_indeterminate_never_standard(rules: Any) -> None:
    """An untested gene leaves both the PM rule and the standard-dosing rule undecided."""
    report = evaluate({}, rules, now=NOW)
    assert _outcome(report, "t-clopidogrel-pm") == "indeterminate"
    assert _outcome(report, "t-clopidogrel-nm") == "indeterminate"
    item = next(i for i in report.indeterminate if i.rule_id == "t-clopidogrel-nm")
    assert item.missing == ("germline.CYP2C19",)
    assert item.would_fire_if == "CYP2C19 phenotype is Normal Metabolizer"


def test_unknown_allele_is_indeterminate(rules: Any) -> None:
    """An allele pgx does not know never becomes a phenotype."""
    report = evaluate({"germline": {"CYP2C19": {"diplotype": "*1/*999"}}}, rules, now=NOW)
    assert _outcome(report, "t-clopidogrel-nm") == "indeterminate"
    assert report.phenotypes["CYP2C19"].status == "unknown_allele"


def test_igf1r_fires_and_residual(rules: Any) -> None:
    """All three facts known: fires; drop the sequencing: indeterminate with a residual."""
    report = evaluate(IGF1R_FIRES, rules, now=NOW)
    assert _outcome(report, "t-igf1r") == "fires"
    finding = report.finding("t-igf1r")
    assert finding is not None
    assert [e.truth for e in finding.because] == ["true", "true", "false"]
    assert finding.regimen is not None and finding.regimen.all_of == ("linsitinib", "erlotinib")

    unsequenced = {**IGF1R_FIRES, "tumor": {**IGF1R_FIRES["tumor"]}}
    del unsequenced["tumor"]["variants"]
    report = evaluate(unsequenced, rules, now=NOW)
    item = next(i for i in report.indeterminate if i.rule_id == "t-igf1r")
    assert item.missing == ("tumor.variants",)
    assert item.would_fire_if == "not KRAS activating somatic variant"


def test_kras_activating_blocks(rules: Any) -> None:
    """A KRAS G12D tumor makes the IGF1R rule false; an unclassified KRAS variant, unknown."""
    profile = {
        **IGF1R_FIRES,
        "tumor": {**IGF1R_FIRES["tumor"], "variants": [{"gene": "KRAS", "protein": "p.Gly12Asp"}]},
    }
    assert _outcome(evaluate(profile, rules, now=NOW), "t-igf1r") == "does_not_fire"
    profile["tumor"]["variants"] = [{"gene": "KRAS", "protein": "p.L19F"}]
    assert _outcome(evaluate(profile, rules, now=NOW), "t-igf1r") == "indeterminate"


def test_panel_without_gene_is_unknown(rules: Any) -> None:
    """A gene outside the sequenced panel is unknown, not wild type."""
    profile = {**IGF1R_FIRES, "tumor": {**IGF1R_FIRES["tumor"], "sequenced_genes": ["TP53"]}}
    assert _outcome(evaluate(profile, rules, now=NOW), "t-igf1r") == "indeterminate"


def test_expression_without_cutpoint_is_unknown(rules: Any) -> None:
    """A raw value with no cut-point gives an unknown level and a warning."""
    profile = {
        **IGF1R_FIRES,
        "tumor": {**IGF1R_FIRES["tumor"], "expression": {"IGF1R": {"tpm": 500.0}}},
    }
    report = evaluate(profile, rules, now=NOW)
    assert _outcome(report, "t-igf1r") == "indeterminate"
    assert any("no tpm cut-point for IGF1R" in w for w in report.warnings)


def test_unknown_drug_in_class_query_is_unknown(rules: Any) -> None:
    """A therapy pgx cannot classify may be in the class: unknown, with a warning."""
    profile = {
        **IGF1R_FIRES,
        "clinical": {"therapies": [{"drug": "mysterymab", "outcome": "progression"}]},
    }
    report = evaluate(profile, rules, now=NOW)
    assert _outcome(report, "t-igf1r") == "indeterminate"
    assert any("mysterymab" in w for w in report.warnings)


def test_empty_list_means_none(rules: Any) -> None:
    """An empty therapy list is known: no anti-EGFR therapy, the rule does not fire."""
    profile = {**IGF1R_FIRES, "clinical": {"therapies": []}}
    assert _outcome(evaluate(profile, rules, now=NOW), "t-igf1r") == "does_not_fire"


def test_supersedes_and_conflicts(rules: Any) -> None:
    """A specific rule hides the general one; contradictory actions are reported."""
    profile = {
        **IGF1R_FIRES,
        "clinical": {"therapies": [{"drug": "cetuximab", "outcome": "progression"}]},
    }
    report = evaluate(profile, rules, now=NOW)
    assert report.finding("t-igf1r-specific") is not None
    assert report.finding("t-igf1r") is None
    assert [(s.rule_id, s.superseded_by) for s in report.superseded] == [
        ("t-igf1r", "t-igf1r-specific")
    ]


def test_conflict_reported(rules: Any) -> None:
    """Two findings with contradictory actions on one drug are a conflict."""
    from pgx.engine._evaluate import _conflicts
    from pgx.model.report import Evidence, Finding

    def f(rule_id: str, action: str) -> Finding:
        return Finding(
            rule_id, "1", action, "info", ("warfarin",), "s", Evidence("1"), ("PMID:1",), ()
        )

    (conflict,) = _conflicts([f("a", "avoid"), f("b", "standard_dosing"), f("c", "monitor")])
    assert (conflict.drug, conflict.rule_ids, conflict.actions) == (
        "warfarin",
        ("a", "b"),
        ("avoid", "standard_dosing"),
    )


def test_drugs_filter(rules: Any) -> None:
    """drugs= limits the report to rules about those drugs."""
    report = evaluate(IGF1R_FIRES, rules, drugs=["clopidogrel"], now=NOW)
    assert {i.rule_id for i in report.indeterminate} == {"t-clopidogrel-pm", "t-clopidogrel-nm"}
    assert report.findings == ()
    assert report.drugs == ("clopidogrel",)
    with pytest.raises(InputError, match="unknown drug 'clopidogrell'"):
        evaluate(IGF1R_FIRES, rules, drugs=["clopidogrell"])


def test_bad_now_is_input_error(rules: Any) -> None:
    """now must be ISO-8601."""
    with pytest.raises(InputError, match="ISO-8601"):
        evaluate({}, rules, now="yesterday")


def test_provenance(rules: Any) -> None:
    """The report names the ruleset, its hash and the pgx version."""
    report = evaluate({}, rules, now=NOW)
    assert (report.ruleset.name, report.ruleset.version) == ("test-rules", "1.2.3")
    assert len(report.ruleset.sha256) == 64
    assert report.pgx_version
    assert report.generated_at == NOW


diplotypes = st.sampled_from(["*1/*1", "*1/*2", "*2/*2", "*1/*17", "*17/*17", "*1/*999", "*2/*12"])


@given(
    dip=st.none() | diplotypes,
    ihc=st.none() | st.sampled_from(["0", "1+", "2+", "3+"]),
    outcome=st.none() | st.sampled_from(["response", "stable", "progression", "intolerance"]),
)
def test_deterministic_and_round_trip(
    dip: str | None, ihc: str | None, outcome: str | None
) -> None:
    """Same input and now give byte-identical JSON, which reads back to an equal report."""
    rules = basic_rules()
    profile: dict[str, Any] = {"id": "H"}
    if dip:
        profile["germline"] = {"CYP2C19": {"diplotype": dip}}
    if ihc:
        profile["tumor"] = {"expression": {"IGF1R": {"ihc": ihc}}, "variants": []}
    if outcome:
        profile["clinical"] = {"therapies": [{"drug": "cetuximab", "outcome": outcome}]}
    first = evaluate(profile, rules, now=NOW)
    second = evaluate(profile, rules, now=NOW)
    assert first.to_json() == second.to_json()
    assert Report.from_dict(first.to_dict()) == first
    # every active rule is accounted for exactly once
    decided = {f.rule_id for f in first.findings} | {i.rule_id for i in first.indeterminate}
    assert len(decided) == len(first.findings) + len(first.indeterminate)


def test_reported_variant_off_panel_still_counts(rules: Any) -> None:
    """A KRAS G12D reported outside the declared panel is still a KRAS G12D."""
    tumor = {
        **IGF1R_FIRES["tumor"],
        "sequenced_genes": ["BRAF"],
        "variants": [{"gene": "KRAS", "protein": "p.G12D"}],
    }
    profile = {**IGF1R_FIRES, "tumor": tumor}
    assert _outcome(evaluate(profile, rules, now=NOW), "t-igf1r") == "does_not_fire"


def test_report_from_bad_dict_is_pgx_error(rules: Any) -> None:
    """Reading back a damaged report raises InputError with the path."""
    data = evaluate({}, rules, now=NOW).to_dict()
    data["findings"] = "oops"
    with pytest.raises(InputError, match=r"\$\.findings"):
        Report.from_dict(data)


def test_hba1c_ifcc_units_convert() -> None:
    """HbA1c in IFCC mmol/mol is compared by the master equation (48 mmol/mol ~ 6.5 %)."""
    from pgx import default_ruleset

    rules = default_ruleset()
    rule_id = "alpelisib-diabetes-hyperglycemia-caution"
    tumor = {"cancer_type": {"code": "IDC"}}
    clinical: dict[str, Any] = {"diagnoses": [], "medications": []}
    high = {
        "tumor": tumor,
        "clinical": {**clinical, "labs": {"HbA1c": {"value": 53, "unit": "mmol/mol"}}},
    }
    low_labs = {
        "HbA1c": {"value": 36, "unit": "mmol/mol"},
        "fasting_glucose": {"value": 90, "unit": "mg/dL"},
        "BMI": {"value": 24, "unit": "kg/m2"},  # the caution also reads obesity
    }
    low = {"tumor": tumor, "clinical": {**clinical, "labs": low_labs}}
    assert rules.compiled.outcome(_p(high), rule_id).outcome == "fires"
    assert rules.compiled.outcome(_p(low), rule_id).outcome == "does_not_fire"


def _p(data: dict[str, Any]) -> Any:
    from pgx import load_profile

    return load_profile(data)


def test_no_call_diplotype_is_unknown(tmp_path: Any) -> None:
    """A 'no call' diplotype is neither equal nor unequal to any diplotype."""
    from pathlib import Path

    from pgx import load_ruleset

    path = Path(str(tmp_path)) / "r.yaml"
    path.write_text(
        "pgx_rules: 1\nrules:\n"
        "  - id: not-star2\n    version: 1.0.0\n    drugs: [clopidogrel]\n"
        "    when: {not: {diplotype: {gene: CYP2C19, in: ['*2/*2']}}}\n"
        "    then: {action: informative, summary: s, evidence: {level: '4'}, "
        "citations: ['PMID:35034351']}\n",
        encoding="utf-8",
    )
    rules = load_ruleset(path)
    for text in ("no call", "./."):
        report = evaluate({"germline": {"CYP2C19": {"diplotype": text}}}, rules, now=NOW)
        assert _outcome(report, "not-star2") == "indeterminate", text


def test_genotype_on_other_strand_is_unknown() -> None:
    """VKORC1 written on the gene strand (G/A) is undecided with a warning, never 'not risk'."""
    from pgx import default_ruleset, load_profile

    rules = default_ruleset()
    profile = load_profile(
        {
            "germline": {
                "CYP2C9": {"diplotype": "*1/*1"},
                "VKORC1": {"variants": {"rs9923231": "G/A"}},
            }
        }
    )
    out = rules.compiled.outcome(profile, "cpic-warfarin-cyp2c9-vkorc1-lower-dose")
    assert out.outcome == "indeterminate"
    report = evaluate(profile, rules, drugs=["warfarin"], now=NOW)
    assert any("rs9923231 genotype 'G/A'" in w for w in report.warnings)


def test_reported_phenotype_decides_activity_rules() -> None:
    """A lab's 'Poor Metabolizer' (DPYD score 0-0.5) decides the score-based rules."""
    from pgx import default_ruleset

    report = evaluate(
        {"germline": {"DPYD": {"phenotype": "Poor Metabolizer"}}},
        default_ruleset(),
        drugs=["fluorouracil"],
        now=NOW,
    )
    assert [f.rule_id for f in report.findings] == ["cpic-dpyd-fluorouracil-poor"]
    # DPWG advises differently for scores 0 and 0.5: a reported phenotype decides neither
    assert {i.rule_id for i in report.indeterminate} == {
        "dpwg-dpyd-fluorouracil-activity-0",
        "dpwg-dpyd-fluorouracil-activity-0-5",
    }
    im = evaluate(
        {"germline": {"DPYD": {"phenotype": "Intermediate Metabolizer"}}},
        default_ruleset(),
        drugs=["fluorouracil"],
        now=NOW,
    )
    assert im.findings == ()  # 1 or 1.5: which 50% rule applies needs the score
    assert {i.rule_id for i in im.indeterminate} == {
        "cpic-dpyd-fluorouracil-as-1",
        "cpic-dpyd-fluorouracil-as-1-5",
        "dpwg-dpyd-fluorouracil-activity-1",
        "dpwg-dpyd-fluorouracil-activity-1-5",
    }


def test_hla_prefixes() -> None:
    """HLA-B*57:01, B*57:01 and *57:01 are the same allele of HLA-B."""
    from pgx import default_ruleset

    for typed in (["HLA-B*57:01", "HLA-B*08:01"], ["B*57:01", "B*08:01"], ["*57:01", "*08:01"]):
        report = evaluate(
            {"germline": {"HLA-B": {"alleles": typed}}},
            default_ruleset(),
            drugs=["abacavir"],
            now=NOW,
        )
        assert [f.rule_id for f in report.findings] == ["cpic-hla-b-abacavir-positive"], typed


def test_order_select_matches_the_rules_drug_not_its_alternatives() -> None:
    """Ordering prasugrel does not bring up clopidogrel advice that suggests prasugrel."""
    from pgx import default_ruleset

    report = evaluate(
        {"germline": {"CYP2C19": {"diplotype": "*2/*2"}}},
        default_ruleset(),
        drugs=["prasugrel"],
        now=NOW,
    )
    assert report.findings == ()


def test_typed_alleles_and_carrier_report_conflict() -> None:
    """HLA-B typed *08:01/*44:02 but reported '*57:01 positive': undecided, never negative."""
    from pgx import default_ruleset

    profile = {
        "germline": {"HLA-B": {"alleles": ["*08:01", "*44:02"], "carriers": {"*57:01": True}}}
    }
    report = evaluate(profile, default_ruleset(), drugs=["abacavir"], now=NOW)
    assert report.findings == ()
    assert {i.rule_id for i in report.indeterminate} == {
        "cpic-hla-b-abacavir-positive",
        "cpic-hla-b-abacavir-negative",
    }
    assert any("disagree" in w for w in report.warnings)


def test_now_forms(rules: Any) -> None:
    """now may be a datetime or ISO string; naive times are UTC; anything else is an error."""
    from datetime import UTC, datetime

    assert evaluate({}, rules, now=datetime(2026, 1, 1)).generated_at == "2026-01-01T00:00:00+00:00"
    assert (
        evaluate({}, rules, now="2026-01-01T00:00:00").generated_at == "2026-01-01T00:00:00+00:00"
    )
    aware = datetime(2026, 1, 1, tzinfo=UTC)
    assert evaluate({}, rules, now=aware).generated_at == "2026-01-01T00:00:00+00:00"
    with pytest.raises(InputError, match="datetime or an ISO-8601"):
        evaluate({}, rules, now=5)  # type: ignore[arg-type]


def test_coarser_cancer_type_is_unknown() -> None:
    """A tumor coded only as BREAST may be an invasive carcinoma (BRCA): undecided, not false."""
    from pgx import default_ruleset, load_profile

    rules = default_ruleset()
    rule = "breast-erbb2-positive-trastuzumab"
    coarse = load_profile(
        {"tumor": {"cancer_type": {"code": "BREAST"}, "biomarkers": {"HER2": "positive"}}}
    )
    assert rules.compiled.outcome(coarse, rule).outcome == "indeterminate"
    other = load_profile(
        {"tumor": {"cancer_type": {"code": "LUAD"}, "biomarkers": {"HER2": "positive"}}}
    )
    assert rules.compiled.outcome(other, rule).outcome == "does_not_fire"


def _ids(report: Report) -> set[str]:
    return {f.rule_id for f in report.findings}


def test_gene_symbol_case_does_not_hide_a_variant() -> None:
    """A 'kras' G12D is KRAS G12D: the anti-EGFR avoid rule fires, with a warning."""
    from pgx import default_ruleset

    profile = {
        "tumor": {
            "cancer_type": {"code": "COADREAD"},
            "variants": [{"gene": "kras", "protein": "p.G12D"}],
            "expression": {"IGF1R": {"ihc": "3+"}},
        },
        "clinical": {"therapies": [{"drug": "cetuximab", "outcome": "progression"}]},
    }
    report = evaluate(profile, default_ruleset(), drugs=["cetuximab", "linsitinib"], now=NOW)
    assert "crc-ras-mutant-anti-egfr-avoid" in _ids(report)
    assert "igf1r-high-anti-egfr-progression-igf1r-cotargeting" not in _ids(report)
    assert "gene symbol 'kras' read as KRAS" in report.warnings


def test_unlisted_drug_spelling_is_unknown_for_drug_rules() -> None:
    """'Tagrisso' may be osimertinib: a rule excluding osimertinib progression is undecided."""
    from pgx import default_ruleset

    profile = {
        "tumor": {
            "cancer_type": {"code": "LUAD"},
            "variants": [
                {"gene": "EGFR", "protein": "p.L858R"},
                {"gene": "EGFR", "protein": "p.T790M"},
            ],
        },
        "clinical": {
            "therapies": [
                {"drug": "gefitinib", "outcome": "progression"},
                {"drug": "Tagrisso", "outcome": "progression"},
            ]
        },
    }
    report = evaluate(profile, default_ruleset(), drugs=["osimertinib"], now=NOW)
    assert "nsclc-egfr-t790m-after-tki-osimertinib" not in _ids(report)
    assert any(i.rule_id == "nsclc-egfr-t790m-after-tki-osimertinib" for i in report.indeterminate)


def test_copy_number_respects_the_panel_and_biomarker_vocabulary() -> None:
    """ERBB2 off the panel is not 'not amplified'; 'pos' is not a biomarker value."""
    from pgx import default_ruleset

    rules = default_ruleset()
    base = {
        "cancer_type": {"code": "IDC"},
        "variants": [{"gene": "PIK3CA", "protein": "p.H1047R"}],
        "sequenced_genes": ["PIK3CA"],
        "copy_number": [],
        "expression": {"ERBB2": {"ihc": "1+"}},
        "biomarkers": {"ER": "positive", "PR": "negative"},
    }
    rule = "breast-pik3ca-hr-positive-her2-negative-alpelisib-fulvestrant"
    out = rules.compiled.outcome(_p({"tumor": base}), rule)
    assert out.outcome == "indeterminate"
    odd = {
        **base,
        "sequenced_genes": ["PIK3CA", "ERBB2"],
        "biomarkers": {"ER": "pos", "PR": "negative"},
    }
    assert rules.compiled.outcome(_p({"tumor": odd}), rule).outcome == "indeterminate"


def test_diagnosis_in_another_coding_system_is_unknown() -> None:
    """A SNOMED-coded diabetes is not 'no diabetes' for an ICD-10 rule."""
    from pgx import default_ruleset

    profile = {
        "germline": {"INSR": {"findings": []}},
        "clinical": {
            "diagnoses": [{"code": "44054006", "system": "snomed"}],
            "medications": [],
            "labs": {
                "HbA1c": {"value": 5.4, "unit": "%"},
                "fasting_glucose": {"value": 95, "unit": "mg/dL"},
            },
        },
    }
    out = default_ruleset().compiled.outcome(_p(profile), "igf1r-inhibitor-hyperglycemia-risk")
    assert out.outcome == "indeterminate"


def test_avoid_and_reduce_dose_conflict() -> None:
    """'avoid' and 'reduce_dose' on the same drug contradict each other."""
    from pgx.engine._evaluate import _conflicts
    from pgx.model.report import Finding
    from pgx.model.ruleset import Evidence

    def f(rule_id: str, action: str) -> Finding:
        return Finding(rule_id, "1", action, "info", ("x",), "s", Evidence("1"), ("PMID:1",), ())

    (conflict,) = _conflicts([f("a", "avoid"), f("b", "reduce_dose")])
    assert conflict.actions == ("avoid", "reduce_dose")


def test_requested_drug_names_are_normalised(rules: Any) -> None:
    """' Clopidogrel ' asks about clopidogrel."""
    report = evaluate({}, rules, drugs=[" Clopidogrel "], now=NOW)
    assert report.drugs == ("clopidogrel",)


def test_sources_that_disagree_are_not_a_conflict() -> None:
    """CPIC and DPWG may disagree about one drug: both are shown, neither is a conflict."""
    from pgx.engine._evaluate import _conflicts
    from pgx.model.report import Evidence, Finding

    def f(rule_id: str, action: str, source: str | None) -> Finding:
        return Finding(
            rule_id,
            "1",
            action,
            "info",
            ("haloperidol",),
            "s",
            Evidence("2"),
            ("PMID:1",),
            (),
            source=source,
        )

    assert _conflicts([f("c", "standard_dosing", "CPIC"), f("d", "avoid", "DPWG")]) == ()
    (same,) = _conflicts([f("c", "standard_dosing", "DPWG"), f("d", "avoid", "DPWG")])
    assert same.rule_ids == ("c", "d")
    (unsourced,) = _conflicts([f("a", "avoid", None), f("b", "standard_dosing", None)])
    assert unsourced.rule_ids == ("a", "b")


def test_findings_carry_their_rule_source() -> None:
    """A bundled CPIC rule's finding names CPIC; a DPWG rule's names DPWG."""
    report = evaluate(
        {"germline": {"CYP2D6": {"activity_score": 0.0}}},
        drugs=["haloperidol", "codeine"],
        now=NOW,
    )
    sources = {f.rule_id: f.source for f in report.findings}
    assert sources["dpwg-cyp2d6-haloperidol-poor"] == "DPWG"
    assert sources["cpic-cyp2d6-codeine-poor"] == "CPIC"
    assert "(DPWG)" in report.to_markdown()
