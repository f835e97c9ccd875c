"""The fast engine (compiled classifier + compiled guidance rules) gives the same assessment as the
reference engine (HermiT + the SPARQL guidance queries): the whole JSON, field by field, on every
example case and on generated cases. The classifier alone is proved on generated cases by
tests/test_fast_differential.py (and ``make differential``), the guidance rules alone by
tests/test_guidance_differential.py; this closes the loop end to end. The fast engine reads case
sheets on the lean path (dvtkg.lean), so these tests compare that path with the specification.
``DVTKG_REF_N`` sets how many generated cases go through HermiT (default 24: ~3 s each)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from dvtkg.assessment.pipeline import Assessor
from dvtkg.casegen import generate_case
from dvtkg.fast.classify import load_or_compile
from dvtkg.fast.differential import Generator
from dvtkg.guidance.knowledge import KnowledgeBase

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples" / "cases").glob("*.json"))
REF_N = int(os.environ.get("DVTKG_REF_N", "24"))

pytestmark = pytest.mark.reasoner


@pytest.fixture(scope="module")
def engines() -> tuple[Assessor, Assessor]:
    kb = KnowledgeBase.load()
    return Assessor(kb, engine="reference"), Assessor(kb, engine="fast")


def _without_seconds(d: dict[str, Any]) -> dict[str, Any]:
    engine = d.pop("engine")
    return {**d, "knowledge": [engine["knowledgeHash"], engine["knowledgeVersion"], engine["tboxHash"]]}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_fast_and_reference_give_the_same_assessment(engines, path: Path) -> None:
    ref, fast = (a.assess(path).to_dict() for a in engines)
    assert ref["engine"]["engine"] == "reference" and fast["engine"]["engine"] == "fast"
    assert json.dumps(_without_seconds(fast), sort_keys=True) == json.dumps(_without_seconds(ref), sort_keys=True)


@pytest.mark.slow
def test_fast_and_reference_agree_on_generated_cases(engines) -> None:
    ref, fast = engines
    gen = Generator(ref, load_or_compile(ref.kb.owl_path))
    sheets = [generate_case(i) for i in range(REF_N // 2)]
    sheets += [gen.random_sheet(i)[0] for i in range(REF_N - len(sheets))]
    differ = []
    for sheet in sheets:
        a, b = (_without_seconds(e.assess(sheet).to_dict()) for e in engines)
        if json.dumps(a, sort_keys=True) != json.dumps(b, sort_keys=True):
            differ.append(sheet["id"])
    assert differ == []
