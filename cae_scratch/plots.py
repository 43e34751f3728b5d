"""Figures (the only module that imports matplotlib, lazily, with the headless Agg backend)."""
from __future__ import annotations

import math
import os

import numpy as np

from . import backend


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")          # no screen needed; figures go to PNG files
    import matplotlib.pyplot as plt
    return plt


def image_side(n_pixels):
    """Side of a square image with n_pixels, or None when n_pixels is not a square."""
    side = int(round(math.sqrt(n_pixels)))
    return side if side * side == n_pixels else None


def image_grid(ax, images, n_cols, title, cmap="gray", symmetric=False):
    """Draw rows of flat square images (N, side*side) as one tiled picture on ``ax``."""
    tile = tile_images(images, n_cols)
    if symmetric:
        v = np.nanmax(np.abs(tile)) or 1.0
        ax.imshow(tile, cmap=cmap, vmin=-v, vmax=v)
    else:
        ax.imshow(tile, cmap=cmap)
    ax.set_title(title)
    ax.axis("off")


def save_figure(fig, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return path


def plot_filters_and_reconstructions(model, X, path, n_filters=32, n_examples=10):
    """PNG with the first encoder filters (rows of W) and originals above their reconstructions."""
    plt = _pyplot()
    W = backend.to_numpy(model.params["W"])[:n_filters]
    Xs = X[:n_examples]
    R = backend.to_numpy(model.reconstruct(model.asarray(Xs)))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    image_grid(axes[0], W, n_cols=8, title=f"encoder filters (first {len(W)} rows of W)",
               cmap="RdBu_r", symmetric=True)
    image_grid(axes[1], np.concatenate([Xs, R]), n_cols=len(Xs),
               title="top: inputs x    bottom: reconstructions r")
    return save_figure(fig, path)


def plot_history(history, path, title="training"):
    """PNG of the per-epoch loss terms (log scale)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    epochs = history["epoch"]
    axes[0].plot(epochs, history["total"], label="total")
    axes[0].plot(epochs, history["reconstruction"], label="reconstruction")
    axes[0].set(xlabel="epoch", ylabel="loss (mean over examples)", title=title)
    axes[0].legend()
    axes[1].plot(epochs, history["contractive"], color="C2")
    axes[1].set(xlabel="epoch", ylabel=r"mean $\|J_h(x)\|_F^2$", title="contractive penalty")
    fig.tight_layout()
    return save_figure(fig, path)


# ---- general helpers for lessons: line panels, bar charts, image panels -------------------------
def plot_panels(panels, path, suptitle=None, width=5.2, height=3.8):
    """PNG with one axes per panel, side by side.

    Each panel is a dict: "series" {label: (x, y) or (x, y, fmt)} (fmt: a
    matplotlib format such as "o-"), "xlabel", "ylabel", "title", optional
    "xscale"/"yscale" ("linear", "log", "symlog" with "linthresh" for x), "xticks" (plain tick labels), "hlines" {label: y} (dashed
    reference lines), "diagonal" (draw y = x, for analytic-vs-numeric scatters).
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(width * len(panels), height), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        for label, (x, y, *fmt) in panel["series"].items():
            ax.plot(np.asarray(x, float), np.asarray(y, float), *(fmt or ["o-"]), label=label, ms=4)
        for i, (label, y) in enumerate(panel.get("hlines", {}).items()):
            ax.axhline(y, ls="--", lw=1, color=f"C{7 + i}", label=label)
        if panel.get("diagonal"):
            lo, hi = ax.get_xlim()
            ax.plot([lo, hi], [lo, hi], "k:", lw=1, label="y = x")
        xscale = panel.get("xscale", "linear")
        ax.set_xscale(xscale, **({"linthresh": panel.get("linthresh", 1.0)} if xscale == "symlog" else {}))
        ax.set_yscale(panel.get("yscale", "linear"))
        if "xticks" in panel:                     # plain labels at these x values, no minor ticks
            ax.set_xticks(panel["xticks"], [f"{t:g}" for t in panel["xticks"]])
            ax.set_xticks([], minor=True)
        ax.set(xlabel=panel.get("xlabel", ""), ylabel=panel.get("ylabel", ""), title=panel.get("title", ""))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_bars(labels, values, path, ylabel, title, yscale="log", hlines=None, colors=None):
    """PNG bar chart, each bar annotated with its value; ``hlines`` {label: y} draws reference lines."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(labels) + 2), 4.2))
    values = np.asarray(values, float)
    bars = ax.bar(range(len(labels)), values, color=colors or [f"C{i % 10}" for i in range(len(labels))])
    for bar, v in zip(bars, values):
        ax.annotate(f"{v:.2g}", (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom", fontsize=8)
    for i, (label, y) in enumerate((hlines or {}).items()):
        ax.axhline(y, ls="--", lw=1, color=f"C{7 + i}", label=label)
    if hlines:
        ax.legend(fontsize=8)
    ax.set_xticks(range(len(labels)), labels, rotation=25, ha="right", fontsize=8)
    ax.set_yscale(yscale)
    ax.set(ylabel=ylabel, title=title)
    fig.tight_layout()
    return save_figure(fig, path)


def tile_images(images, n_cols):
    """Flat square images (N, side*side) -> one 2-D array, tiles separated by NaN lines."""
    images = np.asarray(images, float)
    side = image_side(images.shape[1])
    n_rows = math.ceil(len(images) / n_cols)
    tile = np.full((n_rows * (side + 1) - 1, n_cols * (side + 1) - 1), np.nan)
    for i, img in enumerate(images):
        r, c = divmod(i, n_cols)
        tile[r * (side + 1):r * (side + 1) + side, c * (side + 1):c * (side + 1) + side] = img.reshape(side, side)
    return tile


def plot_images(panels, path, width=3.6, height=3.4):
    """PNG with 2-D arrays side by side, each with a colour bar.

    Each panel is a dict: "image" (2-D array), "title", optional "cmap",
    "symmetric" (colour limits +-max|value|, for signed quantities), "xlabel",
    "ylabel" (axes are hidden when neither is given).
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(width * len(panels), height), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        img = np.asarray(panel["image"], float)
        limits = {}
        if panel.get("symmetric"):
            v = float(np.nanmax(np.abs(img))) or 1.0
            limits = {"vmin": -v, "vmax": v}
        im = ax.imshow(img, cmap=panel.get("cmap", "RdBu_r" if panel.get("symmetric") else "gray"),
                       aspect="auto" if panel.get("xlabel") else "equal", interpolation="nearest", **limits)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        ax.set_title(panel.get("title", ""), fontsize=9)
        if panel.get("xlabel") or panel.get("ylabel"):
            ax.set(xlabel=panel.get("xlabel", ""), ylabel=panel.get("ylabel", ""))
        else:
            ax.axis("off")
    fig.tight_layout()
    return save_figure(fig, path)


# ---- the experiment's comparisons: one tiled image panel per model -----------------------------
def plot_image_panels(panels, path, n_per_row=2, panel_size=(3.6, 3.4)):
    """PNG of tiled image panels {title: (images (N, side*side), n_cols, symmetric)}, n_per_row per row.

    symmetric=True: signed values on a red-blue scale centred at 0 (filters, tangents).
    """
    plt = _pyplot()
    n_rows = math.ceil(len(panels) / n_per_row)
    fig, axes = plt.subplots(n_rows, n_per_row, squeeze=False,
                             figsize=(panel_size[0] * n_per_row, panel_size[1] * n_rows))
    for ax, (title, (images, n_cols, symmetric)) in zip(axes.flat, panels.items()):
        image_grid(ax, images, n_cols=n_cols, title=title, cmap="RdBu_r" if symmetric else "gray",
                   symmetric=symmetric)
        ax.title.set_fontsize(8)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    return save_figure(fig, path)


# ---- lessons 05-09 and the experiment: value labels, bars, training curves, stacked image rows ---
def format_value(v):
    """A bar label with enough digits: 3 significant digits, trailing zeros kept (1.00, 0.333, 110),
    scientific below 1e-3 and from 1e4 on (1.23e-10)."""
    v = float(f"{float(v):.3g}")                         # round first: 9.9996 -> 10.0, not "10.00"
    if v == 0.0 or not math.isfinite(v):
        return f"{v:g}"
    if 1e-3 <= abs(v) < 1e4:
        return f"{v:.{max(0, 2 - math.floor(math.log10(abs(v))))}f}"
    return f"{v:.2e}"


def plot_value_bars(labels, values, path, ylabel, title, yscale="log", hlines=None, colors=None):
    """PNG bar chart, each bar labelled with ``format_value``; ``hlines`` {label: y} draws reference lines."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(5.0, 1.2 * len(labels) + 2), 4.4))
    values = np.asarray(values, float)
    bars = ax.bar(range(len(labels)), values, color=colors or [f"C{i % 10}" for i in range(len(labels))])
    for bar, v in zip(bars, values):
        ax.annotate(format_value(v), (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom", fontsize=8)
    for i, (label, y) in enumerate((hlines or {}).items()):
        ax.axhline(y, ls="--", lw=1, color=f"C{7 + i}", label=label)
    if hlines:
        ax.legend(fontsize=8, loc="best")
    ax.set_xticks(range(len(labels)), labels, rotation=25, ha="right", fontsize=8)
    ax.set_yscale(yscale)
    if yscale == "log":                                  # head room for the labels above the tallest bar
        ax.set_ylim(top=float(np.max(values)) * 4)
    else:
        ax.set_ylim(0, float(np.max(values)) * 1.15)
    ax.set(ylabel=ylabel, title=title)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_training_history(history, path, title):
    """PNG of per-epoch loss terms with whole-number epoch ticks. The penalty's panel is drawn only when
    the history has it (it is NaN at lam = 0, where training skips the penalty)."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator
    penalty = np.asarray(history["contractive"], float)
    has_penalty = bool(np.all(np.isfinite(penalty)))
    fig, axes = plt.subplots(1, 2 if has_penalty else 1, figsize=(10 if has_penalty else 5.4, 3.6), squeeze=False)
    epochs = history["epoch"]
    ax = axes[0, 0]
    ax.plot(epochs, history["total"], label="total")
    ax.plot(epochs, history["reconstruction"], "--", label="reconstruction (bce)")
    ax.set(xlabel="epoch", ylabel="loss (mean over examples)", title=title)
    ax.legend(fontsize=8)
    if has_penalty:
        axes[0, 1].plot(epochs, penalty, color="C2")
        axes[0, 1].set(xlabel="epoch", ylabel=r"mean $\|J_h(x)\|_F^2$", title="contractive penalty (without lam)")
    for a in axes.flat:
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
        a.grid(True, alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_image_stack(rows, path, n_cols, tile=0.42):
    """PNG of image rows stacked top to bottom, one axes per entry, columns aligned, each with a colour bar.

    rows: list of (label, images (N, side*side), symmetric); an entry with more than ``n_cols`` images
    wraps onto several rows. symmetric=True: signed values on a red-blue scale centred at 0; otherwise
    gray, on 0..1 when the values lie there (so inputs and reconstructions share one scale).
    ``tile``: inches per image. The axes are placed by hand (inches), so every entry has the same width
    and its images line up with the entries above and below.
    """
    plt = _pyplot()
    title_h, margin, bar_gap, bar_w = 0.3, 0.05, 0.08, 0.12
    heights = [math.ceil(len(images) / n_cols) * tile for _, images, _ in rows]
    fig_w = margin + n_cols * tile + bar_gap + bar_w + 0.5           # 0.5: the colour bar's tick labels
    fig_h = sum(heights) + title_h * len(rows) + 2 * margin
    fig = plt.figure(figsize=(fig_w, fig_h))
    top = fig_h - margin
    for (label, images, symmetric), height in zip(rows, heights):
        top -= title_h
        bottom = top - height
        ax = fig.add_axes([margin / fig_w, bottom / fig_h, n_cols * tile / fig_w, height / fig_h])
        cax = fig.add_axes([(margin + n_cols * tile + bar_gap) / fig_w, bottom / fig_h, bar_w / fig_w, height / fig_h])
        tile_img = tile_images(images, n_cols)
        if symmetric:
            v = float(np.nanmax(np.abs(tile_img))) or 1.0
            limits = {"cmap": "RdBu_r", "vmin": -v, "vmax": v}
        else:
            in_unit = np.nanmin(tile_img) >= 0.0 and np.nanmax(tile_img) <= 1.0
            limits = {"cmap": "gray", **({"vmin": 0.0, "vmax": 1.0} if in_unit else {})}
        im = ax.imshow(tile_img, interpolation="nearest", aspect="auto", **limits)
        fig.colorbar(im, cax=cax)
        cax.tick_params(labelsize=7)
        ax.set_title(label, fontsize=9, loc="left")
        ax.axis("off")
        top = bottom
    return save_figure(fig, path)


def plot_panels_plain(panels, path, **kwargs):
    """``plot_panels`` with plain tick labels on log axes (40, 0.5, 2000 instead of 4x10^1) for values
    between 1e-3 and 1e4: matplotlib's log formatter writes exponents only beyond ``min_exponent``."""
    import matplotlib
    with matplotlib.rc_context({"axes.formatter.min_exponent": 4}):
        return plot_panels(panels, path, **kwargs)
