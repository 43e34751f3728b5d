"""Run a student's file in its own process, with a time limit, and bring back only arrays.

The parent (this module) starts ``sandbox.py`` with ``python -I``, sends it
the arguments of every call, answers its helper calls (an activation's f, d1,
d2, or a scalar function) and counts them, and reads back what the student's
function returned. Everything is decided here, in a process the student's code
cannot reach: a crash, ``sys.exit``, ``os._exit``, a timeout or a malformed
message ends the run with a clear message; the child's own checks only make
honest mistakes easier to read.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from . import sandbox

SANDBOX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox.py")
DEFAULT_TIMEOUT = 20.0
MAX_RESULT_BYTES = 64 * 2**20


class RunStopped(Exception):
    """The student's process is gone or misbehaved; the message says how, for the student."""


@dataclass
class Bad:
    """Something the student returned that is not a plain numpy array (described in words)."""
    what: str


@dataclass
class Call:
    """One call of the student's function: its arguments (arrays, numbers, dicts, helpers) and its budget."""
    args: tuple
    budget: int = 8                      # helper calls allowed during this call
    out: object = None                   # what came back (decoded), once run
    error: str = ""                      # or why nothing came back
    mutated: bool = False
    helper_calls: int = 0
    refused: str = ""                    # the first helper refusal, if any


@dataclass
class Helper:
    """A function the student's code may call through the parent: ``methods`` name -> (check, compute)."""
    kind: str                            # "activation" or "function"
    name: str
    methods: dict = field(default_factory=dict)


def _encode_args(obj, arrays, helpers):
    if isinstance(obj, np.ndarray):
        arrays.append(np.asarray(obj, dtype=np.float64, order="C"))
        return {"$array": len(arrays) - 1}
    if isinstance(obj, Helper):
        helpers.append(obj)
        return {f"${obj.kind}": len(helpers) - 1, "name": obj.name}
    if isinstance(obj, dict):
        return {"$dict": {k: _encode_args(v, arrays, helpers) for k, v in obj.items()}}
    if isinstance(obj, (tuple, list)):
        return [_encode_args(v, arrays, helpers) for v in obj]
    return obj                                           # numbers and strings travel as JSON


def _decode_out(obj, arrays):
    if isinstance(obj, dict):
        if "$array" in obj:
            return arrays[obj["$array"]]
        if "$bad" in obj:
            return Bad(str(obj["$bad"]))
        if "$list" in obj:
            return tuple(_decode_out(v, arrays) for v in obj["$list"])
        if "$dict" in obj:
            return {k: _decode_out(v, arrays) for k, v in obj["$dict"].items()}
    return Bad("something unexpected")


class _Pipe:
    def __init__(self, fd, deadline, timeout):
        self.fd, self.deadline, self.timeout = fd, deadline, timeout

    def read_exact(self, n):
        chunks = []
        while n:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise RunStopped(f"timed out after {self.timeout:g} s (the time limit; an infinite loop, or a "
                                 "very slow answer? finite differences need 2 forward passes per parameter)")
            chunk = os.read(self.fd, min(n, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)


def _forbidden_roots():
    import cae_scratch
    here = os.path.dirname(os.path.abspath(__file__))
    return [os.path.dirname(os.path.abspath(cae_scratch.__file__)), os.path.dirname(here)]


def _child_env():
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "SYSTEMROOT") if k in os.environ}
    return {**keep, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run_calls(path, function, calls, timeout=DEFAULT_TIMEOUT):
    """Run ``function`` from the file ``path`` on each Call, in a fresh process; fills in the Calls.

    Returns "" when the file loaded (each Call then has out or error), else the reason it could not run.
    """
    deadline = time.monotonic() + timeout
    p2c_r, p2c_w = os.pipe()
    c2p_r, c2p_w = os.pipe()
    with tempfile.TemporaryDirectory(prefix="grade-") as work, \
            open(os.path.join(work, "output.txt"), "w+b") as output:
        proc = subprocess.Popen(
            [sys.executable, "-I", SANDBOX, str(p2c_r), str(c2p_w), os.path.abspath(path), function,
             json.dumps(_forbidden_roots()), os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))],
            pass_fds=(p2c_r, c2p_w), stdin=subprocess.DEVNULL, stdout=output, stderr=output, cwd=work,
            env=_child_env(), start_new_session=True)       # no preexec_fn: unsafe with threads (grade --jobs)
        os.close(p2c_r)
        os.close(c2p_w)
        pipe = _Pipe(c2p_r, deadline, timeout)
        try:
            return _drive(proc, pipe, p2c_w, calls)
        except (EOFError, OSError, ValueError, KeyError, TypeError, IndexError) as e:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
            return _ended(proc, output, e)
        except RunStopped as e:
            return str(e)
        finally:
            for fd in (p2c_w, c2p_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            _kill(proc)


def _drive(proc, pipe, wfd, calls):
    header, _ = sandbox.read_message(pipe.read_exact, MAX_RESULT_BYTES)
    if header.get("type") == "error":
        return str(header.get("message"))[:1500]
    if header.get("type") != "ready":
        raise ValueError("unexpected message")
    for call in calls:
        arrays, helpers = [], []
        encoded = _encode_args(list(call.args), arrays, helpers)
        sandbox.write_message(wfd, {"type": "call", "args": encoded}, arrays)
        while True:
            header, got = sandbox.read_message(pipe.read_exact, MAX_RESULT_BYTES)
            if header.get("type") == "helper":
                _serve(wfd, call, helpers[int(header["id"])], str(header["method"]), got)
                continue
            if header.get("type") == "error":
                call.error = str(header.get("message"))[:1500]
            elif header.get("type") == "result":
                call.out, call.mutated = _decode_out(header["out"], got), bool(header.get("mutated"))
            else:
                raise ValueError("unexpected message")
            break
    sandbox.write_message(wfd, {"type": "done"})
    return ""


def _serve(wfd, call, helper, method, args):
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
        sandbox.write_message(wfd, {"type": "value", "ok": False, "message": message})
    else:
        sandbox.write_message(wfd, {"type": "value", "ok": True}, [np.asarray(compute(*args), dtype=np.float64)])


def _ended(proc, output, error):
    code = proc.poll()
    output.seek(0, os.SEEK_END)
    size = output.tell()
    output.seek(max(0, size - 600))
    tail = output.read().decode("utf-8", "replace").strip()
    said = f"; its last output: {tail[-400:]!r}" if tail else ""
    if code is None and isinstance(error, ValueError):
        return f"the process sent a malformed or oversized answer ({error}){said}"
    if code is None:
        return f"the process stopped answering ({type(error).__name__}){said}"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        return f"the process was killed by signal {name} (out of memory or a crash?){said}"
    return (f"the process ended with exit status {code} before returning its results: does your file call "
            f"os._exit or sys.exit? (a graded file only defines its function){said}")


def _kill(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
    proc.wait()
