"""Read case facts back by case-sheet key, to explain results and name missing facts."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from dvtkg.cases.keys import KeyTable
from dvtkg.cases.vocab import DVT, SIDES
from dvtkg.lean.facts import format_value

VEIN_PREFIX = "https://w3id.org/dvtkg/value/vein-"


@dataclass
class CaseFacts:
    """The asserted (and derived) facts of one case, addressable by dotted key."""

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

    def expand(self, template: str, side: str | None) -> list[str]:
        """Concrete keys for a key template: {limb} -> the assessed limb, * -> each leg."""
        if "{limb}" in template:
            return [template.replace("{limb}", side)] if side else [template.replace("{limb}", s) for s in SIDES]
        if ".*." in template:
            return [template.replace("*", s) for s in SIDES]
        return [template]

    def value(self, key: str) -> str | None:
        """The stated or derived value of a concrete key, as text; None when unknown."""
        if key.startswith("limbs."):
            _, side, rest = key.split(".", 2)
            limb = self.limb(side)
            if limb is None:
                return None
            if rest == "veins":
                if self.graph.value(limb, DVT.imagingIncomplete) == Literal(True):
                    return None
                veins = sorted(str(v)[len(VEIN_PREFIX):] for v in self.graph.objects(limb, DVT.hasThrombusIn))
                return ", ".join(veins) if veins else "no thrombus on imaging"
            spec = self.keys.limb.get(rest)
            subject = limb
        else:
            spec = self.keys.patient.get(key)
            subject = self.patient
        if spec is None:
            return None
        v = self.graph.value(subject, spec.prop)
        if v is None and spec.flag_prop is not None and self.graph.value(subject, spec.flag_prop) == Literal(False):
            return "none"
        if v is None and key == "course.vteDaysAgo":
            ep = self.graph.value(subject, DVT.episodeDaysAgo)
            return None if ep is None else f"{_fmt(ep)} (derived by decision rule 1)"
        if v is None:
            return None
        text = _fmt(v)
        if (subject, spec.prop) in self.derived_props():
            text += " (derived)"
        return text


def _fmt(v: object) -> str:
    return format_value(v.toPython()) if isinstance(v, Literal) else str(v)
