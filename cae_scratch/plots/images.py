"""Figures of images: filters, reconstructions, Jacobians and their rows, tiled and labelled."""
from __future__ import annotations

import math

import numpy as np

from .. import backend
from ._figure import image_side, pyplot, save_figure, tile_images


def symmetric_limits(values):
    """{"vmin": -v, "vmax": v} with v = max |value| (1 when every value is 0): signed values centred at 0."""
    v = float(np.nanmax(np.abs(values))) or 1.0
    return {"vmin": -v, "vmax": v}


def image_panel(fig, ax, panel, gray="gray_r", **colorbar):
    """Draw one image panel on ``ax`` with its colour bar (``colorbar``: fig.colorbar's keywords); returns
    whether its axes are labelled (the caller hides them otherwise).

    panel: "image" (2-D array), optional "cmap", "symmetric" (colour limits +-max|value| on a red-blue
    scale, for signed quantities; else ``gray``), "xlabel", "ylabel" (labelled: free aspect).
    """
    img = np.asarray(panel["image"], float)
    symmetric = panel.get("symmetric")
    labelled = bool(panel.get("xlabel") or panel.get("ylabel"))
    im = ax.imshow(img, cmap=panel.get("cmap", "RdBu_r" if symmetric else gray), aspect="auto" if labelled else "equal",
                   interpolation="nearest", **(symmetric_limits(img) if symmetric else {}))
    fig.colorbar(im, ax=ax, **colorbar)
    if labelled:
        ax.set(xlabel=panel.get("xlabel", ""), ylabel=panel.get("ylabel", ""))
    return labelled


def image_grid(ax, images, n_cols, title, cmap="gray_r", symmetric=False):
    """Draw rows of flat square images (N, side*side) as one tiled picture on ``ax``."""
    tile = tile_images(images, n_cols)
    ax.imshow(tile, cmap=cmap, **(symmetric_limits(tile) if symmetric else {}))
    ax.set_title(title)
    ax.axis("off")


def plot_images(panels, path, width=3.6, height=3.4):
    """PNG with 2-D arrays side by side, each with a colour bar.

    Each panel is a dict: "image" (2-D array), "title", optional "cmap",
    "symmetric" (colour limits +-max|value|, for signed quantities), "xlabel",
    "ylabel" (axes are hidden when neither is given).
    """
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(width * len(panels), height), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        if not image_panel(fig, ax, panel, fraction=0.046, pad=0.04):
            ax.axis("off")
        ax.set_title(panel.get("title", ""), fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)


# ---- the experiment's comparisons: one tiled image panel per model -----------------------------


def plot_image_panels(panels, path, n_per_row=2, panel_size=(3.6, 3.4)):
    """PNG of tiled image panels {title: (images (N, side*side), n_cols, symmetric)}, n_per_row per row.

    symmetric=True: signed values on a red-blue scale centred at 0 (filters, tangents).
    """
    plt = pyplot()
    n_rows = math.ceil(len(panels) / n_per_row)
    fig, axes = plt.subplots(n_rows, n_per_row, squeeze=False,
                             figsize=(panel_size[0] * n_per_row, panel_size[1] * n_rows))
    for ax, (title, (images, n_cols, symmetric)) in zip(axes.flat, panels.items()):
        image_grid(ax, images, n_cols=n_cols, title=title, cmap="RdBu_r" if symmetric else "gray_r",
                   symmetric=symmetric)
        ax.title.set_fontsize(8)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    return save_figure(fig, path)


# ---- the literate lessons: tiles with their own titles, grids of panels, plain log axes ---------


def plot_tiles(images, path, titles=None, n_cols=8, symmetric=False, vmin=None, vmax=None, cmap=None,
               suptitle=None, cbar_label="", tile_size=1.3, row_labels=None):
    """PNG of flat square images (N, side*side), each in its own axes with its own small title.

    One colour scale for all tiles (``vmin``/``vmax``, or +-max|value| when
    ``symmetric``) and one shared colour bar labelled ``cbar_label``, so tiles
    can be compared by eye. ``row_labels`` names each row of the grid (left).
    """
    plt = pyplot()
    images = np.asarray(images, float)
    side = image_side(images.shape[1])
    n_rows = math.ceil(len(images) / n_cols)
    if symmetric:
        vmin, vmax = symmetric_limits(images).values()
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


def plot_filters_and_reconstructions(model, X, path, n_filters=32, n_examples=10):
    """PNG with the first encoder filters (rows of W) and originals above their reconstructions."""
    plt = pyplot()
    W = backend.to_numpy(model.params["W"])[:n_filters]
    Xs = X[:n_examples]
    R = backend.to_numpy(model.reconstruct(model.asarray(Xs)))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    image_grid(axes[0], W, n_cols=8, title=f"encoder filters (first {len(W)} rows of W)",
               cmap="RdBu_r", symmetric=True)
    image_grid(axes[1], np.concatenate([Xs, R]), n_cols=len(Xs),
               title="top: inputs x    bottom: reconstructions r")
    return save_figure(fig, path)


def plot_image_stack(rows, path, n_cols, tile=0.42):
    """PNG of image rows stacked top to bottom, one axes per entry, columns aligned, each with a colour bar.

    rows: list of (label, images (N, side*side), symmetric); an entry with more than ``n_cols`` images
    wraps onto several rows. symmetric=True: signed values on a red-blue scale centred at 0; otherwise
    gray, on 0..1 when the values lie there (so inputs and reconstructions share one scale).
    ``tile``: inches per image. The axes are placed by hand (inches), so every entry has the same width
    and its images line up with the entries above and below.
    """
    plt = pyplot()
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
            limits = {"cmap": "RdBu_r", **symmetric_limits(tile_img)}
        else:
            in_unit = np.nanmin(tile_img) >= 0.0 and np.nanmax(tile_img) <= 1.0
            limits = {"cmap": "gray_r", **({"vmin": 0.0, "vmax": 1.0} if in_unit else {})}
        im = ax.imshow(tile_img, interpolation="nearest", aspect="auto", **limits)
        fig.colorbar(im, cax=cax)
        cax.tick_params(labelsize=7)
        ax.set_title(label, fontsize=9, loc="left")
        ax.axis("off")
        top = bottom
    return save_figure(fig, path)
