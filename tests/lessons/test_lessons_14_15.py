"""Lessons 14 (sampling from a CAE) and 15 (what the reconstruction learns) run quick through the runner,
assert their claims, write their figures, and have the literate shape (notebook, questions and answers).

The bounds follow from the math each lesson derives (the two-product step = the explicit J J^T eps, the
share of the noise's energy on the top singular vectors = its closed form, the closed-form penalty = the
explicit J_r, hand gradients = finite differences, a known-wrong gradient rejected), and from the orderings
the lessons measure and assert themselves; never hard-coded measurements and never timings. Both also
run on array_api_strict's Device("device1"), which refuses implicit NumPy conversion as a GPU array does.
"""
import os

import pytest

from lessons.__main__ import LESSON_DIR, run_lesson

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FIGURES = {"14_sample_from_a_cae": {"chains.png", "controls.png", "regimes.png"},
           "15_what_the_reconstruction_learns": {"fields.png"}}


def run(name, tmp_path, backend="numpy"):
    """Run one lesson quick; check it announced exactly its figures, each a drawn PNG; returns its result."""
    lesson = run_lesson(name, backend=backend, quick=True, seed=0, out_dir=str(tmp_path), quiet=True)
    assert lesson.quick and lesson.backend == backend and lesson.headline
    assert {os.path.basename(f) for f in lesson.figures} == FIGURES[name]
    for path in lesson.figures:
        with open(path, "rb") as fh:
            assert fh.read(8) == PNG_MAGIC, path
        assert os.path.getsize(path) > 10_000, path
    return lesson.result


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict:device1"])
def test_14_step_share_regimes_and_controls(tmp_path, backend):
    r = run("14_sample_from_a_cae", tmp_path, backend)
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


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict:device1"])
def test_15_score_closed_form_and_fields(tmp_path, backend):
    r = run("15_what_the_reconstruction_learns", tmp_path, backend)
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


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FIGURES))
def test_lesson_runs_as_a_notebook_cell_by_cell(name, tmp_path, monkeypatch):
    """jupytext turns the file into a notebook; nbclient runs its cells one at a time in a fresh kernel."""
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    root = os.path.dirname(LESSON_DIR)
    monkeypatch.setenv("CAE_LESSON_QUICK", "1")
    monkeypatch.setenv("CAE_LESSON_OUT", str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    nb = jupytext.read(os.path.join(LESSON_DIR, f"{name}.py"))
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": root}}).execute()
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                if o.get("output_type") == "error"]
    assert {f for f in os.listdir(tmp_path) if f.endswith(".png")} == FIGURES[name]
