"""A linear probe: multinomial logistic regression on features, with hand-written gradients.

How much class information a code holds *linearly*: fit softmax regression
on the codes of the training set, report the error on the test set (raw
pixels are the baseline). For features X: (B, n_features), labels y and
one-hot targets Y: (B, n_classes)::

    Z = X V^T + c                  V: (n_classes, n_features)   c: (n_classes,)
    P = softmax(Z)                 computed as exp(log_softmax(Z)), log-sum-exp stable
    L = mean_b -log P[b, y_b] + (l2 / 2) ||V||_F^2
    dL/dZ = (P - Y) / B        dV = dZ^T X + l2 V        dc = sum_b dZ

The problem is convex, so zero initialisation is fine. Features are
standardised with the training set's mean and std (so pixels and codes of
any scale meet the same lr and l2). Training is minibatch Adam
(``optim``), shuffled on the host from the seed; any array-API backend.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import backend, validation as check
from .optim import make_optimizer


def log_softmax(Z):
    """Z - logsumexp(Z) row by row: (B, n_classes); never overflows."""
    xp = backend.namespace(Z)
    Zs = Z - xp.max(Z, axis=1, keepdims=True)
    return Zs - xp.log(xp.sum(xp.exp(Zs), axis=1, keepdims=True))


def probe_loss_and_grads(params, X, Y, l2=0.0):
    """(L as a 0-d array, {"V": dV, "c": dc}) for params {"V", "c"}, X: (B, n_features), Y one-hot."""
    xp = backend.namespace(X, params["V"])
    V = params["V"]
    logP = log_softmax(X @ V.T + params["c"])
    B = X.shape[0]
    loss = -xp.sum(Y * logP) / B + (0.5 * l2) * xp.sum(V * V)
    dZ = (xp.exp(logP) - Y) / B
    return loss, {"V": dZ.T @ X + l2 * V, "c": xp.sum(dZ, axis=0)}


def one_hot(y, n_classes, xp, dtype, device=None):
    """Y: (B, n_classes) with Y[b, y_b] = 1, built on the host from integer labels."""
    return backend.asarray(np.eye(n_classes)[np.asarray(y)], xp, dtype, device)


def _labels(y, n_rows, n_classes=None):
    """Host int labels 0..n_classes-1 for n_rows examples (ValueError saying what is wrong)."""
    y = np.asarray(backend.to_numpy(y))
    if y.ndim != 1 or len(y) != n_rows:
        raise ValueError(f"y must be 1-D with one label per row of X ({n_rows}), got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or (len(y) and y.min() < 0):
        raise ValueError("y must hold integer class labels 0, 1, ..., n_classes - 1")
    if n_classes is not None and len(y) and y.max() >= n_classes:
        raise ValueError(f"label {int(y.max())} is out of range for n_classes={n_classes}")
    return y.astype(np.int64)


@dataclass
class LinearProbe:
    """A trained probe: params {"V", "c"} act on standardised features (X - mean) / scale."""
    params: dict
    mean: object
    scale: object
    n_classes: int

    def _features(self, X):
        V = self.params["V"]
        X = check.batch(X, backend.namespace(V), V.dtype, backend.device_of(V), V.shape[1], "X",
                        width_name="n_features")
        return (X - self.mean) / self.scale

    def predict(self, X):
        """Predicted class per row: host int array (B,)."""
        Z = self._features(X) @ self.params["V"].T + self.params["c"]
        return np.argmax(backend.to_numpy(Z), axis=1)

    def error(self, X, y):
        """Fraction of rows of X whose predicted class differs from y."""
        y = _labels(y, X.shape[0], self.n_classes)
        return float(np.mean(self.predict(X) != y))


def train_probe(X, y, *, n_classes=None, l2=1e-4, epochs=60, batch_size=128, lr=1e-2, seed=0):
    """Fit a LinearProbe on X: (N, n_features) (any backend) and host labels y: (N,)."""
    if not backend.is_array(X):
        X = np.asarray(X, dtype=np.float64)          # lists and the like
    xp = backend.namespace(X)
    dtype = X.dtype if xp.isdtype(X.dtype, "real floating") else xp.float64
    X = check.batch(X, xp, dtype, backend.device_of(X), X.shape[1] if X.ndim == 2 else -1, "X",
                    width_name="n_features")
    y = _labels(y, X.shape[0])
    n_classes = int(y.max()) + 1 if n_classes is None else check.positive_int("n_classes", n_classes)
    _labels(y, X.shape[0], n_classes)
    l2 = check.non_negative_float("l2", l2)
    epochs, batch_size = check.positive_int("epochs", epochs), check.positive_int("batch_size", batch_size)
    device = backend.device_of(X)
    mean = xp.mean(X, axis=0)
    scale = xp.sqrt(xp.mean((X - mean) ** 2, axis=0) + 1e-6)   # constant features (image borders) stay 0
    Xs = (X - mean) / scale
    Y = one_hot(y, n_classes, xp, dtype, device)
    params = {"V": xp.zeros((n_classes, X.shape[1]), dtype=dtype, device=device),
              "c": xp.zeros((n_classes,), dtype=dtype, device=device)}
    opt = make_optimizer("adam", params, check.positive_float("lr", lr))
    gen = backend.rng(seed)
    for _ in range(epochs):
        perm = gen.permutation(X.shape[0])
        for start in range(0, len(perm), batch_size):
            idx = xp.asarray(perm[start:start + batch_size], device=device)
            _, grads = probe_loss_and_grads(params, xp.take(Xs, idx, axis=0), xp.take(Y, idx, axis=0), l2)
            opt.step(params, grads)
    return LinearProbe(params, mean, scale, n_classes)
