"""Shared helpers of the adapter tests: tiny allele tables and a VCF writer."""

from __future__ import annotations

import functools
import gzip
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import attrs

from pgx import RuleSet, default_ruleset
from pgx.io._convert import structure
from pgx.io._yaml import read
from pgx.model.knowledge import IUPAC, AlleleDefinitions, KnowledgeFile, allowed_bases
from tests.helpers import DATA

ADAPTERS = DATA / "adapters"
HEADER = [
    "##fileformat=VCFv4.2",
    "##reference=GRCh38",
    "##contig=<ID=chr1,length=248956422>",
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">',
]


@functools.cache
def tiny_definitions() -> Mapping[str, AlleleDefinitions]:
    """The tiny test tables of tests/data/adapters/knowledge/alleles.yaml."""
    doc, problems = read(ADAPTERS / "knowledge" / "alleles.yaml")
    assert doc is not None, problems
    kf, errors = structure(doc.data, KnowledgeFile)
    assert kf is not None, errors
    return kf.allele_definitions


@functools.cache
def tiny_ruleset() -> RuleSet:
    """The bundled rules with the tiny test allele tables in place of the bundled ones.

    (Loading the test file with ``load_ruleset`` would clash with the bundled tables of the
    same genes, which is right for users but not what these tests want.)
    """
    base = default_ruleset()
    knowledge = attrs.evolve(base.knowledge, allele_definitions=dict(tiny_definitions()))
    return attrs.evolve(base, knowledge=knowledge, _compiled=[])


Call = tuple[str, str] | None  # a diplotype's two alleles; None: leave the gene out


def vcf_text(
    definitions: Mapping[str, AlleleDefinitions],
    diplotypes: Mapping[str, tuple[str, str]],
    *,
    phased: bool = False,
    missing: Iterable[tuple[str, str]] = (),
    no_call: Iterable[tuple[str, str]] = (),
    chr_prefix: bool = True,
    samples: tuple[str, ...] = ("S1",),
    header: Iterable[str] = HEADER,
    pick: Callable[[str, str, str], str] | None = None,
) -> str:
    """A VCF where each gene of ``diplotypes`` carries those two alleles (every sample).

    ``missing`` leaves ``(gene, position id)`` records out; ``no_call`` writes them ``./.``.
    Where a definition allows two bases (an IUPAC code), ``pick(allele, position id, code)``
    chooses the one written (by default the first in alphabetical order).
    """

    def base(gene: str, allele: str, pid: str, ref: str) -> str:
        code = definitions[gene].alleles[allele].get(pid, ref)
        if code not in IUPAC:
            return code
        return pick(allele, pid, code) if pick else sorted(allowed_bases(code))[0]

    left_out = set(missing)
    uncalled = set(no_call)
    rows: list[tuple[str, int, str]] = []
    for gene, (a, b) in diplotypes.items():
        defs = definitions[gene]
        chrom = defs.chromosome if chr_prefix else defs.chromosome.removeprefix("chr")
        for pid, dp in defs.positions.items():
            if (gene, pid) in left_out:
                continue
            alleles = [dp.ref, *dp.alts]
            h1 = base(gene, a, pid, dp.ref)
            h2 = base(gene, b, pid, dp.ref)
            sep = "|" if phased else "/"
            gt = (
                "./." if (gene, pid) in uncalled else f"{alleles.index(h1)}{sep}{alleles.index(h2)}"
            )
            fmt, value = ("GT:PS", f"{gt}:100") if phased else ("GT", gt)
            cols = [chrom, str(dp.position), pid, dp.ref, ",".join(dp.alts), ".", "PASS", "."]
            line = "\t".join([*cols, fmt, *([value] * len(samples))])
            rows.append((chrom, dp.position, line))
    head = [*header, "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
                                "FORMAT", *samples])]  # fmt: skip
    return "\n".join([*head, *(line for _, _, line in sorted(rows))]) + "\n"


def write_vcf(path: Path, text: str, *, gz: bool = False) -> Path:
    """Write a VCF, gzip-compressed if ``gz``."""
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
