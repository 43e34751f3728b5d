"""Exercises: write a backward function, then let finite differences grade it.

    python -m lessons.exercises list                 # the exercises
    python -m lessons.exercises copy 3 [DIR]         # copy the template of exercise 3 into DIR (default: .)
    python -m lessons.exercises where                # where the templates live
    python -m lessons.exercises check 3 my_file.py   # grade your file (exit status 0 = pass)

The grader (``grader.py``) compares your gradient with central differences of
the forward loss, never with a reference solution; ``solutions/`` holds the
reference solutions for instructors and for the tests.
"""
