"""Exercise 14 (the two-layer forward-mode penalty's backward): the reference passes; known-wrong answers
fail with their hint."""
import pytest

from lessons.exercises import grader
from lessons.exercises.grader import EXERCISES

SOLUTION = open(EXERCISES[14].solution).read()
BUGS = {
    "only the path through W t": SOLUTION.replace("dA2 = activation.d2(A2, H2, D2) * np.sum(dT2 * G2, axis=1)",
                                                  "dA2 = 0.0 * A2").replace(
        "dA1 = activation.d2(A1, H1, D1) * np.sum(dT1 * G1, axis=1)", "dA1 = 0.0 * A1"),
    "only the path through the slopes": SOLUTION.replace('dW2 = np.einsum("nik,nil->kl", dG2, T1)',
                                                         "dW2 = 0.0 * W2").replace(
        'dW1 = np.einsum("nil,nij->lj", dG1, U)', "dW1 = 0.0 * W1"),
    "a mean over the k probes": SOLUTION.replace("dT2 = (2.0 / (B * k)) * T2", "dT2 = (2.0 / B) * T2"),
}


def test_the_reference_solution_passes():
    result = grader.grade_file(14, EXERCISES[14].solution, 20)
    assert result.passed, result.report()


@pytest.mark.parametrize("name", sorted(BUGS))
def test_a_known_mistake_fails_with_its_hint(tmp_path, name):
    assert BUGS[name] != SOLUTION
    path = tmp_path / "answer.py"
    path.write_text(BUGS[name])
    result = grader.grade_file(14, str(path), 20)
    assert not result.passed and name in result.report(), result.report()
