"""The CDS Hooks 2.0 service: ``pgx serve``, or `create_app` under any ASGI server.

Endpoints: ``GET /cds-services`` (discovery), ``POST /cds-services/pgx-order-select``,
``/pgx-order-sign`` and ``/pgx-patient-view`` (the hooks), ``POST
/cds-services/{id}/feedback`` (appended to a local JSON-lines log) and ``GET /healthz``.
Needs the ``server`` extra: ``pip install 'pgx[server]'``.
"""

from __future__ import annotations

from pgx.model.ruleset import RuleSet
from pgx.service._app import ServiceConfig, create_app
from pgx.service._hooks import PREFETCH, SERVICES, Service

__all__ = ["PREFETCH", "SERVICES", "Service", "ServiceConfig", "create_app", "serve"]


def serve(
    ruleset: RuleSet | None = None,
    config: ServiceConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
) -> None:
    """Run the service with uvicorn until interrupted (what ``pgx serve`` does)."""
    import logging  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415 - the server is only needed to serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(
        create_app(ruleset, config),
        host=host,
        port=port,
        access_log=False,  # the service logs one line per call, without patient data
        log_level="info",
        server_header=False,
    )
