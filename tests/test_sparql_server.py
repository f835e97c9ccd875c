"""A real SPARQL server: publish, every competency question local vs remote, atomic replace, auth.

The module starts its own Oxigraph server (the ``oxigraph`` PyPI package) on a free
loopback port, in memory, publishes the knowledge base and three assessed example
cases with ``dvtkg publish``, and stops it at the end. A small HTTP proxy in front of
it (:class:`Proxy`) can demand credentials, cut the connection on the n-th upload
request, or hold it until the test kills the publishing process.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef

from dvtkg.cli import main
from dvtkg.sparql import KB_GRAPH, case_graph_iri
from dvtkg.sparql.expect import check, load_all
from dvtkg.sparql.local import assess_cases, dataset, find_query, run_local
from dvtkg.sparql.params import bind_params
from dvtkg.sparql.remote import UPLOAD_PREFIX, Endpoint, publish_graph, run_remote, upload_graph_iri
from dvtkg.sparql.results import term_key
from dvtkg.sparql.server import OxigraphServer, free_port

ROOT = Path(__file__).resolve().parents[1]
CASE_DIR = ROOT / "examples" / "cases"
RUNS = load_all(ROOT / "tests" / "data" / "cq")
CASES = sorted({c for run in RUNS for c in run.cases})
TARGET = "urn:dvtkg:test:target"


# ---------------------------------------------------------------- a proxy in front of the server


class Proxy:
    """Forwards HTTP requests to ``upstream``; can require an Authorization header, cut or hold requests."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urllib.parse.urlsplit(upstream)
        self.require: str | None = None        # the Authorization value every request must carry
        self.cut_nth: int | None = None        # cut the connection on the n-th INSERT DATA / PUT (1-based)
        self.hold_nth: int | None = None       # or hold that request until released
        self.uploads = 0
        self.seen_auth: list[str | None] = []
        self.held = threading.Event()
        self.release = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                auth = self.headers.get("Authorization")
                proxy.seen_auth.append(auth)
                if proxy.require is not None and auth != proxy.require:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="test"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.command == "PUT" or b"INSERT DATA" in body:
                    proxy.uploads += 1
                    if proxy.uploads == proxy.cut_nth:
                        self.connection.shutdown(socket.SHUT_RDWR)  # the upload is killed midway
                        self.close_connection = True
                        return
                    if proxy.uploads == proxy.hold_nth:
                        proxy.held.set()
                        proxy.release.wait(60)
                        self.close_connection = True
                        return
                conn = http.client.HTTPConnection(proxy.upstream.hostname or "127.0.0.1", proxy.upstream.port,
                                                  timeout=60)
                dropped = ("host", "authorization", "connection")
                headers = {k: v for k, v in self.headers.items() if k.lower() not in dropped}
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                self.send_response(response.status)
                for k, v in response.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server():
    with OxigraphServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def kb():
    from dvtkg.kb.build import load_knowledge

    return load_knowledge(ROOT)


@pytest.fixture(scope="module")
def assessed():
    return assess_cases([CASE_DIR / f"{name}.json" for name in CASES])


@pytest.fixture(scope="module")
def published(server, assessed):
    """The knowledge base and the example cases, published with the command itself."""
    args = ["publish", "--endpoint", server.query_url, "--chunk-size", "3000"]
    for name in CASES:
        args += ["--case", str(CASE_DIR / f"{name}.json")]
    assert main(args) == 0
    return server


@pytest.fixture()
def proxy(server):
    p = Proxy(server.base_url)
    yield p
    p.close()


def endpoint(server) -> Endpoint:
    return Endpoint(server.query_url, store_url=server.store_url)


def graph_names(server) -> set[str]:
    r = endpoint(server).select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return {str(row[0]) for row in r.rows}


def isomorphic(a: Graph, b: Graph, rounds: int = 8) -> bool:
    """Whether two graphs are the same up to blank-node labels (and numbers' lexical forms).

    rdflib.compare.isomorphic takes minutes on the knowledge base's 1,600 blank nodes; this
    compares the ground triples exactly and the blank nodes by colour refinement
    (Weisfeiler-Leman) over their triples, which tells the OWL restrictions and lists apart.
    """
    if len(a) != len(b):
        return False

    def colours(g: Graph):
        nodes = {x for t in g for x in (t[0], t[2]) if isinstance(x, BNode)}
        colour = {n: "" for n in nodes}

        def lab(x):
            return colour[x] if isinstance(x, BNode) else term_key(x)

        for _ in range(rounds):
            sig: dict[BNode, list[tuple[str, str, str]]] = {n: [] for n in nodes}
            for s, p, o in g:
                if isinstance(s, BNode):
                    sig[s].append(("out", str(p), lab(o)))
                if isinstance(o, BNode):
                    sig[o].append(("in", str(p), lab(s)))
            colour = {n: hashlib.sha256(repr(sorted(sig[n])).encode()).hexdigest() for n in nodes}
        return sorted((lab(s), str(p), lab(o)) for s, p, o in g)

    return colours(a) == colours(b)


def download(server, graph_iri: str) -> Graph:
    url = f"{server.store_url}?graph={urllib.parse.quote(graph_iri, safe='')}"
    request = urllib.request.Request(url, headers={"Accept": "application/n-triples"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return Graph().parse(data=response.read().decode("utf-8"), format="nt")


# ---------------------------------------------------------------- publish


def test_publish_loads_the_knowledge_and_one_graph_per_case(published, kb, assessed) -> None:
    names = graph_names(published)
    assert KB_GRAPH in names
    for case in assessed:
        assert case.graph_iri in names and case.graph_iri == case_graph_iri(case.case_id)
    assert not any(n.startswith(UPLOAD_PREFIX) for n in names), "no upload graph is left behind"
    ep = endpoint(published)
    assert ep.count(KB_GRAPH) == len(kb)
    assert ep.count(case_graph_iri(assessed[0].case_id)) == len(assessed[0].graph)


def test_chunked_upload_keeps_blank_nodes_together(published, kb) -> None:
    """INSERT DATA in chunks: the OWL restrictions and lists (blank nodes) arrive intact."""
    assert isomorphic(download(published, KB_GRAPH), kb)


def test_graph_store_upload_gives_the_same_graph(server, kb, capsys) -> None:
    target = "urn:dvtkg:test:gsp"
    rc = main(["publish", "--endpoint", server.query_url, "--graph", target, "--method", "gsp"])
    out = capsys.readouterr().out
    assert rc == 0 and f"published <{target}>: {len(kb)} triples (gsp" in out
    assert isomorphic(download(server, target), kb)


# ---------------------------------------------------------------- every competency question, local vs remote


@pytest.fixture(scope="module")
def local_data(kb, assessed):
    cache = {}

    def get(cases):
        if cases not in cache:
            chosen = [a for a in assessed if a.case_id in cases]
            cache[cases] = dataset(kb, chosen)
        return cache[cases]

    return get


@pytest.mark.parametrize("run", RUNS, ids=[r.label for r in RUNS])
def test_every_competency_question_gives_identical_results_locally_and_remotely(run, published, local_data) -> None:
    q = find_query(run.query, ROOT)
    bindings = bind_params(q, run.param_args())
    local = run_local(q, bindings, data=local_data(run.cases))
    graphs = [KB_GRAPH] + [case_graph_iri(c) for c in run.cases]
    remote = run_remote(endpoint(published), q.text, bindings, graphs)
    assert remote.vars == local.vars
    assert remote.row_keys() == local.row_keys()
    assert not check(remote, run)


def test_query_command_against_the_endpoint(published, capsys) -> None:
    rc = main(["query", "cq-strong-by-source", "--param", "source=rec:CHEST2021", "--endpoint", published.query_url,
               "--format", "json"])
    out = capsys.readouterr().out
    assert rc == 0
    assert len(json.loads(out)["results"]["bindings"]) == 9
    seed = CASE_DIR / "seed-massive-bilateral-dvt.json"
    for spec in (str(seed), "seed-massive-bilateral-dvt", case_graph_iri("seed-massive-bilateral-dvt")):
        rc = main(["query", "cq-case-conflicts", "--endpoint", published.query_url, "--case", spec, "--format", "csv"])
        out = capsys.readouterr().out
        assert rc == 0 and "AHA11-T4" in out and "missing-data-sparse" not in out
    # without --case, the case graphs are not in the dataset
    rc = main(["query", "cq-case-statuses", "--endpoint", published.query_url, "--format", "json"])
    assert json.loads(capsys.readouterr().out)["results"]["bindings"] == []


INJECTIONS = ['x" } ; DROP ALL ; { "', "} ; DROP ALL ; {", '"""} CLEAR ALL #', "a\\", "\\u0022 } ; DROP ALL ; {",
              "line\n} ; DROP ALL ; {\n", "seed-massive-bilateral-dvt\" || \"1\" = \"1"]


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_attempts_on_the_endpoint_are_ordinary_values(published, value, capsys) -> None:
    ep = endpoint(published)
    before = ep.count(KB_GRAPH)
    rc = main(["query", "cq-case-statuses", "--endpoint", published.query_url, "--case", "seed-massive-bilateral-dvt",
               "--param", f"caseId={value}", "--format", "json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert json.loads(out)["results"]["bindings"] == []  # no case has that id
    echoed = run_remote(ep, "SELECT ?given WHERE { }", {"given": Literal(value)})
    assert echoed.rows == [(Literal(value),)]  # the value arrives as one literal, unchanged
    assert ep.count(KB_GRAPH) == before and KB_GRAPH in graph_names(published)


@pytest.mark.parametrize("value", ["rec:a>b", "rec:a} ; DROP ALL ; {", "<urn:x> } ; DROP ALL ; { <urn:y>"])
def test_unsafe_iri_parameters_are_refused_before_anything_is_sent(published, value, capsys) -> None:
    rc = main(["query", "cq-trials-for-statement", "--endpoint", published.query_url, "--param", f"statement={value}"])
    assert rc == 2 and "may not contain" in capsys.readouterr().err


# ---------------------------------------------------------------- atomic replace


def old_graph() -> Graph:
    g = Graph()
    for i in range(50):
        g.add((URIRef(f"urn:old:s{i}"), URIRef("urn:old:p"), Literal(f"old version {i}")))
    return g


def test_a_killed_upload_leaves_the_previous_graph_intact(server, proxy, kb, capsys) -> None:
    ep = endpoint(server)
    publish_graph(ep, TARGET, old_graph())
    proxy.cut_nth = 2  # the first chunk arrives, the connection is cut on the second
    rc = main(["publish", "--endpoint", proxy.url("/query"), "--graph", TARGET, "--chunk-size", "2000"])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"publish to <{TARGET}> failed" in err and "left as it was" in err and "Traceback" not in err
    assert proxy.uploads == 2
    assert isomorphic(download(server, TARGET), old_graph())
    # the failed publish dropped its upload graph; the next one replaces the graph
    assert upload_graph_iri(TARGET) not in graph_names(server)
    report = publish_graph(ep, TARGET, kb, chunk_size=4000)
    assert report.triples == len(kb) and ep.count(TARGET) == len(kb)


def test_killing_the_publishing_process_midway_leaves_the_previous_graph_intact(server, proxy, kb) -> None:
    ep = endpoint(server)
    publish_graph(ep, TARGET, old_graph())
    proxy.hold_nth = 3
    env = {**os.environ, "DVTKG_HOME": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "dvtkg.cli", "publish", "--endpoint", proxy.url("/query"),
                              "--graph", TARGET, "--chunk-size", "2000"], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proxy.held.wait(120), "the upload never reached its third chunk"
        child.send_signal(signal.SIGKILL)  # killed in the middle of the upload
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert isomorphic(download(server, TARGET), old_graph())
    upload = upload_graph_iri(TARGET)
    assert 0 < ep.count(upload) < len(kb)  # the chunks sent before the kill, never moved over the target
    publish_graph(ep, TARGET, old_graph())  # the next publish starts by dropping the leftover
    assert upload not in graph_names(server)
    assert isomorphic(download(server, TARGET), old_graph())


def test_a_wrong_count_stops_before_the_swap(server, monkeypatch) -> None:
    ep = endpoint(server)
    publish_graph(ep, TARGET, old_graph())
    monkeypatch.setattr(Endpoint, "count", lambda self, g: 1)
    from dvtkg.sparql import SparqlError

    with pytest.raises(SparqlError, match="holds 1 triples"):
        publish_graph(ep, TARGET, Graph().parse(data="<urn:a> <urn:b> <urn:c>, <urn:d> .", format="turtle"))
    monkeypatch.undo()
    assert isomorphic(download(server, TARGET), old_graph())


# ---------------------------------------------------------------- authentication


def test_token_and_basic_authentication_are_sent(published, proxy, capsys, monkeypatch) -> None:
    proxy.require = "Bearer s3cret"
    query = ["query", "cq-limb-level", "--endpoint", proxy.url("/query"), "--format", "json"]
    assert main(query) == 2
    assert "401" in capsys.readouterr().err
    assert main(query + ["--token", "s3cret"]) == 0
    assert len(json.loads(capsys.readouterr().out)["results"]["bindings"]) > 10
    monkeypatch.setenv("DVTKG_SPARQL_TOKEN", "s3cret")
    assert main(["publish", "--endpoint", proxy.url("/query"), "--graph", "urn:dvtkg:test:auth"]) == 0
    capsys.readouterr()
    monkeypatch.delenv("DVTKG_SPARQL_TOKEN")
    assert set(proxy.seen_auth[-3:]) == {"Bearer s3cret"}
    proxy.require = "GDB abc"
    assert main(query + ["--token", "abc", "--token-scheme", "GDB"]) == 0
    capsys.readouterr()
    proxy.require = "Basic " + base64.b64encode(b"curator:pa:ss").decode()
    assert main(query + ["--user", "curator:pa:ss"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("DVTKG_SPARQL_PASSWORD", "pa:ss")
    assert main(query + ["--user", "curator"]) == 0
    capsys.readouterr()
    assert main(["publish", "--endpoint", proxy.url("/query"), "--graph", "urn:dvtkg:test:auth", "--method", "gsp",
                 "--store", proxy.url("/store"), "--user", "curator"]) == 0
    capsys.readouterr()
    assert main(query + ["--user", "curator:wrong"]) == 2
    assert "401" in capsys.readouterr().err
    assert main(query + ["--user", "curator", "--token", "x"]) == 2
    assert "not both" in capsys.readouterr().err


def test_an_unreachable_endpoint_is_a_clear_error(capsys) -> None:
    port = free_port()  # nothing listens there
    rc = main(["query", "cq-limb-level", "--endpoint", f"http://127.0.0.1:{port}/query", "--timeout", "5"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("dvtkg: error: query at http://127.0.0.1") and "Traceback" not in err


# ---------------------------------------------------------------- make sparql-server


def test_the_development_server_starts_loads_and_prints_its_url(tmp_path) -> None:
    env = {**os.environ, "DVTKG_HOME": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "dvtkg.sparql.server", "--port", "0", "--location",
                              str(tmp_path / "store")], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    url = None
    assert child.stdout is not None and child.stderr is not None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and url is None:
            line = child.stdout.readline()
            if not line:
                break
            if line.startswith("SPARQL query endpoint:"):
                url = line.split(":", 1)[1].strip()
        assert url and url.startswith("http://127.0.0.1:") and url.endswith("/query"), child.stderr.read()
        r = Endpoint(url).select(
            "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/dvtkg/ontology#Recommendation> }")
        assert int(str(r.rows[0][0])) > 50  # --union-default-graph: the knowledge is visible without naming its graph
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
            child.stdout.close()
            child.stderr.close()
    assert child.returncode == 0
    assert (tmp_path / "store").is_dir() and any((tmp_path / "store").iterdir())
