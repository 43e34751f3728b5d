"""Exercises 14 (the two-layer forward-mode penalty's backward) and 15 (the conv penalty's backward): the
reference solutions pass; known-wrong answers fail with their hints."""
import pytest

from lessons.exercises import grader
from lessons.exercises.grader import EXERCISES

SOLUTION = {n: open(EXERCISES[n].solution).read() for n in (14, 15)}
BUGS = {
    (14, "only the path through W t"): SOLUTION[14].replace(
        "dA2 = activation.d2(A2, H2, D2) * np.sum(dT2 * G2, axis=1)", "dA2 = 0.0 * A2").replace(
        "dA1 = activation.d2(A1, H1, D1) * np.sum(dT1 * G1, axis=1)", "dA1 = 0.0 * A1"),
    (14, "only the path through the slopes"): SOLUTION[14].replace(
        'dW2 = np.einsum("nik,nil->kl", dG2, T1)', "dW2 = 0.0 * W2").replace(
        'dW1 = np.einsum("nil,nij->lj", dG1, U)', "dW1 = 0.0 * W1"),
    (14, "a mean over the k probes"): SOLUTION[14].replace("dT2 = (2.0 / (B * k)) * T2", "dT2 = (2.0 / B) * T2"),
    (15, "only the path through a"): SOLUTION[15].replace("return dK + 2.0 * K * corr,", "return dK,"),
    (15, "q path ignores the borders"): SOLUTION[15].replace(
        "corr = np.einsum(\"cyx,tyx->ct\", np.mean(D1 * D1, axis=0), inside).reshape(K.shape)",
        "corr = np.broadcast_to(np.sum(np.mean(D1 * D1, axis=0), axis=(1, 2))[:, None, None], K.shape)"),
    (15, "only the path through q"): SOLUTION[15].replace("return dK + 2.0 * K * corr,", "return 2.0 * K * corr,"),
    (15, "half what it should be"): SOLUTION[15].replace("dA = (2.0 / B)", "dA = (1.0 / B)"),
}


@pytest.mark.parametrize("number", [14, 15])
def test_the_reference_solution_passes(number):
    result = grader.grade_file(number, EXERCISES[number].solution, 20)
    assert result.passed, result.report()


@pytest.mark.parametrize("key", sorted(BUGS), ids=[f"{n}-{h}" for n, h in sorted(BUGS)])
def test_a_known_mistake_fails_with_its_hint(tmp_path, key):
    number, hint = key
    assert BUGS[key] != SOLUTION[number]
    path = tmp_path / "answer.py"
    path.write_text(BUGS[key])
    result = grader.grade_file(number, str(path), 20)
    assert not result.passed and hint in result.report(), result.report()
