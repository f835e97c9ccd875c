"""Queries on a SPARQL 1.1 endpoint, and publishing named graphs to it.

Queries go through SPARQLWrapper (POST, ``application/sparql-query``, JSON results).
The dataset of a query is given with the protocol's ``default-graph-uri`` and
``named-graph-uri`` parameters: the knowledge graph plus the requested case graphs, so
the default graph is their union whatever the store's own default-graph setting.
Parameters are bound by a VALUES row (:func:`dvtkg.sparql.params.inject_values`).

``publish_graph`` replaces one named graph atomically:

1. ``DROP SILENT GRAPH`` the upload graph of the target (left over by an earlier
   failed publish): ``urn:dvtkg:upload:<hash of the target IRI>``;
2. upload the triples into that graph: SPARQL Update ``INSERT DATA`` in chunks
   (triples sharing a blank node stay in one request), or one Graph Store Protocol
   ``PUT`` of N-Triples (``method="gsp"``);
3. count the upload graph's triples; a count that differs from what was sent stops here;
4. one update request ``MOVE <upload> TO <target>``: a store that runs an update request
   as one transaction (Oxigraph, Fuseki/TDB2, GraphDB) swaps the graph in one step.

If any step fails (a refused request, a cut connection, a wrong count) the target graph
is untouched: the previous version stays in place and the command exits with code 2.
One publish per target graph at a time (the upload graph name is fixed per target).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from rdflib import BNode, Graph
from rdflib.term import Node

from dvtkg.sparql import SparqlError
from dvtkg.sparql.params import check_iri_chars, inject_values, nt_term
from dvtkg.sparql.results import QueryResult

UPLOAD_PREFIX = "urn:dvtkg:upload:"
DEFAULT_CHUNK = 5000
AUTH_SCHEMES = ("basic", "digest")


def _short(exc: BaseException) -> str:
    body = getattr(exc, "msg", None) or str(exc)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    text = " ".join(str(body).split())
    return (text[:300] + "...") if len(text) > 300 else (text or type(exc).__name__)


def derived_update_url(query_url: str) -> str:
    """The update endpoint next to a query endpoint: ``.../query`` -> ``.../update`` (Oxigraph,
    Fuseki); any other URL is taken to accept updates itself (Virtuoso's ``/sparql``)."""
    parts = urllib.parse.urlsplit(query_url)
    if parts.path.endswith("/query"):
        return urllib.parse.urlunsplit(parts._replace(path=parts.path[: -len("query")] + "update"))
    return query_url


def derived_store_url(query_url: str) -> str | None:
    """Oxigraph's Graph Store endpoint next to its query endpoint (``.../query`` -> ``.../store``)."""
    parts = urllib.parse.urlsplit(query_url)
    if parts.path.endswith("/query"):
        return urllib.parse.urlunsplit(parts._replace(path=parts.path[: -len("query")] + "store"))
    return None


@dataclass
class Endpoint:
    """Where and how to reach a SPARQL store (query, update and Graph Store URLs, credentials)."""

    query_url: str
    update_url: str | None = None
    store_url: str | None = None
    token: str | None = None
    token_scheme: str = "Bearer"
    user: str | None = None
    password: str | None = None
    auth: str = "basic"
    timeout: float = 120.0
    requests: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        for url in (self.query_url, self.update_url, self.store_url):
            if url is not None and not url.startswith(("http://", "https://")):
                raise SparqlError(f"endpoint URL {url!r} must start with http:// or https://")
        if self.update_url is None:
            self.update_url = derived_update_url(self.query_url)
        if self.token and self.user:
            raise SparqlError("give either a token or a user (basic/digest authentication), not both")
        if self.user and self.password is None:
            raise SparqlError(f"no password for user {self.user!r}: write --user USER:PASSWORD "
                              "or set DVTKG_SPARQL_PASSWORD")
        if self.auth not in AUTH_SCHEMES:
            raise SparqlError(f"unknown authentication {self.auth!r} (known: {', '.join(AUTH_SCHEMES)})")

    # ------------------------------------------------------------ SPARQL protocol

    def _wrapper(self, url: str, update: bool = False):
        from SPARQLWrapper import BASIC, DIGEST, JSON, POST, POSTDIRECTLY, SPARQLWrapper

        w = SPARQLWrapper(url, updateEndpoint=url if update else None)
        w.setMethod(POST)
        w.setRequestMethod(POSTDIRECTLY)
        w.setOnlyConneg(True)
        w.setReturnFormat(JSON)
        w.setTimeout(int(self.timeout))
        if self.token:
            w.addCustomHttpHeader("Authorization", f"{self.token_scheme} {self.token}")
        elif self.user:
            w.setHTTPAuth(DIGEST if self.auth == "digest" else BASIC)
            w.setCredentials(self.user, self.password)
        return w

    def _run(self, what: str, url: str, call: Callable[[], object]) -> object:
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        self.requests += 1
        try:
            return call()
        except SPARQLWrapperException as exc:
            code = {"QueryBadFormed": 400, "Unauthorized": 401, "EndPointNotFound": 404, "URITooLong": 414,
                    "EndPointInternalError": 500}.get(type(exc).__name__)
            status = f"HTTP {code}: " if code else ""
            raise SparqlError(f"{what} at {url} failed: {status}{_short(exc)}") from None
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace") if exc.fp else ""
            raise SparqlError(f"{what} at {url} failed: HTTP {exc.code} {exc.reason} {_short(detail)}".rstrip()) from None
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, socket.timeout, TimeoutError,
                OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SparqlError(f"{what} at {url} failed: {_short(reason) if isinstance(reason, BaseException) else reason}"
                              f" ({type(exc).__name__})") from None

    def select(self, text: str, default_graphs: Iterable[str] = (), named_graphs: Iterable[str] = ()) -> QueryResult:
        """Run a SELECT or ASK query; the dataset is the given graphs (none: the store's default)."""
        w = self._wrapper(self.query_url)
        w.setQuery(text)
        for g in default_graphs:
            w.addParameter("default-graph-uri", check_iri_chars(g, "graph"))
        for g in named_graphs:
            w.addParameter("named-graph-uri", check_iri_chars(g, "graph"))

        def call():
            response = w.query()
            raw = response.response.read()
            try:
                return json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise SparqlError(f"query at {self.query_url}: the answer is not SPARQL JSON results") from None

        return QueryResult.from_json(self._run("query", self.query_url, call))

    def update(self, text: str) -> None:
        w = self._wrapper(self.update_url, update=True)
        w.setQuery(text)

        def call():
            response = w.query()
            response.response.read()

        self._run("update", self.update_url, call)

    def put_graph(self, graph_iri: str, body: bytes) -> None:
        """Graph Store Protocol: PUT ``body`` (N-Triples) as the content of ``graph_iri``."""
        if not self.store_url:
            raise SparqlError("the Graph Store upload needs --store URL (the store's Graph Store Protocol endpoint)")
        sep = "&" if "?" in self.store_url else "?"
        url = f"{self.store_url}{sep}graph={urllib.parse.quote(check_iri_chars(graph_iri, 'graph'), safe='')}"
        request = urllib.request.Request(url, data=body, method="PUT")
        request.add_header("Content-Type", "application/n-triples")
        opener = urllib.request.build_opener()
        if self.token:
            request.add_header("Authorization", f"{self.token_scheme} {self.token}")
        elif self.user and self.auth == "basic":
            creds = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {creds}")
        elif self.user:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            manager.add_password(None, self.store_url, self.user, self.password)
            opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(manager))

        def call():
            with opener.open(request, timeout=self.timeout) as response:
                response.read()

        self._run("Graph Store PUT", self.store_url, call)

    # ------------------------------------------------------------ helpers

    def count(self, graph_iri: str) -> int:
        result = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{check_iri_chars(graph_iri, 'graph')}> {{ ?s ?p ?o }} }}")
        try:
            return int(str(result.rows[0][0]))
        except (IndexError, ValueError, TypeError):
            raise SparqlError(f"cannot count the triples of <{graph_iri}> at {self.query_url}") from None


# ---------------------------------------------------------------- queries


def run_remote(endpoint: Endpoint, text: str, bindings: dict[str, Node] | None = None,
               graphs: list[str] | None = None) -> QueryResult:
    """Answer the query at ``endpoint`` over ``graphs`` (default graph = their union)."""
    bound = inject_values(text, dict(bindings or {}))
    graphs = list(graphs or [])
    return endpoint.select(bound, default_graphs=graphs, named_graphs=graphs)


# ---------------------------------------------------------------- publishing


def upload_graph_iri(target: str) -> str:
    """The fixed upload graph of a target graph: ``urn:dvtkg:upload:<sha256 of the IRI, 16 hex>``."""
    return UPLOAD_PREFIX + hashlib.sha256(target.encode("utf-8")).hexdigest()[:16]


def ntriples(graph: Graph) -> bytes:
    labels: dict = {}
    lines = [f"{nt_term(s, labels)} {nt_term(p, labels)} {nt_term(o, labels)} ." for s, p, o in graph]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _components(graph: Graph) -> list[list[tuple]]:
    """The triples grouped so that triples sharing a blank node are in the same group."""
    parent: dict[Node, Node] = {}

    def find(x: Node) -> Node:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    triples = sorted(graph, key=lambda t: (str(t[0]), str(t[1]), str(t[2])))
    for s, _, o in triples:
        if isinstance(s, BNode) and isinstance(o, BNode):
            a, b = find(s), find(o)
            if a != b:
                parent[a] = b
    groups: dict[object, list[tuple]] = {}
    singles: list[list[tuple]] = []
    for t in triples:
        node = t[0] if isinstance(t[0], BNode) else (t[2] if isinstance(t[2], BNode) else None)
        if node is None:
            singles.append([t])
        else:
            groups.setdefault(find(node), []).append(t)
    return singles + list(groups.values())


def insert_chunks(graph: Graph, target: str, chunk_size: int = DEFAULT_CHUNK) -> Iterator[str]:
    """``INSERT DATA`` requests adding ``graph`` to ``target``, about ``chunk_size`` triples each."""
    chunk: list[tuple] = []

    def render(triples: list[tuple]) -> str:
        labels: dict = {}
        body = "\n".join(f"    {nt_term(s, labels)} {nt_term(p, labels)} {nt_term(o, labels)} ." for s, p, o in triples)
        return f"INSERT DATA {{\n  GRAPH <{check_iri_chars(target, 'graph')}> {{\n{body}\n  }}\n}}"

    for group in _components(graph):
        if chunk and len(chunk) + len(group) > chunk_size:
            yield render(chunk)
            chunk = []
        chunk.extend(group)
    if chunk:
        yield render(chunk)


@dataclass
class PublishReport:
    graph: str
    triples: int
    requests: int
    seconds: float
    method: str

    def __str__(self) -> str:
        return (f"published <{self.graph}>: {self.triples} triples "
                f"({self.method}, {self.requests} requests, {self.seconds:.1f} s)")


def publish_graph(endpoint: Endpoint, target: str, graph: Graph, method: str = "update",
                  chunk_size: int = DEFAULT_CHUNK) -> PublishReport:
    """Replace the named graph ``target`` with ``graph``, atomically (see the module docstring)."""
    check_iri_chars(target, "graph")
    if method not in ("update", "gsp"):
        raise SparqlError(f"unknown upload method {method!r} (update or gsp)")
    if len(graph) == 0:
        raise SparqlError(f"refusing to publish an empty graph to <{target}>")
    start, before = time.perf_counter(), endpoint.requests
    upload = upload_graph_iri(target)
    kept = f"the graph <{target}> was left as it was"
    try:
        endpoint.update(f"DROP SILENT GRAPH <{upload}>")
        if method == "gsp":
            endpoint.put_graph(upload, ntriples(graph))
        else:
            for request in insert_chunks(graph, upload, chunk_size):
                endpoint.update(request)
        n = endpoint.count(upload)
        if n != len(graph):
            raise SparqlError(f"the upload graph <{upload}> holds {n} triples, {len(graph)} were sent")
        endpoint.update(f"MOVE <{upload}> TO <{target}>")
    except SparqlError as exc:
        try:
            endpoint.update(f"DROP SILENT GRAPH <{upload}>")
        except SparqlError:
            pass  # the next publish drops it first
        raise SparqlError(f"publish to <{target}> failed: {exc}; {kept}") from None
    return PublishReport(target, len(graph), endpoint.requests - before, time.perf_counter() - start, method)
