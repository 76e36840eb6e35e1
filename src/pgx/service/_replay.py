"""Token ids (``jti``) already accepted, so a captured token cannot be replayed.

One server process keeps them in memory. ``pgx serve --workers N`` runs N processes that
share nothing, so there they are kept in one SQLite file the workers share (WAL mode, one
``INSERT`` per token: a second insert of the same id fails in whichever worker tries it). The
file holds token ids and expiry times only, in a private temporary directory removed when the
service stops; losing it in a crash forgets ids whose tokens expire within minutes anyway.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

__all__ = ["MemoryRegister", "ReplayRegister", "SharedRegister"]

#: Seconds a token id is kept past its expiry (the check allows this much clock skew).
KEEP_AFTER_EXPIRY = 60.0


class ReplayRegister(Protocol):
    """Where accepted token ids are recorded."""

    def first_use(self, key: str, expires: float) -> bool:
        """Record ``key``; False when it was recorded before (a replay)."""
        ...


class MemoryRegister:
    """Token ids of one process (thread-safe); expired ids are dropped as it grows."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, key: str, expires: float) -> bool:
        """Record ``key``; False when it was recorded before (a replay)."""
        now = time.time()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v > now}
            if key in self._seen:
                return False
            self._seen[key] = expires + KEEP_AFTER_EXPIRY
            return True


class SharedRegister:
    """Token ids shared by the processes that open the same SQLite file (thread-safe)."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # an fsync per token would cost milliseconds per request; see the module docstring
            self._db.execute("PRAGMA synchronous=OFF")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, expires REAL NOT NULL)"
            )
            self._db.commit()
        self._inserts = 0

    def first_use(self, key: str, expires: float) -> bool:
        """Record ``key``; False when it was recorded before, by any process (a replay)."""
        with self._lock:
            try:
                with self._db:  # one transaction, committed or rolled back
                    self._db.execute(
                        "INSERT INTO seen VALUES (?, ?)", (key, expires + KEEP_AFTER_EXPIRY)
                    )
            except sqlite3.IntegrityError:
                return False
            self._inserts += 1
            if self._inserts % 1000 == 0:
                with self._db:
                    self._db.execute("DELETE FROM seen WHERE expires < ?", (time.time(),))
            return True
