"""``python -m dvtkg.bench`` (``make bench``): the engines' figures in one run, into build/bench.json.

For each engine (``fast``, ``reference``): p50/p95 seconds per stage and end to end for
one case in process (warm: the knowledge base loaded, one case assessed first), the cold
CLI time of ``dvtkg assess`` on the seed case (a fresh process each run), cases per second
single-threaded, and the peak RSS of the process; for ``fast`` also the batch rate of the
column-wise form (``dvtkg.cohort``) on generated cohort cases. The reference engine
costs seconds per case: its sample stays small (``--reference-cases``). Printed with the
machine's core count and load average, which these figures depend on.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from dvtkg import logs, paths
from dvtkg.assessment.jsonout import assessment_json
from dvtkg.assessment.pipeline import STAGES, Assessor
from dvtkg.casegen import generate_case

SEED_CASE = "examples/cases/seed-massive-bilateral-dvt.json"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the reference engine's HermiT runs in a JVM)."""
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + c.ru_utime + c.ru_stime


def _machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"cores": os.cpu_count(), "loadAverage": [round(x, 2) for x in load], "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}", "machine": platform.machine()}


def bench_engine(engine: str, cases: list[Any], freeze: bool = True) -> dict[str, Any]:
    """Warm in-process stage and end-to-end percentiles, and cases/s, for one engine.

    ``freeze``: after the warm-up the loaded knowledge (tens of thousands of objects that live as
    long as the process) is moved out of the cyclic garbage collector's generations (``gc.freeze``),
    as a long-running process hosting the engine would do: otherwise every full collection walks
    it again, about a sixth of a fast case's time. Undone (``gc.unfreeze``) when the engine is done.
    """
    t0 = time.perf_counter()
    assessor = Assessor(engine=engine)
    load = time.perf_counter() - t0
    assessment_json(assessor.assess(cases[0]))  # warm-up
    if freeze:
        gc.collect()
        gc.freeze()
    per_case: list[dict[str, float]] = []
    ends: list[float] = []
    cpus: list[float] = []
    start, cpu0 = time.perf_counter(), _cpu()
    for c in cases:
        t, tc = time.perf_counter(), _cpu()
        a = assessor.assess(c)
        assessment_json(a)  # JSON out: the text `dvtkg assess --format json` prints
        ends.append(time.perf_counter() - t)
        cpus.append(_cpu() - tc)
        per_case.append(dict(a.engine["stageSeconds"]))
    wall, cpu = time.perf_counter() - start, _cpu() - cpu0
    stages = {s: {"p50": _pct([c[s] for c in per_case], 0.5), "p95": _pct([c[s] for c in per_case], 0.95)}
              for s in STAGES}
    if freeze:
        gc.unfreeze()
    return {"cases": len(cases), "loadSeconds": round(load, 3), "gcFrozen": freeze, "stages": stages,
            "endToEnd": {"p50": _pct(ends, 0.5), "p95": _pct(ends, 0.95), "mean": statistics.fmean(ends)},
            "endToEndCpu": {"p50": _pct(cpus, 0.5), "p95": _pct(cpus, 0.95), "mean": statistics.fmean(cpus)},
            "casesPerSecond": len(cases) / wall, "casesPerCpuSecond": len(cases) / cpu,
            "peakRssMb": round(_rss_mb(), 1), "_assessor": assessor}


def bench_cli(engine: str, runs: int) -> dict[str, Any]:
    """Cold ``dvtkg assess SEED --engine E --format json``: a fresh process each run."""
    exe = Path(sys.executable).with_name("dvtkg")
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "dvtkg.cli"]),
           "assess", str(paths.project_root() / SEED_CASE), "--engine", engine, "--format", "json"]
    times, cpus = [], []
    for _ in range(runs):
        t = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode not in (0, 1):
            return {"error": done.stderr.strip()[-300:]}
    return {"runs": runs, "p50": _pct(times, 0.5), "min": min(times), "max": max(times), "cpuP50": _pct(cpus, 0.5),
            "peakRssMbChildren": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}


def bench_batch(assessor: Assessor, n: int) -> dict[str, Any]:
    """The cohort path in this process on n generated cohort cases, as a Parquet partition reaches it.

    The cases are generated column-wise as Arrow tables (``dvtkg.cohort.generate``, the tables
    ``make bench-cohort`` writes), in partitions of ``ROW_GROUP`` cases; timed (CPU seconds of this
    process): the column-wise engine alone, and the whole partition with its output tables and the
    cases left to the single-case path. Each timing has its own engine and its own cases (the
    engine caches converted values), each engine warmed on a 200-case slice of other cases, so
    neither figure profits from the other's run.
    """
    from dvtkg.casegen import thresholds_from_tbox
    from dvtkg.cohort.columnar import ColumnEngine
    from dvtkg.cohort.frame import column_kinds
    from dvtkg.cohort.generate import generate_cohort_table
    from dvtkg.cohort.rows import PartitionAssessor, batch_from_arrow, engine_hash
    from dvtkg.cohort.run import ROW_GROUP

    keys = assessor.kb.keys
    thresholds = thresholds_from_tbox(assessor.fast.compiled, keys)  # type: ignore[union-attr]

    def tables(offset: int) -> list[Any]:
        return [generate_cohort_table(offset + start, min(n, start + ROW_GROUP) - start, keys, thresholds, rare=0.1)
                for start in range(0, n, ROW_GROUP)]

    def partition_assessor() -> PartitionAssessor:
        engine = ColumnEngine(assessor)
        part = PartitionAssessor.__new__(PartitionAssessor)
        part.assessor, part.engine, part.kinds = assessor, engine, column_kinds(keys)
        part.knowledge_hash, part.engine_hash, part.version = (engine.tbox_hash, engine_hash(engine),
                                                               assessor.kb.version)
        part.assess_arrow(generate_cohort_table(3 * n, 200, keys, thresholds, rare=0.1))  # warm-up, other cases
        return part

    first, second = tables(0), tables(n)
    part = partition_assessor()
    single = 0
    t = time.process_time()
    for table in first:
        single += int(part.engine.assess(batch_from_arrow(table, part.kinds)).single.sum())
    columns = time.process_time() - t
    part = partition_assessor()
    rows_out = 0
    t = time.process_time()
    for table in second:
        rows_out += part.assess_arrow(table)["results"].num_rows
    whole = time.process_time() - t
    return {"cases": n, "partitionCases": ROW_GROUP, "columnsCpuSeconds": round(columns, 3),
            "columnsCasesPerSecond": round(n / columns, 1), "singlePath": single,
            "withOutputCpuSeconds": round(whole, 3), "withOutputCasesPerSecond": round(n / whole, 1),
            "rows": rows_out}


@logs.script_main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dvtkg.bench", description=__doc__)
    parser.add_argument("--cases", type=int, default=200, help="fast engine: generated cases, warm (default 200)")
    parser.add_argument("--reference-cases", type=int, default=5, help="reference engine: cases (default 5)")
    parser.add_argument("--cli-runs", type=int, default=3, help="cold CLI runs per engine (default 3)")
    parser.add_argument("--batch", type=int, default=20000, help="column-wise batch size (default 20000)")
    parser.add_argument("--out", default=None, help="the JSON report (default build/bench.json)")
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="leave the loaded knowledge in the garbage collector's generations (see bench_engine)")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"machine": _machine(), "engines": {}}
    print(f"machine: {report['machine']['cores']} cores, load average {report['machine']['loadAverage']}, "
          f"Python {report['machine']['python']}, {report['machine']['system']}", flush=True)
    cases = [generate_case(i) for i in range(max(args.cases, args.reference_cases, 1))]
    for engine, n, runs in (("fast", args.cases, args.cli_runs), ("reference", args.reference_cases,
                                                                   max(1, min(args.cli_runs, 2)))):
        res = bench_engine(engine, cases[:max(n, 1)], freeze=not args.no_gc_freeze)
        assessor = res.pop("_assessor")
        res["cli"] = bench_cli(engine, runs)
        if engine == "fast" and args.batch > 0:
            res["batch"] = bench_batch(assessor, args.batch)
        report["engines"][engine] = res
        _print(engine, res)
        del assessor
    fast, ref = report["engines"]["fast"], report["engines"]["reference"]
    report["ratio"] = {"endToEndP50ReferenceOverFast": ref["endToEnd"]["p50"] / fast["endToEnd"]["p50"],
                       "endToEndCpuP50ReferenceOverFast": ref["endToEndCpu"]["p50"] / fast["endToEndCpu"]["p50"],
                       "casesPerSecondFastOverReference": fast["casesPerSecond"] / ref["casesPerSecond"]}
    report["machine"]["loadAverageAfter"] = [round(x, 2) for x in os.getloadavg()]
    print(f"fast / reference: end to end p50 {report['ratio']['endToEndP50ReferenceOverFast']:.1f}x faster "
          f"(CPU {report['ratio']['endToEndCpuP50ReferenceOverFast']:.1f}x), "
          f"cases/s x{report['ratio']['casesPerSecondFastOverReference']:.1f}; load average after "
          f"{report['machine']['loadAverageAfter']}")
    out = Path(args.out) if args.out else paths.build_dir(paths.project_root()) / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"-> {out}")
    return 0


def _print(engine: str, res: dict[str, Any]) -> None:
    print(f"\n{engine}: {res['cases']} cases warm in process, knowledge base loaded in {res['loadSeconds']:.1f} s, "
          f"peak RSS {res['peakRssMb']:.0f} MB" + (", knowledge frozen out of the GC" if res["gcFrozen"] else ""))
    print(f"  {'stage':10} {'p50 ms':>10} {'p95 ms':>10}")
    for stage, v in res["stages"].items():
        print(f"  {stage:10} {v['p50'] * 1000:10.2f} {v['p95'] * 1000:10.2f}")
    e, c = res["endToEnd"], res["endToEndCpu"]
    print(f"  {'end to end':10} {e['p50'] * 1000:10.2f} {e['p95'] * 1000:10.2f}   (JSON text out; wall)")
    print(f"  {'  CPU':10} {c['p50'] * 1000:10.2f} {c['p95'] * 1000:10.2f}   (process CPU time)")
    print(f"  single-threaded: {res['casesPerSecond']:.2f} cases/s wall, {res['casesPerCpuSecond']:.2f} per CPU second")
    cli = res["cli"]
    if "error" in cli:
        print(f"  cold CLI: error {cli['error']}")
    else:
        print(f"  cold CLI (dvtkg assess seed case, {cli['runs']} runs): p50 {cli['p50']:.2f} s wall, "
              f"{cli['cpuP50']:.2f} s CPU (min {cli['min']:.2f}, max {cli['max']:.2f} wall)")
    if "batch" in res:
        b = res["batch"]
        print(f"  batch, cohort path in process ({b['cases']} cohort cases in Arrow partitions of "
              f"{b['partitionCases']}): column-wise engine {b['columnsCasesPerSecond']:.0f} cases per CPU second; "
              f"with the output tables and the {b['singlePath']} cases left to the single-case path "
              f"{b['withOutputCasesPerSecond']:.0f} cases per CPU second")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
