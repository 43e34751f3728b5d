"""What every lesson shares: its options, its title banner, where its figures go, its closing line.

A lesson is ``lessons/NN_verb_phrase.py`` in jupytext's percent format: ``# %% [markdown]``
cells of prose and math, ``# %%`` cells of code at top level. Its first code cell is::

    from lessons._common import start_lesson
    lesson = start_lesson("03_build_the_jacobian", "Build the encoder's Jacobian",
                          learn=["what J[k, j] = dh_k/dx_j means", "why J = diag(s'(a)) W"])

and its last code cell is::

    lesson.finish(f"headline: the key number", result)   # result: dict of the numbers it asserted

The same file then runs three ways, with the same options:

- ``python lessons/NN_....py [--quick] [--backend NAME] [--seed N] [--threads N] [--out DIR]``: options
  from argv;
- cell by cell in Jupyter / VS Code, or executed by the book: options from the environment
  (``CAE_LESSON_QUICK=1``, ``CAE_LESSON_BACKEND``, ``CAE_LESSON_SEED``, ``CAE_LESSON_THREADS``,
  ``CAE_LESSON_OUT``), else defaults;
- ``python -m lessons``: the runner sets the environment and runs each file.

Wherever it runs, ``start_lesson`` sets the host BLAS to ``LESSON_THREADS`` threads (unless told
otherwise) and says so in one line. Figures go to ``<out>/<lesson name>/`` (default
``runs/lessons/<lesson name>/``) as PNG files; in a Jupyter kernel each is also shown under the cell
that drew it (``CAE_LESSON_INLINE=0`` turns that off: the runner and the book read the files).
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from dataclasses import dataclass, field

with warnings.catch_warnings():
    # cae_scratch.train imports tqdm.auto, which in a Jupyter kernel without ipywidgets warns (TqdmWarning,
    # "IProgress not found") and falls back to text bars: noise in a lesson's first cell, nothing to act on.
    warnings.filterwarnings("ignore", message="IProgress not found")
    from cae_scratch.model import model_kwargs
from cae_scratch.threads import set_blas_threads

DEFAULT_OUT = os.path.join("runs", "lessons")
ENV = {"quick": "CAE_LESSON_QUICK", "backend": "CAE_LESSON_BACKEND", "seed": "CAE_LESSON_SEED",
       "out": "CAE_LESSON_OUT", "threads": "CAE_LESSON_THREADS", "inline": "CAE_LESSON_INLINE"}
# The lessons' products are small: a second BLAS thread gains them nothing measurable, and when another
# process keeps a core busy every product waits on it (tools/time_lessons.py measures both ways).
LESSON_THREADS = 1


class LessonParser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line on stderr and exit status 2 (no usage block)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (--help lists the options)\n")


RULES = {"seed": "a whole number >= 0, such as 0 or 42", "threads": "a whole number >= 1, or 'default'"}


def seed_type(text):
    """--seed: an integer >= 0 (it feeds numpy.random.SeedSequence)."""
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not {RULES['seed']}")
    return int(text)


def threads_type(text):
    """--threads: a count >= 1, or "default" (None) to leave the BLAS's own count (one per core unless
    OPENBLAS_NUM_THREADS or the like says otherwise)."""
    if text == "default":
        return None
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not {RULES['threads']}")
    return int(text)


def add_common_arguments(parser, quick_help):
    """--quick, --backend and --seed, shared by one lesson's command line, the runner's and the book's."""
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--backend", default="numpy",
                        help="numpy | cupy | array_api_strict | array_api_strict:device1 (default numpy)")
    parser.add_argument("--seed", type=seed_type, default=0, help="the seed of every model and split (default 0)")


def add_threads_argument(parser):
    """--threads N|default: the host BLAS's thread count while lessons run."""
    parser.add_argument("--threads", type=threads_type, default=LESSON_THREADS, metavar="N",
                        help=f"BLAS threads (default {LESSON_THREADS}: the fastest for the lessons' small "
                             "products; 'default' leaves the BLAS's own, one per core)")


def use_threads(n):
    """Set the BLAS thread count for the lessons (n >= 1, None: the BLAS default); returns the line that says so."""
    now = set_blas_threads(n)
    if now is None:
        return "BLAS threads: unknown (pip install threadpoolctl to set and see them)"
    why = "the lessons' setting" if n == LESSON_THREADS else ("as asked" if n else "left as the BLAS had it")
    return f"BLAS threads: {now} ({why}; --threads N or {ENV['threads']}=N to change)"


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
    data: str = ""
    shown: dict = field(default_factory=dict, repr=False)     # figure path -> the file's stamp last shown

    def model_kwargs(self):
        """backend= (and device=) keywords for ContractiveAutoencoder on this lesson's backend."""
        return model_kwargs(self.backend)

    def figure(self, filename):
        """The path of a figure in this lesson's folder; remembered for the closing line."""
        path = os.path.join(self.out, filename)
        self.figures.append(path)
        self.shown[path] = _stamp(path)          # a file left by an earlier run is not this run's figure
        return path

    def use_data(self, description):
        """Say which data set this run uses (printed now; the runner repeats it on the lesson's line)."""
        self.data = description
        print(f"Data: {description}", flush=True)

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
    parser = LessonParser(prog=f"python lessons/{name}.py", description=f"Lesson {name}.")
    add_common_arguments(parser, "smaller sizes: 1.5-5 s instead of 2-12 s (lesson 12 on mnist-5k: minutes)")
    add_threads_argument(parser)
    parser.add_argument("--out", default=None, help=f"folder for the figures (default {DEFAULT_OUT}/{name})")
    args = parser.parse_args(sys.argv[1:])
    return {"quick": args.quick, "backend": args.backend, "seed": args.seed, "out": args.out,
            "threads": args.threads}


def _options_from_env():
    env = os.environ
    values = {}
    for key, parse, default in (("seed", seed_type, "0"), ("threads", threads_type, str(LESSON_THREADS))):
        text = env.get(ENV[key]) or default
        try:
            values[key] = parse(text)
        except argparse.ArgumentTypeError:
            _user_error(f"{ENV[key]}={text!r} is not {RULES[key]}; set it so, or unset it.")
    return {"quick": env.get(ENV["quick"], "") not in ("", "0"),
            "backend": env.get(ENV["backend"]) or "numpy",
            "out": env.get(ENV["out"]) or None, **values}


def _user_error(message):
    """A user's mistake: the message on stderr and exit status 2, no traceback (DESIGN section 10)."""
    print(message, file=sys.stderr)
    raise SystemExit(2)


def backend_problem(backend):
    """None if the lessons can run on ``backend``, else a message that says what to do instead."""
    if backend == "cupy":
        from cae_scratch import cupy_usable
        if not cupy_usable():
            return ("--backend cupy needs CuPy and an NVIDIA GPU, and cupy_usable() is False here; install "
                    "cupy-cuda12x (or cupy-cuda13x) on a GPU machine, or run the lessons on numpy.")
        return None
    try:
        from cae_scratch.backend import get_namespace
        get_namespace(model_kwargs(backend)["backend"])     # "array_api_strict:typo" is refused here
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
    threads_line = use_threads(opts["threads"])
    if os.environ.get(ENV["inline"], "1") != "0":
        show_figures_inline(lesson)
    print(f"{'=' * 72}\n{title}\n{'=' * 72}")
    if learn:
        print("You will learn:\n" + "\n".join(f"  - {item}" for item in learn))
    if need:
        print(f"You need: {need}")
    print(f"Options: backend={lesson.backend}, quick={lesson.quick}, seed={lesson.seed}; figures go to {out}/")
    print(threads_line + "\n")
    return lesson


def _stamp(path):
    """(size, mtime) of a file, None if there is none: what tells a new figure from an old one."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


_shown_by = None                  # the post_run_cell callback of the last start_lesson in this kernel


def show_figures_inline(lesson, shell=None):
    """In a Jupyter kernel (Jupyter, VS Code), show under each cell the figures it wrote to ``lesson.figures``.

    Lessons save figures as PNG files (the runner and the book read the files); a notebook shows
    them only if someone displays them: after each cell, every figure file that appeared or changed
    is displayed. Nothing happens outside a kernel. Calling it again (the first cell re-run) replaces
    the earlier callback, so a figure is not shown twice.
    """
    global _shown_by
    if shell is None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
        if shell is None or getattr(shell, "kernel", None) is None:       # a script, or a terminal IPython
            return
    from IPython.display import Image, display

    def show_new_figures(result=None):
        for path in dict.fromkeys(lesson.figures):
            stamp = _stamp(path)
            if stamp is not None and lesson.shown.get(path) != stamp:
                lesson.shown[path] = stamp
                display(Image(filename=path))

    if _shown_by is not None and _shown_by in shell.events.callbacks["post_run_cell"]:
        shell.events.unregister("post_run_cell", _shown_by)
    shell.events.register("post_run_cell", show_new_figures)
    _shown_by = show_new_figures
