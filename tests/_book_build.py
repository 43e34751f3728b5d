"""The quick book, built once per test run in a background process while the other tests run.

The build (every lesson run cell by cell in a kernel, the pages, the PDF) is the suite's longest
single piece of work, and it needs nothing from the other tests. So the first test process of the run
to start claims the build (an O_EXCL file in the run's shared temporary folder: under pytest-xdist
every worker sees the same one) and starts it as a subprocess; the tests that read the book run last
and wait for its report. A failed build fails each of them with the build's traceback.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAIT_SECONDS = 1800

BUILD = r"""
import json, os, sys, traceback
from cae_scratch import atomic
from lessons.book import build
folder, pdf = sys.argv[1], sys.argv[2] == "1"
try:
    body = json.dumps(build(os.path.join(folder, "book"), quick=True, log=lambda *a, **k: None, pdf=pdf))
    name = "report.json"
except BaseException:
    body, name = traceback.format_exc(), "error.txt"
atomic.write_text(os.path.join(folder, name), body)
"""


def shared_folder(tmp_path_factory):
    """The run's folder for the build: shared by every pytest-xdist worker of the run, private to the run."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "book-build"
    folder.mkdir(exist_ok=True)
    return folder


def start(tmp_path_factory, pdf):
    """Start the build unless another process of this run has: the Popen, or None."""
    folder = shared_folder(tmp_path_factory)
    try:
        fd = os.open(folder / "started", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return None
    try:
        with open(folder / "stderr.txt", "wb") as err:
            proc = subprocess.Popen([sys.executable, "-c", BUILD, str(folder), "1" if pdf else "0"], cwd=ROOT,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                    env=_build_env())
    except OSError as e:                               # the waiters read why, instead of waiting
        (folder / "error.txt").write_text(f"could not start the book build: {e}", encoding="utf-8")
        os.close(fd)
        return None
    os.write(fd, str(proc.pid).encode())
    os.close(fd)
    return proc


def _build_env():
    """The tests' environment, without the lesson data override (the records are checked on the bundled digits)."""
    env = {k: v for k, v in os.environ.items() if k != "CAE_LESSON_DATA"}
    return {**env, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _alive(folder):
    try:
        pid = int((folder / "started").read_text() or "0")
    except (OSError, ValueError):
        return True                                    # being written: the build is starting
    if not pid:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:                                               # a finished child nobody has reaped yet is a zombie
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def wait(tmp_path_factory):
    """(book folder, the build's report) once the build has finished; pytest.fail if it failed or died."""
    folder = shared_folder(tmp_path_factory)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        if (folder / "report.json").is_file():
            return folder / "book", json.loads((folder / "report.json").read_text(encoding="utf-8"))
        if (folder / "error.txt").is_file():
            pytest.fail("the book build failed:\n" + (folder / "error.txt").read_text(encoding="utf-8"))
        if not (folder / "started").is_file():
            pytest.fail("nothing started the book build (the session fixture that starts it did not run)")
        if not _alive(folder) and not (folder / "report.json").is_file() and not (folder / "error.txt").is_file():
            err = ((folder / "stderr.txt").read_text(encoding="utf-8", errors="replace")[-3000:]
                   if (folder / "stderr.txt").is_file() else "(none)")
            pytest.fail(f"the book build died without a report; its stderr:\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"the book build took more than {WAIT_SECONDS} s")
        time.sleep(0.25)
