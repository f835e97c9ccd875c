"""Expected results of the competency questions (tests/data/cq/<id>.json) and how to check them.

Each file holds the query id, where its expectations come from (``derivation``: the
decision rules or the catalogue, never the query's own output) and a list of runs::

    {"params": {"source": "rec:ASH2020"},           # --param values
     "cases": ["seed-massive-bilateral-dvt"],       # examples/cases/<name>.json to add (optional)
     "match": "exact" | "includes",
     "rows": [{"rec": "rec:ASH20-R6", ...}, ...],   # cells in the table form (rec:..., literals as text)
     "absent": [{"caseId": "..."}, ...]}            # partial rows no answer row may match (optional)

``exact``: the answer rows, cut down to the columns the expected rows name, are exactly
the expected rows (as a set). ``includes``: each expected row matches some answer row on
the columns it names. A cell ``null`` means unbound; ``">=N"`` / ``"<=N"`` a number bound.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dvtkg.sparql.results import QueryResult, compact

MATCHES = ("exact", "includes")


@dataclass(frozen=True)
class Run:
    query: str
    index: int
    params: dict[str, str]
    cases: tuple[str, ...]
    match: str
    rows: tuple[dict[str, Any], ...]
    absent: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        shown = ",".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.query}[{self.index}]" + (f"({shown})" if shown else "")

    def param_args(self) -> list[str]:
        return [f"{k}={v}" for k, v in self.params.items()]


def load_runs(path: Path) -> list[Run]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    query = data["query"]
    if not str(data.get("derivation", "")).strip():
        raise ValueError(f"{path}: every expectation file says where its rows come from ('derivation')")
    runs = []
    for i, run in enumerate(data["runs"]):
        if run.get("match") not in MATCHES:
            raise ValueError(f"{path}: run {i}: match must be one of {MATCHES}")
        if not run.get("rows"):
            raise ValueError(f"{path}: run {i}: no expected rows")
        runs.append(Run(query, i, dict(run.get("params", {})), tuple(run.get("cases", [])), run["match"],
                        tuple(run["rows"]), tuple(run.get("absent", []))))
    return runs


def load_all(directory: Path) -> list[Run]:
    return [run for path in sorted(Path(directory).glob("*.json")) for run in load_runs(path)]


def _cell_matches(expected: Any, actual: str | None) -> bool:
    if expected is None:
        return actual is None
    if actual is None:
        return False
    text = str(expected)
    for op in (">=", "<="):
        if text.startswith(op):
            try:
                bound, value = float(text[2:]), float(actual)
            except ValueError:
                return False
            return value >= bound if op == ">=" else value <= bound
    return text == actual


def _row_matches(expected: dict[str, Any], actual: dict[str, str | None]) -> bool:
    return all(_cell_matches(v, actual.get(k)) for k, v in expected.items())


def check(result: QueryResult, run: Run) -> list[str]:
    """What is wrong with ``result`` for ``run`` (an empty list: it matches)."""
    problems: list[str] = []
    columns = sorted({k for row in run.rows for k in row} | {k for row in run.absent for k in row})
    missing = [c for c in columns if c not in result.vars]
    if missing:
        return [f"{run.label}: the answer has no column {', '.join(missing)} (it has {', '.join(result.vars)})"]
    actual = [{v: (compact(t) if t is not None else None) for v, t in zip(result.vars, row, strict=True)}
              for row in result.rows]
    for exp in run.rows:
        if not any(_row_matches(exp, a) for a in actual):
            problems.append(f"{run.label}: expected row not found: {exp}")
    for exp in run.absent:
        hits = [a for a in actual if _row_matches(exp, a)]
        if hits:
            problems.append(f"{run.label}: row should be absent: {exp} (found {hits[0]})")
    if run.match == "exact":
        keys = sorted({k for row in run.rows for k in row})
        def cut(row: dict[str, Any]) -> tuple:
            return tuple(None if row.get(k) is None else str(row.get(k)) for k in keys)
        want = {cut(r) for r in run.rows}
        extra = sorted({cut(a) for a in actual} - want, key=str)
        if extra:
            example = dict(zip(keys, extra[0], strict=True))
            problems.append(f"{run.label}: {len(extra)} unexpected row(s), e.g. {example}")
    return problems
