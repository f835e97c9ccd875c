"""ASH20-R1 (home treatment of uncomplicated DVT) and a PE with haemodynamic compromise.

The exclusion is a modelling choice (the statement's curator remark): a PE with haemodynamic
compromise makes the VTE not uncomplicated. Known present -> not applicable; known absent (no PE,
or a PE without compromise) -> the other exclusions decide; unknown -> indeterminate with the PE
facts named as missing, never read as absent.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from project_paths import ROOT

from dvtkg.lean.assess import LeanAssessor

# every ASH20-R1 exclusion stated absent in this example (it applies as given)
BASE = json.loads((ROOT / "examples" / "cases" / "proximal-dvt-one-leg.json").read_text())


@pytest.fixture(scope="module")
def lean(knowledge_base) -> LeanAssessor:
    return LeanAssessor(knowledge_base.root)


def _r1(lean: LeanAssessor, pe: dict[str, Any] | None) -> dict[str, Any]:
    sheet = copy.deepcopy(BASE)
    sheet["id"] = "r1-pe"
    if pe is None:
        sheet.pop("pe", None)
    else:
        sheet["pe"] = pe
    (item,) = [r for r in lean.assess(sheet).to_dict()["recommendations"] if r["id"] == "ASH20-R1"]
    return item


@pytest.mark.parametrize("pe,status", [
    ({"present": True, "haemodynamicCompromise": True}, "not-applicable"),
    ({"present": True, "haemodynamicCompromise": False}, "applies"),
    ({"present": False}, "applies"),
])
def test_known_pe_facts(lean: LeanAssessor, pe: dict[str, Any], status: str) -> None:
    assert _r1(lean, pe)["status"] == status


def test_unknown_pe_is_indeterminate_never_absent(lean: LeanAssessor) -> None:
    item = _r1(lean, None)
    assert item["status"] == "indeterminate"
    assert "pe.present" in item["missing"]
