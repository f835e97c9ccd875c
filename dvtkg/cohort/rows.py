"""One partition of cases to output rows: the columns where they decide, the single-case path elsewhere.

Output tables (docs/cohorts.md):

- ``results``: one row per case x current statement x limb (``limb`` null for patient-level
  statements and for a limb-level statement of a case without legs): ``status``,
  ``missing`` (the case keys that would decide it, for indeterminate rows), ``blocked_by``
  (the criteria, by id, that block it, for blocked rows decided by the columns; the
  single-case path states its blocks as sentences in its JSON, so there it is null);
- ``cases``: one row per case: ``valid``, ``path`` (``columns`` or ``single``), the number of
  data conflicts, ``knowledge_version``, ``knowledge_hash`` (the compiled TBox) and
  ``engine_hash`` (the compiled guidance tables and this code's version);
- ``conflicts``: one row per case x pair of applicable statements that disagree;
- ``errors``: one row per violation of a case that breaks the contract (key, rule, value).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pyarrow.compute  # noqa: F401  (pa.compute below)

from dvtkg.cases.errors import CaseValidationError
from dvtkg.cases.sheet import VEIN_NAMES
from dvtkg.cases.vocab import SIDES
from dvtkg.cohort.columnar import _BAD, KINDS, STATUSES, Batch, ColumnEngine
from dvtkg.cohort.frame import _unnull, row_to_sheet

COHORT_VERSION = 1
RESULT_COLUMNS = ("case_id", "statement", "limb", "status", "missing", "blocked_by")


def _veins(value: Any) -> Any:
    value = _unnull(value) if not isinstance(value, (list, tuple, np.ndarray)) else value
    if value is None:
        return None
    if not isinstance(value, (list, tuple, np.ndarray)):
        return _BAD
    out = []
    for v in value:
        if not isinstance(v, str) or v not in VEIN_NAMES:
            return _BAD
        out.append(v)
    return tuple(sorted(set(out)))


def batch_from_rows(rows: list[dict[str, Any]]) -> Batch:
    """Flat rows (frame.py) as a Batch of object columns."""
    n = len(rows)
    cache: dict[str, np.ndarray] = {}

    def col(name: str) -> np.ndarray:
        if name not in cache:
            arr = np.empty(n, dtype=object)
            arr[:] = [_unnull(r.get(name)) if not name.endswith(".veins") else r.get(name) for r in rows]
            cache[name] = arr
        return cache[name]
    given = {s: np.array([bool(_unnull(r.get(f"limbs.{s}.given"))) for r in rows], dtype=bool) for s in SIDES}
    veins = {}
    for s in SIDES:
        arr = np.empty(n, dtype=object)
        arr[:] = [_veins(r.get(f"limbs.{s}.veins")) if g else None for r, g in zip(rows, given[s], strict=True)]
        veins[s] = arr
    return Batch(n, col, given, veins)


def engine_hash(engine: ColumnEngine) -> str:
    """The compiled guidance tables and the cohort code version: what, besides the TBox, decided the rows."""
    g = engine.guidance
    payload = {
        "version": COHORT_VERSION,
        "statements": [[str(s.iri), s.limb_level, [[r, str(c)] for r, c in s.roles],
                        [[str(o), [[str(a), str(b), c] for a, b, c in cis]] for o, cis in s.options]]
                       for s in engine.all_statements],
        "criteria": sorted([str(c.iri), c.limb_level, str(c.met), str(c.not_met)] for c in g.criteria.values()),
        "dependent": [[str(d.iri), sorted(map(str, d.depends_on)), str(d.fact), str(d.presupposes), d.by_population]
                      for d in g.dependent],
        "candidates": [[str(a), str(b), getattr(c, "kind", "")] for a, b, c in g.candidates],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def rows_from_assessment(case_id: str, data: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    """(results rows, conflict rows) from a single-case assessment's JSON (``Assessment.to_dict()``)."""
    results = []
    for r in data["recommendations"]:
        results.append({"case_id": case_id, "statement": r["id"], "limb": r["limb"], "status": r["status"],
                        "missing": list(r["missing"]) if r["status"] == "indeterminate" else None,
                        "blocked_by": None})
    conflicts = [{"case_id": case_id, "a": c["between"][0], "b": c["between"][1], "kind": c["kind"],
                  "limb": c["limb"]} for c in data["conflicts"]]
    return results, conflicts


class PartitionAssessor:
    """Loaded once per worker: the fast Assessor, its column-wise form, and the hashes."""

    def __init__(self) -> None:
        from dvtkg.assessment.pipeline import Assessor

        self.assessor = Assessor(engine="fast")
        self.engine = ColumnEngine(self.assessor)
        self.knowledge_hash = self.engine.tbox_hash
        self.engine_hash = engine_hash(self.engine)
        self.version = self.assessor.kb.version

    def assess_rows(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """Output tables (pyarrow Tables, run.py's schemas) for flat rows."""
        return self.assess_batch(batch_from_rows(rows), rows)

    def assess_batch(self, b: Batch, rows: Any) -> dict[str, Any]:
        """Output tables for a Batch; ``rows`` (a list, or a callable i -> row) feeds the single-case path."""
        import pyarrow as pa

        from dvtkg.cohort.run import _schemas

        schemas = _schemas()
        singles: dict[str, list[dict[str, Any]]] = {"results": [], "cases": [], "conflicts": [], "errors": []}
        if b.n == 0:
            return {k: pa.Table.from_pylist([], schema=schemas[k]) for k in singles}
        res = self.engine.assess(b)
        ids = b.col("id")
        id_arr = pa.array([v if isinstance(v, str) else json.dumps(v) for v in ids], type=pa.string())
        names = {si: self.assessor.kb.statements[st.iri].id for si, st in enumerate(self.engine.all_statements)
                 if st.iri in self.assessor.kb.statements}
        keys = sorted(res.status, key=lambda k: (names[k[0]], "" if (k[1] == 0) else KINDS[k[1]]))
        columnar = ~res.single
        status_dict = pa.array(list(STATUSES), type=pa.string())
        parts = []
        for k in keys:
            si, slot = k
            idx = np.nonzero(res.present[k] & columnar)[0]
            if not len(idx):
                continue
            s = res.status[k][idx]
            limb = KINDS[slot] if slot else None
            missing = self._list_column(res.missing[k][idx], s == 2, self.engine.decode_keys)
            bits, crit_names = res.blocked_by[k]
            blocked = self._list_column(bits[idx][:, None], s == 1,
                                        lambda m, names=crit_names: [names[j] for j in range(64) if int(m[0]) >> j & 1])
            parts.append(pa.table({
                "case_id": id_arr.take(pa.array(idx)),
                "statement": pa.array([names[si]] * len(idx), type=pa.string()),
                "limb": pa.array([limb] * len(idx), type=pa.string()),
                "status": status_dict.take(pa.array(s.astype(np.int32))),
                "missing": missing, "blocked_by": blocked}, schema=schemas["results"]))
        conflicts = [{"case_id": id_arr[i].as_py(), "a": a, "b": bb, "kind": kind, "limb": limb}
                     for i, a, bb, kind, limb in res.conflicts if columnar[i]]
        cidx = np.nonzero(columnar)[0]
        n_c = len(cidx)
        cases = pa.table({
            "case_id": id_arr.take(pa.array(cidx)), "valid": pa.array(np.ones(n_c, dtype=bool)),
            "path": pa.array(["columns"] * n_c, type=pa.string()),
            "data_conflicts": pa.array(self.engine.data_conflicts[cidx].astype(np.int64)),
            "knowledge_version": pa.array([self.version] * n_c, type=pa.string()),
            "knowledge_hash": pa.array([self.knowledge_hash] * n_c, type=pa.string()),
            "engine_hash": pa.array([self.engine_hash] * n_c, type=pa.string())}, schema=schemas["cases"])
        base = {"knowledge_version": self.version, "knowledge_hash": self.knowledge_hash,
                "engine_hash": self.engine_hash}
        for i in np.nonzero(res.single)[0]:
            row = rows(int(i)) if callable(rows) else rows[int(i)]
            self._single(row, ids[i], {**base, "case_id": ids[i]}, singles)
        return {
            "results": pa.concat_tables([*parts, pa.Table.from_pylist(singles["results"], schema=schemas["results"])]),
            "cases": pa.concat_tables([cases, pa.Table.from_pylist(singles["cases"], schema=schemas["cases"])]),
            "conflicts": pa.Table.from_pylist(conflicts + singles["conflicts"], schema=schemas["conflicts"]),
            "errors": pa.Table.from_pylist(singles["errors"], schema=schemas["errors"]),
        }

    @staticmethod
    def _list_column(masks: np.ndarray, live: np.ndarray, decode: Any) -> Any:
        """A list<string> column: decode each distinct mask once, null where the row is not live."""
        import pyarrow as pa

        if not len(masks):
            return pa.array([], type=pa.list_(pa.string()))
        uniq, inverse = np.unique(masks, axis=0, return_inverse=True)
        lists = pa.array([decode(u) for u in uniq], type=pa.list_(pa.string()))
        taken = lists.take(pa.array(inverse.reshape(-1).astype(np.int32)))
        return pa.compute.if_else(pa.array(live), taken, pa.scalar(None, type=pa.list_(pa.string())))

    def _single(self, row: dict[str, Any], case_id: Any, base: dict[str, Any],
                out: dict[str, list[dict[str, Any]]]) -> None:
        sheet = row_to_sheet(row, self.assessor.kb.keys)
        shown = case_id if isinstance(case_id, str) else json.dumps(case_id)
        try:
            assessment = self.assessor.assess(sheet)
        except CaseValidationError as exc:
            out["cases"].append({**base, "case_id": shown, "valid": False, "path": "single", "data_conflicts": 0})
            out["errors"] += [{"case_id": shown, "key": v.key, "rule": v.rule, "value": v.value}
                              for v in exc.violations]
            return
        except Exception as exc:  # a case the engine cannot assess is an error row, never a stopped run
            out["cases"].append({**base, "case_id": shown, "valid": False, "path": "single", "data_conflicts": 0})
            out["errors"].append({"case_id": shown, "key": "case", "rule": f"not assessed: {exc}", "value": ""})
            return
        data = assessment.to_dict()
        results, conflicts = rows_from_assessment(shown, data)
        out["results"] += results
        out["conflicts"] += conflicts
        out["cases"].append({**base, "valid": True, "path": "single", "data_conflicts": len(data["dataConflicts"])})



def _encoded(column: Any) -> tuple[np.ndarray, list[Any]]:
    """(codes, distinct values) of an Arrow column, nulls as None (dictionary-encoded, no row loop)."""
    import pyarrow.compute as pc

    try:
        enc = pc.dictionary_encode(column, null_encoding="encode").combine_chunks()
        return enc.indices.to_numpy(zero_copy_only=False).astype(np.int32), enc.dictionary.to_pylist()
    except Exception:  # a type dictionary encoding does not take (lists): through Python values
        values = column.to_pylist()
        index: dict[Any, int] = {}
        uniq: list[Any] = []
        codes = np.empty(len(values), dtype=np.int32)
        for i, v in enumerate(values):
            k = (type(v), tuple(v) if isinstance(v, list) else v)
            j = index.get(k)
            if j is None:
                j = index[k] = len(uniq)
                uniq.append(v)
            codes[i] = j
        return codes, uniq


def batch_from_arrow(table: Any) -> Batch:
    """An Arrow table of flat rows (frame.py's columns) as a Batch, column by column."""
    n = table.num_rows
    names = set(table.column_names)
    cache: dict[str, np.ndarray] = {}

    def col(name: str) -> np.ndarray:
        if name not in cache:
            if name not in names:
                arr = np.empty(n, dtype=object)
                arr[:] = None
            else:
                codes, uniques = _encoded(table.column(name))
                values = np.empty(len(uniques), dtype=object)
                values[:] = [_unnull(u) if not isinstance(u, list) else u for u in uniques]
                arr = values[codes] if len(uniques) else np.empty(n, dtype=object)
            cache[name] = arr
        return cache[name]
    given = {s: np.array([bool(v) for v in col(f"limbs.{s}.given")], dtype=bool) for s in SIDES}
    veins = {}
    for s in SIDES:
        if f"limbs.{s}.veins" in names:
            codes, uniques = _encoded(table.column(f"limbs.{s}.veins"))
            decoded = np.empty(len(uniques), dtype=object)
            decoded[:] = [_veins(u) for u in uniques]
            arr = decoded[codes] if len(uniques) else np.empty(n, dtype=object)
        else:
            arr = np.empty(n, dtype=object)
            arr[:] = None
        arr = arr.copy()
        arr[~given[s]] = None
        veins[s] = arr
    return Batch(n, col, given, veins)


def arrow_row(table: Any, i: int) -> dict[str, Any]:
    """One row of an Arrow table as a flat row (for the single-case path)."""
    return {name: table.column(name)[i].as_py() for name in table.column_names}
