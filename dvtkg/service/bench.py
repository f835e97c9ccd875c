"""``make bench-service``: requests per second and p50/p95 latency of the CDS Hooks endpoint under load.

Starts ``dvtkg serve`` on a free port (``--workers`` processes, each loading the knowledge base once,
before the clock starts), then sends ``--requests`` hook calls from ``--concurrency`` concurrent
async clients (httpx). The call is a ``patient-view`` for the seed case sent as FHIR (prefetched), or an
``order-select`` / ``order-sign`` of systemic thrombolysis for it (``--hooks``, comma-separated, measured
one after the other against the same server; ``--order`` = ``--hooks order-select``). Prints one JSON
object with the figures per hook, the CPU count and the machine's load average, so that a reader can
judge them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from dvtkg import paths

SEED_BUNDLE = Path("tests/fixtures/fhir/cases/seed-massive-bilateral-dvt.json")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


HOOKS = {"patient-view": "dvt-guidance", "order-select": "dvt-order-select", "order-sign": "dvt-order-sign"}


def seed_request(hook: str) -> tuple[str, dict[str, Any]]:
    """The hook call to repeat: the seed case's resources as prefetch (orders: a draft alteplase order)."""
    root = paths.project_root()
    bundle = json.loads((root / SEED_BUNDLE).read_text(encoding="utf-8"))
    resources = [e["resource"] for e in bundle.get("entry", [])]
    patient = next(r for r in resources if r.get("resourceType") == "Patient")
    pid = str(patient["id"])

    def searchset(rt: str) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "searchset",
                "entry": [{"resource": r} for r in resources if r.get("resourceType") == rt]}

    prefetch = {"patient": patient, "conditions": searchset("Condition"), "observations": searchset("Observation"),
                "medicationRequests": searchset("MedicationRequest"),
                "medicationStatements": searchset("MedicationStatement"),
                "episodesOfCare": searchset("EpisodeOfCare"), "caseFacts": searchset("QuestionnaireResponse")}
    context: dict[str, Any] = {"userId": "Practitioner/bench", "patientId": pid}
    if hook == "patient-view":
        return HOOKS[hook], {"hook": hook, "hookInstance": "bench", "context": context, "prefetch": prefetch}
    lysis = {"resourceType": "MedicationRequest", "id": "lysis-1", "status": "draft", "intent": "order",
             "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                       "code": "8410", "display": "alteplase"}]},
             "subject": {"reference": f"Patient/{pid}"}}
    context.update(draftOrders={"resourceType": "Bundle", "type": "collection", "entry": [{"resource": lysis}]})
    if hook == "order-select":
        context.update(selections=["MedicationRequest/lysis-1"])
    return HOOKS[hook], {"hook": hook, "hookInstance": "bench", "context": context, "prefetch": prefetch}


def start_server(port: int, workers: int, engine: str, db: Path) -> subprocess.Popen:
    dvtkg = Path(sys.executable).parent / "dvtkg"
    cmd = [str(dvtkg), "serve", "--port", str(port), "--workers", str(workers), "--engine", engine,
           "--feedback-db", str(db)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def wait_ready(base: str, proc: subprocess.Popen, workers: int, timeout: float = 600) -> None:
    """Until every worker has its knowledge base (each answers /healthz 'ok' once loaded)."""
    deadline = time.monotonic() + timeout
    ok = 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench-service: the server exited with {proc.returncode}")
        try:
            r = httpx.get(f"{base}/healthz", timeout=5)
            ok = ok + 1 if r.status_code == 200 and r.json().get("status") == "ok" else 0
            if ok >= 3 * workers:
                return
        except httpx.HTTPError:
            ok = 0
        time.sleep(0.5)
    raise SystemExit("bench-service: the server did not become ready")


async def load(url: str, body: dict[str, Any], n: int, concurrency: int) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while True:
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t = time.perf_counter()
            try:
                r = await client.post(url, json=body)
                ok = r.status_code == 200 and r.json().get("cards")
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - t)
            errors += 0 if ok else 1

    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_connections=concurrency)) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - start


def group_cpu_seconds(pgid: int) -> float | None:
    """CPU seconds (user + system) used so far by the server's processes (its process group; Linux /proc only).

    Divided by the requests answered, this is the service's cost per call, which the machine's load does
    not inflate the way it inflates latency.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:  # fields after the command: state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=60)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--engine", choices=("fast", "reference"), default="fast")
    ap.add_argument("--order", action="store_true",
                    help="order-select of systemic thrombolysis instead of patient-view (= --hooks order-select)")
    ap.add_argument("--hooks", default="patient-view",
                    help=f"comma-separated, measured one after the other: {', '.join(HOOKS)} (default patient-view)")
    ap.add_argument("--warmup", type=int, default=4)
    args = ap.parse_args(argv)
    hooks = ["order-select"] if args.order else [h.strip() for h in args.hooks.split(",") if h.strip()]
    unknown = [h for h in hooks if h not in HOOKS]
    if unknown or not hooks:
        ap.error(f"--hooks: {', '.join(unknown) or 'none given'}: use {', '.join(HOOKS)}")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db = paths.build_dir() / "bench-service-feedback.sqlite"
    proc = start_server(port, args.workers, args.engine, db)
    load_before = [round(x, 2) for x in os.getloadavg()]
    figures = []
    try:
        t0 = time.monotonic()
        wait_ready(base, proc, args.workers)
        startup = time.monotonic() - t0
        for hook in hooks:
            service, body = seed_request(hook)
            url = f"{base}/cds-services/{service}"
            asyncio.run(load(url, body, args.warmup, min(args.warmup, args.concurrency)))
            cpu_before = group_cpu_seconds(proc.pid)
            latencies, errors, elapsed = asyncio.run(load(url, body, args.requests, args.concurrency))
            cpu_after = group_cpu_seconds(proc.pid)
            figures.append({
                "hook": hook, "endpoint": f"POST /cds-services/{service}", "requests": args.requests,
                "errors": errors, "requestsPerSecond": round(len(latencies) / elapsed, 2),
                "p50Ms": round(percentile(latencies, 0.50) * 1000, 1),
                "p95Ms": round(percentile(latencies, 0.95) * 1000, 1),
                "meanMs": round(statistics.fmean(latencies) * 1000, 1), "maxMs": round(max(latencies) * 1000, 1),
                "serverCpuMsPerRequest": (round((cpu_after - cpu_before) * 1000 / len(latencies), 1)
                                          if cpu_before is not None and cpu_after is not None else None),
                "loadAverage": [round(x, 2) for x in os.getloadavg()]})
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    result = {
        "engine": args.engine, "workers": args.workers, "concurrency": args.concurrency,
        "startupSeconds": round(startup, 1), "cpus": os.cpu_count(), "loadAverageAtStart": load_before,
        **(figures[0] if len(figures) == 1 else {"hooks": figures}),
    }
    print(json.dumps(result, indent=2))
    return 1 if any(f["errors"] for f in figures) else 0


if __name__ == "__main__":
    raise SystemExit(main())
