"""FHIR in and out of the facts a report does not carry: HLA carriage and the tumour profile
(somatic variants, copy number, fusions, expression, TMB, MSI)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgx import evaluate, load_profile
from pgx.fhir import profile_from_bundle, to_fhir, validate
from pgx.model.profile import Profile

NOW = "2026-01-02T03:04:05Z"
LOINC = "http://loinc.org"
SO = "http://sequenceontology.org"
SUBJECT = {"reference": "Patient/p1"}

PROFILE = {
    "pgx_profile": 1,
    "id": "p1",
    "germline": {
        "HLA-B": {"carriers": {"*57:01": True, "*15:02": False}},
        "CYP2C19": {"diplotype": "*1/*2"},
    },
    "tumor": {
        "cancer_type": {"code": "LUAD"},
        "variants": [
            {"gene": "KRAS", "protein": "p.G12C", "hgvsc": "c.34G>T", "vaf": 0.22},
            {"gene": "EGFR", "protein": "p.L858R"},
        ],
        "copy_number": [
            {"gene": "ERBB2", "status": "amplification", "copies": 12},
            {"gene": "MET", "status": "gain"},
            {"gene": "PTEN", "status": "deletion", "copies": 0},
            {"gene": "BRCA2", "status": "loss", "copies": 1},
        ],
        "fusions": [{"gene": "ALK", "partner": "RET"}, {"gene": "ROS1"}],
        "expression": {
            "ERBB2": {"ihc": "2+"},
            "IGF1R": {"z_score": 2.4, "tpm": 210.0},
            "INSR": {"level": "low"},
        },
        "biomarkers": {"TMB": 12.5, "MSI": "MSS", "ER": "positive"},
    },
}


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(PROFILE)


@pytest.fixture(scope="module")
def bundle(profile: Profile) -> dict[str, Any]:
    return to_fhir(evaluate(profile, now=NOW), profile=profile)


def test_written_facts_validate_and_are_results_of_the_report(bundle: dict[str, Any]) -> None:
    pytest.importorskip("fhir.resources")
    validate(bundle)
    (report,) = [e["resource"] for e in bundle["entry"] if "result" in e["resource"]]
    observations = {
        e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    }
    assert {r["reference"] for r in report["result"]} == observations


def test_round_trip_keeps_carriage_and_the_tumour(profile: Profile, bundle: dict[str, Any]) -> None:
    again = profile_from_bundle(bundle)
    assert again.germline["HLA-B"].carriers == {"*57:01": True, "*15:02": False}
    assert again.germline["CYP2C19"].diplotype == "*1/*2"
    assert profile.tumor is not None
    assert again.tumor is not None
    assert again.tumor.variants == profile.tumor.variants
    assert again.tumor.copy_number == profile.tumor.copy_number
    assert again.tumor.fusions == profile.tumor.fusions
    assert again.tumor.expression == profile.tumor.expression
    # ER has no IG profile and is not written; TMB and MSI are
    assert again.tumor.biomarkers == {"MSI": "MSS", "TMB": 12.5}
    # copy number and fusions are reported: no gene counts as sequenced for every kind
    assert again.tumor.sequenced_genes == ()
    first = evaluate(profile, now=NOW)
    second = evaluate(again, now=NOW)
    fired = {f.rule_id for f in first.findings}
    assert {f.rule_id for f in second.findings} <= fired  # nothing new from the round trip


def test_carriage_is_written_as_the_ig_genotype_with_an_interpretation(
    bundle: dict[str, Any],
) -> None:
    carriage = {
        e["resource"]["valueCodeableConcept"]["text"]: e["resource"]["interpretation"]
        for e in bundle["entry"]
        if "interpretation" in e["resource"]
    }
    assert set(carriage) == {"HLA-B*57:01 positive", "HLA-B*15:02 negative"}
    assert carriage["HLA-B*15:02 negative"][0]["coding"][0]["code"] == "NEG"


def test_a_profile_the_report_did_not_come_from_is_refused(profile: Profile) -> None:
    report = evaluate(profile, now=NOW)
    other = load_profile({"pgx_profile": 1, "germline": {"CYP2C19": {"diplotype": "*1/*1"}}})
    with pytest.raises(ValueError, match="not the one this report was evaluated from"):
        report.to_fhir(profile=other)
    assert report.to_fhir(profile=profile) == to_fhir(report, profile=profile)


# ------------------------------------------------------------------ in, as EHRs file them
def _gene(symbol: str) -> dict[str, Any]:
    return {
        "code": {"coding": [{"system": LOINC, "code": "48018-6"}]},
        "valueCodeableConcept": {"text": symbol},
    }


def _comp(code: str, **value: Any) -> dict[str, Any]:
    return {"code": {"coding": [{"system": LOINC, "code": code}]}, **value}


def _obs(rid: str, code: Any, status: str = "final", **fields: Any) -> dict[str, Any]:
    concept = {"coding": [{"system": LOINC, "code": code}]} if isinstance(code, str) else code
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": status,
        "code": concept,
        "subject": SUBJECT,
        **fields,
    }


def _structural(rid: str, so: str, *extra: dict[str, Any], present: bool = True) -> dict[str, Any]:
    answer = "LA9633-4" if present else "LA9634-2"
    return _obs(
        rid,
        "69548-6",
        valueCodeableConcept={"coding": [{"system": LOINC, "code": answer}]},
        component=[
            _comp(
                "48002-0", valueCodeableConcept={"coding": [{"system": LOINC, "code": "LA6684-0"}]}
            ),
            _comp("48019-4", valueCodeableConcept={"coding": [{"system": SO, "code": so}]}),
            *extra,
        ],
    )


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def test_copy_number_fusion_tmb_msi_and_ihc_as_an_ehr_files_them() -> None:
    cnv = _structural(
        "c1", "SO:0001019", _gene("ERBB2"), _comp("82155-3", valueQuantity={"value": 8})
    )
    fusion = _structural(
        "f1",
        "SO:0001565",
        _gene("ALK"),
        _comp("95123-6", valueCodeableConcept={"text": "EML4::ALK"}),
    )
    tmb = _obs("t1", "94076-7", valueQuantity={"value": 14, "unit": "Mutations/Megabase"})
    msi = _obs("m1", "81695-9", valueCodeableConcept={"text": "MSI-H"})
    ihc = _obs(
        "i1",
        {"text": "HER2 Ag [Presence] in Tissue by Immune stain"},
        valueCodeableConcept={"text": "Positive (3+)"},
        component=[_gene("ERBB2")],
    )
    profile = profile_from_bundle(_bundle(cnv, fusion, tmb, msi, ihc))
    assert profile.tumor is not None
    assert [(c.gene, c.status, c.copies) for c in profile.tumor.copy_number or ()] == [
        ("ERBB2", "gain", 8.0)
    ]
    # EML4 is not a gene pgx knows: the partner stays unknown, never guessed
    assert [(f.gene, f.partner) for f in profile.tumor.fusions or ()] == [("ALK", None)]
    assert profile.tumor.biomarkers == {"MSI": "MSI-H", "TMB": 14.0}
    assert profile.tumor.expression is not None
    assert profile.tumor.expression["ERBB2"].ihc == "3+"
    assert profile.warnings == ()


@pytest.mark.parametrize(
    ("resource", "warning"),
    [
        (
            _obs("t2", "94076-7", valueQuantity={"value": 14, "unit": "%"}),
            "Observation/t2: TMB without a value in mutations per megabase",
        ),
        (
            _obs("m2", "81695-9", valueCodeableConcept={"text": "Indeterminate"}),
            "Observation/m2: MSI result 'Indeterminate' is not MSI-H, MSI-L or stable",
        ),
        (
            _structural("c2", "SO:0001019", _gene("MET")),
            "Observation/c2: MET copy-number change has no direction",
        ),
        (
            _structural("c3", "SO:0001742", _gene("MET"), present=False),
            "Observation/c3: absence of a copy-number change is not read as a negative",
        ),
        (
            _structural(
                "f2", "SO:0001565", _comp("95123-6", valueCodeableConcept={"text": "EML4::NUTM1"})
            ),
            "Observation/f2: fusion names no gene pgx knows",
        ),
        (
            _obs(
                "i2",
                {"text": "ERBB2 by immunohistochemistry"},
                valueString="strong",
                component=[_gene("ERBB2")],
            ),
            "Observation/i2: ERBB2 immunohistochemistry 'strong' is not a score",
        ),
        (
            _obs("s1", "94076-7", "preliminary", valueQuantity={"value": 3, "unit": "mut/Mb"}),
            "Observation/s1: status 'preliminary' is not a final result",
        ),
    ],
)
def test_what_cannot_be_mapped_is_a_warning_naming_the_resource(
    resource: dict[str, Any], warning: str
) -> None:
    profile = profile_from_bundle(_bundle(resource))
    assert profile.tumor is None
    assert any(w.startswith(warning) for w in profile.warnings), profile.warnings


def test_results_that_disagree_are_both_left_out() -> None:
    one = _obs("t1", "94076-7", valueQuantity={"value": 14, "unit": "mut/Mb"})
    two = copy.deepcopy(one) | {"id": "t2", "valueQuantity": {"value": 3, "unit": "mut/Mb"}}
    profile = profile_from_bundle(_bundle(one, two))
    assert profile.tumor is None
    assert "Observation/t2: TMB 3.0 disagrees with 14.0" in profile.warnings[0]


def _hla(rid: str, text: str, interpretation: str | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"valueCodeableConcept": {"text": text}, "component": [_gene("HLA-B")]}
    if interpretation is not None:
        system = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
        fields["interpretation"] = [{"coding": [{"system": system, "code": interpretation}]}]
    return _obs(rid, "84413-4", **fields)


def test_hla_carriage_negative_positive_and_contradictions() -> None:
    profile = profile_from_bundle(
        _bundle(
            _hla("a", "HLA-B*57:01 negative"),
            _hla("b", "HLA-B*15:02", "NEG"),
            _hla("c", "HLA-B*58:01 positive", "POS"),
        )
    )
    assert profile.germline["HLA-B"].carriers == {"*57:01": False, "*15:02": False, "*58:01": True}
    profile = profile_from_bundle(_bundle(_hla("d", "HLA-B*57:01 positive", "NEG")))
    assert profile.germline == {}
    assert profile.warnings[0].startswith("Observation/d: HLA-B *57:01 is positive but its inter")
    profile = profile_from_bundle(
        _bundle(_hla("e", "HLA-B*57:01"), _hla("f", "HLA-B*57:01", "NEG"))
    )
    assert profile.germline == {}
    assert "carriage disagrees" in profile.warnings[0]


def test_cli_writes_the_profile_facts(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    from pgx.cli import main

    path = tmp_path / "p.json"
    path.write_text(json.dumps(PROFILE))
    assert main(["evaluate", str(path), "--format", "fhir", "--now", NOW]) == 0
    out = json.loads(capsys.readouterr().out)
    texts = [e["resource"].get("valueCodeableConcept", {}).get("text") for e in out["entry"]]
    assert "HLA-B*57:01 positive" in texts


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    where=st.sampled_from(["component", "valueQuantity", "valueCodeableConcept", "interpretation"]),
    value=_json,
    kind=st.sampled_from(["cnv", "fusion", "tmb", "msi", "ihc", "hla"]),
)
def test_malformed_tumour_and_carriage_results_never_crash(
    where: str, value: Any, kind: str
) -> None:
    from pgx import ProfileError

    resource = {
        "cnv": _structural("c", "SO:0001742", _gene("ERBB2")),
        "fusion": _structural("f", "SO:0001565", _gene("ALK")),
        "tmb": _obs("t", "94076-7", valueQuantity={"value": 3, "unit": "mut/Mb"}),
        "msi": _obs("m", "81695-9", valueCodeableConcept={"text": "MSS"}),
        "ihc": _obs("i", {"text": "by IHC"}, valueString="3+", component=[_gene("ERBB2")]),
        "hla": _hla("h", "HLA-B*57:01 positive", "POS"),
    }[kind]
    resource[where] = value
    try:
        profile = profile_from_bundle(_bundle(resource))
    except ProfileError as exc:
        assert exc.problems
    else:
        assert isinstance(profile.warnings, tuple)


def test_the_tumour_example_bundle() -> None:
    from pathlib import Path

    bundle = Path(__file__).resolve().parent.parent / "examples" / "fhir" / "tumor-nsclc.json"
    profile = profile_from_bundle(bundle)
    assert profile.tumor is not None
    assert profile.tumor.cancer_type is not None
    assert profile.tumor.cancer_type.code == "LUAD"
    assert [(f.gene, f.partner) for f in profile.tumor.fusions or ()] == [("ALK", None)]
    assert [(c.gene, c.status) for c in profile.tumor.copy_number or ()] == [("ERBB2", "gain")]
    assert profile.tumor.biomarkers == {"MSI": "MSS", "TMB": 3.2}
    assert profile.warnings == (
        "Observation/pdl1-draft: status 'preliminary' is not a final result; not used as a fact",
    )
    report = evaluate(profile, now=NOW)
    assert [f.rule_id for f in report.findings] == ["nsclc-alk-fusion-alk-inhibitor"]
    # the ROS1 and RET fusion rules stay undecided: one reported fusion is not a negative test
    undecided = {i.rule_id for i in report.indeterminate}
    assert {
        "nsclc-ros1-fusion-ros1-inhibitor",
        "nsclc-ret-fusion-selective-ret-inhibitor",
    } <= undecided
