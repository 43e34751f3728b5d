"""Behaviour of training: it learns, it is reproducible, lam does what it says, divergence is safe."""
import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import optim, train


def test_training_lowers_the_loss_on_digits(digits):
    model = cs.ContractiveAutoencoder(64, 32, lam=0.1)
    hist = model.fit(digits, epochs=5, batch_size=64, lr=1e-2, progress=False)
    assert hist["epoch"] == [1, 2, 3, 4, 5]
    assert hist["total"][-1] < 0.7 * hist["total"][0]
    assert all(np.isfinite(hist[t]).all() for t in ("total", "reconstruction", "contractive"))
    terms = model.loss_terms(digits)
    assert terms["total"] == pytest.approx(terms["reconstruction"] + 0.1 * terms["contractive"])


def test_twenty_examples_can_be_overfit(digits):
    X = digits[:20]
    model = cs.ContractiveAutoencoder(64, 64, lam=0.0, loss="mse", decoder_activation="linear",
                                      activation="tanh")
    before = model.loss_terms(X)["reconstruction"]
    model.fit(X, epochs=1500, batch_size=20, lr=3e-3, progress=False)
    after = model.loss_terms(X)["reconstruction"]
    assert after < 1e-3 * before and after < 0.01


def test_larger_lam_gives_smaller_penalty(digits):
    penalties = []
    for lam in (0.0, 0.1, 1.0):
        model = cs.ContractiveAutoencoder(64, 32, lam=lam, seed=0)
        model.fit(digits, epochs=4, batch_size=64, lr=1e-2, progress=False)
        penalties.append(model.contractive_penalty(digits))
    assert penalties[0] > penalties[1] > penalties[2]


def test_same_seed_same_history_and_weights(digits):
    runs = []
    for _ in range(2):
        model = cs.ContractiveAutoencoder(64, 16, seed=3)
        runs.append((model.fit(digits[:200], epochs=2, batch_size=32, seed=5, progress=False), model.params["W"]))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    other = cs.ContractiveAutoencoder(64, 16, seed=3).fit(digits[:200], epochs=2, batch_size=32, seed=6,
                                                          progress=False)
    assert other["total"] != runs[0][0]["total"]         # the shuffling seed matters


def test_each_epoch_visits_every_example_once_in_a_fresh_order():
    X = np.arange(10.0)[:, None] * np.ones((1, 3)) / 10        # row i holds i / 10: rows are identifiable
    seen = []

    def recording_step(params, Xb, spec, target=None):
        seen.append(np.round(Xb[:, 0] * 10).astype(int).tolist())
        zero = {k: np.zeros_like(v) for k, v in params.items()}
        return {t: np.asarray(1.0) for t in train.TERMS}, zero
    model = cs.ContractiveAutoencoder(3, 2)
    hist = train.fit(model.params, X, model.spec, epochs=2, batch_size=4, lr=1e-3, progress=False,
                     step=recording_step)
    assert [len(b) for b in seen] == [4, 4, 2] * 2
    epochs = [sum(seen[:3], []), sum(seen[3:], [])]
    assert all(sorted(e) == list(range(10)) for e in epochs) and epochs[0] != epochs[1]
    assert hist["total"] == [1.0, 1.0]                      # per-example mean of the per-batch terms


@pytest.mark.parametrize("name", optim.OPTIMIZERS)
def test_every_optimizer_trains_and_updates_in_place(name, digits):
    model = cs.ContractiveAutoencoder(64, 16)
    W = model.params["W"]
    hist = model.fit(digits[:256], epochs=3, batch_size=32, lr=0.05 if name != "adam" else 0.01,
                     optimizer=name, progress=False)
    assert hist["total"][-1] < hist["total"][0]
    assert model.params["W"] is W                        # the same array, updated in place


def test_adam_first_step_moves_each_weight_by_lr():
    p = {"w": np.array([1.0, -2.0])}
    opt = optim.Adam(p, lr=0.1)
    opt.step(p, {"w": np.array([3.0, -0.5])})
    np.testing.assert_allclose(p["w"], [0.9, -1.9], rtol=1e-6)     # bias-corrected: step = lr sign(g)


def test_momentum_matches_its_recurrence():
    p = {"w": np.array([0.0])}
    opt = optim.Momentum(p, lr=0.1, mu=0.5)
    for _ in range(2):
        opt.step(p, {"w": np.array([1.0])})
    np.testing.assert_allclose(p["w"], [-0.1 - 0.15])             # v1 = 1, v2 = 1.5


def test_divergence_stops_with_a_clear_error_and_keeps_finite_params(digits):
    model = cs.ContractiveAutoencoder(64, 16, activation="linear", loss="mse", decoder_activation="linear",
                                      lam=0.0)
    model.fit(digits[:64], epochs=1, batch_size=64, lr=1e-3, optimizer="sgd", progress=False)
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(cs.TrainingDivergedError, match=r"epoch 1 .*Lower lr"):
        model.fit(digits[:64], epochs=5, batch_size=4, lr=1e6, optimizer="sgd", progress=False)
    for k in before:                                     # the last finite parameters: before this fit
        np.testing.assert_array_equal(model.params[k], before[k])
    with pytest.raises(cs.TrainingDivergedError, match="keeps"):
        model.fit(digits[:64], epochs=50, batch_size=16, lr=3.0, optimizer="sgd", progress=False)
    assert all(np.isfinite(v).all() for v in model.params.values())


def test_progress_bar_is_off_when_not_a_terminal(capsys, digits):
    cs.ContractiveAutoencoder(64, 8).fit(digits[:64], epochs=1, batch_size=32, progress=True)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_minibatches_cut_one_shuffle_stream_permutation_per_epoch():
    """The generator both fits share: each epoch a permutation of range(n) drawn by the generator given (fit
    passes the seed's "shuffle" stream), in slices of batch_size rows, the last one short."""
    from cae_scratch import backend
    gen, again = backend.stream(4, "shuffle"), backend.stream(4, "shuffle")
    for _ in range(2):
        batches = list(train.minibatches(gen, 10, 4, np, None))
        assert [len(b) for b in batches] == [4, 4, 2]
        np.testing.assert_array_equal(np.concatenate(batches), again.permutation(10))
