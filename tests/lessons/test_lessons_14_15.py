"""Lessons 14 (sampling from a CAE) and 15 (what the reconstruction learns) assert their claims in quick
mode, write their figures, and have the literate shape (notebook header, questions, answers, sources).

The bounds follow from the math each lesson derives (the two-product step = the explicit J J^T eps, the
share of the noise's energy on the top singular vectors = its closed form, the closed-form penalty = the
explicit J_r, hand gradients = finite differences, a known-wrong gradient rejected), and from the orderings
the lessons measure and assert themselves; never hard-coded measurements and never timings. The numpy run
is the book build's (``lesson_run``, tests/conftest.py, which also checks every figure is a drawn PNG and
every PNG written was announced); both also run in this process on array_api_strict's Device("device1"),
which refuses implicit NumPy conversion as a GPU array does.
"""
import os

import pytest

from lessons.__main__ import LESSON_DIR

FIGURES = {"14_sample_from_a_cae": {"chains.png", "controls.png", "regimes.png"},
           "15_what_the_reconstruction_learns": {"fields.png"}}


def run(lesson_run, name, backend="numpy"):
    """The result of one quick run of a lesson (see ``lesson_run``), after checking it drew exactly its figures."""
    record = lesson_run(name, backend)
    assert {os.path.basename(f) for f in record["figures"]} == FIGURES[name]
    return record["result"]


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict:device1"])
def test_14_step_share_regimes_and_controls(lesson_run, backend):
    r = run(lesson_run, "14_sample_from_a_cae", backend)
    assert r["step_error"] < 1e-12 and r["share_error"] < 0.03
    assert r["share"] > 3 * r["isotropic_share"]                     # J J^T eps prefers the top v_i
    taus, table = r["taus"], r["table"]
    cae = {t: table[f"CAE, {t}"] for t in taus}
    frozen, mixing, off = cae[taus[0]], cae[r["tau_mix"]], cae[taus[-1]]
    assert taus[0] < r["tau_mix"] < taus[-1]
    assert frozen["classes"] <= 2.0 and frozen["step"] < mixing["step"] / 3
    assert mixing["classes"] > frozen["classes"] + 0.5 and off["distance"] > 1.5 * frozen["distance"]
    assert table[f"isotropic, {r['tau_mix']}"]["rec"] > mixing["rec"]
    assert all(1.0 <= m["classes"] <= 10.0 and m["distance"] > 0 for m in table.values())


# Lesson 15 on device1 costs about a minute (array_api_strict's per-operation overhead in its training
# loops): it runs with -m slow; its library functions are held to NumPy on every backend in the default
# suite (tests/test_sampling.py, tests/core/test_reconstruction_penalty.py).
@pytest.mark.parametrize("backend", ["numpy", pytest.param("array_api_strict:device1", marks=pytest.mark.slow)])
def test_15_score_closed_form_and_fields(lesson_run, backend):
    r = run(lesson_run, "15_what_the_reconstruction_learns", backend)
    assert r["score_error"] < 1e-7 and r["closed_error"] < 1e-12 and r["grad_error"] < 1e-7
    assert r["wrong_error"] > 1e-2                                   # the W_r path dropped: rejected
    cos_tau, len_tau = r["dae"]["0.3"]["p_tau"]
    assert cos_tau > 0.8 and 0.7 < len_tau < 1.2                    # Tweedie's optimum, found
    assert r["dae"]["0.3"]["p"][1] < 0.75                            # the small-noise limit's length: not
    assert r["cae_untied"]["J"] < 0.1 * r["cae_tied"]["J"] and r["cae_untied"]["J_r"] > 1.8
    assert r["rcae"][0] > 0.8 and r["rcae"][0] > r["cae_tied"]["field"][0] + 0.2


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_questions_answers_sources_and_header(name):
    text = open(os.path.join(LESSON_DIR, f"{name}.py")).read()
    assert text.startswith("# ---\n# jupyter:") and "kernelspec:" in text.split("# %%")[0]
    asked, answered = text.index("## Questions"), text.index("## Answers")
    assert asked < answered < text.index("## Sources")
    for n in (1, 2, 3):
        assert text.index(f"**Question {n}.**") < answered < text.index(f"**{n}.**", answered)
    assert all(len(line) <= 120 for line in text.splitlines())
