"""FHIR input on the lean path (dvtkg.fhir.assess) gives the rdflib fast path's whole JSON.

The rdflib fast path (``Assessor(engine="fast", lean=False)``) reads a Bundle through the
case graph; the lean path reads the conversion's case sheet into the fact store. Both add the
same things for FHIR input: the contradictions between resources as data conflicts (before the
sheet's own), ``unmapped`` and ``provenance``. Compared on every FHIR file in tests/fixtures/fhir
and on hand-written bundles whose resources contradict each other.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from project_paths import FIXTURES, ROOT

pytest.importorskip("fhir.resources")

from dvtkg.assessment.pipeline import Assessor  # noqa: E402
from dvtkg.guidance.knowledge import KnowledgeBase  # noqa: E402

AT = dt.date(2026, 12, 2)
FHIR_FILES = sorted((FIXTURES / "fhir").rglob("*.json"))
SEED_BUNDLE = FIXTURES / "fhir" / "cases" / "seed-massive-bilateral-dvt.json"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SCT = "http://snomed.info/sct"
LNC = "http://loinc.org"
RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"
FEMORAL = [{"coding": [{"system": "https://w3id.org/dvtkg/value", "code": "vein-femoral"}]}]


def cc(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def condition(cid: str, code: dict[str, Any], verification: str = "confirmed", **extra: Any) -> dict[str, Any]:
    r = {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p"}, "code": code,
         "verificationStatus": cc("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification)}
    if verification != "refuted":
        r["clinicalStatus"] = cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "active")
    return {**r, **extra}


def bundle(*resources: dict[str, Any], gender: str = "male") -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p", "gender": gender, "birthDate": "1974-06-01"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in (patient, *resources)]}


def platelets(oid: str, value: int) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "status": "final", "code": cc(LNC, "777-3"),
            "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2026-12-01",
            "valueQuantity": {"value": value, "unit": "10*9/L", "system": "http://unitsofmeasure.org",
                              "code": "10*9/L"}}


def statement(mid: str, rxnorm: str) -> dict[str, Any]:
    return {"resourceType": "MedicationStatement", "id": mid, "status": "active",
            "subject": {"reference": "Patient/p"}, "medicationCodeableConcept": cc(RXN, rxnorm)}


LEFT_DVT = condition("dvt", cc(ICD, "I82.412"), bodySite=FEMORAL)
#: name -> (bundle, the facts of the conflict the resources give, by hand from the conversion's rules)
CONFLICTING: dict[str, tuple[dict[str, Any], list[str]]] = {
    # a confirmed and a refuted DVT of the left leg: its thrombus list unknown (docs/fhir.md, contradictions)
    "left-dvt-confirmed-and-refuted": (bundle(LEFT_DVT, condition("no", cc(ICD, "I82.402"), "refuted")),
                                       ["limbs.left.veins"]),
    # two latest platelet counts of the same day that disagree: the count stays unknown
    "two-platelet-counts": (bundle(LEFT_DVT, platelets("a", 40), platelets("b", 60)), ["labs.plateletsE9PerL"]),
    # a DOAC and a VKA both active: the current anticoagulant class stays unknown
    "two-anticoagulant-classes": (bundle(LEFT_DVT, statement("a", "1364430"), statement("w", "11289")),
                                  ["course.currentAnticoagulant"]),
}


def canonical(d: dict[str, Any]) -> str:
    """The whole document in canonical order, without the measured seconds."""
    d = dict(d)
    d["engine"] = {k: v for k, v in d["engine"].items() if not k.endswith("Seconds")}
    return json.dumps(d, sort_keys=True, ensure_ascii=False)


@pytest.fixture(scope="module")
def paths_(knowledge_base: KnowledgeBase) -> tuple[Assessor, Assessor]:
    return (Assessor(knowledge_base, engine="fast", lean=False, fhir_at=AT),
            Assessor(knowledge_base, engine="fast", fhir_at=AT))


@pytest.mark.parametrize("path", FHIR_FILES, ids=lambda p: str(p.relative_to(FIXTURES / "fhir")))
def test_lean_fhir_json_equals_the_rdflib_fast_json(paths_, path: Path) -> None:
    rdf, lean = paths_
    source = str(path.relative_to(ROOT))
    a = rdf.assess(path, source=source).to_dict()
    b = lean.assess(path, source=source).to_dict()
    assert canonical(b) == canonical(a)
    assert "unmapped" in b and "provenance" in b  # FHIR input only


@pytest.mark.parametrize("name", sorted(CONFLICTING))
def test_resource_conflicts_reach_the_lean_json_first(paths_, name: str) -> None:
    rdf, lean = paths_
    data, facts = CONFLICTING[name]
    a, b = rdf.assess(data).to_dict(), lean.assess(data).to_dict()
    assert canonical(b) == canonical(a)
    assert b["source"] == "<FHIR>"  # FHIR handed in as JSON, as on the reference engine
    assert b["dataConflicts"][0]["facts"] == facts
    assert "(FHIR: " in b["dataConflicts"][0]["message"]


def test_lean_fhir_keeps_a_sheet_conflict_after_the_resource_conflicts(paths_) -> None:
    # male and pregnant (the case contract's own data-conflict check, docs/case-format.md) plus two
    # platelet counts that disagree: the resources' conflict first, then the sheet's
    pregnancy = condition("preg", cc(SCT, "77386006"))
    data = bundle(LEFT_DVT, pregnancy, platelets("a", 40), platelets("b", 60), gender="male")
    rdf, lean = paths_
    a, b = rdf.assess(data).to_dict(), lean.assess(data).to_dict()
    assert canonical(b) == canonical(a)
    assert [c["facts"] for c in b["dataConflicts"][:1]] == [["labs.plateletsE9PerL"]]
    assert any(set(c["facts"]) == {"sex", "pregnant"} for c in b["dataConflicts"][1:])


def test_assess_conversion_on_either_path_is_the_same(paths_) -> None:
    from dvtkg.fhir.assess import read_fhir

    rdf, lean = paths_
    data = json.loads(SEED_BUNDLE.read_text(encoding="utf-8"))
    conversion = read_fhir(data, "seed", AT)
    a = rdf.assess_conversion(conversion, "seed").to_dict()
    b = lean.assess_conversion(conversion, "seed").to_dict()
    assert canonical(b) == canonical(a)
    assert b["source"] == "seed"


def test_cli_reads_a_bundle_on_the_lean_path_without_the_reasoner_or_stores() -> None:
    # the fast engine's FHIR input no longer falls back to the rdflib pipeline: no owlready2, pySHACL, pyoxigraph
    code = ("import sys, argparse, datetime; from dvtkg.commands import assess; "
            f"a = assess._assess(argparse.Namespace(case={str(SEED_BUNDLE)!r}, engine='fast', format='json', "
            "max_input_mb=10, at=datetime.date(2026, 12, 2))); "
            "print(a.case, a.source == sys.argv[1], sorted(m for m in ('owlready2', 'pyshacl', 'pyoxigraph') "
            "if m in sys.modules), 'provenance' in a.extra)")
    out = subprocess.run([sys.executable, "-c", code, str(SEED_BUNDLE)], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["fhir-seed-massive-bilateral-dvt", "True", "[]", "True"]


@pytest.mark.reasoner
@pytest.mark.slow
def test_reference_engine_still_reads_fhir(knowledge_base: KnowledgeBase, paths_) -> None:
    # `--engine reference` keeps the rdflib pipeline (HermiT + SPARQL) for FHIR: same results as the fast engine
    ref = Assessor(knowledge_base, engine="reference", fhir_at=AT)
    a = ref.assess(SEED_BUNDLE).to_dict(with_timings=False)
    b = paths_[1].assess(SEED_BUNDLE).to_dict(with_timings=False)
    assert a["engine"]["engine"] == "reference" and b["engine"]["engine"] == "fast"
    a.pop("engine"), b.pop("engine")
    assert a == b
