"""Fixtures only (helpers live in ``_helpers.py``): the backend matrix, hypothesis profiles.

Backends: numpy, array_api_strict on its CPU device, array_api_strict on
Device("device1") (refuses implicit conversion to NumPy exactly like a GPU
array), and cupy when usable (marked ``gpu``). ``CAE_BACKENDS=numpy,cupy``
narrows the list; naming cupy there where CuPy is not usable is an error (a
classroom that forgot to install CuPy must see red, not a green run of skips).
"""
from __future__ import annotations

import os

# One BLAS thread for the tests (and the lessons and notebooks they start): a second OpenBLAS thread on a
# busy machine makes small batched SVDs much slower. Tests never time anything, so nothing is lost.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
try:                                       # numpy may already be loaded (a plugin): limit its pool too
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=1)
except ImportError:
    pass

import pytest
from hypothesis import HealthCheck, settings

import cae_scratch as cs
from cae_scratch import backend
from cae_scratch.model import model_kwargs

settings.register_profile("ci", derandomize=True, max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture], print_blob=True)
settings.register_profile("dev", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ALL_BACKENDS = ["numpy", "array_api_strict", "array_api_strict:device1", "cupy"]


def selected_backends():
    wanted = os.environ.get("CAE_BACKENDS")
    names = ALL_BACKENDS if not wanted else [w.strip() for w in wanted.split(",") if w.strip()]
    unknown = set(names) - set(ALL_BACKENDS)
    if unknown:
        raise ValueError(f"CAE_BACKENDS has unknown names {sorted(unknown)}; valid: {ALL_BACKENDS}")
    return names


def backend_params():
    out = []
    for name in selected_backends():
        marks = [pytest.mark.gpu] if name == "cupy" else []
        if name == "cupy" and not backend.cupy_usable():
            if os.environ.get("CAE_BACKENDS"):
                raise pytest.UsageError("CAE_BACKENDS names cupy but CuPy is not usable here; run "
                                        "`python -m cae_scratch doctor` to see why")
            marks.append(pytest.mark.skip(reason="CuPy is not usable here (no GPU or no cupy)"))
        out.append(pytest.param(name, marks=marks, id=name))
    return out


@pytest.fixture(params=backend_params())
def backend_name(request):
    """One entry of the backend matrix (a name usable with ``model_kwargs``)."""
    return request.param


@pytest.fixture
def xp(backend_name):
    """(namespace, device) of one entry of the backend matrix, for the pure-function tests."""
    kw = model_kwargs(backend_name)
    namespace = backend.get_namespace(kw["backend"])
    return namespace, kw.get("device") or backend.default_device(namespace)


@pytest.fixture
def make_model(backend_name):
    """Factory: make_model(n_visible, n_hidden, **kw) on the current backend."""
    def make(n_visible, n_hidden, **kw):
        return cs.ContractiveAutoencoder(n_visible, n_hidden, **{**model_kwargs(backend_name), **kw})
    return make


@pytest.fixture
def digits():
    from cae_scratch import data
    return data.load_digits()
