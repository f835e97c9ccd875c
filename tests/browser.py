"""Headless Chromium for the browser tests (test_docs_browser.py, test_cds_page.py); a test helper, not shipped.

Chromium (Debian's ``chromium`` package, ``make chromium``) is driven over the DevTools
protocol on a pipe (``--remote-debugging-pipe``: commands on fd 3, replies on fd 4,
each a JSON message ended by a NUL byte), so no server, port or extra Python package
is needed. Pages are opened from ``file://`` URLs. :meth:`Browser.visible_text` returns
``document.body.innerText``, which leaves out whatever CSS hides, so a test checks what
a reader sees; :meth:`Browser.screenshot` writes a PNG.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

#: flags that work in a container with no display, no sandbox privileges and no network
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
)


class BrowserError(Exception):
    """Chromium could not be started or did not answer."""

    exit_code = 2


def find_chromium() -> str | None:
    """The Chromium binary: ``$CHROMIUM`` if set, else Debian's /usr/bin/chromium, else on PATH."""
    env = os.environ.get("CHROMIUM")
    if env:
        return env if os.access(env, os.X_OK) else None
    for path in CHROMIUM_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One headless Chromium process with one page (a tab), driven over the DevTools pipe."""

    def __init__(self, binary: str | None = None, width: int = 1280, height: int = 900, timeout: float = 60.0):
        self.binary = binary or find_chromium()
        if not self.binary:
            raise BrowserError("chromium not found (install it with `make chromium`)")
        self.timeout = timeout
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="dvtkg-chromium-")
        self._buf = b""
        self._next_id = 0
        self._events: list[dict] = []
        cmd_r, self._cmd_w = os.pipe()  # we write commands; chromium reads fd 3
        self._out_r, out_w = os.pipe()  # chromium writes fd 4; we read

        def child_fds() -> None:  # runs in the child between fork and exec
            a, b = os.dup(cmd_r), os.dup(out_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        args = [self.binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe",
                f"--window-size={width},{height}", "about:blank"]
        self._stderr = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=self._stderr, preexec_fn=child_fds, close_fds=False)
        except OSError as exc:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise BrowserError(f"cannot start {self.binary}: {exc}") from exc
        finally:
            os.close(cmd_r)
            os.close(out_w)
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self.call("Page.enable", session=self.session)
            self.call("Runtime.enable", session=self.session)
            self.call("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=self.session)
        except BaseException:
            self.close()
            raise

    # ---------------------------------------------------------- protocol

    def _stderr_tail(self) -> str:
        try:
            self._stderr.seek(0)
            lines = [ln for ln in self._stderr.read().decode("utf-8", "replace").splitlines()
                     if "dbus" not in ln.lower()]
            return "\n".join(lines[-15:])
        except Exception:
            return ""

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"chromium did not answer in {self.timeout:.0f} s\n{self._stderr_tail()}")
            ready, _, _ = select.select([self._out_r], [], [], min(left, 1.0))
            if not ready:
                if self.proc.poll() is not None:
                    raise BrowserError(f"chromium exited with {self.proc.returncode}\n{self._stderr_tail()}")
                continue
            chunk = os.read(self._out_r, 1 << 20)
            if not chunk:
                raise BrowserError(f"chromium closed the DevTools pipe\n{self._stderr_tail()}")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and wait for its reply (events that arrive meanwhile are kept)."""
        self._next_id += 1
        msg: dict = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        try:
            while data:
                n = os.write(self._cmd_w, data)
                data = data[n:]
        except OSError as exc:
            raise BrowserError(f"cannot talk to chromium: {exc}\n{self._stderr_tail()}") from exc
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def _wait_event(self, method: str, since: int) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            for ev in self._events[since:]:
                if ev.get("method") == method and ev.get("sessionId") == self.session:
                    return ev
            since = len(self._events)
            reply = self._read_message(deadline)
            if "method" in reply:
                self._events.append(reply)

    # ---------------------------------------------------------- page

    def open(self, url: str) -> None:
        """Navigate the page to ``url`` and wait for its load event."""
        mark = len(self._events)
        result = self.call("Page.navigate", {"url": url}, session=self.session)
        if result.get("errorText"):
            raise BrowserError(f"cannot open {url}: {result['errorText']}")
        self._wait_event("Page.loadEventFired", mark)

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    def visible_text(self) -> str:
        """What a reader sees: ``document.body.innerText`` (CSS-hidden text left out)."""
        return self.evaluate("document.body.innerText") or ""

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        """A PNG of the viewport (or of the whole page)."""
        params: dict = {"format": "png"}
        if full_page:
            size = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1})
        data = self.call("Page.captureScreenshot", params, session=self.session)["data"]
        path = Path(path)
        path.write_bytes(base64.b64decode(data))
        return path

    # ---------------------------------------------------------- lifetime

    def close(self) -> None:
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            try:
                self._next_id += 1
                os.write(self._cmd_w, json.dumps({"id": self._next_id, "method": "Browser.close"}).encode() + b"\0")
                proc.wait(timeout=10)
            except Exception:
                proc.kill()
                proc.wait(timeout=10)
        for fd in (getattr(self, "_cmd_w", None), getattr(self, "_out_r", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._cmd_w = self._out_r = None  # type: ignore[assignment]
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def dump_dom(url: str, binary: str | None = None, timeout: float = 60.0) -> str:
    """The serialised DOM after load (``chromium --headless --dump-dom URL``), one process per call."""
    binary = binary or find_chromium()
    if not binary:
        raise BrowserError("chromium not found (install it with `make chromium`)")
    profile = tempfile.mkdtemp(prefix="dvtkg-chromium-")
    try:
        proc = subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if proc.returncode != 0:
        raise BrowserError(f"chromium --dump-dom exited with {proc.returncode}: {proc.stderr.decode()[-800:]}")
    return proc.stdout.decode("utf-8", "replace")
