"""Case input: the sheet contract, clear violations, data conflicts, derived facts, and
the same assessment from a case sheet, its Turtle case graph and its JSON-LD case graph."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from project_paths import ROOT

from dvtkg.assessment.pipeline import Assessor
from dvtkg.cases.errors import CaseInputError, CaseValidationError

FIX = ROOT / "tests" / "fixtures" / "cases" / "input"


@pytest.fixture(scope="module")
def assessor(fast_assessor: Assessor) -> Assessor:
    return fast_assessor  # input handling, not the reasoner: the fast engine (proved equal to HermiT)


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dvtkg.cli", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=300)


def test_every_violation_names_its_key(assessor: Assessor) -> None:
    with pytest.raises(CaseValidationError) as err:
        assessor.load(FIX / "invalid-many.json")
    keys = {v.key for v in err.value.violations}
    assert keys == {"age", "bleeding.intracranialEventDaysAgo", "labs.crclMlMin", "limbs.left.sings.cyanosis",
                    "limbs.left.symptomDays", "limbs.left.veins", "pregnnant", "sex", "weightKg"}
    by_key = {v.key: v for v in err.value.violations}
    assert "0 to 120" in by_key["age"].rule and by_key["age"].value == "150"
    assert by_key["limbs.left.veins"].value == "femorall"
    assert "not a case-sheet key" in by_key["pregnnant"].rule


@pytest.mark.slow  # a CLI subprocess that loads the knowledge base (seconds each)
def test_invalid_case_exits_1_with_report_and_no_assessment() -> None:
    proc = run_cli("assess", str(FIX / "invalid-many.json"), "--format", "json")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "sex: must be one of male, female (given: M)" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("content,needle", [
    ("{not json", "line 1 column 2: not valid JSON"),
    ("[1, 2]", "a case sheet must be a JSON object"),
])
@pytest.mark.slow  # a CLI subprocess that loads the knowledge base (seconds each)
def test_unreadable_case_exits_2(tmp_path: Path, content: str, needle: str) -> None:
    bad = tmp_path / "case.json"
    bad.write_text(content)
    proc = run_cli("assess", str(bad))
    assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr


def test_missing_file_and_unknown_format(assessor: Assessor, tmp_path: Path) -> None:
    with pytest.raises(CaseInputError, match="no such file"):
        assessor.load(tmp_path / "absent.json")
    other = tmp_path / "case.csv"
    other.write_text("x")
    with pytest.raises(CaseInputError, match="unknown case format"):
        assessor.load(other)


def test_unknown_is_never_false(assessor: Assessor) -> None:
    loaded = assessor.load({"id": "sparse", "limbs": {"left": {"veins": ["popliteal"]}}, "pregnant": None})
    from dvtkg.cases.vocab import DVT

    assert loaded.graph.value(loaded.patient, DVT.pregnant) is None
    assert loaded.graph.value(loaded.patient, DVT.activeBleeding) is None


def test_data_conflicts_are_reported_not_failed(assessor: Assessor) -> None:
    a = assessor.assess(FIX / "conflicting.json")
    facts = [tuple(sorted(d["facts"])) for d in a.data_conflicts]
    assert ("pregnant", "sex") in facts
    assert ("bleeding.activeBleeding", "bleeding.anticoagulationContraindication") in facts
    assert ("codes:I82.422", "limbs.left.veins") in facts
    assert any("limbs.right.signs.cyanosis" in f for f in facts)
    # contradicted facts are unknown: pregnancy-dependent and bleeding-dependent statements cannot be decided
    assert a.status("LBL-PREG") == "indeterminate"
    assert "pregnant" in a.item("LBL-PREG").missing
    assert a.status("CHEST21-13") == "indeterminate"
    # the contradicted left thrombus list is not closed: 'not iliofemoral' is not concluded
    assert a.status("AHA11-T1", limb="left") == "indeterminate"


def test_derived_crcl_is_marked(assessor: Assessor) -> None:
    a = assessor.assess(FIX / "creatinine-only.json")
    derived = [d for d in a.derived if d["key"] == "labs.crclMlMin"]
    assert len(derived) == 1
    expected = (Decimal(140) - 80) * 50 / (Decimal(72) * Decimal("1.5")) * Decimal("0.85")  # = 23.6 mL/min
    assert abs(Decimal(str(derived[0]["value"])) - expected) < Decimal("0.01")
    assert "Cockcroft-Gault" in derived[0]["method"]
    assert a.status("LBL-RIVA-RENAL") == "applies"  # CrCl < 30
    assert a.status("LBL-APIX-RENAL") == "applies"  # CrCl < 25
    assert any("(derived)" in b for b in a.item("LBL-RIVA-RENAL").because)


def _statuses(a) -> dict[tuple[str, str | None], str]:
    return {(r.id, r.limb): r.status for r in a.recommendations}


@pytest.mark.slow  # a CLI subprocess that loads the knowledge base (seconds each)
def test_sheet_turtle_and_jsonld_give_the_same_assessment(assessor: Assessor, tmp_path: Path) -> None:
    sheet = ROOT / "tests" / "fixtures" / "cases" / "input" / "conflicting.json"
    ttl = tmp_path / "case.ttl"
    jsonld = tmp_path / "case.jsonld"
    for fmt, out in (("ttl", ttl), ("jsonld", jsonld)):
        proc = run_cli("case", "convert", str(sheet), "--format", fmt)
        assert proc.returncode == 0, proc.stderr
        out.write_text(proc.stdout)
    base = assessor.assess(sheet)
    for path in (ttl, jsonld):
        other = assessor.assess(path)
        assert _statuses(other) == _statuses(base), path.suffix
        assert other.data_conflicts == base.data_conflicts
        assert other.conflicts == base.conflicts


@pytest.mark.slow  # a CLI subprocess that loads the knowledge base (seconds each)
def test_stdin_case_sheet() -> None:
    sheet = json.dumps({"id": "stdin-case", "limbs": {"left": {"veins": ["popliteal"], "symptomDays": 2}}})
    proc = run_cli("assess", "-", "--engine", "fast", "--format", "json", stdin=sheet)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["case"] == "stdin-case"
    assert {"case", "classifications", "recommendations", "conflicts", "superseded", "dataConflicts",
            "derived", "closures", "engine"} <= set(data)
