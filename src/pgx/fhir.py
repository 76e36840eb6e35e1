"""FHIR R4 (Genomics Reporting IG STU3) in and out.

```python
import json
from pgx import evaluate
from pgx.fhir import profile_from_bundle, to_fhir

bundle = json.load(open("examples/fhir/cyp2c19-clopidogrel.json"))
profile = profile_from_bundle(bundle)     # genotypes, phenotypes, variants, meds, conditions
report = evaluate(profile, drugs=["clopidogrel"], now="2026-01-01T00:00:00Z")
out = to_fhir(report)                     # DiagnosticReport + Observations + Provenance
```

Reading: genotype (LOINC 84413-4), haplotype (84414-2), variant (69548-6) and
therapeutic-implication Observations, MedicationStatement / MedicationRequest (status
``active``) and Condition (active, not refuted). Only final, amended or corrected results are
facts. Anything pgx cannot map becomes a warning on the profile naming the resource
(``Observation/abc: ...``); nothing is dropped silently and nothing absent is taken as normal.

Writing needs no extra library; `validate` checks a bundle against the FHIR R4 (R4B) models of
``fhir.resources`` (install ``pgx[fhir]``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pgx.errors import InputError, Problem
from pgx.inputs._fhir import MAX_BUNDLE_BYTES, bundle_resources, profile_from_resources, read_bundle
from pgx.io import default_ruleset, profile_sha256
from pgx.model.profile import Profile
from pgx.model.report import Report
from pgx.model.ruleset import RuleSet
from pgx.render._fhir import RULE_SYSTEM, citation_url, report_bundle

__all__ = [
    "MAX_BUNDLE_BYTES",
    "RULE_SYSTEM",
    "citation_url",
    "profile_from_bundle",
    "read_bundle",
    "to_fhir",
    "validate",
]


def _ruleset(ruleset: RuleSet | None) -> RuleSet:
    return ruleset if ruleset is not None else default_ruleset()


def profile_from_bundle(
    bundle: Mapping[str, Any] | str | os.PathLike[str],
    *,
    ruleset: RuleSet | None = None,
    patient: str | None = None,
) -> Profile:
    """A profile from a FHIR R4 Bundle (or a JSON file of one).

    Args:
        bundle: A Bundle as parsed JSON (or a single resource), or the path of a JSON file.
        ruleset: Whose knowledge (genes, drugs and their RxNorm codes, phenotype terms) reads
            the bundle; the bundled rules by default.
        patient: The patient id every resource must be about; without it the bundle must be
            about one patient.

    Returns:
        The profile; ``profile.warnings`` names every resource that was not used and why.

    Raises:
        ProfileError: the bundle is malformed or mixes patients (each problem with its JSON
            path).
    """
    source = "<fhir bundle>"
    if isinstance(bundle, str | os.PathLike):
        source = str(bundle)
        bundle = read_bundle(bundle)
    resources = bundle_resources(bundle, source)
    knowledge = _ruleset(ruleset).knowledge
    return profile_from_resources(resources, knowledge, source=source, patient=patient)


def to_fhir(
    report: Report, *, ruleset: RuleSet | None = None, profile: Profile | None = None
) -> dict[str, Any]:
    """The report as a FHIR R4 Bundle (Genomics Reporting IG STU3 profiles).

    A genomic-report DiagnosticReport (the Markdown report as its presented form), a genotype
    Observation per gene called, a therapeutic-implication Observation per gene phenotype and
    per finding (drugs by RxNorm code, evidence level, citations as related artifacts, the
    rule id and version as an identifier in `RULE_SYSTEM`) and a Provenance (pgx version,
    ruleset name, version and hash, input digest). Deterministic: ids are derived from the
    report's content, times are its ``generated_at``.

    A report carries what pgx concluded, not every fact it was given. Pass the ``profile``
    the report was evaluated from to write those facts too: HLA allele carriage (a genotype
    Observation ``HLA-B*57:01 positive`` with interpretation POS or NEG), somatic variants,
    copy-number changes and fusions (variant Observations), expression, TMB and MSI.

    Args:
        report: The report.
        ruleset: Whose knowledge gives gene (HGNC) and drug (RxNorm) codes; bundled by default.
        profile: The profile the report was evaluated from.

    Raises:
        ValueError: ``profile`` is not the one the report was evaluated from (its digest
            differs from the report's ``input_sha256``).
    """
    if profile is not None and profile_sha256(profile) != report.input_sha256:
        raise ValueError(
            "the profile is not the one this report was evaluated from: its SHA-256 differs "
            "from the report's input_sha256"
        )
    return report_bundle(report, _ruleset(ruleset).knowledge, profile)


def validate(resource: Mapping[str, Any]) -> None:
    """Check a FHIR R4 resource or Bundle against the ``fhir.resources`` R4B models.

    Raises:
        InputError: listing each problem with its path.
        ImportError: ``fhir.resources`` is not installed (``pip install 'pgx[fhir]'``).
    """
    from fhir.resources.R4B import get_fhir_model_class  # noqa: PLC0415 - optional extra
    from pydantic import ValidationError  # noqa: PLC0415

    kind = resource.get("resourceType")
    try:
        model = get_fhir_model_class(str(kind))
    except KeyError:
        raise InputError([Problem("$.resourceType", f"unknown resource type {kind!r}")]) from None
    try:
        model.model_validate(dict(resource))
    except ValidationError as exc:
        raise InputError(
            Problem("$." + ".".join(str(p) for p in err["loc"]), err["msg"], "<fhir>")
            for err in exc.errors()
        ) from None
