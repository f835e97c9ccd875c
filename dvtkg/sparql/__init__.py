"""SPARQL over the knowledge base: competency questions, locally or on a SPARQL 1.1 store.

- :mod:`dvtkg.sparql.params`: typed query parameters, N-Triples terms, safe VALUES binding;
- :mod:`dvtkg.sparql.local`: run a query over the knowledge base (and assessed case graphs)
  in memory with rdflib, parameters bound with ``initBindings``;
- :mod:`dvtkg.sparql.remote`: the same query on a SPARQL endpoint (SPARQLWrapper), and
  ``publish``: an atomic replace of a named graph (upload to a temporary graph, check, ``MOVE``);
- :mod:`dvtkg.sparql.results`: one result type for both, and its table / JSON / CSV forms;
- :mod:`dvtkg.sparql.server`: start an Oxigraph server (the ``oxigraph`` PyPI package).

Named graphs on a store: the knowledge base goes into :data:`KB_GRAPH` (``--graph`` changes
it); each assessed case into ``https://w3id.org/dvtkg/case/<case id>`` (:func:`case_graph_iri`).
"""

from __future__ import annotations

from urllib.parse import quote

#: the result formats of `dvtkg query` (here, without rdflib, so that building the CLI parser stays light)
FORMATS = ("table", "json", "csv")

#: The named graph the knowledge base is published into, unless ``--graph`` says otherwise.
KB_GRAPH = "https://w3id.org/dvtkg/graph/knowledge"

#: Where case graphs live: ``<CASE_GRAPH_BASE><case id>`` (the case namespace without its ``#``).
CASE_GRAPH_BASE = "https://w3id.org/dvtkg/case/"

#: The project's prefixes: accepted in ``iri`` parameter values and used to shorten IRIs in tables.
PREFIXES: dict[str, str] = {
    "rec": "https://w3id.org/dvtkg/rec/",
    "dvt": "https://w3id.org/dvtkg/ontology#",
    "dvtc": "https://w3id.org/dvtkg/criterion/",
    "dvtv": "https://w3id.org/dvtkg/value/",
    "grade": "https://w3id.org/dvtkg/grade/",
}


class SparqlError(Exception):
    """An expected error of a query or a publish (printed without a traceback, exit code 2)."""

    exit_code = 2


def case_graph_iri(case_id: str) -> str:
    """The named graph of one assessed case: ``https://w3id.org/dvtkg/case/<id>``."""
    return f"{CASE_GRAPH_BASE}{quote(case_id, safe='')}"
