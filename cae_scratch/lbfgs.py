"""Full-batch L-BFGS (Nocedal & Wright, Algorithm 7.4/7.5) on a flat parameter vector, any array-API backend.

For the linear probe's convex, l2-regularised objective minibatch Adam at a
fixed step size never settles: it hovers at a noise floor whose height
depends on lr, batch size and epochs. L-BFGS on the full batch converges to
the minimum, and says so: it stops when max |grad| <= gtol.

    direction  p = -H g, H g by the two-loop recursion over the last m pairs
               s_i = x_{i+1} - x_i, y_i = g_{i+1} - g_i, H_0 = (s.y / y.y) I
    step       backtracking from t = 1 until the Armijo condition
               f(x + t p) <= f(x) + c1 t g.p holds (t halves)

Pairs with s.y <= 0 (no curvature information) are skipped, so H stays
positive definite. It stops for one of three reasons, named in ``Result.stop``:
max |grad| <= gtol (converged); no decrease along the direction in
``max_halvings`` halvings (the objective's rounding hides what is left);
``max_iter`` iterations. Scalars leave the device through ``float`` a few
times per iteration; vectors stay where x is.
"""
from __future__ import annotations

from dataclasses import dataclass

from .backend import namespace


@dataclass
class Result:
    x: object             # the minimiser (same backend and shape as x0)
    fun: float            # f(x)
    grad_max: float       # max |grad f(x)|
    n_iter: int
    converged: bool       # grad_max <= gtol
    n_evals: int = 0      # calls of f_and_grad
    stop: str = ""        # why it stopped (see the module docstring)
    pairs: list = None    # the last m (s, y) pairs: a warm start's curvature memory


def _dot(a, b):
    return float(namespace(a).sum(a * b))


def minimize(f_and_grad, x0, *, gtol=1e-6, max_iter=1000, m=10, c1=1e-4, max_halvings=40, pairs=()):
    """Minimise f from x0: (n,); ``f_and_grad(x) -> (f as a float or 0-d array, grad (n,))``.

    ``pairs``: (s, y) pairs to start the curvature memory from (a neighbouring problem's ``Result.pairs``).
    """
    xp = namespace(x0)
    x = x0
    fx, g = f_and_grad(x)
    fx, n_evals = float(fx), 1
    pairs = [(s, y, 1.0 / sy) for s, y in pairs if (sy := _dot(s, y)) > 0.0][-m:]   # (s, y, 1 / s.y), newest last
    for it in range(max_iter):
        grad_max = float(xp.max(xp.abs(g)))
        if grad_max <= gtol:
            return Result(x, fx, grad_max, it, True, n_evals, "max |grad| <= gtol", _memory(pairs))
        q, alphas = g, []
        for s, y, rho in reversed(pairs):           # first loop: newest to oldest
            a = rho * _dot(s, q)
            alphas.append(a)
            q = q - a * y
        if pairs:
            s, y, _ = pairs[-1]
            q = q * (_dot(s, y) / _dot(y, y))
        else:
            q = q / max(grad_max, 1.0)              # first step: no longer than 1 along any axis
        for (s, y, rho), a in zip(pairs, reversed(alphas)):   # second loop: oldest to newest
            q = q + (a - rho * _dot(y, q)) * s
        p = -q
        slope = _dot(g, p)
        if slope >= 0.0:                            # not a descent direction (rounding): restart from -g
            pairs, p = [], -g / max(grad_max, 1.0)
            slope = _dot(g, p)
        t = 1.0
        for _ in range(max_halvings):
            x_new = x + t * p
            f_new, g_new = f_and_grad(x_new)
            f_new, n_evals = float(f_new), n_evals + 1
            if f_new <= fx + c1 * t * slope:
                break
            t *= 0.5
        else:                                       # no decrease found: at the limit of float precision
            return Result(x, fx, grad_max, it, False, n_evals, "no decrease found (the limit of the precision)",
                          _memory(pairs))
        s, y = x_new - x, g_new - g
        sy = _dot(s, y)
        if sy > 0.0:
            pairs = (pairs + [(s, y, 1.0 / sy)])[-m:]
        x, fx, g = x_new, f_new, g_new
    grad_max = float(xp.max(xp.abs(g)))
    done = grad_max <= gtol
    return Result(x, fx, grad_max, max_iter, done, n_evals, "max |grad| <= gtol" if done else "max_iter reached",
                  _memory(pairs))


def _memory(pairs):
    return [(s, y) for s, y, _ in pairs]
