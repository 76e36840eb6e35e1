"""Rules generated from CPIC's activity-score and two-gene tables: what they say for a patient.

``scripts/cpic_drug_rules.py`` (with ``scripts/cpic_table_rules.py``) writes the tricyclic
antidepressant rules from CPIC's CYP2D6 x CYP2C19 table. These tests check the decisions a
prescriber sees, whatever the rule ids: the combined-genotype advice replaces the single-gene
advice, and an untested gene never yields a usual dose.
"""

from __future__ import annotations

from typing import Any

import pytest

from pgx import evaluate
from tests.helpers import NOW


def _graded(germline: dict[str, Any], drug: str) -> set[tuple[str, str | None]]:
    """CPIC's findings for the drug (DPWG's, shown beside them, are tested elsewhere)."""
    report = evaluate({"germline": germline}, drugs=[drug], now=NOW)
    return {
        (f.action, f.evidence.strength)
        for f in report.findings
        if drug in f.drugs and f.source == "CPIC"
    }


PM = {"phenotype": "Poor Metabolizer"}
NM = {"phenotype": "Normal Metabolizer"}
UM = {"phenotype": "Ultrarapid Metabolizer"}


@pytest.mark.parametrize(
    ("germline", "expected"),
    [
        # CPIC's combined table for amitriptyline (export v1.30.0)
        ({"CYP2D6": NM, "CYP2C19": NM}, {("standard_dosing", "strong")}),
        ({"CYP2D6": PM, "CYP2C19": NM}, {("use_alternative", "strong")}),
        ({"CYP2D6": NM, "CYP2C19": PM}, {("use_alternative", "moderate")}),
        ({"CYP2D6": {"activity_score": 0.5}, "CYP2C19": NM}, {("reduce_dose", "moderate")}),
        # both genes altered: one optional recommendation, not each gene's own grade
        ({"CYP2D6": PM, "CYP2C19": PM}, {("use_alternative", "optional")}),
        ({"CYP2D6": UM, "CYP2C19": UM}, {("use_alternative", "optional")}),
        (
            {
                "CYP2D6": {"activity_score": 1.0},
                "CYP2C19": {"phenotype": "Intermediate Metabolizer"},
            },
            {("reduce_dose", "optional")},
        ),
        # one gene untested: the known gene's actionable advice still applies
        ({"CYP2D6": PM}, {("use_alternative", "strong")}),
        ({"CYP2C19": PM}, {("use_alternative", "moderate")}),
    ],
)
def test_amitriptyline_follows_cpic_combined_table(
    germline: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    assert _graded(germline, "amitriptyline") == expected


def test_combined_advice_hides_the_single_gene_advice() -> None:
    germline = {"CYP2D6": PM, "CYP2C19": PM}
    report = evaluate({"germline": germline}, drugs=["amitriptyline"], now=NOW)
    cpic = [f.rule_id for f in report.findings if f.source == "CPIC"]
    assert cpic == ["cpic-amitriptyline-unpredictable"]
    hidden = {s.rule_id for s in report.superseded}
    assert {
        "cpic-amitriptyline-cyp2d6-poor-cyp2d6-only",
        "cpic-amitriptyline-cyp2c19-poor-cyp2c19-only",
    } <= hidden


@pytest.mark.parametrize("drug", ["amitriptyline", "clomipramine", "doxepin", "imipramine"])
@pytest.mark.parametrize(
    "germline",
    [{"CYP2D6": NM}, {"CYP2C19": NM}, {"CYP2D6": NM, "CYP2C19": {"phenotype": "Indeterminate"}}],
    ids=["CYP2C19 untested", "CYP2D6 untested", "CYP2C19 indeterminate"],
)
def test_a_usual_dose_needs_both_genes(germline: dict[str, Any], drug: str) -> None:
    report = evaluate({"germline": germline}, drugs=[drug], now=NOW)
    assert [f for f in report.findings if drug in f.drugs] == []
    assert any(drug in i.drugs for i in report.indeterminate)


def test_other_tertiary_tricyclics_are_optional_throughout() -> None:
    for drug in ("clomipramine", "doxepin", "imipramine", "trimipramine"):
        assert _graded({"CYP2D6": PM, "CYP2C19": NM}, drug) == {("use_alternative", "optional")}
        assert _graded({"CYP2D6": NM, "CYP2C19": NM}, drug) == {("standard_dosing", "strong")}


def test_desipramine_reads_cyp2d6_only() -> None:
    assert _graded({"CYP2D6": PM}, "desipramine") == {("use_alternative", "optional")}
    assert _graded({"CYP2D6": NM}, "desipramine") == {("standard_dosing", "strong")}
    assert _graded({"CYP2C19": PM}, "desipramine") == set()


@pytest.mark.parametrize(
    ("drug", "germline", "expected"),
    [
        # activity-score tables of single-gene guidelines (CPIC export v1.30.0)
        ("fluvoxamine", {"CYP2D6": {"activity_score": 0}}, {("reduce_dose", "optional")}),
        ("fluvoxamine", {"CYP2D6": {"activity_score": 0.5}}, {("standard_dosing", "moderate")}),
        ("fluvoxamine", {"CYP2D6": {"activity_score": 3}}, {("informative", None)}),
        ("venlafaxine", {"CYP2D6": {"activity_score": 0}}, {("use_alternative", "optional")}),
        ("venlafaxine", {"CYP2D6": {"activity_score": 1.0}}, {("informative", None)}),
        ("vortioxetine", {"CYP2D6": {"activity_score": 0}}, {("reduce_dose", "moderate")}),
        ("vortioxetine", {"CYP2D6": {"activity_score": 2.5}}, {("use_alternative", "optional")}),
        ("hydrocodone", {"CYP2D6": {"activity_score": 0.25}}, {("monitor", "optional")}),
        ("hydrocodone", {"CYP2D6": {"activity_score": 2.0}}, {("standard_dosing", "strong")}),
        ("tropisetron", {"CYP2D6": {"activity_score": 3}}, {("use_alternative", "moderate")}),
        ("tropisetron", {"CYP2D6": {"activity_score": 0}}, {("standard_dosing", None)}),
        # CYP2C9 activity score 1 and 1.5 are both intermediate but dosed differently
        ("lornoxicam", {"CYP2C9": {"activity_score": 1.0}}, {("reduce_dose", "moderate")}),
        ("lornoxicam", {"CYP2C9": {"activity_score": 1.5}}, {("standard_dosing", "moderate")}),
        ("lornoxicam", {"CYP2C9": {"diplotype": "*3/*3"}}, {("reduce_dose", "moderate")}),
        ("tenoxicam", {"CYP2C9": {"activity_score": 1.0}}, {("use_alternative", "optional")}),
        ("tenoxicam", {"CYP2C9": {"diplotype": "*1/*1"}}, {("standard_dosing", "strong")}),
        ("dexlansoprazole", {"CYP2C19": {"diplotype": "*17/*17"}}, {("increase_dose", "optional")}),
        ("dexlansoprazole", {"CYP2C19": {"diplotype": "*2/*2"}}, {("reduce_dose", "optional")}),
    ],
)
def test_single_gene_tables(
    drug: str, germline: dict[str, Any], expected: set[tuple[str, str | None]]
) -> None:
    assert _graded(germline, drug) == expected


@pytest.mark.parametrize(
    "drug",
    ["fluvoxamine", "venlafaxine", "vortioxetine", "hydrocodone", "tropisetron"],
)
def test_an_untested_or_unknown_gene_is_undecided(drug: str) -> None:
    for germline in (
        {},
        {"CYP2D6": {"diplotype": "*1/*999"}},
        {"CYP2D6": {"phenotype": "Indeterminate"}},
    ):
        report = evaluate({"germline": germline}, drugs=[drug], now=NOW)
        assert [f for f in report.findings if drug in f.drugs] == []
        assert any(drug in i.drugs for i in report.indeterminate)


@pytest.mark.parametrize(
    ("germline", "expected"),
    [
        # CPIC 2022 statin guideline, fluvastatin: one gene alone still limits the dose
        ({"CYP2C9": {"diplotype": "*3/*3"}}, {("reduce_dose", "moderate")}),  # <=20 mg/day
        ({"CYP2C9": {"diplotype": "*1/*3"}}, {("reduce_dose", "moderate")}),  # <=40 mg/day
        ({"SLCO1B1": {"phenotype": "Poor Function"}}, {("reduce_dose", "moderate")}),
        ({"SLCO1B1": {"phenotype": "Decreased Function"}}, {("caution", "moderate")}),
        # both known: CPIC's combined table
        (
            {"SLCO1B1": {"phenotype": "Decreased Function"}, "CYP2C9": {"diplotype": "*1/*3"}},
            {("reduce_dose", "optional")},
        ),
        (
            {"SLCO1B1": {"phenotype": "Poor Function"}, "CYP2C9": {"diplotype": "*1/*3"}},
            {("use_alternative", "optional")},
        ),
        (
            {"SLCO1B1": {"phenotype": "Normal Function"}, "CYP2C9": {"diplotype": "*1/*1"}},
            {("standard_dosing", "strong")},
        ),
        # a usual dose needs both genes
        ({"CYP2C9": {"diplotype": "*1/*1"}}, set()),
        ({"SLCO1B1": {"phenotype": "Normal Function"}}, set()),
    ],
)
def test_fluvastatin_single_gene_limits_and_combinations(
    germline: dict[str, Any], expected: set[tuple[str, str | None]]
) -> None:
    assert _graded(germline, "fluvastatin") == expected


def test_fluvastatin_dose_limit_text_follows_the_gene() -> None:
    poor = evaluate({"germline": {"CYP2C9": {"diplotype": "*3/*3"}}}, drugs=["fluvastatin"])
    intermediate = evaluate({"germline": {"CYP2C9": {"diplotype": "*1/*3"}}}, drugs=["fluvastatin"])
    assert "20 mg/day" in poor.findings[0].summary
    assert "40 mg/day" in intermediate.findings[0].summary
