"""The concise "because" of a criterion met by any of several branches names the branch that holds.

ASH 2020's remark to Recommendation 1 (treatment in hospital) is met by massive DVT, a
limb-threatening DVT, a high risk of bleeding, or a major comorbidity. The reason shown must be
the branch the patient meets with the fact that meets it, never another stated fact among the
branches' keys (the seed case once showed "bleeding risk = low" as its reason for hospital
treatment, while the reason is the phlegmasia of the left leg). Checked on the rdflib fast path
and on the lean path (both explain through dvtkg.assessment.explain).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from project_paths import ROOT

from dvtkg.assessment.pipeline import Assessor
from dvtkg.guidance.knowledge import KnowledgeBase
from dvtkg.lean.assess import LeanAssessor

SEED = json.loads((ROOT / "examples" / "cases" / "seed-massive-bilateral-dvt.json").read_text())
QUIET_SIGNS = {"cyanosis": False, "entireLimbSwelling": False, "severePain": False, "limbIschaemia": False,
               "pulses": "normal", "venousGangrene": False, "compartmentSyndrome": False}


@pytest.fixture(scope="module")
def engines(knowledge_base: KnowledgeBase) -> list[Any]:
    return [Assessor(knowledge_base, engine="fast", lean=False), LeanAssessor(knowledge_base.root)]


def _hospital_because(engine: Any, sheet: dict[str, Any]) -> list[str]:
    out = engine.assess(sheet).to_dict()
    (item,) = [r for r in out["recommendations"] if r["id"] == "ASH20-R1-HOSP"]
    assert item["status"] == "applies"
    return item["because"]


def _quiet_legs(sheet: dict[str, Any]) -> dict[str, Any]:
    s = copy.deepcopy(sheet)
    s["id"] = "branch-test"
    for limb in s["limbs"].values():
        limb["signs"] = dict(QUIET_SIGNS)
    return s


def test_limb_threat_is_the_reason_not_the_stated_low_bleeding_risk(engines: list[Any]) -> None:
    for engine in engines:
        text = " ".join(_hospital_because(engine, SEED))
        assert "limb-threatening DVT" in text and "limbs.left.signs.cyanosis = true" in text
        assert "bleedingRisk" not in text


def test_a_major_comorbidity_is_named_when_it_is_the_only_reason(engines: list[Any]) -> None:
    sheet = _quiet_legs(SEED)
    sheet["conditions"]["majorComorbidity"] = True
    for engine in engines:
        text = " ".join(_hospital_because(engine, sheet))
        assert "conditions.majorComorbidity = true" in text
        assert "bleedingRisk" not in text and "signs" not in text


def test_high_bleeding_risk_names_the_fact_that_makes_it_high(engines: list[Any]) -> None:
    # a relative contraindication is not a high bleeding risk; a bleeding diathesis is
    sheet = _quiet_legs(SEED)
    sheet["bleeding"].update({"bleedingRisk": "moderate", "anticoagulationContraindication": "relative",
                              "bleedingDiathesis": True})
    for engine in engines:
        text = " ".join(_hospital_because(engine, sheet))
        assert "high risk of bleeding" in text and "bleeding.bleedingDiathesis = true" in text
        assert "relative" not in text
