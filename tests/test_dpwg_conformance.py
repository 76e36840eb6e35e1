"""Every DPWG genotype group for the genes pgx reads, against pgx's DPWG findings.

PharmGKB's annotations of the Dutch Pharmacogenetics Working Group guidelines (August 2023, one
file per drug and gene, in the shared data snapshot ``../shared/data/guidelines-2023-08/dpwg/``)
list, per genotype group, whether DPWG advises a change (``rxChangeStatus``) and what. For each
group of a gene pgx reads, the test builds the profiles a lab would send (CYP2D6: the ends of
the group's activity score range; other genes: one diplotype per allele-function pair the group
lists) and checks pgx's findings of source DPWG: no actionable finding where DPWG advises no
change, and a finding whose action the recommendation names where it does
(``tests/data/dpwg/conformance.yaml``). Where pgx knowingly differs, or has no DPWG rule for a
drug and gene yet, ``tests/data/dpwg/departures.yaml`` says so and why.

The snapshot is not part of the repository: the test skips when it is absent. Set
``PGX_SHARED_DATA`` to the shared data folder to run it from elsewhere.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from pgx import RuleSet, default_ruleset, evaluate
from pgx.model._words import leaves_of
from tests.helpers import DATA, NOW, ROOT

SHARED = Path(os.environ.get("PGX_SHARED_DATA", ROOT.parent / "shared" / "data"))
SNAPSHOT = SHARED / "guidelines-2023-08" / "dpwg"
TABLES = DATA / "dpwg"
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_LABEL = re.compile(r"^(?P<function>[^(]+?)(?: \((?P<allele>[^)]+)\))?$")


def _load(name: str) -> Any:
    return yaml.safe_load((TABLES / name).read_text(encoding="utf-8"))


def _text(fragment: Mapping[str, Any] | None) -> str:
    """PharmGKB's HTML fragment as plain text."""
    raw = (fragment or {}).get("html") or ""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


@dataclass(frozen=True)
class Group:
    """One DPWG genotype group for one drug and gene."""

    drug: str
    gene: str
    name: str
    change: str
    text: str
    activity: str
    pairs: tuple[str, ...]
    alleles: Mapping[str, tuple[str, ...]] = field(repr=False)
    pmids: tuple[str, ...] = ()

    def label(self) -> str:
        return f"{self.drug}/{self.gene} [{self.name}]"


def groups() -> Iterator[Group]:
    """Every genotype group of the snapshot, in file order."""
    for path in sorted(SNAPSHOT.glob("*_and_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        guideline = data["guideline"]
        (gene_entry,) = guideline["guidelineGenes"]
        gene = gene_entry["gene"]["symbol"]
        by_function: dict[str, tuple[str, ...]] = {}
        for allele in gene_entry["alleles"]:
            if allele.get("function"):
                term = allele["function"]["term"]
                by_function[term] = (*by_function.get(term, ()), allele["_label"])
        drug = path.name.split("_and_")[0].replace("_", " ")
        pmids = tuple(f"PMID:{c['pmid']}" for c in data["citations"] if c.get("pmid"))
        for row in data["annotationGroups"]:
            yield Group(
                drug=drug,
                gene=gene,
                name=row["name"],
                change=row["rxChangeStatus"]["term"],
                text=_text(row["recommendation"]),
                activity=_text(row.get("activityScore")),
                pairs=tuple(p.split(":", 1)[1] for p in row["genePhenotypes"]),
                alleles=by_function,
                pmids=pmids,
            )


def _allele(group: Group, label: str, ruleset: RuleSet) -> str | None:
    """The allele written for one function label of a pair (None: pgx's table has none)."""
    curated = _load("conformance.yaml")["alleles"].get(group.gene, {})
    if label in curated:
        return curated[label]  # type: ignore[no-any-return]
    match = _LABEL.match(label)
    assert match is not None, label
    named = match.group("allele")
    if named and named.startswith(("*", f"{group.gene}*")):
        return named.removeprefix(group.gene)
    table = ruleset.knowledge.gene_phenotypes[group.gene]
    known = [a for a in group.alleles.get(label, ()) if table.canonical(a) is not None]
    return known[0] if known else None


def probes(group: Group, ruleset: RuleSet) -> list[dict[str, Any]] | None:
    """The germline sections walked for the group (None: not expressible as a profile).

    A pair with an allele function none of whose DPWG alleles pgx's table knows is left out:
    pgx reports such a patient undecided (an unknown allele is never read as normal).
    """
    config = _load("conformance.yaml")
    if group.gene in config["activity_score_genes"]:
        scores = [float(n) for n in _NUMBER.findall(group.activity)]
        if not scores:
            return None
        return [{group.gene: {"activity_score": s}} for s in sorted(set(scores))]
    out: list[dict[str, Any]] = []
    for pair in group.pairs:
        labels = pair.split("/")
        if group.gene in config["variants"]:
            spec = config["variants"][group.gene]
            bases = "/".join(spec["bases"][label] for label in labels)
            out.append({group.gene: {"variants": {spec["rsid"]: bases}}})
            continue
        alleles = [_allele(group, label, ruleset) for label in labels]
        if None not in alleles:
            out.append({group.gene: {"diplotype": "/".join(a for a in alleles if a)}})
    return out or None


def allowed_actions(text: str) -> set[str]:
    allowed: set[str] = set()
    for row in _load("conformance.yaml")["actions"]:
        if re.search(row["phrase"], text, re.IGNORECASE):
            allowed.update(row["actions"])
    return allowed


@dataclass(frozen=True)
class Outcome:
    """pgx's DPWG findings for one drug, and whether a DPWG rule was undecided."""

    findings: tuple[tuple[str, str | None, str], ...]
    indeterminate: bool
    citations: frozenset[str] = frozenset()


def dpwg_rule_ids(ruleset: RuleSet, genes: set[str] | None = None) -> set[str]:
    """Ids of the DPWG rules (reading one of ``genes``, if given)."""
    return {
        r.id
        for r in ruleset.rules
        if r.source == "DPWG"
        and (
            genes is None or any(getattr(leaf, "gene", None) in genes for leaf in leaves_of(r.when))
        )
    }


def outcome(germline: Mapping[str, Any], drug: str, ruleset: RuleSet) -> Outcome:
    """DPWG findings for the drug from rules reading the walked gene (another gene's DPWG
    rules for the drug, e.g. NUDT15's for a TPMT group, are undecided and not compared)."""
    ids = dpwg_rule_ids(ruleset, set(germline))
    report = evaluate({"germline": dict(germline)}, ruleset, drugs=[drug], now=NOW)
    found = tuple(
        sorted(
            (f.action, f.evidence.strength, f.rule_id)
            for f in report.findings
            if drug in f.drugs and f.rule_id in ids
        )
    )
    undecided = any(drug in i.drugs and i.rule_id in ids for i in report.indeterminate)
    cited = frozenset(
        c for f in report.findings if drug in f.drugs and f.rule_id in ids for c in f.citations
    )
    return Outcome(found, undecided, cited)


def conforms(group: Group, result: Outcome) -> bool:
    """pgx gives DPWG's advice: nothing actionable for "No", a named action otherwise.

    A DPWG finding claims no CPIC grade, and cites the guideline where the data gives its PMID.
    """
    if any(strength is not None for _, strength, _ in result.findings):
        return False
    if result.findings and group.pmids and not result.citations & set(group.pmids):
        return False
    no_action = set(_load("conformance.yaml")["no_action"])
    if group.change == "No":
        return not result.indeterminate and all(a in no_action for a, _, _ in result.findings)
    allowed = allowed_actions(group.text)
    return any(action in allowed for action, _, _ in result.findings)


def _matches(departure: Mapping[str, Any], group: Group) -> bool:
    if departure["drug"] != group.drug or departure["gene"] != group.gene:
        return False
    return "groups" not in departure or group.name in departure["groups"]


def as_departure(departure: Mapping[str, Any], result: Outcome) -> bool:
    """pgx does what the departure says it does instead."""
    pgx = departure["pgx"]
    if pgx == "indeterminate":
        return result.indeterminate and not result.findings
    if pgx == "none":
        return not result.findings
    return any(action == pgx["action"] for action, _, _ in result.findings)


def encoded_pairs(ruleset: RuleSet) -> set[tuple[str, str]]:
    """(drug, gene) pairs some active DPWG rule reads."""
    pairs: set[tuple[str, str]] = set()
    for rule in ruleset.rules:
        if rule.source != "DPWG" or rule.status != "active":
            continue
        genes = {g for leaf in leaves_of(rule.when) if (g := getattr(leaf, "gene", None))}
        pairs |= {(drug, gene) for drug in rule.drugs for gene in genes}
    return pairs


@dataclass
class Walk:
    """The result of walking the snapshot."""

    counts: Counter[str]
    failures: list[str]
    departures_used: Counter[int]
    uncovered: set[str]


def walk_snapshot() -> Walk:
    """Walk every genotype group (also used to print the figures)."""
    ruleset = default_ruleset()
    config = _load("conformance.yaml")
    read = set(ruleset.knowledge.gene_phenotypes) | set(config["variants"])
    encoded = encoded_pairs(ruleset)
    departures = _load("departures.yaml")["departures"]
    counts: Counter[str] = Counter()
    used: Counter[int] = Counter()
    failures: list[str] = []
    uncovered: set[str] = set()
    for group in groups():
        counts["groups"] += 1
        if group.gene not in read:
            counts["gene pgx does not read"] += 1
            continue
        counts["walked"] += 1
        if (group.drug, group.gene) not in encoded:
            uncovered.add(f"{group.drug}/{group.gene}")
            counts["not encoded"] += 1
            continue
        walked = probes(group, ruleset)
        hits = [i for i, d in enumerate(departures) if _matches(d, group)]
        if walked is None:
            if hits and departures[hits[0]]["pgx"] == "not expressible":
                used[hits[0]] += 1
                counts["departure"] += 1
                continue
            failures.append(f"{group.label()}: not expressible as a profile and no departure")
            continue
        results = [outcome(germline, group.drug, ruleset) for germline in walked]
        if all(conforms(group, r) for r in results):
            counts["reproduced"] += 1
            continue
        if hits and all(
            conforms(group, r) or as_departure(departures[hits[0]], r) for r in results
        ):
            used[hits[0]] += 1
            counts["departure"] += 1
            continue
        shown = "; ".join(
            f"{json.dumps(g, sort_keys=True)} -> {list(r.findings) or 'nothing'}"
            + (" (undecided)" if r.indeterminate else "")
            for g, r in zip(walked, results, strict=True)
        )
        failures.append(
            f"{group.label()}: DPWG change {group.change} "
            f"({', '.join(sorted(allowed_actions(group.text))) or 'no action phrase'}); {shown}"
            + (f"; departure #{hits[0]} does not describe it" if hits else "")
        )
    return Walk(counts, failures, used, uncovered)


@pytest.fixture(scope="module")
def walk() -> Walk:
    if not SNAPSHOT.is_dir():
        pytest.skip(f"DPWG annotations not present at {SNAPSHOT}")
    return walk_snapshot()


def test_every_group_is_reproduced_or_a_documented_departure(walk: Walk) -> None:
    assert walk.failures == [], f"{len(walk.failures)} DPWG groups differ:\n" + "\n".join(
        walk.failures
    )


def test_every_departure_is_still_needed(walk: Walk) -> None:
    departures = _load("departures.yaml")["departures"]
    unused = [
        f"{d['drug']}/{d['gene']}: {d['reason'][:60]}"
        for i, d in enumerate(departures)
        if i not in walk.departures_used
    ]
    assert unused == []


def test_every_departure_is_explained_and_cited() -> None:
    for departure in _load("departures.yaml")["departures"]:
        assert departure["kind"] in {"scope", "principle", "source"}, departure
        assert departure["reason"].strip(), departure
        assert departure["citations"], departure
        for citation in departure["citations"]:
            assert re.fullmatch(r"PMID:\d+|DOI:10\.\S+|https://\S+", citation), citation


def test_drug_gene_pairs_without_rules_are_the_listed_ones(walk: Walk) -> None:
    listed = _load("departures.yaml")["not_encoded"]
    assert walk.uncovered == {entry["pair"] for entry in listed}
    for entry in listed:
        assert entry["why"].strip(), entry


def test_the_walk_covers_the_snapshot(walk: Walk) -> None:
    # the figures docs/dpwg-conformance.md quotes
    assert walk.counts["groups"] == 224
    assert walk.counts["walked"] == 221
    assert walk.counts["reproduced"] >= 213
    assert walk.counts["not encoded"] == 0


def test_dpwg_rules_claim_no_cpic_grade_and_cite_a_source() -> None:
    for rule in default_ruleset().rules:
        if rule.source == "DPWG":
            assert rule.then.evidence.strength is None, rule.id
            assert rule.then.citations, rule.id


def test_the_walk_builds_the_profiles_a_lab_sends() -> None:
    group = Group(
        drug="clopidogrel",
        gene="CYP2C19",
        name="PM",
        change="Yes",
        text="",
        activity="",
        pairs=("Decreased function/No function",),
        alleles={"Decreased function": ("*9",), "No function": ("*999", "*2")},
    )
    ruleset = default_ruleset()
    assert probes(group, ruleset) == [{"CYP2C19": {"diplotype": "*9/*2"}}]
    cyp2d6 = Group("haloperidol", "CYP2D6", "IM", "No", "", "0.25-1", (), {})
    assert probes(cyp2d6, ruleset) == [
        {"CYP2D6": {"activity_score": 0.25}},
        {"CYP2D6": {"activity_score": 1.0}},
    ]
    warfarin = Group(
        "warfarin", "CYP2C9", "*2/*3", "Yes", "", "",
        ("Decreased function (CYP2C9*2)/Decreased function (CYP2C9*3)",), {},
    )  # fmt: skip
    assert probes(warfarin, ruleset) == [{"CYP2C9": {"diplotype": "*2/*3"}}]


def test_the_action_table_reads_dpwg_wording() -> None:
    assert allowed_actions("Use 70% of the standard dose") == {"reduce_dose"}
    assert "increase_dose" in allowed_actions("Use 1.5 times the normal dose")
    assert allowed_actions("Avoid siponimod.") == {"avoid", "use_alternative"}
    assert "monitor" in allowed_actions("monitor the plasma concentration")
    assert allowed_actions("The guideline does not provide a recommendation") == set()


def main() -> None:
    """Print the figures and the failures (``python -m tests.test_dpwg_conformance``)."""
    walk = walk_snapshot()
    for key, value in sorted(walk.counts.items()):
        print(f"{key}: {value}")
    print("not encoded:", ", ".join(sorted(walk.uncovered)))
    print("\n".join(walk.failures))


if __name__ == "__main__":
    main()
