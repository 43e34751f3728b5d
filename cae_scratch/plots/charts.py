"""Figures of numbers: training histories, curves on plain log axes, bars, grids of panels."""
from __future__ import annotations

import math

import numpy as np

from ._figure import format_value, plain_log_axis, plain_log_labels, plain_number, pyplot, save_figure
from .images import image_panel


def line_panel(ax, panel, plain_log=True):
    """Draw one line panel on ``ax`` (the title is the caller's).

    panel: "series" {label: (x, y) or (x, y, fmt)} (fmt: a matplotlib format such as "o-"), "xlabel",
    "ylabel", optional "xscale"/"yscale" ("linear", "log", "symlog" with "linthresh"), "xticks" (plain
    labels at these x values), "hlines" {label: y} (dashed reference lines), "diagonal" (y = x, for
    analytic-vs-numeric scatters). ``plain_log``: log axes labelled 0.001, 40, 1,200 at every decade
    (for a few decades); else matplotlib's labels, which the caller keeps plain between 1e-3 and 1e4
    (``plain_log_labels``) and writes as powers of ten beyond (for many decades).
    """
    for label, (x, y, *fmt) in panel["series"].items():
        ax.plot(np.asarray(x, float), np.asarray(y, float), *(fmt or ["o-"]), label=label, ms=4)
    for i, (label, y) in enumerate(panel.get("hlines", {}).items()):
        ax.axhline(y, ls="--", lw=1, color=f"C{7 + i}", label=label)
    if panel.get("diagonal"):
        lo, hi = ax.get_xlim()
        ax.plot([lo, hi], [lo, hi], "k:", lw=1, label="y = x")
    for name, axis, set_scale in (("xscale", ax.xaxis, ax.set_xscale), ("yscale", ax.yaxis, ax.set_yscale)):
        scale = panel.get(name, "linear")
        set_scale(scale, **({"linthresh": panel.get("linthresh", 1.0)} if scale == "symlog" else {}))
        if scale == "log" and plain_log:
            plain_log_axis(axis)
    if "xticks" in panel:                         # plain labels at these x values, no minor ticks
        ax.set_xticks(panel["xticks"], [plain_number(t) if plain_log else f"{t:g}" for t in panel["xticks"]])
        ax.set_xticks([], minor=True)
    ax.set(xlabel=panel.get("xlabel", ""), ylabel=panel.get("ylabel", ""))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


def plot_history(history, path, title="training"):
    """PNG of the per-epoch loss terms with whole-number epoch ticks, and the penalty (measured at
    lam = 0 too) in its own panel when the history has it."""
    plt = pyplot()
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


@plain_log_labels
def plot_panels(panels, path, suptitle=None, width=5.2, height=3.8):
    """PNG with one axes per panel, side by side.

    Each panel is a line panel (``line_panel``; log axes may span many decades) with a "title".
    """
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(width * len(panels), height), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        line_panel(ax, panel, plain_log=False)
        ax.set_title(panel.get("title", ""))
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_bars(labels, values, path, ylabel, title, yscale="log", hlines=None, colors=None):
    """PNG bar chart, each bar labelled with ``format_value``; ``hlines`` {label: y} draws reference lines."""
    plt = pyplot()
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



def plot_panel_grid(panels, path, n_cols=3, panel_size=(4.3, 3.6), suptitle=None):
    """PNG of panels in a grid of ``n_cols`` columns, each at a readable size.

    An image panel (``images.image_panel``) has "image" and optional "cbar_label"; any other is a line
    panel (``line_panel``); each has a "title".
    """
    plt = pyplot()
    n_rows = math.ceil(len(panels) / n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False, layout="constrained",
                             figsize=(panel_size[0] * n_cols, panel_size[1] * n_rows))
    for ax, panel in zip(axes.flat, panels):
        if "image" in panel:
            if not image_panel(fig, ax, panel, gray="gray_r", shrink=0.9, label=panel.get("cbar_label", "")):
                ax.set_xticks([])
                ax.set_yticks([])
        else:
            line_panel(ax, panel)
        ax.set_title(panel.get("title", ""), fontsize=10)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    return save_figure(fig, path)
