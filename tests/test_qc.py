"""The curation-check queries (queries/qc/*.rq), their runner and the query-file header.

QC fixtures live in tests/fixtures/qc/{valid,invalid}/<query-id>.ttl. Each is a
small self-contained graph; all QC queries run over it (through dvtkg.qc.run_qc).
A valid fixture gives no rows at all; an invalid fixture starts with comment lines

    # expect-qc: <query id> <focus>

(focus as a prefixed name of the fixture's prefixes or an <IRI>) and the rows
must be exactly that set of (query id, focus).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from project_paths import ROOT
from rdflib import Graph, URIRef

from dvtkg.qc import QcFailure, QcSuite, format_failures, run_qc, run_query
from dvtkg.queryfiles import QueryFile, find_queries, load_query, parse_query_text

QC_DIR = ROOT / "queries" / "qc"
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "qc"
VALID = sorted((FIXTURE_DIR / "valid").glob("*.ttl"))
INVALID = sorted((FIXTURE_DIR / "invalid").glob("*.ttl"))


@pytest.fixture(scope="module")
def queries() -> list[QueryFile]:
    return find_queries(QC_DIR)


@pytest.fixture(scope="module")
def suite() -> QcSuite:
    """The QC queries parsed once for every fixture (run_qc parses them on each call: the cost is the parsing)."""
    return QcSuite(QC_DIR)


def parse_qc_expectations(path: Path, graph: Graph | None = None) -> set[tuple[str, str]]:
    """Read the ``# expect-qc:`` lines at the top of a QC fixture."""
    graph = graph if graph is not None else Graph().parse(path)
    expected: set[tuple[str, str]] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            break
        body = line.lstrip("#").strip()
        if not body.startswith("expect-qc:"):
            continue
        tokens = body[len("expect-qc:"):].split()
        if len(tokens) != 2:
            raise ValueError(f"{path.name}: expect-qc line needs <query id> <focus>: {line!r}")
        query_id, focus = tokens
        if focus.startswith("<") and focus.endswith(">"):
            focus = focus[1:-1]
        else:
            focus = str(graph.namespace_manager.expand_curie(focus))
        expected.add((query_id, focus))
    return expected


def _rows(failures: list[QcFailure]) -> set[tuple[str, str]]:
    return {(f.query_id, str(f.focus)) for f in failures}


# ---------------------------------------------------------------- the QC queries on their fixtures
@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_qc_fixture_passes_every_check(path: Path, suite: QcSuite) -> None:
    failures = suite.run(Graph().parse(path))
    assert failures == [], format_failures(failures)


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_qc_fixture_gives_exactly_the_expected_rows(path: Path, suite: QcSuite) -> None:
    graph = Graph().parse(path)
    expected = parse_qc_expectations(path, graph)
    failures = suite.run(graph)
    actual = _rows(failures)
    assert actual == expected, (
        f"\nexpected but not found: {sorted(expected - actual)}\nfound but not expected: {sorted(actual - expected)}"
        f"\n\n{format_failures(failures)}")
    assert all(f.message for f in failures), "every row carries a ?message"


def test_every_invalid_qc_fixture_lists_expectations() -> None:
    assert INVALID
    for path in INVALID:
        expected = parse_qc_expectations(path)
        assert expected, f"{path.name} lists no '# expect-qc:' line"
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# expect-qc:"), f"{path.name} must start with its expect lines"
        assert path.stem in {q for q, _ in expected}, f"{path.name} expects nothing from the query it is named after"


def test_valid_qc_fixtures_list_no_expectations() -> None:
    for path in VALID:
        assert not parse_qc_expectations(path), f"valid fixture {path.name} lists expected rows"


def test_every_qc_query_has_a_valid_and_an_invalid_fixture(queries: list[QueryFile]) -> None:
    ids = {q.id for q in queries}
    assert ids == {p.stem for p in VALID}, "valid QC fixtures must be named after the query ids"
    assert ids == {p.stem for p in INVALID}, "invalid QC fixtures must be named after the query ids"


def test_qc_query_headers(queries: list[QueryFile]) -> None:
    assert queries, "queries/qc holds no .rq file"
    for q in queries:
        assert q.id == q.path.stem, f"{q.path.name}: id {q.id!r} differs from the file name"
        assert q.params == [], f"{q.path.name}: a QC query takes no parameters"
        assert q.expect == "none" and q.expects_no_rows
        assert q.summary


def test_run_query_rejects_a_query_without_focus_and_message() -> None:
    query = parse_query_text("# id: qc-bad\n# summary: s\n# params: none\n# expect: none\n"
                             "SELECT ?x WHERE { ?x ?p ?o }\n", "qc-bad.rq")
    with pytest.raises(ValueError, match=r"\?focus and \?message"):
        run_query(Graph(), query)


def test_run_query_rejects_parameters_and_non_empty_expectations() -> None:
    with_params = parse_query_text("# id: a\n# summary: s\n# params: case\n# expect: none\nSELECT * {}\n", "a.rq")
    with pytest.raises(ValueError, match="no parameters"):
        run_query(Graph(), with_params)
    expects_rows = parse_query_text("# id: b\n# summary: s\n# params: none\n# expect: rows\nSELECT * {}\n", "b.rq")
    with pytest.raises(ValueError, match="expect: none"):
        run_query(Graph(), expects_rows)


def test_failure_carries_query_id_focus_and_message() -> None:
    path = FIXTURE_DIR / "invalid" / "qc-label-localname.ttl"
    failures = [f for f in run_qc(Graph().parse(path), QC_DIR) if f.query_id == "qc-label-localname"]
    by_focus = {str(f.focus): f for f in failures}
    failure = by_focus["https://w3id.org/dvtkg/rec/AHA11-T3a"]
    assert isinstance(failure.focus, URIRef)
    assert "AHA11-T3b" in failure.message and "AHA11-T3a" in failure.message
    assert str(failure).startswith("qc-label-localname: https://w3id.org/dvtkg/rec/AHA11-T3a: ")


# ---------------------------------------------------------------- query-file headers
GOOD_HEADER = """# id: cq-applicable-for-case
# summary: Which recommendations apply to the case, with grade and source?
# params: case, subject
# expect: rows
SELECT ?r WHERE { ?r ?p ?o }
"""


def test_load_query_reads_every_header_field(tmp_path: Path) -> None:
    path = tmp_path / "cq-applicable-for-case.rq"
    path.write_text(GOOD_HEADER, encoding="utf-8")
    q = load_query(path)
    assert q.id == "cq-applicable-for-case"
    assert q.summary == "Which recommendations apply to the case, with grade and source?"
    assert q.params == ["case", "subject"]
    assert q.expect == "rows" and not q.expects_no_rows
    assert q.text == GOOD_HEADER
    assert q.path == path


@pytest.mark.parametrize("value, params",
                         [("none", []), ("", []), ("case", ["case"]), ("?case $limb", ["case", "limb"])])
def test_params_forms(value: str, params: list[str]) -> None:
    q = parse_query_text(f"# id: x\n# summary: s\n# params: {value}\n# expect: none\nASK {{}}\n", "x.rq")
    assert q.params == params


@pytest.mark.parametrize("missing", ["id", "summary", "params", "expect"])
def test_missing_header_line_is_a_clear_error(tmp_path: Path, missing: str) -> None:
    lines = [line for line in GOOD_HEADER.splitlines() if not line.startswith(f"# {missing}:")]
    path = tmp_path / "broken.rq"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_query(path)
    message = str(info.value)
    assert "broken.rq" in message and f"missing header line '# {missing}:'" in message


def test_header_line_after_the_query_does_not_count(tmp_path: Path) -> None:
    path = tmp_path / "late.rq"
    path.write_text("# id: late\n# summary: s\n# params: none\nSELECT * {}\n# expect: none\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing header line '# expect:'"):
        load_query(path)


def test_duplicate_and_empty_header_lines_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="more than once"):
        parse_query_text("# id: a\n# id: b\n# summary: s\n# params: none\n# expect: none\nASK {}\n", "dup.rq")
    with pytest.raises(ValueError, match=r"dup\.rq: header line '# summary:' is empty"):
        parse_query_text("# id: a\n# summary:\n# params: none\n# expect: none\nASK {}\n", "dup.rq")


def test_find_queries_sorts_and_rejects_duplicate_ids(tmp_path: Path) -> None:
    for name, qid in (("b.rq", "b"), ("a.rq", "a")):
        (tmp_path / name).write_text(f"# id: {qid}\n# summary: s\n# params: none\n# expect: none\nASK {{}}\n",
                                     encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a query", encoding="utf-8")
    assert [q.id for q in find_queries(tmp_path)] == ["a", "b"]
    (tmp_path / "c.rq").write_text("# id: a\n# summary: s\n# params: none\n# expect: none\nASK {}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="already used"):
        find_queries(tmp_path)
    with pytest.raises(FileNotFoundError):
        find_queries(tmp_path / "absent")
