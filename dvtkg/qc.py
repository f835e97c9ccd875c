"""Curation checks: run the ``queries/qc/*.rq`` queries over a knowledge graph.

Each QC query selects ``?focus`` (the offending node) and ``?message`` (the
problem in words); on a clean knowledge base it returns no rows (its header says
``# expect: none``). :func:`run_qc` returns one :class:`QcFailure` per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Variable
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from . import progress
from .queryfiles import QueryFile, find_queries

__all__ = ["QcFailure", "QcSuite", "run_qc", "run_query", "format_failures"]


@dataclass(frozen=True)
class QcFailure:
    """One row of a QC query: which check, on which node, and why."""

    query_id: str
    focus: Node | None
    message: str
    query_path: Path | None = None

    def __str__(self) -> str:
        focus = "-" if self.focus is None else str(self.focus)
        return f"{self.query_id}: {focus}: {self.message}"


def run_query(graph: Graph, query: QueryFile, prepared: Query | None = None) -> list[QcFailure]:
    """Run one QC query over ``graph`` and return its rows as failures.

    ``prepared`` is the query already parsed (:class:`QcSuite`), for running it over many graphs.
    Raises ValueError when the query is not a curation check (it takes
    parameters, does not expect "none", or does not select ``?focus``/``?message``).
    """
    if query.params:
        raise ValueError(f"{query.path}: a QC query takes no parameters (params: {', '.join(query.params)})")
    if not query.expects_no_rows:
        raise ValueError(f"{query.path}: a QC query must declare '# expect: none' (found {query.expect!r})")
    result = graph.query(query.text if prepared is None else prepared)
    names = [str(v) for v in (result.vars or [])]
    if "focus" not in names or "message" not in names:
        raise ValueError(f"{query.path}: a QC query must select ?focus and ?message (selects {names})")
    failures = []
    for row in result:
        focus = row[Variable("focus")]
        message = row[Variable("message")]
        failures.append(QcFailure(query.id, focus, "" if message is None else str(message), query.path))
    return sorted(set(failures), key=lambda f: (f.query_id, str(f.focus), f.message))


def run_qc(graph: Graph, query_dir: Path | str) -> list[QcFailure]:
    """Run every query of ``query_dir`` (normally ``queries/qc``) over ``graph``.

    Returns all rows of all queries as :class:`QcFailure`, sorted by query id,
    focus and message; an empty list means the graph passes every check.
    """
    return QcSuite(query_dir).run(graph)


class QcSuite:
    """The QC queries of a folder, each parsed once: for running them over many graphs (parsing a
    SPARQL query with rdflib costs far more than answering it over a small graph)."""

    def __init__(self, query_dir: Path | str) -> None:
        self.queries = find_queries(query_dir)
        self._prepared: dict[str, Query] = {}

    def _query(self, query: QueryFile) -> Query:
        if query.id not in self._prepared:
            # the prefixes a graph binds by default, as graph.query(text) would use them
            self._prepared[query.id] = prepareQuery(query.text, initNs=dict(Graph().namespaces()))
        return self._prepared[query.id]

    def run(self, graph: Graph) -> list[QcFailure]:
        """Every query over ``graph``: the rows as failures (see :func:`run_qc`)."""
        failures: list[QcFailure] = []
        for query in progress.bar(self.queries, desc="qc", total=len(self.queries), unit="query"):
            if query.params or not query.expects_no_rows:
                failures.extend(run_query(graph, query))  # refused there, with the message naming the file
            else:
                failures.extend(run_query(graph, query, self._query(query)))
        return failures


def format_failures(failures: list[QcFailure]) -> str:
    """One line per failure, or a line saying that every check passed."""
    if not failures:
        return "QC: every check passed."
    return "\n".join(str(f) for f in failures)
