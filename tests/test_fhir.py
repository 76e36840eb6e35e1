"""FHIR R4 in and out: Genomics Reporting IG bundles to profiles, reports to bundles."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgx import InputError, ProfileError, evaluate, load_profile
from pgx.cli import main
from pgx.fhir import RULE_SYSTEM, profile_from_bundle, to_fhir, validate

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "fhir"
NOW = "2026-01-02T03:04:05Z"
LOINC = "http://loinc.org"
HGNC = "http://www.genenames.org/geneId"
SUBJECT = {"reference": "Patient/p1"}


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return data


def _gene(symbol: str, hgnc: str | None = None) -> dict[str, Any]:
    value = (
        {"coding": [{"system": HGNC, "code": hgnc, "display": symbol}]}
        if hgnc
        else {"text": symbol}
    )
    return {
        "code": {"coding": [{"system": LOINC, "code": "48018-6"}]},
        "valueCodeableConcept": value,
    }


def _obs(rid: str, code: str, status: str = "final", **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": status,
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": SUBJECT,
        **fields,
    }


def _comp(code: str, **value: Any) -> dict[str, Any]:
    return {"code": {"coding": [{"system": LOINC, "code": code}]}, **value}


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def _genotype(rid: str, gene: str, text: str, status: str = "final") -> dict[str, Any]:
    return _obs(
        rid, "84413-4", status, valueCodeableConcept={"text": text}, component=[_gene(gene)]
    )


# ------------------------------------------------------------------ in
def test_example_bundle_reads_genotypes_phenotype_meds_and_conditions() -> None:
    profile = profile_from_bundle(EXAMPLES / "pgx-genotypes.json")
    assert profile.id == "example-pgx-1"
    assert profile.germline["CYP2C19"].diplotype == "*2/*2"
    assert profile.germline["CYP2D6"].diplotype == "*1/*4"  # from two haplotypes
    assert profile.germline["SLCO1B1"].phenotype == "Decreased Function"  # LOINC LA25395-7
    assert profile.clinical is not None
    assert profile.clinical.medications == ("omeprazole",)
    assert [d.code for d in profile.clinical.diagnoses or ()] == ["I21.9"]


def test_results_that_are_not_final_are_named_and_not_used() -> None:
    profile = profile_from_bundle(EXAMPLES / "pgx-genotypes.json")
    assert "TPMT" not in profile.germline
    assert "DPYD" not in profile.germline
    joined = "\n".join(profile.warnings)
    assert "Observation/tpmt-genotype-draft: status 'preliminary'" in joined
    assert "Observation/dpyd-genotype-error: status 'entered-in-error'" in joined
    assert "MedicationStatement/simvastatin-stopped: status 'stopped'" in joined


@pytest.mark.parametrize("status", ["preliminary", "cancelled", "entered-in-error", "registered"])
def test_no_fact_from_a_result_that_is_not_final(status: str) -> None:
    profile = profile_from_bundle(_bundle(_genotype("g", "CYP2C19", "*2/*2", status)))
    assert profile.germline == {}
    assert profile.warnings == (
        f"Observation/g: status {status!r} is not a final result; not used as a fact",
    )


def test_absent_sections_stay_unknown() -> None:
    profile = profile_from_bundle(_bundle(_genotype("g", "CYP2C19", "CYP2C19*1/CYP2C19*2")))
    assert profile.germline["CYP2C19"].diplotype == "*1/*2"
    assert profile.clinical is None
    assert profile.tumor is None
    report = evaluate(profile, drugs=["clopidogrel"], now=NOW)
    assert report.findings  # IM: clopidogrel alternative
    assert report.findings[0].drugs == ("clopidogrel",)


def test_one_haplotype_is_never_taken_as_homozygous() -> None:
    hap = _obs("h1", "84414-2", valueCodeableConcept={"text": "*2"}, component=[_gene("CYP2C19")])
    profile = profile_from_bundle(_bundle(hap))
    assert profile.germline == {}
    assert profile.warnings[0].startswith("Observation/h1: 1 CYP2C19 haplotype(s)")


def test_conflicting_genotypes_are_both_dropped_with_a_warning() -> None:
    profile = profile_from_bundle(
        _bundle(_genotype("a", "CYP2C19", "*1/*2"), _genotype("b", "CYP2C19", "*2/*2"))
    )
    assert profile.germline == {}
    assert "Observation/b: CYP2C19 diplotype '*2/*2' disagrees" in profile.warnings[0]


def test_hla_single_allele_is_carriage_and_gl_ambiguity_is_refused() -> None:
    one = _genotype("h", "HLA-B", "HLA-B*57:01")
    two = _genotype("t", "HLA-A", "HLA-A*31:01+HLA-A*02:01")
    amb = _genotype("x", "HLA-B", "HLA-B*15:02/HLA-B*15:13")
    profile = profile_from_bundle(_bundle(one, two))
    assert profile.germline["HLA-B"].carriers == {"*57:01": True}
    assert profile.germline["HLA-B"].alleles is None
    assert profile.germline["HLA-A"].alleles == ("*31:01", "*02:01")
    profile = profile_from_bundle(_bundle(amb))
    assert profile.germline == {}
    assert profile.warnings[0].startswith("Observation/x: HLA-B typing '*15:02/*15:13' is ambig")


def test_germline_variant_with_zygosity() -> None:
    het = _obs(
        "v1",
        "69548-6",
        valueCodeableConcept={"coding": [{"system": LOINC, "code": "LA9633-4"}]},
        component=[
            _gene("VKORC1"),
            _comp(
                "48002-0", valueCodeableConcept={"coding": [{"system": LOINC, "code": "LA6683-2"}]}
            ),
            _comp("81252-9", valueCodeableConcept={"coding": [{"code": "rs9923231"}]}),
            _comp("69547-8", valueString="C"),
            _comp("69551-0", valueString="T"),
            _comp(
                "53034-5", valueCodeableConcept={"coding": [{"system": LOINC, "code": "LA6706-1"}]}
            ),
        ],
    )
    no_state = copy.deepcopy(het)
    no_state["id"] = "v2"
    no_state["component"] = no_state["component"][:-1]
    profile = profile_from_bundle(_bundle(het))
    assert profile.germline["VKORC1"].variants == {"rs9923231": "C/T"}
    profile = profile_from_bundle(_bundle(no_state))
    assert profile.germline == {}
    assert "zygosity unknown" in profile.warnings[0]


def _somatic(rid: str, present: bool) -> dict[str, Any]:
    answer = "LA9633-4" if present else "LA9634-2"
    return _obs(
        rid,
        "69548-6",
        valueCodeableConcept={"coding": [{"system": LOINC, "code": answer}]},
        component=[
            _gene("KRAS", "HGNC:6407"),
            _comp(
                "48002-0", valueCodeableConcept={"coding": [{"system": LOINC, "code": "LA6684-0"}]}
            ),
            _comp("48005-3", valueCodeableConcept={"coding": [{"code": "NP_004976.2:p.Gly12Asp"}]}),
            _comp("81258-6", valueQuantity={"value": 0.31}),
        ],
    )


def test_somatic_variants_present_and_absent() -> None:
    profile = profile_from_bundle(_bundle(_somatic("k", present=True)))
    assert profile.tumor is not None
    assert profile.tumor.sequenced_genes == ("KRAS",)  # other genes stay unknown
    (variant,) = profile.tumor.variants or ()
    assert (variant.gene, variant.protein, variant.vaf) == ("KRAS", "p.Gly12Asp", 0.31)
    profile = profile_from_bundle(_bundle(_somatic("a", present=False)))
    assert profile.tumor is None
    assert "does not make KRAS wild type" in profile.warnings[0]


def test_medications_by_rxnorm_code_name_and_reference() -> None:
    rx = "http://www.nlm.nih.gov/research/umls/rxnorm"
    by_code = {
        "resourceType": "MedicationRequest",
        "id": "a",
        "status": "active",
        "intent": "order",
        "subject": SUBJECT,
        "medicationCodeableConcept": {"coding": [{"system": rx, "code": "32968"}]},
    }
    by_name = {
        "resourceType": "MedicationStatement",
        "id": "b",
        "status": "active",
        "subject": SUBJECT,
        "medicationCodeableConcept": {"text": "Codeine Phosphate 30 MG Oral Tablet"},
    }
    by_ref = {
        "resourceType": "MedicationRequest",
        "id": "c",
        "status": "active",
        "intent": "order",
        "subject": SUBJECT,
        "medicationReference": {"reference": "Medication/m"},
    }
    med = {"resourceType": "Medication", "id": "m", "code": {"text": "warfarin sodium 5 MG"}}
    unknown = {
        "resourceType": "MedicationStatement",
        "id": "d",
        "status": "active",
        "subject": SUBJECT,
        "medicationCodeableConcept": {"text": "paracetamol"},
    }
    profile = profile_from_bundle(_bundle(by_code, by_name, by_ref, med, unknown))
    assert profile.clinical is not None
    assert profile.clinical.medications == ("clopidogrel", "codeine", "warfarin")
    assert profile.warnings == (
        "MedicationStatement/d: names no drug pgx knows (by RxNorm code or name); not used",
    )


def test_refuted_condition_is_not_a_diagnosis() -> None:
    cond = {
        "resourceType": "Condition",
        "id": "c",
        "subject": SUBJECT,
        "verificationStatus": {"coding": [{"code": "refuted"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "E11"}]},
    }
    profile = profile_from_bundle(_bundle(cond))
    assert profile.clinical is None
    assert profile.warnings == ("Condition/c: verification status 'refuted': not used as a fact",)


def test_unknown_observation_kinds_are_named() -> None:
    obs = _obs("bp", "8480-6", valueQuantity={"value": 120})
    profile = profile_from_bundle(_bundle(obs))
    assert profile.warnings == (
        "Observation/bp: observation kind '8480-6' is not one pgx reads; not used",
    )


def test_a_bundle_about_two_patients_is_refused() -> None:
    other = _genotype("g2", "CYP2D6", "*1/*1")
    other["subject"] = {"reference": "Patient/p2"}
    with pytest.raises(ProfileError, match="several patients"):
        profile_from_bundle(_bundle(_genotype("g1", "CYP2C19", "*1/*1"), other))
    with pytest.raises(ProfileError, match=r"expected Patient/p9, found 'Patient/p1'"):
        profile_from_bundle(_bundle(_genotype("g1", "CYP2C19", "*1/*1")), patient="p9")


@pytest.mark.parametrize(
    ("bundle", "path"),
    [
        ([], "$"),
        ({"type": "collection"}, "$.resourceType"),
        ({"resourceType": "Bundle", "entry": {}}, "$.entry"),
        ({"resourceType": "Bundle", "entry": [{"resource": {"id": "x"}}]}, "$.entry[0].resource"),
    ],
)
def test_malformed_bundles_are_located(bundle: Any, path: str) -> None:
    with pytest.raises(ProfileError) as info:
        profile_from_bundle(bundle)
    assert info.value.problems[0].path == path


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    [
        "status",
        "code",
        "component",
        "valueCodeableConcept",
        "subject",
        "derivedFrom",
        "medicationCodeableConcept",
        "identifier",
        "clinicalStatus",
        "coding",
        "valueString",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(["Observation", "MedicationRequest", "Condition", "Medication"]),
    fields=st.dictionaries(_keys, _json, max_size=6),
)
def test_arbitrary_resources_never_crash(kind: str, fields: dict[str, Any]) -> None:
    resource = {"resourceType": kind, "id": "r", **fields}
    try:
        profile = profile_from_bundle(_bundle(resource, _genotype("g", "CYP2C19", "*1/*2")))
    except ProfileError:
        return
    assert profile.germline["CYP2C19"].diplotype in ("*1/*2", None) or "CYP2C19" not in (
        profile.germline
    )


# ------------------------------------------------------------------ out
@pytest.fixture(scope="module")
def report_bundle() -> dict[str, Any]:
    profile = profile_from_bundle(EXAMPLES / "pgx-genotypes.json")
    return to_fhir(evaluate(profile, now=NOW))


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_output_validates_against_fhir_r4_models(report_bundle: dict[str, Any]) -> None:
    pytest.importorskip("fhir.resources")
    validate(report_bundle)


def test_invalid_fhir_is_reported_with_its_path() -> None:
    pytest.importorskip("fhir.resources")
    with pytest.raises(InputError, match=r"entry\.0\.resource\.status"):
        validate(_bundle({"resourceType": "Observation", "code": {"text": "x"}}))


def test_output_is_deterministic() -> None:
    profile = profile_from_bundle(EXAMPLES / "pgx-genotypes.json")
    one = json.dumps(to_fhir(evaluate(profile, now=NOW)), sort_keys=True)
    two = json.dumps(to_fhir(evaluate(profile, now=NOW)), sort_keys=True)
    assert one == two
    other = json.dumps(to_fhir(evaluate(profile, now="2026-01-03T00:00:00Z")), sort_keys=True)
    assert other != one


def test_report_references_every_observation(report_bundle: dict[str, Any]) -> None:
    (report,) = _resources(report_bundle, "DiagnosticReport")
    assert report["code"]["coding"][0]["code"] == "51969-4"
    urls = {e["fullUrl"] for e in report_bundle["entry"]}
    results = {r["reference"] for r in report["result"]}
    observations = {
        e["fullUrl"]
        for e in report_bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
    }
    assert results == observations
    assert results <= urls
    (prov,) = _resources(report_bundle, "Provenance")
    assert {t["reference"] for t in prov["target"]} == results | {
        e["fullUrl"] for e in report_bundle["entry"] if e["resource"] is report
    }
    assert prov["recorded"] == report["issued"] == "2026-01-02T03:04:05+00:00"


def test_each_finding_carries_rule_evidence_and_citations(report_bundle: dict[str, Any]) -> None:
    profile = profile_from_bundle(EXAMPLES / "pgx-genotypes.json")
    report = evaluate(profile, now=NOW)
    by_rule = {}
    for obs in _resources(report_bundle, "Observation"):
        for ident in obs.get("identifier", []):
            if ident["system"] == RULE_SYSTEM:
                by_rule[ident["value"]] = obs
    assert set(by_rule) == {f"{f.rule_id}|{f.rule_version}" for f in report.findings}
    clopidogrel = next(f for f in report.findings if "clopidogrel" in f.drugs)
    obs = by_rule[f"{clopidogrel.rule_id}|{clopidogrel.rule_version}"]
    codes = {c["code"]["coding"][0]["code"]: c for c in obs["component"]}
    assert codes["51963-7"]["valueCodeableConcept"]["coding"][0]["code"] == "32968"
    assert clopidogrel.evidence.level in codes["93044-6"]["valueCodeableConcept"]["text"]
    labels = [x["valueRelatedArtifact"]["label"] for x in obs["extension"]]
    assert labels == list(clopidogrel.citations)
    genotype = next(
        e["fullUrl"]
        for e in report_bundle["entry"]
        if e["resource"].get("valueCodeableConcept", {}).get("text") == "CYP2C19 *2/*2"
    )
    assert obs["derivedFrom"] == [{"reference": genotype}]


def test_round_trip_bundle_profile_report_bundle() -> None:
    profile = profile_from_bundle(EXAMPLES / "pgx-genotypes.json")
    report = evaluate(profile, now=NOW)
    again = profile_from_bundle(to_fhir(report))
    for gene in ("CYP2C19", "CYP2D6"):
        assert again.germline[gene].diplotype == profile.germline[gene].diplotype
    assert again.germline["SLCO1B1"].phenotype == "Decreased Function"
    second = evaluate(again, now=NOW)
    assert [f.rule_id for f in second.findings if f.rule_id.startswith(("cyp2c19", "cyp2d6"))] == [
        f.rule_id for f in report.findings if f.rule_id.startswith(("cyp2c19", "cyp2d6"))
    ]
    # pgx's own findings are not read back as facts, and say so
    assert all("findings are derived again" in w for w in again.warnings if "pgx finding" in w)


def test_report_to_fhir_and_load_profile_fhir() -> None:
    profile = load_profile(fhir=EXAMPLES / "pgx-genotypes.json")
    assert profile == profile_from_bundle(EXAMPLES / "pgx-genotypes.json")
    report = evaluate(profile, now=NOW)
    assert report.to_fhir() == to_fhir(report)
    with pytest.raises(ProfileError, match="not both"):
        load_profile("examples/profiles/crc-igf1r.yaml", fhir=EXAMPLES / "pgx-genotypes.json")


def test_cli_reads_fhir_and_writes_fhir(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = ["evaluate", "--fhir", str(EXAMPLES / "pgx-genotypes.json"), "--drug", "clopidogrel"]
    assert main([*args, "--format", "fhir", "--now", NOW]) == 0
    bundle = json.loads(capsys.readouterr().out)
    assert bundle["resourceType"] == "Bundle"
    rules = [i["value"] for e in bundle["entry"] for i in e["resource"].get("identifier", [])]
    assert rules == ["cpic-cyp2c19-clopidogrel-poor|1.0.0", "dpwg-cyp2c19-clopidogrel-poor|1.0.0"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Bundle", "entry": {}}')
    assert main(["evaluate", "--fhir", str(bad)]) == 2
    assert "$.entry: expected a list of entries" in capsys.readouterr().err
