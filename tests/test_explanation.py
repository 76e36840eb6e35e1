"""pgx.explain: one rule, one profile, the full reasoning — also when it did not fire."""

from __future__ import annotations

import pytest

from pgx import InputError, explain
from pgx.testing import run_rule_tests
from tests.helpers import ROOT, basic_rules

CRC = ROOT / "examples" / "profiles" / "crc-igf1r.yaml"


def test_explain_fired_rule() -> None:
    """The founding IGF1R rule fires on the example, with facts and evidence against."""
    exp = explain(CRC, "igf1r-high-anti-egfr-progression-igf1r-cotargeting")
    assert exp.outcome == "fires"
    assert exp.profile_id == "P-CRC-IGF1R"
    assert any(t.path == "tumor.expression.IGF1R" and t.truth == "true" for t in exp.trace)
    assert exp.would_fire_if is None
    text = exp.to_markdown()
    assert "**Outcome: fires.**" in text
    assert "## Evidence against" in text
    assert "## Citations" in text


def test_explain_indeterminate_rule() -> None:
    """An undecided rule names the facts that would decide it."""
    exp = explain({"germline": {}}, "t-clopidogrel-nm", basic_rules())
    assert exp.outcome == "indeterminate"
    assert exp.missing == ("germline.CYP2C19",)
    assert exp.would_fire_if == "CYP2C19 phenotype is Normal Metabolizer"
    assert exp.condition == "CYP2C19 phenotype is Normal Metabolizer"


def test_explain_unknown_rule_is_input_error() -> None:
    """Asking for a rule that does not exist is an InputError, not a KeyError."""
    with pytest.raises(InputError, match="no rule 'nope'"):
        explain({}, "nope", basic_rules())


def test_testing_helpers_are_public() -> None:
    """pgx.testing runs a ruleset's inline tests for curators."""
    results = run_rule_tests(basic_rules())
    assert [r.got for r in results] == ["fires", "does_not_fire", "indeterminate"]
    assert all(r.passed for r in results)


def test_explain_names_the_superseding_rule() -> None:
    """A rule that fires but is hidden by a more specific one says so."""
    profile = {
        "tumor": {"expression": {"IGF1R": {"ihc": "3+"}}, "variants": []},
        "clinical": {"therapies": [{"drug": "cetuximab", "outcome": "progression"}]},
    }
    exp = explain(profile, "t-igf1r", basic_rules())
    assert exp.outcome == "fires"
    assert exp.superseded_by == ("t-igf1r-specific",)
    assert "hidden by the more specific `t-igf1r-specific`" in exp.to_markdown()


def test_markdown_says_why_a_given_gene_is_unusable() -> None:
    """An unknown allele is reported as 'given, but ...', not as a missing test."""
    from pgx import evaluate

    report = evaluate({"germline": {"CYP2C19": {"diplotype": "*1/*999"}}}, basic_rules())
    text = report.to_markdown()
    why = "given, but: CYP2C19 allele(s) not in pgx's table: *999"
    assert f"- CYP2C19: {why}" in text
    assert "2 rules about clopidogrel" in text
