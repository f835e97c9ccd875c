"""Run a query over the knowledge base in memory (rdflib), with assessed case graphs.

The dataset holds the merged knowledge (:func:`dvtkg.kb.build.load_knowledge`) in the
named graph :data:`dvtkg.sparql.KB_GRAPH` and each assessed case (its assertions, the
reasoner's inferences and the assessment: ``Assessment.graph``) in its own named
graph ``https://w3id.org/dvtkg/case/<id>``; the default graph is their union, as on an
endpoint queried with those graphs as ``default-graph-uri``. Parameters are bound with
rdflib ``initBindings``.

Writing queries that rdflib answers quickly: rdflib joins a group's parts lazily (the
right side sees the left side's bindings) only when neither side is itself a join, so
keep a statement's triple patterns together in one block, make each UNION branch
self-contained, and never leave both ends of a ``*`` path unbound.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from dvtkg import paths
from dvtkg.queryfiles import QueryFile, find_queries, load_query
from dvtkg.sparql import KB_GRAPH, SparqlError, case_graph_iri
from dvtkg.sparql.results import QueryResult

#: Where ``dvtkg query ID`` looks for a query id, in this order.
QUERY_SUBDIRS = ("cq", "guidance", "qc")


@dataclass(frozen=True)
class AssessedCase:
    """One assessed case: its id, its named graph, and the graph (assertions + inferences + assessment)."""

    case_id: str
    graph_iri: str
    graph: Graph


def find_query(spec: str, root: Path | None = None) -> QueryFile:
    """A query file (path) or a query id looked up in queries/cq, queries/guidance, queries/qc."""
    path = Path(spec)
    if path.suffix == ".rq" or path.is_file():
        if not path.is_file():
            raise SparqlError(f"query file {spec} does not exist")
        try:
            return load_query(path)
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise SparqlError(str(exc)) from None
    root = root or paths.project_root()
    known: dict[str, QueryFile] = {}
    for sub in QUERY_SUBDIRS:
        directory = paths.queries_dir(root) / sub
        if not directory.is_dir():
            continue
        try:
            for q in find_queries(directory):
                known.setdefault(q.id, q)
        except ValueError as exc:
            raise SparqlError(str(exc)) from None
    if spec in known:
        return known[spec]
    close = difflib.get_close_matches(spec, list(known), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else " (dvtkg query --list shows the competency questions)"
    raise SparqlError(f"no query file or query id {spec!r}{hint}")


def list_queries(root: Path | None = None, subdir: str = "cq") -> list[QueryFile]:
    directory = paths.queries_dir(root) / subdir
    return find_queries(directory) if directory.is_dir() else []


# ---------------------------------------------------------------- cases

_ASSESSOR = None
_CASE_CACHE: dict[tuple[str, int, int], AssessedCase] = {}


def _assessor():
    global _ASSESSOR
    if _ASSESSOR is None:
        from dvtkg.assessment.pipeline import Assessor

        _ASSESSOR = Assessor(lean=False)  # the RDF of each assessment is published: the rdflib path
    return _ASSESSOR


def assess_case(case: str | Path) -> AssessedCase:
    """Assess one case file (case sheet or case graph); kept for the life of the process.

    Raises CaseInputError (exit 2) for an unreadable case and CaseValidationError (exit 1,
    every violation listed) for one that breaks the case contract, so that a query never
    runs on half a case.
    """
    from dvtkg.cases.errors import CaseInputError, CaseValidationError
    from dvtkg.reason import ReasonerError

    path = Path(case)
    try:
        stat = path.stat()
    except OSError:
        raise SparqlError(f"case file {case} does not exist") from None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key in _CASE_CACHE:
        return _CASE_CACHE[key]
    try:
        assessment = _assessor().assess(str(path))
    except (CaseValidationError, CaseInputError):
        raise  # exit code 1 (a case that breaks the contract) or 2 (unreadable), every violation listed
    except ReasonerError as exc:
        raise SparqlError(str(exc)) from None
    found = AssessedCase(assessment.case, case_graph_iri(assessment.case), assessment.graph)
    _CASE_CACHE[key] = found
    return found


def assess_cases(cases: list[str | Path] | None) -> list[AssessedCase]:
    out: list[AssessedCase] = []
    seen: set[str] = set()
    for case in cases or []:
        found = assess_case(case)
        if found.graph_iri in seen:
            raise SparqlError(f"case {found.case_id} is given twice")
        seen.add(found.graph_iri)
        out.append(found)
    return out


# ---------------------------------------------------------------- queries


class LocalData:
    """The knowledge and the cases, queryable as one union graph or as a dataset of named graphs.

    A query that names no graph (no ``GRAPH`` keyword) runs on the union graph, which
    rdflib answers faster than a dataset's default union; a query with ``GRAPH`` runs on
    the dataset (knowledge in ``kb_graph``, each case in its own graph).
    """

    def __init__(self, kb: Graph, cases: Sequence[AssessedCase] = (), kb_graph: str = KB_GRAPH) -> None:
        self.kb = kb
        self.cases = list(cases)
        self.kb_graph = kb_graph
        self._union: Graph | None = None
        self._dataset: Dataset | None = None

    @property
    def union(self) -> Graph:
        if self._union is None:
            g = Graph()
            g += self.kb
            for case in self.cases:
                g += case.graph
            self._union = g
        return self._union

    @property
    def dataset(self) -> Dataset:
        if self._dataset is None:
            ds = Dataset(default_union=True)
            target = ds.graph(URIRef(self.kb_graph))
            target += self.kb
            for case in self.cases:
                g = ds.graph(URIRef(case.graph_iri))
                g += case.graph
            self._dataset = ds
        return self._dataset

    def for_query(self, text: str) -> Graph:
        from dvtkg.sparql.params import _scan

        names_graphs = any(kind == "word" and token.upper() == "GRAPH" for _, kind, token in _scan(text))
        return self.dataset if names_graphs else self.union


def dataset(kb: Graph, cases: Sequence[AssessedCase] = (), kb_graph: str = KB_GRAPH) -> LocalData:
    """The knowledge and the cases as named graphs of one dataset, default graph = their union."""
    return LocalData(kb, cases, kb_graph)


def run_local(query: QueryFile | str, bindings: dict[str, Node] | None = None,
              cases: Sequence[AssessedCase] = (), kb: Graph | None = None,
              data: LocalData | None = None, kb_graph: str = KB_GRAPH,
              timeout: float | None = None) -> QueryResult:
    """Answer ``query`` over the knowledge base (and ``cases``) with rdflib.

    ``data`` reuses a dataset built by :func:`dataset` (for many queries over the same
    graphs); otherwise one is built from ``kb`` (default: the merged knowledge base).
    """
    text = query.text if isinstance(query, QueryFile) else query
    name = query.path if isinstance(query, QueryFile) else "the query"
    refuse_outside_sources(text, str(name))
    if data is None:
        if kb is None:
            from dvtkg.kb.build import load_knowledge

            kb = load_knowledge()
        data = dataset(kb, list(cases), kb_graph)
    from pyparsing import ParseException

    graph = data.for_query(text)

    def answer() -> QueryResult:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's Dataset warns about itself
            result = graph.query(text, initBindings=dict(bindings or {}))
            return QueryResult.from_rdflib(result)

    try:
        return answer() if timeout is None else _within(answer, timeout, str(name))
    except ParseException as exc:
        raise SparqlError(f"{name}: SPARQL syntax error: {exc}") from None
    except SparqlError:
        raise
    except RecursionError:
        raise SparqlError(f"{name}: the query is nested too deeply to evaluate") from None
    except Exception as exc:  # rdflib reports e.g. an unknown prefix as a bare Exception
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise SparqlError(f"{name}: the query cannot be evaluated: {message[:500]}") from None


def _within(call, timeout: float, name: str) -> QueryResult:
    """``call()`` in a daemon thread, given up on after ``timeout`` seconds (a cross product
    over the knowledge base can run for hours; rdflib cannot be interrupted, so the command
    reports the timeout and exits, which ends the thread)."""
    import threading

    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=work, daemon=True, name="dvtkg-local-query")
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise SparqlError(f"{name}: no answer within {timeout:g} s (--timeout); the query may join "
                          "unrelated patterns (a cross product)")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["result"]  # type: ignore[return-value]


#: Keywords that make rdflib read data from outside the loaded graphs (HTTP, files).
OUTSIDE_SOURCE_WORDS = {"SERVICE": "SERVICE (a federated query to another endpoint)",
                        "FROM": "FROM / FROM NAMED (loading a graph from an IRI or a file)"}


def refuse_outside_sources(text: str, name: str = "the query") -> None:
    """Refuse a local query that would fetch or read anything: local queries see only the
    loaded knowledge and cases. (Use GRAPH to pick a graph, or --endpoint for a store.)"""
    from dvtkg.sparql.params import _scan

    for _, kind, token in _scan(text):
        if kind == "word" and token.upper() in OUTSIDE_SOURCE_WORDS:
            raise SparqlError(f"{name}: {OUTSIDE_SOURCE_WORDS[token.upper()]} is refused in a local query: "
                              "nothing outside the knowledge base and the given cases is read "
                              "(use GRAPH <...> to choose a graph, or --endpoint to query a store)")
