"""A write guard in front of the development Oxigraph server.

Oxigraph itself has no authentication: anyone who can reach it can run updates and
Graph Store writes, and a web page in the user's browser can POST to it (a
cross-origin "simple" request needs no CORS permission to be *sent*). The development
server therefore listens here and forwards to an Oxigraph on a private loopback port:

- reads pass: ``GET``/``HEAD`` anywhere, ``POST`` to ``/query``;
- every other request (``/update``, Graph Store ``PUT``/``POST``/``DELETE``, anything
  unknown) is a write and needs ``Authorization: Bearer <token>``;
- a write carrying an ``Origin`` header other than this server's own is refused (403)
  whatever its token: browsers send ``Origin`` on cross-origin POSTs.

It is a development tool (see docs/security.md): in production put a real reverse
proxy with TLS and authentication in front of the store.
"""

from __future__ import annotations

import hmac
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length", "authorization"}
READ_METHODS = {"GET", "HEAD"}
MAX_BODY = 2 * 1024 ** 3


def is_write(method: str, path: str) -> bool:
    """True unless the request only reads (GET/HEAD, or a query POSTed to /query)."""
    if method in READ_METHODS:
        return False
    return not (method == "POST" and path.split("?", 1)[0].rstrip("/") == "/query")


class GuardProxy:
    """Listens on ``host:port`` (bound at construction, so a busy port fails before anything else)."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.token = token
        self.backend: tuple[str, int] | None = None
        guard = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _refuse(self, code: int, text: str) -> None:
                body = (text + "\n").encode()
                self.send_response(code)
                if code == 401:
                    self.send_header("WWW-Authenticate", 'Bearer realm="dvtkg development server"')
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def _handle(self) -> None:
                if is_write(self.command, self.path):
                    origin = self.headers.get("Origin")
                    if origin is not None and origin != guard.origin:
                        self._refuse(403, f"cross-origin write refused (Origin: {origin})")
                        return
                    given = self.headers.get("Authorization") or ""
                    if not hmac.compare_digest(given.encode(), f"Bearer {guard.token}".encode()):
                        self._refuse(401, "a write needs the server's token: Authorization: Bearer <token>")
                        return
                length = int(self.headers.get("Content-Length") or 0)
                if length < 0 or length > MAX_BODY:
                    self._refuse(413, "request body too large")
                    return
                body = self.rfile.read(length) if length else None
                self._forward(body)

            def _forward(self, body: bytes | None) -> None:
                if guard.backend is None:
                    self._refuse(503, "the store is starting")
                    return
                conn = http.client.HTTPConnection(*guard.backend, timeout=600)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    self._refuse(502, f"the store did not answer ({exc})")
                    return
                finally:
                    conn.close()
                self.send_response(response.status, response.reason)
                for k, v in response.getheaders():
                    if k.lower() not in HOP_BY_HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.host = host
        self.port = self.server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, backend_host: str, backend_port: int) -> None:
        self.backend = (backend_host, backend_port)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="dvtkg-guard")
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
        self.server.server_close()
