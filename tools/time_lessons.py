"""Time every lesson with the BLAS's default threads and with one thread, idle and with one core busy.

    python tools/time_lessons.py [--quick | --full | --both] [--only NN ...] [--repeat R] [--svd]

Each lesson runs as ``python lessons/NN_*.py [--quick] --threads T`` in a fresh process (so the
time includes Python's start and the imports, about a second), figures to a temporary folder.
"Busy" means one other process spinning on a core (a Python ``while`` loop) for the whole
measurement, as on a machine doing something else; it is stopped at the end. With
``--repeat R`` each cell is the fastest of R runs. The table is Markdown, on stdout; the last
column is the lesson's time with its default settings (no --threads), one core busy, over its
best one-thread time: the target is at most 1.2.

``--cpu`` runs each lesson once with its default settings and reports its wall and CPU time: on
one thread the CPU time estimates the idle wall time even on a loaded machine.

``--svd`` measures the case that motivates the policy in isolation: a batched SVD of 500 64x64
float64 matrices on two BLAS threads and on one, idle and busy (fastest of 3).

Run it on an otherwise idle machine: other work on the cores makes every number larger and noisier.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from lessons.__main__ import add_only_argument, discover, select  # noqa: E402

SETTINGS = [("default", "BLAS default threads"), ("1", "1 thread")]
CLEAN = ("CAE_LESSON_", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def one_core_busy(busy):
    """While active (if ``busy``), one process spins on a core; it is stopped (by its pid) on exit."""
    if not busy:
        yield
        return
    # Spins until stopped, or until this script dies (its parent changes): never left behind.
    spinner = subprocess.Popen([sys.executable, "-c", "import os\nparent = os.getppid()\n"
                                "while os.getppid() == parent: pass"])
    try:
        time.sleep(0.5)                                   # let it reach the loop before timing starts
        yield
    finally:
        spinner.kill()
        spinner.wait()


def lesson_seconds(name, quick, threads, repeat, cpu=None):
    """(the fastest of ``repeat`` runs of lessons/<name>.py in a fresh process, the data it said it used).

    threads None: no --threads (the lesson's default settings). The data is the lesson's "Data: ..." line.
    ``cpu``: a list that gets the CPU seconds (user + system) of each run.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN)}
    env.update(PYTHONPATH=ROOT, MPLBACKEND="Agg")
    best, data = float("inf"), ""
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="time-lessons-") as out:
            args = [sys.executable, os.path.join(ROOT, "lessons", f"{name}.py"), "--out", out]
            args += (["--quick"] if quick else []) + (["--threads", threads] if threads else [])
            used, start = children_cpu(), time.perf_counter()
            done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            if cpu is not None:
                cpu.append(children_cpu() - used)
        if done.returncode != 0:
            raise SystemExit(f"{name} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
        best = min(best, seconds)
        data = next((ln[6:] for ln in done.stdout.splitlines() if ln.startswith("Data: ")), "")
    return best, data


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_table(lessons, modes):
    """Each lesson once with its default settings: wall and CPU seconds. On one thread the CPU time is
    close to what the wall time would be on an idle machine, whatever else runs now."""
    lines = ["| lesson | run | wall (s) | CPU (s) |", "|---|---|---|---|"]
    totals = {}
    for quick in modes:
        run = "quick" if quick else "full"
        for _, name in lessons:
            cpu = []
            wall, data = lesson_seconds(name, quick, None, 1, cpu)
            lines.append(f"| {name} | {run}{f' ({data})' if data else ''} | {wall:.1f} | {cpu[0]:.1f} |")
            totals[run] = [a + b for a, b in zip(totals.get(run, [0.0, 0.0]), (wall, cpu[0]))]
            print("  " + lines[-1], file=sys.stderr, flush=True)
    lines += [f"| **all** | {run} | {w:.1f} | {c:.1f} |" for run, (w, c) in totals.items()]
    return "\n".join(lines)


def time_lessons(lessons, modes, repeat):
    """Rows of the table, printed as they are measured (stderr) so a long run shows progress."""
    rows = []
    for quick in modes:
        for _, name in lessons:
            cells = {}
            for busy in (False, True):
                with one_core_busy(busy):
                    for threads, _ in SETTINGS:
                        cells[threads, busy], data = lesson_seconds(name, quick, threads, repeat)
                    if busy:
                        cells["settings", busy], _ = lesson_seconds(name, quick, None, repeat)
            best_one = min(cells["1", False], cells["1", True])
            rows.append((name, ("quick" if quick else "full") + (f" ({data})" if data else ""), cells,
                         cells["settings", True] / best_one))
            print(f"  {rows[-1][0]} {rows[-1][1]}: " + ", ".join(f"{k}: {v:.1f}" for k, v in cells.items()),
                  file=sys.stderr, flush=True)
    return rows


def markdown(rows):
    head = ["lesson", "run"] + [f"{label}, {'busy' if busy else 'idle'} (s)"
                                for busy in (False, True) for _, label in SETTINGS]
    lines = ["| " + " | ".join(head + ["default settings, busy / best 1 thread"]) + " |",
             "|" + "---|" * (len(head) + 1)]
    for name, run, cells, ratio in rows:
        values = [f"{cells[t, busy]:.1f}" for busy in (False, True) for t, _ in SETTINGS]
        lines.append("| " + " | ".join([name, run, *values, f"{ratio:.2f}"]) + " |")
    for run in ("quick", "full"):
        mine = [r for r in rows if r[1].split()[0] == run]
        if mine:
            totals = [sum(r[2][t, busy] for r in mine) for busy in (False, True) for t, _ in SETTINGS]
            ratio = sum(r[2]["settings", True] for r in mine) / sum(min(r[2]["1", False], r[2]["1", True]) for r in mine)
            lines.append("| " + " | ".join(["**all**", run, *[f"{v:.1f}" for v in totals], f"{ratio:.2f}"]) + " |")
    return "\n".join(lines)


def svd_seconds(threads, matrices):
    import numpy as np
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=threads, user_api="blas"):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            np.linalg.svd(matrices, full_matrices=False)
            best = min(best, time.perf_counter() - start)
    return best


def svd_table():
    import numpy as np
    matrices = np.random.default_rng(0).standard_normal((500, 64, 64))
    lines = ["| batched SVD, 500 x (64 x 64) float64 | 2 BLAS threads (s) | 1 thread (s) | ratio |", "|---|---|---|---|"]
    for busy in (False, True):
        with one_core_busy(busy):
            two, one = svd_seconds(2, matrices), svd_seconds(1, matrices)
        lines.append(f"| {'one core busy' if busy else 'idle'} | {two:.3f} | {one:.3f} | {two / one:.1f} |")
    return "\n".join(lines)


def main(argv=None):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))     # a kill runs the clean-ups (the spinner stops)
    parser = argparse.ArgumentParser(prog="python tools/time_lessons.py", description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--quick", action="store_const", dest="modes", const=[True], help="the --quick runs (default)")
    which.add_argument("--full", action="store_const", dest="modes", const=[False], help="the full runs")
    which.add_argument("--both", action="store_const", dest="modes", const=[True, False], help="both")
    add_only_argument(parser, "time")
    parser.add_argument("--repeat", type=int, default=1, help="the fastest of R runs per cell (default 1)")
    parser.add_argument("--svd", action="store_true", help="only the batched-SVD measurement")
    parser.add_argument("--cpu", action="store_true",
                        help="each lesson once with its default settings, wall and CPU time (no busy core)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.svd:
        print(svd_table())
        return 0
    try:
        lessons = select(discover(), args.only)
    except ValueError as e:
        parser.error(str(e))
    print(f"{os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    if args.cpu:
        print(cpu_table(lessons, args.modes or [True]))
    else:
        print(markdown(time_lessons(lessons, args.modes or [True], args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
