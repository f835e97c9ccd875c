"""Reasoner sanity: the built ontology is consistent, and cases land on the right side of each threshold.

Two parts:

1. The whole built ontology (``build/dvtkg.owl``, written by ``dvtkg.kb.build.build``)
   is loaded into a fresh owlready2 World with the network cut off and classified
   once by HermiT (module-scoped: ~20 s): it must be consistent, and the key defined
   criterion classes must be satisfiable.
2. Hand-written case sheets (the JSON contract of docs/case-format.md) go through the
   project's own pipeline (sheet_to_graph -> derive_facts -> vein_closures ->
   the reasoner case graph) and every criterion checked is read as a three-valued state
   from the inferred types: "met" (in <Name>Met only), "not met" (in <Name>NotMet only) or
   "unknown" (in neither). Each case packs several boundaries (one patient, two limbs).
   Both classifiers must meet every hand-written expectation: HermiT, kept warm for the
   session (a fraction of a second a case instead of a JVM start each), and the fast one.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from typing import Any

import owlready2
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from dvtkg import reason
from dvtkg.cases.derive import derive_facts
from dvtkg.cases.sheet import sheet_to_graph
from dvtkg.cases.vocab import CASE_BASE, DVT, limb_iri, patient_iri
from dvtkg.guidance.knowledge import KnowledgeBase
from dvtkg.kb.build import build

# HermiT through owlready2: the whole ontology, and the threshold cases
pytestmark = [pytest.mark.reasoner, pytest.mark.slow]

MET, NOT_MET, UNKNOWN = "met", "not met", "unknown"

# ---------------------------------------------------------------- 1. the whole ontology

KEY_DEFINED_CLASSES = (
    "LimbThreateningCompromiseMet", "LimbThreateningCompromiseNotMet",
    "IsolatedDistalDvtMet", "IsolatedDistalDvtNotMet",
    "LimbIliofemoralDvtMet", "LimbIliofemoralDvtNotMet",
    "LimbProximalDvtMet", "LimbProximalDvtNotMet",
    "CrclBelow30Met", "CrclBelow30NotMet", "Crcl15To50Met", "Crcl15To50NotMet",
    "PlateletsBelow50Met", "PlateletsAtLeast50Met", "PlateletsAbove50NotMet",
    "AcuteVteMet", "AcuteVteNotMet", "PregnantMet", "PregnantNotMet",
)


@dataclass
class ReasonedOntology:
    world: owlready2.World
    error: Exception | None


@pytest.fixture(scope="module")
def full_ontology():
    """The built ontology, classified once by HermiT in a fresh World, offline."""
    owl_path = build().owl

    def _no_network(*args: Any, **kwargs: Any):
        raise AssertionError(f"owlready2 tried to fetch {args[0] if args else '?'} while loading {owl_path}")

    world = owlready2.World()
    saved_memory = owlready2.reasoning.JAVA_MEMORY
    owlready2.reasoning.JAVA_MEMORY = 2000  # the whole ontology, nominals included, needs more than a case
    error: Exception | None = None
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(urllib.request, "urlopen", _no_network)
            onto = world.get_ontology(owl_path.resolve().as_uri()).load()
        assert not onto.imported_ontologies, f"{owl_path} still imports {onto.imported_ontologies}"
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            error = exc
        yield ReasonedOntology(world, error)
    finally:
        owlready2.reasoning.JAVA_MEMORY = saved_memory
        world.close()


def test_built_ontology_is_consistent(full_ontology):
    assert full_ontology.error is None, f"HermiT finds build/dvtkg.owl inconsistent: {full_ontology.error}"


@pytest.mark.parametrize("name", KEY_DEFINED_CLASSES)
def test_key_defined_class_is_satisfiable(full_ontology, name):
    if full_ontology.error is not None:
        pytest.fail("the ontology is inconsistent, so no class can be checked")
    cls = full_ontology.world[f"{DVT}{name}"]
    assert cls is not None, f"dvt:{name} is not in the built ontology"
    assert owlready2.Nothing not in cls.equivalent_to, f"dvt:{name} is unsatisfiable (equivalent to owl:Nothing)"
    assert cls not in set(full_ontology.world.inconsistent_classes()), f"dvt:{name} is unsatisfiable"


def test_no_named_class_is_unsatisfiable(full_ontology):
    if full_ontology.error is not None:
        pytest.fail("the ontology is inconsistent, so no class can be checked")
    bad = sorted(c.iri for c in full_ontology.world.inconsistent_classes() if c is not owlready2.Nothing)
    assert not bad, f"unsatisfiable classes: {bad}"


# ---------------------------------------------------------------- 2. cases at the boundaries

SIGNS_ALL_NEGATIVE = {"cyanosis": False, "limbIschaemia": False, "pulses": "normal",
                      "compartmentSyndrome": False, "venousGangrene": False}

CASES: dict[str, dict[str, Any]] = {
    # below / at the lower side of each threshold; female, pregnant false
    "rs-low": {
        "id": "rs-low", "sex": "female", "pregnant": False,
        "labs": {"crclMlMin": 29.9, "plateletsE9PerL": 49},
        "course": {"vteDaysAgo": 30},
        "limbs": {
            "left": {"veins": ["femoral", "popliteal"], "symptomDays": 13, "signs": {"cyanosis": True}},
            "right": {"veins": ["posterior-tibial"], "symptomDays": 21},
        },
    },
    # exactly at / just above each threshold; female, pregnant unknown
    "rs-at": {
        "id": "rs-at", "sex": "female",
        "labs": {"crclMlMin": 30, "plateletsE9PerL": 50},
        "course": {"vteDaysAgo": 31},
        "limbs": {
            "left": {"veins": ["femoral"], "symptomDays": 14, "signs": SIGNS_ALL_NEGATIVE},
            "right": {"veins": ["popliteal"], "symptomDays": 22, "signs": {"cyanosis": False}},
        },
    },
    # male, pregnant unknown; both legs imaged with calf thrombus only
    "rs-above": {
        "id": "rs-above", "sex": "male",
        "labs": {"crclMlMin": 30.1, "plateletsE9PerL": 50.1},
        "limbs": {
            "left": {"veins": ["posterior-tibial"]},
            "right": {"veins": ["peroneal", "soleal"]},
        },
    },
    # only one leg described (the other is unknown)
    "rs-crcl-15": {
        "id": "rs-crcl-15", "sex": "female", "pregnant": True,
        "labs": {"crclMlMin": 15},
        "limbs": {"left": {"veins": ["anterior-tibial"]}},
    },
    # a leg given with its vein list unknown (veins: null)
    "rs-crcl-14.9": {
        "id": "rs-crcl-14.9",
        "labs": {"crclMlMin": 14.9},
        "limbs": {"left": {"veins": None}},
    },
    # a leg imaged with no thrombus (no "veins" key)
    "rs-crcl-50": {
        "id": "rs-crcl-50",
        "labs": {"crclMlMin": 50},
        "limbs": {"right": {"symptomDays": 3}},
    },
    "rs-crcl-50.1": {
        "id": "rs-crcl-50.1",
        "labs": {"crclMlMin": 50.1},
    },
}


@dataclass(frozen=True)
class Expect:
    case: str
    subject: str  # "patient", "left" or "right"
    criterion: str  # dvt:<criterion>Met / dvt:<criterion>NotMet
    state: str
    boundary: str

    @property
    def id(self) -> str:
        return f"{self.case}-{self.subject}-{self.criterion}-{self.state.replace(' ', '')}"


EXPECTATIONS = [
    # creatinine clearance: below 30 (exclusive), at most 30 (inclusive), 15 to 50 (both inclusive)
    Expect("rs-low", "patient", "CrclBelow30", MET, "crclMlMin 29.9 is below 30"),
    Expect("rs-at", "patient", "CrclBelow30", NOT_MET, "crclMlMin 30 exactly is not below 30"),
    Expect("rs-above", "patient", "CrclBelow30", NOT_MET, "crclMlMin 30.1 is not below 30"),
    Expect("rs-low", "patient", "CrclAtMost30", MET, "crclMlMin 29.9 is at most 30"),
    Expect("rs-at", "patient", "CrclAtMost30", MET, "crclMlMin 30 exactly is at most 30"),
    Expect("rs-above", "patient", "CrclAtMost30", NOT_MET, "crclMlMin 30.1 is above 30"),
    Expect("rs-crcl-14.9", "patient", "Crcl15To50", NOT_MET, "crclMlMin 14.9 is below 15"),
    Expect("rs-crcl-15", "patient", "Crcl15To50", MET, "crclMlMin 15 exactly is in 15-50"),
    Expect("rs-crcl-50", "patient", "Crcl15To50", MET, "crclMlMin 50 exactly is in 15-50"),
    Expect("rs-crcl-50.1", "patient", "Crcl15To50", NOT_MET, "crclMlMin 50.1 is above 50"),
    # platelets: below 50 (exclusive), at least 50 (inclusive), above 50 (exclusive)
    Expect("rs-low", "patient", "PlateletsBelow50", MET, "platelets 49 are below 50"),
    Expect("rs-at", "patient", "PlateletsBelow50", NOT_MET, "platelets 50 exactly are not below 50"),
    Expect("rs-low", "patient", "PlateletsAtLeast50", NOT_MET, "platelets 49 are not at least 50"),
    Expect("rs-at", "patient", "PlateletsAtLeast50", MET, "platelets 50 exactly are at least 50"),
    Expect("rs-at", "patient", "PlateletsAbove50", NOT_MET, "platelets 50 exactly are not above 50"),
    Expect("rs-above", "patient", "PlateletsAbove50", MET, "platelets 50.1 are above 50"),
    Expect("rs-crcl-50.1", "patient", "PlateletsBelow50", UNKNOWN,
           "platelets not given: unknown, never read as a value"),
    # symptom days on a limb: under 14 (exclusive), AHA acute 21 or fewer (inclusive)
    Expect("rs-low", "left", "LimbSymptomsUnder14Days", MET, "symptomDays 13 is under 14"),
    Expect("rs-at", "left", "LimbSymptomsUnder14Days", NOT_MET, "symptomDays 14 exactly is not under 14"),
    Expect("rs-low", "right", "LimbAcuteAha", MET, "symptomDays 21 exactly is acute for AHA (21 or fewer)"),
    Expect("rs-at", "right", "LimbAcuteAha", NOT_MET, "symptomDays 22 is chronic for AHA (more than 21)"),
    Expect("rs-low", "left", "LimbAcuteAha", MET, "symptomDays 13 is acute for AHA"),
    Expect("rs-low", "right", "LimbSymptomsUnder14Days", NOT_MET, "symptomDays 21 is not under 14 (limbs kept apart)"),
    # days since the VTE was diagnosed: acute is 30 or fewer
    Expect("rs-low", "patient", "AcuteVte", MET, "course.vteDaysAgo 30 exactly is acute (30 or fewer)"),
    Expect("rs-at", "patient", "AcuteVte", NOT_MET, "course.vteDaysAgo 31 is not acute"),
    # pregnancy: unknown is not false; a male is not pregnant
    Expect("rs-low", "patient", "Pregnant", NOT_MET, "female with pregnant false"),
    Expect("rs-at", "patient", "Pregnant", UNKNOWN, "female with pregnant unknown (no triple)"),
    Expect("rs-above", "patient", "Pregnant", NOT_MET, "male with pregnant unknown"),
    Expect("rs-crcl-15", "patient", "Pregnant", MET, "female with pregnant true"),
    Expect("rs-crcl-14.9", "patient", "Pregnant", UNKNOWN, "sex and pregnant both unknown"),
    # vein lists: closed when imaged, open when veins is null
    Expect("rs-low", "left", "LimbProximalDvt", MET, "veins [femoral, popliteal] hold proximal thrombus"),
    Expect("rs-low", "left", "LimbIliofemoralDvt", NOT_MET,
           "closed veins [femoral, popliteal] hold no iliofemoral thrombus"),
    Expect("rs-low", "right", "LimbProximalDvt", NOT_MET,
           "closed veins [posterior-tibial] (calf only) hold no proximal thrombus"),
    Expect("rs-crcl-15", "left", "LimbProximalDvt", NOT_MET,
           "closed veins [anterior-tibial] (calf only) hold no proximal thrombus"),
    Expect("rs-crcl-14.9", "left", "LimbIliofemoralDvt", UNKNOWN,
           "veins null (imagingIncomplete): iliofemoral unknown"),
    Expect("rs-crcl-14.9", "left", "LimbProximalDvt", UNKNOWN, "veins null (imagingIncomplete): proximal unknown"),
    Expect("rs-crcl-50", "right", "LimbAnyDvt", NOT_MET, "a limb without a veins key was imaged with no thrombus"),
    Expect("rs-crcl-50", "right", "LimbProximalDvt", NOT_MET, "a limb without a veins key has no proximal thrombus"),
    # isolated distal DVT needs every leg known
    Expect("rs-above", "patient", "IsolatedDistalDvt", MET, "both legs imaged, calf thrombus only (closed lists)"),
    Expect("rs-crcl-15", "patient", "IsolatedDistalDvt", UNKNOWN, "one leg calf-only, the other leg not described"),
    Expect("rs-low", "patient", "IsolatedDistalDvt", NOT_MET, "one leg has proximal thrombus"),
    # limb-threatening compromise
    Expect("rs-low", "left", "LimbThreateningCompromise", MET, "proximal thrombus with cyanosis true"),
    Expect("rs-at", "left", "LimbThreateningCompromise", NOT_MET,
           "proximal thrombus with cyanosis, limbIschaemia, compartmentSyndrome, venousGangrene false "
           "and pulses normal"),
    Expect("rs-at", "right", "LimbThreateningCompromise", UNKNOWN,
           "proximal thrombus with only cyanosis false (other signs unknown)"),
    Expect("rs-above", "left", "LimbThreateningCompromise", NOT_MET, "no proximal thrombus (closed calf-only list)"),
]


@dataclass
class CaseResult:
    classification: reason.Classification
    subjects: dict[str, URIRef]

    def types(self, subject: str) -> set[URIRef]:
        return set(self.classification.inferred.objects(self.subjects[subject], RDF.type))


@pytest.fixture(scope="module")
def kb(knowledge_base: KnowledgeBase) -> KnowledgeBase:
    return knowledge_base  # loaded once per session (tests/conftest.py)


ENGINES = ("hermit", "fast")


def classify_sheet(kb: KnowledgeBase, sheet: dict[str, Any], classifier: Any) -> CaseResult:
    """The project's pipeline from case sheet to inferred types: the reasoner case graph
    (reason.reasoner_case_graph, what reason.classify hands HermiT) classified by the session's warm
    HermiT (shown equal to the owlready2 path by tests/test_fast_differential.py) or the fast classifier."""
    case_id = sheet["id"]
    graph, violations = sheet_to_graph(sheet, kb.keys)
    assert not violations, f"case sheet {case_id} is not valid: {violations}"
    derive_facts(graph)
    closures = reason.vein_closures(graph, set())
    reasoner_graph = reason.reasoner_case_graph(graph, closures, kb.segment_classes, f"{CASE_BASE}{case_id}")
    inferred = classifier.classify_graph(reasoner_graph, reason._subjects(graph))
    result = reason.Classification(Graph() if inferred is None else inferred, consistent=inferred is not None)
    subjects = {"patient": patient_iri(case_id), "left": limb_iri(case_id, "left"), "right": limb_iri(case_id, "right")}
    return CaseResult(result, subjects)


@pytest.fixture(scope="module")
def classified(kb, warm_hermit):
    """Each case classified at most once per engine, on first use."""
    from dvtkg.fast.classify import FastClassifier, load_or_compile

    engines = {"hermit": warm_hermit, "fast": FastClassifier(load_or_compile(kb.owl_path))}
    cache: dict[tuple[str, str], CaseResult] = {}

    def get(case_id: str, engine: str) -> CaseResult:
        if (case_id, engine) not in cache:
            cache[case_id, engine] = classify_sheet(kb, CASES[case_id], engines[engine])
        return cache[case_id, engine]

    return get


def _state(types: set[URIRef], criterion: str) -> str:
    met, not_met = DVT[f"{criterion}Met"] in types, DVT[f"{criterion}NotMet"] in types
    if met and not_met:
        return "both (data conflict)"
    return MET if met else NOT_MET if not_met else UNKNOWN


def _short(types: set[URIRef]) -> str:
    return ", ".join(sorted(str(t).rsplit("#", 1)[-1] for t in types if str(t).endswith("Met")))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case_id", sorted(CASES))
def test_case_is_consistent(classified, case_id, engine):
    assert classified(case_id, engine).classification.consistent, f"case {case_id} is inconsistent ({engine})"


def test_criterion_classes_used_exist(kb):
    missing = sorted({f"dvt:{e.criterion}{suffix}" for e in EXPECTATIONS for suffix in ("Met", "NotMet")
                      if (DVT[f"{e.criterion}{suffix}"], None, None) not in kb.graph})
    assert not missing, f"criterion classes missing from the knowledge base: {missing}"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("expect", EXPECTATIONS, ids=lambda e: e.id)
def test_boundary(classified, expect: Expect, engine: str):
    result = classified(expect.case, engine)
    assert result.classification.consistent, f"case {expect.case} is inconsistent; cannot check {expect.boundary}"
    types = result.types(expect.subject)
    got = _state(types, expect.criterion)
    assert got == expect.state, (
        f"boundary failed: {expect.boundary} -> dvt:{expect.criterion} expected {expect.state}, got {got} "
        f"({engine}, case {expect.case}, {expect.subject}; inferred: {_short(types) or 'none'})"
    )
