"""Benchmark: germline VCF -> report for one sample, with the bundled rules and allele tables.

Run: python benchmarks/bench_vcf.py [--filler N] [--runs N]

Writes a bgzipped single-sample VCF holding every allele-defining position of the bundled
tables (each gene carrying a random pair of its defined alleles) plus ``--filler`` unrelated
records, then times ``load_profile(vcf=...)`` + ``evaluate`` end to end. PharmCAT publishes
1.2-5.9 s per sample for its whole pipeline (Java, plus its Python/bcftools preprocessor).
"""

from __future__ import annotations

import argparse
import gzip
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


def build_vcf(path: Path, filler: int, seed: int = 7) -> int:
    """Write the benchmark VCF; returns the number of records."""
    from pgx import default_ruleset  # noqa: PLC0415 - timed separately

    rng = random.Random(seed)
    definitions = default_ruleset().knowledge.allele_definitions
    rows: list[tuple[str, int, str]] = []
    taken: set[tuple[str, int]] = set()
    for defs in definitions.values():
        names = sorted(defs.alleles)
        a, b = rng.choice(names), rng.choice(names)
        for pid, dp in defs.positions.items():
            alleles = [dp.ref, *dp.alts]
            h1 = defs.alleles[a].get(pid, dp.ref)
            h2 = defs.alleles[b].get(pid, dp.ref)
            gt = f"{alleles.index(h1)}/{alleles.index(h2)}"
            cols = [defs.chromosome, str(dp.position), pid, dp.ref, ",".join(dp.alts)]
            rows.append(
                (
                    defs.chromosome,
                    dp.position,
                    "\t".join([*cols, "50", "PASS", ".", "GT:DP", f"{gt}:30"]),
                )
            )
            taken.add((defs.chromosome, dp.position))
    chroms = [f"chr{i}" for i in range(1, 23)]
    target = len(rows) + filler
    while len(rows) < target:
        chrom, pos = rng.choice(chroms), rng.randrange(1, 150_000_000)
        if (chrom, pos) in taken:
            continue
        taken.add((chrom, pos))
        ref, alt = rng.sample("ACGT", 2)
        gt = rng.choice(["0/1", "1/1", "0/0"])
        rows.append(
            (chrom, pos, f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t50\tPASS\tDP=30\tGT:DP\t{gt}:30")
        )
    order = {c: i for i, c in enumerate(chroms)}
    rows.sort(key=lambda r: (order.get(r[0], 99), r[1]))
    header = [
        "##fileformat=VCFv4.2",
        "##reference=GRCh38",
        "##contig=<ID=chr1,length=248956422>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSAMPLE1",
    ]
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as handle:
        handle.write("\n".join(header) + "\n")
        for _, _, line in rows:
            handle.write(line + "\n")
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--filler", type=int, default=100_000, help="non-PGx records to add")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    t0 = time.perf_counter()
    from pgx import default_ruleset, evaluate, load_profile  # noqa: PLC0415

    rules = default_ruleset()
    load = time.perf_counter() - t0
    positions = sum(len(d.positions) for d in rules.knowledge.allele_definitions.values())
    with tempfile.TemporaryDirectory() as tmp:
        for filler in sorted({0, args.filler}):
            path = Path(tmp) / f"bench-{filler}.vcf.gz"
            records = build_vcf(path, filler)
            times = []
            for _ in range(args.runs):
                t = time.perf_counter()
                report = evaluate(load_profile(vcf=path, ruleset=rules), rules)
                times.append(time.perf_counter() - t)
            called = sum(1 for p in report.phenotypes.values() if p.call and p.call.source == "vcf")
            print(
                f"VCF -> report, {records:,} records ({positions} PGx positions, "
                f"{path.stat().st_size / 1e6:.1f} MB gz): median {statistics.median(times):.3f} s, "
                f"min {min(times):.3f} s over {args.runs} runs; {called} genes from the VCF"
            )
    python = sys.version.split()[0]
    print(f"(rules loaded once in {load:.2f} s; Python {python}, {platform.machine()})")


if __name__ == "__main__":
    main()
