"""A joint-called VCF in one pass: every sample called at once.

The file is read once (only the pharmacogene regions when it has a tabix/CSI index). At each
record at a wanted position the sample columns become NumPy arrays: each sample's GT, PS and
FT values are cut out column-wise, the distinct combinations are parsed once by the same
function the single-sample reader uses, and each sample keeps only a small integer code into
them. Memory is therefore bounded by (records at pgx positions) x (samples) x 4 bytes, and
records elsewhere in the genome are skipped after their first two columns.

Calling is grouped the same way: for each gene the samples' codes over the gene's records are
a matrix whose distinct rows are the distinct genotype patterns; each pattern is called once
with [`call_gene`][pgx.inputs.call_gene] and its result shared by every sample that has it.
A sample is therefore called exactly as it would be from its own column extracted alone: the
same no-call rules (``./.``, partial calls, failed FT filters, assumed reference).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence

import numpy as np
import numpy.typing as npt
from attrs import frozen

from pgx.inputs._match import call_gene, window
from pgx.inputs._merge import coverage_warning, germline_genes, not_from_vcf, pgx_positions
from pgx.inputs._regions import vcf_lines
from pgx.inputs._text import bad
from pgx.inputs._vcf import (
    _FIXED,
    Genotype,
    VcfGenotypes,
    block_alleles,
    block_span,
    by_chromosome,
    failed,
    genotype,
    norm_chrom,
    record_fields,
    scan,
)
from pgx.model import ruleset as rs
from pgx.model.profile import GeneResult

__all__ = ["JointCalls", "JointGenotypes", "call_joint", "read_joint"]

Codes = npt.NDArray[np.int32]
Strs = npt.NDArray[np.str_]
_SEP = "\x1f"  # joins a sample's GT, PS and FT into one key (never in a VCF value)
_ABSENT = "\x00"  # a FORMAT field a sample does not give


@frozen
class _Entry:
    """One record as it reads at one position, for every sample.

    ``genotypes[codes[i]]`` is sample ``i``'s call there.
    """

    codes: Codes
    genotypes: tuple[Genotype, ...]


@frozen
class JointGenotypes:
    """Every sample's genotypes at the wanted positions of a joint-called VCF.

    Attributes:
        source: The file read.
        samples: The sample columns, in file order.
        entries: ``(chromosome without chr, position)`` -> the records there, in file order.
        warnings: About the whole file (e.g. a pharmacogene region an index does not cover).
    """

    source: str
    samples: tuple[str, ...]
    entries: dict[tuple[str, int], list[_Entry]]
    warnings: tuple[str, ...] = ()


def _field(values: Strs, index: int) -> tuple[npt.NDArray[np.bool_], Strs]:
    """Each sample's FORMAT field ``index`` (``present``, ``value``), cut out column-wise."""
    rest = values
    present = np.ones(len(values), dtype=bool)
    for _ in range(index):
        _, sep, rest = np.strings.partition(rest, ":")
        present &= sep == ":"
    value, _, _ = np.strings.partition(rest, ":")
    return present, value


def _optional(keys: list[str], key: str, values: Strs) -> Strs:
    """A FORMAT field as text per sample, NUL where a sample does not give it."""
    if key not in keys:
        return np.full(len(values), _ABSENT)
    present, value = _field(values, keys.index(key))
    return np.where(present, value, _ABSENT)


def _read_samples(
    where: tuple[str, int | None],
    cols: list[str],
    width: int,
    block: bool,
) -> tuple[Codes, list[tuple[str, str | None, str | None]]]:
    """Codes per sample and the distinct ``(GT, PS, FT)`` values they index."""
    source, number = where
    if len(cols) < width:
        raise bad(
            source,
            number,
            f"truncated record: {len(cols)} columns, the header names {width}",
        )
    keys = cols[8].split(":")
    if keys[0] != "GT":
        raise bad(source, number, "FORMAT must start with GT")
    values = np.array(cols[9:width])
    gt = values if len(keys) == 1 else _field(values, 0)[1]
    ps = np.full(len(values), _ABSENT) if block else _optional(keys, "PS", values)
    ft = _optional(keys, "FT", values)
    key = np.strings.add(np.strings.add(np.strings.add(gt, _SEP), ps), np.strings.add(_SEP, ft))
    distinct, inverse = np.unique(key, return_inverse=True)
    parts = []
    for text in distinct.tolist():
        g, p, f = text.split(_SEP)
        parts.append((g, None if p == _ABSENT else p, None if f == _ABSENT else f))
    return inverse.astype(np.int32).reshape(-1), parts


def read_joint(
    path: str | os.PathLike[str],
    wanted: Collection[tuple[str, int]],
    samples: Sequence[str] | None = None,
) -> JointGenotypes:
    """Read every sample's genotypes at ``wanted`` positions in one pass.

    Args:
        path: A VCF, plain or bgzipped, with one or more samples. With a tabix (``.tbi``)
            or CSI (``.csi``) index beside it, only the regions of the wanted positions are
            read.
        wanted: The positions to keep (chromosome without ``chr``, POS).
        samples: Only these samples (in this order); all by default.

    Raises:
        ProfileError: with file and line, for a file that is not a VCF, is on GRCh37, is
            truncated, has malformed records, lacks a sample, or an index that does not
            match it.
    """
    source = str(path)
    want = frozenset(wanted)
    by_chrom = by_chromosome(want)
    found: list[tuple[tuple[str, ...], npt.NDArray[np.intp], int]] = []

    def header(number: int | None, text: str) -> None:
        found.append(_header(source, number, text, samples))

    entries: dict[tuple[str, int], list[_Entry]] = {}
    reading = vcf_lines(path, want)
    for number, text, key in scan(source, reading.lines, header):
        _, chosen, width = found[0]
        if key in want:
            entries.setdefault(key, []).append(_record((source, number), text, width, chosen))
        if "END=" in text:
            _block((source, number), text, (width, chosen), by_chrom.get(key[0], []), entries)
    return JointGenotypes(source, found[0][0], entries, reading.warnings)


def _header(
    source: str, number: int | None, text: str, samples: Sequence[str] | None
) -> tuple[tuple[str, ...], npt.NDArray[np.intp], int]:
    cols = text.split("\t")
    if tuple(cols[:8]) != _FIXED:
        raise bad(source, number, f"expected the columns {' '.join(_FIXED)}, found {text[:120]!r}")
    if len(cols) < 10 or cols[8] != "FORMAT":
        raise bad(source, number, "no FORMAT and sample columns: the VCF has no genotypes")
    present = cols[9:]
    if samples is None:
        return tuple(present), np.arange(len(present)), len(cols)
    index = {name: i for i, name in enumerate(present)}
    missing = [s for s in samples if s not in index]
    if missing:
        shown = ", ".join(present[:10]) + (", ..." if len(present) > 10 else "")
        raise bad(source, number, f"no sample {missing[0]!r} in the VCF (samples: {shown})")
    return tuple(samples), np.array([index[s] for s in samples], dtype=np.intp), len(cols)


def _record(
    where: tuple[str, int | None], text: str, width: int, chosen: npt.NDArray[np.intp]
) -> _Entry:
    source, number = where
    cols = text.split("\t")
    if len(cols) < width:
        raise bad(
            source, number, f"truncated record: {len(cols)} columns, the header names {width}"
        )
    ref, alts, _ = record_fields(source, number, cols)
    codes, parts = _read_samples(where, cols, width, block=False)
    genotypes = tuple(genotype(where, ref, alts, gt=gt, ps=ps, ft=ft) for gt, ps, ft in parts)
    return _Entry(codes[chosen], genotypes)


def _block(
    where: tuple[str, int | None],
    text: str,
    columns: tuple[int, npt.NDArray[np.intp]],
    positions: list[int],
    entries: dict[tuple[str, int], list[_Entry]],
) -> None:
    """A gVCF reference block: every sample's genotype at the wanted positions after its first."""
    source, number = where
    width, chosen = columns
    cols = text.split("\t")
    if len(cols) < 8:
        return  # as the single-sample reader: a short line is reported at a wanted position
    span = block_span(cols, positions)
    if span is None:
        return
    end, inside = span
    codes, parts = _read_samples(where, cols, width, block=True)
    genotypes = tuple(
        Genotype(
            "",
            block_alleles(source, number, gt),
            False,
            None,
            number,
            block_end=end,
            filtered=failed(ft),
        )
        for gt, _, ft in parts
    )
    entry = _Entry(codes[chosen], genotypes)
    chrom = norm_chrom(cols[0])
    for pos in inside:
        entries.setdefault((chrom, pos), []).append(entry)


@frozen
class JointCalls:
    """Gene results for every sample of a joint-called VCF.

    Attributes:
        source: The file read.
        samples: The samples, in file order.
        results: Per gene, the distinct results called.
        codes: Per gene, each sample's index into ``results[gene]``.
        warnings: About the whole file (as `call_vcf_checked` gives them).
    """

    source: str
    samples: tuple[str, ...]
    results: dict[str, list[GeneResult]]
    codes: dict[str, Codes]
    warnings: tuple[str, ...]

    def sample(self, index: int) -> dict[str, GeneResult]:
        """Sample ``index``'s gene results (what `call_vcf` gives for it alone)."""
        return {gene: self.results[gene][int(self.codes[gene][index])] for gene in self.results}

    def __iter__(self) -> Iterator[tuple[str, dict[str, GeneResult]]]:
        """``(sample, gene results)`` for every sample, in file order."""
        for index, name in enumerate(self.samples):
            yield name, self.sample(index)


def call_joint(
    path: str | os.PathLike[str],
    ruleset: rs.RuleSet,
    *,
    samples: Sequence[str] | None = None,
    assume_reference: bool = False,
) -> JointCalls:
    """Call every gene with allele definitions for every sample of a VCF, in one pass.

    Each sample's results equal `call_vcf`'s for that sample (a property test checks it on
    random multi-sample files), and the file-level warnings those of `call_vcf_checked`.

    Args:
        path: A VCF with one or more samples, plain or bgzipped (indexed or not).
        ruleset: Whose knowledge (allele definitions, phenotype tables) calls the genes.
        samples: Only these samples; all by default.
        assume_reference: Take positions absent from the VCF as reference where the VCF
            covers the gene (as `call_vcf`).

    Raises:
        ProfileError: as `read_joint`.
    """
    knowledge = ruleset.knowledge
    definitions = knowledge.allele_definitions
    wanted, defined = pgx_positions(definitions)
    joint = read_joint(path, wanted, samples)
    warnings = list(joint.warnings)
    uncovered = coverage_warning(defined, joint.entries, path)
    if uncovered is not None:
        warnings.append(uncovered)
        assume_reference = False
    count = len(joint.samples)
    results: dict[str, list[GeneResult]] = {}
    codes: dict[str, Codes] = {}
    for gene, defs in sorted(definitions.items()):
        chrom = norm_chrom(defs.chromosome)
        keys = sorted({(chrom, pos) for dp in defs.positions.values() for pos in window(dp)})
        keys = [k for k in keys if k in joint.entries]
        columns = [entry for k in keys for entry in joint.entries[k]]
        if columns:
            matrix = np.stack([e.codes for e in columns], axis=1)
            patterns, inverse = np.unique(matrix, axis=0, return_inverse=True)
        else:
            patterns, inverse = np.zeros((1, 0), dtype=np.int32), np.zeros(count, dtype=np.intp)
        table = knowledge.gene_phenotypes.get(gene)
        called = []
        for row in patterns.tolist():
            records: dict[tuple[str, int], tuple[Genotype, ...]] = {}
            at = 0
            for k in keys:
                here = joint.entries[k]
                records[k] = tuple(e.genotypes[row[at + i]] for i, e in enumerate(here))
                at += len(here)
            view = VcfGenotypes(joint.source, "", records)
            called.append(call_gene(gene, defs, view, table, assume_reference=assume_reference))
        results[gene] = called
        codes[gene] = np.asarray(inverse, dtype=np.int32).reshape(-1)
    for gene in sorted(germline_genes(ruleset) - set(definitions)):
        results[gene] = [not_from_vcf(gene, path, assume_reference)]
        codes[gene] = np.zeros(count, dtype=np.int32)
    return JointCalls(joint.source, joint.samples, results, codes, tuple(warnings))
