"""Hardening of case input: a case is data, never knowledge; nothing is fetched or read
unasked; every bad input gets exit 1 (names the key / triple) or 2 (one line), never a
traceback. Each test here failed on the code before the hardening issue."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from project_paths import ROOT
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from dvtkg.assessment.pipeline import Assessor
from dvtkg.cases.errors import CaseInputError, CaseValidationError
from dvtkg.cases.vocab import DVT

SEED = ROOT / "examples" / "cases" / "seed-massive-bilateral-dvt.json"
PREFIXES = """@prefix dvt: <https://w3id.org/dvtkg/ontology#> .
@prefix dvtv: <https://w3id.org/dvtkg/value/> .
@prefix dvtc: <https://w3id.org/dvtkg/criterion/> .
@prefix rec: <https://w3id.org/dvtkg/rec/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix case: <https://w3id.org/dvtkg/case/h#> .
case:patient a dvt:Patient ; dvt:caseIdentifier "h" ; dvt:ageYears 50 .
"""


@pytest.fixture(scope="module")
def assessor(fast_assessor: Assessor) -> Assessor:
    return fast_assessor  # input handling, not the reasoner: the session's fast-engine Assessor


def run_cli(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dvtkg.cli", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=300, env=env)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class Listener:
    """A TCP socket on 127.0.0.1 that records every connection made to it (there must be none)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


# ------------------------------------------------------------ 1. case input is data, never knowledge

HOSTILE = {
    # changes a statement: CHEST21-15 would be blocked for every case
    "knowledge-triple": ("rec:CHEST21-15 dvt:hasBlockingCriterion dvtc:AcuteVte .",
                         "rec/CHEST21-15", "only describe the case's own"),
    # a TBox IRI as subject: an axiom that would reach HermiT
    "tbox-axiom": ("dvt:Patient rdfs:subClassOf dvt:ActiveBleedingMet .", "ontology#Patient", "only describe"),
    # an inferred class asserted: bypasses the reasoner
    "asserted-criterion": ("case:patient a dvt:ActiveBleedingMet .", "ActiveBleedingMet", "inferred by the reasoner"),
    "owl-imports": ("<https://w3id.org/dvtkg/case/h> owl:imports <https://w3id.org/dvtkg/ontology> .",
                    "owl#imports", "owl:imports is not allowed"),
    "foreign-predicate": ("case:patient rdfs:label \"x\" .", "rdf-schema#label", "not a case-vocabulary property"),
    "knowledge-individual": ("rec:CHEST21-15 a dvt:Limb . case:patient dvt:hasLimb rec:CHEST21-15 .",
                             "rec/CHEST21-15", "must not reuse a knowledge"),
    "patient-fact-on-limb": ("case:patient dvt:hasLimb case:limb-left . case:limb-left a dvt:Limb ; "
                             "dvt:laterality dvtv:left ; dvt:ageYears 3 .", "ageYears", "describes a"),
    "non-literal-fact": ("case:patient dvt:activeBleeding dvtc:AcuteVte .", "activeBleeding", "must be a literal"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_case_graph_cannot_state_knowledge(assessor: Assessor, tmp_path: Path, name: str) -> None:
    triples, needle, rule = HOSTILE[name]
    path = write(tmp_path, "case.ttl", PREFIXES + triples + "\n")
    with pytest.raises(CaseValidationError) as err:
        assessor.load(path)
    text = str(err.value)
    assert needle in text and rule in text, text


def test_the_guard_also_holds_for_a_python_graph(assessor: Assessor) -> None:
    g = Graph()
    patient = URIRef("https://w3id.org/dvtkg/case/py#patient")
    g.add((patient, RDF.type, DVT.Patient))
    g.add((patient, DVT.caseIdentifier, Literal("py")))
    g.add((URIRef("https://w3id.org/dvtkg/rec/CHEST21-15"), DVT.hasBlockingCriterion,
           URIRef("https://w3id.org/dvtkg/criterion/AcuteVte")))
    with pytest.raises(CaseValidationError, match="CHEST21-15"):
        assessor.load(g)


@pytest.mark.slow  # a CLI subprocess that loads the knowledge base (seconds each)
def test_a_plain_case_graph_still_passes(assessor: Assessor, tmp_path: Path) -> None:
    text = PREFIXES + ("case:patient dvt:hasLimb case:limb-left ; dvt:activeBleeding false .\n"
                       "case:limb-left a dvt:Limb ; dvt:laterality dvtv:left ; dvt:limbOf case:patient ;"
                       " dvt:hasThrombusIn dvtv:vein-popliteal .\n")
    loaded = assessor.load(write(tmp_path, "ok.ttl", text))
    assert loaded.case_id == "h"


@pytest.mark.slow  # a CLI subprocess that loads the knowledge base (seconds each)
def test_cli_refuses_the_blocking_triple_with_exit_1(tmp_path: Path) -> None:
    # Before: exit 0 and CHEST21-15 reported blocked for a case without acute VTE facts.
    path = write(tmp_path, "case.ttl", PREFIXES + HOSTILE["knowledge-triple"][0] + "\n")
    proc = run_cli("assess", str(path), "--format", "json", "--engine", "fast")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    assert "hasBlockingCriterion" in proc.stderr and "Traceback" not in proc.stderr


# ------------------------------------------------------------ 2. nothing fetched or read unasked

def test_owl_imports_of_a_url_is_refused_and_not_fetched(assessor: Assessor, tmp_path: Path,
                                                         listener: Listener) -> None:
    text = PREFIXES + f"<https://w3id.org/dvtkg/case/h> owl:imports <http://127.0.0.1:{listener.port}/onto> .\n"
    with pytest.raises(CaseValidationError, match="owl:imports is not allowed"):
        assessor.load(write(tmp_path, "imp.ttl", text))
    text = PREFIXES + "<https://w3id.org/dvtkg/case/h> owl:imports <file:///etc/passwd> .\n"
    with pytest.raises(CaseValidationError, match="owl:imports"):
        assessor.load(write(tmp_path, "imp2.ttl", text))
    assert listener.connections == 0


def _jsonld_case(context: object) -> str:
    return json.dumps({"@context": context, "@id": "https://w3id.org/dvtkg/case/j#patient", "@type": "Patient",
                       "caseIdentifier": "j"})


@pytest.mark.parametrize("context_kind", ["url", "path", "nested-url", "other-inline"])
def test_jsonld_context_other_than_the_project_one_is_refused(assessor: Assessor, tmp_path: Path,
                                                               listener: Listener, context_kind: str) -> None:
    url = f"http://127.0.0.1:{listener.port}/context.jsonld"
    local = write(tmp_path, "ctx.jsonld", json.dumps({"@context": {"Patient": "https://w3id.org/dvtkg/ontology#Patient"}}))
    own = json.loads((ROOT / "ontology" / "context" / "case.jsonld").read_text())["@context"]
    if context_kind == "url":
        text = _jsonld_case(url)
    elif context_kind == "path":
        text = _jsonld_case(str(local))
    elif context_kind == "nested-url":
        doc = json.loads(_jsonld_case(own))
        doc["hasLimb"] = {"@context": url, "@id": "https://w3id.org/dvtkg/case/j#limb-left"}
        text = json.dumps(doc)
    else:
        text = _jsonld_case({"Patient": "https://w3id.org/dvtkg/ontology#Patient",
                             "caseIdentifier": "https://w3id.org/dvtkg/ontology#caseIdentifier"})
    with pytest.raises(CaseValidationError) as err:
        assessor.load(write(tmp_path, "case.jsonld", text))
    assert err.value.violations[0].key == "@context"
    assert listener.connections == 0


def test_jsonld_with_the_project_context_inline_loads(assessor: Assessor, tmp_path: Path) -> None:
    own = json.loads((ROOT / "ontology" / "context" / "case.jsonld").read_text())["@context"]
    loaded = assessor.load(write(tmp_path, "case.jsonld", _jsonld_case(own)))
    assert loaded.case_id == "j"


@pytest.mark.parametrize("clause", ["SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }}",
                                    "service <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }}"])
def test_local_query_refuses_service(listener: Listener, clause: str) -> None:
    from dvtkg.sparql import SparqlError
    from dvtkg.sparql.local import run_local

    text = "SELECT * WHERE { " + clause.format(port=listener.port) + " }"
    with pytest.raises(SparqlError, match="SERVICE .* is refused"):
        run_local(text, kb=Graph())
    assert listener.connections == 0


def test_local_query_refuses_from(listener: Listener) -> None:
    from dvtkg.sparql import SparqlError
    from dvtkg.sparql.local import run_local

    for text in (f"SELECT * FROM <http://127.0.0.1:{listener.port}/g> WHERE {{ ?s ?p ?o }}",
                 "SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }"):
        with pytest.raises(SparqlError, match="FROM .* is refused"):
            run_local(text, kb=Graph())
    assert listener.connections == 0
    # the words inside a string or a prefixed name are not keywords
    run_local('PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:from "SERVICE" }', kb=Graph())


# ------------------------------------------------------------ 3. one error model

@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_number_is_a_violation_naming_the_key(assessor: Assessor, tmp_path: Path, value: str) -> None:
    path = write(tmp_path, "c.json", '{"id": "n", "labs": {"crclMlMin": %s}}' % value)
    with pytest.raises(CaseValidationError) as err:
        assessor.load(path)
    assert [v.key for v in err.value.violations] == ["labs.crclMlMin"]
    assert "finite number" in err.value.violations[0].rule


@pytest.mark.slow  # a CLI subprocess that loads the knowledge base (seconds each)
def test_nan_on_the_command_line_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path, "c.json", '{"id": "n", "labs": {"crclMlMin": NaN}}')
    proc = run_cli("assess", str(path))
    assert proc.returncode == 1 and "labs.crclMlMin" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("sheet,key", [
    ('{"id": "d", "age": 40, "age": 50}', "age"),
    ('{"id": "d", "labs": {"crclMlMin": 20, "crclMlMin": 80}}', "labs.crclMlMin"),
    ('{"id": "d", "limbs": {"left": {"veins": []}, "left": {"veins": ["popliteal"]}}}', "limbs.left"),
])
def test_duplicate_keys_are_violations(assessor: Assessor, tmp_path: Path, sheet: str, key: str) -> None:
    with pytest.raises(CaseValidationError) as err:
        assessor.load(write(tmp_path, "d.json", sheet))
    assert [v.key for v in err.value.violations] == [key]
    assert "more than once" in err.value.violations[0].rule


@pytest.mark.parametrize("case_id", ["a\u0001b", "a\nb", "a\u007fb", "\u0000"])
def test_control_characters_in_the_case_id(assessor: Assessor, tmp_path: Path, case_id: str) -> None:
    with pytest.raises(CaseValidationError) as err:
        assessor.load(write(tmp_path, "c.json", json.dumps({"id": case_id})))
    assert err.value.violations[0].key == "id" and "control characters" in err.value.violations[0].rule
    ttl = PREFIXES.replace('"h"', json.dumps(case_id))
    with pytest.raises(CaseValidationError, match="control characters"):
        assessor.load(write(tmp_path, "c.ttl", ttl))


def test_a_newline_in_free_text_notes_is_fine(assessor: Assessor, tmp_path: Path) -> None:
    assert assessor.load(write(tmp_path, "c.json", json.dumps({"id": "n", "notes": "line 1\nline 2"}))).case_id == "n"


@pytest.mark.parametrize("depth", [33, 100_000])
def test_deep_nesting_is_unreadable_not_a_crash(assessor: Assessor, tmp_path: Path, depth: int) -> None:
    text = '{"id": "x", "labs": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(CaseInputError, match="nested more than"):
        assessor.load(write(tmp_path, "deep.json", text))
    jsonld = "[" * depth + "]" * depth
    with pytest.raises(CaseInputError, match="nested more than"):
        assessor.load(write(tmp_path, "deep.jsonld", jsonld))


def test_deeply_nested_turtle_is_unreadable_not_a_crash(assessor: Assessor, tmp_path: Path) -> None:
    text = PREFIXES + "case:patient dvt:x " + "(" * 20_000 + ")" * 20_000 + " .\n"
    with pytest.raises((CaseInputError, CaseValidationError)):
        assessor.load(write(tmp_path, "deep.ttl", text))


def test_huge_integer_is_unreadable_not_a_crash(assessor: Assessor, tmp_path: Path) -> None:
    with pytest.raises(CaseInputError, match="not readable as JSON"):
        assessor.load(write(tmp_path, "big.json", '{"id": "x", "age": ' + "9" * 5000 + "}"))


def test_input_larger_than_the_limit(tmp_path: Path) -> None:
    from dvtkg.cases.load import DEFAULT_MAX_INPUT_MB, load_case

    big = write(tmp_path, "big.json", '{"id": "x", "notes": "' + "a" * 2_000_000 + '"}')
    with pytest.raises(CaseInputError, match="input limit of 1 MB"):
        load_case(big, keys=None, max_input_mb=1)
    assert DEFAULT_MAX_INPUT_MB == 10  # documented in docs/security.md and --help


@pytest.mark.slow  # a CLI subprocess that loads the knowledge base (seconds each)
def test_max_input_mb_on_the_command_line() -> None:
    proc = run_cli("assess", str(SEED), "--max-input-mb", "0.001")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--max-input-mb" in proc.stderr


@pytest.mark.slow  # a CLI subprocess that loads the knowledge base (seconds each)
def test_closed_stdin_exits_2_with_one_line() -> None:
    proc = subprocess.run(["bash", "-c", f'exec "{sys.executable}" -m dvtkg.cli assess - 0<&-'], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == "dvtkg: error: -: standard input is closed; give a case file instead\n"


def test_turtle_syntax_error_is_not_cut_off(assessor: Assessor, tmp_path: Path) -> None:
    path = write(tmp_path, "bad.ttl", PREFIXES + "case:patient dvt:ageYears ;\n .\n")
    with pytest.raises(CaseInputError) as err:
        assessor.load(path)
    text = str(err.value)
    assert "line 9" in text and "Bad syntax" in text and "\n" not in text


def test_unexpected_error_is_one_line_exit_2_and_debug_shows_traceback(monkeypatch, capsys) -> None:
    from dvtkg import cli
    from dvtkg.commands import case as case_cmd

    def boom(path: str, max_input_mb: float):
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(case_cmd, "_load", boom)
    assert cli.main(["case", "validate", "x.json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "x.json" in err and "something nobody expected" in err
    assert "Traceback" not in err
    assert cli.main(["--debug", "case", "validate", "x.json"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_memory_error_is_one_line(monkeypatch, capsys) -> None:
    from dvtkg import cli
    from dvtkg.commands import case as case_cmd

    def boom(path: str, max_input_mb: float):
        raise MemoryError()

    monkeypatch.setattr(case_cmd, "_load", boom)
    assert cli.main(["case", "validate", "big.json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "out of memory" in err and "big.json" in err


def test_unknown_prefix_in_a_query_file(tmp_path: Path) -> None:
    from dvtkg.sparql import SparqlError
    from dvtkg.sparql.local import run_local

    with pytest.raises(SparqlError, match="foo"):
        run_local("SELECT * WHERE { ?s foo:bar ?o }", kb=Graph())


@pytest.mark.slow  # a CLI subprocess that loads the knowledge base (seconds each)
def test_a_local_cross_product_query_is_bounded_by_timeout(tmp_path: Path) -> None:
    # Before: rdflib ran it for hours. The command gives up after --timeout and exits 2.
    rq = write(tmp_path, "cross.rq", "# id: cross\n# summary: a cross product\n# params: none\n# expect: rows\n"
                                     "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }\n")
    start = time.monotonic()
    proc = run_cli("query", str(rq), "--timeout", "2")
    assert proc.returncode == 2
    assert "no answer within 2 s" in proc.stderr and proc.stderr.count("\n") == 1
    assert time.monotonic() - start < 90  # loading the knowledge base, then 2 s
