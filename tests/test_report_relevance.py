"""What a report leads with: current drugs, then severity and evidence; undecided collapsed."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgx import evaluate, explain, load_ruleset
from pgx.cds_hooks import cards
from tests.helpers import NOW, write

_RULES = """\
pgx_rules: 1
rules:
  - id: a-investigational
    version: 1.0.0
    drugs: [linsitinib]
    when: {expression: {gene: IGF1R, at_least: high}}
    then:
      action: consider
      summary: investigational co-targeting
      evidence: {level: "4"}
      citations: ["PMID:18568074"]
  - id: b-approved
    version: 1.0.0
    drugs: [osimertinib]
    when: {somatic: {gene: EGFR, protein: [p.T790M]}}
    then:
      action: consider
      summary: approved targeted therapy
      evidence: {level: "1"}
      citations: ["PMID:27959700"]
  - id: c-avoid
    version: 1.0.0
    drugs: [cetuximab]
    when: {somatic: {gene: KRAS, protein: [p.G12D]}}
    then:
      action: avoid
      summary: anti-EGFR does not work
      evidence: {level: "R1"}
      citations: ["PMID:18316791"]
  - id: d-warfarin
    version: 1.0.0
    drugs: [warfarin]
    when: {phenotype: {gene: CYP2C9, in: [Poor Metabolizer]}}
    then:
      action: reduce_dose
      summary: CYP2C9 poor metabolizer on warfarin
      evidence: {level: "1", strength: strong}
      citations: ["PMID:28198005"]
  - id: e-clopidogrel
    version: 1.0.0
    drugs: [clopidogrel]
    when: {phenotype: {gene: CYP2C19, in: [Normal Metabolizer]}}
    then:
      action: standard_dosing
      summary: CYP2C19 normal metabolizer on clopidogrel
      evidence: {level: "1", strength: strong}
      citations: ["PMID:35034351"]
  - id: f-cyp2d6
    version: 1.0.0
    drugs: [codeine]
    when: {activity_score: {gene: CYP2D6, at_least: 1, at_most: 1}}
    then:
      action: informative
      summary: CYP2D6 activity score one
      evidence: {level: "2"}
      citations: ["PMID:33387367"]
  - id: g-tumor-a
    version: 1.0.0
    drugs: [panitumumab]
    when: {all: [{cancer_type: {in: [COADREAD]}}, {somatic: {gene: KRAS, protein: [p.G12C]}}]}
    then:
      action: consider
      summary: KRAS G12C
      evidence: {level: "1"}
      citations: ["PMID:37870968"]
  - id: h-tumor-b
    version: 1.0.0
    drugs: [afatinib]
    when: {all: [{cancer_type: {in: [NSCLC]}}, {somatic: {gene: EGFR, protein: [p.T790M]}}]}
    then:
      action: consider
      summary: EGFR something
      evidence: {level: "1"}
      citations: ["PMID:37870968"]
  - id: i-insr
    version: 1.0.0
    drugs: [metformin]
    when: {germline_variant: {gene: INSR, classification: [pathogenic]}}
    then:
      action: informative
      summary: INSR
      evidence: {level: "4"}
      citations: ["PMID:18568074"]
"""

_TUMOR = {
    "tumor": {
        "cancer_type": {"code": "NSCLC"},
        "variants": [{"gene": "EGFR", "protein": "p.T790M"}, {"gene": "KRAS", "protein": "p.G12D"}],
        "expression": {"IGF1R": {"level": "high"}},
    }
}


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> object:
    return load_ruleset(write(tmp_path_factory.mktemp("rules"), "r.yaml", _RULES))


def test_level_4_never_above_level_1(rules: object) -> None:
    """Seen: IGF1R co-targeting (level 4) listed above osimertinib for T790M (level 1)."""
    report = evaluate(_TUMOR, rules, now=NOW)  # type: ignore[arg-type]
    assert [f.rule_id for f in report.findings] == [
        "c-avoid",
        "b-approved",
        "h-tumor-b",
        "a-investigational",
    ]


_LEVELS = ("1", "R1", "2", "3A", "3B", "R2", "4")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(("consider", "avoid", "informative")),
                          st.sampled_from(_LEVELS)), min_size=2, max_size=6))  # fmt: skip
def test_order_is_severity_then_evidence(pairs: list[tuple[str, str]]) -> None:
    from pgx.model.report import Finding, order_findings
    from pgx.ruleset import Evidence

    indicator: dict[str, Any] = {"avoid": "critical", "consider": "info", "informative": "info"}
    findings = [
        Finding(
            f"r{i}",
            "1",
            action,
            indicator[action],
            ("x",),
            "s",
            Evidence(cast(Any, level)),
            ("PMID:1",),
            (),
        )
        for i, (action, level) in enumerate(pairs)
    ]
    ordered = order_findings(findings)
    for before, after in itertools.pairwise(ordered):
        strong = {"1", "2", "R1"}
        # never investigational evidence above approved/guideline evidence
        assert not (before.evidence.level in {"4", "R2"} and after.evidence.level in strong)
        if before.evidence.level in {"4", "R2"} or after.evidence.level in {"4", "R2"}:
            continue
        rank = {"avoid": 0, "consider": 1, "informative": 2}
        assert rank[before.action] <= rank[after.action]
        if before.action == after.action:
            assert _LEVELS.index(before.evidence.level) <= _LEVELS.index(after.evidence.level)


def test_current_medications_lead_and_are_marked(rules: object) -> None:
    profile = {
        "germline": {"CYP2C9": {"phenotype": "Poor Metabolizer"},
                     "CYP2C19": {"phenotype": "Normal Metabolizer"}},
        "clinical": {"medications": ["clopidogrel"]},
    }  # fmt: skip
    report = evaluate(profile, rules, now=NOW)  # type: ignore[arg-type]
    # reduce_dose (warning) is more severe, but clopidogrel is what the patient takes
    assert [f.rule_id for f in report.findings] == ["e-clopidogrel", "d-warfarin"]
    assert [f.current for f in report.findings] == [True, False]
    markdown = report.to_markdown()
    assert markdown.index("## For current medications") < markdown.index("## Pre-emptive")
    assert "(current)" in markdown.split("## Pre-emptive")[0]
    # an order counts as current too
    ordered = evaluate(profile, rules, drugs=["warfarin"], now=NOW)  # type: ignore[arg-type]
    assert [f.current for f in ordered.findings] == [True]


def test_warnings_come_first(rules: object) -> None:
    profile = {"germline": {"CYP2C91": {"diplotype": "*1/*1"}}}
    markdown = evaluate(profile, rules, now=NOW).to_markdown()  # type: ignore[arg-type]
    assert markdown.index("## Warnings") < markdown.index("## Findings")


def test_undecided_collapsed_by_what_would_decide_it(rules: object) -> None:
    profile = {"germline": {"CYP2C19": {"phenotype": "Normal Metabolizer"}}}
    report = evaluate(profile, rules, now=NOW)  # type: ignore[arg-type]
    markdown = report.to_markdown()
    # no tumour: the oncology rules are one line, not a list
    assert (
        "8 rules could not be decided: 5 wait for a tumour profile (none given); "
        "1 for CYP2C9; 1 for CYP2D6; 1 for INSR." in markdown
    )
    assert "- CYP2C9: not tested — 1 rule about warfarin" in markdown
    assert "g-tumor-a" not in markdown
    full = report.to_markdown(undecided="full")
    assert "g-tumor-a" in full
    compact = json.loads(report.to_json(undecided="summary"))
    assert "indeterminate" not in compact
    by_fact = {g["fact"]: g for g in compact["undecided"]["by_fact"]}
    assert by_fact["germline.CYP2C9"]["rules"] == ["d-warfarin"]
    assert by_fact["germline.CYP2C9"]["drugs"] == ["warfarin"]
    assert len(by_fact["tumor"]["rules"]) == 5
    assert compact["undecided"]["count"] == len(report.indeterminate)
    # the full contract stays the default
    assert len(json.loads(report.to_json())["indeterminate"]) == len(report.indeterminate)
    summary_cards = [c for c in cards(report)["cards"] if c["summary"].startswith("Undecided")]
    assert len(summary_cards) == 1
    assert "wait for a tumour profile" in summary_cards[0]["detail"]
    assert len(cards(report, undecided="full")["cards"]) > len(cards(report)["cards"])


def test_legend_in_markdown(rules: object) -> None:
    markdown = evaluate({}, rules, now=NOW).to_markdown()  # type: ignore[arg-type]
    assert "## Legend" in markdown
    assert "level 1" in markdown.split("## Legend")[1]
    assert "avoid" in markdown.split("## Legend")[1]


def test_wording_activity_score_and_not_tested(rules: object) -> None:
    report = evaluate({"germline": {"CYP2C19": {"phenotype": "Normal Metabolizer"}}}, rules)  # type: ignore[arg-type]
    text = report.to_markdown(undecided="full")
    assert "CYP2D6 activity score is 1" in text
    assert "between 1 and 1" not in text
    assert "INSR: not tested" in report.to_markdown()
    bare = evaluate({"germline": {"INSR": {"findings": []}}}, rules).to_markdown()  # type: ignore[arg-type]
    assert "no INSR phenotype given" not in bare


def test_explain_suggests_rule_ids(rules: object) -> None:
    from pgx import InputError

    with pytest.raises(InputError, match="did you mean d-warfarin"):
        explain({}, "d-warfarn", rules)  # type: ignore[arg-type]


def test_unknown_gene_suggestion(rules: object) -> None:
    report = evaluate({"germline": {"CYP2C91": {"diplotype": "*1/*1"}}}, rules)  # type: ignore[arg-type]
    assert any("'CYP2C91'" in w and "(did you mean CYP2C9?)" in w for w in report.warnings)


def test_no_tumour_hides_oncology_undecided_in_cards(rules: object, tmp_path: Path) -> None:
    report = evaluate({}, rules, now=NOW)  # type: ignore[arg-type]
    text = json.dumps(cards(report))
    assert "g-tumor-a" not in text


def test_explain_lists_the_rules_about_a_drug_or_gene_given_as_rule() -> None:
    """``--rule clopidogrel`` (or a typo of it, or a gene) names the rule ids to give instead."""
    from pgx import InputError, default_ruleset

    bundled = default_ruleset()
    about = [r.id for r in bundled.rules if "clopidogrel" in r.drugs]
    assert "cpic-cyp2c19-clopidogrel-poor" in about
    for word in ("clopidogrel", "Clopidogrl"):
        with pytest.raises(InputError) as info:
            explain({}, word)
        assert str(info.value).endswith(
            f"no rule '{word}' in ruleset {bundled.name} {bundled.version}; give a rule id: "
            f"the rules about the drug clopidogrel are {', '.join(about)}"
        )
    with pytest.raises(InputError, match=r"the rules about the gene CYP2C19 are .* and \d+ more$"):
        explain({}, "cyp2c19")


def test_explain_shows_the_profile_warnings(rules: object) -> None:
    """A gene typo in the profile is said in the explanation, not only "not tested"."""
    exp = explain({"germline": {"CYP2C91": {"diplotype": "*1/*3"}}}, "d-warfarin", rules)  # type: ignore[arg-type]
    assert exp.outcome == "indeterminate"
    (warning,) = exp.warnings
    assert "'CYP2C91'" in warning and "(did you mean CYP2C9?)" in warning
    text = exp.to_markdown()
    assert text.index("## Warnings") < text.index("## Facts")


def test_undecided_labels_read_as_words() -> None:
    """Lab, diagnosis and genotype facts are named as a reader says them; long drug lists end."""
    report = evaluate({"germline": {"CYP2C19": {"diplotype": "*1/*1"}}}, now=NOW)
    by_fact = {
        g["fact"]: g
        for g in json.loads(report.to_json(undecided="summary"))["undecided"]["by_fact"]
    }
    assert by_fact["clinical.labs.HbA1c"]["label"] == "HbA1c (lab)"
    assert by_fact["clinical.diagnoses"]["label"] == "diagnoses"
    vkorc1 = by_fact["germline.VKORC1.variants.rs9923231"]
    assert (vkorc1["label"], vkorc1["status"]) == ("VKORC1 rs9923231 genotype", "not tested")
    markdown = report.to_markdown()
    assert "- HbA1c (lab) — " in markdown
    assert "- VKORC1 rs9923231 genotype: not tested — " in markdown
    tumour = next(line for line in markdown.splitlines() if line.startswith("- a tumour profile"))
    drugs = by_fact["tumor"]["drugs"]
    assert len(drugs) > 12
    assert tumour.endswith(f"{', '.join(drugs[:12])}, and {len(drugs) - 12} more")


def test_germline_table_names_an_outside_call(tmp_path: Path) -> None:
    """A lab's call is not pgx's: the germline table says whose it is."""
    from pgx import load_profile

    calls = write(tmp_path, "lab.tsv", "CYP2D6\t*1/*4\t\t\n")
    report = evaluate(load_profile(outside_calls=calls), drugs=["codeine"], now=NOW)
    row = next(x for x in report.to_markdown().splitlines() if x.startswith("| CYP2D6 |"))
    assert row.endswith("| called (outside call: lab.tsv) |")
    assert "called (outside call: lab.tsv)" in report.to_html()
