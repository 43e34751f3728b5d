"""What every figure shares: matplotlib loaded lazily (headless), saving, plain tick labels, image tiling."""
from __future__ import annotations

import math
import os

import numpy as np

from .. import atomic


def pyplot():
    import matplotlib
    matplotlib.use("Agg")          # no screen needed; figures go to PNG files
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, path):
    """Render ``fig`` into ``path`` through the one atomic writer (its folder created), close it, return path.

    The format is the file's extension (png by default): a failed render or a full disk leaves the
    file that was there, never a truncated one.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    kind = os.path.splitext(os.fspath(path))[1][1:].lower() or "png"
    try:
        atomic.write(path, lambda fh: fig.savefig(fh, format=kind, dpi=110, bbox_inches="tight"))
    finally:
        pyplot().close(fig)
    return path


def plain_number(v, _pos=None):
    """Tick label without scientific notation: 0.001, 0.25, 3, 1,200 (never '1.1e+02')."""
    if v == 0 or not np.isfinite(v):
        return "0" if v == 0 else ""
    if abs(v) >= 1:
        return f"{v:,.0f}" if abs(v - round(v)) < 1e-9 * abs(v) else f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:.12f}".rstrip("0").rstrip(".")


def plain_log_axis(axis):
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    axis.set_major_locator(LogLocator(base=10, numticks=12))
    axis.set_major_formatter(FuncFormatter(plain_number))
    axis.set_minor_formatter(NullFormatter())


def image_side(n_pixels):
    """Side of a square image with n_pixels, or None when n_pixels is not a square."""
    side = int(round(math.sqrt(n_pixels)))
    return side if side * side == n_pixels else None


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


def format_value(v):
    """A bar label with enough digits: 3 significant digits, trailing zeros kept (1.00, 0.333, 110),
    scientific below 1e-3 and from 1e4 on (1.23e-10)."""
    v = float(f"{float(v):.3g}")                         # round first: 9.9996 -> 10.0, not "10.00"
    if v == 0.0 or not math.isfinite(v):
        return f"{v:g}"
    if 1e-3 <= abs(v) < 1e4:
        return f"{v:.{max(0, 2 - math.floor(math.log10(abs(v))))}f}"
    return f"{v:.2e}"


def plain_log_labels(draw):
    """Decorate a figure function so that its log axes read 40, 0.5, 2000 (not 4x10^1) between 1e-3 and 1e4:
    matplotlib's log formatter writes exponents only beyond ``axes.formatter.min_exponent``."""
    import functools

    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        import matplotlib
        with matplotlib.rc_context({"axes.formatter.min_exponent": 4}):
            return draw(*args, **kwargs)
    return drawn
