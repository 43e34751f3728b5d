"""Exercises: derive a gradient (or a value) on paper, write it in numpy, let finite differences grade it.

    python -m lessons.exercises list                 # the exercises
    python -m lessons.exercises copy 3 [DIR]         # copy the template of exercise 3 into DIR (default: .)
    python -m lessons.exercises check 3 my_file.py   # grade your file (exit status 0 = pass)
    python -m lessons.exercises bundle DIR           # instructors: a student folder, no solutions
    python -m lessons.exercises grade 3 DIR_OR_FILES... [--json F | --csv F]   # a class, one row per file
                                                     # (in an OS sandbox; --unsandboxed for trusted files)

How it fits together (INSTRUCTORS.md says more):
    grader.py       the registry EXERCISES and the verdict (Result); reads in this order:
    runner.py       the parent side: starts the student's process, serves and counts helper calls, time limit
    jail.py         the OS sandbox (bubblewrap) around that process, and the copy of the student's file
    protocol.py     the messages: what the parent sends, and the checks on every byte that comes back
    sandbox.py      the student's process (python -I): limits, guards, then the student's file; arrays only
    guards.py       its limits and audit hook (imports, files, processes);  explain.py  its error messages
    diagnosis.py    cases, rows, finite differences, and the hints (pieces of the loss, rescalings)
    forward.py      the forward functions the grader differentiates, and the "unknown" activation
    grade_*.py      the cases and grading of each exercise
    batch.py        bundle and batch grading
    templates/      what students get; solutions/ the reference solutions (never used by the grader)
"""
from .grader import EXERCISES  # noqa: F401  (the book renders its exercises page from this registry)
