"""Curation checks: run the ``queries/qc/*.rq`` queries over a knowledge graph.

Each QC query selects ``?focus`` (the offending node) and ``?message`` (the
problem in words); on a clean knowledge base it returns no rows (its header says
``# expect: none``). :func:`run_qc` returns one :class:`QcFailure` per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Variable
from rdflib.term import Node

from . import progress
from .queryfiles import QueryFile, find_queries

__all__ = ["QcFailure", "run_qc", "run_query", "format_failures"]


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


def run_query(graph: Graph, query: QueryFile) -> list[QcFailure]:
    """Run one QC query over ``graph`` and return its rows as failures.

    Raises ValueError when the query is not a curation check (it takes
    parameters, does not expect "none", or does not select ``?focus``/``?message``).
    """
    if query.params:
        raise ValueError(f"{query.path}: a QC query takes no parameters (params: {', '.join(query.params)})")
    if not query.expects_no_rows:
        raise ValueError(f"{query.path}: a QC query must declare '# expect: none' (found {query.expect!r})")
    result = graph.query(query.text)
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
    failures: list[QcFailure] = []
    queries = find_queries(query_dir)
    for query in progress.bar(queries, desc="qc", total=len(queries), unit="query"):
        failures.extend(run_query(graph, query))
    return failures


def format_failures(failures: list[QcFailure]) -> str:
    """One line per failure, or a line saying that every check passed."""
    if not failures:
        return "QC: every check passed."
    return "\n".join(str(f) for f in failures)
