"""Shared by the service tests: a uvicorn server on 127.0.0.1 and CDS Hooks requests."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import uvicorn

from pgx import default_ruleset
from pgx.service import ServiceConfig, create_app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "fhir"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
PATIENT = "example-pgx-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    def __init__(self, config: ServiceConfig, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(default_ruleset(), config)
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the service did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def genomics() -> dict[str, Any]:
    bundle = json.loads((EXAMPLES / "pgx-genotypes.json").read_text())
    keep = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    return {"resourceType": "Bundle", "type": "searchset", "entry": keep}


def order(
    rid: str, coding: dict[str, str] | None = None, text: str | None = None
) -> dict[str, Any]:
    concept: dict[str, Any] = {}
    if coding is not None:
        concept["coding"] = [coding]
    if text is not None:
        concept["text"] = text
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{PATIENT}"},
        "medicationCodeableConcept": concept,
    }


def request(
    hook: str, *orders: dict[str, Any], selections: list[str] | None = None
) -> dict[str, Any]:
    context: dict[str, Any] = {"userId": "Practitioner/1", "patientId": PATIENT}
    if hook != "patient-view":
        context["draftOrders"] = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": o} for o in orders],
        }
    if hook == "order-select":
        context["selections"] = selections or [f"MedicationRequest/{o['id']}" for o in orders]
    active = {
        "resourceType": "MedicationRequest",
        "id": "omeprazole-active",
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"Patient/{PATIENT}"},
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "7646"}]},
    }
    return {
        "hookInstance": str(uuid.uuid4()),
        "hook": hook,
        "context": context,
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": PATIENT},
            "genomics": genomics(),
            "medications": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": active}],
            },
        },
    }


CLOPIDOGREL = order("o1", {"system": RXNORM, "code": "32968", "display": "clopidogrel"})
