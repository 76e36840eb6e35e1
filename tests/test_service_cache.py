"""The service's answer cache, its feedback log with several writers, and ``--workers``."""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from pgx import default_ruleset
from pgx.service import ServiceConfig
from pgx.service._cache import Answer, AnswerCache, call_key
from pgx.service._feedback import append_records
from pgx.service._hooks import handle, read_call
from tests.service_support import CLOPIDOGREL, RXNORM, Server, free_port, order, request

SELECT = "/cds-services/pgx-order-select"
ISSUER = "https://ehr.example.org"


def _key(body: dict[str, Any], sha: str | None = None, version: str = "1") -> bytes | None:
    rules = default_ruleset()
    call = read_call("pgx-order-select", body, rules)
    return call_key(call, sha or rules.sha256, version)


# ------------------------------------------------------------------ the key
def test_key_ignores_the_hook_instance_and_key_order_only() -> None:
    first = request("order-select", CLOPIDOGREL)
    again = copy.deepcopy(first)
    again["hookInstance"] = "another-instance"
    again["prefetch"] = dict(reversed(list(again["prefetch"].items())))  # same content
    assert _key(first) == _key(again)
    assert len(_key(first) or b"") == 32  # SHA-256


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r["context"].update(patientId="p2"),
        lambda r: r["prefetch"]["genomics"]["entry"].pop(),
        lambda r: r["prefetch"]["medications"]["entry"].clear(),
        lambda r: r["prefetch"].update(conditions={"resourceType": "Bundle", "entry": []}),
        lambda r: r["context"]["draftOrders"]["entry"][0]["resource"].update(
            medicationCodeableConcept={"coding": [{"system": RXNORM, "code": "2670"}]}
        ),
        lambda r: r["context"]["draftOrders"]["entry"][0]["resource"].update(id="o9"),
    ],
)
def test_key_changes_with_what_decides_the_answer(change: Any) -> None:
    first = request("order-select", CLOPIDOGREL)
    changed = copy.deepcopy(first)
    change(changed)
    if changed["context"]["patientId"] != first["context"]["patientId"]:
        for entry in [
            *changed["prefetch"]["genomics"]["entry"],
            *changed["context"]["draftOrders"]["entry"],
        ]:
            entry["resource"]["subject"]["reference"] = "Patient/p2"
    changed["context"]["selections"] = [
        f"MedicationRequest/{e['resource']['id']}"
        for e in changed["context"]["draftOrders"]["entry"]
    ]
    assert _key(first) != _key(changed)


def test_key_changes_with_the_ruleset_and_version() -> None:
    body = request("order-select", CLOPIDOGREL)
    assert _key(body) != _key(body, sha="0" * 64)  # other rules never get this answer
    assert _key(body) != _key(body, version="2")


def test_unencodable_content_is_answered_but_not_keyed() -> None:
    body = request("order-select", CLOPIDOGREL)
    body["prefetch"]["extra"] = {"resourceType": "Bundle", "entry": [], "n": 2**70}
    assert _key(body) is None


# ------------------------------------------------------------------ the cache
def test_cache_expires_and_is_bounded() -> None:
    now = [0.0]
    cache = AnswerCache(size=2, ttl=10, clock=lambda: now[0])
    a, b, c = (Answer(x.encode(), ()) for x in "abc")
    cache.put(b"a", a)
    cache.put(b"b", b)
    assert cache.get(b"a") is a  # a is now the most recently used
    cache.put(b"c", c)
    assert cache.get(b"b") is None  # least recently used went first
    assert cache.get(b"a") is a
    assert len(cache) == 2
    now[0] = 10.0
    assert cache.get(b"a") is None  # expired at exactly its time to live
    assert len(cache) == 1
    assert (cache.hits, cache.misses) == (2, 2)


def test_cache_of_size_zero_keeps_nothing() -> None:
    cache = AnswerCache(size=0)
    cache.put(b"k", Answer(b"x", ()))
    assert cache.get(b"k") is None
    with pytest.raises(ValueError, match="≥ 0"):
        AnswerCache(size=-1)


@pytest.fixture(scope="module")
def cached(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    log = tmp_path_factory.mktemp("cached") / "feedback.jsonl"
    with (
        Server(ServiceConfig(feedback_log=log, cache_size=4)) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        yield http


def test_a_cached_answer_is_the_computed_answer(cached: httpx.Client) -> None:
    body = request("order-select", CLOPIDOGREL)
    first = cached.post(SELECT, json=body)
    again = copy.deepcopy(body)
    again["hookInstance"] = "new-instance"
    second = cached.post(SELECT, json=again)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    computed, _ = handle("pgx-order-select", body, default_ruleset(), version=_pgx_version())
    assert orjson.loads(first.content) == computed
    assert cached.get("/healthz").json()["cache"] == {"entries": 1, "size": 4}
    # feedback on a card served from the cache still names its rule
    card = next(c for c in second.json()["cards"] if c["indicator"] != "info")
    reply = cached.post(
        SELECT + "/feedback", json={"feedback": [{"card": card["uuid"], "outcome": "accepted"}]}
    )
    assert reply.json() == {"recorded": 1}


def test_errors_are_not_cached(cached: httpx.Client) -> None:
    body = request("order-select", CLOPIDOGREL)
    body["prefetch"]["genomics"]["entry"][0]["resource"]["subject"]["reference"] = "Patient/x"
    assert cached.post(SELECT, json=body).status_code == 400
    assert cached.post(SELECT, json=body).status_code == 400


def _pgx_version() -> str:
    from importlib.metadata import version

    return version("pgx")


# ------------------------------------------------------------------ feedback, several writers
def _write(path: str, writer: int) -> None:
    records = [{"writer": writer, "n": n, "pad": "x" * 70_000} for n in range(25)]
    for record in records:
        append_records(Path(path), [record, record])  # two lines in one write


def test_feedback_log_lines_stay_whole_with_several_processes(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    path.write_text('{"earlier": true}\n')
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=_write, args=(str(path), w)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    lines = path.read_bytes().splitlines()
    assert lines[0] == b'{"earlier": true}'  # nothing before is rewritten
    records = [json.loads(line) for line in lines[1:]]  # every line whole JSON
    assert len(records) == 4 * 25 * 2
    assert sorted({(r["writer"], r["n"]) for r in records}) == [
        (w, n) for w in range(4) for n in range(25)
    ]
    # a request's records are adjacent: one write each
    assert all(records[i] == records[i + 1] for i in range(0, len(records), 2))
    assert oct(path.stat().st_mode & 0o777) in ("0o600", "0o644")


# ------------------------------------------------------------------ pgx serve --workers
def _token(key: rsa.RSAPrivateKey, aud: str) -> dict[str, str]:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    return {"authorization": f"Bearer {token}"}


def test_serve_with_two_workers(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "feedback.jsonl"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk | {"kid": "k1", "alg": "RS256"}]}))
    pgx = Path(sys.executable).with_name("pgx")
    command = [str(pgx), "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(
        [
            *command,
            *("--feedback-log", str(log), "--cache-size", "8", "--cache-ttl", "30"),
            *("--cors-origin", "https://sandbox.cds-hooks.org"),
            *("--service-url", url, "--issuer", f"{ISSUER}={jwks}"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=url, timeout=30) as http:
            while True:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "pgx serve --workers 2 did not start"
                time.sleep(0.3)
            codeine = order("o4", {"system": RXNORM, "code": "2670"})
            for _ in range(4):
                body = request("order-select", codeine)
                reply = http.post(SELECT, json=body, headers=_token(key, url + SELECT))
                assert reply.status_code == 200, reply.text
                assert "cpic-cyp2d6-codeine-intermediate" in reply.text
            assert http.get("/healthz").json()["cache"]["size"] == 8
            origin = {"Origin": "https://sandbox.cds-hooks.org"}  # the setup reached the workers
            reply = http.get("/cds-services", headers=origin)
            assert reply.headers["access-control-allow-origin"] == origin["Origin"]
        # one register of token ids for both workers: a replay fails on either of them
        once = _token(key, url + SELECT)
        body = request("order-select", codeine)
        assert httpx.post(url + SELECT, json=body, headers=once).status_code == 200
        for _ in range(8):  # a new connection each time: the workers take turns accepting
            replay = httpx.post(url + SELECT, json=body, headers=once)
            assert replay.status_code == 401
            assert "already used" in replay.json()["error"]
        # feedback names the card only; whichever worker receives it knows the card's rule
        cards = httpx.post(url + SELECT, json=body, headers=_token(key, url + SELECT)).json()
        card = next(c for c in cards["cards"] if isinstance(c["extension"]["pgx.rule"], dict))
        feedback = {"feedback": [{"card": card["uuid"], "outcome": "accepted"}]}
        for _ in range(6):
            reply = httpx.post(
                url + SELECT + "/feedback",
                json=feedback,
                headers=_token(key, url + SELECT + "/feedback"),
            )
            assert reply.json() == {"recorded": 1}
        records = [json.loads(line) for line in log.read_text().splitlines()]
        assert len(records) == 6
        assert {r["rule"]["id"] for r in records} == {card["extension"]["pgx.rule"]["id"]}
    finally:
        os.kill(proc.pid, signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_serve_command_checks_worker_and_cache_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pgx.cli import main

    assert main(["serve", "--workers", "0"]) == 2
    assert "expected ≥ 1 worker" in capsys.readouterr().err
    assert main(["serve", "--cache-size", "-1"]) == 2


def test_shared_registers_are_shared_between_processes(tmp_path: Path) -> None:
    from pgx.service._registers import MemoryTokens, SharedRegisters

    path = tmp_path / "seen.sqlite3"
    one, two = SharedRegisters(path), SharedRegisters(path)  # two workers' connections
    later = time.time() + 300
    assert one.first_use("iss\njti-1", later)
    assert not two.first_use("iss\njti-1", later)
    assert two.first_use("iss\njti-2", later)
    rule = {"id": "cpic-cyp2c19-clopidogrel-poor", "version": "1.0.0"}
    one.issued((("card-1", rule), ("card-2", None)))
    assert two.rule("card-1") == rule
    assert two.rule("card-2") is None
    assert two.rule("card-3") is None
    memory = MemoryTokens()
    assert memory.first_use("k", later)
    assert not memory.first_use("k", later)
