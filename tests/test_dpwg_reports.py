"""Where CPIC and DPWG both advise on a drug and disagree, every report format shows both,
each with its source, and the disagreement is not a conflict."""

from __future__ import annotations

import json

from pgx import Report, evaluate
from pgx.cds_hooks import cards
from tests.helpers import NOW

# CYP2C19 *17/*17 and citalopram: CPIC advises another drug, DPWG no change
ULTRARAPID = {"germline": {"CYP2C19": {"diplotype": "*17/*17"}}}
CPIC_ID = "cpic-cyp2c19-citalopram-ultrarapid"
DPWG_ID = "dpwg-cyp2c19-citalopram-ultrarapid"


def _report() -> Report:
    return evaluate(ULTRARAPID, drugs=["citalopram"], now=NOW)


def test_both_findings_with_their_sources_and_no_conflict() -> None:
    report = _report()
    assert [(f.rule_id, f.source, f.action) for f in report.findings] == [
        (CPIC_ID, "CPIC", "use_alternative"),
        (DPWG_ID, "DPWG", "informative"),
    ]
    assert report.conflicts == ()


def test_markdown_labels_each_finding_with_its_source() -> None:
    text = _report().to_markdown()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "citalopram" in line]
    assert len(rows) == 2
    assert "| use alternative | 1 | CPIC |" in rows[0]
    assert "| informative | 2 | DPWG |" in rows[1]
    assert [line for line in text.splitlines() if line.startswith("- **Source:**")] == [
        "- **Source:** CPIC",
        "- **Source:** DPWG",
    ]


def test_html_labels_each_finding_with_its_source() -> None:
    page = _report().to_html()
    assert "<td>1</td><td>CPIC</td>" in page
    assert "<td>2</td><td>DPWG</td>" in page
    assert page.count("<dt>Source</dt><dd>DPWG</dd>") == 1
    assert page.index(CPIC_ID) < page.index(DPWG_ID)


def test_json_carries_each_source() -> None:
    data = json.loads(_report().to_json())
    assert [(f["rule_id"], f["source"]) for f in data["findings"]] == [
        (CPIC_ID, "CPIC"),
        (DPWG_ID, "DPWG"),
    ]


def test_cds_cards_one_per_source() -> None:
    labels = [c["source"]["label"] for c in cards(_report())["cards"]]
    assert len(labels) == 2
    assert labels[0].endswith(f"{CPIC_ID} v1.1.0 (CPIC)")
    assert labels[1].endswith(f"{DPWG_ID} v1.0.0 (DPWG)")
