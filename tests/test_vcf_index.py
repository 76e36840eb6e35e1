"""Tabix and CSI indexes: only the pharmacogene regions are read, and a bad index is an error."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import attrs
import pytest

from pgx.errors import ProfileError
from pgx.inputs._merge import call_vcf_checked
from pgx.inputs._regions import find_index, vcf_lines
from pgx.model.profile import GeneResult
from tests.adapters_support import HEADER, tiny_definitions, tiny_ruleset

pysam = pytest.importorskip("pysam")

_FIXED = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1"


def _genome(path: Path, *, filler: int = 3000, seed: int = 5, skip: str = "") -> Path:
    """A bgzipped VCF: every tiny-table position (heterozygous) among random filler records."""
    rng = random.Random(seed)
    rows: list[tuple[str, int, str]] = []
    for defs in tiny_definitions().values():
        if defs.chromosome == skip:
            continue
        for pid, dp in defs.positions.items():
            cols = [defs.chromosome, str(dp.position), pid, dp.ref, dp.alts[0], ".", "PASS", "."]
            rows.append((defs.chromosome, dp.position, "\t".join([*cols, "GT", "0/1"])))
    taken = {(c, p) for c, p, _ in rows}
    chroms = [c for c in ("chr1", "chr10", "chr16", "chr19", "chr2") if c != skip]
    target = len(rows) + filler
    while len(rows) < target:
        chrom, pos = rng.choice(chroms), rng.randrange(1, 120_000_000)
        if (chrom, pos) in taken:
            continue
        taken.add((chrom, pos))
        rows.append((chrom, pos, f"{chrom}\t{pos}\t.\tA\tG\t.\tPASS\t.\tGT\t0/1"))
    rows.sort(key=lambda r: (r[0], r[1]))
    text = "\n".join([*HEADER, _FIXED, *(r[2] for r in rows)]) + "\n"
    plain = path.with_suffix("")
    plain.write_text(text, encoding="utf-8")
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    return path


def _index(path: Path, csi: bool = False) -> Path:
    pysam.tabix_index(str(path), preset="vcf", force=True, csi=csi)
    found = find_index(path)
    assert found is not None
    return found


def _calls(path: Path) -> tuple[dict[str, GeneResult], tuple[str, ...]]:
    _, results, warnings = call_vcf_checked(path, tiny_ruleset())
    same = {
        gene: attrs.evolve(r, call=attrs.evolve(r.call, file="<vcf>")) if r.call else r
        for gene, r in results.items()
    }
    return same, warnings


@pytest.mark.parametrize("csi", [False, True])
def test_indexed_reading_calls_as_reading_everything(tmp_path: Path, csi: bool) -> None:
    indexed = _genome(tmp_path / "indexed.vcf.gz")
    _index(indexed, csi)
    whole = shutil.copy(indexed, tmp_path / "whole.vcf.gz")
    assert find_index(whole) is None
    got, warnings = _calls(indexed)
    assert (got, warnings) == _calls(Path(whole))
    assert warnings == ()
    assert got["CYP2C9"].call is not None
    assert got["CYP2C9"].call.missing_positions == ()
    assert got["CYP2C19"].call is not None
    assert got["CYP2C19"].call.positions_used  # the regions were read, not skipped


def test_only_the_regions_are_read(tmp_path: Path) -> None:
    path = _genome(tmp_path / "g.vcf.gz", filler=20_000)
    _index(path)
    wanted = {("10", 94942290), ("10", 94981296)}
    reading = vcf_lines(path, wanted)
    records = [text for number, text in reading.lines if not text.startswith("#")]
    assert reading.indexed == f"{path}.tbi"
    assert any("\t94942290\t" in r for r in records)
    assert any("\t94981296\t" in r for r in records)
    # a handful of blocks around the two positions, not the 20,000 records of the file
    assert len(records) < 2000
    assert all(r.startswith("chr10\t") for r in records)


def test_a_chromosome_the_index_lacks_is_reported_not_covered(tmp_path: Path) -> None:
    path = _genome(tmp_path / "g.vcf.gz", skip="chr16")  # VKORC1 is on chr16
    index = _index(path)
    results, warnings = _calls(path)
    assert warnings == (
        f"{index}: no records on chromosome 16 (the index lists none): its 2 wanted "
        "position(s) are not covered",
    )
    vkorc1 = results["VKORC1"]
    assert vkorc1.call is not None
    assert vkorc1.call.missing_positions == ("rs9923231",)
    assert vkorc1.variants == {"rs9923231": "./."}


def test_an_index_of_another_file_is_an_error(tmp_path: Path) -> None:
    path = _genome(tmp_path / "g.vcf.gz", filler=20_000)
    other = _genome(tmp_path / "other.vcf.gz", filler=40_000, seed=9)
    index = _index(other)
    os.replace(index, f"{path}.tbi")
    with pytest.raises(ProfileError, match="the index does not match the file"):
        _calls(path)


def test_a_corrupt_index_is_an_error(tmp_path: Path) -> None:
    path = _genome(tmp_path / "g.vcf.gz", filler=100)
    Path(f"{path}.tbi").write_bytes(b"not an index")
    with pytest.raises(ProfileError, match=r"corrupt index|not a tabix"):
        _calls(path)
