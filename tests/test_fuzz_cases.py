"""Fuzzing the case input with Hypothesis: the exit-code contract on the validation path.

Whatever the input, loading a case ends in exactly one of: a loaded case (exit 0), a
CaseValidationError listing violations by key (exit 1) or a CaseInputError (exit 2);
never any other exception (which would be a traceback). Sheets generated within the
contract (values drawn from the key table of the case module) load without violation.
The parse/validate path is fast; the reasoner runs for a handful of generated cases.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dvtkg.assessment.pipeline import Assessor  # noqa: E402
from dvtkg.cases.errors import CaseInputError, CaseValidationError  # noqa: E402
from dvtkg.cases.keys import KeySpec  # noqa: E402
from dvtkg.cases.sheet import VEIN_NAMES  # noqa: E402

ASSESSOR = Assessor()
KEYS = ASSESSOR.kb.keys
# 4 properties x 500 = 2,000 generated inputs per run
FAST = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def _bounded(spec: KeySpec, integer: bool) -> st.SearchStrategy:
    lo = spec.minimum if spec.minimum is not None else Decimal(0)
    hi = spec.maximum if spec.maximum is not None else Decimal(10_000)
    if integer:
        return st.integers(min_value=int(-(-lo // 1)), max_value=int(hi // 1))
    return st.decimals(min_value=lo, max_value=hi, places=1, allow_nan=False, allow_infinity=False).map(float)


def valid_value(spec: KeySpec) -> st.SearchStrategy:
    if spec.kind == "boolean":
        return st.booleans() | st.none()
    if spec.kind == "integer":
        return _bounded(spec, True) | st.none()
    if spec.kind == "number":
        return _bounded(spec, False) | st.none()
    if spec.kind == "enumeration":
        return st.sampled_from(spec.allowed) | st.none()
    if spec.kind == "days-or-none":
        return st.just("none") | _bounded(spec, True) | st.none()
    return st.none()


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        *path, last = key.split(".")
        node = out
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return out


@st.composite
def valid_sheet(draw) -> dict[str, Any]:
    patient_keys = draw(st.lists(st.sampled_from(sorted(KEYS.patient)), unique=True, max_size=12))
    flat = {k: draw(valid_value(KEYS.patient[k])) for k in patient_keys}
    sheet = _nest(flat)
    sheet["id"] = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=20))
    limbs = {}
    for side in draw(st.lists(st.sampled_from(["left", "right"]), unique=True)):
        limb_keys = draw(st.lists(st.sampled_from(sorted(KEYS.limb)), unique=True, max_size=6))
        limb = _nest({k: draw(valid_value(KEYS.limb[k])) for k in limb_keys})
        limb["veins"] = draw(st.none() | st.lists(st.sampled_from(VEIN_NAMES), unique=True, max_size=5))
        limbs[side] = limb
    if limbs:
        sheet["limbs"] = limbs
    return sheet


JSON_LEAF = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
             | st.text(max_size=20))
JSON_ANY = st.recursive(JSON_LEAF, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=20)


@st.composite
def broken_sheet(draw) -> dict[str, Any]:
    """A valid sheet with a few keys replaced by any JSON value, or unknown keys added."""
    sheet = draw(valid_sheet())
    flat_keys = sorted(KEYS.patient)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        key = draw(st.sampled_from(flat_keys + ["id", "limbs", "codes", "notes", "unknownKey", "limbs.left"]))
        value = draw(JSON_ANY)
        node = sheet
        *path, last = key.split(".")
        for part in path:
            nxt = node.get(part)
            if not isinstance(nxt, dict):
                nxt = node[part] = {}
            node = nxt
        node[last] = value
    return sheet


def outcome(case: Any) -> int:
    """0, 1 or 2 as the command line would exit; any other exception fails the test."""
    try:
        ASSESSOR.load(case)
    except CaseValidationError as exc:
        assert exc.violations and all(v.rule and v.text().split(":")[0].strip() for v in exc.violations)
        return 1
    except CaseInputError as exc:
        assert str(exc).strip() and "\n" not in str(exc)
        return 2
    return 0


@FAST
@given(valid_sheet())
def test_sheets_within_the_contract_load_without_violation(sheet: dict[str, Any]) -> None:
    try:
        ASSESSOR.load(sheet)
    except CaseValidationError as exc:
        pytest.fail(f"{json.dumps(sheet)} -> {exc}")


@FAST
@given(broken_sheet())
def test_broken_sheets_keep_the_exit_code_contract(sheet: dict[str, Any]) -> None:
    assert outcome(sheet) in (0, 1)  # a dict is always readable: valid or violations, never a crash


@FAST
@given(st.one_of(JSON_ANY.map(json.dumps), broken_sheet().map(json.dumps),
                 st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_any_text_as_a_case_file_keeps_the_contract(tmp_path_factory, text: str) -> None:
    path = Path(tmp_path_factory.mktemp("fuzz")) / "case.json"
    path.write_text(text, encoding="utf-8")
    assert outcome(path) in (0, 1, 2)


TTL_PARTS = st.sampled_from([
    "case:patient a dvt:Patient ; dvt:caseIdentifier \"f\" .",
    "case:patient dvt:ageYears 40 .",
    "case:patient dvt:activeBleeding true .",
    "case:patient dvt:hasLimb case:limb-left . case:limb-left a dvt:Limb ; dvt:laterality dvtv:left .",
    "case:limb-left dvt:hasThrombusIn dvtv:vein-popliteal .",
    "case:patient a dvt:ActiveBleedingMet .",
    "dvt:Patient rdfs:subClassOf dvt:ActiveBleedingMet .",
    "rec:CHEST21-15 dvt:hasBlockingCriterion dvtc:AcuteVte .",
    "<https://w3id.org/dvtkg/case/f> owl:imports <http://127.0.0.1:9/x> .",
    "case:patient rdfs:label \"x\" .",
    "case:patient dvt:ageYears \"forty\" .",
    "case:other a dvt:Patient .",
    "case:patient dvt:ageYears (1 2 .",
])
TTL_HEAD = """@prefix dvt: <https://w3id.org/dvtkg/ontology#> .
@prefix dvtv: <https://w3id.org/dvtkg/value/> .
@prefix dvtc: <https://w3id.org/dvtkg/criterion/> .
@prefix rec: <https://w3id.org/dvtkg/rec/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix case: <https://w3id.org/dvtkg/case/f#> .
"""
FORBIDDEN = ("ActiveBleedingMet", "subClassOf", "hasBlockingCriterion", "owl:imports", "rdfs:label")


@FAST
@given(st.lists(TTL_PARTS, min_size=1, max_size=6))
def test_case_graphs_keep_the_contract_and_never_state_knowledge(tmp_path_factory, parts: list[str]) -> None:
    path = Path(tmp_path_factory.mktemp("fuzz")) / "case.ttl"
    path.write_text(TTL_HEAD + "\n".join(parts) + "\n", encoding="utf-8")
    code = outcome(path)
    if any(word in part for part in parts for word in FORBIDDEN):
        assert code in (1, 2)  # a graph stating knowledge never loads


@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(valid_sheet())
def test_a_handful_of_generated_cases_are_assessed(sheet: dict[str, Any]) -> None:
    assessment = ASSESSOR.assess(sheet)
    statuses = {r.status for r in assessment.recommendations}
    assert statuses <= {"applies", "blocked", "indeterminate", "not-applicable"}
