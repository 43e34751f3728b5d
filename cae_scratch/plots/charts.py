"""Figures of numbers: training histories, curves on plain log axes, bars, grids of panels."""
from __future__ import annotations

import math

import numpy as np

from ._figure import format_value, plain_log_axis, plain_log_labels, plain_number, pyplot, save_figure


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

    Each panel is a dict: "series" {label: (x, y) or (x, y, fmt)} (fmt: a
    matplotlib format such as "o-"), "xlabel", "ylabel", "title", optional
    "xscale"/"yscale" ("linear", "log", "symlog" with "linthresh" for x), "xticks" (plain tick labels), "hlines" {label: y} (dashed
    reference lines), "diagonal" (draw y = x, for analytic-vs-numeric scatters).
    """
    plt = pyplot()
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

    An image panel has "image" (2-D array), "title", optional "cmap",
    "symmetric", "xlabel", "ylabel", "cbar_label"; a line panel has "series"
    {label: (x, y) or (x, y, fmt)}, "xlabel", "ylabel", "title", optional
    "xscale"/"yscale" ("log" axes get plain-number labels), "xticks", "hlines" {label: y}.
    """
    plt = pyplot()
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
                    plain_log_axis(axis)
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
