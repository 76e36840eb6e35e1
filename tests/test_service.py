"""The CDS Hooks service, served by uvicorn on 127.0.0.1 and called over HTTP with httpx."""

from __future__ import annotations

import copy
import json
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from pgx import default_ruleset
from pgx.service import PREFETCH, ServiceConfig, create_app
from tests.service_support import CLOPIDOGREL, EXAMPLES, PATIENT, RXNORM, Server, free_port
from tests.service_support import order as _order
from tests.service_support import request as _request


@pytest.fixture(scope="module")
def feedback_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service") / "feedback.jsonl"


@pytest.fixture(scope="module")
def client(feedback_log: Path) -> Iterator[httpx.Client]:
    config = ServiceConfig(feedback_log=feedback_log, max_body_bytes=200_000)
    with Server(config) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


# ------------------------------------------------------------------ discovery and health
def test_discovery_conforms(client: httpx.Client) -> None:
    reply = client.get("/cds-services")
    assert reply.status_code == 200
    services = reply.json()["services"]
    assert {s["hook"] for s in services} == {"order-select", "order-sign", "patient-view"}
    assert len({s["id"] for s in services}) == 3
    for s in services:
        assert s["description"]
        assert s["prefetch"] == PREFETCH
        assert "{{context.patientId}}" in s["prefetch"]["genomics"]
        assert "84413-4" in s["prefetch"]["genomics"]


def test_health(client: httpx.Client) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["ruleset"]["sha256"] == default_ruleset().sha256


# ------------------------------------------------------------------ hooks
def _card_for(cards: list[dict[str, Any]], drug: str) -> dict[str, Any]:
    return next(c for c in cards if drug in c["summary"].lower() and c["indicator"] != "info")


def test_order_select_poor_metabolizer_clopidogrel(client: httpx.Client) -> None:
    reply = client.post(
        "/cds-services/pgx-order-select", json=_request("order-select", CLOPIDOGREL)
    )
    assert reply.status_code == 200, reply.text
    cards = reply.json()["cards"]
    card = _card_for(cards, "clopidogrel")
    assert card["indicator"] in ("warning", "critical")
    rule = card["extension"]["pgx.rule"]
    assert default_ruleset().rule(rule["id"]).version == rule["version"]
    assert rule["id"] in card["source"]["label"]
    assert card["source"]["url"].startswith("https://pubmed.ncbi.nlm.nih.gov/")
    assert all(link["type"] == "absolute" for link in card["links"])
    labels = sorted(s["label"] for s in card["suggestions"])
    assert labels == ["Use prasugrel instead", "Use ticagrelor instead"]
    assert card["selectionBehavior"] == "at-most-one"
    actions = card["suggestions"][0]["actions"]
    assert actions[0] == {
        "type": "delete",
        "description": "Cancel the clopidogrel order",
        "resourceId": ["MedicationRequest/o1"],
    }
    assert actions[1]["resource"]["subject"] == {"reference": f"Patient/{PATIENT}"}
    assert sum(c["indicator"] == "info" for c in cards) <= 1
    # only the ordered drug: omeprazole (active) has CYP2C19 rules too, not shown here
    assert not any("omeprazole" in c["summary"].lower() for c in cards)


def test_order_select_reads_the_drug_by_name_and_only_the_selected_order(
    client: httpx.Client,
) -> None:
    by_name = _order("o2", text="Clopidogrel 75 MG Oral Tablet")
    other = _order("o3", text="codeine sulfate 30 MG Oral Tablet")
    request = _request("order-select", by_name, other, selections=["MedicationRequest/o2"])
    cards = client.post("/cds-services/pgx-order-select", json=request).json()["cards"]
    assert _card_for(cards, "clopidogrel")
    assert not any("codeine" in c["summary"].lower() for c in cards)


def test_order_sign_checks_every_draft_order(client: httpx.Client) -> None:
    codeine = _order("o4", {"system": RXNORM, "code": "2670"})
    request = _request("order-sign", CLOPIDOGREL, codeine)
    reply = client.post("/cds-services/pgx-order-sign", json=request)
    assert reply.status_code == 200, reply.text
    found = [c["extension"]["pgx.rule"] for c in reply.json()["cards"]]
    rules = {r["id"] for r in found if isinstance(r, dict)}  # the undecided card has a list
    assert "cpic-cyp2c19-clopidogrel-poor" in rules
    assert "cpic-cyp2d6-codeine-intermediate" in rules  # CYP2D6 *1/*4 from two haplotypes


def test_patient_view_uses_current_medications(client: httpx.Client) -> None:
    reply = client.post("/cds-services/pgx-patient-view", json=_request("patient-view"))
    assert reply.status_code == 200, reply.text
    cards = reply.json()["cards"]
    assert cards
    assert all(
        "omeprazole" in json.dumps(c["extension"]).lower()
        or c["indicator"] == "info"
        or "omeprazole" in c["summary"].lower()
        for c in cards
    )


def test_no_genotype_gives_one_info_card_and_no_guess(client: httpx.Client) -> None:
    request = _request("order-select", CLOPIDOGREL)
    request["prefetch"]["genomics"] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    cards = client.post("/cds-services/pgx-order-select", json=request).json()["cards"]
    assert len(cards) == 1
    assert cards[0]["indicator"] == "info"
    assert "CYP2C19" in cards[0]["summary"]


def test_absent_prefetch_says_what_was_needed(client: httpx.Client) -> None:
    request = _request("order-select", CLOPIDOGREL)
    del request["prefetch"]["genomics"]
    reply = client.post("/cds-services/pgx-order-select", json=request)
    assert reply.status_code == 412
    assert "'genomics': Observation?patient={{context.patientId}}" in reply.json()["error"]
    request["prefetch"]["genomics"] = {"resourceType": "OperationOutcome", "issue": []}
    assert client.post("/cds-services/pgx-order-select", json=request).status_code == 412


# ------------------------------------------------------------------ bad requests
def _post(
    client: httpx.Client, body: bytes, path: str = "/cds-services/pgx-order-select"
) -> httpx.Response:
    return client.post(path, content=body, headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.update(hook="patient-view"), "request.hook"),
        (lambda r: r.pop("hookInstance"), "request.hookInstance"),
        (lambda r: r.update(context=[]), "request.context: expected a JSON object"),
        (lambda r: r["context"].pop("patientId"), "request.context.patientId"),
        (lambda r: r["context"].update(draftOrders=7), "context.draftOrders"),
        (lambda r: r["context"].update(selections="MedicationRequest/o1"), "context.selections"),
        (
            lambda r: r["prefetch"].update(genomics={"resourceType": "Bundle", "entry": [1]}),
            "prefetch.genomics",
        ),
        (
            lambda r: r["prefetch"]["genomics"]["entry"][0]["resource"].update(
                subject={"reference": "Patient/someone-else"}
            ),
            "expected Patient/example-pgx-1",
        ),
    ],
)
def test_malformed_requests_are_400_with_a_message(
    client: httpx.Client, mutate: Any, message: str
) -> None:
    request = _request("order-select", CLOPIDOGREL)
    mutate(request)
    reply = client.post("/cds-services/pgx-order-select", json=request)
    assert reply.status_code == 400, reply.text
    assert message in reply.json()["error"]


def test_bad_json_unknown_service_and_size_limit(client: httpx.Client) -> None:
    reply = _post(client, b'{"hook": ')
    assert reply.status_code == 400
    assert reply.json()["error"].startswith("request body is not valid JSON")
    assert _post(client, b"[1, 2]").status_code == 400
    assert _post(client, b"[" * 100_000).status_code == 400  # nesting, not a crash
    assert _post(client, b"{}", "/cds-services/nope").status_code == 404
    big = json.dumps({"padding": "x" * 300_000}).encode()
    reply = _post(client, big)
    assert reply.status_code == 413
    assert "Traceback" not in reply.text


def test_logs_hold_no_patient_data(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="pgx.service"):
        client.post("/cds-services/pgx-order-select", json=_request("order-select", CLOPIDOGREL))
        request = _request("order-select", CLOPIDOGREL)
        request["prefetch"]["genomics"]["entry"][0]["resource"]["subject"] = {
            "reference": "Patient/x"
        }
        client.post("/cds-services/pgx-order-select", json=request)
    assert "cds " in caplog.text
    assert PATIENT not in caplog.text
    assert "Patient/x" not in caplog.text


# ------------------------------------------------------------------ feedback
def test_feedback_is_appended_with_the_rule(client: httpx.Client, feedback_log: Path) -> None:
    cards = client.post(
        "/cds-services/pgx-order-select", json=_request("order-select", CLOPIDOGREL)
    ).json()["cards"]
    card = _card_for(cards, "clopidogrel")
    before = feedback_log.read_text().splitlines() if feedback_log.exists() else []
    body = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": card["overrideReasons"][1],
                    "userComment": "patient note",
                },
                "outcomeTimestamp": "2026-01-01T00:00:00Z",
            }
        ]
    }
    reply = client.post("/cds-services/pgx-order-select/feedback", json=body)
    assert reply.status_code == 200
    lines = feedback_log.read_text().splitlines()
    assert lines[: len(before)] == before  # append-only
    record = json.loads(lines[-1])
    assert record["rule"]["id"] == card["extension"]["pgx.rule"]["id"]
    assert record["overrideReason"]["reason"]["code"] == "benefit-outweighs-risk"
    assert "userComment" not in record["overrideReason"]  # free text is patient data
    bad = client.post("/cds-services/pgx-order-select/feedback", json={"feedback": [{"card": 1}]})
    assert bad.status_code == 400


# ------------------------------------------------------------------ JWT bearer check
ISSUER = "https://ehr.example.org"


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def secured(
    tmp_path_factory: pytest.TempPathFactory, signing_key: rsa.RSAPrivateKey
) -> Iterator[tuple[httpx.Client, str]]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    jwks = tmp_path_factory.mktemp("jwks") / "ehr.json"
    jwks.write_text(json.dumps({"keys": [jwk | {"kid": "k1", "alg": "RS384", "use": "sig"}]}))
    port = free_port()
    service_url = f"http://127.0.0.1:{port}"
    config = ServiceConfig(service_url=service_url, issuers={ISSUER: str(jwks)})
    with Server(config, port), httpx.Client(base_url=service_url, timeout=30) as http:
        yield http, service_url


def _token(key: rsa.RSAPrivateKey, aud: str, **claims: Any) -> str:
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "sub": "ehr-client",
        "aud": aud,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    } | claims
    token: str = jwt.encode(body, key, algorithm="RS384", headers={"kid": "k1"})
    return token


def test_auth_on(secured: tuple[httpx.Client, str], signing_key: rsa.RSAPrivateKey) -> None:
    http, base = secured
    path = "/cds-services/pgx-order-select"
    body = _request("order-select", CLOPIDOGREL)
    assert http.get("/cds-services").status_code == 200  # discovery stays open
    assert http.post(path, json=body).status_code == 401
    good = _token(signing_key, base + path)
    reply = http.post(path, json=body, headers={"authorization": f"Bearer {good}"})
    assert reply.status_code == 200, reply.text
    replay = http.post(path, json=body, headers={"authorization": f"Bearer {good}"})
    assert replay.status_code == 401
    assert "already used" in replay.json()["error"]
    wrong_aud = _token(signing_key, "https://elsewhere.example.org" + path)
    assert (
        http.post(path, json=body, headers={"authorization": f"Bearer {wrong_aud}"}).status_code
        == 401
    )
    untrusted = _token(signing_key, base + path, iss="https://evil.example.org")
    reply = http.post(path, json=body, headers={"authorization": f"Bearer {untrusted}"})
    assert reply.status_code == 401
    assert "not trusted" in reply.json()["error"]
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = _token(other_key, base + path)
    assert (
        http.post(path, json=body, headers={"authorization": f"Bearer {forged}"}).status_code == 401
    )
    expired = _token(signing_key, base + path, exp=int(time.time()) - 600)
    assert (
        http.post(path, json=body, headers={"authorization": f"Bearer {expired}"}).status_code
        == 401
    )


def test_auth_off_accepts_unsigned_calls(client: httpx.Client) -> None:
    body = copy.deepcopy(_request("order-select", CLOPIDOGREL))
    assert client.post("/cds-services/pgx-order-select", json=body).status_code == 200


def test_issuers_need_the_service_url(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="service URL"):
        create_app(default_ruleset(), ServiceConfig(issuers={ISSUER: str(tmp_path / "x.json")}))


def test_serve_command_checks_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    from pgx.cli import main

    assert main(["serve", "--issuer", "no-equals-sign"]) == 2
    assert "expected ISSUER=JWKS" in capsys.readouterr().err
    assert main(["serve", "--issuer", f"{ISSUER}=/nonexistent.json"]) == 2
    assert "JWT issuers need the service URL" in capsys.readouterr().err


def test_play_ehr_example_matches_the_docs(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("play_ehr", EXAMPLES / "play_ehr.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cards = module.main(["--drug", "clopidogrel"])
    # CPIC and DPWG both advise against clopidogrel: one card each, CPIC's first
    assert [c["extension"]["pgx.rule"]["id"] for c in cards] == [
        "cpic-cyp2c19-clopidogrel-poor",
        "dpwg-cyp2c19-clopidogrel-poor",
    ]
    printed = capsys.readouterr().out
    docs = (EXAMPLES.parent.parent / "docs" / "ehr-integration.md").read_text()
    start = docs.index("```text\ndiscovery:") + len("```text\n")
    assert printed.strip() == docs[start : docs.index("```", start)].strip()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    path=st.sampled_from(
        [
            ("context",),
            ("context", "draftOrders"),
            ("prefetch",),
            ("prefetch", "genomics"),
            ("prefetch", "medications"),
            ("context", "selections"),
            (),
        ]
    ),
    value=_json,
)
def test_any_malformed_request_is_a_request_error_never_a_crash(
    path: tuple[str, ...], value: Any
) -> None:
    from pgx.service._hooks import RequestError, handle

    request: Any = _request("order-select", CLOPIDOGREL)
    if path:
        target = request
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    else:
        request = value
    try:
        response, _ = handle("pgx-order-select", request, default_ruleset(), version="0")
    except RequestError as exc:
        assert exc.status in (400, 412)
        assert exc.message
    else:
        assert isinstance(response["cards"], list)
