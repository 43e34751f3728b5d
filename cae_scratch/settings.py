"""A CAE's settings: checked once, turned into the step's ``Spec`` and the DAE's corruption, and read back
from a file's header (whose settings are the constructor's keywords).

The settings are ``Spec``'s fields (what the step needs) plus ``corruption``, ``noise`` and ``seed``; the
list, the header, the constructor's keywords and ``__repr__`` all follow ``Spec``, so a new setting is a
field of ``Spec`` with its default, its check in ``checked``, and a line of the model's docstring.
"""
from __future__ import annotations

import dataclasses

from . import noise as noises, serialize, validation as check
from .core import network
from .core.activations import ACTIVATIONS, DECODER_ACTIVATIONS
from .core.losses import LOSSES

SPEC_DEFAULTS = {f.name: f.default for f in dataclasses.fields(network.Spec)}
REQUIRED_SETTINGS = ("activation", "decoder_activation", "loss", "tied", "lam")   # every file's header has them
SETTINGS = tuple(SPEC_DEFAULTS) + ("corruption", "noise", "seed")                  # saved in a file's header


def checked(*, corruption="none", noise=0.0, **spec_settings):
    """(Spec, corruption, noise) from the constructor's settings, or a ValueError/TypeError saying what to do.

    ``spec_settings``: any of ``Spec``'s fields (the others keep their defaults).
    """
    unknown = sorted(set(spec_settings) - set(SPEC_DEFAULTS))
    if unknown:
        raise TypeError(f"unknown setting {unknown[0]!r}; the settings are {sorted(SETTINGS)}")
    s = {**SPEC_DEFAULTS, **spec_settings}
    check.choice("activation", s["activation"], sorted(ACTIVATIONS))
    check.choice("decoder_activation", s["decoder_activation"], DECODER_ACTIVATIONS)
    check.choice("loss", s["loss"], LOSSES)
    if s["loss"] == "bce" and s["decoder_activation"] != "sigmoid":
        raise ValueError("loss='bce' needs decoder_activation='sigmoid' (its output must be a "
                         "probability); use loss='mse' for a linear decoder")
    if not isinstance(s["tied"], bool):
        raise TypeError(f"tied must be True or False, got {s['tied']!r}")
    corruption, noise = noises.corruption_settings(corruption, noise)
    s["lam"] = check.non_negative_float("lam", s["lam"])
    s["hessian"], s["gamma"], s["hessian_noise"], s["hessian_copies"] = noises.hessian_settings(
        s["hessian"], s["gamma"], s["hessian_noise"], s["hessian_copies"])
    return network.Spec(**s), corruption, noise


def describe(spec, corruption, noise):
    """The settings as constructor keywords for ``__repr__``: the required ones, then those off their default."""
    values = {**dataclasses.asdict(spec), "corruption": corruption, "noise": noise}
    defaults = {**SPEC_DEFAULTS, "corruption": "none", "noise": 0.0}
    return ", ".join(f"{k}={v!r}" for k, v in values.items() if k in REQUIRED_SETTINGS or v != defaults[k])


def param_shapes_in(header):
    """{name: shape} of the parameters a model file's header declares (sizes and ``tied`` checked)."""
    return network.param_shapes(serialize.header_field(header, "n_visible", "size"),
                                serialize.header_field(header, "n_hidden", "size"),
                                serialize.header_field(header, "tied", "flag"))


def lam_property():
    """The ``lam`` property of a holder whose settings are a ``Spec`` (``spec``): read from it; assigning
    checks the value and replaces the spec."""
    def get(self):
        return self.spec.lam

    def put(self, value):
        self.spec = dataclasses.replace(self.spec, lam=check.non_negative_float("lam", value))
    return property(get, put, doc="the contractive penalty's weight, spec.lam (assignable, checked)")

