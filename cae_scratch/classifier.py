"""``TangentClassifier``: the Manifold Tangent Classifier's network, a thin holder.

o = V h_L + c (logits) with L hidden layers h_l = s(W_l h_{l-1} + b_l), trained
on mean cross-entropy plus beta * mean_b sum_i ||(d o / d x) u_bi||^2 for given
tangents U (see ``tangentprop`` for the math and the hand-derived backward,
forward mode through every layer). Without U it is a plain MLP -- the CAE
paper's supervised fine-tuning. ``n_hidden`` is one width (one hidden layer,
params W, b_h, V, c) or a list of widths (W, b_h, W_2, b_h_2, ..., V, c).
``from_encoder`` starts W, b_h from a trained ContractiveAutoencoder,
``from_stack`` every hidden layer from a trained StackedCAE (the paper's MTC).
"""
from __future__ import annotations

import warnings

import numpy as np

from . import backend as backends, serialize, validation as check
from .core import deep, layers, tangentprop
from .core.activations import ACTIVATIONS, get_activation
from .holder import Holder
from .optim import OPTIMIZERS, make_optimizer
from .train import end_epoch, minibatches, progress_bar

TERMS = ("total", "cross_entropy", "tangent")


def param_shapes(n_visible, n_hidden, n_classes):
    """{name: shape}, bottom layer first; ``n_hidden`` an int or a list of widths."""
    widths = n_hidden if isinstance(n_hidden, list) else [n_hidden]
    shapes = {}
    for (w, b), n_in, n_out in zip(tangentprop.names(len(widths)), [n_visible] + widths, widths):
        shapes[w], shapes[b] = (n_out, n_in), (n_out,)
    return {**shapes, "V": (n_classes, widths[-1]), "c": (n_classes,)}


def _widths(n_hidden):
    """An int (one hidden layer, kept an int) or a non-empty list of positive ints."""
    if isinstance(n_hidden, (list, tuple)):
        if not n_hidden:
            raise ValueError("n_hidden must be a width or a non-empty list of widths, e.g. [500, 500]")
        return [check.positive_int(f"n_hidden[{i}]", n) for i, n in enumerate(n_hidden)]
    return check.positive_int("n_hidden", n_hidden)


class TangentClassifier(Holder):
    """Logits o = V s(W x + b_h) + c; loss mean CE + beta * tangent penalty (``tangentprop``).

    Parameters (``params``, assignable like a CAE's): W (n_1, n_visible), b_h, [W_2 (n_2, n_1), b_h_2, ...,]
    V (n_classes, n_L), c; weights Glorot-uniform (x4 for a sigmoid layer, as a CAE's), zero biases.
    """

    MODEL = "TangentClassifier"

    def __init__(self, n_visible, n_hidden, n_classes, *, activation="sigmoid", beta=0.1, backend="numpy",
                 device=None, dtype="float64", seed=0):
        self.n_visible = check.positive_int("n_visible", n_visible)
        self.n_hidden = _widths(n_hidden)
        self.n_classes = check.positive_int("n_classes", n_classes)
        self.activation = check.choice("activation", activation, sorted(ACTIVATIONS))
        self.beta = check.non_negative_float("beta", beta)
        self._place(backend, device, dtype, seed)
        weights = {w: activation for w, _ in tangentprop.names(len(self.widths))}
        self._params = layers.glorot_params(self.param_shapes(), weights, self.seed, self.xp, self.dtype,
                                            self.device)

    @property
    def widths(self):
        """The hidden layers' widths, bottom first (a list, also for one layer)."""
        return self.n_hidden if isinstance(self.n_hidden, list) else [self.n_hidden]

    def param_shapes(self):
        """W, b_h (, W_2, b_h_2, ...), V, c."""
        return param_shapes(self.n_visible, self.n_hidden, self.n_classes)

    @classmethod
    def from_encoder(cls, cae, n_classes, *, beta=0.1, seed=0):
        """A classifier on ``cae``'s backend whose W, b_h are copies of the CAE's encoder."""
        if not all(hasattr(cae, a) for a in ("spec", "params", "n_visible", "n_hidden")):
            raise TypeError(f"from_encoder needs a trained ContractiveAutoencoder, got {type(cae).__name__}")
        clf = cls(cae.n_visible, cae.n_hidden, n_classes, activation=cae.spec.activation, beta=beta,
                  backend=cae.backend, device=cae.device, dtype=cae.dtype_name, seed=seed)
        clf.params = {**clf.params, "W": cae.params["W"], "b_h": cae.params["b_h"]}
        return clf

    @classmethod
    def from_stack(cls, stack, n_classes, *, beta=0.1, seed=0):
        """A classifier on ``stack``'s backend whose hidden layers are copies of the stack's encoders
        (the Manifold Tangent Classifier's network: tangents from ``stack.tangents``, then fine-tuning)."""
        if not hasattr(stack, "layers") or not hasattr(stack, "sizes"):
            raise TypeError(f"from_stack needs a trained StackedCAE, got {type(stack).__name__}")
        acts = {layer.spec.activation for layer in stack.layers}
        if len(acts) != 1:
            raise ValueError(f"from_stack needs one activation in every layer, got {sorted(acts)}")
        first = stack.layers[0]
        clf = cls(stack.sizes[0], list(stack.sizes[1:]), n_classes, activation=acts.pop(), beta=beta,
                  backend=first.backend, device=first.device, dtype=first.dtype_name, seed=seed)
        copied = {}
        for (w, b), layer in zip(tangentprop.names(len(stack.layers)), stack.layers):
            copied[w], copied[b] = layer.params["W"], layer.params["b_h"]
        clf.params = {**clf.params, **copied}
        return clf

    # ---- input checks (once per public call) --------------------------------------------
    def _check_X(self, X):
        return check.batch(X, self.xp, self.dtype, self.device, self.n_visible, "X")

    def _one_hot(self, y, n_rows):
        return check.one_hot(y, n_rows, self.n_classes, self.xp, self.dtype, self.device)

    def _check_U(self, U, n_rows):
        return None if U is None else check.directions(U, n_rows, self.n_visible, self.xp, self.dtype, self.device)

    # ---- math -------------------------------------------------------------------------
    def loss_and_grads(self, X, y, U=None):
        """(loss: float, grads keyed like params) for X: (B, n_visible), labels y: (B,), U: (B, k, n_visible)."""
        X = self._check_X(X)
        Y, U = self._one_hot(y, X.shape[0]), self._check_U(U, X.shape[0])
        terms, grads = tangentprop.loss_and_grads(self._params, X, Y, get_activation(self.activation), self.beta, U)
        return float(terms["total"]), grads

    def loss_terms(self, X, y, U=None):
        """{"cross_entropy", "tangent" (without beta), "total"} as floats."""
        X = self._check_X(X)
        Y, U = self._one_hot(y, X.shape[0]), self._check_U(U, X.shape[0])
        terms = tangentprop.loss_terms(self._params, X, Y, get_activation(self.activation), self.beta, U)
        return {k: float(v) for k, v in terms.items()}

    def logits(self, X):
        """O: (B, n_classes)."""
        pairs = tangentprop.names(len(self.widths))
        H, _ = deep.encoder_forward([self._params[w] for w, _ in pairs], [self._params[b] for _, b in pairs],
                                    self._check_X(X), [get_activation(self.activation)] * len(pairs))
        return layers.decoder_forward(self._params["V"], self._params["c"], H)[0]

    def predict(self, X):
        """The predicted class per row: host int array (B,)."""
        return np.argmax(backends.to_numpy(self.logits(X)), axis=1)

    def error(self, X, y):
        """Fraction of rows whose predicted class differs from y."""
        pred = self.predict(X)
        return float(np.mean(pred != check.labels(y, len(pred), self.n_classes)))

    def fit(self, X, y, U=None, epochs=10, batch_size=64, lr=1e-3, optimizer="adam", *, seed=0, progress=False):
        """Minibatch training in place (``train.minibatches``, ``train.end_epoch``, as a CAE's ``fit``); U
        (N, k, n_visible) rows go with X's rows. Returns per-epoch history lists."""
        X = self._check_X(X)
        Y, U = self._one_hot(y, X.shape[0]), self._check_U(U, X.shape[0])
        epochs, batch_size = check.positive_int("epochs", epochs), check.positive_int("batch_size", batch_size)
        opt = make_optimizer(check.choice("optimizer", optimizer, OPTIMIZERS), self._params,
                             check.positive_float("lr", lr))
        gen, xp, act = backends.stream(check.seed(seed), "shuffle"), self.xp, get_activation(self.activation)
        history = {"epoch": [], **{t: [] for t in TERMS}}
        last_finite = {k: xp.asarray(p, copy=True) for k, p in self._params.items()}
        n = X.shape[0]
        with progress_bar(epochs * -(-n // batch_size), progress) as bar, warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # divergence is reported once, by end_epoch
            for epoch in range(epochs):
                sums = {t: 0.0 for t in TERMS}
                for idx in minibatches(gen, n, batch_size, xp, self.device):
                    Ub = None if U is None else xp.take(U, idx, axis=0)
                    terms, grads = tangentprop.loss_and_grads(self._params, xp.take(X, idx, axis=0),
                                                              xp.take(Y, idx, axis=0), act, self.beta, Ub)
                    opt.step(self._params, grads)
                    for t in TERMS:                                 # stays on the device until the epoch ends
                        sums[t] = terms[t] * float(idx.shape[0]) + sums[t]
                    bar.update(1)
                last_finite, epoch_terms = end_epoch(self._params, last_finite, sums, n, history, epoch,
                                                     f"Lower lr (now {lr}) or beta (now {self.beta}).")
                bar.set_postfix(loss=f"{epoch_terms['total']:.4g}")
        return history

    # ---- files ------------------------------------------------------------------------
    def save(self, path):
        """Write the classifier atomically (``serialize.save``); returns the path."""
        header = {"model": self.MODEL, "n_visible": self.n_visible, "n_hidden": self.n_hidden,
                  "n_classes": self.n_classes, "activation": self.activation, "beta": self.beta,
                  "dtype": self.dtype_name, "seed": self.seed}
        return serialize.save(path, header, self._params)

    @classmethod
    def load(cls, path, backend="numpy", device=None, dtype=None):
        """Read a saved classifier onto ``backend`` (ValueError naming the file if it is not one)."""
        def shapes(h):
            hidden = h.get("n_hidden")
            hidden = serialize.header_field(h, "n_hidden", "list" if isinstance(hidden, list) else "size")
            if isinstance(hidden, list):
                hidden = [serialize.header_field({"n_hidden": n}, "n_hidden", "size") for n in hidden]
            return param_shapes(serialize.header_field(h, "n_visible", "size"), hidden,
                                serialize.header_field(h, "n_classes", "size"))
        header, host = cls._read(path, shapes, backend, dtype)
        return cls._from_file(path, host, lambda: cls(
            header["n_visible"], header["n_hidden"], header["n_classes"], activation=header.get("activation"),
            beta=header.get("beta"), backend=backend, device=device, dtype=dtype or header["dtype"],
            seed=header.get("seed", 0)))

    def __repr__(self):
        return (f"TangentClassifier({self.n_visible}, {self.n_hidden}, {self.n_classes}, activation={self.activation!r}, "
                f"beta={self.beta}, backend={self.backend!r}, dtype={self.dtype_name!r})")
