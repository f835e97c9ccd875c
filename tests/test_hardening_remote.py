"""Remote SPARQL calls: credentials never follow a redirect to another origin, https is
never downgraded, and --timeout bounds the whole request. A tiny fake endpoint on
127.0.0.1 answers each test; a second one records whatever reaches it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dvtkg.sparql import SparqlError
from dvtkg.sparql.remote import Endpoint, SafeRedirects

ANSWER = json.dumps({"head": {"vars": ["n"]},
                     "results": {"bindings": [{"n": {"type": "literal", "value": "1"}}]}}).encode()


class Fake:
    """One HTTP server on a free loopback port: redirects, answers, or trickles its answer."""

    def __init__(self) -> None:
        self.mode = "answer"           # answer | redirect | trickle
        self.location = ""
        self.code = 302
        self.seen: list[tuple[str, str, str | None]] = []   # (method, path, Authorization)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                fake.seen.append((self.command, self.path, self.headers.get("Authorization")))
                if fake.mode == "redirect" and self.path.startswith("/query"):
                    self.send_response(fake.code)
                    self.send_header("Location", fake.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                if fake.mode == "trickle":
                    self.send_header("Content-Length", str(len(ANSWER)))
                    self.end_headers()
                    for byte in ANSWER[:40]:  # one byte every 0.1 s: each read is quick, the whole is not
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.1)
                    return
                self.send_header("Content-Length", str(len(ANSWER)))
                self.end_headers()
                self.wfile.write(ANSWER)

            do_GET = do_POST
            do_PUT = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/query") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fakes() -> Iterator[tuple[Fake, Fake]]:
    a, b = Fake(), Fake()
    yield a, b
    a.close()
    b.close()


@pytest.mark.parametrize("creds", [{"token": "s3cret"}, {"user": "curator", "password": "pw"}])
def test_credentials_never_follow_a_redirect_to_another_origin(fakes, creds) -> None:
    a, b = fakes
    a.mode, a.location = "redirect", b.url()
    for code in (302, 307):
        a.code = code
        with pytest.raises(SparqlError, match="another origin"):
            Endpoint(a.url(), timeout=10, **creds).select("SELECT * WHERE { ?s ?p ?o }")
    assert b.seen == []  # the other host got nothing, credentials least of all
    assert all(auth is not None for _, _, auth in a.seen)


def test_a_same_origin_307_is_followed_with_the_credentials(fakes) -> None:
    a, _ = fakes
    a.mode, a.code, a.location = "redirect", 307, a.url("/moved")
    result = Endpoint(a.url(), token="s3cret", timeout=10).select("SELECT * WHERE { ?s ?p ?o }")
    assert str(result.rows[0][0]) == "1"
    assert a.seen[-1] == ("POST", "/moved", "Bearer s3cret")


def test_without_credentials_a_307_to_another_origin_is_followed(fakes) -> None:
    a, b = fakes
    a.mode, a.code, a.location = "redirect", 307, b.url("/other")
    Endpoint(a.url(), timeout=10).select("SELECT * WHERE { ?s ?p ?o }")
    assert b.seen == [("POST", "/other", None)]


def test_a_302_is_reported_not_turned_into_a_get(fakes) -> None:
    a, b = fakes
    a.mode, a.code, a.location = "redirect", 302, a.url("/elsewhere")
    with pytest.raises(SparqlError, match="redirects \\(HTTP 302\\)"):
        Endpoint(a.url(), timeout=10).select("SELECT * WHERE { ?s ?p ?o }")


def test_https_is_never_downgraded() -> None:
    import urllib.request

    handler = SafeRedirects(with_credentials=False)
    req = urllib.request.Request("https://example.org/query", data=b"q", method="POST")
    with pytest.raises(SparqlError, match="never downgraded"):
        handler.redirect_request(req, None, 307, "Temporary Redirect", {}, "http://example.org/query")


def test_timeout_bounds_the_whole_request(fakes) -> None:
    a, _ = fakes
    a.mode = "trickle"  # 4 s to answer in all, every single read well under the timeout
    start = time.monotonic()
    with pytest.raises(SparqlError, match="within 1 s"):
        Endpoint(a.url(), timeout=1).select("SELECT * WHERE { ?s ?p ?o }")
    assert time.monotonic() - start < 2.5


@pytest.mark.parametrize("url,needle", [
    ("http://[::1/query", "malformed"), ("http://127.0.0.1:99999/query", "malformed"),
    ("http://:80/query", "names no host"), ("http://exa mple/query", "spaces"), ("ftp://x/query", "http://"),
])
def test_malformed_endpoints_are_clear_errors(url: str, needle: str) -> None:
    with pytest.raises(SparqlError, match=needle):
        Endpoint(url)


def test_malformed_endpoint_on_the_command_line_is_one_line(capsys) -> None:
    from dvtkg.cli import main

    assert main(["query", "cq-conflicting-statements", "--endpoint", "http://[::1/query"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "malformed" in err and "Traceback" not in err
