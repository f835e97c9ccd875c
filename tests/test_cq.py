"""Competency questions (queries/cq/*.rq): headers, and every expected result, answered locally.

The expected results (tests/data/cq/<id>.json) are written from the decision rules and
the catalogue (tests/data/catalogue.tsv), each file saying where its rows come from; they
are not copied from the queries' own output. Case-based questions run over three
example cases, assessed once per test session (dvtkg.sparql.local caches them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib.plugins.sparql import prepareQuery

from dvtkg.queryfiles import PARAM_TYPES, find_queries
from dvtkg.sparql.expect import check, load_all, load_runs
from dvtkg.sparql.local import assess_cases, dataset, find_query, run_local
from dvtkg.sparql.params import bind_params

ROOT = Path(__file__).resolve().parents[1]
CQ_DIR = ROOT / "queries" / "cq"
EXPECT_DIR = ROOT / "tests" / "data" / "cq"
CASE_DIR = ROOT / "examples" / "cases"
RUNS = load_all(EXPECT_DIR)


@pytest.fixture(scope="module")
def kb():
    from dvtkg.kb.build import load_knowledge

    return load_knowledge(ROOT)


@pytest.fixture(scope="module")
def datasets(kb):
    """One dataset per set of cases (the knowledge alone, or with the assessed example cases)."""
    cache: dict[tuple[str, ...], object] = {}

    def get(cases: tuple[str, ...]):
        if cases not in cache:
            assessed = assess_cases([CASE_DIR / f"{name}.json" for name in cases])
            cache[cases] = dataset(kb, assessed)
        return cache[cases]

    return get


def test_at_least_15_competency_questions_with_full_headers() -> None:
    queries = find_queries(CQ_DIR)
    assert len(queries) >= 15
    for q in queries:
        assert q.id == q.path.stem, f"{q.path.name}: the id must be the file name"
        assert q.id.startswith("cq-")
        assert q.expect == "rows", f"{q.id}: a competency question expects rows"
        assert len(q.summary) > 30, f"{q.id}: the summary should say what the question asks"
        for spec in q.param_specs:
            assert spec.type in PARAM_TYPES
        prepareQuery(q.text)  # rdflib parses it


def test_every_question_has_expected_results_and_every_file_a_question() -> None:
    ids = {q.id for q in find_queries(CQ_DIR)}
    files = {p.stem for p in EXPECT_DIR.glob("*.json")}
    assert ids == files, f"without expectations: {sorted(ids - files)}; without a query: {sorted(files - ids)}"
    for path in EXPECT_DIR.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["query"] == path.stem
        assert load_runs(path), path.name


def test_case_questions_name_their_cases_and_parameters_are_declared() -> None:
    for run in RUNS:
        q = find_query(run.query, ROOT)
        bind_params(q, run.param_args())  # every parameter of the run is declared and well typed
        if run.query.startswith("cq-case-"):
            assert run.cases, f"{run.label}: a case question needs cases"
            for name in run.cases:
                assert (CASE_DIR / f"{name}.json").is_file(), name


@pytest.mark.parametrize("run", RUNS, ids=[r.label for r in RUNS])
def test_expected_results_locally(run, datasets) -> None:
    q = find_query(run.query, ROOT)
    result = run_local(q, bind_params(q, run.param_args()), data=datasets(run.cases))
    problems = check(result, run)
    assert not problems, "\n".join(problems)


def test_expectation_checker_catches_a_wrong_answer(datasets) -> None:
    """The checker is not vacuous: the ASH2020 strong set is not CHEST 2021's."""
    ash = next(r for r in RUNS if r.query == "cq-strong-by-source" and r.params == {"source": "rec:ASH2020"})
    q = find_query(ash.query, ROOT)
    chest = run_local(q, bind_params(q, ["source=rec:CHEST2021"]), data=datasets(()))
    problems = check(chest, ash)
    assert any("expected row not found" in p for p in problems)
    assert any("unexpected row" in p for p in problems)
