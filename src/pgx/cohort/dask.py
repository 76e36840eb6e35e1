"""Evaluate a Dask DataFrame of profiles (flat profile schema), partition by partition.

```python
import dask.dataframe as dd
from pgx.cohort import dask as pgx_dask
results = pgx_dask.evaluate(dd.read_parquet("cohort/*.parquet"))
results.groupby(["rule_id", "outcome"]).size().compute()
summary = pgx_dask.to_parquet(dd.read_parquet("cohort/*.parquet"), "results/")
```

The ruleset enters the task graph once, as one key: the scheduler sends it to each worker
once, and each worker process unpickles it once. Needs ``pgx[dask]``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs

from pgx.cohort import _evaluate_with, _outcomes, plan_for
from pgx.cohort._run import RESULT_SCHEMA
from pgx.cohort._shipping import evaluator_for, shipped
from pgx.cohort._summary import add_counts, summary_table
from pgx.cohort._writing import result_writer
from pgx.errors import InputError, Problem
from pgx.io import default_ruleset
from pgx.model.ruleset import RuleSet

__all__ = ["WORKER_MALLOC", "evaluate", "meta", "to_parquet", "worker_environ"]

#: glibc ``malloc`` settings for worker processes that run pgx (see `worker_environ`).
WORKER_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "268435456"}

_PART = re.compile(r"part\.\d+\.parquet")

# `RESULT_SCHEMA` less the input row number, which would be partition-local
_DASK_SCHEMA = pa.schema([f for f in RESULT_SCHEMA if f.name != "row"])


def meta() -> Any:
    """An empty pandas DataFrame with the columns and dtypes of `evaluate`'s partitions.

    Columns are Arrow-backed (`pandas.ArrowDtype`) with the types of
    `pgx.cohort.RESULT_SCHEMA`: the repeated strings stay dictionary-encoded and ``drugs``
    stays a list of strings. NumPy-backed pandas could hold those only as Python objects,
    one per cell, to build, pickle between processes and write, and Dask cannot tell an
    object column's type from an empty frame (``to_parquet`` of such a result fails).
    """
    return _frame(_DASK_SCHEMA.empty_table())


def worker_environ() -> dict[str, str]:
    """Dask's environment for new worker processes, with `WORKER_MALLOC` in it.

    Dask starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which (like any malloc
    setting) also fixes glibc's mmap threshold at 128 kB: every array of a batch is then
    mapped fresh from the kernel and unmapped when freed, and the next batch faults its
    pages in again. pgx allocates the same large arrays batch after batch; with
    `WORKER_MALLOC` (arrays up to 32 MiB reused from the heap, which returns memory to the
    kernel above 256 MiB free) one worker took 33,000 page faults instead of 270,000 for
    100,000 profiles and evaluated them in 1.4 s instead of 2.6 s, in a diagnostic run
    (see the benchmarks page). Use it before starting the workers:

    ```python
    dask.config.set({"distributed.nanny.pre-spawn-environ": pgx_dask.worker_environ()})
    ```

    ``pgx cohort --engine dask`` does so for the cluster it starts. As always with Dask,
    a variable already set in the environment of the process starting the workers wins.
    """
    import dask  # noqa: PLC0415 - optional extra

    current = dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {}
    return {**{str(k): str(v) for k, v in current.items()}, **WORKER_MALLOC}


def _frame(table: pa.Table) -> Any:
    import pandas as pd  # noqa: PLC0415 - optional extra

    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _partition(
    frame: Any,
    shipment: tuple[str, bytes],
    drugs: tuple[str, ...] | None,
    outcomes: tuple[str, ...],
    batch_rows: int,
) -> Any:
    evaluator = evaluator_for(*shipment, drugs)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    parts = _evaluate_with(evaluator, table, frozenset(outcomes), False, batch_rows)
    tables = [part.results.drop_columns(["row"]) for part in parts]
    if not tables:
        return meta()
    return _frame(pa.concat_tables(tables))


def evaluate(
    frame: Any,
    ruleset: RuleSet | None = None,
    *,
    drugs: Iterable[str] | None = None,
    outcomes: Iterable[str] | str = ("fires", "indeterminate"),
    batch_rows: int = 65_536,
) -> Any:
    """Evaluate every row of a Dask DataFrame of profiles; lazy, like any Dask operation.

    Args:
        frame: A `dask.dataframe.DataFrame` in the flat profile schema (give an ``id``
            column to know the rows apart).
        ruleset: The rules; ``None`` means the bundled rules.
        drugs: Only rules about these drugs.
        outcomes: As for `pgx.cohort.evaluate`.
        batch_rows: Rows evaluated at once within a partition.

    Returns:
        A Dask DataFrame with the columns of `pgx.cohort.RESULT_SCHEMA` less ``row``
        (Arrow-backed dtypes, see `meta`).
    """
    from dask.delayed import delayed  # noqa: PLC0415 - optional extra

    rules = ruleset if ruleset is not None else default_ruleset()
    wanted = tuple(sorted(_outcomes(outcomes)))
    chosen = None if drugs is None else tuple(drugs)
    plan_for(rules, chosen)  # an unknown drug fails here, on the driver, not in a worker
    # one graph key for the ruleset: sent to each worker once, not once per partition
    shipment = delayed(shipped(rules), pure=True)
    return frame.map_partitions(
        _partition, shipment, chosen, wanted, batch_rows, meta=meta(), enforce_metadata=False
    )


def _write_partition(
    frame: Any,
    shipment: tuple[str, bytes],
    options: tuple[tuple[str, ...] | None, tuple[str, ...], int],
    target: str,
) -> tuple[int, list[tuple[tuple[str, str], int]]]:
    # Arrow from the partition to the file, batch by batch: no pandas frame of the
    # results, no concatenation of a whole partition, so the memory a batch used is
    # reused by the next (fresh memory is what scales worst on a busy machine)
    drugs, outcomes, batch_rows = options
    evaluator = evaluator_for(*shipment, drugs)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    filesystem, path = pafs.FileSystem.from_uri(target)
    counts: Counter[tuple[str, str]] = Counter()
    with result_writer(path, _DASK_SCHEMA, filesystem) as writer:
        for part in _evaluate_with(evaluator, table, frozenset(outcomes), False, batch_rows):
            # counted by the partition-local row: right even where ids are missing
            add_counts(part.results, counts)
            writer.write_table(part.results.drop_columns(["row"]))
    return len(frame), list(counts.items())


def _directory(path: str, overwrite: bool) -> str:
    """The output directory's URI (made absolute), created and cleared of part files."""
    uri = path if "://" in path else os.path.abspath(path)
    filesystem, where = pafs.FileSystem.from_uri(uri)
    info = filesystem.get_file_info(where)
    if info.type == pafs.FileType.File:
        raise InputError([Problem("path", "expected a directory, found a file", path)])
    if info.type == pafs.FileType.Directory:
        old = [
            f.path
            for f in filesystem.get_file_info(pafs.FileSelector(where))
            if _PART.fullmatch(f.base_name)
        ]
        if old and not overwrite:
            raise InputError(
                [
                    Problem(
                        "path",
                        f"expected a directory without part files, found {len(old)} "
                        "(pass overwrite=True to replace them)",
                        path,
                    )
                ]
            )
        for old_path in old:
            filesystem.delete_file(old_path)
    filesystem.create_dir(where, recursive=True)
    return uri


def to_parquet(
    frame: Any,
    path: str | os.PathLike[str],
    ruleset: RuleSet | None = None,
    *,
    drugs: Iterable[str] | None = None,
    outcomes: Iterable[str] | str = ("fires", "indeterminate"),
    batch_rows: int = 65_536,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
) -> pa.Table:
    """Evaluate a Dask DataFrame of profiles and write the results where they are computed.

    Each partition's worker writes ``part.N.parquet`` (partition ``N``) in the directory
    ``path`` straight from Arrow, batch by batch, and sends back only its counts for the
    summary: the results never pass through the client or through pandas. This is what
    ``pgx cohort --engine dask`` runs. Unlike ``evaluate(frame).to_parquet(path)`` it
    gives the summary and never holds a partition's results whole: a worker's memory is
    bounded by ``batch_rows``.

    Args:
        frame: A `dask.dataframe.DataFrame` in the flat profile schema.
        path: The output directory: local (on every worker, as for Dask's own writer) or a
            URI pyarrow understands (``s3://...``, ``gs://...``, ``hdfs://...``).
        ruleset: The rules; ``None`` means the bundled rules.
        drugs: Only rules about these drugs.
        outcomes: As for `pgx.cohort.evaluate`.
        batch_rows: Rows evaluated (and written) at once within a partition.
        overwrite: Replace the ``part.N.parquet`` files an earlier run left in ``path``;
            without it, finding any is an `InputError` (fewer partitions this time would
            otherwise leave stale results beside the new ones). Other files are left alone.
        progress: Called with the number of profiles of each partition as it finishes
            (in the order they finish, with a `distributed` client; else at the end).

    Returns:
        The summary, as `pgx.cohort.summary` gives it: per drug and action, how many
        profiles get it (the columns of `pgx.cohort.SUMMARY_SCHEMA`).

    Raises:
        InputError: ``path`` is a file or holds part files (without ``overwrite``), an
            unknown drug or outcome, or a profile that does not load (from its worker).
    """
    import dask  # noqa: PLC0415 - optional extra
    from dask.delayed import delayed  # noqa: PLC0415

    rules = ruleset if ruleset is not None else default_ruleset()
    wanted = tuple(sorted(_outcomes(outcomes)))
    chosen = None if drugs is None else tuple(drugs)
    plan_for(rules, chosen)  # an unknown drug fails here, before any file is touched
    uri = _directory(os.fspath(path), overwrite)
    shipment = delayed(shipped(rules), pure=True)
    write = delayed(_write_partition, pure=False)
    options = (chosen, wanted, batch_rows)
    tasks = [
        write(part, shipment, options, f"{uri.rstrip('/')}/part.{i}.parquet")
        for i, part in enumerate(frame.to_delayed())
    ]
    counts: Counter[tuple[str, str]] = Counter()
    for rows, partition_counts in _finished(tasks, dask):
        counts.update(dict(partition_counts))
        if progress is not None:
            progress(rows)
    return summary_table(counts.items())


def _finished(tasks: list[Any], dask: Any) -> Iterable[Any]:
    """Task results as they finish (with a `distributed` client), else all at the end."""
    if dask.config.get("scheduler", None) not in {None, "dask.distributed", "distributed"}:
        yield from dask.compute(*tasks)  # a scheduler the caller chose over the client
        return
    try:
        from distributed import as_completed, get_client  # noqa: PLC0415

        client = get_client()
    except (ImportError, ValueError):
        yield from dask.compute(*tasks)
        return
    for future in as_completed(client.compute(tasks)):  # type: ignore[no-untyped-call]
        yield future.result()
