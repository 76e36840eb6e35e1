"""Play an EHR against the pgx CDS Hooks service: discovery, prefetch, order-select, cards.

    python examples/fhir/play_ehr.py                       # starts pgx's service on 127.0.0.1
    python examples/fhir/play_ehr.py --drug codeine
    python examples/fhir/play_ehr.py --url http://127.0.0.1:8080 --bundle my-patient.json

The "EHR" holds one patient's record as a FHIR Bundle (default: examples/fhir/pgx-genotypes.json).
It reads the service's discovery document, resolves each prefetch template against that
record the way an EHR's FHIR server would (resource type, ``code=`` and ``status=``
filters, nothing more), builds an order-select request for a draft MedicationRequest of the
chosen drug (RxNorm ingredient code), sends it, and prints the cards.
Needs ``pip install 'pgx[server]'``.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
RXNORM_CODES = {
    "clopidogrel": "32968",
    "codeine": "2670",
    "omeprazole": "7646",
    "warfarin": "11289",
}


def _http(method: str, url: str, body: object | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


def _matches(resource: dict[str, Any], query: dict[str, list[str]]) -> bool:
    """The few FHIR search parameters pgx's prefetch templates use."""
    if "code" in query:
        wanted = {c.split("|")[-1] for c in query["code"][0].split(",")}
        codes = {c.get("code") for c in resource.get("code", {}).get("coding", [])}
        if not codes & wanted:
            return False
    if "status" in query and resource.get("status") not in query["status"][0].split(","):
        return False
    if "clinical-status" in query:
        status = resource.get("clinicalStatus", {}).get("coding", [{}])[0].get("code")
        return status in query["clinical-status"][0].split(",")
    return True


def resolve_prefetch(template: str, record: list[dict[str, Any]], patient: str) -> Any:
    """What an EHR would send for one prefetch template, from the patient's record."""
    filled = template.replace("{{context.patientId}}", patient)
    if "?" not in filled:  # a read: Patient/123
        kind, _, rid = filled.partition("/")
        found = [r for r in record if r["resourceType"] == kind and r.get("id") == rid]
        return found[0] if found else None
    kind, _, query_string = filled.partition("?")
    query = urllib.parse.parse_qs(query_string)
    hits = [r for r in record if r["resourceType"] == kind and _matches(r, query)]
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(hits),
        "entry": [{"resource": r} for r in hits],
    }


def order_select_request(
    service: dict[str, Any], record: list[dict[str, Any]], patient: str, drug: str
) -> dict[str, Any]:
    """An order-select request for a draft order of ``drug``, with the prefetch filled in."""
    order = {
        "resourceType": "MedicationRequest",
        "id": f"draft-{drug}",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{patient}"},
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": RXNORM_CODES[drug], "display": drug}]
        },
    }
    return {
        "hookInstance": str(uuid.uuid4()),
        "hook": "order-select",
        "context": {
            "userId": "Practitioner/example",
            "patientId": patient,
            "selections": [f"MedicationRequest/{order['id']}"],
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": order}],
            },
        },
        "prefetch": {
            key: resolve_prefetch(template, record, patient)
            for key, template in service["prefetch"].items()
        },
    }


def play(url: str, bundle: Path, drug: str) -> list[dict[str, Any]]:
    """Discovery, then one order-select call; returns the cards."""
    record = [e["resource"] for e in json.loads(bundle.read_text())["entry"]]
    patient = next(r["id"] for r in record if r["resourceType"] == "Patient")
    services = _http("GET", f"{url}/cds-services")["services"]
    service = next(s for s in services if s["hook"] == "order-select")
    print(f"discovery: {len(services)} services; order-select is {service['id']!r}")
    request = order_select_request(service, record, patient, drug)
    cards: list[dict[str, Any]] = _http("POST", f"{url}/cds-services/{service['id']}", request)[
        "cards"
    ]
    print(f"order-select for {drug}: {len(cards)} card(s)\n")
    for card in cards:
        print(f"[{card['indicator']}] {card['summary']}")
        print(f"    source: {card['source']['label']}")
        for suggestion in card.get("suggestions", []):
            print(f"    suggestion: {suggestion['label']}")
    return cards


def _serve_locally() -> tuple[str, Any]:
    import uvicorn  # noqa: PLC0415 - only when no --url is given

    from pgx.service import create_app  # noqa: PLC0415

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run the example; returns the cards (for the tests)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running service (default: start one on 127.0.0.1)")
    parser.add_argument("--bundle", type=Path, default=HERE / "pgx-genotypes.json")
    parser.add_argument("--drug", choices=sorted(RXNORM_CODES), default="clopidogrel")
    args = parser.parse_args(argv)
    if args.url:
        return play(args.url.rstrip("/"), args.bundle, args.drug)
    url, server = _serve_locally()
    try:
        return play(url, args.bundle, args.drug)
    finally:
        server.should_exit = True


if __name__ == "__main__":
    main()
