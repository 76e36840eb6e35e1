"""Every CPIC recommendation for every gene pgx phenotypes, against pgx's findings.

CPIC's database export (v1.30.0, one file per drug, in the shared data snapshot
``../shared/data/guidelines-2023-08/cpic/``) lists, per genotype group, the recommendation and
its classification. For each group whose genes pgx phenotypes, the test builds the profile a lab
would send (a reported phenotype or activity score per gene; a gene CPIC marks "No Result" is
left out) and checks that pgx gives a finding of source CPIC for the drug whose strength equals
CPIC's classification and whose action is one the recommendation text names (the phrase table in
``tests/data/cpic/conformance.yaml``). Findings of another source (DPWG) are not compared with
CPIC's rows: ``tests/test_dpwg_conformance.py`` compares them with DPWG's. Where pgx knowingly
differs, ``departures.yaml`` says how and why, with a citation, and the test checks that pgx
does exactly what it says there.

The snapshot is not part of the repository: the test skips when it is absent. Set
``PGX_SHARED_DATA`` to the shared data folder to run it from elsewhere.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from pgx import Report, default_ruleset, evaluate
from tests.helpers import DATA, NOW, ROOT

SHARED = Path(os.environ.get("PGX_SHARED_DATA", ROOT.parent / "shared" / "data"))
EXPORT = SHARED / "guidelines-2023-08" / "cpic"
TABLES = DATA / "cpic"


GRADED = {"Strong": "strong", "Moderate": "moderate", "Optional": "optional"}
UNGRADED = {"No Recommendation", "n/a"}
_SCORE = re.compile(r"≥?(\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Rec:
    """One CPIC recommendation row."""

    drug: str
    lookup: Mapping[str, str]
    population: str
    classification: str
    text: str

    def label(self) -> str:
        key = ", ".join(f"{g}={v}" for g, v in sorted(self.lookup.items()))
        return f"{self.drug} [{key}] ({self.population})"


@dataclass(frozen=True)
class Outcome:
    """What pgx reported for one drug: graded findings and whether anything was undecided."""

    findings: tuple[tuple[str, str | None, str], ...]
    indeterminate: bool


def _load(name: str) -> Any:
    return yaml.safe_load((TABLES / name).read_text(encoding="utf-8"))


def _recommendations() -> Iterator[Rec]:
    for path in sorted(EXPORT.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for row in data["recommendations"] or ():
            yield Rec(
                data["drugname"],
                row["lookupkey"],
                row["population"].strip(),
                row["classification"],
                row["drugrecommendation"],
            )


def _profile(lookup: Mapping[str, str]) -> dict[str, Any] | None:
    """The germline section a lab would send for CPIC's genotype group (None: not expressible)."""
    germline: dict[str, Any] = {}
    for gene, value in lookup.items():
        if value == "No Result":
            continue  # CPIC's "not tested": pgx's absent gene
        if value == "n/a":
            return None
        if gene.startswith("HLA-"):
            allele, status = value.split()
            germline[gene] = {"carriers": {allele: status == "positive"}}
        elif (score := _SCORE.fullmatch(value)) is not None:
            germline[gene] = {"activity_score": float(score.group(1))}
        else:
            germline[gene] = {"phenotype": value}
    return {"germline": germline}


def _allowed_actions(text: str) -> set[str]:
    allowed: set[str] = set()
    for row in _load("conformance.yaml")["actions"]:
        if re.search(row["phrase"], text, re.IGNORECASE):
            allowed.update(row["actions"])
    return allowed


def _outcome(report: Report, drug: str, cpic: set[str]) -> Outcome:
    """CPIC's rules' findings for the drug (``cpic``: their ids); another source's are not
    compared with CPIC (tests/test_dpwg_conformance.py compares DPWG's)."""
    found = tuple(
        sorted(
            (f.action, f.evidence.strength, f.rule_id)
            for f in report.findings
            if drug in f.drugs and f.rule_id in cpic
        )
    )
    undecided = any(drug in i.drugs and i.rule_id in cpic for i in report.indeterminate)
    return Outcome(found, undecided)


def conforms(rec: Rec, outcome: Outcome) -> bool:
    """pgx gives CPIC's recommendation: same strength, an action the text names."""
    if rec.classification in UNGRADED:
        return not any(strength for action, strength, _ in outcome.findings)
    allowed = _allowed_actions(rec.text)
    return any(
        action in allowed and strength == GRADED[rec.classification]
        for action, strength, _ in outcome.findings
    )


def _drugs(departure: Mapping[str, Any]) -> list[str]:
    """An entry names one `drug`, or `drugs` that share one departure."""
    return list(departure["drugs"]) if "drugs" in departure else [departure["drug"]]


def _matches(departure: Mapping[str, Any], rec: Rec) -> bool:
    if rec.drug not in _drugs(departure):
        return False
    if "population" in departure and departure["population"] != rec.population:
        return False
    if "classification" in departure and departure["classification"] != rec.classification:
        return False
    if "any_gene" in departure and not set(rec.lookup.values()) & set(departure["any_gene"]):
        return False
    for gene, values in departure.get("lookup", {}).items():
        if rec.lookup.get(gene) not in values:
            return False
    return True


def _as_departure(departure: Mapping[str, Any], outcome: Outcome) -> bool:
    """pgx does what the departure says it does instead."""
    pgx = departure["pgx"]
    if pgx == "any":  # a known gap: whatever pgx gives now is listed, not endorsed
        return bool(departure["kind"] == "gap")
    if pgx == "indeterminate":
        return outcome.indeterminate and not any(s for _, s, _ in outcome.findings)
    if pgx == "none":
        return not any(s for _, s, _ in outcome.findings)
    return any(
        action == pgx["action"] and strength == pgx.get("strength")
        for action, strength, _ in outcome.findings
    )


@dataclass
class Walk:
    """The result of walking the export."""

    counts: Counter[str]
    failures: list[str]
    departures_used: Counter[int]
    uncovered: set[str]


def walk_export() -> Walk:
    """Walk every recommendation of the export (also used to print the figures)."""
    ruleset = default_ruleset()
    phenotyped = set(ruleset.knowledge.gene_phenotypes) | {"HLA-A", "HLA-B"}
    cpic = {rule.id for rule in ruleset.rules if rule.source == "CPIC"}
    encoded = {drug for rule in ruleset.rules if rule.id in cpic for drug in rule.drugs}
    departures = _load("departures.yaml")["departures"]
    counts: Counter[str] = Counter()
    used: Counter[int] = Counter()
    failures: list[str] = []
    uncovered: set[str] = set()
    for rec in _recommendations():
        if not set(rec.lookup) <= phenotyped:
            counts["gene not phenotyped"] += 1
            continue
        counts["walked"] += 1
        if rec.drug not in encoded:
            uncovered.add(rec.drug)
            counts["drug not encoded"] += 1
            continue
        profile = _profile(rec.lookup)
        if profile is None:
            counts["not expressible"] += 1
            continue
        report = evaluate(profile, ruleset, drugs=[rec.drug], now=NOW)
        outcome = _outcome(report, rec.drug, cpic)
        if conforms(rec, outcome):
            counts["reproduced"] += 1
            continue
        hits = [i for i, d in enumerate(departures) if _matches(d, rec)]
        if hits and _as_departure(departures[hits[0]], outcome):
            used[hits[0]] += 1
            counts["departure"] += 1
            continue
        failures.append(
            f"{rec.label()}: CPIC {rec.classification} "
            f"({', '.join(sorted(_allowed_actions(rec.text))) or 'no action phrase'}) "
            f"'{rec.text[:90]}'; pgx {list(outcome.findings) or 'nothing'}"
            + (f"; departure #{hits[0]} does not describe it" if hits else "")
        )
    return Walk(counts, failures, used, uncovered)


@pytest.fixture(scope="module")
def walk() -> Walk:
    if not EXPORT.is_dir():
        pytest.skip(f"CPIC export not present at {EXPORT}")
    return walk_export()


def test_every_recommendation_is_reproduced_or_a_documented_departure(walk: Walk) -> None:
    assert walk.failures == [], f"{len(walk.failures)} CPIC recommendations differ:\n" + "\n".join(
        walk.failures
    )


def test_every_departure_is_still_needed(walk: Walk) -> None:
    departures = _load("departures.yaml")["departures"]
    unused = [
        f"{', '.join(_drugs(d))}: {d['reason'][:60]}"
        for i, d in enumerate(departures)
        if i not in walk.departures_used
    ]
    assert unused == []


def test_every_departure_is_explained_and_cited() -> None:
    for departure in _load("departures.yaml")["departures"]:
        assert departure["kind"] in {"update", "scope", "principle", "gap"}, departure
        assert departure["pgx"] != "any" or departure["kind"] == "gap", departure
        assert departure["reason"].strip(), departure
        assert departure["citations"], departure
        for citation in departure["citations"]:
            assert re.fullmatch(r"PMID:\d+|DOI:10\.\S+|https://\S+", citation), citation


def test_drugs_without_rules_are_the_listed_ones(walk: Walk) -> None:
    assert walk.uncovered == set(_load("departures.yaml")["not_encoded"])


def test_the_walk_covers_the_export(walk: Walk) -> None:
    # the figures docs/cpic-conformance.md quotes
    assert walk.counts["walked"] >= 1500
    assert walk.counts["reproduced"] > walk.counts["departure"]
    # every CPIC drug whose genes pgx phenotypes has rules (1,812 rows reproduced, 201 departures)
    assert walk.counts["drug not encoded"] == 0
    assert walk.counts["reproduced"] >= 1812
    assert walk.counts["departure"] <= 201


def test_the_action_table_reads_cpic_wording() -> None:
    assert _allowed_actions("Abacavir is not recommended") == {"avoid", "use_alternative"}
    assert _allowed_actions("Prescribe ≤20mg as a starting dose") == {"reduce_dose"}
    assert "reduce_dose" in _allowed_actions("Initiate 50% of starting dose (e.g., 5 mg)")
    assert "increase_dose" in _allowed_actions("Increase starting dose 1.5 to 2 times")
    assert _allowed_actions("No recommendation") == set()
