"""``dvtkg kb conflicts``: knowledge-level conflicts whose populations can meet, decided by HermiT.

Two reasoner runs at most: the analysis of every candidate pair (without the cache),
and one small pair ontology built by hand for the negative cases.
"""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
from rdflib import URIRef
from rdflib.namespace import OWL, RDFS

from dvtkg import cli
from dvtkg.cases.vocab import DVT, DVTC, REC
from dvtkg.guidance.knowledge import KnowledgeBase
from dvtkg.kb import conflicts

# the catalogue's conflicts the knowledge base must represent and detect (docs/architecture.md, conflict candidates)
EXPECTED = {
    ("AHA11-T4", "ASH20-R5"): "direction",
    ("AHA11-T4", "CHEST21-06"): "direction",
    ("AHA11-T1", "ASH18P-NOCDT"): "direction",
    ("ASH20-R3", "CHEST21-15"): "strength",
    ("ASH21C-INIT", "CHEST21-16"): "strength",
    ("ASH21C-SHORT", "CHEST21-16"): "strength",
    ("CHEST21-13", "SIR20-F2"): "strength",
}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.fixture(scope="module")
def report(kb: KnowledgeBase) -> conflicts.ConflictReport:
    start = time.perf_counter()
    r = conflicts.analyse(kb, use_cache=False)  # HermiT, once over every candidate pair
    print(f"\nconflict analysis: {r.candidates} candidates, {len(r.conflicts)} conflicts, "
          f"{time.perf_counter() - start:.1f} s")
    return r


def _ids(kb: KnowledgeBase, a: URIRef, b: URIRef) -> tuple[str, str]:
    return kb.statements[a].id, kb.statements[b].id


def _found(kb: KnowledgeBase, report: conflicts.ConflictReport) -> dict[tuple[str, str], str]:
    return {_ids(kb, c.a, c.b): c.kind for c in report.conflicts}


def test_the_conflicts_of_the_brief_are_found(kb, report) -> None:
    found = _found(kb, report)
    for pair, kind in EXPECTED.items():
        assert found.get(pair) == kind, f"{pair}: expected a {kind} conflict, found {found.get(pair)}"


def test_every_candidate_is_reported_or_proved_never_to_meet(kb, report) -> None:
    reported = {(c.a, c.b) for c in report.conflicts}
    never = set(report.disjoint)
    assert reported | never == set(kb.candidates) and not reported & never
    assert report.candidates == len(kb.candidates)
    assert not report.cached


def test_pregnancy_only_vs_a_statement_excluding_pregnancy_is_not_reported(kb, report) -> None:
    nocdt, nice = REC["ASH18P-NOCDT"], REC["NICE-CDT"]
    # the actions overlap and the directions differ: a candidate ...
    assert kb.candidates[(nocdt, nice)].kind == "direction"
    assert DVTC.Pregnant in conflicts.population(kb, nocdt).patient_required
    assert DVTC.Pregnant in conflicts.population(kb, nice).patient_excluding
    # ... that the reasoner proves can never meet
    assert (nocdt, nice) in report.disjoint
    assert ("ASH18P-NOCDT", "NICE-CDT") not in _found(kb, report)


def test_two_limb_level_statements_must_meet_on_the_same_limb(kb, report) -> None:
    # AHA11-T1 needs limb threat on the limb, ASH20-R5 excludes it on the limb: never on one limb,
    # although a patient may have phlegmasia in one leg and a plain iliofemoral DVT in the other
    t1, r5 = REC["AHA11-T1"], REC["ASH20-R5"]
    assert (t1, r5) in kb.candidates and (t1, r5) in report.disjoint
    g = conflicts.pair_ontology(kb, [(t1, r5)])
    cls = conflicts.pair_iri(t1, r5)
    expr = g.value(cls, RDFS.subClassOf)
    limbs = [r for r in g.subjects(OWL.onProperty, DVT.hasLimb)]
    assert expr is not None and len(limbs) == 1  # one limb holds both statements' limb criteria


def test_negative_cases_with_the_reasoner(kb) -> None:
    """One small HermiT run: a pair whose actions do not overlap can meet, yet is no candidate;
    the same-limb pair stops being disjoint when the limbs may differ."""
    t1, r5, gcs = REC["AHA11-T1"], REC["ASH20-R5"], REC["CHEST21-29"]
    nocdt, nice = REC["ASH18P-NOCDT"], REC["NICE-CDT"]
    assert (t1, gcs) not in kb.candidates and (gcs, t1) not in kb.candidates
    other_limb = URIRef(str(r5) + "-any-limb")
    variant = dataclasses.replace(conflicts.population(kb, r5), statement=other_limb, level="patient")
    pairs = [(t1, gcs), (nocdt, nice), (t1, r5), (t1, other_limb)]
    xml = conflicts.pair_ontology(kb, pairs, populations={other_limb: variant}).serialize(format="xml").encode()
    unsat = conflicts.unsatisfiable_pairs(kb.owl_path, xml)
    assert unsat == {str(conflicts.pair_iri(nocdt, nice)), str(conflicts.pair_iri(t1, r5))}


def test_example_patient_and_text(kb, report) -> None:
    c = next(c for c in report.conflicts if _ids(kb, c.a, c.b) == ("AHA11-T1", "ASH18P-NOCDT"))
    assert c.same_limb
    assert "pregnant" in c.example["patient"]
    assert "limb-threatening circulatory compromise" in c.example["limb"]
    text = conflicts.format_text(kb, report)
    assert "AHA11-T1 vs ASH18P-NOCDT: opposite direction" in text
    assert "CHEST21-13 vs SIR20-F2: same direction, different strength" in text
    assert "ASH18P-NOCDT vs NICE-CDT" not in text


def test_cached_verdicts_and_cli_json(kb, report, capsys) -> None:
    again = conflicts.analyse(kb)  # the verdicts just computed are read back from build/
    assert again.cached and [(c.a, c.b) for c in again.conflicts] == [(c.a, c.b) for c in report.conflicts]
    assert cli.main(["kb", "conflicts", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    pairs = {(c["a"]["id"], c["b"]["id"]): c for c in data["conflicts"]}
    x = pairs[("CHEST21-13", "SIR20-F2")]
    assert x["kind"] == "strength"
    assert x["a"]["source"] == "CHEST2021" and x["b"]["source"] == "SIR2020"
    assert x["a"]["coarse_strength"] == "strong" and x["a"]["strength"] and x["b"]["strength"]
    assert x["a"]["statement"] and x["example_patient"]["patient"]
    assert ["ASH18P-NOCDT", "NICE-CDT"] in data["never_meet"]
