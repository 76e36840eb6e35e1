"""Reading text inputs line by line, plain or gzip/BGZF, with every failure located."""

from __future__ import annotations

import gzip
import io
import os
import zlib
from collections.abc import Iterator

from pgx.errors import Problem, ProfileError
from pgx.io._files import open_regular

__all__ = ["MAX_LINE", "bad", "lines"]

#: Longest accepted line (bytes): past it the file is refused rather than read into memory.
MAX_LINE = 16 * 1024 * 1024


def bad(source: str, line: int | None, message: str, path: str = "$") -> ProfileError:
    """A `ProfileError` about one line of an input file."""
    return ProfileError([Problem(path, message, source, line)])


def lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """``(line number, text without the newline)`` of a text file, gzip/BGZF or plain.

    Raises:
        ProfileError: the file is missing, not UTF-8, truncated (gzip) or has a line longer
            than `MAX_LINE`.
    """
    source = str(path)
    try:
        # a FIFO or a device is refused: it could block or never end
        raw = open_regular(path)
    except OSError as exc:
        raise bad(source, None, f"cannot read the file: {exc.strerror or exc}") from None
    number = 0
    with raw:
        # BGZF is a series of gzip members, which the gzip module reads as one stream
        stream: io.BufferedIOBase = (
            gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == b"\x1f\x8b" else raw
        )
        try:
            while True:
                data = stream.readline(MAX_LINE + 1)
                if not data:
                    return
                number += 1
                if len(data) > MAX_LINE:
                    raise bad(source, number, f"line longer than {MAX_LINE} bytes")
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    raise bad(source, number, "not UTF-8 text") from None
                if number == 1:
                    text = text.removeprefix("\ufeff")  # the byte-order mark Excel writes
                yield number, text.rstrip("\r\n")
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise bad(source, number + 1, f"truncated or corrupt compressed file ({exc})") from None
