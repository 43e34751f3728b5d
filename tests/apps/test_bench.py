"""``python -m cae_scratch bench``: its table, its JSON, the facts about the machine, the spread over runs.

No test here asserts a speed: the numbers are whatever this machine gives;
what is checked is that every printed cell is the JSON's number.
"""
import json
import os
import re

import numpy as np

from cae_scratch import timing
from cae_scratch.apps.bench import report, run as bench
from cae_scratch.apps.bench.run import parse_size
from cae_scratch.apps.cli import main


def test_bench_command_writes_its_table_and_json(tmp_path, capsys):
    out = tmp_path / "bench" / "result.json"
    assert main(["bench", "--sizes", "8x12x6", "4x10x5", "--repeats", "2", "--fit-rows", "20",
                 "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "/floor" in text and "float64 step / float32 step" in text and "load average" in text
    result = json.loads(out.read_text())
    rows = result["results"]
    assert [(r["dtype"], r["B"]) for r in rows] == [("float32", 8), ("float32", 4), ("float64", 8), ("float64", 4)]
    for r in rows:
        for k in ("floor", "step", "step_lam0", "reference", "step/floor", "lam/lam0", "gflops_floor",
                  "tanh/floor", "softplus/floor", "untied/floor"):
            assert np.isfinite(r[k]) and r[k] > 0
        assert r["fit"]["epoch/steps"] > 0 and r["fit"]["rows"] == 20 and r["fit_sgd"]["optimizer"] == "sgd"
    assert result["machine"]["numpy"] == np.__version__
    assert {"load_average_before", "load_average_after", "busy", "blas", "env"} <= set(result["machine"])


def test_bench_records_the_blas_environment_and_warns_when_the_machine_was_busy(monkeypatch):
    from cae_scratch.apps.bench import report
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "1048576")            # read only by a BLAS that starts later
    cpus = os.cpu_count() or 1
    idle = report.machine_info(0.1 * cpus, load_after=0.3)
    assert idle["env"]["OPENBLAS_L2_SIZE"] == "1048576" and "OPENBLAS_L2_SIZE" in idle["note"]
    if "OPENBLAS_CORETYPE" in os.environ:
        assert idle["env"]["OPENBLAS_CORETYPE"] == os.environ["OPENBLAS_CORETYPE"]
    assert not idle["busy"] and "WARNING" not in idle["note"] and "after 0.30" in idle["note"]
    busy = report.machine_info(2.0 * cpus, load_after=2.5 * cpus)
    assert busy["busy"] and "WARNING" in busy["note"] and "idle machine" in busy["note"]
    assert ("OPENBLAS_NUM_THREADS=1" in busy["note"]) == (os.environ.get("OPENBLAS_NUM_THREADS") != "1")


def test_bench_compares_with_a_peer_in_alternating_blocks(monkeypatch):
    row = {"backend": "numpy", "dtype": "float32", "B": 4, "n_visible": 6, "n_hidden": 3}
    monkeypatch.setattr(bench, "torch_step", lambda *a, **k: None)            # no PyTorch: nothing to add
    assert bench.compare_torch(row, 3) == {}
    calls = []
    monkeypatch.setattr(bench, "torch_step", lambda *a, **k: (lambda: calls.append(1), lambda: None))
    monkeypatch.setattr(bench, "PAUSE", 0.0)
    out = bench.compare_torch(row, 6)
    assert out["step/torch"] > 0 and len(calls) == 3 * (3 + timing.BLOCK)    # 3 blocks: warm-up + one block


def test_bench_arguments_are_checked(capsys):
    assert main(["bench", "--sizes", "8x12"]) == 2
    assert "BxVxH" in capsys.readouterr().err
    assert main(["bench", "--sizes", "8x12x0"]) == 2
    assert parse_size("256x784x1000") == (256, 784, 1000)


def test_bench_runs_end_with_the_spread_of_every_ratio(tmp_path, capsys, monkeypatch):
    """--runs 3: the JSON keeps every run; the Markdown table's cells are each ratio's median (min-max);
    a later run is not called busy for the load the run before it made."""
    loads = iter([0.0] + [100.0] * 20)                  # idle before run 1; every later reading is our own load
    monkeypatch.setattr(bench, "load_average", lambda: next(loads))
    out = tmp_path / "runs.json"
    assert main(["bench", "--sizes", "6x10x4", "--dtype", "float32", "--repeats", "2", "--fit-rows", "12",
                 "--runs", "3", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    result = json.loads(out.read_text())
    runs = [r["results"][0] for r in result["runs"]]
    assert len(runs) == 3 and result["results"][0] == runs[0] and "run 3 of 3" in text
    for machine in (r["machine"] for r in result["runs"]):
        assert machine["load_average_before"] == 0.0 and machine["load_average_after"] == 100.0
        assert not machine["busy"] and "WARNING" not in machine["note"]
    table = [line for line in text[text.index("| backend"):].splitlines() if line.startswith("|")]
    header = [c.strip() for c in table[0].strip("|").split("|")]
    cells = dict(zip(header, (c.strip() for c in table[2].strip("|").split("|"))))
    assert len(table) == 3 and cells["B x V -> H"] == "6 x 10 -> 4" and cells["ours / PyTorch"] == "-"
    keys = {"step / floor": "step/floor", "lam=0.1 / lam=0": "lam/lam0", "untied / floor": "untied/floor",
            "CAE+H / floor": "hessian_step/floor"}
    for column, key in keys.items():
        values = sorted(r[key] for r in runs)
        assert cells[column] == f"{values[1]:.2f} ({values[0]:.2f}-{values[2]:.2f})", column
    adam = sorted(r["fit"]["epoch/steps"] for r in runs)
    assert re.fullmatch(r"[0-9.]+ \([0-9.]+-[0-9.]+\)", cells["adam epoch / steps"])
    assert cells["adam epoch / steps"] == f"{adam[1]:.2f} ({adam[0]:.2f}-{adam[2]:.2f})"
    assert cells["floor ms"] == f"{sorted(r['floor'] for r in runs)[1] * 1e3:.2f}"


def test_spread_takes_the_median_of_what_was_measured():
    assert report.spread([1.3, None, 1.1, 1.2]) == "1.20 (1.10-1.30)"
    assert report.spread([1.0, 2.0]) == "1.50 (1.00-2.00)" and report.spread([None]) == "-"


def test_the_timed_passes_are_the_fused_step():
    """Run once in order, bench --passes' list computes fused.step's loss and gradients (float64, rtol 1e-10)."""
    from cae_scratch.apps.bench.passes import step_passes
    from cae_scratch.core import fused, network
    B, n_visible, n_hidden, lam = 7, 12, 5, 0.3
    spec = network.Spec(lam=lam)
    params = network.init_params(n_visible, n_hidden, spec, np, np.float64, seed=2)
    X = np.random.default_rng(3).random((B, n_visible))
    terms, grads = fused.loss_and_grads(params, X, spec)
    ws, out = fused.Workspace(np, B, n_visible, n_hidden, np.float64, None, tied=True), {}
    passes = step_passes(params, X, lam, ws, out)
    assert sum(name.startswith("PRODUCT") for name, _ in passes) == 4      # the 5 products, two of them stacked
    for _, run in passes:
        run()
    np.testing.assert_allclose(float(out["total"]), float(terms["total"]), rtol=1e-10)
    for key, got in (("W", ws.dW), ("b_h", out["b_h"]), ("b_r", out["b_r"])):
        np.testing.assert_allclose(got, grads[key], rtol=1e-10, err_msg=key)


def test_bench_passes_refuses_what_it_would_ignore(capsys):
    for extra in (["--torch"], ["--runs", "2"]):
        assert main(["bench", "--passes", "--sizes", "6x10x4", *extra]) == 2
        err = capsys.readouterr().err
        assert "--passes" in err and "without --passes" in err and "Traceback" not in err


def test_bench_passes_prints_every_pass_and_writes_them(tmp_path, capsys):
    out = tmp_path / "passes.json"
    assert main(["bench", "--passes", "--sizes", "6x10x4", "--dtype", "float64", "--repeats", "3",
                 "--json", str(out)]) == 0
    text = capsys.readouterr().out
    (row,) = json.loads(out.read_text())["passes"]
    assert (row["dtype"], row["B"], row["n_hidden"]) == ("float64", 6, 4)
    lines = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in text.splitlines()
             if line.startswith("| ") and "---" not in line}
    for name, seconds in row["passes"].items():
        assert lines[name] == f"{seconds * 1e3:.3f}", name
    products = sum(t for name, t in row["passes"].items() if name.startswith("PRODUCT"))
    assert lines["**the 5 products**"] == f"{products * 1e3:.2f}"
    assert lines["**every other pass**"] == f"{(sum(row['passes'].values()) - products) * 1e3:.2f}"


def test_bench_family_tables_are_its_json_and_its_floor_runs_the_products_it_names(tmp_path, capsys, monkeypatch):
    from cae_scratch.apps.bench import family
    monkeypatch.setattr(family, "DEEP_SIZES", ((4, 10, 6, 5),))
    monkeypatch.setattr(family, "CONV_CASES", ((3, (1, 6, 6), 2, 3),))
    out = tmp_path / "family.json"
    assert main(["bench", "--family", "--dtype", "float64", "--repeats", "2", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    results = json.loads(out.read_text())
    deep, conv = results["deep"][0], results["conv"][0]
    assert deep["deep_products"] == 5 * 2 - 1                       # 5L - 1 stacked products for L = 2
    assert f"| {deep['deep_step/plain']:.2f} |" in text and f"| {conv['conv_step/floor']:.2f} |" in text
    assert deep["deep_step/plain"] == deep["deep_step"] / deep["deep_plain"]
    assert conv["conv_step/floor"] == conv["conv_step"] / conv["conv_floor"]


def test_the_deep_floor_runs_the_products_of_the_fused_step(monkeypatch):
    """The floor's products are the fused step's, shape for shape (so step/floor measures everything else)."""
    from cae_scratch import backend
    from cae_scratch.apps.bench import family
    from cae_scratch.core import fused_deep
    seen, real = [], backend.matmul_into

    def recording(out, a, b):
        seen.append((tuple(a.shape), tuple(b.shape)))
        return real(out, a, b)
    xp, sizes = backend.get_namespace("numpy"), [10, 6, 5, 4]
    params, X, specs, U, lam = family.deep_inputs(xp, xp.float64, None, backend.rng(0), 3, sizes)
    monkeypatch.setattr(fused_deep, "matmul_into", recording)
    fused_deep.autoencoder_loss_and_grads(params, X, specs, U, lam)
    step_products, seen[:] = sorted(seen), []
    monkeypatch.setattr(backend, "matmul_into", recording)
    run, n = family.deep_products(xp, backend.rng(1), xp.float64, None, 3, sizes)
    run()
    assert n == 5 * 3 - 1 and sorted(seen) == step_products


def test_bench_family_refuses_what_it_would_ignore(capsys):
    assert main(["bench", "--family", "--runs", "2"]) == 2
    assert main(["bench", "--family", "--passes"]) == 2
    assert "--family" in capsys.readouterr().err
