"""The paper's protocol: supervised classifiers fine-tuned from each encoder, an MLP from random
weights, and the Manifold Tangent Classifier (MTC) -- one layer from the CAE, and the paper's, from a stack of
CAE+H layers -- each scored on rows it did not train on.

Every function trains on the rows it is given and scores on the rows it is given: the
caller passes (fit, validation) rows to select and (train, test) rows to report, so
nothing here can see the test split during selection.
"""
from __future__ import annotations

import numpy as np

from ...classifier import TangentClassifier

N_CLASSES = 10


def _fit(clf, X, y, cfg, seed, U=None):
    clf.fit(X, y, U=U, epochs=cfg.ft_epochs, batch_size=cfg.ft_batch_size, lr=cfg.ft_lr, seed=seed)
    return clf


def finetuned_error(model, X_fit, y_fit, X_eval, y_eval, cfg, seed):
    """Error on (X_eval, y_eval) of the MLP whose W, b_h start from ``model``'s encoder (beta = 0)."""
    clf = TangentClassifier.from_encoder(model, N_CLASSES, beta=0.0, seed=seed)
    return _fit(clf, X_fit, y_fit, cfg, seed).error(X_eval, y_eval)


def random_mlp_error(n_visible, X_fit, y_fit, X_eval, y_eval, cfg, seed, **where):
    """Error of the same MLP (n_visible -> cfg.n_hidden -> 10) from random (Glorot) weights."""
    clf = TangentClassifier(n_visible, cfg.n_hidden, N_CLASSES, beta=0.0, seed=seed, **where)
    return _fit(clf, X_fit, y_fit, cfg, seed).error(X_eval, y_eval)


def mtc_error(cae, U, X_fit, y_fit, X_eval, y_eval, k, beta, cfg, seed):
    """Error of the MTC: fine-tuned from ``cae`` with tangent propagation along U[:, :k] (U: the fit rows')."""
    clf = TangentClassifier.from_encoder(cae, N_CLASSES, beta=beta, seed=seed)
    return _fit(clf, X_fit, y_fit, cfg, seed, U=U[:, :k, :]).error(X_eval, y_eval)


def deep_mtc_error(stack, U, X_fit, y_fit, X_eval, y_eval, k, beta, cfg, seed):
    """Error of the paper's MTC: every hidden layer from ``stack``, fine-tuned with tangent propagation along
    U[:, :k] (the top layer's tangents, ``stack.tangents``); U None and beta 0: the deep MLP from the stack."""
    clf = TangentClassifier.from_stack(stack, N_CLASSES, beta=beta, seed=seed)
    return _fit(clf, X_fit, y_fit, cfg, seed, U=None if U is None else U[:, :k, :]).error(X_eval, y_eval)


def select_setting(validation):
    """The setting with the lowest mean validation error over seeds; {setting: [error per seed]}; ties: first."""
    scores = {s: float(np.mean(errs)) for s, errs in validation.items()}
    return min(scores, key=scores.get)


def summary(per_seed):
    """{"test_error", "test_error_std", "per_seed"} of a list of per-seed test errors."""
    return {"test_error": float(np.mean(per_seed)), "test_error_std": float(np.std(per_seed)),
            "per_seed": [float(e) for e in per_seed]}
