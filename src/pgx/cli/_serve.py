"""``pgx serve``: the CDS Hooks service, for an EHR or its sandbox."""

from __future__ import annotations

import argparse
from pathlib import Path

from pgx.cli._common import ruleset_of
from pgx.errors import InputError, Problem

__all__ = ["register"]


def _issuers(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, pair in enumerate(pairs or ()):
        issuer, sep, jwks = pair.partition("=")
        if not sep or not issuer or not jwks:
            raise InputError(
                [Problem(f"--issuer[{i}]", f"expected ISSUER=JWKS (a file or URL), found {pair!r}")]
            )
        out[issuer] = jwks
    return out


def _run_serve(args: argparse.Namespace) -> int:
    try:
        from pgx.service import ServiceConfig, serve  # noqa: PLC0415 - needs pgx[server]
    except ImportError as exc:
        raise InputError(
            [Problem("$", f"pgx serve needs the server extra: pip install 'pgx[server]' ({exc})")]
        ) from None
    issuers = _issuers(args.issuer)
    if issuers and not args.service_url:
        raise InputError([Problem("--service-url", "JWT issuers need the service URL (aud)")])
    config = ServiceConfig(
        service_url=args.service_url,
        issuers=issuers,
        max_body_bytes=args.max_body_bytes,
        feedback_log=Path(args.feedback_log) if args.feedback_log else None,
        log_patient_data=args.log_patient_data,
        cache_size=args.cache_size,
        cache_ttl=args.cache_ttl,
        cors_origins=tuple(args.cors_origin or ()),
        normal_cards=args.normal_cards,
    )
    if args.workers < 1 or args.cache_size < 0 or args.cache_ttl < 0:
        raise InputError(
            [Problem("--workers/--cache-size/--cache-ttl", "expected ≥ 1 worker, sizes ≥ 0")]
        )
    if args.workers > 1:  # each worker process loads the rules; check them once here first
        ruleset_of(args.rules)
        serve(args.rules, config, host=args.host, port=args.port, workers=args.workers)
    else:
        serve(ruleset_of(args.rules), config, host=args.host, port=args.port)
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommand to ``pgx``."""
    sv = commands.add_parser("serve", help="run the CDS Hooks service (needs pgx[server])")
    sv.add_argument("--rules", help="rule file or directory (default: bundled rules)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    sv.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")
    sv.add_argument(
        "--service-url", help="public base URL the EHR calls; a JWT's aud must match it"
    )
    sv.add_argument(
        "--issuer",
        action="append",
        metavar="ISSUER=JWKS",
        help="trusted JWT issuer and its JWKS file or URL (repeatable); none: no JWT check",
    )
    sv.add_argument("--max-body-bytes", type=int, default=2_000_000, help="larger requests get 413")
    sv.add_argument(
        "--feedback-log",
        default="pgx-feedback.jsonl",
        help="append-only JSON-lines file for card feedback ('' keeps none)",
    )
    sv.add_argument(
        "--log-patient-data",
        action="store_true",
        help="put patient ids and override comments in logs (off by default)",
    )
    sv.add_argument(
        "--workers", type=int, default=1, help="server processes (1); each has its own cache"
    )
    sv.add_argument(
        "--cache-size",
        type=int,
        default=1024,
        help="answers kept for repeated requests, per worker (1024; 0: no cache)",
    )
    sv.add_argument(
        "--cache-ttl", type=float, default=600.0, help="seconds a kept answer is served (600)"
    )
    sv.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="web origin of a browser-based CDS Client, e.g. https://sandbox.cds-hooks.org "
        "(repeatable; '*' for any); none: no CORS headers",
    )
    sv.add_argument(
        "--normal-cards",
        action="store_true",
        help="also give a card for each standard-dosing finding (off: only findings that ask "
        "for action get a card)",
    )
    sv.set_defaults(func=_run_serve)
