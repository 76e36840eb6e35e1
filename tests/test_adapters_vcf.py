"""The VCF reader: formats it accepts, and bad files refused with file and line."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgx import ProfileError, load_profile
from pgx.inputs import read_vcf
from tests.adapters_support import HEADER, tiny_definitions, tiny_ruleset, vcf_text, write_vcf

CYP2C9 = {"CYP2C9": ("*1", "*3")}


def _load(path: Path, **options: object) -> str | None:
    profile = load_profile(vcf=path, ruleset=tiny_ruleset(), **options)  # type: ignore[arg-type]
    return profile.germline["CYP2C9"].diplotype


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("chr_prefix", [False, True])
def test_plain_or_bgzipped_with_or_without_chr(tmp_path: Path, gz: bool, chr_prefix: bool) -> None:
    text = vcf_text(tiny_definitions(), CYP2C9, chr_prefix=chr_prefix)
    path = write_vcf(tmp_path / ("s.vcf.gz" if gz else "s.vcf"), text, gz=gz)
    assert _load(path) == "*1/*3"


def test_bgzf_blocks_are_read(tmp_path: Path) -> None:
    """BGZF is concatenated gzip members; the gzip module reads them as one stream."""
    text = vcf_text(tiny_definitions(), CYP2C9)
    half = len(text) // 2
    path = tmp_path / "s.vcf.gz"
    path.write_bytes(gzip.compress(text[:half].encode()) + gzip.compress(text[half:].encode()))
    assert _load(path) == "*1/*3"


def test_multi_sample_needs_a_sample(tmp_path: Path) -> None:
    text = vcf_text(tiny_definitions(), CYP2C9, samples=("A", "B"))
    path = write_vcf(tmp_path / "m.vcf", text)
    with pytest.raises(ProfileError, match=r"2 samples .*choose one with sample= \(--sample\)"):
        _load(path)
    assert _load(path, sample="B") == "*1/*3"
    assert load_profile(vcf=path, sample="B", ruleset=tiny_ruleset()).id == "B"
    with pytest.raises(ProfileError, match=r"no sample 'C'.*\(--sample\)"):
        _load(path, sample="C")


def _error(path: Path) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        _load(path)
    return info.value


@pytest.mark.parametrize(
    "header",
    [
        "##reference=file:///refs/human_g1k_v37.fasta",
        "##reference=GRCh37",
        "##contig=<ID=chr10,length=135534747>",
        "##contig=<ID=10,length=135534747,assembly=b37>",
    ],
)
def test_grch37_is_refused(tmp_path: Path, header: str) -> None:
    text = vcf_text(tiny_definitions(), CYP2C9, header=[HEADER[0], header])
    err = _error(write_vcf(tmp_path / "b37.vcf", text))
    (problem,) = err.problems
    assert problem.line == 2
    assert problem.source == str(tmp_path / "b37.vcf")
    assert "GRCh37" in problem.message


def test_truncated_gzip_names_file_and_line(tmp_path: Path) -> None:
    data = gzip.compress(vcf_text(tiny_definitions(), CYP2C9).encode())
    path = tmp_path / "t.vcf.gz"
    path.write_bytes(data[: len(data) - 30])
    (problem,) = _error(path).problems
    assert problem.source == str(path)
    assert problem.line is not None
    assert "truncated" in problem.message


def test_truncated_record_names_the_line(tmp_path: Path) -> None:
    text = vcf_text(tiny_definitions(), CYP2C9)
    lines = text.splitlines()
    lines[-1] = "\t".join(lines[-1].split("\t")[:6])
    path = write_vcf(tmp_path / "t.vcf", "\n".join(lines))
    (problem,) = _error(path).problems
    assert problem.line == len(lines)
    assert "truncated record" in problem.message


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("##fileformat=VCFv4.2", "##something"), "not a VCF"),
        (lambda t: t.replace("#CHROM\tPOS", "#CHR\tPOS"), "expected the columns"),
        (lambda t: t.replace("\tFORMAT\tS1", ""), "no FORMAT"),
        (lambda t: "\n".join(x for x in t.splitlines() if not x.startswith("#C")), "before"),
        (lambda t: t.replace("\t0/1", "\t0/7"), "names allele 7"),
        (lambda t: t.replace("\t0/1", "\tA/B"), "bad genotype"),
        (lambda t: t.replace("94981296", "9498x296"), "POS is not a number"),
    ],
)
def test_bad_files(tmp_path: Path, edit: object, message: str) -> None:
    text = edit(vcf_text(tiny_definitions(), CYP2C9))  # type: ignore[operator]
    problems = _error(write_vcf(tmp_path / "bad.vcf", text)).problems
    assert any(message in p.message for p in problems), problems
    assert all(p.source == str(tmp_path / "bad.vcf") for p in problems)


def test_missing_file(tmp_path: Path) -> None:
    (problem,) = _error(tmp_path / "nope.vcf").problems
    assert "cannot read" in problem.message


def test_only_wanted_positions_are_kept(tmp_path: Path) -> None:
    text = vcf_text(tiny_definitions(), CYP2C9)
    path = write_vcf(tmp_path / "s.vcf", text)
    got = read_vcf(path, {("10", 94981296)})
    assert list(got.records) == [("10", 94981296)]
    (record,) = got.records[("10", 94981296)]
    assert record.alleles == ("A", "C")
    assert got.sample == "S1"


@given(st.binary(max_size=400))
def test_garbage_is_a_profile_error(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    """Any bytes: either a VCF or a ProfileError naming the file, never a crash."""
    path = tmp_path_factory.mktemp("g") / "g.vcf"
    path.write_bytes(b"##fileformat=VCFv4.2\n" + data)
    try:
        load_profile(vcf=path, ruleset=tiny_ruleset())
    except ProfileError as exc:
        assert all(p.source == str(path) for p in exc.problems)
