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
    images = np.asarray(images, float)
    side = image_side(images.shape[1])
    n_rows = math.ceil(len(images) / n_cols)
    tile = np.full((n_rows * (side + 1), n_cols * (side + 1)), np.nan)
    for i, img in enumerate(images):
        r, c = divmod(i, n_cols)
        tile[r * (side + 1):r * (side + 1) + side, c * (side + 1):c * (side + 1) + side] = img.reshape(side, side)
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


# ---- the experiment's comparisons: one line or one image panel per model ----------------------
def plot_lines(series, path, xlabel, ylabel, title, xscale="linear", yscale="linear"):
    """PNG with one line per entry of ``series`` {label: (x, y)} on one labelled axes."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for label, (x, y) in series.items():
        ax.plot(np.asarray(x, float), np.asarray(y, float), "o-", ms=3, label=label)
    ax.set_xscale(xscale)
    ax.set_yscale(yscale)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)


def plot_image_panels(panels, path, n_per_row=2, panel_size=(3.6, 3.4)):
    """PNG of tiled image panels {title: (images (N, side*side), n_cols, symmetric)}, n_per_row per row.

    symmetric=True: signed values on a red-blue scale centred at 0 (filters, tangents).
    """
    plt = _pyplot()
    n_rows = math.ceil(len(panels) / n_per_row)
    fig, axes = plt.subplots(n_rows, n_per_row, figsize=(panel_size[0] * n_per_row, panel_size[1] * n_rows), squeeze=False)
    for ax, (title, (images, n_cols, symmetric)) in zip(axes.flat, panels.items()):
        image_grid(ax, images, n_cols=n_cols, title=title, cmap="RdBu_r" if symmetric else "gray",
                   symmetric=symmetric)
        ax.title.set_fontsize(8)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    return save_figure(fig, path)
