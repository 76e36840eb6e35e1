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

import os
import struct
import zlib
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import BinaryIO

from attrs import frozen

from pgx.errors import Problem, ProfileError
from pgx.inputs._tabix import norm, read_index
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
    idx = read_index(source, index, set(regions))
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
                chrom = norm(text.split("\t", 1)[0])
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
