"""``dvtkg cohort run``: assess many cases on a Dask cluster and write Parquet tables.

INPUT is a Parquet file or folder (one row per case, frame.py's columns), an NDJSON file
of case sheets, or a folder of ``*.json`` case sheets; sheets are first written as
Parquet under ``DIR/input/`` so that every input takes the same path: ``read_parquet``,
then ``map_partitions`` with the engine loaded once per worker (a worker plugin), each
partition writing its four tables to ``DIR/<table>/part-<n>.parquet``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from dvtkg.cohort.frame import read_sheets, rows_table, sheet_to_row

TABLES = ("results", "cases", "conflicts", "errors")
DEFAULT_PARTITION_ROWS = 20_000
ROW_GROUP = 5_000  # rows per Parquet row group = cases per Dask partition (one partition per row group)


@dataclass
class RunReport:
    cases: int
    seconds: float
    partitions: int
    workers: int
    out: Path

    @property
    def rate(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


def _schemas() -> dict[str, Any]:
    import pyarrow as pa

    return {
        "results": pa.schema([("case_id", pa.string()), ("statement", pa.string()), ("limb", pa.string()),
                              ("status", pa.string()), ("missing", pa.list_(pa.string())),
                              ("blocked_by", pa.list_(pa.string()))]),
        "cases": pa.schema([("case_id", pa.string()), ("valid", pa.bool_()), ("path", pa.string()),
                            ("data_conflicts", pa.int64()), ("knowledge_version", pa.string()),
                            ("knowledge_hash", pa.string()), ("engine_hash", pa.string())]),
        "conflicts": pa.schema([("case_id", pa.string()), ("a", pa.string()), ("b", pa.string()),
                                ("kind", pa.string()), ("limb", pa.string())]),
        "errors": pa.schema([("case_id", pa.string()), ("key", pa.string()), ("rule", pa.string()),
                             ("value", pa.string())]),
    }


class EnginePlugin(WorkerPlugin):
    """Loads the engine once per Dask worker (``worker.dvtkg_engine``)."""

    name = "dvtkg-cohort-engine"

    def setup(self, worker: Any) -> None:
        _load_into(worker)


def _load_into(worker: Any) -> None:
    from dvtkg.cohort.rows import PartitionAssessor

    worker.dvtkg_engine = PartitionAssessor()


def _engine() -> Any:
    """The worker's engine (loaded by the plugin); loaded here when running without one (synchronous)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        worker = None
    if worker is not None:
        if getattr(worker, "dvtkg_engine", None) is None:
            _load_into(worker)
        return getattr(worker, "dvtkg_engine")  # noqa: B009  (set by the plugin, unknown to the type)
    from dvtkg.cohort.rows import PartitionAssessor

    return PartitionAssessor()


def _py_rows(df: Any) -> list[dict[str, Any]]:
    """A pandas partition as exact Python values (ints stay ints, nulls None, lists lists)."""
    import pyarrow as pa

    return pa.Table.from_pandas(df, preserve_index=False).to_pylist()


def assess_partition(df: Any, out_dir: str, partition_info: dict | None = None) -> Any:
    """map_partitions: assess one partition, write its tables, return its counts (one row)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    cpu = time.process_time()
    number = (partition_info or {}).get("number", 0)
    if len(df) == 0:
        return pd.DataFrame({"partition": [number], "cases": [0], "rows": [0], "single": [0], "errors": [0],
                             "cpu": [time.process_time() - cpu]})

    table = pa.Table.from_pandas(df, preserve_index=False)
    tables = _engine().assess_arrow(table)
    for name in TABLES:
        folder = Path(out_dir) / name
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(tables[name], folder / f"part-{number:05d}.parquet")
    paths = tables["cases"].column("path").to_pylist()
    return pd.DataFrame({"partition": [number], "cases": [tables["cases"].num_rows],
                         "rows": [tables["results"].num_rows], "single": [paths.count("single")],
                         "errors": [tables["errors"].num_rows], "cpu": [time.process_time() - cpu]})


def sheets_to_parquet(source: Path, target: Path, keys: Any, rows_per_file: int = DEFAULT_PARTITION_ROWS
                      ) -> list[dict[str, Any]]:
    """Case sheets (folder or NDJSON) as Parquet files; returns error rows for unreadable inputs."""
    import pyarrow.parquet as pq

    target.mkdir(parents=True, exist_ok=True)
    errors: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    n = 0

    def flush() -> None:
        nonlocal batch, n
        if batch:
            pq.write_table(rows_table(batch, keys), target / f"part-{n:05d}.parquet", row_group_size=ROW_GROUP)
            n += 1
            batch = []
    for where, sheet in read_sheets(source):
        if isinstance(sheet, str):
            errors.append({"case_id": where, "key": "case", "rule": sheet, "value": ""})
        elif not isinstance(sheet, dict):
            errors.append({"case_id": where, "key": "case", "rule": "a case sheet must be a JSON object", "value": ""})
        else:
            batch.append(sheet_to_row(sheet, keys))
            if len(batch) >= rows_per_file:
                flush()
    flush()
    return errors


def _key_table() -> Any:
    """The case keys (the ontology's dvt:caseKey table), without loading the guidance."""
    from dvtkg import paths
    from dvtkg.cases.keys import load_key_table
    from dvtkg.guidance.knowledge import load_knowledge

    return load_key_table(load_knowledge(paths.project_root()))


def run_cohort(source: Path, out: Path, scheduler: str | None = None, workers: int | None = None,
               partition_rows: int = DEFAULT_PARTITION_ROWS, progress: bool | None = None,
               keys: Any = None) -> RunReport:
    """Assess every case of SOURCE into OUT (tables: results, cases, conflicts, errors)."""
    import dask.dataframe as dd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from distributed import Client, LocalCluster, as_completed

    start = time.perf_counter()
    if out.exists():
        for name in (*TABLES, "input"):
            shutil.rmtree(out / name, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    read_errors: list[dict[str, Any]] = []
    if source.is_dir() and not any(source.glob("*.parquet")):
        parquet = out / "input"
        read_errors = sheets_to_parquet(source, parquet, keys or _key_table(), partition_rows)
    elif source.suffix in (".ndjson", ".jsonl"):
        parquet = out / "input"
        read_errors = sheets_to_parquet(source, parquet, keys or _key_table(), partition_rows)
    else:
        parquet = source
    if progress is None:
        progress = sys.stderr.isatty()
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        n = workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        client.register_plugin(EnginePlugin(), name=EnginePlugin.name)
        files = sorted(parquet.rglob("*.parquet")) if parquet.is_dir() else [parquet]
        if not files:
            ddf = None
        else:
            ddf = dd.read_parquet([str(f) for f in files], dtype_backend="pyarrow", split_row_groups=True)
        counts = []
        if ddf is not None:
            meta = {"partition": "int64", "cases": "int64", "rows": "int64", "single": "int64", "errors": "int64",
                    "cpu": "float64"}
            parts = ddf.map_partitions(assess_partition, str(out), meta=meta).to_delayed()
            futures = client.compute(parts)
            bar = None
            if progress:
                from tqdm import tqdm

                bar = tqdm(total=len(futures), unit="partition", desc="dvtkg cohort", file=sys.stderr)
            for fut in as_completed(futures):
                counts.append(fut.result())
                if bar is not None:
                    bar.update(1)
            if bar is not None:
                bar.close()
        n_workers = len(client.scheduler_info().get("workers", {}))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    schemas = _schemas()
    if read_errors:
        (out / "errors").mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(read_errors, schema=schemas["errors"]), out / "errors" / "unread.parquet")
    for name in TABLES:  # an empty table still has its schema, so that every query runs
        folder = out / name
        if not folder.exists() or not any(folder.glob("*.parquet")):
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist([], schema=schemas[name]), folder / "empty.parquet")
    total = sum(int(c["cases"].sum()) for c in counts) + len(read_errors)
    seconds = time.perf_counter() - start
    cpu = sum(float(c["cpu"].sum()) for c in counts)
    report = RunReport(total, seconds, len(counts), n_workers, out)
    (out / "run.json").write_text(json.dumps({"cases": total, "seconds": round(seconds, 3),
                                              "partitions": len(counts), "workers": n_workers,
                                              "single": sum(int(c["single"].sum()) for c in counts),
                                              "casesPerSecond": round(report.rate, 1),
                                              # the partitions' CPU time in the workers (Parquet out included)
                                              "cpuSeconds": round(cpu, 3),
                                              "casesPerCpuSecond": round(total / cpu, 1) if cpu else 0.0},
                                             indent=2) + "\n")
    return report
