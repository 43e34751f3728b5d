"""A model's finite-difference self-check: ``ContractiveAutoencoder.check_gradients`` as a function.

``gradcheck`` knows nothing of models; this module hands it a loss term of the
model (a function of the parameters) and that term's analytic gradient, from
the step ``fit`` trains with ("fused") or from the reference ("reference").
"""
from __future__ import annotations

import dataclasses

from . import gradcheck, validation as check
from .core import fused, hessian, layers, network, penalty
from .core.activations import get_activation

TERMS = ("total", "reconstruction", "contractive", "hessian")
STEPS = ("fused", "reference")


def term_and_grads(params, X, spec, term, step="fused", *, eps=None):
    """(f(params) -> the term as a 0-d array, the term's analytic grads at ``params``).

    term: "total"; "reconstruction" (as if lam = gamma = 0); "contractive" (the penalty alone,
    without lam: W and b_h; one implementation, ``penalty.penalty_and_grads``); "hessian" (the
    Hessian term alone, without gamma: W and b_h, ``hessian.hessian_and_grads``). ``eps``: the
    stochastic term's perturbations, the SAME in the loss and in its gradient.
    """
    act = get_activation(spec.activation)
    if term == "contractive":
        def f(p):
            return penalty.contractive_forward(p["W"], layers.encoder_forward(p["W"], p["b_h"], X, act)[1], act)[0]
        return f, penalty.penalty_and_grads(params["W"], params["b_h"], X, act)[1]
    if term == "hessian":
        if spec.hessian == "none":
            raise ValueError("term='hessian' needs a model with hessian='exact' or 'stochastic'")

        def f(p):
            enc = layers.encoder_forward(p["W"], p["b_h"], X, act)[1]
            return hessian.hessian_forward(p["W"], p["b_h"], enc, act, spec.hessian, eps)[0]
        return f, hessian.hessian_and_grads(params["W"], params["b_h"], X, act, spec.hessian, eps)[1]
    if term == "reconstruction":
        spec = dataclasses.replace(spec, lam=0.0, hessian="none")

    def f(p):
        return network.loss_terms(p, X, spec, eps)[term]
    step_fn = fused.loss_and_grads if step == "fused" else network.loss_and_grads
    return f, step_fn(params, X, spec, eps=eps)[1]


def check_model_gradients(model, X, term="total", step="fused", *, h=1e-6, max_entries=64, seed=0, eps=None):
    """``model.check_gradients(X, term, step, ...)`` as a function."""
    return model.check_gradients(X, term, step, h=h, max_entries=max_entries, seed=seed, eps=eps)


def check_term(params, X, spec, term, step, *, h, max_entries, seed, eps=None):
    """Per-parameter report ({name: gradcheck.ParamReport}) of ``term_and_grads``'s term."""
    check.choice("term", term, TERMS)
    check.choice("step", step, STEPS)
    f, grads = term_and_grads(params, X, spec, term, step, eps=eps)
    return gradcheck.check_gradients(f, params, grads, h=h, max_entries=max_entries, seed=seed)
