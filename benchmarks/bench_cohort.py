"""Benchmark: rule evaluations/s, evaluate() in a loop vs the columnar engine, side by side.

Run: python benchmarks/bench_cohort.py [--profiles 100000] [--loop 2000] [--end-to-end 0]
     [--dask-rows 0]

One run, one machine, single core for the first three figures:
- ``evaluate()`` loop: pgx.evaluate per profile (trace, report objects), on ``--loop`` rows;
- columnar: pgx.cohort over the whole synthetic table (table in, result table out), cold
  (first pass: every distinct value decided) and warm (leaf truths cached);
- the raw two-valued NumPy baseline: one boolean look-up per rule and row, no Kleene logic;
- ``--end-to-end N``: ``pgx cohort`` on an N-row Parquet file in a child process (streamed
  in batches), with its peak memory;
- ``--dask-rows N``: Dask LocalCluster with 1 and then 2 worker processes on N rows.
"""

from __future__ import annotations

import argparse
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cohort_data import cohort

import pgx
import pgx.cohort
from pgx.cohort._columns import Reader
from pgx.cohort._run import Evaluator
from pgx.io import read_profile


def main() -> None:  # noqa: PLR0915 - one run, figures side by side
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--loop", type=int, default=2_000)
    parser.add_argument("--end-to-end", type=int, default=0)
    parser.add_argument("--dask-rows", type=int, default=0)
    args = parser.parse_args()

    rules = pgx.default_ruleset()
    table = cohort(rules, args.profiles)
    plan = pgx.cohort.plan_for(rules)
    n_rules = len(plan.rules)
    print(
        f"machine: {platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, load average {Path('/proc/loadavg').read_text().split()[0]}"
    )
    print(
        f"ruleset: {rules.name} {rules.version}, {n_rules} active rules; "
        f"{args.profiles} synthetic profiles, {table.num_columns} columns"
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

    # evaluate() in a loop
    (batch,) = list(Reader(rules, args.loop).batches(table.slice(0, args.loop)))
    profiles = [read_profile(batch.mapping(i)) for i in range(batch.rows)]
    for profile in profiles[:50]:
        pgx.evaluate(profile, rules, now="2026-01-01T00:00:00Z")
    start = time.perf_counter()
    for profile in profiles:
        pgx.evaluate(profile, rules, now="2026-01-01T00:00:00Z")
    loop_s = time.perf_counter() - start
    loop_rate = len(profiles) * n_rules / loop_s
    print(
        f"evaluate() loop: {len(profiles)} profiles in {loop_s:.2f} s = "
        f"{len(profiles) / loop_s:,.0f} profiles/s, {loop_rate / 1e6:.2f} M rule evaluations/s"
    )

    # columnar, cold then warm (one evaluator keeps its leaf cache)
    evaluator = Evaluator(plan)
    for label in ("cold", "warm"):
        start = time.perf_counter()
        rows = 0
        for part in Reader(rules).batches(table):
            evaluator.check(part)
            rows += evaluator.results(part, frozenset({"fires", "indeterminate"})).num_rows
        took = time.perf_counter() - start
        rate = args.profiles * n_rules / took
        print(
            f"columnar ({label}, table in, {rows:,} result rows out): {took:.2f} s = "
            f"{args.profiles / took:,.0f} profiles/s, {rate / 1e6:.1f} M rule evaluations/s"
        )
    (whole,) = list(Reader(rules, args.profiles).batches(table))
    start = time.perf_counter()
    evaluator.outcomes(whole)
    took = time.perf_counter() - start
    print(
        f"columnar outcomes only (warm, no result table): {took:.2f} s = "
        f"{args.profiles * n_rules / took / 1e6:.1f} M rule evaluations/s"
    )

    # raw two-valued NumPy: one boolean look-up per rule and row
    codes = [c.codes for c in whole.columns]
    luts = [
        np.random.default_rng(i).random(len(c.values)) < 0.5 for i, c in enumerate(whole.columns)
    ]
    start = time.perf_counter()
    for r in range(n_rules):
        k = r % len(codes)
        luts[k][codes[k]]
    took = time.perf_counter() - start
    print(
        f"raw two-valued NumPy baseline: {args.profiles * n_rules / took / 1e6:.1f} M rule "
        "evaluations/s"
    )

    if args.end_to_end:
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "cohort.parquet"
            big = cohort(rules, args.end_to_end, seed=11)
            pq.write_table(big, source)
            del big
            out = Path(tmp) / "results.parquet"
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pgx.cli",
                    "cohort",
                    "--profiles",
                    str(source),
                    "--out",
                    str(out),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            took = time.perf_counter() - start
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(
                f"end to end (pgx cohort, {args.end_to_end:,} profiles Parquet in, Parquet "
                f"out, {pq.read_metadata(out).num_rows:,} rows): {took:.1f} s, "
                f"peak memory {peak:,.0f} MB"
            )

    if args.dask_rows:
        dask_scaling(rules, args.dask_rows)


def dask_scaling(rules: pgx.RuleSet, rows: int) -> None:
    import dask  # noqa: PLC0415 - only for the scaling figure
    import dask.dataframe as dd  # noqa: PLC0415
    from distributed import Client, LocalCluster  # noqa: PLC0415

    from pgx.cohort import dask as pgx_dask  # noqa: PLC0415

    frame = cohort(rules, rows, seed=3).to_pandas()
    times = {}
    for workers in (1, 2):
        with (
            dask.config.set({"dataframe.convert-string": False}),
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers, threads_per_worker=1, dashboard_address=None
            ) as c,
            Client(c),  # type: ignore[no-untyped-call]
        ):
            data = dd.from_pandas(frame, npartitions=8).persist()  # type: ignore[no-untyped-call]
            pgx_dask.evaluate(data.partitions[:2], rules).compute()  # workers warm
            start = time.perf_counter()
            pgx_dask.evaluate(data, rules).compute()
            times[workers] = time.perf_counter() - start
    print(
        f"dask {rows:,} rows: 1 worker {times[1]:.1f} s, 2 workers {times[2]:.1f} s, "
        f"speed-up {times[1] / times[2]:.2f}x"
    )


if __name__ == "__main__":
    main()
