import json
import os
import subprocess
import sys

import numpy as np
import pytest

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


# ---- issue 8: every command checks its arguments and paths before any work, and never shows a traceback
# (the fixture no_work, in conftest.py, makes the work raise if it is reached)
def bad_outs(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    return {"an existing file": str(a_file), "a path below a file": str(a_file / "sub"), "empty": "",
            "an unwritable place": "/proc/cae-scratch-out"}


@pytest.mark.parametrize("command", [["train"], ["experiment", "--quick"]])
def test_every_bad_out_exits_2_before_any_work(tmp_path, capsys, no_work, command):
    for what, out in bad_outs(tmp_path).items():
        assert main(command + ["--out", out]) == 2, what
        err = capsys.readouterr().err
        assert err.startswith("error: --out") and "Traceback" not in err, (what, err)


def test_train_refuses_a_model_file_that_is_a_directory(tmp_path, capsys, no_work):
    (tmp_path / "model.npz").mkdir()
    assert main(["train", "--out", str(tmp_path)]) == 2
    assert "model.npz is a directory" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--optimizer", "adagrad"], "invalid choice"), (["--lr", "0"], "--lr"), (["--lr", "nan"], "--lr"),
    (["--batch-size", "0"], "--batch-size"), (["--epochs", "-1"], "--epochs"), (["--hidden", "x"], "--hidden"),
    (["--backend", "nosuch"], "unknown backend"), (["--lam", "-1"], "--lam")])
def test_train_checks_every_argument_before_loading_data(tmp_path, capsys, no_work, monkeypatch, args, message):
    from cae_scratch import data
    monkeypatch.setattr(data, "load", lambda *a, **k: (_ for _ in ()).throw(AssertionError("data loaded")))
    assert main(["train", *args, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_bench_json_problems_exit_2_before_timing(tmp_path, capsys, no_work):
    (tmp_path / "dir.json").mkdir()
    for target in (str(tmp_path / "dir.json"), "", "/proc/cae-scratch/x.json"):
        assert main(["bench", "--sizes", "4x6x3", "--json", target]) == 2
        assert "--json" in capsys.readouterr().err


def test_train_accepts_the_off_host_device_the_lessons_accept(tmp_path):
    assert main(["train", "--backend", "array_api_strict:device1", "--epochs", "1", "--hidden", "4",
                 "--no-progress", "--out", str(tmp_path)]) == 0


def test_history_json_is_strict_json_for_a_plain_autoencoder(tmp_path):
    assert main(["train", "--lam", "0", "--epochs", "2", "--hidden", "4", "--no-progress", "--out", str(tmp_path)]) == 0
    history = json.loads((tmp_path / "history.json").read_text(),
                         parse_constant=lambda c: (_ for _ in ()).throw(ValueError(f"bare {c}")))
    assert all(np.isfinite(history["contractive"]))


def test_divergence_in_train_saves_the_last_finite_model_and_says_why(tmp_path, capsys):
    code = main(["train", "--data", "synthetic", "--lr", "1e300", "--optimizer", "sgd", "--epochs", "3",
                 "--hidden", "4", "--no-progress", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and "training diverged" in err and "Traceback" not in err
    model = cs.ContractiveAutoencoder.load(tmp_path / "model.npz")
    assert all(np.all(np.isfinite(p)) for p in model.params.values())
    json.loads((tmp_path / "history.json").read_text())


def test_help_shows_defaults_and_choices():
    out = subprocess.run([sys.executable, "-m", "cae_scratch", "train", "--help"], capture_output=True, text=True)
    assert "(default: 0.1)" in out.stdout and "{sgd,momentum,adam}" in out.stdout and "--data-dir" in out.stdout


def test_bench_says_when_pytorch_is_missing(capsys, monkeypatch, no_work):
    import cae_scratch.apps.bench.torch_peer as peer
    monkeypatch.setattr(peer, "torch_version", lambda: None)
    with pytest.raises(AssertionError, match="work started"):      # the note comes first, then the timing
        main(["bench", "--sizes", "4x6x3", "--torch"])
    assert "PyTorch, which is not importable" in capsys.readouterr().err


def test_doctor_reports_versions_blas_and_why_cupy_is_not_usable():
    out = subprocess.run([sys.executable, "-m", "cae_scratch", "doctor"], capture_output=True, text=True)
    assert out.returncode == 0
    assert f"numpy {np.__version__}" in out.stdout and "BLAS" in out.stdout
    assert ("CuPy is usable" in out.stdout) == cs.cupy_usable()
    if not cs.cupy_usable():
        assert "CuPy is not installed" in out.stdout or "no usable GPU" in out.stdout or "kernel failed" in out.stdout


def test_a_real_bug_still_shows_its_traceback(monkeypatch):
    """Only the checking phase turns errors into exit 2: a TypeError inside the work is a bug, not a usage error."""
    def bug(*a, **k):
        raise TypeError("a bug in the library")
    monkeypatch.setattr(cs.ContractiveAutoencoder, "fit", bug)
    with pytest.raises(TypeError, match="a bug in the library"):
        main(["train", "--epochs", "1", "--hidden", "4", "--no-progress", "--out", "/tmp/cae-bug-test"])


def test_cae_backends_naming_an_unusable_cupy_fails_the_run(tmp_path):
    if cs.cupy_usable():
        pytest.skip("CuPy is usable here")
    env = dict(os.environ, CAE_BACKENDS="numpy,cupy")
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          os.path.join(os.path.dirname(__file__), "..", "core", "test_losses.py")],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode != 0 and "CuPy is not usable" in out.stdout + out.stderr


# ---- issue 19: arguments that reached a traceback
@pytest.mark.parametrize("argv, message", [
    (["train", "--hidden", "100000000000"], "more than this machine's"),      # MemoryError building the model
    (["train", "--hidden", "99999999999999999999999"], "more than this machine's"),   # "Maximum allowed dimension"
    (["train", "--backend", ""], "--backend is empty"),                        # was "Empty module name"
    (["bench", "--sizes", "100000000x100000x1000"], "more than this machine's"),   # MemoryError in the timing
    (["bench", "--sizes", "99999999999999999999999x6x3"], "more than this machine's"),   # numpy's dimension limit
    (["bench", "--sizes", "4x6x3", "--fit-rows", "99999999999999"], "--fit-rows 99999999999999"),
])
def test_arguments_too_large_or_empty_exit_2_before_any_work(tmp_path, capsys, no_work, argv, message):
    assert main(argv + (["--out", str(tmp_path)] if argv[0] == "train" else [])) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1



def test_a_memory_error_while_checking_exits_2(tmp_path, capsys, no_work, monkeypatch):
    """The estimates are lower bounds; an allocation that still fails while checking is the user's size too."""
    import cae_scratch.apps.cli as cli
    monkeypatch.setattr(cli, "fits_in_memory", lambda *a: None)
    assert main(["train", "--hidden", "100000000000", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: not enough memory (Unable to allocate") and "Traceback" not in err
