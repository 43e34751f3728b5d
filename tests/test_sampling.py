"""Sampling from a CAE: every step equals g(W_r (h + J J^T eps) + b_r) computed with the explicit J,
the seed fixes the chain, every backend gives the numbers NumPy gives, and bad input gets a clear error."""
import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import backend, sampling
from cae_scratch.core.activations import get_activation
from _helpers import ACTS, assert_close, on

STEPS, B, N_V, N_H = 3, 4, 6, 5


def model_and_X(activation="tanh", tied=True, decoder="sigmoid", seed=0, **kw):
    model = cs.ContractiveAutoencoder(N_V, N_H, activation=activation, decoder_activation=decoder, loss="mse",
                                      tied=tied, seed=seed, **kw)
    gen = np.random.default_rng(seed + 100)
    params = {k: model.asarray(gen.uniform(-0.8, 0.8, v.shape)) for k, v in model.params.items()}
    model.params = params                      # non-zero biases, so b_h and b_r are exercised too
    return model, gen.random((B, N_V))


def explicit_chain(model, X0, eps):
    """The step example by example, with J(x_n) from model.jacobian: x <- g(W_r (h + J J^T eps) + b_r)."""
    p = {k: backend.to_numpy(v) for k, v in model.params.items()}
    W_r = p["W"].T if model.spec.tied else p["W_r"]
    g = get_activation(model.spec.decoder_activation).f
    states, X = [X0], X0
    for E in eps:
        J, H = backend.to_numpy(model.jacobian(X)), backend.to_numpy(model.encode(X))
        X = np.stack([g(W_r @ (H[n] + J[n] @ (J[n].T @ E[n])) + p["b_r"]) for n in range(len(X))])
        states.append(X)
    return np.stack(states)


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("activation", ACTS)
def test_sample_equals_the_step_with_the_explicit_jacobian(activation, tied):
    decoder = "linear" if activation == "relu" else "sigmoid"
    model, X0 = model_and_X(activation, tied, decoder)
    eps = sampling.noise_generator(7).standard_normal((STEPS, B, N_H)) * 0.3   # the seed's own stream, in one block
    expected = explicit_chain(model, X0, eps)
    chain = model.sample(X0, STEPS, 0.3, seed=7, chain=True)
    assert chain.shape == (STEPS + 1, B, N_V)
    np.testing.assert_array_equal(chain[0], X0)
    np.testing.assert_allclose(chain, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(model.sample(X0, STEPS, 0.3, seed=7), expected[-1], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(model.sample(X0, STEPS, 99.0, noise=eps), expected[-1], rtol=1e-12, atol=1e-14)


def test_the_explicit_check_sees_a_wrong_step():
    """Negative control: the same comparison rejects isotropic code noise and J J^T with one s' missing."""
    model, X0 = model_and_X()
    eps = sampling.noise_generator(0).standard_normal((1, B, N_H))
    expected = explicit_chain(model, X0, eps)[-1]
    p, act = model.params, get_activation("tanh")
    H, (_, _, _, D1) = sampling.encoder_forward(p["W"], p["b_h"], X0, act)
    g = get_activation("sigmoid").f
    for wrong_noise in (eps[0], D1 * ((eps[0] @ p["W"]) @ p["W"].T)):
        wrong = g((H + wrong_noise) @ p["W"] + p["b_r"])
        assert np.max(np.abs(wrong - expected)) > 1e-3
    right = g((H + sampling.tangent_noise(p["W"], D1, eps[0])) @ p["W"] + p["b_r"])
    np.testing.assert_allclose(right, expected, rtol=1e-12)


def test_sigma_zero_iterates_the_reconstruction():
    model, X0 = model_and_X("sigmoid")
    np.testing.assert_allclose(model.sample(X0, 2, 0.0), model.reconstruct(model.reconstruct(X0)), rtol=1e-12)


def test_same_seed_same_chain_another_seed_another():
    model, X0 = model_and_X()
    a, b = model.sample(X0, 5, 0.5, seed=3, chain=True), model.sample(X0, 5, 0.5, seed=3, chain=True)
    np.testing.assert_array_equal(a, b)
    c = model.sample(X0, 5, 0.5, seed=4, chain=True)
    assert np.all(np.abs(c[1:] - a[1:]).max(axis=(1, 2)) > 1e-3)
    # the sampler's stream is its own named stream: no other stream of the table draws its numbers
    own = sampling.noise_generator(3).standard_normal(8)
    np.testing.assert_array_equal(own, backend.stream(3, "sampling").standard_normal(8))
    for name in backend.STREAMS:
        if name != "sampling":
            assert not np.allclose(backend.stream(3, name).standard_normal(8), own)


def test_every_backend_gives_numpys_chain(backend_name, make_model):
    host, X0 = model_and_X("softplus", tied=False)
    model = make_model(N_V, N_H, activation="softplus", loss="mse", tied=False)
    model.params = {k: model.asarray(v) for k, v in host.params.items()}
    chain = model.sample(model.asarray(X0), STEPS, 0.4, seed=1, chain=True)
    assert_close(chain, host.sample(X0, STEPS, 0.4, seed=1, chain=True), rtol=1e-12, atol=1e-14,
                 xp=model.xp, dtype="float64")
    eps = model.asarray(sampling.noise_generator(1).standard_normal((STEPS, B, N_H)) * 0.4)
    assert_close(model.sample(model.asarray(X0), STEPS, 0.4, noise=eps), chain[-1, ...], rtol=1e-12,
                 xp=model.xp)


def test_float32_stays_float32(xp):
    model, X0 = model_and_X()
    params32 = {k: on(xp, backend.to_numpy(v), "float32") for k, v in model.params.items()}
    out = sampling.sample(params32, on(xp, X0, "float32"), 2, 0.2, activation="tanh", seed=0)
    assert_close(out, model.sample(X0, 2, 0.2, seed=0), rtol=1e-4, xp=xp[0], dtype="float32")


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(steps=0), ValueError, "steps must be a positive integer"),
    (dict(steps=2.5), TypeError, "steps must be a positive integer"),
    (dict(steps=True), TypeError, "steps"),
    (dict(sigma=-0.1), ValueError, "sigma must be a number >= 0"),
    (dict(sigma=float("nan")), ValueError, "sigma"),
    (dict(sigma="0.1"), TypeError, "sigma"),
    (dict(X0=np.zeros((2, N_V + 1))), ValueError, "X0 has 7 columns"),
    (dict(X0=np.zeros(N_V)), ValueError, "X0 must be 2-D"),
    (dict(X0=np.full((2, N_V), np.nan)), ValueError, "NaN"),
    (dict(noise=np.zeros((STEPS, B, N_H + 1))), ValueError, "(steps, B, n_hidden) = (3, 4, 5)"),
    (dict(noise=np.zeros((STEPS + 1, B, N_H))), ValueError, "noise must be finite with shape"),
    (dict(noise=np.full((STEPS, B, N_H), np.inf)), ValueError, "noise must be finite"),
    (dict(seed=-1), ValueError, "seed"),
])
def test_bad_input_gets_a_clear_error(kwargs, error, words):
    model, X0 = model_and_X()
    args = {"X0": X0, "steps": STEPS, "sigma": 0.1, **kwargs}
    with pytest.raises(error) as info:
        model.sample(**args)
    assert words in str(info.value)


def test_the_pure_function_checks_its_settings():
    model, X0 = model_and_X(tied=False)
    p = model.params
    with pytest.raises(ValueError, match="unknown activation"):
        sampling.sample(p, X0, 1, 0.1, activation="gelu", tied=False)
    with pytest.raises(ValueError, match="decoder_activation"):
        sampling.sample(p, X0, 1, 0.1, decoder_activation="tanh", tied=False)
    with pytest.raises(ValueError, match="W_r"):
        sampling.sample({k: v for k, v in p.items() if k != "W_r"}, X0, 1, 0.1, tied=False)
    bce = cs.ContractiveAutoencoder(N_V, N_H)
    with pytest.raises(ValueError, match="outside"):
        bce.sample(X0 + 1.0, 1, 0.1)                    # a bce model's chains start in [0, 1]
