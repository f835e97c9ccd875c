"""One source for the case contract: the dvt:caseKey table of the case module generates the case
shapes, the case-sheet JSON Schema, the key table of docs/case-format.md and dvtkg/cases/contract.py.

The generated files are committed; these tests fail when one of them no longer matches what the
ontology generates (run `make generate`), and check that the JSON Schema accepts exactly the sheets
the loader accepts.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from rdflib import Graph
from rdflib.namespace import SH

from dvtkg.cases import contract
from dvtkg.cases.contract_table import ContractError, read_table
from dvtkg.cases.generate import SCHEMA_FILE, SHAPES_FILE, outputs, stale
from dvtkg.cases.keys import KeyTable, load_key_table
from dvtkg.cases.sheet import sheet_to_graph
from dvtkg.cases.validate_case import validate_case
from dvtkg.kb.build import load_knowledge


@pytest.fixture(scope="module")
def keys(project_root: Path) -> KeyTable:
    return load_key_table(load_knowledge(project_root))


@pytest.fixture(scope="module")
def shapes(project_root: Path) -> Graph:
    return Graph().parse(project_root / SHAPES_FILE, format="turtle")


@pytest.fixture(scope="module")
def validator(project_root: Path) -> Draft202012Validator:
    schema = json.loads((project_root / SCHEMA_FILE).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_generated_files_are_up_to_date(project_root: Path) -> None:
    assert stale(project_root) == [], "generated case-contract files are stale: run `make generate`"


def test_a_stale_file_is_detected(project_root: Path, tmp_path: Path) -> None:
    """Change the ontology in a copy: every generated file that depends on the change is stale."""
    for rel in ("ontology/modules/case.ttl", "ontology/modules/anatomy.ttl", "docs/case-format.md", "queries/.keep"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        if (project_root / rel).exists():
            shutil.copy(project_root / rel, tmp_path / rel)
    for generated, text in outputs(project_root).items():
        (tmp_path / generated).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / generated).write_text(text, encoding="utf-8")
    assert stale(tmp_path) == []
    case = tmp_path / "ontology/modules/case.ttl"
    text = case.read_text()
    case.write_text(text.replace("dvt:minValue 0 ; dvt:maxValue 120 ;", "dvt:minValue 0 ; dvt:maxValue 125 ;", 1))
    assert {str(p) for p in stale(tmp_path)} == {"shapes/case.ttl", "schemas/case-sheet.schema.json",
                                                 "docs/case-format.md", "dvtkg/cases/contract.py"}


def test_a_key_without_its_range_is_refused_by_name(project_root: Path, tmp_path: Path) -> None:
    (tmp_path / "ontology/modules").mkdir(parents=True)
    (tmp_path / "queries").mkdir()
    shutil.copy(project_root / "ontology/modules/anatomy.ttl", tmp_path / "ontology/modules/anatomy.ttl")
    text = (project_root / "ontology/modules/case.ttl").read_text()
    (tmp_path / "ontology/modules/case.ttl").write_text(text.replace("dvt:minValue 1 ; dvt:maxValue 400 ;", "", 1))
    with pytest.raises(ContractError, match=r"dvt:weightKg \(number\) needs dvt:minValue and dvt:maxValue"):
        read_table(tmp_path)


def test_the_python_registry_is_the_runtime_key_table(keys: KeyTable) -> None:
    """contract.KEYS (generated) and the key table the loader reads from the knowledge base agree."""
    runtime = {**{s.key: s for s in keys.patient.values()}, **{s.key: s for s in keys.limb.values()}}
    assert {k.key for k in contract.KEYS} == set(runtime)
    for k in contract.KEYS:
        spec = runtime[k.key]
        assert (str(spec.prop), spec.kind, spec.limb_level) == (k.property, k.kind, k.level == "limb"), k.key
        assert spec.allowed == tuple(sorted(k.allowed)), k.key
        assert (str(spec.minimum) if spec.minimum is not None else None, str(spec.maximum)
                if spec.maximum is not None else None) == (k.minimum, k.maximum), k.key
        assert (str(spec.flag_prop) if spec.flag_prop else None) == k.flag_property, k.key
    assert len(contract.VEIN_NAMES) == 13 and contract.VEIN_NAMES[0] == "ivc" and contract.SIDES == ("left", "right")


def test_every_key_has_a_shape_a_schema_entry_and_a_docs_row(project_root: Path, shapes: Graph) -> None:
    names = {str(o) for o in shapes.objects(None, SH.name)}
    docs = (project_root / "docs/case-format.md").read_text()
    schema = (project_root / SCHEMA_FILE).read_text()
    for k in contract.KEYS:
        assert k.key in names, k.key
        assert f"| `{k.key}` |" in docs, k.key
        assert f'"{k.key.rsplit(".", 1)[-1]}"' in schema, k.key


# ---------------------------------------------------------------- the JSON Schema against the loader

def _loader_accepts(sheet: dict[str, Any], keys: KeyTable, shapes: Graph) -> bool:
    g, violations = sheet_to_graph(sheet, keys)
    return not violations and not validate_case(g, shapes, keys)


def _sheets(project_root: Path) -> dict[str, dict[str, Any]]:
    found = sorted((project_root / "examples" / "cases").glob("*.json"))
    found += sorted((project_root / "tests" / "fixtures" / "cases").rglob("*.json"))
    return {str(p.relative_to(project_root)): json.loads(p.read_text(encoding="utf-8")) for p in found}


def test_schema_and_loader_agree_on_every_example_and_fixture(project_root: Path, validator: Draft202012Validator,
                                                             keys: KeyTable, shapes: Graph) -> None:
    sheets = _sheets(project_root)
    assert len(sheets) > 50
    for name, sheet in sheets.items():
        errors = [e.message for e in validator.iter_errors(sheet)]
        assert (not errors) == _loader_accepts(sheet, keys, shapes), (name, errors)
    assert not validator.is_valid(sheets["tests/fixtures/cases/input/invalid-many.json"])


def _with(sheet: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(sheet)
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


# (key, value, accepted): written from the contract's ranges and lists (docs/case-format.md), both
# sides of each bound; null is unknown and always accepted; a misspelt key or side is refused
BOUNDARIES = [
    ("age", 120, True), ("age", 121, False), ("age", 0, True), ("age", -1, False), ("age", 30.5, False),
    ("labs.serumCreatinineMgDl", 0.1, True), ("labs.serumCreatinineMgDl", 0.09, False),
    ("labs.serumCreatinineMgDl", 25, True), ("labs.serumCreatinineMgDl", 25.01, False),
    ("wellsDvtScore", -2, True), ("wellsDvtScore", -3, False), ("labs.crclMlMin", 29.9, True),
    ("bleeding.majorSurgeryDaysAgo", "none", True), ("bleeding.majorSurgeryDaysAgo", "never", False),
    ("bleeding.majorSurgeryDaysAgo", 36500, True), ("bleeding.majorSurgeryDaysAgo", 36501, False),
    ("bleeding.majorSurgeryDaysAgo", None, True), ("sex", "M", False), ("sex", "female", True), ("sex", None, True),
    ("pregnant", "no", False), ("pregnant", 0, False), ("conditions.liverDisease", "mild", True),
    ("limbs.left.signs.pulses", "weak", False), ("limbs.left.symptomDays", 3650, True),
    ("limbs.left.symptomDays", 3651, False), ("limbs.left.veins", ["femoral", "soleal"], True),
    ("limbs.left.veins", ["femorall"], False), ("limbs.left.veins", None, True), ("limbs.left.veins", "femoral", False),
    ("limbs.middle", {}, False), ("limbs.right", None, True), ("pregnnant", True, False), ("labs.crcl", 30, False),
    ("notes", "free text", True), ("codes", [{"system": "http://snomed.info/sct", "code": "128053003"}], True),
    ("codes", [{"system": "http://snomed.info/sct", "code": ""}], False), ("codes", [{"code": "I82.4"}], False),
]


@pytest.mark.parametrize(("key", "value", "accepted"), BOUNDARIES)
def test_schema_boundaries(key: str, value: Any, accepted: bool, validator: Draft202012Validator, keys: KeyTable,
                           shapes: Graph, examples_dir: Path) -> None:
    seed = json.loads((examples_dir / "seed-massive-bilateral-dvt.json").read_text())
    sheet = _with(seed, key, value)
    assert validator.is_valid(sheet) is accepted
    assert _loader_accepts(sheet, keys, shapes) is accepted  # the schema says what the loader does
