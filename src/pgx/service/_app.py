"""The ASGI application (Starlette): discovery, the three hooks, feedback and health."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import orjson
from attrs import field, frozen
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pgx.io import default_ruleset
from pgx.model.ruleset import RuleSet
from pgx.service._auth import Verifier
from pgx.service._cache import Answer, AnswerCache, call_key
from pgx.service._feedback import append_records, feedback_records
from pgx.service._hooks import RequestError, answer, discovery, log_fields, read_call, service
from pgx.service._registers import MemoryCards, SharedRegisters

__all__ = ["SETUP_VARIABLE", "ServiceConfig", "app_from_environment", "create_app", "setup_json"]

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
        cache_size: Most answers kept for repeated requests (per server process); 0 turns
            the cache off.
        cache_ttl: Seconds a kept answer is served for.
        cors_origins: Web origins whose browser-based CDS Clients (the CDS Hooks sandbox) may
            call the service (``*`` for any); empty sends no CORS headers.
        shared_dir: A private directory several server processes share (``pgx serve
            --workers N`` makes one): accepted JWT ids and the cards issued are kept there,
            in SQLite, so every worker refuses a replayed token and knows every card's rule;
            ``None`` keeps them in this process's memory.
        normal_cards: Also answer with a card for each ``standard_dosing`` finding; by
            default only findings that ask for action get a card.
    """

    service_url: str | None = None
    issuers: dict[str, str] = field(factory=dict)
    max_body_bytes: int = 2_000_000
    feedback_log: Path | None = None
    log_patient_data: bool = False
    cache_size: int = 1024
    cache_ttl: float = 600.0
    cors_origins: tuple[str, ...] = ()
    shared_dir: Path | None = None
    normal_cards: bool = False


_JSON = "application/json"


def _issued(rules: tuple[tuple[str, object], ...]) -> list[str]:
    # card uuid and rule, for the log: feedback names only the card, and with several
    # workers the one that receives it may not be the one that issued the card
    out = []
    for uuid, rule in rules:
        if isinstance(rule, dict):
            out.append(f"{uuid} {rule.get('id')}@{rule.get('version')}")
        elif isinstance(rule, list):
            out.append(f"{uuid} undecided ({len(rule)} rules)")
        else:
            out.append(f"{uuid} -")
    return out


def _json(content: object, status: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type=_JSON)


def _error(exc: RequestError) -> Response:
    return _json({"error": exc.message}, exc.status)


def _card_rules(cards: list[dict[str, Any]]) -> tuple[tuple[str, object], ...]:
    return tuple((card["uuid"], card.get("extension", {}).get("pgx.rule")) for card in cards)


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
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:  # also invalid UTF-8 and nesting past 1024 levels
        raise RequestError(f"request body is not valid JSON: {exc}") from None


class _App:
    """The endpoints, sharing the compiled rules, the token verifier and the card register."""

    def __init__(self, rules: RuleSet, cfg: ServiceConfig, version: str) -> None:
        self.rules = rules
        self.cfg = cfg
        self.version = version
        shared = (
            None if cfg.shared_dir is None else SharedRegisters(cfg.shared_dir / "seen.sqlite3")
        )
        self.cards: MemoryCards | SharedRegisters = shared if shared is not None else MemoryCards()
        self.verifier = None
        if cfg.issuers:
            if not cfg.service_url:
                raise ValueError("JWT issuers need the service URL (the tokens' audience)")
            self.verifier = Verifier(cfg.issuers, cfg.service_url, shared)
        self.answers = AnswerCache(cfg.cache_size, cfg.cache_ttl)

    async def authorize(self, request: Request) -> None:
        if self.verifier is None:
            return
        header, path = request.headers.get("authorization"), request.url.path
        if self.verifier.fetches_keys:  # a JWKS fetch blocks: off the event loop
            await run_in_threadpool(self.verifier.check, header, path)
        else:
            self.verifier.check(header, path)

    async def discover(self, request: Request) -> Response:
        return _json(discovery())

    async def health(self, request: Request) -> Response:
        rs = self.rules
        return _json(
            {
                "status": "ok",
                "pgx": self.version,
                "ruleset": {"name": rs.name, "version": rs.version, "sha256": rs.sha256},
                "rules": len(rs.rules),
                "cache": {"entries": len(self.answers), "size": self.answers.size},
            }
        )

    async def call(self, request: Request) -> Response:
        started = time.perf_counter()
        service_id = request.path_params["service_id"]
        fields: dict[str, Any] = {"service": service_id}
        try:
            service(service_id)
            await self.authorize(request)
            body = await _json_body(request, self.cfg.max_body_bytes)
            call = read_call(service_id, body, self.rules)
            key = call_key(call, self.rules.sha256, self.version)
            found = self.answers.get(key) if key is not None else None
            if found is None:
                response = answer(
                    call, self.rules, version=self.version, normal_cards=self.cfg.normal_cards
                )
                found = Answer(orjson.dumps(response), _card_rules(response["cards"]))
                if key is not None:
                    self.answers.put(key, found)
                fields |= log_fields(call, response) | {"cached": False}
            else:
                fields |= log_fields(call, {"cards": found.rules}) | {"cached": True}
            fields["issued"] = _issued(found.rules)
            self.cards.issued(found.rules)
            if self.cfg.log_patient_data:
                fields["patientId"] = call.patient
            result = Response(found.body, media_type=_JSON)
        except RequestError as exc:
            result = _error(exc)
            fields["error"] = exc.message if self.cfg.log_patient_data else exc.status
        except Exception as exc:  # never a traceback to the client, nor patient data in logs
            log.error("internal error in %s: %s", service_id, type(exc).__name__)
            result = _json({"error": "internal error"}, 500)
        elapsed = round(1000 * (time.perf_counter() - started), 2)
        fields |= {"status": result.status_code, "ms": elapsed}
        log.info("cds %s", orjson.dumps(fields, option=orjson.OPT_SORT_KEYS).decode())
        return result

    async def feedback(self, request: Request) -> Response:
        service_id = request.path_params["service_id"]
        try:
            service(service_id)
            await self.authorize(request)
            body = await _json_body(request, self.cfg.max_body_bytes)
            records = feedback_records(body, service_id, self.cards.rule, self.cfg.log_patient_data)
            if self.cfg.feedback_log is not None:
                # the write is fsynced: off the event loop, so hooks are not held up by the disk
                await run_in_threadpool(append_records, self.cfg.feedback_log, records)
        except RequestError as exc:
            return _error(exc)
        except Exception as exc:
            log.error("internal error in feedback: %s", type(exc).__name__)
            return _json({"error": "internal error"}, 500)
        log.info("feedback %s: %d record(s)", service_id, len(records))
        return _json({"recorded": len(records)})


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
    middleware = []
    if app.cfg.cors_origins:  # the CDS Hooks spec: browser-based CDS Clients need CORS
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(app.cfg.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                allow_credentials=False,  # bearer tokens, never cookies
                max_age=600,
            )
        )
    return Starlette(routes=routes, middleware=middleware)


#: The environment variable that carries the rules path and configuration to each worker
#: process of ``pgx serve --workers N`` (uvicorn starts them afresh; they share nothing).
SETUP_VARIABLE = "PGX_SERVICE_SETUP"


def setup_json(rules: str | None, config: ServiceConfig) -> str:
    """The rules path and configuration as JSON, for `app_from_environment`."""
    return orjson.dumps(
        {
            "rules": rules,
            "service_url": config.service_url,
            "issuers": config.issuers,
            "max_body_bytes": config.max_body_bytes,
            "feedback_log": None if config.feedback_log is None else str(config.feedback_log),
            "log_patient_data": config.log_patient_data,
            "cache_size": config.cache_size,
            "cache_ttl": config.cache_ttl,
            "cors_origins": list(config.cors_origins),
            "shared_dir": None if config.shared_dir is None else str(config.shared_dir),
            "normal_cards": config.normal_cards,
        }
    ).decode()


def app_from_environment() -> Starlette:
    """The app a worker process serves: rules and configuration from `SETUP_VARIABLE`."""
    from pgx.io import load_ruleset  # noqa: PLC0415

    setup = orjson.loads(os.environ[SETUP_VARIABLE])
    rules = setup.pop("rules")
    log_path = setup.pop("feedback_log")
    setup["cors_origins"] = tuple(setup["cors_origins"])
    shared = setup.pop("shared_dir")
    setup["shared_dir"] = None if shared is None else Path(shared)
    config = ServiceConfig(feedback_log=None if log_path is None else Path(log_path), **setup)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return create_app(default_ruleset() if rules is None else load_ruleset(rules), config)
