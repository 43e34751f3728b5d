"""The experiment's report: report.md (a table shaped like the paper's Table 1), results.json, PNG figures.

``write_report(results, X_examples, out)`` turns the dict of
``run.run_experiment`` into files; it computes nothing but the
qualitative checks, which read the measured numbers.
"""
from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

from ... import analysis, plots
from .config import RADII, SETTING_NAMES

PAPER_MNIST = {"AE": 1.78, "DAE-g": 1.18, "CAE": 1.14}   # Rifai et al. 2011, Table 1: test error %, fine-tuned MLP


def sensitive_directions(spectrum, threshold=0.1, relative=False):
    """How many singular values of the averaged spectrum are >= threshold (x the largest when ``relative``)."""
    return int(np.sum(spectrum >= threshold * (spectrum[0] if relative else 1.0)))


def claims(rows):
    """The paper's qualitative claims, each as (statement, holds: bool, evidence)."""
    fams = list(rows)
    jac = {f: rows[f]["jacobian_norm"] for f in fams}
    sat = {f: rows[f]["saturation"] for f in fams}
    k_abs = {f: sensitive_directions(rows[f]["spectrum"]) for f in fams}
    k_rel = {f: sensitive_directions(rows[f]["spectrum"], relative=True) for f in fams}
    small_r = {f: rows[f]["contraction"][0] for f in fams}
    cae = rows["CAE"]["contraction"]
    rise, peak = cae.max() / cae[0], int(np.argmax(cae))
    fmt = lambda d, spec: ", ".join(f"{f} {v:{spec}}" for f, v in d.items())
    err = {f: 100 * rows[f]["test_error"] for f in fams}
    return [
        ("CAE has the lowest linear-probe test error", min(err, key=err.get) == "CAE", fmt(err, ".2f") + " (%)"),
        ("CAE and DAE-g beat AE (the paper's ordering)", max(err["CAE"], err["DAE-g"]) < err["AE"],
         fmt({f: err[f] for f in ("AE", "DAE-g", "CAE")}, ".2f") + " (%)"),
        ("CAE has the lowest mean ||J(x)||_F", min(jac, key=jac.get) == "CAE", fmt(jac, ".2f")),
        ("CAE has the most saturated hidden units", max(sat, key=sat.get) == "CAE",
         fmt({f: 100 * v for f, v in sat.items()}, ".1f") + " (%)"),
        ("CAE's singular spectrum falls fastest: fewest singular values >= 0.1 (an input move of length 1 "
         "moves the code by >= 0.1)", k_abs["CAE"] == min(k_abs.values()), fmt(k_abs, "d")),
        ("... and relative to its own largest value: fewest singular values >= 10 % of sigma_1",
         k_rel["CAE"] == min(k_rel.values()), fmt(k_rel, "d")),
        ("CAE contracts most at the smallest radius", min(small_r, key=small_r.get) == "CAE",
         fmt(small_r, ".3f")),
        ("CAE's contraction is strongest locally: its ratio rises with the radius to a maximum at a medium "
         "radius, then falls", rise > 1.05 and 0 < peak < len(cae) - 1,
         f"max ratio / ratio at the smallest radius = {rise:.2f}, maximum at r = {RADII[peak]:.2g}"),
    ]


def _table(results):
    cfg, rows = results["config"], results["rows"]
    pm = lambda r, k, scale=1.0, spec=".2f": (f"{scale * r[k]:{spec}}" + (f" ± {scale * r[k + '_std']:{spec}}"
                                                                       if len(cfg.seeds) > 1 else ""))
    lines = ["| model | setting (selected) | linear-probe test error (%) | mean ‖J(x)‖_F | saturated units (%) "
             "| reconstruction (bce / example) |", "|---|---|---|---|---|---|",
             f"| raw pixels | probe l2 = {results['raw']['l2']:g} | {100 * results['raw']['test_error']:.2f} "
             "| — | — | — |"]
    for f, r in rows.items():
        setting = "—" if f == "AE" else f"{SETTING_NAMES[f]} = {r['setting']:g}"
        lines.append(f"| {f} | {setting}, probe l2 = {r['l2']:g} | {pm(r, 'test_error', 100)} "
                     f"| {pm(r, 'jacobian_norm')} | {pm(r, 'saturation', 100, '.1f')} | {pm(r, 'reconstruction')} |")
    return lines


def _validation_table(results):
    lines = ["| model | setting | validation error (%) per probe l2 |", "|---|---|---|"]
    for f, per_setting in results["validation"].items():
        for s, per_seed in per_setting.items():
            errs = ", ".join(f"l2 {l2:g}: {100 * np.mean([v[l2] for v in per_seed]):.2f}" for l2 in per_seed[0])
            lines.append(f"| {f} | {s:g} | {errs} |")
    return lines


def figures(results, X_examples, out):
    """contraction.png, spectrum.png, filters.png, tangents.png in ``out``; returns their file names."""
    rows = results["rows"]
    line_panel = lambda series, **labels: plots.plot_panels([{"series": series, **labels}], labels.pop("path"),
                                                            width=6.4, height=4.2)
    line_panel({f: (RADII, r["contraction"]) for f, r in rows.items()}, path=os.path.join(out, "contraction.png"),
               xlabel="radius r (input-space distance)", xscale="log",
               ylabel=r"contraction ratio  mean $\|h(x+ru)-h(x)\| / r$",
               title="contraction curves (test inputs, random unit directions u)")
    line_panel({f: (np.arange(1, len(r["spectrum"]) + 1), r["spectrum"]) for f, r in rows.items()},
               path=os.path.join(out, "spectrum.png"), xlabel="index k of the singular value", yscale="log",
               ylabel=r"mean singular value $\sigma_k$ of $J_h(x)$",
               title="averaged singular-value spectrum of the Jacobian (test inputs)")
    n_show = min(24, rows["AE"]["filters"].shape[0])
    plots.plot_image_panels({f"{f}: filters (rows of W)": (r["filters"][:n_show], 6, True) for f, r in rows.items()},
                            os.path.join(out, "filters.png"))
    tangent_rows = [("test inputs x (one column per input)", X_examples, False)]
    for f, r in rows.items():                                    # stacked under the inputs, columns aligned
        V = r["tangents"]                                        # (n_examples, k, n_visible)
        tangent_rows.append((f"{f}: v_1..v_{V.shape[1]}, leading right singular vectors of J(x), one row each",
                             np.transpose(V, (1, 0, 2)).reshape(-1, V.shape[2]), True))
    plots.plot_image_stack(tangent_rows, os.path.join(out, "tangents.png"), n_cols=len(X_examples), tile=0.75)
    return ["contraction.png", "spectrum.png", "filters.png", "tangents.png"]


def write_report(results, X_examples, out):
    """Write report.md, results.json and the figures into ``out``; returns the report's path."""
    os.makedirs(out, exist_ok=True)
    cfg, rows = results["config"], results["rows"]
    side = plots.image_side(X_examples.shape[1])
    names = figures(results, X_examples, out) if side else []
    paper = ", ".join(f"{f} {e:.2f} %" for f, e in PAPER_MNIST.items())
    text = [f"# AE vs DAE vs CAE on {results['dataset']}" + (" (--quick: a smoke test, not a result)"
                                                            if results["quick"] else ""), "",
            f"Command: `python -m cae_scratch experiment --data {results['dataset']}"
            + (" --quick" if results["quick"] else "") + f" --out DIR`; ran in {results['seconds']:.0f} s.", "",
            f"Architecture and budget, the same for every model: {cfg.n_hidden} sigmoid hidden units, tied weights, "
            f"bce loss, Adam lr {cfg.lr:g}, {cfg.epochs} epochs of batches of {cfg.batch_size}, seeds "
            f"{list(cfg.seeds)} (mean ± std over seeds). The linear probe is softmax regression on standardised "
            f"codes ({cfg.probe_epochs} epochs of Adam). Settings and probe l2 were chosen on a held-out 20 % of the "
            "train split (table below); the test split was used only for the numbers reported.", "",
            "## Results (the shape of the paper's Table 1)", "", *_table(results), "",
            f"The paper's Table 1 (MNIST, features fine-tuned in a supervised MLP): {paper} test error. Our probe is "
            "*linear* on frozen codes, so its error measures how linearly separable the codes are, not what "
            "fine-tuning reaches; compare orderings, not absolute numbers. One test example is "
            f"{100 / results['n_test']:.2f} %: differences smaller than the seed-to-seed std are noise.", "",
            f"Saturated: s'(a) <= {4 * analysis.SATURATION_MARGIN * (1 - analysis.SATURATION_MARGIN):.2f} "
            "x max s', i.e. h < 0.05 or h > 0.95 for a sigmoid; averaged over test inputs and hidden units. "
            "‖J(x)‖_F is not squared. Reconstruction: bce summed over pixels, mean over test inputs.", "",
            "## The paper's qualitative claims, checked on these numbers", ""]
    text += [f"- {'yes' if ok else 'NO'}: {claim} — {evidence}" for claim, ok, evidence in claims(rows)]
    text += ["", "## Selection (validation error, mean over seeds)", "", *_validation_table(results), ""]
    text += ["## Figures", ""] + [f"![{n[:-4]}]({n})" for n in names]
    path = os.path.join(out, "report.md")
    with open(path, "w") as fh:
        fh.write("\n".join(text) + "\n")
    with open(os.path.join(out, "results.json"), "w") as fh:
        json.dump(_jsonable({k: v for k, v in results.items()}), fh, indent=1)
    return path


def _jsonable(x):
    if dataclasses.is_dataclass(x):
        return _jsonable(dataclasses.asdict(x))
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items() if k not in ("filters", "tangents")}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in x]
    return float(x) if isinstance(x, (np.floating, np.integer)) else x
