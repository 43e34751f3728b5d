"""The batch never trusts the child or the file names: malformed frames, floods, hostile names and output paths.

Each hostile file is graded beside a correct one: the hostile one FAILs with a
clear reason, the correct one still PASSes, and the batch finishes with a table
and a CSV within (files x time limit) / jobs plus a small margin. These do not
need the OS sandbox (they attack the parent), so they run with or without it.
"""
import csv
import os
import subprocess
import sys
import textwrap
import time

import pytest

from lessons.exercises import EXERCISES, batch, jail
from _helpers import exercises_main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOOD_3 = open(EXERCISES[3].solution).read()
GOOD_1 = open(EXERCISES[1].solution).read()
RAW = """
import os, struct, sys
def send(text):                                     # a frame written straight onto the grader's pipe
    head = text.encode()
    os.write(sys.modules["__main__"].CONFIG["wfd"], struct.pack("<Q", len(head)) + head)
"""


def cli(*args, env=None, cwd=ROOT, **kwargs):
    env = {**os.environ, "PYTHONPATH": ROOT, **(env or {})}
    return subprocess.run([sys.executable, "-m", "lessons.exercises", *args], cwd=cwd, capture_output=True,
                          env=env, timeout=kwargs.pop("timeout", 120), **kwargs)


def beside_a_good_file(tmp_path, number, hostile, timeout=4.0):
    (tmp_path / "a_hostile.py").write_text(textwrap.dedent(hostile))
    (tmp_path / "b_good.py").write_text(GOOD_3 if number == 3 else GOOD_1)
    started = time.monotonic()
    rows = batch.grade_many(number, [str(tmp_path / "a_hostile.py"), str(tmp_path / "b_good.py")], timeout,
                            jobs=1, sandboxed=None)
    assert time.monotonic() - started < 2 * timeout + 4, "the batch must finish within its time limits"
    assert rows[1]["verdict"] == "PASS", rows[1]
    assert rows[0]["verdict"] == "FAIL"
    return rows[0]


MALFORMED = [
    ('"[" * 200000', "import"),                                       # RecursionError in json, once
    ("""'{"type": "helper", "id": 1e400, "method": "f", "arrays": []}'""", "call"),  # OverflowError, once
    ("""'{"type": "result", "out": {"$dict": 5}, "mutated": false, "arrays": []}'""", "call"),  # AttributeError
    ("""'{"type": "result", "out": {"$array": NaN}, "mutated": false, "arrays": []}'""", "call"),
    ("""'{"type": "result", "out": {"$array": 0}, "mutated": false, "arrays": [["<f8", [1e400]]]}'""", "call"),
    ("""'{"type": "helper", "id": true, "method": "f", "arrays": []}'""", "call"),
    ("""'{"type": "result", "out": {"$list": []}, "mutated": "yes", "arrays": []}'""", "call"),
    ("""'{"type": "result", "out": {"$array": 0, "$bad": 1}, "mutated": false, "arrays": []}'""", "call"),
]


def drive_on(text, where):
    """(runner._drive's return, the Call) on a pipe fed ``text`` as the child's frame (after its "ready"
    message when ``where`` is "call"), in this process."""
    import struct
    import threading

    import numpy as np

    from lessons.exercises import runner, sandbox
    from lessons.exercises.protocol import Call
    head = text.encode()
    data = (b"" if where == "import" else sandbox.message_bytes({"type": "ready"})) + \
        struct.pack("<Q", len(head)) + head
    c2p_r, c2p_w = os.pipe()
    p2c_r, p2c_w = os.pipe()
    writer = threading.Thread(target=sandbox.write_all, args=(c2p_w, data))
    writer.start()
    call = Call(args=(np.ones((2, 3)),))
    try:
        return runner._drive(None, runner._Pipe(c2p_r, p2c_w, time.monotonic() + 10, 10), [call]), call
    finally:
        os.close(c2p_r)                                               # a writer still blocked gets EPIPE
        writer.join()
        for fd in (c2p_w, p2c_r, p2c_w):
            os.close(fd)


@pytest.mark.parametrize("frame, where", MALFORMED)
def test_the_parent_refuses_each_malformed_frame(frame, where):
    """Each frame is refused with a ValueError (Malformed), which run_calls turns into "malformed answer"
    for that file only (the end-to-end test below holds that wiring through a real child)."""
    with pytest.raises(ValueError):
        drive_on(eval(frame), where)                                  # the frame's text, as the child sends it


def test_the_frame_harness_accepts_a_well_formed_answer():
    """Control: the same harness with a well-formed result frame finishes the call."""
    from lessons.exercises.protocol import Bad
    status, call = drive_on('{"type": "result", "out": {"$bad": "a list"}, "mutated": false, "arrays": []}', "call")
    assert status == "" and call.out == Bad("a list") and call.mutated is False


@pytest.mark.parametrize("frame, where", [MALFORMED[0], MALFORMED[2]])
def test_a_malformed_frame_fails_that_file_only(tmp_path, frame, where):
    body = (f"send({frame})\nwhile True:\n    pass\n" if where == "import" else
            f"def penalty_backward(X, W, b_h, activation):\n    send({frame})\n    while True:\n        pass\n")
    row = beside_a_good_file(tmp_path, 3, RAW + body)
    assert "malformed answer" in row["first_hint"], row


def test_a_child_that_never_reads_the_replies_cannot_block_the_grader(tmp_path):
    row = beside_a_good_file(tmp_path, 3, """
        import numpy as np
        def penalty_backward(X, W, b_h, activation):
            A = X @ W.T + b_h
            for _ in range(100000):                      # requests, never reading a reply: the pipe fills
                activation._channel.send({"type": "helper", "id": activation._hid, "method": "f"}, [A])
        """, timeout=2.0)
    assert "timed out after 2 s" in row["first_hint"], row


def test_a_batch_of_loops_finishes_within_files_times_limit_over_jobs(tmp_path):
    files = []
    for i in range(4):
        (tmp_path / f"loop{i}.py").write_text("while True:\n    pass\n")
        files.append(str(tmp_path / f"loop{i}.py"))
    started = time.monotonic()
    rows = batch.grade_many(1, files, 1.0, jobs=2, sandboxed=None)
    assert time.monotonic() - started < 4 * 1.0 / 2 + 3
    assert all("timed out after 1 s" in r["first_hint"] for r in rows)


# ---- names, hints, the CSV ----------------------------------------------------------------------------
def test_names_and_hints_are_escaped_and_the_csv_has_no_formulas(tmp_path):
    d = tmp_path / "class"
    d.mkdir()
    for name in ("s10.py", "s2.py", "=cmd.py", "a\nforged,PASS,1,1.py", "\x1b[31mred.py", "+x.py", "@x.py"):
        (d / name).write_text(GOOD_1)
    with open(os.path.join(os.fsencode(d), b"\xff\xfe.py"), "w") as f:
        f.write(GOOD_1)
    (d / "hint.py").write_text(RAW + "def sigmoid_backward(dH, H):\n"
                               "    send('{\"type\": \"error\", \"message\": \"=HYPERLINK(1)\\\\n\\\\u001b[2Jx,PASS\", "
                               "\"arrays\": []}')\n    os._exit(0)\n")
    out = tmp_path / "scores.csv"
    done = cli("grade", "1", str(d), "--csv", str(out), "--unsandboxed")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[0].startswith("NOT ISOLATED") and len(lines) == 1 + 1 + 9 + 1 + 1   # note, head, rows, sum, wrote
    assert b"\x1b" not in done.stdout and "\\x1b[31mred.py" in done.stdout.decode()
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines(keepends=True)))
    assert len(rows) == 9
    names = [r["file"].rsplit("/", 1)[1] for r in rows]
    assert names.index("s2.py") < names.index("s10.py")                                 # natural order
    assert "\\xff\\xfe.py" in names and "a\\nforged,PASS,1,1.py" in names
    for r in rows:
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in r.values()), r
        assert r["isolation"] == "none (--unsandboxed)" and float(r["percent"]) in (0.0, 100.0)
    hint = next(r for r in rows if r["file"].endswith("hint.py"))
    assert hint["first_hint"].startswith("'=HYPERLINK(1)") and "\\x1b[2J" in hint["first_hint"]
    assert sorted(os.listdir(tmp_path)) == ["class", "scores.csv"]                      # no temporary left
    relative = cli("grade", "1", "=cmd.py", "+x.py", "@x.py", "--csv", str(out), "--unsandboxed", cwd=d)
    assert relative.returncode == 0, relative.stderr
    files = [r["file"] for r in csv.DictReader(out.read_text(encoding="utf-8").splitlines(keepends=True))]
    assert files == ["'=cmd.py", "'+x.py", "'@x.py"]


@pytest.mark.parametrize("target", ["/proc/x.csv", "/sys/x.csv", "DIR/" + "n" * 300 + ".csv", "DIR",
                                    "DIR/missing/x.csv"])
def test_a_bad_output_path_is_refused_before_any_grading(tmp_path, capsys, target):
    (tmp_path / "loop.py").write_text("while True:\n    pass\n")
    started = time.monotonic()
    code, _, err = exercises_main(capsys, "grade", "1", str(tmp_path / "loop.py"), "--csv",
                                  target.replace("DIR", str(tmp_path)), "--timeout", "30", "--unsandboxed")
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert time.monotonic() - started < 15


def test_an_unwritable_folder_is_refused_before_any_grading(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into any folder; /proc and /sys stand for it above")
    (tmp_path / "ro").mkdir(mode=0o500)
    done = cli("grade", "1", GOOD_1, "--csv", str(tmp_path / "ro" / "x.csv"), "--unsandboxed")
    assert done.returncode == 2 and b"Traceback" not in done.stderr


def test_copy_never_overwrites_and_refuses_a_file_as_folder(tmp_path, capsys):
    existing = tmp_path / "mine.py"
    existing.write_text("my work")
    for args in (("copy", "4", str(existing)), ("copy", "4", str(tmp_path))):
        code, _, err = exercises_main(capsys, *args)
        if args[2] == str(tmp_path) and code == 0:
            code, _, err = exercises_main(capsys, *args)        # the second copy into a folder is refused
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert existing.read_text() == "my work"


# ---- without a sandbox ----------------------------------------------------------------------------------
def test_without_a_sandbox_grade_refuses_and_check_says_so_once(tmp_path):
    (tmp_path / "good.py").write_text(GOOD_1)
    nowhere = {"CAE_BWRAP": str(tmp_path / "no-bwrap")}
    refused = cli("grade", "1", str(tmp_path), env=nowhere)
    err = refused.stderr.decode()
    assert refused.returncode == 2 and "apt-get install bubblewrap" in err and "--unsandboxed" in err, err
    assert len(err.strip().splitlines()) == 1
    checked = cli("check", "1", str(tmp_path / "good.py"), env=nowhere)
    assert checked.returncode == 0 and checked.stdout.decode().count("NOT isolated") == 1, checked.stdout
    forced = cli("grade", "1", str(tmp_path), "--unsandboxed", "--json", str(tmp_path / "s.json"), env=nowhere)
    assert forced.returncode == 0 and forced.stdout.decode().startswith("NOT ISOLATED")
    assert '"isolation": "none (--unsandboxed)"' in (tmp_path / "s.json").read_text()


def test_the_probe_reports_a_missing_bwrap(monkeypatch, tmp_path):
    monkeypatch.setenv("CAE_BWRAP", str(tmp_path / "no-bwrap"))
    ok, why = jail.available()
    assert not ok and "not installed" in why


def test_doctor_says_whether_the_graders_sandbox_is_available(monkeypatch, tmp_path):
    from cae_scratch.apps import doctor
    ok, why = jail.available()
    lines, _ = doctor.report()
    line = next(x for x in lines if x.startswith("exercise grader sandbox"))
    assert ("available" in line) == ok and ("not available" in line) == (not ok), line
    monkeypatch.setenv("CAE_BWRAP", str(tmp_path / "no-bwrap"))
    lines, _ = doctor.report()
    assert any("not available" in x and "bubblewrap" in x for x in lines)


def test_an_older_bwrap_gets_only_the_options_it_lists(monkeypatch, tmp_path):
    """bubblewrap 0.6 (Ubuntu 22.04) has no --disable-userns: the command line must not use it there."""
    old = tmp_path / "bwrap"
    old.write_text("#!/bin/sh\necho 'usage: bwrap [OPTIONS...] [--] COMMAND\n    --unshare-all --uid UID --tmpfs DEST'\n")
    old.chmod(0o755)
    monkeypatch.setenv("CAE_BWRAP", str(old))
    argv = jail.command(["{}"], __file__, "x.py")
    assert argv[0] == str(old) and "--unshare-all" in argv
    assert "--disable-userns" not in argv and "--size" not in argv
    real = jail.shutil.which("bwrap")
    if real:                                                     # the control: a bwrap that lists them gets them
        monkeypatch.setenv("CAE_BWRAP", real)
        listed = jail._options(real)
        argv = jail.command(["{}"], __file__, "x.py")
        assert ("--disable-userns" in argv) == ("--disable-userns" in listed)
        assert ("--size" in argv) == ("--size" in listed)
