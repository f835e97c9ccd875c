"""``dvtkg cohort summary DIR``: counts by statement and status, the most frequent missing facts, conflicts.

Read with DuckDB when it is installed (the test extra pins it), else with pyarrow; the
SQL is the one docs/cohorts.md shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATUS_ORDER = ("applies", "blocked", "indeterminate", "not-applicable")


def _table(out: Path, name: str) -> Any:
    import pyarrow.dataset as ds

    return ds.dataset(str(out / name), format="parquet").to_table()


def summarise(out: Path, top: int = 10) -> dict[str, Any]:
    """The summary as data: cases, statuses per statement, top missing keys, conflicts, errors."""
    import pyarrow.compute as pc

    results, cases = _table(out, "results"), _table(out, "cases")
    conflicts, errors = _table(out, "conflicts"), _table(out, "errors")
    by_statement: dict[str, dict[str, int]] = {}
    grouped = results.group_by(["statement", "status"]).aggregate([("case_id", "count")]).to_pylist()
    for row in grouped:
        by_statement.setdefault(row["statement"], {s: 0 for s in STATUS_ORDER})[row["status"]] = row["case_id_count"]
    missing: dict[str, int] = {}
    if results.num_rows:
        flat = pc.list_flatten(results.column("missing"))
        for row in pa_counts(flat):
            missing[row[0]] = row[1]
    conflict_counts: dict[tuple[str, str, str], int] = {}  # (a, b, kind) -> cases
    for row in conflicts.group_by(["a", "b", "kind"]).aggregate([("case_id", "count")]).to_pylist():
        conflict_counts[(row["a"], row["b"], row["kind"])] = row["case_id_count"]
    paths = {r["path"]: r["case_id_count"]
             for r in cases.group_by(["path"]).aggregate([("case_id", "count")]).to_pylist()}
    hashes = sorted({(r["knowledge_hash"], r["engine_hash"]) for r in
                     cases.select(["knowledge_hash", "engine_hash"]).to_pylist()})
    return {
        "cases": cases.num_rows,
        "valid": int(pc.sum(pc.cast(cases.column("valid"), "int64")).as_py() or 0) if cases.num_rows else 0,
        "paths": paths,
        "hashes": [{"knowledge": k, "engine": e} for k, e in hashes],
        "statuses": dict(sorted(by_statement.items())),
        "missing": sorted(missing.items(), key=lambda kv: (-kv[1], kv[0]))[:top],
        "conflicts": [{"a": a, "b": b, "kind": k, "cases": n} for (a, b, k), n in
                      sorted(conflict_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]],
        "errors": sorted(({"key": r["key"], "rule": r["rule"], "cases": r["case_id_count"]} for r in
                          errors.group_by(["key", "rule"]).aggregate([("case_id", "count")]).to_pylist()),
                         key=lambda d: (-d["cases"], d["key"]))[:top],
    }


def pa_counts(values: Any) -> list[tuple[str, int]]:
    import pyarrow.compute as pc

    counted = pc.value_counts(values)
    return [(d["values"], d["counts"]) for d in counted.to_pylist() if d["values"] is not None]


def render(summary: dict[str, Any]) -> str:
    """The summary as text for the terminal."""
    lines = [f"cases: {summary['cases']} ({summary['valid']} valid; "
             + ", ".join(f"{k}: {v}" for k, v in sorted(summary["paths"].items())) + ")"]
    for h in summary["hashes"]:
        lines.append(f"knowledge hash {h['knowledge'][:16]}, engine hash {h['engine'][:16]}")
    lines.append("")
    lines.append(f"{'statement':24} " + " ".join(f"{s:>15}" for s in STATUS_ORDER))
    for st, counts in summary["statuses"].items():
        lines.append(f"{st:24} " + " ".join(f"{counts.get(s, 0):>15}" for s in STATUS_ORDER))
    lines.append("")
    lines.append("most frequent missing facts:")
    lines += [f"  {n:>9}  {key}" for key, n in summary["missing"]] or ["  (none)"]
    lines.append("conflicts (pairs of applicable statements that disagree):")
    lines += [f"  {c['cases']:>9}  {c['a']} / {c['b']} ({c['kind']})" for c in summary["conflicts"]] or ["  (none)"]
    lines.append("errors (invalid cases):")
    lines += [f"  {e['cases']:>9}  {e['key']}: {e['rule']}" for e in summary["errors"]] or ["  (none)"]
    return "\n".join(lines)
