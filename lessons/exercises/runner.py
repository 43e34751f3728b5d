"""Run a student's file in its own process, sandboxed, with a time limit, and bring back only arrays.

The parent (this module) copies the student's file (jail.copy_submission: a regular
file only, never a symlink followed), starts ``sandbox.py`` with ``python -I`` inside the
bubblewrap sandbox of jail.py (or, for ``check`` on a machine without one, as
a plain child process), sends it the arguments of every call, answers its
helper calls (an activation's f, d1, d2, or a scalar function) and counts
them, and reads back what the student's function returned. Everything is
decided here, and no byte from the child is trusted (protocol.py checks every
field): a crash, ``sys.exit``, ``os._exit``, a timeout on any read or write, or
a malformed message ends that file's run with a clear message, never the batch.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import tempfile
import threading
import time

import numpy as np

from . import jail, protocol, sandbox
from .protocol import Bad, Call, Helper, Malformed  # noqa: F401  (the grade_* modules build these)

DEFAULT_TIMEOUT = 20.0
DEFAULT_MEMORY_MIB = 512
_LIVE, _LOCK, _STOPPING = set(), threading.Lock(), threading.Event()


class RunStopped(Exception):
    """The student's process is gone or misbehaved; the message says how, for the student."""


class _Pipe:
    """Both ends of the conversation, every read and every write bounded by the one deadline."""

    def __init__(self, rfd, wfd, deadline, timeout):
        self.rfd, self.wfd, self.deadline, self.timeout = rfd, wfd, deadline, timeout
        os.set_blocking(wfd, False)

    def _wait(self, readable):
        fds = ([self.rfd], [], []) if readable else ([], [self.wfd], [])
        while True:
            if _STOPPING.is_set():
                raise RunStopped("grading was interrupted")
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise RunStopped(f"timed out after {self.timeout:g} s (the time limit; an infinite loop, or a "
                                 "very slow answer? finite differences need 2 forward passes per parameter)")
            if any(select.select(*fds, min(left, 0.5))):
                return

    def read_exact(self, n):
        chunks = []
        while n:
            self._wait(True)
            chunk = os.read(self.rfd, min(n, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def send(self, header, arrays=()):
        data = memoryview(sandbox.message_bytes(header, arrays))
        while data:
            self._wait(False)
            try:
                data = data[os.write(self.wfd, data[:1 << 16]):]
            except BlockingIOError:
                pass

    def receive(self):
        return sandbox.read_message(self.read_exact, protocol.MAX_RESULT_BYTES, protocol.parse_header,
                                    protocol.MAX_HEADER)


def _child_env():
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "SYSTEMROOT") if k in os.environ}
    return {**keep, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def limits(timeout, memory_mib=DEFAULT_MEMORY_MIB):
    """The child's resource limits: address space, CPU seconds, file size (printed output), files, processes."""
    return {"as": int(memory_mib) * 2**20, "cpu": int(timeout) + 2, "fsize": 8 * 2**20, "nofile": 64,
            "nproc": 64}


def run_calls(path, function, calls, timeout=DEFAULT_TIMEOUT, sandboxed=True, memory_mib=DEFAULT_MEMORY_MIB):
    """Run ``function`` from the file ``path`` on each Call, in a fresh process; fills in the Calls.

    Returns "" when the file loaded (each Call then has out or error), else the reason it could not run.
    """
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="grade-") as work:
        try:
            source = jail.copy_submission(path, work)
        except jail.NotGradable as e:
            return str(e)
        p2c_r, p2c_w = os.pipe()
        c2p_r, c2p_w = os.pipe()
        config = {"rfd": p2c_r, "wfd": c2p_w, "function": function, "forbidden": jail.forbidden_roots(),
                  "numpy_dir": jail.numpy_dirs()[1], "limits": limits(timeout, memory_mib)}
        if sandboxed:
            inside = f"{jail.SUBMISSION_DIR}/submission.py"
            argv = jail.command([json.dumps(dict(config, path=inside))], source, "submission.py")
        else:
            child = os.path.join(jail.HERE, "sandbox.py")
            argv = [jail.interpreter(), "-I", "-B", child, json.dumps(dict(config, path=source, parent=os.getpid()))]
        with open(os.path.join(work, "output.txt"), "w+b") as output:
            try:
                with _LOCK:
                    if _STOPPING.is_set():
                        return "grading was interrupted"
                    proc = subprocess.Popen(argv, pass_fds=(p2c_r, c2p_w), stdin=subprocess.DEVNULL, stdout=output,
                                            stderr=output, cwd=work, env=_child_env(), start_new_session=True)
                    _LIVE.add(proc)
            finally:
                os.close(p2c_r)
                os.close(c2p_w)
            pipe = _Pipe(c2p_r, p2c_w, deadline, timeout)
            try:
                return _drive(proc, pipe, calls)
            except (EOFError, OSError, ValueError) as e:
                try:
                    proc.wait(timeout=min(2.0, max(0.1, deadline - time.monotonic())))
                except subprocess.TimeoutExpired:
                    pass
                return _ended(proc, output, e, sandboxed)
            except RunStopped as e:
                return str(e)
            finally:
                for fd in (p2c_w, c2p_r):
                    os.close(fd)
                _kill(proc)


def _drive(proc, pipe, calls):
    header, _ = pipe.receive()
    kind = protocol.message_type(header, ("ready", "error"))
    if kind == "error":
        return protocol.text(header, "message")
    for call in calls:
        arrays, helpers = [], []
        encoded = protocol.encode_args(list(call.args), arrays, helpers)
        pipe.send({"type": "call", "args": encoded}, arrays)
        while True:
            header, got = pipe.receive()
            kind = protocol.message_type(header, ("helper", "error", "result"))
            if kind == "helper":
                helper, method = protocol.helper_request(header, helpers, got)
                _serve(pipe, call, helper, method, got)
                continue
            if kind == "error":
                call.error = protocol.text(header, "message")
            else:
                call.out, call.mutated = protocol.decode_out(header.get("out"), got), protocol.flag(header)
            break
    pipe.send({"type": "done"})
    return ""


def _serve(pipe, call, helper, method, args):
    call.helper_calls += 1
    message = ""
    if call.helper_calls > call.budget:
        message = (f"{helper.name}.{method} was called more than {call.budget} times in one call: finite "
                   "differences of the forward are not an answer here -- the point of this exercise is the "
                   "derivation")
    elif method not in helper.methods:
        message = f"{helper.name} has no {method}"
    else:
        check, compute = helper.methods[method]
        message = check(args)
    if message:
        call.refused = call.refused or message
        pipe.send({"type": "value", "ok": False, "message": message})
    else:
        pipe.send({"type": "value", "ok": True}, [np.asarray(compute(*args), dtype=np.float64)])


def _ended(proc, output, error, sandboxed):
    code = proc.poll()
    if sandboxed and code is not None and 128 < code < 128 + 65:
        code = 128 - code                                  # bwrap reports a child killed by signal s as 128 + s
    output.seek(0, os.SEEK_END)
    size = output.tell()
    output.seek(max(0, size - 600))
    tail = output.read().decode("utf-8", "replace").strip()
    said = f"; its last output: {tail[-400:]!r}" if tail else ""
    if isinstance(error, ValueError):
        return f"malformed answer: the process sent a malformed or oversized message ({error}){said}"
    if code is None:
        return f"the process stopped answering ({type(error).__name__}){said}"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        return f"the process was killed by signal {name} (out of memory, CPU time, or a crash?){said}"
    return (f"the process ended with exit status {code} before returning its results: does your file call "
            f"os._exit or sys.exit? (a graded file only defines its function){said}")


def _kill(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
    proc.wait()
    with _LOCK:
        _LIVE.discard(proc)


def stop_all():
    """Ctrl-C in a batch: start no new process and kill the running ones (each run then returns at once)."""
    with _LOCK:
        _STOPPING.set()
        for proc in list(_LIVE):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
