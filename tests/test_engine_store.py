"""The result store changes nothing a report says: byte-identical JSON against a plain walk.

The reference below is the evaluation as it was before the store: every candidate rule
walked with `RuleOutcome` (its own predicate, trace, residual and missing facts), its
`Finding` or `Indeterminate` built there and then. Reports from `pgx.evaluate` (whose store
is warm from earlier profiles, including ones that share observations) must serialise to
the same bytes, for every example profile, every rule test profile, and random mixes.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pgx
from pgx.engine import RuleOutcome, compiled
from pgx.engine import _store as store_module
from pgx.engine._evaluate import _conflicts, _current_drugs, _finding, _warnings
from pgx.io import profile_sha256
from pgx.io._convert import converter
from pgx.model.logic import Truth
from pgx.model.profile import Profile
from pgx.model.report import Indeterminate, Report, RulesetInfo, Superseded, order_findings
from pgx.model.ruleset import RuleSet

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-01-01T00:00:00+00:00"
DRUG_SETS: tuple[tuple[str, ...] | None, ...] = (
    None,
    ("clopidogrel",),
    ("codeine", "simvastatin", "warfarin"),
    ("capecitabine", "cetuximab", "fluorouracil"),
)


def reference(profile: Profile, rules: RuleSet, drugs: tuple[str, ...] | None) -> str:
    """The report as built rule by rule, without the store (the pre-store algorithm)."""
    engine = compiled(rules)
    requested = None if drugs is None else tuple(sorted(set(drugs)))
    if requested is None:
        candidates = [rule for rule, _ in engine.active]
    else:
        indices = sorted({i for d in requested for i in engine.by_drug.get(d, ())})
        candidates = [engine.active[i][0] for i in indices]
    uncovered = tuple(d for d in requested or () if not engine.by_drug.get(d))
    facts = engine.facts(profile)
    outcomes = {}
    for rule in candidates:  # every leaf of the candidates, as the engine evaluates them
        predicate = next(p for r, p in engine.active if r is rule)
        outcomes[rule.id] = RuleOutcome(rule, predicate(facts), facts)
    fired = [r for r in candidates if outcomes[r.id].truth is Truth.TRUE]
    undecided = [r for r in candidates if outcomes[r.id].truth is Truth.UNKNOWN]
    hidden = {sid: rule.id for rule in fired for sid in rule.supersedes}
    current = _current_drugs(profile, requested)
    findings = [_finding(r, outcomes[r.id].trace, current) for r in fired if r.id not in hidden]
    indeterminate = [
        Indeterminate(
            r.id,
            r.version,
            r.drugs,
            r.then.summary,
            outcomes[r.id].missing,
            outcomes[r.id].would_fire_if,
            outcomes[r.id].trace,
        )
        for r in undecided
        if r.id not in hidden
    ]
    shown = {r.id for r in fired} | {r.id for r in undecided}
    report = Report(
        profile_id=profile.id,
        generated_at=NOW,
        pgx_version=pgx.__version__,
        ruleset=RulesetInfo(
            rules.name, rules.version, rules.sha256, rules.knowledge.data_versions()
        ),
        input_sha256=profile_sha256(profile),
        phenotypes=dict(sorted(facts.phenotypes.items())),
        findings=order_findings(findings),
        indeterminate=tuple(sorted(indeterminate, key=lambda i: i.rule_id)),
        conflicts=_conflicts(findings),
        superseded=tuple(
            sorted(
                (Superseded(rid, by) for rid, by in hidden.items() if rid in shown),
                key=lambda s: (s.rule_id, s.superseded_by),
            )
        ),
        warnings=_warnings(facts.warnings, profile, uncovered),
        drugs=requested,
        has_tumor=profile.tumor is not None,
        uncovered_drugs=uncovered,
    )
    return report.to_json()


def _same(profile: Profile, rules: RuleSet, drugs: tuple[str, ...] | None = None) -> None:
    got = pgx.evaluate(profile, rules, drugs=drugs, now=NOW).to_json()
    assert got == reference(profile, rules, drugs), profile.id


@functools.cache
def _rules() -> RuleSet:
    return pgx.default_ruleset()


@functools.cache
def _sections() -> dict[tuple[str, ...], list[Any]]:
    """Every gene result, tumor and clinical section of the test and example profiles."""
    out: dict[tuple[str, ...], list[Any]] = {}
    sources: list[Any] = [t.profile for r in _rules().rules for t in r.tests]
    sources += sorted((ROOT / "examples" / "profiles").glob("*.yaml"))
    for source in sources:
        data = converter.unstructure(pgx.load_profile(source))
        for gene, result in (data.get("germline") or {}).items():
            out.setdefault(("germline", gene), []).append(result)
        for key in ("tumor", "clinical"):
            if data.get(key) is not None:
                out.setdefault((key,), []).append(data[key])
    return out


@st.composite
def mixed_profiles(draw: st.DrawFn) -> Profile:
    """Gene results and sections of different test profiles, each present or absent."""
    data: dict[str, Any] = {"id": "mix"}
    for path, values in sorted(_sections().items()):
        if draw(st.integers(0, 3)) == 0:
            node = data
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = draw(st.sampled_from(values))
    return pgx.load_profile(data)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "examples" / "profiles").glob("*.yaml")), ids=lambda p: p.stem
)
def test_example_profiles_report_the_same_bytes(path: Path) -> None:
    profile = pgx.load_profile(path)
    for drugs in DRUG_SETS:
        _same(profile, _rules(), drugs)
        _same(profile, _rules(), drugs)  # second time from the warm store


def test_rule_test_profiles_report_the_same_bytes() -> None:
    rules = _rules()
    for n, case in enumerate(t for r in rules.rules for t in r.tests):
        _same(pgx.load_profile(case.profile), rules, DRUG_SETS[n % len(DRUG_SETS)])


@given(profile=mixed_profiles(), drugs=st.sampled_from(DRUG_SETS))
def test_random_profiles_report_the_same_bytes(
    profile: Profile, drugs: tuple[str, ...] | None
) -> None:
    _same(profile, _rules(), drugs)


def test_a_full_store_is_replaced_and_results_stay_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past its bound the store starts empty; an evaluation never mixes two stores."""
    rules = pgx.default_ruleset()
    engine = compiled(rules)
    profiles = [pgx.load_profile(p) for p in sorted((ROOT / "examples" / "profiles").glob("*"))]
    monkeypatch.setattr(store_module, "MAX_ENTRIES", 50)
    first = engine.current_store()
    for profile in profiles:
        _same(profile, rules)
    assert engine.store is not first
    bound = 50 + len(engine.active) * 2 + len(engine.groups) + len(engine.leaf_meta)
    assert engine.store.size <= bound


def test_equal_conditions_share_one_condition_entry() -> None:
    """Rules whose conditions are equal are walked once per observation pattern."""
    engine = compiled(_rules())
    slots = engine.condition_of
    assert len(set(slots)) < len(slots)  # the bundled rules repeat conditions
    for position, slot in enumerate(slots):
        rule = engine.active[position][0]
        twin = engine.active[slots.index(slot)][0]
        assert rule.when == twin.when


def test_rules_reading_the_same_leaves_are_looked_up_together() -> None:
    """Each active rule is in exactly one group, and a group's rules read the same leaves."""
    engine = compiled(_rules())
    members = sorted(p for group in engine.groups for p in group)
    assert members == list(range(len(engine.active)))
    for group in engine.groups:
        assert len({engine.active_leaves[p] for p in group}) == 1
        assert list(group) == sorted(group)  # ruleset order within a group
    assert len(engine.groups) < len(engine.active)
