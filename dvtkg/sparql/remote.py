"""Queries on a SPARQL 1.1 endpoint, and publishing named graphs to it.

Queries are POSTed (``application/sparql-query``, JSON results) with urllib, through
:class:`SafeRedirects` (no credentials to another origin, never https -> http) and with
``timeout`` bounding the whole request, not each read.
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
import threading
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


def _short(exc: BaseException | str) -> str:
    body = getattr(exc, "msg", None) or str(exc)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    text = " ".join(str(body).split())
    return (text[:300] + "...") if len(text) > 300 else (text or type(exc).__name__)


def check_endpoint_url(url: str) -> None:
    """An http(s) URL with a host and a valid port, or a SparqlError saying what is wrong with it."""
    if not url.startswith(("http://", "https://")):
        raise SparqlError(f"endpoint URL {url!r} must start with http:// or https://")
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # reading it raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise SparqlError(f"endpoint URL {url!r} is malformed ({exc})") from None
    if not parts.hostname:
        raise SparqlError(f"endpoint URL {url!r} names no host")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise SparqlError(f"endpoint URL {url!r} must not contain spaces or control characters")


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, the port made explicit."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(scheme)


class SafeRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects that cannot leak credentials or downgrade the connection.

    https -> http is never followed; a redirect to another origin (scheme, host, port)
    is not followed while credentials are given (urllib would send the Authorization
    header there too). A 307 / 308 re-sends the same request (SPARQL is POSTed); a
    301 / 302 / 303 would turn it into a GET without the query, so it is reported
    with its target instead of followed.
    """

    max_redirections = 5

    def __init__(self, with_credentials: bool) -> None:
        super().__init__()
        self.with_credentials = with_credentials

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 (urllib's hook)
        old, new = origin(req.full_url), origin(newurl)
        if old[0] == "https" and new[0] != "https":
            raise SparqlError(f"refused a redirect (HTTP {code}) from https to {newurl}: never downgraded to http")
        if new != old and self.with_credentials:
            raise SparqlError(f"refused a redirect (HTTP {code}) to another origin, {newurl}: credentials are "
                              "never sent to another host; give that URL as the endpoint if you trust it")
        if code not in (307, 308):
            raise SparqlError(f"the endpoint redirects (HTTP {code}) to {newurl}; give that URL as the endpoint")
        headers_out = {k: v for k, v in req.header_items() if new == old or k.lower() != "authorization"}
        return urllib.request.Request(newurl, data=req.data, headers=headers_out, method=req.get_method())


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
            if url is not None:
                check_endpoint_url(url)
        if not (isinstance(self.timeout, (int, float)) and 0 < self.timeout < float("inf")):
            raise SparqlError(f"the timeout must be a positive number of seconds (given: {self.timeout!r})")
        if self.update_url is None:
            self.update_url = derived_update_url(self.query_url)
        if self.token and self.user:
            raise SparqlError("give either a token or a user (basic/digest authentication), not both")
        if self.user and self.password is None:
            raise SparqlError(f"no password for user {self.user!r}: write --user USER:PASSWORD "
                              "or set DVTKG_SPARQL_PASSWORD")
        if self.auth not in AUTH_SCHEMES:
            raise SparqlError(f"unknown authentication {self.auth!r} (known: {', '.join(AUTH_SCHEMES)})")

    # ------------------------------------------------------------ HTTP

    def _has_credentials(self) -> bool:
        return bool(self.token or self.user)

    def _opener(self, url: str) -> urllib.request.OpenerDirector:
        """An opener for one request: the safe redirect policy, digest credentials bound to ``url``."""
        handlers: list[urllib.request.BaseHandler] = [SafeRedirects(self._has_credentials())]
        if self.user and self.password is not None and self.auth == "digest":
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            manager.add_password(None, url, self.user, self.password)
            handlers.append(urllib.request.HTTPDigestAuthHandler(manager))
        return urllib.request.build_opener(*handlers)

    def _request(self, url: str, data: bytes, content_type: str, method: str = "POST",
                 accept: str | None = None) -> urllib.request.Request:
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Content-Type", content_type)
        if accept:
            request.add_header("Accept", accept)
        if self.token:
            request.add_header("Authorization", f"{self.token_scheme} {self.token}")
        elif self.user and self.auth == "basic":
            creds = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {creds}")
        return request

    def _send(self, request: urllib.request.Request, url: str) -> bytes:
        """Send ``request`` and read the whole answer within ``timeout`` seconds, all told.

        urllib's timeout bounds each socket operation, not the request: a server that
        trickles its answer could hold the command for ever. The exchange runs in a
        daemon thread that is given up on at the deadline.
        """
        box: dict[str, object] = {}

        def work() -> None:
            try:
                with self._opener(url).open(request, timeout=self.timeout) as response:
                    box["body"] = response.read()
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=work, daemon=True, name="dvtkg-http")
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            raise TimeoutError(f"no complete answer within {self.timeout:g} s (--timeout)")
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        return box["body"]  # type: ignore[return-value]

    def _run(self, what: str, url: str, call: Callable[[], object]) -> object:
        self.requests += 1
        try:
            return call()
        except SparqlError as exc:
            raise SparqlError(f"{what} at {url} failed: {exc}") from None
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace") if exc.fp else ""
            raise SparqlError(f"{what} at {url} failed: HTTP {exc.code} {exc.reason} {_short(detail)}".rstrip()
                              ) from None
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, socket.timeout, TimeoutError,
                OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            shown = _short(reason) if isinstance(reason, BaseException) else reason
            raise SparqlError(f"{what} at {url} failed: {shown} ({type(exc).__name__})") from None

    # ------------------------------------------------------------ SPARQL protocol

    def select(self, text: str, default_graphs: Iterable[str] = (), named_graphs: Iterable[str] = ()) -> QueryResult:
        """Run a SELECT or ASK query; the dataset is the given graphs (none: the store's default)."""
        params = [("default-graph-uri", check_iri_chars(g, "graph")) for g in default_graphs]
        params += [("named-graph-uri", check_iri_chars(g, "graph")) for g in named_graphs]
        url = self.query_url
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        request = self._request(url, text.encode("utf-8"), "application/sparql-query",
                                accept="application/sparql-results+json")

        def call():
            raw = self._send(request, self.query_url)
            try:
                return json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise SparqlError("the answer is not SPARQL JSON results") from None

        answer = self._run("query", self.query_url, call)
        if not isinstance(answer, dict):
            raise SparqlError("the answer is not SPARQL JSON results")
        return QueryResult.from_json(answer)

    def update(self, text: str) -> None:
        update_url = self.update_url or derived_update_url(self.query_url)  # set in __post_init__
        request = self._request(update_url, text.encode("utf-8"), "application/sparql-update")
        self._run("update", update_url, lambda: self._send(request, update_url))

    def put_graph(self, graph_iri: str, body: bytes) -> None:
        """Graph Store Protocol: PUT ``body`` (N-Triples) as the content of ``graph_iri``."""
        store_url = self.store_url
        if not store_url:
            raise SparqlError("the Graph Store upload needs --store URL (the store's Graph Store Protocol endpoint)")
        sep = "&" if "?" in store_url else "?"
        url = f"{store_url}{sep}graph={urllib.parse.quote(check_iri_chars(graph_iri, 'graph'), safe='')}"
        request = self._request(url, body, "application/n-triples", method="PUT")
        self._run("Graph Store PUT", store_url, lambda: self._send(request, store_url))

    # ------------------------------------------------------------ helpers

    def count(self, graph_iri: str) -> int:
        graph = check_iri_chars(graph_iri, "graph")
        result = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
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
