"""Every bad input of a public entry point gets a ValueError/TypeError that says what to do."""
import numpy as np
import pytest

import cae_scratch as cs
from _helpers import model_kwargs

GOOD = np.random.default_rng(0).random((4, 6))


@pytest.mark.parametrize("kwargs,err,match", [
    (dict(activation="swish"), ValueError, r"choose one of \['linear', 'relu', 'sigmoid', 'softplus', 'tanh'\]"),
    (dict(decoder_activation="tanh"), ValueError, "choose one of"),
    (dict(loss="hinge"), ValueError, r"choose one of \['bce', 'mse'\]"),
    (dict(loss="bce", decoder_activation="linear"), ValueError, "use loss='mse'"),
    (dict(lam=-0.1), ValueError, r"lam must be a number >= 0 \(finite\) \(0 gives a plain autoencoder\)"),
    (dict(lam=float("nan")), ValueError, "lam"),
    (dict(lam="0.1"), TypeError, "lam"),
    (dict(dtype="float16"), ValueError, "float64"),
    (dict(backend="tensorflow_nope"), ValueError, "unknown backend"),
    (dict(tied="yes"), TypeError, "tied"),
    (dict(seed=-1), ValueError, "seed"),
])
def test_bad_constructor_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        cs.ContractiveAutoencoder(6, 3, **kwargs)


@pytest.mark.parametrize("n_visible,n_hidden,err", [(0, 3, ValueError), (6, -1, ValueError), (6.0, 3, TypeError),
                                                     (True, 3, TypeError)])
def test_bad_sizes(n_visible, n_hidden, err):
    with pytest.raises(err, match="positive integer"):
        cs.ContractiveAutoencoder(n_visible, n_hidden)


@pytest.mark.parametrize("X,err,match", [
    (GOOD[0], ValueError, r"must be 2-D .*X\[None, :\]"),
    (GOOD[None], ValueError, "must be 2-D"),
    (GOOD[:, :5], ValueError, "5 columns but the model has n_visible=6"),
    (GOOD[:0], ValueError, "empty batch"),
    (np.where(GOOD > 0.5, np.nan, GOOD), ValueError, "NaN or inf"),
    (np.where(GOOD > 0.5, np.inf, GOOD), ValueError, "NaN or inf"),
    (GOOD * 255, ValueError, r"scale your data to \[0, 1\]"),
    (GOOD - 0.5, ValueError, r"scale your data to \[0, 1\]"),
    ("not an array", TypeError, "real numbers"),
    (np.array([["a"] * 6]), TypeError, "real numbers"),
])
def test_bad_batches_at_every_entry_point(X, err, match):
    model = cs.ContractiveAutoencoder(6, 3)
    for call in (model.loss_and_grads, model.loss_terms, model.encode, model.reconstruct, model.jacobian,
                 model.contractive_penalty, lambda X: model.fit(X, epochs=1, progress=False),
                 lambda X: cs.check_model_gradients(model, X)):
        with pytest.raises(err, match=match):
            call(X)


def test_mse_accepts_data_outside_unit_interval_and_lists():
    model = cs.ContractiveAutoencoder(6, 3, loss="mse", decoder_activation="linear")
    assert np.isfinite(model.loss_and_grads(GOOD * 255 - 3)[0])
    assert np.isfinite(model.loss_terms(GOOD.tolist())["total"])


def test_integer_and_float32_data_are_cast_to_the_model_dtype():
    model = cs.ContractiveAutoencoder(6, 3, dtype="float32")
    assert model.encode(GOOD).dtype == np.float32
    assert model.encode((GOOD > 0.5).astype(np.int64)).dtype == np.float32


def test_decode_checks_code_width():
    model = cs.ContractiveAutoencoder(6, 3)
    with pytest.raises(ValueError, match="n_hidden=3"):
        model.decode(np.zeros((2, 4)))


@pytest.mark.parametrize("kwargs,err,match", [
    (dict(epochs=0), ValueError, "epochs"), (dict(epochs=2.5), TypeError, "epochs"),
    (dict(batch_size=0), ValueError, "batch_size"), (dict(lr=0.0), ValueError, "lr"),
    (dict(lr=-1e-3), ValueError, "lr"), (dict(lr=float("inf")), ValueError, "lr"),
    (dict(optimizer="rmsprop"), ValueError, r"choose one of \['sgd', 'momentum', 'adam'\]"),
    (dict(seed=-3), ValueError, "seed"),
])
def test_bad_fit_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        cs.ContractiveAutoencoder(6, 3).fit(GOOD, progress=False, **kwargs)


def test_arrays_of_another_backend_or_device_are_refused():
    import array_api_strict as xps
    host_model = cs.ContractiveAutoencoder(6, 3)
    strict = cs.ContractiveAutoencoder(6, 3, **model_kwargs("array_api_strict"))
    dev1 = cs.ContractiveAutoencoder(6, 3, **model_kwargs("array_api_strict:device1"))
    with pytest.raises(TypeError, match=r"model.asarray\(X\)"):
        host_model.encode(strict.asarray(GOOD))
    with pytest.raises(TypeError, match="numpy array but the model uses array_api_strict"):
        strict.encode(GOOD)
    with pytest.raises(ValueError, match="device"):
        dev1.encode(strict.asarray(GOOD))
    assert dev1.encode(dev1.asarray(GOOD)).device == xps.Device("device1")


def test_negative_lam_assignment_and_bad_params_are_refused():
    model = cs.ContractiveAutoencoder(6, 3)
    with pytest.raises(ValueError, match="lam"):
        model.lam = -1.0
    with pytest.raises(ValueError, match="keys"):
        model.params = {"W": model.params["W"]}
    with pytest.raises(ValueError, match=r"params\['W'\] has shape \(6, 3\), expected \(3, 6\)"):
        model.params = dict(model.params, W=model.params["W"].T.copy())
    model.params = dict(model.params, W=np.zeros((3, 6)))
    assert np.all(model.params["W"] == 0)
