"""Convert between a :class:`~dvtkg.cases.store.FactStore` and an rdflib graph (the rdflib path only)."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, URIRef

from dvtkg.cases.store import FactStore, Lit


def to_term(o: object) -> URIRef | BNode | Literal:
    if isinstance(o, Lit):
        if isinstance(o.value, bool) or (isinstance(o.value, str) and not o.datatype):
            return Literal(o.value)
        return Literal(o.value, datatype=URIRef(o.datatype)) if o.datatype else Literal(o.value)
    text = str(o)
    return BNode(text[2:]) if text.startswith("_:") else URIRef(text)


def from_term(o: object) -> object:
    if isinstance(o, Literal):
        if o.language:
            return Lit(str(o), "@" + o.language)
        dt = str(o.datatype) if o.datatype is not None else ""
        py = o.toPython()
        if isinstance(py, Literal) or py is None:  # ill-typed or unknown datatype: keep the text
            py = str(o)
        if dt == "http://www.w3.org/2001/XMLSchema#string":
            return Lit(str(o), dt)
        return Lit(py, dt)
    if isinstance(o, BNode):
        return f"_:{o}"
    return str(o)


def store_from_graph(g: Graph) -> FactStore:
    store = FactStore()
    for s, p, o in g:
        store.add(str(from_term(s)), str(p), from_term(o))
    return store


def add_to_graph(g: Graph, triples: list[tuple[str, str, object]]) -> None:
    for s, p, o in triples:
        g.add((to_term(s), URIRef(p), to_term(o)))


def remove_from_graph(g: Graph, triples: list[tuple[str, str, object]]) -> None:
    for s, p, o in triples:
        g.remove((to_term(s), URIRef(p), to_term(o)))


def sync_graph(g: Graph, before: FactStore, after: FactStore) -> None:
    """Apply to ``g`` what the case rules changed between two states of its store."""
    old, new = set(before), set(after)
    remove_from_graph(g, [t for t in before if t not in new])
    add_to_graph(g, [t for t in after if t not in old])


def store_to_graph(store: FactStore) -> Graph:
    g = Graph()
    add_to_graph(g, list(store))
    return g
