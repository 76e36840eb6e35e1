"""Insertions and deletions however a VCF spells them, against the bundled allele tables.

A VCF may anchor an indel on another base, repeat shared context, or write a repeat length
change as an insertion where the table writes a longer REF. Each spelling is normalized to a
minimal event and compared with the definition's; an ALT that is no defined allele is an
unmatched variant, never the reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from pgx import default_ruleset, evaluate, load_profile
from pgx.model.profile import GeneResult
from tests.adapters_support import HEADER, write_vcf
from tests.helpers import NOW

Record = tuple[int, str, str, str]  # POS, REF, ALT, GT


def _gene_vcf(gene: str, replace: Mapping[str, Sequence[Record]]) -> str:
    """Every defining position of ``gene`` homozygous reference (table spelling), except the
    position ids in ``replace``, written as the given records instead."""
    defs = default_ruleset().knowledge.allele_definitions[gene]
    rows: list[tuple[int, str]] = []
    for pid, dp in defs.positions.items():
        records = replace.get(pid, [(dp.position, dp.ref, ",".join(dp.alts), "0/0")])
        for pos, ref, alt, gt in records:
            cols = [defs.chromosome, str(pos), pid, ref, alt, ".", "PASS", ".", "GT", gt]
            rows.append((pos, "\t".join(cols)))
    head = "\t".join(
        ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", "S1"]
    )
    return "\n".join([*HEADER, head, *(line for _, line in sorted(rows))]) + "\n"


def _call(tmp: Path, gene: str, replace: Mapping[str, Sequence[Record]]) -> GeneResult:
    path = write_vcf(tmp / "s.vcf", _gene_vcf(gene, replace))
    return load_profile(vcf=path).germline[gene]


UGT = "rs3064744"  # chr2:233760233 REF CAT = (TA)7


@pytest.mark.parametrize(
    ("records", "diplotype"),
    [
        # the usual anchored insertion of one TA: (TA)8
        ([(233760233, "C", "CAT", "0/1")], "*1/*28"),
        ([(233760233, "C", "CAT", "1/1")], "*28/*28"),
        # the table's own spelling
        ([(233760233, "CAT", "CATAT", "0/1")], "*1/*28"),
        ([(233760233, "CAT", "C,CATAT,CATATAT", "2/2")], "*28/*28"),
        # (TA)9 and (TA)6, anchored
        ([(233760233, "C", "CATAT", "0/1")], "*1/*37"),
        ([(233760233, "CAT", "C", "0/1")], "*1/*36"),
        # the same deletion written one base further right, inside the repeat
        ([(233760234, "ATA", "A", "0/1")], "*1/*36"),
        # the repeat insertion written after the first AT rather than before it
        ([(233760235, "T", "TAT", "0/1")], "*1/*28"),
        # multi-allelic, anchored: *28 and *36 on the two chromosomes
        ([(233760233, "C", "CAT,CAT", "1/2")], "*28/*28"),
        ([(233760233, "CAT", "CATAT,C", "1/2")], "*28/*36"),
    ],
)
def test_ugt1a1_repeat_spellings(tmp_path: Path, records: list[Record], diplotype: str) -> None:
    result = _call(tmp_path, "UGT1A1", {UGT: records})
    assert result.diplotype == diplotype, result.call


def test_ugt1a1_28_is_not_normal(tmp_path: Path) -> None:
    """The P0 regression: C>CAT 1/1 was read as the reference and called *1/*1 Normal."""
    path = write_vcf(
        tmp_path / "s.vcf", _gene_vcf("UGT1A1", {UGT: [(233760233, "C", "CAT", "1/1")]})
    )
    report = evaluate(load_profile(vcf=path), now=NOW)
    assert report.phenotypes["UGT1A1"].diplotype == "*28/*28"
    assert report.phenotypes["UGT1A1"].phenotype == "Poor Metabolizer"


@pytest.mark.parametrize(
    "alt",
    [
        "CATATATAT",  # (TA)10: no defined allele
        "CAG",  # an insertion of another sequence
        "CTT",  # a substitution inside the repeat
    ],
)
def test_undefined_repeat_length_is_unmatched_not_reference(tmp_path: Path, alt: str) -> None:
    result = _call(tmp_path, "UGT1A1", {UGT: [(233760233, "C", alt, "0/1")]})
    assert result.diplotype is None
    assert result.call is not None
    assert not result.call.candidates
    assert result.call.unmatched_variants
    assert any("matching no defined allele" in w for w in result.call.warnings)


def test_symbolic_allele_is_unmatched(tmp_path: Path) -> None:
    result = _call(tmp_path, "UGT1A1", {UGT: [(233760233, "C", "*", "0/1")]})
    assert result.diplotype is None
    assert result.call is not None
    assert result.call.unmatched_variants


def test_reference_mismatch_is_not_used(tmp_path: Path) -> None:
    """A VCF REF that contradicts the table's reference bases: another build, a no-call."""
    result = _call(tmp_path, "UGT1A1", {UGT: [(233760233, "CGT", "C", "0/1")]})
    assert result.call is not None
    assert UGT in result.call.missing_positions
    assert any("another build" in w for w in result.call.warnings)
    assert result.diplotype is None


NUDT15 = "rs746071566"  # chr13:48037782 REF AGGAGTC, *6 = AGGAGTCGGAGTC


@pytest.mark.parametrize(
    ("records", "diplotype"),
    [
        ([(48037782, "A", "AGGAGTC", "0/1")], "*1/*6"),
        ([(48037782, "A", "AGGAGTC", "1/1")], "*6/*6"),
        ([(48037782, "AGGAGTC", "AGGAGTCGGAGTC", "0/1")], "*1/*6"),
        ([(48037782, "AGGAGTC", "A", "0/1")], "*1/*9"),
        ([(48037782, "AGGAGTC", "A,AGGAGTCGGAGTC", "1/2")], "*6/*9"),
    ],
)
def test_nudt15_repeat_spellings(tmp_path: Path, records: list[Record], diplotype: str) -> None:
    result = _call(tmp_path, "NUDT15", {NUDT15: records})
    assert result.diplotype == diplotype, result.call


@pytest.mark.parametrize(
    ("pid", "records", "diplotype"),
    [
        # c.1898delC (*3): the table's TG>T, with shared context after it, and anchored earlier
        ("rs72549303", [(97450065, "TG", "T", "0/1")], "c.1898delC (*3)/Reference"),
        ("rs72549303", [(97450065, "TGA", "TA", "0/1")], "c.1898delC (*3)/Reference"),
        ("rs72549303", [(97450064, "CTG", "CT", "0/1")], "c.1898delC (*3)/Reference"),
        # c.295_298delTCAT (*7): GATGA>G, and with the base before it as the anchor
        ("rs72549309", [(97740410, "GATGA", "G", "0/1")], "c.295_298delTCAT (*7)/Reference"),
        (
            "rs72549309",
            [(97740409, "CGATGA", "CG", "1/1")],
            "c.295_298delTCAT (*7)/c.295_298delTCAT (*7)",
        ),
        # a SNV, for comparison
        ("rs3918290", [(97450058, "C", "T", "0/1")], "c.1905+1G>A (*2A)/Reference"),
    ],
)
def test_dpyd_indel_spellings(
    tmp_path: Path, pid: str, records: list[Record], diplotype: str
) -> None:
    result = _call(tmp_path, "DPYD", {pid: records})
    assert result.diplotype == diplotype, result.call


def test_neighbouring_snv_is_not_read_as_the_indel(tmp_path: Path) -> None:
    """A SNV one base before a defining indel says nothing about it (and is read where it is
    defined, if anywhere): the indel position keeps its own record."""
    result = _call(
        tmp_path,
        "UGT1A1",
        {UGT: [(233760232, "G", "A", "0/1"), (233760233, "CAT", "C,CATAT,CATATAT", "0/0")]},
    )
    assert result.diplotype == "*1/*1"
    assert result.call is not None
    assert UGT in result.call.positions_used


def test_anchored_earlier_alone_is_read(tmp_path: Path) -> None:
    """An insertion anchored one base before the defining position, with no record at it."""
    result = _call(tmp_path, "CYP3A5", {"rs41303343": [(99652769, "GT", "GTA", "0/1")]})
    assert result.call is not None
    assert "rs41303343" in result.call.positions_used
    assert result.diplotype == "*1/*7"
    # an A inserted before the T (not after it) is another event: unmatched, not *7 or *1
    other = _call(tmp_path, "CYP3A5", {"rs41303343": [(99652769, "G", "GA", "0/1")]})
    assert other.diplotype is None
    assert other.call is not None
    assert other.call.unmatched_variants
