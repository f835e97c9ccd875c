"""``dvtkg cohort``: assess many cases at once (column-wise, on Dask) and summarise them.

    dvtkg cohort run INPUT --out DIR [--scheduler ADDRESS] [--workers N] [--partition-rows N]
    dvtkg cohort summary DIR [--format text|json]

See docs/cohorts.md (input columns, output tables, DuckDB examples).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dvtkg.cli import EXIT_OK, CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("cohort", help="assess many cases at once on Dask; summarise the Parquet output",
                              description="Assess a cohort: case sheets (a folder of .json, an NDJSON file) or "
                                          "Parquet (one row per case), column-wise on a Dask cluster.")
    sub = p.add_subparsers(dest="cohort_command", metavar="COMMAND", required=True)
    r = sub.add_parser("run", help="assess every case of INPUT into Parquet tables under --out")
    r.add_argument("input", metavar="INPUT",
                   help="a folder of case sheets, an .ndjson file, or Parquet (file or folder)")
    r.add_argument("--out", metavar="DIR", required=True, help="output folder (results/, cases/, conflicts/, errors/)")
    r.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="a Dask scheduler (tcp://host:8786); default: a local cluster, one worker per core")
    r.add_argument("--workers", type=int, default=None, help="local cluster workers (default: the core count)")
    r.add_argument("--partition-rows", type=int, default=20_000, metavar="N",
                   help="cases per partition when converting sheets to Parquet (default 20000)")
    r.set_defaults(func=run)
    s = sub.add_parser("summary", help="counts by statement and status, frequent missing facts, conflicts")
    s.add_argument("dir", metavar="DIR", help="the --out folder of a cohort run")
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.add_argument("--top", type=int, default=10, help="how many missing facts / conflicts to list (default 10)")
    s.set_defaults(func=summary)


def run(args: argparse.Namespace) -> int:
    from dvtkg.cohort.run import run_cohort

    source = Path(args.input)
    if not source.exists():
        raise CommandError(f"{source}: no such file or folder")
    if args.partition_rows < 1:
        raise CommandError("--partition-rows must be at least 1")
    report = run_cohort(source, Path(args.out), scheduler=args.scheduler, workers=args.workers,
                        partition_rows=args.partition_rows)
    print(f"{report.cases} cases in {report.seconds:.1f} s ({report.rate:.0f} cases/s) on {report.workers} "
          f"worker(s), {report.partitions} partition(s) -> {report.out}")
    return EXIT_OK


def summary(args: argparse.Namespace) -> int:
    from dvtkg.cohort.summary import render, summarise

    out = Path(args.dir)
    if not (out / "results").is_dir() or not (out / "cases").is_dir():
        raise CommandError(f"{out}: not the output of 'dvtkg cohort run' (no results/ and cases/)")
    data = summarise(out, args.top)
    if args.format == "json":
        json.dump(data, sys.stdout, indent=2)
        print()
    else:
        print(render(data))
    return EXIT_OK
