"""Every figure of the project, the only place that imports matplotlib (lazily, headless: Agg).

``_figure`` (shared pieces), ``images`` (figures of images), ``charts`` (figures of numbers).
"""
from ._figure import format_value, image_side, plain_number, save_figure, tile_images
from .charts import plot_bars, plot_history, plot_panel_grid, plot_panels
from .images import image_grid, plot_filters_and_reconstructions, plot_image_panels, plot_image_stack, plot_images, plot_tiles
