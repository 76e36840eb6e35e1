"""The oncology coverage table of ``pgx lint -v`` and what it lists as out of scope."""

from __future__ import annotations

import pytest

from pgx import default_ruleset
from pgx.cli import main
from pgx.engine import oncology_coverage
from pgx.model._words import leaves_of
from pgx.model.condition import SomaticLeaf


def test_rows_name_cancer_biomarker_drugs_and_level() -> None:
    onc = oncology_coverage(default_ruleset())
    by_rule = {r.rule_id: r for r in onc.rows}
    alk = by_rule["nsclc-alk-fusion-alk-inhibitor"]
    assert alk.cancer_type == "NSCLC"
    assert alk.biomarker == "ALK fusion"
    assert alk.level == "1"
    assert "alectinib" in alk.drugs.split(" / ")
    g12c = by_rule["crc-kras-g12c-sotorasib-panitumumab"]
    assert g12c.drugs == "sotorasib + panitumumab"
    assert g12c.biomarker == "KRAS somatic variant p.G12C"
    # exclusions are shown as such, not as the biomarker
    ntrk = by_rule["agnostic-ntrk-fusion-trk-inhibitor"]
    assert ntrk.cancer_type == "any except HEMATOPOIETIC"
    assert ntrk.biomarker == "(NTRK1 fusion or NTRK2 fusion or NTRK3 fusion)"
    igf1r = by_rule["igf1r-high-anti-egfr-progression-igf1r-cotargeting"]
    assert igf1r.level == "4"
    assert "EGFR" not in igf1r.biomarker  # EGFR only appears in an exclusion
    # colorectal cancer and NSCLC qualify other conditions there; they do not limit the rule
    assert igf1r.cancer_type == "any"


def test_every_active_somatic_rule_has_a_row() -> None:
    ruleset = default_ruleset()
    rows = {r.rule_id for r in oncology_coverage(ruleset).rows}
    somatic = {
        rule.id
        for rule in ruleset.rules
        if rule.status == "active"
        and any(isinstance(leaf, SomaticLeaf) for leaf in leaves_of(rule.when))
    }
    assert somatic - rows == set()


def test_rows_are_sorted_by_cancer_type_then_level() -> None:
    rows = oncology_coverage(default_ruleset()).rows
    keys = [r.cancer_type for r in rows]
    assert keys == sorted(keys)


def test_lint_verbose_prints_table_and_out_of_scope(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "-v"]) == 0
    out = capsys.readouterr().out
    assert "oncology coverage (cancer type | biomarker | drugs | level | rule):" in out
    assert "  NSCLC | ALK fusion | " in out
    assert "deliberately out of scope" in out
    assert "PD-L1 expression (TPS, CPS)" in out
    assert "zolbetuximab" in out
