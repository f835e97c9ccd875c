"""The development SPARQL server: writes need its token, cross-origin writes are refused,
reads stay open, and a second server on a busy port exits 2 having written nothing."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dvtkg.sparql import KB_GRAPH
from dvtkg.sparql.remote import Endpoint

ROOT = Path(__file__).resolve().parents[1]


class DevServer:
    def __init__(self, tmp: Path) -> None:
        env = {**os.environ, "DVTKG_HOME": str(ROOT)}
        env.pop("DVTKG_SPARQL_TOKEN", None)
        self.child = subprocess.Popen([sys.executable, "-m", "dvtkg.sparql.server", "--port", "0", "--no-load",
                                       "--location", str(tmp / "store")], env=env, cwd=ROOT,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        url = token = None
        lines: queue.Queue[str] = queue.Queue()
        stdout = self.child.stdout
        assert stdout is not None

        def pump() -> None:
            for x in stdout:
                lines.put(x)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and token is None and self.child.poll() is None:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            if line.startswith("SPARQL query endpoint:"):
                url = line.split(":", 1)[1].strip()
            if line.startswith("write token:"):
                token = line.split(":", 1)[1].split()[0]
        if not (url and token):
            self.stop()
            pytest.fail("the development server printed no query URL and write token")
        self.url, self.token = url, token
        self.base = self.url.rsplit("/", 1)[0]
        self.port = int(self.base.rsplit(":", 1)[1])

    def stop(self) -> None:
        if self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)
        try:
            self.child.wait(timeout=30)
        finally:
            if self.child.poll() is None:
                self.child.kill()
                self.child.wait()
            if self.child.stderr is not None:
                self.child.stderr.close()


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> Iterator[DevServer]:
    server = DevServer(tmp_path_factory.mktemp("dev"))
    yield server
    server.stop()


def _status(url: str, data: bytes | None, method: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


UPDATE = b"INSERT DATA { GRAPH <urn:t> { <urn:a> <urn:b> <urn:c> } }"


def test_update_needs_the_token(dev: DevServer) -> None:
    ct = {"Content-Type": "application/sparql-update"}
    assert _status(f"{dev.base}/update", UPDATE, "POST", ct) == 401
    assert _status(f"{dev.base}/update", UPDATE, "POST", {**ct, "Authorization": "Bearer wrong"}) == 401
    assert _status(f"{dev.base}/update", UPDATE, "POST", {**ct, "Authorization": f"Bearer {dev.token}"}) in (200, 204)


def test_graph_store_writes_need_the_token(dev: DevServer) -> None:
    url = f"{dev.base}/store?graph=urn:g"
    nt = {"Content-Type": "application/n-triples"}
    body = b"<urn:a> <urn:b> <urn:c> .\n"
    for method in ("PUT", "POST", "DELETE"):
        assert _status(url, body if method != "DELETE" else None, method, nt) == 401
    assert _status(url, body, "PUT", {**nt, "Authorization": f"Bearer {dev.token}"}) in (200, 201, 204)


def test_cross_origin_writes_are_refused_even_with_the_token(dev: DevServer) -> None:
    headers = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {dev.token}",
               "Origin": "http://evil.example"}
    assert _status(f"{dev.base}/update", UPDATE, "POST", headers) == 403
    # a form post from a web page: no token, a foreign Origin
    form = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"}
    assert _status(f"{dev.base}/update", b"update=CLEAR+ALL", "POST", form) == 403


def test_reads_need_no_token(dev: DevServer) -> None:
    result = Endpoint(dev.url).select("ASK { }")
    assert result is not None
    accept = {"Accept": "application/sparql-results+json"}
    assert _status(f"{dev.base}/query?query=ASK%7B%7D", None, "GET", accept) == 200


def test_a_second_server_on_a_busy_port_writes_nothing(dev: DevServer, tmp_path: Path) -> None:
    ep = Endpoint(dev.url, token=dev.token)
    ep.update(f"INSERT DATA {{ GRAPH <{KB_GRAPH}> {{ <urn:marker> <urn:is> <urn:here> }} }}")

    def count() -> int:
        return int(str(ep.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{KB_GRAPH}> {{ ?s ?p ?o }} }}").rows[0][0]))

    before = count()
    env = {**os.environ, "DVTKG_HOME": str(ROOT)}
    second = subprocess.run([sys.executable, "-m", "dvtkg.sparql.server", "--port", str(dev.port),
                             "--location", str(tmp_path / "other")], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert second.returncode == 2, second.stderr
    assert "Nothing was written" in second.stderr and second.stderr.count("\n") == 1
    assert count() == before == 1  # the running server's knowledge graph is as it was
    assert not (tmp_path / "other").exists()
