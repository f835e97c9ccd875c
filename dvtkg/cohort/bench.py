"""``python -m dvtkg.cohort.bench --cases N`` (``make bench-cohort N=...``): a generated cohort on the local cluster.

Generates N cohort cases column by column (``dvtkg.cohort.generate``: numpy columns straight to
Parquet, timed apart), runs ``run_cohort`` on a LocalCluster (one worker per core) and prints
the wall time, the cases per second, and the workers' CPU time (the fair figure on a shared
machine), with the core count and the load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from dvtkg import paths
from dvtkg.cohort.run import ROW_GROUP

CHUNK = 50_000
RARE = 0.1  # conflicts and violations at a tenth of the test cohort's rate (about 0.7% of the cases)


def _generate(cases: int, folder: Path) -> int:
    """Write N cases as Parquet files of CHUNK cases (row groups of ROW_GROUP) into ``folder``."""
    import pyarrow.parquet as pq

    from dvtkg.casegen import thresholds_from_tbox
    from dvtkg.cases.keys import load_key_table
    from dvtkg.cohort.generate import generate_cohort_table
    from dvtkg.fast.classify import compiled_path
    from dvtkg.fast.compile import CompiledClassifier
    from dvtkg.guidance.knowledge import load_knowledge

    keys = load_key_table(load_knowledge(paths.project_root()))
    build = paths.build_dir(paths.project_root())
    owl = sorted(build.glob("kb-*-reasoner-v*.owl"), key=lambda p: p.stat().st_mtime)[-1]
    thresholds = thresholds_from_tbox(CompiledClassifier.load(compiled_path(owl)), keys)
    for start in range(0, cases, CHUNK):
        table = generate_cohort_table(start, min(CHUNK, cases - start), keys, thresholds, rare=RARE)
        pq.write_table(table, folder / f"part-{start // CHUNK:05d}.parquet", row_group_size=ROW_GROUP)
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dvtkg.cohort.bench", description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep-input", action="store_true", help="reuse build/bench-cohort/input when it has N cases")
    args = parser.parse_args(argv)
    from dvtkg.cohort.run import run_cohort

    base = paths.build_dir(paths.project_root()) / "bench-cohort"
    folder = base / "input"
    stamp = base / "input.json"
    load0 = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {[round(x, 2) for x in load0]}", flush=True)
    t, cpu = time.perf_counter(), time.process_time()
    if not (args.keep_input and stamp.exists() and json.loads(stamp.read_text()).get("cases") == args.cases):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        made = _generate(args.cases, folder)
        stamp.write_text(json.dumps({"cases": made}))
    gen, gen_cpu = time.perf_counter() - t, time.process_time() - cpu
    print(f"generated {args.cases} cases into {folder} in {gen:.1f} s wall, {gen_cpu:.1f} s CPU", flush=True)
    report = run_cohort(folder, base / "out", workers=args.workers)
    run = json.loads((base / "out" / "run.json").read_text())
    load1 = os.getloadavg()
    print(f"assessed {report.cases} cases in {report.seconds:.1f} s wall = {report.rate:.0f} cases/s on "
          f"{report.workers} workers ({run['single']} via the single-case path), {report.partitions} partitions; "
          f"workers' CPU {run['cpuSeconds']:.1f} s = {run['casesPerCpuSecond']:.0f} cases per CPU second; "
          f"load average after {[round(x, 2) for x in load1]}")
    (base / "bench.json").write_text(json.dumps({"cases": report.cases, "generateSeconds": round(gen, 1),
                                                 "generateCpuSeconds": round(gen_cpu, 1),
                                                 "wallSeconds": round(report.seconds, 1),
                                                 "casesPerSecond": round(report.rate, 1), "workers": report.workers,
                                                 "cpuSeconds": run["cpuSeconds"],
                                                 "casesPerCpuSecond": run["casesPerCpuSecond"],
                                                 "singlePath": run["single"], "cores": os.cpu_count(),
                                                 "loadBefore": load0, "loadAfter": load1}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
