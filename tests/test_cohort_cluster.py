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


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_workers_started_with_worker_environ_get_the_malloc_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dask

    distributed = pytest.importorskip("distributed")
    from pgx.cohort import dask as pgx_dask

    # Dask lets the starting process's own variables win over its config (and an earlier
    # cluster in this process may have left Dask's 65536 there)
    for name in pgx_dask.WORKER_MALLOC:
        monkeypatch.delenv(name, raising=False)
    environ = pgx_dask.worker_environ()
    assert environ["MALLOC_TRIM_THRESHOLD_"] == "268435456"  # not Dask's 65536
    assert environ["OMP_NUM_THREADS"] == "1"  # Dask's other settings are kept
    with (
        dask.config.set({"distributed.nanny.pre-spawn-environ": environ}),
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        seen = client.run(lambda: {k: os.environ.get(k) for k in pgx_dask.WORKER_MALLOC})
    assert list(seen.values()) == [pgx_dask.WORKER_MALLOC]


def test_dask_unknown_drug_fails_before_any_work() -> None:
    pytest.importorskip("dask.dataframe")
    from pgx.cohort import dask as pgx_dask

    with pytest.raises(pgx.InputError, match="unknown drug 'clopidogrl'"):
        pgx_dask.evaluate(_dask_frame(flat(), 2), drugs=["clopidogrl"])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_dask_to_parquet_writes_each_partition_and_returns_the_summary(
    dask_client: Any, tmp_path: Any
) -> None:
    import pyarrow.parquet as pq

    from pgx.cohort import dask as pgx_dask

    finished: list[int] = []
    summary = pgx_dask.to_parquet(
        _dask_frame(flat(), 3), tmp_path / "out", progress=finished.append
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "part.0.parquet",
        "part.1.parquet",
        "part.2.parquet",
    ]
    table = pq.read_table(tmp_path / "out")
    assert table.schema.field("drugs").type == pa.list_(pa.string())
    assert sorted(tuple(r.values()) for r in _plain(table.to_pylist())) == local_rows()
    assert summary.equals(pgx.cohort.summary(pgx.cohort.evaluate(flat())))
    assert sorted(finished) == [2, 2, 2]  # six profiles in three partitions
    # A and E (*2/*2, *2/*3: poor metabolizers) get clopidogrel's alternative
    got = {(r["drug"], r["action"]): r["profiles"] for r in summary.to_pylist()}
    assert got["clopidogrel", "use_alternative"] == 2


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_dask_to_parquet_replaces_part_files_only_when_told(
    dask_client: Any, tmp_path: Any
) -> None:
    import pyarrow.parquet as pq

    from pgx.cohort import dask as pgx_dask

    out = tmp_path / "out"
    pgx_dask.to_parquet(_dask_frame(flat(), 3), out)
    (out / "README").write_text("kept")
    with pytest.raises(pgx.InputError, match=r"found 3 \(pass overwrite=True"):
        pgx_dask.to_parquet(_dask_frame(flat(), 2), out)
    # two partitions now: the third file of the earlier run must not linger as results
    pgx_dask.to_parquet(_dask_frame(flat(), 2), out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["README", "part.0.parquet", "part.1.parquet"]
    parts = (
        pq.read_table(out / "part.0.parquet").num_rows
        + pq.read_table(out / "part.1.parquet").num_rows
    )
    assert parts == len(local_rows())


def test_dask_to_parquet_refuses_a_file_and_an_unknown_drug_before_writing(tmp_path: Any) -> None:
    pytest.importorskip("dask.dataframe")
    from pgx.cohort import dask as pgx_dask

    (tmp_path / "file").write_text("x")
    with pytest.raises(pgx.InputError, match="expected a directory, found a file"):
        pgx_dask.to_parquet(_dask_frame(flat(), 2), tmp_path / "file")
    with pytest.raises(pgx.InputError, match="unknown drug 'clopidogrl'"):
        pgx_dask.to_parquet(_dask_frame(flat(), 2), tmp_path / "new", drugs=["clopidogrl"])
    assert not (tmp_path / "new").exists()


def test_dask_to_parquet_runs_on_a_scheduler_chosen_over_a_client(tmp_path: Any) -> None:
    import dask

    pytest.importorskip("dask.dataframe")
    from pgx.cohort import dask as pgx_dask

    finished: list[int] = []
    with dask.config.set(scheduler="synchronous"):
        summary = pgx_dask.to_parquet(
            _dask_frame(flat(), 2), tmp_path / "o", progress=finished.append
        )
    assert finished == [3, 3]
    assert summary.equals(pgx.cohort.summary(pgx.cohort.evaluate(flat())))


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
