"""Minibatch training: ``fit(params, X, spec, ...) -> history``, updating params in place, and the pieces
every holder's fit shares (``minibatches``, ``end_epoch``, ``progress_bar``).

Shuffling uses a host-side permutation from the seed's "shuffle" stream
(``backend.STREAMS``; the DAE's corruption and the stochastic Hessian term's
perturbations, fresh every step, come from its "corruption" and "hessian" streams), moved
to the device once per epoch; batches are ``xp.take`` rows on the device,
gathered into one reused array per batch size (a step allocates no batch
and, without corruption, copies nothing between host and device). Loss
terms are summed on the device and read back once per epoch, which is also
where divergence is detected: a non-finite epoch restores the last finite
parameters and raises; the parameters are checked too, not only the loss
(an update can overflow after the epoch's last loss was computed). Ctrl-C
(KeyboardInterrupt) likewise restores the parameters of the last finished
epoch and raises TrainingInterrupted, which carries the history.
"""
from __future__ import annotations

import math
import warnings

from tqdm.auto import tqdm

from . import backend
from .core.fused import FusedStep
from .noise import corrupt, hessian_eps
from .optim import make_optimizer

TERMS = ("total", "reconstruction", "contractive")


class TrainingDivergedError(FloatingPointError):
    """The loss or the parameters became NaN or inf; the model keeps its last finite parameters.

    ``history`` holds the finished epochs, so a caller can still save what was learned.
    """

    def __init__(self, message, history=None):
        super().__init__(message)
        self.history = history if history is not None else {}


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped training; the model keeps the parameters of the end of its last finished epoch.

    ``history`` holds the ``epochs_done`` finished epochs (0: the parameters are the initial ones).
    A KeyboardInterrupt, so code that does not know it still stops as on any Ctrl-C.
    """

    def __init__(self, history, epochs_done):
        super().__init__(f"training interrupted after {epochs_done} finished epoch(s)")
        self.history, self.epochs_done = history, epochs_done


class LastFinishedEpoch:
    """``with`` block around training: on KeyboardInterrupt, put back the parameters saved by the last
    ``finished(copy)`` (or those it was created with), trim ``history`` to the epochs they belong to, and
    raise TrainingInterrupted. ``params`` is the dict training updates; ``saved``: a copy of it."""

    def __init__(self, params, saved, history):
        self.params, self.saved, self.history, self.epochs_done = params, saved, history, 0

    def finished(self, saved):
        """The epoch just closed: ``saved`` is the copy of its final parameters (end_epoch's)."""
        self.saved, self.epochs_done = saved, self.epochs_done + 1

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None or not issubclass(kind, KeyboardInterrupt) or isinstance(error, TrainingInterrupted):
            return False
        for k, p in self.saved.items():
            self.params[k] = p
        for values in self.history.values():       # an epoch whose copy was not taken yet is not kept
            del values[self.epochs_done:]
        raise TrainingInterrupted(self.history, self.epochs_done) from None


def minibatches(gen, n, batch_size, xp, device):
    """Yield one epoch's batches as row indices on ``device``: a host permutation of range(n) drawn by
    ``gen``, moved once (one host-to-device copy an epoch), then cut into slices of ``batch_size`` rows."""
    perm = xp.asarray(gen.permutation(n), device=device)
    for start in range(0, n, batch_size):
        yield perm[start:min(start + batch_size, n)]


def progress_bar(total_batches, progress, desc="fit"):
    """The training progress bar (tqdm; silent unless ``progress``); the loss goes in its postfix."""
    return tqdm(total=total_batches, disable=None if progress else True, unit="batch", desc=desc, leave=False)


def end_epoch(params, last_finite, sums, n, history, epoch, advice):
    """Close one epoch: ``sums`` (device scalars, summed over its n examples) become means appended to
    ``history``; a non-finite loss or parameter restores ``params`` from ``last_finite`` and raises
    TrainingDivergedError with ``advice``. Returns (a copy of the parameters, the epoch's means)."""
    xp = backend.namespace(*params.values())
    epoch_terms = {t: float(s) / n for t, s in sums.items()}
    bad = [k for k, p in params.items() if not bool(xp.all(xp.isfinite(p)))]
    if not math.isfinite(epoch_terms["total"]) or bad:
        for k, p in last_finite.items():
            params[k] = p
        what = f"loss {epoch_terms['total']}" + (f"; non-finite parameters {bad}" if bad else "")
        raise TrainingDivergedError(f"training diverged in epoch {epoch + 1} ({what}); the model keeps the "
                                    f"parameters from the end of epoch {epoch}. {advice}", history)
    history["epoch"].append(epoch + 1)
    for t, v in epoch_terms.items():
        history[t].append(v)
    return {k: xp.asarray(p, copy=True) for k, p in params.items()}, epoch_terms


def fit(params, X, spec, *, epochs, batch_size, lr, optimizer="adam", seed=0, progress=True,
        corruption="none", noise=0.0, step=None):
    """Train ``params`` (updated in place) on X: (N, n_visible); returns per-epoch history lists.

    history: {"total", "reconstruction", "contractive", "epoch"}, each term the
    mean over the epoch's examples of the per-batch value ("contractive" is
    mean ||J||_F^2 without lam, measured at lam == 0 too; "hessian", without
    gamma, when the spec has a Hessian term).

    ``corruption``/``noise`` make it a denoising autoencoder (``noise.corrupt``):
    the step sees corrupted inputs and reconstructs the clean ones.
    ``step(params, X, spec, target=None[, eps=...]) -> (terms, grads)`` computes one
    batch (eps only for the stochastic Hessian term, fresh from the "hessian" stream every
    step); the default is a ``core.fused.FusedStep`` (the numbers of
    ``core.network.loss_and_grads``, in buffers reused from batch to batch).
    """
    xp = backend.namespace(X, *params.values())
    step = FusedStep() if step is None else step
    device = backend.device_of(X)
    opt = make_optimizer(optimizer, params, lr)
    gen, noise_gen, hessian_gen = (backend.stream(seed, name) for name in ("shuffle", "corruption", "hessian"))
    n = X.shape[0]
    terms_logged = TERMS + (("hessian",) if spec.hessian != "none" else ())
    history = {"epoch": [], **{t: [] for t in terms_logged}}
    last_finite = {k: xp.asarray(p, copy=True) for k, p in params.items()}
    batch_buffers = {}                     # rows -> one (rows, n_visible) array, refilled by every batch
    with progress_bar(epochs * math.ceil(n / batch_size), progress) as bar, warnings.catch_warnings(), \
            LastFinishedEpoch(params, last_finite, history) as interrupt:   # Ctrl-C: back to the last epoch
        warnings.simplefilter("ignore", RuntimeWarning)   # divergence is reported below, once per epoch
        for epoch in range(epochs):
            sums = {t: 0.0 for t in terms_logged}
            for idx in minibatches(gen, n, batch_size, xp, device):
                rows = idx.shape[0]
                if rows not in batch_buffers:
                    batch_buffers[rows] = xp.empty((rows, X.shape[1]), dtype=X.dtype, device=device)
                Xb = backend.into(batch_buffers[rows], xp.take, X, idx, axis=0)
                kw = {"eps": hessian_eps(hessian_gen, spec, rows, X.shape[1], Xb)} if spec.hessian == "stochastic" else {}
                if corruption == "none":
                    terms, grads = step(params, Xb, spec, **kw)
                else:
                    terms, grads = step(params, corrupt(Xb, corruption, noise, noise_gen), spec, target=Xb, **kw)
                opt.step(params, grads)
                for t in terms_logged:                     # stays on the device until the epoch ends
                    sums[t] = terms[t] * float(rows) + sums[t]
                bar.update(1)
            last_finite, epoch_terms = end_epoch(params, last_finite, sums, n, history, epoch,
                                                 f"Lower lr (now {lr}) or lam (now {spec.lam}).")
            interrupt.finished(last_finite)
            bar.set_postfix(loss=f"{epoch_terms['total']:.4g}")
    return history
