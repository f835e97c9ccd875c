"""The knowledge base holds exactly the statements of the catalogue, with these properties.

tests/data/catalogue.tsv was transcribed by hand from the curators'
recommendation catalogue (all tables, superseded and drug-label rows included); it
is independent test data, not derived from the knowledge-base files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import DCTERMS, RDF, RDFS

from dvtkg.kb.build import load_knowledge
from dvtkg.kb.stats import DVT, DVTV, GRADE, REC, statement_nodes

CATALOGUE = Path(__file__).parent / "data" / "catalogue.tsv"
COLUMNS = ["id", "type", "source", "direction", "strength", "certainty", "check", "currency", "replacedBy", "level"]
TYPES = {"Recommendation", "DrugLabelStatement"}
SOURCES = {
    "AHA2011", "ASH2020", "ASH2018P", "ASH2021C", "CHEST2021", "NICE-NG158", "SIR2020", "ISTH2018", "AT9", "AT9P",
    "CHEST2016", "LABEL-dabigatran", "LABEL-edoxaban", "LABEL-rivaroxaban", "LABEL-apixaban",
    "LABEL-enoxaparin", "LABEL-anticoagulants-pregnancy",
}


def _read_catalogue() -> list[dict[str, str]]:
    with CATALOGUE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


ROWS = _read_catalogue()
IDS = [r["id"] for r in ROWS]


def _optional(value: str) -> list[str]:
    return [] if value == "-" else [v.strip() for v in value.split(",") if v.strip()]


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def test_catalogue_is_well_formed():
    with CATALOGUE.open(encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
    assert header == COLUMNS
    assert len(ROWS) == 84
    assert len(set(IDS)) == len(IDS), "duplicate IDs in the catalogue"
    for r in ROWS:
        assert None not in r.values() and None not in r, f"{r['id']}: wrong number of columns"
        assert r["type"] in TYPES, r
        assert r["source"] in SOURCES, r
        assert r["direction"] in {"for", "against", "neutral"}, r
        assert r["check"] in {"P", "S", "U"}, r
        assert r["currency"] in {"current", "superseded"}, r
        assert r["level"] in {"patient", "limb"}, r
        assert (r["currency"] == "superseded") == (r["replacedBy"] != "-"), r
        if r["type"] == "DrugLabelStatement":
            assert r["strength"] == "-" and r["certainty"] == "-", r
        else:
            assert r["strength"] != "-", r
        for other in _optional(r["replacedBy"]):
            assert other in IDS, f"{r['id']} is replaced by {other}, which is not in the catalogue"


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_statement_matches_catalogue(kb, row):
    s = REC[row["id"]]
    problems: list[str] = []

    def check(what: str, prop, expected: set) -> None:
        found = set(kb.objects(s, prop))
        if found != expected:
            problems.append(f"{what}: expected {sorted(map(str, expected))}, found {sorted(map(str, found))}")

    types = set(kb.objects(s, RDF.type))
    if not types:
        pytest.fail(f"{row['id']} is not in the knowledge base")
    expected_type = DVT[row["type"]]
    if expected_type not in types:
        problems.append(f"type: expected {expected_type}, found {sorted(map(str, types))}")
    for other in TYPES - {row["type"]}:
        if DVT[other] in types:
            problems.append(f"type: also typed {DVT[other]}")
    check("rdfs:label", RDFS.label, {Literal(row["id"])})
    check("dcterms:source", DCTERMS.source, {REC[row["source"]]})
    check("dvt:direction", DVT.direction, {DVTV[row["direction"]]})
    check("dvt:hasStrength", DVT.hasStrength, {GRADE[g] for g in _optional(row["strength"])})
    check("dvt:hasCertainty", DVT.hasCertainty, {GRADE[g] for g in _optional(row["certainty"])})
    check("dvt:checkStatus", DVT.checkStatus, {DVTV[f"check-{row['check']}"]})
    check("dvt:currency", DVT.currency, {DVTV[row["currency"]]})
    check("dcterms:isReplacedBy", DCTERMS.isReplacedBy, {REC[r] for r in _optional(row["replacedBy"])})
    check("dvt:assessmentLevel", DVT.assessmentLevel, {DVTV[f"{row['level']}-level"]})
    assert not problems, f"{row['id']}:\n  " + "\n  ".join(problems)


def test_no_statement_missing_from_catalogue(kb):
    in_kb = set(statement_nodes(kb))
    extra = sorted(in_kb - set(IDS))
    missing = sorted(set(IDS) - in_kb)
    assert not extra, f"statements in the knowledge base but not in the catalogue: {extra}"
    assert not missing, f"catalogue statements missing from the knowledge base: {missing}"


def test_ash20_r8_certainty_unverified(kb):
    # the catalogue marks only ASH20-R8's certainty as unverified ("very low (certainty U)")
    assert set(kb.objects(REC["ASH20-R8"], DVT.certaintyCheckStatus)) == {DVTV["check-U"]}
