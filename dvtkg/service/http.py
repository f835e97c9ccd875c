"""ASGI middleware: a request-size limit and a structured access log without patient data.

The log is one JSON object per request on the ``dvtkg.service.access`` logger: time, method,
path (never the query string, which may carry patient ids), status, duration, request and response
sizes, and the request id. Bodies, headers and tokens are never logged.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any, Awaitable, Callable

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]

access_log = logging.getLogger("dvtkg.service.access")


class BodyTooLarge(Exception):
    pass


class LimitAndLog:
    """Refuse bodies over ``max_body_bytes`` (413, before the route runs) and log every request."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        state = {"status": 0, "in": 0, "out": 0}
        request_id = uuid.uuid4().hex[:16]
        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send, state)
            self._log(scope, state, start, request_id)
            return

        async def limited_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                state["in"] += len(message.get("body", b""))
                if state["in"] > self.max_body_bytes:
                    raise BodyTooLarge()
            return message

        async def logged_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", request_id.encode())]
            elif message["type"] == "http.response.body":
                state["out"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, limited_receive, logged_send)
        except BodyTooLarge:
            if state["status"] == 0:
                await self._too_large(send, state)
        except Exception:
            state["status"] = state["status"] or 500  # logged as such; the server's error handler answers
            raise
        finally:
            self._log(scope, state, start, request_id)

    async def _too_large(self, send: Any, state: dict[str, int]) -> None:
        body = json.dumps({"error": f"request body larger than {self.max_body_bytes} bytes"}).encode()
        state["status"] = 413
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def _log(self, scope: dict[str, Any], state: dict[str, int], start: float, request_id: str) -> None:
        access_log.info(json.dumps({
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "request": request_id,
            "method": scope.get("method"), "path": scope.get("path"), "status": state["status"],
            "ms": round((time.perf_counter() - start) * 1000, 1), "bytesIn": state["in"], "bytesOut": state["out"],
        }))
