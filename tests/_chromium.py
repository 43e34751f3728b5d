"""A headless Chromium driven through the DevTools protocol over a pipe (no extra package).

``--remote-debugging-pipe`` makes Chromium read JSON commands from fd 3 and write
replies and events to fd 4, each message ending in a NUL byte. ``Browser.open(url)``
loads a page in a new tab and returns what the tests need: every URL the page
requested, console errors and exceptions, failed loads, the result of a JavaScript
probe, and a PNG screenshot.
"""
from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-pipe"]


def find_chromium():
    """The path of Debian's chromium (or another Chromium-family browser), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    def __init__(self, executable, profile_dir, width=1100, height=900):
        to_child, self._to_child = os.pipe()             # we write commands, Chromium reads fd 3
        self._from_child, from_child = os.pipe()         # Chromium writes fd 4, we read
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_child, from_child)]
        os.close(to_child)
        os.close(from_child)

        def on_fds_3_and_4():                            # in the child, before exec
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.proc = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile_dir}", f"--window-size={width},{height}",
             "about:blank"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=on_fds_3_and_4)
        for fd in high:
            os.close(fd)
        self._messages, self._next_id, self.size = queue.Queue(), 0, (width, height)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buffer = b""
        with os.fdopen(self._from_child, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for m in messages:
                    self._messages.put(json.loads(m))

    def send(self, method, params=None, session=None, events=None, timeout=30.0):
        """Send one command and wait for its reply; events seen meanwhile go to ``events``."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._messages.get(timeout=max(0.01, deadline - time.monotonic()))
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if events is not None and "method" in reply:
                events.append(reply)

    def wait_for(self, method, session, events, timeout=30.0):
        """Collect events until ``method`` arrives for ``session``."""
        deadline = time.monotonic() + timeout
        while not any(e["method"] == method and e.get("sessionId") == session for e in events):
            reply = self._messages.get(timeout=max(0.01, deadline - time.monotonic()))
            if "method" in reply:
                events.append(reply)

    def open(self, url, probe_js, settle=0.3):
        """Load ``url`` in a new tab: {"requests", "errors", "failed", "probe", "png"}."""
        events = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session, events=events)
        self.send("Page.navigate", {"url": url}, session, events)
        self.wait_for("Page.loadEventFired", session, events)
        time.sleep(settle)                                  # late requests and console messages
        probe = self.send("Runtime.evaluate", {"expression": probe_js, "returnByValue": True}, session, events)
        png = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session, events)
        self.send("Target.closeTarget", {"targetId": target}, events=events)
        mine = [e for e in events if e.get("sessionId") == session]
        requests = [e["params"]["request"]["url"] for e in mine if e["method"] == "Network.requestWillBeSent"]
        errors = [e["params"] for e in mine
                  if (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
                  or e["method"] == "Runtime.exceptionThrown"
                  or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
        failed = [e["params"] for e in mine if e["method"] == "Network.loadingFailed"]
        value = probe.get("result", {}).get("value")
        return {"requests": requests, "errors": errors, "failed": failed,
                "probe": json.loads(value) if isinstance(value, str) else value,
                "png": base64.b64decode(png["data"])}

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except (RuntimeError, queue.Empty, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
