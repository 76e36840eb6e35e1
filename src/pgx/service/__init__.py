"""The CDS Hooks 2.0 service: ``pgx serve``, or `create_app` under any ASGI server.

Endpoints: ``GET /cds-services`` (discovery), ``POST /cds-services/pgx-order-select``,
``/pgx-order-sign`` and ``/pgx-patient-view`` (the hooks), ``POST
/cds-services/{id}/feedback`` (appended to a local JSON-lines log) and ``GET /healthz``.
Needs the ``server`` extra: ``pip install 'pgx[server]'``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from attrs import evolve

from pgx.model.ruleset import RuleSet
from pgx.service._app import SETUP_VARIABLE, ServiceConfig, create_app, setup_json
from pgx.service._hooks import PREFETCH, SERVICES, Service

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["PREFETCH", "SERVICES", "Service", "ServiceConfig", "create_app", "serve"]


def serve(
    ruleset: RuleSet | str | Path | None = None,
    config: ServiceConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int = 1,
) -> None:
    """Run the service with uvicorn until interrupted (what ``pgx serve`` does).

    Args:
        ruleset: The rules (a loaded ruleset, or the path of a rule file or directory); the
            bundled rules by default.
        config: Authentication, limits, the feedback log and the answer cache.
        host: Address to listen on.
        port: Port to listen on.
        workers: Server processes. Each loads the rules itself (so a loaded ruleset cannot
            be passed with more than one) and keeps its own answer cache; they share the
            accepted JWT ids and the cards issued (a SQLite file in a private temporary
            directory, removed at the end) and append to the same feedback log, which is safe
            for several writers.

    Raises:
        ValueError: ``workers`` is below 1, or above 1 with a loaded ruleset.
    """
    import logging  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415 - the server is only needed to serve

    cfg = config if config is not None else ServiceConfig()
    shared: Path | None = None
    if workers < 1:
        raise ValueError(f"workers must be at least 1, found {workers}")
    app: Starlette | str
    if workers > 1:
        if isinstance(ruleset, RuleSet):
            raise ValueError("with several workers pass the rules' path: each worker loads it")
        if cfg.shared_dir is None:  # token ids and cards, one register for all workers
            shared = Path(tempfile.mkdtemp(prefix="pgx-serve-"))  # private: mode 0700
            cfg = evolve(cfg, shared_dir=shared)
        os.environ[SETUP_VARIABLE] = setup_json(None if ruleset is None else str(ruleset), cfg)
        app = "pgx.service._app:app_from_environment"  # uvicorn imports it in each worker
    else:
        if ruleset is not None and not isinstance(ruleset, RuleSet):
            from pgx.io import load_ruleset  # noqa: PLC0415

            ruleset = load_ruleset(ruleset)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        app = create_app(ruleset, cfg)
    try:
        uvicorn.run(
            app,
            factory=workers > 1,
            workers=workers,
            host=host,
            port=port,
            access_log=False,  # the service logs one line per call, without patient data
            log_level="info",
            server_header=False,
        )
    finally:
        if shared is not None:
            shutil.rmtree(shared, ignore_errors=True)
