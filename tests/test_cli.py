"""The pgx command: every subcommand, and bad input as exit code 2 with a message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgx.cli import main
from tests.helpers import DATA, NOW, ROOT, write

RULES = str(DATA / "rules" / "basic.yaml")
PROFILE = str(ROOT / "examples" / "profiles" / "crc-igf1r.yaml")


def test_evaluate_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    """evaluate prints a Markdown report."""
    assert main(["evaluate", PROFILE, "--rules", RULES, "--now", NOW]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# pgx report — P-CRC-IGF1R")
    assert "t-igf1r-specific" in out


def test_evaluate_json_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    """evaluate --format json is byte-identical across runs with --now."""
    args = ["evaluate", PROFILE, "--rules", RULES, "--now", NOW, "--format", "json"]
    main(args)
    first = capsys.readouterr().out
    main(args)
    assert capsys.readouterr().out == first
    assert json.loads(first)["generated_at"] == NOW


def test_evaluate_drug_filter(capsys: pytest.CaptureFixture[str]) -> None:
    """--drug limits the rules."""
    main(["evaluate", PROFILE, "--rules", RULES, "--drug", "clopidogrel", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert data["drugs"] == ["clopidogrel"]
    assert data["findings"] == []


def test_bad_profile_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad profile exits 2 naming file, line and field; no traceback."""
    bad = write(tmp_path, "bad.yaml", "germline:\n  CYP2C19: {diplotyp: '*1/*2'}\n")
    assert main(["evaluate", str(bad), "--rules", RULES]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2: $.germline.CYP2C19.diplotyp: unknown key 'diplotyp'" in err
    assert "Traceback" not in err


def test_missing_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing profile or rules path exits 2."""
    assert main(["evaluate", str(tmp_path / "x.yaml"), "--rules", RULES]) == 2
    assert main(["lint", str(tmp_path / "none")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_lint_requires_tests(capsys: pytest.CaptureFixture[str]) -> None:
    """lint flags rules without a test for each outcome and prints coverage."""
    assert main(["lint", RULES]) == 1
    out = capsys.readouterr().out
    assert "rule 't-clopidogrel-nm' needs an inline test expecting fires" in out
    assert "4 rules;" in out


def test_test_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """test runs inline tests, prints coverage, and fails on a wrong expectation."""
    assert main(["test", RULES]) == 0
    out = capsys.readouterr().out
    assert "3 passed, 0 failed" in out
    assert "seen fires 1/4" in out
    broken = write(
        tmp_path,
        "r.yaml",
        Path(RULES).read_text().replace("expect: fires", "expect: does_not_fire", 1),
    )
    assert main(["test", str(broken)]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_explain(capsys: pytest.CaptureFixture[str]) -> None:
    """explain shows the trace of a rule that did not fire, too."""
    assert main(["explain", PROFILE, "--rules", RULES, "--rule", "t-clopidogrel-nm"]) == 0
    out = capsys.readouterr().out
    assert "**Outcome: indeterminate.**" in out
    assert "Would fire if: CYP2C19 phenotype is Normal Metabolizer" in out
    assert main(["explain", PROFILE, "--rules", RULES, "--rule", "nope"]) == 2


def test_evaluate_cds_hooks(capsys: pytest.CaptureFixture[str]) -> None:
    """--format cds-hooks prints a CDS Hooks response."""
    assert main(["evaluate", PROFILE, "--rules", RULES, "--format", "cds-hooks", "--now", NOW]) == 0
    response = json.loads(capsys.readouterr().out)
    assert {c["indicator"] for c in response["cards"]} >= {"critical", "info"}
