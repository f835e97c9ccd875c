"""An OWL inconsistency of a case is reported as a data conflict naming the facts, not a crash.

The case shapes and the data-conflict checks catch every contradiction the contract
names before reasoning, so the knowledge base itself admits no inconsistent
well-formed case today. To test the mechanism, the reasoner TBox gets one extra
axiom (a patient who is male and pregnant is impossible) and the pre-reasoning check
is bypassed by classifying the case graph directly.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF

from dvtkg.assessment.pipeline import Assessor
from dvtkg.cases.derive import derive_facts
from dvtkg.cases.sheet import sheet_to_graph
from dvtkg.cases.vocab import DVT
from dvtkg.reason import classify, vein_closures

# HermiT through owlready2 on a strict TBox the fast compiler refuses (owl:Nothing)
pytestmark = [pytest.mark.reasoner, pytest.mark.slow]

SHEET = {"id": "inconsistent", "sex": "male", "pregnant": True, "age": 40,
         "limbs": {"left": {"veins": ["popliteal"], "symptomDays": 3}}}


def _restriction(g: Graph, prop, value) -> BNode:
    r = BNode()
    g.add((r, RDF.type, OWL.Restriction))
    g.add((r, OWL.onProperty, prop))
    g.add((r, OWL.hasValue, value))
    return r


@pytest.fixture(scope="module")
def strict_assessor(tmp_path_factory: pytest.TempPathFactory, knowledge_base) -> Assessor:
    tbox = Graph().parse(knowledge_base.owl_path, format="xml")
    cls, lst = BNode(), BNode()
    Collection(tbox, lst, [DVT.Patient, _restriction(tbox, DVT.sex, Literal("male")),
                           _restriction(tbox, DVT.pregnant, Literal(True))])
    tbox.add((cls, RDF.type, OWL.Class))
    tbox.add((cls, OWL.intersectionOf, lst))
    tbox.add((cls, OWL.equivalentClass, OWL.Nothing))
    path = tmp_path_factory.mktemp("tbox") / "strict.owl"
    tbox.serialize(path, format="xml")
    # the reference engine: the fast compiler refuses this TBox (owl:Nothing), HermiT decides it
    return Assessor(dataclasses.replace(knowledge_base, owl_path=Path(path)), engine="reference")


def test_inconsistent_case_names_the_facts(strict_assessor: Assessor) -> None:
    g, violations = sheet_to_graph(SHEET, strict_assessor.kb.keys)
    assert not violations
    derive_facts(g)
    closures = vein_closures(g, set())
    iri = "https://w3id.org/dvtkg/case/inconsistent"
    patient = next(g.subjects(RDF.type, DVT.Patient))
    first = classify(strict_assessor.kb.owl_path, g, closures, iri, strict_assessor.kb.segment_classes)
    assert not first.consistent
    result, conflict = strict_assessor._explain_inconsistency(g, patient, closures, iri)
    assert result.consistent
    assert set(conflict.facts) == {"sex", "pregnant"}
    assert "inconsistent" in conflict.message
    # the contradicted facts are gone (unknown), the rest is still classified
    assert g.value(patient, DVT.pregnant) is None and g.value(patient, DVT.sex) is None
    assert (patient, RDF.type, DVT.ProximalDvtMet) in result.inferred
