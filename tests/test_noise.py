"""Denoising autoencoders: corruption statistics, clean targets, and backend parity."""
import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch.core import network
from cae_scratch.noise import corrupt
from _helpers import assert_close, model_kwargs


def test_masking_zeroes_the_requested_fraction_and_keeps_the_rest():
    X = np.random.default_rng(0).random((200, 50)) + 0.1
    Xc = corrupt(X, "masking", 0.3, np.random.default_rng(1))
    zeroed = Xc == 0
    assert abs(zeroed.mean() - 0.3) < 0.01
    np.testing.assert_array_equal(Xc[~zeroed], X[~zeroed])


def test_gaussian_adds_noise_of_the_requested_std():
    X = np.zeros((300, 40))
    Xc = corrupt(X, "gaussian", 0.2, np.random.default_rng(1))
    assert abs(Xc.std() - 0.2) < 0.005 and abs(Xc.mean()) < 0.005
    assert corrupt(X, "none", 0.5, np.random.default_rng(1)) is X


def test_dae_gradient_uses_corrupted_input_and_clean_target():
    model = cs.ContractiveAutoencoder(6, 4, lam=0.3, seed=2)
    rng = np.random.default_rng(3)
    X = rng.random((5, 6))
    Xc = corrupt(X, "gaussian", 0.3, rng)
    _, grads = network.loss_and_grads(model.params, Xc, model.spec, target=X)

    def f(p):
        return float(network.forward(p, Xc, model.spec, target=X)[0]["total"])
    cs.assert_gradients_close(cs.check_gradients(f, model.params, grads))


@pytest.mark.parametrize("kind,level", [("gaussian", 0.3), ("masking", 0.25)])
def test_dae_trains_reproducibly_on_every_backend(backend_name, kind, level, digits):
    host = digits[:96]
    ref = cs.ContractiveAutoencoder(64, 16, lam=0.0, corruption=kind, noise=level, seed=4)
    model = cs.ContractiveAutoencoder(64, 16, lam=0.0, corruption=kind, noise=level, seed=4,
                                      **model_kwargs(backend_name))
    h_ref = ref.fit(host, epochs=3, batch_size=32, lr=1e-2, progress=False)
    h = model.fit(model.asarray(host), epochs=3, batch_size=32, lr=1e-2, progress=False)
    np.testing.assert_allclose(h["total"], h_ref["total"], rtol=1e-10)
    assert h_ref["total"][-1] < h_ref["total"][0]
    assert_close(model.params["W"], ref.params["W"], rtol=1e-9)


def test_bad_corruption_settings():
    with pytest.raises(ValueError, match=r"choose one of \['none', 'gaussian', 'masking'\]"):
        cs.ContractiveAutoencoder(4, 2, corruption="salt")
    with pytest.raises(ValueError, match="must be < 1"):
        cs.ContractiveAutoencoder(4, 2, corruption="masking", noise=1.0)
    with pytest.raises(ValueError, match="noise"):
        cs.ContractiveAutoencoder(4, 2, corruption="gaussian", noise=-0.1)


def test_corruption_survives_save_and_load(tmp_path):
    model = cs.ContractiveAutoencoder(4, 2, corruption="masking", noise=0.2)
    loaded = cs.ContractiveAutoencoder.load(model.save(tmp_path / "m.npz"))
    assert loaded.corruption == "masking" and loaded.noise == 0.2
    assert "masking" in repr(loaded)
