"""StackedCAE's deep autoencoder: loss_and_grads with the probe estimate, probes, fine_tune."""
from __future__ import annotations

import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import data
from cae_scratch.model import model_kwargs
from _helpers import assert_close


def stack(**kw):
    return cs.StackedCAE([8, 6, 4], **{"lam": 0.1, "seed": 1, **kw})


def X(n=6, seed=0):
    return np.random.default_rng(seed).uniform(0.05, 0.95, size=(n, 8))


def test_probes_have_identity_second_moment_and_their_own_stream():
    s = stack()
    for probe in ("rademacher", "gaussian"):
        U = s.probes(4000, 1, probe=probe)[:, 0, :]
        np.testing.assert_allclose(U.T @ U / 4000, np.eye(8), atol=0.08)
    np.testing.assert_array_equal(s.probes(3, 2, seed=5), s.probes(3, 2, seed=5))
    assert not np.array_equal(s.probes(3, 2, seed=5), s.probes(3, 2, seed=6))
    assert set(np.unique(s.probes(3, 2))) == {-1.0, 1.0}


def test_many_probes_estimate_the_explicit_penalty_and_one_sign_set_is_exact():
    s, Xs = stack(), X()
    U = s.probes(6, 1)
    signs = np.array(np.meshgrid(*[[-1.0, 1.0]] * 8, indexing="ij")).reshape(8, -1).T      # all 256
    P = s.loss_and_grads(Xs, U=np.broadcast_to(signs, (6, 256, 8)).copy(), lam=1.0)[0] - \
        s.loss_and_grads(Xs, U=U, lam=0.0)[0]
    assert P == pytest.approx(s.contractive_penalty(Xs), rel=1e-12)


def test_gradients_pass_finite_differences():
    s, Xs = stack(), X(4)
    U = s.probes(4, 2, probe="gaussian")
    _, grads = s.loss_and_grads(Xs, U=U, lam=0.8)
    flat = s._flat_params()
    h = 1e-6
    for name in ("layer0_W", "layer1_b_h", "layer0_b_r"):
        P = flat[name]
        for i in list(np.ndindex(P.shape))[:6]:
            old = P[i]
            P[i] = old + h
            s._set_flat_params(flat)
            up = s.loss_and_grads(Xs, U=U, lam=0.8)[0]
            P[i] = old - h
            s._set_flat_params(flat)
            down = s.loss_and_grads(Xs, U=U, lam=0.8)[0]
            P[i] = old
            s._set_flat_params(flat)
            assert (up - down) / (2 * h) == pytest.approx(float(grads[name][i]), rel=1e-6, abs=1e-9)


def test_every_backend_equals_numpy(backend_name):
    ref, s = stack(), stack(**model_kwargs(backend_name))
    U = ref.probes(6, 2)
    loss, grads = s.loss_and_grads(s.asarray(X()), U=s.asarray(U), lam=0.3)
    ref_loss, ref_grads = ref.loss_and_grads(X(), U=U, lam=0.3)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for k in grads:
        assert_close(grads[k], ref_grads[k], rtol=1e-10, atol=1e-14)


def test_fine_tune_lowers_the_loss_and_the_stack_penalty():
    Xd = data.load_digits()[:300]
    s = cs.StackedCAE([64, 32, 16], lam=0.0, seed=0)
    s.fit(Xd, epochs=2, lr=1e-2, progress=False)
    before = s.contractive_penalty(Xd)
    h = s.fine_tune(Xd, epochs=4, lam=1.0, lr=1e-3, progress=False)
    assert h["total"][-1] < h["total"][0]
    assert s.contractive_penalty(Xd) < before


def test_bad_input_is_named():
    s = stack()
    with pytest.raises(ValueError, match="probes"):
        s.loss_and_grads(X(), U=np.ones((6, 2, 5)))
    with pytest.raises(ValueError, match="probe"):
        s.fine_tune(X(), probe="uniform")
    with pytest.raises(ValueError, match="lam"):
        s.loss_and_grads(X(), lam=-1)
    with pytest.raises(ValueError, match="untied"):
        cs.StackedCAE([8, 6, 4], tied=False, loss="mse", decoder_activation="linear").loss_and_grads(X())


def test_loss_and_grads_runs_the_fused_twin_and_its_grads_stay_the_callers():
    from cae_scratch.core import deep
    s, Xs = stack(), X()
    U = s.probes(6, 2)
    loss, grads = s.loss_and_grads(Xs, U=U, lam=0.4)
    kept = {k: np.copy(v) for k, v in grads.items()}
    s.loss_and_grads(X(seed=1), U=U, lam=0.4)                     # a second call must not write into the first's
    terms, ref = deep.autoencoder_loss_and_grads(s._flat_params(), Xs, [layer.spec for layer in s.layers], U, 0.4)
    assert loss == pytest.approx(float(terms["total"]), rel=1e-12)
    for k in ref:
        np.testing.assert_array_equal(grads[k], kept[k])
        assert_close(grads[k], ref[k], rtol=1e-10, atol=1e-14)
