"""The bundled knowledge base: loads, lints clean, and every inline test passes."""

from __future__ import annotations

import pytest

from pgx import default_ruleset, evaluate
from pgx.engine import lint
from pgx.testing import CaseResult, run_rule_tests
from tests.helpers import NOW, ROOT


def _cases() -> list[CaseResult]:
    return run_rule_tests(default_ruleset())


@pytest.mark.parametrize("case", _cases(), ids=lambda c: f"{c.rule_id}/{c.name}")
def test_inline_case(case: CaseResult) -> None:
    """Each inline test of each bundled rule gives its expected outcome."""
    assert case.got == case.expect, f"{case.file}:{case.line}"


def test_lint_clean() -> None:
    """Every bundled rule has a short summary and tests for all three outcomes."""
    assert [str(p) for p in lint(default_ruleset())] == []


@pytest.mark.parametrize(
    "path", sorted((ROOT / "examples" / "profiles").glob("*.yaml")), ids=lambda p: p.name
)
def test_example_profiles_evaluate(path: object) -> None:
    """Every example profile evaluates against the bundled rules."""
    report = evaluate(path, now=NOW)  # type: ignore[arg-type]
    assert report.ruleset.name


def test_igf1r_example_fires_rule_1() -> None:
    """The founding example: IGF1R-high CRC progressing on cetuximab → co-targeting."""
    report = evaluate(ROOT / "examples" / "profiles" / "crc-igf1r.yaml", now=NOW)
    finding = report.finding("igf1r-high-anti-egfr-progression-igf1r-cotargeting")
    assert finding is not None
    assert finding.evidence.level == "4"
    assert finding.against


def test_phenotype_gap_check_finds_silence(tmp_path: object) -> None:
    """A drug whose rules skip a phenotype of the gene's table is a lint problem."""
    from pathlib import Path

    from pgx import load_ruleset

    path = Path(str(tmp_path)) / "r.yaml"
    path.write_text(
        "pgx_rules: 1\nrules:\n"
        "  - id: only-pm\n    version: 1.0.0\n    drugs: [clopidogrel]\n"
        "    when: {phenotype: {gene: CYP2C19, in: [Poor Metabolizer]}}\n"
        "    then: {action: avoid, summary: s, evidence: {level: '1'}, "
        "citations: ['PMID:35034351']}\n",
        encoding="utf-8",
    )
    (problem,) = [p for p in lint(load_ruleset(path)) if "decides" in p.message]
    assert "no clopidogrel rule decides CYP2C19" in problem.message
    assert "Normal Metabolizer" in problem.message
    assert ", Poor Metabolizer" not in problem.message  # the rule decides PM
