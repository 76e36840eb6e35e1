"""What an EHR vendor's interoperability tests check beyond the basics: orders no longer
being placed, resources about another patient, CORS for browser-based CDS Clients."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pgx import default_ruleset
from pgx.service import ServiceConfig
from pgx.service._hooks import RequestError, handle
from tests.service_support import CLOPIDOGREL, PATIENT, RXNORM, Server, order, request

SELECT = "/cds-services/pgx-order-select"
SANDBOX = "https://sandbox.cds-hooks.org"


def _rules(body: object, service: str = "pgx-order-sign") -> set[str]:
    response, _ = handle(service, body, default_ruleset(), version="0")
    return {
        c["extension"]["pgx.rule"]["id"]
        for c in response["cards"]
        if isinstance(c.get("extension", {}).get("pgx.rule"), dict)
    }


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled", "stopped", "completed"])
def test_an_order_no_longer_being_placed_gets_no_card(status: str) -> None:
    codeine = order("o4", {"system": RXNORM, "code": "2670"}) | {"status": status}
    rules = _rules(request("order-sign", CLOPIDOGREL, codeine))
    assert "cpic-cyp2c19-clopidogrel-poor" in rules
    assert not any("codeine" in r for r in rules)


def test_an_order_about_another_patient_is_a_400() -> None:
    other = order("o5", {"system": RXNORM, "code": "2670"}) | {
        "subject": {"reference": "Patient/someone-else"}
    }
    with pytest.raises(RequestError, match=r"draftOrders.entry\[1\].resource.subject") as caught:
        handle("pgx-order-sign", request("order-sign", CLOPIDOGREL, other), default_ruleset(),
               version="0")  # fmt: skip
    assert caught.value.status == 400


def test_a_prefetched_patient_that_is_not_the_patient_is_a_400() -> None:
    body = request("order-select", CLOPIDOGREL)
    body["prefetch"]["patient"] = {"resourceType": "Patient", "id": "someone-else"}
    with pytest.raises(RequestError, match=f"expected Patient/{PATIENT}"):
        handle("pgx-order-select", body, default_ruleset(), version="0")


def test_results_entered_in_error_or_preliminary_are_not_facts() -> None:
    for status in ("entered-in-error", "cancelled", "preliminary"):
        body = request("order-select", CLOPIDOGREL)
        for entry in body["prefetch"]["genomics"]["entry"]:
            entry["resource"]["status"] = status
        response, _ = handle("pgx-order-select", body, default_ruleset(), version="0")
        (card,) = response["cards"]
        assert card["indicator"] == "info"  # undecided: never a confident answer
        assert "CYP2C19" in card["summary"]


@pytest.fixture(scope="module")
def browser() -> Iterator[httpx.Client]:
    with (
        Server(ServiceConfig(cors_origins=(SANDBOX,))) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        yield http


def test_cors_for_a_browser_based_cds_client(browser: httpx.Client) -> None:
    preflight = browser.options(
        SELECT,
        headers={
            "Origin": SANDBOX,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == SANDBOX
    reply = browser.get("/cds-services", headers={"Origin": SANDBOX})
    assert reply.headers["access-control-allow-origin"] == SANDBOX
    assert "access-control-allow-credentials" not in reply.headers
    other = browser.get("/cds-services", headers={"Origin": "https://evil.example.org"})
    assert "access-control-allow-origin" not in other.headers


def test_no_cors_headers_unless_configured(tmp_path: object) -> None:
    with Server(ServiceConfig()) as server, httpx.Client(base_url=server.url) as http:
        reply = http.get("/cds-services", headers={"Origin": SANDBOX})
        assert "access-control-allow-origin" not in reply.headers
