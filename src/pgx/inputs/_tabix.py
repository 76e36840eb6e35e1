"""Tabix (``.tbi``) and CSI (``.csi``) indexes: which BGZF chunks hold a region's records.

Parsed as the SAM/tabix specifications lay them out (binning scheme, linear index for
tabix, per-bin loffset for CSI). Only the chromosomes asked about are decoded.
"""

from __future__ import annotations

import gzip
import itertools
import re
import struct
import sys
import zlib
from array import array
from collections.abc import Collection, Iterator
from pathlib import Path

from pgx.inputs._text import bad

__all__ = ["Index", "norm", "read_index"]

_I32 = struct.Struct("<i")
_BIN = struct.Struct("<Ii")
_CSI_BIN = struct.Struct("<IQi")
_CHUNK = struct.Struct("<QQ")


def norm(name: str) -> str:
    """A chromosome name without ``chr``."""
    return name[3:] if name[:3].lower() == "chr" else name


class Index:
    """A parsed tabix or CSI index: per chromosome, bins with chunks and a linear index."""

    def __init__(self, source: str, names: list[str], min_shift: int, depth: int) -> None:
        self.source = source
        self.tids = {norm(n): i for i, n in enumerate(names)}
        self.names = names
        self.min_shift = min_shift
        self.depth = depth
        # per tid: its bins (only for the chromosomes asked about); the tabix linear index
        self.bins: dict[int, _Bins] = {}
        self.linear: dict[int, list[int]] = {}

    def chunks(self, tid: int, beg: int, end: int) -> list[tuple[int, int]]:
        """Virtual-offset chunks that hold every record overlapping ``[beg, end)``."""
        bins = self.bins.get(tid, _Bins(csi=False))
        min_off = 0
        linear = self.linear.get(tid)
        if linear is not None:  # tabix: the linear index of the first 16 kb window
            window = beg >> self.min_shift
            if linear:
                min_off = linear[min(window, len(linear) - 1)]
        else:  # CSI: the loffset of the smallest bin holding ``beg`` that has one
            at = _first_bin(self.depth) + (beg >> self.min_shift)
            level = self.depth
            while level >= 0:
                found = bins.get(at)
                if found is not None:
                    min_off = found[0]
                    break
                at = (at - 1) >> 3
                level -= 1
        out: list[tuple[int, int]] = []
        for number in _reg2bins(beg, end, self.min_shift, self.depth):
            found = bins.get(number)
            if found is None:
                continue
            out.extend((s, e) for s, e in found[1] if e > min_off)
        return out


def _first_bin(level: int) -> int:
    return ((1 << (3 * level)) - 1) // 7


def _reg2bins(beg: int, end: int, min_shift: int, depth: int) -> Iterator[int]:
    """Every bin that may hold a record overlapping ``[beg, end)`` (the SAM spec's reg2bins)."""
    end -= 1
    shift = min_shift + 3 * depth
    for level in range(depth + 1):
        first = _first_bin(level)
        yield from range(first + (beg >> shift), first + (end >> shift) + 1)
        shift -= 3


def read_index(source: str, index: Path, wanted: Collection[str]) -> Index:
    where = str(index)
    try:
        raw = index.read_bytes()
    except OSError as exc:
        raise bad(where, None, f"cannot read the index: {exc.strerror or exc}") from None
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise bad(where, None, f"truncated or corrupt index ({exc})") from None
    try:
        if data[:4] == b"TBI\x01":
            return _tabix(source, data, wanted)
        if data[:4] == b"CSI\x01":
            return _csi(source, where, data, wanted)
    except struct.error:
        raise bad(where, None, "truncated or corrupt index") from None
    raise bad(where, None, "not a tabix (.tbi) or CSI (.csi) index")


def _names(data: bytes, offset: int) -> tuple[list[str], int]:
    """The tabix header from ``offset`` (format ... l_nm, names): names and the next offset."""
    (length,) = _I32.unpack_from(data, offset + 24)
    raw = data[offset + 28 : offset + 28 + length]
    names = [n.decode("utf-8", "replace") for n in raw.split(b"\0") if n]
    return names, offset + 28 + length


class _Bins:
    """One chromosome's bins, kept as the index stores them and looked up by number.

    A whole-genome index has some 200,000 bins; almost all hold one chunk, so runs of such
    bins are kept as arrays of 32-bit words (found with one regular-expression match, which
    walks them in C) and only the bins a query names are decoded.
    """

    def __init__(self, *, csi: bool) -> None:
        self.stride = 8 if csi else 6  # words per one-chunk bin
        self.runs: list[tuple[array[int], dict[int, int]]] = []
        self.extra: dict[int, tuple[int, list[tuple[int, int]]]] = {}

    def add_run(self, raw: bytes) -> None:
        words = array("I")
        words.frombytes(raw)
        if sys.byteorder == "big":
            words.byteswap()
        self.runs.append((words, dict(zip(words[0 :: self.stride], itertools.count()))))

    def get(self, number: int) -> tuple[int, list[tuple[int, int]]] | None:
        """``(loffset, chunks)`` of bin ``number`` (loffset 0 in a tabix index)."""
        found = self.extra.get(number)
        if found is not None:
            return found
        for words, lookup in self.runs:
            at = lookup.get(number)
            if at is None:
                continue
            w = words[at * self.stride : (at + 1) * self.stride]
            if self.stride == 6:
                return 0, [(w[2] | w[3] << 32, w[4] | w[5] << 32)]
            return w[1] | w[2] << 32, [(w[4] | w[5] << 32, w[6] | w[7] << 32)]
        return None


#: Runs of one-chunk bins (tabix: bin, n_chunk=1, chunk; CSI: bin, loffset, n_chunk=1, chunk).
_RUNS = {
    False: re.compile(b"(?:.{4}\\x01\\x00\\x00\\x00.{16})*", re.DOTALL),
    True: re.compile(b"(?:.{12}\\x01\\x00\\x00\\x00.{16})*", re.DOTALL),
}


def _parse_bins(
    data: bytes, off: int, n_bin: int, *, csi: bool, keep: bool
) -> tuple[int, _Bins | None]:
    """Bins from ``off`` (kept only if ``keep``) and the offset after them."""
    head = 16 if csi else 8
    size = head + 16
    bins = _Bins(csi=csi) if keep else None
    left = n_bin
    while left > 0:
        match = _RUNS[csi].match(data, off)
        # the run may go on past this chromosome's bins: only ``left`` of them are its own
        count = 0 if match is None else min(left, (match.end() - off) // size)
        if count:
            if bins is not None:
                bins.add_run(data[off : off + count * size])
            off += count * size
            left -= count
            if left == 0:
                break
        if csi:
            number, loffset, n_chunk = _CSI_BIN.unpack_from(data, off)
        else:
            (number, n_chunk), loffset = _BIN.unpack_from(data, off), 0
        if n_chunk < 0 or off + head + 16 * n_chunk > len(data):
            raise struct.error("bad chunk count")
        off += head
        if bins is not None:
            bins.extra[number] = (
                loffset,
                [_CHUNK.unpack_from(data, off + 16 * i) for i in range(n_chunk)],
            )
        off += 16 * n_chunk
        left -= 1
    return off, bins


def _tabix(source: str, data: bytes, wanted: Collection[str]) -> Index:
    (n_ref,) = _I32.unpack_from(data, 4)
    names, off = _names(data, 8)
    idx = Index(source, names, 14, 5)
    for tid in range(n_ref):
        (n_bin,) = _I32.unpack_from(data, off)
        keep = tid < len(names) and norm(names[tid]) in wanted
        off, bins = _parse_bins(data, off + 4, n_bin, csi=False, keep=keep)
        (n_intv,) = _I32.unpack_from(data, off)
        off += 4
        if bins is not None:
            idx.bins[tid] = bins
            idx.linear[tid] = list(struct.unpack_from(f"<{n_intv}Q", data, off))
        off += 8 * n_intv
    return idx


def _csi(source: str, where: str, data: bytes, wanted: Collection[str]) -> Index:
    min_shift, depth, l_aux = struct.unpack_from("<iii", data, 4)
    if l_aux < 28:
        raise bad(where, None, "a CSI index without contig names (a BCF index?) is not for a VCF")
    names, _ = _names(data, 16)
    off = 16 + l_aux
    (n_ref,) = _I32.unpack_from(data, off)
    off += 4
    idx = Index(source, names, min_shift, depth)
    for tid in range(n_ref):
        (n_bin,) = _I32.unpack_from(data, off)
        keep = tid < len(names) and norm(names[tid]) in wanted
        off, bins = _parse_bins(data, off + 4, n_bin, csi=True, keep=keep)
        if bins is not None:
            idx.bins[tid] = bins
    return idx
