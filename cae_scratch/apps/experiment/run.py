"""AE vs DAE vs CAE, measured as in Rifai et al. (ICML 2011): ``python -m cae_scratch experiment``.

Protocol, the same for every model:

1. Data: a train split (the autoencoders train on it without labels) and a
   test split (every reported number). digits: a seeded 75/25 split of the
   1797 images; MNIST / Fashion-MNIST: their own train / test files.
2. Four families with one architecture (n_visible -> n_hidden sigmoid, tied
   weights, bce), one budget (epochs, batch size, Adam lr) and the same
   seeds: AE (lam=0), DAE-g (gaussian noise, setting = std), DAE-m (masking,
   setting = fraction zeroed), CAE (setting = lam).
3. Selection on validation data only: a seeded 20 % of the train split is
   held out from the *probe* (the autoencoder never sees labels). For every
   family setting and probe l2, a linear probe trained on the codes of the
   other 80 % is scored on that 20 %; the (setting, l2) with the lowest mean
   validation error over the seeds wins.
4. Reported on the test split for each winner (mean +- std over seeds):
   linear-probe error (the probe refit on the codes of the whole train
   split), mean ||J(x)||_F, saturated units, reconstruction bce per example;
   raw pixels as the baseline probe; the figures come from the first seed.
"""
from __future__ import annotations

import time

import numpy as np

from ... import analysis, backend as backends, data, probe, validation as check
from ...model import ContractiveAutoencoder
from .config import FAMILIES, RADII, SETTING_NAMES, config_for, family_kwargs
from .report import write_report

def load_splits(dataset, data_dir=None, download=False, n_train=None):
    """Host arrays X_train, y_train, X_test, y_test in [0, 1] (n_train: the first rows of the train split)."""
    if dataset == "digits":
        Xtr, ytr, Xte, yte = data.load_digits(test_fraction=0.25, seed=0)
    else:
        Xtr, ytr = data.mnist.load_split(dataset, "train", data_dir, download)
        Xte, yte = data.mnist.load_split(dataset, "test", data_dir, download)
    n = len(Xtr) if n_train is None else min(n_train, len(Xtr))
    return Xtr[:n], ytr[:n], Xte, yte


def validation_split(n, fraction=0.2, seed=0):
    """Host index arrays (fit, val): a seeded permutation, its last ``fraction`` held out."""
    perm = np.random.default_rng(seed).permutation(n)
    n_val = max(1, int(round(fraction * n)))
    return np.sort(perm[:-n_val]), np.sort(perm[-n_val:])


def rows(X, index):
    """X[index] for a host index array, on X's backend."""
    xp = backends.namespace(X)
    return xp.take(X, xp.asarray(index, device=backends.device_of(X)), axis=0)


def probe_errors(H, y, fit, val, l2s, epochs, seed):
    """{l2: validation error} of probes trained on H[fit] and scored on H[val]."""
    H_fit, H_val = rows(H, fit), rows(H, val)
    return {l2: probe.train_probe(H_fit, y[fit], l2=l2, epochs=epochs, seed=seed).error(H_val, y[val])
            for l2 in l2s}


def select(validation):
    """The winning (setting, l2) of one family: lowest validation error, mean over seeds.

    validation: {setting: [{l2: error} per seed]}; ties go to the first (weakest) setting.
    """
    scores = {(s, l2): float(np.mean([v[l2] for v in per_seed]))
              for s, per_seed in validation.items() for l2 in per_seed[0]}
    return min(scores, key=scores.get)


def run_experiment(dataset="digits", out="runs/experiment", *, data_dir=None, quick=False, download=False,
                   backend="numpy", dtype="float64", progress=True, log=print):
    """Train, select, measure and report; returns the results dict (also written as report.md + figures)."""
    start = time.perf_counter()
    cfg = config_for(dataset, quick)
    check.choice("dtype", dtype, backends.DTYPES)
    Xtr, ytr, Xte, yte = load_splits(dataset, data_dir, download, cfg.n_train)
    xp = backends.get_namespace(backend)
    Xtr_d, Xte_d = (backends.asarray(X, xp, dtype) for X in (Xtr, Xte))
    fit, val = validation_split(len(Xtr))
    log(f"{dataset}: train {Xtr.shape}, test {Xte.shape}; {len(cfg.seeds)} seed(s), "
        f"{sum(len(v) for v in cfg.grid.values())} settings, {cfg.epochs} epochs each")
    models, validation = {}, {f: {} for f in FAMILIES}
    for family in FAMILIES:
        for setting in cfg.grid[family]:
            for seed in cfg.seeds:
                model = ContractiveAutoencoder(Xtr.shape[1], cfg.n_hidden, backend=backend, dtype=dtype, seed=seed,
                                               **family_kwargs(family, setting))
                model.fit(Xtr_d, epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, seed=seed,
                          progress=progress)
                models[family, setting, seed] = model
                errs = probe_errors(model.encode(Xtr_d), ytr, fit, val, cfg.probe_l2, cfg.probe_epochs, seed)
                validation[family].setdefault(setting, []).append(errs)
            log(f"  {family:5s} {SETTING_NAMES[family]} = {setting:<5g} validation error "
                + ", ".join(f"l2={l2:g}: {100 * np.mean([v[l2] for v in validation[family][setting]]):.2f}%"
                            for l2 in cfg.probe_l2))
    raw_val = probe_errors(Xtr_d, ytr, fit, val, cfg.probe_l2, cfg.probe_epochs, 0)
    raw_l2 = min(raw_val, key=raw_val.get)
    results = {"dataset": dataset, "quick": quick, "config": cfg, "validation": validation, "rows": {},
               "n_test": len(Xte),
               "raw": {"l2": raw_l2, "test_error": probe.train_probe(Xtr_d, ytr, l2=raw_l2, epochs=cfg.probe_epochs)
                       .error(Xte_d, yte)}}
    Xan = Xte_d if cfg.n_analysis is None else Xte_d[:min(cfg.n_analysis, Xte.shape[0]), :]
    for family in FAMILIES:
        setting, l2 = select(validation[family])
        per_seed = [measure(models[family, setting, seed], Xtr_d, ytr, Xte_d, yte, l2, cfg.probe_epochs, seed)
                    for seed in cfg.seeds]
        first = models[family, setting, cfg.seeds[0]]
        results["rows"][family] = {"setting": setting, "l2": l2, "per_seed": per_seed,
                                   **{k: float(np.mean([m[k] for m in per_seed])) for k in per_seed[0]},
                                   **{k + "_std": float(np.std([m[k] for m in per_seed])) for k in per_seed[0]},
                                   **curves(first, Xan)}
        results["rows"][family]["filters"] = backends.to_numpy(first.params["W"])
    results["seconds"] = time.perf_counter() - start
    path = write_report(results, Xte[:5], out)
    log(f"wrote {path} ({results['seconds']:.0f} s)")
    return results


def measure(model, Xtr, ytr, Xte, yte, l2, probe_epochs, seed):
    """The Table-1 numbers of one trained model on the test split (floats)."""
    W, b_h, act = model.params["W"], model.params["b_h"], model.spec.activation
    clf = probe.train_probe(model.encode(Xtr), ytr, l2=l2, epochs=probe_epochs, seed=seed)
    return {"test_error": clf.error(model.encode(Xte), yte),
            "jacobian_norm": analysis.mean_jacobian_norm(W, b_h, Xte, act),
            "saturation": analysis.saturation_fraction(W, b_h, Xte, act),
            "reconstruction": model.loss_terms(Xte)["reconstruction"]}


def curves(model, X):
    """Contraction curve, averaged singular spectrum and tangents of 5 inputs (host arrays)."""
    W, b_h, act = model.params["W"], model.params["b_h"], model.spec.activation
    _, V = analysis.tangent_directions(W, b_h, X[:5, :], act, k=3)
    return {"contraction": analysis.contraction_curve(W, b_h, X, act, RADII, n_directions=4, seed=0),
            "spectrum": analysis.singular_spectrum(W, b_h, X, act), "tangents": backends.to_numpy(V)}
