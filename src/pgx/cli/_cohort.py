"""``pgx cohort``: evaluate a table of profiles (or a joint-called VCF) into a Parquet table."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pgx.cli._common import ruleset_of
from pgx.errors import InputError, Problem
from pgx.model.profile import Profile
from pgx.model.ruleset import RuleSet

__all__ = ["register"]


def _vcf_profiles(args: argparse.Namespace, rules: RuleSet) -> Iterator[Profile]:
    from pgx.cohort._vcf import profiles_of  # noqa: PLC0415 - only for VCF input
    from pgx.inputs._joint import call_joint  # noqa: PLC0415

    start = time.perf_counter()
    print(f"reading {args.vcf} ...", end="", file=sys.stderr, flush=True)
    calls = call_joint(args.vcf, rules, assume_reference=args.assume_reference)
    took = time.perf_counter() - start
    print(
        f"\r{len(calls.samples)} samples called in {took:.1f} s "
        f"({len(calls.samples) / max(took, 1e-9):,.0f}/s)",
        file=sys.stderr,
    )
    for warning in calls.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return profiles_of(calls)


def _summary(counts: Counter[tuple[str, str]]) -> str:
    """Per drug, how many profiles get each action (from findings that are shown)."""
    lines = ["drug\taction\tprofiles"]
    for (drug, action), n in sorted(counts.items()):
        lines.append(f"{drug}\t{action}\t{n}")
    return "\n".join(lines) + "\n"


def _local(args: argparse.Namespace, rules: RuleSet, source: object) -> Counter[tuple[str, str]]:
    from pgx.cohort import RESULT_SCHEMA, evaluate_batches  # noqa: PLC0415
    from pgx.cohort._summary import add_counts  # noqa: PLC0415
    from pgx.cohort._writing import result_writer  # noqa: PLC0415

    counts: Counter[tuple[str, str]] = Counter()
    start = time.perf_counter()
    done = 0
    with result_writer(args.out, RESULT_SCHEMA) as writer:
        for part in evaluate_batches(source, rules, drugs=args.drugs, outcomes=args.outcomes):
            writer.write_table(part.results)
            add_counts(part.results, counts)
            done += part.rows
            rate = done / max(time.perf_counter() - start, 1e-9)
            print(f"\r{done} profiles ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return counts


def _spark(args: argparse.Namespace, rules: RuleSet) -> Counter[tuple[str, str]]:
    from pyspark.sql import SparkSession  # noqa: PLC0415 - optional extra

    from pgx.cohort import spark as pgx_spark  # noqa: PLC0415

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # a session the caller already runs (`main` called from a notebook) is theirs to stop
    ours = SparkSession.getActiveSession() is None
    session = SparkSession.builder.master(f"local[{args.workers}]").getOrCreate()
    try:
        frame = session.read.parquet(str(args.profiles))
        pgx_spark.evaluate(frame, rules, drugs=args.drugs, outcomes=args.outcomes).write.mode(
            "overwrite"
        ).parquet(str(args.out))
    finally:
        if ours:
            session.stop()
    return _count_output(args.out)


def _dask(args: argparse.Namespace, rules: RuleSet) -> Counter[tuple[str, str]]:
    import dask  # noqa: PLC0415 - optional extra
    import dask.dataframe as dd  # noqa: PLC0415
    from distributed import Client, LocalCluster  # noqa: PLC0415

    from pgx.cohort import dask as pgx_dask  # noqa: PLC0415

    start = time.perf_counter()
    done = 0

    def progress(rows: int) -> None:
        nonlocal done
        done += rows
        rate = done / max(time.perf_counter() - start, 1e-9)
        print(f"\r{done} profiles ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)

    settings = {
        "dataframe.convert-string": False,
        "distributed.nanny.pre-spawn-environ": pgx_dask.worker_environ(),
    }
    with (
        dask.config.set(settings),
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=args.workers, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster),  # type: ignore[no-untyped-call]
    ):
        frame = dd.read_parquet(str(args.profiles))
        # written by the workers, which send back only their counts for the summary;
        # a rerun replaces the part files (as the Spark engine overwrites)
        summary = pgx_dask.to_parquet(
            frame,
            str(args.out),
            rules,
            drugs=args.drugs,
            outcomes=args.outcomes,
            overwrite=True,
            progress=progress,
        )
    print(file=sys.stderr)
    return Counter(
        {
            (drug, action): n
            for drug, action, n in zip(
                summary["drug"].to_pylist(),
                summary["action"].to_pylist(),
                summary["profiles"].to_pylist(),
                strict=True,
            )
        }
    )


def _count_output(path: str | os.PathLike[str]) -> Counter[tuple[str, str]]:
    import numpy as np  # noqa: PLC0415
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415
    import pyarrow.dataset as ds  # noqa: PLC0415

    # A profile's rows are contiguous in the files the engines write, but may straddle two
    # record batches: the rows of each batch's last profile wait for the next batch. A
    # profile seen again after its rows ended would be counted twice: an error, not a
    # silent miscount.
    counts: Counter[tuple[str, str]] = Counter()
    done: set[object] = set()
    carry: pa.Table | None = None
    for batch in ds.dataset(str(path), format="parquet").to_batches():
        table = pa.Table.from_batches([batch])
        if carry is not None:
            table = pa.concat_tables([carry, table.cast(carry.schema)])
        if table.num_rows == 0:
            continue
        ids = table["profile_id"]
        last = ids[-1]
        split = table.num_rows
        if last.is_valid:
            same = pc.fill_null(pc.equal(ids, last), False).to_numpy(zero_copy_only=False)
            others = np.flatnonzero(~same)
            split = int(others[-1]) + 1 if len(others) else 0
        head, carry = table.slice(0, split), table.slice(split)
        _count_once(head, done, path, counts)
    if carry is not None:
        _count_once(carry, done, path, counts)
    return counts


def _count_once(
    table: Any, done: set[object], path: str | os.PathLike[str], counts: Counter[tuple[str, str]]
) -> None:
    """Count whole profiles, refusing one whose rows came before (it would count twice)."""
    import pyarrow.compute as pc  # noqa: PLC0415

    from pgx.cohort._summary import add_counts  # noqa: PLC0415

    named = set(pc.unique(table["profile_id"]).drop_null().to_pylist())
    again = sorted(map(str, named & done))
    if again:
        raise InputError(
            [
                Problem(
                    "--out",
                    f"expected each profile's results together, found rows of {again[0]!r} apart",
                    str(path),
                )
            ]
        )
    done |= named
    add_counts(table, counts)


def _require_ids(profiles: str) -> None:
    # on a cluster the rows are not numbered across partitions: without ids, neither the
    # results nor the per-drug summary could tell one patient from another
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.dataset as ds  # noqa: PLC0415

    try:
        names = ds.dataset(profiles, format="parquet").schema.names  # a file or a directory
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise InputError([Problem("--profiles", f"not a Parquet file ({exc})", profiles)]) from None
    if "id" not in names:
        raise InputError(
            [
                Problem(
                    "--profiles",
                    "expected an 'id' column with --engine spark or dask (rows are not "
                    "numbered across partitions), found none",
                    profiles,
                )
            ]
        )


def _run_cohort(args: argparse.Namespace) -> int:
    rules = ruleset_of(args.rules)
    if args.engine != "local" and args.vcf is not None:
        raise InputError(
            [Problem("--engine", "a VCF is read locally: use --profiles with spark or dask")]
        )
    if args.profiles is not None and not Path(args.profiles).exists():
        raise InputError([Problem("--profiles", "no such file", str(args.profiles))])
    if args.engine != "local":
        _require_ids(args.profiles)
    if args.engine == "spark":
        counts = _spark(args, rules)
    elif args.engine == "dask":
        counts = _dask(args, rules)
    else:
        source: object = args.profiles if args.profiles is not None else _vcf_profiles(args, rules)
        counts = _local(args, rules, source)
    sys.stdout.write(_summary(counts))
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommand to ``pgx``."""
    co = commands.add_parser(
        "cohort", help="evaluate a table of profiles or a joint-called VCF into Parquet"
    )
    given = co.add_mutually_exclusive_group(required=True)
    given.add_argument("--profiles", help="Parquet table in the flat profile schema")
    given.add_argument("--vcf", help="joint-called germline VCF (every sample is a profile)")
    co.add_argument(
        "--assume-reference",
        action="store_true",
        help="take VCF positions that are absent as reference where the VCF covers the gene",
    )
    co.add_argument("--out", required=True, help="Parquet file (a directory for spark/dask)")
    co.add_argument("--engine", choices=("local", "spark", "dask"), default="local")
    co.add_argument("--workers", type=int, default=2, help="spark/dask local workers")
    co.add_argument("--rules", help="rule file or directory (default: bundled rules)")
    co.add_argument("--drugs", nargs="+", help="only rules about these drugs")
    co.add_argument(
        "--outcomes",
        nargs="+",
        default=["fires", "indeterminate"],
        choices=("fires", "does_not_fire", "indeterminate"),
        help="outcomes that get a row (default: fires, indeterminate)",
    )
    co.set_defaults(func=_run_cohort)
