"""ConvCAE, the holder: the dense model's conventions (validation, backends, files, training)."""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import backend, gradcheck
from cae_scratch.model import model_kwargs
from _helpers import assert_close


def small(**kw):
    return cs.ConvCAE((1, 6, 6), channels=2, kernel=3, **{"padding": 1, "seed": 3, **kw})


def data(n=5, shape=(1, 6, 6), seed=0):
    return np.random.default_rng(seed).uniform(0.05, 0.95, size=(n, int(np.prod(shape))))


def test_sizes_params_and_repr():
    m = small(stride=2)
    assert m.n_visible == 36 and m.n_hidden == 2 * 3 * 3
    assert {k: tuple(v.shape) for k, v in m.params.items()} == {"K": (2, 1, 3, 3), "b_h": (2,), "b_r": (1,)}
    assert "ConvCAE(in_shape=(1, 6, 6)" in repr(m)


def test_every_backend_equals_numpy(backend_name):
    X = data()
    ref = small()
    m = small(**model_kwargs(backend_name))
    Xb = m.asarray(X)
    assert_close(m.encode(Xb), ref.encode(X), rtol=1e-12)
    assert_close(m.reconstruct(Xb), ref.reconstruct(X), rtol=1e-12)
    loss, grads = m.loss_and_grads(Xb)
    ref_loss, ref_grads = ref.loss_and_grads(X)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for k in grads:
        assert_close(grads[k], ref_grads[k], rtol=1e-10, atol=1e-14)


def test_float32_stays_float32():
    m = small(dtype="float32")
    X = m.asarray(data())
    assert backend.dtype_name(m.encode(X)) == "float32"
    assert all(backend.dtype_name(g) == "float32" for g in m.loss_and_grads(X)[1].values())


def test_images_may_come_as_b_c_h_w_and_wrong_shapes_are_named():
    m, X = small(), data()
    np.testing.assert_array_equal(m.encode(X.reshape(5, 1, 6, 6)), m.encode(X))
    with pytest.raises(ValueError, match=r"\(1, 6, 6\)"):
        m.encode(X.reshape(5, 1, 4, 9))
    with pytest.raises(ValueError, match="n_visible"):
        m.encode(X[:, :30])
    with pytest.raises(ValueError, match="does not fit"):
        cs.ConvCAE((1, 4, 4), channels=2, kernel=5)
    with pytest.raises(ValueError, match="in_shape"):
        cs.ConvCAE((28, 28), channels=2, kernel=5)
    with pytest.raises(ValueError, match="padding"):
        small(padding=-1)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "softplus"])
def test_gradients_pass_finite_differences(activation):
    m = small(activation=activation, lam=0.7)
    cs.assert_gradients_close(m.check_gradients(data(4)), tol=1e-7)


def test_jacobian_equals_finite_differences_of_encode_and_the_penalty_its_norm():
    m, X = small(stride=2, lam=0.2), data(3)
    J = m.jacobian(X)
    h = 1e-6
    for j in (0, 7, 20, 35):
        e = np.zeros(36)
        e[j] = h
        fd = (m.encode(X + e) - m.encode(X - e)) / (2 * h)
        np.testing.assert_allclose(J[:, :, j], fd, rtol=1e-6, atol=1e-9)
    assert m.contractive_penalty(X) == pytest.approx(np.mean(np.sum(J * J, axis=(1, 2))), rel=1e-12)


def test_fit_lowers_the_loss_and_contraction_shrinks_J():
    from cae_scratch import data as datasets
    X = datasets.load_digits()[:400]
    plain = cs.ConvCAE((1, 8, 8), channels=4, kernel=3, lam=0.0, seed=0)
    cae = cs.ConvCAE((1, 8, 8), channels=4, kernel=3, lam=0.5, seed=0)
    h_plain = plain.fit(X, epochs=6, batch_size=32, lr=1e-2, progress=False)
    h_cae = cae.fit(X, epochs=6, batch_size=32, lr=1e-2, progress=False)
    assert h_plain["total"][-1] < h_plain["total"][0] and h_cae["total"][-1] < h_cae["total"][0]
    assert cae.contractive_penalty(X) < 0.5 * plain.contractive_penalty(X)


def test_save_and_load_round_trip(tmp_path):
    m = small(stride=2, activation="tanh", loss="mse", decoder_activation="linear", lam=0.3)
    path = m.save(tmp_path / "conv.npz")
    back = cs.ConvCAE.load(path)
    assert repr(back) == repr(m)
    for k in m.params:
        np.testing.assert_array_equal(back.params[k], m.params[k])


def rewrite_header(path, **changes):
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    header = json.loads(np.load(__import__("io").BytesIO(members["header.npy"])).item())
    header.update(changes)
    buf = __import__("io").BytesIO()
    np.save(buf, np.array(json.dumps(header)))
    members["header.npy"] = buf.getvalue()
    with zipfile.ZipFile(path, "w") as zf:
        for n, b in members.items():
            zf.writestr(n, b)


@pytest.mark.parametrize("changes", [{"in_shape": [1, 6]}, {"in_shape": [1, 6.5, 6]}, {"channels": True},
                                     {"kernel": 0}, {"padding": -1}, {"stride": "2"}, {"model": "Other"},
                                     {"kernel": 9}, {"activation": "nope"}])
def test_a_hostile_header_is_a_value_error_naming_the_file(tmp_path, changes):
    path = small().save(tmp_path / "conv.npz")
    rewrite_header(path, **changes)
    with pytest.raises(ValueError, match="conv.npz"):
        cs.ConvCAE.load(path)


def test_a_dense_model_file_is_not_a_conv_model(tmp_path):
    path = cs.ContractiveAutoencoder(36, 4).save(tmp_path / "dense.npz")
    with pytest.raises(ValueError, match="dense.npz"):
        cs.ConvCAE.load(path)


def test_params_assignment_is_validated_and_copied():
    m = small()
    K = np.array(m.params["K"])
    with pytest.raises(ValueError):
        m.params = {"K": K}
    bad = {**m.params, "K": np.full_like(K, np.nan)}
    with pytest.raises(ValueError):
        m.params = bad
    m.params = {**m.params, "K": K}
    K[...] = 0
    assert np.any(m.params["K"] != 0)
