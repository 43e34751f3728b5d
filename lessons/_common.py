"""What every lesson shares: its options, its title banner, where its figures go, its closing line.

A lesson is ``lessons/NN_verb_phrase.py`` in jupytext's percent format: ``# %% [markdown]``
cells of prose and math, ``# %%`` cells of code at top level. Its first code cell is::

    from lessons._common import start_lesson
    lesson = start_lesson("03_build_the_jacobian", "Build the encoder's Jacobian",
                          learn=["what J[k, j] = dh_k/dx_j means", "why J = diag(s'(a)) W"])

and its last code cell is::

    lesson.finish(f"headline: the key number", result)   # result: dict of the numbers it asserted

The same file then runs three ways, with the same options:

- ``python lessons/NN_....py [--quick] [--backend NAME] [--seed N] [--out DIR]``: options from argv;
- cell by cell in Jupyter / VS Code, or executed by the book: options from the environment
  (``CAE_LESSON_QUICK=1``, ``CAE_LESSON_BACKEND``, ``CAE_LESSON_SEED``, ``CAE_LESSON_OUT``), else defaults;
- ``python -m lessons``: the runner sets the environment and runs each file.

Figures go to ``<out>/<lesson name>/`` (default ``runs/lessons/<lesson name>/``).
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field

from cae_scratch.model import model_kwargs

DEFAULT_OUT = os.path.join("runs", "lessons")
ENV = {"quick": "CAE_LESSON_QUICK", "backend": "CAE_LESSON_BACKEND", "seed": "CAE_LESSON_SEED",
       "out": "CAE_LESSON_OUT"}


def add_common_arguments(parser, quick_help):
    """--quick, --backend and --seed, shared by one lesson's command line and the runner's."""
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--backend", default="numpy",
                        help="numpy | cupy | array_api_strict | array_api_strict:device1 (default numpy)")
    parser.add_argument("--seed", type=int, default=0, help="the seed of every model and split (default 0)")


@dataclass
class Lesson:
    """One lesson's options and outputs. ``out`` is the folder of its figures (created)."""
    name: str
    title: str
    quick: bool = False
    backend: str = "numpy"
    seed: int = 0
    out: str = ""
    figures: list = field(default_factory=list)
    headline: str = ""
    result: dict = field(default_factory=dict)

    def model_kwargs(self):
        """backend= (and device=) keywords for ContractiveAutoencoder on this lesson's backend."""
        return model_kwargs(self.backend)

    def figure(self, filename):
        """The path of a figure in this lesson's folder; remembered for the closing line."""
        path = os.path.join(self.out, filename)
        self.figures.append(path)
        return path

    def finish(self, headline, result=None):
        """Record and print the lesson's one-line headline and where its figures went.

        Returns None, so that a notebook's last cell shows the printed lines and no Lesson(...) repr.
        """
        self.headline, self.result = headline, dict(result or {})
        print(f"\n{self.title}: {headline}")
        if self.figures:
            print(f"Figures ({len(self.figures)}) are in {self.out}/: "
                  + ", ".join(os.path.basename(f) for f in self.figures))


def _options_from_argv(name):
    parser = argparse.ArgumentParser(prog=f"python lessons/{name}.py", description=f"Lesson {name}.")
    add_common_arguments(parser, "smaller sizes: seconds instead of minutes")
    parser.add_argument("--out", default=None, help=f"folder for the figures (default {DEFAULT_OUT}/{name})")
    args = parser.parse_args(sys.argv[1:])
    return {"quick": args.quick, "backend": args.backend, "seed": args.seed, "out": args.out}


def _options_from_env():
    env = os.environ
    seed = env.get(ENV["seed"]) or "0"
    if not seed.lstrip("-").isdigit():
        _user_error(f"{ENV['seed']}={seed!r} is not an integer; set it to a seed such as 0, or unset it.")
    return {"quick": env.get(ENV["quick"], "") not in ("", "0"),
            "backend": env.get(ENV["backend"]) or "numpy",
            "seed": int(seed),
            "out": env.get(ENV["out"]) or None}


def _user_error(message):
    """A user's mistake: the message on stderr and exit status 2, no traceback (DESIGN section 10)."""
    print(message, file=sys.stderr)
    raise SystemExit(2)


def backend_problem(backend):
    """None if the lessons can run on ``backend``, else a message that says what to do instead."""
    if backend == "cupy":
        from cae_scratch import cupy_usable
        if not cupy_usable():
            return ("--backend cupy needs CuPy and an NVIDIA GPU, and cupy_usable() is False here; install\n"
                    "cupy-cuda12x (or cupy-cuda13x) on a GPU machine, or run the lessons on numpy.")
        return None
    try:
        model_kwargs(backend)
        from cae_scratch.backend import get_namespace
        get_namespace(backend.split(":")[0])
    except (ValueError, TypeError, ImportError) as e:
        return f"--backend {backend!r}: {e}"
    return None


def start_lesson(name, title, learn=(), need=""):
    """Read the options (argv when this file is the script being run, else the environment),
    check the backend, print the title, what you will learn and where the figures go.

    A bad option (unknown backend, a seed that is not a number) prints a message and exits with
    status 2, without a traceback.
    """
    # The script being run is __main__'s file. Not sys.argv[0]: runpy.run_path (run_lesson) sets
    # sys.argv[0] to the lesson's path, which would make it parse the caller's argv (pytest's).
    as_script = os.path.basename(getattr(sys.modules.get("__main__"), "__file__", None) or "") == f"{name}.py"
    opts = _options_from_argv(name) if as_script else _options_from_env()
    problem = backend_problem(opts["backend"])
    if problem:
        _user_error(problem)
    out = opts["out"] or os.path.join(DEFAULT_OUT, name)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        _user_error(f"cannot create the figure folder {out!r} ({e.strerror}); pass another --out DIR.")
    lesson = Lesson(name, title, opts["quick"], opts["backend"], opts["seed"], out)
    print(f"{'=' * 72}\n{title}\n{'=' * 72}")
    if learn:
        print("You will learn:\n" + "\n".join(f"  - {item}" for item in learn))
    if need:
        print(f"You need: {need}")
    print(f"Options: backend={lesson.backend}, quick={lesson.quick}, seed={lesson.seed}; figures go to {out}/\n")
    return lesson
