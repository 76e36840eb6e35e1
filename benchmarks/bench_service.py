"""Benchmark: the CDS Hooks service under load on loopback (``pgx serve`` + order-select).

Run: python benchmarks/bench_service.py [--requests 5000] [--concurrency 32] [--workers 1]
Target: p99 < 50 ms with the bundled rules on a 2-core machine.

Starts ``pgx serve`` as a child process on 127.0.0.1 (a free port), waits for ``/healthz``,
then makes two runs of order-select requests (one drug of four per request):

- repeated patient: the example genotype bundle as prefetch every time, as an EHR re-sends a
  patient's context while an order is edited: after the first four, answers come from the
  service's answer cache;
- distinct patients: every request a different patient (its own id and CYP2C19 diplotype), so
  every answer is computed: parse, FHIR to profile, evaluate, cards, JSON.

The client is a minimal asyncio HTTP/1.1 client on uvloop with one persistent connection per
concurrent caller: it shares the cores with the server, so it must cost them little (it
reports its own CPU per request beside the server's). Each run is bounded by its request
count and a time limit; the server is stopped at the end.
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


#: CYP2C19 diplotypes the distinct patients cycle through (each patient has its own id too).
DIPLOTYPES = ("*2/*2", "*1/*2", "*1/*1", "*1/*17", "*2/*17", "*17/*17", "*2/*3", "*1/*3")
BUNDLE = (ROOT / "examples" / "fhir" / "pgx-genotypes.json").read_text()


def _request(drug: str, code: str, patient: int | None = None) -> dict[str, Any]:
    text = BUNDLE
    if patient is not None:
        diplotype = DIPLOTYPES[patient % len(DIPLOTYPES)]
        text = text.replace(PATIENT, f"bench-{patient}").replace("*2/*2", diplotype)
    bundle = json.loads(text)
    patient_id = bundle["entry"][0]["resource"]["id"]
    observations = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    order = {
        "resourceType": "MedicationRequest",
        "id": f"draft-{drug}",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{patient_id}"},
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code}]},
    }
    return {
        "hookInstance": str(uuid.uuid4()),
        "hook": "order-select",
        "context": {
            "userId": "Practitioner/bench",
            "patientId": patient_id,
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
    port: int, payloads: list[bytes], requests: int, concurrency: int, limit_s: float
) -> tuple[list[float], float]:
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
    """User + system CPU time of a process and its children (Linux /proc).

    uvicorn's worker processes are children of the one started. This separates what a
    request costs from how busy the machine is.
    """
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _run(
    name: str, port: int, server: int, payloads: list[bytes], args: argparse.Namespace
) -> None:
    server_before, client_before = _cpu_seconds(server), os.times()
    samples, elapsed = _event_loop(
        _load(port, payloads, args.requests, args.concurrency, args.time_limit)
    )
    server_cpu = _cpu_seconds(server) - server_before
    now = os.times()
    client_cpu = now.user + now.system - client_before.user - client_before.system
    samples.sort()
    p50 = statistics.median(samples) * 1e3
    p99 = samples[max(0, int(len(samples) * 0.99) - 1)] * 1e3
    done = max(1, len(samples))
    print(f"{name}: {len(samples)} requests, {args.concurrency} concurrent")
    print(f"  latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {samples[-1] * 1e3:.1f} ms")
    print(f"  throughput: {len(samples) / elapsed:.0f} requests/s ({elapsed:.1f} s)")
    print(
        f"  CPU per request: server {1e3 * server_cpu / done:.2f} ms, "
        f"client {1e3 * client_cpu / done:.2f} ms; "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


def _event_loop(work: Any) -> tuple[list[float], float]:
    try:
        import uvloop  # noqa: PLC0415 - the server extra brings it; the client is cheaper on it
    except ImportError:
        result: tuple[list[float], float] = asyncio.run(work)
        return result
    return uvloop.run(work)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000, help="per run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--cache-size", type=int, default=1024, help="server answer cache")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per run, most")
    parser.add_argument("--only", choices=("repeated", "distinct"), help="one run only")
    args = parser.parse_args()

    port = _free_port()
    pgx = Path(sys.executable).with_name("pgx")
    command = [
        *(str(pgx), "serve", "--host", "127.0.0.1", "--port", str(port), "--feedback-log", ""),
        *("--workers", str(args.workers), "--cache-size", str(args.cache_size)),
    ]
    log = open(os.environ.get("PGX_BENCH_SERVER_LOG", os.devnull), "wb")  # noqa: SIM115
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    drugs = list(DRUGS.items())
    impl = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()} {impl}, {os.cpu_count()} cores; loopback")
    print(f"server: {args.workers} worker(s), answer cache {args.cache_size}")
    try:
        _wait_healthy(port, proc)
        repeated = [_http(port, json.dumps(_request(d, c)).encode()) for d, c in drugs]
        # warm up on patients the distinct run does not use
        warm = [
            _http(port, json.dumps(_request(*drugs[i % 4], patient=-1 - i)).encode())
            for i in range(args.warmup)
        ]
        _event_loop(_load(port, warm, args.warmup, min(args.concurrency, args.warmup), 60))
        if args.only in (None, "repeated"):
            _run("repeated patient (answers cached)", port, proc.pid, repeated, args)
        if args.only in (None, "distinct"):
            distinct = [
                _http(port, json.dumps(_request(*drugs[i % 4], patient=i)).encode())
                for i in range(args.requests)
            ]
            _run("distinct patients (every answer computed)", port, proc.pid, distinct, args)
    finally:
        os.kill(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
