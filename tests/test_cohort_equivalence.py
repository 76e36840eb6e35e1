"""The columnar engine agrees with `pgx.evaluate` on every bundled rule, for random profiles.

Profiles are drawn by mixing the sections of the bundled rules' own test profiles and the
examples (so every rule meets facts that decide it) with missing sections, no-calls,
unknown alleles, unreadable values and entries that contradict each other.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyarrow")

import pyarrow as pa
from hypothesis import given, reject, settings
from hypothesis import strategies as st

import pgx
import pgx.cohort
from pgx.cohort._columns import Reader
from pgx.engine import compiled
from pgx.model.logic import Truth
from pgx.model.profile import Profile
from pgx.model.ruleset import RuleSet

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-01-01T00:00:00+00:00"


@functools.cache
def rules() -> RuleSet:
    return pgx.default_ruleset()


@functools.cache
def pools() -> dict[tuple[str, ...], list[Any]]:
    """Every unit value (a gene's result, a tumor or clinical section) seen in a test profile."""
    reader = Reader(rules())
    out: dict[tuple[str, ...], list[Any]] = {}
    sources: list[object] = [t.profile for r in rules().rules for t in r.tests]
    sources += sorted((ROOT / "examples" / "profiles").glob("*.yaml"))
    for source in sources:
        try:
            profile = pgx.load_profile(source)  # type: ignore[arg-type]
        except pgx.ProfileError:
            continue
        for path, value in reader.units(profile).items():
            if value not in out.setdefault(path, []):
                out[path].append(value)
    return out


NOISE_GENE = st.sampled_from(
    [
        {"diplotype": "*1/*999"},  # an allele pgx does not know
        {"diplotype": "./."},  # no call
        {"diplotype": "*1/*1", "phenotype": "Poor Metabolizer"},  # contradictory
        {"phenotype": "Normal Metabolizer"},
        {"activity_score": 1.5},
        {"phenotype": "Indeterminate"},
    ]
)


@st.composite
def gene_result(draw: st.DrawFn, path: tuple[str, ...]) -> Any:
    choices = pools()[path]
    first = draw(st.sampled_from(choices))
    if draw(st.integers(0, 3)) == 0:
        # two results of one gene merged: a diplotype with another test's phenotype
        return {**first, **draw(st.sampled_from(choices))}
    if draw(st.integers(0, 5)) == 0 and not path[1].startswith("HLA-"):
        return draw(NOISE_GENE)
    return first


@st.composite
def listed(draw: st.DrawFn, path: tuple[str, ...]) -> Any:
    items = [item for value in pools()[path] for item in value]
    if not items:
        return []
    picked = draw(st.lists(st.sampled_from(items), max_size=3))
    if path[1] == "sequenced_genes":
        return sorted(set(picked))
    return picked


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in sorted(pools()):
        if draw(st.integers(0, 2)) != 0:
            continue  # the section is absent: unknown
        if path[0] == "germline":
            value = draw(gene_result(path))
        elif path in (
            ("tumor", "variants"),
            ("tumor", "copy_number"),
            ("tumor", "fusions"),
            ("tumor", "sequenced_genes"),
            ("clinical", "diagnoses"),
            ("clinical", "medications"),
            ("clinical", "therapies"),
        ):
            value = draw(listed(path))
        else:
            value = draw(st.sampled_from(pools()[path]))
        node = out
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    if draw(st.booleans()):
        out["id"] = draw(st.sampled_from(["P-1", "P-2", "P-3"]))
    return out


def expected_rows(profile: Profile, ruleset: RuleSet) -> dict[str, tuple[str, str | None, bool]]:
    """rule id -> (outcome, superseded_by, conflict) from the per-profile engine and report."""
    engine = compiled(ruleset)
    facts = engine.facts(profile)
    truths = {rule.id: predicate(facts) for rule, predicate in engine.active}
    name = {Truth.TRUE: "fires", Truth.FALSE: "does_not_fire", Truth.UNKNOWN: "indeterminate"}
    report = pgx.evaluate(profile, ruleset, now=NOW)
    hidden = {s.rule_id: s.superseded_by for s in report.superseded}
    clashing = {rid for c in report.conflicts for rid in c.rule_ids}
    # the report and the per-rule truths tell one story
    assert {f.rule_id for f in report.findings} == {
        r for r, t in truths.items() if t is Truth.TRUE and r not in hidden
    }
    assert {i.rule_id for i in report.indeterminate} == {
        r for r, t in truths.items() if t is Truth.UNKNOWN and r not in hidden
    }
    return {
        rid: (name[t], hidden.get(rid) if t is not Truth.FALSE else None, rid in clashing)
        for rid, t in truths.items()
    }


def cohort_rows(table: pa.Table) -> list[dict[str, tuple[str, str | None, bool]]]:
    out: list[dict[str, tuple[str, str | None, bool]]] = []
    for row in table.to_pylist():
        while len(out) <= row["row"]:
            out.append({})
        out[row["row"]][row["rule_id"]] = (
            row["outcome"],
            row["superseded_by"],
            row["conflict"],
        )
    return out


def check(items: list[dict[str, Any]], source: object) -> None:
    ruleset = rules()
    loaded = [pgx.load_profile(item) for item in items]
    table = pgx.cohort.evaluate(source, ruleset, outcomes="all", batch_rows=3)
    got = cohort_rows(table)
    assert len(got) == len(loaded)
    for profile, row in zip(loaded, got, strict=True):
        assert row == expected_rows(profile, ruleset)
    assert table.column("profile_id").to_pylist() == [
        loaded[int(r)].id for r in table.column("row").to_pylist()
    ]
    phenotypes = pgx.cohort.phenotypes(source, ruleset, batch_rows=3).to_pylist()
    want = []
    for index, profile in enumerate(loaded):
        report = pgx.evaluate(profile, ruleset, now=NOW)
        for gene, called in report.phenotypes.items():
            want.append(
                (
                    index,
                    gene,
                    called.diplotype,
                    called.phenotype,
                    called.activity_score,
                    called.status,
                    called.source,
                )
            )
    assert [
        (
            p["row"],
            p["gene"],
            p["diplotype"],
            p["phenotype"],
            p["activity_score"],
            p["status"],
            p["source"],
        )
        for p in phenotypes
    ] == want


@settings(max_examples=40)
@given(st.lists(profiles(), min_size=1, max_size=7))
def test_profiles_in_python_agree_with_evaluate(items: list[dict[str, Any]]) -> None:
    check(items, items)


@settings(max_examples=40)
@given(st.lists(profiles(), min_size=1, max_size=7))
def test_profiles_in_arrow_agree_with_evaluate(items: list[dict[str, Any]]) -> None:
    try:
        table = pgx.cohort.to_table(items, rules())
    except pgx.ProfileError:
        reject()  # a path holding text in one profile and a number in another
    check(items, table)


def test_every_bundled_rule_is_decided_both_ways_by_the_pools() -> None:
    # the strategy is only worth something if it reaches every rule's facts: each rule's
    # own test profiles are in the pools, so each rule fires for one of them
    ruleset = rules()
    fired = set()
    for rule in ruleset.rules:
        for case in rule.tests:
            if case.expect == "fires":
                fired.add(rule.id)
    assert len(fired) > 0.9 * len(ruleset.rules)
    table = pgx.cohort.evaluate(
        [case.profile for rule in ruleset.rules for case in rule.tests], ruleset
    )
    assert (
        set(table.filter(pa.compute.equal(table["outcome"], "fires"))["rule_id"].to_pylist())
        >= fired
    )


@settings(max_examples=40)
@given(st.lists(profiles(), min_size=1, max_size=7), st.integers(1, 4))
def test_the_summary_counts_what_each_report_shows(
    items: list[dict[str, Any]], batch_rows: int
) -> None:
    ruleset = rules()
    want: dict[tuple[str, str], int] = {}
    for item in items:
        report = pgx.evaluate(pgx.load_profile(item), ruleset, now=NOW)
        for pair in {(drug, f.action) for f in report.findings for drug in f.drugs}:
            want[pair] = want.get(pair, 0) + 1
    table = pgx.cohort.evaluate(items, ruleset, outcomes="all")
    by_row = pgx.cohort.summary(table).to_pylist()
    assert {(r["drug"], r["action"]): r["profiles"] for r in by_row} == want
    parts = pgx.cohort.evaluate_batches(items, ruleset, batch_rows=batch_rows)
    assert pgx.cohort.summary(p.results for p in parts).to_pylist() == by_row
    # a cluster's table: no row numbers, told apart by profile id
    ids = pa.array([f"P{r}" for r in table["row"].to_pylist()])
    plain = table.drop_columns(["row"])
    by_id = plain.set_column(plain.column_names.index("profile_id"), "profile_id", ids)
    assert pgx.cohort.summary(by_id).to_pylist() == by_row
