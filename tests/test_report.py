"""The clinician's text report (dvtkg.report.text) and the bottom line (dvtkg.assessment.bottomline).

Most tests build an ``Assessment`` by hand with synthetic results (an alert, a blocked DOAC
statement, a restricted NICE-AC with struck-out options, an indeterminate statement with a
question, a drug label, conflicts of both kinds) and assert the report's structure. One
real run on the seed case checks length, opening and the bottom line. Expectations are
written from the decision rules (safety rules 14-18, decision rule 4) and the
report layout the issue asks for, never pasted from the code's output.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from project_paths import ROOT
from rdflib import URIRef

from dvtkg.assessment.bottomline import bottom_line, strength_key
from dvtkg.assessment.model import Assessment, GuidanceItem
from dvtkg.report.text import render_text

SEED = ROOT / "examples" / "cases" / "seed-massive-bilateral-dvt.json"

# native ranks as the grading schemes order them (1 = strongest): AHA Class I 1, IIa 2, IIb 3; LOE A 1, B 2, C 3;
# GRADE high 1 ... very low 4; NICE offer 1, consider 2
GRADES = {
    "Class I": ("strong", 1), "Class IIa": ("weak", 2), "Class IIb": ("weak", 3),
    "strong": ("strong", 1), "weak": ("weak", 2), "conditional": ("weak", 2),
    "offer": ("strong", 1), "consider": ("weak", 2), "": ("", None),
}
CERTAINTY = {"LOE A": 1, "LOE B": 2, "LOE C": 3, "high": 1, "moderate": 2, "low": 3, "very low": 4, "": None}


def item(id: str, status: str, group: str, strength: str = "", certainty: str = "", *, limb: str | None = None,
         source: str = "SRC2020", direction: str = "for", type: str = "Recommendation", statement: str = "",
         actions: list[str] | None = None, **kw) -> GuidanceItem:
    coarse, rank = GRADES[strength]
    return GuidanceItem(
        id=id, status=status, source=source, direction=direction, strength=strength, certainty=certainty,
        check="P", statement=statement or f"Statement text of {id}.", limb=limb, type=type,
        level="limb-level" if limb else "patient-level", coarse_strength=coarse, group=group,
        strength_rank=rank, certainty_rank=CERTAINTY[certainty], source_year=source[-4:],
        actions=actions or [f"action of {id}"], **kw)


def synthetic() -> Assessment:
    recs = [
        item("SET-1", "applies", "setting", "conditional", "low", actions=["hospital treatment"]),
        # anticoagulant: a strong DOAC statement blocked (rule 14), NICE-AC restricted, a weak one applying
        item("DOAC-STRONG", "blocked", "anticoagulant", "strong", "moderate", blocked_by=["active bleeding"],
             actions=["direct oral anticoagulant"]),
        item("NICE-AC", "applies", "anticoagulant", "offer", source="NICE-NG158",
             struck_out=[{"option": "dabigatran", "because": "CrCl 30 mL/min or less (LBL-DABI-RENAL)"}],
             options=["apixaban", "rivaroxaban", "LMWH then edoxaban"], actions=["apixaban"]),
        item("AC-WEAK", "applies", "anticoagulant", "conditional", "moderate", actions=["direct oral anticoagulant"],
             cautions=["recent major surgery"]),
        item("PREG-Q", "indeterminate", "anticoagulant", "strong", "high", missing=["pregnant"],
             questions=[{"key": "pregnant", "question": "Is she pregnant?", "before": "apixaban or rivaroxaban"}]),
        # thrombus removal: Class IIb listed before Class IIa in the input, Class I on the left leg only
        item("AHA-IIB", "applies", "thrombus removal", "Class IIb", "LOE B", limb="left", source="AHA2011"),
        item("AHA-IIA", "applies", "thrombus removal", "Class IIa", "LOE B", limb="left", source="AHA2011",
             decision_remark="Written before a trial that found no overall benefit."),
        item("AHA-I", "applies", "thrombus removal", "Class I", "LOE C", limb="left", source="AHA2011"),
        item("AHA-IIA", "applies", "thrombus removal", "Class IIa", "LOE B", limb="right", source="AHA2011"),
        item("AGAINST-TR", "applies", "thrombus removal", "weak", "low", limb="right", source="CHEST2021",
             actions=["anticoagulation alone"]),
        item("DUR-1", "applies", "duration", "strong", "moderate", actions=["treatment-phase anticoagulation"],
             caution_details=[{"text": "CrCl below 25 mL/min", "kind": "label caution", "source": "LBL-APIX-RENAL"}]),
        item("NOT-1", "applies", "what not to do", "Class IIb", "LOE A", direction="against", source="AHA2011",
             actions=["systemic thrombolysis"]),
        item("NOT-2", "applies", "what not to do", "strong", "low", direction="against", actions=["stockings"]),
        # a drug label graded nowhere: never leads a decision, shown under its own heading
        item("LBL-X", "applies", "anticoagulant", type="DrugLabelStatement", source="LABEL2020",
             direction="against", actions=["direct oral anticoagulant"]),
        item("NA-1", "not-applicable", "anticoagulant", "strong", "high"),
    ]
    conflicts: list[dict[str, Any]] = [
        {"between": ["AHA-IIA", "AGAINST-TR"], "kind": "direction", "limb": "right", "explanation": "-"},
        {"between": ["AC-WEAK", "NICE-AC"], "kind": "strength", "limb": None, "explanation": "-"},
    ]
    a = Assessment(case="synthetic", source="-",
                   classifications={"patient": ["adult"], "limbs": {"left": ["DVT in this limb"]}},
                   recommendations=recs, conflicts=conflicts, superseded=[], data_conflicts=[], derived=[],
                   closures=[], engine={"knowledgeVersion": "test"},
                   alerts=[{"id": "suspected-hit",
                            "message": "Suspected heparin-induced thrombocytopenia: stop every heparin.",
                            "facts": ["conditions.suspectedHit = true"], "blocks": ["NICE-AC"]}],
                   limbs_not_examined=["right"], questions={"pregnant": "Is she pregnant?"})
    a.bottom_line = bottom_line(a.recommendations, a.conflicts)
    return a


def section(text: str, header: str) -> list[str]:
    """The lines of one section: from its header to the next blank line."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(header))
    out = []
    for line in lines[start + 1:]:
        if not line.strip():
            break
        out.append(line)
    return out


def group_lines(text: str, group: str) -> str:
    """The details of one decision group (up to the next group heading), wrapped lines joined."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line == f"  {group}")
    out = []
    for line in lines[start + 1:]:
        if not line.startswith("    "):
            break
        out.append(line)
    return " ".join(" ".join(out).split())


@pytest.fixture(scope="module")
def report() -> str:
    return render_text(synthetic())


def test_alerts_first_then_bottom_line_then_details(report: str) -> None:
    lines = report.splitlines()
    # rule 15: the report opens (after its two title lines) with the safety banners
    body = [line for line in lines[2:] if line.strip()]
    assert body[0].startswith("ALERT: Suspected heparin-induced thrombocytopenia")
    assert "Blocks: NICE-AC" in body[0]
    assert report.index("ALERT:") < report.index("BOTTOM LINE") < report.index("DETAILS BY DECISION")


def test_bottom_line_at_most_ten_lines_and_in_decision_order(report: str) -> None:
    bl = section(report, "BOTTOM LINE")
    assert 0 < len(bl) <= 10
    titles = [line.strip().split(":")[0].split(",")[0] for line in bl]
    order = ["where to treat", "which anticoagulant", "thrombus removal", "filter", "how long", "what not to do"]
    assert titles == sorted(titles, key=order.index)


def test_bottom_line_picks_the_strongest_applying_statement() -> None:
    a = synthetic()
    lines = {(b["decision"], b["limb"]): b for b in a.bottom_line}
    # anticoagulant: the strong DOAC statement is blocked and PREG-Q indeterminate; NICE-AC (NICE offer = strong)
    # applies and outranks the conditional AC-WEAK; the drug label never leads
    assert lines[("anticoagulant", None)]["id"] == "NICE-AC"
    assert lines[("anticoagulant", None)]["agree"] == 1 and lines[("anticoagulant", None)]["disagree"] == 0
    # thrombus removal differs by leg: Class I on the left; on the right both are weak with strength rank 2,
    # and LOE B (rank 2) outranks GRADE low (rank 3)
    assert lines[("thrombus removal", "left")]["id"] == "AHA-I"
    assert lines[("thrombus removal", "right")]["id"] == "AHA-IIA"
    assert lines[("thrombus removal", "right")]["disagree"] == 1
    assert lines[("thrombus removal", "right")]["disagreeIds"] == ["AGAINST-TR"]
    # what not to do: strong (coarse) before a Class IIb, whatever the evidence level
    assert lines[("what not to do", None)]["id"] == "NOT-2"
    # the two 'against' statements concern different actions: no agreement counted
    assert lines[("what not to do", None)]["agree"] == 0
    assert all(b["id"] != "LBL-X" for b in a.bottom_line)


def test_order_class_iia_before_iib_and_strong_before_weak(report: str) -> None:
    removal = group_lines(report, "THROMBUS REMOVAL")
    assert removal.index("AHA-I ") < removal.index("AHA-IIA") < removal.index("AHA-IIB")
    anticoag = group_lines(report, "WHICH ANTICOAGULANT")
    assert anticoag.index("NICE-AC") < anticoag.index("AC-WEAK")
    # the sort key itself: Class IIa (rank 2) before Class IIb (rank 3), both weak
    a = synthetic()
    iia, iib = a.item("AHA-IIA", "left"), a.item("AHA-IIB", "left")
    assert strength_key(iia) < strength_key(iib)


def test_blocked_statement_shown_in_its_group(report: str) -> None:
    anticoag = group_lines(report, "WHICH ANTICOAGULANT")
    assert "x DOAC-STRONG" in anticoag
    assert "blocked: active bleeding" in anticoag
    assert "BLOCKED (" not in report   # no separate blocked section any more


def test_restricted_statement_names_struck_out_options(report: str) -> None:
    anticoag = group_lines(report, "WHICH ANTICOAGULANT")
    assert "NICE-AC" in anticoag and "applies, restricted" in anticoag
    assert "dabigatran (CrCl 30 mL/min or less (LBL-DABI-RENAL))" in anticoag
    assert "options left: apixaban, rivaroxaban, LMWH then edoxaban" in anticoag


def test_drug_labels_under_their_own_heading(report: str) -> None:
    labels = group_lines(report, "DRUG LABEL (safety constraints from product labels; they never lead a decision)")
    assert "LBL-X" in labels
    for group in ("WHICH ANTICOAGULANT", "WHERE TO TREAT", "HOW LONG"):
        assert "LBL-X" not in group_lines(report, group)
    assert "LBL-X" not in "\n".join(section(report, "BOTTOM LINE"))


def test_indeterminate_questions_in_plain_language_with_the_key(report: str) -> None:
    anticoag = group_lines(report, "WHICH ANTICOAGULANT")
    assert "? PREG-Q" in anticoag
    assert "before apixaban or rivaroxaban: Is she pregnant? [pregnant]" in anticoag
    assert "Is she pregnant? [pregnant]" in "\n".join(section(report, "QUESTIONS"))


def test_wording_matches_the_json_statuses(report: str) -> None:
    assert "undecided" not in report.lower()
    assert "indeterminate" in report
    assert "undecided" not in render_text(synthetic(), verbose=True).lower()


def test_not_applicable_counted_not_listed(report: str) -> None:
    assert "NA-1" not in report
    assert "1 not applicable" in report.splitlines()[1]


def test_conflicts_split_by_kind(report: str) -> None:
    disagree = section(report, "GUIDELINES DISAGREE")
    assert any("AHA-IIA" in line and " vs " in line and "AGAINST-TR" in line and "right leg" in line
               for line in disagree)
    assert any("(AHA2011 Class IIa)" in line for line in disagree)        # the source with its year and grade
    same = "\n".join(disagree[disagree.index("SAME ADVICE, DIFFERENT STRENGTH") + 1:])
    assert "AC-WEAK" in same and "NICE-AC" in same
    assert not any("AC-WEAK" in line for line in disagree[:disagree.index("SAME ADVICE, DIFFERENT STRENGTH")])


def test_caution_kinds_remarks_and_legs_not_examined(report: str) -> None:
    anticoag = group_lines(report, "WHICH ANTICOAGULANT")
    # rule 6's relative items are relative contraindications until the engine names the kind
    assert "! relative contraindication: recent major surgery" in anticoag
    assert "! label caution: CrCl below 25 mL/min (LBL-APIX-RENAL)" in group_lines(report, "HOW LONG")
    assert "remark: Written before a trial that found no overall benefit." in group_lines(report, "THROMBUS REMOVAL")
    # decision rule 4: a leg absent from the case was not examined
    assert "  right leg: not examined" in report.splitlines()


def test_json_carries_the_new_fields() -> None:
    d = synthetic().to_dict()
    assert d["alerts"][0]["id"] == "suspected-hit"
    assert d["limbsNotExamined"] == ["right"]
    assert d["questions"] == {"pregnant": "Is she pregnant?"}
    assert [b["id"] for b in d["bottomLine"]][:2] == ["SET-1", "NICE-AC"]
    nice = next(r for r in d["recommendations"] if r["id"] == "NICE-AC")
    assert nice["struckOut"] == [{"option": "dabigatran", "because": "CrCl 30 mL/min or less (LBL-DABI-RENAL)"}]
    for key in ("options", "cautionDetails", "questions", "notes", "decisionRemark", "indication"):
        assert key in nice
    json.dumps(d)


# ------------------------------------------------------------------ one real run: the seed case


@pytest.fixture(scope="module")
def seed(fast_assessor):
    return fast_assessor, fast_assessor.assess(str(SEED))  # the report, not the reasoner: the fast engine


def test_seed_report_is_short_and_opens_with_the_bottom_line(seed) -> None:
    _, a = seed
    text = render_text(a)
    lines = text.splitlines()
    assert len(lines) < 120
    first = next(line for line in lines[2:] if line.strip())
    assert first.startswith(("ALERT:", "BOTTOM LINE"))
    bl = section(text, "BOTTOM LINE")
    assert len(bl) <= 10
    removal = [line for line in bl if line.strip().startswith("thrombus removal")]
    # limb-threatening iliofemoral DVT on the left: AHA11-T1 (Class I) leads thrombus removal there
    assert removal and "left leg" in removal[0] and "AHA11-T1" in removal[0]


def test_seed_verbose_is_longer_and_lists_every_applying_statement(seed) -> None:
    _, a = seed
    verbose = render_text(a, verbose=True)
    assert len(verbose.splitlines()) > len(render_text(a).splitlines())
    for r in a.recommendations:
        if r.status == "applies":
            assert r.id in verbose, r.id
    assert "undecided" not in verbose.lower()


def test_seed_json_has_bottom_line_and_questions(seed) -> None:
    _, a = seed
    d = json.loads(json.dumps(a.to_dict()))
    assert d["bottomLine"] and isinstance(d["questions"], dict)
    left = [b for b in d["bottomLine"] if b["decision"] == "thrombus removal" and b["limb"] == "left"]
    assert left and left[0]["id"] == "AHA11-T1"
    assert left[0]["grade"].startswith("Class I")


def test_every_case_key_has_a_question_and_every_grade_a_rank(seed) -> None:
    assessor, _ = seed
    keys = assessor.kb.keys
    assert keys.question("pregnant") == "Is she pregnant?"
    assert keys.question("limbs.left.signs.cyanosis").endswith("left leg cyanosed?")
    for key in list(keys.patient) + [f"limbs.left.{k}" for k in keys.limb]:
        assert keys.question(key).endswith("?"), key
    g = assessor.kb.graph
    dvt = "https://w3id.org/dvtkg/ontology#"
    rank = URIRef(dvt + "rankInScheme")
    for kind in ("StrengthLevel", "CertaintyLevel"):
        for level in g.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), URIRef(dvt + kind)):
            assert g.value(level, rank) is not None, level
    grade = "https://w3id.org/dvtkg/grade/"
    ranks = [int(g.value(URIRef(grade + f"aha2011-class-{c}"), rank)) for c in ("I", "IIa", "IIb")]
    assert ranks == sorted(ranks) and len(set(ranks)) == 3


def test_cli_takes_verbose_and_no_reasons_together() -> None:
    from dvtkg.cli import build_parser

    args = build_parser().parse_args(["assess", str(SEED), "--verbose", "--no-reasons"])
    assert args.verbose and args.no_reasons
    assert not build_parser().parse_args(["assess", str(SEED)]).verbose


def test_no_reasons_leaves_out_the_because(report: str) -> None:
    a = synthetic()
    a.item("DUR-1").because = ["meets: acute VTE (30 days or fewer) (course.vteDaysAgo = 2)"]
    a.item("DUR-1").reasons = [{"kind": "meets", "criterion": "https://w3id.org/dvtkg/criterion/AcuteVte",
                                "label": "acute VTE (30 days or fewer)", "facts": ["course.vteDaysAgo = 2"],
                                "conflict": False}]   # what the report reads: the structure, not the text
    assert "Because: acute VTE" in render_text(a)
    assert "Because:" not in render_text(a, show_reasons=False)


def test_a_blocked_opponent_is_not_counted_as_disagreeing() -> None:
    # rule 18: a conflict is reported when both apply or are blocked; the bottom line counts applying ones only
    lead = item("LEAD", "applies", "filter", "strong", "high")
    blocked = item("OPPONENT", "blocked", "filter", "weak", "low", blocked_by=["active bleeding"])
    conflicts = [{"between": ["LEAD", "OPPONENT"], "kind": "direction", "limb": None, "explanation": "-"}]
    (line,) = bottom_line([lead, blocked], conflicts)
    assert (line["id"], line["agree"], line["disagree"]) == ("LEAD", 0, 0)
    opponent = item("OPPONENT", "applies", "filter", "weak", "low")
    (line,) = bottom_line([lead, opponent], conflicts)
    assert (line["agree"], line["disagree"], line["disagreeIds"]) == (0, 1, ["OPPONENT"])


def test_on_equal_grades_the_newer_source_leads() -> None:
    # both weak, strength rank 2, certainty rank 2: the 2021 statement leads the 2011 one
    older = item("AAA-OLD", "applies", "thrombus removal", "Class IIa", "LOE B", source="AHA2011")
    newer = item("ZZZ-NEW", "applies", "thrombus removal", "weak", "moderate", source="CHEST2021")
    (line,) = bottom_line([older, newer], [])
    assert line["id"] == "ZZZ-NEW"
