"""The compiled predicates of the fast classifier decide as the expression walk does; the caches keep no case.

The fast classifier evaluates each defined class through a closure compiled once from the
TBox (``Reasoner.predicate``); ``Reasoner.holds_tree`` walks the same expression and is its
specification. Here both are asked, on every state the saturation reaches for the example
sheets and generated cases, about every definition of the TBox: the answers must agree
(this is an equivalence of two implementations, as in the differential test, not an
expected clinical answer; those are in test_fast_classifier.py and the differential).
The saturation's own predicate leaves out a definition's named conjuncts: it must agree
with the whole definition wherever those conjuncts hold.

The explanation and the classifier keep per-knowledge tables (key expansions, statement
fields, compiled predicates): assessing other cases in between must not change a case's
JSON or its text-report fields.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from dvtkg.assessment.jsonout import assessment_json
from dvtkg.assessment.pipeline import Assessor
from dvtkg.casegen import generate_case
from dvtkg.fast.differential import Generator
from dvtkg.fast.entail import Inconsistent, Predicate, Reasoner, UnsupportedCase, _State
from dvtkg.lean.assess import LeanAssessor


class _Recording(Reasoner):
    """A Reasoner that keeps every state it saturates (to ask both forms about them afterwards)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.states: list[_State] = []

    def _saturate(self, st: _State) -> Any:
        pick = super()._saturate(st)
        self.states.append(st)
        return pick


class _Walking(Reasoner):
    """A Reasoner that decides every expression by the walk alone (``holds_tree``), compiling nothing."""

    def predicate(self, e: Any) -> Predicate:
        return lambda st, n: self.holds_tree(st, n, e)


def _outcome(reasoner: Reasoner, facts: Any) -> Any:
    try:
        return reasoner.run(facts)
    except (Inconsistent, UnsupportedCase) as exc:
        return type(exc).__name__


@pytest.fixture(scope="module")
def lean() -> LeanAssessor:
    return LeanAssessor()


def _sheets(examples_dir: Path, n: int) -> list[Any]:
    return [*sorted((examples_dir / "cases").glob("*.json")), *(generate_case(i) for i in range(n))]


def _agree(recording: _Recording) -> int:
    """Ask both forms about every definition on every recorded state; return how many answers were compared."""
    checked = 0
    for st in recording.states:
        for n, node in st.nodes.items():
            for cls, bodies in recording.plan:
                for required, rest, body in bodies:
                    want = recording.holds_tree(st, n, body)
                    assert recording.predicate(body)(st, n) == want, (cls, n)
                    if required <= node.types:
                        assert rest(st, n) == want, (cls, n)
                    checked += 1
    return checked


def test_compiled_predicates_decide_as_the_expression_walk_on_sheets(lean: LeanAssessor, examples_dir: Path) -> None:
    recording = _Recording(lean.knowledge.classifier)
    lean.reasoner = recording
    try:
        for case in _sheets(examples_dir, 60):
            lean.assess(case)
    finally:
        lean.reasoner = Reasoner(lean.knowledge.classifier)
    assert _agree(recording) > 10_000


@pytest.mark.slow
def test_compiled_predicates_decide_as_the_expression_walk_on_the_differential_cases(
        fast_assessor: Assessor, project_root: Path) -> None:
    # the differential's TBox-driven cases: facet thresholds, open and closed vein lists, 0/1/2 limbs,
    # contradictions, limbs not said different, unions to split by cases
    fast = fast_assessor.fast
    assert fast is not None
    recording, walking = _Recording(fast.compiled), _Walking(fast.compiled)
    gen = Generator(fast_assessor, fast.compiled)
    for case in itertools.islice(gen.cases(project_root), 500):
        facts = _facts(fast, case.graph)
        # the whole classification (anonymous successors, splits by cases included) is the same
        assert _outcome(recording, facts) == _outcome(walking, facts), case.name
    assert _agree(recording) > 50_000


def _facts(fast: Any, graph: Any) -> Any:
    from dvtkg.fast.classify import facts_from_graph

    return facts_from_graph(fast.compiled, graph)


def _extra(lean: LeanAssessor, case: Any) -> tuple[str, str]:
    a = lean.assess(case)
    fields = [[i.id, i.limb, i.because_full, i.reasons] for i in a.recommendations]
    return assessment_json(a), json.dumps(fields, sort_keys=True)


def test_a_case_reads_the_same_after_other_cases(examples_dir: Path) -> None:
    first = LeanAssessor()
    sheets = _sheets(examples_dir, 20)
    before = [_extra(first, c) for c in sheets]
    again = [_extra(first, c) for c in reversed(sheets)][::-1]
    fresh = LeanAssessor()
    assert again == before
    assert _extra(fresh, sheets[-1]) == before[-1]
