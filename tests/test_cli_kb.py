"""``dvtkg kb``: build, show, stats, validate and the error paths (exit codes, messages).

Commands run in a subprocess, as a user runs them, so that exit codes, stderr and
the absence of tracebacks are what a user sees. Broken knowledge is made in a copy
of the project's ontology/, shapes/ and queries/ under tmp_path (DVTKG_HOME).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from dvtkg.kb import build as kb_build
from dvtkg.kb.show import show
from dvtkg.kb.stats import DVT, DVTC, REC, compute, statement_nodes

ROOT = Path(__file__).resolve().parents[1]
RUN = "import sys; from dvtkg.cli import main; sys.exit(main())"


def dvtkg(*args: str, home: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "DVTKG_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=home
    )


def flat(text: str) -> str:
    """Whitespace-normalised text, so that wrapped lines compare as one."""
    return " ".join(text.split())


def copy_project(dest: Path) -> Path:
    for name in ("ontology", "shapes", "queries"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name)
    shutil.copy(ROOT / "VERSION", dest / "VERSION")
    return dest


@pytest.fixture(scope="module")
def kb():
    return kb_build.load_knowledge(ROOT)


# ---------------------------------------------------------------- show


def test_show_aha11_t1_has_the_key_facts(kb):
    result = dvtkg("kb", "show", "AHA11-T1")
    assert result.returncode == 0, result.stderr
    out = flat(result.stdout)
    assert out.startswith("AHA11-T1")
    assert "Native strength: Class I (" in out
    assert "LOE C" in out
    # the AHA 2011 citation (ontology/sources.ttl): journal, volume and pages, and the DOI as a link
    assert "Circulation 2011;123(16):1788-1830" in out
    assert "https://doi.org/10.1161/CIR.0b013e318214914f" in out
    assert "Direction: for" in out
    assert "Check status: P" in out
    assert "Status: current" in out
    for crit in (DVTC.LimbIliofemoralDvt, DVTC.LimbThreateningCompromise):
        label = kb.value(crit, RDFS.label)
        assert label is not None, f"{crit} has no label"
        assert flat(str(label)) in out
    assert "Required criteria" in out and "Blocking criteria" in out


def test_show_is_deterministic_and_covers_every_statement(kb):
    for sid in statement_nodes(kb):
        text = show(kb, sid)
        assert text.startswith(sid) and "Source:" in text and "Direction:" in text
    assert show(kb, "AHA11-T1") == show(kb, "AHA11-T1")


def test_show_superseded_names_its_replacements(kb):
    out = flat(show(kb, "AT9-GCS"))
    assert "Status: superseded" in out
    assert "CHEST16-GCS" in out and "CHEST21-29" in out


def test_show_unknown_id_exits_2_with_suggestions():
    result = dvtkg("kb", "show", "AHA11-T7")
    assert result.returncode == 2
    assert "no statement with ID AHA11-T7; did you mean" in result.stderr
    assert "AHA11-T" in result.stderr.split("did you mean", 1)[1]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_show_unknown_id_with_no_close_match():
    result = dvtkg("kb", "show", "ZZZ")
    assert result.returncode == 2
    assert "no statement with ID ZZZ" in result.stderr
    assert "Traceback" not in result.stderr


def test_show_suggests_the_right_case():
    result = dvtkg("kb", "show", "aha11-t1")
    assert result.returncode == 2
    assert "did you mean AHA11-T1" in result.stderr


# ---------------------------------------------------------------- stats


def test_stats_json_counts_add_up(kb):
    result = dvtkg("kb", "stats", "--format", "json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    n = stats["statements"]
    assert n == len(statement_nodes(kb)) > 0
    breakdowns = [k for k in stats if k.startswith("by_")]
    for required in ("by_source", "by_strength", "by_check_status", "by_currency", "by_type"):
        assert required in breakdowns
    for key in breakdowns:
        assert sum(stats[key].values()) == n, f"{key} adds up to {sum(stats[key].values())}, not {n}"
    assert stats == compute(kb) | {"triples": stats["triples"]}


def test_stats_text():
    result = dvtkg("kb", "stats")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("statements: ")
    assert "by source:" in result.stdout and "by check status:" in result.stdout


# ---------------------------------------------------------------- build


def test_build_writes_merged_outputs_owlready_loads_offline(tmp_path):
    home = copy_project(tmp_path)
    result = dvtkg("kb", "build", home=home)
    assert result.returncode == 0, result.stderr
    assert "owlready2 loads build/dvtkg.owl offline" in result.stdout
    ttl, owl = home / "build" / "dvtkg.ttl", home / "build" / "dvtkg.owl"
    g = Graph().parse(ttl, format="turtle")
    assert set(g.subjects(RDF.type, OWL.Ontology)) == {kb_build.MAIN_ONTOLOGY}
    assert not list(g.triples((None, OWL.imports, None)))
    assert (kb_build.MAIN_ONTOLOGY, OWL.versionInfo, None) in g
    x = Graph().parse(owl, format="xml")
    assert len(x) == len(g)
    assert kb_build.check_owlready(owl) > 0
    assert list((home / "build").glob("kb-*.ttl")), "the load cache was not written"


def test_load_knowledge_cache_follows_source_content(tmp_path):
    home = copy_project(tmp_path)
    first = kb_build.load_knowledge(home)
    assert (REC["AHA11-T1"], RDF.type, DVT.Recommendation) in first
    caches = list((home / "build").glob("kb-*.ttl"))
    assert len(caches) == 1 and kb_build.sources_hash(home) in caches[0].name
    # unchanged sources: the on-disk cache is read (a marker put into it shows up), into a new graph
    with caches[0].open("a", encoding="utf-8") as fh:
        fh.write('\n<https://w3id.org/dvtkg/rec/AHA11-T1> <http://www.w3.org/2000/01/rdf-schema#comment> '
                 '"from the cache" .\n')
    again = kb_build.load_knowledge(home)
    assert again is not first, "no in-process memo: every call returns a new graph"
    assert any(str(o) == "from the cache" for o in again.objects(REC["AHA11-T1"], RDFS.comment))
    # changed sources: merged afresh, and the stale cache replaced
    target = home / "ontology" / "guidelines" / "aha-2011.ttl"
    target.write_text(
        target.read_text(encoding="utf-8") + '\nrec:AHA11-T1 dvt:curatorRemark "cache test" .\n', encoding="utf-8"
    )
    second = kb_build.load_knowledge(home)
    assert any(str(o) == "cache test" for o in second.objects(REC["AHA11-T1"], DVT.curatorRemark))
    assert not any(str(o) == "from the cache" for o in second.objects(REC["AHA11-T1"], RDFS.comment))
    caches = list((home / "build").glob("kb-*.ttl"))
    assert len(caches) == 1 and kb_build.sources_hash(home) in caches[0].name


def test_load_knowledge_returns_independent_graphs(tmp_path):
    home = copy_project(tmp_path)
    first = kb_build.load_knowledge(home)
    n = len(first)
    first.add((REC["AHA11-T1"], RDFS.comment, URIRef("https://example.org/changed-by-a-caller")))
    second = kb_build.load_knowledge(home)
    assert len(second) == n, "a caller's change to its graph must not leak into the next load"


def test_version_mismatch_fails_clearly(tmp_path):
    home = copy_project(tmp_path)
    (home / "VERSION").write_text("9.9.9\n")
    result = dvtkg("kb", "build", home=home)
    assert result.returncode == 2
    assert "owl:versionInfo" in result.stderr and '"9.9.9"' in result.stderr
    assert "Traceback" not in result.stderr


def test_undeclared_module_fails_clearly(tmp_path):
    home = copy_project(tmp_path)
    (home / "ontology" / "guidelines" / "extra.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "<https://w3id.org/dvtkg/ontology/guidelines/extra> a owl:Ontology .\n"
    )
    result = dvtkg("kb", "build", home=home)
    assert result.returncode == 2
    assert "does not import <https://w3id.org/dvtkg/ontology/guidelines/extra>" in result.stderr
    assert "catalog-v001.xml: no entry for <https://w3id.org/dvtkg/ontology/guidelines/extra>" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- broken knowledge


@pytest.mark.parametrize("command", [["kb", "build"], ["kb", "show", "AHA11-T1"], ["kb", "stats"]])
def test_syntax_error_reports_file_and_line(tmp_path, command):
    home = copy_project(tmp_path)
    target = home / "ontology" / "guidelines" / "aha-2011.ttl"
    text = target.read_text(encoding="utf-8").rstrip("\n") + "\n"
    line = text.count("\n") + 1
    target.write_text(text + "rec:AHA11-T1 dvt:curatorRemark this is not Turtle .\n", encoding="utf-8")
    result = dvtkg(*command, home=home)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"ontology/guidelines/aha-2011.ttl line {line}:" in result.stderr
    assert "Traceback" not in result.stderr


def test_shape_violation_makes_validate_exit_1(tmp_path):
    home = copy_project(tmp_path)
    assert (home / "shapes" / "knowledge.ttl").exists(), "shapes/knowledge.ttl is missing"
    target = home / "ontology" / "guidelines" / "aha-2011.ttl"
    # a second source and a second check status: every statement has exactly one of each
    target.write_text(
        target.read_text(encoding="utf-8")
        + "\nrec:AHA11-T1 dcterms:source rec:ASH2020 ; dvt:checkStatus dvtv:check-S .\n",
        encoding="utf-8",
    )
    result = dvtkg("kb", "validate", home=home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "AHA11-T1" in result.stdout
    assert "does not conform" in result.stdout
    assert "Traceback" not in result.stderr


def test_validate_clean_copy_conforms(tmp_path):
    home = copy_project(tmp_path)
    result = dvtkg("kb", "validate", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "conforms" in result.stdout


def test_missing_subcommand_is_a_usage_error():
    result = dvtkg("kb")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_dvtkg_home_must_be_a_project(tmp_path):
    result = dvtkg("kb", "stats", home=tmp_path)
    assert result.returncode == 2
    assert "DVTKG_HOME" in result.stderr and "Traceback" not in result.stderr


def test_main_header_is_the_only_ontology_in_merge(kb):
    assert set(kb.subjects(RDF.type, OWL.Ontology)) == {kb_build.MAIN_ONTOLOGY}
    assert (kb_build.MAIN_ONTOLOGY, DCTERMS.license, URIRef("https://www.apache.org/licenses/LICENSE-2.0")) in kb


def test_owlready_check_refuses_to_fetch(tmp_path):
    owl = tmp_path / "imports.owl"
    g = Graph()
    onto = URIRef("https://w3id.org/dvtkg/test/imports")
    g.add((onto, RDF.type, OWL.Ontology))
    g.add((onto, OWL.imports, URIRef("https://w3id.org/dvtkg/test/not-here")))
    g.serialize(owl, format="xml")
    with pytest.raises(kb_build.KnowledgeError):
        kb_build.check_owlready(owl)
