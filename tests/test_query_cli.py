"""``dvtkg query``: typed parameters, safe binding, output formats, error exits (no server).

Parameters are declared on a query's ``# params:`` line with types and bound as RDF
terms: locally with rdflib initBindings, for an endpoint as one VALUES row whose
terms are escaped N-Triples. The injection tests below give values with quotes,
braces, ``} ; DROP ALL ; {`` and line breaks: each must stay one term (an ordinary,
empty answer) or be refused with exit code 2, and never change the query. The same
attempts against a real server are in tests/test_sparql_server.py.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from project_paths import ROOT
from rdflib import Literal, URIRef, Variable
from rdflib.namespace import XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parser import parseQuery

from dvtkg.cli import main
from dvtkg.queryfiles import ParamSpec, parse_param_specs, parse_query_text
from dvtkg.sparql.params import (
    ParamError,
    bind_params,
    expand_iri,
    inject_values,
    nt_term,
    parse_value,
    query_form,
    values_clause,
)

SEED = ROOT / "examples" / "cases" / "seed-massive-bilateral-dvt.json"

# the example cases these queries read are assessed on the fast engine (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("local_cases_on_fast", "local_knowledge_shared")

INJECTIONS = [
    "\x01abcd\\u0041BCDEF",
    'x" } ; DROP ALL ; { "',
    "} ; DROP ALL ; {",
    '"',
    "'",
    '\\"',
    "a\\",
    "{ ?s ?p ?o }",
    '""" } INSERT DATA { <urn:x> <urn:y> <urn:z> } #',
    "line one\n} ; CLEAR DEFAULT ; {\nline three",
    "tab\there\rcarriage",
    "\\u0022 } ; DROP ALL ; { \\u0022",
    "# not a comment\n",
    "ümlaut and emoji \U0001F600",
]


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


# ---------------------------------------------------------------- header: typed parameters


def test_param_declarations_types_optional_and_defaults() -> None:
    specs = parse_param_specs("source:iri, strength:string?, limit:integer=10, plain")
    assert specs == [ParamSpec("source", "iri"), ParamSpec("strength", "string", required=False),
                     ParamSpec("limit", "integer", required=False, default="10"), ParamSpec("plain", "string")]
    q = parse_query_text("# id: x\n# summary: s\n# params: source:iri, n:integer?\n# expect: rows\nSELECT * {}\n")
    assert q.params == ["source", "n"]  # the names, as before: qc and guidance code read only these
    n = q.param("n")
    assert n is not None and n.type == "integer" and not n.required


@pytest.mark.parametrize("value", ["a:float", "a b:iri", "a, a", "9x:iri", "a:iri=1=2 b"])
def test_bad_param_declarations_are_errors(value: str) -> None:
    with pytest.raises(ValueError):
        parse_param_specs(value, "q.rq")


# ---------------------------------------------------------------- values


@pytest.mark.parametrize("raw, iri", [
    ("rec:AHA11-T1", "https://w3id.org/dvtkg/rec/AHA11-T1"),
    ("dvt:ThrombusRemoval", "https://w3id.org/dvtkg/ontology#ThrombusRemoval"),
    ("dvtc:Pregnant", "https://w3id.org/dvtkg/criterion/Pregnant"),
    ("dvtv:current", "https://w3id.org/dvtkg/value/current"),
    ("grade:ash-strong", "https://w3id.org/dvtkg/grade/ash-strong"),
    ("<https://example.org/a#b>", "https://example.org/a#b"),
    ("https://w3id.org/dvtkg/case/x#patient", "https://w3id.org/dvtkg/case/x#patient"),
    ("urn:dvtkg:x", "urn:dvtkg:x"),
])
def test_iri_values_accept_the_project_prefixes(raw: str, iri: str) -> None:
    assert expand_iri(raw) == URIRef(iri)


@pytest.mark.parametrize("raw", ["rec:a>b", "rec:a b", "rec:a{b}", 'rec:a"b', "rec:a|b", "rec:a^b", "rec:a`b",
                                 "rec:a\\b", "<https://x/a> } ; DROP ALL ; { <https://x/b>", "rec:a\nb",
                                 "foo:bar", "AHA11-T1", "", "javascript:alert(1)"])
def test_unsafe_or_unknown_iris_are_refused(raw: str) -> None:
    with pytest.raises(ParamError):
        parse_value(ParamSpec("x", "iri"), raw)


def test_typed_values() -> None:
    assert parse_value(ParamSpec("n", "integer"), " 42 ") == Literal("42", datatype=XSD.integer)
    assert parse_value(ParamSpec("d", "decimal"), "12.50") == Literal("12.50", datatype=XSD.decimal)
    assert parse_value(ParamSpec("b", "boolean"), "TRUE") == Literal("true", datatype=XSD.boolean)
    assert parse_value(ParamSpec("s", "string"), 'a "b" {c}') == Literal('a "b" {c}')
    for spec, raw in [("integer", "4.2"), ("integer", "1 } ; DROP ALL"), ("decimal", "1e5"), ("decimal", "NaN"),
                      ("boolean", "yes")]:
        with pytest.raises(ParamError):
            parse_value(ParamSpec("x", spec), raw)


@pytest.mark.parametrize("value", INJECTIONS)
def test_a_literal_is_always_one_term(value: str) -> None:
    """Escaped N-Triples: the VALUES row parses back to exactly the value given."""
    q = inject_values("SELECT ?x WHERE { ?x ?p ?o }", {"o": Literal(value)})
    parsed = prepareQuery(q)
    values = [n for n in _walk(parsed.algebra) if getattr(n, "name", None) == "values"]
    assert len(values) == 1
    rows = values[0]["res"]
    assert rows == [{Variable("o"): Literal(value)}]


def _walk(node):
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _walk(v)


def test_values_row_goes_into_the_where_clause_not_a_comment_or_string() -> None:
    text = ('PREFIX select: <http://x/> # { a brace in a comment\n'
            'SELECT (EXISTS { ?a ?b ?c } AS ?e) ?x FROM <http://g#x> '
            'WHERE { ?x select:where "}" ; select:b """ { """ }')
    out = inject_values(text, {"x": URIRef("http://a")})
    assert 'WHERE {\n  VALUES (?x) { (<http://a>) }\n ?x select:where "}"' in out
    parseQuery(out)
    ask = inject_values("ASK { ?s ?p ?o }", {"s": URIRef("urn:a"), "p": Literal(3)})
    assert ask.startswith("ASK {\n  VALUES (?p ?s) {")
    with pytest.raises(ParamError):
        inject_values("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"s": URIRef("urn:a")})
    assert query_form("# SELECT in a comment\nASK {}") == "ASK"
    assert inject_values("SELECT * {}", {}) == "SELECT * {}"


def test_n_triples_terms() -> None:
    assert nt_term(Literal('a"b\\c\nd')) == '"a\\"b\\\\c\\nd"'
    assert nt_term(Literal("x", lang="en")) == '"x"@en'
    assert nt_term(Literal("1", datatype=XSD.integer)) == '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'
    assert nt_term(Literal("x", datatype=XSD.string)) == '"x"'
    with pytest.raises(ParamError):
        nt_term(URIRef("http://x/a b"))
    assert values_clause({}) == ""


def test_bind_params_checks_names_counts_and_defaults() -> None:
    q = parse_query_text("# id: q\n# summary: s\n# params: a:iri, b:integer=3, c:string?\n# expect: rows\n"
                         "SELECT * { ?a ?b ?c }\n")
    assert bind_params(q, ["a=rec:X"]) == {"a": expand_iri("rec:X"), "b": Literal("3", datatype=XSD.integer)}
    assert bind_params(q, ["a=rec:X", "c=", "b=-7"])["c"] == Literal("")
    for args, message in [([], "needs --param a"), (["a=rec:X", "a=rec:Y"], "more than once"),
                          (["z=1", "a=rec:X"], "no parameter 'z'"), (["a"], "NAME=VALUE"),
                          (["a=rec:X", "b=x"], "integer")]:
        with pytest.raises(ParamError, match=message):
            bind_params(q, args)


# ---------------------------------------------------------------- the command, locally


def test_query_by_id_table_json_csv(capsys) -> None:
    rc, out, _ = run_cli(capsys, "query", "cq-strong-by-source", "--param", "source=rec:ASH2020")
    assert rc == 0
    assert out.splitlines()[0].split() == ["?rec", "?strength", "?direction", "?currency"]
    assert "rec:ASH20-R6" in out and "grade:ash-strong" in out and out.rstrip().endswith("(3 rows)")
    rc, out, _ = run_cli(capsys, "query", "cq-strong-by-source", "--param", "source=rec:ASH2020", "--format", "json")
    data = json.loads(out)
    assert data["head"]["vars"] == ["rec", "strength", "direction", "currency"]
    found = {b["rec"]["value"].rsplit("/", 1)[1] for b in data["results"]["bindings"]}
    assert found == {"ASH20-R6", "ASH20-R21", "ASH20-R25"}
    assert data["results"]["bindings"][0]["rec"]["type"] == "uri"
    rc, out, _ = run_cli(capsys, "query", str(ROOT / "queries/cq/cq-strong-by-source.rq"),
                         "--param", "source=https://w3id.org/dvtkg/rec/ASH2020", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["rec", "strength", "direction", "currency"] and len(rows) == 4
    assert rows[1][0].startswith("https://w3id.org/dvtkg/rec/ASH20-")


def test_defaults_and_optional_parameters(capsys) -> None:
    rc, out, _ = run_cli(capsys, "query", "cq-changed-between-sources", "--format", "json")
    pairs = {(b["oldRec"]["value"].rsplit("/", 1)[1], b["newRec"]["value"].rsplit("/", 1)[1])
             for b in json.loads(out)["results"]["bindings"]}
    assert pairs == {("CHEST16-CAT", "CHEST21-16"), ("CHEST16-GCS", "CHEST21-29")}
    rc, out_all, _ = run_cli(capsys, "query", "cq-secondary-checked", "--format", "csv")
    rc, out_u, _ = run_cli(capsys, "query", "cq-secondary-checked", "--param", "check=U", "--format", "csv")
    assert len(out_all.splitlines()) > len(out_u.splitlines()) > 1


def test_list_shows_every_competency_question(capsys) -> None:
    rc, out, _ = run_cli(capsys, "query", "--list")
    assert rc == 0
    ids = [line for line in out.splitlines() if line.startswith("cq-")]
    assert len(ids) >= 15 and "cq-strong-by-source" in ids
    assert "params: source:iri" in out


@pytest.mark.parametrize("args, message", [
    (["query", "cq-strong-by-sourc"], "did you mean cq-strong-by-source"),
    (["query", "no/such/file.rq"], "does not exist"),
    (["query", "cq-strong-by-source"], "needs --param source"),
    (["query", "cq-strong-by-source", "--param", "source=rec:ASH2020", "--param", "bogus=1"], "no parameter 'bogus'"),
    (["query", "cq-strong-by-source", "--param", "source"], "NAME=VALUE"),
    (["query", "cq-strong-by-source", "--param", "source=rec:x>y"], "may not contain"),
    (["query", "cq-strong-by-source", "--param", "source=rec:a} ; DROP ALL ; {"], "may not contain"),
    (["query", "cq-strong-by-source", "--param", "source=ASH2020"], "not an IRI"),
    (["query"], "give a QUERY"),
    (["query", "cq-limb-level", "--endpoint", "ftp://x/query"], "must start with http"),
])
def test_errors_exit_2_with_one_message(capsys, args, message) -> None:
    rc, out, err = run_cli(capsys, *args)
    assert rc == 2
    assert message in err and err.startswith("dvtkg: error:")
    assert "Traceback" not in err and out == ""


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_attempts_in_a_string_parameter_are_ordinary_values(capsys, value) -> None:
    rc, out, err = run_cli(capsys, "query", "cq-secondary-checked", "--param", f"check={value}", "--format", "json")
    assert rc == 0, err
    assert json.loads(out)["results"]["bindings"] == []  # a check status no statement has


def test_a_malformed_query_file_is_an_error_not_a_traceback(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.rq"
    bad.write_text("# id: bad\n# summary: broken\n# params: none\n# expect: rows\nSELECT ?x WHERE { ?x \n",
                   encoding="utf-8")
    rc, _, err = run_cli(capsys, "query", str(bad))
    assert rc == 2 and "syntax error" in err
    nohead = tmp_path / "nohead.rq"
    nohead.write_text("SELECT * {}\n", encoding="utf-8")
    rc, _, err = run_cli(capsys, "query", str(nohead))
    assert rc == 2 and "missing header line" in err


def test_typed_parameters_bind_numbers_and_booleans(tmp_path, capsys) -> None:
    q = tmp_path / "typed.rq"
    q.write_text("# id: typed\n# summary: typed parameters are bound as typed literals\n"
                 "# params: n:integer, d:decimal, b:boolean\n# expect: rows\n"
                 "SELECT ?n ?d ?b ?sum WHERE { BIND (?n + 1 AS ?sum) }\n", encoding="utf-8")
    rc, out, err = run_cli(capsys, "query", str(q), "--param", "n=41", "--param", "d=2.5", "--param", "b=false",
                           "--format", "json")
    assert rc == 0, err
    row = json.loads(out)["results"]["bindings"][0]
    assert row["n"] == {"type": "literal", "value": "41", "datatype": str(XSD.integer)}
    assert row["d"]["datatype"] == str(XSD.decimal) and row["b"]["value"] == "false"
    assert row["sum"]["value"] == "42"


def test_case_graph_is_added_locally(capsys) -> None:
    rc, out, err = run_cli(capsys, "query", "cq-case-statuses", "--case", str(SEED),
                           "--param", "caseId=seed-massive-bilateral-dvt", "--param", "status=applies",
                           "--format", "csv")
    assert rc == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {"rec": "https://w3id.org/dvtkg/rec/AHA11-T1", "status": "applies", "caseId": "seed-massive-bilateral-dvt",
            "limb": "https://w3id.org/dvtkg/case/seed-massive-bilateral-dvt#limb-left"} in rows
    assert all(r["status"] == "applies" for r in rows)
    rc, _, err = run_cli(capsys, "query", "cq-case-statuses", "--case", "no/such/case.json")
    assert rc == 2 and ("no such file" in err or "does not exist" in err)


@pytest.mark.slow  # a CLI subprocess that loads the knowledge base (seconds each)
def test_exit_code_and_message_in_a_subprocess() -> None:
    run = subprocess.run([sys.executable, "-m", "dvtkg.cli", "query", "cq-strong-by-source", "--param",
                          'source=rec:"} ; DROP ALL ; {'], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 2
    assert run.stderr.startswith("dvtkg: error: parameter source:") and "Traceback" not in run.stderr
