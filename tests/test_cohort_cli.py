"""``pgx cohort``: a Parquet table or a joint-called VCF in, results and a per-drug summary out."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pyarrow")

import pyarrow as pa
import pyarrow.parquet as pq

import pgx
import pgx.cohort
from pgx.cli import main
from tests.adapters_support import vcf_text, write_vcf


def test_profiles_to_parquet_with_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = pa.table(
        {"id": ["A", "B", "C"], "germline.CYP2C19.diplotype": ["*2/*2", "*1/*1", None]}
    )
    source, out = tmp_path / "cohort.parquet", tmp_path / "results.parquet"
    pq.write_table(table, source)
    assert main(["cohort", "--profiles", str(source), "--out", str(out)]) == 0
    written = pq.read_table(out)
    assert written.to_pylist() == pgx.cohort.evaluate(table).to_pylist()
    # statistics where they narrow a patient look-up; every row group holds every rule
    group = pq.ParquetFile(out).metadata.row_group(0)
    with_stats = [
        group.column(i).path_in_schema
        for i in range(group.num_columns)
        if group.column(i).is_stats_set
    ]
    assert with_stats == ["row", "profile_id"]
    summary = capsys.readouterr()
    assert "3 profiles" in summary.err
    lines = summary.out.splitlines()
    assert lines[0] == "drug\taction\tprofiles"
    # A (*2/*2, poor) and B (*1/*1, normal) get different clopidogrel advice, one each
    clopidogrel = sorted(line for line in lines if line.startswith("clopidogrel\t"))
    assert clopidogrel == ["clopidogrel\tstandard_dosing\t1", "clopidogrel\tuse_alternative\t1"]


def test_a_joint_called_vcf_gives_one_profile_per_sample(tmp_path: Path) -> None:
    rules = pgx.default_ruleset()
    text = vcf_text(
        rules.knowledge.allele_definitions, {"CYP2C19": ("*2", "*2")}, samples=("S1", "S2")
    )
    path = write_vcf(tmp_path / "joint.vcf.gz", text, gz=True)
    out = tmp_path / "results.parquet"
    assert main(["cohort", "--vcf", str(path), "--out", str(out)]) == 0
    written = pq.read_table(out).to_pylist()
    assert sorted({r["profile_id"] for r in written}) == ["S1", "S2"]
    one = pgx.evaluate(pgx.load_profile(vcf=path, sample="S1"), rules)
    fired = {f.rule_id for f in one.findings}
    assert fired  # CYP2C19 *2/*2 from the VCF: a poor metabolizer
    got = {r["rule_id"] for r in written if r["profile_id"] == "S1" and r["outcome"] == "fires"}
    assert got == fired


def test_a_missing_table_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["cohort", "--profiles", str(tmp_path / "nope.parquet"), "--out", "x.parquet"])
    assert code == 2
    assert "no such file" in capsys.readouterr().err


def _cluster_table() -> pa.Table:
    return pa.table(
        {
            "id": ["A", "B", "C", "D"],
            "germline.CYP2C19.diplotype": ["*2/*2", "*1/*1", None, "*2/*2"],
            "clinical.medications": [["clopidogrel"], [], None, ["clopidogrel"]],
        }
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_dask_engine_writes_the_local_rows_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    table = _cluster_table()
    source, out = tmp_path / "cohort.parquet", tmp_path / "results"
    pq.write_table(table, source)
    argv = ["cohort", "--profiles", str(source), "--out", str(out), "--engine", "dask"]
    assert main([*argv, "--workers", "1"]) == 0
    written = sorted(
        (r["profile_id"], r["rule_id"], r["outcome"]) for r in pq.read_table(out).to_pylist()
    )
    local = pgx.cohort.evaluate(table).to_pylist()
    assert written == sorted((r["profile_id"], r["rule_id"], r["outcome"]) for r in local)
    lines = capsys.readouterr().out.splitlines()
    # A and D (*2/*2, poor) each get the alternative; B (*1/*1) standard dosing
    assert "clopidogrel\tuse_alternative\t2" in lines
    assert "clopidogrel\tstandard_dosing\t1" in lines


def test_a_cluster_engine_needs_profile_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "cohort.parquet"
    pq.write_table(_cluster_table().drop_columns(["id"]), source)
    for engine in ("dask", "spark"):
        argv = ["cohort", "--profiles", str(source), "--out", str(tmp_path / "o"), "--engine"]
        assert main([*argv, engine]) == 2
        err = capsys.readouterr().err
        assert "expected an 'id' column with --engine spark or dask" in err
        assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_the_summary_of_a_written_table_counts_a_profile_split_across_row_groups(
    tmp_path: Path,
) -> None:
    from collections import Counter

    from pgx.cli._cohort import _count_output
    from pgx.cohort._summary import add_counts

    table = pa.table(
        {
            "id": ["A", "B", "C"],
            "germline.CYP2C19.diplotype": ["*2/*2", "*1/*1", "*1/*17"],
            "germline.CYP2D6.diplotype": ["*4/*4", "*1/*1", "*1/*2"],
            "germline.HLA-B.alleles": [["*57:01", "*58:01"], ["*07:02", "*08:01"], None],
        }
    )
    results = pgx.cohort.evaluate(table).drop_columns(["row"])
    path = tmp_path / "results.parquet"
    pq.write_table(results, path, row_group_size=3)  # each profile spans many row groups
    want = {
        (r["drug"], r["action"]): r["profiles"] for r in pgx.cohort.summary(results).to_pylist()
    }
    assert dict(_count_output(path)) == want
    assert max(want.values()) <= 3
    # counting each row group on its own would count some profiles twice
    naive: Counter[tuple[str, str]] = Counter()
    for group in range(pq.ParquetFile(path).num_row_groups):
        add_counts(pq.ParquetFile(path).read_row_group(group), naive)
    assert dict(naive) != want


def test_a_written_table_with_a_profile_split_apart_is_an_error_not_a_miscount(
    tmp_path: Path,
) -> None:
    from pgx.cli._cohort import _count_output

    table = pa.table({"id": ["A", "B"], "germline.CYP2C19.diplotype": ["*2/*2", "*1/*1"]})
    results = pgx.cohort.evaluate(table).drop_columns(["row"])
    a = results.filter(pa.compute.equal(results["profile_id"], "A"))
    b = results.filter(pa.compute.equal(results["profile_id"], "B"))
    half = a.num_rows // 2
    path = tmp_path / "results.parquet"
    pq.write_table(pa.concat_tables([a.slice(0, half), b, a.slice(half)]), path)
    with pytest.raises(pgx.InputError, match="found rows of 'A' apart"):
        _count_output(path)
