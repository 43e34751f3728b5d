"""Exercise 15 (the conv penalty's backward): the reference passes; known-wrong answers fail with their hint."""
import pytest

from lessons.exercises import grader
from lessons.exercises.grader import EXERCISES

SOLUTION = open(EXERCISES[15].solution).read()
BUGS = {
    "only the path through a": SOLUTION.replace("return dK + 2.0 * K * corr,", "return dK,"),
    "q path ignores the borders": SOLUTION.replace(
        "corr = np.einsum(\"cyx,tyx->ct\", np.mean(D1 * D1, axis=0), inside).reshape(K.shape)",
        "corr = np.broadcast_to(np.sum(np.mean(D1 * D1, axis=0), axis=(1, 2))[:, None, None], K.shape)"),
    "only the path through q": SOLUTION.replace("return dK + 2.0 * K * corr,", "return 2.0 * K * corr,"),
    "half what it should be": SOLUTION.replace("dA = (2.0 / B)", "dA = (1.0 / B)"),
}


def test_the_reference_solution_passes():
    result = grader.grade_file(15, EXERCISES[15].solution, 20)
    assert result.passed, result.report()


@pytest.mark.parametrize("name", sorted(BUGS))
def test_a_known_mistake_fails_with_its_hint(tmp_path, name):
    assert BUGS[name] != SOLUTION
    path = tmp_path / "answer.py"
    path.write_text(BUGS[name])
    result = grader.grade_file(15, str(path), 20)
    assert not result.passed
    assert name.split(":")[0] in result.report() or name in result.first_hint, result.report()
