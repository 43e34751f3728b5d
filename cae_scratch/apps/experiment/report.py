"""The experiment's report: report.md (both protocols' tables, the claims), results.json, PNG figures.

``write_report(results, X_examples, out)`` turns the dict of
``run.run_experiment`` into files (``OUTPUTS``, each written whole by the
atomic writer); it computes nothing but the qualitative checks
(``claims``), which read the measured numbers.
"""
from __future__ import annotations

import dataclasses
import os

import numpy as np

from ... import analysis, atomic, plots
from ..outputs import write_json
from .claims import family_claims
from .config import RADII, SETTING_NAMES

PAPER_MNIST = {"AE": 1.78, "DAE-g": 1.18, "CAE": 1.14}   # Rifai et al. 2011, Table 1: test error %, fine-tuned MLP
PAPER_MTC = 0.81                                         # Rifai et al. 2011 (NIPS): MNIST test error %
FIGURES = ("contraction.png", "spectrum.png", "filters.png", "tangents.png")
OUTPUTS = ("report.md", "results.json") + FIGURES          # every file write_report may write


def pm(r, key, scale=1.0, spec=".2f"):
    """'mean ± std' of r[key] (std from r[key + '_std'])."""
    return f"{scale * r[key]:{spec}} ± {scale * r[key + '_std']:{spec}}"


def setting_text(family, setting):
    return "—" if family == "AE" else f"{SETTING_NAMES[family]} = {setting:g}"


def protocols_table(results):
    """Both protocols side by side: the probe on frozen codes and the fine-tuned classifier."""
    rows, ft, mtc = results["rows"], results["finetuned"], results["mtc"]
    lines = ["| model | linear probe: setting (selected) | linear-probe test error (%) "
             "| fine-tuning: setting (selected) | fine-tuned test error (%) |", "|---|---|---|---|---|",
             f"| raw pixels | probe l2 = {results['raw']['l2']:g} | {100 * results['raw']['test_error']:.2f} | — | — |",
             f"| MLP (random init) | — | — | — | {pm(results['mlp'], 'test_error', 100)} |"]
    for f, r in rows.items():
        lines.append(f"| {f} | {setting_text(f, r['setting'])}, probe l2 = {r['l2']:g} | {pm(r, 'test_error', 100)} "
                     f"| {setting_text(f, ft[f]['setting'])} | {pm(ft[f], 'test_error', 100)} |")
    lines.append(f"| MTC, one layer (from the CAE) | — | — | lam = {ft['CAE']['setting']:g}, k = {mtc['k']}, "
                 f"beta = {mtc['beta']:g} | {pm(mtc, 'test_error', 100)} |")
    if "mtc_deep" in results:
        deep = results["mtc_deep"]
        lines += [f"| MLP from the stack (2 CAE+H layers, beta = 0) | — | — | gamma = {deep['gamma']:g} "
                  f"| {pm(results['stack_mlp'], 'test_error', 100)} |",
                  f"| MTC, the paper's (stack of 2 CAE+H layers, tangents of the top layer) | — | — | gamma = "
                  f"{deep['gamma']:g}, k = {deep['k']}, beta = {deep['beta']:g} | {pm(deep, 'test_error', 100)} |"]
    return lines


def geometry_table(results):
    lines = ["| model | setting (probe-selected) | mean ‖J(x)‖_F | mean ‖∂²h/∂x²‖_F² | saturated units (%) "
             "| reconstruction (bce / example) |", "|---|---|---|---|---|---|"]
    for f, r in results["rows"].items():
        lines.append(f"| {f} | {setting_text(f, r['setting'])} | {pm(r, 'jacobian_norm')} "
                     f"| {pm(r, 'hessian_norm_sq', spec='.4g')} | {pm(r, 'saturation', 100, '.1f')} "
                     f"| {pm(r, 'reconstruction')} |")
    return lines


def validation_tables(results):
    lines = ["| model | setting | probe: validation error (%) per l2 | fine-tuned: validation error (%) |",
             "|---|---|---|---|"]
    for f, per_setting in results["validation"].items():
        for s, per_seed in per_setting.items():
            errs = ", ".join(f"l2 {l2:g}: {100 * np.mean([v[l2] for v in per_seed]):.2f}" for l2 in per_seed[0])
            lines.append(f"| {f} | {s:g} | {errs} | {100 * np.mean(results['ft_validation'][f][s]):.2f} |")
    for name in ("mtc", "mtc_deep"):
        if name in results:
            lines += ["", f"| {'MTC' if name == 'mtc' else 'deep MTC'} k | beta | validation error (%) |",
                      "|---|---|---|"]
            lines += [f"| {v['k']} | {v['beta']:g} | {100 * np.mean(v['errors']):.2f} |"
                      for v in results[name]["validation"]]
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
                            os.path.join(out, "filters.png"), n_per_row=len(rows))   # one row: no empty panel
    tangent_rows = [("test inputs x (one column per input)", X_examples, False)]
    for f, r in rows.items():                                    # stacked under the inputs, columns aligned
        V = r["tangents"]                                        # (n_examples, k, n_visible)
        tangent_rows.append((f"{f}: v_1..v_{V.shape[1]}, leading right singular vectors of J(x), one row each",
                             np.transpose(V, (1, 0, 2)).reshape(-1, V.shape[2]), True))
    plots.plot_image_stack(tangent_rows, os.path.join(out, "tangents.png"), n_cols=len(X_examples), tile=0.75)
    return list(FIGURES)


def time_table(results):
    """Each setting's wall time over its seeds, split into training, linear probes and fine-tuning, and
    the rest of the run (data, the baselines, refits on the whole train split, geometry, the MTC)."""
    lines = ["| model | setting | training (s) | linear probes (s) | fine-tuning (s) | total (s) |",
             "|---|---|---|---|---|---|"]
    for f, per_setting in results["seconds_per_setting"].items():
        lines += [f"| {f} | {setting_text(f, s)} | {t['training']:.2f} | {t['probe']:.2f} | {t['finetuning']:.2f} "
                  f"| {t['total']:.2f} |" for s, t in per_setting.items()]
    settings = sum(t["total"] for per in results["seconds_per_setting"].values() for t in per.values())
    rest = results["seconds"] - settings
    lines.append(f"| everything else | data, baselines, refits, geometry, the MTC | — | — | — | {rest:.2f} |")
    return lines


def budget_text(results):
    cfg = results["config"]
    return (f"Architecture and budget, the same for every model: {cfg.n_hidden} sigmoid hidden units, tied weights, "
            f"bce loss, Adam lr {cfg.lr:g}, {cfg.epochs} epochs of batches of {cfg.batch_size}; seeds "
            f"{list(cfg.seeds)}, every number is mean ± std over them. CAE+H: lam fixed at {cfg.caeh_lam:g}, the "
            f"stochastic Hessian term with sigma = {cfg.hessian_noise:g} and {cfg.hessian_copies} perturbed copies "
            "per example, gamma selected. Linear probe: softmax regression on standardised frozen codes, "
            "full-batch L-BFGS run to convergence (max |grad| <= 1e-5). Fine-tuning: the encoder's W, b_h plus a "
            f"softmax layer (TangentClassifier, beta = 0), all trained for {cfg.ft_epochs} epochs of Adam, lr "
            f"{cfg.ft_lr:g}, batches of {cfg.ft_batch_size}; the MLP from random init and the MTC get the same "
            f"budget (MTC: tangents U = the CAE's top-k right singular vectors of J(x), k in {list(cfg.mtc_k)}, "
            f"beta in {list(cfg.mtc_beta)}; the paper's MTC: a stack of two CAE+H layers, the selected CAE+H "
            "and a second layer with its settings trained greedily on its codes for the same epochs, tangents "
            "from the top layer's J_stack = J_2 J_1, both hidden layers and the softmax layer fine-tuned with "
            "tangent propagation, and the same deep MLP without tangents as its control). Selection: on a "
            f"held-out {results['n_validation']} of the "
            f"{results['n_train']} training rows, by each protocol's own validation error (tables at the end); "
            f"the {results['n_test']} test rows were used only for the numbers reported.")


def write_report(results, X_examples, out):
    """Write report.md, results.json and the figures into ``out`` (each atomically); returns the report's path."""
    os.makedirs(out, exist_ok=True)
    side = plots.image_side(X_examples.shape[1])
    names = figures(results, X_examples, out) if side else []
    paper = ", ".join(f"{f} {e:.2f} %" for f, e in PAPER_MNIST.items())
    raw = results["raw"]
    text = [f"# AE, DAE, CAE and CAE+H on {results['dataset']}" + (" (--quick: a smoke test, not a result)"
                                                                  if results["quick"] else ""), "",
            f"Command: `python -m cae_scratch experiment --data {results['dataset']}"
            + (" --quick" if results["quick"] else "") + (f" --seed {results['seed']}" if results["seed"] else "")
            + f" --out DIR`; ran in {results['seconds']:.0f} s.", "",
            budget_text(results), "",
            "## Classification: both protocols", "", *protocols_table(results), "",
            f"The papers (MNIST, 50,000 training digits, 1000 units): Table 1 of Rifai et al. (ICML 2011), "
            f"fine-tuned: {paper}; the MTC (NIPS 2011): {PAPER_MTC:.2f} %. One test example here is "
            f"{100 / results['n_test']:.2f} %: differences smaller than the seed-to-seed std are noise. The raw-pixel "
            f"probe {'converged' if raw['converged'] else 'did NOT converge'}.", "",
            "## Geometry of the codes (probe-selected models, test inputs)", "", *geometry_table(results), "",
            f"Saturated: s'(a) <= {4 * analysis.SATURATION_MARGIN * (1 - analysis.SATURATION_MARGIN):.2f} "
            "x max s', i.e. h < 0.05 or h > 0.95 for a sigmoid; averaged over test inputs and hidden units. "
            "‖J(x)‖_F is not squared; the Hessian norm is the exact one-layer closed form, squared. "
            "Reconstruction: bce summed over pixels, mean over test inputs.", "",
            "## The papers' claims, checked on these numbers", ""]
    text += [f"- {'yes' if ok else 'NO'}: {claim} — {evidence}" for claim, ok, evidence in family_claims(results)]
    text += ["", "## Selection (validation error, mean over seeds)", "", *validation_tables(results), ""]
    text += ["## Time per setting (wall clock, all seeds together)", "", *time_table(results), ""]
    text += ["## Figures", ""] + [f"![{n[:-4]}]({n})" for n in names]
    write_json(os.path.join(out, "results.json"), _jsonable(results))
    return atomic.write_text(os.path.join(out, "report.md"), "\n".join(text) + "\n")   # last: the run's summary


def _jsonable(x):
    if dataclasses.is_dataclass(x):
        return _jsonable(dataclasses.asdict(x))
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items() if k not in ("filters", "tangents")}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in x]
    return float(x) if isinstance(x, (np.floating, np.integer)) else x
