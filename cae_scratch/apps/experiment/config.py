"""The experiment's settings: the families compared, their grids, budgets and seeds per dataset."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...validation import choice

FAMILIES = ("AE", "DAE-g", "DAE-m", "CAE")
SETTING_NAMES = {"AE": "lam", "DAE-g": "noise std", "DAE-m": "fraction masked", "CAE": "lam"}
RADII = tuple(float(r) for r in np.geomspace(0.01, 20.0, 12))


@dataclass(frozen=True)
class Config:
    """Architecture, budget, seeds and the selection grid of one experiment."""
    n_hidden: int
    epochs: int
    batch_size: int
    lr: float
    seeds: tuple
    grid: dict = field(default_factory=dict)    # family -> settings tried (lam, noise std or fraction)
    probe_l2: tuple = (1e-3, 1e-2)
    probe_epochs: int = 60
    n_train: int | None = None                   # use the first n_train training rows (None: all)
    n_analysis: int | None = None                # test rows for curves and spectra (None: all)


FULL_GRID = {"AE": (0.0,), "DAE-g": (0.1, 0.2, 0.3, 0.5), "DAE-m": (0.1, 0.25, 0.5, 0.75),
             "CAE": (0.01, 0.03, 0.1, 0.3, 1.0)}
CONFIGS = {
    "digits": Config(n_hidden=100, epochs=100, batch_size=32, lr=1e-2, seeds=(0, 1, 2), grid=FULL_GRID),
    # MNIST-sized settings (784 -> 1000 as in the paper); not run on this project's offline machines
    "mnist": Config(n_hidden=1000, epochs=20, batch_size=64, lr=1e-3, seeds=(0,), probe_epochs=30,
                    n_analysis=1000, grid={"AE": (0.0,), "DAE-g": (0.2, 0.4), "DAE-m": (0.25, 0.5),
                                           "CAE": (0.03, 0.1, 0.3)}),
}
CONFIGS["fashion-mnist"] = CONFIGS["mnist"]
QUICK = Config(n_hidden=32, epochs=5, batch_size=64, lr=1e-2, seeds=(0,), probe_l2=(1e-2,), probe_epochs=20,
               n_train=3000, n_analysis=200,
               grid={"AE": (0.0,), "DAE-g": (0.3,), "DAE-m": (0.5,), "CAE": (0.3,)})


def config_for(dataset, quick=False):
    choice("dataset", dataset, list(CONFIGS))
    return QUICK if quick else CONFIGS[dataset]


def family_kwargs(family, setting):
    """Constructor arguments that make ``family`` with its ``setting`` (lam / noise)."""
    kinds = {"AE": dict(lam=0.0), "DAE-g": dict(lam=0.0, corruption="gaussian", noise=setting),
             "DAE-m": dict(lam=0.0, corruption="masking", noise=setting), "CAE": dict(lam=setting)}
    return kinds[choice("family", family, FAMILIES)]
