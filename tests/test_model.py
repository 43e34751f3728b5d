"""The model as a holder: assigned parameters are copies, two threads are safe, bad settings are refused."""
import threading

import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch.core import network


def test_assigned_params_are_copied_so_training_one_model_never_changes_another(digits):
    a = cs.ContractiveAutoencoder(64, 8, seed=0)
    b = cs.ContractiveAutoencoder(64, 8, seed=1)
    b.params = a.params
    before = {k: v.copy() for k, v in a.params.items()}
    b.fit(digits[:64], epochs=1, batch_size=32, lr=1e-2, progress=False)
    for k in before:
        np.testing.assert_array_equal(a.params[k], before[k])       # a untouched
    assert not np.allclose(b.params["W"], before["W"])             # b trained


def test_assigning_or_saving_non_finite_params_is_refused(tmp_path):
    model = cs.ContractiveAutoencoder(4, 3)
    bad = dict(model.params, W=np.full((3, 4), np.inf))
    with pytest.raises(ValueError, match=r"params\['W'\] contains NaN or inf"):
        model.params = bad


def test_two_threads_on_one_model_get_the_same_answers_as_one():
    model = cs.ContractiveAutoencoder(30, 20, lam=0.3, seed=0)
    batches = [np.random.default_rng(i).random((16, 30)) for i in range(30)]
    expected = [network.loss_and_grads(model.params, X, model.spec) for X in batches]
    results = [None] * len(batches)

    def work(indices):
        for i in indices:
            results[i] = model.loss_and_grads(batches[i])
    threads = [threading.Thread(target=work, args=(range(k, len(batches), 2),)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (loss, grads), (terms, ref) in zip(results, expected):
        assert loss == pytest.approx(float(terms["total"]), rel=1e-10)
        for k in ref:
            np.testing.assert_allclose(grads[k], ref[k], rtol=1e-9, atol=1e-12)


def test_fit_refuses_read_only_parameters_before_touching_any():
    model = cs.ContractiveAutoencoder(4, 3)
    for p in model.params.values():
        p.flags.writeable = False
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(ValueError, match="read-only"):
        model.fit(np.random.default_rng(0).random((8, 4)), epochs=1, progress=False)
    for k in before:
        np.testing.assert_array_equal(model.params[k], before[k])


def test_fit_stops_when_the_parameters_overflow_even_if_the_loss_did_not():
    """The update after an epoch's last loss can overflow: the parameters are checked, not only the loss."""
    X = np.random.default_rng(0).random((64, 5)) * 100
    for epochs in (1, 2):
        model = cs.ContractiveAutoencoder(5, 3, loss="mse", decoder_activation="linear", activation="linear", lam=0.0)
        start = {k: v.copy() for k, v in model.params.items()}
        with pytest.raises(cs.TrainingDivergedError, match="non-finite parameters") as info:
            model.fit(X, epochs=epochs, batch_size=64, lr=1e307, optimizer="sgd", progress=False)
        assert all(np.all(np.isfinite(p)) for p in model.params.values())
        for k in start:                                             # back to the last finite parameters
            np.testing.assert_array_equal(model.params[k], start[k])
        assert info.value.history["epoch"] == []


def test_masked_arrays_are_refused():
    model = cs.ContractiveAutoencoder(4, 3)
    X = np.ma.array(np.random.default_rng(0).random((5, 4)), mask=np.eye(5, 4, dtype=bool))
    with pytest.raises(TypeError, match="masked array"):
        model.fit(X, epochs=1, progress=False)


def test_float64_values_beyond_float32_are_named_not_called_nan():
    model = cs.ContractiveAutoencoder(3, 2, dtype="float32", loss="mse", decoder_activation="linear")
    with pytest.raises(ValueError, match="float32's range"):
        model.encode(np.array([[1e39, 0.0, 0.0]]))


@pytest.mark.parametrize("max_bytes", ["abc", None, float("nan"), 0, -5])
def test_jacobian_memory_cap_is_checked(max_bytes):
    model = cs.ContractiveAutoencoder(3, 2)
    with pytest.raises((TypeError, ValueError), match="max_bytes must be a positive integer"):
        model.jacobian(np.zeros((1, 3)), max_bytes=max_bytes)


@pytest.mark.parametrize("corruption", ["gaussian", "masking"])
def test_corruption_without_noise_is_refused(corruption):
    with pytest.raises(ValueError, match="corrupts nothing"):
        cs.ContractiveAutoencoder(4, 2, corruption=corruption, noise=0.0)


@pytest.mark.parametrize("step", ["fused", "reference"])
def test_check_gradients_checks_the_step_it_names(step, monkeypatch):
    """A bug planted in one step is seen by that step's check only."""
    from cae_scratch.core import fused
    model = cs.ContractiveAutoencoder(5, 4, lam=0.5, seed=2)
    X = np.random.default_rng(1).random((3, 5))
    target = fused if step == "fused" else network
    original = target.loss_and_grads

    def buggy(*a, **k):
        terms, grads = original(*a, **k)
        return terms, dict(grads, W=grads["W"] * 0.5)
    monkeypatch.setattr(target, "loss_and_grads", buggy)
    assert max(r.rel_error for r in model.check_gradients(X, step=step).values()) > 0.1
    other = "reference" if step == "fused" else "fused"
    cs.assert_gradients_close(model.check_gradients(X, step=other))


def test_every_spec_field_is_a_keyword_a_header_field_and_in_the_repr(tmp_path):
    """The settings follow ``Spec``'s fields: each one, set off its default, reaches the model's spec,
    survives save/load and shows in repr; an unknown keyword is refused by name."""
    import dataclasses
    off_default = {"activation": "tanh", "decoder_activation": "linear", "loss": "mse", "tied": False,
                   "lam": 0.25, "hessian": "stochastic", "gamma": 0.5, "hessian_noise": 0.2, "hessian_copies": 3}
    assert set(off_default) == {f.name for f in dataclasses.fields(network.Spec)}
    model = cs.ContractiveAutoencoder(5, 3, corruption="masking", noise=0.2, **off_default)
    back = cs.ContractiveAutoencoder.load(model.save(tmp_path / "m.npz"))
    for field, value in off_default.items():
        assert getattr(model.spec, field) == value == getattr(back.spec, field)
        assert f"{field}={value!r}" in repr(back), (field, repr(back))
    assert "corruption='masking'" in repr(back) and "noise=0.2" in repr(back)
    with pytest.raises(TypeError, match="unknown setting 'lamda'"):
        cs.ContractiveAutoencoder(5, 3, lamda=0.1)
