import json
import subprocess
import sys

import numpy as np

import cae_scratch as cs
from cae_scratch.apps.cli import main


def test_train_writes_model_history_and_figures(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--hidden", "16", "--epochs", "3", "--no-progress", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "epoch   3" in text and "wrote model.npz" in text
    history = json.loads((out / "history.json").read_text())
    assert len(history["total"]) == 3 and history["total"][-1] < history["total"][0]
    model = cs.ContractiveAutoencoder.load(out / "model.npz")
    assert model.n_hidden == 16 and model.lam == 0.1
    for png in ("filters.png", "history.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_arguments_give_a_clear_message_and_exit_code(tmp_path, capsys):
    assert main(["train", "--activation", "swish", "--out", str(tmp_path)]) == 2
    assert "invalid choice: 'swish'" in capsys.readouterr().err
    assert main(["train", "--data", "imagenet", "--out", str(tmp_path)]) == 2


def test_help_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "cae_scratch", "train", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--lam" in out.stdout and "--backend" in out.stdout


def test_digits_are_scaled_and_split():
    from cae_scratch import data
    X, y = data.load_digits(return_labels=True)
    assert X.shape == (1797, 64) and X.min() == 0.0 and X.max() == 1.0 and set(y) == set(range(10))
    Xtr, ytr, Xte, yte = data.load_digits(test_fraction=0.25, seed=1)
    assert len(Xte) == 449 and len(Xtr) + len(Xte) == 1797
    np.testing.assert_array_equal(np.sort(np.concatenate([ytr, yte])), np.sort(y))   # a permutation of all rows
    np.testing.assert_allclose(np.concatenate([Xtr, Xte]).sum(), X.sum())
