"""Differential test: the compiled guidance rules (dvtkg/guidance/compiled.py) give exactly the
results of the SPARQL guidance queries (the reference, queries/guidance/*.rq on pyoxigraph).

The inputs are generated type assignments: a patient with 0, 1 or 2 limbs, each criterion's
meets / does-not-meet classes drawn for its subject among the four states (met, not met,
unknown, both = conflict), biased so that whole populations are met often enough to reach
statuses other than not-applicable. Both engines see the same assignment; compared are, per
result (statement x subject): the status, every criterion state (role, state, second pass),
every option's contraindication states; then the conflicts, the superseded statements and the
guidance-dependent types. DVTKG_DIFF_N sets the number of assignments (default 30: the
reference engine costs several seconds per random assignment here; set it higher for a longer run).
"""

from __future__ import annotations

import os
import random
from collections import Counter

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from dvtkg.cases.vocab import DVT
from dvtkg.guidance.compiled import CompiledGuidance, evaluate_compiled, types_from_graph
from dvtkg.guidance.engine import Evaluation, evaluate
from dvtkg.guidance.knowledge import KnowledgeBase

N = int(os.environ.get("DVTKG_DIFF_N", "30"))
BASE = "https://w3id.org/dvtkg/case/diff#"
PATIENT = URIRef(BASE + "patient")
LIMBS = [URIRef(BASE + "limb-left"), URIRef(BASE + "limb-right")]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.fixture(scope="module")
def compiled(kb: KnowledgeBase) -> CompiledGuidance:
    return CompiledGuidance.from_index(kb.index, kb.candidates)


def _assignment(rng: random.Random, compiled: CompiledGuidance) -> tuple[Graph, Graph, list[URIRef]]:
    limbs = LIMBS[: rng.choice((0, 1, 2, 2))]
    case = Graph()
    case.add((PATIENT, RDF.type, DVT.Patient))
    for limb in limbs:
        case.add((PATIENT, DVT.hasLimb, limb))
    inferred = Graph()
    weights = rng.choice(((0.55, 0.3, 0.13, 0.02), (0.8, 0.1, 0.1, 0.0), (0.3, 0.3, 0.35, 0.05)))
    for c in compiled.criteria.values():
        for subject in (limbs if c.limb_level else [PATIENT]):
            state = rng.choices(("met", "not-met", "unknown", "conflict"), weights)[0]
            if state in ("met", "conflict"):
                inferred.add((subject, RDF.type, c.met))
            if state in ("not-met", "conflict"):
                inferred.add((subject, RDF.type, c.not_met))
    return case, inferred, limbs


def _canonical(ev: Evaluation) -> dict:
    results = {}
    for r in ev.results:
        results[(str(r.rec), str(r.limb))] = (
            r.status,
            sorted((cs.role, str(cs.crit), cs.state, cs.second_pass) for cs in r.states),
            sorted((str(o.opt), sorted((str(s.ci), str(s.crit), s.blocks, s.state) for s in o.states))
                   for o in r.options),
        )
    return {
        "results": results,
        "conflicts": sorted((str(c.a.node), str(c.b.node), c.kind) for c in ev.conflicts),
        "superseded": sorted((str(rec), st, sorted(map(str, repl)), sorted(map(str, evd)))
                             for rec, st, repl, evd in ev.superseded),
        "dependent": sorted((str(s), str(o)) for s, _, o in ev.dependent_types),
    }


def test_compiled_guidance_equals_the_sparql_guidance(kb: KnowledgeBase, compiled: CompiledGuidance) -> None:
    rng = random.Random(20261202)
    statuses: Counter[str] = Counter()
    for i in range(N):
        case, inferred, limbs = _assignment(rng, compiled)
        ref = evaluate(kb, case, inferred, PATIENT, BASE)
        fast = evaluate_compiled(compiled, types_from_graph(inferred, [PATIENT, *limbs]), PATIENT, limbs, BASE)
        a, b = _canonical(ref), _canonical(fast)
        if a != b:
            diff = {k: (a["results"].get(k), b["results"].get(k)) for k in set(a["results"]) | set(b["results"])
                    if a["results"].get(k) != b["results"].get(k)}
            pytest.fail(f"assignment {i}: engines differ: {list(diff.items())[:3]} "
                        f"conflicts equal={a['conflicts'] == b['conflicts']} "
                        f"superseded equal={a['superseded'] == b['superseded']} "
                        f"dependent equal={a['dependent'] == b['dependent']}")
        statuses.update(r.status for r in ref.results)
    # the generated set reaches every status, struck-out options and conflicts (a test that cannot fail proves nothing)
    assert all(statuses[s] > 0 for s in ("applies", "blocked", "indeterminate", "not-applicable")), statuses
