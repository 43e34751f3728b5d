"""Datasets, offline by default. Arrays are NumPy float64 on the host, scaled to [0, 1].

- ``load_digits()``: scikit-learn's bundled 8x8 handwritten digits (1797 images,
  64 pixels), pixel values 0..16 divided by 16.
"""
from __future__ import annotations

import numpy as np

DATASETS = ("digits",)


def load_digits(return_labels=False, seed=None, test_fraction=None):
    """X: (1797, 64) in [0, 1]; with ``return_labels``, also y: (1797,) ints 0..9.

    With ``test_fraction`` (and a ``seed`` for the shuffle) returns
    (X_train, y_train, X_test, y_test) instead.
    """
    from sklearn.datasets import load_digits as _sk_digits   # bundled with scikit-learn: no download
    bunch = _sk_digits()
    X, y = bunch.data.astype(np.float64) / 16.0, bunch.target.astype(np.int64)
    if test_fraction is not None:
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
        perm = np.random.default_rng(seed if seed is not None else 0).permutation(len(X))
        n_test = int(round(test_fraction * len(X)))
        test, train = perm[:n_test], perm[n_test:]
        return X[train], y[train], X[test], y[test]
    return (X, y) if return_labels else X


def load(name, **kwargs):
    """A dataset by name (ValueError listing the valid names)."""
    loaders = {"digits": load_digits}
    if name not in loaders:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(loaders)}")
    return loaders[name](**kwargs)
