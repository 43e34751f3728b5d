"""The fast step (fused.py) and the in-place optimizers: same numbers, no big temporaries.

The whole step against the reference here, on a grid of every activation, loss, decoder, tied/untied,
lam and DAE target (with and without the Hessian terms); each stage against its twin in
``test_fused_stages.py``; a model's step on drawn shapes in ``test_network.py``.

No test here times anything: speed is the benchmark's business. Allocation is
measured with tracemalloc, which sees every NumPy data buffer.
"""
import itertools
import tracemalloc

import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import backend, optim, train
from cae_scratch.core import fused, inplace, network
from _helpers import assert_close, model_kwargs

ACTS = ["sigmoid", "tanh", "softplus", "relu", "linear"]
LOSS_DECODERS = [("bce", "sigmoid"), ("mse", "sigmoid"), ("mse", "linear")]


def params_and_data(spec, B=5, n_visible=9, n_hidden=6, dtype=np.float64, seed=0):
    gen = np.random.default_rng(seed)
    params = network.init_params(n_visible, n_hidden, spec, np, dtype, seed=seed)
    params["b_h"] = gen.standard_normal(n_hidden).astype(dtype)    # non-zero biases exercise every term
    params["b_r"] = gen.standard_normal(n_visible).astype(dtype)
    return params, gen.random((B, n_visible)).astype(dtype), gen.random((B, n_visible)).astype(dtype)


def assert_same_step(got, want, rtol=1e-10):
    (terms, grads), (ref_terms, ref_grads) = got, want
    for k in ref_terms:
        np.testing.assert_allclose(float(terms[k]), float(ref_terms[k]), rtol=rtol)   # NaN == NaN here
    assert set(grads) == set(ref_grads)
    for k in ref_grads:
        assert_close(grads[k], ref_grads[k], rtol=rtol, atol=rtol * 1e-4)


@pytest.mark.parametrize("act,loss_dec,tied,lam,denoise",
                         list(itertools.product(ACTS, LOSS_DECODERS, [True, False], [0.0, 0.3], [False, True])))
def test_fused_step_equals_the_reference(act, loss_dec, tied, lam, denoise):
    spec = network.Spec(act, loss_dec[1], loss_dec[0], tied, lam)
    params, X, T = params_and_data(spec)
    target = T if denoise else None
    step = fused.FusedStep()
    first = step(params, X, spec, target=target)
    first = ({k: float(v) for k, v in first[0].items()}, {k: np.copy(g) for k, g in first[1].items()})
    want = network.loss_and_grads(params, X, spec, target=target)
    assert_same_step(first, want)
    assert_same_step(step(params, X, spec, target=target), want)     # again, in the reused buffers


def test_fused_step_on_every_backend_equals_numpy(backend_name):
    kw = dict(activation="sigmoid", lam=0.2, seed=3)
    ref = cs.ContractiveAutoencoder(12, 7, **kw)
    model = cs.ContractiveAutoencoder(12, 7, **kw, **model_kwargs(backend_name))
    host = np.random.default_rng(1).random((6, 12))
    step = fused.FusedStep()
    for _ in range(2):
        terms, grads = step(model.params, model.asarray(host), model.spec)
    assert_same_step((terms, grads), network.loss_and_grads(ref.params, host, ref.spec))


@pytest.mark.parametrize("dtype,shift", [("float32", 150.0), ("float64", 1000.0)])
def test_saturated_decoder_stays_exact(dtype, shift):
    """|z| beyond exp's range (a bias driven far by Adam on always-black pixels): no inf, no warning."""
    spec = network.Spec(lam=0.1)
    params, X, _ = params_and_data(spec, dtype=getattr(np, dtype))
    X[:, :3] = 0.0
    params["b_r"][:3] = -shift                         # r = 0 where x = 0: a loss of ~0, not inf
    params["b_r"][3:6] = shift
    got = fused.loss_and_grads(params, X, spec)
    assert all(np.isfinite(float(v)) for v in got[0].values())
    assert_same_step(got, network.loss_and_grads(params, X, spec), rtol=1e-5 if dtype == "float32" else 1e-10)


def test_workspaces_follow_the_batch_shape():
    spec = network.Spec(lam=0.1)
    params, X, _ = params_and_data(spec, B=7)
    step = fused.FusedStep()
    for rows in (slice(0, 7), slice(0, 3), slice(2, 7), slice(0, 7)):
        got = step(params, X[rows], spec)
        assert_same_step(got, network.loss_and_grads(params, X[rows], spec))
    assert len(step.workspaces) == 3
    with pytest.raises(TypeError, match="dtype"):
        step(params, X.astype(np.float32), spec)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("loss,dec", LOSS_DECODERS)
def test_float32_stays_float32_in_every_intermediate(act, loss, dec, monkeypatch):
    """array_api_strict refuses to mix float32 and float64, and every into() result is checked."""
    import array_api_strict
    seen = []

    def checked(real):
        def run(out, *args):
            result = real(out, *args)
            seen.append(backend.dtype_name(result))
            return result
        return run
    monkeypatch.setattr(fused, "into", checked(backend.into))
    monkeypatch.setattr(fused, "matmul_into", checked(backend.matmul_into))
    model = cs.ContractiveAutoencoder(9, 5, activation=act, loss=loss, decoder_activation=dec, lam=0.3,
                                      backend="array_api_strict", device=array_api_strict.Device("device1"),
                                      dtype="float32")
    X = model.asarray(np.random.default_rng(0).random((4, 9)))
    terms, grads = fused.FusedStep()(model.params, X, model.spec)
    assert seen and {name for name in seen if "bool" not in name} == {"float32"}   # bce's sign mask is bool
    assert {backend.dtype_name(v) for v in [*terms.values(), *grads.values()]} == {"float32"}


def traced_peak(fn):
    """Peak bytes that ``fn()`` allocates (NumPy reports its data buffers to tracemalloc)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("act,loss,dec,tied,lam", [("sigmoid", "bce", "sigmoid", True, 0.1),
                                                   ("sigmoid", "bce", "sigmoid", True, 0.0),
                                                   ("tanh", "mse", "sigmoid", False, 0.1),
                                                   ("softplus", "bce", "sigmoid", True, 0.1),
                                                   ("softplus", "bce", "sigmoid", False, 0.1),
                                                   ("sigmoid", "mse", "linear", True, 0.1)])
def test_a_warmed_step_allocates_no_batch_sized_array(act, loss, dec, tied, lam):
    B, n_visible, n_hidden = 256, 300, 400
    spec = network.Spec(act, dec, loss, tied, lam)
    params, X, _ = params_and_data(spec, B, n_visible, n_hidden, np.float32)
    step = fused.FusedStep()
    step(params, X, spec)
    smallest_batch_array = B * n_visible * 4                   # 307 kB; a Jacobian would be 123 MB
    # what remains: vectors of n floats, 0-d results, and NumPy's 32 kB buffer for broadcasting loops
    assert traced_peak(lambda: step(params, X, spec)) < smallest_batch_array / 4
    assert traced_peak(lambda: network.loss_and_grads(params, X, spec)) > smallest_batch_array  # it can see


@pytest.mark.parametrize("name", optim.OPTIMIZERS)
def test_optimizers_update_in_place_without_allocating(name):
    gen = np.random.default_rng(0)
    params = {"W": gen.random((100, 80)).astype(np.float32), "b": gen.random(100).astype(np.float32)}
    grads = {k: gen.standard_normal(p.shape).astype(np.float32) for k, p in params.items()}
    ids = {k: id(p) for k, p in params.items()}
    opt = optim.make_optimizer(name, params, 1e-3)
    opt.step(params, grads)
    before = {k: p.copy() for k, p in params.items()}
    assert traced_peak(lambda: opt.step(params, grads)) < params["W"].nbytes / 8
    assert {k: id(p) for k, p in params.items()} == ids
    assert all(p.dtype == np.float32 and not np.array_equal(p, before[k]) for k, p in params.items())


def test_fit_with_the_fused_step_equals_fit_with_the_reference(digits):
    spec = network.Spec(activation="tanh", lam=0.2)
    histories = []
    for step in (None, network.loss_and_grads):
        params = network.init_params(64, 16, spec, np, np.float64, seed=2)
        histories.append((train.fit(params, digits[:300], spec, epochs=2, batch_size=64, lr=1e-2, seed=1,
                                    progress=False, step=step), params))
    for t in ("total", "reconstruction", "contractive"):
        np.testing.assert_allclose(histories[0][0][t], histories[1][0][t], rtol=1e-10)
    np.testing.assert_allclose(histories[0][1]["W"], histories[1][1]["W"], rtol=1e-9)


@pytest.mark.slow
def test_fit_on_mnist_sized_data_stays_under_twice_data_plus_params():
    rows, n_visible, n_hidden = 60_000, 784, 1000
    X = np.random.default_rng(0).random((rows, n_visible), dtype=np.float32)
    spec = network.Spec(lam=0.1)
    params = network.init_params(n_visible, n_hidden, spec, np, np.float32)
    size = X.nbytes + sum(p.nbytes for p in params.values())
    peak = traced_peak(lambda: train.fit(params, X, spec, epochs=1, batch_size=256, lr=1e-3, progress=False))
    assert peak < size


# ---- CAE+H: the Hessian stages (fused_hessian.py) against the reference, same eps ---------------

@pytest.mark.parametrize("act,loss_dec,tied,lam,kind,gamma,denoise",
                         [c for c in itertools.product(ACTS, LOSS_DECODERS, [True, False], [0.0, 0.3],
                                                       ["exact", "stochastic"], [0.0, 0.7], [False, True])
                          if c[6] is False or (c[3] == 0.3 and c[5] == 0.7)])
def test_fused_hessian_step_equals_the_reference(act, loss_dec, tied, lam, kind, gamma, denoise):
    spec = network.Spec(act, loss_dec[1], loss_dec[0], tied, lam, kind, gamma, 0.3, 3)
    params, X, T = params_and_data(spec)
    eps = np.random.default_rng(4).standard_normal((3,) + X.shape) * 0.3 if kind == "stochastic" else None
    target = T if denoise else None
    step = fused.FusedStep()
    first = step(params, X, spec, target=target, eps=eps)
    first = ({k: float(v) for k, v in first[0].items()}, {k: np.copy(g) for k, g in first[1].items()})
    want = network.loss_and_grads(params, X, spec, target=target, eps=eps)
    assert "hessian" in want[0]
    assert_same_step(first, want)
    assert_same_step(step(params, X, spec, target=target, eps=eps), want)     # again, in the reused buffers


@pytest.mark.parametrize("kind", ["exact", "stochastic"])
def test_fused_hessian_step_on_every_backend_equals_numpy(kind, backend_name):
    kw = dict(activation="tanh", lam=0.2, seed=3, hessian=kind, gamma=0.5, hessian_copies=2, hessian_noise=0.2)
    ref = cs.ContractiveAutoencoder(12, 7, **kw)
    model = cs.ContractiveAutoencoder(12, 7, **kw, **model_kwargs(backend_name))
    host = np.random.default_rng(1).random((6, 12))
    eps = np.random.default_rng(2).standard_normal((2, 6, 12)) * 0.2
    step = fused.FusedStep()
    for _ in range(2):
        terms, grads = step(model.params, model.asarray(host), model.spec,
                            eps=model.asarray(eps) if kind == "stochastic" else None)
    assert_same_step((terms, grads), network.loss_and_grads(ref.params, host, ref.spec, eps=eps))


def test_fused_stochastic_step_refuses_missing_or_misshapen_eps():
    spec = network.Spec(hessian="stochastic", gamma=0.5, hessian_copies=2)
    params, X, _ = params_and_data(spec)
    for eps in (None, np.zeros((3,) + X.shape)):
        with pytest.raises(ValueError, match="needs eps of shape"):
            fused.FusedStep()(params, X, spec, eps=eps)


@pytest.mark.parametrize("kind,act", [("exact", "sigmoid"), ("stochastic", "sigmoid"), ("stochastic", "tanh"),
                                      ("exact", "softplus"), ("stochastic", "softplus")])
def test_a_warmed_hessian_step_allocates_no_batch_sized_array(kind, act):
    """No (B, n) temporary, no (C, B, n) one, and no B x n_hidden x n_visible tensor."""
    B, n_visible, n_hidden = 256, 300, 400
    spec = network.Spec(act, lam=0.1, hessian=kind, gamma=0.5, hessian_copies=4)
    params, X, _ = params_and_data(spec, B, n_visible, n_hidden, np.float32)
    eps = (np.random.default_rng(0).standard_normal((4, B, n_visible)) * 0.1).astype(np.float32) \
        if kind == "stochastic" else None
    step = fused.FusedStep()
    step(params, X, spec, eps=eps)
    assert traced_peak(lambda: step(params, X, spec, eps=eps)) < B * n_visible * 4 / 4


def test_float32_hessian_step_stays_float32_on_array_api_strict():
    import array_api_strict
    for kind in ("exact", "stochastic"):
        model = cs.ContractiveAutoencoder(9, 5, activation="softplus", lam=0.3, hessian=kind, gamma=0.5,
                                          hessian_copies=2, backend="array_api_strict",
                                          device=array_api_strict.Device("device1"), dtype="float32")
        X = model.asarray(np.random.default_rng(0).random((4, 9)))
        eps = model.asarray(np.random.default_rng(1).standard_normal((2, 4, 9)) * 0.1) if kind == "stochastic" else None
        terms, grads = fused.FusedStep()(model.params, X, model.spec, eps=eps)
        assert {backend.dtype_name(v) for v in [*terms.values(), *grads.values()]} == {"float32"}


def test_adam_equals_the_textbook_update():
    """The folded moments and step-size scalars give Kingma & Ba's numbers, for every entry."""
    gen = np.random.default_rng(5)
    shape = (307, 100)
    params = {"W": gen.standard_normal(shape), "b": gen.standard_normal(7)}
    want = {k: p.copy() for k, p in params.items()}
    m, v = {k: 0.0 * p for k, p in want.items()}, {k: 0.0 * p for k, p in want.items()}
    opt, lr, b1, b2, eps = optim.Adam(params, 0.01), 0.01, 0.9, 0.999, 1e-8
    for t in range(1, 4):
        grads = {k: gen.standard_normal(p.shape) for k, p in params.items()}
        opt.step(params, grads)
        for k, g in grads.items():                                  # Kingma & Ba, Algorithm 1
            m[k] = b1 * m[k] + (1 - b1) * g
            v[k] = b2 * v[k] + (1 - b2) * g * g
            want[k] -= lr * (m[k] / (1 - b1 ** t)) / (np.sqrt(v[k] / (1 - b2 ** t)) + eps)
    for k in want:
        np.testing.assert_allclose(params[k], want[k], rtol=1e-10)
    assert not np.allclose(params["W"][-1], 0.0)


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-13), (np.float32, 1e-6)])
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (7, 33), (256, 784)])
def test_log_sum_of_products_equals_the_sum_of_logs(dtype, rtol, shape):
    """bce's sum log(1 + E) through halvings: the explicit sum of logs, and no overflow at 2 per entry."""
    U = 1.0 + np.random.default_rng(0).random(shape).astype(dtype)
    want = np.sum(np.log(U.astype(np.float64)))
    got = inplace.log_sum_into(np, U.copy(), np.empty_like(U))
    assert got.dtype == dtype and np.isclose(float(got), want, rtol=rtol, atol=0)
    twos = np.full((256, 784), 2.0, dtype=dtype)                # 64 factors of 2 per entry: 2^64 < float32's max
    assert np.isclose(float(inplace.log_sum_into(np, twos, np.empty_like(twos))), 256 * 784 * np.log(2.0), rtol=rtol)


def test_log_sum_elsewhere_is_one_log_with_the_same_sum():
    """Off NumPy (here array_api_strict) the halvings are skipped: one log of U, the same sum to rounding."""
    import array_api_strict as xs
    U = 1.0 + np.random.default_rng(0).random((7, 33))
    got = inplace.log_sum_into(xs, xs.asarray(U), xs.empty((7, 33), dtype=xs.float64))
    assert np.isclose(float(got), np.sum(np.log(U)), rtol=1e-13, atol=0)
    assert np.isclose(float(got), float(inplace.log_sum_into(np, U.copy(), np.empty_like(U))), rtol=1e-13, atol=0)
