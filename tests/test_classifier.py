"""TangentClassifier: the holder calls tangentprop, trains, starts from an encoder, saves, and rejects bad input."""
import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch.core import tangentprop as tp
from cae_scratch.core.activations import get_activation
from _helpers import assert_close, model_kwargs


def toy(B=12, n_visible=6, n_classes=3, k=2, seed=0):
    gen = np.random.default_rng(seed)
    return gen.random((B, n_visible)), gen.integers(0, n_classes, B), gen.standard_normal((B, k, n_visible))


@pytest.mark.parametrize("with_tangents", [False, True], ids=["mlp", "tangentprop"])
def test_loss_and_grads_pass_the_gradient_check_on_every_backend(backend_name, with_tangents):
    clf = cs.TangentClassifier(6, 4, 3, activation="tanh", beta=0.5, seed=1, **model_kwargs(backend_name))
    X, y, U = toy()
    X, U = clf.asarray(X), clf.asarray(U) if with_tangents else None
    loss, grads = clf.loss_and_grads(X, y, U)
    Y = clf.asarray(np.eye(3)[y])
    f = lambda p: float(tp.loss_terms(p, X, Y, get_activation("tanh"), 0.5, U)["total"])
    cs.assert_gradients_close(cs.check_gradients(f, clf.params, grads), tol=1e-7)
    assert loss == pytest.approx(clf.loss_terms(X, y, U)["total"], rel=1e-14)
    assert clf.logits(X).shape == (12, 3) and clf.predict(X).shape == (12,)


def test_same_seed_same_weights_on_every_backend(backend_name):
    ref = cs.TangentClassifier(6, 4, 3, seed=5)
    clf = cs.TangentClassifier(6, 4, 3, seed=5, **model_kwargs(backend_name))
    for k in ref.params:
        assert_close(clf.params[k], ref.params[k], rtol=0, atol=0, xp=clf.xp)


def test_from_encoder_copies_the_encoder():
    cae = cs.ContractiveAutoencoder(6, 4, activation="softplus", seed=2)
    clf = cs.TangentClassifier.from_encoder(cae, 3, beta=0.2)
    np.testing.assert_array_equal(clf.params["W"], cae.params["W"])
    np.testing.assert_array_equal(clf.params["b_h"], cae.params["b_h"])
    assert clf.activation == "softplus" and clf.beta == 0.2 and clf.params["V"].shape == (3, 4)
    X, y, _ = toy()
    W_before = np.array(cae.params["W"])
    clf.fit(X, y, epochs=3, batch_size=4, lr=1e-2)
    np.testing.assert_array_equal(cae.params["W"], W_before)            # fine-tuning left the CAE alone
    assert not np.allclose(clf.params["W"], W_before)
    with pytest.raises(TypeError, match="ContractiveAutoencoder"):
        cs.TangentClassifier.from_encoder(clf.params, 3)


def test_fit_overfits_a_tiny_set_and_tangentprop_flattens_the_logits_along_u():
    X, y, U = toy(B=20, seed=3)
    mlp = cs.TangentClassifier(6, 16, 3, beta=1.0, seed=0)
    history = mlp.fit(X, y, epochs=300, batch_size=20, lr=3e-2)
    assert history["total"][-1] < 0.05 * history["total"][0] and mlp.error(X, y) == 0.0
    mtc = cs.TangentClassifier(6, 16, 3, beta=1.0, seed=0)
    h_mtc = mtc.fit(X, y, U, epochs=300, batch_size=5, lr=3e-2)
    assert h_mtc["total"][-1] < h_mtc["total"][0]
    assert mtc.loss_terms(X, y, U)["tangent"] < 0.1 * mlp.loss_terms(X, y, U)["tangent"]


def test_fit_takes_the_tangents_by_rows_like_the_inputs():
    """One full batch with U equals one step of Adam on loss_and_grads(X, y, U), whatever the shuffle."""
    X, y, U = toy(B=8)
    a, b = cs.TangentClassifier(6, 5, 3, seed=0), cs.TangentClassifier(6, 5, 3, seed=0)
    a.fit(X, y, U, epochs=1, batch_size=8, lr=1e-2, optimizer="sgd", seed=0)
    _, g = b.loss_and_grads(X, y, U)
    for k in g:
        np.testing.assert_allclose(a.params[k], b.params[k] - 1e-2 * g[k], rtol=1e-12, atol=1e-15)


def test_save_load_round_trip(tmp_path, backend_name):
    clf = cs.TangentClassifier(6, 4, 3, activation="softplus", beta=0.3, seed=7)
    path = clf.save(tmp_path / "clf.npz")
    back = cs.TangentClassifier.load(path, **model_kwargs(backend_name))
    assert (back.n_classes, back.activation, back.beta) == (3, "softplus", 0.3)
    X = toy()[0]
    assert_close(back.logits(back.asarray(X)), clf.logits(X), rtol=1e-15, xp=back.xp)
    cae_path = cs.ContractiveAutoencoder(6, 4).save(tmp_path / "cae.npz")
    with pytest.raises(ValueError, match="not a TangentClassifier"):
        cs.TangentClassifier.load(cae_path)
    with pytest.raises(ValueError, match="not a valid cae-scratch model file"):
        cs.ContractiveAutoencoder.load(path)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="corrupt or truncated"):
        cs.TangentClassifier.load(tmp_path / "junk.npz")


def test_bad_inputs_say_what_to_do():
    clf = cs.TangentClassifier(6, 4, 3)
    X, y, U = toy()
    with pytest.raises(ValueError, match="integer class labels"):
        clf.loss_and_grads(X, y.astype(float))
    with pytest.raises(ValueError, match="integer class labels"):
        clf.loss_and_grads(X, y + 3)
    with pytest.raises(ValueError, match="one label per row"):
        clf.fit(X, y[:5])
    with pytest.raises(ValueError, match=r"\(B, k, n_visible\)"):
        clf.loss_and_grads(X, y, U[:, :, :5])
    with pytest.raises(ValueError, match=r"\(B, k, n_visible\)"):
        clf.loss_and_grads(X, y, U[0])
    with pytest.raises(ValueError, match="NaN"):
        clf.loss_and_grads(X, y, np.full_like(U, np.nan))
    with pytest.raises(ValueError, match="columns"):
        clf.predict(X[:, :5])
    with pytest.raises(ValueError, match="beta"):
        cs.TangentClassifier(6, 4, 3, beta=-1.0)
    with pytest.raises(ValueError, match="activation"):
        cs.TangentClassifier(6, 4, 3, activation="swish")
    with pytest.raises(TypeError, match="n_classes"):
        cs.TangentClassifier(6, 4, 2.5)
    with pytest.raises(ValueError, match="optimizer"):
        clf.fit(X, y, optimizer="lbfgs")
    strict = cs.TangentClassifier(6, 4, 3, backend="array_api_strict")
    with pytest.raises(TypeError, match="asarray"):
        strict.loss_and_grads(X, y)


def test_divergence_restores_the_last_finite_parameters_and_says_what_to_lower():
    """The classifier closes its epochs with train.end_epoch, as fit does: restore, raise, keep the history."""
    gen = np.random.default_rng(0)
    X, y = gen.random((40, 6)), gen.integers(0, 3, 40)
    clf = cs.TangentClassifier(6, 5, 3, beta=0.0)
    after_one = clf.fit(X, y, epochs=1, batch_size=40, lr=1e308, optimizer="sgd") and \
        {k: v.copy() for k, v in clf.params.items()}
    with pytest.raises(cs.TrainingDivergedError, match=r"epoch 1 \(loss inf\).*Lower lr .* or beta") as info:
        clf.fit(X, y, epochs=1, batch_size=40, lr=1e308, optimizer="sgd")
    for k in after_one:                                          # back to the end of the last finite epoch
        np.testing.assert_array_equal(clf.params[k], after_one[k])
        assert np.all(np.isfinite(clf.params[k]))
    assert info.value.history["epoch"] == []
