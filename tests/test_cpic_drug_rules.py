"""The G6PD, MT-RNR1, RYR1/CACNA1S and CFTR rules: generated from CPIC's export, and what they say.

``scripts/cpic_drug_rules.py`` writes them from CPIC's recommendation export (in the shared data
snapshot beside the clone) and the curated wording; a committed file that differs from what the
script gives was edited by hand or the wording moved on without regenerating.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pgx import default_ruleset, evaluate
from tests.helpers import NOW, ROOT

EXPORT = (
    Path(os.environ.get("PGX_SHARED_DATA", ROOT.parent / "shared" / "data"))
    / "guidelines-2023-08"
    / "cpic"
)
needs_export = pytest.mark.skipif(not EXPORT.is_dir(), reason="CPIC export not present")
G6PD_PHENOTYPES = ("Normal", "Deficient", "Deficient with CNSHA", "Variable")


def _script() -> ModuleType:
    path = ROOT / "scripts" / "cpic_drug_rules.py"
    spec = importlib.util.spec_from_file_location("cpic_drug_rules", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("cpic_drug_rules", module)
    spec.loader.exec_module(module)
    return module


def _g6pd_drugs() -> set[str]:
    return {
        drug
        for rule in default_ruleset().rules
        if rule.id.startswith("cpic-g6pd-")
        for drug in rule.drugs
    }


@needs_export
def test_rule_files_regenerate_identically() -> None:
    files = _script().generate(EXPORT)
    assert len(files) == 23
    differ = [
        rel
        for rel, text in files.items()
        if not (ROOT / "rules" / rel).is_file()
        or (ROOT / "rules" / rel).read_text(encoding="utf-8") != text
    ]
    assert differ == [], (
        "run: python scripts/cpic_drug_rules.py ../shared/data/guidelines-2023-08/cpic"
    )


@needs_export
def test_check_mode_reports_a_hand_edit(tmp_path: Path) -> None:
    script = _script()
    assert script.main([str(EXPORT), "--out", str(tmp_path)]) == 0
    assert script.main([str(EXPORT), "--out", str(tmp_path), "--check"]) == 0
    edited = tmp_path / "germline" / "g6pd" / "high-risk.yaml"
    edited.write_text(edited.read_text().replace('strength: "strong"', 'strength: "optional"', 1))
    assert script.main([str(EXPORT), "--out", str(tmp_path), "--check"]) == 1


def test_every_g6pd_drug_has_one_graded_finding_per_called_phenotype() -> None:
    drugs = _g6pd_drugs()
    assert {"rasburicase", "pegloticase", "primaquine", "tafenoquine", "dapsone"} <= drugs
    assert len(drugs) == 33
    for phenotype in G6PD_PHENOTYPES:
        report = evaluate({"germline": {"G6PD": {"phenotype": phenotype}}}, now=NOW)
        for drug in drugs:
            found = [f for f in report.findings if drug in f.drugs]
            assert len(found) == 1, (phenotype, drug, [f.rule_id for f in found])
            assert found[0].evidence.strength is not None


@pytest.mark.parametrize(
    "germline",
    [{}, {"G6PD": {"phenotype": "Indeterminate"}}, {"G6PD": {"diplotype": "Yunan"}}],
    ids=["untested", "reported indeterminate", "uncertain-function allele"],
)
def test_an_unknown_g6pd_status_is_undecided_never_normal(germline: dict[str, object]) -> None:
    report = evaluate({"germline": germline}, now=NOW)
    drugs = _g6pd_drugs()
    assert not [f for f in report.findings if set(f.drugs) & drugs]
    undecided = {d for i in report.indeterminate for d in i.drugs}
    assert drugs <= undecided


@pytest.mark.parametrize(
    ("diplotype", "rasburicase"),
    [
        ("A- 202A_376G", "avoid"),  # hemizygous: one X chromosome
        ("A- 202A_376G/A- 202A_376G", "avoid"),  # homozygous
        ("B (reference)/A- 202A_376G", "caution"),  # heterozygous: variable, measure activity
        ("B (reference)", "standard_dosing"),
        ("B (reference)/B (reference)", "standard_dosing"),
    ],
)
def test_g6pd_calls_by_copy_number(diplotype: str, rasburicase: str) -> None:
    report = evaluate({"germline": {"G6PD": {"diplotype": diplotype}}}, drugs=["rasburicase"])
    assert [f.action for f in report.findings] == [rasburicase]


def test_example_profile_g6pd_deficient_man_with_mt_rnr1_variant() -> None:
    report = evaluate(ROOT / "examples" / "profiles" / "germline-g6pd-aminoglycoside.yaml", now=NOW)
    assert report.phenotypes["G6PD"].phenotype == "Deficient"
    assert report.phenotypes["MT-RNR1"].phenotype == (
        "increased risk of aminoglycoside-induced hearing loss"
    )
    current = {
        drug: (f.action, f.evidence.strength, f.rule_id)
        for f in report.findings
        for drug in f.drugs
        if drug in {"rasburicase", "gentamicin"}
    }
    assert current == {
        "rasburicase": ("avoid", "strong", "cpic-g6pd-high-risk-deficient-cnsha"),
        "gentamicin": ("avoid", "strong", "cpic-mt-rnr1-aminoglycosides-increased-risk"),
    }


def test_one_susceptible_gene_is_enough_for_malignant_hyperthermia() -> None:
    for germline in (
        {"RYR1": {"diplotype": "Reference/c.103T>C"}},
        {
            "CACNA1S": {"diplotype": "c.520C>T/Reference"},
            "RYR1": {"diplotype": "c.103T>C/c.103T>C"},
        },
    ):
        report = evaluate({"germline": germline}, drugs=["sevoflurane", "succinylcholine"])
        assert {(f.action, f.evidence.strength) for f in report.findings} == {("avoid", "strong")}
        assert {d for f in report.findings for d in f.drugs} >= {"sevoflurane", "succinylcholine"}
