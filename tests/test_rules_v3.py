"""Decision rules 4, 16 and 17 (rules version 3) on hand-written case sheets.

The fixtures in tests/fixtures/cases/v3/ share one base sheet (a 50-year-old man with
an acute unprovoked left femoral-popliteal DVT, every other fact stated) and change
only what each case is about; their ``notes`` say what. Every expected status below
was written by hand from the decision rule named in its comment, not copied from the
engine's output. One Assessor serves the module and each case is assessed once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import dvtkg

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "cases" / "v3"
A, B, I, N = "applies", "blocked", "indeterminate", "not-applicable"  # noqa: E741 (I: indeterminate, short for the tables)
DVT = "https://w3id.org/dvtkg/ontology#"

# (case, statement, limb or None, expected status, the rule that decides it)
EXPECTATIONS: list[tuple[str, str, str | None, str, str]] = [
    # ---- rule 17 (massive needs proximal thrombus) and rule 4 (absent leg not examined)
    ("calf-severe-left-only", "CHEST21-01b", None, A,
     "rule 4: right leg absent = not examined; left calf veins only -> isolated distal; severe symptoms"),
    ("calf-severe-left-only", "CHEST21-01a", None, N, "rule 4: distalSevereSymptoms = true"),
    ("calf-severe-left-only", "ASH20-R1-HOSP", None, N,
     "rule 17: calf-only thrombus with severe pain is not massive; no limb threat, bleeding low, no comorbidity"),
    ("calf-severe-left-only", "ASH20-R1", None, A, "rule 17: not massive, nothing else excludes home treatment"),
    ("calf-severe-left-only", "NICE-AC", None, N, "rule 4: no proximal thrombus in the only leg examined"),
    ("calf-severe-left-only", "AHA11-T5", None, N, "rule 4: no iliofemoral thrombus in the only leg examined"),
    ("calf-severe-both-legs", "CHEST21-01b", None, A, "rule 4: both legs imaged, calf veins only, severe symptoms"),
    ("calf-severe-both-legs", "ASH20-R1-HOSP", None, N, "rule 17: calf-only thrombus with severe pain is not massive"),
    ("calf-severe-right-veins-null", "CHEST21-01b", None, I,
     "rule 4: right leg examined with unknown result (veins null) keeps isolated distal open"),
    ("calf-severe-right-veins-null", "ASH20-R1-HOSP", None, I,
     "rule 4: right leg's thrombus unknown -> massive unknown"),
    ("calf-severe-right-veins-null", "NICE-AC", None, I, "rule 4: proximal thrombus on the right unknown"),
    ("proximal-severe-left-only", "ASH20-R1-HOSP", None, A, "rule 17: proximal thrombus + severe pain = massive"),
    ("proximal-severe-left-only", "ASH20-R1", None, N, "massive DVT excludes home treatment"),
    ("proximal-left-only", "NICE-AC", None, A,
     "rule 4: unilateral proximal DVT, other leg not examined; adult, not pregnant, no cancer, CrCl 90"),
    ("proximal-left-only", "AHA11-T5", None, N, "rule 4: popliteal/femoral only in the only leg examined: no IFDVT"),
    ("proximal-left-only", "ASH20-R1-HOSP", None, N, "rule 4 + 17: no sign of massive DVT in the leg given"),
    ("proximal-left-only", "CHEST21-01b", None, N, "rule 4: proximal thrombus -> not isolated distal"),
    ("no-legs-given", "AHA11-T5", None, I, "rule 4: no leg given -> nothing about the DVT is decided"),
    ("no-legs-given", "NICE-AC", None, I, "rule 4: no leg given -> proximal DVT unknown"),
    ("no-legs-given", "ASH20-R1", None, I, "rule 4: no leg given -> DVT unknown"),
    # ---- rule 16: pregnancy duration (AT9-PREG-DUR governs)
    ("pregnant-22-weeks", "AT9-PREG-DUR", None, A, "pregnant, acute VTE (3 days, rule 1)"),
    ("pregnant-22-weeks", "CHEST21-21", None, N, "rule 16: pregnancy excludes the general duration statements"),
    ("pregnant-22-weeks", "CHEST21-22", None, N, "rule 16 (and not major-transient)"),
    ("pregnant-22-weeks", "CHEST21-23", None, N, "rule 16: minor-transient, but pregnancy excludes it"),
    ("pregnant-22-weeks", "ASH20-R12", None, N, "rule 16: pregnancy excludes it"),
    ("pregnant-22-weeks", "ASH20-R18", None, N, "rule 16 (and minor-transient, not unprovoked/persistent)"),
    ("pregnant-22-weeks", "CHEST21-24", None, N, "rule 3: extended phase with a DOAC, not in pregnancy"),
    ("pregnant-22-weeks", "NICE-AC", None, N, "rule 3: NICE does not cover pregnancy"),
    ("pregnant-22-weeks", "ASH18P-AT", None, A, "pregnant with acute VTE"),
    ("pregnancy-unknown", "AT9-PREG-DUR", None, I, "pregnancy unknown"),
    ("pregnancy-unknown", "CHEST21-21", None, I, "rule 16: the excluding criterion (pregnancy) is unknown"),
    ("pregnancy-unknown", "CHEST21-23", None, I, "rule 16: minor-transient, pregnancy unknown"),
    ("pregnancy-unknown", "ASH20-R12", None, I, "rule 16: pregnancy unknown"),
    ("pregnancy-unknown", "ASH20-R18", None, N, "minor-transient: not unprovoked or persistent, whatever pregnancy"),
    ("proximal-left-only", "AT9-PREG-DUR", None, N, "male: not pregnant"),
    ("proximal-left-only", "CHEST21-21", None, A, "acute VTE, no absolute contraindication, not pregnant"),
    ("proximal-left-only", "ASH20-R12", None, A, "VTE, not pregnant"),
    ("proximal-left-only", "CHEST21-24", None, A, "unprovoked, not pregnant"),
    # ---- rule 17: AHA11-T5 does not apply with a PE with haemodynamic compromise
    ("pe-shock-ifdvt", "AHA11-T5", None, N, "rule 17: PE with haemodynamic compromise present"),
    ("pe-shock-ifdvt", "ASH20-R6", None, A, "PE with haemodynamic compromise; no rule-6 blocking fact"),
    ("pe-stable-ifdvt", "AHA11-T5", None, A, "IFDVT; the PE causes no haemodynamic compromise"),
    ("pe-compromise-unknown-ifdvt", "AHA11-T5", None, I, "rule 17: PE present, haemodynamic compromise unknown"),
    ("no-pe-lysis-considered", "ASH20-R9", None, N, "no PE"),
    ("no-pe-lysis-considered", "AHA11-T5", None, A, "IFDVT, no PE"),
    # ---- rule 16: recurrence on therapeutic anticoagulation
    ("recurrence-on-doac", "CHEST21-RECUR", None, A, "recurrence on a therapeutic DOAC"),
    ("recurrence-on-doac", "CHEST21-26", None, N, "rule 16: recurrence on therapeutic anticoagulation excludes it"),
    ("recurrence-on-doac", "CHEST21-24", None, A, "unprovoked: extended phase still offered"),
    ("recurrence-on-lmwh", "CHEST21-RECUR", None, N, "the recurrence was on LMWH, not on a VKA or DOAC"),
    ("recurrence-on-lmwh", "CHEST21-26", None, N, "rule 16: recurrence on therapeutic anticoagulation"),
    ("recurrence-unknown-no-anticoagulant", "CHEST21-26", None, A,
     "rule 17: no anticoagulant, not a recurrence -> recurrence on anticoagulation derived false"),
    ("recurrence-unknown-no-anticoagulant", "CHEST21-RECUR", None, N, "rule 17: derived false (and not on DOAC/VKA)"),
    ("recurrence-unknown-on-doac", "CHEST21-26", None, I, "on a DOAC: recurrence on anticoagulation stays unknown"),
    ("recurrence-unknown-on-doac", "CHEST21-RECUR", None, I, "on a DOAC, recurrence unknown"),
    ("recurrence-unknown-recurrent-unprovoked", "CHEST21-26", None, I,
     "rule 17: the case says this VTE is a recurrence -> not derived, unknown"),
    ("recurrence-unknown-recurrent-unprovoked", "CHEST21-RECUR", None, N, "current anticoagulant none: not DOAC/VKA"),
    # ---- rule 16: renal (NICE-AC gives way below 50; ASH20-R4 not below 30) and the edoxaban split
    ("crcl-40", "NICE-AC", None, N, "rule 16: CrCl 40 < 50"),
    ("crcl-40", "NICE-RENAL-15-50", None, A, "CrCl 40 in 15-50"),
    ("crcl-40", "LBL-EDOX-RENAL", None, A, "CrCl 40 in 15-50 (30 mg)"),
    ("crcl-49.9", "NICE-AC", None, N, "rule 16: 49.9 < 50"),
    ("crcl-49.9", "NICE-RENAL-15-50", None, A, "49.9 in 15-50"),
    ("crcl-50", "NICE-AC", None, A, "rule 16: 50 is not < 50"),
    ("crcl-50", "NICE-RENAL-15-50", None, A, "15-50 includes 50"),
    ("crcl-50.1", "NICE-AC", None, A, "50.1 is not < 50"),
    ("crcl-50.1", "NICE-RENAL-15-50", None, N, "50.1 > 50"),
    ("crcl-50.1", "LBL-EDOX-RENAL", None, N, "CrCl > 50, weight 80 > 60, no P-gp inhibitor"),
    ("crcl-29.9", "ASH20-R4", None, N, "rule 16: 29.9 < 30"),
    ("crcl-29.9", "ASH20-R3", None, N, "29.9 < 30"),
    ("crcl-30", "ASH20-R4", None, A, "rule 16: 30 is not < 30"),
    ("crcl-14.9", "LBL-EDOX-ESRD", None, A, "14.9 < 15: edoxaban not recommended"),
    ("crcl-14.9", "LBL-EDOX-RENAL", None, N, "14.9 is below the 15-50 band; weight 80, no P-gp inhibitor"),
    ("crcl-14.9", "NICE-RENAL-LT15", None, A, "14.9 < 15"),
    ("crcl-14.9", "NICE-AC", None, N, "rule 16: 14.9 < 50"),
    ("crcl-15", "LBL-EDOX-ESRD", None, N, "15 is not < 15"),
    ("crcl-15", "LBL-EDOX-RENAL", None, A, "15 is in 15-50"),
    ("crcl-unknown", "NICE-AC", None, I, "rule 16: CrCl unknown"),
    ("crcl-unknown", "ASH20-R4", None, I, "rule 16: CrCl unknown"),
    ("crcl-unknown", "LBL-EDOX-ESRD", None, I, "CrCl unknown"),
    ("crcl-unknown", "LBL-EDOX-RENAL", None, I, "CrCl unknown; weight > 60 and no P-gp inhibitor decide nothing"),
    # ---- rule 16: cancer
    ("cancer", "ASH20-R4", None, N, "rule 16: active cancer (ASH21C-* and CHEST21-16 govern)"),
    ("cancer", "NICE-AC", None, N, "rule 16: active cancer, NICE-CANCER governs"),
    ("cancer", "NICE-CANCER", None, A, "adult, not pregnant, proximal DVT, active cancer"),
    ("cancer", "CHEST21-16", None, A, "cancer-associated thrombosis, not pregnant"),
    ("cancer-unknown", "ASH20-R4", None, I, "rule 16: cancer unknown"),
    ("cancer-unknown", "NICE-AC", None, I, "rule 16: cancer unknown"),
    ("cancer-unknown", "NICE-CANCER", None, I, "cancer unknown"),
    ("proximal-left-only", "ASH20-R4", None, A, "no cancer, CrCl 90, not pregnant"),
]

CASES = sorted({e[0] for e in EXPECTATIONS} | {"crcl-50", "no-pe-lysis-considered"})


@pytest.fixture(scope="module")
def assessed(fast_assessor: dvtkg.Assessor) -> dict[str, Any]:
    # the fast engine is proved equal to the reference: tests/test_engines_agree.py and the differential tests
    assessor = fast_assessor
    return {name: assessor.assess(FIXTURES / f"{name}.json") for name in CASES}


@pytest.mark.parametrize("case,rec,limb,expected,reason", EXPECTATIONS,
                         ids=[f"{e[0]}:{e[1]}{':' + e[2] if e[2] else ''}" for e in EXPECTATIONS])
def test_status(assessed, case, rec, limb, expected, reason):
    got = assessed[case].status(rec, limb=limb) if limb else assessed[case].status(rec)
    assert got == expected, f"{case} {rec}: expected {expected} ({reason}), got {got}"


def _classes(assessment, side: str | None = None) -> list[str]:
    c = assessment.to_dict()["classifications"]
    return c["patient"] if side is None else c["limbs"].get(side, [])


def test_calf_thrombus_with_severe_pain_is_not_massive(assessed):
    # rule 17: massive DVT needs proximal thrombus in that limb, on the limb and for the patient
    for case in ("calf-severe-left-only", "calf-severe-both-legs"):
        assert "massive DVT in this limb" not in _classes(assessed[case], "left"), case
        assert "massive DVT" not in _classes(assessed[case]), case
    assert "massive DVT in this limb" in _classes(assessed["proximal-severe-left-only"], "left")
    assert "massive DVT" in _classes(assessed["proximal-severe-left-only"])


def _limb_closures(assessment) -> list[dict]:
    return [c for c in assessment.to_dict()["closures"] if c["property"] == DVT + "hasLimb"]


def test_absent_leg_closes_the_patient_to_the_legs_given(assessed):
    # rule 4: one leg given -> the patient is closed to that leg, recorded with a reason
    closures = _limb_closures(assessed["proximal-left-only"])
    assert len(closures) == 1
    assert [m.rsplit("#", 1)[-1] for m in closures[0]["members"]] == ["limb-left"]
    assert "rule 4" in closures[0]["reason"]
    # both legs given: closed to both; no leg given: nothing closed
    assert len(_limb_closures(assessed["calf-severe-both-legs"])[0]["members"]) == 2
    assert _limb_closures(assessed["no-legs-given"]) == []


def test_no_pe_finding_without_a_pe(assessed):
    # rule 17: "thrombolysis considered appropriate for the PE" is never reached without a PE,
    # and the limb finding never on the limb without thrombus
    a = assessed["no-pe-lysis-considered"]
    assert "thrombolysis considered appropriate for the PE" not in _classes(a)
    assert "thrombolysis considered appropriate for this limb" in _classes(a, "left")
    assert "thrombolysis considered appropriate for this limb" not in _classes(a, "right")


def test_recurrence_derived_false_only_without_anticoagulant(assessed):
    # rule 17: derived (recorded as derived, no data conflict) only with currentAnticoagulant = none
    # and nothing saying this VTE is a recurrence
    key = "course.recurrenceOnTherapeuticAnticoagulation"
    d = assessed["recurrence-unknown-no-anticoagulant"].to_dict()
    derived = [x for x in d["derived"] if x["key"] == key]
    assert len(derived) == 1 and derived[0]["value"] is False
    assert d["dataConflicts"] == []
    for case in ("recurrence-unknown-on-doac", "recurrence-unknown-recurrent-unprovoked", "recurrence-on-doac"):
        assert not [x for x in assessed[case].to_dict()["derived"] if x["key"] == key], case
