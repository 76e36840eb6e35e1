"""A per-user cache of the parsed bundled rule files, so the ``pgx`` command starts fast.

Parsing the bundled YAML is nearly all of the time it takes to load the bundled rules. The
cache holds what parsing produced (each file's data and the line of every field) as JSON,
keyed by the SHA-256 of every bundled file's bytes and the pgx version: a changed rule file
or another pgx gives another key, so a stale entry is never read.

The cache is data, never code: it is JSON (no pickle), so even a file planted by someone
else could at worst mislead, not execute. It is still read only when it is safe to trust:
the directory and the file must belong to the current user and be writable by nobody else,
and the file carries the SHA-256 of its own content. Anything else (missing, corrupt, another
owner, loose permissions, another key) is ignored and the rules are parsed from the YAML.
``PGX_NO_CACHE=1`` turns the cache off; ``PGX_CACHE_DIR`` moves it (default
``$XDG_CACHE_HOME/pgx`` or ``~/.cache/pgx``).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pgx.io._yaml import Document, PathKey

__all__ = ["cache_dir", "load_documents", "store_documents"]

_FORMAT = 1


def cache_dir() -> Path | None:
    """Where the cache lives, or ``None`` when it is turned off."""
    if os.environ.get("PGX_NO_CACHE", "") not in ("", "0"):
        return None
    configured = os.environ.get("PGX_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pgx"


def _key(files: Sequence[tuple[str, bytes]], version: str) -> str:
    digest = hashlib.sha256(f"pgx-parsed-rules {_FORMAT} {version}\0".encode())
    for name, content in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def _private(path: Path, *, directory: bool) -> bool:
    """Owned by this user, of the expected kind, and writable by nobody else."""
    try:
        info = path.lstat()
    except OSError:
        return False
    kind_ok = stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)
    getuid = getattr(os, "getuid", None)
    owner_ok = getuid is None or info.st_uid == getuid()
    return kind_ok and owner_ok and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _encode(docs: Mapping[str, Document]) -> dict[str, Any]:
    return {
        name: {"data": doc.data, "lines": [[list(path), line] for path, line in doc.lines.items()]}
        for name, doc in docs.items()
    }


def _decode(
    body: Mapping[str, Any], root: Path, files: Sequence[tuple[str, bytes]]
) -> dict[str, Document]:
    digests = {name: hashlib.sha256(content).digest() for name, content in files}
    out = {}
    for name, entry in body.items():
        lines: dict[PathKey, int] = {tuple(path): line for path, line in entry["lines"]}
        # the digest of the bytes read now, as `read` gives it: the ruleset hash is built on it
        out[name] = Document(entry["data"], str(root / name), lines, sha256=digests[name])
    return out


def load_documents(
    root: Path, files: Sequence[tuple[str, bytes]], version: str
) -> dict[str, Document] | None:
    """The parsed documents of ``files`` (relative name, bytes) under ``root``, if cached."""
    where = cache_dir()
    if where is None:
        return None
    path = where / f"rules-{_key(files, version)}.json"
    if not (_private(where, directory=True) and _private(path, directory=False)):
        return None
    try:
        raw = path.read_bytes()
        checksum, _, body = raw.partition(b"\n")
        if hashlib.sha256(body).hexdigest().encode() != checksum:
            return None
        decoded = json.loads(body)
        docs = _decode(decoded, root, files)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    if sorted(docs) != sorted(name for name, _ in files):
        return None
    return docs


def store_documents(
    files: Sequence[tuple[str, bytes]], version: str, docs: Mapping[str, Document]
) -> None:
    """Write the cache entry (atomically; a failure to write is not an error)."""
    where = cache_dir()
    if where is None:
        return
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(where, directory=True):
            return
        body = json.dumps(_encode(docs), separators=(",", ":"), ensure_ascii=False).encode()
        checksum = hashlib.sha256(body).hexdigest().encode()
        handle, temp = tempfile.mkstemp(dir=where, prefix=".rules-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(checksum + b"\n" + body)
            os.replace(temp, where / f"rules-{_key(files, version)}.json")
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except (OSError, ValueError, TypeError):
        return
