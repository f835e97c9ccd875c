"""Read case facts back by case-sheet key, to explain results and name missing facts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from dvtkg.cases.keys import KeyTable
from dvtkg.cases.vocab import DVT, SIDES
from dvtkg.lean.facts import KeyedFacts, format_value


@dataclass
class CaseFacts(KeyedFacts):
    """The asserted (and derived) facts of one case, addressable by dotted key (read by ``KeyedFacts``)."""

    graph: Graph
    patient: URIRef
    keys: KeyTable
    inferred: Graph

    def in_class(self, cls: URIRef) -> bool:
        """Whether the patient or a limb was classified into ``cls``."""
        return any(True for _ in self.inferred.subjects(RDF.type, cls))

    def holds(self, subject: URIRef, cls: URIRef) -> bool:
        """Whether this one subject (the patient or a limb) was classified into ``cls``."""
        return (subject, RDF.type, cls) in self.inferred

    def limb(self, side: str) -> URIRef | None:
        for limb in self.graph.objects(self.patient, DVT.hasLimb):
            lat = self.graph.value(limb, DVT.laterality)
            if lat is not None and str(lat).endswith("/" + side):
                return limb
        return None

    def sides(self) -> list[str]:
        return [s for s in SIDES if self.limb(s) is not None]

    def derived_props(self) -> set[tuple[URIRef, URIRef]]:
        out = set()
        for node in self.graph.subjects(RDF.type, DVT.Derivation):
            subj, prop = self.graph.value(node, DVT.derivedFor), self.graph.value(node, DVT.derivedProperty)
            if isinstance(subj, URIRef) and isinstance(prop, URIRef):
                out.add((subj, prop))
        return out

    def _one(self, subject: Any, prop: str) -> Any:
        return self.graph.value(subject, URIRef(prop))

    def _all(self, subject: Any, prop: str) -> list[Any]:
        return list(self.graph.objects(subject, URIRef(prop)))

    def _is(self, v: Any, flag: bool) -> bool:
        return v == Literal(flag)

    def _show(self, v: Any) -> str:
        return _fmt(v)


def _fmt(v: object) -> str:
    return format_value(v.toPython()) if isinstance(v, Literal) else str(v)
