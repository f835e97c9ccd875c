"""The case shapes compiled for the lean path decide exactly what pySHACL decides.

pySHACL over the case graph (the rdflib loader: sheet mapping, the case-graph guard, then
shapes/case.ttl) is the reference. Every case below goes through both loaders and must get
the same outcome: accepted, or refused with the same violations (key, rule, value), or
unreadable with the same message. The bad sheets are built from the key table, not listed
by hand: every key gets values of the wrong JSON type, one step outside its range (the
contract's plausible range, docs/case-format.md) and a value outside its enumeration; plus the
structural mistakes (unknown keys, limbs, veins, codes, ids) and the hostile inputs the
hardening guard refuses (NaN, Infinity, repeated keys, control characters, deep nesting,
huge integers).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dvtkg.assessment.pipeline import Assessor
from dvtkg.casegen import generate_case
from dvtkg.cases.errors import CaseInputError, CaseValidationError
from dvtkg.guidance.knowledge import KnowledgeBase
from dvtkg.lean.assess import STAGES, LeanAssessor
from dvtkg.lean.shapes import UnsupportedShape, compile_shapes


@pytest.fixture(scope="module")
def loaders(knowledge_base: KnowledgeBase) -> tuple[Assessor, LeanAssessor]:
    kb = knowledge_base  # the session's (tests/conftest.py), loaded once per process
    return Assessor(kb, engine="reference"), LeanAssessor(kb.root)


def outcome(load: Any, case: Any) -> Any:
    try:
        load(case)
    except CaseValidationError as exc:
        return ("refused", sorted((v.key, v.rule, v.value) for v in exc.violations))
    except CaseInputError as exc:
        return ("unreadable", str(exc))
    return ("accepted",)


def both(loaders: tuple[Assessor, LeanAssessor], case: Any) -> tuple[Any, Any]:
    rdf, lean = loaders
    return outcome(rdf.load, case), outcome(lambda c: lean.load(c, {s: 0.0 for s in STAGES}), case)


def _put(sheet: dict[str, Any], dotted: str, value: Any) -> None:
    node = sheet
    parts = dotted.split(".")
    for p in parts[:-1]:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    node[parts[-1]] = value


def bad_values(spec: Any) -> list[Any]:
    """Values that break a key's contract: wrong JSON type, one step outside the range, outside the enumeration."""
    out: list[Any] = []
    if spec.kind == "boolean":
        out += ["yes", 1, 0.5]
    elif spec.kind == "enumeration":
        out += ["not-a-value", 3, True]
    else:
        out += ["12", True]
        step = Decimal(1) if spec.kind in ("integer", "days-or-none") else Decimal("0.1")
        if spec.kind in ("integer", "days-or-none"):
            out.append(2.5)
        if spec.minimum is not None:
            out.append(float(spec.minimum - step) if step < 1 else int(spec.minimum - step))
        if spec.maximum is not None:
            out.append(float(spec.maximum + step) if step < 1 else int(spec.maximum + step))
        if spec.kind == "days-or-none":
            out.append("never")
    return out


def bad_sheets(kb: KnowledgeBase) -> list[tuple[str, dict[str, Any]]]:
    base = generate_case(7)
    base["limbs"]["right"] = {"veins": ["popliteal"]}
    out: list[tuple[str, dict[str, Any]]] = []
    for key, spec in sorted(kb.keys.patient.items()):
        for i, value in enumerate(bad_values(spec)):
            sheet = copy.deepcopy(base)
            _put(sheet, key, value)
            out.append((f"{key}#{i}", sheet))
    for key, spec in sorted(kb.keys.limb.items()):
        for i, value in enumerate(bad_values(spec)):
            sheet = copy.deepcopy(base)
            _put(sheet["limbs"]["left"], key, value)
            out.append((f"limbs.left.{key}#{i}", sheet))
    structural: dict[str, Any] = {
        "unknown-key": {"bogusKey": 1}, "unknown-nested-key": {"labs": {"bogus": 2}},
        "list-value": {"age": [40, 41]}, "object-value": {"sex": {"value": "male"}},
        "no-id": {"id": None}, "empty-id": {"id": ""}, "number-id": {"id": 5},
        "third-limb": {"limbs": {"middle": {}}}, "limb-not-object": {"limbs": {"left": 3}},
        "limbs-not-object": {"limbs": [1]}, "bad-vein": {"limbs": {"left": {"veins": ["aorta"]}}},
        "veins-not-list": {"limbs": {"left": {"veins": "femoral"}}}, "vein-number": {"limbs": {"left": {"veins": [3]}}},
        "codes-not-list": {"codes": "I82.401"}, "code-without-system": {"codes": [{"code": "I82.401"}]},
        "code-empty": {"codes": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": ""}]},
        "code-number": {"codes": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": 12}]},
        "code-extra-field": {"codes": [{"system": "x", "code": "y", "colour": "red"}]},
    }
    for name, change in structural.items():
        sheet = copy.deepcopy(base)
        for k, v in change.items():
            sheet[k] = v
        out.append((name, sheet))
    return out


HOSTILE = {
    "nan": '{"id": "h", "age": NaN}',
    "infinity": '{"id": "h", "weightKg": Infinity}',
    "minus-infinity": '{"id": "h", "labs": {"crclMlMin": -Infinity}}',
    "duplicate-key": '{"id": "h", "age": 40, "age": 41}',
    "duplicate-nested-key": '{"id": "h", "labs": {"crclMlMin": 40, "crclMlMin": 50}}',
    "control-in-id": '{"id": "a\\u0000b"}',
    "newline-in-id": '{"id": "a\\nb"}',
    "deep-nesting": '{"id": "h", "notes": ' + "[" * 100 + "]" * 100 + "}",
    "huge-integer": '{"id": "h", "age": ' + "9" * 5000 + "}",
    "not-an-object": "[1, 2, 3]",
    "not-json": "{id: h}",
    "empty": "",
}


def test_good_sheets_are_accepted_by_both(loaders, examples_dir: Path) -> None:
    cases = sorted(examples_dir.glob("*.json")) + [generate_case(i) for i in range(20)]
    for case in cases:
        ref, lean = both(loaders, case)
        assert lean == ref == ("accepted",), case


@pytest.mark.slow
def test_bad_sheets_get_the_same_violations(loaders) -> None:
    sheets = bad_sheets(loaders[0].kb)
    assert len(sheets) > 200
    refused = 0
    for name, sheet in sheets:
        ref, lean = both(loaders, sheet)
        assert lean == ref, name
        refused += ref[0] == "refused"
    # nearly every mutation breaks the contract (a few are in range on purpose: 0.5 for a boolean is not)
    assert refused >= len(sheets) - 5


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_inputs_get_the_same_answer(loaders, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.json"
    path.write_text(HOSTILE[name], encoding="utf-8")
    ref, lean = both(loaders, str(path))
    assert ref[0] in ("refused", "unreadable"), ref
    assert lean == ref


def test_the_compiler_refuses_a_constraint_it_does_not_decide() -> None:
    from rdflib import Graph

    shapes = Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix dvt: <https://w3id.org/dvtkg/ontology#> .
        dvt:S a sh:NodeShape ; sh:targetClass dvt:Patient ;
            sh:property [ sh:path dvt:sex ; sh:pattern "^m" ; sh:message "sex must start with m" ] .
    """, format="turtle")
    with pytest.raises(UnsupportedShape, match="pattern"):
        compile_shapes(shapes, _NoKeys())


class _NoKeys:
    by_prop: dict = {}
