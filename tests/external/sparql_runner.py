"""Run W3C SPARQL 1.1 query-evaluation tests (tests/external/sparql11/) with rdflib and Oxigraph.

A test is an ``mf:QueryEvaluationTest`` of a folder's manifest.ttl: a query (qt:query), the
default-graph data (qt:data, none or one file here) and the expected result (mf:result:
.srx / .srj result sets, or a Turtle graph for CONSTRUCT). Data and query are read with the
base IRI the suite's own manifests use (http://www.w3.org/2009/sparql/docs/tests/data-sparql11/
<folder>/<file>), so relative IRIs resolve as the expected results assume.

Engines:
- :func:`query_rdflib`: rdflib ``Graph.query`` over an in-memory Graph;
- :func:`query_oxigraph`: ``pyoxigraph.Store.query`` over an in-memory Store (data loaded by
  Oxigraph's own parser into the default graph); terms converted with the project's
  ``dvtkg.guidance.store.from_ox``.
Both return an :class:`Answer`. :func:`compare` checks an answer against :func:`expected`:
same variables, and the same solutions as a multiset (as a sequence when the query's outermost
operator below the projection is ORDER BY), with blank nodes matched by a consistent bijection;
a graph result by isomorphism; a boolean by value. Terms compare as rdflib terms, whose
literals rdflib normalises to a canonical lexical form when it can ("3.0E4"^^xsd:double equals
"30000"^^xsd:double, as the value is the same); simple literals equal xsd:string ones.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace
from rdflib.collection import Collection
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import RDF, XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.query import Result

from dvtkg.guidance.store import from_ox

HERE = Path(__file__).resolve().parent
ROOT = HERE / "sparql11"
W3C_BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")

_FORMATS = {".ttl": "turtle", ".nt": "nt", ".rdf": "xml"}
_OX_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".rdf": ox.RdfFormat.RDF_XML}


@dataclass(frozen=True)
class SparqlTest:
    id: str              # "<folder>/<name>", e.g. "aggregates/agg01"
    name: str            # mf:name
    query: Path
    data: tuple[Path, ...]
    result: Path

    def base(self, path: Path) -> str:
        """The IRI the W3C suite gives a file of this test (its base IRI when parsed)."""
        return f"{W3C_BASE}{path.parent.name}/{path.name}"

    @property
    def query_text(self) -> str:
        return self.query.read_text(encoding="utf-8")


def tests(root: Path = ROOT) -> list[SparqlTest]:
    """Every test of root/<folder>/manifest.ttl, in manifest order, folders sorted."""
    out = []
    for manifest in sorted(root.glob("*/manifest.ttl")):
        g = Graph()
        g.parse(manifest, format="turtle", publicID=manifest.as_uri())
        man = g.value(predicate=RDF.type, object=MF.Manifest)
        for node in Collection(g, g.value(man, MF.entries)):
            action = g.value(node, MF.action)

            def local(term) -> Path:
                return Path(str(term).removeprefix("file://"))

            name = str(node).rsplit("#", 1)[-1]
            out.append(SparqlTest(
                id=f"{manifest.parent.name}/{name}",
                name=str(g.value(node, MF.name)),
                query=local(g.value(action, QT.query)),
                data=tuple(sorted(local(d) for d in g.objects(action, QT.data))),
                result=local(g.value(node, MF.result)),
            ))
    return out


@dataclass
class Answer:
    """A query's answer: kind "select" (vars + rows), "ask" (boolean) or "graph"."""

    kind: str
    vars: list[str] = field(default_factory=list)
    rows: list[dict[str, object]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None


def _norm(term):
    """xsd:string literals as simple literals (RDF 1.1: the same term)."""
    if isinstance(term, Literal) and term.datatype == XSD.string and not term.language:
        return Literal(str(term))
    return term


def _from_rdflib_result(result: Result) -> Answer:
    if result.type == "ASK":
        return Answer("ask", boolean=bool(result.askAnswer))
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        g = Graph()
        for t in result.graph:
            g.add(tuple(_norm(x) for x in t))
        return Answer("graph", graph=g)
    names = [str(v) for v in (result.vars or [])]
    rows = []
    # result.bindings, not iteration: rdflib's Result.__iter__ skips solutions that bind no
    # variable, which would hide both a correct empty solution and a wrong one
    for row in result.bindings:
        rows.append({str(k): _norm(v) for k, v in row.items() if v is not None})
    return Answer("select", vars=names, rows=rows)


def expected(test: SparqlTest) -> Answer:
    """The expected answer, read from the test's result file."""
    suffix = test.result.suffix
    if suffix in _FORMATS:
        g = Graph()
        g.parse(test.result, format=_FORMATS[suffix], publicID=test.base(test.result))
        out = Graph()
        for s, p, o in g:
            out.add((_norm(s), _norm(p), _norm(o)))
        return Answer("graph", graph=out)
    fmt = {".srx": "xml", ".srj": "json"}[suffix]
    with open(test.result, "rb") as fh:
        return _from_rdflib_result(Result.parse(fh, format=fmt))


def query_rdflib(test: SparqlTest) -> Answer:
    """Load the data into an rdflib Graph and run the query with Graph.query."""
    g = Graph()
    for data in test.data:
        g.parse(data, format=_FORMATS[data.suffix], publicID=test.base(data))
    return _from_rdflib_result(g.query(test.query_text, base=test.base(test.query)))


def _answer_from_ox(result) -> Answer:
    if isinstance(result, ox.QueryBoolean):
        return Answer("ask", boolean=bool(result))
    if isinstance(result, ox.QueryTriples):
        g = Graph()
        for t in result:
            g.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))
        return Answer("graph", graph=g)
    names = [v.value for v in result.variables]
    rows = []
    for sol in result:
        rows.append({n: from_ox(sol[n]) for n in names if sol[n] is not None})
    return Answer("select", vars=names, rows=rows)


def query_oxigraph(test: SparqlTest) -> Answer:
    """Load the data into an in-memory pyoxigraph Store (default graph) and run Store.query."""
    store = ox.Store()
    for data in test.data:
        store.load(path=str(data), format=_OX_FORMATS[data.suffix], base_iri=test.base(data),
                   to_graph=ox.DefaultGraph())
    return _answer_from_ox(store.query(test.query_text, base_iri=test.base(test.query)))


def is_ordered(test: SparqlTest) -> bool:
    """True when the query's solution sequence is ordered: ORDER BY right under the
    projection / DISTINCT / REDUCED / slice of the outermost query."""
    node = prepareQuery(test.query_text, base=test.base(test.query)).algebra
    while node is not None:
        name = getattr(node, "name", None)
        if name == "OrderBy":
            return True
        if name in ("SelectQuery", "ConstructQuery", "AskQuery", "DescribeQuery", "Project",
                    "Distinct", "Reduced", "Slice", "ToMultiSet"):
            node = node.get("p")
            continue
        return False
    return False


# ---- comparison ------------------------------------------------------------------------


def _has_bnode(rows) -> bool:
    return any(isinstance(v, BNode) for r in rows for v in r.values())


def _row_match(a: dict, b: dict, fwd: dict, back: dict) -> list[tuple] | None:
    """Bnode pairs this row match would add to the bijection, or None if the rows differ."""
    if a.keys() != b.keys():
        return None
    added = []
    f, bk = dict(fwd), dict(back)
    for k, va in a.items():
        vb = b[k]
        if isinstance(va, BNode) and isinstance(vb, BNode):
            if f.get(va, vb) != vb or bk.get(vb, va) != va:
                return None
            if va not in f:
                f[va], bk[vb] = vb, va
                added.append((va, vb))
        elif va != vb:
            return None
    return added


def _rows_equal(got: list[dict], want: list[dict], ordered: bool) -> bool:
    if len(got) != len(want):
        return False
    if not _has_bnode(got) and not _has_bnode(want):
        if ordered:
            return got == want
        freeze = lambda rows: Counter(frozenset(r.items()) for r in rows)  # noqa: E731
        return freeze(got) == freeze(want)
    if ordered:
        fwd: dict = {}
        back: dict = {}
        for a, b in zip(got, want, strict=True):
            added = _row_match(a, b, fwd, back)
            if added is None:
                return False
            for x, y in added:
                fwd[x], back[y] = y, x
        return True

    # unordered with blank nodes: backtracking search for a row matching + bnode bijection
    def search(i: int, used: set, fwd: dict, back: dict) -> bool:
        if i == len(got):
            return True
        for j, b in enumerate(want):
            if j in used:
                continue
            added = _row_match(got[i], b, fwd, back)
            if added is None:
                continue
            f, bk = dict(fwd), dict(back)
            for x, y in added:
                f[x], bk[y] = y, x
            if search(i + 1, used | {j}, f, bk):
                return True
        return False

    return search(0, set(), {}, {})


def _show_rows(rows: list[dict], limit: int = 12) -> str:
    lines = [" ".join(f"?{k}={v.n3()}" for k, v in sorted(r.items())) or "(a solution binding nothing)"
             for r in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more")
    return "\n    ".join(lines) or "(no rows)"


def compare(got: Answer, want: Answer, ordered: bool) -> tuple[bool, str]:
    """(equal?, a readable difference)."""
    if got.kind != want.kind:
        return False, f"result kind: expected {want.kind}, got {got.kind}"
    if want.kind == "ask":
        return got.boolean == want.boolean, f"expected {want.boolean}, got {got.boolean}"
    if want.kind == "graph":
        if isomorphic(got.graph, want.graph):
            return True, "ok"
        _, only_got, only_want = graph_diff(to_isomorphic(got.graph), to_isomorphic(want.graph))
        return False, (f"graphs differ\n  only in answer:\n    {only_got.serialize(format='nt')}"
                       f"\n  only in expected:\n    {only_want.serialize(format='nt')}")
    problems = []
    if sorted(got.vars) != sorted(want.vars):
        problems.append(f"variables: expected {sorted(want.vars)}, got {sorted(got.vars)}")
    if not _rows_equal(got.rows, want.rows, ordered):
        problems.append(f"solutions differ ({'ordered' if ordered else 'as multisets'}):\n"
                        f"  expected:\n    {_show_rows(want.rows)}\n  got:\n    {_show_rows(got.rows)}")
    return not problems, "\n".join(problems) or "ok"


ENGINES = {"rdflib": query_rdflib, "oxigraph": query_oxigraph}


def run(test: SparqlTest, engine: str) -> tuple[bool, str]:
    """Run one test on one engine and compare with the expected result."""
    got = ENGINES[engine](test)
    return compare(got, expected(test), is_ordered(test))
