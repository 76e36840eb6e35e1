"""Cohort mode: input forms, the flat profile schema's errors, on-demand explanations, pickling."""

from __future__ import annotations

import functools
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyarrow")

import pyarrow as pa
import pyarrow.parquet as pq

import pgx
import pgx.cohort
from pgx.model.ruleset import RuleSet

NOW = "2026-01-01T00:00:00+00:00"
ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def rules() -> RuleSet:
    return pgx.default_ruleset()


def flat() -> pa.Table:
    return pa.table(
        {
            "id": ["A", "B", "C", None],
            "germline.CYP2C19.diplotype": ["*2/*2", "*1/*1", None, "*1/*17"],
            "germline.HLA-B.alleles": [["*57:01", "*08:01"], None, ["*07:02", "*08:01"], None],
            "clinical.medications": [["clopidogrel"], [], None, ["abacavir"]],
        }
    )


def outcome(table: pa.Table, row: int, rule_id: str) -> str | None:
    for item in table.to_pylist():
        if item["row"] == row and item["rule_id"] == rule_id:
            return str(item["outcome"])
    return None


def test_a_flat_table_gives_the_outcomes_of_evaluate() -> None:
    table = pgx.cohort.evaluate(flat(), rules())
    # CYP2C19 *2/*2 is a poor metabolizer: clopidogrel's alternative-therapy rule fires
    clopidogrel = [r for r in rules().rules if "clopidogrel" in r.drugs]
    report = pgx.evaluate({"germline": {"CYP2C19": {"diplotype": "*2/*2"}}}, rules(), now=NOW)
    fired = {f.rule_id for f in report.findings}
    assert fired & {r.id for r in clopidogrel}
    for rule_id in fired:
        assert outcome(table, 0, rule_id) == "fires"
    # row 2 has no CYP2C19 result: the same rules are indeterminate, never "does not fire"
    for rule_id in fired & {r.id for r in clopidogrel}:
        assert outcome(table, 2, rule_id) == "indeterminate"
    assert table.column("profile_id").to_pylist()[0] == "A"
    assert set(table.column("row").to_pylist()) == {0, 1, 2, 3}
    assert table.schema == pgx.cohort.RESULT_SCHEMA


def test_rows_come_in_input_order_and_rule_id_order() -> None:
    table = pgx.cohort.evaluate(flat(), rules(), outcomes="all")
    keys = list(zip(table["row"].to_pylist(), table["rule_id"].to_pylist(), strict=True))
    assert keys == sorted(keys)
    assert len(keys) == 4 * len([r for r in rules().rules if r.status == "active"])


def test_outcomes_and_drugs_select_rows() -> None:
    table = pgx.cohort.evaluate(flat(), rules(), drugs=["Clopidogrel"], outcomes=["fires"])
    assert set(table["outcome"].to_pylist()) == {"fires"}
    assert all("clopidogrel" in drugs for drugs in table["drugs"].to_pylist())
    with pytest.raises(pgx.InputError, match="unknown drug 'aspirinx'"):
        pgx.cohort.evaluate(flat(), rules(), drugs=["aspirinx"])
    with pytest.raises(pgx.InputError, match="outcomes"):
        pgx.cohort.evaluate(flat(), rules(), outcomes=["fired"])


def test_parquet_pandas_and_profiles_give_the_same_table(tmp_path: Path) -> None:
    path = tmp_path / "cohort.parquet"
    pq.write_table(flat(), path)
    from_table = pgx.cohort.evaluate(flat(), rules(), batch_rows=3)
    from_parquet = pgx.cohort.evaluate(path, rules(), batch_rows=3)
    from_pandas = pgx.cohort.evaluate(flat().to_pandas(), rules())
    mappings: list[dict[str, Any]] = [pgx.cohort.profile(flat(), i, rules()) for i in range(4)]  # type: ignore[misc]
    from_profiles = pgx.cohort.evaluate(mappings, rules())
    expected = from_table.to_pylist()
    assert len(expected) > 20
    assert from_parquet.to_pylist() == expected
    assert from_pandas.to_pylist() == expected
    assert from_profiles.to_pylist() == expected


def test_a_missing_number_from_pandas_is_absent_not_a_value() -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"germline.CYP2D6.activity_score": [0.0, float("nan")]})
    table = pgx.cohort.evaluate(frame, rules(), outcomes="all").to_pylist()
    empty = pgx.cohort.evaluate([{}], rules(), outcomes="all").to_pylist()
    nan_row = [(r["rule_id"], r["outcome"]) for r in table if r["row"] == 1]
    assert nan_row == [(r["rule_id"], r["outcome"]) for r in empty]
    scored = [(r["rule_id"], r["outcome"]) for r in table if r["row"] == 0]
    assert ("codeine-cyp2d6-pm", "fires") in scored or any(o == "fires" for _, o in scored)


def test_a_column_that_is_not_a_profile_path_is_an_error() -> None:
    table = pa.table({"germline.CYP2C19.diplotype": ["*1/*2"], "cyp2c19": ["*1/*2"]})
    with pytest.raises(pgx.ProfileError, match="cyp2c19: expected a profile path"):
        pgx.cohort.evaluate(table, rules())


def test_an_unknown_key_inside_a_column_is_an_error_with_its_row() -> None:
    table = pa.table({"id": ["P1", "P2"], "germline.CYP2C19.diplotyp": ["*1/*2", "*1/*1"]})
    with pytest.raises(pgx.ProfileError) as caught:
        pgx.cohort.evaluate(table, rules())
    (problem,) = caught.value.problems
    assert "diplotyp" in problem.path
    assert problem.source == "<table>, row 0 (id P1)"


def test_a_bad_value_names_the_first_row_holding_it() -> None:
    table = pa.table({"germline.CYP2C19.diplotype": ["*1/*2", "*1*2", "*1*2"]})
    with pytest.raises(pgx.ProfileError) as caught:
        pgx.cohort.evaluate(table, rules())
    (problem,) = caught.value.problems
    assert problem.path == "$.germline.CYP2C19.diplotype"
    assert "expected a diplotype" in problem.message
    assert problem.source == "<table>, row 1"


def test_two_columns_for_one_gene_are_ambiguous() -> None:
    table = pa.table(
        {"germline.CYP2C19.diplotype": ["*1/*2"], "germline.cyp2c19.diplotype": ["*1/*1"]}
    )
    with pytest.raises(pgx.ProfileError, match="same profile path"):
        pgx.cohort.evaluate(table, rules())
    nested = pa.table({"germline.CYP2C19": [{"diplotype": "*1/*2"}], "germline": [None]})
    with pytest.raises(pgx.ProfileError, match="lies inside column 'germline'"):
        pgx.cohort.evaluate(nested, rules())


def test_a_gene_symbol_in_another_case_reads_as_the_gene() -> None:
    lower = pgx.cohort.evaluate(pa.table({"germline.cyp2c19.diplotype": ["*2/*2"]}), rules())
    upper = pgx.cohort.evaluate(pa.table({"germline.CYP2C19.diplotype": ["*2/*2"]}), rules())
    assert lower.to_pylist() == upper.to_pylist()


def test_phenotypes_table() -> None:
    table = pgx.cohort.phenotypes(flat(), rules()).to_pylist()
    first = [t for t in table if t["row"] == 0]
    assert [t["gene"] for t in first] == ["CYP2C19", "HLA-B"]
    assert first[0]["phenotype"] == "Poor Metabolizer"
    assert first[0]["status"] == "called"
    assert not [t for t in table if t["row"] == 2 and t["gene"] == "CYP2C19"]


def test_explanations_and_reports_on_demand() -> None:
    table = pgx.cohort.evaluate(flat(), rules(), outcomes=["fires"])
    fired = table.to_pylist()[0]
    explanation = pgx.cohort.explain(flat(), fired["row"], fired["rule_id"], rules())
    assert explanation.outcome == "fires"
    assert explanation.profile_id == fired["profile_id"]
    assert explanation.trace
    report = pgx.cohort.report(flat(), 0, rules(), now=NOW)
    direct = pgx.evaluate(pgx.cohort.profile(flat(), 0, rules()), rules(), now=NOW)
    assert report.to_json() == direct.to_json()
    with pytest.raises(pgx.InputError, match="no row 9"):
        pgx.cohort.profile(flat(), 9, rules())


def test_supersedes_and_conflicts_match_the_report() -> None:
    # every rule test profile of the bundled rules: some exercise supersedes and conflicts
    cases = [case.profile for rule in rules().rules for case in rule.tests]
    table = pgx.cohort.evaluate(cases, rules())
    rows = table.select(["row", "rule_id", "superseded_by", "conflict"]).to_pylist()
    superseded = {(r["row"], r["rule_id"]): r["superseded_by"] for r in rows}
    conflicts = {(r["row"], r["rule_id"]) for r in rows if r["conflict"]}
    want_hidden: dict[tuple[int, str], str] = {}
    want_conflicts: set[tuple[int, str]] = set()
    for row, case in enumerate(cases):
        report = pgx.evaluate(case, rules(), now=NOW)
        for s in report.superseded:
            want_hidden[(row, s.rule_id)] = s.superseded_by
        for c in report.conflicts:
            want_conflicts.update((row, rid) for rid in c.rule_ids)
    assert want_hidden  # the bundled rules do supersede
    assert {k: v for k, v in superseded.items() if v is not None} == want_hidden
    assert conflicts == want_conflicts


def test_a_used_ruleset_pickles_and_evaluates_the_same() -> None:
    ruleset = rules()
    pgx.cohort.evaluate(flat(), ruleset)  # compiled and planned: closures inside
    copy = pickle.loads(pickle.dumps(ruleset))
    assert copy.sha256 == ruleset.sha256
    assert (
        pgx.cohort.evaluate(flat(), copy).to_pylist()
        == pgx.cohort.evaluate(flat(), ruleset).to_pylist()
    )


def test_a_spawn_process_pool_evaluates_with_a_used_ruleset() -> None:
    ruleset = rules()
    profiles = sorted((ROOT / "examples" / "profiles").glob("*.yaml"))
    local = [pgx.evaluate(p, ruleset, now=NOW).to_json() for p in profiles]
    job = functools.partial(pgx.evaluate, ruleset=ruleset, now=NOW)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        remote = [r.to_json() for r in pool.map(job, profiles)]
    assert remote == local


def test_summary_counts_each_profile_once_per_drug_and_action_its_report_shows() -> None:
    table = pa.table(
        {
            "id": ["A", "B", "C", "D", "E"],
            "germline.CYP2C19.diplotype": ["*2/*2", "*1/*1", None, "*2/*2", "*1/*17"],
            "germline.HLA-B.alleles": [["*57:01", "*08:01"], None, None, None, None],
            "clinical.medications": [["clopidogrel"], [], None, ["clopidogrel"], ["abacavir"]],
        }
    )
    expected: dict[tuple[str, str], int] = {}
    for row in range(table.num_rows):
        report = pgx.cohort.report(table, row, rules(), now=NOW)
        for pair in {(d, f.action) for f in report.findings for d in f.drugs}:
            expected[pair] = expected.get(pair, 0) + 1
    summary = pgx.cohort.summary(pgx.cohort.evaluate(table, rules()))
    assert summary.schema == pgx.cohort.SUMMARY_SCHEMA
    got = {(r["drug"], r["action"]): r["profiles"] for r in summary.to_pylist()}
    assert got == expected
    # A and D (*2/*2, poor metabolizers) get clopidogrel's alternative, once each
    assert got["clopidogrel", "use_alternative"] == 2
    assert [r["drug"] for r in summary.to_pylist()] == sorted(
        r["drug"] for r in summary.to_pylist()
    )
    # batch by batch (whole profiles in each) adds up to the same
    parts = pgx.cohort.evaluate_batches(table, rules(), batch_rows=2)
    assert pgx.cohort.summary(part.results for part in parts).equals(summary)


def test_summary_without_row_numbers_needs_every_profile_id() -> None:
    results = pgx.cohort.evaluate(flat(), rules())  # row 3 has no id
    with pytest.raises(pgx.InputError, match=r"found [0-9]+ without one"):
        pgx.cohort.summary(results.drop_columns(["row"]))
    named = results.filter(pa.compute.is_valid(results["profile_id"]))
    # with ids on every row, ids count exactly as row numbers do
    assert pgx.cohort.summary(named.drop_columns(["row"])).equals(pgx.cohort.summary(named))
