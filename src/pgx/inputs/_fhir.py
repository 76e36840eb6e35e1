"""FHIR R4 in: a Bundle of genomic Observations, medications and conditions to a Profile.

Reads the Genomics Reporting IG (STU3) genotype, haplotype, variant and therapeutic-implication
Observations, and MedicationStatement, MedicationRequest, Medication and Condition resources.

Safety rules this module keeps:

- only results whose status is final, amended or corrected are facts; a preliminary,
  cancelled or entered-in-error result is named in a warning and not used;
- whatever cannot be mapped becomes a warning that names the resource (``Observation/g1``);
  nothing is dropped silently;
- nothing is inferred from absence: one haplotype does not make a homozygous diplotype, the
  absence of one somatic variant does not make a gene wild type, and a section with no
  resources stays unknown (``None``), not empty.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pgx.errors import Problem, ProfileError
from pgx.inputs._fhir_genomics import GenomicsReader
from pgx.inputs._fhir_json import (
    MAX_BUNDLE_BYTES,
    Json,
    bundle_resources,
    codings,
    drug_lookups,
    drugs_of,
    listed,
    read_bundle,
    subject_of,
)
from pgx.io import read_profile
from pgx.model import _fhir_codes as c
from pgx.model.knowledge import Knowledge
from pgx.model.profile import Profile

__all__ = [
    "MAX_BUNDLE_BYTES",
    "bundle_resources",
    "drug_lookups",
    "drugs_of",
    "profile_from_file",
    "profile_from_resources",
    "read_bundle",
]

_MEDICATION_ACTIVE = frozenset({"active"})
_CONDITION_ACTIVE = frozenset({"active", "recurrence", "relapse"})
_CONDITION_UNCONFIRMED = frozenset({"refuted", "entered-in-error", "provisional", "differential"})


class _Reader(GenomicsReader):
    """Genomic Observations plus medications and conditions."""

    # ---------------------------------------------------------------- dispatch
    def read(self) -> None:
        for _, resource in self.resources:
            kind = resource["resourceType"]
            if kind == "Observation":
                self.observation(resource)
            elif kind in ("MedicationStatement", "MedicationRequest"):
                self.medication(resource)
            elif kind == "Condition":
                self.condition(resource)
            elif kind not in (
                "Patient",
                "Medication",
                "DiagnosticReport",
                "Specimen",
                "Organization",
                "Practitioner",
                "ServiceRequest",
                "Provenance",
                "Device",
                "OperationOutcome",
                "MolecularSequence",
            ):
                self.warn(resource, f"resource type {kind} is not read by pgx; not used")

    # ---------------------------------------------------------------- clinical context
    def _drugs(self, resource: Json) -> list[str]:
        concept = resource.get("medicationCodeableConcept")
        ref = resource.get("medicationReference")
        if concept is None and isinstance(ref, dict):
            target = self.by_ref.get(str(ref.get("reference", "")))
            if target is None and str(ref.get("reference", "")).startswith("#"):
                contained = listed(resource, "contained")
                target = next(
                    (
                        x
                        for x in contained
                        if isinstance(x, dict) and f"#{x.get('id')}" == ref["reference"]
                    ),
                    None,
                )
            concept = target.get("code") if target is not None else None
        return drugs_of(concept, self._rxnorm, self._drug_words)

    def medication(self, resource: Json) -> None:
        status = resource.get("status")
        if status not in _MEDICATION_ACTIVE:
            self.warn(resource, f"status {status!r}: not a current medication; not used")
            return
        drugs = self._drugs(resource)
        if not drugs:
            self.warn(resource, "names no drug pgx knows (by RxNorm code or name); not used")
            return
        if self.medications is None:
            self.medications = []
        self.medications.extend(d for d in drugs if d not in self.medications)

    def condition(self, resource: Json) -> None:
        clinical = [x.get("code") for x in codings(resource.get("clinicalStatus"))]
        verification = [x.get("code") for x in codings(resource.get("verificationStatus"))]
        if clinical and not set(clinical) & _CONDITION_ACTIVE:
            self.warn(
                resource, f"clinical status {clinical[0]!r}: not an active condition; not used"
            )
            return
        if set(verification) & _CONDITION_UNCONFIRMED:
            self.warn(resource, f"verification status {verification[0]!r}: not used as a fact")
            return
        code = resource.get("code")
        used = False
        for coding in codings(code):
            system, value = coding.get("system"), coding.get("code")
            if not isinstance(value, str):
                continue
            label = coding.get("display") if isinstance(coding.get("display"), str) else None
            if system in c.ONCOTREE_SYSTEMS and value in self.knowledge.cancer_types:
                self.cancer_type = {"code": value, "system": "oncotree"}
                used = True
                continue
            kind = (
                "icd10" if system in c.ICD10_SYSTEMS else "snomed" if system == c.SNOMED else None
            )
            if kind is None:
                continue
            entry = {"code": value, "system": kind} | ({"label": label} if label else {})
            if self.diagnoses is None:
                self.diagnoses = []
            if entry not in self.diagnoses:
                self.diagnoses.append(entry)
            used = True
        if not used:
            self.warn(resource, "no ICD-10, SNOMED CT or OncoTree code; not used")


def _check_subjects(
    resources: Sequence[tuple[str, Json]], patient: str | None, source: str
) -> str | None:
    subjects: dict[str, str] = {}
    for path, resource in resources:
        subject = subject_of(resource)
        if resource["resourceType"] == "Patient":
            if patient is not None and isinstance(resource.get("id"), str):  # about itself
                subjects.setdefault(f"Patient/{resource['id']}", path)
        elif subject is not None:
            subjects.setdefault(subject, path)
    if patient is not None:
        wanted = {patient, f"Patient/{patient}"}
        wrong = [
            (s, p)
            for s, p in subjects.items()
            if s not in wanted and not s.endswith(f"/Patient/{patient}")
        ]
        if wrong:
            raise ProfileError(
                Problem(f"{p}.subject", f"expected Patient/{patient}, found {s!r}", source)
                for s, p in wrong
            )
        return patient
    if len(subjects) > 1:
        raise ProfileError(
            [
                Problem(
                    "$",
                    f"the bundle is about several patients: {', '.join(sorted(subjects))}",
                    source,
                )
            ]
        )
    if subjects:
        return next(iter(subjects)).rsplit("/", 1)[-1]
    return None


def _iter_patients(resources: Iterable[tuple[str, Json]]) -> Iterator[str]:
    for _, resource in resources:
        if resource["resourceType"] == "Patient" and isinstance(resource.get("id"), str):
            yield resource["id"]


def profile_from_resources(
    resources: Sequence[tuple[str, Json]],
    knowledge: Knowledge,
    *,
    source: str,
    patient: str | None = None,
    medications_known: bool = False,
) -> Profile:
    """Build a Profile from FHIR resources (see `pgx.fhir.profile_from_bundle`).

    ``medications_known`` says the resources are the patient's complete current medication
    list (e.g. a CDS Hooks prefetch search), so no medication resource means "none".
    """
    patients = sorted(set(_iter_patients(resources)))
    subject = _check_subjects(resources, patient, source)
    reader = _Reader(knowledge, list(resources))
    reader.read()
    data: dict[str, Any] = {"pgx_profile": 1}
    pid = subject or (patients[0] if len(patients) == 1 else None)
    if pid is not None:
        data["id"] = pid
    germline = reader.germline()
    if germline:
        data["germline"] = germline
    tumor = reader.tumor(reader.somatic, reader.sequenced)
    if reader.cancer_type is not None:
        tumor["cancer_type"] = reader.cancer_type
    if tumor:
        data["tumor"] = tumor
    clinical: dict[str, Any] = {}
    medications = reader.medications
    if medications is None and medications_known:
        medications = []
    if medications is not None:
        clinical["medications"] = medications
    if reader.diagnoses is not None:
        clinical["diagnoses"] = reader.diagnoses
    if clinical:
        data["clinical"] = clinical
    if reader.warnings:
        data["warnings"] = reader.warnings
    try:
        return read_profile(data)
    except ProfileError as exc:  # say which input it came from
        raise ProfileError(
            Problem(p.path, p.message + " (read from FHIR)", source) for p in exc.problems
        ) from None


def profile_from_file(path: str | os.PathLike[str], knowledge: Knowledge) -> Profile:
    """A profile from a FHIR JSON file (``load_profile(fhir=...)``, ``pgx evaluate --fhir``)."""
    return profile_from_resources(
        bundle_resources(read_bundle(path), str(path)), knowledge, source=str(path)
    )
