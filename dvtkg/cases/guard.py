"""Case input is data, never knowledge: the allow-list every case graph must pass.

A case graph (from a sheet, Turtle, N-Triples, JSON-LD or a Python graph) is merged
with the knowledge base for reasoning and for the guidance queries, so one stray triple
could change what the knowledge says (``rec:X dvt:hasBlockingCriterion ...``), add an
axiom (``dvt:Patient rdfs:subClassOf ...``) or assert an outcome the reasoner should
derive (``case:patient a dvt:ActiveBleedingMet``). Rather than black-listing such
triples, only these are accepted:

- subject: one of the case's own individuals (the patient, its limbs, its coded
  diagnoses), never an IRI of the project's knowledge namespaces, of a W3C vocabulary
  or one the knowledge base describes;
- predicate: ``rdf:type`` with the individual's own case class (``owl:NamedIndividual``
  is tolerated as a mere declaration), or a case-vocabulary property (the ``dvt:caseKey``
  table of the case module, plus laterality and limbOf) whose ``rdfs:domain`` is the
  subject's class;
- object: a literal for a datatype property, a case individual of the right kind, or a
  value individual (``https://w3id.org/dvtkg/value/...``) for laterality and veins.

Anything else (``owl:imports``, an ontology header, any OWL/RDFS axiom, a criterion or
inferred class as a type) is a violation naming the triple and the rule: exit code 1.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF

from dvtkg.cases.errors import Violation
from dvtkg.cases.vocab import CASE_BASE, DVT, DVTV

CASE_CLASSES = (DVT.Patient, DVT.Limb, DVT.CodedDiagnosis)
#: IRIs under these prefixes are knowledge or vocabulary, never a case individual.
RESERVED_PREFIXES = (
    "https://w3id.org/dvtkg/",
    "http://www.w3.org/",
    "http://purl.org/",
    "http://xmlns.com/",
    "https://schema.org/",
    "http://schema.org/",
)
#: Object properties and the kind of object each takes (a case class or "value").
OBJECT_RANGES: dict[URIRef, URIRef | str] = {
    DVT.hasLimb: DVT.Limb,
    DVT.limbOf: DVT.Patient,
    DVT.hasCodedDiagnosis: DVT.CodedDiagnosis,
    DVT.laterality: "value",
    DVT.hasThrombusIn: "value",
}
MAX_SHOWN = 20


def _short(node: object) -> str:
    if isinstance(node, Literal):
        text = node.n3()
    elif isinstance(node, BNode):
        text = f"_:{node}"
    else:
        text = f"<{node}>"
    return text if len(text) <= 120 else text[:117] + "..."


def _triple(s: object, p: object, o: object) -> str:
    return f"triple {_short(s)} {_short(p)} {_short(o)}"


def is_reserved(node: object, knowledge_terms: frozenset[URIRef] = frozenset()) -> bool:
    """True for an IRI that belongs to the knowledge or a vocabulary (not the case namespace)."""
    if not isinstance(node, URIRef):
        return False
    text = str(node)
    if text.startswith(CASE_BASE):
        return False
    return text.startswith(RESERVED_PREFIXES) or node in knowledge_terms


def case_individuals(g: Graph, patient: URIRef) -> dict[object, URIRef]:
    """The case's own individuals and the case class each one is (patient, limbs, codes)."""
    found: dict[object, URIRef] = {patient: DVT.Patient}
    for limb in g.objects(patient, DVT.hasLimb):
        found.setdefault(limb, DVT.Limb)
    for limb in g.subjects(DVT.limbOf, patient):
        found.setdefault(limb, DVT.Limb)
    for code in g.objects(patient, DVT.hasCodedDiagnosis):
        found.setdefault(code, DVT.CodedDiagnosis)
    for cls in CASE_CLASSES:
        for s in g.subjects(RDF.type, cls):
            found.setdefault(s, cls)
    return found


def check_case_graph(g: Graph, patient: URIRef, properties: dict[URIRef, URIRef],
                     knowledge_terms: frozenset[URIRef] = frozenset()) -> list[Violation]:
    """Every triple of ``g`` that is not plain case data, as a violation naming it and the rule.

    ``properties`` maps each case-vocabulary property to the case class it describes
    (its ``rdfs:domain``); ``knowledge_terms`` are IRIs the knowledge base describes.
    """
    individuals = case_individuals(g, patient)
    out: list[Violation] = []
    for ind in sorted(individuals, key=str):
        if is_reserved(ind, knowledge_terms):
            out.append(Violation(f"case individual {_short(ind)}",
                                 "a case individual must not reuse a knowledge or vocabulary IRI "
                                 "(use the case namespace https://w3id.org/dvtkg/case/<id>#)"))
    for s, p, o in sorted(g, key=lambda t: tuple(str(x) for x in t)):
        rule = _rule_broken(s, p, o, individuals, properties, knowledge_terms)
        if rule:
            out.append(Violation(_triple(s, p, o), rule))
        if len(out) >= MAX_SHOWN:
            out.append(Violation("case graph", f"more triples break the rules; the first {MAX_SHOWN} are shown"))
            break
    return out


def _rule_broken(s: object, p: object, o: object, individuals: dict[object, URIRef],
                 properties: dict[URIRef, URIRef], knowledge_terms: frozenset[URIRef]) -> str | None:
    if p == OWL.imports:
        return "owl:imports is not allowed in case input (a case is data, it is never merged with other ontologies)"
    if s not in individuals:
        return ("a case graph may only describe the case's own patient, limbs and coded diagnoses; "
                "this subject is none of them (knowledge, axioms and other resources are not case data)")
    cls = individuals[s]
    if p == RDF.type:
        if o == cls or o == OWL.NamedIndividual:
            return None
        return (f"the only type a case individual may be given is its case class ({_short(cls)}); "
                "criteria and other classes are inferred by the reasoner, never asserted")
    if not isinstance(p, URIRef) or p not in properties:
        return "the predicate is not a case-vocabulary property (the dvt:caseKey table of the case module)"
    domain = properties[p]
    if domain != cls:
        return f"the property describes a {_short(domain)}, but the subject is a {_short(cls)}"
    kind = OBJECT_RANGES.get(p)
    if kind is None:
        return None if isinstance(o, Literal) else "the value of a case fact must be a literal"
    if kind == "value":
        if isinstance(o, URIRef) and str(o).startswith(str(DVTV)):
            return None
        return f"the value must be a value individual ({DVTV}...)"
    if individuals.get(o) == kind and not is_reserved(o, knowledge_terms):
        return None
    return f"the object must be one of the case's own {_short(kind)} individuals"
