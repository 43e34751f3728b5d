"""Record the outside numbers of cae-scratch on a grid of settings, or compare them with an earlier record.

    python tools/check_behaviour.py record OUT.json      # on the code before a refactor
    python tools/check_behaviour.py compare OLD.json     # on the code after it: exit 1 on any difference

Recorded, with fixed seeds: the fused and the reference step's loss terms and gradients (CAE of every
activation, loss/decoder, tied/untied, lam = 0 and > 0; CAE+H exact and stochastic; float32), the model's
own eps stream, per-epoch fit histories and trained parameters (CAE, DAE gaussian/masking, CAE+H
stochastic, a stack, the classifier with and without tangents), and the bytes of saved files (a model, a
stack, a classifier). Arrays are stored as their exact bytes, so ``compare`` reports, per entry, "equal"
(bitwise) or the largest relative difference; it passes entries within ``--rtol`` (default 1e-12) and
names the others.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile

import numpy as np


def encode(value):
    """A JSON-able exact record of a float, an array or a nested dict/list of them."""
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    arr = np.asarray(value)
    return {"dtype": str(arr.dtype), "shape": list(arr.shape), "hex": np.ascontiguousarray(arr).tobytes().hex()}


def decode(rec):
    return np.frombuffer(bytes.fromhex(rec["hex"]), dtype=rec["dtype"]).reshape(rec["shape"])


def host(d):
    from cae_scratch import backend
    return {k: backend.to_numpy(v) for k, v in d.items()}


def file_record(save, suffix=".npz"):
    """sha256 of the bytes ``save(path)`` writes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "f" + suffix)
        save(path)
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()


def record():
    import cae_scratch as cs
    from cae_scratch.core import network
    out = {}
    gen = np.random.default_rng(123)
    X = gen.random((13, 9))
    y = gen.integers(0, 3, 13)
    for act in ("sigmoid", "tanh", "softplus", "relu", "linear"):
        for loss, dec in (("bce", "sigmoid"), ("mse", "sigmoid"), ("mse", "linear")):
            for tied in (True, False):
                for lam in (0.0, 0.3):
                    m = cs.ContractiveAutoencoder(9, 5, activation=act, loss=loss, decoder_activation=dec,
                                                  tied=tied, lam=lam, seed=7)
                    key = f"cae/{act}/{loss}-{dec}/tied={tied}/lam={lam}"
                    loss_value, grads = m.loss_and_grads(X)
                    terms, ref = network.loss_and_grads(m.params, X, m.spec)
                    out[key] = {"params": host(m.params), "fused_loss": loss_value, "fused": host(grads),
                                "reference_terms": host(terms), "reference": host(ref),
                                "loss_terms": m.loss_terms(X), "encode": host({"H": m.encode(X)})["H"]}
    for kind in ("exact", "stochastic"):
        for act in ("sigmoid", "tanh", "softplus"):
            for tied in (True, False):
                m = cs.ContractiveAutoencoder(9, 5, activation=act, tied=tied, lam=0.2, hessian=kind, gamma=0.5,
                                              hessian_noise=0.3, hessian_copies=3, seed=4)
                key = f"caeh/{kind}/{act}/tied={tied}"
                eps = gen.standard_normal((3, 13, 9)) * 0.3 if kind == "stochastic" else None
                loss_value, grads = m.loss_and_grads(X, eps=eps)
                terms, ref = network.loss_and_grads(m.params, X, m.spec, eps=None if eps is None else m.asarray(eps))
                entry = {"fused_loss": loss_value, "fused": host(grads), "reference_terms": host(terms),
                         "reference": host(ref), "penalty": m.hessian_penalty(X)}
                if kind == "stochastic":                          # the model's own eps stream, twice
                    entry["own_eps"] = [m.loss_and_grads(X)[0], m.loss_and_grads(X)[0], m.loss_terms(X)]
                out[key] = entry
    m32 = cs.ContractiveAutoencoder(9, 5, dtype="float32", lam=0.3, seed=2)
    l32, g32 = m32.loss_and_grads(X.astype(np.float32))
    out["cae/float32"] = {"loss": l32, "grads": host(g32)}
    fits = {"cae": {}, "dae_gaussian": dict(corruption="gaussian", noise=0.2),
            "dae_masking": dict(corruption="masking", noise=0.3),
            "caeh_stochastic": dict(hessian="stochastic", gamma=0.4, hessian_copies=2, hessian_noise=0.2),
            "caeh_exact_tanh": dict(hessian="exact", gamma=0.4, activation="tanh", loss="mse",
                                    decoder_activation="linear", tied=False)}
    Xf = gen.random((37, 9))
    for name, kw in fits.items():
        for opt in ("adam", "momentum", "sgd"):
            m = cs.ContractiveAutoencoder(9, 6, lam=0.2, seed=3, **kw)
            hist = m.fit(Xf, epochs=3, batch_size=8, lr=0.05, optimizer=opt, seed=5, progress=False)
            out[f"fit/{name}/{opt}"] = {"history": hist, "params": host(m.params)}
    m = cs.ContractiveAutoencoder(9, 6, lam=0.2, seed=3, tied=False)
    m.fit(Xf, epochs=2, batch_size=10, progress=False)
    out["file/cae"] = file_record(m.save)
    stack = cs.StackedCAE([9, 6, 4], lam=0.1, seed=8)
    out["stack/fit"] = {"histories": stack.fit(Xf, epochs=2, batch_size=8, progress=False),
                        "encode": host({"H": stack.encode(Xf)})["H"], "penalty": stack.contractive_penalty(Xf)}
    out["file/stack"] = file_record(stack.save)
    U = gen.standard_normal((13, 2, 9))
    Uf = gen.standard_normal((37, 2, 9))
    yf = gen.integers(0, 3, 37)
    for act in ("sigmoid", "tanh", "softplus"):
        clf = cs.TangentClassifier(9, 5, 3, activation=act, beta=0.3, seed=6)
        entry = {"params": host(clf.params)}
        for name, u in (("mlp", None), ("tangent", U)):
            loss_value, grads = clf.loss_and_grads(X, y, u)
            entry[name] = {"loss": loss_value, "grads": host(grads), "terms": clf.loss_terms(X, y, u)}
        entry["logits"] = host({"O": clf.logits(X)})["O"]
        hist = clf.fit(Xf, yf, Uf, epochs=3, batch_size=8, lr=0.05, seed=2)
        entry["fit"] = {"history": hist, "params": host(clf.params), "predict": clf.predict(X)}
        out[f"classifier/{act}"] = entry
        out[f"file/classifier/{act}"] = file_record(clf.save)
    clf = cs.TangentClassifier.from_encoder(m, 3, beta=0.2, seed=1)
    out["classifier/from_encoder"] = {"params": host(clf.params), "fit": clf.fit(Xf, yf, epochs=2, batch_size=16, seed=1)}
    return encode(out)


def compare(old, new, rtol, path=""):
    """[(path, verdict)] for every leaf; verdict "equal", "rel <x>" (within rtol) or "DIFFERS: ..."."""
    if isinstance(old, dict) and "hex" in old and isinstance(new, dict) and "hex" in new:
        if old == new:
            return [(path, "equal")]
        a, b = decode(old), decode(new)
        if a.shape != b.shape or a.dtype != b.dtype:
            return [(path, f"DIFFERS: {a.dtype}{a.shape} vs {b.dtype}{b.shape}")]
        if a.dtype.kind not in "fc":
            return [(path, "DIFFERS: integer values")]
        scale = np.maximum(np.abs(a), np.abs(b))
        rel = float(np.max(np.abs(a - b) / np.where(scale > 0, scale, 1.0))) if a.size else 0.0
        return [(path, f"rel {rel:.2e}" if rel <= rtol else f"DIFFERS: rel {rel:.2e}")]
    if isinstance(old, dict) and isinstance(new, dict):
        if set(old) != set(new):
            return [(path, f"DIFFERS: keys {sorted(set(old) ^ set(new))}")]
        return [r for k in old for r in compare(old[k], new[k], rtol, f"{path}/{k}")]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [r for i, (a, b) in enumerate(zip(old, new)) for r in compare(a, b, rtol, f"{path}[{i}]")]
    return [(path, "equal" if old == new else f"DIFFERS: {old!r} vs {new!r}")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["record", "compare"])
    parser.add_argument("path")
    parser.add_argument("--rtol", type=float, default=1e-12)
    args = parser.parse_args(argv)
    if args.mode == "record":
        from cae_scratch import atomic
        try:
            atomic.check_target(args.path)
        except ValueError as e:
            print(f"check_behaviour: {e}", file=sys.stderr)
            return 2
        try:
            atomic.write_text(args.path, json.dumps(record()))
        except (OSError, ValueError) as e:
            print(f"check_behaviour: {e}", file=sys.stderr)
            return 2
        print(f"recorded {args.path}")
        return 0
    try:
        with open(args.path) as fh:
            old = json.load(fh)
    except (OSError, ValueError) as e:
        print(f"check_behaviour: cannot read the record {args.path!r}: {e}", file=sys.stderr)
        return 2
    verdicts = compare(old, record(), args.rtol)
    tally = {}
    for path, verdict in verdicts:
        kind = verdict.split()[0].rstrip(":")
        tally[kind] = tally.get(kind, 0) + 1
        if kind != "equal":
            print(f"{path}: {verdict}")
    print(f"{len(verdicts)} leaves: " + ", ".join(f"{n} {k}" for k, n in sorted(tally.items())))
    return 1 if "DIFFERS" in tally else 0


if __name__ == "__main__":
    sys.exit(main())
