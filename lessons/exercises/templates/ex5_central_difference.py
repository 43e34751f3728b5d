"""Exercise 5 - a central-difference gradient checker (lesson 06).

Derive first (on paper): the Taylor expansions of f(x + h e_i) and
f(x - h e_i). Why does (f(x + h e_i) - f(x - h e_i)) / 2h have an error of
order h^2, while the forward difference (f(x + h e_i) - f(x)) / h has one of
order h? What does rounding add (about eps * |f| / h)?

Write ``central_difference(f, x, h)``:
    f: a function of an array of x's shape, returning a float (you cannot see its formula)
    x: a float64 array of any shape, h: the step (a float)
    return g: an array of x's shape, g[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h) for every entry i

Do not modify x (perturb a copy). The grader calls your function at h and at h/2 on functions whose
gradient it knows: the error must be small and must fall about 4 times when h halves.

Rules: numpy and math only.
Check it:  python -m lessons.exercises check 5 path/to/this_file.py
"""
import numpy as np


def central_difference(f, x, h):
    raise NotImplementedError("exercise 5: write central_difference (see the docstring)")
