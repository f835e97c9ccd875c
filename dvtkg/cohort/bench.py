"""``python -m dvtkg.cohort.bench --cases N`` (``make bench-cohort N=...``): a generated cohort on the local cluster.

Generates N cohort cases (``generate_cohort_case``) as Parquet under build/bench-cohort/input
(in worker processes, timed apart), runs ``run_cohort`` on a LocalCluster (one worker per
core) and prints the wall time and the cases per second, with the core count and load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from dvtkg import paths
from dvtkg.cohort.run import ROW_GROUP

CHUNK = 50_000
RARE = 0.1  # conflicts and violations at a tenth of the test cohort's rate (about 0.7% of the cases)


def _generate(args: tuple[int, int, str]) -> int:
    """Write cases [start, stop) as one Parquet file."""
    import pyarrow.parquet as pq

    from dvtkg.casegen import generate_cohort_case, thresholds_from_tbox
    from dvtkg.cases.keys import load_key_table
    from dvtkg.cohort.frame import rows_table, sheet_to_row
    from dvtkg.fast.classify import compiled_path
    from dvtkg.fast.compile import CompiledClassifier
    from dvtkg.guidance.knowledge import load_knowledge

    start, stop, folder = args
    keys = load_key_table(load_knowledge(paths.project_root()))
    build = paths.build_dir(paths.project_root())
    owl = sorted(build.glob("kb-*-reasoner-v*.owl"), key=lambda p: p.stat().st_mtime)[-1]
    compiled = CompiledClassifier.load(compiled_path(owl))
    thresholds = thresholds_from_tbox(compiled, keys)
    rows = [sheet_to_row(generate_cohort_case(i, keys, thresholds, rare=RARE), keys) for i in range(start, stop)]
    target = Path(folder) / f"part-{start // CHUNK:05d}.parquet"
    pq.write_table(rows_table(rows, keys), target, row_group_size=ROW_GROUP)
    return stop - start


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
    t = time.perf_counter()
    if not (args.keep_input and stamp.exists() and json.loads(stamp.read_text()).get("cases") == args.cases):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        chunks = [(s, min(s + CHUNK, args.cases), str(folder)) for s in range(0, args.cases, CHUNK)]
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            made = sum(pool.map(_generate, chunks))
        stamp.write_text(json.dumps({"cases": made}))
    gen = time.perf_counter() - t
    print(f"generated {args.cases} cases into {folder} in {gen:.1f} s", flush=True)
    report = run_cohort(folder, base / "out", workers=args.workers)
    run = json.loads((base / "out" / "run.json").read_text())
    load1 = os.getloadavg()
    print(f"assessed {report.cases} cases in {report.seconds:.1f} s wall = {report.rate:.0f} cases/s on "
          f"{report.workers} workers ({run['single']} via the single-case path), {report.partitions} partitions; "
          f"load average after {[round(x, 2) for x in load1]}")
    (base / "bench.json").write_text(json.dumps({"cases": report.cases, "generateSeconds": round(gen, 1),
                                                 "wallSeconds": round(report.seconds, 1),
                                                 "casesPerSecond": round(report.rate, 1), "workers": report.workers,
                                                 "singlePath": run["single"], "cores": os.cpu_count(),
                                                 "loadBefore": load0, "loadAfter": load1}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
