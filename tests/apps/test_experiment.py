"""The AE / DAE / CAE experiment: end to end with --quick, its selection rule, and its errors."""
import json

import numpy as np
import pytest

from cae_scratch.apps.experiment import config, report, run as experiment
from cae_scratch.apps.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


def test_quick_experiment_on_digits_runs_end_to_end(tmp_path, capsys):
    out = tmp_path / "exp"
    assert main(["experiment", "--data", "digits", "--quick", "--no-progress", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    text = (out / "report.md").read_text()
    for row in ("| raw pixels |", "| AE |", "| DAE-g |", "| DAE-m |", "| CAE |"):
        assert row in text
    assert "linear-probe test error" in text and "--quick" in text
    for name in ("contraction", "spectrum", "filters", "tangents"):
        assert f"![{name}]({name}.png)" in text
        assert (out / f"{name}.png").read_bytes()[:8] == PNG
    results = json.loads((out / "results.json").read_text())
    for family in experiment.FAMILIES:
        row = results["rows"][family]
        assert 0.0 <= row["test_error"] < 0.5 and row["jacobian_norm"] > 0 and 0.0 <= row["saturation"] <= 1.0
        assert len(row["contraction"]) == len(experiment.RADII)
    assert results["rows"]["AE"]["jacobian_norm"] > results["rows"]["CAE"]["jacobian_norm"]
    for family, row in results["rows"].items():                  # the table shows the measured numbers
        assert f"| {family} |" in text and f"| {100 * row['test_error']:.2f} |" in text


def test_selection_takes_the_lowest_mean_validation_error():
    validation = {0.1: [{1e-3: 0.05, 1e-2: 0.04}, {1e-3: 0.05, 1e-2: 0.06}],   # means 0.05, 0.05
                  0.3: [{1e-3: 0.03, 1e-2: 0.05}, {1e-3: 0.04, 1e-2: 0.02}]}   # means 0.035, 0.035: tie
    assert experiment.select(validation) == (0.3, 1e-3)                       # ties: the first listed


def test_validation_split_is_disjoint_and_seeded():
    fit, val = experiment.validation_split(100)
    assert len(val) == 20 and len(fit) == 80 and not set(fit) & set(val)
    assert np.array_equal(val, experiment.validation_split(100)[1])


def test_families_are_one_model_with_different_settings():
    assert config.family_kwargs("AE", 0.0) == {"lam": 0.0}
    assert config.family_kwargs("CAE", 0.3) == {"lam": 0.3}
    assert config.family_kwargs("DAE-m", 0.5) == {"lam": 0.0, "corruption": "masking", "noise": 0.5}
    with pytest.raises(ValueError, match="choose one of"):
        config.family_kwargs("VAE", 1.0)
    with pytest.raises(ValueError, match="choose one of"):
        experiment.config_for("cifar")
    with pytest.raises(ValueError, match="dtype"):
        experiment.run_experiment("digits", quick=True, dtype="float16")


def test_claims_are_read_from_the_numbers():
    spectrum = {"AE": [4.0, 2.0, 1.0], "DAE-g": [2.0, 1.0, 0.5], "DAE-m": [3.0, 0.5, 0.2], "CAE": [1.0, 0.3, 0.01]}
    rows = {f: {"test_error": e, "jacobian_norm": j, "saturation": s, "spectrum": np.array(spectrum[f]),
                "contraction": np.array(c)}
            for f, e, j, s, c in [("AE", 0.03, 9.0, 0.1, [1.3, 1.2, 0.5]), ("DAE-g", 0.02, 6.0, 0.2, [0.9, 0.9, 0.5]),
                                  ("DAE-m", 0.02, 5.0, 0.5, [0.7, 0.7, 0.5]), ("CAE", 0.01, 3.0, 0.7, [0.4, 0.6, 0.5])]}
    verdicts = [ok for _, ok, _ in report.claims(rows)]
    assert verdicts == [True] * len(verdicts)
    rows["CAE"]["jacobian_norm"] = 10.0
    assert [ok for claim, ok, _ in report.claims(rows) if "||J(x)||_F" in claim] == [False]


def test_missing_mnist_files_name_the_directory_and_the_download_command(tmp_path, capsys):
    assert main(["experiment", "--data", "mnist", "--data-dir", str(tmp_path), "--quick", "--out",
                 str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "--download" in err


def test_quick_experiment_reads_idx_files_from_a_directory(tmp_path):
    from _helpers import fake_split
    fake_split(str(tmp_path), "train", n=120, gz=True)
    fake_split(str(tmp_path), "test", n=40, gz=False, seed=1)
    out = tmp_path / "exp"
    assert main(["experiment", "--data", "fashion-mnist", "--data-dir", str(tmp_path), "--quick", "--no-progress",
                 "--out", str(out)]) == 0
    text = (out / "report.md").read_text()
    assert "on fashion-mnist" in text and "| CAE |" in text and (out / "tangents.png").exists()
