"""Currency: ``dvtkg kb superseded`` and the two currency QC checks, on the real knowledge base and edits of it."""

from __future__ import annotations

import json

import pytest
from project_paths import ROOT
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from dvtkg import cli
from dvtkg.cases.vocab import DVT, DVTV, REC
from dvtkg.kb import currency
from dvtkg.qc import run_query
from dvtkg.queryfiles import load_query

QC = ROOT / "queries" / "qc"
CHAIN = load_query(QC / "qc-replacement-chain.rq")
QUESTION = load_query(QC / "qc-current-superseded-question.rq")


@pytest.fixture(scope="module")
def knowledge(knowledge_graph: Graph) -> Graph:
    return knowledge_graph  # the session's merged knowledge graph (tests/conftest.py); edits work on _copy()


def _copy(g: Graph) -> Graph:
    out = Graph()
    out += g
    return out


def test_every_superseded_statement_with_chain_and_evidence(knowledge: Graph) -> None:
    items = {s.id: s for s in currency.superseded(knowledge)}
    assert set(items) == {"AT9-GCS", "CHEST16-CAT", "CHEST16-GCS"}
    gcs = items["AT9-GCS"]
    assert [[i for i, _ in chain] for chain in gcs.chains] == [["CHEST16-GCS", "CHEST21-29"], ["CHEST21-29"]]
    assert gcs.chains[0] == [("CHEST16-GCS", "superseded"), ("CHEST21-29", "current")]
    assert gcs.current_replacements == ["CHEST21-29"] and gcs.ok
    sox = [e for e in gcs.evidence if e.trial_label == "SOX"]
    assert sox and sox[0].id == "SOX-PTS" and "P=0.58" in sox[0].result and sox[0].trial_year == "2014"
    assert items["CHEST16-CAT"].current_replacements == ["CHEST21-16"]
    assert all(s.ok for s in items.values())


def test_cli_superseded(capsys) -> None:
    assert cli.main(["kb", "superseded"]) == 0
    out = capsys.readouterr().out
    assert "replaced by: AT9-GCS -> CHEST16-GCS (superseded) -> CHEST21-29 (current)" in out
    assert "SOX (2014), SOX-PTS" in out
    assert "3 superseded statement(s), each with a current replacement" in out
    assert cli.main(["kb", "superseded", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["without_current_replacement"] == []
    assert {s["id"] for s in data["superseded"]} == {"AT9-GCS", "CHEST16-CAT", "CHEST16-GCS"}


def test_real_knowledge_passes_both_currency_checks(knowledge: Graph) -> None:
    assert run_query(knowledge, CHAIN) == []
    assert run_query(knowledge, QUESTION) == []


def test_superseded_without_current_replacement_fails(knowledge: Graph) -> None:
    g = _copy(knowledge)
    # CHEST21-29 is retired without a successor: the stockings statements replaced by it lose their current replacement
    g.set((REC["CHEST21-29"], DVT.currency, DVTV.superseded))
    failed = {str(f.focus) for f in run_query(g, CHAIN)}
    assert {str(REC["AT9-GCS"]), str(REC["CHEST16-GCS"]), str(REC["CHEST21-29"])} <= failed
    items = {s.id: s for s in currency.superseded(g)}
    assert not items["AT9-GCS"].ok and items["AT9-GCS"].current_replacements == []
    assert "NONE: no chain reaches a current statement" in currency.format_text(list(items.values()))


def test_current_statement_citing_a_source_superseded_for_that_question_fails(knowledge: Graph) -> None:
    g = _copy(knowledge)
    # AT9 was superseded on compression stockings (AT9-GCS -> CHEST21-29): a current AT9 stockings statement must fail,
    # even with a curator remark; AT9-DUR (anticoagulation after thrombus removal) stays current and passes.
    new = REC["AT9-GCS-TEST"]
    g.add((new, RDF.type, DVT.Recommendation))
    g.add((new, RDFS.label, Literal("AT9-GCS-TEST")))
    g.add((new, DCTERMS.source, REC["AT9"]))
    g.add((new, DVT.currency, DVTV.current))
    g.add((new, DVT.recommendedAction, DVT.CompressionStockings))
    g.add((new, DVT.curatorRemark, Literal("kept current by mistake")))
    failures = run_query(g, QUESTION)
    assert {str(f.focus) for f in failures} == {str(new)}
    assert "AT9-GCS" in failures[0].message and "CHEST21-29" in failures[0].message
    # marked superseded with its replacement, it passes
    g.set((new, DVT.currency, DVTV.superseded))
    g.add((new, DCTERMS.isReplacedBy, REC["CHEST21-29"]))
    assert run_query(g, QUESTION) == [] and run_query(g, CHAIN) == []


def test_replacement_cycle_and_dead_end() -> None:
    g = Graph()
    a, b, c, d = (URIRef(f"urn:x:{n}") for n in "abcd")
    for n in (a, b, c):
        g.add((n, DVT.currency, DVTV.superseded))
    g.add((a, DCTERMS.isReplacedBy, b))
    g.add((b, DCTERMS.isReplacedBy, a))  # a cycle
    g.add((c, DCTERMS.isReplacedBy, d))  # d: no currency, no replacement (a dead end)
    assert currency.replacement_chains(g, a) == [[b, a]]
    assert currency.replacement_chains(g, c) == [[d]]
    items = {s.id: s for s in currency.superseded(g)}
    assert not any(s.ok for s in items.values())
