"""``dvtkg kb diff``: real edits on a copy of the project's ontology/, compared by statement ID."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import Graph

from dvtkg import cli
from dvtkg.kb import diff as kbdiff

ROOT = Path(__file__).resolve().parents[1]

NEW_STATEMENT = """
rec:NICE-DIFFTEST a dvt:Recommendation, owl:NamedIndividual ;
    rdfs:label "NICE-DIFFTEST" ;
    skos:definition "A statement added by the diff test." ;
    dvt:statementText "Test statement: offer apixaban." ;
    dcterms:source rec:NICE-NG158 ;
    dvt:direction dvtv:for ;
    dvt:hasStrength grade:nice-offer ;
    dvt:checkStatus dvtv:check-U ;
    dvt:currency dvtv:current ;
    dvt:assessmentLevel dvtv:patient-level ;
    dvt:recommendedAction dvt:Apixaban ;
    dvt:hasRequiredCriterion dvtc:Adult, dvtc:ProximalDvt ;
    rdfs:isDefinedBy <https://w3id.org/dvtkg/ontology/guidelines/nice-ng158> .
"""


def _block_span(text: str, sid: str) -> tuple[int, int]:
    m = re.search(rf"^rec:{re.escape(sid)} a ", text, re.MULTILINE)
    assert m, f"{sid} not found"
    end = text.find("\n\n", m.start())
    return m.start(), (len(text) if end < 0 else end + 1)


def edit_statement(path: Path, sid: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` inside the Turtle block of statement ``sid``."""
    text = path.read_text(encoding="utf-8")
    start, end = _block_span(text, sid)
    block = text[start:end]
    assert block.count(old) == 1, f"{old!r} not once in {sid}"
    path.write_text(text[:start] + block.replace(old, new) + text[end:], encoding="utf-8")


def remove_statement(path: Path, sid: str) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = _block_span(text, sid)
    path.write_text(text[:start] + text[end:].lstrip("\n"), encoding="utf-8")


@pytest.fixture(scope="module")
def edited(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("kbdiff")
    old, new = base / "old", base / "new"
    for d in (old, new):
        shutil.copytree(ROOT / "ontology", d / "ontology")
    g = new / "ontology" / "guidelines"
    # a grade change (Class IIa -> IIb), a check-status change, a statement-text change
    edit_statement(g / "aha-2011.ttl", "AHA11-T4", "grade:aha2011-class-IIa", "grade:aha2011-class-IIb")
    edit_statement(g / "chest-2021.ttl", "CHEST21-13", "dvtv:check-P", "dvtv:check-S")
    edit_statement(g / "chest-2021.ttl", "CHEST21-15",
                   "dvt:hasExcludingCriterion dvtc:Pregnant, dvtc:ActiveCancer ;",
                   "dvt:hasExcludingCriterion dvtc:Pregnant, dvtc:ActiveCancer, dvtc:AntiphospholipidSyndrome ;")
    # deprecate one: currency superseded and a replacement
    edit_statement(g / "ash-2020.ttl", "ASH20-R4", "dvt:currency dvtv:current ;",
                   "dvt:currency dvtv:superseded ;\n    dcterms:isReplacedBy rec:ASH20-R3 ;")
    # a direction and action change
    edit_statement(g / "sir-2020.ttl", "SIR20-F4", "dvt:direction dvtv:for ;", "dvt:direction dvtv:against ;")
    # remove one, add one
    remove_statement(g / "aha-2011.ttl", "AHA11-S1")
    with (g / "nice-ng158.ttl").open("a", encoding="utf-8") as fh:
        fh.write(NEW_STATEMENT)
    for f in (g / "aha-2011.ttl", g / "nice-ng158.ttl", g / "ash-2020.ttl", g / "chest-2021.ttl"):
        Graph().parse(f)  # the edits keep the Turtle valid
    return old, new


@pytest.fixture(scope="module")
def result(edited):
    old, new = edited
    return kbdiff.diff(kbdiff.load(str(old)), kbdiff.load(str(new)))


def _changes(result, sid: str) -> dict[str, kbdiff.FieldChange]:
    for s in result.changed:
        if s.id == sid:
            return {c.field: c for c in s.changes}
    raise AssertionError(f"{sid} not among the changed statements: {[s.id for s in result.changed]}")


def test_added_and_removed(result) -> None:
    assert result.added == ["NICE-DIFFTEST"]
    assert result.removed == ["AHA11-S1"]
    assert result.summaries["NICE-DIFFTEST"]["source"] == "NICE-NG158"


def test_strength_change_is_reported_with_both_grades(result) -> None:
    c = _changes(result, "AHA11-T4")
    assert set(c) == {"strength"}
    old, new = c["strength"].old, c["strength"].new
    assert old is not None and new is not None and "IIa" in old and "IIb" in new


def test_check_status_and_criteria_changes(result) -> None:
    assert _changes(result, "CHEST21-13")["check status"].as_dict() == {"field": "check status", "old": "P", "new": "S"}
    crit = _changes(result, "CHEST21-15")["excluding criteria"]
    assert crit.added == ["AntiphospholipidSyndrome"] and crit.removed == []


def test_deprecated(result) -> None:
    assert [d.id for d in result.deprecated] == ["ASH20-R4"]
    assert "superseded" in result.deprecated[0].deprecated and "ASH20-R3" in result.deprecated[0].deprecated
    c = _changes(result, "ASH20-R4")
    assert c["currency"].old == "current" and c["currency"].new == "superseded"
    assert c["replaced by"].added == ["ASH20-R3"]


def test_direction_change(result) -> None:
    assert _changes(result, "SIR20-F4")["direction"].as_dict() == {"field": "direction", "old": "for", "new": "against"}


def test_nothing_else_changed(result) -> None:
    assert sorted(s.id for s in result.changed) == ["AHA11-T4", "ASH20-R4", "CHEST21-13", "CHEST21-15", "SIR20-F4"]


def test_statement_text_and_owl_deprecated(tmp_path: Path, edited) -> None:
    old, _ = edited
    new = tmp_path / "new"
    shutil.copytree(old / "ontology", new / "ontology")
    f = new / "ontology" / "guidelines" / "chest-2021.ttl"
    text = f.read_text(encoding="utf-8")
    start, end = _block_span(text, "CHEST21-29")
    block = re.sub(r'dvt:statementText "[^"]*"', 'dvt:statementText "Changed wording."', text[start:end])
    block = block.replace("rdfs:label", "owl:deprecated true ;\n    rdfs:label", 1)
    f.write_text(text[:start] + block + text[end:], encoding="utf-8")
    d = kbdiff.diff(kbdiff.load(str(old)), kbdiff.load(str(new)))
    c = _changes(d, "CHEST21-29")
    assert c["statement text"].new == "Changed wording."
    assert c["deprecated"].new == "true"
    assert [x.id for x in d.deprecated] == ["CHEST21-29"] and "owl:deprecated" in d.deprecated[0].deprecated


def test_same_knowledge_no_difference_and_merged_ttl_file(tmp_path: Path, edited) -> None:
    old, _ = edited
    merged = tmp_path / "merged.ttl"
    kbdiff.load(str(old)).graph.serialize(merged, format="turtle")
    d = kbdiff.diff(kbdiff.load(str(old / "ontology")), kbdiff.load(str(merged)))
    assert d.empty and not d.deprecated


def test_git_revisions(tmp_path: Path, edited) -> None:
    old, new = edited
    repo = tmp_path / "repo"
    shutil.copytree(old / "ontology", repo / "ontology")
    (repo / "queries").mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
                       check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "old")
    shutil.rmtree(repo / "ontology")
    shutil.copytree(new / "ontology", repo / "ontology")
    git("add", "-A")
    git("commit", "-q", "-m", "new")
    d = kbdiff.diff(kbdiff.load("HEAD~1", repo), kbdiff.load("HEAD", repo))
    assert d.added == ["NICE-DIFFTEST"] and d.removed == ["AHA11-S1"]
    assert [x.id for x in d.deprecated] == ["ASH20-R4"]
    with pytest.raises(kbdiff.DiffError, match="not a file, a directory or a git revision"):
        kbdiff.load("no-such-revision", repo)


def test_cli_text_and_json(edited, capsys) -> None:
    old, new = edited
    assert cli.main(["kb", "diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "+ NICE-DIFFTEST" in out and "- AHA11-S1" in out and "! ASH20-R4" in out
    assert "strength: AHA 2011 Class IIa" in out
    assert "1 added, 1 removed, 1 deprecated, 5 changed" in out
    assert cli.main(["kb", "diff", str(old), str(new), "--format", "json", "--exit-code"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["summary"] == {"added": 1, "removed": 1, "deprecated": 1, "changed": 5}
    assert {"field": "direction", "old": "for", "new": "against"} in \
        next(c["changes"] for c in data["changed"] if c["id"] == "SIR20-F4")
    assert cli.main(["kb", "diff", str(old), str(old), "--exit-code"]) == 0
    assert "no statement differs" in capsys.readouterr().out
    assert cli.main(["kb", "diff", str(old), "/no/such/thing"]) == 2
