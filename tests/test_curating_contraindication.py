"""A curator adds a contraindication to an intervention in Turtle, and every statement for that
intervention follows, with no Python touched (decision rule 14; docs/curating.md shows the edit).

The test copies the project's knowledge (ontology, queries, shapes, VERSION) to a temporary
project, appends the Turtle of docs/curating.md to ontology/modules/safety.ttl, and assesses the
same case against the original and the edited knowledge base.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from project_paths import ROOT

from dvtkg.assessment.pipeline import Assessor
from dvtkg.guidance.knowledge import KnowledgeBase

# loads and compiles a second, edited knowledge base
pytestmark = [pytest.mark.slow]
SEED = ROOT / "examples" / "cases" / "seed-massive-bilateral-dvt.json"

ADDITION = """
dvtx:rivaroxaban-pgp a dvt:ActionContraindication, owl:NamedIndividual ;
    rdfs:label "a P-gp inhibitor is taken" ;
    skos:definition "When its criterion is met, this blocks rivaroxaban for every statement recommending it." ;
    dvt:contraindicatedAction dvt:Rivaroxaban ;
    dvt:contraindicationCriterion dvtc:PgpInhibitor ;
    dvt:contraindicationEffect dvtv:blocks ;
    dcterms:source rec:LBL-RIVA-RENAL ;
    dvt:followsDecisionRule dvtv:rule-14 ;
    rdfs:isDefinedBy <https://w3id.org/dvtkg/ontology/safety> .
"""


def _case(pgp: bool | None) -> dict:
    case = copy.deepcopy(json.loads(SEED.read_text()))
    case["id"] = "curating-pgp"
    case["medications"] = {"pgpInhibitor": pgp}
    return case


@pytest.fixture(scope="module")
def edited_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    for name in ("ontology", "queries", "shapes"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(ROOT / "VERSION", root / "VERSION")
    with (root / "ontology" / "modules" / "safety.ttl").open("a") as f:
        f.write(ADDITION)
    return root


@pytest.fixture(scope="module")
def assessors(fast_assessor: Assessor, edited_project: Path) -> tuple[Assessor, Assessor]:
    # the guidance, not the reasoner, is at stake: the fast engine (its guidance rules are compiled
    # from the edited knowledge too, so this also shows that nothing is hand-kept in Python)
    return fast_assessor, Assessor(KnowledgeBase.load(edited_project), engine="fast")


def _struck(item) -> list[str]:
    return [s["option"] for s in item.struck_out]


def test_every_statement_for_rivaroxaban_follows_the_new_contraindication(assessors) -> None:
    before, after = (a.assess(_case(True)) for a in assessors)
    # before: nothing strikes rivaroxaban for this patient (CrCl 95)
    for sid in ("CHEST21-15", "NICE-AC", "ASH20-R3", "ASH20-R4", "CHEST21-26"):
        assert not any("rivaroxaban" in o for o in _struck(before.item(sid))), sid
    # after: every statement offering rivaroxaban keeps its other options and strikes rivaroxaban, naming why
    for sid in ("CHEST21-15", "NICE-AC", "ASH20-R3", "ASH20-R4", "CHEST21-26"):
        item = after.item(sid)
        assert item.status == "applies", sid
        assert [o for o in _struck(item) if "rivaroxaban" in o], sid
        assert all("P-gp inhibitor" in s["because"] and "LBL-RIVA-RENAL" in s["because"]
                   for s in item.struck_out if "rivaroxaban" in s["option"]), sid
        assert not any("rivaroxaban" in o for o in item.options), sid
        assert item.options, f"{sid}: the other options remain"
    # a statement against an action, or about another action, is untouched
    assert after.status("CHEST21-29") == before.status("CHEST21-29")
    assert after.item("CHEST21-21").struck_out == []


def test_the_new_contraindication_unknown_asks_before_rivaroxaban(assessors) -> None:
    _, after = assessors
    item = after.assess(_case(None)).item("CHEST21-15")
    assert item.status == "applies"  # apixaban, dabigatran, edoxaban remain allowed
    assert any(q["key"] == "medications.pgpInhibitor" and "rivaroxaban" in q["before"] for q in item.questions)
