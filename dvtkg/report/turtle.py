"""The assessment as RDF: the case, the inferred types and the results, one graph."""

from __future__ import annotations

from rdflib import Graph

from dvtkg.assessment.model import Assessment


def render_turtle(a: Assessment) -> str:
    if a.graph is None:
        raise ValueError("this assessment was made on the lean path, which builds no RDF: assess with "
                         "Assessor(..., lean=False) (dvtkg assess --format ttl does) to get its graph")
    g = Graph()
    g += a.graph
    g.bind("dvt", "https://w3id.org/dvtkg/ontology#")
    g.bind("dvtv", "https://w3id.org/dvtkg/value/")
    g.bind("dvtc", "https://w3id.org/dvtkg/criterion/")
    g.bind("rec", "https://w3id.org/dvtkg/rec/")
    return g.serialize(format="turtle")
