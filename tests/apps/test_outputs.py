"""Output files that never lose work (issue 19): every output path is checked before any work, every file
is written whole, a full disk or Ctrl-C leaves the earlier files as they were, with one line and no traceback.

A full disk is simulated by ``full_disk``: the file object an output is written through writes part of
its data, then raises ENOSPC (as a disk that fills up midway does).
"""
import errno
import json
import os

import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch.apps.cli import main
from cae_scratch.atomic import TMP_PREFIX

TRAIN = ["train", "--hidden", "4", "--epochs", "2", "--no-progress"]
BENCH = ["bench", "--sizes", "4x6x3", "--repeats", "1", "--fit-rows", "0"]


def one_line_error(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


def temporaries(folder):
    return [n for n in os.listdir(folder) if n.startswith(TMP_PREFIX)]


def unwritable_folder(tmp_path):
    """A folder no file can be created in, for this user: mode 555, or for root (who may write there anyway)
    /sys, where os.access says yes to root on a read-write sysfs but creating a file fails."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir(mode=0o555)
        return str(folder)
    return "/sys"


# ---- every output path, before any work ------------------------------------------------------
def test_bench_json_that_cannot_be_written_exits_2_before_timing(tmp_path, capsys, no_work):
    for what, target in {"a file in /proc": "/proc/x.json",
                         "an unwritable folder": os.path.join(unwritable_folder(tmp_path), "x.json"),
                         "a 300-character name": str(tmp_path / ("a" * 295 + ".json"))}.items():
        assert main(BENCH + ["--json", target]) == 2, what
        assert "--json" in one_line_error(capsys.readouterr().err), what


def test_train_refuses_a_model_file_that_is_a_fifo_and_leaves_it_alone(tmp_path, capsys, no_work):
    os.mkfifo(tmp_path / "model.npz")
    assert main(TRAIN + ["--out", str(tmp_path)]) == 2
    assert "not a regular file" in one_line_error(capsys.readouterr().err)
    assert not os.path.isfile(tmp_path / "model.npz") and os.path.exists(tmp_path / "model.npz")


def test_train_refuses_a_dangling_symlink_into_a_missing_folder(tmp_path, capsys, no_work):
    (tmp_path / "out").mkdir()
    os.symlink(tmp_path / "gone" / "h.json", tmp_path / "out" / "history.json")
    assert main(TRAIN + ["--out", str(tmp_path / "out")]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert "symlink" in line and "gone" in line
    assert not (tmp_path / "gone").exists()                 # the link's folder is not created for it


def test_train_follows_a_dangling_symlink_into_a_writable_folder(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere" / "h.json", tmp_path / "out" / "history.json")
    assert main(TRAIN + ["--out", str(tmp_path / "out")]) == 0
    assert os.path.islink(tmp_path / "out" / "history.json")                 # the link stays
    assert len(json.loads((tmp_path / "elsewhere" / "h.json").read_text())["epoch"]) == 2


def test_experiment_refuses_an_output_that_is_a_fifo_before_any_work(tmp_path, capsys, no_work):
    os.mkfifo(tmp_path / "results.json")
    assert main(["experiment", "--quick", "--out", str(tmp_path)]) == 2
    assert "results.json" in one_line_error(capsys.readouterr().err)


# ---- a full disk ------------------------------------------------------------------------------
@pytest.fixture
def full_disk(monkeypatch, tmp_path):
    """``fill(suffix)``: from now on, the first file with that suffix opened for writing under tmp_path
    (by open() or by os.fdopen of a temporary) fails midway with ENOSPC."""
    import builtins
    real_open, real_fdopen, armed = builtins.open, os.fdopen, {}

    class HalfWritten:
        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            self.fh.write(data[:len(data) // 2])
            self.fh.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    def maybe_fail(fh, path, mode):
        path = str(path)
        if "w" in mode and path.startswith(str(tmp_path)) and path.endswith(armed.get("suffix", "\0")):
            armed.pop("suffix")
            return HalfWritten(fh)
        return fh

    def fake_open(file, mode="r", *a, **k):
        return maybe_fail(real_open(file, mode, *a, **k), file if isinstance(file, (str, os.PathLike)) else "", mode)

    def fake_fdopen(fd, mode="r", *a, **k):
        return maybe_fail(real_fdopen(fd, mode, *a, **k), os.readlink(f"/proc/self/fd/{fd}"), mode)
    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "fdopen", fake_fdopen)
    return lambda suffix: armed.__setitem__("suffix", suffix)


def test_a_full_disk_keeps_the_earlier_bench_results(tmp_path, capsys, full_disk):
    out = tmp_path / "bench.json"
    out.write_text('{"earlier": "results"}')
    full_disk(".json")
    assert main(BENCH + ["--json", str(out)]) == 1
    line = one_line_error(capsys.readouterr().err)
    assert "No space left on device" in line and "nothing was written" in line
    assert out.read_text() == '{"earlier": "results"}' and temporaries(tmp_path) == []


def test_a_full_disk_never_leaves_a_truncated_figure_beside_a_new_model(tmp_path, capsys, full_disk):
    assert main(TRAIN + ["--out", str(tmp_path)]) == 0
    before = {n: (tmp_path / n).read_bytes() for n in ("model.npz", "filters.png", "history.png")}
    full_disk(".png")                                       # filters.png, the first figure, fails
    assert main(TRAIN + ["--seed", "1", "--out", str(tmp_path)]) == 1
    line = one_line_error(capsys.readouterr().err)
    assert "filters.png" in line and "No space left on device" in line
    assert "model.npz" in line.split("wrote")[1] and "the other 2 output(s) are as they were" in line
    for name in ("filters.png", "history.png"):             # whole, and the earlier run's
        assert (tmp_path / name).read_bytes() == before[name], name
    assert (tmp_path / "model.npz").read_bytes() != before["model.npz"]
    assert temporaries(tmp_path) == []


# ---- Ctrl-C -----------------------------------------------------------------------------------
def ctrl_c_at_step(monkeypatch, call):
    """Every fused step of train.fit counts its calls; the ``call``-th raises KeyboardInterrupt."""
    from cae_scratch import train
    from cae_scratch.core.fused import FusedStep
    calls = [0]

    class Interrupting(FusedStep):
        def __call__(self, *args, **kwargs):
            calls[0] += 1
            if calls[0] == call:
                raise KeyboardInterrupt
            return super().__call__(*args, **kwargs)
    monkeypatch.setattr(train, "FusedStep", Interrupting)


def test_ctrl_c_in_train_saves_the_last_finished_epoch(tmp_path, capsys, monkeypatch):
    args = ["train", "--hidden", "4", "--batch-size", "600", "--no-progress"]     # 3 batches an epoch
    assert main(args + ["--epochs", "2", "--out", str(tmp_path / "two")]) == 0
    ctrl_c_at_step(monkeypatch, 2 * 3 + 2)                  # the 2nd batch of epoch 3
    capsys.readouterr()
    assert main(args + ["--epochs", "5", "--out", str(tmp_path / "cut")]) == 130
    err = capsys.readouterr().err
    assert "interrupted (Ctrl-C) in epoch 3; saving the model of the end of epoch 2" in one_line_error(err)
    cut, two = (cs.ContractiveAutoencoder.load(tmp_path / d / "model.npz") for d in ("cut", "two"))
    for k in two.params:
        np.testing.assert_allclose(cut.params[k], two.params[k], rtol=1e-12, atol=0)
    assert json.loads((tmp_path / "cut" / "history.json").read_text())["epoch"] == [1, 2]
    assert (tmp_path / "cut" / "filters.png").exists() and (tmp_path / "cut" / "history.png").exists()


def test_ctrl_c_in_the_first_epoch_of_train_saves_nothing_and_says_so(tmp_path, capsys, monkeypatch):
    assert main(TRAIN + ["--out", str(tmp_path)]) == 0
    before = {n: (tmp_path / n).read_bytes() for n in os.listdir(tmp_path)}
    ctrl_c_at_step(monkeypatch, 3)
    capsys.readouterr()
    assert main(TRAIN + ["--seed", "1", "--out", str(tmp_path)]) == 130
    assert "nothing was saved" in one_line_error(capsys.readouterr().err)
    assert {n: (tmp_path / n).read_bytes() for n in os.listdir(tmp_path)} == before


def test_ctrl_c_in_bench_writes_nothing(tmp_path, capsys, monkeypatch):
    import cae_scratch.apps.bench.run as bench_run
    out = tmp_path / "bench.json"
    out.write_text("{}")
    monkeypatch.setattr(bench_run, "run", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    assert main(BENCH + ["--json", str(out)]) == 130
    assert one_line_error(capsys.readouterr().err) == "error: interrupted (Ctrl-C); nothing was written"
    assert out.read_text() == "{}"


def test_ctrl_c_while_the_experiment_writes_names_what_it_wrote(tmp_path, capsys, monkeypatch):
    import dataclasses
    from cae_scratch.apps.experiment import config, report
    monkeypatch.setattr(config, "QUICK", dataclasses.replace(config.QUICK, n_train=300, n_analysis=30, epochs=1))
    (tmp_path / "report.md").write_text("an earlier report")

    def ctrl_c(*a, **k):                                    # after the 4 figures, before results.json
        raise KeyboardInterrupt
    monkeypatch.setattr(report, "write_json", ctrl_c)
    assert main(["experiment", "--quick", "--no-progress", "--out", str(tmp_path)]) == 130
    line = one_line_error(capsys.readouterr().err)
    assert line.startswith("error: interrupted (Ctrl-C); wrote ") and "the other 2 output(s) are as they were" in line
    assert all(f in line for f in report.FIGURES) and "report.md" not in line.split(";")[1]
    assert (tmp_path / "report.md").read_text() == "an earlier report" and not (tmp_path / "results.json").exists()


def test_ctrl_c_in_the_experiments_training_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cs.ContractiveAutoencoder, "fit", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    assert main(["experiment", "--quick", "--no-progress", "--out", str(tmp_path)]) == 130
    assert one_line_error(capsys.readouterr().err) == "error: interrupted (Ctrl-C); nothing was written"
    assert os.listdir(tmp_path) == []
