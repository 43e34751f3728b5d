"""Command line: ``python -m cae_scratch {train} ...`` (``--help`` on each command)."""
from __future__ import annotations

import argparse
import json
import os
import sys

from .experiment import add_command as add_experiment
from .bench import add_command as add_bench


def add_train(sub):
    p = sub.add_parser("train", help="train a CAE on a dataset; save the model, history and a figure",
                       description="Train a contractive autoencoder and write model.npz, history.json "
                                   "and filters.png / history.png into --out.")
    p.add_argument("--data", default="digits", help="dataset name (default: digits, bundled, offline)")
    p.add_argument("--hidden", type=int, default=64, help="number of hidden units (default 64)")
    p.add_argument("--lam", type=float, default=0.1, help="weight of the contractive penalty; 0 = plain AE")
    p.add_argument("--activation", default="sigmoid", help="sigmoid | tanh | softplus | relu | linear")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--optimizer", default="adam", help="sgd | momentum | adam")
    p.add_argument("--backend", default="numpy", help="numpy | cupy | array_api_strict")
    p.add_argument("--dtype", default="float64", help="float64 | float32")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--out", default="runs/train", help="output directory (created)")
    p.set_defaults(run=run_train)


def run_train(args):
    from . import ContractiveAutoencoder, data, plots
    X = data.load(args.data)
    model = ContractiveAutoencoder(X.shape[1], args.hidden, activation=args.activation, lam=args.lam,
                                   backend=args.backend, dtype=args.dtype, seed=args.seed)
    print(f"{model}\ndata: {args.data} {X.shape}")
    history = model.fit(model.asarray(X), epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                        optimizer=args.optimizer, seed=args.seed, progress=not args.no_progress)
    for e, t, r, c in zip(history["epoch"], history["total"], history["reconstruction"], history["contractive"]):
        print(f"epoch {e:3d}  loss {t:9.4f}  reconstruction {r:9.4f}  ||J||_F^2 {c:9.4f}")
    os.makedirs(args.out, exist_ok=True)
    model.save(os.path.join(args.out, "model.npz"))
    with open(os.path.join(args.out, "history.json"), "w") as fh:
        json.dump(history, fh, indent=1)
    figs = [plots.plot_filters_and_reconstructions(model, X, os.path.join(args.out, "filters.png")),
            plots.plot_history(history, os.path.join(args.out, "history.png"), title=f"CAE on {args.data}")]
    print(f"loss {history['total'][0]:.4f} -> {history['total'][-1]:.4f}; wrote model.npz, history.json, "
          + ", ".join(os.path.basename(f) for f in figs) + f" in {args.out}")
    return 0


COMMANDS = [add_train, add_experiment, add_bench]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cae_scratch",
                                     description="Contractive autoencoders with hand-written backprop.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
