"""Safety corrections of the bundled oncology rules, each on a whole report.

Each test evaluates one realistic profile against the bundled rules and checks the finding a
clinician would read: these failed with the rules before the corrections (an "avoid" on the
anti-EGFR partner of approved KRAS G12C regimens, IGF1R co-targeting in EGFR-mutant NSCLC,
trastuzumab for an amplified gastric IHC 1+ tumour, no alpelisib caution for prediabetes or
obesity, encorafenib + cetuximab for untreated or MSI-H colorectal cancer).
"""

from __future__ import annotations

from typing import Any

from pgx import evaluate
from pgx.report import Report
from tests.helpers import NOW


def _report(profile: dict[str, Any]) -> Report:
    return evaluate(profile, now=NOW)


def _fired(report: Report) -> set[str]:
    return {f.rule_id for f in report.findings}


# ------------------------------------------------------------------ KRAS G12C colorectal
_G12C_CRC_AFTER_CHEMO: dict[str, Any] = {
    "tumor": {
        "cancer_type": {"code": "COADREAD", "system": "oncotree"},
        "variants": [{"gene": "KRAS", "protein": "p.G12C", "vaf": 0.3}],
        "biomarkers": {"MSI": "MSS"},
    },
    "clinical": {
        "therapies": [
            {"drug": "fluorouracil", "outcome": "progression", "line": 1},
            {"drug": "oxaliplatin", "outcome": "progression", "line": 1},
            {"drug": "irinotecan", "outcome": "progression", "line": 2},
        ]
    },
}


def test_kras_g12c_crc_offers_both_approved_combinations() -> None:
    """Sotorasib + panitumumab and adagrasib + cetuximab are offered after chemotherapy."""
    report = _report(_G12C_CRC_AFTER_CHEMO)
    soto = report.finding("crc-kras-g12c-sotorasib-panitumumab")
    adagr = report.finding("crc-kras-g12c-adagrasib-cetuximab")
    assert soto is not None
    assert adagr is not None
    assert soto.action == "consider"
    assert soto.evidence.level == "1"
    assert soto.regimen is not None
    assert set(soto.regimen.all_of or ()) == {"sotorasib", "panitumumab"}
    assert adagr.regimen is not None
    assert set(adagr.regimen.all_of or ()) == {"adagrasib", "cetuximab"}


def test_kras_g12c_crc_never_says_avoid_anti_egfr_outright() -> None:
    """No blanket "avoid cetuximab/panitumumab"; the warning is about monotherapy."""
    report = _report(_G12C_CRC_AFTER_CHEMO)
    avoid = [
        f
        for f in report.findings
        if f.action == "avoid" and {"cetuximab", "panitumumab"} & set(f.drugs)
    ]
    assert avoid == []
    assert report.finding("crc-ras-mutant-anti-egfr-avoid") is None
    warning = report.finding("crc-kras-g12c-anti-egfr-without-g12c-inhibitor")
    assert warning is not None
    assert warning.indicator == "critical"
    assert "without a KRAS G12C inhibitor" in warning.summary
    # nothing contradicts the approved regimens
    assert [c for c in report.conflicts if c.drug in {"cetuximab", "panitumumab"}] == []


def test_kras_g12d_crc_still_avoids_anti_egfr() -> None:
    """Other RAS mutations keep the red avoid finding."""
    profile = {
        "tumor": {
            "cancer_type": {"code": "COADREAD", "system": "oncotree"},
            "variants": [{"gene": "KRAS", "protein": "p.G12D"}],
        }
    }
    finding = _report(profile).finding("crc-ras-mutant-anti-egfr-avoid")
    assert finding is not None
    assert finding.action == "avoid"
    assert finding.indicator == "critical"


# ------------------------------------------------------------------ IGF1R co-targeting
def _igf1r_nsclc(variants: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "tumor": {
            "cancer_type": {"code": "LUAD", "system": "oncotree"},
            "variants": variants,
            "expression": {"IGF1R": {"ihc": "3+"}},
        },
        "clinical": {"therapies": [{"drug": "erlotinib", "outcome": "progression"}]},
    }


def test_igf1r_cotargeting_silent_in_egfr_mutant_nsclc_after_tki() -> None:
    """NCT01221077: linsitinib + erlotinib did worse in EGFR-mutant NSCLC."""
    profile = _igf1r_nsclc(
        [{"gene": "EGFR", "protein": "p.L858R"}, {"gene": "EGFR", "protein": "p.T790M"}]
    )
    report = _report(profile)
    rule = "igf1r-high-anti-egfr-progression-igf1r-cotargeting"
    assert rule not in _fired(report)
    assert rule not in {i.rule_id for i in report.indeterminate}
    # the standard option is still there
    assert "nsclc-egfr-t790m-after-tki-osimertinib" in _fired(report)


def test_igf1r_cotargeting_is_trial_only_without_figitumumab() -> None:
    """Elsewhere the finding says "clinical trial only" and never offers figitumumab."""
    report = _report(_igf1r_nsclc([]))
    finding = report.finding("igf1r-high-anti-egfr-progression-igf1r-cotargeting")
    assert finding is not None
    assert finding.summary.startswith("Clinical trial only")
    assert finding.evidence.level == "4"
    assert "figitumumab" not in finding.drugs
    assert finding.regimen is not None
    assert "figitumumab" not in (finding.regimen.any_of or ())
    against = [c for a in finding.against for c in a.citations]
    assert "NCT:NCT00924989" in against  # GALACCTIC
    assert "NCT:NCT01221077" in against


# ------------------------------------------------------------------ gastric HER2
def test_gastric_her2_amplified_ihc1_gets_no_trastuzumab() -> None:
    """ToGA / label: IHC 3+ or IHC 2+ with ISH; amplification with IHC 1+ is not enough."""
    profile = {
        "tumor": {
            "cancer_type": {"code": "STAD", "system": "oncotree"},
            "copy_number": [{"gene": "ERBB2", "status": "amplification"}],
            "expression": {"ERBB2": {"ihc": "1+"}},
        }
    }
    report = _report(profile)
    assert "gastric-gej-erbb2-positive-trastuzumab" not in _fired(report)
    assert "gastric-gej-erbb2-positive-trastuzumab" not in {i.rule_id for i in report.indeterminate}


def test_gastric_her2_ihc2_with_ish_gets_trastuzumab() -> None:
    profile = {
        "tumor": {
            "cancer_type": {"code": "GEJ", "system": "oncotree"},
            "copy_number": [{"gene": "ERBB2", "status": "amplification"}],
            "expression": {"ERBB2": {"ihc": "2+"}},
        }
    }
    finding = _report(profile).finding("gastric-gej-erbb2-positive-trastuzumab")
    assert finding is not None
    assert finding.evidence.level == "1"


# ------------------------------------------------------------------ alpelisib
def _glucose_profile(hba1c: float, bmi: float) -> dict[str, Any]:
    return {
        "clinical": {
            "diagnoses": [],
            "medications": [],
            "labs": {
                "HbA1c": {"value": hba1c, "unit": "%"},
                "fasting_glucose": {"value": 90, "unit": "mg/dL"},
                "BMI": {"value": bmi, "unit": "kg/m2"},
            },
        }
    }


def test_alpelisib_caution_for_prediabetes() -> None:
    report = _report(_glucose_profile(hba1c=6.1, bmi=24))
    finding = report.finding("alpelisib-diabetes-hyperglycemia-caution")
    assert finding is not None
    assert finding.action == "caution"
    assert "fasting" in (finding.detail or "")


def test_alpelisib_caution_for_obesity() -> None:
    report = _report(_glucose_profile(hba1c=5.3, bmi=32))
    assert "alpelisib-diabetes-hyperglycemia-caution" in _fired(report)


def test_alpelisib_no_caution_without_risk_factors() -> None:
    report = _report(_glucose_profile(hba1c=5.3, bmi=23))
    assert "alpelisib-diabetes-hyperglycemia-caution" not in _fired(report)
    assert "alpelisib-diabetes-hyperglycemia-caution" not in {
        i.rule_id for i in report.indeterminate
    }


# ------------------------------------------------------------------ BRAF V600E colorectal
def _braf_crc(msi: str, therapies: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "tumor": {
            "cancer_type": {"code": "COADREAD", "system": "oncotree"},
            "variants": [{"gene": "BRAF", "protein": "p.V600E"}],
            "biomarkers": {"MSI": msi, "MMR": "dMMR" if msi == "MSI-H" else "pMMR"},
        },
        "clinical": {"therapies": therapies},
    }


def test_braf_crc_untreated_gets_first_line_triplet_not_the_doublet() -> None:
    report = _report(_braf_crc("MSS", []))
    fired = _fired(report)
    assert "crc-braf-v600e-encorafenib-cetuximab" not in fired
    first_line = report.finding("crc-braf-v600e-encorafenib-cetuximab-chemotherapy-first-line")
    assert first_line is not None
    assert first_line.regimen is not None
    assert set(first_line.regimen.all_of or ()) == {"encorafenib", "cetuximab", "fluorouracil"}


def test_braf_crc_msi_h_gets_immunotherapy_not_encorafenib() -> None:
    report = _report(_braf_crc("MSI-H", [{"drug": "oxaliplatin", "outcome": "progression"}]))
    fired = _fired(report)
    assert "crc-braf-v600e-encorafenib-cetuximab" not in fired
    assert "crc-braf-v600e-encorafenib-cetuximab-chemotherapy-first-line" not in fired
    assert "crc-msi-h-dmmr-immunotherapy" in fired


def test_braf_crc_after_chemotherapy_gets_the_doublet() -> None:
    report = _report(_braf_crc("MSS", [{"drug": "oxaliplatin", "outcome": "progression"}]))
    assert "crc-braf-v600e-encorafenib-cetuximab" in _fired(report)
