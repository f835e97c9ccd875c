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

from dvtkg.cases.errors import CaseValidationError
from dvtkg.cases.sheet import VEIN_NAMES
from dvtkg.cases.vocab import SIDES
from dvtkg.cohort.columnar import KINDS, STATUSES, Batch, ColumnEngine, _BAD
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
        arr[:] = [_veins(r.get(f"limbs.{s}.veins")) if g else None for r, g in zip(rows, given[s])]
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
        "candidates": [[str(a), str(b), c.kind] for a, b, c in g.candidates],
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

    def assess_rows(self, rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """Output tables (as lists of dicts) for flat rows."""
        out: dict[str, list[dict[str, Any]]] = {"results": [], "cases": [], "conflicts": [], "errors": []}
        if not rows:
            return out
        b = batch_from_rows(rows)
        res = self.engine.assess(b)
        ids = b.col("id")
        names = {si: self.assessor.kb.statements[st.iri].id for si, st in enumerate(self.engine.all_statements)
                 if st.iri in self.assessor.kb.statements}
        # rows in the single-case order: statement id, then limb ("" first)
        keys = sorted(res.status, key=lambda k: (names[k[0]], "" if (k[1] == 0) else KINDS[k[1]]))
        columnar = ~res.single
        per_case: list[list[dict[str, Any]]] = [[] for _ in range(b.n)]
        for k in keys:
            si, slot = k
            s, present = res.status[k], res.present[k] & columnar
            limb = KINDS[slot] if slot else None
            for i in np.nonzero(present)[0]:
                st = STATUSES[s[i]]
                per_case[i].append({"case_id": ids[i], "statement": names[si], "limb": limb, "status": st,
                                    "missing": res.missing[k][i] if st == "indeterminate" else None,
                                    "blocked_by": res.blocked_by[k][i] if st == "blocked" else None})
        by_case: dict[int, list[dict]] = {}
        for i, a, bb, kind, limb in res.conflicts:
            if columnar[i]:
                by_case.setdefault(i, []).append({"case_id": ids[i], "a": a, "b": bb, "kind": kind, "limb": limb})
        for i in range(b.n):
            base = {"case_id": ids[i], "knowledge_version": self.version, "knowledge_hash": self.knowledge_hash,
                    "engine_hash": self.engine_hash}
            if columnar[i]:
                out["results"] += per_case[i]
                out["conflicts"] += by_case.get(i, [])
                out["cases"].append({**base, "valid": True, "path": "columns",
                                     "data_conflicts": int(self.engine.data_conflicts[i])})
                continue
            self._single(rows[i], ids[i], base, out)
        return out

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

