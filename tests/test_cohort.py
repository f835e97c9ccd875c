"""The cohort path (column-wise engine on a local Dask cluster) against the single-case path.

A generated cohort (``generate_cohort_case``: every key of the key table, values on each
facet bound and one step either side, unknown and absent legs, no legs, data conflicts,
contract violations) runs through ``run_cohort`` on a LocalCluster; every case's rows
must equal what ``Assessor(engine="fast").assess(...)`` gives for it (its JSON): the same
statements and limbs, statuses and missing keys; a blocked row has its blocks; an invalid
case has the same violations in the errors table. The DuckDB queries of docs/cohorts.md
run against the output. DVTKG_COHORT_N sets the cohort size (default 2,000).
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest

from dvtkg.cases.errors import CaseValidationError

pytestmark = pytest.mark.slow

N = int(os.environ.get("DVTKG_COHORT_N", "2000"))


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory):
    """(assessor, sheets, output folder) of one cohort run on a two-worker local cluster."""
    import pyarrow.dataset as ds

    from dvtkg.assessment.pipeline import Assessor
    from dvtkg.casegen import generate_cohort_case, thresholds_from_tbox
    from dvtkg.cohort.run import run_cohort

    assessor = Assessor(engine="fast")
    keys = assessor.kb.keys
    assert assessor.fast is not None
    thresholds = thresholds_from_tbox(assessor.fast.compiled, keys)
    sheets = [generate_cohort_case(i, keys, thresholds) for i in range(N)]
    # a hand-written case: active bleeding with a proximal DVT (decision rule 14: a met absolute
    # contraindication blocks anticoagulation, and the block is named)
    sheets.append({"id": "hand-active-bleeding", "age": 60, "sex": "female", "weightKg": 70,
                   "bleeding": {"activeBleeding": True},
                   "limbs": {"left": {"veins": ["femoral", "popliteal"]}}})
    # a data conflict (case-facts checks: male and pregnant -> both unknown), decided on the columns
    sheets.append({"id": "hand-male-pregnant", "age": 40, "sex": "male", "pregnant": True,
                   "limbs": {"left": {"veins": ["popliteal"]}}})
    # and two that break the contract (docs/case-format.md: a violation names the key, no assessment is made)
    sheets.append({"id": "hand-age-out-of-range", "age": 130, "sex": "male"})
    sheets.append({"id": "hand-unknown-key", "age": 50, "notAKey": True})
    root = tmp_path_factory.mktemp("cohort")
    src = root / "cases.ndjson"
    src.write_text("".join(json.dumps(s) + "\n" for s in sheets), encoding="utf-8")
    out = root / "out"
    run_cohort(src, out, workers=2, partition_rows=max(1, len(sheets) // 4), keys=keys)
    tables = {name: ds.dataset(str(out / name), format="parquet").to_table().to_pylist()
              for name in ("results", "cases", "conflicts", "errors")}
    return assessor, sheets, out, tables


def test_every_row_equals_the_single_case_path(cohort) -> None:
    assessor, sheets, _out, tables = cohort
    results: dict[str, list[dict]] = defaultdict(list)
    for r in tables["results"]:
        results[r["case_id"]].append(r)
    errors: dict[str, set] = defaultdict(set)
    for e in tables["errors"]:
        errors[e["case_id"]].add((e["key"], e["rule"], e["value"]))
    cases = {c["case_id"]: c for c in tables["cases"]}
    assert len(cases) == len(sheets)
    mismatches: list[tuple] = []
    for sheet in sheets:
        cid = sheet["id"]
        try:
            data = assessor.assess(sheet).to_dict()
        except CaseValidationError as exc:
            assert cases[cid]["valid"] is False, cid
            assert errors[cid] == {(v.key, v.rule, v.value) for v in exc.violations}, cid
            assert not results[cid], cid
            continue
        assert cases[cid]["valid"] is True, cid
        assert cases[cid]["data_conflicts"] == len(data["dataConflicts"]), cid
        want = {(r["id"], r["limb"]): r for r in data["recommendations"]}
        got = {(r["statement"], r["limb"]): r for r in results[cid]}
        if set(want) != set(got):
            mismatches.append((cid, "rows", sorted(set(want) ^ set(got), key=str)[:3]))
            continue
        for k, w in want.items():
            g = got[k]
            if g["status"] != w["status"]:
                mismatches.append((cid, k, "status", w["status"], g["status"]))
            elif w["status"] == "indeterminate" and (g["missing"] or []) != w["missing"]:
                mismatches.append((cid, k, "missing", w["missing"], g["missing"]))
            elif (w["status"] == "blocked" and cases[cid]["path"] == "columns"
                  and not (g["blocked_by"] and w["blockedBy"])):
                mismatches.append((cid, k, "blocked_by", w["blockedBy"], g["blocked_by"]))
    assert not mismatches, mismatches[:10]


def test_the_hand_written_case(cohort) -> None:
    """Decision rule 14: active bleeding (an absolute contraindication) blocks anticoagulation, named."""
    _a, _s, _o, tables = cohort
    rows = [r for r in tables["results"] if r["case_id"] == "hand-active-bleeding"]
    blocked = [r for r in rows if r["status"] == "blocked"]
    assert blocked, "active bleeding blocks at least one anticoagulation statement"
    assert all(any("Bleeding" in c or "Anticoagulation" in c for c in r["blocked_by"]) for r in blocked), blocked[:3]


def test_the_cohort_reaches_the_edges(cohort) -> None:
    """The generator exercises both paths, every status, missing facts, data conflicts and violations."""
    _a, sheets, _o, tables = cohort
    statuses = {r["status"] for r in tables["results"]}
    assert statuses == {"applies", "blocked", "indeterminate", "not-applicable"}
    paths = {c["path"] for c in tables["cases"]}
    assert paths == {"columns", "single"}
    by_id = {c["case_id"]: c for c in tables["cases"]}
    assert (by_id["hand-male-pregnant"]["path"], by_id["hand-male-pregnant"]["data_conflicts"]) == ("columns", 1)
    assert {e["key"] for e in tables["errors"] if e["case_id"] == "hand-age-out-of-range"} == {"age"}
    assert {e["key"] for e in tables["errors"] if e["case_id"] == "hand-unknown-key"} == {"notAKey"}
    assert {c["case_id"]: c["valid"] for c in tables["cases"]}["hand-unknown-key"] is False
    assert any(r["limb"] is None for r in tables["results"]) and any(r["limb"] == "right" for r in tables["results"])
    hashes = {(c["knowledge_hash"], c["engine_hash"]) for c in tables["cases"]}
    assert len(hashes) == 1 and all(len(h) == 64 for h in next(iter(hashes)))


def _sql_blocks(project_root: Path) -> list[str]:
    text = (project_root / "docs" / "cohorts.md").read_text(encoding="utf-8")
    return re.findall(r"```sql\n(.*?)```", text, flags=re.S)


def test_docs_sql_runs_on_the_output(cohort, project_root: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    _a, sheets, out, tables = cohort
    blocks = _sql_blocks(project_root)
    assert len(blocks) >= 5
    con = duckdb.connect()
    answers = []
    for sql in blocks:
        answers.append(con.execute(sql.replace("build/audit", str(out))).fetchall())
    # the first query counts every results row once
    assert sum(n for _s, _st, n in answers[0]) == len(tables["results"])
    # the errors query counts the violations of the invalid cases
    assert sum(n for _k, _r, n in answers[5]) == len(tables["errors"])
    # the last: one knowledge/engine pair, the cases of both paths add up to the cohort
    assert sum(row[-1] for row in answers[-1]) == len(sheets)


def test_summary_command(cohort, capsys: pytest.CaptureFixture[str]) -> None:
    from dvtkg.cli import main

    _a, sheets, out, _t = cohort
    assert main(["cohort", "summary", str(out), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cases"] == len(sheets)
    assert set(data["paths"]) == {"columns", "single"}
    assert main(["cohort", "summary", str(out)]) == 0
    assert "most frequent missing facts" in capsys.readouterr().out


def test_days_ago_from_parquet_stay_on_the_columns(cohort) -> None:
    """A "days ago" key is stored as text in Parquet (it also takes "none"); read back, a number of days
    is the sheet's number (docs/cohorts.md), so valid cases without data conflicts stay on the columns
    instead of all leaving for the single-case path."""
    from dvtkg.cohort.columnar import ColumnEngine
    from dvtkg.cohort.frame import column_kinds, rows_table, sheet_to_row
    from dvtkg.cohort.rows import batch_from_arrow

    assessor = cohort[0]
    keys = assessor.kb.keys
    sheets = [{"id": f"days-{v}", "age": 60, "sex": "female", "weightKg": 70,
               "bleeding": {"majorSurgeryDaysAgo": v, "intracranialEventDaysAgo": v},
               "limbs": {"left": {"veins": ["popliteal"]}}} for v in (0, 10, 31, 90, "none")]
    table = rows_table([sheet_to_row(s, keys) for s in sheets], keys)
    assert table.schema.field("bleeding.majorSurgeryDaysAgo").type == "string"
    batch = batch_from_arrow(table, column_kinds(keys))
    assert list(batch.col("bleeding.majorSurgeryDaysAgo")) == [0, 10, 31, 90, "none"]
    assert not ColumnEngine(assessor).assess(batch).single.any()
