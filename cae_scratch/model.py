"""``ContractiveAutoencoder``: a thin holder of sizes, spec, backend and parameters.

Every method validates its input once, then calls pure functions a lesson can
call directly: ``core.network`` (encode, decode, loss terms, the reference
step), ``core.fused`` (the step that trains and that ``loss_and_grads``
runs), ``core.penalty`` (the closed form, the explicit Jacobian),
``gradcheck``, ``train`` and ``serialize``. A plain autoencoder is ``lam=0``.
"""
from __future__ import annotations

import dataclasses
import threading

from . import backend as backends, model_checks, noise as noises, serialize, settings, train, validation as check
from .core import fused, hessian, layers, network, penalty
from .core.activations import get_activation
from .holder import Holder
from .model_checks import check_model_gradients  # noqa: F401  (re-exported)
from .optim import OPTIMIZERS
from .settings import REQUIRED_SETTINGS, SETTINGS, param_shapes_in


class ContractiveAutoencoder(Holder):
    """A contractive autoencoder h = s(W x + b_h), r = g(W_r h + b_r); W_r = W.T when tied.

    Parameters: W (n_hidden, n_visible), b_h (n_hidden,), b_r (n_visible,),
    and W_r (n_visible, n_hidden) when ``tied=False``. Loss on a batch:
    mean_n rec(x_n, r_n) + lam * mean_n ||J(x_n)||_F^2 [+ gamma * the Hessian term].

    Settings (``settings``: the fields of ``core.network.Spec``, checked by ``settings.checked``):
    activation="sigmoid" (sigmoid | tanh | softplus | relu | linear), decoder_activation="sigmoid"
    (sigmoid | linear), loss="bce" (bce needs a sigmoid decoder | mse), tied=True, lam=0.1;
    CAE+H: hessian="none" (none | exact | stochastic), gamma=0.0, hessian_noise=0.1 (tau, the
    perturbations' std), hessian_copies=4. The two Hessian terms differ in scale: the stochastic one
    estimates tau^2 times the exact one (``core.hessian``), so gamma_exact ~ tau^2 gamma_stochastic
    gives them the same strength (tau = 0.1: an exact gamma 100 times smaller).

    ``corruption="gaussian" | "masking"`` with ``noise`` (std / fraction)
    makes it a denoising autoencoder: ``fit`` feeds corrupted inputs and
    reconstructs the clean ones. Every other method evaluates clean inputs.
    """

    def __init__(self, n_visible, n_hidden, *, backend="numpy", device=None, dtype="float64", seed=0,
                 corruption="none", noise=0.0, **settings_):
        self.n_visible = check.positive_int("n_visible", n_visible)
        self.n_hidden = check.positive_int("n_hidden", n_hidden)
        self.spec, self.corruption, self.noise = settings.checked(corruption=corruption, noise=noise, **settings_)
        self._place(backend, device, dtype, seed)
        self._noise = noises.NoiseSource(self.seed)   # the stochastic Hessian term's eps
        self._params = network.init_params(self.n_visible, self.n_hidden, self.spec, self.xp,
                                           self.dtype, self.device, self.seed)
        self._step = fused.FusedStep()          # buffers for loss_and_grads, kept between calls
        self._step_lock = threading.Lock()      # ... so two threads must not use them at once

    # ---- settings -----------------------------------------------------------------------
    lam = settings.lam_property()

    def param_shapes(self):
        """W, b_h, b_r (+ W_r when untied)."""
        return network.param_shapes(self.n_visible, self.n_hidden, self.spec.tied)

    def _check_X(self, X, name="X"):
        return check.batch(X, self.xp, self.dtype, self.device, self.n_visible, name,
                           unit_interval=self.spec.loss == "bce")

    # ---- math -------------------------------------------------------------------------
    def _eps(self, eps, B):
        """eps: (hessian_copies, B, n_visible), used as given (already scaled), or None: drawn from the
        seed's "hessian" stream."""
        return self._noise(eps, self.spec, B, self.n_visible, self.xp, self.dtype, self.device)

    def loss_and_grads(self, X, eps=None):
        """(loss: float, grads: dict like params) for X: (B, n_visible); the fused step of ``core.fused``.

        ``eps``: the stochastic Hessian term's perturbations (``_eps``). The step's buffers are kept
        between calls (fresh ones page-fault in every call) behind a lock, so two threads may call
        this at once; the grads returned are copies, so they stay the caller's.
        """
        X = self._check_X(X)
        eps = self._eps(eps, X.shape[0])
        with self._step_lock:
            terms, grads = self._step(self._params, X, self.spec, eps=eps)
            grads = {k: self.xp.asarray(g, copy=True) for k, g in grads.items()}
            return float(terms["total"]), grads

    def loss_terms(self, X, eps=None):
        """{"reconstruction", "contractive" (mean ||J||_F^2, without lam), ["hessian" (without gamma),] "total"}."""
        X = self._check_X(X)
        return {k: float(v) for k, v in network.loss_terms(self._params, X, self.spec, self._eps(eps, X.shape[0])).items()}

    def encode(self, X):
        """H: (B, n_hidden)."""
        return network.encode(self._params, self._check_X(X), self.spec)

    def decode(self, H):
        """R: (B, n_visible) from codes H: (B, n_hidden)."""
        H = check.batch(H, self.xp, self.dtype, self.device, self.n_hidden, "H", width_name="n_hidden")
        return network.decode(self._params, H, self.spec)

    def reconstruct(self, X):
        """R = decode(encode(X)): (B, n_visible)."""
        return network.decode(self._params, self.encode(X), self.spec)

    def jacobian(self, X, max_bytes=penalty.DEFAULT_MAX_BYTES):
        """The explicit Jacobian dH/dX: (B, n_hidden, n_visible), built in chunks of <= max_bytes."""
        max_bytes = check.positive_int("max_bytes", max_bytes)
        return penalty.explicit_jacobian(self._params["W"], self._params["b_h"], self._check_X(X),
                                         get_activation(self.spec.activation), max_bytes)

    def _closed_form(self, forward, X):
        act = get_activation(self.spec.activation)
        _, enc = layers.encoder_forward(self._params["W"], self._params["b_h"], self._check_X(X), act)
        return float(forward(self._params["W"], enc, act)[0])

    def contractive_penalty(self, X):
        """mean_b ||J(x_b)||_F^2 (without lam), by the closed form."""
        return self._closed_form(penalty.contractive_forward, X)

    def hessian_penalty(self, X):
        """mean_b ||d^2 h / dx^2 (x_b)||_F^2 (without gamma), exact for one layer: mean_b sum_k s''(a_bk)^2 q_k^2."""
        return self._closed_form(hessian.exact_forward, X)

    def check_gradients(self, X, term="total", step="fused", *, h=1e-6, max_entries=64, seed=0, eps=None):
        """{name: gradcheck.ParamReport} of one term, "total" | "reconstruction" | "contractive" | "hessian",
        of the "fused" or "reference" step (``model_checks.term_and_grads``); one eps in loss and gradient."""
        X = self._check_X(X)
        return model_checks.check_term(self._params, X, self.spec, term, step, h=h, max_entries=max_entries,
                                       seed=seed, eps=self._eps(eps, X.shape[0]))

    def tangents(self, X, k):
        """(B, k, n_visible): the top-k right singular vectors of J(x_b), orthonormal rows (``analysis.tangents``)."""
        from .analysis import tangents
        k = check.positive_int("k", k)
        if k > min(self.n_hidden, self.n_visible):
            raise ValueError(f"k must be between 1 and min(n_hidden, n_visible) = "
                             f"{min(self.n_hidden, self.n_visible)}, got {k}")
        return tangents(self._params["W"], self._params["b_h"], self._check_X(X), self.spec.activation, k)

    # ---- training and files -----------------------------------------------------------
    def fit(self, X, epochs=10, batch_size=64, lr=1e-3, optimizer="adam", *, seed=0, progress=True):
        """Train in place with minibatches; returns per-epoch history lists (see ``train.fit``).

        Not for two threads on one model at once: both would update the same parameters.
        """
        X = self._check_X(X)
        check.choice("optimizer", optimizer, OPTIMIZERS)
        args = dict(epochs=check.positive_int("epochs", epochs), batch_size=check.positive_int("batch_size", batch_size),
                    lr=check.positive_float("lr", lr), optimizer=optimizer, seed=check.seed(seed))
        check.writable(self._params)
        return train.fit(self._params, X, self.spec, **args, progress=bool(progress),
                         corruption=self.corruption, noise=self.noise)

    def _header(self):
        return {"n_visible": self.n_visible, "n_hidden": self.n_hidden, "dtype": self.dtype_name,
                "seed": self.seed, "corruption": self.corruption, "noise": self.noise,
                **dataclasses.asdict(self.spec)}

    def save(self, path):
        """Write the model to ``path`` (.npz content) atomically; returns the path."""
        return serialize.save(path, self._header(), self._params)

    @classmethod
    def load(cls, path, backend="numpy", device=None, dtype=None):
        """Read a saved model onto ``backend`` (and ``dtype``, default: the saved one)."""
        header, host = cls._read(path, param_shapes_in, backend, dtype)
        return cls.from_header(header, host, path, backend=backend, device=device, dtype=dtype)

    @classmethod
    def from_header(cls, header, host, path, **where):
        """A model from a file's header (its settings are the constructor's keywords) and host params."""
        missing = [k for k in REQUIRED_SETTINGS if k not in header]
        if missing:
            raise ValueError(f"{path!r} is not a valid cae-scratch model file: its header lacks the "
                             f"field {missing[0]!r}")
        return cls._from_file(path, host, lambda: cls(
            header["n_visible"], header["n_hidden"], **{**where, "dtype": where.get("dtype") or header["dtype"]},
            **{k: header[k] for k in SETTINGS if k in header}))

    def __repr__(self):
        return (f"ContractiveAutoencoder({self.n_visible}, {self.n_hidden}, "
                f"{settings.describe(self.spec, self.corruption, self.noise)}, "
                f"backend={self.backend!r}, dtype={self.dtype_name!r})")

    def sample(self, X0, steps, sigma, seed=0, noise=None, chain=False):
        """Chains x <- g(W_r (h + J J^T eps) + b_r) from X0: (B, n_visible), eps ~ N(0, sigma^2 I_{n_hidden})
        (sigma is tau in the book); noise: (steps, B, n_hidden), already scaled. (B, n_visible), or
        (steps + 1, B, n_visible) with X0 first when ``chain`` (``sampling.sample``)."""
        from .sampling import sample
        s = self.spec
        return sample(self._params, self._check_X(X0, "X0"), steps, sigma, activation=s.activation,
                      decoder_activation=s.decoder_activation, tied=s.tied, seed=seed, noise=noise, chain=chain)


def model_kwargs(name):
    """The constructor's backend= (and device=) keywords for a backend name such as "array_api_strict:device1"."""
    backend, device = backends.parse_name(name)
    return {"backend": backend} if device is None else {"backend": backend, "device": device}
