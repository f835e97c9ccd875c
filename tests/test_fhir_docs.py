"""docs/fhir.md lists every code mapping of the codes module (the ontology is the source of truth)."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Namespace
from rdflib.namespace import RDF

DVT = Namespace("https://w3id.org/dvtkg/ontology#")


def test_every_code_mapping_is_listed_in_docs(project_root: Path) -> None:
    g = Graph().parse(project_root / "ontology" / "modules" / "codes.ttl")
    doc = (project_root / "docs" / "fhir.md").read_text(encoding="utf-8")
    names = [str(m).rsplit("/", 1)[-1] for m in g.subjects(RDF.type, DVT.CodeMapping)]
    assert names
    missing = [n for n in names if f"`dvtm:{n}`" not in doc]
    assert not missing, f"code mappings missing from docs/fhir.md: {missing}"
