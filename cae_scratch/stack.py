"""``StackedCAE``: contractive autoencoders stacked and trained greedily, layer by layer.

Layer l maps h_{l-1} (h_0 = x) to h_l = s(W_l h_{l-1} + b_l), sizes[l-1] -> sizes[l];
each is a ContractiveAutoencoder trained on the codes of the layer below
(Rifai et al., NIPS 2011). The stack's Jacobian is the chain rule's product

    J_stack(x) = J_L ... J_1,   J_l = diag(s'(a_l)) W_l        (sizes[-1], sizes[0])

built per example as J <- s'(a_l)[:, :, None] * (W_l @ J), one batched matmul
per layer over a chunk of rows (never a per-example loop). Unlike one layer,
||J_stack||_F^2 has no closed form in O(B n_hidden): the product must be built.

Files: one .npz through ``serialize.save`` / ``serialize.load`` (so it is
written atomically and read as strictly as a single model), with the
parameters of layer l under the names ``layer{l}_W``, ``layer{l}_b_h``, ...
and every layer's header in the file's header.
"""
from __future__ import annotations

import dataclasses

from . import analysis, backend as backends, holder, noise, serialize, train, validation as check
from .core import fused_deep
from .optim import OPTIMIZERS
from .core.activations import get_activation
from .core.penalty import DEFAULT_MAX_BYTES
from .model import ContractiveAutoencoder
from .settings import SETTINGS, param_shapes_in

MODEL = "StackedCAE"


def _per_layer(name, value, n_layers):
    """A number (every layer) or a list with one entry per layer."""
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n_layers
    if len(values) != n_layers:
        raise ValueError(f"{name} must be one value or a list of {n_layers} (one per layer), got {len(values)}")
    return values


class StackedCAE:
    """CAE layers sizes[0] -> sizes[1] -> ... -> sizes[-1]; ``layer_kwargs`` go to every layer."""

    def __init__(self, sizes, activation="sigmoid", lam=0.1, dtype="float64", seed=0, **layer_kwargs):
        if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
            raise ValueError(f"sizes must list at least two layer widths, e.g. [784, 500, 200], got {sizes!r}")
        self.sizes = [check.positive_int("sizes[i]", n) for n in sizes]
        n_layers = len(self.sizes) - 1
        lams = _per_layer("lam", lam, n_layers)
        self.seed = check.seed(seed)
        if n_layers > 1 and activation != "sigmoid" and layer_kwargs.get("loss", "bce") == "bce":
            raise ValueError(f"the upper layers reconstruct {activation} codes, which are not in [0, 1]: pass "
                             "loss='mse', decoder_activation='linear' (or use activation='sigmoid')")
        self.layers = [ContractiveAutoencoder(self.sizes[i], self.sizes[i + 1], activation=activation, lam=lams[i],
                                              dtype=dtype, seed=self.seed + i, **layer_kwargs)
                       for i in range(n_layers)]

    @property
    def xp(self):
        return self.layers[0].xp

    def asarray(self, X):
        return self.layers[0].asarray(X)

    def fit(self, X, epochs=10, **fit_kwargs):
        """Greedy training: layer l on the codes of layers 1..l-1. ``epochs`` may be a list per layer.

        Returns the list of per-layer histories (each as ``ContractiveAutoencoder.fit`` gives it).
        """
        epochs = _per_layer("epochs", epochs, len(self.layers))
        H, histories = self.layers[0]._check_X(X), []
        for layer, n_epochs in zip(self.layers, epochs):
            histories.append(layer.fit(H, epochs=n_epochs, **fit_kwargs))
            H = layer.encode(H)
        return histories

    def encode(self, X):
        """h_L(x): (B, sizes[-1])."""
        H = X
        for layer in self.layers:
            H = layer.encode(H)
        return H

    def _jacobian_chunks(self, X, max_bytes):
        """Yield J_stack for row chunks of X, each (chunk, sizes[-1], sizes[0]), within max_bytes."""
        X = self.layers[0]._check_X(X)
        xp = self.xp
        # per row: the running product and the next one, each at most max(sizes) x sizes[0]
        row_bytes = 2 * max(self.sizes[1:]) * self.sizes[0] * backends.itemsize(X)
        for start, stop in analysis.row_chunks(X.shape[0], row_bytes, max_bytes):
            H, J = X[start:stop, :], None
            for layer in self.layers:
                W, act = layer.params["W"], get_activation(layer.spec.activation)
                A = H @ W.T + layer.params["b_h"]
                H = act.f(A)
                WJ = W if J is None else W @ J          # (n_l, n_0) or batched (chunk, n_l, n_0)
                J = xp.expand_dims(act.d1(A, H), axis=2) * WJ
            yield J

    def jacobian(self, X, max_bytes=DEFAULT_MAX_BYTES):
        """J_stack(x_b) = J_L ... J_1 for every row: (B, sizes[-1], sizes[0]), built in chunks of <= max_bytes."""
        return self.xp.concat(list(self._jacobian_chunks(X, max_bytes)), axis=0)

    def contractive_penalty(self, X, max_bytes=DEFAULT_MAX_BYTES):
        """mean_b ||J_stack(x_b)||_F^2 of the composed encoder (explicit product; no closed form)."""
        xp, total, n = self.xp, 0.0, 0
        for J in self._jacobian_chunks(X, max_bytes):
            total, n = xp.sum(J * J) + total, n + J.shape[0]     # summed on the device
        return float(total) / n

    def tangents(self, X, k, max_bytes=DEFAULT_MAX_BYTES):
        """(B, k, sizes[0]): the top-k right singular vectors of J_stack(x_b), orthonormal rows."""
        k = check.positive_int("k", k)
        if k > min(self.sizes[-1], self.sizes[0]):
            raise ValueError(f"k must be between 1 and min(sizes[-1], sizes[0]) = "
                             f"{min(self.sizes[-1], self.sizes[0])}, got {k}")
        return self.xp.concat([analysis.leading_singular_pairs(J, k)[1]
                               for J in self._jacobian_chunks(X, max_bytes // 3)], axis=0)

    # ---- the deep autoencoder, trained end to end ---------------------------------------
    def _flat_params(self):
        return {f"layer{i}_{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()
                if k != "W_r"}

    def _set_flat_params(self, flat):
        for i, layer in enumerate(self.layers):
            layer.params = {k: flat[f"layer{i}_{k}"] for k in layer.params}

    def probes(self, B, k=1, probe="rademacher", seed=0):
        """U: (B, k, sizes[0]) probes with E[u u^T] = I -- Rademacher signs or standard normals --
        drawn on the host from the seed's "probes" stream (``noise.draw_probes``)."""
        shape = (check.positive_int("B", B), check.positive_int("k", k), self.sizes[0])
        return self.asarray(noise.draw_probes(backends.stream(check.seed(seed), "probes"), shape, probe))

    def loss_and_grads(self, X, U=None, lam=0.1):
        """(loss: float, grads) of the unrolled deep autoencoder plus lam times the probe estimate P_hat of
        mean_n ||J_stack(x_n)||_F^2 (``core.deep``, run by its fast twin ``core.fused_deep``); grads keyed
        "layer{l}_W", "layer{l}_b_h", "layer{l}_b_r", in fresh arrays (the caller's).

        U: (B, k, sizes[0]) probes; None draws one Rademacher probe per example from the probe stream.
        """
        X = self.layers[0]._check_X(X)
        lam = check.non_negative_float("lam", lam)
        U = self.probes(X.shape[0]) if U is None else self._check_U(U, X.shape[0])
        self._check_deep()
        terms, grads = fused_deep.autoencoder_loss_and_grads(self._flat_params(), X,
                                                              [l.spec for l in self.layers], U, lam)
        return float(terms["total"]), grads

    def _check_U(self, U, n_rows):
        first = self.layers[0]
        return check.directions(U, n_rows, self.sizes[0], self.xp, first.dtype, first.device, "probes",
                                "draw them with stack.probes(B, k)", "sizes[0]")

    def _check_deep(self):
        if any(not layer.spec.tied for layer in self.layers):
            raise ValueError("the deep autoencoder unrolls tied layers; this stack has untied ones")

    def fine_tune(self, X, epochs=10, lam=0.1, probes=1, probe="rademacher", batch_size=64, lr=1e-3,
                  optimizer="adam", seed=0, progress=True):
        """Train every layer jointly as the unrolled deep autoencoder with lam * P_hat, fresh probes every
        step (``probes`` per example); returns the per-epoch history ("contractive" is P_hat, without lam).
        On divergence every layer keeps its parameters from the end of the last finite epoch."""
        X = self.layers[0]._check_X(X)
        lam, k = check.non_negative_float("lam", lam), check.positive_int("probes", probes)
        check.choice("probe", probe, noise.PROBES)
        check.choice("optimizer", optimizer, OPTIMIZERS)
        self._check_deep()
        specs = [layer.spec for layer in self.layers]
        gen = backends.stream(check.seed(seed), "probes")
        n0, fused_step = self.sizes[0], fused_deep.FusedDeepStep()     # its buffers live for this call

        def step(params, Xb, spec, target=None):
            U = self.asarray(noise.draw_probes(gen, (Xb.shape[0], k, n0), probe))
            return fused_step(params, Xb, specs, U, lam)

        flat = self._flat_params()
        spec = dataclasses.replace(specs[0], lam=lam, hessian="none")
        try:
            return train.fit(flat, X, spec, epochs=check.positive_int("epochs", epochs),
                             batch_size=check.positive_int("batch_size", batch_size),
                             lr=check.positive_float("lr", lr), optimizer=optimizer, seed=check.seed(seed),
                             progress=bool(progress), step=step)
        finally:
            self._set_flat_params(flat)

    # ---- files ------------------------------------------------------------------------
    def save(self, path):
        """One .npz (``serialize.save``: atomic) holding every layer; returns the path."""
        header = {"model": MODEL, "sizes": self.sizes, "seed": self.seed, "dtype": self.layers[0].dtype_name,
                  "layers": [layer._header() for layer in self.layers]}
        params = {f"layer{i}_{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()}
        return serialize.save(path, header, params)

    @classmethod
    def load(cls, path, backend="numpy", device=None, dtype=None):
        """Read a saved stack onto ``backend`` (ValueError naming the file for anything wrong).

        The stack is rebuilt by the constructor from the header (sizes, seed, the first layer's settings,
        every layer's lam), and each layer's saved settings must be the ones it built: a file the
        constructor would refuse (mixed activations, dtypes, sizes that do not chain) is refused.
        """
        header, host = holder.read(path, _layer_shapes, MODEL, backend, dtype)
        layer_headers = header["layers"]
        common = {k: layer_headers[0][k] for k in SETTINGS if k in layer_headers[0] and k not in ("lam", "seed")}
        with serialize.invalid_header(path, MODEL):
            stack = cls(header["sizes"], lam=[lh.get("lam") for lh in layer_headers], seed=header.get("seed"),
                        **{**common, "dtype": dtype or header["dtype"]}, backend=backend, device=device)
            for i, (layer, saved) in enumerate(zip(stack.layers, layer_headers)):
                built = {**layer._header(), "dtype": header["dtype"]}
                odd = sorted(k for k in saved if built.get(k, saved[k]) != saved[k] or k not in built)
                if odd:
                    raise ValueError(f"layer {i}'s {odd[0]!r} is {saved[odd[0]]!r}, but a StackedCAE of this "
                                     f"header gives {built.get(odd[0])!r} (its layers share every setting but lam)")
                layer.params = {k[len(f"layer{i}_"):]: layer.asarray(v) for k, v in host.items()
                                if k.startswith(f"layer{i}_")}
        return stack

    def __repr__(self):
        return f"StackedCAE({self.sizes}, activation={self.layers[0].spec.activation!r}, " \
               f"lam={[layer.lam for layer in self.layers]})"


def _layer_shapes(header):
    """{"layer{i}_{name}": shape} that a stack file's header declares: sizes of at least two positive ints,
    one layer header (an object) per pair of sizes, whose own sizes chain along them."""
    sizes = serialize.header_field(header, "sizes", "sizes")
    serialize.header_field(header, "seed", "seed")
    layer_headers = serialize.header_field(header, "layers", "list")
    if len(layer_headers) != len(sizes) - 1 or not all(isinstance(h, dict) for h in layer_headers):
        raise ValueError(f"header field 'layers' must hold one object per layer ({len(sizes) - 1} for sizes "
                         f"{sizes}), got {len(layer_headers)} entries")
    shapes = {}
    for i, h in enumerate(layer_headers):
        layer = param_shapes_in(h)
        if layer["W"] != (sizes[i + 1], sizes[i]):
            raise ValueError(f"layer {i} is {h['n_visible']} -> {h['n_hidden']}, but sizes {sizes} say "
                             f"{sizes[i]} -> {sizes[i + 1]} (the layer sizes do not chain)")
        shapes.update({f"layer{i}_{k}": s for k, s in layer.items()})
    return shapes
