"""Rules generated from CPIC's activity-score and two-gene tables: what they say for a patient.

``scripts/cpic_drug_rules.py`` (with ``scripts/cpic_table_rules.py``) writes the tricyclic
antidepressant rules from CPIC's CYP2D6 x CYP2C19 table. These tests check the decisions a
prescriber sees, whatever the rule ids: the combined-genotype advice replaces the single-gene
advice, and an untested gene never yields a usual dose.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

import pytest

from pgx import Finding, Report, evaluate
from tests.helpers import NOW, ROOT


def _cpic(report: Report, drug: str) -> list[Finding]:
    """The drug's CPIC findings (DPWG's are compared in tests/test_dpwg_conformance.py)."""
    return [f for f in report.findings if drug in f.drugs and f.source == "CPIC"]


def _undecided(report: Report, drug: str) -> bool:
    return any(drug in i.drugs and i.rule_id.startswith("cpic-") for i in report.indeterminate)


def _graded(germline: dict[str, Any], drug: str) -> set[tuple[str, str | None]]:
    """CPIC's findings for the drug (DPWG's, shown beside them, are tested elsewhere)."""
    report = evaluate({"germline": germline}, drugs=[drug], now=NOW)
    return {(f.action, f.evidence.strength) for f in _cpic(report, drug)}


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
    assert [f.rule_id for f in _cpic(report, "amitriptyline")] == [
        "cpic-amitriptyline-unpredictable"
    ]
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
    assert _cpic(report, drug) == []
    assert _undecided(report, drug)


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
        assert _cpic(report, drug) == []
        assert _undecided(report, drug)


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
    assert "20 mg/day" in _cpic(poor, "fluvastatin")[0].summary
    assert "40 mg/day" in _cpic(intermediate, "fluvastatin")[0].summary


TERTIARY = ("amitriptyline", "clomipramine", "doxepin", "imipramine", "trimipramine")
CYP2D6_SCORES = (0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0)
CYP2C19 = (
    "Ultrarapid Metabolizer",
    "Rapid Metabolizer",
    "Normal Metabolizer",
    "Likely Intermediate Metabolizer",
    "Intermediate Metabolizer",
    "Likely Poor Metabolizer",
    "Poor Metabolizer",
)


@pytest.mark.parametrize("drug", TERTIARY)
def test_every_known_tricyclic_genotype_gets_exactly_one_graded_finding(drug: str) -> None:
    for score in CYP2D6_SCORES:
        for phenotype in CYP2C19:
            germline = {"CYP2D6": {"activity_score": score}, "CYP2C19": {"phenotype": phenotype}}
            report = evaluate({"germline": germline}, drugs=[drug], now=NOW)
            found = _cpic(report, drug)
            assert len(found) == 1, (score, phenotype, [f.rule_id for f in found])
            assert found[0].evidence.strength is not None
            assert not _undecided(report, drug)


def test_every_known_fluvastatin_genotype_gets_exactly_one_graded_finding() -> None:
    functions = (
        "Increased Function",
        "Normal Function",
        "Possible Decreased Function",
        "Decreased Function",
        "Poor Function",
    )
    for score in (0, 0.5, 1.0, 1.5, 2.0):
        for function in functions:
            germline = {"CYP2C9": {"activity_score": score}, "SLCO1B1": {"phenotype": function}}
            report = evaluate({"germline": germline}, drugs=["fluvastatin"], now=NOW)
            found = _cpic(report, "fluvastatin")
            assert len(found) == 1, (score, function, [f.rule_id for f in found])
            assert found[0].evidence.strength is not None


def _tables() -> ModuleType:
    path = ROOT / "scripts" / "cpic_table_rules.py"
    spec = importlib.util.spec_from_file_location("cpic_table_rules", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("cpic_table_rules", module)
    spec.loader.exec_module(module)
    return module


def test_score_sets_become_phenotypes_or_ranges() -> None:
    tables = _tables()
    bands = tables.bands(ROOT / "rules", "CYP2D6")
    listed = {"0.0", "0.25", "0.5", "0.75", "1.0", "1.25", "2.25", "2.5", "≥3.0"}
    cond = tables.gene_condition
    assert cond("CYP2D6", {"0.25", "0.5", "0.75", "1.0"}, listed, bands) == {
        "phenotype": {"gene": "CYP2D6", "in": ["Intermediate Metabolizer"]}
    }
    assert cond("CYP2D6", {"0.75", "1.0"}, listed, bands) == {
        "activity_score": {"gene": "CYP2D6", "at_least": 0.75, "at_most": 1}
    }
    assert cond("CYP2D6", {"0.0", "0.25"}, listed, bands) == {
        "any": [
            {"phenotype": {"gene": "CYP2D6", "in": ["Poor Metabolizer"]}},
            {"activity_score": {"gene": "CYP2D6", "at_least": 0.25, "at_most": 0.25}},
        ]
    }
    with pytest.raises(tables.TableError):  # not one range of the band
        cond("CYP2D6", {"0.25", "0.75"}, listed, bands)
    with pytest.raises(tables.TableError):  # part of the open-ended band
        cond("CYP2D6", {"≥3.0"}, listed, bands)


def test_a_known_combination_without_advice_stops_the_generator() -> None:
    tables = _tables()
    rows = [
        (
            {"CYP2D6": "0.0", "CYP2C19": "Normal Metabolizer"},
            "No Recommendation",
            "No recommendation",
        )
    ]
    with pytest.raises(tables.TableError):
        tables.cells_of(["CYP2D6", "CYP2C19"], rows)
    untested = [
        ({"CYP2D6": "0.0", "CYP2C19": "No Result"}, "No Recommendation", "No recommendation")
    ]
    assert tables.cells_of(["CYP2D6", "CYP2C19"], untested) == []
