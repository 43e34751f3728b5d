"""What every lesson shares: its command line and where its figures go.

A lesson is ``lessons/NN_verb_phrase.py`` with
``main(backend="numpy", quick=False, seed=0, out_dir=None) -> dict``; the dict
has at least "headline" (one line: the lesson's key number) and "figures"
(the PNG paths it wrote). Each lesson ends with::

    if __name__ == "__main__":
        run_lesson_cli(main, __doc__)
"""
from __future__ import annotations

import argparse
import os

from cae_scratch.backend import model_kwargs  # noqa: F401  (lessons import it from here)

DEFAULT_OUT = os.path.join("runs", "lessons")


def lesson_dir(out_dir, module_file):
    """out_dir, or runs/lessons/<lesson name>; created."""
    name = os.path.splitext(os.path.basename(module_file))[0]
    path = out_dir or os.path.join(DEFAULT_OUT, name)
    os.makedirs(path, exist_ok=True)
    return path


def add_common_arguments(parser, quick_help):
    """--quick, --backend and --seed, shared by one lesson's command line and the runner's."""
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--backend", default="numpy", help="numpy | cupy | array_api_strict | array_api_strict:device1")
    parser.add_argument("--seed", type=int, default=0)


def run_lesson_cli(main, doc):
    parser = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0] if doc else None)
    add_common_arguments(parser, "smaller sizes: seconds instead of minutes")
    parser.add_argument("--out", default=None, help="directory for the figures")
    args = parser.parse_args()
    result = main(backend=args.backend, quick=args.quick, seed=args.seed, out_dir=args.out)
    print(result.get("headline", ""))
    return result
