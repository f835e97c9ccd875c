"""The text report keys on IRIs and structured fields, never on how a label is spelt.

Labels are renamed in a copy of the knowledge: the indication of the VTE itself (the default
question, never named in the report), the PE indication (named: "[for ...]", decision rule 18),
and a criterion met by the thrombus lists alone (isolated distal DVT), given a closing bracket
(criteria met by the vein lists alone are shown in PATIENT AND LEGS, not after "Because:"). The report of each
case on the renamed knowledge must be the report on the project's knowledge with only those
label texts changed: the same statements, reasons, questions, order and sections.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from project_paths import EXAMPLES, ROOT

from dvtkg.assessment.pipeline import Assessor
from dvtkg.guidance.knowledge import KnowledgeBase
from dvtkg.report.text import render_text

pytestmark = pytest.mark.slow  # a second knowledge base, built and loaded from the copy (seconds)

# (file, old label line, new label line); the new PE label has the old one's length, so that the
# shortened statement texts (an indeterminate statement's, after its head) are cut at the same place
RENAMES = [
    ("modules/safety.ttl", 'rdfs:label "venous thromboembolism"', 'rdfs:label "the VTE itself (renamed)"'),
    ("modules/safety.ttl", 'rdfs:label "PE with haemodynamic compromise"',
     'rdfs:label "PE WITH HAEMODYNAMIC COMPROMISE"'),
    ("modules/criteria.ttl", 'rdfs:label "isolated distal DVT"', 'rdfs:label "isolated distal DVT (imaging)"'),
]
# what the report shows of each label, after and before
SHOWN = [("PE WITH HAEMODYNAMIC COMPROMISE", "PE with haemodynamic compromise"),
         ("isolated distal DVT (imaging)", "isolated distal DVT")]
CASES = ["seed-massive-bilateral-dvt", "pe-shock-iliofemoral-dvt", "pe-hypotension", "isolated-distal-dvt"]


@pytest.fixture(scope="module")
def renamed_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("renamed")
    for name in ("ontology", "queries", "shapes"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(ROOT / "VERSION", root / "VERSION")
    for rel, old, new in RENAMES:
        path = root / "ontology" / rel
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, (rel, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def assessors(knowledge_base: KnowledgeBase, renamed_project: Path) -> tuple[Assessor, Assessor]:
    # the report is at stake, not the reasoner: the fast engine on both (its rules compiled from each copy)
    return (Assessor(knowledge_base, engine="fast", lean=False),
            Assessor(KnowledgeBase.load(renamed_project), engine="fast", lean=False))


def words(text: str) -> str:
    """The report's words: line breaks and indents depend on label lengths, not the content."""
    return " ".join(text.split())


@pytest.mark.parametrize("case", CASES)
def test_renamed_labels_change_only_the_label_text(assessors: tuple[Assessor, Assessor], case: str) -> None:
    before, after = (a.assess(EXAMPLES / f"{case}.json") for a in assessors)
    # the renamed knowledge was read: the JSON carries the new labels
    assert {r.indication for r in after.recommendations} >= {"the VTE itself (renamed)"}
    assert {r.indication_iri for r in after.recommendations} == {r.indication_iri for r in before.recommendations}
    old, new = render_text(before), render_text(after)
    # the VTE itself is the default question: never named, whatever its label
    assert "[for venous thromboembolism]" not in old and "the VTE itself" not in new
    shown = words(new)
    for renamed, original in SHOWN:
        shown = shown.replace(renamed, original)
    assert shown == words(old)


def test_the_renamed_labels_are_shown(assessors: tuple[Assessor, Assessor]) -> None:
    # not vacuous: the PE indication is named on its statements (decision rule 18); the criterion whose label
    # now ends in a bracket is in PATIENT AND LEGS and nowhere else (CHEST21-01a, which it decides, applies)
    after = assessors[1].assess(EXAMPLES / "pe-shock-iliofemoral-dvt.json")
    assert "[for PE WITH HAEMODYNAMIC COMPROMISE]" in render_text(after)
    distal = assessors[1].assess(EXAMPLES / "isolated-distal-dvt.json")
    assert distal.status("CHEST21-01a") == "applies"
    text = words(render_text(distal))
    legs = text.split("PATIENT AND LEGS", 1)[1].split("DETAILS BY DECISION", 1)[0]
    assert text.count("isolated distal DVT (imaging)") == 1 and "isolated distal DVT (imaging)" in legs
