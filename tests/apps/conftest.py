"""Fixtures of the command-line tests."""
import pytest

import cae_scratch as cs


@pytest.fixture
def no_work(monkeypatch):
    """Training, the experiment and the benchmark raise if reached: a bad argument must stop before them."""
    def refuse(*a, **k):
        raise AssertionError("work started before the arguments were checked")
    monkeypatch.setattr(cs.ContractiveAutoencoder, "fit", refuse)
    import cae_scratch.apps.bench.run as bench_run
    import cae_scratch.apps.experiment.run as experiment_run
    monkeypatch.setattr(bench_run, "run", refuse)
    monkeypatch.setattr(bench_run, "passes", refuse)
    monkeypatch.setattr(experiment_run, "run_experiment", refuse)
