"""Reading only the pharmacogene regions of a bgzipped VCF through its tabix or CSI index.

A whole-genome VCF holds millions of records of which pgx needs about a thousand positions.
With an index beside the file (``FILE.tbi`` or ``FILE.csi``, as ``tabix``/``bcftools index``
write them) the header is read from the start of the file and then only the BGZF blocks the
index names for the wanted regions are inflated. Without an index the whole file streams.

The index is checked against the file rather than trusted: a block offset that is not a BGZF
block, a chunk that does not start at a line, or a record of another chromosome where the
index says a region's records are is an error (the index belongs to another file or an older
version of it). A wanted chromosome the index does not list is reported: the file has no
records there, so its positions are no-calls, and the report says so.

Hand-written rather than through pysam or cyvcf2: on this job (parse one index, inflate a few
dozen blocks) it is as fast as the htslib bindings (docs/benchmarks.md) and it keeps the
core install free of compiled dependencies.
"""

from __future__ import annotations

import gzip
import itertools
import os
import re
import struct
import sys
import zlib
from array import array
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import BinaryIO

from attrs import frozen

from pgx.errors import Problem, ProfileError
from pgx.inputs._text import bad, lines

__all__ = ["Reading", "find_index", "vcf_lines"]

#: Wanted positions closer than this are read as one region (one seek, fewer index lookups).
_GAP = 65_536
_BGZF_MAGIC = b"\x1f\x8b\x08\x04"
_MAX_BLOCK = 65_536
_I32 = struct.Struct("<i")
_BIN = struct.Struct("<Ii")
_CSI_BIN = struct.Struct("<IQi")
_CHUNK = struct.Struct("<QQ")


@frozen
class Reading:
    """Lines of a VCF to read, and what the reader found about coverage.

    Attributes:
        lines: ``(line number, text)``: the header with its line numbers, then records;
            records read through an index have no line number (``None``).
        warnings: About regions the index does not cover.
        indexed: The index read, if any.
    """

    lines: Iterator[tuple[int | None, str]]
    warnings: tuple[str, ...] = ()
    indexed: str | None = None


def find_index(path: str | os.PathLike[str]) -> Path | None:
    """The tabix (``.tbi``) or CSI (``.csi``) index beside a VCF, if there is one."""
    for suffix in (".tbi", ".csi"):
        candidate = Path(f"{os.fspath(path)}{suffix}")
        if candidate.is_file():
            return candidate
    return None


def vcf_lines(path: str | os.PathLike[str], wanted: Collection[tuple[str, int]]) -> Reading:
    """The lines of a VCF a reader needs for the ``wanted`` positions.

    With an index beside the file: the header, then only records in the regions of
    ``wanted`` (chromosome without ``chr``, POS). Without one: every line.

    Raises:
        ProfileError: an index that cannot be read or does not match the file.
    """
    index = find_index(path)
    if index is None or not wanted:
        return Reading(_numbered(path))
    source = str(path)
    regions = _regions(wanted)
    idx = _read_index(source, index, set(regions))
    chunks: list[tuple[int, int, str]] = []
    absent: list[str] = []
    for chrom, spans in sorted(regions.items()):
        tid = idx.tids.get(chrom)
        if tid is None:
            absent.append(chrom)
            continue
        for beg, end in spans:
            chunks.extend((b, e, chrom) for b, e in idx.chunks(tid, beg, end))
    warnings = tuple(
        f"{index}: no records on chromosome {chrom} (the index lists none): its "
        f"{sum(1 for c, _ in wanted if c == chrom)} wanted position(s) are not covered"
        for chrom in absent
    )
    return Reading(_indexed(source, _merge(chunks)), warnings, str(index))


def _numbered(path: str | os.PathLike[str]) -> Iterator[tuple[int | None, str]]:
    yield from lines(path)


def _regions(wanted: Collection[tuple[str, int]]) -> dict[str, list[tuple[int, int]]]:
    """0-based half-open spans covering the wanted positions, per chromosome."""
    out: dict[str, list[tuple[int, int]]] = {}
    for chrom, pos in sorted(wanted):
        spans = out.setdefault(chrom, [])
        if spans and pos - spans[-1][1] <= _GAP:
            spans[-1] = (spans[-1][0], pos)
        else:
            spans.append((pos - 1, pos))
    return out


def _norm(name: str) -> str:
    return name[3:] if name[:3].lower() == "chr" else name


class _Index:
    """A parsed tabix or CSI index: per chromosome, bins with chunks and a linear index."""

    def __init__(self, source: str, names: list[str], min_shift: int, depth: int) -> None:
        self.source = source
        self.tids = {_norm(n): i for i, n in enumerate(names)}
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


def _read_index(source: str, index: Path, wanted: Collection[str]) -> _Index:
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


def _tabix(source: str, data: bytes, wanted: Collection[str]) -> _Index:
    (n_ref,) = _I32.unpack_from(data, 4)
    names, off = _names(data, 8)
    idx = _Index(source, names, 14, 5)
    for tid in range(n_ref):
        (n_bin,) = _I32.unpack_from(data, off)
        keep = tid < len(names) and _norm(names[tid]) in wanted
        off, bins = _parse_bins(data, off + 4, n_bin, csi=False, keep=keep)
        (n_intv,) = _I32.unpack_from(data, off)
        off += 4
        if bins is not None:
            idx.bins[tid] = bins
            idx.linear[tid] = list(struct.unpack_from(f"<{n_intv}Q", data, off))
        off += 8 * n_intv
    return idx


def _csi(source: str, where: str, data: bytes, wanted: Collection[str]) -> _Index:
    min_shift, depth, l_aux = struct.unpack_from("<iii", data, 4)
    if l_aux < 28:
        raise bad(where, None, "a CSI index without contig names (a BCF index?) is not for a VCF")
    names, _ = _names(data, 16)
    off = 16 + l_aux
    (n_ref,) = _I32.unpack_from(data, off)
    off += 4
    idx = _Index(source, names, min_shift, depth)
    for tid in range(n_ref):
        (n_bin,) = _I32.unpack_from(data, off)
        keep = tid < len(names) and _norm(names[tid]) in wanted
        off, bins = _parse_bins(data, off + 4, n_bin, csi=True, keep=keep)
        if bins is not None:
            idx.bins[tid] = bins
    return idx


def _merge(chunks: list[tuple[int, int, str]]) -> list[tuple[int, int, frozenset[str]]]:
    """Chunks in file order, overlapping ones merged (each record is read once)."""
    out: list[tuple[int, int, frozenset[str]]] = []
    for beg, end, chrom in sorted(chunks):
        if out and beg <= out[-1][1]:
            last = out[-1]
            out[-1] = (last[0], max(last[1], end), last[2] | {chrom})
        else:
            out.append((beg, end, frozenset({chrom})))
    return out


def _mismatch(source: str, why: str) -> ProfileError:
    return ProfileError(
        [
            Problem(
                "$",
                f"the index does not match the file ({why}): re-index it "
                "(tabix -p vcf, or bcftools index)",
                source,
            )
        ]
    )


def _indexed(
    source: str, chunks: list[tuple[int, int, frozenset[str]]]
) -> Iterator[tuple[int | None, str]]:
    """The header (numbered), then every record in ``chunks``."""
    for number, text in lines(source):
        if not text.startswith("#"):
            break
        yield number, text
    try:
        handle = open(source, "rb")  # noqa: SIM115 - closed in the finally below
    except OSError as exc:
        raise bad(source, None, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        size = os.fstat(handle.fileno()).st_size
        for beg, end, chroms in chunks:
            for text in _chunk_lines(source, handle, size, beg, end):
                if not text:
                    continue
                chrom = _norm(text.split("\t", 1)[0])
                if chrom not in chroms:
                    raise _mismatch(
                        source, f"a record on {chrom} where the index has {min(chroms)}"
                    )
                yield None, text
    finally:
        handle.close()


def _chunk_lines(source: str, handle: BinaryIO, size: int, beg: int, end: int) -> Iterator[str]:
    """The records between two virtual offsets (whole lines)."""
    cbeg, ubeg = beg >> 16, beg & 0xFFFF
    cend, uend = end >> 16, end & 0xFFFF
    if cend >= size and not (cend == size and uend == 0):
        raise _mismatch(source, f"offset {cend} is past the end of the file ({size} bytes)")
    data = _blocks(source, handle, size, cbeg, cend)
    if ubeg > 0 and (ubeg > len(data[0][1]) or data[0][1][ubeg - 1 : ubeg] != b"\n"):
        raise _mismatch(source, f"offset {cbeg}:{ubeg} is not the start of a line")
    parts = []
    for coffset, text in data:
        start = ubeg if coffset == cbeg else 0
        stop = uend if coffset == cend else len(text)
        parts.append(text[start:stop])
    body = b"".join(parts)
    if body and not body.endswith(b"\n"):
        raise _mismatch(source, f"the chunk ending at {cend}:{uend} ends inside a line")
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise bad(source, None, "not UTF-8 text") from None
    return iter(decoded.split("\n")[:-1] if decoded else [])


def _blocks(
    source: str, handle: BinaryIO, size: int, cbeg: int, cend: int
) -> list[tuple[int, bytes]]:
    """The inflated BGZF blocks from compressed offset ``cbeg`` through ``cend``."""
    handle.seek(cbeg)
    raw = handle.read(cend - cbeg + _MAX_BLOCK + 26)
    out = []
    off = 0
    while cbeg + off <= cend and off < len(raw):
        if raw[off : off + 4] != _BGZF_MAGIC or len(raw) < off + 18:
            raise _mismatch(source, f"offset {cbeg + off} is not a BGZF block")
        (xlen,) = struct.unpack_from("<H", raw, off + 10)
        bsize = _bsize(raw[off + 12 : off + 12 + xlen])
        if bsize is None:
            raise _mismatch(source, f"offset {cbeg + off} is not a BGZF block")
        block = raw[off : off + bsize + 1]
        try:
            text = zlib.decompress(block[12 + xlen : -8], -15)
        except zlib.error as exc:
            raise bad(source, None, f"corrupt compressed block at {cbeg + off} ({exc})") from None
        out.append((cbeg + off, text))
        off += bsize + 1
    if not out or out[-1][0] < cend < size:
        raise _mismatch(source, f"no BGZF block at offset {cend}")
    return out


def _bsize(extra: bytes) -> int | None:
    """BSIZE from a gzip header's extra field (the BC subfield), or ``None``."""
    at = 0
    while at + 4 <= len(extra):
        si1, si2 = extra[at], extra[at + 1]
        (length,) = struct.unpack_from("<H", extra, at + 2)
        if si1 == 66 and si2 == 67 and length == 2:
            (bsize,) = struct.unpack_from("<H", extra, at + 4)
            return int(bsize)
        at += 4 + length
    return None
