"""The exercises' grader: it passes every reference solution, and fails known bugs and empty stubs clearly.

The grader works by finite differences only; these tests feed it the
reference solutions (lessons/exercises/solutions/), buggy variants written
below, and the untouched templates, and check the verdict, the hint and the
exit status.
"""
import os
import subprocess
import sys
import textwrap

import pytest

from lessons.exercises import grader

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOLUTIONS = os.path.join(ROOT, "lessons", "exercises", "solutions")


def solution(number):
    return os.path.join(SOLUTIONS, grader.EXERCISES[number].filename)


def write(tmp_path, body, name="student.py"):
    path = tmp_path / name
    path.write_text("import numpy as np\n\n" + textwrap.dedent(body))
    return str(path)


# ---- correct code passes --------------------------------------------------------------------------
@pytest.mark.parametrize("number", sorted(grader.EXERCISES))
def test_reference_solution_passes(number):
    status, report = grader.check_file(number, solution(number))
    assert status == 0, report
    assert "RESULT: PASS" in report and "FAIL" not in report


def test_every_exercise_has_a_template_and_a_solution():
    for ex in grader.EXERCISES.values():
        template = os.path.join(grader.TEMPLATE_DIR, ex.filename)
        assert os.path.isfile(template) and os.path.isfile(solution(ex.number))
        assert "NotImplementedError" in open(template).read()


# ---- empty stubs and unusable answers get a clear message ----------------------------------------
@pytest.mark.parametrize("number", sorted(grader.EXERCISES))
def test_untouched_template_fails_with_a_clear_message(number):
    status, report = grader.check_file(number, os.path.join(grader.TEMPLATE_DIR, grader.EXERCISES[number].filename))
    assert status == 1
    assert "NotImplementedError" in report and "stub" in report


@pytest.mark.parametrize("body, message", [
    ("def sigmoid_backward(dH, H):\n    dA = dH * H * (1 - H)\n", "returned None"),
    ("def sigmoid_backward(dH, H):\n    return (dH * H * (1 - H)).T\n", "transposed?"),
    ("def sigmoid_backward(dH, H):\n    return np.sum(dH * H * (1 - H))\n", "expected (3, 5)"),
    ("def sigmoid_backward(dH, H):\n    return dH @ H\n", "raised ValueError"),
    ("def sigmoid_backward(dH, H):\n    dH *= H * (1 - H)\n    return dH.copy()\n", "modified its input"),
    ("def sigmoid_backward(dH, H):\n    H *= 1 - H\n    return dH * H\n", "modified its input"),
])
def test_unusable_answers_fail_with_a_clear_message(tmp_path, body, message):
    status, report = grader.check_file(1, write(tmp_path, body))
    assert status == 1 and message in report, report


def test_missing_file_or_function_cannot_be_graded(tmp_path):
    status, report = grader.check_file(1, str(tmp_path / "nope.py"))
    assert status == 2 and "no such file" in report
    status, report = grader.check_file(1, write(tmp_path, "def sigmoid(x):\n    return x\n"))
    assert status == 2 and "no function named 'sigmoid_backward'" in report
    status, report = grader.check_file(9, solution(1))
    assert status == 2 and "no exercise 9" in report


# ---- known bugs fail, with the hint that names them --------------------------------------------
BUGS = {
    1: {
        "forgot the upstream gradient": ("def sigmoid_backward(dH, H):\n    return H * (1 - H)\n", "upstream gradient dH"),
        "tanh's derivative": ("def sigmoid_backward(dH, H):\n    return dH * (1 - H * H)\n", "tanh's derivative"),
        "sign flipped": ("def sigmoid_backward(dH, H):\n    return -dH * H * (1 - H)\n", "sign is flipped"),
    },
    2: {
        "extra r(1-r)": ("""
            def bce_sigmoid_backward(X, Z):
                R = 1 / (1 + np.exp(-Z))
                return (R - X) * R * (1 - R) / X.shape[0]
            """, "extra r(1-r)"),
        "no mean over the batch": ("""
            def bce_sigmoid_backward(X, Z):
                return 1 / (1 + np.exp(-Z)) - X
            """, "divide by B"),
        "x - r": ("""
            def bce_sigmoid_backward(X, Z):
                return (X - 1 / (1 + np.exp(-Z))) / X.shape[0]
            """, "sign is flipped"),
        "dL/dr instead of dL/dz": ("""
            def bce_sigmoid_backward(X, Z):
                R = 1 / (1 + np.exp(-Z))
                return (R - X) / (R * (1 - R)) / X.shape[0]
            """, "dL/dr, not dL/dz"),
    },
}

PENALTY = """
def penalty_backward(X, W, b_h, activation):
    B = X.shape[0]
    A = X @ W.T + b_h
    H = activation.f(A)
    D1 = activation.d1(A, H)
    D2 = activation.d2(A, H, D1)
    {derivatives}
    q = np.sum(W * W, axis=1)
    dA = {two} / B * D1 * D2 * q
    dW_q = {two} * np.mean(D1 * D1, axis=0)[:, None] * W
    {bug}
    return {dW}, np.sum(dA, axis=0)
"""


def penalty_variant(derivatives="", two="2.0", bug="", dW="dA.T @ X + dW_q"):
    return PENALTY.format(derivatives=derivatives, two=two, bug=bug, dW=dW)


BUGS[3] = {
    "missing factor 2": (penalty_variant(two="1.0"), "factor 2 is"),
    "stale W (no q path)": (penalty_variant(dW="dA.T @ X"), "stale W"),
    "no path through a": (penalty_variant(dW="dW_q + 0 * dA.T @ X", bug="dA = 0 * dA"), "only the path through q_k"),
    "sigmoid derivative hard-coded": (penalty_variant(derivatives="D1 = H * (1 - H); D2 = D1 * (1 - 2 * H)"),
                                      "h(1-h) hard-coded"),
    "sum instead of mean": (penalty_variant(bug="dA = dA * B; dW_q = dW_q * B"), "divide by B"),
    "transposed": (penalty_variant(dW="X.T @ dA + dW_q.T"), "transposed?"),
    "J^T 1 mistaken for J": ("""
        def penalty_backward(X, W, b_h, activation):
            B = X.shape[0]
            A = X @ W.T + b_h
            H = activation.f(A)
            D1 = activation.d1(A, H)
            V = D1 @ W
            dV = 2 * V / B
            dA = (dV @ W.T) * activation.d2(A, H, D1)
            return dA.T @ X + D1.T @ dV, np.sum(dA, axis=0)
        """, "||J^T 1||^2"),
}

CAE = """
def cae_backward(params, X, lam, activation):
    W, b_h, b_r = params["W"], params["b_h"], params["b_r"]
    B = X.shape[0]
    A = X @ W.T + b_h
    H = activation.f(A)
    D1 = activation.d1(A, H)
    {derivative}
    Z = H @ W + b_r
    R = 1 / (1 + np.exp(-Z))
    dZ = (R - X) / B {extra}
    dA = (dZ @ W.T) * D1
    q = np.sum(W * W, axis=1)
    dA = dA + {lam} * ({two} / B) * D1 * activation.d2(A, H, D1) * q
    dW = dA.T @ X {decoder} + {lam} * {two} * np.mean(D1 * D1, axis=0)[:, None] * W {q_path}
    return {{"W": dW, "b_h": np.sum(dA, axis=0), "b_r": np.sum(dZ, axis=0)}}
"""


def cae_variant(derivative="", extra="", lam="lam", two="2.0", decoder="+ H.T @ dZ", q_path=""):
    return CAE.format(derivative=derivative, extra=extra, lam=lam, two=two, decoder=decoder, q_path=q_path)


BUGS[4] = {
    "penalty forgotten": (cae_variant(lam="0.0"), "only the reconstruction's gradient"),
    "penalty's factor 2 missing": (cae_variant(two="1.0"), "factor 2 is missing"),
    "no q path": (cae_variant(q_path="- lam * 2.0 * np.mean(D1 * D1, axis=0)[:, None] * W"), "stale W"),
    "J^T 1 in the penalty": ("""
        def cae_backward(params, X, lam, activation):
            W, b_h, b_r = params["W"], params["b_h"], params["b_r"]
            B = X.shape[0]
            A = X @ W.T + b_h
            H = activation.f(A)
            D1 = activation.d1(A, H)
            R = 1 / (1 + np.exp(-(H @ W + b_r)))
            dZ = (R - X) / B
            V = D1 @ W                          # J^T 1 per example, penalised instead of J
            dV = 2 * V / B
            dA = (dZ @ W.T) * D1 + lam * (dV @ W.T) * activation.d2(A, H, D1)
            dW = dA.T @ X + H.T @ dZ + lam * D1.T @ dV
            return {"W": dW, "b_h": np.sum(dA, axis=0), "b_r": np.sum(dZ, axis=0)}
        """, "||J^T 1||^2"),
    "decoder's use of W forgotten": (cae_variant(decoder=""), "add the decoder's, H^T dZ"),
    "extra r(1-r)": (cae_variant(extra="* R * (1 - R)"), "the lam = 0 case fails"),
    "sigmoid derivative hard-coded": (cae_variant(derivative="D1 = H * (1 - H)"), "h(1-h) hard-coded"),
}


def test_the_bug_variants_are_correct_without_their_bug(tmp_path):
    """The templates above with no bug switched on pass: each bug below is the only change."""
    for number, source in ((3, penalty_variant()), (4, cae_variant())):
        status, report = grader.check_file(number, write(tmp_path, source, f"ok{number}.py"))
        assert status == 0, report


@pytest.mark.parametrize("number, bug", [(n, b) for n in sorted(BUGS) for b in BUGS[n]])
def test_known_bug_fails_with_its_hint(tmp_path, number, bug):
    source, hint = BUGS[number][bug]
    status, report = grader.check_file(number, write(tmp_path, source))
    assert status == 1, report
    assert "RESULT: FAIL" in report or "FAIL:" in report
    assert hint in report, report


def test_missing_factor_2_has_relative_error_one_third(tmp_path):
    """The issue's example: half the gradient gives (g - g/2)/(g + g/2) = 1/3 in every row."""
    fn = grader.load_function(write(tmp_path, BUGS[3]["missing factor 2"][0]), "penalty_backward")
    rows = grader.EXERCISES[3].grade(fn)
    assert all(abs(r.error - 1 / 3) < 1e-6 for r in rows)


# ---- the command line ---------------------------------------------------------------------------
def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "lessons.exercises", *args], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)})


def test_cli_exit_codes_and_commands(tmp_path):
    ok = cli("check", "2", solution(2))
    assert ok.returncode == 0 and "RESULT: PASS" in ok.stdout
    bad = cli("check", "3", write(tmp_path, BUGS[3]["missing factor 2"][0]))
    assert bad.returncode == 1 and "factor 2 is" in bad.stdout
    assert cli("check", "1", str(tmp_path / "missing.py")).returncode == 2
    listing = cli("list")
    assert listing.returncode == 0 and all(ex.function in listing.stdout for ex in grader.EXERCISES.values())
    assert cli("where").stdout.strip() == grader.TEMPLATE_DIR
    copied = cli("copy", "4", str(tmp_path / "mine"))
    target = tmp_path / "mine" / grader.EXERCISES[4].filename
    assert copied.returncode == 0 and target.is_file()
    assert cli("copy", "4", str(tmp_path / "mine")).returncode == 2          # never overwrites
    stub = cli("check", "4", str(target))
    assert stub.returncode == 1 and "NotImplementedError" in stub.stdout
