"""Moved: the stochastic Hessian term's perturbations live in ``noise`` (with the DAE's corruption).

This module only keeps ``apps/bench/hessian.py`` importing until it imports ``noise``; delete it then.
"""
from .noise import hessian_eps  # noqa: F401
