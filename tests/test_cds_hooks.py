"""CDS Hooks cards: findings as cards, undecided rules never silently dropped."""

from __future__ import annotations

import json
from pathlib import Path

from pgx import evaluate, load_profile
from pgx.cds_hooks import cards
from tests.helpers import NOW, ROOT

PROFILE = ROOT / "examples" / "profiles" / "germline-clopidogrel-codeine.yaml"


def test_cards_for_order_select() -> None:
    """Ordering clopidogrel for a CYP2C19 IM gives a warning card per source (CPIC, DPWG),
    each with its rule, evidence and citation."""
    report = evaluate(PROFILE, drugs=["clopidogrel"], now=NOW)
    card, dpwg = sorted(cards(report)["cards"], key=lambda c: "(DPWG)" in c["source"]["label"])
    assert card["indicator"] == "warning"
    assert card["summary"].startswith("CYP2C19 intermediate metabolizer")
    assert len(card["summary"]) <= 140
    assert "cpic-cyp2c19-clopidogrel-intermediate v1.0.0 (CPIC)" in card["source"]["label"]
    assert "Evidence level 1 (strong)" in card["detail"]
    assert "PMID:35034351" in card["detail"]
    # DPWG disagrees on the fallback (double the dose): shown beside CPIC, with its source
    assert dpwg["indicator"] == "warning"
    assert "dpwg-cyp2c19-clopidogrel-intermediate v1.0.0 (DPWG)" in dpwg["source"]["label"]
    assert "150 mg/day" in dpwg["summary"]
    assert "Evidence level 2." in dpwg["detail"]
    assert "PMID:21412232" in dpwg["detail"]


def test_undecided_rules_become_info_cards() -> None:
    """A drug whose gene was not tested gets an info card naming the missing test."""
    report = evaluate(PROFILE, drugs=["warfarin"], now=NOW)
    response = cards(report)["cards"]
    assert response
    assert all(c["indicator"] == "info" for c in response)
    assert any("CYP2C9" in c["summary"] for c in response)
    # every group of undecided rules as its own card on request
    full = cards(report, undecided="full")["cards"]
    assert any("germline.CYP2C9" in c["summary"] for c in full)


def test_cards_are_deterministic() -> None:
    """The same report gives byte-identical cards, with stable ids."""
    first = json.dumps(cards(evaluate(PROFILE, now=NOW)), sort_keys=True)
    second = json.dumps(cards(evaluate(PROFILE, now=NOW)), sort_keys=True)
    assert first == second


def test_warnings_lead_the_cards(tmp_path: Path) -> None:
    """A VCF with no pharmacogene position gave cards that read as a clean result."""
    head = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
    vcf = tmp_path / "empty.vcf"
    vcf.write_text(head, encoding="utf-8")
    report = evaluate(load_profile(vcf=vcf), drugs=["clopidogrel", "prasugrel"], now=NOW)
    first, *rest = cards(report)["cards"]
    assert first["indicator"] == "warning"
    assert first["summary"].startswith("Check the patient's data: 0 of ")
    (found,) = [w for w in report.warnings if w.startswith("0 of ")]
    assert found in first["detail"]
    assert "no pgx rule covers prasugrel" not in first["detail"]  # it has its own card
    assert any(c["summary"] == "No pgx rule covers prasugrel" for c in rest)
    assert [c for c in cards(evaluate({}, now=NOW))["cards"] if c["indicator"] == "warning"] == []


def test_service_cards_stay_silent_for_standard_dosing_unless_asked() -> None:
    """At the point of ordering, only findings that ask for action become cards: a CYP2C19
    normal metabolizer ordering clopidogrel gets none; with ``normal=True`` the standard-dosing
    card is there. A poor metabolizer's findings are cards either way."""
    from pgx.cds_hooks import service_cards

    normal = evaluate({"germline": {"CYP2C19": {"diplotype": "*1/*1"}}}, drugs=["clopidogrel"])
    assert [f.action for f in normal.findings] == ["standard_dosing"]
    assert service_cards(normal)["cards"] == []
    (card,) = service_cards(normal, normal=True)["cards"]
    assert card["indicator"] == "info"
    assert "cpic-cyp2c19-clopidogrel-normal-rapid-ultrarapid" in card["source"]["label"]

    poor = evaluate({"germline": {"CYP2C19": {"diplotype": "*2/*2"}}}, drugs=["clopidogrel"])
    quiet, loud = service_cards(poor)["cards"], service_cards(poor, normal=True)["cards"]
    assert quiet == loud
    assert [c["indicator"] for c in quiet] == ["warning", "warning"]


def test_service_undecided_card_says_which_results_were_not_used() -> None:
    """The example record holds a preliminary TPMT result and a DPYD result entered in error:
    ordering azathioprine, the undecided card names the preliminary TPMT Observation, so the
    clinician is not left to think TPMT was never tested. Clopidogrel, decided from a final
    CYP2C19 result, gets no extra card for those warnings."""
    from pgx.cds_hooks import service_cards
    from pgx.fhir import profile_from_bundle

    bundle = json.loads((ROOT / "examples" / "fhir" / "pgx-genotypes.json").read_text("utf-8"))
    profile = profile_from_bundle(bundle)
    report = evaluate(profile, drugs=["azathioprine"], now=NOW)
    assert report.indeterminate
    (card,) = [c for c in service_cards(report)["cards"] if c["indicator"] == "info"]
    assert card["summary"].startswith("Genomic result needed to decide azathioprine")
    assert "Not used from the patient's record:" in card["detail"]
    assert "- Observation/tpmt-genotype-draft: status 'preliminary'" in card["detail"]

    decided = evaluate(profile, drugs=["clopidogrel"], now=NOW)
    assert decided.warnings and not decided.indeterminate
    shown = service_cards(decided)["cards"]
    assert shown and all("Not used from" not in c["detail"] for c in shown)
    assert all(isinstance(c["extension"]["pgx.rule"], dict) for c in shown)  # findings only
