"""``python -m dvtkg.bench``: time the assessment stages on the examples and generated cases.

Prints, for each set, the median and 90th percentile of the seconds per case of each
stage (parse, validate, reason, query, report) and of the whole, the cases per
second, and the machine (cores). One run, no warm-up beyond loading the knowledge
base once (reported apart).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from dvtkg import logs, paths, progress
from dvtkg.assessment.pipeline import STAGES, Assessor
from dvtkg.casegen import generate_case


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def _report(name: str, per_case: list[dict[str, float]], wall: float) -> list[str]:
    lines = [f"{name}: {len(per_case)} cases in {wall:.1f} s = {len(per_case) / wall:.2f} cases/s"]
    lines.append(f"  {'stage':10} {'median s':>10} {'p90 s':>10} {'share':>7}")
    totals = [sum(c.values()) for c in per_case]
    for stage in (*STAGES, "total"):
        vals = totals if stage == "total" else [c[stage] for c in per_case]
        share = statistics.median(vals) / statistics.median(totals) if stage != "total" else 1.0
        lines.append(f"  {stage:10} {statistics.median(vals):10.4f} {_p90(vals):10.4f} {share:7.1%}")
    return lines


def _assess_chunk(cases: list[object]) -> list[dict[str, float]]:
    """One worker's share: its own knowledge base load, then each case's stage times."""
    assessor = Assessor()
    return [dict(assessor.assess(c).engine["stageSeconds"]) for c in cases]


@logs.script_main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dvtkg.bench", description=__doc__)
    parser.add_argument("--cases", type=int, default=200, help="number of generated cases (default 200)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes, each with its own knowledge base and reasoner calls (default: cores)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    assessor = Assessor()
    load = time.perf_counter() - start
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    print(f"knowledge base loaded once in {load:.1f} s (version {assessor.kb.version})")
    examples = sorted((paths.project_root() / "examples" / "cases").glob("*.json"))
    print(f"workers: {args.workers} (each loads its own knowledge base; per-case stage times are measured "
          "inside the workers, cases/s over the wall clock including those loads)")
    for name, cases in (("examples", examples), ("generated", [generate_case(i) for i in range(args.cases)])):
        t0 = time.perf_counter()
        items: list[object] = [str(c) if isinstance(c, Path) else c for c in cases]
        if args.workers > 1 and len(items) > 1:
            chunks = [items[i::args.workers] for i in range(args.workers)]
            with ProcessPoolExecutor(max_workers=args.workers) as pool:
                parts = progress.bar(pool.map(_assess_chunk, chunks), desc=f"bench {name} (per worker)",
                                     total=len(chunks), unit="worker")
                per_case = [t for part in parts for t in part]
        else:
            per_case = [dict(assessor.assess(c).engine["stageSeconds"])
                        for c in progress.bar(items, desc=f"bench {name}", total=len(items), unit="case")]
        wall = time.perf_counter() - t0
        if per_case:
            print("\n".join(_report(name, per_case, wall)))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
