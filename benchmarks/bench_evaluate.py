"""Benchmark: `import pgx` time and single-profile evaluation latency on the bundled rules.

Run: python benchmarks/bench_evaluate.py [--runs N]
Targets (docs/benchmarks.md): median < 1 ms with the trace on; import < 0.2 s.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()

    from pgx import default_ruleset, evaluate, load_profile  # noqa: PLC0415 - timed after argv

    t0 = time.perf_counter()
    rules = default_ruleset()
    load_s = time.perf_counter() - t0
    profiles = sorted((ROOT / "examples" / "profiles").glob("*.yaml"))
    loaded = [load_profile(p) for p in profiles]
    for profile in loaded:  # warm the compiled rules and phenotype cache
        evaluate(profile, rules, now="2026-01-01T00:00:00+00:00")
    samples = []
    for i in range(args.runs):
        profile = loaded[i % len(loaded)]
        t = time.perf_counter()
        evaluate(profile, rules, now="2026-01-01T00:00:00+00:00")
        samples.append(time.perf_counter() - t)
    samples.sort()
    median = statistics.median(samples) * 1e3
    p99 = samples[int(len(samples) * 0.99) - 1] * 1e3
    impl = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()} {impl}")
    print(f"ruleset: {rules.name} {rules.version}, {len(rules.rules)} rules")
    print(f"load + validate + compile: {load_s:.3f} s")
    print(f"profiles: {len(loaded)} example profiles, {args.runs} evaluations (trace on)")
    print(f"evaluate latency: median {median:.3f} ms, p99 {p99:.3f} ms")
    print(f"import pgx: {import_time():.3f} s (median of 5 fresh interpreters)")


if __name__ == "__main__":
    main()
