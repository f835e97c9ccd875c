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
from dvtkg.cohort.columnar import _BAD, BLOCKED, INDETERMINATE, KINDS, STATUSES, Batch, ColumnEngine, _values_of
from dvtkg.cohort.frame import _unnull, column_kinds, decode_value, row_to_sheet

COHORT_VERSION = 1
BLOCKED_CODE, INDETERMINATE_CODE = BLOCKED, INDETERMINATE
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
        self.kinds = column_kinds(self.assessor.kb.keys)

    def assess_arrow(self, table: Any) -> dict[str, Any]:
        """Output tables for an Arrow table of flat rows (a Parquet partition)."""
        return self.assess_batch(batch_from_arrow(table, self.kinds), lambda i: arrow_row(table, i))

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
        # every row of every (statement, slot) as index arrays, the list columns as one take each
        cases_of, stmts, slots, statuses = [], [], [], []
        stmt_names: list[str] = []
        miss_masks, miss_at = [], []
        blocked_lists: list[list[str]] = []
        blocked_at, blocked_which = [], []
        offset = 0
        for k in keys:
            si, slot = k
            idx = np.nonzero(res.present[k] & columnar)[0]
            if not len(idx):
                continue
            st = res.status[k][idx]
            m = len(idx)
            if not stmt_names or stmt_names[-1] != names[si]:
                stmt_names.append(names[si])
            cases_of.append(idx)
            stmts.append(np.full(m, len(stmt_names) - 1, dtype=np.int32))
            slots.append(np.full(m, slot, dtype=np.int32))
            statuses.append(st)
            live = np.nonzero(st == INDETERMINATE_CODE)[0]
            if len(live):
                miss_masks.append(res.missing[k][idx[live]])
                miss_at.append(offset + live)
            live = np.nonzero(st == BLOCKED_CODE)[0]
            if len(live):
                bits, crit_names = res.blocked_by[k]
                uniq, inverse = np.unique(bits[idx[live]], return_inverse=True)
                blocked_at.append(offset + live)
                blocked_which.append(len(blocked_lists) + inverse.reshape(-1))
                blocked_lists += [[crit_names[j] for j in range(64) if int(u) >> j & 1] for u in uniq]
            offset += m
        parts = []
        if offset:
            list_type = pa.list_(pa.string())
            miss_lists: list[list[str]] = []
            miss_which = None
            if miss_masks:
                uniq_masks, miss_which = _unique_rows(np.concatenate(miss_masks))
                miss_lists = [self.engine.decode_keys(u) for u in uniq_masks]
            missing = _take_lists(offset, miss_at, miss_lists, miss_which, list_type)
            blocked = _take_lists(offset, blocked_at, blocked_lists,
                                  np.concatenate(blocked_which) if blocked_which else None, list_type)
            parts.append(pa.table({
                "case_id": id_arr.take(pa.array(np.concatenate(cases_of))),
                "statement": pa.array(stmt_names, pa.string()).take(pa.array(np.concatenate(stmts))),
                "limb": pa.array([None, *KINDS[1:]], pa.string()).take(pa.array(np.concatenate(slots))),
                "status": pa.array(list(STATUSES), pa.string()).take(
                    pa.array(np.concatenate(statuses).astype(np.int32))),
                "missing": missing, "blocked_by": blocked}, schema=schemas["results"]))
        conflict_parts = []
        kept = [(idx[columnar[idx]], rest) for idx, *rest in res.conflicts]
        kept = [(idx, rest) for idx, rest in kept if len(idx)]
        if kept:   # one take per column: the cases, and each pair's (a, b, kind, limb) repeated over its cases
            group = np.repeat(np.arange(len(kept), dtype=np.int32), [len(idx) for idx, _ in kept])
            take = pa.array(group)
            conflict_parts.append(pa.table({
                "case_id": id_arr.take(pa.array(np.concatenate([idx for idx, _ in kept]))),
                **{name: pa.array([rest[j] for _, rest in kept], pa.string()).take(take)
                   for j, name in enumerate(("a", "b", "kind", "limb"))}}, schema=schemas["conflicts"]))
        cidx = np.nonzero(columnar)[0]
        n_c = len(cidx)
        cases = pa.table({
            "case_id": id_arr.take(pa.array(cidx)), "valid": pa.array(np.ones(n_c, dtype=bool)),
            "path": pa.repeat(pa.scalar("columns", pa.string()), n_c),
            "data_conflicts": pa.array(self.engine.data_conflicts[cidx].astype(np.int64)),
            "knowledge_version": pa.repeat(pa.scalar(self.version, pa.string()), n_c),
            "knowledge_hash": pa.repeat(pa.scalar(self.knowledge_hash, pa.string()), n_c),
            "engine_hash": pa.repeat(pa.scalar(self.engine_hash, pa.string()), n_c)}, schema=schemas["cases"])
        base = {"knowledge_version": self.version, "knowledge_hash": self.knowledge_hash,
                "engine_hash": self.engine_hash}
        for i in np.nonzero(res.single)[0]:
            row = rows(int(i)) if callable(rows) else rows[int(i)]
            self._single(row, ids[i], {**base, "case_id": ids[i]}, singles)
        return {
            "results": pa.concat_tables([*parts, pa.Table.from_pylist(singles["results"], schema=schemas["results"])]),
            "cases": pa.concat_tables([cases, pa.Table.from_pylist(singles["cases"], schema=schemas["cases"])]),
            "conflicts": pa.concat_tables([*conflict_parts,
                                           pa.Table.from_pylist(singles["conflicts"], schema=schemas["conflicts"])]),
            "errors": pa.Table.from_pylist(singles["errors"], schema=schemas["errors"]),
        }

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



def _unique_rows(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows, each row's index among them) of a (rows x words) mask array, sorted numerically."""
    if masks.shape[1] == 1:  # one word: a flat unique (np.unique over rows sorts void records, far slower)
        uniq, inverse = np.unique(masks[:, 0], return_inverse=True)
        return uniq[:, None], inverse.reshape(-1)
    order = np.lexsort(masks.T[::-1])
    ordered = masks[order]
    first = np.ones(len(masks), dtype=bool)
    first[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    inverse = np.empty(len(masks), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def _take_lists(total: int, at: list[np.ndarray], lists: list[list[str]], which: np.ndarray | None,
                list_type: Any) -> Any:
    """A list<string> column of ``total`` rows: ``lists[which[j]]`` at row ``at[j]``, null elsewhere."""
    import pyarrow as pa

    if which is None or not len(which):
        return pa.nulls(total, type=list_type)
    index = np.full(total, len(lists), dtype=np.int32)   # past the lists: a null
    index[np.concatenate(at)] = which
    return pa.concat_arrays([pa.array(lists, type=list_type), pa.nulls(1, type=list_type)]).take(pa.array(index))


def _encoded(column: Any) -> tuple[np.ndarray, list[Any]]:
    """(codes, distinct values) of an Arrow column, nulls as None (dictionary-encoded, no row loop)."""
    import pyarrow.compute as pc

    try:
        enc = pc.dictionary_encode(column, null_encoding="encode").combine_chunks()
        return enc.indices.to_numpy(zero_copy_only=False).astype(np.int32), enc.dictionary.to_pylist()
    except Exception:  # a type dictionary encoding does not take (lists): through Python values
        return _values_of(column.to_pylist())


def _encoded_lists(column: Any) -> tuple[np.ndarray, list[Any]]:
    """(codes, distinct lists) of a list<string> column: each list joined to one string and dictionary-encoded."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_list(column.type) or not pa.types.is_string(column.type.value_type):
        return _encoded(column)
    items = pc.list_flatten(column)
    if items.null_count or (len(items) and (pc.any(pc.equal(items, "")).as_py()
                                            or pc.any(pc.match_substring(items, "\x1f")).as_py())):
        return _encoded(column)   # a null, empty or separator-holding item: the exact way
    joined = pc.binary_join(column, "\x1f")
    codes, uniques = _encoded(joined)
    return codes, [None if u is None else [] if u == "" else u.split("\x1f") for u in uniques]


def batch_from_arrow(table: Any, kinds: dict[str, str] | None = None) -> Batch:
    """An Arrow table of flat rows (frame.py's columns) as a Batch, column by column.

    ``kinds`` (``frame.column_kinds``): each key column's distinct cells read back as the sheet's
    JSON values (``decode_value``: days-or-none text to a number), as ``row_to_sheet`` does for the
    single-case path; without it a number of days stays text and sends its case to the single path.
    """
    n = table.num_rows
    names = set(table.column_names)
    cache: dict[str, np.ndarray] = {}
    encoded: dict[str, tuple[np.ndarray, list[Any]]] = {}
    kinds = kinds or {}

    def coded(name: str) -> tuple[np.ndarray, list[Any]]:
        if name not in encoded:
            if name not in names:
                encoded[name] = (np.zeros(n, dtype=np.int32), [None])
            else:
                codes, uniques = _encoded(table.column(name))
                kind = kinds.get(name)
                encoded[name] = (codes, [u if isinstance(u, list) else _unnull(u) if kind is None
                                         else decode_value(kind, _unnull(u)) for u in uniques])
        return encoded[name]

    def col(name: str) -> np.ndarray:
        if name not in cache:
            codes, uniques = coded(name)
            values = np.empty(len(uniques), dtype=object)
            values[:] = uniques
            cache[name] = values[codes] if len(uniques) else np.empty(n, dtype=object)
        return cache[name]
    given = {}
    for s in SIDES:
        codes, uniques = coded(f"limbs.{s}.given")
        given[s] = np.array([bool(u) for u in uniques], dtype=bool)[codes] if uniques else np.zeros(n, dtype=bool)
    veins = {}
    vein_codes = {}
    for s in SIDES:
        if f"limbs.{s}.veins" in names:
            codes, uniques = _encoded_lists(table.column(f"limbs.{s}.veins"))
            lists: list[Any] = [_veins(u) for u in uniques]
        else:
            codes, lists = np.zeros(n, dtype=np.int32), []
        codes = codes.copy()
        codes[~given[s]] = len(lists)   # a leg not given: no list
        lists.append(None)
        decoded = np.empty(len(lists), dtype=object)
        decoded[:] = lists
        veins[s] = decoded[codes]
        vein_codes[s] = (codes, lists)
    return Batch(n, col, given, veins, coded, vein_codes)


def arrow_row(table: Any, i: int) -> dict[str, Any]:
    """One row of an Arrow table as a flat row (for the single-case path)."""
    return {name: table.column(name)[i].as_py() for name in table.column_names}
