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


def test_bench_runs_end_with_the_spread_of_every_ratio(tmp_path, capsys):
    """--runs 3: the JSON keeps every run; the Markdown table's cells are each ratio's median (min-max)."""
    out = tmp_path / "runs.json"
    assert main(["bench", "--sizes", "6x10x4", "--dtype", "float32", "--repeats", "2", "--fit-rows", "12",
                 "--runs", "3", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    result = json.loads(out.read_text())
    runs = [r["results"][0] for r in result["runs"]]
    assert len(runs) == 3 and result["results"][0] == runs[0] and "run 3 of 3" in text
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
