"""Lesson 07 - train a CAE on the bundled digits, and sweep lam.

What you will do: train L = mean_b bce(x_b, r_b) + lam * mean_b ||J_h(x_b)||_F^2
with Adam on 80% of the 1797 digits, watch both terms fall, look at the
learned filters and the reconstructions of held-out digits, then train the
same model for several lam and measure what the penalty trades for what.
What you will learn: training is the forward pass, the two backward paths
and an optimizer step, repeated; lam buys a smaller ||J_h(x)||_F^2 (a code
that moves less when x moves) with reconstruction error.
What you need: lessons 01-05.

Run:  python lessons/07_train_a_cae_on_digits.py [--quick] [--backend numpy|cupy] [--out DIR]
"""
# %% Setup: when run as a file, make the repository root importable
if __package__ in (None, ""):
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import os

import numpy as np

import cae_scratch as cs
from cae_scratch import data, plots
from lessons._common import lesson_dir, model_kwargs, run_lesson_cli

LAM = 0.1


def train(lam, X_train, n_hidden, epochs, seed, kw):
    model = cs.ContractiveAutoencoder(64, n_hidden, lam=lam, seed=seed, **kw)
    history = model.fit(model.asarray(X_train), epochs=epochs, batch_size=64, lr=1e-2, optimizer="adam",
                        seed=seed, progress=False)
    return model, history


def main(backend="numpy", quick=False, seed=0, out_dir=None):
    out = lesson_dir(out_dir, __file__)
    kw = model_kwargs(backend)
    n_hidden, epochs = (16, 15) if quick else (32, 80)
    lams = [0.0, 0.1, 1.0] if quick else [0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
    X_train, _, X_test, _ = data.load_digits(test_fraction=0.2, seed=seed)
    print(f"train {X_train.shape}, test {X_test.shape}; 64 -> {n_hidden} sigmoid CAE, tied weights, lam = {LAM}")

    # %% 1. Train: each step is forward, backward of both terms, Adam update (model.fit does the loop).
    untrained = cs.ContractiveAutoencoder(64, n_hidden, lam=LAM, seed=seed, **kw)
    before = untrained.loss_terms(untrained.asarray(X_test))
    model, history = train(LAM, X_train, n_hidden, epochs, seed, kw)
    after = model.loss_terms(model.asarray(X_test))
    print(f"{epochs} epochs, batch 64, Adam lr 1e-2. On the held-out digits:")
    for name in ("reconstruction", "contractive", "total"):
        print(f"  {name:<15} before {before[name]:8.3f}   after {after[name]:8.3f}")
    assert history["total"][-1] < history["total"][0] and after["total"] < 0.5 * before["total"]
    figures = [plots.plot_history(history, os.path.join(out, "loss_curves.png"), title=f"CAE, lam = {LAM}"),
               plots.plot_filters_and_reconstructions(model, X_test, os.path.join(out, "filters.png"),
                                                      n_filters=n_hidden, n_examples=10)]

    # %% 2. Sweep lam: same data, seed and epochs; measure both terms on the held-out digits.
    rec, pen = [], []
    print(f"\n{'lam':>6} {'test bce':>9} {'test mean ||J_h(x)||_F^2':>26}")
    for lam in lams:
        m = model if lam == LAM else train(lam, X_train, n_hidden, epochs, seed, kw)[0]
        terms = m.loss_terms(m.asarray(X_test))               # "contractive" is measured even when lam = 0
        rec.append(terms["reconstruction"]); pen.append(terms["contractive"])
        print(f"{lam:>6g} {rec[-1]:>9.3f} {pen[-1]:>26.3f}")
    print("Larger lam: a code less sensitive to its input (smaller ||J_h(x)||_F^2), paid for in reconstruction.")
    assert pen[-1] < 0.5 * pen[0], "the largest lam should at least halve the penalty"
    assert rec[-1] > rec[0], "contraction is paid for in reconstruction error"
    assert np.corrcoef(np.log(np.array(lams[1:])), np.array(pen[1:]))[0, 1] < 0   # the trend, not just the ends
    figures.append(plots.plot_panels([
        {"series": {"test bce": (lams, rec)}, "xscale": "symlog", "linthresh": min(lams[1:]), "xticks": lams,
         "xlabel": "lam (symlog axis: 0 at the left)", "ylabel": "mean bce per digit", "title": "reconstruction error"},
        {"series": {"test mean ||J_h(x)||_F^2": (lams, pen, "o-C1")}, "xscale": "symlog", "linthresh": min(lams[1:]), "xticks": lams,
         "yscale": "log", "xlabel": "lam (symlog axis: 0 at the left)", "ylabel": "mean ||J_h(x)||_F^2",
         "title": "contractive penalty"}], os.path.join(out, "lam_sweep.png"),
        suptitle=f"64->{n_hidden} sigmoid CAE, {epochs} epochs, held-out digits"))

    headline = (f"lam={LAM}: test bce {before['reconstruction']:.1f} -> {after['reconstruction']:.1f} in {epochs} epochs; "
                f"lam {lams[0]:g} -> {lams[-1]:g}: penalty {pen[0]:.1f} -> {pen[-1]:.2f}, bce {rec[0]:.1f} -> {rec[-1]:.1f}")
    return {"headline": headline, "figures": figures, "history": history, "before": before, "after": after,
            "lams": lams, "test_reconstruction": rec, "test_penalty": pen}


if __name__ == "__main__":
    run_lesson_cli(main, __doc__)
