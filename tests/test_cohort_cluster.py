"""Spark (local[2]) and Dask (a 2-worker LocalCluster) give the local cohort engine's rows."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("pyarrow")

import pyarrow as pa

import pgx
import pgx.cohort


def flat() -> pa.Table:
    return pa.table(
        {
            "id": ["A", "B", "C", "D", "E", "F"],
            "germline.CYP2C19.diplotype": ["*2/*2", "*1/*1", None, "*1/*17", "*2/*3", "*1/*999"],
            "germline.HLA-B.alleles": [["*57:01", "*08:01"], None, None, None, None, None],
            "clinical.medications": [["clopidogrel"], [], None, ["abacavir"], None, []],
        }
    )


def local_rows() -> list[tuple[Any, ...]]:
    table = pgx.cohort.evaluate(flat()).drop_columns(["row"])
    return sorted(tuple(r.values()) for r in _plain(table.to_pylist()))


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: _value(v) for k, v in r.items()} for r in rows]


def _value(value: Any) -> Any:
    if hasattr(value, "tolist"):  # a numpy array from pandas
        value = value.tolist()
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, float) and value != value:  # pandas' missing value  # noqa: PLR0124
        return None
    return value


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("pgx-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.filterwarnings("ignore::FutureWarning")  # pyspark on pandas 3
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_spark_partitions_give_the_local_rows(spark: Any) -> None:
    from pgx.cohort import spark as pgx_spark

    frame = spark.createDataFrame(flat().to_pandas()).repartition(2)
    assert frame.rdd.getNumPartitions() == 2
    rows = pgx_spark.evaluate(frame).collect()
    got = sorted(tuple(r.values()) for r in _plain([r.asDict() for r in rows]))
    assert got == local_rows()
    assert len(got) > 50


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _dask_frame(table: pa.Table, partitions: int) -> Any:
    import dask
    import dask.dataframe as dd

    # dask turns object columns (here lists) into strings unless told not to
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(table.to_pandas(), npartitions=partitions)  # type: ignore[no-untyped-call]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_dask_partitions_give_the_local_rows(dask_client: Any) -> None:
    from pgx.cohort import dask as pgx_dask

    result = pgx_dask.evaluate(_dask_frame(flat(), 2)).compute()
    got = sorted(tuple(r.values()) for r in _plain(result.to_dict("records")))
    assert got == local_rows()
    assert len(got) > 50


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_dask_result_writes_to_parquet_as_the_docs_show(dask_client: Any, tmp_path: Any) -> None:
    import pyarrow.parquet as pq

    from pgx.cohort import dask as pgx_dask

    pgx_dask.evaluate(_dask_frame(flat(), 3)).to_parquet(tmp_path / "out", write_index=False)
    table = pq.read_table(tmp_path / "out")
    assert table.schema.field("drugs").type == pa.list_(pa.string())
    got = sorted(tuple(r.values()) for r in _plain(table.to_pylist()))
    assert got == local_rows()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_dask_workers_keep_no_rows_between_frames(dask_client: Any) -> None:
    from pgx.cohort import dask as pgx_dask

    # the same workers (and their cached evaluators) evaluate two different frames: each
    # gives its own local rows, in either order
    other = flat().take([5, 4, 3, 2, 1, 0])
    other = other.set_column(0, "id", pa.array(["U", "V", "W", "X", "Y", "Z"]))
    for table in (other, flat(), other):
        result = pgx_dask.evaluate(_dask_frame(table, 2)).compute()
        want = pgx.cohort.evaluate(table).drop_columns(["row"]).to_pylist()
        got = sorted(tuple(r.values()) for r in _plain(result.to_dict("records")))
        assert got == sorted(tuple(r.values()) for r in _plain(want))


def test_dask_unknown_drug_fails_before_any_work() -> None:
    pytest.importorskip("dask.dataframe")
    from pgx.cohort import dask as pgx_dask

    with pytest.raises(pgx.InputError, match="unknown drug 'clopidogrl'"):
        pgx_dask.evaluate(_dask_frame(flat(), 2), drugs=["clopidogrl"])


@pytest.mark.filterwarnings("ignore::FutureWarning")  # pyspark on pandas 3
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_spark_engine_of_the_cli_leaves_the_callers_session_running(
    spark: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyarrow.parquet as pq

    from pgx.cli import main

    source, out = tmp_path / "cohort.parquet", tmp_path / "results"
    pq.write_table(flat(), source)
    assert main(["cohort", "--profiles", str(source), "--out", str(out), "--engine", "spark"]) == 0
    got = sorted(tuple(r.values()) for r in _plain(pq.read_table(out).to_pylist()))
    assert got == local_rows()
    summary = capsys.readouterr().out
    assert (
        main(["cohort", "--profiles", str(source), "--out", str(tmp_path / "local.parquet")]) == 0
    )
    assert summary == capsys.readouterr().out  # the per-drug summary of the local engine
    assert "clopidogrel\tuse_alternative\t2" in summary.splitlines()  # A and E, poor
    assert spark.range(3).count() == 3  # the session the caller made still works
