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
any scale meet the same l2). Training is full-batch L-BFGS (``lbfgs``) run
until max |grad| <= gtol, so the probe reports the error of the *converged*
regression: the error measures the features, not the optimiser's budget.
(``solver="adam"`` keeps the earlier minibatch Adam, which stops at a noise
floor set by lr, batch size and epochs: on 8x8 digits with l2 = 1e-3 its
objective stayed 3 % above the minimum, on mnist-5k 40-50 %.) Any array-API backend.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import backend, lbfgs, validation as check
from .core.losses import log_softmax
from .optim import make_optimizer

SOLVERS = ("lbfgs", "adam")


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
    """A trained probe: params {"V", "c"} act on standardised features (X - mean) / scale.

    ``converged``: L-BFGS reached max |grad| <= gtol (``grad_max``, after ``n_iter``
    iterations); None for the Adam solver, which has no such test.
    """
    params: dict
    mean: object
    scale: object
    n_classes: int
    converged: bool | None = None
    grad_max: float = float("nan")
    n_iter: int = 0

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


def train_probe(X, y, *, n_classes=None, l2=1e-4, solver="lbfgs", gtol=1e-5, max_iter=2000,
                epochs=60, batch_size=128, lr=1e-2, seed=0):
    """Fit a LinearProbe on X: (N, n_features) (any backend) and host labels y: (N,).

    solver="lbfgs" (default): full batch, until max |grad| <= gtol or max_iter
    iterations (``probe.converged`` says which). solver="adam": ``epochs`` of
    minibatch Adam with ``batch_size``, ``lr`` and ``seed`` (the shuffle).
    """
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
    check.choice("solver", solver, SOLVERS)
    device = backend.device_of(X)
    mean = xp.mean(X, axis=0)
    scale = xp.sqrt(xp.mean((X - mean) ** 2, axis=0) + 1e-6)   # constant features (image borders) stay 0
    Xs = (X - mean) / scale
    Y = one_hot(y, n_classes, xp, dtype, device)
    params = {"V": xp.zeros((n_classes, X.shape[1]), dtype=dtype, device=device),
              "c": xp.zeros((n_classes,), dtype=dtype, device=device)}
    if solver == "lbfgs":
        return _fit_lbfgs(params, Xs, Y, l2, check.positive_float("gtol", gtol),
                          check.positive_int("max_iter", max_iter), mean, scale, n_classes)
    epochs, batch_size = check.positive_int("epochs", epochs), check.positive_int("batch_size", batch_size)
    opt = make_optimizer("adam", params, check.positive_float("lr", lr))
    gen = backend.rng(seed)
    for _ in range(epochs):
        perm = gen.permutation(X.shape[0])
        for start in range(0, len(perm), batch_size):
            idx = xp.asarray(perm[start:start + batch_size], device=device)
            _, grads = probe_loss_and_grads(params, xp.take(Xs, idx, axis=0), xp.take(Y, idx, axis=0), l2)
            opt.step(params, grads)
    return LinearProbe(params, mean, scale, n_classes)


def _fit_lbfgs(params, Xs, Y, l2, gtol, max_iter, mean, scale, n_classes):
    """Full-batch L-BFGS on the flat vector theta = [V.ravel(), c]."""
    xp = backend.namespace(Xs)
    n_V = n_classes * Xs.shape[1]

    def unflat(theta):
        return {"V": xp.reshape(theta[:n_V], (n_classes, Xs.shape[1])), "c": theta[n_V:]}

    def f_and_grad(theta):
        loss, g = probe_loss_and_grads(unflat(theta), Xs, Y, l2)
        return loss, xp.concat([xp.reshape(g["V"], (-1,)), g["c"]])

    theta0 = xp.concat([xp.reshape(params["V"], (-1,)), params["c"]])
    result = lbfgs.minimize(f_and_grad, theta0, gtol=gtol, max_iter=max_iter)
    return LinearProbe(unflat(result.x), mean, scale, n_classes, result.converged, result.grad_max, result.n_iter)
