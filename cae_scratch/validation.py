"""Checks for the public entry points: every bad input gets a ValueError or TypeError that says what to do.

Validation runs once per public call (``fit`` checks the whole dataset once,
never per batch), so a GPU step never waits on a host check.
"""
from __future__ import annotations

import math
import numbers

import array_api_compat

from . import backend


def choice(name, value, valid):
    """``value`` must be one of ``valid``."""
    if not isinstance(value, str) or value not in valid:
        raise ValueError(f"unknown {name} {value!r}; choose one of {list(valid)}")
    return value


def number(name, value, *, integer=False, low=0.0, strict=True, hint=""):
    """``value`` as an int (``integer``) or a finite float, > low (``strict``) or >= low; else a TypeError/ValueError."""
    noun = "integer" if integer else "number"
    what = (f"a positive {noun}" if strict and low == 0 else f"{'an' if integer else 'a'} {noun} "
            f"{'>' if strict else '>='} {low:g}") + ("" if integer else " (finite)") + hint
    if isinstance(value, bool) or not isinstance(value, numbers.Integral if integer else numbers.Real):
        raise TypeError(f"{name} must be {what}, got {value!r}")
    if not (math.isfinite(value) and (value > low if strict else value >= low)):
        raise ValueError(f"{name} must be {what}, got {value}")
    return int(value) if integer else float(value)


def positive_int(name, value):
    return number(name, value, integer=True)


def seed(value):
    """A seed is an int >= 0 (it feeds numpy.random.SeedSequence)."""
    return number("seed", value, integer=True, strict=False)


def positive_float(name, value):
    return number(name, value)


def non_negative_float(name, value):
    return number(name, value, strict=False, hint=" (0 gives a plain autoencoder)" if name == "lam" else "")


def array_for(x, xp, dtype, device, name="X"):
    """``x`` as an array of namespace ``xp`` with ``dtype`` on ``device``, or a TypeError/ValueError.

    A NumPy model also takes NumPy arrays and nested lists; other backends
    need arrays already on their device (move them with ``model.asarray``).
    Other real dtypes are cast to the model's dtype once, here.
    """
    import numpy as np
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{name} is a masked array, and a model would train on the hidden values too; "
                        f"fill or drop them first, e.g. {name}.filled(0.0) or drop the rows with masked values")
    is_numpy_model = array_api_compat.is_numpy_namespace(xp)
    if is_numpy_model and not backend.is_array(x):
        x = np.asarray(x)
    if not backend.is_array(x):
        raise TypeError(f"{name} must be an array of the model's backend ({backend.backend_name(xp)}), "
                        f"got {type(x).__name__}; convert it with model.asarray({name})")
    x_ns = array_api_compat.array_namespace(x)
    if backend.backend_name(x_ns) != backend.backend_name(xp):
        raise TypeError(f"{name} is a {backend.backend_name(x_ns)} array but the model uses "
                        f"{backend.backend_name(xp)}; convert it with model.asarray({name})")
    if device is not None and not is_numpy_model and backend.device_of(x) != device:
        raise ValueError(f"{name} is on device {backend.device_of(x)} but the model is on {device}; "
                         f"move it with model.asarray({name})")
    if not (xp.isdtype(x.dtype, "real floating") or xp.isdtype(x.dtype, "integral") or x.dtype == xp.bool):
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
    if x.dtype == dtype:
        return x
    if dtype == xp.float32 and x.dtype == xp.float64 and x.size and \
            bool(xp.any(xp.abs(xp.where(xp.isfinite(x), x, 0.0)) > xp.finfo(xp.float32).max)):
        raise ValueError(f"{name} has values beyond float32's range (|x| > 3.4e38); rescale your data "
                         "or build the model with dtype='float64'")
    return xp.astype(x, dtype)


def parameter(x, key, shape, xp, dtype, device):
    """A copy of ``x`` as params[key]: of the model's backend, dtype and ``shape``, and finite."""
    arr = array_for(x, xp, dtype, device, name=f"params[{key!r}]")
    if tuple(arr.shape) != shape:
        raise ValueError(f"params[{key!r}] has shape {tuple(arr.shape)}, expected {shape}")
    if not bool(xp.all(xp.isfinite(arr))):
        raise ValueError(f"params[{key!r}] contains NaN or inf; a model's parameters must be finite")
    return xp.asarray(arr, copy=True)


def parameters(new, shapes, xp, dtype, device):
    """The one parameter setter of every holder: a dict with exactly the keys of ``shapes`` ({name: shape}),
    each entry copied by ``parameter`` (backend, dtype, shape, finite)."""
    if not isinstance(new, dict) or set(new) != set(shapes):
        raise ValueError(f"params must be a dict with keys {sorted(shapes)}")
    return {k: parameter(new[k], k, shape, xp, dtype, device) for k, shape in shapes.items()}


def labels(y, n_rows, n_classes=None):
    """Host int64 class labels 0..n_classes-1, one per row of X (a ValueError saying what is wrong)."""
    import numpy as np
    y = np.asarray(backend.to_numpy(y) if backend.is_array(y) else y)
    if y.ndim != 1 or len(y) != n_rows:
        raise ValueError(f"y must be 1-D with one label per row of X ({n_rows}), got shape {y.shape}")
    top = "n_classes - 1" if n_classes is None else f"{n_classes - 1} (n_classes - 1)"
    if not np.issubdtype(y.dtype, np.integer) or (len(y) and y.min() < 0):
        raise ValueError(f"y must hold integer class labels 0, 1, ..., {top}")
    if n_classes is not None and len(y) and y.max() >= n_classes:
        raise ValueError(f"label {int(y.max())} is out of range for n_classes={n_classes}: y must hold "
                         f"integer class labels 0, 1, ..., {top}")
    return y.astype(np.int64)


def one_hot(y, n_rows, n_classes, xp, dtype, device=None):
    """Checked ``labels`` as one-hot targets Y: (B, n_classes), Y[b, y_b] = 1, built on the host, moved once."""
    import numpy as np
    return backend.asarray(np.eye(n_classes)[labels(y, n_rows, n_classes)], xp, dtype, device)


def writable(params):
    """Every NumPy parameter array can be written in place (``fit`` updates them so), or a ValueError."""
    import numpy as np
    for k, p in params.items():
        if isinstance(p, np.ndarray) and not p.flags.writeable:
            raise ValueError(f"params[{k!r}] is read-only, and fit updates the parameters in place; "
                             f"assign a writable copy first: model.params = {{k: v.copy() for k, v in model.params.items()}}")


def batch(x, xp, dtype, device, width, name="X", unit_interval=False, width_name="n_visible"):
    """A non-empty, finite (B, width) batch; in [0, 1] when ``unit_interval`` (bce targets)."""
    x = array_for(x, xp, dtype, device, name)
    if x.ndim != 2:
        hint = f" (one example? use {name}[None, :] / reshape to (1, {width}))" if x.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (batch, {width_name}), got shape {tuple(x.shape)}{hint}")
    if x.shape[1] != width:
        raise ValueError(f"{name} has {x.shape[1]} columns but the model has {width_name}={width}; "
                         "reshape your data or build the model with the matching size")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (0 rows); pass at least one example")
    if not bool(xp.all(xp.isfinite(x))):
        raise ValueError(f"{name} contains NaN or inf; clean or impute your data first")
    if unit_interval and not bool(xp.all((x >= 0.0) & (x <= 1.0))):
        raise ValueError(f"loss='bce' needs targets in [0, 1] but {name} has values outside; "
                         "scale your data to [0, 1] (e.g. X / X.max()) or use loss='mse'")
    return x


def directions(U, n_rows, width, xp, dtype, device, what="tangents", remedy="get them with model.tangents(X, k)",
               width_name="n_visible"):
    """U: (B, k, width) directions for the B rows of X (tangents, probes), finite; a ValueError saying what to do."""
    U = array_for(U, xp, dtype, device, name="U")
    if U.ndim != 3 or U.shape[0] != n_rows or U.shape[2] != width or U.shape[1] == 0:
        raise ValueError(f"U must be (B, k, {width_name}) = ({n_rows}, k >= 1, {width}) {what}, got shape "
                         f"{tuple(U.shape)}; {remedy}")
    if not bool(xp.all(xp.isfinite(U))):
        raise ValueError(f"U contains NaN or inf; {remedy}")
    return U

