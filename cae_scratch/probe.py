"""A linear probe: multinomial logistic regression on features, with hand-written gradients.

How much class information a code holds *linearly*: fit softmax regression
on the codes of the training set, report the error on the test set (raw
pixels are the baseline). For features X: (B, n_features), labels y and
one-hot targets Y: (B, n_classes)::

    Z = X V^T + c                  V: (n_classes, n_features)   c: (n_classes,)
    P = softmax(Z)                 the core's cross-entropy pair (``losses``), log-sum-exp stable
    L = mean_n -log P[n, y_n] + (l2 / 2) ||V||_F^2
    dL/dZ = (P - Y) / B        dV = dZ^T X + l2 V        dc = sum_n dZ

The problem is convex, so zero initialisation is fine. Features are
standardised with the training set's mean and standard deviation, computed
scale-free (``standardisation``): features of any scale, 1e-6 or 1e160, meet
the same l2 and give the same probe; a constant feature reads as 0.
Training is full-batch L-BFGS (``lbfgs``) run until max |grad| <= gtol, so the
probe reports the error of the *converged* regression: the error measures the
features, not the optimiser's budget. The solve runs in float64 (in float32 the
objective's rounding stops the line search short of gtol), with the host BLAS
on one thread: each evaluation is two skinny products with the features
(X V^T and dZ^T X, n_classes columns), and on a 2-core machine with other
work running, two threads made them several times slower than one.
``train_probes`` solves a grid of l2 values from the largest down, each warm-
started (solution and curvature memory) from the last. The returned probe
says how it was solved (``LinearProbe.report()``). (``solver="adam"`` keeps
the earlier minibatch Adam, which stops at a noise floor set by lr, batch
size and epochs: on 8x8 digits with l2 = 1e-3 its objective stayed 3 % above
the minimum, on mnist-5k 40-50 %.) Any array-API backend.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import backend, lbfgs, validation as check
from .core.losses import cross_entropy_backward, cross_entropy_forward
from .optim import make_optimizer
from .threads import one_blas_thread

SOLVERS = ("lbfgs", "adam")


def probe_loss_and_grads(params, X, Y, l2=0.0):
    """(L as a 0-d array, {"V": dV, "c": dc}) for params {"V", "c"}, X: (B, n_features), Y one-hot: the core's
    cross-entropy pair on the logits X V^T + c, plus (l2 / 2) ||V||_F^2."""
    xp = backend.namespace(X, params["V"])
    V = params["V"]
    ce, cache = cross_entropy_forward(X @ V.T + params["c"], Y)
    dZ = cross_entropy_backward(cache)
    return ce + (0.5 * l2) * xp.sum(V * V), {"V": dZ.T @ X + l2 * V, "c": xp.sum(dZ, axis=0)}


def standardisation(X):
    """(mean, inv_scale), each (n_features,): Z = (X - mean) * inv_scale has mean 0 and variance 1 per column.

    A constant column (max == min) gets inv_scale 0: it reads as 0, also where it varies later. The result
    does not depend on the columns' scale (X times c > 0 gives the same Z up to rounding): the moments are
    computed on X / max|X|, where no square can overflow or underflow, whatever the features' scale.
    """
    xp = backend.namespace(X)
    constant = xp.max(X, axis=0) == xp.min(X, axis=0)
    one = xp.ones_like(X[0, :])
    unit = xp.where(constant, one, xp.max(xp.abs(X), axis=0))        # > 0 wherever a column varies
    Xn = X / unit
    mu = xp.mean(Xn, axis=0)
    std = xp.where(constant, one, xp.sqrt(xp.mean((Xn - mu) ** 2, axis=0)))
    return mu * unit, xp.where(constant, xp.zeros_like(one), 1.0 / (unit * std))


@dataclass
class LinearProbe:
    """A trained probe: params {"V", "c"} act on standardised features (X - mean) * inv_scale.

    How it was solved: ``solver``, the precision of the solve (``dtype``), and for L-BFGS its stopping
    rule max |grad| <= ``gtol`` (at most ``max_iter`` iterations), whether it was met (``converged``;
    None for Adam, which has no such test), ``grad_max``, ``n_iter``, ``n_evals`` (objective and
    gradient evaluations: two products with the features each) and ``stop`` (why it stopped).
    """
    params: dict
    mean: object
    inv_scale: object
    n_classes: int
    converged: bool | None = None
    grad_max: float = float("nan")
    n_iter: int = 0
    n_evals: int = 0
    stop: str = ""
    solver: str = "lbfgs"
    dtype: str = ""
    gtol: float = float("nan")
    max_iter: int = 0

    def standardise(self, X):
        """(X - mean) * inv_scale for X: (B, n_features), an array of the probe's backend (or a list)."""
        V = self.params["V"]
        X = check.batch(X, backend.namespace(V), V.dtype, backend.device_of(V), V.shape[1], "X",
                        width_name="n_features")
        return (X - self.mean) * self.inv_scale

    def predict(self, X):
        """Predicted class per row: host int array (B,)."""
        Z = self.standardise(X) @ self.params["V"].T + self.params["c"]
        return np.argmax(backend.to_numpy(Z), axis=1)

    def error(self, X, y):
        """Fraction of rows of X whose predicted class differs from y."""
        predicted = self.predict(X)
        return float(np.mean(predicted != check.labels(y, len(predicted), self.n_classes)))

    def report(self):
        """One line: how the probe was solved and whether it met its stopping rule."""
        if self.solver != "lbfgs":
            return f"{self.solver} in {self.dtype}: no convergence test"
        return (f"L-BFGS in {self.dtype}: {self.stop} after {self.n_iter} iterations ({self.n_evals} evaluations), "
                f"max |grad| {self.grad_max:.1e} (gtol {self.gtol:g})")


def _prepare(X, y, n_classes, dtype):
    """(Z standardised in ``dtype`` or X's own floating dtype if None, host labels, n_classes, mean, inv_scale)."""
    if not backend.is_array(X):
        X = np.asarray(X, dtype=np.float64)          # lists and the like
    xp = backend.namespace(X)
    own = X.dtype if xp.isdtype(X.dtype, "real floating") else xp.float64
    X = check.batch(X, xp, own if dtype is None else getattr(xp, dtype), backend.device_of(X),
                    X.shape[1] if X.ndim == 2 else -1, "X", width_name="n_features")
    y = check.labels(y, X.shape[0])
    n_classes = int(y.max()) + 1 if n_classes is None else check.positive_int("n_classes", n_classes)
    check.labels(y, X.shape[0], n_classes)
    mean, inv_scale = standardisation(X)
    return (X - mean) * inv_scale, y, n_classes, mean, inv_scale


def train_probes(X, y, l2s, *, n_classes=None, gtol=1e-5, max_iter=2000, dtype="float64"):
    """{l2: LinearProbe} for each l2 in ``l2s``: full-batch L-BFGS on X: (N, n_features) (any backend).

    The features are standardised once; the l2 values are solved from the largest (the best
    conditioned, fastest) down, each started from the previous solution (a warm start: neighbouring
    minima are close). Each stops when max |grad| <= gtol or after max_iter iterations. ``dtype``:
    the precision of the solve; float64 by default, since in float32 the objective's rounding
    (about 1e-7 of it) hides the last decreases and the line search stops short of gtol.
    """
    l2s = [check.non_negative_float("l2", v) for v in l2s]
    if not l2s:
        raise ValueError("l2s is empty; pass the l2 values to try, e.g. (1e-3, 1e-2)")
    check.choice("dtype", dtype, ("float32", "float64"))
    gtol, max_iter = check.positive_float("gtol", gtol), check.positive_int("max_iter", max_iter)
    Z, y, n_classes, mean, inv_scale = _prepare(X, y, n_classes, dtype)
    xp, device, n_features = backend.namespace(Z), backend.device_of(Z), Z.shape[1]
    Y = check.one_hot(y, len(y), n_classes, xp, Z.dtype, device)
    theta = xp.zeros((n_classes * (n_features + 1),), dtype=Z.dtype, device=device)
    n_V, probes, pairs, last_l2 = n_classes * n_features, {}, [], None

    def unflat(theta):
        return {"V": xp.reshape(theta[:n_V], (n_classes, n_features)), "c": theta[n_V:]}

    for l2 in sorted(set(l2s), reverse=True):
        def f_and_grad(theta, l2=l2):
            loss, g = probe_loss_and_grads(unflat(theta), Z, Y, l2)
            return loss, xp.concat([xp.reshape(g["V"], (-1,)), g["c"]])
        if last_l2 is not None:                    # the l2 term's curvature moves by (l2 - last_l2) on V
            mask = xp.concat([xp.ones((n_V,), dtype=Z.dtype, device=device),
                              xp.zeros((n_classes,), dtype=Z.dtype, device=device)])
            pairs = [(s, y + (l2 - last_l2) * mask * s) for s, y in pairs]
        with one_blas_thread():                    # see the module docstring
            result = lbfgs.minimize(f_and_grad, theta, gtol=gtol, max_iter=max_iter, pairs=pairs)
        theta, pairs, last_l2 = result.x, result.pairs, l2
        probes[l2] = LinearProbe(unflat(theta), mean, inv_scale, n_classes, result.converged, result.grad_max,
                                 result.n_iter, result.n_evals, result.stop, "lbfgs", dtype, gtol, max_iter)
    return {l2: probes[l2] for l2 in l2s}


def train_probe(X, y, *, n_classes=None, l2=1e-4, solver="lbfgs", gtol=1e-5, max_iter=2000, dtype="float64",
                epochs=60, batch_size=128, lr=1e-2, seed=0):
    """Fit a LinearProbe on X: (N, n_features) (any backend) and host labels y: (N,).

    solver="lbfgs" (default): ``train_probes`` with one l2. solver="adam": ``epochs`` of minibatch
    Adam with ``batch_size``, ``lr`` and ``seed`` (the shuffle), in X's own floating dtype.
    """
    check.choice("solver", solver, SOLVERS)
    if solver == "lbfgs":
        return train_probes(X, y, [l2], n_classes=n_classes, gtol=gtol, max_iter=max_iter, dtype=dtype)[l2]
    l2 = check.non_negative_float("l2", l2)
    Z, y, n_classes, mean, inv_scale = _prepare(X, y, n_classes, None)
    xp, device = backend.namespace(Z), backend.device_of(Z)
    Y = check.one_hot(y, len(y), n_classes, xp, Z.dtype, device)
    params = {"V": xp.zeros((n_classes, Z.shape[1]), dtype=Z.dtype, device=device),
              "c": xp.zeros((n_classes,), dtype=Z.dtype, device=device)}
    epochs, batch_size = check.positive_int("epochs", epochs), check.positive_int("batch_size", batch_size)
    opt = make_optimizer("adam", params, check.positive_float("lr", lr))
    gen = backend.rng(seed)
    for _ in range(epochs):
        perm = gen.permutation(Z.shape[0])
        for start in range(0, len(perm), batch_size):
            idx = xp.asarray(perm[start:start + batch_size], device=device)
            _, grads = probe_loss_and_grads(params, xp.take(Z, idx, axis=0), xp.take(Y, idx, axis=0), l2)
            opt.step(params, grads)
    return LinearProbe(params, mean, inv_scale, n_classes, solver="adam", dtype=backend.dtype_name(Z))
