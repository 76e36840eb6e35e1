"""Benchmark: the cohort engine, one part per flag, figures side by side with machine load.

Parts (give one or more; expected durations on a quiet 2-core machine):

- ``--columnar`` (about 2 min): on ``--profiles`` (100,000) synthetic profiles, single core,
  rule evaluations/s for ``pgx.evaluate`` in a loop (``--loop`` rows), the columnar engine
  (table in, result table out, cold then warm; and the decisions alone), and two raw
  two-valued NumPy baselines in the same run: the same rule trees with two-valued leaves
  over rows, and one boolean look-up per rule and row.
- ``--end-to-end`` (about 3 min): ``pgx cohort`` on an ``--e2e-profiles`` (500,000) row
  Parquet file in a child process (streamed in batches, Parquet out): time and peak RSS
  (target < 4 GB).
- ``--dask`` / ``--spark`` (about 3 min each): ``--scaling-rows`` (100,000) rows with 1 and
  then 2 local workers (Dask LocalCluster processes; Spark ``local[1]``/``local[2]``):
  speed-up (target >= 1.7x), for a first cohort and for a second one on the same workers.
  Dask's workers start with ``pgx.cohort.dask.worker_environ()`` and write with
  ``pgx.cohort.dask.to_parquet`` (as ``pgx cohort`` does); ``--dask-write dask`` times
  ``evaluate(...).to_parquet`` (Dask's writer) on workers with Dask's own environment.

Every part prints the load average and a fixed calibration workload, so a run on a busy
machine can be judged against a quiet one. Sizes can be made tiny to check the script runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_evaluate import calibration, load_average
from cohort_data import cohort

import pgx
import pgx.cohort
from pgx.cohort._columns import Reader
from pgx.cohort._run import Evaluator
from pgx.io import read_profile

Bools = Any


def machine() -> str:
    return (
        f"load average {load_average()}, calibration {calibration():.1f} ms "
        "(bench_evaluate's fixed workload)"
    )


def _cpu_jiffies() -> tuple[int, int]:
    """Machine-wide (busy, total) CPU time from /proc/stat; (0, 0) where there is none."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def timed_cores(run: Callable[[], None]) -> tuple[float, float]:
    """Wall seconds of ``run`` and the cores the whole machine kept busy meanwhile.

    A "1 worker" run is not a one-core run when the JVM (Spark) or the scheduler (Dask)
    works beside the worker: this says how many cores each side of a speed-up really had.
    """
    busy0, total0 = _cpu_jiffies()
    start = time.perf_counter()
    run()
    took = time.perf_counter() - start
    busy1, total1 = _cpu_jiffies()
    share = (busy1 - busy0) / (total1 - total0) if total1 > total0 else float("nan")
    return took, share * (os.cpu_count() or 1)


def columnar(rules: pgx.RuleSet, n: int, loop: int) -> None:
    """evaluate() in a loop, the columnar engine, and the NumPy baselines, in one run."""
    pa.set_cpu_count(1)  # single core: Arrow's kernels may not use a thread pool either
    table = cohort(rules, n)
    plan = pgx.cohort.plan_for(rules)
    n_rules = len(plan.rules)
    print(
        f"== columnar: {n:,} synthetic profiles x {n_rules} active rules, {table.num_columns} "
        f"columns; {machine()}"
    )
    distinct = {
        name: len(set(table[name].to_pylist()))
        for name in table.column_names
        if name.endswith(".diplotype")
    }
    print(
        f"distinct diplotypes per gene: {sum(distinct.values())} in {len(distinct)} genes "
        f"(CYP2D6 {distinct.get('germline.CYP2D6.diplotype')})"
    )

    (batch,) = list(Reader(rules, loop).batches(table.slice(0, loop)))
    profiles = [read_profile(batch.mapping(i)) for i in range(batch.rows)]
    for profile in profiles[:50]:
        pgx.evaluate(profile, rules, now="2026-01-01T00:00:00Z")

    def loop_all() -> None:
        for profile in profiles:
            pgx.evaluate(profile, rules, now="2026-01-01T00:00:00Z")

    print(
        f"evaluate() loop, {len(profiles):,} profiles: "
        f"{rate(timed(loop_all), len(profiles), n_rules)}"
    )

    evaluator = Evaluator(plan)
    for label in ("cold", "warm"):
        rows = 0

        def whole_call() -> None:
            nonlocal rows
            for part in Reader(rules).batches(table):
                evaluator.check(part)
                rows += evaluator.results(part, frozenset({"fires", "indeterminate"})).num_rows

        took = timed(whole_call)
        print(f"columnar ({label}, table in, {rows:,} result rows out): {rate(took, n, n_rules)}")
    (whole,) = list(Reader(rules, n).batches(table))
    decided = best(lambda: evaluator.outcomes(whole))
    print(f"columnar decisions (warm, outcomes only, no result table): {rate(decided, n, n_rules)}")

    # two-valued NumPy on the same trees: each leaf a random boolean per distinct value,
    # spread to the rows (timed), then and/or/not over rows; no unknowns, no output
    where, codes, tables = evaluator.leaf_truths(whole)
    rng = np.random.default_rng(0)
    leaf_values = {
        leaf: (g, np.asarray(rng.random(tables[g].shape[0]) < 0.5))
        for leaf, (g, _) in where.items()
    }

    def trees() -> None:
        leaf_rows = {leaf: values[codes[g]] for leaf, (g, values) in leaf_values.items()}
        for tree in plan.trees:
            two_valued(tree, leaf_rows)

    baseline = best(trees)
    print(
        f"raw two-valued NumPy, same rule trees over rows: {rate(baseline, n, n_rules)}; "
        f"columnar decisions take {decided[1] / baseline[1]:.2f}x its CPU time (target <= 10x)"
    )
    columns = [c.codes for c in whole.columns]
    luts = [rng.random(len(c.values)) < 0.5 for c in whole.columns]

    def lookups() -> None:
        for r in range(n_rules):
            k = r % len(columns)
            luts[k][columns[k]]

    print(
        "raw two-valued NumPy, one boolean look-up per rule and row: "
        f"{rate(best(lookups), n, n_rules)}"
    )
    print(f"after: {machine()}")


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds (this process, all threads) of one run of ``work``."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def best(work: Callable[[], object], repeats: int = 3) -> tuple[float, float]:
    """The fastest of ``repeats`` runs (wall and CPU seconds)."""
    return min((timed(work) for _ in range(repeats)), key=lambda t: t[1])


def rate(took: tuple[float, float], profiles: int, rules: int) -> str:
    """Seconds and rule evaluations per second, by the wall clock and per CPU second.

    On a shared machine the wall clock counts other people's work; the CPU figure does not.
    """
    wall, cpu = took
    per = profiles * rules / 1e6
    return (
        f"{wall:.3f} s wall, {cpu:.3f} s CPU = {per / wall:.1f} M rule evaluations/s "
        f"({per / cpu:.1f} M per CPU second), {profiles / wall:,.0f} profiles/s"
    )


def two_valued(node: tuple[Any, ...], leaves: dict[int, Bools]) -> Bools:
    kind = node[0]
    if kind == "leaf":
        return leaves[node[1]]
    if kind == "not":
        return ~two_valued(node[1], leaves)
    parts = [two_valued(p, leaves) for p in node[1]]
    if len(parts) == 1:
        return parts[0]
    combine = np.logical_and if kind == "all" else np.logical_or
    out = combine(parts[0], parts[1])
    for part in parts[2:]:
        combine(out, part, out=out)
    return out


def end_to_end(rules: pgx.RuleSet, n: int) -> None:
    """``pgx cohort`` on an n-row Parquet file, in a child process: time and peak RSS."""
    print(f"== end to end: {n:,} profiles, Parquet in, Parquet out; {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "cohort.parquet"
        with pq.ParquetWriter(source, cohort(rules, 1).schema) as writer:
            for offset in range(0, n, 100_000):  # written in parts: the table is large
                part = cohort(rules, min(100_000, n - offset), seed=11 + offset)
                writer.write_table(part)
        out = Path(tmp) / "results.parquet"
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pgx.cli", "cohort", "--profiles", str(source), "--out", out],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        took = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows = pq.read_metadata(out).num_rows
        print(
            f"pgx cohort: {took:.1f} s = {n / took:,.0f} profiles/s, {rows:,} result rows; "
            f"peak RSS {peak:,.0f} MB (target < 4,096 MB)"
        )
    print(f"after: {machine()}")


def dask_time(
    rules: pgx.RuleSet, rows: int, outcomes: tuple[str, ...], workers: int
) -> list[tuple[float, float]]:
    """Seconds (and busy cores) for a LocalCluster of ``workers`` processes.

    Two cohorts of ``rows`` one after the other on the same workers: the first meets
    workers that know no value yet, the second workers that have evaluated the first.
    With ``--dask-write dask`` (passed to this child as ``PGX_BENCH_DASK_WRITE``), times
    ``evaluate(...).to_parquet`` (Dask's writer) on workers with Dask's own environment, in
    place of ``pgx.cohort.dask.to_parquet`` (the workers write from Arrow) on workers
    started with ``worker_environ()``.
    """
    import dask  # noqa: PLC0415 - only for the scaling figure
    import dask.dataframe as dd  # noqa: PLC0415
    from distributed import Client, LocalCluster, wait  # noqa: PLC0415

    from pgx.cohort import dask as pgx_dask  # noqa: PLC0415

    writer = os.environ.get("PGX_BENCH_DASK_WRITE", "pgx")
    frames = [cohort(rules, rows, seed=seed).to_pandas() for seed in (3, 4)]
    small = cohort(rules, 64, seed=6).to_pandas()  # other rows: warms workers, not caches

    def spread(client: Any, frame: Any, parts: int) -> Any:
        # the partitions on the workers before timing, as many on each: `persist` of
        # `from_pandas` may leave six of eight on one worker, which then times placement
        size = -(-len(frame) // parts)
        pieces = [frame.iloc[i * size : (i + 1) * size] for i in range(parts)]
        futures = client.scatter(pieces)  # round-robin over the workers
        wait(futures)  # type: ignore[no-untyped-call]
        return dd.from_delayed(futures, meta=frame.iloc[:0])

    settings: dict[str, Any] = {"dataframe.convert-string": False}
    if writer == "pgx":  # as `pgx cohort --engine dask` starts its workers
        settings["distributed.nanny.pre-spawn-environ"] = pgx_dask.worker_environ()
    with (
        dask.config.set(settings),
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, dashboard_address=None
        ) as c,
        Client(c) as client,  # type: ignore[no-untyped-call]
        tempfile.TemporaryDirectory() as tmp,
    ):
        # every worker unpickles and compiles the rules once, before timing
        pgx_dask.to_parquet(spread(client, small, 2 * workers), f"{tmp}/warm", rules)
        times = []
        for k, frame in enumerate(frames):
            data = spread(client, frame, 8)

            def write(data: Any = data, k: int = k) -> None:
                # written where it is computed, as `pgx cohort --engine dask` does: the
                # client gathers nothing (20 M result rows gathered would time the client)
                if writer == "dask":
                    result = pgx_dask.evaluate(data, rules, outcomes=outcomes)
                    result.to_parquet(f"{tmp}/out{k}", write_index=False)
                else:
                    pgx_dask.to_parquet(data, f"{tmp}/out{k}", rules, outcomes=outcomes)

            times.append(timed_cores(write))
        return times


def spark_time(
    rules: pgx.RuleSet, rows: int, outcomes: tuple[str, ...], cores: int
) -> list[tuple[float, float]]:
    """Seconds (and busy cores) for Spark ``local[cores]``; two cohorts, as `dask_time`."""
    from pyspark.sql import SparkSession  # noqa: PLC0415 - only for the scaling figure

    from pgx.cohort import spark as pgx_spark  # noqa: PLC0415

    warnings.filterwarnings("ignore", category=FutureWarning)  # pyspark on pandas 3
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        sources = []
        for seed in (5, 7):
            sources.append(Path(tmp) / f"cohort{seed}.parquet")
            pq.write_table(cohort(rules, rows, seed=seed), sources[-1])
        warm = Path(tmp) / "warm.parquet"
        pq.write_table(cohort(rules, 64, seed=6), warm)
        session = (
            SparkSession.builder.master(f"local[{cores}]")
            .appName("pgx-bench")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", str(cores))
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        try:
            # each Python worker unpickles and compiles the rules once, before timing
            small = session.read.parquet(str(warm)).repartition(cores)
            pgx_spark.evaluate(small, rules).write.format("noop").mode("overwrite").save()
            times = []
            for source in sources:
                frame = session.read.parquet(str(source)).repartition(8).cache()
                frame.count()

                def run(frame: Any = frame) -> None:
                    result = pgx_spark.evaluate(frame, rules, outcomes=outcomes)
                    result.write.format("noop").mode("overwrite").save()

                times.append(timed_cores(run))
                frame.unpersist()
            return times
        finally:
            session.stop()


TIMERS = {"dask": dask_time, "spark": spark_time}
LABELS = {"dask": ("1 worker", "2 workers"), "spark": ("local[1]", "local[2]")}


def scaling(
    engine: str, rules: pgx.RuleSet, rows: int, outcomes: tuple[str, ...], pin: bool
) -> None:
    """1 then 2 workers, each in a fresh process; with ``pin``, confined to that many cores.

    Unpinned, "1 worker" may use more than one core: the JVM (Spark) or the scheduler and
    client (Dask) work beside it. Pinned, everything the run starts (JVM, worker
    processes) shares exactly 1, then 2 cores: scaling with the cores given.
    """
    how = "each run pinned to as many cores as workers" if pin else "unpinned"
    if engine == "dask":
        how += f", written by {os.environ['PGX_BENCH_DASK_WRITE']}"
    print(f"== {engine}: {rows:,} rows, outcomes {'+'.join(outcomes)}, {how}; {machine()}")
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    times: list[list[tuple[float, float]]] = []
    for workers in (1, 2):
        command = [
            sys.executable,
            __file__,
            "--time-one",
            f"{engine}:{workers}",
            "--scaling-rows",
            str(rows),
            "--scaling-outcomes",
            ",".join(outcomes),
        ]
        allowed = set(cpus[:workers]) if pin and len(cpus) >= workers else None

        def confine(allowed: set[int] | None = allowed) -> None:
            if allowed is not None:
                os.sched_setaffinity(0, allowed)

        done = subprocess.run(
            command, preexec_fn=confine, capture_output=True, text=True, check=True
        )
        fields = done.stdout.strip().splitlines()[-1].split()[1:]
        times.append([(float(a), float(b)) for a, b in zip(fields[::2], fields[1::2], strict=True)])
    one, two = LABELS[engine]
    for k, which in enumerate(("first cohort", "second cohort, same workers")):
        a, b = times[0][k], times[1][k]
        print(
            f"{engine}, {which}: {one} {a[0]:.1f} s ({a[1]:.2f} cores busy), {two} "
            f"{b[0]:.1f} s ({b[1]:.2f} cores busy), speed-up {a[0] / b[0]:.2f}x "
            "(target >= 1.7x)"
        )
    print(f"after: {machine()}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Expected on a quiet 2-core machine: --columnar about 2 min, --end-to-end "
        "about 3 min, --dask and --spark about 3 min each. Do not run the long parts on a "
        "shared machine; make the sizes tiny to check the script.",
    )
    parser.add_argument("--columnar", action="store_true", help="loop vs columnar vs NumPy")
    parser.add_argument("--end-to-end", action="store_true", help="Parquet in, Parquet out")
    parser.add_argument("--dask", action="store_true", help="Dask 1 -> 2 local workers")
    parser.add_argument("--spark", action="store_true", help="Spark local[1] -> local[2]")
    parser.add_argument("--profiles", type=int, default=100_000, help="--columnar rows")
    parser.add_argument("--loop", type=int, default=2_000, help="evaluate() loop rows")
    parser.add_argument("--e2e-profiles", type=int, default=500_000, help="--end-to-end rows")
    parser.add_argument("--scaling-rows", type=int, default=100_000, help="--dask/--spark rows")
    parser.add_argument(
        "--pin", action="store_true", help="--dask/--spark: confine each run to its cores"
    )
    parser.add_argument(
        "--dask-write",
        choices=("pgx", "dask"),
        default="pgx",
        help="--dask: pgx.cohort.dask.to_parquet on workers with worker_environ() (pgx), "
        "or evaluate().to_parquet on workers as Dask starts them (dask)",
    )
    parser.add_argument("--time-one", help=argparse.SUPPRESS)  # ENGINE:WORKERS, in a child
    parser.add_argument(
        "--scaling-outcomes",
        default="fires,indeterminate",
        help="--dask/--spark: the outcomes given a result row (comma-separated)",
    )
    args = parser.parse_args()
    outcomes = tuple(args.scaling_outcomes.split(","))
    os.environ["PGX_BENCH_DASK_WRITE"] = args.dask_write  # read by the timing child
    if args.time_one:
        engine, workers = args.time_one.split(":")
        runs = TIMERS[engine](pgx.default_ruleset(), args.scaling_rows, outcomes, int(workers))
        print("TIME", *(f"{took} {busy}" for took, busy in runs))
        return
    if not (args.columnar or args.end_to_end or args.dask or args.spark):
        parser.error("choose at least one part: --columnar, --end-to-end, --dask, --spark")

    rules = pgx.default_ruleset()
    print(
        f"machine: {platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores; pyarrow {pa.__version__}, "
        f"numpy {np.__version__}; ruleset {rules.name} {rules.version}"
    )
    if args.columnar:
        columnar(rules, args.profiles, args.loop)
    if args.end_to_end:
        end_to_end(rules, args.e2e_profiles)
    for engine in ("dask", "spark"):
        if getattr(args, engine):
            scaling(engine, rules, args.scaling_rows, outcomes, args.pin)


if __name__ == "__main__":
    main()
