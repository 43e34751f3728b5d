"""``ConvCAE``: a convolutional contractive autoencoder, a thin holder like ``ContractiveAutoencoder``.

The dense CAE with W = M(K), the matrix of a convolution (``core.conv``):
one kernel bank K (channels, C_in, k, k), one bias per code channel b_h and
one per input channel b_r, the tied decoder the convolution's exact adjoint.
Inputs are (B, C_in H W) in C order, or (B, C_in, H, W) (flattened on entry).
Every method validates once, then calls the pure functions of
``core.conv_network``; placement, the validated ``params`` setter, ``asarray``
and file reading come from ``holder.Holder``, training from ``train.fit`` (its
step hook), initial weights from ``core.layers.glorot_params``.
"""
from __future__ import annotations

import dataclasses

from . import gradcheck, serialize, settings, train, validation as check
from .core import conv, conv_network, layers
from .holder import Holder
from .optim import OPTIMIZERS

CONV_SETTINGS = ("activation", "decoder_activation", "loss", "lam", "seed")


def param_shapes(geo):
    C_in = geo.in_shape[0]
    return {"K": (geo.channels, C_in, geo.kernel, geo.kernel), "b_h": (geo.channels,), "b_r": (C_in,)}


class ConvCAE(Holder):
    """h = s(conv(x, K) + b_h), r = g(conv^T(h, K) + b_r); loss mean rec + lam mean ||J||_F^2.

    ``in_shape`` = (C_in, H, W); ``channels`` code channels of ``kernel`` x ``kernel`` filters with
    ``stride`` and zero ``padding``. The code has channels * H' * W' units (``n_hidden``).
    """

    MODEL = "ConvCAE"

    def __init__(self, in_shape=(1, 28, 28), channels=8, kernel=5, *, stride=1, padding=0,
                 activation="sigmoid", decoder_activation="sigmoid", loss="bce", lam=0.1,
                 backend="numpy", device=None, dtype="float64", seed=0):
        if not isinstance(in_shape, (tuple, list)) or len(in_shape) != 3:
            raise ValueError(f"in_shape must be (C_in, H, W), e.g. (1, 28, 28), got {in_shape!r}")
        in_shape = tuple(check.positive_int(f"in_shape[{i}]", v) for i, v in enumerate(in_shape))
        self.geo = conv.ConvGeometry(in_shape, check.positive_int("channels", channels),
                                     check.positive_int("kernel", kernel), check.positive_int("stride", stride),
                                     check.number("padding", padding, integer=True, strict=False))
        self.spec = settings.checked(activation=activation, decoder_activation=decoder_activation, loss=loss,
                                     lam=lam)[0]
        self._place(backend, device, dtype, seed)
        # Glorot-uniform K (fan-in C_in k k, fan-out channels k k; x4 for a sigmoid), zero biases
        self._params = layers.glorot_params(param_shapes(self.geo), {"K": activation}, self.seed, self.xp,
                                            self.dtype, self.device)

    # ---- sizes and settings -------------------------------------------------------------
    in_shape = property(lambda self: self.geo.in_shape)
    n_visible = property(lambda self: self.geo.n_visible)
    n_hidden = property(lambda self: self.geo.n_hidden)

    lam = settings.lam_property()

    def param_shapes(self):
        """K (channels, C_in, k, k), b_h (channels,), b_r (C_in,)."""
        return param_shapes(self.geo)

    def _check_X(self, X, name="X"):
        if getattr(X, "ndim", None) == 4:
            if tuple(X.shape[1:]) != self.in_shape:
                raise ValueError(f"{name} has images of shape {tuple(X.shape[1:])}; this model takes "
                                 f"{self.in_shape} (C_in, H, W)")
            X = self.xp.reshape(X, (X.shape[0], self.n_visible))
        return check.batch(X, self.xp, self.dtype, self.device, self.n_visible, name,
                           unit_interval=self.spec.loss == "bce")

    # ---- math -------------------------------------------------------------------------
    def encode(self, X):
        """H: (B, channels * H' * W'), channel-major."""
        return conv_network.encode(self._params, self._check_X(X), self.geo, self.spec)

    def decode(self, H):
        """R: (B, C_in * H * W) from codes H: (B, n_hidden)."""
        H = check.batch(H, self.xp, self.dtype, self.device, self.n_hidden, "H", width_name="n_hidden")
        return conv_network.decode(self._params, H, self.geo, self.spec)

    def reconstruct(self, X):
        """R = decode(encode(X)): (B, C_in * H * W)."""
        return conv_network.decode(self._params, self.encode(X), self.geo, self.spec)

    def loss_and_grads(self, X):
        """(loss: float, grads {"K", "b_h", "b_r"}) for X: (B, n_visible); the step ``fit`` trains with."""
        terms, grads = conv_network.loss_and_grads(self._params, self._check_X(X), self.geo, self.spec)
        return float(terms["total"]), grads

    def loss_terms(self, X):
        """{"reconstruction", "contractive" (mean ||J||_F^2, without lam), "total"} as floats."""
        terms = conv_network.loss_terms(self._params, self._check_X(X), self.geo, self.spec)
        return {k: float(v) for k, v in terms.items()}

    def contractive_penalty(self, X):
        """mean_b ||J(x_b)||_F^2 (without lam), by the closed form sum_cp s'(a_cp)^2 q_cp."""
        return self.loss_terms(X)["contractive"]

    def jacobian(self, X):
        """The explicit Jacobian dH/dX: (B, n_hidden, n_visible) = diag(s'(a)) M(K), M built from basis images."""
        xp = self.xp
        _, (_, _, D1) = conv_network.encode_cache(self._params, self._check_X(X), self.geo, self.spec)
        return xp.expand_dims(D1, axis=2) * xp.expand_dims(self.conv_matrix(), axis=0)

    def conv_matrix(self):
        """M(K): (n_hidden, n_visible), column j the convolution of the basis image e_j (no bias)."""
        eye = self.xp.eye(self.n_visible, dtype=self.dtype, device=self.device)
        return self.xp.matrix_transpose(conv.conv_forward(self.geo, self._params["K"], eye)[0])

    def dense_params(self):
        """The same model as a dense CAE's params: W = M(K), b_h and b_r repeated over each channel's pixels.

        ``ContractiveAutoencoder(n_visible, n_hidden, ...)`` with these params computes exactly this
        model (tied: its decoder W^T = M(K)^T is the convolution's adjoint), so every dense tool (the
        analysis module, tangents, sampling) applies to a convolutional CAE too.
        """
        xp, (C_in, Hh, Ww) = self.xp, self.in_shape
        return {"W": self.conv_matrix(), "b_h": xp.repeat(self._params["b_h"], self.geo.n_positions),
                "b_r": xp.repeat(self._params["b_r"], Hh * Ww)}

    def check_gradients(self, X, term="total", h=1e-6, max_entries=64, seed=0):
        """{name: gradcheck.ParamReport}: central differences of ``term`` ("total" | "reconstruction")."""
        X = self._check_X(X)
        check.choice("term", term, ("total", "reconstruction"))
        spec = self.spec if term == "total" else dataclasses.replace(self.spec, lam=0.0)
        grads = conv_network.loss_and_grads(self._params, X, self.geo, spec)[1]
        f = lambda p: conv_network.loss_terms(p, X, self.geo, spec)[term]
        return gradcheck.check_gradients(f, self._params, grads, h=h, max_entries=max_entries, seed=seed)

    # ---- training and files -----------------------------------------------------------
    def fit(self, X, epochs=10, batch_size=64, lr=1e-3, optimizer="adam", seed=0, progress=True):
        """Train in place with minibatches; returns per-epoch history lists (``train.fit``)."""
        X = self._check_X(X)
        check.choice("optimizer", optimizer, OPTIMIZERS)
        args = dict(epochs=check.positive_int("epochs", epochs), batch_size=check.positive_int("batch_size", batch_size),
                    lr=check.positive_float("lr", lr), optimizer=optimizer, seed=check.seed(seed))
        check.writable(self._params)
        geo = self.geo

        def step(params, Xb, spec, target=None):
            return conv_network.loss_and_grads(params, Xb, geo, spec, target)
        return train.fit(self._params, X, self.spec, **args, progress=bool(progress), step=step)

    def _header(self):
        g = self.geo
        return {"model": self.MODEL, "in_shape": list(g.in_shape), "channels": g.channels, "kernel": g.kernel,
                "stride": g.stride, "padding": g.padding, "dtype": self.dtype_name, "seed": self.seed,
                **{k: getattr(self.spec, k) for k in CONV_SETTINGS if k != "seed"}}

    def save(self, path):
        """Write the model to ``path`` (.npz content) atomically; returns the path."""
        return serialize.save(path, self._header(), self._params)

    @classmethod
    def load(cls, path, backend="numpy", device=None, dtype=None):
        """Read a saved ConvCAE onto ``backend`` (and ``dtype``, default: the saved one); a ValueError naming
        the file for anything wrong."""
        header, host = cls._read(path, lambda h: param_shapes(_geometry_in(h)), backend, dtype)
        return cls._from_file(path, host, lambda: cls(
            tuple(header["in_shape"]), header["channels"], header["kernel"], stride=header["stride"],
            padding=header["padding"], backend=backend, device=device, dtype=dtype or header["dtype"],
            **{k: header[k] for k in CONV_SETTINGS if k in header}))

    def __repr__(self):
        g, s = self.geo, self.spec
        return (f"ConvCAE(in_shape={g.in_shape}, channels={g.channels}, kernel={g.kernel}, stride={g.stride}, "
                f"padding={g.padding}, activation={s.activation!r}, loss={s.loss!r}, lam={s.lam}, "
                f"backend={self.backend!r}, dtype={self.dtype_name!r})")


def _geometry_in(header):
    """The ConvGeometry a ConvCAE file's header declares (every size checked), or a ValueError."""
    shape = header.get("in_shape")
    if not isinstance(shape, list) or len(shape) != 3:
        raise ValueError(f"header field 'in_shape' must be [C_in, H, W], got {shape!r}")
    sizes = [serialize.header_field({"in_shape": v}, "in_shape", "size") for v in shape]
    padding = header.get("padding")
    if type(padding) is not int or padding < 0:
        raise ValueError(f"header field 'padding' must be a non-negative integer, got {padding!r}")
    return conv.ConvGeometry(tuple(sizes), *(serialize.header_field(header, f, "size")
                                             for f in ("channels", "kernel", "stride")), padding)
