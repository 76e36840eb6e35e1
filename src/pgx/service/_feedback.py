"""CDS Hooks feedback: card outcomes checked, and appended to a JSON-lines log.

The log is append-only and safe for several writers: each request's records go out in one
``O_APPEND`` write made under an exclusive ``flock`` on the file, so lines from different
threads or server processes (``pgx serve --workers N``) never interleave and earlier lines
are never rewritten. Free-text override comments are patient data and are kept only when
asked to.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from pgx.service._hooks import RequestError

try:  # POSIX: a lock other processes see; elsewhere the thread lock below is all there is
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["append_records", "feedback_records"]

_OUTCOMES = frozenset({"accepted", "overridden"})
_THREADS = threading.Lock()


def feedback_records(
    body: object, service_id: str, rule_of: Callable[[str], Any], keep_comments: bool
) -> list[dict[str, Any]]:
    """The log records for a feedback request; `RequestError` (400) when it is malformed.

    Args:
        body: The parsed request body (``{"feedback": [...]}``).
        service_id: The service the feedback is about.
        rule_of: Card uuid to the rule behind it (``None`` when the card is not known).
        keep_comments: Keep the clinician's free-text comment (patient data).
    """
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
            "rule": rule_of(item["card"]),
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


def append_records(path: Path, records: list[dict[str, Any]]) -> None:
    """Append records as JSON lines in one locked ``O_APPEND`` write, then fsync."""
    data = b"".join(orjson.dumps(r, option=orjson.OPT_SORT_KEYS) + b"\n" for r in records)
    with _THREADS:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd is closed
            view = memoryview(data)
            while view:  # a short write continues under the same lock: lines stay whole
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
