"""``ContractiveAutoencoder``: a thin holder of sizes, spec, backend and parameters.

Every method validates its input once, then calls the pure functions in
``network``, ``penalty``, ``train`` and ``serialize``, which a lesson can
call directly. A plain autoencoder is ``lam=0``.
"""
from __future__ import annotations

from . import backend as backends, fused, network, penalty, serialize, train, validation as check
from .corruption import CORRUPTIONS
from .activations import ACTIVATIONS, DECODER_ACTIVATIONS, get_activation
from .losses import LOSSES
from .optim import OPTIMIZERS


class ContractiveAutoencoder:
    """A contractive autoencoder h = s(W x + b_h), r = g(W_r h + b_r); W_r = W.T when tied.

    Parameters: W (n_hidden, n_visible), b_h (n_hidden,), b_r (n_visible,),
    and W_r (n_visible, n_hidden) when ``tied=False``. Loss on a batch:
    mean_b rec(x_b, r_b) + lam * mean_b ||J(x_b)||_F^2.

    ``corruption="gaussian" | "masking"`` with ``noise`` (std / fraction)
    makes it a denoising autoencoder: ``fit`` feeds corrupted inputs and
    reconstructs the clean ones. Every other method evaluates clean inputs.
    """

    def __init__(self, n_visible, n_hidden, *, activation="sigmoid", decoder_activation="sigmoid",
                 loss="bce", tied=True, lam=0.1, corruption="none", noise=0.0, backend="numpy", device=None,
                 dtype="float64", seed=0):
        self.n_visible = check.positive_int("n_visible", n_visible)
        self.n_hidden = check.positive_int("n_hidden", n_hidden)
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
        if corruption == "masking" and noise >= 1.0:
            raise ValueError(f"masking noise is the fraction of inputs zeroed and must be < 1, got {noise}")
        self.spec = network.Spec(activation, decoder_activation, loss, tied,
                                 check.non_negative_float("lam", lam), corruption, noise)
        self.dtype_name = check.choice("dtype", dtype, backends.DTYPES)
        self.backend = backend
        self.xp = backends.get_namespace(backend)
        self.dtype = getattr(self.xp, dtype)
        self.device = device if device is not None else backends.default_device(self.xp)
        self.seed = check.seed(seed)
        self._params = network.init_params(self.n_visible, self.n_hidden, self.spec, self.xp,
                                           self.dtype, self.device, seed)
        self._step = fused.FusedStep()          # buffers for loss_and_grads, kept between calls

    # ---- settings -----------------------------------------------------------------------
    @property
    def lam(self):
        return self.spec.lam

    @lam.setter
    def lam(self, value):
        self.spec = network.Spec(**{**self.spec.__dict__, "lam": check.non_negative_float("lam", value)})

    @property
    def params(self):
        """dict of the parameter arrays (W, b_h, b_r, + W_r when untied); assign a dict to replace them."""
        return self._params

    @params.setter
    def params(self, new):
        shapes = network.param_shapes(self.n_visible, self.n_hidden, self.spec.tied)
        if not isinstance(new, dict) or set(new) != set(shapes):
            raise ValueError(f"params must be a dict with keys {sorted(shapes)}")
        checked = {}
        for k, shape in shapes.items():
            arr = check.array_for(new[k], self.xp, self.dtype, self.device, name=f"params[{k!r}]")
            if tuple(arr.shape) != shape:
                raise ValueError(f"params[{k!r}] has shape {tuple(arr.shape)}, expected {shape}")
            checked[k] = arr
        self._params = checked

    def asarray(self, X):
        """Host data (NumPy, lists) -> an array of this model's backend, dtype and device."""
        host = X if isinstance(X, (list, tuple)) else backends.to_numpy(X)
        return backends.asarray(host, self.xp, self.dtype, self.device)

    def _check_X(self, X, name="X"):
        return check.batch(X, self.xp, self.dtype, self.device, self.n_visible, name,
                           unit_interval=self.spec.loss == "bce")

    # ---- math -------------------------------------------------------------------------
    def loss_and_grads(self, X):
        """(loss: float, grads: dict like params) for X: (B, n_visible); the fused step of ``fused.py``.

        The step's buffers are kept between calls (fresh ones page-fault in
        every call); the grads returned are copies, so they stay the caller's.
        """
        terms, grads = self._step(self._params, self._check_X(X), self.spec)
        grads = {k: self.xp.asarray(g, copy=True) for k, g in grads.items()}
        return float(terms["total"]), grads

    def loss_terms(self, X):
        """{"reconstruction", "contractive" (mean ||J||_F^2, without lam), "total"} as floats."""
        return {k: float(v) for k, v in network.loss_terms(self._params, self._check_X(X), self.spec).items()}

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
        return penalty.explicit_jacobian(self._params["W"], self._params["b_h"], self._check_X(X),
                                         get_activation(self.spec.activation), max_bytes)

    def contractive_penalty(self, X):
        """mean_b ||J(x_b)||_F^2 (without lam), by the closed form."""
        X = self._check_X(X)
        _, _, D1 = penalty.encoder_derivatives(self._params["W"], self._params["b_h"], X,
                                               get_activation(self.spec.activation))
        return float(penalty.contractive_penalty(D1, penalty.row_norms_sq(self._params["W"])))

    def tangents(self, X, k):
        """(B, k, n_visible): the top-k right singular vectors of J(x_b), orthonormal rows (``analysis.tangents``)."""
        from .analysis import tangents
        k = check.positive_int("k", k)
        if k > min(self.n_hidden, self.n_visible):
            raise ValueError(f"k must be between 1 and min(n_hidden, n_visible) = "
                             f"{min(self.n_hidden, self.n_visible)}, got {k}")
        return tangents(self._params["W"], self._params["b_h"], self._check_X(X), self.spec.activation, k)

    # ---- training and files -----------------------------------------------------------
    def fit(self, X, epochs=10, batch_size=64, lr=1e-3, optimizer="adam", seed=0, progress=True):
        """Train in place with minibatches; returns per-epoch history lists (see ``train.fit``)."""
        X = self._check_X(X)
        check.choice("optimizer", optimizer, OPTIMIZERS)
        return train.fit(self._params, X, self.spec, epochs=check.positive_int("epochs", epochs),
                         batch_size=check.positive_int("batch_size", batch_size),
                         lr=check.positive_float("lr", lr), optimizer=optimizer,
                         progress=bool(progress), seed=check.seed(seed))

    def _header(self):
        return {"n_visible": self.n_visible, "n_hidden": self.n_hidden, "dtype": self.dtype_name,
                "seed": self.seed, **self.spec.__dict__}

    def save(self, path):
        """Write the model to ``path`` (.npz content) atomically; returns the path."""
        return serialize.save(path, self._header(), self._params)

    @classmethod
    def load(cls, path, backend="numpy", device=None, dtype=None):
        """Read a saved model onto ``backend`` (and ``dtype``, default: the saved one)."""
        def shapes(h):
            return network.param_shapes(int(h["n_visible"]), int(h["n_hidden"]), bool(h["tied"]))
        header, host = serialize.load(path, shapes)
        try:
            model = cls(header["n_visible"], header["n_hidden"], activation=header["activation"],
                        decoder_activation=header["decoder_activation"], loss=header["loss"],
                        tied=header["tied"], lam=header["lam"], corruption=header.get("corruption", "none"),
                        noise=header.get("noise", 0.0), backend=backend, device=device,
                        dtype=dtype or header["dtype"], seed=header.get("seed", 0))
        except (KeyError, TypeError) as e:
            raise ValueError(f"{path!r} is not a valid cae-scratch model file (bad header: {e})") from None
        model.params = {k: model.asarray(v) for k, v in host.items()}
        return model

    def __repr__(self):
        s = self.spec
        return (f"ContractiveAutoencoder({self.n_visible}, {self.n_hidden}, activation={s.activation!r}, "
                f"decoder_activation={s.decoder_activation!r}, loss={s.loss!r}, tied={s.tied}, "
                f"lam={s.lam}, " + (f"corruption={s.corruption!r}, noise={s.noise}, " if s.corruption != "none" else "")
                + f"backend={self.backend!r}, dtype={self.dtype_name!r})")

