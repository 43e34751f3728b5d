"""Ctrl-C in training: ``train.fit`` puts back the parameters of the last finished epoch and raises
TrainingInterrupted with the finished epochs' history; no real signal is sent (a step raises instead)."""
import numpy as np
import pytest

from cae_scratch import backend, train
from cae_scratch.core import network
from cae_scratch.core.fused import FusedStep
from cae_scratch.train import TrainingInterrupted

N, BATCH = 40, 8                         # 5 batches an epoch


def problem(seed=0):
    spec = network.Spec(lam=0.1)
    params = network.init_params(12, 5, spec, np, np.float64, None, seed)
    X = backend.rng(seed + 1).random((N, 12))
    return params, X, spec


def interrupting_step(at_call):
    """The fused step, raising KeyboardInterrupt (as Ctrl-C would) on its ``at_call``-th call (1-based)."""
    step, calls = FusedStep(), [0]

    def run(params, X, spec, target=None, **kw):
        calls[0] += 1
        if calls[0] == at_call:
            raise KeyboardInterrupt
        return step(params, X, spec, target, **kw)
    return run


def trained(epochs):
    params, X, spec = problem()
    history = train.fit(params, X, spec, epochs=epochs, batch_size=BATCH, lr=1e-2, progress=False)
    return params, history


def test_ctrl_c_in_epoch_3_keeps_the_model_and_history_of_epoch_2():
    params, X, spec = problem()
    with pytest.raises(TrainingInterrupted) as info:       # the 3rd call of epoch 3: mid-epoch
        train.fit(params, X, spec, epochs=5, batch_size=BATCH, lr=1e-2, progress=False,
                  step=interrupting_step(2 * 5 + 3))
    e = info.value
    assert isinstance(e, KeyboardInterrupt) and e.epochs_done == 2
    expected, history = trained(2)
    assert e.history["epoch"] == [1, 2]
    for term in ("total", "reconstruction", "contractive"):
        np.testing.assert_allclose(e.history[term], history[term], rtol=1e-12)
    for k in expected:                                      # not the half-trained epoch 3's parameters
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-12, atol=0)
    half, _ = trained(3)
    assert not np.allclose(params["W"], half["W"])          # the control: epoch 3 would differ


def test_ctrl_c_in_the_first_epoch_restores_the_initial_parameters():
    params, X, spec = problem()
    initial = {k: p.copy() for k, p in params.items()}
    with pytest.raises(TrainingInterrupted) as info:
        train.fit(params, X, spec, epochs=3, batch_size=BATCH, lr=1e-2, progress=False, step=interrupting_step(4))
    assert info.value.epochs_done == 0 and info.value.history["epoch"] == []
    for k in initial:
        np.testing.assert_array_equal(params[k], initial[k])


def test_ctrl_c_while_an_epoch_closes_keeps_history_and_parameters_in_step(monkeypatch):
    """Ctrl-C after end_epoch logged epoch 2 but before its copy was kept: the run keeps epoch 1, and its
    history says so (not a history of 2 epochs beside the parameters of 1)."""
    real, closed = train.end_epoch, [0]

    def end_epoch_then_ctrl_c(*args):
        out = real(*args)
        closed[0] += 1
        if closed[0] == 2:
            raise KeyboardInterrupt
        return out
    monkeypatch.setattr(train, "end_epoch", end_epoch_then_ctrl_c)
    params, X, spec = problem()
    with pytest.raises(TrainingInterrupted) as info:
        train.fit(params, X, spec, epochs=4, batch_size=BATCH, lr=1e-2, progress=False)
    assert info.value.epochs_done == 1
    assert all(len(v) == 1 for v in info.value.history.values())
    monkeypatch.setattr(train, "end_epoch", real)
    expected, _ = trained(1)
    for k in expected:
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-12, atol=0)


def test_other_errors_pass_through_untouched():
    params, X, spec = problem()

    def broken(*a, **k):
        raise RuntimeError("a bug in a step")
    with pytest.raises(RuntimeError, match="a bug in a step"):
        train.fit(params, X, spec, epochs=2, batch_size=BATCH, lr=1e-2, progress=False, step=broken)
