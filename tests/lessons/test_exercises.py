"""The exercises' grader: every reference solution passes, every known bug and every cheat fails, clearly.

Grading runs each file in its own process, so the files below (solutions,
buggy variants, cheats, untouched templates) are graded once, two at a time,
in a module fixture; the tests then check each verdict and its message.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from lessons.exercises import EXERCISES, batch, grader, jail
from _helpers import exercises_main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def src(body):
    return "import numpy as np\n\n" + textwrap.dedent(body)


# ---- known bugs: (exercise, source, a phrase its hint must contain) --------------------------------
PENALTY = """
def penalty_backward(X, W, b_h, activation):
    B = X.shape[0]
    A = X @ W.T + b_h
    H = activation.f(A)
    D1 = activation.d1(A, H)
    D2 = activation.d2(A, H, D1)
    {derivatives}
    q = np.sum(W * W, axis=1)
    dA = {two} / B * D1 * {D2} * q
    dW_q = {two_q} * np.mean(D1 * D1, axis=0)[:, None] * W
    {bug}
    return {dW}, np.sum(dA, axis=0)
"""


def penalty(derivatives="", two="2.0", two_q=None, D2="D2", bug="", dW="dA.T @ X + dW_q"):
    return src(PENALTY.format(derivatives=derivatives, two=two, two_q=two_q or two, D2=D2, bug=bug, dW=dW))


CAE = """
def cae_backward(params, X, lam, activation):
    W, b_h, b_r = params["W"], params["b_h"], params["b_r"]
    B = X.shape[0]
    A = X @ W.T + b_h
    H = activation.f(A)
    D1 = activation.d1(A, H)
    {derivative}
    Z = H @ W + b_r
    R = 1 / (1 + np.exp(-Z)) {squash}
    dZ = (R - X) / B {extra}
    dA = (dZ @ W.T) * D1
    q = {q}
    dA = dA + {lam} * ({two} / {B}) * D1 * {D2} * q
    dW = dA.T @ X {decoder} + {lam} * {two_q} * np.mean(D1 * D1, axis=0)[:, None] * {Wq} {q_path}
    return {{"W": dW, "b_h": np.sum(dA, axis=0), "b_r": np.sum(dZ, axis=0)}}
"""


def cae(derivative="", squash="", extra="", q="np.sum(W * W, axis=1)", lam="lam", two="2.0", B="B", D2=None,
        two_q=None, decoder="+ H.T @ dZ", Wq="W", q_path=""):
    return src(CAE.format(derivative=derivative, squash=squash, extra=extra, q=q, lam=lam, two=two, B=B,
                          D2=D2 or "activation.d2(A, H, D1)", two_q=two_q or two, decoder=decoder, Wq=Wq,
                          q_path=q_path))


SOLUTION_9 = open(EXERCISES[9].solution).read()
SOLUTION_10 = open(EXERCISES[10].solution).read()
SOLUTION_11 = open(EXERCISES[11].solution).read()
SOLUTION_12 = open(EXERCISES[12].solution).read()
SOLUTION_5 = open(EXERCISES[5].solution).read()

BUGS = {
    (1, "upstream gradient forgotten"): ("def sigmoid_backward(dH, H):\n    return H * (1 - H)\n", "upstream gradient dH"),
    (1, "tanh's derivative"): ("def sigmoid_backward(dH, H):\n    return dH * (1 - H * H)\n", "tanh's derivative"),
    (1, "sign flipped"): ("def sigmoid_backward(dH, H):\n    return -dH * H * (1 - H)\n", "sign is flipped"),
    (1, "sigmoid applied twice"): ("def sigmoid_backward(dH, H):\n    S = 1 / (1 + np.exp(-H))\n"
                                   "    return dH * S * (1 - S)\n", "applied twice"),
    (2, "extra r(1-r)"): ("def bce_sigmoid_backward(X, Z):\n    R = 1 / (1 + np.exp(-Z))\n"
                          "    return (R - X) * R * (1 - R) / X.shape[0]\n", "extra r(1-r)"),
    (2, "no mean over the batch"): ("def bce_sigmoid_backward(X, Z):\n    return 1 / (1 + np.exp(-Z)) - X\n",
                                    "divide by B"),
    (2, "dL/dr instead of dL/dz"): ("def bce_sigmoid_backward(X, Z):\n    R = 1 / (1 + np.exp(-Z))\n"
                                    "    return (R - X) / (R * (1 - R)) / X.shape[0]\n", "dL/dr, not dL/dz"),
    (2, "sigmoid applied twice"): ("def bce_sigmoid_backward(X, Z):\n    R = 1 / (1 + np.exp(-Z))\n"
                                   "    return (1 / (1 + np.exp(-R)) - X) / X.shape[0]\n", "applied twice"),
    (3, "missing factor 2 (public bug)"): (penalty(two="1.0"), "factor 2 is missing -- d(u^2)"),
    (3, "stale W, no q path (public bug)"): (penalty(dW="dA.T @ X"), "stale W"),
    (3, "sigmoid derivative for tanh (public bug)"): (penalty(derivatives="D1 = H * (1 - H); D2 = D1 * (1 - 2 * H)"),
                                                      "h(1-h) hard-coded"),
    (3, "J^T 1 mistaken for J (public bug)"): (src("""
        def penalty_backward(X, W, b_h, activation):
            B = X.shape[0]
            A = X @ W.T + b_h
            H = activation.f(A)
            D1 = activation.d1(A, H)
            V = D1 @ W
            dV = 2 * V / B
            dA = (dV @ W.T) * activation.d2(A, H, D1)
            return dA.T @ X + D1.T @ dV, np.sum(dA, axis=0)
        """), "||J^T 1||^2"),
    (3, "averaged differently (public bug)"): (penalty(bug="dA = dA * B; dW_q = dW_q * B"), "divide by B"),
    (3, "weights summed then squared (public bug)"): (penalty(bug="q = np.sum(W, axis=1) ** 2; dA = 2.0 / B * D1 * D2 "
                                                      "* q; dW_q = 2.0 * np.mean(D1 * D1, axis=0)[:, None] * "
                                                      "np.sum(W, axis=1)[:, None]"), "summed then squared"),
    (3, "no path through a"): (penalty(bug="dA = 0 * dA"), "only the path through q_k"),
    (3, "factor 2 missing in the a path only"): (penalty(two="1.0", two_q="2.0"), "path through a is half"),
    (3, "factor 2 missing in the q path only"): (penalty(two="2.0", two_q="1.0"), "path through q_k is half"),
    (3, "s' where s'' belongs"): (penalty(D2="D1"), "s' used where s'' belongs"),
    (3, "db_h right, dW's q path wrong"): (penalty(bug="dW_q = dW_q * W"), "db_h is right"),
    (4, "penalty forgotten"): (cae(lam="0.0"), "penalty's is missing"),
    (4, "lam ignored"): (cae(lam="1.0"), "lam ignored"),
    (4, "missing factor 2 (public bug)"): (cae(two="1.0"), "factor 2 is missing in both paths"),
    (4, "stale W, no q path (public bug)"): (cae(q_path="- lam * 2.0 * np.mean(D1 * D1, axis=0)[:, None] * W"),
                                             "stale W"),
    (4, "sigmoid derivative for tanh (public bug)"): (cae(derivative="D1 = H * (1 - H)"), "hard-coded"),
    (4, "J^T 1 mistaken for J (public bug)"): (src("""
        def cae_backward(params, X, lam, activation):
            W, b_h, b_r = params["W"], params["b_h"], params["b_r"]
            B = X.shape[0]
            A = X @ W.T + b_h
            H = activation.f(A)
            D1 = activation.d1(A, H)
            R = 1 / (1 + np.exp(-(H @ W + b_r)))
            dZ = (R - X) / B
            V = D1 @ W
            dV = 2 * V / B
            dA = (dZ @ W.T) * D1 + lam * (dV @ W.T) * activation.d2(A, H, D1)
            dW = dA.T @ X + H.T @ dZ + lam * D1.T @ dV
            return {"W": dW, "b_h": np.sum(dA, axis=0), "b_r": np.sum(dZ, axis=0)}
        """), "||J^T 1||^2"),
    (4, "averaged differently (public bug)"): (cae(B="1.0", two_q="2.0 * B"), "averaged differently"),
    (4, "weights summed then squared (public bug)"): (cae(q="np.sum(W, axis=1) ** 2", Wq="np.sum(W, axis=1)[:, None]"),
                                                      "summed then squared"),
    (4, "decoder's use of W forgotten"): (cae(decoder=""), "the decoder's use is missing"),
    (4, "extra r(1-r)"): (cae(extra="* R * (1 - R)"), "extra r(1-r)"),
    (4, "sigmoid applied twice"): (cae(squash="; R = 1 / (1 + np.exp(-R))"), "applied twice"),
    (4, "factor 2 missing in the q path only"): (cae(two_q="1.0"), "path through q_k is half"),
    (4, "s' where s'' belongs"): (cae(D2="D1"), "s' used where s'' belongs"),
    (4, "bce averaged over the pixels"): (cae(extra="/ X.shape[1]"), "1/n_visible"),
    (9, "bce averaged over the pixels"): (SOLUTION_9.replace("(R - X) / B", "(R - X) / B / X.shape[1]"),
                                          "1/n_visible"),
    (5, "forward difference"): (src("""
        def central_difference(f, x, h):
            g = np.empty_like(x)
            for i in np.ndindex(x.shape):
                xp = x.copy(); xp[i] += h
                g[i] = (f(xp) - f(x)) / h
            return g
        """), "first order"),
    (5, "divided by h, not 2h"): (SOLUTION_5.replace("(2.0 * h)", "h"), "twice the true"),
    (6, "W alone"): ("def encoder_jacobian(x, W, b_h, activation):\n    A = x @ W.T + b_h\n"
                     "    return np.broadcast_to(W, A.shape + W.shape[1:]).copy() if A.ndim == 2 else W.copy()\n",
                     "W alone"),
    (6, "sigmoid hard-coded"): (src("""
        def encoder_jacobian(x, W, b_h, activation):
            H = activation.f(x @ W.T + b_h)
            return (H * (1 - H))[..., :, None] * W
        """), "hard-coded"),
    (7, "weights summed then squared (public bug)"): (src("""
        def contractive_penalty(X, W, b_h, activation):
            A = X @ W.T + b_h
            D1 = activation.d1(A, activation.f(A))
            return float(np.sum((D1 * D1) @ np.sum(W, axis=1) ** 2)) / X.shape[0]
        """), "summed then squared"),
    (7, "sum over the batch"): (src("""
        def contractive_penalty(X, W, b_h, activation):
            A = X @ W.T + b_h
            D1 = activation.d1(A, activation.f(A))
            return float(np.sum((D1 * D1) @ np.sum(W * W, axis=1)))
        """), "divide by B"),
    (7, "s' not squared"): (src("""
        def contractive_penalty(X, W, b_h, activation):
            A = X @ W.T + b_h
            D1 = activation.d1(A, activation.f(A))
            return float(np.sum(D1 @ np.sum(W * W, axis=1))) / X.shape[0]
        """), "not squared"),
    (8, "the naive form"): (src("""
        def bce_from_logits(X, Z):
            R = 1 / (1 + np.exp(-Z))
            return float(np.sum(-(X * np.log(R) + (1 - X) * np.log(1 - R)))) / X.shape[0]
        """), "inf or NaN for large |z|"),
    (8, "clipped"): (src("""
        def bce_from_logits(X, Z):
            R = np.clip(1 / (1 + np.exp(-np.clip(Z, -500, 500))), 1e-12, 1 - 1e-12)
            return float(np.sum(-(X * np.log(R) + (1 - X) * np.log(1 - R)))) / X.shape[0]
        """), "clipping r"),
    (9, "decoder term in dW (as if tied)"): (SOLUTION_9.replace("# encoder + q path; no decoder term", "+ (dZ.T @ H).T"),
                                             "its own W_r"),
    (9, "dW_r transposed"): (SOLUTION_9.replace('"W_r": dZ.T @ H', '"W_r": H.T @ dZ'), "transposed?"),
    (9, "lam ignored"): (SOLUTION_9.replace("lam *", "1.0 *"), "lam ignored"),
    (10, "factor 2 missing"): (SOLUTION_10.replace("(2.0 /", "(1.0 /"), "factor 2 is missing"),
    (10, "no mean over the batch"): (SOLUTION_10.replace("(2.0 / X.shape[0])", "2.0"), "divide by B"),
    (10, "a transposed product"): (SOLUTION_10.replace('"H": dZ @ W_r', '"H": dZ @ W_r.T'),
                                   "multiplies shapes"),
    (11, "third derivative missing"): (SOLUTION_11.replace("D2 * D3 * q * q", "D2 * q * q"),
                                       "missing from the path through a"),
    (11, "q path dropped"): (SOLUTION_11.replace("dA.T @ X + 4.0", "dA.T @ X + 0.0"), "only the path through a"),
    (11, "q path's factor halved"): (SOLUTION_11.replace("4.0 * (np.mean", "2.0 * (np.mean"),
                                     "path through q_k is half"),
    (12, "W u path dropped"): (SOLUTION_12.replace("dW = dA.T @ X + np.sum", "dW = dA.T @ X + 0 * np.sum"),
                               "W also multiplies each tangent"),
    (12, "s'' path dropped"): (SOLUTION_12.replace("dA = D2 * np.sum", "dA = 0 * D2 * np.sum"),
                               "through s''(a)"),
    (12, "factor 2 missing"): (SOLUTION_12.replace("(2.0 / B)", "(1.0 / B)"), "factor 2 is missing"),
}

# ---- cheats: (exercise, source, a phrase the failure must contain, time limit) ---------------------
CHEATS = {
    "sys.exit(0) in the function": (3, "import sys\ndef penalty_backward(X, W, b_h, activation):\n    sys.exit(0)\n",
                                    "sys.exit(0)"),
    "sys.exit(0) at import": (3, "import sys\nsys.exit(0)\n", "sys.exit(0)"),
    "os._exit(0)": (3, "import os\ndef penalty_backward(X, W, b_h, activation):\n    os._exit(0)\n",
                    "exit status 0 before returning"),
    "importing the solution": (3, "from lessons.exercises.solutions.ex3_penalty_backward import penalty_backward\n",
                               "may not use the library or the solutions"),
    "reading the solution's file": (3, f"exec(open({EXERCISES[3].solution!r}).read())\n",
                                    "may not read the library or the solutions"),
    "calling network.loss_and_grads": (4, f"import sys\nsys.path.insert(0, {ROOT!r})\nfrom cae_scratch.core import network\n"
                                       "def cae_backward(params, X, lam, activation):\n"
                                       "    spec = network.Spec(activation=activation.name, lam=lam)\n"
                                       "    return network.loss_and_grads(params, X, spec)[1]\n",
                                       "import of 'cae_scratch.core' refused"),
    "importing torch": (1, "import torch\n", "numpy and math only"),
    "finite differences through the helpers": (3, src("""
        def penalty_backward(X, W, b_h, activation):
            def P(W, b_h):
                A = X @ W.T + b_h
                D1 = activation.d1(A, activation.f(A))
                return np.sum((D1 * D1) @ np.sum(W * W, axis=1)) / X.shape[0]
            dW, db = np.zeros_like(W), np.zeros_like(b_h)
            for p, g in ((W, dW), (b_h, db)):
                for i in np.ndindex(p.shape):
                    old = p[i]
                    p[i] = old + 1e-6; up = P(W, b_h)
                    p[i] = old - 1e-6; down = P(W, b_h)
                    p[i] = old
                    g[i] = (up - down) / 2e-6
            return dW, db
        """), "the point of this exercise is the derivation"),
    "finite differences with its own sigmoid": (3, src("""
        def penalty_backward(X, W, b_h, activation):
            s = lambda A: 1 / (1 + np.exp(-A))
            def P(W, b_h):
                H = s(X @ W.T + b_h)
                return np.sum((H * (1 - H)) ** 2 @ np.sum(W * W, axis=1)) / X.shape[0]
            dW, db = np.zeros_like(W), np.zeros_like(b_h)
            for p, g in ((W, dW), (b_h, db)):
                for i in np.ndindex(p.shape):
                    e = np.zeros_like(p); e[i] = 1e-6
                    g[i] = ((P(W + e, b_h) - P(W - e, b_h)) if p is W else (P(W, b_h + e) - P(W, b_h - e))) / 2e-6
            return dW, db
        """), "hard-coded"),
    "vectorised finite differences through the helpers": (3, src("""
        def penalty_backward(X, W, b_h, activation):
            h, n = 1e-6, W.size
            E = np.eye(n).reshape((n,) + W.shape) * h
            A = X @ W.T + b_h
            Ap = np.einsum("bj,pkj->pbk", X, W + E) + b_h
            activation.f(Ap)
        """), "stacked, are not an answer here"),
    "finite differences on the large case of exercise 10": (10, src("""
        def mse_decoder_backward(H, W_r, b_r, X):
            L = lambda H, W_r, b_r: np.sum((H @ W_r.T + b_r - X) ** 2) / X.shape[0]
            out = {}
            for name, p in (("W_r", W_r), ("b_r", b_r), ("H", H)):
                g = np.zeros_like(p)
                for i in np.ndindex(p.shape):
                    old = p[i]
                    p[i] = old + 1e-6; up = L(H, W_r, b_r)
                    p[i] = old - 1e-6; down = L(H, W_r, b_r)
                    p[i] = old
                    g[i] = (up - down) / 2e-6
                out[name] = g
            return out
        """), "timed out after 3 s"),
    "patching the grader from inside": (3, src("""
        import sys
        for mod in list(sys.modules.values()):
            for name in ("grade", "grade_file", "check_file", "rel_error", "write_all", "message_bytes"):
                if hasattr(mod, name):
                    try:
                        setattr(mod, name, lambda *a, **k: None)
                    except Exception:
                        pass
        def penalty_backward(X, W, b_h, activation):
            return np.zeros_like(W), np.zeros_like(b_h)
        """), "timed out"),
    "an infinite loop": (3, "def penalty_backward(X, W, b_h, activation):\n    while True:\n        pass\n",
                         "timed out after 1.5 s"),
    "returning NaN": (3, src("def penalty_backward(X, W, b_h, activation):\n"
                             "    return np.full_like(W, np.nan), np.zeros_like(b_h)\n"), "NaN or inf"),
    "an ndarray subclass": (3, src("""
        class Always(np.ndarray):
            def __sub__(self, other):
                return np.zeros_like(other)
        def penalty_backward(X, W, b_h, activation):
            return np.zeros_like(W).view(Always), np.zeros_like(b_h).view(Always)
        """), "ndarray subclass"),
    "the wrong shape": (3, src("def penalty_backward(X, W, b_h, activation):\n"
                               "    return np.zeros_like(W.T), np.zeros_like(b_h)\n"), "transposed?"),
    "float32": (1, src("def sigmoid_backward(dH, H):\n    return (dH * H * (1 - H)).astype(np.float32)\n"),
                "dtype float32"),
    "KeyboardInterrupt": (1, "def sigmoid_backward(dH, H):\n    raise KeyboardInterrupt\n", "KeyboardInterrupt"),
    "writing a file": (1, "open('x.txt', 'w')\n", "may not write files"),
    "a syntax error": (1, "def sigmoid_backward(dH, H:\n", "not valid Python at line 1"),
    "starting a process": (1, "import os\nos.system('python -c 1')\n", "os.system is not allowed"),
}
SHORT = {"an infinite loop": 1.5, "patching the grader from inside": 1.5,
         "finite differences on the large case of exercise 10": 3}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every file below graded once: {(kind, name): Result}."""
    d = tmp_path_factory.mktemp("submissions")
    jobs = []                                        # (key, number, path, timeout)
    for n, ex in EXERCISES.items():
        jobs += [(("solution", n), n, ex.solution, 20), (("template", n), n, ex.template, 20)]
    for (n, name), (source, _) in BUGS.items():
        path = d / f"bug{len(jobs)}.py"
        path.write_text(source if "import numpy" in source else src(source))
        jobs.append((("bug", (n, name)), n, str(path), 20))
    for name, (n, source, _) in CHEATS.items():
        path = d / f"cheat{len(jobs)}.py"
        path.write_text(source)
        jobs.append((("cheat", name), n, str(path), SHORT.get(name, 20)))
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(2) as pool:
        results = pool.map(lambda j: grader.grade_file(j[1], j[2], j[3]), jobs)
        return {j[0]: r for j, r in zip(jobs, results)}


def test_the_registry_numbers_its_exercises_from_1_with_what_the_book_needs():
    assert sorted(EXERCISES) == list(range(1, len(EXERCISES) + 1)) and len(EXERCISES) >= 13
    for n, ex in EXERCISES.items():
        assert ex.number == n and ex.title and ex.function and len(ex.derive_first) > 60
        assert os.path.isfile(ex.template) and os.path.isfile(ex.solution)
        assert "NotImplementedError" in open(ex.template).read() and f"check {n} " in open(ex.template).read()
    assert [EXERCISES[n].function for n in (1, 2, 3, 4)] == [
        "sigmoid_backward", "bce_sigmoid_backward", "penalty_backward", "cae_backward"]


@pytest.mark.parametrize("number", sorted(EXERCISES))
def test_reference_solution_passes(graded, number):
    result = graded["solution", number]
    assert result.passed and result.correct == result.total > 0, result.report()
    assert "RESULT: PASS" in result.report() and "FAIL" not in result.report()


@pytest.mark.parametrize("number", sorted(EXERCISES))
def test_untouched_template_fails_as_a_stub(graded, number):
    result = graded["template", number]
    assert not result.passed and result.correct == 0
    assert "NotImplementedError" in result.first_hint and "stub" in result.first_hint


@pytest.mark.parametrize("key", sorted(BUGS), ids=[f"{n}-{b}" for n, b in sorted(BUGS)])
def test_known_bug_fails_with_its_hint(graded, key):
    result = graded["bug", key]
    assert not result.passed, result.report()
    assert BUGS[key][1] in result.report(), result.report()
    assert "Traceback" not in result.report()


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheat_fails_with_a_clear_message(graded, name):
    result = graded["cheat", name]
    report = result.report()
    assert not result.passed and result.exit_status == 1, report
    assert CHEATS[name][2] in report, report
    assert "Traceback" not in report


def test_exercise_12_uses_the_names_of_the_library_and_exercise_8_the_stable_form():
    library = open(os.path.join(ROOT, "cae_scratch", "core", "tangentprop.py")).read()
    for text in ("G = U W^T", "Z = T V^T", "P = (1/B) sum"):
        assert text in library
        assert text in open(EXERCISES[12].template).read() + open(EXERCISES[12].solution).read()
    assert "S @ V.T" not in open(EXERCISES[12].solution).read()
    eight = open(EXERCISES[8].solution).read()
    assert "np.maximum(Z, 0.0) - X * Z" in eight and "softplus(Z) - X * Z" not in eight


def test_missing_factor_2_has_relative_error_one_third(graded):
    rows = graded["bug", (3, "missing factor 2 (public bug)")].rows
    assert len(rows) == 6 and all(abs(r.error - 1 / 3) < 1e-6 for r in rows)


def test_lam_zero_case_is_not_blamed_when_lam_is_ignored(graded):
    report = graded["bug", (4, "lam ignored")].report()
    assert "reconstruction's backward is wrong" not in report


def test_hints_never_print_the_answer_unless_revealed(graded):
    result = graded["bug", (4, "penalty forgotten")]
    assert "expected:" not in result.report() and "expected:" in result.report(reveal=True)
    for r in graded["bug", (3, "stale W, no q path (public bug)")].rows:
        assert "mean_b s'(a_b)^2) W" not in r.hint


# ---- the command line -----------------------------------------------------------------------------
def cli(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([sys.executable, "-m", "lessons.exercises", *args], cwd=cwd, capture_output=True,
                          text=True, env=env)


def test_cli_check_list_and_exit_codes(tmp_path, capsys):
    ok = cli("check", "2", EXERCISES[2].solution)                   # once through the real entry point
    assert ok.returncode == 0 and "RESULT: PASS" in ok.stdout
    bad = tmp_path / "bad.py"
    bad.write_text(src(BUGS[2, "no mean over the batch"][0]))
    code, out, _ = exercises_main(capsys, "check", "2", str(bad), "--reveal")
    assert code == 1 and "divide by B" in out and "expected:" in out
    code, out, _ = exercises_main(capsys, "list")
    assert code == 0 and all(ex.function in out for ex in EXERCISES.values())
    for args in (("check", "1", str(tmp_path / "missing.py")), ("check", "99", str(bad)),
                 ("check", "1", str(bad), "--timeout", "-1"), ("grade", "1", str(tmp_path / "nowhere")),
                 ("grade", "1", str(bad), "--json", "a.json", "--csv", "b.csv"),
                 ("grade", "1", str(bad), "--csv", str(tmp_path / "no" / "dir.csv")), ("frobnicate",)):
        code, _, err = exercises_main(capsys, *args)
        assert code == 2 and "error" in err and "Traceback" not in err, args


def test_bundle_has_templates_and_no_solutions_and_never_overwrites(tmp_path):
    out = tmp_path / "class"
    made = cli("bundle", str(out))
    assert made.returncode == 0
    names = sorted(os.listdir(out))
    assert names == sorted([ex.filename for ex in EXERCISES.values()] + ["README.txt"])
    for ex in EXERCISES.values():
        assert open(out / ex.filename).read() == open(ex.template).read()
        assert open(out / ex.filename).read() != open(ex.solution).read()
    again = cli("bundle", str(out))
    assert again.returncode == 2 and "not overwriting" in again.stderr


def test_grade_writes_one_row_per_file(tmp_path):
    ok, why = jail.available()
    if not ok:                                   # grade refuses to run without the sandbox (exit 2)
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"no bubblewrap sandbox here: {why}")
    sub = tmp_path / "class"
    (sub / "alice").mkdir(parents=True)
    (sub / "alice" / "ex1.py").write_text(open(EXERCISES[1].solution).read())
    (sub / "bob.py").write_text(src(BUGS[1, "tanh's derivative"][0]))
    (sub / "carol.py").write_text("import os\nos._exit(0)\n")
    table = cli("grade", "1", str(sub), "--json", str(tmp_path / "scores.json"))
    assert table.returncode == 0, table.stderr
    rows = json.loads((tmp_path / "scores.json").read_text())
    by_name = {os.path.basename(r["file"]): r for r in rows}
    assert list(by_name) == ["ex1.py", "bob.py", "carol.py"]       # natural order of the paths (alice/ first)
    ex1, bob, carol = by_name["ex1.py"], by_name["bob.py"], by_name["carol.py"]
    assert ex1["verdict"] == "PASS" and (ex1["correct"], ex1["total"], ex1["percent"]) == (2, 2, 100.0)
    assert bob["verdict"] == "FAIL" and "tanh" in bob["first_hint"]
    assert (carol["correct"], carol["total"]) == (0, 2) and "exit status 0" in carol["first_hint"]
    assert {r["isolation"] for r in rows} == {"bubblewrap sandbox"}
    csv_run = cli("grade", "1", str(sub / "bob.py"), "--csv", str(tmp_path / "s.csv"))
    assert csv_run.returncode == 0
    lines = (tmp_path / "s.csv").read_text().splitlines()
    assert lines[0] == ",".join(batch.COLUMNS) and len(lines) == 2
    assert ",FAIL,0,2,0.0,bubblewrap sandbox," in lines[1]          # numbers a spreadsheet cannot read as a date
