"""A small pure-Python VCF reader: one sample's genotypes at the positions pgx asks for.

Only the records at wanted positions are parsed; every other line is skipped after reading
its first two columns, so a whole-genome VCF streams through in constant memory. QUAL and
FILTER are not read (as in PharmCAT): filter the file first. A sample's own genotype filter
(FORMAT/FT, as joint calling and genotype filtering write it) is read: a genotype that failed
one is a no-call.

A gVCF's reference blocks (a record with ``END=`` in INFO, typically ALT ``<NON_REF>`` or
``<*>``) are calls for every position they span: the reader gives each wanted position
inside a block the block's genotype, so a ``0/0`` block is a reference call there and a
``./.`` block a no-call.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator

from attrs import frozen

from pgx.inputs._regions import vcf_lines
from pgx.inputs._text import bad

__all__ = [
    "Genotype",
    "VcfGenotypes",
    "block_alleles",
    "block_span",
    "by_chromosome",
    "failed",
    "genotype",
    "norm_chrom",
    "read_vcf",
    "record_at",
    "record_fields",
    "scan",
]

_FIXED = ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")
# Contig lengths that tell the builds apart (GRCh37 vs GRCh38, from the assemblies' reports).
_GRCH37_LENGTHS = {
    "1": 249250621, "2": 243199373, "4": 191154276, "6": 171115067, "7": 159138663,
    "10": 135534747, "12": 133851895, "13": 115169878, "16": 90354753, "19": 59128983,
    "22": 51304566, "X": 155270560,
}  # fmt: skip
_GRCH37_NAMES = re.compile(r"grch37|hg19|\bb37\b|hs37|ncbi37|human_g1k_v37", re.IGNORECASE)
_CONTIG = re.compile(r"^##contig=<(?P<body>.*)>$")
_END = re.compile(r"(?:^|;)END=([0-9]{1,12})(?:;|$)")


#: Most digits in a VCF number (POS, a GT allele index, a contig length).
_MAX_DIGITS = 18


def _number(text: str) -> int | None:
    """A non-negative decimal written in ASCII digits; ``None`` for anything else.

    ``str.isdigit`` accepts ``²`` and ``int`` accepts ``٣`` (and refuses more than 4300
    digits with a ValueError): neither is a number in a VCF.
    """
    if not text or len(text) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def norm_chrom(name: str) -> str:
    """``chr10``, ``Chr10`` and ``10`` are the same chromosome."""
    return name[3:] if name[:3].lower() == "chr" else name


@frozen
class Genotype:
    """One VCF record's call for the sample.

    Attributes:
        ref: The record's REF.
        alleles: The two called alleles as bases (``None`` for ``.``); a haploid call has one.
        phased: The genotype was written with ``|``.
        phase_set: FORMAT/PS, when given.
        line: The line of the record; ``None`` when read through an index (which gives
            no line numbers).
        alts: The record's ALT alleles.
        block_end: For a position inside a gVCF reference block (after its first base):
            the block's last position. ``ref`` is then empty (the block names only its first
            base) and ``alleles`` are ``""`` for a reference allele, ``None`` otherwise.
        filtered: The sample's failed genotype filters (FORMAT/FT), when it failed any:
            such a call is not used (a no-call, with a warning).
    """

    ref: str
    alleles: tuple[str | None, ...]
    phased: bool
    phase_set: str | None
    line: int | None
    alts: tuple[str, ...] = ()
    block_end: int | None = None
    filtered: str | None = None


@frozen
class VcfGenotypes:
    """The genotypes of one sample at the wanted positions of a VCF.

    Attributes:
        source: The file read.
        sample: The sample's column name.
        records: ``(chromosome without chr, position)`` → the records there (usually one).
        warnings: About the whole file: wanted regions its index does not cover.
    """

    source: str
    sample: str
    records: dict[tuple[str, int], tuple[Genotype, ...]]
    warnings: tuple[str, ...] = ()


def record_at(rec: Genotype) -> str:
    """Where a record is, for messages: its line, or that it was read through an index."""
    return "indexed record" if rec.line is None else f"line {rec.line}"


def _check_build(source: str, number: int | None, text: str) -> None:
    if text.startswith(("##reference=", "##assembly=")):
        if _GRCH37_NAMES.search(text):
            raise bad(source, number, f"the VCF is on GRCh37/hg19 ({text}); pgx needs GRCh38")
        return
    match = _CONTIG.match(text)
    if match is None:
        return
    fields = dict(part.split("=", 1) for part in match["body"].split(",") if "=" in part)
    if _GRCH37_NAMES.search(fields.get("assembly", "")):
        raise bad(source, number, f"contig assembly is GRCh37/hg19 ({text}); pgx needs GRCh38")
    length = fields.get("length", "")
    chrom = norm_chrom(fields.get("ID", ""))
    if _number(length) is not None and _GRCH37_LENGTHS.get(chrom) == int(length):
        raise bad(source, number, f"contig {fields['ID']} has its GRCh37 length; pgx needs GRCh38")


def read_vcf(
    path: str | os.PathLike[str],
    wanted: Collection[tuple[str, int]],
    sample: str | None = None,
) -> VcfGenotypes:
    """Read one sample's genotypes at ``wanted`` positions (chromosome without ``chr``, POS).

    Args:
        path: A VCF, plain or bgzipped; chromosomes with or without the ``chr`` prefix.
        wanted: The positions to keep.
        sample: The sample column; required when the file has several samples.

    Raises:
        ProfileError: with file and line, for a file that is not a VCF, is on GRCh37, is
            truncated, has malformed records, or lacks the sample.
    """
    source = str(path)
    want = frozenset(wanted)
    by_chrom = by_chromosome(want)
    found: list[tuple[int, str]] = []

    def header(number: int | None, text: str) -> None:
        found.append(_header(source, number, text, sample))

    records: dict[tuple[str, int], list[Genotype]] = {}
    reading = vcf_lines(path, want)
    for number, text, key in scan(source, reading.lines, header):
        column = found[0][0]
        if key in want:
            records.setdefault(key, []).append(_record(source, number, text, column))
        if "END=" in text:
            _block((source, number), text, column, by_chrom.get(key[0], []), records)
    return VcfGenotypes(
        source, found[0][1], {k: tuple(v) for k, v in records.items()}, reading.warnings
    )


def by_chromosome(want: Collection[tuple[str, int]]) -> dict[str, list[int]]:
    """The wanted positions of each chromosome, sorted."""
    out: dict[str, list[int]] = {}
    for chrom, at in sorted(want):
        out.setdefault(chrom, []).append(at)
    return out


def scan(
    source: str,
    numbered: Iterable[tuple[int | None, str]],
    header: Callable[[int | None, str], None],
) -> Iterator[tuple[int | None, str, tuple[str, int]]]:
    """The records of a VCF's lines: ``(line, text, (chromosome without chr, POS))``.

    Checks the file is a VCF on GRCh38 and hands the ``#CHROM`` line to ``header``.

    Raises:
        ProfileError: not a VCF, GRCh37, a record before the header or with a bad POS,
            no header at all.
    """
    seen = False
    for number, text in numbered:
        if number == 1 and not text.startswith("##fileformat=VCF"):
            raise bad(source, 1, "not a VCF: the first line must be ##fileformat=VCFv4.x")
        if text.startswith("##"):
            _check_build(source, number, text)
            continue
        if text.startswith("#"):
            header(number, text)
            seen = True
            continue
        if not text.strip():
            continue
        if not seen:
            raise bad(source, number, "record before the #CHROM header line")
        head = text.split("\t", 2)
        if len(head) < 3:
            raise bad(source, number, "truncated record: expected tab-separated columns")
        pos = _number(head[1])
        if pos is None:
            raise bad(source, number, f"POS is not a number: {head[1][:40]!r}")
        yield number, text, (norm_chrom(head[0]), pos)
    if not seen:
        raise bad(source, None, "no #CHROM header line: not a VCF or the file is truncated")


def _block(
    where: tuple[str, int | None],
    text: str,
    column: int,
    positions: list[int],
    records: dict[tuple[str, int], list[Genotype]],
) -> None:
    """A gVCF reference block: its genotype at every wanted position after its first.

    ``where`` is the file and line of the block's record.
    """
    source, number = where
    cols = text.split("\t")
    if len(cols) <= column:
        return  # _record reports a short line when the block starts at a wanted position
    span = block_span(cols, positions)
    if span is None:
        return
    end, inside = span
    keys = cols[8].split(":")
    if keys[0] != "GT":
        raise bad(source, number, "FORMAT must start with GT")
    values = cols[column].split(":")
    alleles = block_alleles(source, number, values[0])
    filtered = failed(_value(keys, values, "FT"))
    chrom = norm_chrom(cols[0])
    for pos in inside:
        records.setdefault((chrom, pos), []).append(
            Genotype("", alleles, False, None, number, block_end=end, filtered=filtered)
        )


def block_span(cols: list[str], positions: list[int]) -> tuple[int, list[int]] | None:
    """A gVCF block record's last position and the wanted ``positions`` after its first.

    ``None`` when the record is no block (no ``END=``) or holds none of them.
    """
    match = _END.search(cols[7])
    if match is None:
        return None
    start, end = int(cols[1]), int(match.group(1))
    first = bisect.bisect_right(positions, start)
    last = bisect.bisect_right(positions, end)
    if first == last:
        return None
    return end, positions[first:last]


def _header(source: str, number: int | None, text: str, sample: str | None) -> tuple[int, str]:
    cols = text.split("\t")
    if tuple(cols[:8]) != _FIXED:
        raise bad(source, number, f"expected the columns {' '.join(_FIXED)}, found {text[:120]!r}")
    if len(cols) < 10 or cols[8] != "FORMAT":
        raise bad(source, number, "no FORMAT and sample columns: the VCF has no genotypes")
    samples = cols[9:]
    if sample is None:
        if len(samples) > 1:
            shown = ", ".join(samples[:10]) + (", ..." if len(samples) > 10 else "")
            raise bad(
                source,
                number,
                f"{len(samples)} samples ({shown}): choose one with sample= (--sample)",
            )
        return 9, samples[0]
    if sample not in samples:
        shown = ", ".join(samples[:10]) + (", ..." if len(samples) > 10 else "")
        raise bad(
            source,
            number,
            f"no sample {sample!r} in the VCF (samples: {shown}); choose one with "
            "sample= (--sample)",
        )
    return 9 + samples.index(sample), sample


def _record(source: str, number: int | None, text: str, column: int) -> Genotype:
    cols = text.split("\t")
    if len(cols) <= column:
        raise bad(
            source,
            number,
            f"truncated record: {len(cols)} columns, the sample is column {column + 1}",
        )
    ref, alts, keys = record_fields(source, number, cols)
    values = cols[column].split(":")
    return genotype(
        (source, number),
        ref,
        alts,
        gt=values[0],
        ps=_value(keys, values, "PS"),
        ft=_value(keys, values, "FT"),
    )


def _value(keys: list[str], values: list[str], key: str) -> str | None:
    """The sample's value of FORMAT field ``key``; ``None`` when the field is not given."""
    if key in keys and keys.index(key) < len(values):
        return values[keys.index(key)]
    return None


def record_fields(
    source: str, number: int | None, cols: list[str]
) -> tuple[str, tuple[str, ...], list[str]]:
    """A record's REF, ALT alleles and FORMAT keys (checked: FORMAT starts with GT)."""
    ref, alt = cols[3], cols[4]
    if not ref or not alt:
        raise bad(source, number, "empty REF or ALT")
    alts = () if alt == "." else tuple(alt.split(","))
    keys = cols[8].split(":")
    if keys[0] != "GT":
        raise bad(source, number, "FORMAT must start with GT")
    return ref, alts, keys


def genotype(
    where: tuple[str, int | None],
    ref: str,
    alts: tuple[str, ...],
    *,
    gt: str,
    ps: str | None,
    ft: str | None,
) -> Genotype:
    """One sample's call at a record from its GT, PS and FT values (``None``: not given).

    ``where`` is the file and line of the record. Single-sample and joint reading both
    read a sample's genotype here, so a sample is called the same in either.
    """
    source, number = where
    phased = "|" in gt
    alleles: list[str | None] = []
    for index in re.split(r"[/|]", gt):
        if index == ".":
            alleles.append(None)
            continue
        i = _number(index)
        if i is None:
            raise bad(source, number, f"bad genotype {gt[:40]!r}")
        if i > len(alts):
            raise bad(source, number, f"genotype {gt!r} names allele {i}, ALT has {len(alts)}")
        alleles.append(ref if i == 0 else alts[i - 1])
    phase_set = None if ps is None or ps == "." else ps
    return Genotype(ref, tuple(alleles), phased, phase_set, number, alts, filtered=failed(ft))


def failed(ft: str | None) -> str | None:
    """The sample's failed genotype filters (FORMAT/FT), or ``None`` when it passed.

    ``PASS``, ``.`` and an absent FT pass; anything else names the filters it failed.
    """
    if ft is None or ft in ("PASS", ".", ""):
        return None
    return ft


def block_alleles(source: str, number: int | None, gt: str) -> tuple[str | None, ...]:
    """A gVCF reference block's genotype: ``""`` for a reference allele, ``None`` otherwise."""
    indexes = re.split(r"[/|]", gt)
    if not all(i == "." or i.isdigit() for i in indexes):
        raise bad(source, number, f"bad genotype {gt!r}")
    # inside a block only the reference allele is a call: <NON_REF> says nothing definite
    return tuple("" if i == "0" else None for i in indexes)
