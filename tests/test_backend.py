"""Every backend equals NumPy on the same host data; host helpers behave."""
import numpy as np
import pytest
from hypothesis import given, settings

import cae_scratch as cs
from cae_scratch import backend
from cae_scratch.core import network
from _helpers import assert_close, model_kwargs
from _helpers import cae_cases


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-10), ("float32", 1e-5)])
def test_backend_equals_numpy(backend_name, dtype, rtol):
    kw = dict(activation="tanh", tied=False, lam=0.3, dtype=dtype, seed=7)
    ref = cs.ContractiveAutoencoder(10, 6, **kw)
    model = cs.ContractiveAutoencoder(10, 6, **kw, **model_kwargs(backend_name))
    host = np.random.default_rng(0).random((5, 10))
    X = model.asarray(host)
    for k in ref.params:                                   # same seed, same initial weights
        assert_close(model.params[k], ref.params[k], rtol=0, xp=model.xp, dtype=dtype)
    loss, grads = model.loss_and_grads(X)
    ref_loss, ref_grads = ref.loss_and_grads(host)
    assert loss == pytest.approx(ref_loss, rel=rtol)
    for k in grads:
        assert_close(grads[k], ref_grads[k], rtol=rtol, atol=rtol * 1e-3, xp=model.xp, dtype=dtype)
    assert_close(model.jacobian(X), ref.jacobian(host), rtol=rtol, atol=rtol * 1e-3, dtype=dtype)
    assert_close(model.reconstruct(X), ref.reconstruct(host), rtol=rtol, dtype=dtype)
    assert model.contractive_penalty(X) == pytest.approx(ref.contractive_penalty(host), rel=rtol)


@settings(max_examples=10)
@given(case=cae_cases())
def test_backend_parity_property(backend_name, case):
    kw, host = case
    ref = cs.ContractiveAutoencoder(**kw)
    model = cs.ContractiveAutoencoder(**kw, **model_kwargs(backend_name))
    terms, grads = network.loss_and_grads(model.params, model.asarray(host), model.spec)
    ref_terms, ref_grads = network.loss_and_grads(ref.params, host, ref.spec)
    np.testing.assert_allclose(float(terms["total"]), float(ref_terms["total"]), rtol=1e-10)
    for k in grads:
        assert_close(grads[k], ref_grads[k], rtol=1e-10, atol=1e-14)


def test_fit_history_matches_numpy(backend_name):
    host = np.random.default_rng(0).random((40, 8))
    ref = cs.ContractiveAutoencoder(8, 5, seed=1)
    model = cs.ContractiveAutoencoder(8, 5, seed=1, **model_kwargs(backend_name))
    h_ref = ref.fit(host, epochs=3, batch_size=16, lr=0.01, progress=False)
    h = model.fit(model.asarray(host), epochs=3, batch_size=16, lr=0.01, progress=False)
    np.testing.assert_allclose(h["total"], h_ref["total"], rtol=1e-10)
    assert_close(model.params["W"], ref.params["W"], rtol=1e-9)


def test_gradcheck_runs_on_every_backend(backend_name):
    model = cs.ContractiveAutoencoder(6, 4, lam=0.5, **model_kwargs(backend_name))
    X = model.asarray(np.random.default_rng(1).random((3, 6)))
    cs.assert_gradients_close(cs.check_model_gradients(model, X))


def test_to_numpy_and_asarray_round_trip(backend_name):
    model = cs.ContractiveAutoencoder(3, 2, **model_kwargs(backend_name))
    host = np.arange(6.0).reshape(2, 3)
    dev = model.asarray(host)
    assert backend.backend_name(backend.namespace(dev)) == backend.backend_name(model.xp)
    np.testing.assert_array_equal(backend.to_numpy(dev), host)
    assert backend.dtype_name(dev) == "float64"


def test_rng_streams_are_reproducible_and_independent():
    a, b = backend.spawn(3, 2)
    assert backend.rng(a).random() == backend.rng(backend.spawn(3, 2)[0]).random()
    assert backend.rng(a).random() != backend.rng(b).random()


def test_named_streams_keep_the_indices_saved_seeds_were_drawn_with():
    """init, shuffle, corruption, hessian are children 0-3 of SeedSequence(seed) (as before the table), so a
    seed saved in a model file draws the same numbers; the streams are distinct; new names go at the end."""
    assert backend.STREAMS[:4] == ("init", "shuffle", "corruption", "hessian")
    for seed in (0, 7):
        draws = [backend.stream(seed, name).random(3) for name in backend.STREAMS]
        for i, d in enumerate(draws[:4]):
            np.testing.assert_array_equal(d, np.random.default_rng(np.random.SeedSequence(seed).spawn(4)[i]).random(3))
        assert len({tuple(d) for d in draws}) == len(draws)
    model = cs.ContractiveAutoencoder(5, 3, activation="tanh", seed=7)     # init: Glorot from the "init" stream
    c = np.sqrt(6.0 / 8)
    np.testing.assert_array_equal(model.params["W"], backend.stream(7, "init").uniform(-c, c, (3, 5)))


def test_cupy_probe_says_no_when_the_first_allocation_fails(monkeypatch):
    """Without a GPU, `import cupy` succeeds and the first allocation raises: the probe must say False."""
    import sys
    import types

    class NoDevice(RuntimeError):
        pass

    def arange(*a, **k):
        raise NoDevice("cudaErrorNoDevice")
    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1)),
                                 arange=arange)
    monkeypatch.setitem(sys.modules, "cupy", fake)
    backend.cupy_usable.cache_clear()
    try:
        assert backend.cupy_usable() is False
        assert backend.available_backends() == ["numpy", "array_api_strict"]
    finally:
        backend.cupy_usable.cache_clear()


def test_unknown_backends_are_explained():
    with pytest.raises(ValueError, match="unknown backend"):
        backend.get_namespace("tensorflow_not_here")
    with pytest.raises(ValueError, match="not an array-API namespace"):
        backend.get_namespace("json")
    if not backend.cupy_usable():
        with pytest.raises(ValueError, match="pip install cupy"):
            cs.ContractiveAutoencoder(3, 2, backend="cupy")
