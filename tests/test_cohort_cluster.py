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


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_dask_partitions_give_the_local_rows() -> None:
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    import dask

    from pgx.cohort import dask as pgx_dask

    # dask turns object columns (here lists) into strings unless told not to
    with dask.config.set({"dataframe.convert-string": False}):
        frame = dd.from_pandas(flat().to_pandas(), npartitions=2)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        distributed.Client(cluster),
    ):
        result = pgx_dask.evaluate(frame).compute()
    got = sorted(tuple(r.values()) for r in _plain(result.to_dict("records")))
    assert got == local_rows()
