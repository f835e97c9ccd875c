"""schemas/assessment.schema.json is the contract of `dvtkg assess --format json`: every example case's
output, and generated cases', validate against it (jsonschema, Draft 2020-12), and it refuses output
that breaks the contract (so that it is no empty promise)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from dvtkg.assessment.pipeline import Assessor
from dvtkg.casegen import generate_case

pytestmark = pytest.mark.slow  # every example is assessed (the fast engine: about a second each)


@pytest.fixture(scope="module")
def validator(project_root: Path) -> Draft202012Validator:
    schema = json.loads((project_root / "schemas" / "assessment.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def assessor(fast_assessor: Assessor) -> Assessor:
    return fast_assessor  # the session's (tests/conftest.py): one knowledge base load per process


@pytest.fixture(scope="module")
def seed_output(assessor: Assessor, examples_dir: Path) -> dict[str, Any]:
    return assessor.assess(examples_dir / "seed-massive-bilateral-dvt.json").to_dict()


def _errors(validator: Draft202012Validator, output: dict[str, Any]) -> list[str]:
    return [f"{e.json_path}: {e.message[:200]}" for e in validator.iter_errors(output)]


def test_every_example_output_validates(validator: Draft202012Validator, assessor: Assessor,
                                        examples_dir: Path) -> None:
    examples = sorted(examples_dir.glob("*.json"))
    assert len(examples) >= 20
    for path in examples:
        for with_timings in (True, False):
            output = json.loads(json.dumps(assessor.assess(path).to_dict(with_timings=with_timings)))
            assert _errors(validator, output) == [], path.name


@pytest.mark.parametrize("i", [0, 1, 2])
def test_generated_case_outputs_validate(i: int, validator: Draft202012Validator, assessor: Assessor) -> None:
    output = json.loads(json.dumps(assessor.assess(generate_case(i)).to_dict()))
    assert _errors(validator, output) == []


@pytest.mark.parametrize(("where", "value"), [
    (("recommendations", 0, "status"), "maybe"),          # a status outside the four the engine gives
    (("recommendations", 0, "direction"), "sideways"),
    (("engine", "unknownIsNotFalse"), False),            # unknown is never false: a contract, not a setting
    (("limbsNotExamined",), ["middle"]),
    (("bottomLine", 0, "agree"), -1),
])
def test_broken_output_is_refused(where: tuple[Any, ...], value: Any, validator: Draft202012Validator,
                                  seed_output: dict[str, Any]) -> None:
    broken = copy.deepcopy(seed_output)
    node: Any = broken
    for step in where[:-1]:
        node = node[step]
    node[where[-1]] = value
    assert _errors(validator, broken) != []


def test_a_missing_section_is_refused(validator: Draft202012Validator, seed_output: dict[str, Any]) -> None:
    for section in ("recommendations", "alerts", "bottomLine", "engine", "dataConflicts"):
        broken = {k: v for k, v in seed_output.items() if k != section}
        assert _errors(validator, broken) != [], section
