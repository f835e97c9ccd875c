"""An in-memory SPARQL store (pyoxigraph) for the per-case guidance queries.

The knowledge index is loaded once into the default graph; each case's graphs go into
their own named graph, are queried with the default graph as the union of all graphs,
and are dropped afterwards. Parameters are bound by substitution (SEP-0007), never
pasted into the query text. rdflib answers the same queries, ~50-100 times slower;
tests/test_guidance_store.py checks that both give the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node


def to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r}")


def from_ox(term: object) -> Node | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    raise TypeError(f"cannot convert {term!r}")


@dataclass(frozen=True)
class Row:
    """One solution, read like an rdflib result row (``row.name``); unbound -> None."""

    values: dict[str, Node | None]

    def __getattr__(self, name: str) -> Node | None:
        try:
            return self.values[name]
        except KeyError:
            return None


def _quads(graph: Iterable[tuple[Node, Node, Node]], target: ox.NamedNode | ox.DefaultGraph) -> Iterator[ox.Quad]:
    converted: dict[Node, ox.NamedNode | ox.BlankNode | ox.Literal] = {}  # terms recur: convert each once

    def conv(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        found = converted.get(term)
        if found is None:
            found = converted[term] = to_ox(term)
        return found
    for s, p, o in graph:
        subject, predicate = conv(s), conv(p)
        if isinstance(subject, ox.Literal) or not isinstance(predicate, ox.NamedNode):
            raise ValueError(f"not an RDF triple (literal subject or non-IRI predicate): {s} {p} {o}")
        yield ox.Quad(subject, predicate, conv(o), target)


class GuidanceStore:
    """The knowledge index in an in-memory store, with one named graph per case in use."""

    def __init__(self, index: Graph) -> None:
        self._store = ox.Store()
        self._store.extend(_quads(index, ox.DefaultGraph()))
        self._counter = 0

    @contextmanager
    def case(self, *graphs: Graph) -> Iterator["CaseView"]:
        """Load the case's graphs into a fresh named graph for the duration of the block."""
        self._counter += 1
        name = ox.NamedNode(f"urn:dvtkg:case-graph:{self._counter}")
        view = CaseView(self._store, name)
        for g in graphs:
            view.add(g)
        try:
            yield view
        finally:
            self._store.remove_graph(name)


class CaseView:
    """Queries over knowledge index + one case's named graph."""

    def __init__(self, store: ox.Store, name: ox.NamedNode) -> None:
        self._store = store
        self._name = name
        self._extra: list[ox.NamedNode] = []

    def add(self, graph: Graph) -> None:
        self._store.extend(_quads(graph, self._name))

    @contextmanager
    def scratch(self, graph: Iterable[tuple[Node, Node, Node]]) -> Iterator[None]:
        """Add a short-lived graph (an assessment pass: a Graph or its triples) for the duration of the block."""
        name = ox.NamedNode(f"{self._name.value}:scratch:{len(self._extra)}")
        self._extra.append(name)
        self._store.extend(_quads(graph, name))
        try:
            yield
        finally:
            self._store.remove_graph(name)
            self._extra.remove(name)

    def query(self, text: str, **bindings: Node) -> list[Row]:
        subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(k): to_ox(v) for k, v in bindings.items()}
        result = self._store.query(text, use_default_graph_as_union=True, substitutions=subs or None)
        if not isinstance(result, ox.QuerySolutions):
            raise TypeError("GuidanceStore.query runs SELECT queries only")
        names = [v.value for v in result.variables]
        return [Row({n: from_ox(sol[n]) for n in names}) for sol in result]


def rows_equal(a: Iterable[Row], b: Iterable[object], names: list[str]) -> bool:
    """Compare store rows with rdflib rows on the given variables (order-free)."""
    def key(r: object) -> tuple:
        return tuple(str(getattr(r, n, None)) for n in names)
    return sorted(map(key, a)) == sorted(map(key, b))
