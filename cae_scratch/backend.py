"""Array backends: which libraries exist, and how arrays move between them.

This is the only module that knows the names ``numpy``, ``cupy`` and
``array_api_strict``. Everything else gets its namespace from its inputs::

    xp = namespace(X, W)          # array-api-compat's array_namespace

and writes to the Python array API standard (functions, not methods).
A module whose functions take a ``backend=`` argument imports this module as
``backends``; every other module imports it as ``backend``.

Randomness lives on the host: one seeded ``numpy.random.Generator`` per
named stream of ``STREAMS`` (``stream(seed, name)``), values drawn in float64,
cast, then moved to the device with ``asarray``. The same seed therefore gives
the same numbers on every backend.
"""
from __future__ import annotations

import importlib
from functools import lru_cache

import numpy as np
import array_api_compat

BACKENDS = ("numpy", "cupy", "array_api_strict")
DTYPES = ("float64", "float32")


def namespace(*arrays):
    """The array-API namespace shared by ``arrays`` (TypeError if they mix libraries)."""
    try:
        return array_api_compat.array_namespace(*arrays)
    except TypeError as e:
        raise TypeError(
            f"arrays come from different array libraries ({e}); move them to one "
            "backend first, e.g. with model.asarray(X)") from None


def is_array(x) -> bool:
    """True for an array of any array-API library (NumPy, CuPy, array_api_strict, ...), False for lists etc."""
    return array_api_compat.is_array_api_obj(x)


def get_namespace(name: str):
    """Namespace for a backend name: 'numpy', 'cupy', 'array_api_strict' or any array-API module name."""
    if not isinstance(name, str):
        raise TypeError(f"backend must be a string such as {BACKENDS}, got {type(name).__name__}")
    if name == "numpy":
        return array_api_compat.array_namespace(np.empty(0))
    if name == "cupy":
        if not cupy_usable():
            raise ValueError(
                "backend='cupy' needs a working CuPy and an NVIDIA GPU; install it with "
                "`pip install cupy-cuda12x` (or cupy-cuda13x) on a GPU machine, or use backend='numpy'")
        import array_api_compat.cupy as xp_cupy
        return xp_cupy
    try:
        module = importlib.import_module(name)
    except ImportError:
        raise ValueError(f"unknown backend {name!r}: use one of {BACKENDS} "
                         "or the importable name of an array-API namespace") from None
    if not hasattr(module, "__array_api_version__"):
        raise ValueError(f"module {name!r} is not an array-API namespace; use one of {BACKENDS}")
    return module


def placement(name, device, dtype):
    """(xp, device, dtype) of a model: the namespace of a backend name, the device (None: the namespace's
    default) and the dtype of the namespace for a dtype name."""
    xp = get_namespace(name)
    return xp, device if device is not None else default_device(xp), getattr(xp, dtype)


def parse_name(name: str):
    """(backend, device) for a backend name; "array_api_strict:device1" means array_api_strict on its
    off-host test device, which refuses implicit conversion to NumPy exactly as a GPU array does."""
    if name == "array_api_strict:device1":
        import array_api_strict
        return "array_api_strict", array_api_strict.Device("device1")
    return name, None


def backend_name(xp) -> str:
    """Short name of a namespace: 'numpy', 'cupy', or the module's own name."""
    if array_api_compat.is_numpy_namespace(xp):
        return "numpy"
    if array_api_compat.is_cupy_namespace(xp):
        return "cupy"
    return xp.__name__


def default_device(xp):
    """The namespace's default (host, for array_api_strict) device."""
    return xp.__array_namespace_info__().default_device()


def device_of(x):
    return array_api_compat.device(x)


def to_numpy(x) -> np.ndarray:
    """Copy an array of any backend to a NumPy array on the host."""
    if isinstance(x, np.ndarray):
        return x
    if array_api_compat.is_cupy_array(x):
        return x.get()
    xp = namespace(x)
    if not array_api_compat.is_numpy_namespace(xp):
        x = x.to_device(default_device(xp))  # array_api_strict's Device("device1") refuses np.asarray
    return np.asarray(x)


def asarray(host, xp, dtype, device=None):
    """Move host data (NumPy / nested lists) into namespace ``xp`` with ``dtype`` on ``device``.

    ``dtype`` is a name ('float32') or a dtype of ``xp``.
    """
    if isinstance(dtype, str):
        dtype = getattr(xp, dtype)
    host = np.asarray(host)
    if array_api_compat.is_numpy_namespace(xp):
        return np.asarray(host, dtype=dtype)
    return xp.asarray(host, dtype=dtype, device=device)


def dtype_name(x) -> str:
    """'float32' / 'float64' for an array of any backend."""
    xp = namespace(x)
    for name in DTYPES:
        if x.dtype == getattr(xp, name):
            return name
    return str(x.dtype)


def itemsize(x) -> int:
    """Bytes per element of a float array of any backend (for memory caps)."""
    return 4 if dtype_name(x) == "float32" else 8


@lru_cache(maxsize=1)
def cupy_usable() -> bool:
    """True when CuPy imports, sees a GPU, and runs a tiny kernel.

    Without a GPU, ``import cupy`` succeeds and the first allocation raises a
    RuntimeError subclass, so every step is inside ``except Exception``.
    """
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return False
        return float((cupy.arange(3.0) * 2.0).sum().get()) == 6.0
    except Exception:
        return False


def cupy_device_name():
    """The name of CuPy's current GPU (e.g. for a benchmark's record), or None without a usable CuPy."""
    if not cupy_usable():
        return None
    import cupy
    name = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def available_backends() -> list[str]:
    """Backends usable on this machine, NumPy first."""
    names = ["numpy", "array_api_strict"]
    if cupy_usable():
        names.append("cupy")
    return names


def synchronize(xp) -> None:
    """Wait for queued device work (a no-op on the host); used by benchmarks only."""
    if array_api_compat.is_cupy_namespace(xp):
        import cupy
        cupy.cuda.get_current_stream().synchronize()


def into(out, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` written into the preallocated array ``out``; returns ``out``.

    The array API standard has no ``out=``, but NumPy's and CuPy's functions
    (ufuncs, matmul) take it: there the result goes straight into ``out`` and
    no temporary is allocated. Other libraries compute a new array that is
    copied in, so the caller's code is the same on every backend.
    """
    if isinstance(out, np.ndarray) or array_api_compat.is_cupy_array(out):
        return fn(*args, **kwargs, out=out)
    out[...] = fn(*args, **kwargs)
    return out


def matmul_into(out, a, b):
    """``out = a @ b`` without a temporary where the library allows it (as ``into`` for matmul).

    Calls NumPy's / CuPy's own matmul: array-api-compat's wrapper costs a few
    microseconds a call, which a small training step notices.
    """
    if isinstance(out, np.ndarray):
        return np.matmul(a, b, out=out)
    if array_api_compat.is_cupy_array(out):
        import cupy
        return cupy.matmul(a, b, out=out)
    out[...] = a @ b
    return out


def overflow_allowed():
    """A context in which float overflow (e.g. exp(-a) = inf in a sigmoid) raises no RuntimeWarning.

    For 1/(1 + exp(-a)) the overflow is harmless: 1/(1 + inf) = 0 is the
    exact limit. NumPy's error state also covers array_api_strict (built on
    NumPy); CuPy never warns.
    """
    return np.errstate(over="ignore")


def rng(seed) -> np.random.Generator:
    """A host-side generator; ``seed`` may be an int or a SeedSequence."""
    return np.random.default_rng(seed)


def spawn(seed: int, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent seed sequences from one seed (child i is the same for every n >= i + 1)."""
    return np.random.SeedSequence(seed).spawn(n)


# Every random draw of the library comes from one of these streams of the seed; a stream's index is its
# position in ``spawn(seed, n)``, fixed forever so that a saved seed reproduces its numbers. A new stream
# goes at the end.
STREAMS = ("init", "shuffle", "corruption", "hessian", "sampling", "probes")


def stream(seed: int, name: str) -> np.random.Generator:
    """The host generator of stream ``name`` (one of ``STREAMS``) of ``seed``."""
    return rng(spawn(seed, len(STREAMS))[STREAMS.index(name)])
