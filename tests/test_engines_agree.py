"""The fast engine (compiled classifier + compiled guidance rules) gives the same assessment as the
reference engine (HermiT + the SPARQL guidance queries): the whole JSON, field by field, on every
example case. The classifier alone is proved on generated cases by tests/test_fast_differential.py,
the guidance rules alone by tests/test_guidance_differential.py; this closes the loop end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvtkg.assessment.pipeline import Assessor
from project_paths import EXAMPLES as EXAMPLE_DIR

# every example through the reference engine (HermiT via owlready2 + the SPARQL guidance)
pytestmark = [pytest.mark.reasoner, pytest.mark.slow]

EXAMPLES = sorted(EXAMPLE_DIR.glob("*.json"))


@pytest.fixture(scope="module")
def engines(reference_assessor: Assessor, fast_assessor: Assessor) -> tuple[Assessor, Assessor]:
    return reference_assessor, fast_assessor


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_fast_and_reference_give_the_same_assessment(engines, path: Path) -> None:
    ref, fast = (a.assess(path).to_dict() for a in engines)
    assert ref["engine"]["engine"] == "reference" and fast["engine"]["engine"] == "fast"
    for d in (ref, fast):
        d.pop("engine")
    assert fast == ref
