"""Opening input files: regular files only, so that no read blocks or runs without end."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

__all__ = ["NotRegularFile", "is_link", "open_regular"]


class NotRegularFile(OSError):
    """The path names a FIFO, a device, a socket or a directory, not a file."""


def open_regular(path: str | os.PathLike[str]) -> io.BufferedReader:
    """Open ``path`` for binary reading if it is a regular file (symlinks are followed).

    A FIFO would block until a writer comes and ``/dev/zero`` never ends, so both are
    refused before anything is read. The file is opened without blocking and checked on
    the open descriptor, so the check and the read concern the same file.

    Raises:
        NotRegularFile: the path is not a regular file.
        OSError: the file cannot be opened.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO, device or socket"
            raise NotRegularFile(0, f"not a regular file ({kind})", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return io.BufferedReader(io.FileIO(fd, "rb"))
    except BaseException:
        os.close(fd)
        raise


def is_link(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` itself is a symbolic link (errors about it then quote nothing of it)."""
    return Path(path).is_symlink()
