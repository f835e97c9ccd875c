"""Start an Oxigraph SPARQL server (the ``oxigraph`` PyPI package) on the loopback interface.

``make sparql-server`` runs ``python -m dvtkg.sparql.server``: it starts
``oxigraph serve --location build/oxigraph --bind 127.0.0.1:PORT --union-default-graph``,
waits until it answers, publishes the knowledge base into its named graph
(:data:`dvtkg.sparql.KB_GRAPH`), prints the query URL and keeps serving until Ctrl-C.
Oxigraph listens on a private loopback port; the given port is a write guard
(:mod:`dvtkg.sparql.guard_proxy`): updates and Graph Store writes need the token printed
at start (or given with ``--token`` / ``$DVTKG_SPARQL_TOKEN``), cross-origin writes are
refused. A busy port stops the start before anything is written.
The store persists under ``build/oxigraph``. ``--union-default-graph`` lets hand-written
queries (the web form at ``http://127.0.0.1:PORT/``) see every graph; ``dvtkg query``
names its graphs itself and does not depend on it.

:class:`OxigraphServer` is also what the tests use: a server on a free port, in memory
or on a given directory, stopped when the ``with`` block ends.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from dvtkg import logs
from dvtkg.sparql import KB_GRAPH, SparqlError

log = logs.get(__name__)

BINARY_ENV = "DVTKG_OXIGRAPH"
TOKEN_ENV = "DVTKG_SPARQL_TOKEN"


def find_binary() -> str:
    """The ``oxigraph`` executable: $DVTKG_OXIGRAPH, next to this Python, or on PATH."""
    env = os.environ.get(BINARY_ENV)
    if env:
        return env
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.exists():
        return str(beside)
    found = shutil.which("oxigraph")
    if found:
        return found
    raise SparqlError("the oxigraph server is not installed: pip install 'oxigraph==0.5.13' "
                      f"(or point {BINARY_ENV} at an oxigraph binary)")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class OxigraphServer:
    """An ``oxigraph serve`` child process on ``host:port`` (port 0: a free one)."""

    def __init__(self, location: Path | str | None = None, port: int = 0, host: str = "127.0.0.1",
                 union_default_graph: bool = False, log: Path | str | None = None) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SparqlError(f"the development server listens on the loopback interface only (not {host})")
        self.location = Path(location) if location else None
        self.host = host
        self.port = port
        self.union_default_graph = union_default_graph
        self.log = Path(log) if log else None
        self.process: subprocess.Popen | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def query_url(self) -> str:
        return f"{self.base_url}/query"

    @property
    def update_url(self) -> str:
        return f"{self.base_url}/update"

    @property
    def store_url(self) -> str:
        return f"{self.base_url}/store"

    def start(self, timeout: float = 30.0) -> "OxigraphServer":
        """Start the server and wait until it answers a query; SparqlError if it does not."""
        binary = find_binary()
        requested = self.port
        message = "not started"
        for _ in range(3 if requested == 0 else 1):  # a free port can be taken in between: retry
            port = requested or free_port(self.host)
            cmd = [binary, "serve", "--bind", f"{self.host}:{port}"]
            if self.location:
                self.location.mkdir(parents=True, exist_ok=True)
                cmd += ["--location", str(self.location)]
            if self.union_default_graph:
                cmd.append("--union-default-graph")
            self._log_file = open(self.log, "ab") if self.log else tempfile.TemporaryFile()
            self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log_file,
                                            stderr=subprocess.STDOUT, start_new_session=True)
            self.port = port
            if self._wait(timeout):
                return self
            message = self._failure()
            self.stop()
            self.port = requested
        raise SparqlError(f"the oxigraph server did not start on {self.host}:{self.port or 'a free port'}: {message}")

    def _failure(self) -> str:
        if self.process is None:
            return "not started"
        if self.process.poll() is None:
            return "no answer in time"
        text = ""
        if self._log_file is not None:
            try:
                self._log_file.flush()
                self._log_file.seek(0)
                text = " ".join(self._log_file.read().decode("utf-8", "replace").split())
            except (OSError, ValueError):
                text = ""
        return text[-500:] or f"exit code {self.process.returncode}"

    def _wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(self.query_url, data=b"ASK {}", method="POST",
                                         headers={"Content-Type": "application/sparql-query",
                                                  "Accept": "application/sparql-results+json"})
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> "OxigraphServer":
        return self.start() if self.process is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


@logs.script_main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dvtkg.sparql.server",
                                     description="Start an Oxigraph SPARQL server on 127.0.0.1 with the knowledge base "
                                                 "loaded; updates and Graph Store writes need the printed token.")
    parser.add_argument("--location", type=Path, default=None,
                        help="directory of the persistent store (default: build/oxigraph)")
    parser.add_argument("--port", type=int, default=7878, help="port on 127.0.0.1 (default 7878; 0 = a free port)")
    parser.add_argument("--graph", default=KB_GRAPH, help=f"named graph of the knowledge base (default {KB_GRAPH})")
    parser.add_argument("--no-load", action="store_true", help="do not (re)load the knowledge base")
    parser.add_argument("--token", default=None,
                        help=f"the token writes must carry (default: ${TOKEN_ENV}, else a new random one, printed)")
    args = parser.parse_args(argv)

    import secrets

    from dvtkg import paths
    from dvtkg.sparql.guard_proxy import GuardProxy

    token = args.token or os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24)
    # Take the public port first: if it is busy (another server runs there) stop now,
    # before any store is opened or any triple is written anywhere.
    try:
        proxy = GuardProxy("127.0.0.1", args.port, token)
    except OSError as exc:
        log.error(f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror or exc}); "
                  "is another server running there? Nothing was written.")
        return 2
    location = args.location or paths.cache_dir() / "oxigraph"
    server = OxigraphServer(location=location, port=0, union_default_graph=True)
    try:
        server.start()
    except SparqlError as exc:
        proxy.stop()
        log.error(str(exc))
        return 2
    stopping = False

    def _stop(signum, frame):
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    base = proxy.origin
    process = server.process
    if process is None:  # start() returns only with a running process
        raise SparqlError("the Oxigraph server did not start")
    try:
        if not args.no_load:
            from dvtkg.kb.build import load_knowledge
            from dvtkg.sparql.remote import Endpoint, publish_graph

            report = publish_graph(Endpoint(server.query_url), args.graph, load_knowledge())
            print(report)
        proxy.start(server.host, server.port)
        print(f"Oxigraph {location} on {base} (pid {process.pid}); Ctrl-C stops it. For development only.")
        print(f"SPARQL query endpoint:  {base}/query")
        print(f"SPARQL update endpoint: {base}/update")
        print(f"Graph Store endpoint:   {base}/store")
        print(f"write token: {token}  (updates and Graph Store writes need it: "
              f"Authorization: Bearer ..., or dvtkg publish --token / ${TOKEN_ENV})")
        print(f"try: dvtkg query cq-secondary-checked --endpoint {base}/query")
        sys.stdout.flush()
        process.wait()
        return 0 if stopping else (process.returncode or 0)
    except KeyboardInterrupt:
        return 0
    except SparqlError as exc:
        log.error(str(exc))
        return 2
    finally:
        proxy.stop()
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
