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


# ---- the literate lessons: tiles with their own titles, grids of panels, plain log axes ---------
def plain_number(v, _pos=None):
    """Tick label without scientific notation: 0.001, 0.25, 3, 1,200 (never '1.1e+02')."""
    if v == 0 or not np.isfinite(v):
        return "0" if v == 0 else ""
    if abs(v) >= 1:
        return f"{v:,.0f}" if abs(v - round(v)) < 1e-9 * abs(v) else f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:.12f}".rstrip("0").rstrip(".")


def _plain_log_axis(axis):
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    axis.set_major_locator(LogLocator(base=10, numticks=12))
    axis.set_major_formatter(FuncFormatter(plain_number))
    axis.set_minor_formatter(NullFormatter())


def plot_tiles(images, path, titles=None, n_cols=8, symmetric=False, vmin=None, vmax=None, cmap=None,
               suptitle=None, cbar_label="", tile_size=1.3, row_labels=None):
    """PNG of flat square images (N, side*side), each in its own axes with its own small title.

    One colour scale for all tiles (``vmin``/``vmax``, or +-max|value| when
    ``symmetric``) and one shared colour bar labelled ``cbar_label``, so tiles
    can be compared by eye. ``row_labels`` names each row of the grid (left).
    """
    plt = _pyplot()
    images = np.asarray(images, float)
    side = image_side(images.shape[1])
    n_rows = math.ceil(len(images) / n_cols)
    if symmetric:
        v = float(np.nanmax(np.abs(images))) or 1.0
        vmin, vmax = -v, v
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False, layout="constrained",
                             figsize=(tile_size * n_cols + 1.4, (tile_size + 0.3) * n_rows + (0.5 if suptitle else 0)))
    im = None
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= len(images):
            ax.axis("off")
            continue
        im = ax.imshow(images[i].reshape(side, side), cmap=cmap or ("RdBu_r" if symmetric else "gray_r"),
                       vmin=vmin, vmax=vmax, interpolation="nearest")
        if titles is not None:
            ax.set_title(titles[i], fontsize=8)
    for r, label in enumerate(row_labels or []):
        axes[r, 0].set_ylabel(label, fontsize=9)
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, label=cbar_label)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return save_figure(fig, path)


def plot_panel_grid(panels, path, n_cols=3, panel_size=(4.3, 3.6), suptitle=None):
    """PNG of panels in a grid of ``n_cols`` columns, each at a readable size.

    An image panel has "image" (2-D array), "title", optional "cmap",
    "symmetric", "xlabel", "ylabel", "cbar_label"; a line panel has "series"
    {label: (x, y) or (x, y, fmt)}, "xlabel", "ylabel", "title", optional
    "xscale"/"yscale" ("log" axes get plain-number labels), "xticks", "hlines" {label: y}.
    """
    plt = _pyplot()
    n_rows = math.ceil(len(panels) / n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False, layout="constrained",
                             figsize=(panel_size[0] * n_cols, panel_size[1] * n_rows))
    for ax, panel in zip(axes.flat, panels):
        if "image" in panel:
            img = np.asarray(panel["image"], float)
            limits = {}
            if panel.get("symmetric"):
                v = float(np.nanmax(np.abs(img))) or 1.0
                limits = {"vmin": -v, "vmax": v}
            labelled = panel.get("xlabel") or panel.get("ylabel")
            im = ax.imshow(img, cmap=panel.get("cmap", "RdBu_r" if panel.get("symmetric") else "gray_r"),
                           aspect="auto" if labelled else "equal", interpolation="nearest", **limits)
            fig.colorbar(im, ax=ax, shrink=0.9, label=panel.get("cbar_label", ""))
            if labelled:
                ax.set(xlabel=panel.get("xlabel", ""), ylabel=panel.get("ylabel", ""))
            else:
                ax.set_xticks([])
                ax.set_yticks([])
        else:
            for label, (x, y, *fmt) in panel["series"].items():
                ax.plot(np.asarray(x, float), np.asarray(y, float), *(fmt or ["o-"]), label=label, ms=4)
            for i, (label, y) in enumerate(panel.get("hlines", {}).items()):
                ax.axhline(y, ls="--", lw=1, color=f"C{7 + i}", label=label)
            for name, axis in (("xscale", ax.xaxis), ("yscale", ax.yaxis)):
                scale = panel.get(name, "linear")
                (ax.set_xscale if name == "xscale" else ax.set_yscale)(scale)
                if scale == "log":
                    _plain_log_axis(axis)
            if "xticks" in panel:
                ax.set_xticks(panel["xticks"], [plain_number(t) for t in panel["xticks"]])
                ax.set_xticks([], minor=True)
            ax.set(xlabel=panel.get("xlabel", ""), ylabel=panel.get("ylabel", ""))
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
        ax.set_title(panel.get("title", ""), fontsize=10)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    return save_figure(fig, path)
