"""Benchmark: the CDS Hooks service under load on loopback (``pgx serve`` + order-select).

Run: python benchmarks/bench_service.py [--requests 5000] [--concurrency 32]
Target: p99 < 50 ms with the bundled rules on a 2-core machine.

Starts ``pgx serve`` as a child process on 127.0.0.1 (a free port), waits for ``/healthz``,
then sends order-select requests (the example genotype bundle as prefetch, one of four drugs
per request) over keep-alive connections from a minimal asyncio HTTP/1.1 client, so the
client costs the shared cores as little as possible. The run is bounded by the request count
and a time limit; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
DRUGS = {"clopidogrel": "32968", "codeine": "2670", "omeprazole": "7646", "simvastatin": "36567"}
PATIENT = "example-pgx-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _request(drug: str, code: str) -> dict[str, Any]:
    bundle = json.loads((ROOT / "examples" / "fhir" / "pgx-genotypes.json").read_text())
    observations = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    order = {
        "resourceType": "MedicationRequest",
        "id": f"draft-{drug}",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{PATIENT}"},
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code}]},
    }
    return {
        "hookInstance": str(uuid.uuid4()),
        "hook": "order-select",
        "context": {
            "userId": "Practitioner/bench",
            "patientId": PATIENT,
            "selections": [f"MedicationRequest/{order['id']}"],
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": order}],
            },
        },
        "prefetch": {
            "genomics": {"resourceType": "Bundle", "type": "searchset", "entry": observations},
            "medications": {"resourceType": "Bundle", "type": "searchset", "entry": []},
        },
    }


def _http(port: int, body: bytes) -> bytes:
    head = (
        f"POST /cds-services/pgx-order-select HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _worker(
    port: int, payloads: list[bytes], queue: asyncio.Queue[int], out: list[float], deadline: float
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < deadline:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            writer.write(payloads[i % len(payloads)])
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            body = await reader.readexactly(length)
            if status != 200 or b'"cards"' not in body:
                raise RuntimeError(f"unexpected reply {status}: {body[:200]!r}")
            out.append(time.perf_counter() - started)
    finally:
        writer.close()


async def _load(
    port: int, requests: int, concurrency: int, limit_s: float
) -> tuple[list[float], float]:
    payloads = [
        _http(port, json.dumps(_request(drug, code)).encode()) for drug, code in DRUGS.items()
    ]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    samples: list[float] = []
    started = time.perf_counter()
    deadline = time.monotonic() + limit_s
    await asyncio.gather(
        *(_worker(port, payloads, queue, samples, deadline) for _ in range(concurrency))
    )
    return samples, time.perf_counter() - started


def _wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("pgx serve exited")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("pgx serve did not become healthy")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to separate cost from contention."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds, at most")
    args = parser.parse_args()

    port = _free_port()
    pgx = Path(sys.executable).with_name("pgx")
    command = [str(pgx), "serve", "--host", "127.0.0.1", "--port", str(port), "--feedback-log", ""]
    log = open(os.environ.get("PGX_BENCH_SERVER_LOG", os.devnull), "wb")  # noqa: SIM115
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    try:
        _wait_healthy(port, proc)
        asyncio.run(_load(port, args.warmup, min(args.concurrency, args.warmup), 60))
        cpu_before = _cpu_seconds(proc.pid)
        samples, elapsed = asyncio.run(
            _load(port, args.requests, args.concurrency, args.time_limit)
        )
        server_cpu = _cpu_seconds(proc.pid) - cpu_before
    finally:
        os.kill(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    samples.sort()
    p50 = statistics.median(samples) * 1e3
    p99 = samples[max(0, int(len(samples) * 0.99) - 1)] * 1e3
    impl = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()} {impl}, {os.cpu_count()} cores")
    print(f"order-select: {len(samples)} requests, {args.concurrency} concurrent, loopback")
    print(f"latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {samples[-1] * 1e3:.1f} ms")
    print(f"throughput: {len(samples) / elapsed:.0f} requests/s ({elapsed:.1f} s)")
    per_request = 1e3 * server_cpu / max(1, len(samples))
    print(f"server CPU: {per_request:.2f} ms per request; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
