"""Grade a student's exercise file: its own process computes arrays, this process decides.

``grade_file(number, path)`` runs a copy of the file in a fresh ``python -I``
process inside an OS sandbox (jail.py; or, where there is none and the caller
allows it, a plain process) under a time limit and resource limits (runner.py,
sandbox.py), calls the student's function on
small float64 cases, and grades what comes back here, by central finite
differences of the forward loss (never by comparing with a solution): a
quantity passes when rel_error = max|g - n| / max(|g| + |n|) < 1e-7. When it
fails, the hint comes from finite differences of *pieces* of the loss and
from rescalings of the true gradient (diagnosis.py).

``EXERCISES`` maps a number to an Exercise (number, title, function,
template, derive_first, ...). Adding one: a template in templates/, a
solution in solutions/, a ``cases_...`` function (see INSTRUCTORS.md).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import grade_cae, grade_checker, grade_conv, grade_decoder, grade_deep, grade_elementwise, grade_family, \
    grade_penalty, grade_score, jail, runner
from .diagnosis import STEP, TOLERANCE, StudentError, failed_rows

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE_DIR = os.path.join(HERE, "templates")
SOLUTION_DIR = os.path.join(HERE, "solutions")
DEFAULT_TIMEOUT = runner.DEFAULT_TIMEOUT
DEFAULT_MEMORY_MIB = runner.DEFAULT_MEMORY_MIB
SANDBOXED = jail.SANDBOXED


@dataclass(frozen=True)
class Exercise:
    number: int
    function: str                        # the name the student's file must define
    filename: str                        # of the template and of the solution
    title: str
    derive_first: str                    # one paragraph: what to derive on paper before writing code
    cases: Callable = field(repr=False)  # () -> list[diagnosis.Case], drawn afresh for every run
    notes: Callable = field(default=None, repr=False)   # (rows) -> extra hint lines
    graded_by: str = (f"central finite differences of the loss (h = {STEP:g}, float64); pass: relative error "
                      f"< {TOLERANCE:g}")

    @property
    def template(self):
        return os.path.join(TEMPLATE_DIR, self.filename)

    @property
    def solution(self):
        return os.path.join(SOLUTION_DIR, self.filename)


def _ex(number, function, title, derive_first, cases, notes=None, graded_by=None):
    extra = {"graded_by": graded_by} if graded_by else {}
    return Exercise(number, function, f"ex{number}_{function}.py", title, " ".join(derive_first.split()), cases,
                    notes, **extra)


EXERCISES = {e.number: e for e in [
    _ex(1, "sigmoid_backward", "sigmoid backward: dA from dH and H", """
        s'(a) for s(a) = 1/(1 + e^-a), written with h = s(a) only; then the chain rule dL/da = dL/dh * dh/da,
        element by element.""", grade_elementwise.cases_sigmoid_backward),
    _ex(2, "bce_sigmoid_backward", "bce through a sigmoid decoder: dL/dZ", """
        dL/dz for L = (1/B) sum_bj -[x log r + (1 - x) log(1 - r)] with r = sigmoid(z): write log r and
        log(1 - r) in terms of z first, differentiate, and watch the sigmoid's derivative cancel.""",
        grade_elementwise.cases_bce_sigmoid_backward),
    _ex(3, "penalty_backward", "the contractive penalty's backward: dP/dW (two paths), dP/db_h", """
        dP/da_bk for P = (1/B) sum_bk s'(a_bk)^2 q_k (through s'), then dP/dW_kj along both roads by which W
        enters P: through a = W x + b_h and through q_k = sum_j W_kj^2.""",
        grade_penalty.cases_penalty_backward),
    _ex(4, "cae_backward", "the whole tied CAE backward: bce + lam * penalty", """
        The chain rule from L back to W, b_h, b_r for a tied CAE: W is used three times (encoder, decoder,
        q_k), so dW has three terms; the penalty's dA joins the reconstruction's dA before one dA^T X.""",
        grade_cae.cases_cae_backward, grade_cae.global_hints),
    _ex(5, "central_difference", "a central-difference gradient checker", """
        The Taylor expansions of f(x + h e_i) and f(x - h e_i): why (f(x + h e_i) - f(x - h e_i)) / 2h has an
        error of order h^2 while (f(x + h e_i) - f(x)) / h has one of order h, and what rounding adds (~eps/h).""",
        grade_checker.cases_central_difference, graded_by="the exact gradients of three functions, at h = 1e-2 "
        "and 5e-3; pass: relative error < 1e-3 and a measured order of 2 +- 0.3"),
    _ex(6, "encoder_jacobian", "the encoder's Jacobian J = diag(s'(a)) W", """
        dh_k/dx_j for h = s(W x + b_h): one term of the chain rule per entry, so J = diag(s'(a)) W, shape
        (n_hidden, n_visible); then the same for a batch, one J per example.""",
        grade_penalty.cases_encoder_jacobian, graded_by=f"central finite differences of the encoder (h = {STEP:g}, "
        f"float64); pass: relative error < {TOLERANCE:g}"),
    _ex(7, "contractive_penalty", "the contractive penalty's value, in closed form", """
        ||J(x)||_F^2 = sum_kj (s'(a_k) W_kj)^2 = sum_k s'(a_k)^2 q_k with q_k = sum_j W_kj^2: why no Jacobian
        needs to be built; then the mean over the batch.""", grade_penalty.cases_contractive_penalty,
        graded_by=f"the squared norm of a Jacobian built by central finite differences; pass: relative error "
        f"< {TOLERANCE:g}"),
    _ex(8, "bce_from_logits", "the bce loss computed stably from z", """
        log sigmoid(z) and log(1 - sigmoid(z)) in terms of z with softplus(t) = log(1 + e^t); then a way to
        evaluate softplus that never overflows and never loses the small term for large |t|.""",
        grade_elementwise.cases_bce_from_logits, graded_by="the definition evaluated with 60-digit decimals; "
        "pass: relative error < 1e-10"),
    _ex(9, "untied_cae_backward", "the untied CAE backward: separate decoder weights W_r", """
        The chain rule for Z = H W_r^T + b_r with its own W_r: dW_r from the decoder, dW from the encoder and
        the penalty only (no decoder term now), and why the penalty does not touch W_r.""",
        grade_cae.cases_untied_cae_backward, grade_cae.global_hints),
    _ex(10, "mse_decoder_backward", "mse through a linear decoder: dW_r, db_r, dH", """
        dL/dz for L = (1/B) sum_bj (z_bj - x_bj)^2, then through Z = H W_r^T + b_r to W_r, b_r and H (the
        gradient that would flow on into the encoder). Check the shapes of every product.""",
        grade_decoder.cases_mse_decoder_backward),
    _ex(11, "hessian_backward", "CAE+H: the exact Hessian penalty's backward", """
        The Hessian of one unit, d^2 h_k / dx^2 = s''(a_k) w_k w_k^T, and its squared Frobenius norm
        s''(a_k)^2 q_k^2; then dE/da (through s'', which brings in the third derivative) and dE/dW along both
        roads, through a = W x + b_h and through q_k^2 (d q_k^2 / dW_k = 4 q_k W_k).""",
        grade_family.cases_hessian_backward),
    _ex(12, "tangent_backward", "tangent propagation's backward (the Manifold Tangent Classifier)", """
        (d o / d x) u = V (s'(a) * (W u)) for o = V s(W x + b_h) + c; then the gradient of the mean of
        ||V (s'(a) * (W u))||^2 through V, through W twice (inside a via s''(a), and inside W u) and through
        b_h.""", grade_family.cases_tangent_backward),
    _ex(13, "reconstruction_penalty_backward", "the reconstruction-contractive penalty's backward (linear decoder)",
        """
        For r = W_r s(W x + b_h) + b_r: J_r = W_r diag(s'(a)) W and ||J_r||_F^2 = d^T M d with d = s'(a),
        M = (W_r^T W_r) * (W W^T); then dP_r/da (through s', which brings in s''), dP_r/dW along both roads
        (through a = W x + b_h and through the Gram W W^T) and dP_r/dW_r through W_r^T W_r.""",
        grade_score.cases_reconstruction_penalty_backward),
    _ex(14, "deep_penalty_backward", "a deep encoder's penalty by forward mode: the two-layer backward", """
        t_0 = u, t_l = s'(a_l) * (W_l t_{l-1}) gives J_stack u = t_2 without building J; then the gradient of
        P_hat = (1/(B k)) sum ||t_2||^2 backwards through the recursion: to the slopes (s'' appears, and a_1
        reaches a_2 through h_1) and to each W_l, which is used twice (in a_l and in W_l t_{l-1}).""",
        grade_deep.cases_deep_penalty_backward),
    _ex(15, "conv_penalty_backward", "the convolutional penalty's backward: dP/dK (two paths), dP/db_h", """
        A convolution is a matrix M(K), so ||J||_F^2 = sum_cp s'(a_cp)^2 q_cp with q = conv(1_x, K * K), the
        squared row norms of M (taps inside the image only); then dP/da (through s', bringing in s'') and
        dP/dK along both roads, through every a and through q.""", grade_conv.cases_conv_penalty_backward),
]}


@dataclass
class Result:
    """The verdict on one file: every graded row, and why nothing could be graded (``problem``) if so."""
    number: int
    path: str
    rows: list
    problem: str = ""
    notes: list = field(default_factory=list)
    timeout: float = DEFAULT_TIMEOUT
    isolation: str = SANDBOXED           # or "none (why)": the file ran as a plain process

    @property
    def correct(self):
        return sum(r.passed for r in self.rows)

    @property
    def total(self):
        return len(self.rows)

    @property
    def passed(self):
        return self.total > 0 and self.correct == self.total

    @property
    def verdict(self):
        return "PASS" if self.passed else "FAIL"

    @property
    def exit_status(self):
        return 0 if self.passed else 1

    @property
    def first_hint(self):
        if self.problem:
            return self.problem
        return next((r.hint for r in self.rows if not r.passed and r.hint), "") or next(iter(self.notes), "")

    @property
    def where(self):
        why = self.isolation[6:] if self.isolation.startswith("none: ") else self.isolation[5:].strip("()")
        return ("in a bubblewrap sandbox" if self.isolation == SANDBOXED else
                f"NOT isolated ({why}; the in-process guards only catch honest mistakes)")

    def report(self, reveal=False):
        ex = EXERCISES[self.number]
        lines = [f"exercise {ex.number}: {ex.function} -- {ex.title}",
                 f"graded in a separate process, {self.where} (time limit {self.timeout:g} s), against "
                 f"{ex.graded_by}"]
        if self.problem:
            lines.append(f"FAIL: {self.problem}")
        else:
            lines.append(f"{'case':<34} {'output':<9} {'shape':<12} {'error':>9}  result")
            shown = set()
            for r in self.rows:
                if r.error != r.error:                         # NaN: the case could not be graded
                    if r.case not in shown:
                        lines.append(f"{r.case:<34} FAIL: {r.hint}")
                        shown.add(r.case)
                    continue
                lines.append(f"{r.case:<34} {r.param:<9} {str(r.shape):<12} {r.error:>9.2e}  "
                             f"{'pass' if r.passed else 'FAIL'}" + (f"  hint: {r.hint}" if r.hint else ""))
                if reveal and not r.passed and r.expected is not None:
                    lines.append("    expected: " + np.array2string(np.asarray(r.expected), precision=6,
                                                                    threshold=40).replace("\n", "\n    "))
            lines += [f"hint: {n}" for n in self.notes]
        lines.append(f"RESULT: {self.verdict} ({self.correct}/{self.total} correct)")
        return "\n".join(lines)


def sigmoid_only_note(rows):
    by_case = {}
    for r in rows:
        by_case.setdefault(r.case.split(",")[0], []).append(r.passed)
    bad = sorted(c for c, v in by_case.items() if c != "sigmoid" and not all(v))
    if by_case.get("sigmoid") and all(by_case["sigmoid"]) and bad:
        return [f"passes for sigmoid but fails for {', '.join(bad)}: is the sigmoid's derivative h(1-h) "
                "hard-coded? use activation.d1(A, H) and activation.d2(A, H, D1)"]
    return []


def grade_file(number, path, timeout=DEFAULT_TIMEOUT, sandboxed=None, memory_mib=DEFAULT_MEMORY_MIB):
    """Run the file at ``path`` in its own process and grade exercise ``number``: a Result.

    ``sandboxed``: True requires the OS sandbox (a Result with a problem if there is none), False runs a plain
    process, None (``check``) uses the sandbox where there is one.
    """
    ex = EXERCISES[number]
    inside, isolation = jail.choose(sandboxed)
    if inside is None:
        return Result(number, path, [], problem=isolation, timeout=timeout, isolation="none")
    cases = ex.cases()
    calls = [c for case in cases for c in case.calls]
    problem = runner.run_calls(path, ex.function, calls, timeout, inside, memory_mib)
    rows = []
    for case in cases:
        message = ""
        for c in case.calls:
            message = message or c.refused or c.error or (
                "modified its input arrays in place; compute new arrays instead" if c.mutated else "")
            if not message and c.out is None:
                message = problem or "no result came back"
        try:
            rows += failed_rows(case, message) if message else case.grade([c.out for c in case.calls])
        except StudentError as e:
            rows += failed_rows(case, str(e))
    if problem and not any(c.out is not None or c.error for c in calls):
        return Result(number, path, rows, problem=problem, timeout=timeout, isolation=isolation)
    notes = sigmoid_only_note(rows) + (ex.notes(rows) if ex.notes else [])
    return Result(number, path, rows, notes=notes, timeout=timeout, isolation=isolation)


def check_file(number, path, timeout=DEFAULT_TIMEOUT, reveal=False, memory_mib=DEFAULT_MEMORY_MIB):
    """(exit status, report): 0 pass, 1 fail, 2 cannot grade (no such exercise or file)."""
    if number not in EXERCISES:
        return 2, f"no exercise {number}; there are {sorted(EXERCISES)} (python -m lessons.exercises list)"
    if not os.path.lexists(path):
        return 2, f"no such file: {path}"
    result = grade_file(number, path, timeout, None, memory_mib)
    return result.exit_status, result.report(reveal)
