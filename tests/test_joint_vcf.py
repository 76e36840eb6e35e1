"""Joint-called VCFs: every sample called in one pass, exactly as its column read alone."""

from __future__ import annotations

import tempfile
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("numpy")

from pgx.errors import ProfileError
from pgx.inputs._joint import call_joint
from pgx.inputs._merge import call_vcf_checked
from pgx.model.profile import GeneResult
from tests.adapters_support import HEADER, tiny_definitions, tiny_ruleset

_FIXED = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"
_GT = ["0/0", "0/1", "1/0", "1/1", "./.", "0/.", "./1", "0|1", "1|0", "1|1", "0", "1", "."]
_FORMATS = ["GT", "GT:PS", "GT:FT", "GT:PS:FT", "GT:DP:FT", "GT:FT:PS"]
_VALUES = {"PS": ["100", "200", "."], "FT": ["PASS", ".", "LowGQ", "LowDP;q10"], "DP": ["9"]}


@st.composite
def _record(draw: st.DrawFn, pid: str, samples: int) -> tuple[str, int, str]:
    gene, dp = next(
        (g, d.positions[pid]) for g, d in tiny_definitions().items() if pid in d.positions
    )
    chrom = tiny_definitions()[gene].chromosome
    fmt = draw(st.sampled_from(_FORMATS))
    keys = fmt.split(":")
    values = []
    for _ in range(samples):
        parts = [draw(st.sampled_from(_GT))]
        parts += [draw(st.sampled_from(_VALUES[k])) for k in keys[1:]]
        # a sample may leave out trailing fields, as the VCF specification allows
        values.append(":".join(parts[: draw(st.integers(1, len(parts)))]))
    if draw(st.integers(0, 9)) == 0:  # a gVCF reference block over the position
        end = dp.position + draw(st.integers(0, 3))
        cols = [chrom, str(dp.position), ".", dp.ref, "<NON_REF>", ".", ".", f"END={end}"]
        return chrom, dp.position, "\t".join([*cols, fmt, *values])
    alts = ",".join(dp.alts)
    cols = [chrom, str(dp.position), pid, dp.ref, alts, ".", "PASS", "."]
    return chrom, dp.position, "\t".join([*cols, fmt, *values])


@st.composite
def _joint_vcf(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """A joint-called VCF's sample names and lines (header included)."""
    samples = [f"S{i}" for i in range(draw(st.integers(1, 4)))]
    pids = sorted({p for d in tiny_definitions().values() for p in d.positions})
    chosen = draw(st.lists(st.sampled_from(pids), max_size=14))  # repeats: duplicate records
    records = [draw(_record(pid, len(samples))) for pid in chosen]
    records.sort(key=lambda r: (r[0], r[1]))
    header = [*HEADER, '##FORMAT=<ID=FT,Number=1,Type=String,Description="Filter">']
    return samples, [*header, "\t".join([_FIXED, *samples]), *(r[2] for r in records)]


def _alone(lines: list[str], column: int) -> list[str]:
    """The VCF with only sample column ``column`` (every line kept, so line numbers agree)."""
    out = []
    for line in lines:
        if line.startswith("##"):
            out.append(line)
            continue
        cols = line.split("\t")
        out.append("\t".join([*cols[:9], cols[9 + column]]))
    return out


def _same_file(results: dict[str, GeneResult]) -> dict[str, GeneResult]:
    return {
        gene: attrs.evolve(r, call=attrs.evolve(r.call, file="<vcf>")) if r.call else r
        for gene, r in results.items()
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_joint_vcf(), st.booleans())
def test_joint_calling_equals_calling_each_column_alone(
    case: tuple[list[str], list[str]], assume_reference: bool
) -> None:
    samples, lines = case
    rules = tiny_ruleset()
    with tempfile.TemporaryDirectory() as tmp:
        joint_path = Path(tmp) / "joint.vcf"
        joint_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        try:
            joint = call_joint(joint_path, rules, assume_reference=assume_reference)
        except ProfileError:
            joint = None
        for index, name in enumerate(samples):
            alone = Path(tmp) / f"{name}.vcf"
            alone.write_text("\n".join(_alone(lines, index)) + "\n", encoding="utf-8")
            try:
                _, single, warnings = call_vcf_checked(
                    alone, rules, assume_reference=assume_reference
                )
            except ProfileError:
                # a bad value in one sample's column is an error for the whole joint file
                assert joint is None
                continue
            assert joint is not None
            assert joint.samples[index] == name
            assert _same_file(joint.sample(index)) == _same_file(single)
            assert [w.replace(str(alone), "<vcf>") for w in warnings] == [
                w.replace(str(joint_path), "<vcf>") for w in joint.warnings
            ]


def _lines(*records: str, samples: tuple[str, ...] = ("A", "B", "C")) -> str:
    header = [*HEADER, '##FORMAT=<ID=FT,Number=1,Type=String,Description="Filter">']
    return "\n".join([*header, "\t".join([_FIXED, *samples]), *records]) + "\n"


def test_each_sample_gets_its_own_call(tmp_path: Path) -> None:
    """rs1057910 (CYP2C9 *3): A>C; rs1799853 (*2): C>T."""
    text = _lines(
        "chr10\t94942290\trs1799853\tC\tT\t.\tPASS\t.\tGT\t0/1\t0/0\t0/0",
        "chr10\t94981296\trs1057910\tA\tC\t.\tPASS\t.\tGT:FT\t0/0:PASS\t1/1:.\t1/1:LowGQ",
    )
    path = tmp_path / "joint.vcf"
    path.write_text(text, encoding="utf-8")
    calls = call_joint(path, tiny_ruleset())
    assert calls.samples == ("A", "B", "C")
    cyp2c9 = [calls.sample(i)["CYP2C9"] for i in range(3)]
    assert [r.diplotype for r in cyp2c9] == ["*1/*2", "*3/*3", None]
    # C failed its genotype filter at rs1057910: a no-call there, never reference
    third = cyp2c9[2].call
    assert third is not None
    assert third.missing_positions == ("rs1057910",)
    assert any("FT=LowGQ" in w for w in third.warnings)
    assert third.candidates == ("*1/*1", "*1/*3", "*3/*3")


def test_only_chosen_samples_in_the_order_asked(tmp_path: Path) -> None:
    path = tmp_path / "joint.vcf"
    path.write_text(
        _lines("chr10\t94942290\trs1799853\tC\tT\t.\tPASS\t.\tGT\t0/1\t0/0\t1/1"), "utf-8"
    )
    calls = call_joint(path, tiny_ruleset(), samples=["C", "A"])
    assert calls.samples == ("C", "A")
    # rs1057910 (*3) is not in the file: A's heterozygous *2 leaves *1 or *3 open
    candidates = [calls.sample(i)["CYP2C9"].call.candidates for i in range(2)]  # type: ignore[union-attr]
    assert candidates == [("*2/*2",), ("*1/*2", "*2/*3")]
    with pytest.raises(ProfileError, match="no sample 'D'"):
        call_joint(path, tiny_ruleset(), samples=["D"])


def test_a_short_record_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "joint.vcf"
    path.write_text(_lines("chr10\t94942290\trs1799853\tC\tT\t.\tPASS\t.\tGT\t0/1\t0/0"), "utf-8")
    with pytest.raises(ProfileError) as caught:
        call_joint(path, tiny_ruleset())
    problem = caught.value.problems[0]
    assert problem.line == 8
    assert "truncated record: 11 columns, the header names 12" in problem.message


def test_cohort_profiles_equal_loading_each_sample(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    from pgx import load_profile
    from pgx.cohort import evaluate, vcf_profiles

    path = tmp_path / "joint.vcf"
    path.write_text(
        _lines(
            "chr10\t94942290\trs1799853\tC\tT\t.\tPASS\t.\tGT\t0/1\t0/0\t1/1",
            "chr10\t94981296\trs1057910\tA\tC\t.\tPASS\t.\tGT\t0/0\t./.\t0/0",
        ),
        "utf-8",
    )
    rules = tiny_ruleset()
    joint = list(vcf_profiles(path, rules))
    alone = [load_profile(vcf=path, sample=name, ruleset=rules) for name in ("A", "B", "C")]
    assert joint == alone
    assert [p.id for p in joint] == ["A", "B", "C"]
    assert evaluate(path, rules).to_pylist() == evaluate(alone, rules).to_pylist()
