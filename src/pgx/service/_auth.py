"""The CDS Hooks JWT bearer check: trusted issuers, their keys, audience, expiry, replay.

A CDS Client signs a short-lived JWT with its private key; the service trusts only the
issuers it is configured with, each with a JWKS: a file read at start-up, or a URL fetched
when first needed and kept for ``ttl`` seconds. A token whose ``kid`` the kept set lacks (the
issuer rotated its keys) fetches the set again, at most once per ``min_refetch`` seconds, so
tokens with made-up key ids cannot make the service hammer the issuer. The token's ``aud``
must be the URL of the endpoint called (or the service's base URL), and a ``jti`` is accepted
once.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jwt

from pgx.service._hooks import RequestError
from pgx.service._registers import MemoryTokens, TokenIds

__all__ = ["RemoteKeys", "Verifier"]

_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]
_REQUIRED = ["iss", "aud", "exp", "iat", "jti"]


def _unauthorized(message: str) -> RequestError:
    return RequestError(f"authorization: {message}", 401)


#: Largest JWKS document read from a URL.
_MAX_JWKS_BYTES = 1_000_000


def _fetch(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # http(s): checked
            data: bytes = reply.read(_MAX_JWKS_BYTES + 1)
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the connection open otherwise
        raise ValueError(f"HTTP status {exc.code}") from None
    if len(data) > _MAX_JWKS_BYTES:
        raise ValueError(f"larger than {_MAX_JWKS_BYTES} bytes")
    return data


class RemoteKeys:
    """An issuer's JWKS at a URL, fetched when needed and kept (thread-safe).

    Args:
        url: ``http(s)://`` address of the JWKS document.
        ttl: Seconds a fetched set is used before it is fetched again.
        min_refetch: Fewest seconds between two fetches (an unknown ``kid`` refetches).
        timeout: Seconds to wait for the issuer.
        fetch: ``(url, timeout) -> bytes`` (injectable for tests).
        clock: Monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        url: str,
        *,
        ttl: float = 300.0,
        min_refetch: float = 30.0,
        timeout: float = 5.0,
        fetch: Callable[[str, float], bytes] = _fetch,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s) JWKS URL, found {url!r}")
        self.url = url
        self._ttl = ttl
        self._min_refetch = min_refetch
        self._timeout = timeout
        self._fetch = fetch
        self._clock = clock
        self._keys: jwt.PyJWKSet | None = None
        self._fetched = float("-inf")
        self._lock = threading.Lock()
        self.fetches = 0

    def _refresh(self, now: float) -> None:
        self._fetched = now  # a failed fetch also waits min_refetch before the next
        self.fetches += 1
        try:
            data = json.loads(self._fetch(self.url, self._timeout))
            self._keys = jwt.PyJWKSet.from_dict(data)
        except (OSError, ValueError, jwt.PyJWTError) as exc:
            # keep the set fetched before, if any: an issuer's outage is not a key rotation
            if self._keys is None:
                raise _unauthorized(
                    f"the issuer's keys could not be read from {self.url}: "
                    f"{type(exc).__name__}: {exc}"
                ) from None

    def key(self, kid: str | None) -> Any:
        """The public key with this ``kid`` (any key when the token names none)."""
        with self._lock:
            now = self._clock()
            if self._keys is None or now - self._fetched >= self._ttl:
                if self._keys is None and now - self._fetched < self._min_refetch:
                    raise _unauthorized(f"the issuer's keys at {self.url} are not available")
                self._refresh(now)
            found = _match(self._keys, kid)
            if found is None and now - self._fetched >= self._min_refetch:
                self._refresh(now)  # the issuer may have rotated its keys
                found = _match(self._keys, kid)
        if found is None:
            raise _unauthorized(f"the issuer's keys at {self.url} have no kid {kid!r}")
        return found


def _match(keys: jwt.PyJWKSet | None, kid: str | None) -> Any:
    for key in keys.keys if keys is not None else ():
        if kid is None or key.key_id == kid:
            return key.key
    return None


class Verifier:
    """Checks ``Authorization: Bearer <jwt>`` headers against trusted issuers.

    Args:
        issuers: Issuer (``iss``) to the JWKS that holds its public keys: a file path or an
            ``http(s)://`` URL.
        service_url: The service's public base URL, e.g. ``https://cds.example.org``.
        register: Where accepted token ids are kept (this process's memory by default).
    """

    def __init__(
        self,
        issuers: Mapping[str, str],
        service_url: str,
        register: TokenIds | None = None,
    ) -> None:
        self.service_url = service_url.rstrip("/")
        self._register = register if register is not None else MemoryTokens()
        self._file_keys: dict[str, jwt.PyJWKSet] = {}
        self._clients: dict[str, RemoteKeys] = {}
        for issuer, source in issuers.items():
            if source.startswith(("http://", "https://")):
                self._clients[issuer] = RemoteKeys(source)
            else:
                data = json.loads(Path(source).read_text(encoding="utf-8"))
                self._file_keys[issuer] = jwt.PyJWKSet.from_dict(data)

    def _key(self, issuer: str, token: str, kid: str | None) -> Any:
        if issuer in self._clients:
            return self._clients[issuer].key(kid)
        found = _match(self._file_keys[issuer], kid)
        if found is None:
            raise _unauthorized(f"issuer {issuer!r} has no key with kid {kid!r}")
        return found

    @property
    def fetches_keys(self) -> bool:
        """Whether a check may fetch an issuer's JWKS over the network (so may block)."""
        return bool(self._clients)

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
        self._once(issuer, str(claims["jti"]), float(claims["exp"]))
        return claims

    def _once(self, issuer: str, jti: str, expires: float) -> None:
        if not self._register.first_use(f"{issuer}\n{jti}", expires):
            raise _unauthorized("token already used (jti seen before)")
