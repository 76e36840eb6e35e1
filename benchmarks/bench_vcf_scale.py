"""Benchmark: VCFs at genome scale (joint-called cohorts, indexed whole genomes).

Run:
    python benchmarks/bench_vcf_scale.py joint [--samples 2504] [--single 20]
    python benchmarks/bench_vcf_scale.py genome [--records 2000000] [--runs 5]

``joint`` writes a synthetic joint-called VCF over every allele-defining position of the
bundled tables (``--samples`` samples; in each gene a sample carries the reference allele
with probability 0.8 per chromosome, else a random defined allele) and times calling every
sample in one pass (`pgx.inputs._joint.call_joint`) and then all the way to results
(`pgx.cohort.evaluate`), with the peak resident memory. In the same run it times the
previous way, one `call_vcf` per sample, on the first ``--single`` samples.

``genome`` writes once, into ``--cache`` (default ``~/.cache/pgx-bench``), a single-sample
bgzipped VCF of ``--records`` records spread over the 24 chromosomes (the pharmacogene
positions among them) with its tabix index, then times VCF -> report for that sample with
the index and without it (the same file under another name), and the region read alone
with pysam (htslib) when it is installed. Needs pysam to write the index (tests group).
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

CHROMS = [f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY"]
HEADER = [
    "##fileformat=VCFv4.2",
    "##reference=GRCh38",
    *(f"##contig=<ID={c}>" for c in CHROMS),
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
]


def _load() -> float:
    os.getloadavg()
    return os.getloadavg()[0]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _index_of(defs: Any, allele: str, pid: str) -> int:
    from pgx.model.knowledge import IUPAC, allowed_bases  # noqa: PLC0415

    dp = defs.positions[pid]
    base = defs.alleles[allele].get(pid, dp.ref)
    if base in IUPAC:
        base = sorted(allowed_bases(base))[0]
    alleles = [dp.ref, *dp.alts]
    return alleles.index(base) if base in alleles else 0


def build_joint(path: Path, samples: int, seed: int = 11) -> int:
    """Write the joint-called benchmark VCF (bgzipped); returns the number of records."""
    import pysam  # noqa: PLC0415

    from pgx import default_ruleset  # noqa: PLC0415

    rng = random.Random(seed)
    definitions = default_ruleset().knowledge.allele_definitions
    rows: list[tuple[int, int, str]] = []
    order = {c: i for i, c in enumerate(CHROMS)}
    for defs in definitions.values():
        names = sorted(defs.alleles)
        reference = next((n for n in names if not defs.alleles[n]), names[0])

        def pick(names: list[str] = names, reference: str = reference) -> str:
            return reference if rng.random() < 0.8 else rng.choice(names)

        pairs = [(pick(), pick()) for _ in range(samples)]
        for pid, dp in defs.positions.items():
            gts = [f"{_index_of(defs, a, pid)}/{_index_of(defs, b, pid)}" for a, b in pairs]
            cols = [defs.chromosome, str(dp.position), pid, dp.ref, ",".join(dp.alts)]
            line = "\t".join([*cols, "50", "PASS", ".", "GT", *gts])
            rows.append((order[defs.chromosome], dp.position, line))
    rows.sort(key=lambda r: (r[0], r[1]))
    columns = "\t".join(f"S{i:05d}" for i in range(samples))
    plain = path.with_suffix("")
    with plain.open("w", encoding="utf-8") as handle:
        handle.write("\n".join(HEADER) + "\n")
        handle.write(f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{columns}\n")
        for _, _, line in rows:
            handle.write(line + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    return len(rows)


def run_joint(args: argparse.Namespace) -> None:
    """Joint calling of ``--samples`` samples, and the per-sample way on a few of them."""
    import tempfile  # noqa: PLC0415

    from pgx import default_ruleset  # noqa: PLC0415
    from pgx.cohort import evaluate  # noqa: PLC0415
    from pgx.inputs import call_vcf  # noqa: PLC0415
    from pgx.inputs._joint import call_joint  # noqa: PLC0415

    rules = default_ruleset()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "joint.vcf.gz"
        t = time.perf_counter()
        records = build_joint(path, args.samples)
        built = time.perf_counter() - t
        print(
            f"joint VCF: {args.samples} samples x {records} records "
            f"({path.stat().st_size / 1e6:.1f} MB gz), written in {built:.1f} s"
        )
        before = _peak_mb()
        load = _load()
        t, c = time.perf_counter(), time.process_time()
        calls = call_joint(path, rules)
        called, cpu = time.perf_counter() - t, time.process_time() - c
        distinct = sum(len(r) for r in calls.results.values())
        print(
            f"  one pass, every sample: wall {called:.1f} s, CPU {cpu:.1f} s = "
            f"{args.samples / cpu:,.0f} samples per CPU second ({distinct} distinct gene "
            f"calls); load {load:.1f}"
        )
        t, c = time.perf_counter(), time.process_time()
        table = evaluate(path, rules)
        total, cpu = time.perf_counter() - t, time.process_time() - c
        print(
            f"  VCF -> results table (pgx.cohort.evaluate): wall {total:.1f} s, CPU {cpu:.1f} s "
            f"= {args.samples / cpu:,.0f} samples per CPU second, {table.num_rows:,} rows; "
            f"peak RSS {_peak_mb():.0f} MB (before {before:.0f} MB); load {_load():.1f}"
        )
        if args.single:
            t, c = time.perf_counter(), time.process_time()
            for name in calls.samples[: args.single]:
                call_vcf(path, rules, sample=name)
            each = (time.process_time() - c) / args.single
            print(
                f"  previous way, call_vcf per sample (first {args.single}): CPU {each:.3f} s "
                f"per sample = {1 / each:,.1f} samples per CPU second (wall "
                f"{(time.perf_counter() - t) / args.single:.3f} s each); load {_load():.1f}"
            )


def build_genome(path: Path, records: int, seed: int = 13) -> None:
    """Write the whole-genome-sized single-sample VCF, bgzipped, and its tabix index."""
    import pysam  # noqa: PLC0415

    from pgx import default_ruleset  # noqa: PLC0415

    rng = random.Random(seed)
    definitions = default_ruleset().knowledge.allele_definitions
    # GRCh38 lengths in Mb (rounded): the filler is spread in proportion
    sizes = [248, 242, 198, 190, 181, 170, 159, 145, 138, 133, 135, 133, 114, 107, 101, 90,
             83, 80, 58, 64, 46, 50, 156, 57]  # fmt: skip
    pgx_rows: dict[str, list[tuple[int, str]]] = {c: [] for c in CHROMS}
    taken: set[tuple[str, int]] = set()
    for defs in definitions.values():
        names = sorted(defs.alleles)
        a, b = rng.choice(names), rng.choice(names)
        for pid, dp in defs.positions.items():
            gt = f"{_index_of(defs, a, pid)}/{_index_of(defs, b, pid)}"
            cols = [defs.chromosome, str(dp.position), pid, dp.ref, ",".join(dp.alts)]
            line = "\t".join([*cols, "50", "PASS", "DP=30", "GT", gt])
            pgx_rows[defs.chromosome].append((dp.position, line))
            taken.add((defs.chromosome, dp.position))
    total = sum(sizes)
    plain = path.with_suffix("")
    with plain.open("w", encoding="utf-8") as handle:
        handle.write("\n".join(HEADER) + "\n")
        handle.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSAMPLE1\n")
        for chrom, size in zip(CHROMS, sizes, strict=True):
            count = records * size // total
            spots = sorted(
                p
                for p in {rng.randrange(10_000, size * 1_000_000) for _ in range(count)}
                if (chrom, p) not in taken
            )
            rows = [(p, f"{chrom}\t{p}\t.\tA\tG\t50\tPASS\tDP=30\tGT\t0/1") for p in spots]
            rows.extend(pgx_rows[chrom])
            rows.sort()
            handle.write("\n".join(line for _, line in rows) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)


def run_genome(args: argparse.Namespace) -> None:
    """VCF -> report for one whole-genome sample, with and without the index."""
    from pgx import default_ruleset, evaluate, load_profile  # noqa: PLC0415
    from pgx.inputs._merge import pgx_positions  # noqa: PLC0415
    from pgx.inputs._regions import vcf_lines  # noqa: PLC0415

    cache = Path(args.cache).expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"genome-{args.records}.vcf.gz"
    if not Path(f"{path}.tbi").exists():
        t = time.perf_counter()
        build_genome(path, args.records)
        print(f"wrote {path} in {time.perf_counter() - t:.0f} s (cached for the next run)")
    unindexed = cache / f"genome-{args.records}-unindexed.vcf.gz"
    if not unindexed.exists():
        os.link(path, unindexed)  # the same bytes, without an index beside them
    rules = default_ruleset()
    wanted, _ = pgx_positions(rules.knowledge.allele_definitions)
    print(f"{args.records:,} records, {path.stat().st_size / 1e6:.0f} MB gz, load {_load():.1f}")

    def report(vcf: Path) -> Any:
        return evaluate(load_profile(vcf=vcf, ruleset=rules), rules)

    for label, vcf, runs in (
        ("indexed", path, args.runs),
        ("unindexed", unindexed, max(1, args.runs // 3)),
    ):
        times, cpus = [], []
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            done = report(vcf)
            times.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        genes = sum(1 for p in done.phenotypes.values() if p.call and p.call.source == "vcf")
        print(
            f"  {label}: VCF -> report wall median {statistics.median(times):.3f} s, "
            f"min {min(times):.3f} s; CPU median {statistics.median(cpus):.3f} s, "
            f"min {min(cpus):.3f} s over {runs} runs ({genes} genes from the VCF); "
            f"load {_load():.1f}"
        )
    times = []
    for _ in range(args.runs):
        c = time.process_time()
        reading = vcf_lines(path, wanted)
        kept = sum(1 for number, _ in reading.lines if number is None)
        times.append(time.process_time() - c)
    print(f"  region read, pgx (pure Python): CPU {min(times):.3f} s min, {kept} records")
    _bindings(path, wanted, args.runs)


def _bindings(path: Path, wanted: set[tuple[str, int]], runs: int) -> None:
    """The same region read through htslib bindings, when installed."""
    from pgx.inputs._regions import _regions  # noqa: PLC0415

    regions = _regions(wanted)
    try:
        import pysam  # noqa: PLC0415
    except ImportError:
        return
    times = []
    for _ in range(runs):
        c = time.process_time()
        with pysam.TabixFile(str(path)) as tbx:
            header = list(tbx.header)
            kept = sum(
                1
                for chrom, spans in regions.items()
                for beg, end in spans
                for _ in tbx.fetch(f"chr{chrom}", beg, end)
            )
        times.append(time.process_time() - c)
    print(
        f"  region read, pysam {getattr(pysam, '__version__', '?')}: "
        f"CPU {min(times):.3f} s min, {kept} records"
    )
    del header
    try:
        cyvcf2: Any = importlib.import_module("cyvcf2")
    except ImportError:
        return
    times = []
    for _ in range(runs):
        c = time.process_time()
        reader = cyvcf2.VCF(str(path))
        kept = sum(
            1
            for chrom, spans in regions.items()
            for beg, end in spans
            for _ in reader(f"chr{chrom}:{beg + 1}-{end}")
        )
        reader.close()
        times.append(time.process_time() - c)
    print(f"  region read, cyvcf2 {cyvcf2.__version__}: CPU {min(times):.3f} s min, {kept} records")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    joint = sub.add_parser("joint")
    joint.add_argument("--samples", type=int, default=2504)
    joint.add_argument("--single", type=int, default=20, help="samples called the old way")
    genome = sub.add_parser("genome")
    genome.add_argument("--records", type=int, default=2_000_000)
    genome.add_argument("--runs", type=int, default=5)
    genome.add_argument("--cache", default="~/.cache/pgx-bench")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, load average {_load():.1f}")
    if args.what == "joint":
        run_joint(args)
    else:
        run_genome(args)


if __name__ == "__main__":
    main()
