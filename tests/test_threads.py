"""The thread policy (cae_scratch.threads): batched small linear algebra on one BLAS thread, the count restored.

conftest.py pins one thread for the whole run, so each test that needs to see a change first raises the
count to two (``two_threads``) and puts one back afterwards. Nothing here times anything.
"""
import sys
import types

import numpy as np
import pytest

from cae_scratch import analysis, backend, threads

pytestmark = pytest.mark.skipif(threads.blas_threads() is None, reason="threadpoolctl sees no BLAS here")


@pytest.fixture
def two_threads():
    threads.set_blas_threads(2)
    if threads.blas_threads() != 2:
        pytest.skip("this BLAS cannot be raised to two threads")
    yield
    threads.set_blas_threads(1)


def test_one_blas_thread_limits_inside_and_restores_after(two_threads):
    with threads.one_blas_thread():
        assert threads.blas_threads() == 1
    assert threads.blas_threads() == 2


def test_set_blas_threads_stays_and_none_leaves_the_count(two_threads):
    assert threads.set_blas_threads(None) == 2
    assert threads.set_blas_threads(1) == 1 and threads.blas_threads() == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_set_blas_threads_refuses_what_is_not_a_count(bad):
    with pytest.raises(ValueError, match="integer >= 1"):
        threads.set_blas_threads(bad)


def _spy(calls, real):
    def spy(*args, **kwargs):
        calls.append(threads.blas_threads())
        return real(*args, **kwargs)
    return spy


@pytest.mark.parametrize("function", ["svd", "svdvals"])
def test_the_analysis_svds_run_on_one_thread(two_threads, monkeypatch, function):
    """The SVD is called while the limit holds (removing the ``with`` in analysis._svd records 2 here)."""
    W = np.random.default_rng(0).standard_normal((5, 8))
    X = np.random.default_rng(1).random((6, 8))
    xp = backend.namespace(W)
    calls = []
    monkeypatch.setattr(xp.linalg, function, _spy(calls, getattr(xp.linalg, function)))
    if function == "svd":
        analysis.tangent_directions(W, np.zeros(5), X, k=2)
    else:
        analysis.singular_values(W, np.zeros(5), X)
    assert calls == [1]
    assert threads.blas_threads() == 2


def test_the_host_fallback_svd_runs_on_one_thread(two_threads, monkeypatch):
    """A namespace without a linalg extension: NumPy on the host, on one thread as well."""
    calls = []
    monkeypatch.setattr(np.linalg, "svd", _spy(calls, np.linalg.svd))
    J = np.random.default_rng(0).standard_normal((3, 4, 5))
    no_linalg = types.ModuleType("no_linalg")                      # a namespace: asarray, no linalg
    no_linalg.asarray = lambda a, dtype, device: np.asarray(a, dtype=dtype)
    S = analysis._svd(no_linalg, J, False)
    assert calls == [1]
    np.testing.assert_allclose(S, np.linalg.svd(J, compute_uv=False))


def test_without_threadpoolctl_the_policy_does_nothing(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)        # import threadpoolctl raises ImportError
    monkeypatch.setattr(threads, "_controller", None)
    assert threads.blas_threads() is None and threads.set_blas_threads(1) is None
    with threads.one_blas_thread():
        pass
