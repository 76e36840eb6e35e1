"""Benchmark: `import pgx` time and single-profile evaluation latency on the bundled rules.

Run: python benchmarks/bench_evaluate.py [--runs N] [--rules N] [--callgrind N]
Targets (docs/benchmarks.md): median < 1 ms with the trace on; import < 0.2 s.

Every run prints the load average and a fixed pure-Python calibration workload next to its
figures, so a run on a busy machine can be judged (and scaled) against a quiet one.
``--callgrind N`` counts CPU instructions per evaluation instead (valgrind's callgrind, run
twice: with 0 and with N evaluations; the difference over N), which machine load does not
change. ``--rules N`` evaluates against N rules: the bundled ones copied under new ids.
Expected duration on a quiet 2-core machine: about 10 s (``--rules 10000``: about 1 min to
load and compile; ``--callgrind 60``: about 1 min).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-01-01T00:00:00+00:00"


def load_average() -> str:
    """The 1-minute load average (how busy the machine was)."""
    return Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"


def calibration() -> float:
    """Milliseconds for a fixed pure-Python workload (best of 5): the machine's speed now."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        table: dict[int, int] = {}
        for i in range(200_000):
            table[i & 1023] = table.get(i & 1023, 0) + i
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def import_time(repeats: int = 5) -> float:
    """Median wall time of `import pgx` in a fresh interpreter."""
    times = []
    for _ in range(repeats):
        code = "import time; t = time.perf_counter(); import pgx; print(time.perf_counter() - t)"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        times.append(float(out.stdout))
    return statistics.median(times)


def scaled(rules: Any, n: int) -> Any:
    """``n`` rules: the bundled ones, then copies of them under new ids (a fresh ruleset)."""
    out = list(rules.rules)
    copy = 0
    while len(out) < n:
        copy += 1
        for rule in rules.rules[: n - len(out)]:
            ids = tuple(f"{s}-copy{copy}" for s in rule.supersedes)
            out.append(attrs.evolve(rule, id=f"{rule.id}-copy{copy}", supersedes=ids))
    sources = {r.id: rules.sources.get(r.id.split("-copy")[0]) for r in out}
    return type(rules)(
        rules.name, rules.version, rules.sha256, tuple(out), rules.knowledge, sources
    )


def instructions(args: argparse.Namespace) -> None:
    """Instructions per evaluation, from two callgrind runs of this script."""
    counts = []
    for runs in (0, args.callgrind):
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [
                    "valgrind",
                    "--tool=callgrind",
                    f"--callgrind-out-file={Path(tmp) / 'callgrind.out'}",
                    sys.executable,
                    __file__,
                    "--runs",
                    str(runs),
                    "--rules",
                    str(args.rules),
                    "--quiet",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
        found = re.search(r"Collected : (\d+)", out.stderr)
        if found is None:
            raise SystemExit(f"no instruction count from callgrind:\n{out.stderr}")
        counts.append(int(found.group(1)))
    per = (counts[1] - counts[0]) / args.callgrind
    print(
        f"instructions per evaluation: {per / 1e6:.2f} M (callgrind, {args.callgrind} "
        f"evaluations of the example profiles, {args.rules or 'bundled'} rules)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Single-profile evaluation latency (about 10 s on a quiet 2-core machine)."
    )
    parser.add_argument("--runs", type=int, default=2000, help="timed evaluations")
    parser.add_argument(
        "--rules", type=int, default=0, help="evaluate against N rules (bundled ones copied)"
    )
    parser.add_argument(
        "--callgrind",
        type=int,
        default=0,
        metavar="N",
        help="count instructions per evaluation over N evaluations (valgrind)",
    )
    parser.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.callgrind:
        instructions(args)
        return

    from pgx import default_ruleset, evaluate, load_profile  # noqa: PLC0415 - timed after argv

    t0 = time.perf_counter()
    rules = default_ruleset()
    if args.rules:
        rules = scaled(rules, args.rules)
        rules.compiled  # noqa: B018 - compiled here, inside the load figure
    load_s = time.perf_counter() - t0
    profiles = sorted((ROOT / "examples" / "profiles").glob("*.yaml"))
    loaded = [load_profile(p) for p in profiles]
    for profile in loaded:  # warm the compiled rules and phenotype cache
        evaluate(profile, rules, now=NOW)
    samples = []
    cpu = []
    for i in range(args.runs):
        profile = loaded[i % len(loaded)]
        t, c = time.perf_counter(), time.process_time()
        evaluate(profile, rules, now=NOW)
        samples.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    if args.quiet:
        return
    samples.sort()
    median = statistics.median(samples) * 1e3
    p99 = samples[max(int(len(samples) * 0.99) - 1, 0)] * 1e3
    cpu_median = statistics.median(cpu) * 1e3
    impl = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()} {impl}, {os.cpu_count()} cores")
    print(f"load average {load_average()}; calibration {calibration():.1f} ms (fixed workload)")
    print(f"ruleset: {rules.name} {rules.version}, {len(rules.rules)} rules")
    print(f"load + validate + compile: {load_s:.3f} s")
    print(f"profiles: {len(loaded)} example profiles, {args.runs} evaluations (trace on)")
    print(f"evaluate latency: median {median:.3f} ms, p99 {p99:.3f} ms")
    # the process's own CPU time: what other work on a shared machine does not inflate
    print(f"evaluate CPU time: median {cpu_median:.3f} ms")
    print(f"import pgx: {import_time():.3f} s (median of 5 fresh interpreters)")
    print(f"load average {load_average()}; calibration {calibration():.1f} ms (after)")


if __name__ == "__main__":
    main()
