"""The papers' claims, each checked on the measured numbers: (statement, holds: bool, evidence).

Geometry and the classification orderings are the ICML 2011 paper's (AE, DAE-g, DAE-m, CAE);
the CAE+H claims are the ECML 2011 paper's; "the MTC is best" is the NIPS 2011 paper's.
A claim holds when the means are ordered as claimed; the evidence gives mean +- std over
seeds and says when a margin is smaller than the seeds' std (then it is noise).
"""
from __future__ import annotations

import numpy as np

from .config import PAPER_FAMILIES, RADII


def sensitive_directions(spectrum, threshold=0.1, relative=False):
    """How many singular values of the averaged spectrum are >= threshold (x the largest when ``relative``)."""
    spectrum = np.asarray(spectrum)
    return int(np.sum(spectrum >= threshold * (spectrum[0] if relative else 1.0)))


def _fmt(d, spec):
    return ", ".join(f"{f} {v:{spec}}" for f, v in d.items())


def _errors(table):
    """{name: "mean ± std"} in % and {name: (mean, std)} of rows holding test_error(_std)."""
    ms = {f: (100 * r["test_error"], 100 * r.get("test_error_std", 0.0)) for f, r in table.items()}
    return ms, ", ".join(f"{f} {m:.2f} ± {s:.2f}" for f, (m, s) in ms.items()) + " (%)"


def _lowest(ms, who):
    """(holds, note): ``who`` has the lowest mean error, and whether its margin exceeds the std."""
    best = min(ms, key=lambda f: ms[f][0])
    others = [ms[f] for f in ms if f != who]
    if best != who:
        return False, ""
    margin = min(m for m, _ in others) - ms[who][0]
    noisy = margin <= max(ms[who][1], *(s for _, s in others))
    return True, "; the margin is within the seeds' std" if noisy else ""


def _beats(ms, winners, loser):
    ok = all(ms[w][0] < ms[loser][0] for w in winners)
    noisy = ok and any(ms[loser][0] - ms[w][0] <= max(ms[w][1], ms[loser][1]) for w in winners)
    return ok, "; a margin is within the seeds' std" if noisy else ""


def geometry(rows):
    """Lowest ||J||_F, most saturation, the spectrum and the contraction curve (the ICML paper)."""
    fams = [f for f in PAPER_FAMILIES if f in rows]
    jac = {f: rows[f]["jacobian_norm"] for f in fams}
    sat = {f: 100 * rows[f]["saturation"] for f in fams}
    k_abs = {f: sensitive_directions(rows[f]["spectrum"]) for f in fams}
    k_rel = {f: sensitive_directions(rows[f]["spectrum"], relative=True) for f in fams}
    small_r = {f: rows[f]["contraction"][0] for f in fams}
    cae = np.asarray(rows["CAE"]["contraction"])
    rise, peak = cae.max() / cae[0], int(np.argmax(cae))
    return [
        ("CAE has the lowest mean ||J(x)||_F", min(jac, key=jac.get) == "CAE", _fmt(jac, ".2f")),
        ("CAE has the most saturated hidden units", max(sat, key=sat.get) == "CAE", _fmt(sat, ".1f") + " (%)"),
        ("CAE's singular spectrum falls fastest: fewest singular values >= 0.1 (an input move of length 1 "
         "moves the code by >= 0.1)", k_abs["CAE"] == min(k_abs.values()), _fmt(k_abs, "d")),
        ("... and relative to its own largest value: fewest singular values >= 10 % of sigma_1",
         k_rel["CAE"] == min(k_rel.values()), _fmt(k_rel, "d")),
        ("CAE contracts most at the smallest radius", min(small_r, key=small_r.get) == "CAE", _fmt(small_r, ".3f")),
        ("CAE's contraction is strongest locally: its ratio rises with the radius to a maximum at a medium "
         "radius, then falls", bool(rise > 1.05 and 0 < peak < len(cae) - 1),
         f"max ratio / ratio at the smallest radius = {rise:.2f}, maximum at r = {RADII[peak]:.2g}"),
    ]


def classification(table, protocol):
    """CAE lowest, and CAE, DAE-g < AE, by one protocol's test errors (rows of ``table``)."""
    ms, evidence = _errors({f: table[f] for f in PAPER_FAMILIES if f in table})
    low, low_note = _lowest(ms, "CAE")
    order, order_note = _beats(ms, ("CAE", "DAE-g"), "AE")
    return [(f"{protocol}: CAE has the lowest test error of the four", low, evidence + low_note),
            (f"{protocol}: CAE and DAE-g beat AE (the paper's ordering)", order, evidence + order_note)]


def family_claims(results):
    """Every claim of the report, in order: geometry, both protocols, CAE+H, pre-training and the MTC."""
    rows, ft = results["rows"], results["finetuned"]
    out = geometry(rows) + classification(rows, "linear probe") + classification(ft, "fine-tuned")
    if "CAE+H" in rows:
        hess = {f: rows[f]["hessian_norm_sq"] for f in ("CAE", "CAE+H")}
        ms, ev = _errors({f: ft[f] for f in ("CAE", "CAE+H")})
        ok, note = _beats(ms, ("CAE+H",), "CAE")
        out += [("CAE+H: a smaller Hessian norm mean ||d^2h/dx^2||_F^2 than the CAE", hess["CAE+H"] < hess["CAE"],
                 _fmt(hess, ".4g")),
                ("CAE+H: a lower fine-tuned test error than the CAE (the ECML paper)", ok, ev + note)]
    ms, ev = _errors({"MLP (random init)": results["mlp"], "CAE": ft["CAE"]})
    ok, note = _beats(ms, ("CAE",), "MLP (random init)")
    out.append(("pre-training helps: the MLP fine-tuned from the CAE beats the same MLP from random weights",
                ok, ev + note))
    all_ft = {"MTC (one layer)": results["mtc"], "MLP (random init)": results["mlp"], **ft}
    mtc = "MTC (one layer)"
    if "mtc_deep" in results:
        mtc = "MTC (the paper's, deep)"
        all_ft.update({mtc: results["mtc_deep"], "MLP from the stack": results["stack_mlp"]})
    ms, ev = _errors(all_ft)
    ok, note = _lowest(ms, mtc)
    out.append((f"{mtc} has the lowest test error of every fine-tuned classifier (the NIPS paper)", ok, ev + note))
    return out
