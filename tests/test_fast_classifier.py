"""The fast classifier on its own: what it must conclude, written by hand from the rules.

No HermiT here (tests/test_fast_differential.py compares the two engines). Each
expectation below comes from the decision rules, not from running the code:
three states per criterion (met, not met, unknown), a thrombus list closed only when
the leg was imaged, "every limb" only when both legs are given, thresholds with the
source's comparison on both sides. Also: the compiler refuses what it cannot decide,
and the compiled form survives JSON with its hash.
"""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, XSD

from dvtkg.assessment.pipeline import Assessor
from dvtkg.cases.vocab import DVT
from dvtkg.fast.classify import FastClassifier, classify, load_or_compile
from dvtkg.fast.compile import CompiledClassifier, UnsupportedAxiom, compile_tbox

MET, NOT_MET, UNKNOWN, BOTH = "met", "not met", "unknown", "both"


@pytest.fixture(scope="module")
def assessor(fast_assessor: Assessor) -> Assessor:
    return fast_assessor  # the session's (tests/conftest.py): one knowledge base load per process


def _state(types: set[URIRef], name: str) -> str:
    met, notmet = DVT[name + "Met"] in types, DVT[name + "NotMet"] in types
    return BOTH if met and notmet else MET if met else NOT_MET if notmet else UNKNOWN


def _classify(assessor: Assessor, sheet: dict) -> tuple[dict[str, set[URIRef]], bool]:
    p = assessor._prepare({"id": "fast-test", **sheet})
    assert assessor.fast is not None
    result = classify(assessor.fast, p.graph, p.closures, p.case_iri, assessor.kb.segment_classes)
    out: dict[str, set[URIRef]] = {}
    for s, _, o in result.inferred.triples((None, RDF.type, None)):
        out.setdefault(str(s).rsplit("#", 1)[1], set()).add(o)
    return out, result.consistent


def test_limb_states_from_the_vein_list(assessor: Assessor) -> None:
    # closed list of calf veins only: DVT yes, proximal no, iliofemoral no
    # "veins": null: imaging unknown, nothing concluded either way (unknown is not false)
    # {}: imaged and clear: no DVT in this limb
    types, ok = _classify(assessor, {"limbs": {"left": {"veins": ["peroneal"]}, "right": {"veins": None}}})
    assert ok
    left, right = types["limb-left"], types["limb-right"]
    assert _state(left, "LimbAnyDvt") == MET
    assert _state(left, "LimbProximalDvt") == NOT_MET
    assert _state(left, "LimbIliofemoralDvt") == NOT_MET
    assert _state(right, "LimbAnyDvt") == UNKNOWN
    assert _state(right, "LimbProximalDvt") == UNKNOWN
    types, _ = _classify(assessor, {"limbs": {"left": {}}})
    assert _state(types["limb-left"], "LimbAnyDvt") == NOT_MET


def test_every_limb_needs_both_legs(assessor: Assessor) -> None:
    # decision rule 4 (rules version 3): a leg absent from the case was not examined and is not part of the diagnosed
    # DVT, so with only the left leg given the patient is closed to it (hasLimb max 1) and decided from it
    one, _ = _classify(assessor, {"limbs": {"left": {"veins": ["peroneal"]}}})
    assert _state(one["patient"], "ProximalDvt") == NOT_MET
    assert _state(one["patient"], "IsolatedDistalDvt") == MET
    # a leg given with "veins": null (examined, result unknown) keeps the patient-level findings open
    open_, _ = _classify(assessor, {"limbs": {"left": {"veins": ["peroneal"]}, "right": {"veins": None}}})
    assert _state(open_["patient"], "ProximalDvt") == UNKNOWN
    both, _ = _classify(assessor, {"limbs": {"left": {"veins": ["peroneal"]}, "right": {}}})
    assert _state(both["patient"], "ProximalDvt") == NOT_MET
    assert _state(both["patient"], "IsolatedDistalDvt") == MET
    # one proximal leg is enough for "proximal DVT" whatever the other leg
    prox, _ = _classify(assessor, {"limbs": {"left": {"veins": ["popliteal"]}}})
    assert _state(prox["patient"], "ProximalDvt") == MET


@pytest.mark.parametrize("crcl, expected", [(29.9, MET), (30, NOT_MET), (30.1, NOT_MET), (None, UNKNOWN)])
def test_crcl_below_30_both_sides(assessor: Assessor, crcl: float | None, expected: str) -> None:
    # "CrCl < 30": 29.9 meets it, 30 exactly does not; unknown stays unknown
    sheet: dict = {"limbs": {"left": {}}}
    if crcl is not None:
        sheet["labs"] = {"crclMlMin": crcl}
    types, _ = _classify(assessor, sheet)
    assert _state(types["patient"], "CrclBelow30") == expected


@pytest.mark.parametrize("days, expected", [(13, MET), (14, NOT_MET), (None, UNKNOWN)])
def test_symptoms_under_14_days(assessor: Assessor, days: int | None, expected: str) -> None:
    # "less than 14 days": 14 exactly does not meet it
    limb: dict = {"veins": ["femoral"]}
    if days is not None:
        limb["symptomDays"] = days
    types, _ = _classify(assessor, {"limbs": {"left": limb}})
    assert _state(types["limb-left"], "LimbSymptomsUnder14Days") == expected


def test_limb_threat_needs_proximal_thrombus_and_a_sign(assessor: Assessor) -> None:
    # decision rule on limb-threatening compromise: proximal thrombus and at least one sign
    types, _ = _classify(assessor, {"limbs": {"left": {"veins": ["common-femoral"], "signs": {"cyanosis": True}}}})
    assert _state(types["limb-left"], "LimbThreateningCompromise") == MET
    # every sign absent and pulses normal: not met; one sign unknown: unknown
    calm = {"cyanosis": False, "limbIschaemia": False, "pulses": "normal", "compartmentSyndrome": False,
            "venousGangrene": False}
    types, _ = _classify(assessor, {"limbs": {"left": {"veins": ["common-femoral"], "signs": calm}}})
    assert _state(types["limb-left"], "LimbThreateningCompromise") == NOT_MET
    partial = {k: v for k, v in calm.items() if k != "venousGangrene"}
    types, _ = _classify(assessor, {"limbs": {"left": {"veins": ["common-femoral"], "signs": partial}}})
    assert _state(types["limb-left"], "LimbThreateningCompromise") == UNKNOWN


def _tbox_with(extra: str) -> Graph:
    text = """@prefix : <http://example.org/t#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
    @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    :A a owl:Class . :B a owl:Class . :p a owl:ObjectProperty . :q a owl:ObjectProperty .
    """ + extra
    return Graph().parse(data=text, format="turtle")


@pytest.mark.parametrize("axiom, named", [
    (":p a owl:TransitiveProperty .", "TransitiveProperty"),
    (":p owl:propertyChainAxiom ( :q :q ) .", "propertyChainAxiom"),
    (":A owl:equivalentClass [ a owl:Class ; owl:oneOf ( :x :y ) ] .", "oneOf"),
    (":A rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :p ; owl:minCardinality 1 ] .", "minCardinality"),
    (":p rdfs:subPropertyOf :q .", "subPropertyOf"),
    ("[ a owl:Restriction ; owl:onProperty :p ; owl:someValuesFrom :A ] rdfs:subClassOf :B .", "general axiom"),
])
def test_compiler_refuses_what_it_cannot_decide(axiom: str, named: str) -> None:
    with pytest.raises(UnsupportedAxiom) as exc:
        compile_tbox(_tbox_with(axiom))
    assert named in str(exc.value)


def test_compiler_accepts_the_supported_fragment_and_round_trips() -> None:
    g = _tbox_with(""":C owl:equivalentClass [ a owl:Class ; owl:intersectionOf ( :A
        [ a owl:Restriction ; owl:onProperty :p ; owl:someValuesFrom :B ] ) ] .
        :A owl:disjointWith :B .""")
    compiled = compile_tbox(g)
    assert "http://example.org/t#C" in compiled.definitions
    again = CompiledClassifier.from_json(compiled.to_json())
    assert again.tbox_hash == compiled.tbox_hash == compile_tbox(g).tbox_hash
    tampered = compiled.to_json().replace("http://example.org/t#B", "http://example.org/t#Z")
    with pytest.raises(ValueError, match="hash"):
        CompiledClassifier.from_json(tampered)


def test_the_project_tbox_compiles_and_is_stamped(assessor: Assessor) -> None:
    compiled = load_or_compile(assessor.kb.owl_path)
    assert len(compiled.tbox_hash) == 64
    assert len(compiled.definitions) > 100  # every criterion's Met and NotMet class


def test_inconsistent_facts_are_reported_like_hermit(assessor: Assessor) -> None:
    # a limb cannot be a patient (disjoint classes): the same "consistent=False" HermiT's step gives
    fast = FastClassifier(load_or_compile(assessor.kb.owl_path))
    g = Graph()
    limb, patient = URIRef("https://w3id.org/dvtkg/case/x#limb-left"), URIRef("https://w3id.org/dvtkg/case/x#patient")
    g.add((patient, RDF.type, DVT.Patient))
    g.add((limb, RDF.type, DVT.Limb))
    g.add((patient, DVT.hasLimb, limb))
    assert fast.classify_graph(g, [patient, limb]) is not None
    g.add((limb, OWL.sameAs, patient))
    assert fast.classify_graph(g, [patient, limb]) is None
    # two values of a functional property
    g2 = Graph()
    g2.add((patient, RDF.type, DVT.Patient))
    g2.add((patient, DVT.crclMlMin, Literal("20", datatype=XSD.decimal)))
    g2.add((patient, DVT.crclMlMin, Literal("40", datatype=XSD.decimal)))
    assert fast.classify_graph(g2, [patient]) is None


def test_assessor_says_which_engine_ran(assessor: Assessor) -> None:
    data = assessor.assess(assessor.kb.root / "examples" / "cases" / "missing-data-sparse.json").to_dict()
    assert data["engine"]["engine"] == "fast"
    assert data["engine"]["tboxHash"] == load_or_compile(assessor.kb.owl_path).tbox_hash
    with pytest.raises(ValueError, match="unknown engine"):
        Assessor(kb=assessor.kb, engine="pellet")


@pytest.mark.slow  # a CLI subprocess that loads the knowledge base (seconds each)
def test_cli_engine_option(assessor: Assessor) -> None:
    import json
    import subprocess
    import sys
    from pathlib import Path

    dvtkg = Path(sys.executable).parent / "dvtkg"
    case = assessor.kb.root / "examples" / "cases" / "missing-data-sparse.json"
    out = subprocess.run([str(dvtkg), "assess", "--engine", "fast", "--format", "json", str(case)],
                         capture_output=True, text=True, timeout=600, cwd=assessor.kb.root)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["engine"]["engine"] == "fast"
    bad = subprocess.run([str(dvtkg), "assess", "--engine", "pellet", str(case)], capture_output=True, text=True,
                         timeout=600, cwd=assessor.kb.root)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_legs_not_said_different_are_different_when_they_cannot_be_the_same(assessor: Assessor) -> None:
    # OWL has no unique names: without owl:AllDifferent two legs might be one leg, and then
    # "every limb" is not known. With different symptom durations (a functional property)
    # they cannot be the same leg, so with at most two limbs both legs are all the limbs:
    # calf-only thrombus on each -> no proximal DVT in any limb (isolated distal DVT rule).
    from dvtkg.reason import _subjects, reasoner_case_graph

    def graph(days_right: int):
        sheet = {"id": "no-unique-names", "limbs": {"left": {"veins": ["peroneal"], "symptomDays": 3},
                                                     "right": {"veins": ["soleal"], "symptomDays": days_right}}}
        p = assessor._prepare(sheet)
        g = reasoner_case_graph(p.graph, p.closures, assessor.kb.segment_classes, p.case_iri)
        for node in list(g.subjects(RDF.type, OWL.AllDifferent)):
            g.remove((node, None, None))
        return g, _subjects(p.graph)

    assert assessor.fast is not None
    g, subjects = graph(days_right=5)
    inferred = assessor.fast.classify_graph(g, subjects)
    assert inferred is not None
    patient = next(s for s in subjects if str(s).endswith("#patient"))
    assert _state(set(inferred.objects(patient, RDF.type)), "ProximalDvt") == NOT_MET
    # same duration: still two legs, as one leg cannot have a soleal thrombus and a
    # thrombus list closed to the peroneal vein
    g, subjects = graph(days_right=3)
    inferred = assessor.fast.classify_graph(g, subjects)
    assert inferred is not None
    assert _state(set(inferred.objects(patient, RDF.type)), "ProximalDvt") == NOT_MET
