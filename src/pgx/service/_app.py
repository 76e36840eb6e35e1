"""The ASGI application (Starlette): discovery, the three hooks, feedback and health."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attrs import field, frozen
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pgx.io import default_ruleset
from pgx.model.ruleset import RuleSet
from pgx.service._auth import Verifier
from pgx.service._hooks import RequestError, discovery, handle, service

__all__ = ["ServiceConfig", "create_app"]

log = logging.getLogger("pgx.service")


@frozen
class ServiceConfig:
    """How the CDS Hooks service runs.

    Attributes:
        service_url: The public base URL the EHR calls (``https://cds.example.org``); a
            JWT's ``aud`` must be it or the URL of the endpoint called. Needed with issuers.
        issuers: Trusted JWT issuers to their JWKS (file path or URL); empty turns the JWT
            check off (for a local sandbox only).
        max_body_bytes: Larger request bodies are refused with 413.
        feedback_log: The append-only JSON-lines file feedback is written to; ``None`` keeps
            no record (feedback is still accepted).
        log_patient_data: Put patient ids and free-text override comments in logs. Off by
            default: logs then hold only hook, service, timings, counts and card ids.
    """

    service_url: str | None = None
    issuers: dict[str, str] = field(factory=dict)
    max_body_bytes: int = 2_000_000
    feedback_log: Path | None = None
    log_patient_data: bool = False


class _Cards:
    """Card ids issued recently, to the rule behind each, so feedback names the rule."""

    def __init__(self, size: int = 50_000) -> None:
        self._rules: OrderedDict[str, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def issued(self, cards: list[dict[str, Any]]) -> None:
        with self._lock:
            for card in cards:
                self._rules[card["uuid"]] = card.get("extension", {}).get("pgx.rule")
            while len(self._rules) > self._size:
                self._rules.popitem(last=False)

    def rule(self, uuid: str) -> Any:
        with self._lock:
            return self._rules.get(uuid)


def _error(exc: RequestError) -> JSONResponse:
    return JSONResponse({"error": exc.message}, status_code=exc.status)


async def _json_body(request: Request, limit: int) -> object:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise RequestError(f"request body larger than {limit} bytes", 413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(f"request body larger than {limit} bytes", 413)
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestError(f"request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise RequestError("request body nests too deeply") from None


class _App:
    """The endpoints, sharing the compiled rules, the token verifier and the card register."""

    def __init__(self, rules: RuleSet, cfg: ServiceConfig, version: str) -> None:
        self.rules = rules
        self.cfg = cfg
        self.version = version
        self.verifier = None
        if cfg.issuers:
            if not cfg.service_url:
                raise ValueError("JWT issuers need the service URL (the tokens' audience)")
            self.verifier = Verifier(cfg.issuers, cfg.service_url)
        self.cards = _Cards()
        self.feedback_lock = threading.Lock()

    def authorize(self, request: Request) -> None:
        if self.verifier is not None:
            self.verifier.check(request.headers.get("authorization"), request.url.path)

    async def discover(self, request: Request) -> Response:
        return JSONResponse(discovery())

    async def health(self, request: Request) -> Response:
        rs = self.rules
        return JSONResponse(
            {
                "status": "ok",
                "pgx": self.version,
                "ruleset": {"name": rs.name, "version": rs.version, "sha256": rs.sha256},
                "rules": len(rs.rules),
            }
        )

    async def call(self, request: Request) -> Response:
        started = time.perf_counter()
        service_id = request.path_params["service_id"]
        fields: dict[str, Any] = {"service": service_id}
        try:
            service(service_id)
            self.authorize(request)
            body = await _json_body(request, self.cfg.max_body_bytes)
            response, fields = handle(service_id, body, self.rules, version=self.version)
            self.cards.issued(response["cards"])
            if self.cfg.log_patient_data and isinstance(body, dict):
                fields["patientId"] = body.get("context", {}).get("patientId")
            result: Response = JSONResponse(response)
        except RequestError as exc:
            result = _error(exc)
            fields["error"] = exc.message if self.cfg.log_patient_data else exc.status
        except Exception as exc:  # never a traceback to the client, nor patient data in logs
            log.error("internal error in %s: %s", service_id, type(exc).__name__)
            result = JSONResponse({"error": "internal error"}, status_code=500)
        elapsed = round(1000 * (time.perf_counter() - started), 2)
        fields |= {"status": result.status_code, "ms": elapsed}
        log.info("cds %s", json.dumps(fields, sort_keys=True))
        return result

    async def feedback(self, request: Request) -> Response:
        service_id = request.path_params["service_id"]
        try:
            service(service_id)
            self.authorize(request)
            body = await _json_body(request, self.cfg.max_body_bytes)
            records = _feedback_records(body, service_id, self.cards, self.cfg.log_patient_data)
        except RequestError as exc:
            return _error(exc)
        except Exception as exc:
            log.error("internal error in feedback: %s", type(exc).__name__)
            return JSONResponse({"error": "internal error"}, status_code=500)
        if self.cfg.feedback_log is not None:
            self._append(self.cfg.feedback_log, records)
        log.info("feedback %s: %d record(s)", service_id, len(records))
        return JSONResponse({"recorded": len(records)})

    def _append(self, path: Path, records: list[dict[str, Any]]) -> None:
        lines = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
        with self.feedback_lock:  # O_APPEND: earlier records are never rewritten
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, lines.encode())
                os.fsync(fd)
            finally:
                os.close(fd)


def create_app(ruleset: RuleSet | None = None, config: ServiceConfig | None = None) -> Starlette:
    """The CDS Hooks service as an ASGI app (serve it with uvicorn, or ``pgx serve``).

    Args:
        ruleset: The rules to apply; the bundled rules by default.
        config: Authentication, limits and the feedback log; defaults suit a local sandbox.

    Raises:
        ValueError: JWT issuers are configured without the service URL.
    """
    from importlib.metadata import version  # noqa: PLC0415

    rules = ruleset if ruleset is not None else default_ruleset()
    rules.compiled  # noqa: B018 - compile once at start-up, not on the first order
    app = _App(rules, config if config is not None else ServiceConfig(), version("pgx"))
    routes = [
        Route("/cds-services", app.discover, methods=["GET"]),
        Route("/cds-services/{service_id}", app.call, methods=["POST"]),
        Route("/cds-services/{service_id}/feedback", app.feedback, methods=["POST"]),
        Route("/healthz", app.health, methods=["GET"]),
    ]
    return Starlette(routes=routes)


_OUTCOMES = frozenset({"accepted", "overridden"})


def _feedback_records(
    body: object, service_id: str, cards: _Cards, keep_comments: bool
) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list):
        raise RequestError("expected {'feedback': [...]}")
    received = datetime.now(UTC).replace(microsecond=0).isoformat()
    out = []
    for i, item in enumerate(body["feedback"]):
        where = f"feedback[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("card"), str):
            raise RequestError(f"{where}.card: expected the card's uuid")
        if item.get("outcome") not in _OUTCOMES:
            raise RequestError(f"{where}.outcome: expected 'accepted' or 'overridden', found "
                               f"{item.get('outcome')!r:.40}")  # fmt: skip
        record: dict[str, Any] = {
            "received": received,
            "service": service_id,
            "card": item["card"],
            "outcome": item["outcome"],
            "rule": cards.rule(item["card"]),
        }
        for key in ("outcomeTimestamp", "acceptedSuggestions"):
            if key in item:
                record[key] = item[key]
        reason = item.get("overrideReason")
        if isinstance(reason, dict):
            kept = {"reason": reason.get("reason")}
            if keep_comments and "userComment" in reason:
                kept["userComment"] = reason["userComment"]
            record["overrideReason"] = kept
        out.append(record)
    return out
