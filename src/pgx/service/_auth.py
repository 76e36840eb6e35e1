"""The CDS Hooks JWT bearer check: trusted issuers, their keys, audience, expiry, replay.

A CDS Client signs a short-lived JWT with its private key; the service trusts only the
issuers it is configured with, each with a JWKS (a file, or a URL fetched and cached by
PyJWT). The token's ``aud`` must be the URL of the endpoint called (or the service's base
URL), and a ``jti`` is accepted once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt

from pgx.service._hooks import RequestError

__all__ = ["Verifier"]

_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]
_REQUIRED = ["iss", "aud", "exp", "iat", "jti"]


def _unauthorized(message: str) -> RequestError:
    return RequestError(f"authorization: {message}", 401)


class Verifier:
    """Checks ``Authorization: Bearer <jwt>`` headers against trusted issuers.

    Args:
        issuers: Issuer (``iss``) to the JWKS that holds its public keys: a file path or an
            ``http(s)://`` URL.
        service_url: The service's public base URL, e.g. ``https://cds.example.org``.
    """

    def __init__(self, issuers: Mapping[str, str], service_url: str) -> None:
        self.service_url = service_url.rstrip("/")
        self._file_keys: dict[str, jwt.PyJWKSet] = {}
        self._clients: dict[str, jwt.PyJWKClient] = {}
        for issuer, source in issuers.items():
            if source.startswith(("http://", "https://")):
                self._clients[issuer] = jwt.PyJWKClient(source, cache_keys=True, lifespan=300)
            else:
                data = json.loads(Path(source).read_text(encoding="utf-8"))
                self._file_keys[issuer] = jwt.PyJWKSet.from_dict(data)
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def _key(self, issuer: str, token: str, kid: str | None) -> Any:
        if issuer in self._clients:
            try:
                return self._clients[issuer].get_signing_key_from_jwt(token).key
            except jwt.PyJWKClientError as exc:
                raise _unauthorized(f"no key for the token: {exc}") from None
        keys = self._file_keys[issuer].keys
        for key in keys:
            if kid is None or key.key_id == kid:
                return key.key
        raise _unauthorized(f"issuer {issuer!r} has no key with kid {kid!r}")

    def check(self, header: str | None, path: str) -> dict[str, Any]:
        """The verified claims; `RequestError` (401) when the token is missing or wrong."""
        if header is None or not header.startswith("Bearer "):
            raise _unauthorized("expected 'Authorization: Bearer <JWT>'")
        token = header[len("Bearer ") :].strip()
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"not a JWT: {exc}") from None
        issuer = unverified.get("iss")
        if not isinstance(issuer, str) or (
            issuer not in self._clients and issuer not in self._file_keys
        ):
            raise _unauthorized(f"issuer {issuer!r} is not trusted")
        key = self._key(issuer, token, kid)
        audience = [self.service_url + path, self.service_url]
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=_ALGORITHMS,
                audience=audience,
                issuer=issuer,
                options={"require": _REQUIRED},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            raise _unauthorized(str(exc)) from None
        self._once(str(claims["jti"]), float(claims["exp"]))
        return claims

    def _once(self, jti: str, expires: float) -> None:
        now = time.time()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v > now}
            if jti in self._seen:
                raise _unauthorized("token already used (jti seen before)")
            self._seen[jti] = expires + 60
