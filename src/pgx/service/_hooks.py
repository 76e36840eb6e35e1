"""CDS Hooks 2.0 services: discovery, requests to profiles, reports to cards.

Plain functions over parsed JSON, so the HTTP layer only reads bodies and writes responses.
The service never fetches from the EHR's FHIR server: what it needs comes in ``prefetch``,
and when a required key is absent the request fails with 412 naming the key and its template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from attrs import frozen

from pgx.engine import evaluate_profile
from pgx.errors import InputError, PgxError
from pgx.inputs._fhir import profile_from_resources
from pgx.inputs._fhir_json import Json, bundle_resources, drug_lookups, drugs_of, subject_of
from pgx.io import profile_sha256
from pgx.model import _fhir_codes as c
from pgx.model.ruleset import RuleSet
from pgx.render._cds_hooks import service_cards

__all__ = [
    "SERVICES",
    "Call",
    "RequestError",
    "Service",
    "answer",
    "discovery",
    "handle",
    "log_fields",
    "read_call",
]

_GENOMICS_CODES = ",".join(
    [
        f"{c.LOINC}|{c.GENOTYPE}",
        f"{c.LOINC}|{c.HAPLOTYPE}",
        f"{c.LOINC}|{c.VARIANT}",
        f"{c.TBD_CODES}|{c.THERAPEUTIC_IMPLICATION}",
        f"{c.LOINC}|{c.DRUG_METABOLISM}",
    ]
)
PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "genomics": "Observation?patient={{context.patientId}}&code=" + _GENOMICS_CODES,
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
    "conditions": "Condition?patient={{context.patientId}}&clinical-status=active",
}
_REQUIRED_PREFETCH = ("genomics", "medications")
_MEDICATION_ORDER = re.compile(r"^MedicationRequest/(.+)$")


class RequestError(PgxError):
    """A request the service cannot answer; ``status`` is the HTTP status to reply with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@frozen
class Service:
    """One CDS Service of the discovery document."""

    id: str
    hook: str
    title: str
    description: str


SERVICES = (
    Service(
        "pgx-order-select",
        "order-select",
        "Pharmacogenomic and tumor-genomic guidance for the selected medication orders",
        "Checks the drugs being selected against the patient's genomic results (genotype, "
        "haplotype, phenotype and variant Observations) with pgx's versioned rules.",
    ),
    Service(
        "pgx-order-sign",
        "order-sign",
        "Pharmacogenomic and tumor-genomic guidance before medication orders are signed",
        "Checks every drug in the draft orders against the patient's genomic results.",
    ),
    Service(
        "pgx-patient-view",
        "patient-view",
        "Pharmacogenomic guidance for the patient's current medications",
        "Checks the patient's active medications against their genomic results.",
    ),
)
_BY_ID = {s.id: s for s in SERVICES}


def discovery() -> dict[str, Any]:
    """The ``GET /cds-services`` document."""
    return {
        "services": [
            {
                "hook": s.hook,
                "id": s.id,
                "title": s.title,
                "description": s.description,
                "prefetch": dict(PREFETCH),
                "usageRequirements": "Send the prefetch keys 'genomics' and 'medications' "
                "(and 'conditions' where diagnoses matter); pgx does not query the FHIR server.",
            }
            for s in SERVICES
        ]
    }


def service(service_id: str) -> Service:
    """The service with this id; `RequestError` (404) when there is none."""
    found = _BY_ID.get(service_id)
    if found is None:
        raise RequestError(f"no CDS Service {service_id!r}; see GET /cds-services", 404)
    return found


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise RequestError(f"{where}: expected a JSON object, found {type(value).__name__}")
    return value


def _string(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise RequestError(f"{where}.{key}: expected a non-empty string, found {value!r:.60}")
    return value


def _missing_prefetch(prefetch: Mapping[str, Any], service_: Service) -> None:
    missing = [
        k
        for k in _REQUIRED_PREFETCH
        if k not in prefetch
        or (isinstance(prefetch[k], dict) and prefetch[k].get("resourceType") == "OperationOutcome")
    ]
    if missing:
        needed = "; ".join(f"'{k}': {PREFETCH[k]}" for k in missing)
        raise RequestError(
            f"{service_.id} needs prefetch {needed}. pgx does not query the FHIR server and "
            "does not guess missing genomic results.",
            412,
        )


def _prefetch_resources(prefetch: Mapping[str, Any]) -> list[tuple[str, Json]]:
    resources: list[tuple[str, Json]] = []
    for key in sorted(prefetch):
        value = prefetch[key]
        if value is None or (
            isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"
        ):
            continue  # null: the template found nothing
        try:
            found = bundle_resources(value, f"prefetch.{key}")
        except InputError as exc:
            raise RequestError(
                f"prefetch.{key}: {exc.problems[0].path}: {exc.problems[0].message}"
            ) from None
        resources += [(f"prefetch.{key}{path[1:]}", r) for path, r in found]
    return resources


#: Statuses of an order that is no longer being placed: its drug is not checked.
_NOT_ORDERED = frozenset({"entered-in-error", "cancelled", "stopped", "completed"})


def _order_subject(order: Mapping[str, Any], patient: str, i: int) -> None:
    subject = subject_of(order)
    wanted = (patient, f"Patient/{patient}")
    if subject is not None and subject not in wanted and not subject.endswith("/" + wanted[1]):
        raise RequestError(f"context.draftOrders.entry[{i}].resource.subject: expected "
                               f"Patient/{patient}, found {subject!r:.80}")  # fmt: skip


def _ordered_drugs(
    context: Mapping[str, Any], hook: str, ruleset: RuleSet, patient: str
) -> dict[str, str]:
    """Each drug pgx knows in the (selected) draft orders, with its ``MedicationRequest/id``.

    An order entered in error, cancelled, stopped or completed is not being placed: skipped.
    An order about another patient than ``context.patientId`` is a 400.
    """
    draft = context.get("draftOrders")
    if draft is None:
        raise RequestError(f"context.draftOrders: {hook} needs the draft orders (a Bundle)")
    try:
        orders = bundle_resources(draft, "context.draftOrders")
    except InputError as exc:
        raise RequestError(f"context.draftOrders: {exc.problems[0].message}") from None
    selections = context.get("selections")
    wanted: set[str] | None = None
    if hook == "order-select":
        if not isinstance(selections, list) or not all(isinstance(s, str) for s in selections):
            raise RequestError("context.selections: expected a list of references such as "
                               "'MedicationRequest/123'")  # fmt: skip
        wanted = {m.group(1) for s in selections if (m := _MEDICATION_ORDER.match(s))}
    by_rxnorm, words = drug_lookups(ruleset.knowledge)
    drugs: dict[str, str] = {}
    for i, (_, order) in enumerate(orders):
        if order.get("resourceType") != "MedicationRequest":
            continue
        _order_subject(order, patient, i)
        if order.get("status") in _NOT_ORDERED:
            continue
        if wanted is not None and str(order.get("id")) not in wanted:
            continue
        # a drug pgx does not know has no rules: there is nothing to say about it
        for drug in drugs_of(order.get("medicationCodeableConcept"), by_rxnorm, words):
            drugs.setdefault(drug, f"MedicationRequest/{order.get('id', '?')}")
    return drugs


@frozen
class Call:
    """A checked CDS Hooks request: everything the answer depends on, and nothing else.

    Attributes:
        service: The CDS Service called.
        hook_instance: The request's ``hookInstance`` (for logs; the answer does not use it).
        patient: ``context.patientId``.
        orders: Each drug pgx knows in the (selected) draft orders, to its
            ``MedicationRequest/id``; empty for ``patient-view``.
        prefetch: The prefetch object as sent (read into a profile by `answer`).
    """

    service: Service
    hook_instance: str
    patient: str
    orders: Mapping[str, str]
    prefetch: Mapping[str, Any]


def read_call(service_id: str, body: object, ruleset: RuleSet) -> Call:
    """Check a request's shape, hook, context and required prefetch keys.

    Raises:
        RequestError: 404 unknown service, 400 malformed request, 412 prefetch missing.
    """
    svc = service(service_id)
    request = _object(body, "request")
    hook = _string(request, "hook", "request")
    if hook != svc.hook:
        raise RequestError(f"request.hook: service {svc.id} answers {svc.hook!r}, found {hook!r}")
    hook_instance = _string(request, "hookInstance", "request")
    context = _object(request.get("context"), "request.context")
    patient = _string(context, "patientId", "request.context")
    prefetch = _object(request.get("prefetch", {}), "request.prefetch")
    _missing_prefetch(prefetch, svc)
    orders = (
        {} if svc.hook == "patient-view" else _ordered_drugs(context, svc.hook, ruleset, patient)
    )
    return Call(svc, hook_instance, patient, orders, prefetch)


def answer(
    call: Call,
    ruleset: RuleSet,
    *,
    version: str,
    now: datetime | None = None,
    normal_cards: bool = False,
) -> dict[str, Any]:
    """The CDS Hooks response (``{"cards": [...]}``) to a checked request.

    Raises:
        RequestError: 400 when the prefetch is not FHIR pgx can read.
    """
    try:
        profile = profile_from_resources(
            _prefetch_resources(call.prefetch),
            ruleset.knowledge,
            source="prefetch",
            patient=call.patient,
            medications_known=True,
        )
    except InputError as exc:
        first = exc.problems[0]
        raise RequestError(f"{first.path}: {first.message}") from None
    if call.service.hook == "patient-view":
        drugs = list(profile.clinical.medications or ()) if profile.clinical else []
    else:
        drugs = list(call.orders)
    if not drugs:
        return {"cards": []}
    report = evaluate_profile(
        profile,
        ruleset,
        drugs=drugs,
        now=(now or datetime.now(UTC)).replace(microsecond=0),
        version=version,
        input_sha256=profile_sha256(profile),
    )
    return service_cards(
        report,
        orders=call.orders,
        patient=call.patient,
        rxnorm=_rxnorm_codes(ruleset),
        normal=normal_cards,
    )


def _rxnorm_codes(ruleset: RuleSet) -> Mapping[str, str]:
    """Drug name to RxNorm code, built once per knowledge object (it is immutable)."""
    by_rxnorm, _ = drug_lookups(ruleset.knowledge)
    key = id(by_rxnorm)
    found = _RXNORM_BY_DRUG.get(key)
    if found is None or found[0] is not by_rxnorm:
        if len(_RXNORM_BY_DRUG) > 16:
            _RXNORM_BY_DRUG.clear()
        found = (by_rxnorm, {drug: code for code, drug in by_rxnorm.items()})
        _RXNORM_BY_DRUG[key] = found
    return found[1]


_RXNORM_BY_DRUG: dict[int, tuple[Mapping[str, str], Mapping[str, str]]] = {}


def handle(
    service_id: str,
    body: object,
    ruleset: RuleSet,
    *,
    version: str,
    now: datetime | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Answer one CDS Hooks request: ``(response, log fields without patient data)``.

    Raises:
        RequestError: 404 unknown service, 400 malformed request, 412 prefetch missing.
    """
    call = read_call(service_id, body, ruleset)
    response = answer(call, ruleset, version=version, now=now)
    return response, log_fields(call, response)


def log_fields(call: Call, response: Mapping[str, Any]) -> dict[str, Any]:
    """What the service logs about a call: no patient data."""
    drugs = len(call.orders) if call.service.hook != "patient-view" else None
    return {
        "hook": call.service.hook,
        "hookInstance": call.hook_instance,
        "drugs": drugs,
        "cards": len(response["cards"]),
    }
