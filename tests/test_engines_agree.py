"""The fast engine (compiled classifier + compiled guidance rules) gives the same assessment as the
reference engine (HermiT + the SPARQL guidance queries): the whole JSON, field by field, on every
example case and on generated cases. The classifier alone is proved on generated cases by
tests/test_fast_differential.py (and ``make differential``), the guidance rules alone by
tests/test_guidance_differential.py; this closes the loop end to end. The fast engine reads case
sheets on the lean path (dvtkg.lean), so these tests compare that path with the specification.

Every example and generated case runs through the reference pipeline with HermiT kept warm (one JVM
for the session, dvtkg.fast.reference: the same HermiT jar on the same reasoner case graph, shown
equal to the owlready2 path by tests/test_fast_differential.py); three examples also through the
reference engine exactly as `dvtkg assess --engine reference` runs it (HermiT through owlready2, a
JVM per case). Generated case sheets are compared the same way, whole JSON, by the differential harness
(dvtkg.fast.wholejson: >= 100 sheets in tests/test_fast_differential.py, 1,000 in `make differential`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from project_paths import EXAMPLES as EXAMPLE_DIR
from rdflib import Graph

from dvtkg.assessment.pipeline import Assessor
from dvtkg.fast.reference import WarmHermit
from dvtkg.fast.wholejson import canonical
from dvtkg.reason import Classification, _subjects, reasoner_case_graph

# every example through the reference engine (HermiT + the SPARQL guidance)
pytestmark = [pytest.mark.reasoner, pytest.mark.slow]

EXAMPLES = sorted(EXAMPLE_DIR.glob("*.json"))
OWLREADY2_EXAMPLES = ("seed-massive-bilateral-dvt", "contradictory-data", "missing-data-sparse")


class WarmReferenceAssessor(Assessor):
    """The reference engine (SPARQL guidance) whose HermiT runs warm instead of a JVM per case."""

    def __init__(self, base: Assessor, hermit: WarmHermit) -> None:
        super().__init__(base.kb, engine="reference")
        self.hermit = hermit
        self.warm_calls = 0

    def _classify(self, g: Graph, closures, case_iri: str) -> Classification:
        self.warm_calls += 1
        graph = reasoner_case_graph(g, closures, self.kb.segment_classes, case_iri)
        inferred = self.hermit.classify_graph(graph, _subjects(g))
        if inferred is None:
            return Classification(Graph(), consistent=False, closures=closures)
        return Classification(inferred, consistent=True, closures=closures)


@pytest.fixture(scope="module")
def warm_reference(reference_assessor: Assessor, warm_hermit: WarmHermit) -> WarmReferenceAssessor:
    return WarmReferenceAssessor(reference_assessor, warm_hermit)


def _same(ref: dict[str, Any], fast: dict[str, Any]) -> None:
    assert ref["engine"]["engine"] == "reference" and fast["engine"]["engine"] == "fast"
    # canonical order, without the fields saying which engine ran and how long it took (dvtkg.fast.wholejson)
    assert canonical(fast) == canonical(ref)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_fast_and_reference_give_the_same_assessment(warm_reference: WarmReferenceAssessor,
                                                     fast_assessor: Assessor, path: Path) -> None:
    calls = warm_reference.warm_calls
    ref = warm_reference.assess(path).to_dict()
    assert warm_reference.warm_calls > calls, "the pipeline no longer classifies through Assessor._classify"
    _same(ref, fast_assessor.assess(path).to_dict())


@pytest.mark.parametrize("name", OWLREADY2_EXAMPLES)
def test_fast_and_the_owlready2_reference_give_the_same_assessment(reference_assessor: Assessor,
                                                                   fast_assessor: Assessor, name: str) -> None:
    path = EXAMPLE_DIR / f"{name}.json"
    _same(reference_assessor.assess(path).to_dict(), fast_assessor.assess(path).to_dict())
