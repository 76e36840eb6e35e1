"""JWKS from a URL: fetched from a loopback JWKS server started here, kept, and refetched
only when an issuer rotates its keys (and then at most once per interval)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from pgx.service import ServiceConfig
from pgx.service._auth import RemoteKeys
from pgx.service._hooks import RequestError
from tests.service_support import CLOPIDOGREL, Server, free_port, request

ISSUER = "https://ehr.example.org"
SELECT = "/cds-services/pgx-order-select"


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    public: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return public | {"kid": kid, "alg": "RS256", "use": "sig"}


class _Jwks:
    """A JWKS document served on 127.0.0.1; counts the fetches and can change its keys."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.hits = 0
        self.status = 200
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hits += 1
                body = json.dumps({"keys": owner.keys}).encode()
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture(scope="module")
def jwks() -> Iterator[_Jwks]:
    served = _Jwks()
    served.thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()


@pytest.fixture(scope="module")
def keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    return tuple(rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in "ab")  # type: ignore[return-value]


def _token(key: rsa.RSAPrivateKey, kid: str, aud: str) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    token: str = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
    return token


def test_keys_are_fetched_once_kept_and_refetched_on_rotation(
    jwks: _Jwks, keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]
) -> None:
    first, second = keys
    jwks.keys, jwks.hits, jwks.status = [_jwk(first, "k1")], 0, 200
    now = [0.0]
    remote = RemoteKeys(jwks.url, ttl=300, min_refetch=30, clock=lambda: now[0])
    assert remote.key("k1") is not None
    assert remote.key("k1") is not None
    assert jwks.hits == 1  # kept
    with pytest.raises(RequestError, match="no kid 'k2'"):
        remote.key("k2")  # fetched at 0: not fetched again so soon
    assert jwks.hits == 1
    now[0] = 40.0
    jwks.keys = [_jwk(first, "k1"), _jwk(second, "k2")]  # the issuer rotates
    assert remote.key("k2") is not None
    assert jwks.hits == 2
    for kid in ("x1", "x2", "x3"):  # made-up key ids do not hammer the issuer
        with pytest.raises(RequestError):
            remote.key(kid)
    assert jwks.hits == 2
    now[0] = 340.0  # past the time to live: fetched again
    assert remote.key("k1") is not None
    assert jwks.hits == 3


def test_an_unreachable_issuer_is_401_and_not_retried_at_once(jwks: _Jwks) -> None:
    jwks.status, jwks.hits = 500, 0
    now = [0.0]
    remote = RemoteKeys(jwks.url, min_refetch=30, clock=lambda: now[0])
    with pytest.raises(RequestError, match="could not be read") as caught:
        remote.key("k1")
    assert caught.value.status == 401
    with pytest.raises(RequestError, match="not available"):
        remote.key("k1")
    assert jwks.hits == 1
    closed = RemoteKeys(f"http://127.0.0.1:{free_port()}/jwks.json", timeout=2)
    with pytest.raises(RequestError, match="could not be read"):
        closed.key(None)
    with pytest.raises(ValueError, match="http"):
        RemoteKeys("file:///etc/passwd")
    jwks.status = 200


def test_an_issuer_outage_keeps_the_keys_fetched_before(
    jwks: _Jwks, keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]
) -> None:
    jwks.keys, jwks.status = [_jwk(keys[0], "k1")], 200
    now = [0.0]
    remote = RemoteKeys(jwks.url, ttl=60, clock=lambda: now[0])
    assert remote.key("k1") is not None
    jwks.status, now[0] = 503, 100.0
    assert remote.key("k1") is not None
    jwks.status = 200


def test_the_service_checks_tokens_with_keys_from_the_url(
    jwks: _Jwks, keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]
) -> None:
    first, second = keys
    jwks.keys, jwks.hits, jwks.status = [_jwk(first, "k1")], 0, 200
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = ServiceConfig(service_url=base, issuers={ISSUER: jwks.url})
    with Server(config, port), httpx.Client(base_url=base, timeout=30) as http:
        body = request("order-select", CLOPIDOGREL)
        for _ in range(3):
            bearer = {"authorization": f"Bearer {_token(first, 'k1', base + SELECT)}"}
            reply = http.post(SELECT, json=body, headers=bearer)
            assert reply.status_code == 200, reply.text
        assert jwks.hits == 1
        forged = {"authorization": f"Bearer {_token(second, 'k1', base + SELECT)}"}
        reply = http.post(SELECT, json=body, headers=forged)
        assert reply.status_code == 401
        assert "Signature verification failed" in reply.json()["error"]
