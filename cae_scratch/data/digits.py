"""scikit-learn's bundled 8x8 handwritten digits (1797 images, 64 pixels), scaled to [0, 1]."""
from __future__ import annotations

import numpy as np


def _digits_table():
    """The 1797 x 64 pixel values (0..16, float64) and labels, from the file scikit-learn bundles.

    The file is read without importing scikit-learn: importing it loads
    SciPy's own OpenBLAS beside NumPy's, and a second pool of BLAS threads
    competes with NumPy's small LAPACK calls (batched SVDs in ``analysis``).
    scikit-learn's loader is the fallback.
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
