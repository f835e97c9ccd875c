"""FHIR R4 -> case sheet (dvtkg.fhir): mappings, unknowns, conflicts, units, bad input, and same assessments.

Expectations are written by hand from the resources in each test and from the case
contract (docs/case-format.md) and the decision rules named in the comments; the
example bundles in tests/fixtures/fhir/cases restate example case sheets as FHIR and
must give the same statuses as those sheets (fast engine).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from project_paths import ROOT

from dvtkg.fhir.codes import intervention_for_coding, load_tables
from dvtkg.fhir.convert import CASE_FACTS_QUESTIONNAIRE, as_bundle, bundle_to_case, resources_to_case
from dvtkg.fhir.errors import FhirInputError
from dvtkg.fhir.units import UnitError, convert

FIXTURES = ROOT / "tests" / "fixtures" / "fhir"
EXTERNAL = FIXTURES / "external"
AT = dt.date(2026, 12, 2)
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SCT = "http://snomed.info/sct"
LNC = "http://loinc.org"
RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
DVT = "https://w3id.org/dvtkg/ontology#"
EXAMPLE_BUNDLES = ["seed-massive-bilateral-dvt", "renal-creatinine-only", "pregnancy-proximal-dvt",
                   "cancer-luminal-gi", "recurrence-on-doac", "suspected-hit-crcl-40"]


# ---------------------------------------------------------------- small builders (test inputs, not expectations)
def cc(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def patient(gender: str = "male", birth: str = "1974-06-01", pid: str = "p") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "gender": gender, "birthDate": birth}


def condition(cid: str, code: dict[str, Any], verification: str = "confirmed", clinical: str | None = "active",
              **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p"}, "code": code,
                         "verificationStatus": cc("http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                                  verification)}
    if clinical is not None:
        r["clinicalStatus"] = cc("http://terminology.hl7.org/CodeSystem/condition-clinical", clinical)
    r.update(extra)
    return r


def observation(oid: str, loinc: str, value: float | None, unit: str | None, when: str = "2026-12-01",
                status: str = "final", **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"resourceType": "Observation", "id": oid, "status": status, "code": cc(LNC, loinc),
                         "subject": {"reference": "Patient/p"}, "effectiveDateTime": when}
    if value is not None:
        r["valueQuantity"] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
    r.update(extra)
    return r


def med(mid: str, rxnorm: str, status: str = "active", kind: str = "MedicationStatement") -> dict[str, Any]:
    r: dict[str, Any] = {"resourceType": kind, "id": mid, "status": status, "subject": {"reference": "Patient/p"},
                         "medicationCodeableConcept": cc(RXN, rxnorm)}
    if kind == "MedicationRequest":
        r["intent"] = "order"
    return r


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def convert_all(*resources: dict[str, Any]):
    return bundle_to_case(bundle(*resources), at=AT, source="test")


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the example bundles assess as their sheets
@pytest.fixture(scope="module")
def assessor(knowledge_base):
    from dvtkg.assessment.pipeline import Assessor

    return Assessor(knowledge_base, engine="fast", fhir_at=AT)  # the session's knowledge base, loaded once


def _statuses(a) -> dict[tuple[str, str | None], str]:
    return {(r.id, r.limb): r.status for r in a.recommendations}


@pytest.mark.parametrize("name", EXAMPLE_BUNDLES)
def test_example_bundle_gives_the_same_assessment_as_its_sheet(assessor, name: str) -> None:
    from_sheet = assessor.assess(ROOT / "examples" / "cases" / f"{name}.json")
    from_fhir = assessor.assess(FIXTURES / "cases" / f"{name}.json")
    assert _statuses(from_fhir) == _statuses(from_sheet)
    assert [x["id"] for x in from_fhir.alerts] == [x["id"] for x in from_sheet.alerts]
    assert from_fhir.data_conflicts == from_sheet.data_conflicts == []
    out = from_fhir.to_dict(with_timings=False)
    assert "unmapped" in out and "provenance" in out  # only for FHIR input
    assert "unmapped" not in from_sheet.to_dict(with_timings=False)


def test_seed_bundle_names_where_each_fact_came_from() -> None:
    conv = bundle_to_case(load(FIXTURES / "cases" / "seed-massive-bilateral-dvt.json"), at=AT)
    sheet = conv.sheet
    # the two DVT Conditions list their segments in bodySite: the legs' thrombus lists (closed, docs/case-format.md)
    assert sheet["limbs"]["left"]["veins"] == ["common-iliac", "external-iliac", "common-femoral", "femoral",
                                               "popliteal"]
    assert sheet["limbs"]["right"]["veins"] == ["external-iliac", "common-femoral", "femoral", "popliteal"]
    assert sheet["limbs"]["left"]["symptomDays"] == 2  # onset 2026-11-30, reference date 2026-12-02
    assert sheet["course"]["vteDaysAgo"] == 2          # recordedDate 2026-11-30
    assert sheet["labs"]["plateletsE9PerL"] == 230      # 230 10*3/uL
    assert sheet["pe"]["systolicBpMmHg"] == 128         # a component of the blood-pressure panel
    assert sheet["pe"]["present"] is False              # a refuted pulmonary embolism
    assert conv.provenance["limbs.left.veins"] == ["Condition/dvt-left"]
    assert conv.provenance["labs.plateletsE9PerL"] == ["Observation/platelets (2026-12-01T08:00:00Z)"]
    assert any(u["resource"] == "Observation/bp" and u["path"] == "component[1].code" for u in conv.unmapped)


# ---------------------------------------------------------------- external bundles: converted, what they lack unknown
@pytest.mark.parametrize("path", sorted((EXTERNAL / "ecqm-cms108-vte-testcases").glob("*.json"))
                         + sorted((EXTERNAL / "synthea-r4-smart-sample").glob("*.json")), ids=lambda p: p.name[:20])
def test_external_bundles_convert_without_error(path: Path) -> None:
    conv = bundle_to_case(load(path), at=AT, source=path.name)
    assert conv.sheet["sex"] in ("male", "female")
    assert "limbs" in conv.unknown  # none of them records a leg DVT
    assert "course.thrombusRemovalDone" in conv.unknown
    assert conv.unmapped


def test_cms108_pulmonary_embolism_without_status_stays_unknown() -> None:
    # the Condition codes a PE but gives neither clinicalStatus nor verificationStatus: not read as confirmed
    path = EXTERNAL / "ecqm-cms108-vte-testcases" / "tests-23f1ece5-35ea-4446-8305-f6f023dfb1a3-bundle.json"
    conv = bundle_to_case(load(path), at=AT)
    assert "pe" not in conv.sheet
    assert "pe.present" in conv.unknown
    assert any(u["resource"] == "Condition/e35982f9-747b-44ce-b312-be6d8951ebe1" for u in conv.unmapped)
    assert conv.sheet["age"] == 59  # born 1967-12-01: 59 on 2026-12-02
    assert conv.sheet["sex"] == "male"


def test_synthea_warfarin_order_is_a_current_vka() -> None:
    path = EXTERNAL / "synthea-r4-smart-sample" / "Max_Dicki_d9f8849f-e4a7-4ced-b057-c618db16a117.json"
    conv = bundle_to_case(load(path), at=AT)
    assert conv.sheet["course"]["currentAnticoagulant"] == "vka"  # RxNorm 855332, a warfarin tablet (VSAC Warfarin)
    assert conv.provenance["course.currentAnticoagulant"][0].startswith("MedicationRequest/")
    assert "medications.pgpInhibitor" in conv.unknown  # no P-gp inhibitor listed: unknown, never false


@pytest.mark.parametrize("path", sorted((EXTERNAL / "fhir-r4-examples").glob("*.json")), ids=lambda p: p.stem)
def test_official_r4_examples_convert_without_error(path: Path) -> None:
    conv = resources_to_case([load(path)], at=AT, source=path.name)
    assert conv.sheet["id"].startswith("fhir-")
    if path.stem == "MedicinalProductIndication-example":  # an R4 type that R4B removed: listed, not refused
        assert conv.unmapped[0]["reason"].startswith("an R4 resource type that R4B removed")


# ---------------------------------------------------------------- bad FHIR: exit 1 naming the resource and the path
def _run_cli(tmp_path: Path, data: Any, *args: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from dvtkg.cli import main

    f = tmp_path / "bundle.json"
    f.write_text(json.dumps(data), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([*args, str(f)] if args[0] != "fhir" else [*args, str(f), "--at", "2026-12-02"])
    return rc, out.getvalue(), err.getvalue()


def test_invalid_resource_exit_1_names_entry_resource_and_path(tmp_path: Path) -> None:
    bad = condition("c1", cc(ICD, "I82.412"))
    bad["clinicalStatus"] = "active"  # a CodeableConcept, not a string
    rc, _, err = _run_cli(tmp_path, bundle(patient(), bad), "fhir", "to-case")
    assert rc == 1
    assert "entry[1] (Condition/c1)" in err and "clinicalStatus" in err


def test_wrong_resource_type_exit_1(tmp_path: Path) -> None:
    rc, _, err = _run_cli(tmp_path, bundle(patient(), {"resourceType": "Conditon", "id": "x"}), "fhir", "to-case")
    assert rc == 1
    assert "entry[1]" in err and "resourceType" in err and "'Conditon'" in err
    with pytest.raises(FhirInputError, match="expected 'Bundle'"):
        bundle_to_case({"resourceType": "Patient", "id": "p"})


@pytest.mark.parametrize("system", ["SNOMED", "http://snomed.info/sct/", "https://loinc.org", "ICD-10"])
def test_unknown_code_system_exit_1(tmp_path: Path, system: str) -> None:
    bad = condition("c2", {"coding": [{"system": system, "code": "128053003"}]})
    rc, _, err = _run_cli(tmp_path, bundle(patient(), bad), "fhir", "to-case")
    assert rc == 1
    assert "Condition/c2" in err and "code.coding[0].system" in err and "unknown code system" in err


def test_assess_refuses_bad_fhir_with_exit_1(tmp_path: Path) -> None:
    # the fast engine reads a Bundle on the lean path (no knowledge graph loaded): about a second
    bad = condition("c3", {"coding": [{"system": "SNOMED", "code": "128053003"}]})
    rc, _, err = _run_cli(tmp_path, bundle(patient(), bad), "assess", "--engine", "fast")
    assert rc == 1 and "Condition/c3" in err


def test_misspelt_questionnaire_key_is_refused() -> None:
    qr = {"resourceType": "QuestionnaireResponse", "id": "q", "status": "completed",
          "questionnaire": CASE_FACTS_QUESTIONNAIRE, "item": [{"linkId": "bleeding.activeBleed",
                                                               "answer": [{"valueBoolean": False}]}]}
    with pytest.raises(FhirInputError, match=r"item\[0\]\.linkId.*not a case-sheet key"):
        convert_all(patient(), qr)


def test_cli_to_case_prints_sheet_unmapped_provenance(tmp_path: Path) -> None:
    rc, out, _ = _run_cli(tmp_path, load(FIXTURES / "cases" / "recurrence-on-doac.json"), "fhir", "to-case")
    assert rc == 0
    data = json.loads(out)
    assert set(data) >= {"sheet", "unmapped", "provenance", "conflicts"}
    assert data["sheet"]["course"]["currentAnticoagulant"] == "doac"  # apixaban, RxNorm ingredient 1364430
    assert data["provenance"]["course.currentAnticoagulant"] == ["MedicationStatement/apixaban"]


# ---------------------------------------------------------------- Patient
@pytest.mark.parametrize("birth, age", [("1974-12-02", 52), ("1974-12-03", 51), ("1974-12-01", 52)])
def test_age_in_completed_years_at_the_reference_date(birth: str, age: int) -> None:
    assert convert_all(patient(birth=birth)).sheet["age"] == age


def test_partial_birth_date_that_leaves_the_age_open_is_unknown() -> None:
    conv = convert_all(patient(birth="1974"))  # 51 or 52 on 2026-12-02
    assert "age" not in conv.sheet and "age" in conv.unknown
    assert convert_all(patient(birth="1974-01")).sheet["age"] == 52  # any day of January 1974: 52


def test_gender_other_leaves_sex_unknown() -> None:
    conv = convert_all(patient(gender="other"))
    assert "sex" not in conv.sheet
    assert any(u["path"] == "gender" for u in conv.unmapped)


# ---------------------------------------------------------------- Conditions
def test_dvt_without_segments_leaves_the_leg_list_unknown() -> None:
    conv = convert_all(patient(), condition("d", cc(ICD, "I82.432"), onsetDateTime="2026-11-25"))
    # left popliteal DVT coded, but no imaging list: the leg is given with veins null (list not closed)
    assert conv.sheet["limbs"] == {"left": {"veins": None, "symptomDays": 7}}
    assert conv.sheet["codes"] == [{"system": ICD, "code": "I82.432"}]


def test_dvt_side_from_a_laterality_qualifier() -> None:
    site = [cc("https://w3id.org/dvtkg/value", "vein-popliteal"), cc(SCT, "24028007")]  # right
    conv = convert_all(patient(), condition("d", cc(SCT, "404223003"), bodySite=site))
    assert conv.sheet["limbs"] == {"right": {"veins": ["popliteal"]}}


def test_deep_thrombophlebitis_codes_of_the_vte_value_set_give_the_side() -> None:
    # I80.12 left femoral, I80.201 right deep vessels: members of VSAC 2.16.840.1.113883.3.117.1.7.1.279
    conv = convert_all(patient(), condition("a", cc(ICD, "I80.12")), condition("b", cc(ICD, "I80.201")))
    assert conv.sheet["limbs"] == {"left": {"veins": None}, "right": {"veins": None}}


def test_questionnaire_gives_a_thrombus_list_with_vein_codes() -> None:
    answers = [{"valueCoding": {"system": "https://w3id.org/dvtkg/value", "code": "vein-popliteal"}},
               {"valueString": "femoral"}]
    qr = {"resourceType": "QuestionnaireResponse", "id": "q", "status": "completed",
          "questionnaire": CASE_FACTS_QUESTIONNAIRE, "item": [
              {"linkId": "limbs.left.veins", "answer": answers},
              {"linkId": "limbs.right.veins", "answer": [{"valueString": "none"}]},
              {"linkId": "limbs.left.signs.cyanosis", "answer": [{"valueBoolean": False}]}]}
    conv = convert_all(patient(), qr)
    assert conv.sheet["limbs"] == {"left": {"veins": ["femoral", "popliteal"], "signs": {"cyanosis": False}},
                                   "right": {"veins": []}}


def test_snomed_body_structure_codes_give_iliac_segments() -> None:
    site = [cc(SCT, "46027005"), cc(SCT, "63507001")]  # common and external iliac vein structures
    conv = convert_all(patient(), condition("d", cc(ICD, "I82.422"), bodySite=site))
    assert conv.sheet["limbs"] == {"left": {"veins": ["common-iliac", "external-iliac"]}}


def test_dvt_without_any_side_is_not_placed_on_a_leg() -> None:
    conv = convert_all(patient(), condition("d", cc(ICD, "I82.409")))
    assert "limbs" not in conv.sheet
    assert any(u["resource"] == "Condition/d" and "no side" in u["reason"] for u in conv.unmapped)


def test_refuted_dvt_is_an_imaged_clear_leg() -> None:
    conv = convert_all(patient(), condition("n", cc(ICD, "I82.401"), verification="refuted", clinical=None))
    assert conv.sheet["limbs"] == {"right": {"veins": []}}


def test_confirmed_and_refuted_dvt_on_one_leg_is_a_conflict() -> None:
    femoral = [cc("https://w3id.org/dvtkg/value", "vein-femoral")]
    conv = convert_all(patient(), condition("a", cc(ICD, "I82.412"), bodySite=femoral),
                       condition("b", cc(ICD, "I82.402"), verification="refuted", clinical=None))
    assert conv.sheet["limbs"]["left"]["veins"] is None
    assert conv.conflicts[0]["facts"] == ["limbs.left.veins"]


@pytest.mark.parametrize("clinical, verification, expected", [
    ("active", "confirmed", True), ("recurrence", "confirmed", True),
    ("remission", "confirmed", None),  # cancer in remission: active or not is not read either way
    ("active", "provisional", None), (None, "refuted", False)])
def test_cancer_condition_status(clinical: str | None, verification: str, expected: bool | None) -> None:
    conv = convert_all(patient(), condition("c", cc(ICD, "C34.90"), verification=verification, clinical=clinical))
    assert conv.sheet.get("conditions", {}).get("activeCancer") == expected


def test_luminal_gi_cancer_from_icd_c18() -> None:
    conv = convert_all(patient(), condition("c", cc(ICD, "C18.7")))
    assert conv.sheet["conditions"] == {"activeCancer": True, "luminalGiCancer": True}


def test_liver_disease_needs_a_severity() -> None:
    plain = convert_all(patient(), condition("l", cc(ICD, "K74.60")))
    assert "conditions" not in plain.sheet  # severity unknown: never guessed
    severe = convert_all(patient(), condition("l", cc(ICD, "K74.60"), severity=cc(SCT, "24484000")))
    assert severe.sheet["conditions"]["liverDisease"] == "severe"
    refuted = convert_all(patient(), condition("l", cc(ICD, "K76.9"), verification="refuted", clinical=None))
    assert refuted.sheet["conditions"]["liverDisease"] == "none"


def test_hit_suspected_from_a_provisional_condition_and_aps_pe() -> None:
    conv = convert_all(patient(), condition("h", cc(ICD, "D75.82"), verification="provisional"),
                       condition("a", cc(ICD, "D68.61")), condition("p", cc(SCT, "59282003")))
    assert conv.sheet["conditions"] == {"suspectedHit": True, "antiphospholipidSyndrome": True}
    assert conv.sheet["pe"] == {"present": True}


def test_pregnancy_from_condition_observation_and_episode() -> None:
    episode = {"resourceType": "EpisodeOfCare", "id": "e", "status": "active", "type": [cc(SCT, "77386006")],
               "patient": {"reference": "Patient/p"}}
    gest = observation("g", "49051-6", 161, "d")  # 161 days = 23 completed weeks
    conv = convert_all(patient(gender="female"), episode, gest)
    assert conv.sheet["pregnant"] is True and conv.sheet["gestationWeeks"] == 23
    status = observation("s", "82810-3", None, None, valueCodeableConcept=cc(SCT, "60001007"))
    assert convert_all(patient(gender="female"), status).sheet["pregnant"] is False


def test_contradicting_pregnancy_resources_leave_it_unknown_and_are_reported() -> None:
    status = observation("s", "82810-3", None, None, valueCodeableConcept=cc(SCT, "60001007"))
    conv = convert_all(patient(gender="female"), condition("preg", cc(SCT, "77386006")), status)
    assert "pregnant" not in conv.sheet
    assert conv.conflicts[0]["facts"] == ["pregnant"]
    assert conv.conflicts[0]["resources"] == ["Condition/preg", "Observation/s"]


def test_prefetch_resources_and_search_bundles_assess_through_as_bundle(assessor) -> None:
    search = {"resourceType": "Bundle", "type": "searchset",
              "entry": [{"resource": observation("plt", "777-3", 49, "10*9/L")}]}
    conv = resources_to_case([patient(), search], at=AT)
    assert conv.sheet["labs"]["plateletsE9PerL"] == 49
    a = assessor.assess(as_bundle([patient(), search, None]))  # a prefetch that found nothing is None
    assert a.to_dict(with_timings=False)["provenance"]["labs.plateletsE9PerL"] == ["Observation/plt (2026-12-01)"]


def test_conversion_conflicts_reach_the_assessment(assessor) -> None:
    status = observation("s", "82810-3", None, None, valueCodeableConcept=cc(SCT, "60001007"))
    a = assessor.assess(bundle(patient(gender="female"), condition("preg", cc(SCT, "77386006")), status))
    assert any(c["facts"] == ["pregnant"] and "Observation/s" in c["message"] for c in a.data_conflicts)
    # male and pregnant: the case contract's own data-conflict check (docs/case-format.md) sees it
    b = assessor.assess(bundle(patient(gender="male"), condition("preg", cc(SCT, "77386006"))))
    assert any(set(c["facts"]) == {"sex", "pregnant"} for c in b.data_conflicts)


# ---------------------------------------------------------------- medications
def test_two_anticoagulant_classes_are_a_conflict() -> None:
    conv = convert_all(patient(), med("a", "1364430"), med("w", "11289"))
    assert "course" not in conv.sheet
    assert conv.conflicts[0]["facts"] == ["course.currentAnticoagulant"]


@pytest.mark.parametrize("rxnorm, klass", [("1364430", "doac"), ("1114195", "doac"), ("1037042", "doac"),
                                           ("11289", "vka"), ("67108", "lmwh"), ("5224", "ufh"),
                                           ("321208", "fondaparinux"), ("854235", "lmwh")])
def test_anticoagulant_class_from_rxnorm(rxnorm: str, klass: str) -> None:
    assert convert_all(patient(), med("m", rxnorm)).sheet["course"]["currentAnticoagulant"] == klass


def test_stopped_medication_and_proposed_order_are_not_current() -> None:
    proposal = med("r", "1364430", kind="MedicationRequest")
    proposal["intent"] = "proposal"
    conv = convert_all(patient(), med("s", "11289", status="stopped"), proposal)
    assert "course" not in conv.sheet  # unknown, not "none"


def test_pgp_inhibitor_true_and_never_false_by_absence() -> None:
    assert convert_all(patient(), med("v", "11170")).sheet["medications"]["pgpInhibitor"] is True  # verapamil
    assert "medications" not in convert_all(patient(), med("a", "1364430")).sheet


def test_atc_codes_map_as_well() -> None:
    r = {"resourceType": "MedicationStatement", "id": "m", "status": "active", "subject": {"reference": "Patient/p"},
         "medicationCodeableConcept": cc("http://www.whocc.no/atc", "B01AE07")}
    assert convert_all(patient(), r).sheet["course"]["currentAnticoagulant"] == "doac"  # dabigatran etexilate


# ---------------------------------------------------------------- Observations
def test_latest_valid_observation_wins() -> None:
    conv = convert_all(patient(),
                       observation("old", "777-3", 40, "10*9/L", when="2026-11-20"),
                       observation("new", "777-3", 55, "10*9/L", when="2026-12-01"),
                       observation("later", "777-3", 20, "10*9/L", when="2026-12-05"),     # after the reference date
                       observation("prelim", "777-3", 10, "10*9/L", when="2026-12-02", status="preliminary"))
    assert conv.sheet["labs"]["plateletsE9PerL"] == 55
    assert conv.provenance["labs.plateletsE9PerL"] == ["Observation/new (2026-12-01)"]


def test_two_latest_observations_that_disagree_are_a_conflict() -> None:
    conv = convert_all(patient(), observation("a", "777-3", 40, "10*9/L"), observation("b", "777-3", 60, "10*9/L"))
    assert "labs" not in conv.sheet
    assert conv.conflicts[0]["facts"] == ["labs.plateletsE9PerL"]


def test_unit_that_does_not_convert_is_listed_not_guessed() -> None:
    conv = convert_all(patient(), observation("k", "777-3", 230, "K/uL"))  # UCUM K is kelvin
    assert "labs" not in conv.sheet
    assert any(u["resource"] == "Observation/k" for u in conv.unmapped)


def test_height_is_converted_but_has_no_case_key() -> None:
    conv = convert_all(patient(), observation("h", "8302-2", 70, "[in_i]"))
    assert any("177.8 cm" in u["reason"] for u in conv.unmapped)


@pytest.mark.parametrize("value, unit, expected", [(80, "kg", 80), (80000, "g", 80), (176.3698097, "[lb_av]", 80)])
def test_weight_units(value: float, unit: str, expected: float) -> None:
    got = convert_all(patient(), observation("w", "29463-7", value, unit)).sheet["weightKg"]
    assert got == pytest.approx(expected, abs=1e-6)


# ---------------------------------------------------------------- units (UCUM through ucumvert)
@pytest.mark.parametrize("value, unit, target, expected", [
    ("230", "10*3/uL", "10*9/L", "230"), ("230000", "/uL", "10*9/L", "230"), ("230000", "/mm3", "10*9/L", "230"),
    ("230", "10*9/L", "10*9/L", "230"), ("70", "[in_i]", "cm", "177.8"), ("168", "d", "wk", "24"),
    ("1.6", "mg/dL", "mg/dL", "1.6"), ("16", "mg/L", "mg/dL", "1.6")])
def test_ucum_conversions(value: str, unit: str, target: str, expected: str) -> None:
    assert convert(Decimal(value), unit, target) == Decimal(expected)


def test_creatinine_umol_per_litre_needs_the_molar_mass() -> None:
    # creatinine 113.12 g/mol (codes module): 100 umol/L = 11.312 mg/L = 1.1312 mg/dL; 88.4 umol/L is about 1 mg/dL
    assert convert(Decimal("100"), "umol/L", "mg/dL", Decimal("113.12")) == Decimal("1.1312")
    about_one = convert(Decimal("88.4"), "umol/L", "mg/dL", Decimal("113.12"))
    assert abs(about_one - Decimal("1")) < Decimal("1e-4")
    with pytest.raises(UnitError):
        convert(Decimal("100"), "umol/L", "mg/dL")
    with pytest.raises(UnitError):
        convert(Decimal("1"), "not-a-unit", "mg/dL")


def _boundary_bundle(fixture: str, omit: set[str], *resources: dict[str, Any]) -> dict[str, Any]:
    """A boundary case sheet restated as FHIR: ``resources`` carry the keys in ``omit``, the rest are answers."""
    sheet = load(ROOT / "tests" / "fixtures" / "cases" / "boundary" / f"{fixture}.json")
    items: list[dict[str, Any]] = []

    def put(prefix: str, obj: dict[str, Any]) -> None:
        for k, v in obj.items():
            key = f"{prefix}{k}"
            if key in {"id", "notes", "age", "sex", "codes"} | omit or v is None:
                continue
            if key.startswith("limbs.") and key.count(".") == 1 and "veins" not in v:
                items.append({"linkId": f"{key}.veins", "answer": [{"valueString": "none"}]})  # imaged, clear
            if isinstance(v, dict):
                put(key + ".", v)
            elif key.endswith(".veins"):
                items.append({"linkId": key, "answer": [{"valueString": s} for s in v] or [{"valueString": "none"}]})
            else:
                a = ({"valueBoolean": v} if isinstance(v, bool) else {"valueInteger": v} if isinstance(v, int)
                     else {"valueDecimal": v} if isinstance(v, float) else {"valueString": v})
                items.append({"linkId": key, "answer": [a]})
    put("", copy.deepcopy(sheet))
    qr = {"resourceType": "QuestionnaireResponse", "id": "q", "status": "completed",
          "questionnaire": CASE_FACTS_QUESTIONNAIRE, "authored": "2026-12-02", "item": items}
    return bundle(patient(gender=sheet["sex"], birth=f"{2026 - sheet['age']}-01-15"), *resources, qr)


@pytest.mark.parametrize("weight, crcl, riva, enox, dabi", [
    # male, 50 years, creatinine 100 umol/L = 1.1312 mg/dL: CrCl = 90 x W / (72 x 1.1312) = 90 W / 81.4464
    ("27.058304", "29.9", "applies", "applies", "applies"),             # 29.9 < 30 (LBL-RIVA-RENAL, LBL-ENOX-RENAL)
    ("27.14880", "30", "not-applicable", "not-applicable", "applies"),  # 30 is not < 30; 30 <= 30 (LBL-DABI-RENAL)
    ("27.239296", "30.1", "not-applicable", "not-applicable", "not-applicable")])
def test_creatinine_in_umol_per_litre_at_the_crcl_30_boundary(assessor, weight: str, crcl: str, riva: str, enox: str,
                                                               dabi: str) -> None:
    a = assessor.assess(_boundary_bundle("crcl-30", {"weightKg", "labs.crclMlMin"},
                                         observation("w", "29463-7", float(weight), "kg"),
                                         observation("cr", "14682-9", 100, "umol/L")))
    derived = {d["key"]: d["value"] for d in a.derived}
    assert Decimal(str(derived["labs.crclMlMin"])) == Decimal(crcl)
    assert a.status("LBL-RIVA-RENAL") == riva
    assert a.status("LBL-ENOX-RENAL") == enox
    assert a.status("LBL-DABI-RENAL") == dabi


@pytest.mark.parametrize("value, unit, tp1, tp3", [
    # ISTH 2018 (cancer-associated thrombosis): TP1 full dose at platelets >= 50 x10^9/L, TP3 reduced at 25 to < 50
    (49, "10*3/uL", "not-applicable", "applies"), (49999, "/uL", "not-applicable", "applies"),
    (50000, "/mm3", "applies", "not-applicable"), (50, "10*9/L", "applies", "not-applicable")])
def test_platelets_in_other_units_at_the_50_boundary(assessor, value: int, unit: str, tp1: str, tp3: str) -> None:
    a = assessor.assess(_boundary_bundle("platelets-50", {"labs.plateletsE9PerL"},
                                         observation("plt", "777-3", value, unit)))
    assert a.status("ISTH18-TP1") == tp1
    assert a.status("ISTH18-TP3") == tp3


# ---------------------------------------------------------------- codes: data in the ontology
@pytest.mark.parametrize("system, code, expected", [
    (RXN, "8410", "SystemicThrombolysis"),          # alteplase
    (SCT, "426347000", "Thrombolysis"),              # thrombolytic therapy, route not given
    ("https://w3id.org/dvtkg/intervention", "CatheterDirectedThrombolysis", "CatheterDirectedThrombolysis"),
    ("https://w3id.org/dvtkg/intervention", "InferiorVenaCavaFilter", "InferiorVenaCavaFilter"),
    (SCT, "348681001", "GraduatedCompressionStockings"),
    (RXN, "1364430", "Apixaban"), (RXN, "855332", "Warfarin"), (RXN, "5224", "UnfractionatedHeparin"),
    (RXN, "703", None), ("http://example.org/local", "x", None)])
def test_intervention_for_coding(system: str, code: str, expected: str | None) -> None:
    assert intervention_for_coding(system, code) == (DVT + expected if expected else None)


def test_every_mapped_intervention_is_an_intervention_class(project_root: Path) -> None:
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDFS

    g = Graph().parse(project_root / "ontology" / "modules" / "clinical.ttl")
    interventions = set(g.transitive_subjects(RDFS.subClassOf, URIRef(DVT + "Intervention")))
    tables = load_tables()
    named = {m.intervention for ms in tables.by_code.values() for m in ms if m.intervention}
    assert named and named <= {str(i) for i in interventions}


def test_value_set_codes_of_the_mappings_are_members_of_the_stored_value_sets() -> None:
    vs = load(EXTERNAL / "vsac-vte-valuesets" / "vte-valuesets-from-CMS108FHIR.json")
    members = {(c["system"], c["code"]) for e in vs["entry"] for c in e["resource"]["expansion"]["contains"]}
    tables = load_tables()
    for system, code in [(SCT, "444325005"), (SCT, "404223003"), (ICD, "I82.4Y1"), (RXN, "855332"), (RXN, "854235")]:
        assert (system, code) in members
        assert tables.mappings(system, code, "Condition") or tables.mappings(system, code, "MedicationStatement")
    for system, code in members:  # every VTE/PE code of the stored VTE value set is read by some Condition mapping
        if system == ICD and code.startswith(("I82.4", "I26", "I80.1", "I80.2")):
            assert tables.mappings(system, code, "Condition"), code


def test_thrombosis_codes_on_the_vein_segments_are_code_iris(project_root: Path) -> None:
    from rdflib import Graph, Literal
    from rdflib.namespace import Namespace

    g = Graph().parse(project_root / "ontology" / "modules" / "anatomy.ttl")
    values = list(g.objects(None, Namespace(DVT).thrombosisCode))
    assert values and not any(isinstance(v, Literal) for v in values)
    assert all(str(v).startswith(("http://hl7.org/fhir/sid/icd-10-cm/", "http://snomed.info/id/")) for v in values)
