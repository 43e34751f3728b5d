"""The figure helpers every plot function shares: one symmetric colour scale, one line panel, one image panel."""
import numpy as np

from cae_scratch import plots
from cae_scratch.plots import charts, images

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_symmetric_limits_centre_signed_values_at_zero():
    assert images.symmetric_limits(np.array([[-3.0, 2.0], [np.nan, 1.0]])) == {"vmin": -3.0, "vmax": 3.0}
    assert images.symmetric_limits(np.zeros((2, 2))) == {"vmin": -1.0, "vmax": 1.0}     # not a 0-wide scale


def test_one_line_panel_and_one_image_panel_serve_both_figure_kinds(tmp_path):
    """plot_panels and plot_panel_grid draw the same line panel (so the grid, too, takes symlog and a diagonal);
    plot_images and plot_panel_grid the same image panel, whose signed colour scale is symmetric."""
    x = np.arange(1, 6)
    line = {"series": {"a": (x, x ** 2)}, "xscale": "symlog", "linthresh": 2.0, "diagonal": True, "title": "t"}
    signed = {"image": np.array([[-2.0, 1.0], [0.5, 0.0]]), "symmetric": True, "title": "s"}
    for path in (plots.plot_panels([line], tmp_path / "p.png"),
                 plots.plot_panel_grid([line, signed], tmp_path / "g.png", n_cols=2),
                 plots.plot_images([signed], tmp_path / "i.png")):
        assert open(path, "rb").read(8) == PNG_MAGIC
    fig, ax = plots._figure.pyplot().subplots()
    charts.line_panel(ax, line)
    assert ax.get_xscale() == "symlog" and "y = x" in [t.get_text() for t in ax.get_legend().get_texts()]
    images.image_panel(fig, ax, signed)
    assert ax.images[-1].get_clim() == (-2.0, 2.0)
    plots._figure.pyplot().close(fig)
