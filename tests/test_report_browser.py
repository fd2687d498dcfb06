"""Headless Chromium for the briefing's browser test, and a test that it sees what it must.

tests/test_report.py opens the briefing with ``Browser.open_page``. The browser is
Debian's ``chromium`` (CI installs it: .ci/run); without one the tests skip with the
reason. Chromium is driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: it reads protocol messages from fd 3 and writes its
answers to fd 4, each a JSON text ended by a NUL byte), so the test needs no package
beyond the standard library. The page is loaded from a file with the network off
(offline emulation, every host name unresolvable, a dead proxy); the test records
console errors, uncaught exceptions, log errors and every request that is not file: or
data:.

"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) binary on PATH, or None."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageVisit:
    """What the browser saw while loading a page."""

    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    result: Any = None
    screenshot: bytes = b""


class Browser:
    """One headless Chromium process spoken to over the DevTools pipe."""

    def __init__(self, binary: str, timeout_s: float = 90.0) -> None:
        self.timeout_s = timeout_s
        self._profile = tempfile.mkdtemp(prefix="zonesim-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # copies above fd 9, so that placing them on 3 and 4 in the child clobbers neither
        hi_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def wire_fds() -> None:  # in the child: fd 3 reads our messages, fd 4 answers
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        args = [
            binary,
            "--headless",
            "--remote-debugging-pipe",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-quic",
            # networking off: no name resolves, any proxied request goes nowhere
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            "--allow-file-access-from-files",
            "--hide-scrollbars",
            f"--user-data-dir={self._profile}",
            "about:blank",
        ]
        self._proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds,
            pass_fds=(3, 4),  # kept open after wire_fds (close_fds runs later)
        )
        os.close(hi_r)
        os.close(hi_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ protocol

    def _send(self, method: str, params: dict[str, Any] | None, session: str | None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode("utf-8") + b"\0")
        return self._next_id

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe (it exited)")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None):
        """Send a command and return its result; events that arrive meanwhile are kept."""
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + self.timeout_s
        while True:
            message = self._read_message(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def wait_event(self, method: str, session: str, timeout_s: float) -> dict[str, Any]:
        """Wait for the event ``method`` of ``session`` (kept events are looked at first)."""
        deadline = time.monotonic() + timeout_s
        for i, event in enumerate(self._events):
            if event.get("method") == method and event.get("sessionId") == session:
                return self._events.pop(i)
        while True:
            message = self._read_message(deadline)
            if message.get("method") == method and message.get("sessionId") == session:
                return message
            self._events.append(message)

    def drain(self, seconds: float) -> None:
        """Collect the events that arrive within ``seconds``."""
        deadline = time.monotonic() + seconds
        with contextlib.suppress(TimeoutError):
            while True:
                self._events.append(self._read_message(deadline))

    # ------------------------------------------------------------------ a page

    def open_page(
        self, path: Path, done_js: str, result_js: str, width: int = 1280, wait_s: float = 90.0
    ) -> PageVisit:
        """Load ``path`` offline, wait until ``done_js`` is true, evaluate ``result_js``.

        Takes a full-page PNG screenshot; returns what the browser reported.
        """
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", {}, session)
        self.call(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
            session,
        )
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        self.call("Page.navigate", {"url": path.resolve().as_uri()}, session)
        self.wait_event("Page.loadEventFired", session, wait_s)
        deadline = time.monotonic() + wait_s
        while True:
            done = self.call(
                "Runtime.evaluate", {"expression": done_js, "returnByValue": True}, session
            )
            if done.get("result", {}).get("value") is True:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"the page did not finish ({done_js}) in {wait_s:.0f} s")
            time.sleep(0.25)
        self.drain(0.5)
        result = self.call(
            "Runtime.evaluate", {"expression": result_js, "returnByValue": True}, session
        )
        metrics = self.call("Page.getLayoutMetrics", {}, session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = self.call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {
                    "x": 0,
                    "y": 0,
                    "width": width,
                    "height": min(float(size["height"]), 16000.0),
                    "scale": 1,
                },
            },
            session,
        )
        visit = PageVisit(
            result=result.get("result", {}).get("value"),
            screenshot=base64.b64decode(shot["data"]),
        )
        for event in self._events:
            if event.get("sessionId") != session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                visit.console_errors.append(
                    " ".join(
                        str(a.get("value", a.get("description", "")))
                        for a in params.get("args", [])
                    )
                )
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                visit.exceptions.append(
                    str(details.get("exception", {}).get("description") or details.get("text"))
                )
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                visit.log_errors.append(f"{entry.get('source')}: {entry.get('text')}")
            elif method == "Network.requestWillBeSent":
                visit.requests.append(params.get("request", {}).get("url", ""))
        self._events = [e for e in self._events if e.get("sessionId") != session]
        self.call("Target.closeTarget", {"targetId": target})
        return visit

    def close(self) -> None:
        """Ask Chromium to quit, then make sure it has; remove its profile."""
        with contextlib.suppress(Exception):
            self._send("Browser.close", None, None)
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)
        for fd in (self._to_chrome, self._from_chrome):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- its own test

import pytest  # noqa: E402

PROBE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>probe</title></head>
<body><p id="p">ok</p>
<img src="http://example.invalid/x.png" alt="">
<script>
console.error("probe: console error");
console.log("probe: plain log");
setTimeout(function () { throw new Error("probe: uncaught"); }, 0);
setTimeout(function () { document.body.setAttribute("data-done", "1"); }, 50);
</script></body></html>
"""


def test_the_driver_reports_errors_and_network_requests(tmp_path):
    """A page that logs an error, throws and asks the network: each is reported, no more."""
    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium on PATH (Debian: apt-get install chromium; CI installs it)")
    page = tmp_path / "probe.html"
    page.write_text(PROBE, encoding="utf-8")
    with Browser(binary) as browser:
        visit = browser.open_page(
            page,
            "document.body !== null && document.body.getAttribute('data-done') === '1'",
            "document.getElementById('p').textContent",
        )
    assert visit.result == "ok"
    assert visit.console_errors == ["probe: console error"]
    assert any("probe: uncaught" in e for e in visit.exceptions)
    assert "http://example.invalid/x.png" in visit.requests
    assert visit.screenshot.startswith(b"\x89PNG")
