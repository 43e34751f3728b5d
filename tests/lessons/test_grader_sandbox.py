"""The red team's reproducers (issue 19) against the grader: each one must do no harm.

Bypasses of the in-process guards (reading the solution through ``dir_fd``,
editing the guard's globals, swapping the audit hook's ``__code__``) are run
twice: without the sandbox, where they must PASS (the negative control: the
reproducer is real, and the in-process guards are no boundary), and in the
bubblewrap sandbox, where they must FAIL. Tests that need the sandbox skip with
a reason where bwrap cannot run, and fail loudly when CI is set.
"""
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from lessons.exercises import EXERCISES, batch, grader, jail

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOLUTION_3 = EXERCISES[3].solution


def need_sandbox():
    ok, why = jail.available()
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the grader's sandbox, but {why}")
        pytest.skip(f"no bubblewrap sandbox here: {why}")


def grade(tmp_path, number, source, timeout=10.0, sandboxed=True, name="student.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return grader.grade_file(number, str(path), timeout, sandboxed)


def cli(*args, env=None, **kwargs):
    env = {**os.environ, "PYTHONPATH": ROOT, **(env or {})}
    return subprocess.run([sys.executable, "-m", "lessons.exercises", *args], cwd=ROOT, capture_output=True,
                          env=env, **kwargs)


# ---- passing without a derivation ----------------------------------------------------------------------
BYPASSES = {
    "os.open relative to a dir_fd": f"""
        import os
        root = os.open("/", os.O_RDONLY)
        fd = os.open({SOLUTION_3.lstrip("/")!r}, os.O_RDONLY, dir_fd=root)
        exec(os.read(fd, 1 << 20).decode())
        """,
    "editing the guard's globals": f"""
        import sys
        sys.modules["guards"].any = lambda found: False       # shadows the builtin the read check uses
        exec(open({SOLUTION_3!r}).read())
        """,
    "the audit hook's __code__ swapped through gc": f"""
        import importlib
        gc = importlib.import_module("gc")                    # no import event: gc is built in
        def make(roots):
            def guard(event, args):
                return roots and None
            return guard
        for f in gc.get_objects():
            if getattr(f, "__name__", "") == "guard" and getattr(f, "__module__", "") == "guards":
                f.__code__ = make(0).__code__
        exec(open({SOLUTION_3!r}).read())
        """,
}


@pytest.mark.parametrize("name", sorted(BYPASSES))
def test_a_guard_bypass_passes_unsandboxed_and_fails_in_the_sandbox(tmp_path, name):
    need_sandbox()
    alone = grade(tmp_path, 3, BYPASSES[name], sandboxed=False)
    assert alone.passed, "negative control: the bypass defeats the in-process guards\n" + alone.report()
    boxed = grade(tmp_path, 3, BYPASSES[name], sandboxed=True)
    assert not boxed.passed and boxed.correct == 0, boxed.report()
    assert "No such file" in boxed.report() or "FileNotFoundError" in boxed.report(), boxed.report()


@pytest.mark.parametrize("kind", ["symlink to the solution", "symlink to /dev/zero", "FIFO"])
def test_only_regular_files_are_graded(tmp_path, kind):
    path = tmp_path / "student.py"
    if kind == "FIFO":
        os.mkfifo(path)
    else:
        os.symlink(SOLUTION_3 if "solution" in kind else "/dev/zero", path)
    started = time.monotonic()
    result = grader.grade_file(3, str(path), 5.0, None)
    assert not result.passed and ("symbolic link" in result.problem or "a FIFO" in result.problem), result.report()
    assert time.monotonic() - started < 4
    copy = tmp_path / "copy.py"                            # the control: the same solution, as a file, passes
    copy.write_text(open(SOLUTION_3).read())
    assert grader.grade_file(3, str(copy), 10.0, None).passed


# ---- escaping: files, processes, sockets ----------------------------------------------------------------
ESCAPE = """
    import sys
    g = sys.modules["guards"]
    class Everything:
        def __contains__(self, name):
            return True
    g.BLOCKED_EVENTS.clear(); g.ALLOWED_IMPORTS = Everything(); g.WRITE_FLAGS = 0
    g.any = lambda found: False                             # shadows the builtin the open checks use
    import socket, subprocess
    try:
        open({marker!r}, "w").write("escaped")
    except OSError:
        pass
    try:
        subprocess.run(["sh", "-c", "echo escaped > " + {marker!r} + ".sh"], timeout=2)
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"escaped")
    except OSError:
        pass
    import numpy as np
    def penalty_backward(X, W, b_h, activation):
        return np.zeros_like(W), np.zeros_like(b_h)
    """


def listen():
    """A listener on 127.0.0.1 and a list that records every connection it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(0.2)
    arrived, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                arrived.append(server.accept()[0])
            except OSError:
                pass
    threading.Thread(target=accept, daemon=True).start()
    return server.getsockname()[1], arrived, stop


@pytest.mark.parametrize("sandboxed", [False, True])
def test_no_file_process_or_connection_escapes_the_sandbox(tmp_path, sandboxed):
    need_sandbox()
    port, arrived, stop = listen()
    marker = str(tmp_path / "outside.txt")
    result = grade(tmp_path, 3, ESCAPE.format(marker=marker, port=port), sandboxed=sandboxed)
    time.sleep(0.3)
    stop.set()
    escaped = [os.path.exists(marker), os.path.exists(marker + ".sh"), bool(arrived)]
    assert not result.passed
    if sandboxed:
        assert escaped == [False, False, False], escaped
    else:                                        # the negative control: the guards alone let all three out
        assert escaped == [True, True, True], escaped


def test_raw_memory_writes_through_array_interface_only_kill_the_child(tmp_path):
    raw = tmp_path / "raw.py"
    raw.write_text(textwrap.dedent("""
        import numpy as np
        class Raw:
            __array_interface__ = {"data": (4096, False), "shape": (1 << 20,), "typestr": "|u1", "version": 3}
        np.asarray(Raw())[:] = 7
        """))
    good = tmp_path / "good.py"
    good.write_text(open(SOLUTION_3).read())
    rows = batch.grade_many(3, [str(raw), str(good)], 10.0, jobs=2, sandboxed=None)
    assert rows[0]["verdict"] == "FAIL" and "signal SIGSEGV" in rows[0]["first_hint"], rows[0]
    assert rows[1]["verdict"] == "PASS"


def test_a_classmate_reading_pipes_through_proc_cannot_change_another_verdict(tmp_path):
    need_sandbox()
    thief = tmp_path / "a_thief.py"
    thief.write_text(textwrap.dedent("""
        import os, time
        end = time.monotonic() + 4
        while time.monotonic() < end:
            for pid in os.listdir("/proc"):
                if pid.isdigit() and int(pid) != os.getpid():
                    try:
                        for fd in os.listdir(f"/proc/{pid}/fd"):
                            try:
                                os.read(os.open(f"/proc/{pid}/fd/{fd}", os.O_RDONLY | os.O_NONBLOCK), 1 << 16)
                            except OSError:
                                pass
                    except OSError:
                        pass
        """))
    good = tmp_path / "b_good.py"
    good.write_text(open(SOLUTION_3).read())
    rows = batch.grade_many(3, [str(thief), str(good)], 6.0, jobs=2, sandboxed=True)
    assert rows[1]["verdict"] == "PASS", rows[1]
    assert rows[0]["verdict"] == "FAIL"


def test_no_secret_of_the_grader_reaches_the_report_or_the_csv(tmp_path):
    need_sandbox()
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "s1.py").write_text(textwrap.dedent("""
        import os
        def sigmoid_backward(dH, H):
            seen = []
            for pid in ["self", str(os.getppid())] + os.listdir("/proc"):
                try:
                    seen += open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace").split("\\0")
                except OSError:
                    pass
            raise ValueError(" ".join(sorted({e for e in seen if "TOKEN" in e})))
        """))
    secret = {"TEACHER_TOKEN": "hunter2-s3cr3t"}
    for extra in ([], ["--unsandboxed"]):
        out = tmp_path / f"scores{len(extra)}.csv"
        done = cli("grade", "1", str(tmp_path / "class"), "--csv", str(out), *extra, env=secret, timeout=60)
        assert done.returncode == 0, done.stderr
        leaked = b"hunter2-s3cr3t" in done.stdout + out.read_bytes()
        assert leaked == bool(extra), (extra, done.stdout[-500:])      # unsandboxed: the control leaks it


# ---- resources --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", ["np.ones(3 * 2**30 // 8)", "open('/dev/zero', 'rb').read(3 * 2**30)"])
def test_memory_is_capped(tmp_path, body):
    result = grade(tmp_path, 1, f"""
        import numpy as np
        def sigmoid_backward(dH, H):
            held = {body}
            return dH * H * (1 - H)
        """, sandboxed=None)
    assert not result.passed and "MemoryError" in result.report(), result.report()


def descendants(pid):
    """Every live (non-zombie) process below ``pid``."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in os.listdir(f"/proc/{p}/task") if os.path.isdir(f"/proc/{p}/task") else []:
            try:
                kids = open(f"/proc/{p}/task/{task}/children").read().split()
            except OSError:
                continue
            found += [int(k) for k in kids]
            todo += [int(k) for k in kids]
    return found


def alive(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cmdline(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return b""


# `python -m lessons.exercises` with the signal dispositions a terminal gives: a test run started in the
# background (`nohup`, or `&` in a script) ignores SIGHUP or SIGINT, and an ignored signal is inherited by
# every process it starts, which would make the grader deaf to the signals these tests send
GRADE_AS_FROM_A_TERMINAL = ("import runpy, signal\n"
                            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
                            "for s in (signal.SIGHUP, signal.SIGTERM):\n"
                            "    signal.signal(s, signal.SIG_DFL)\n"
                            "runpy.run_module('lessons.exercises', run_name='__main__', alter_sys=True)\n")


def start_looping_grade(tmp_path, *extra):
    (tmp_path / "loop.py").write_text("while True:\n    pass\n")
    proc = subprocess.Popen([sys.executable, "-c", GRADE_AS_FROM_A_TERMINAL, "grade", "1", str(tmp_path / "loop.py"),
                             "--timeout", "60", *extra], cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    for _ in range(200):
        running = [k for k in descendants(proc.pid) if alive(k) and b'"function"' in cmdline(k)]
        if running:                                          # the child with its config (not the probe)
            time.sleep(0.5)                                  # the student's loop is running
            return proc, descendants(proc.pid)
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the student's process never started")


@pytest.mark.parametrize("sandboxed", [True, False])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_the_students_loop_dies_with_the_grader(tmp_path, sig, sandboxed):
    if sandboxed:
        need_sandbox()
    proc, kids = start_looping_grade(tmp_path, *([] if sandboxed else ["--unsandboxed"]))
    assert kids
    proc.send_signal(sig)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 5
    while any(alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [k for k in kids if alive(k)]


def test_ctrl_c_in_grade_is_one_line_and_leaves_nothing(tmp_path):
    need_sandbox()
    out = tmp_path / "out"
    out.mkdir()
    proc, kids = start_looping_grade(tmp_path, "--csv", str(out / "scores.csv"))
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 130 and b"Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert os.listdir(out) == []
    time.sleep(0.2)
    assert not [k for k in kids if alive(k)]


# ---- what no grader can tell: a Taylor jet of the activation ------------------------------------------
TAYLOR_JET_4 = """
    import numpy as np

    def cae_backward(params, X, lam, activation):
        B = X.shape[0]
        A0 = X @ params["W"].T + params["b_h"]
        H0 = activation.f(A0)
        D1 = activation.d1(A0, H0)
        D2 = activation.d2(A0, H0, D1)            # f, f', f'' once each: then no more helper calls

        def loss(W, b_h, b_r):                    # a hand-written forward, the activation by its Taylor series
            A = X @ W.T + b_h
            d = A - A0
            H, S1 = H0 + D1 * d + D2 * d * d / 2, D1 + D2 * d
            Z = H @ W + b_r
            rec = np.sum(np.log1p(np.exp(-np.abs(Z))) + np.maximum(Z, 0) - X * Z) / B
            return rec + lam * np.sum((S1 * S1) @ np.sum(W * W, axis=1)) / B

        grads = {}
        for name in ("W", "b_h", "b_r"):
            g = np.zeros_like(params[name])
            for i in np.ndindex(g.shape):
                up, down = dict(params), dict(params)
                up[name], down[name] = params[name].copy(), params[name].copy()
                up[name][i] += 1e-6
                down[name][i] -= 1e-6
                g[i] = (loss(**up) - loss(**down)) / 2e-6
            grads[name] = g
        return grads
    """


def test_a_taylor_jet_finite_difference_passes_exercise_4_as_instructors_md_says(tmp_path):
    """Not a cheat the grader catches: counting helper calls cannot, so INSTRUCTORS.md says so plainly."""
    result = grade(tmp_path, 4, TAYLOR_JET_4, sandboxed=None)
    assert result.passed, result.report()
    naive = TAYLOR_JET_4.replace("H0 + D1 * d + D2 * d * d / 2, D1 + D2 * d",
                                 "activation.f(A), activation.d1(A, activation.f(A))")
    assert not grade(tmp_path, 4, naive, sandboxed=None).passed     # calling the helper per step is refused


def test_a_python_under_the_hosts_tmp_still_reaches_numpy_in_the_sandbox(monkeypatch):
    """The sandbox's private /tmp is mounted before the runtime's binds: a venv (or numpy) living under the
    host's /tmp -- as a CI clone may -- is bound on top of it, not hidden under it."""
    from lessons.exercises import jail
    argv = jail.command([], jail.os.path.join(jail.HERE, "sandbox.py"), "probe.py")
    tmp_at = max(i for i, a in enumerate(argv) if a == "/tmp" and argv[i - 1] == "--tmpfs")
    first_bind = argv.index("--ro-bind")
    assert tmp_at < first_bind, "the private /tmp must come before every bind"
