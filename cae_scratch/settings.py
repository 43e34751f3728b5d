"""A CAE's settings: checked once, turned into the step's ``Spec`` and the DAE's corruption, and read back
from a file's header (whose settings are the constructor's keywords)."""
from __future__ import annotations

from . import perturbation, serialize, validation as check
from .core import network
from .core.activations import ACTIVATIONS, DECODER_ACTIVATIONS
from .core.losses import LOSSES
from .corruption import CORRUPTIONS

REQUIRED_SETTINGS = ("activation", "decoder_activation", "loss", "tied", "lam")
SETTINGS = REQUIRED_SETTINGS + ("corruption", "noise", "seed",      # saved in a file's header
                                 "hessian", "gamma", "hessian_noise", "hessian_copies")


def checked(activation, decoder_activation, loss, tied, lam, corruption, noise, **hessian):
    """(Spec, corruption, noise) from the constructor's settings, or a ValueError/TypeError saying what to do.

    ``hessian``: hessian, gamma, hessian_noise, hessian_copies (``perturbation.hessian_settings``).
    """
    check.choice("activation", activation, sorted(ACTIVATIONS))
    check.choice("decoder_activation", decoder_activation, DECODER_ACTIVATIONS)
    check.choice("loss", loss, LOSSES)
    if loss == "bce" and decoder_activation != "sigmoid":
        raise ValueError("loss='bce' needs decoder_activation='sigmoid' (its output must be a "
                         "probability); use loss='mse' for a linear decoder")
    if not isinstance(tied, bool):
        raise TypeError(f"tied must be True or False, got {tied!r}")
    check.choice("corruption", corruption, CORRUPTIONS)
    noise = check.non_negative_float("noise", noise)
    if corruption != "none" and noise == 0.0:
        raise ValueError(f"corruption={corruption!r} with noise=0 corrupts nothing (a plain autoencoder); "
                         "give noise > 0 (gaussian: its std; masking: the fraction zeroed) or corruption='none'")
    if corruption == "masking" and noise >= 1.0:
        raise ValueError(f"masking noise is the fraction of inputs zeroed and must be < 1, got {noise}")
    spec = network.Spec(activation, decoder_activation, loss, tied, check.non_negative_float("lam", lam),
                        *perturbation.hessian_settings(**hessian))
    return spec, corruption, noise


def param_shapes_in(header):
    """{name: shape} of the parameters a model file's header declares (sizes and ``tied`` checked)."""
    return network.param_shapes(serialize.header_field(header, "n_visible", "size"),
                                serialize.header_field(header, "n_hidden", "size"),
                                serialize.header_field(header, "tied", "flag"))
