"""Answers already given, keyed by what decides them, so a repeated request costs a lookup.

An EHR sends the same patient's prefetch again and again while a clinician edits an order
(order-select fires on each selection, then order-sign). The answer depends only on the
service, the patient, the ordered drugs with their order ids, the prefetch, the rules and
the pgx version, so those (and nothing else, not the ``hookInstance``) make the key: the
SHA-256 of their canonical JSON. The ruleset's content hash is part of the key, so a cache
never answers for rules other than the ones that computed the entry. Entries expire after a
time to live and the least recently used go first when the cache is full; errors are never
cached. Each server process has its own cache.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import orjson
from attrs import frozen

from pgx.service._hooks import Call

__all__ = ["Answer", "AnswerCache", "call_key"]


@frozen
class Answer:
    """A response as sent: its JSON bytes, and the cards' ids to their rules (for feedback)."""

    body: bytes
    rules: tuple[tuple[str, object], ...]


def call_key(call: Call, ruleset_sha256: str, version: str) -> bytes | None:
    """The cache key of a checked request; ``None`` when it has no canonical JSON form."""
    content = [ruleset_sha256, version, call.service.id, call.patient, call.orders, call.prefetch]
    try:
        canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # e.g. an integer past 64 bits: answer it, do not cache it
        return None
    return hashlib.sha256(canonical).digest()


class AnswerCache:
    """A bounded, expiring map from `call_key` to `Answer` (thread-safe).

    Args:
        size: Most entries kept; 0 keeps none (every request is computed).
        ttl: Seconds an entry is served for after it was computed.
        clock: Monotonic seconds (injectable for tests).
    """

    def __init__(
        self, size: int = 1024, ttl: float = 600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if size < 0 or ttl < 0:
            raise ValueError(f"cache size and ttl must be ≥ 0, found {size} and {ttl}")
        self.size = size
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[bytes, tuple[float, Answer]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes) -> Answer | None:
        """The answer stored under ``key`` if it has not expired."""
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] <= self._clock():
                if found is not None:
                    del self._entries[key]
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: bytes, answer: Answer) -> None:
        """Store an answer, dropping the least recently used entries past the size bound."""
        if self.size == 0 or self.ttl == 0:
            return
        with self._lock:
            self._entries[key] = (self._clock() + self.ttl, answer)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
