"""StackedCAE: the composed Jacobian against finite differences, greedy training, tangents, files, bad input."""
import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import backend
from _helpers import assert_close, model_kwargs

SIZES = [7, 5, 4, 3]


def inputs(B=5, n=7, seed=0):
    return np.random.default_rng(seed).random((B, n))


@pytest.mark.parametrize("activation,kw", [("sigmoid", {}), ("tanh", {"loss": "mse", "decoder_activation": "linear"}),
                                           ("softplus", {"loss": "mse", "decoder_activation": "linear"})])
def test_jacobian_equals_finite_differences_of_encode(backend_name, activation, kw):
    stack = cs.StackedCAE(SIZES, activation=activation, seed=1, **kw, **model_kwargs(backend_name))
    host = inputs()
    J = stack.jacobian(stack.asarray(host))
    assert tuple(J.shape) == (5, 3, 7)
    encode = lambda A: backend.to_numpy(stack.encode(stack.asarray(A)))
    h, fd = 1e-6, np.zeros((5, 3, 7))
    for j in range(7):
        e = np.zeros(7)
        e[j] = h
        fd[:, :, j] = (encode(host + e) - encode(host - e)) / (2 * h)
    assert_close(J, fd, rtol=1e-6, atol=1e-9, xp=stack.xp)
    assert_close(stack.jacobian(stack.asarray(host), max_bytes=1), J, rtol=1e-12, atol=1e-15)   # one row a chunk


def test_jacobian_is_the_product_of_the_layer_jacobians():
    stack = cs.StackedCAE(SIZES, seed=2)
    X = inputs()
    J, H = None, X
    for layer in stack.layers:
        Jl = layer.jacobian(H)                                   # (B, n_l, n_{l-1}), each layer's own oracle
        J = Jl if J is None else np.einsum("bij,bjk->bik", Jl, J)
        H = layer.encode(H)
    np.testing.assert_allclose(stack.jacobian(X), J, rtol=1e-12)
    np.testing.assert_allclose(stack.encode(X), H, rtol=1e-15)


def test_penalty_is_the_mean_squared_frobenius_norm_and_one_layer_is_the_closed_form():
    stack = cs.StackedCAE(SIZES, seed=3)
    X = inputs()
    J = stack.jacobian(X)
    assert stack.contractive_penalty(X) == pytest.approx(np.mean(np.sum(J ** 2, axis=(1, 2))), rel=1e-12)
    assert stack.contractive_penalty(X, max_bytes=1) == pytest.approx(stack.contractive_penalty(X), rel=1e-12)
    single = cs.StackedCAE([7, 4], seed=3)
    assert single.contractive_penalty(X) == pytest.approx(single.layers[0].contractive_penalty(X), rel=1e-12)


def test_tangents_are_orthonormal_and_span_the_top_right_singular_space(backend_name):
    stack = cs.StackedCAE([7, 6, 5], seed=4, **model_kwargs(backend_name))
    host = inputs()
    T = backend.to_numpy(stack.tangents(stack.asarray(host), 2, max_bytes=1))
    assert T.shape == (5, 2, 7)
    np.testing.assert_allclose(np.einsum("bij,bkj->bik", T, T), np.broadcast_to(np.eye(2), (5, 2, 2)), atol=1e-12)
    _, _, Vh = np.linalg.svd(backend.to_numpy(stack.jacobian(stack.asarray(host))), full_matrices=False)
    P_ref = np.einsum("bij,bik->bjk", Vh[:, :2], Vh[:, :2])     # projector onto the top-2 right singular space
    np.testing.assert_allclose(np.einsum("bij,bik->bjk", T, T), P_ref, atol=1e-10)


def test_greedy_fit_trains_each_layer_on_the_codes_below():
    X = inputs(B=30, seed=5)
    stack = cs.StackedCAE([7, 5, 3], lam=[0.1, 0.5], seed=6)
    histories = stack.fit(X, epochs=[3, 2], batch_size=10, lr=1e-2, progress=False)
    assert [len(h["total"]) for h in histories] == [3, 2]
    first = cs.ContractiveAutoencoder(7, 5, lam=0.1, seed=6)
    first.fit(X, epochs=3, batch_size=10, lr=1e-2, progress=False)
    second = cs.ContractiveAutoencoder(5, 3, lam=0.5, seed=7)
    second.fit(first.encode(X), epochs=2, batch_size=10, lr=1e-2, progress=False)
    for got, ref in zip(stack.layers, (first, second)):
        assert got.lam == ref.lam
        for k in ref.params:
            np.testing.assert_allclose(got.params[k], ref.params[k], rtol=1e-12, atol=1e-15)


def test_save_load_round_trip_and_wrong_files(tmp_path, backend_name):
    stack = cs.StackedCAE(SIZES, lam=[0.1, 0.2, 0.3], seed=8)
    stack.fit(inputs(B=10), epochs=1, batch_size=5, progress=False)
    path = stack.save(tmp_path / "stack.npz")
    back = cs.StackedCAE.load(path, **model_kwargs(backend_name))
    assert back.sizes == SIZES and [layer.lam for layer in back.layers] == [0.1, 0.2, 0.3]
    assert_close(back.jacobian(back.asarray(inputs())), stack.jacobian(inputs()), rtol=1e-14, xp=back.xp)
    with pytest.raises(ValueError, match="not a StackedCAE"):
        cs.StackedCAE.load(cs.ContractiveAutoencoder(7, 5).save(tmp_path / "cae.npz"))
    with pytest.raises(ValueError, match="not a StackedCAE"):
        cs.StackedCAE.load(cs.TangentClassifier(7, 5, 2).save(tmp_path / "clf.npz"))
    with pytest.raises(ValueError, match="no model file"):
        cs.StackedCAE.load(tmp_path / "missing.npz")


def test_bad_inputs_say_what_to_do():
    with pytest.raises(ValueError, match="at least two"):
        cs.StackedCAE([7])
    with pytest.raises(ValueError, match="one per layer"):
        cs.StackedCAE([7, 5, 3], lam=[0.1])
    with pytest.raises(ValueError, match="loss='mse'"):
        cs.StackedCAE([7, 5, 3], activation="tanh")
    with pytest.raises(TypeError, match="positive integer"):
        cs.StackedCAE([7, 5.5])
    stack = cs.StackedCAE([7, 5, 3])
    with pytest.raises(ValueError, match="one per layer"):
        stack.fit(inputs(), epochs=[1, 2, 3])
    with pytest.raises(ValueError, match="columns"):
        stack.jacobian(inputs(n=6))
    with pytest.raises(ValueError, match="between 1 and"):
        stack.tangents(inputs(), 4)
