"""W3C SPARQL 1.1 query-evaluation tests with rdflib and with Oxigraph.

Data: tests/external/sparql11/ (W3C rdf-tests; the 158 tests of
sparql11-subset-passing-rdflib-and-oxigraph.txt, see tests/external/README.md). Each test runs
through tests/external/sparql_runner.py on rdflib (Graph.query) and on an in-process
pyoxigraph Store (Store.query), and the answer is compared with the expected result: the
solutions as a multiset (a sequence under a top-level ORDER BY), blank nodes matched by a
bijection; CONSTRUCT graphs by isomorphism.

The subset was chosen as "passing both engines" by a looser check than this one; the entries in
KNOWN_FAILURES fail the strict comparison and are marked xfail(strict=True).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from rdflib import BNode, Literal, URIRef

sys.path.insert(0, str(Path(__file__).resolve().parent / "external"))
import sparql_runner  # noqa: E402
from sparql_runner import Answer, compare  # noqa: E402

TESTS = sparql_runner.tests()

_BNODE = ("BNODE(\"str\") must give a different blank node for each solution (SPARQL 1.1 section 17.4.2.9, "
          "and the expected result has 6 distinct blank nodes); {} reuses one blank node per literal "
          "across the whole result")
_EMPTY_GROUP = ("GROUP BY over no solutions must give no groups, hence no rows; rdflib 7.6 yields one solution "
                "binding nothing (RDFLib/rdflib#3382; iterating the Result hides it, Result.bindings shows it)")

# (engine, test id) -> reason
KNOWN_FAILURES = {
    ("rdflib", "functions/bnode01"): _BNODE.format("rdflib 7.6"),
    ("oxigraph", "functions/bnode01"): _BNODE.format("Oxigraph 0.5.13"),
    ("rdflib", "aggregates/agg-empty-group-count-1"): _EMPTY_GROUP,
    ("rdflib", "aggregates/agg-empty-group-max-1"): _EMPTY_GROUP,
}


def _params(engine: str):
    for test in TESTS:
        marks = []
        reason = KNOWN_FAILURES.get((engine, test.id))
        if reason:
            marks.append(pytest.mark.xfail(reason=reason, strict=True))
        yield pytest.param(test, id=test.id, marks=marks)


def test_subset_is_complete():
    assert len(TESTS) == 158
    assert len({t.id for t in TESTS}) == 158
    for test in TESTS:
        assert test.query.is_file() and test.result.is_file() and all(d.is_file() for d in test.data), test.id
    assert {tid for _, tid in KNOWN_FAILURES} <= {t.id for t in TESTS}


@pytest.mark.parametrize("test", list(_params("rdflib")))
def test_sparql11_rdflib(test):
    ok, detail = sparql_runner.run(test, "rdflib")
    assert ok, f"{test.id} ({test.name}):\n{detail}"


@pytest.mark.parametrize("test", list(_params("oxigraph")))
def test_sparql11_oxigraph(test):
    ok, detail = sparql_runner.run(test, "oxigraph")
    assert ok, f"{test.id} ({test.name}):\n{detail}"


# ---- the comparison itself must not be vacuous -----------------------------------------

EX = "http://example.org/"


def _sel(*rows, vars=("x", "y")):
    return Answer("select", vars=list(vars), rows=[dict(r) for r in rows])


def test_compare_detects_a_different_term():
    a = _sel({"x": URIRef(EX + "a"), "y": Literal(1)})
    b = _sel({"x": URIRef(EX + "a"), "y": Literal(2)})
    assert not compare(a, b, ordered=False)[0]
    assert not compare(a, _sel({"x": URIRef(EX + "a"), "y": Literal("1")}), ordered=False)[0]


def test_compare_counts_duplicates_and_unbound_variables():
    row = {"x": URIRef(EX + "a")}
    assert not compare(_sel(row, row), _sel(row), ordered=False)[0]
    assert not compare(_sel({}), _sel(), ordered=False)[0]
    assert compare(_sel(row, {}), _sel({}, row), ordered=False)[0]


def test_compare_order_only_when_ordered():
    r1, r2 = {"x": Literal(1)}, {"x": Literal(2)}
    assert compare(_sel(r1, r2), _sel(r2, r1), ordered=False)[0]
    assert not compare(_sel(r1, r2), _sel(r2, r1), ordered=True)[0]


def test_compare_blank_nodes_by_a_consistent_bijection():
    a, b, c, d = BNode(), BNode(), BNode(), BNode()
    got = _sel({"x": a, "y": a}, {"x": b, "y": Literal(1)})
    assert compare(got, _sel({"x": c, "y": Literal(1)}, {"x": d, "y": d}), ordered=False)[0]
    # the same blank node on both rows cannot match two distinct ones, and vice versa
    assert not compare(_sel({"x": a}, {"x": a}, vars=("x",)), _sel({"x": c}, {"x": d}, vars=("x",)), False)[0]
    assert not compare(_sel({"x": c}, {"x": d}, vars=("x",)), _sel({"x": a}, {"x": a}, vars=("x",)), False)[0]


def test_compare_variables_and_kinds():
    assert not compare(_sel(vars=("x",)), _sel(vars=("y",)), ordered=False)[0]
    assert not compare(Answer("ask", boolean=True), Answer("ask", boolean=False), ordered=False)[0]
    assert not compare(Answer("ask", boolean=True), _sel(), ordered=False)[0]


def test_ordered_detection():
    by_id = {t.id: t for t in TESTS}
    assert sparql_runner.is_ordered(by_id["subquery/subquery11"])       # ORDER BY on the outer query
    assert not sparql_runner.is_ordered(by_id["subquery/subquery14"])   # ORDER BY only in a sub-select
    assert not sparql_runner.is_ordered(by_id["aggregates/agg01"])
