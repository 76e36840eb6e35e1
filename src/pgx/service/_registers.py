"""What the service has seen: accepted token ids (``jti``) and the cards it issued.

Token ids are kept so a captured token cannot be replayed; card ids to the rule behind each,
so feedback, which names only the card, can name the rule. One server process keeps them in
memory. ``pgx serve --workers N`` runs N processes that share nothing, so there they are kept
in one SQLite file in a private directory the workers share (WAL mode; a second insert of the
same token id fails in whichever worker tries it; a card issued by one worker is found by
another). The file holds token ids, card ids, rule ids and versions and times, no patient data;
it is written without fsync: a crash can forget ids of tokens that expire within minutes and
cards whose feedback then records the rule as unknown (the service log names it).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

__all__ = ["CardRules", "MemoryCards", "MemoryTokens", "SharedRegisters", "TokenIds"]

#: Seconds a token id is kept past its expiry (the check allows this much clock skew).
KEEP_AFTER_EXPIRY = 60.0
#: Seconds a card id is kept in the shared file (feedback comes within the visit).
KEEP_CARDS = 7 * 24 * 3600.0

CardRules = tuple[tuple[str, object], ...]


class TokenIds:
    """Where accepted token ids are recorded (the interface)."""

    def first_use(self, key: str, expires: float) -> bool:  # pragma: no cover - interface
        """Record ``key``; False when it was recorded before (a replay)."""
        raise NotImplementedError


class MemoryTokens(TokenIds):
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


class MemoryCards:
    """Card ids issued recently by one process, to the rule behind each (thread-safe)."""

    def __init__(self, size: int = 50_000) -> None:
        self._rules: OrderedDict[str, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def issued(self, rules: CardRules) -> None:
        """Record the cards of a response."""
        with self._lock:
            for uuid, rule in rules:
                self._rules[uuid] = rule
                self._rules.move_to_end(uuid)
            while len(self._rules) > self._size:
                self._rules.popitem(last=False)

    def rule(self, uuid: str) -> Any:
        """The rule behind a card (``None`` when it is not known)."""
        with self._lock:
            return self._rules.get(uuid)


class SharedRegisters(TokenIds):
    """Token ids and issued cards shared by the processes that open one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
        self._lock = threading.Lock()
        self._recent = MemoryCards(4096)  # cards this process wrote lately: not written again
        with self._lock, self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            # an fsync per token would cost milliseconds per request; see the module docstring
            self._db.execute("PRAGMA synchronous=OFF")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, expires REAL NOT NULL)"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS cards "
                "(uuid TEXT PRIMARY KEY, rule TEXT NOT NULL, issued REAL NOT NULL)"
            )
        self._writes = 0

    def _tidy(self) -> None:
        self._writes += 1
        if self._writes % 1000 == 0:
            now = time.time()
            self._db.execute("DELETE FROM tokens WHERE expires < ?", (now,))
            self._db.execute("DELETE FROM cards WHERE issued < ?", (now - KEEP_CARDS,))

    def first_use(self, key: str, expires: float) -> bool:
        """Record ``key``; False when it was recorded before, by any process (a replay)."""
        with self._lock:
            try:
                with self._db:  # one transaction, committed or rolled back
                    self._db.execute(
                        "INSERT INTO tokens VALUES (?, ?)", (key, expires + KEEP_AFTER_EXPIRY)
                    )
                    self._tidy()
            except sqlite3.IntegrityError:
                return False
            return True

    def issued(self, rules: CardRules) -> None:
        """Record the cards of a response (those this process has not recorded lately)."""
        new = tuple((u, r) for u, r in rules if self._recent.rule(u) is None)
        if not new:
            return
        now = time.time()
        rows = [(uuid, json.dumps(rule, sort_keys=True), now) for uuid, rule in new]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO cards VALUES (?, ?, ?)", rows)
            self._tidy()
        self._recent.issued(tuple((u, r if r is not None else "") for u, r in new))

    def rule(self, uuid: str) -> Any:
        """The rule behind a card issued by any process (``None`` when it is not known)."""
        with self._lock:
            row = self._db.execute("SELECT rule FROM cards WHERE uuid = ?", (uuid,)).fetchone()
        return None if row is None else json.loads(row[0])
