"""Every figure of the course, drawn with matplotlib.

Two kinds of drawing live here, in this order:

* **Public functions** the notebooks call directly (:func:`show_grid`, :func:`show_images`,
  :func:`plot_convolution_step`, :func:`plot_padding`, :func:`plot_volume_convolution`,
  :func:`plot_pooling`, :func:`plot_layer_notation`, :func:`plot_learning_curves`,
  :func:`plot_param_bars`, :func:`plot_receptive_field`, :func:`plot_explanations`, :func:`overlay_heatmap`). Each returns a pyplot ``Figure`` so it
  shows inline as the last expression of a cell; pass ``save="images/name.png"`` to also write it.
* **Views** the explorers use, built on :class:`GridPanel` (:class:`ConvView`, :class:`VolumeConvView`, :class:`PoolView`,
  :class:`ReceptiveFieldView`, :class:`FeatureMapView`, :class:`ExplanationView`). A view owns one
  ``matplotlib.figure.Figure`` that is *not* registered with pyplot (so nothing leaks), builds its
  artists once and afterwards only updates them in place (``set_data``, ``set_clim``, moved
  rectangles, new text strings). :meth:`View.to_png` renders it to PNG bytes for an
  ``ipywidgets.Image``: fixed size, no flicker, no layout engine per update.

The speed machinery (a PNG encoder, bitmap text, grids painted as pixels) lives in the private
``helpers._raster``; geometry (receptive-field towers) comes from :mod:`helpers.shapes`.

Colour choices: ``gray`` for input images, ``viridis`` for non-negative maps, the diverging ``PuOr``
(centred on zero) for signed values such as kernels and feature maps; all are readable with colour
vision deficiencies. Small grids (at most 10 x 10 by default) get their numbers written in the cells.
"""

from __future__ import annotations

import inspect
import textwrap

import matplotlib
import matplotlib.cm
import matplotlib.colors
import matplotlib.ticker
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Patch, Polygon, Rectangle

from helpers import _raster, _style, shapes
from helpers._raster import PixelText  # noqa: F401 - importable from here as before
from helpers._validate import require_choice, require_positive_int

__all__ = [
    "use_course_style",
    "show_grid",
    "show_images",
    "plot_convolution_step",
    "STEP_FIGURE_SIZE",
    "plot_padding",
    "plot_volume_convolution",
    "plot_pooling",
    "plot_layer_notation",
    "plot_learning_curves",
    "plot_augmented_copies",
    "plot_param_bars",
    "plot_receptive_field",
    "receptive_field_tower",
    "feature_map_grid",
    "format_value",
    "new_figure",
    "figure_to_png",
    "encode_png",
    "GridPanel",
    "View",
    "ConvView",
    "VolumeConvView",
    "PoolView",
    "ReceptiveFieldView",
    "FeatureMapView",
    "ExplanationView",
    "overlay_heatmap",
    "plot_explanations",
    "DigitPadView",
    "feature_map_mosaic",
    "HIGHLIGHT",
    "SIGNED_CMAP",
    "VALUE_CMAP",
]


def use_course_style(retina=True) -> None:
    """Set the course's figure style: 12 pt text, 11 pt legends, sharp (retina) inline figures.

    Every notebook's setup cell calls it. Outside IPython it only sets matplotlib's ``rcParams``; in a
    notebook, inline figures are rendered at twice their resolution and shown at their normal size, as
    palette PNGs so they stay small on disk (see :mod:`helpers._style`).

    Parameters
    ----------
    retina : bool, optional
        Render inline figures at twice their resolution.

    Examples
    --------
    >>> import matplotlib
    >>> with matplotlib.rc_context():
    ...     use_course_style()
    ...     matplotlib.rcParams["font.size"]
    12.0
    """
    _style.use_course_style(retina)

#: Colour of the sliding window and of the output cell being filled.
HIGHLIGHT = "#ff1f5b"
#: Second highlight colour (the max-pooling winner, the changed cells).
HIGHLIGHT_2 = "#00b8f5"
#: Input pixels and units a receptive field does not use (those it uses are drawn in ``HIGHLIGHT``).
RF_UNUSED = "#d0d0d0"
#: Colormap for signed values (kernels, feature maps), always centred on zero.
SIGNED_CMAP = "PuOr"
#: Colormap for non-negative values.
VALUE_CMAP = "viridis"
#: Resolution of the explorers' figures; small enough to render in a few tens of milliseconds.
VIEW_DPI = 72
TITLE_SIZE = 13
LABEL_SIZE = 12
ANNOTATE_MAX = 10


# --------------------------------------------------------------------------------------------
# small utilities
# --------------------------------------------------------------------------------------------


def format_value(value) -> str:
    """Short text for a number written inside a grid cell.

    Whole numbers print without decimals; others get up to two decimals below 10 (so an average such as
    3.25 reads exactly), one below 100 and none above, without trailing zeros.

    Parameters
    ----------
    value : float
        The number.

    Returns
    -------
    str

    Examples
    --------
    >>> format_value(3.0), format_value(-0.0), format_value(0.456), format_value(0.3), format_value(-2.25)
    ('3', '0', '0.46', '0.3', '-2.25')
    >>> format_value(5.25), format_value(2.5), format_value(12.25), format_value(-123.4)
    ('5.25', '2.5', '12.2', '-123')
    """
    v = float(value)
    if not np.isfinite(v):
        return "" if np.isnan(v) else ("inf" if v > 0 else "-inf")
    if abs(v - round(v)) < 1e-9:
        text = f"{round(v):d}"
    elif abs(v) >= 100:
        text = f"{v:.0f}"
    elif abs(v) >= 10:
        text = f"{v:.1f}".rstrip("0").rstrip(".")
    else:
        text = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "-0.0", "-0.00", "") else text


def new_figure(width: float, height: float, dpi: float = VIEW_DPI) -> Figure:
    """A matplotlib ``Figure`` with an Agg canvas that pyplot does not know about.

    Such a figure is never shown twice by the inline backend and never needs ``plt.close``.

    Parameters
    ----------
    width, height : float
        Size in inches.
    dpi : float, optional
        Dots per inch of the rendered PNG.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = new_figure(3, 2)
    >>> fig.canvas.get_width_height(), plt.get_fignums()
    ((216, 144), [])
    """
    fig = Figure(figsize=(width, height), dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


#: Encode an (H, W, 3|4) uint8 array as PNG bytes, quickly (see ``helpers._raster.encode_png``).
encode_png = _raster.encode_png


def figure_to_png(fig, compress_level: int = 1) -> bytes:
    """Render a figure to PNG bytes, fast (low zlib compression, no bounding-box pass).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (from :func:`new_figure` or pyplot).
    compress_level : int, optional
        zlib level 0-9; 1 is several times faster than the default and barely larger.

    Returns
    -------
    bytes

    Examples
    --------
    >>> figure_to_png(new_figure(2, 1))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    return encode_png(np.asarray(fig.canvas.buffer_rgba()), compress_level)


def _pyplot_figure(figsize):
    """A pyplot figure (for the public functions: notebooks show it inline)."""
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize)


def _finish(fig, save):
    """Save if asked; return the figure."""
    if save:
        fig.savefig(save, dpi=150, bbox_inches="tight", facecolor="white")
    return fig


def _symmetric_limits(*arrays):
    """(-m, m) covering every finite value, never empty."""
    m = 0.0
    for a in arrays:
        a = np.asarray(a, dtype=float)
        if a.size:
            finite = a[np.isfinite(a)]
            if finite.size:
                m = max(m, float(np.abs(finite).max()))
    m = m if m > 0 else 1.0
    return -m, m


def _limits(array):
    """(low, high) of the finite values, with high > low."""
    a = np.asarray(array, dtype=float)
    finite = a[np.isfinite(a)] if a.size else a
    if not finite.size:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


def _require_clim(name, clim):
    """None, or a pair of finite numbers (low, high) with low < high."""
    if clim is None:
        return None
    try:
        lo, hi = (float(v) for v in clim)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair of numbers (low, high), e.g. (0, 1); got {clim!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be two finite numbers with low < high, e.g. (0, 1); got {clim!r}")
    return lo, hi


def _wrap(text, width=60):
    return "\n".join(textwrap.fill(part, width) for part in str(text).split("\n"))


# --------------------------------------------------------------------------------------------
# the course's figures: public functions for the notebooks (pyplot figures)
# --------------------------------------------------------------------------------------------


def show_grid(array, ax=None, title=None, annotate=True, cmap=VALUE_CMAP, colorbar=False, clim=None, save=None):
    """Draw a 2-D array as a grid of coloured cells, with the numbers written in when it is small.

    Parameters
    ----------
    array : array_like
        ``(H, W)``.
    ax : matplotlib.axes.Axes, optional
        Draw here; a new pyplot figure is made otherwise.
    title : str, optional
        Title above the grid.
    annotate : bool, optional
        Write the numbers (only when the grid is at most 12 x 12).
    cmap : str, optional
        Colormap; use ``"PuOr"`` for signed values (the limits are then symmetric around zero).
    colorbar : bool, optional
        Add a colour bar.
    clim : (float, float), optional
        Fixed colour limits ``(low, high)``, so that several grids share one scale; by default they come from
        the data (symmetric around zero for a signed colormap).
    save : str, optional
        Also save to this path.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = show_grid(np.arange(9).reshape(3, 3), title="3 x 3")
    >>> fig.axes[0].get_title()
    '3 x 3'
    >>> plt.close(fig)
    >>> fig = show_grid(np.array([[-1.0, 2.0]]), cmap="PuOr", clim=(-4, 4))
    >>> fig.axes[0].images[0].get_clim()
    (-4.0, 4.0)
    >>> plt.close(fig)
    """
    arr = np.asarray(array, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"array must have 2 dimensions (H, W), got shape {arr.shape}")
    clim = _require_clim("clim", clim)
    if ax is None:
        h, w = arr.shape
        side = float(np.clip(0.45 * max(h, w), 2.5, 6))
        fig = _pyplot_figure((side * w / max(h, w) + (0.8 if colorbar else 0.3), side * h / max(h, w) + 0.5))
        ax = fig.add_subplot(1, 1, 1)
    fig = ax.figure
    signed = cmap in (SIGNED_CMAP, "RdBu", "RdBu_r", "PuOr_r", "coolwarm", "bwr")
    panel = GridPanel(ax, cmap=cmap, title=title, annotate_max=12 if annotate else 0)
    panel.show(arr, clim=clim, signed=signed)
    if colorbar:
        fig.colorbar(panel.image, ax=ax, fraction=0.046, pad=0.04)
    return _finish(fig, save)


def show_images(images, titles=None, cmap="gray", ncols=None, size=2.6, signed=False, vmin=None, vmax=None,
                colorbar=False, save=None):
    """Show several images side by side (grayscale ``(H, W)`` / ``(H, W, 1)`` or colour ``(H, W, 3)``).

    Parameters
    ----------
    images : sequence of array_like
        The images.
    titles : sequence of str, optional
        One title per image.
    cmap : str, optional
        Colormap for single-channel images (ignored when ``signed``).
    ncols : int, optional
        Images per row (all in one row by default, at most 6).
    size : float, optional
        Inches per image.
    signed : bool, optional
        The images hold signed values (edge maps, kernels, gradients): draw them with the course's diverging
        colormap :data:`SIGNED_CMAP`, centred on zero (white) and on one scale shared by all the images.
    vmin, vmax : float, optional
        Fixed limits instead of each image's own minimum and maximum. Values outside are clipped, so an
        image on the input's range keeps its true contrast: ``vmin=0, vmax=1`` shows a sharpened photo
        as it is instead of stretching its overshoot to black and white. For colour images the values are
        clipped to ``[vmin, vmax]``.
    colorbar : bool, optional
        One colour bar for the single-channel images (they share limits when ``signed`` or ``vmin``/``vmax``
        are given).
    save : str, optional
        Also save to this path.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = show_images([np.zeros((4, 4)), np.ones((4, 4, 3))], titles=["black", "white"])
    >>> [ax.get_title() for ax in fig.axes]
    ['black', 'white']
    >>> plt.close(fig)
    >>> fig = show_images([np.array([[-2.0, 1.0]]), np.array([[0.5, 0.0]])], signed=True)
    >>> [ax.images[0].get_clim() for ax in fig.axes]
    [(-2.0, 2.0), (-2.0, 2.0)]
    >>> plt.close(fig)
    """
    images = [np.asarray(im, dtype=float) for im in images]
    if not images:
        raise ValueError("images must contain at least one image")
    n = len(images)
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles must have one entry per image ({n}), got {len(titles)}")
    ncols = require_positive_int("ncols", ncols) if ncols is not None else min(n, 6)
    for name, value in (("vmin", vmin), ("vmax", vmax)):
        if value is not None and not (isinstance(value, (int, float, np.number)) and np.isfinite(value)):
            raise TypeError(f"{name} must be a finite number or None, got {value!r}")
    if vmin is not None and vmax is not None and not vmin < vmax:
        raise ValueError(f"vmin must be smaller than vmax, got vmin={vmin!r}, vmax={vmax!r}")
    images = [im[..., 0] if im.ndim == 3 and im.shape[2] == 1 else im for im in images]
    for i, im in enumerate(images):
        if im.ndim not in (2, 3) or (im.ndim == 3 and im.shape[2] not in (3, 4)):
            raise ValueError(f"image {i} must be (H, W), (H, W, 1) or (H, W, 3), got shape {im.shape}")
    flat = [im for im in images if im.ndim == 2]
    limits = None
    if signed:
        # centred on zero: the given limit (the larger of |vmin|, |vmax|) or the largest |value| of all images
        given = [abs(float(v)) for v in (vmin, vmax) if v is not None]
        m = max(given) if given else _symmetric_limits(*flat)[1]
        m = m if m > 0 else 1.0
        limits = (-m, m)
        cmap = SIGNED_CMAP
    elif vmin is not None or vmax is not None:
        lo, hi = _limits(np.concatenate([im.ravel() for im in flat])) if flat else (0.0, 1.0)
        limits = (lo if vmin is None else float(vmin), hi if vmax is None else float(vmax))
        if limits[0] >= limits[1]:
            raise ValueError(f"the limits ({limits[0]}, {limits[1]}) are empty: give both vmin and vmax")
    nrows = -(-n // ncols)
    fig = _pyplot_figure((size * ncols + (0.6 if colorbar else 0), size * nrows + 0.3))
    artist = None
    for i, im in enumerate(images):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        if im.ndim == 3:
            if vmin is not None or vmax is not None:
                lo = 0.0 if vmin is None else float(vmin)
                hi = 1.0 if vmax is None else float(vmax)
                ax.imshow(np.clip((im - lo) / (hi - lo), 0, 1))
            else:
                lo, hi = _limits(im)
                ax.imshow(np.clip((im - lo) / (hi - lo), 0, 1) if (lo < 0 or hi > 1) else im)
        else:
            kwargs = {} if limits is None else {"vmin": limits[0], "vmax": limits[1]}
            artist = ax.imshow(im, cmap=cmap, interpolation="nearest", **kwargs)
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[i], fontsize=TITLE_SIZE)
    fig.tight_layout()
    if colorbar and artist is not None:
        fig.colorbar(artist, ax=fig.axes, shrink=0.85).ax.tick_params(labelsize=LABEL_SIZE)
    return _finish(fig, save)


#: Size in inches of :func:`plot_convolution_step`'s figure (shown about 760 px wide inline).
STEP_FIGURE_SIZE = (7.6, 3.1)


def plot_convolution_step(image, kernel, row=0, col=0, stride=1, padding="valid", dilation=1, save=None):
    """The sliding picture: input with the window, kernel, and output with the cell being filled.

    Parameters
    ----------
    image : array_like
        Grayscale ``(H, W)``.
    kernel : array_like
        ``(kh, kw)``.
    row, col : int, optional
        The output cell being computed.
    stride, padding, dilation
        As in :func:`helpers.conv.conv2d`.
    save : str, optional
        Also save to this path.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> image = np.zeros((6, 6)); image[:, :3] = 10
    >>> fig = plot_convolution_step(image, [[1, 0, -1]] * 3, row=0, col=1)
    >>> [t.get_text() for t in fig.texts if t.get_text().startswith("sum")]
    ['sum of products = 30']
    >>> plt.close(fig)
    """
    from helpers import conv

    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    out = conv.filter2d(image, kernel, stride=stride, padding=padding, dilation=dilation)
    d = conv.conv_step_details(image, kernel, row, col, stride=stride, padding=padding, dilation=dilation)
    # 7.6 in (760 px inline): on a 1024 px page with JupyterLab's file browser open (about 590 px for an output)
    # the picture is shrunk by less than a quarter, so the numbers and the colour bar's labels stay readable
    width, height = STEP_FIGURE_SIZE
    view = ConvView(figure=_pyplot_figure((width, height)), width=width, height=height)
    view.update(image, kernel, out, d["rows"], d["cols"], (row, col), d["pad"], d["sum"], dilation=dilation)
    return _finish(view.figure, save)


def plot_padding(image, padding=1, kernel_size=3, stride=1, save=None):
    """The input with its border of zeros: padded cells tinted, the original image outlined.

    Parameters
    ----------
    image : array_like
        ``(H, W)``.
    padding : {"valid", "same"} or int, optional
        As in :func:`helpers.conv.pad2d`.
    kernel_size, stride : int, optional
        Needed to work out ``"same"`` padding.
    save : str, optional
        Also save to this path.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_padding(np.ones((4, 4)), padding="same", kernel_size=3)
    >>> fig.axes[0].get_title()
    'input 4 x 4 padded to 6 x 6 (padding "same")'
    >>> plt.close(fig)
    """
    from helpers import conv

    image = np.asarray(image, dtype=float)
    padded, (top, bottom, left, right) = conv.pad2d(image, kernel_size, stride=stride, padding=padding)
    h, w = padded.shape
    side = float(np.clip(0.5 * max(h, w), 3, 6.5))
    fig = _pyplot_figure((side * w / max(h, w) + 0.3, side * h / max(h, w) + 0.6))
    ax = fig.add_subplot(1, 1, 1)
    label = f'"{padding}"' if isinstance(padding, str) else str(padding)
    panel = GridPanel(ax, cmap="gray", annotate_max=14,
                      title=f"input {image.shape[0]} x {image.shape[1]} padded to {h} x {w} (padding {label})")
    panel.show(padded, clim=(min(0.0, float(padded.min())), max(float(padded.max()), 1e-9)))
    mask = np.ones(padded.shape, dtype=bool)
    mask[top:top + image.shape[0], left:left + image.shape[1]] = False
    panel.set_overlay(mask, color="#e69f00", alpha=0.45)
    panel.set_boxes("image", [(top, left, image.shape[0], image.shape[1])], color=HIGHLIGHT, linewidth=2.5)
    return _finish(fig, save)


def _box3d(ax, x, y, w, h, d, color, edge="#333333", alpha=0.9, grid=None, zorder=1):
    """An oblique-projection box: front face w x h at (x, y), depth d going up-right."""
    dx, dy = 0.5 * d, 0.35 * d
    front = Polygon([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], closed=True, facecolor=color,
                    edgecolor=edge, alpha=alpha, zorder=zorder)
    top = Polygon([(x, y + h), (x + w, y + h), (x + w + dx, y + h + dy), (x + dx, y + h + dy)], closed=True,
                  facecolor=matplotlib.colors.to_rgba(color, 0.6), edgecolor=edge, zorder=zorder)
    side = Polygon([(x + w, y), (x + w + dx, y + dy), (x + w + dx, y + h + dy), (x + w, y + h)], closed=True,
                   facecolor=matplotlib.colors.to_rgba(color, 0.4), edgecolor=edge, zorder=zorder)
    for p in (side, top, front):
        ax.add_patch(p)
    if grid is not None:
        rows, cols = grid
        segs = [[(x, y + h * i / rows), (x + w, y + h * i / rows)] for i in range(1, rows)]
        segs += [[(x + w * j / cols, y), (x + w * j / cols, y + h)] for j in range(1, cols)]
        ax.add_collection(LineCollection(segs, colors=edge, linewidths=0.5, alpha=0.6, zorder=zorder + 0.1))


#: Colours of the filters in :func:`plot_volume_convolution` (filter 1, 2, ...).
FILTER_COLOURS = ("#ff1f5b", "#009ade", "#af58ba", "#f28522")


def plot_volume_convolution(input_shape=(6, 6, 3), kernel_size=3, filters=1, stride=1, padding="valid",
                            save=None):
    """A 3-D sketch: an H x W x C volume, its k x k x C kernels through the whole depth, and the output maps.

    Each kernel spans all C channels, so one filter gives one flat 2-D map; ``filters`` of them (each
    drawn in its own colour, up to four; more are summarised) give as many maps, stacked along the depth
    axis into the output volume. The maps are drawn apart so that the output reads as a stack of maps.

    Parameters
    ----------
    input_shape : (int, int, int), optional
        ``(H, W, C)``.
    kernel_size : int, optional
        Kernel height and width.
    filters : int, optional
        Number of filters (output depth).
    stride, padding
        As in :func:`helpers.shapes.conv_output_size`.
    save : str, optional
        Also save to this path.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_volume_convolution((6, 6, 3), 3, filters=2)
    >>> for text in sorted(t.get_text().replace("\\n", " ") for t in fig.axes[0].texts):
    ...     print(text)
    4 x 4 x 2 output (2 maps of 4 x 4)
    6 x 6 x 3 input
    filter 1
    filter 2
    one map per filter
    two 3 x 3 x 3 kernels
    >>> plt.close(fig)
    """
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (H, W, C), got {input_shape!r}")
    h, w, c = (require_positive_int("input_shape", int(v)) for v in input_shape)
    k = require_positive_int("kernel_size", kernel_size)
    f = require_positive_int("filters", filters)
    oh = shapes.conv_output_size(h, k, stride=stride, padding=padding)
    ow = shapes.conv_output_size(w, k, stride=stride, padding=padding)
    shown = min(f, len(FILTER_COLOURS))
    fig = _pyplot_figure((7.6, 3.5))   # at most 800 px wide inline (a 1024 px page)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    base = 0.9
    unit = 3.0 / max(h, w, 1)
    depth_unit = min(0.6, 3.0 / max(c, 1))
    dx = 0.5 * c * depth_unit
    # input volume, with filter 1's window on its top-left corner
    _box3d(ax, 0.3, base, w * unit, h * unit, c * depth_unit, "#9ecae1", grid=(h, w))
    _box3d(ax, 0.3, base + (h - k) * unit, k * unit, k * unit, c * depth_unit, FILTER_COLOURS[0], alpha=0.45,
           zorder=3)
    # the kernels, one above the other, each scaled to fit the input's height
    gap = 0.5
    kunit = min(unit, (h * unit - gap * (shown - 1)) / (shown * k))
    kx = 0.3 + w * unit + dx + 0.8
    top = base + h * unit
    centres = []
    for j in range(shown):
        ky = top - (j + 1) * k * kunit - j * gap
        _box3d(ax, kx, ky, k * kunit, k * kunit, c * depth_unit * kunit / unit, FILTER_COLOURS[j], alpha=0.8,
               grid=(k, k), zorder=3)
        if f > 1:
            ax.text(kx - 0.12, ky + k * kunit / 2, f"filter {j + 1}", ha="right", va="center",
                    fontsize=LABEL_SIZE, color=FILTER_COLOURS[j])
        centres.append(ky + k * kunit / 2)
    kright = kx + k * kunit + dx * kunit / unit
    # the output: one flat map per filter, drawn apart (back to front) and stacked along the depth axis
    ox = kright + 1.6
    sheet = 0.12
    step_x, step_y = 0.75, 0.55
    oy = max(base, base + (h * unit - oh * unit) / 2 - step_y * (shown - 1) / 2)
    for j in reversed(range(shown)):
        _box3d(ax, ox + j * step_x, oy + j * step_y, ow * unit, oh * unit, sheet, FILTER_COLOURS[j],
               alpha=0.85, grid=(oh, ow), zorder=2 + (shown - j) * 0.01)
        # the output cell that the window on the input's top-left corner fills
        _box3d(ax, ox + j * step_x, oy + j * step_y + (oh - 1) * unit, unit, unit, sheet, "#333333",
               alpha=0.5, zorder=2.005 + (shown - j) * 0.01)
    for j, cy in enumerate(centres):
        target = (ox + j * step_x - 0.1, oy + j * step_y + (oh - 0.5) * unit)
        ax.add_patch(FancyArrowPatch((kright + 0.1, cy), target, arrowstyle="-|>", mutation_scale=18,
                                     color=FILTER_COLOURS[j] if f > 1 else "#333333", lw=1.5))
    ty = 0.35
    ax.text(0.3 + w * unit / 2, ty, f"{h} x {w} x {c} input", ha="center", fontsize=TITLE_SIZE)
    count = {1: "one", 2: "two", 3: "three", 4: "four"}.get(f, str(f))
    kernel_label = (f"{k} x {k} x {c} kernel" if f == 1 else f"{count} {k} x {k} x {c} kernels" if f <= 4
                    else f"{f} kernels of {k} x {k} x {c}")
    if f > shown:
        kernel_label += f"\n({shown} drawn)"
    ax.text(kx + k * kunit / 2, ty, kernel_label, ha="center", fontsize=TITLE_SIZE)
    out_label = f"{oh} x {ow} x {f} output" + (f"\n({f} maps of {oh} x {ow})" if f > 1 else "")
    ax.text(ox + ow * unit / 2 + step_x * (shown - 1) / 2, ty, out_label, ha="center", fontsize=TITLE_SIZE,
            va="center" if f > 1 else "baseline")
    # left-aligned just right of the kernels' back face, so the words never touch a kernel block
    ax.text(kright + 0.15, top + 0.25, "sum over\nall channels" if f == 1 else "one map\nper filter",
            ha="left", fontsize=LABEL_SIZE)
    ax.set_xlim(0, ox + ow * unit + step_x * (shown - 1) + 0.5)
    ax.set_ylim(-0.2, top + max(c * depth_unit, 1.0) * 0.35 + 0.9)
    ax.set_aspect("equal")
    return _finish(fig, save)


def plot_pooling(image, pool_size=2, stride=None, padding="valid", mode="max", row=0, col=0, save=None):
    """Input with one pooling window (and the winner for max pooling) next to the pooled output.

    Both panels share one colour scale (the input's range), so a value has the same colour in both.

    Parameters
    ----------
    image : array_like
        ``(H, W)``.
    pool_size, stride, padding
        As in :func:`helpers.conv.max_pool2d`.
    mode : {"max", "avg"}, optional
        Which pooling.
    row, col : int, optional
        Output cell to highlight.
    save : str, optional
        Also save to this path.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> x = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]])
    >>> fig = plot_pooling(x, row=1, col=0)
    >>> fig.axes[1].get_title()
    'max pooled 2 x 2'
    >>> plt.close(fig)
    """
    from helpers import conv

    mode = require_choice("mode", mode, ("max", "avg"))
    image = np.asarray(image, dtype=float)
    pool = conv.max_pool2d if mode == "max" else conv.avg_pool2d
    out = pool(image, pool_size, stride, padding)
    d = conv.pool_step_details(image, row, col, pool_size, stride, padding, mode)
    fig = _pyplot_figure((7.5, 3.6))
    a0 = fig.add_axes([0.02, 0.05, 0.5, 0.8])
    a1 = fig.add_axes([0.6, 0.15, 0.35, 0.6])
    # one colour scale for both panels: a value has the same colour in the input and in the pooled map
    # (max and average pooling never leave the input's range)
    clim = _limits(image)
    p0 = GridPanel(a0, cmap=VALUE_CMAP, title=f"input {image.shape[0]} x {image.shape[1]}", annotate_max=12)
    p0.show(image, clim=clim)
    top, _, left, _ = d["pad"]
    r0, c0 = d["rows"][0] - top, d["cols"][0] - left
    p0.set_boxes("window", [(r0, c0, len(d["rows"]), len(d["cols"]))])
    if mode == "max":
        ar, ac = d["argmax"]
        p0.set_boxes("winner", [(r0 + ar, c0 + ac, 1, 1)], color=HIGHLIGHT_2, linewidth=2.5)
    name = "max" if mode == "max" else "average"
    p1 = GridPanel(a1, cmap=VALUE_CMAP, title=f"{name} pooled {out.shape[0]} x {out.shape[1]}")
    p1.show(out, clim=clim)
    p1.set_boxes("cell", [(row, col, 1, 1)])
    return _finish(fig, save)


def _layer_label(spec):
    """Arrow label for one layer spec: "conv 5x5", "max pool 3x3 /2", "dense", ..."""
    t = spec.get("type", "?")
    k = spec.get("kernel_size")
    if isinstance(k, (tuple, list)):
        k = k[0] if k[0] == k[1] else f"{k[0]}x{k[1]}"
    s = spec.get("strides", 1)
    if isinstance(s, (tuple, list)):
        s = s[0]
    stride = f" /{s}" if s not in (None, 1) else ""
    if t in ("Conv2D", "SeparableConv2D", "DepthwiseConv2D"):
        name = {"Conv2D": "conv", "SeparableConv2D": "sep conv", "DepthwiseConv2D": "dw conv"}[t]
        return f"{name} {k}x{k}{stride}" if not isinstance(k, str) else f"{name} {k}{stride}"
    if t in ("MaxPooling2D", "AveragePooling2D"):
        p = spec.get("pool_size", 2)
        p = p[0] if isinstance(p, (tuple, list)) else p
        s = spec.get("strides") or p  # Keras: the stride defaults to the pool size
        s = s[0] if isinstance(s, (tuple, list)) else s
        return ("max " if t.startswith("Max") else "avg ") + f"pool {p}x{p} /{s}"
    if t == "GlobalAveragePooling2D":
        return "global avg"
    if t == "Flatten":
        return "flatten"
    if t == "Dense":
        return "dense"
    return t


def _shape_label(shape):
    shape = [v for v in shape if v is not None]
    return "x".join(str(int(v)) for v in shape)


def plot_layer_notation(layers, input_shape=(32, 32, 1), per_row=7, save=None):
    """The shorthand block diagram of a network: boxes "28x28x6" joined by arrows "conv 5x5", "pool 2".

    Parameters
    ----------
    layers : list of dict
        Layer specs, e.g. ``{"type": "Conv2D", "filters": 6, "kernel_size": 5}``
        (see :func:`helpers.shapes.summarize`).
    input_shape : tuple, optional
        ``(H, W, C)`` of the input.
    per_row : int, optional
        Boxes per row before wrapping.
    save : str, optional
        Also save to this path.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> lenet = [{"type": "Conv2D", "filters": 6, "kernel_size": 5},
    ...          {"type": "AveragePooling2D", "pool_size": 2}]
    >>> fig = plot_layer_notation(lenet, (32, 32, 1))
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['32x32x1', 'conv 5x5', '28x28x6', 'avg pool 2x2 /2', '14x14x6']
    >>> plt.close(fig)
    """
    summary = shapes.summarize(tuple(input_shape), list(layers))
    boxes = [_shape_label(input_shape)] + [_shape_label(r["output_shape"]) for r in summary.rows]
    arrows = [_layer_label(spec) for spec in layers]
    per_row = require_positive_int("per_row", per_row)
    n = len(boxes)
    nrows = -(-n // per_row)
    fig = _pyplot_figure((1.55 * min(n, per_row) + 0.4, 1.5 * nrows + 0.2))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    bw, bh, gap = 0.95, 0.55, 0.6
    for i, label in enumerate(boxes):
        r, c = divmod(i, per_row)
        x = 0.2 + c * (bw + gap)
        y = (nrows - 1 - r) * 1.5 + 0.5
        ax.add_patch(Rectangle((x, y), bw, bh, facecolor="#deebf7", edgecolor="#08519c", linewidth=1.5))
        ax.text(x + bw / 2, y + bh / 2, label, ha="center", va="center", fontsize=LABEL_SIZE)
        if i < len(arrows):
            lab = arrows[i]
            if c < per_row - 1 and i + 1 < n:
                ax.add_patch(FancyArrowPatch((x + bw, y + bh / 2), (x + bw + gap, y + bh / 2), arrowstyle="-|>",
                                             mutation_scale=12, color="#333333"))
                ax.text(x + bw + gap / 2, y + bh + 0.08, lab, ha="center", va="bottom", fontsize=LABEL_SIZE - 1)
            else:
                # the wrap arrow runs from under this box to the top of the next row's first box; its label sits
                # at the arrow's middle, on a white patch over the line, so it cannot be read as another arrow's
                start, end = (x + bw / 2, y), (0.2 + bw / 2, y - 1.5 + bh)
                ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color="#999999",
                                             connectionstyle="arc3,rad=0.05"))
                ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, lab, ha="center", va="center",
                        fontsize=LABEL_SIZE - 1, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
    ax.set_xlim(0, 0.4 + min(n, per_row) * (bw + gap))
    ax.set_ylim(0, nrows * 1.5 + 0.2)
    return _finish(fig, save)


def plot_learning_curves(history, metrics=("loss", "accuracy"), save=None):
    """Training and validation curves, one panel per metric.

    Parameters
    ----------
    history : keras.callbacks.History or dict
        ``model.fit(...)``'s return value or its ``.history`` dict.
    metrics : sequence of str, optional
        Which metrics to plot (missing ones are skipped).
    save : str, optional
        Also save to this path.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> h = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7], "accuracy": [0.5, 0.7, 0.8]}
    >>> fig = plot_learning_curves(h)
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'accuracy']
    >>> plt.close(fig)
    """
    hist = getattr(history, "history", history)
    if not isinstance(hist, dict):
        raise TypeError(f"history must be a keras History or a dict, got {type(history).__name__}")
    shown = [m for m in metrics if m in hist]
    if not shown:
        raise ValueError(f"history has none of the metrics {list(metrics)}; it has {sorted(hist)}")
    # at most the course's 7.6 in (a 1024 px page), however many metrics are shown
    fig = _pyplot_figure((min(3.8 * len(shown), STEP_FIGURE_SIZE[0]), 3.4))
    for i, m in enumerate(shown):
        ax = fig.add_subplot(1, len(shown), i + 1)
        epochs = np.arange(1, len(hist[m]) + 1)
        ax.plot(epochs, hist[m], "o-", color="#0072b2", label="training")
        if f"val_{m}" in hist:
            ax.plot(np.arange(1, len(hist[f"val_{m}"]) + 1), hist[f"val_{m}"], "s--", color="#e69f00",
                    label="validation")
        ax.set_title(m, fontsize=TITLE_SIZE)
        ax.set_xlabel("epoch", fontsize=LABEL_SIZE)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=LABEL_SIZE - 1)
    fig.tight_layout()
    return _finish(fig, save)


def plot_augmented_copies(originals, copies, row_titles=None, copy_titles=None, size=1.5, save=None):
    """A grid of augmented copies: one row per image, the original first (framed), then its copies.

    Parameters
    ----------
    originals : array_like
        ``(n, H, W)``, ``(n, H, W, 1)`` or ``(n, H, W, 3)`` images in [0, 1]; a single image
        ``(H, W[, C])`` is one row.
    copies : array_like
        ``(n, k, ...)``: ``k`` augmented copies of each original, of the same image shape (for a single
        original, ``(k, ...)``).
    row_titles : sequence of str, optional
        One label per row, written left of the original.
    copy_titles : sequence of str, optional
        One title per column of copies (default ``"copy 1"``, ``"copy 2"``, ...).
    size : float, optional
        Inches per image.
    save : str, optional
        Also save to this path.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> originals = np.zeros((2, 8, 8, 1))
    >>> fig = plot_augmented_copies(originals, np.ones((2, 3, 8, 8, 1)), row_titles=["a", "b"])
    >>> len(fig.axes), fig.axes[0].get_title(), fig.axes[1].get_title()
    (8, 'original', 'copy 1')
    >>> fig = plot_augmented_copies(np.zeros((8, 8)), np.ones((2, 8, 8)), copy_titles=["shifted", "rotated"])
    >>> [ax.get_title() for ax in fig.axes]
    ['original', 'shifted', 'rotated']
    >>> plt.close(fig)
    """
    orig = np.asarray(originals, dtype=float)
    cop = np.asarray(copies, dtype=float)
    if orig.ndim == 2 or (orig.ndim == 3 and orig.shape[-1] in (1, 3) and cop.ndim == orig.ndim + 1):
        orig, cop = orig[None], cop[None]  # one image and its copies
    if orig.ndim == 3:
        orig, cop = orig[..., None], cop[..., None]
    if orig.ndim != 4 or orig.shape[-1] not in (1, 3):
        raise ValueError(
            f"originals must be images (n, H, W), (n, H, W, 1) or (n, H, W, 3), got shape {np.shape(originals)}"
        )
    if cop.ndim != 5 or cop.shape[0] != orig.shape[0] or cop.shape[2:] != orig.shape[1:]:
        raise ValueError(
            f"copies must have shape (n, k) + image shape = ({orig.shape[0]}, k, "
            f"{', '.join(map(str, orig.shape[1:]))}), got {np.shape(copies)}"
        )
    n, k = cop.shape[:2]
    if k < 1:
        raise ValueError("copies must hold at least one copy per image, got k = 0")
    if row_titles is not None and len(row_titles) != n:
        raise ValueError(f"row_titles must have one entry per row ({n}), got {len(row_titles)}")
    if copy_titles is not None and len(copy_titles) != k:
        raise ValueError(f"copy_titles must have one entry per copy ({k}), got {len(copy_titles)}")
    size = float(size)
    if not size > 0:
        raise ValueError(f"size must be a positive number of inches, got {size}")
    fig = _pyplot_figure((size * (k + 1) + (0.6 if row_titles is not None else 0), size * n + 0.4))
    for i in range(n):
        for j in range(k + 1):
            ax = fig.add_subplot(n, k + 1, i * (k + 1) + j + 1)
            im = orig[i] if j == 0 else cop[i, j - 1]
            if im.shape[-1] == 1:
                ax.imshow(np.clip(im[..., 0], 0, 1), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            else:
                ax.imshow(np.clip(im, 0, 1))
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                for spine in ax.spines.values():
                    spine.set_edgecolor(HIGHLIGHT)
                    spine.set_linewidth(3)
                if row_titles is not None:
                    ax.set_ylabel(row_titles[i], fontsize=LABEL_SIZE, rotation=0, ha="right", va="center")
            if i == 0:
                label = f"copy {j}" if copy_titles is None else str(copy_titles[j - 1])
                ax.set_title("original" if j == 0 else label, fontsize=LABEL_SIZE)
    fig.tight_layout()
    return _finish(fig, save)


def plot_param_bars(rows, scale="log", title=None, save=None):
    """Per-layer parameters and multiplications as horizontal bars, on a log scale or as shares of the total.

    Parameters
    ----------
    rows : list of dict
        Each with ``"name"``, ``"params"`` and ``"multiplications"`` (e.g.
        ``helpers.shapes.summarize(...).rows``).
    scale : {"log", "share"}, optional
        ``"log"``: the counts on a logarithmic axis (layers that differ by orders of magnitude stay
        visible, but bar lengths no longer compare: a bar twice as long is a hundred times more).
        ``"share"``: each layer's fraction of the network's parameters and of its multiplications on a
        linear percent axis, where lengths compare directly (where do the weights live?).
    title : str, optional
        Figure title; by default one that says which scale is used.
    save : str, optional
        Also save to this path.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> rows = [{"name": "conv", "params": 156, "multiplications": 117600},
    ...         {"name": "dense", "params": 850, "multiplications": 840}]
    >>> fig = plot_param_bars(rows)
    >>> fig.axes[0].get_xscale()
    'log'
    >>> plt.close(fig)
    >>> fig = plot_param_bars(rows, scale="share")
    >>> [round(float(bar.get_width()), 3) for bar in fig.axes[0].patches[:2]]   # parameter shares
    [0.155, 0.845]
    >>> plt.close(fig)
    """
    if scale not in ("log", "share"):
        raise ValueError(f'scale must be "log" or "share", got {scale!r}')
    rows = list(rows)
    if not rows:
        raise ValueError("rows must contain at least one layer")
    names = [str(r["name"]) for r in rows]
    params = np.array([max(int(r["params"]), 0) for r in rows], dtype=float)
    mults = np.array([max(int(r["multiplications"]), 0) for r in rows], dtype=float)
    y = np.arange(len(rows))
    fig = _pyplot_figure((8, 0.38 * len(rows) + 1.8))
    ax = fig.add_subplot(1, 1, 1)
    if scale == "share":
        p_share = params / params.sum() if params.sum() > 0 else params
        m_share = mults / mults.sum() if mults.sum() > 0 else mults
        ax.barh(y - 0.2, p_share, height=0.4, color="#0072b2", label="share of the parameters")
        ax.barh(y + 0.2, m_share, height=0.4, color="#e69f00", label="share of the multiplications")
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_xlabel("share of the network's total (linear scale)", fontsize=LABEL_SIZE)
        default_title = "Where the weights and the work live"
    else:
        ax.barh(y - 0.2, np.where(params > 0, params, np.nan), height=0.4, color="#0072b2", label="parameters")
        ax.barh(y + 0.2, np.where(mults > 0, mults, np.nan), height=0.4, color="#e69f00",
                label="multiplications")
        ax.set_xscale("log")
        ax.set_xlabel("count (log scale: each grid line is 10 times the previous)", fontsize=LABEL_SIZE)
        default_title = "Parameters and multiplications per layer"
    ax.set_yticks(y, names, fontsize=LABEL_SIZE)
    ax.tick_params(axis="x", labelsize=LABEL_SIZE)
    ax.invert_yaxis()
    ax.set_title(default_title if title is None else str(title), fontsize=TITLE_SIZE)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=LABEL_SIZE - 1, loc="lower right")
    fig.tight_layout()
    return _finish(fig, save)


def _layer_tuple(spec):
    """(kernel, stride, dilation) from a tuple or a dict {"kernel", "stride", "dilation"}."""
    if isinstance(spec, dict):
        return (int(spec["kernel"]), int(spec.get("stride", 1)), int(spec.get("dilation", 1)))
    spec = tuple(spec)
    return (int(spec[0]), int(spec[1]) if len(spec) > 1 else 1, int(spec[2]) if len(spec) > 2 else 1)


def receptive_field_tower(layers, input_size, unit):
    """Per-layer masks and unit centres for the receptive-field tower: :func:`helpers.shapes.receptive_field_tower`.

    Kept here for the figures; ``layers`` may also hold dicts ``{"kernel", "stride", "dilation"}``.

    Examples
    --------
    >>> masks, positions, sizes = receptive_field_tower([(3, 1), (3, 1)], 7, 1)
    >>> sizes, positions[2]
    ([7, 5, 3], [2.0, 3.0, 4.0])
    """
    return shapes.receptive_field_tower([_layer_tuple(spec) for spec in layers], input_size, unit)


def plot_receptive_field(layers, input_size=16, unit=None, save=None):
    """Which input pixels one output unit sees (2-D), next to the layer-by-layer tower of units.

    Parameters
    ----------
    layers : sequence of tuples
        ``(kernel, stride[, dilation])`` per layer, valid padding (as :func:`helpers.shapes.receptive_field`).
    input_size : int, optional
        Input height = width.
    unit : int, optional
        Output unit (row = column index); the middle one by default.
    save : str, optional
        Also save to this path.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_receptive_field([(3, 1), (3, 1)], input_size=9, unit=2)
    >>> fig.axes[0].get_title()
    'input pixels seen by unit (2, 2): 25'
    >>> plt.close(fig)
    """
    input_size = require_positive_int("input_size", input_size)
    masks, positions, sizes = receptive_field_tower(list(layers), input_size, unit)
    unit = int(np.flatnonzero(masks[-1])[0])
    view = ReceptiveFieldView(figure=_pyplot_figure((7.6, 3.4)), width=7.6, height=3.4)   # <= 800 px inline
    view.update(np.outer(masks[0], masks[0]), masks, positions, unit=(unit, unit))
    return _finish(view.figure, save)


def feature_map_grid(maps, max_maps=32, columns=8):
    """Every channel of a feature map stack as a grid of small pictures, numbered (a figure pyplot does not know).

    Parameters
    ----------
    maps : array_like
        ``(h, w, channels)``.
    max_maps : int, optional
        Show at most this many channels (the first ones).
    columns : int, optional
        Pictures per row.

    Returns
    -------
    matplotlib.figure.Figure
        From :func:`new_figure`: render it with :func:`figure_to_png`.

    Examples
    --------
    >>> fig = feature_map_grid(np.random.default_rng(0).random((5, 5, 10)))
    >>> len(fig.axes), [ax.get_title() for ax in fig.axes][:3]
    (10, ['0', '1', '2'])
    """
    maps = np.asarray(maps, dtype=float)
    if maps.ndim != 3:
        raise ValueError(f"maps must have 3 dimensions (h, w, channels), got shape {maps.shape}")
    n = min(maps.shape[-1], require_positive_int("max_maps", max_maps))
    cols = min(n, require_positive_int("columns", columns))
    rows = -(-n // cols)
    fig = new_figure(1.25 * cols, 1.3 * rows)
    for i in range(n):
        ax = fig.add_axes([(i % cols) / cols + 0.005, 1 - (i // cols + 1) / rows + 0.005,
                           1 / cols - 0.01, 1 / rows - 0.05])
        ax.set_axis_off()
        ax.imshow(maps[:, :, i], cmap=VALUE_CMAP, interpolation="nearest")
        ax.set_title(str(i), fontsize=9, pad=1)
    return fig


def overlay_heatmap(image, heat, alpha=0.6, cmap="inferno", limits=None, dim=1.0):
    """An image in gray with a heat map blended over it, as an ``(H, W, 3)`` RGB array in [0, 1].

    The heat map is scaled to [0, 1] by its own range, or by ``limits`` (NaN counts as 0); each pixel mixes
    the gray image and the heat colour with weight ``alpha * heat``, so cold regions show the image and hot
    ones the colour.

    Parameters
    ----------
    image : array_like
        ``(H, W)`` or ``(H, W, 1)`` gray image (any range; scaled to [0, 1]), or ``(H, W, 3)`` colour.
    heat : array_like
        ``(H, W)`` map, e.g. from :func:`helpers.models.saliency`.
    alpha : float, optional
        Opacity of the hottest pixels (0 .. 1).
    cmap : str, optional
        Colormap of the heat.
    limits : tuple of float, optional
        ``(low, high)``: the heat values drawn coldest and hottest (values outside are clipped), so that
        several overlays share one scale. By default the map's own minimum and maximum.
    dim : float, optional
        Brightness of the image under the heat (0 .. 1): below 1 the image is darkened, so that white ink
        and the hot end of the colormap stay apart.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` float in [0, 1].

    Examples
    --------
    >>> rgb = overlay_heatmap(np.zeros((4, 4)), np.eye(4))
    >>> rgb.shape, bool(rgb[0, 1].max() == 0), bool(rgb[0, 0].max() > 0)
    ((4, 4, 3), True, True)
    >>> weak = overlay_heatmap(np.zeros((4, 4)), 0.1 * np.eye(4), limits=(0, 1))   # a weak map stays faint
    >>> bool(weak[0, 0].max() < overlay_heatmap(np.zeros((4, 4)), 0.1 * np.eye(4))[0, 0].max())
    True
    """
    img = np.asarray(image, dtype=float)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    heat = np.asarray(heat, dtype=float)
    if img.shape[:2] != heat.shape or heat.ndim != 2:
        raise ValueError(f"heat must be a 2-D map of the image's size {img.shape[:2]}, got shape {heat.shape}")
    if not 0 <= float(alpha) <= 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if not 0 <= float(dim) <= 1:
        raise ValueError(f"dim must be between 0 and 1, got {dim}")
    lo, hi = _limits(img)
    gray = np.clip((img - lo) / (hi - lo), 0, 1) * float(dim)
    rgb = gray if gray.ndim == 3 else np.repeat(gray[..., None], 3, axis=2)
    h = np.nan_to_num(heat, nan=0.0)
    if limits is None:
        hlo, hhi = _limits(h)
        h = np.clip((h - hlo) / (hhi - hlo), 0, 1) if float(np.ptp(h)) > 0 else np.zeros_like(h)
    else:
        hlo, hhi = _require_limits("limits", limits)
        h = np.clip((h - hlo) / (hhi - hlo), 0, 1)
    colour = matplotlib.colormaps[cmap](h)[..., :3]
    weight = float(alpha) * h[..., None]
    return np.clip((1 - weight) * rgb + weight * colour, 0, 1)


def _require_limits(name, limits):
    """``(low, high)`` floats with high > low, or a ValueError naming the argument."""
    try:
        lo, hi = (float(v) for v in limits)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high) of numbers, got {limits!r}") from None
    if not hi > lo:
        raise ValueError(f"{name} must have high > low, got {limits!r}")
    return lo, hi


def _shared_limits(maps):
    """One ``(low, high)`` for a group of maps: from 0 (or the minimum, if negative) to the largest value;
    symmetric about 0 when some value is negative."""
    finite = [a[np.isfinite(a)] for a in (np.asarray(m, dtype=float) for m in maps)]
    values = np.concatenate([f.ravel() for f in finite]) if finite else np.zeros(1)
    if not values.size:
        return 0.0, 1.0
    if values.min() < 0:
        return _symmetric_limits(values)
    hi = float(values.max())
    return 0.0, hi if hi > 0 else 1.0


def plot_explanations(images, maps, row_titles=None, overlay=True, size=2.1, save=None, transpose=False, share=False,
                      colorbar_label=None):
    """A grid of explanations: the images, and one map per image for each method.

    Parameters
    ----------
    images : sequence of array_like
        ``(H, W)`` / ``(H, W, 1)`` images.
    maps : dict
        ``{method title: sequence of (H, W) maps, one per image}`` (e.g. ``{"saliency": [...], ...}``).
    row_titles : sequence of str, optional
        One title per image (above the image).
    overlay : bool, optional
        Blend each map over a darkened copy of the image (:func:`overlay_heatmap`, colormap ``plasma``, whose
        hot end is yellow, not the white of the ink; negative values get no colour); False shows the maps
        alone.
    size : float, optional
        Inches per picture.
    save : str, optional
        Also save to this path.
    transpose : bool, optional
        False: one row per image (the image first, then one column per method). True: one column per image
        (the images on top, then one row per method, named on the left), which suits many images.
    share : bool or str, optional
        False: each map is scaled to its own range (every panel looks equally strong). True or ``"method"``:
        the maps of one method share one scale, from 0 to the largest value (symmetric about 0 on the
        diverging map :data:`SIGNED_CMAP` when some value is negative), with a colour bar per method (for an
        overlay, the bar shows the heat colours from 0 to the largest value; they are blended over the image).
        ``"all"``: every map on one scale, one colour bar.
    colorbar_label : str or dict, optional
        What the colour bars measure (with ``share``): one label for every bar, or ``{method title: label}``
        for some of them.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_explanations([np.zeros((4, 4))], {"saliency": [np.eye(4)]}, row_titles=["a zero"])
    >>> [ax.get_title() for ax in fig.axes]
    ['a zero', 'saliency']
    >>> plt.close(fig)
    >>> fig = plot_explanations([np.zeros((4, 4))] * 2, {"a": [np.eye(4), 2 * np.eye(4)]}, overlay=False,
    ...                         transpose=True, share=True)
    >>> [im.get_clim() for ax in fig.axes[2:4] for im in ax.images]   # one scale for the method's row
    [(0.0, 2.0), (0.0, 2.0)]
    >>> plt.close(fig)
    """
    images = [np.asarray(im, dtype=float) for im in images]
    if not images:
        raise ValueError("images must contain at least one image")
    if not isinstance(maps, dict) or not maps:
        raise TypeError("maps must be a non-empty dict {column title: one map per image}")
    if share not in (False, True, "method", "all"):
        raise ValueError(f"share must be False, True, 'method' or 'all', got {share!r}")
    n = len(images)
    for name, column in maps.items():
        if len(column) != n:
            raise ValueError(f"maps[{name!r}] must hold one map per image ({n}), got {len(column)}")
    if row_titles is not None and len(row_titles) != n:
        raise ValueError(f"row_titles must have one entry per image ({n}), got {len(row_titles)}")
    methods = list(maps)
    if colorbar_label is None or isinstance(colorbar_label, str):
        bar_labels = {name: colorbar_label for name in methods}
    elif isinstance(colorbar_label, dict):
        unknown = [k for k in colorbar_label if k not in maps]
        if unknown:
            raise ValueError(f"colorbar_label names methods that are not in maps: {unknown}; maps has {methods}")
        bar_labels = {name: colorbar_label.get(name) for name in methods}
    else:
        raise TypeError(f"colorbar_label must be a str or a dict {{method title: label}}, got "
                        f"{type(colorbar_label).__name__}")
    if share == "all":
        every = _shared_limits([m for column in maps.values() for m in column])
        limits = {name: every for name in methods}
    elif share:
        limits = {name: _shared_limits(maps[name]) for name in methods}
    else:
        limits = {name: None for name in methods}
    n_methods = len(methods)
    if transpose:
        nrows, ncols = 1 + n_methods, n
        fig = _pyplot_figure((size * ncols + (0.9 if share else 0.3), size * nrows + 0.3))
    else:
        nrows, ncols = n, 1 + n_methods
        fig = _pyplot_figure((size * ncols, size * nrows + (0.9 if share else 0.2)))
    fig.set_layout_engine("constrained")
    grid = np.empty((nrows, ncols), dtype=object)
    for r in range(nrows):
        for col in range(ncols):
            grid[r, col] = ax = fig.add_subplot(nrows, ncols, r * ncols + col + 1)
            ax.set_xticks([])
            ax.set_yticks([])
    image_axes = grid[0, :] if transpose else grid[:, 0]
    shown = {name: None for name in methods}   # what each method's colour bar shows
    for i, im in enumerate(images):
        gray = im[..., 0] if im.ndim == 3 and im.shape[2] == 1 else im
        ax = image_axes[i]
        ax.imshow(gray, cmap="gray", interpolation="nearest")
        ax.set_title(row_titles[i] if row_titles is not None else "image", fontsize=LABEL_SIZE)
        for j, name in enumerate(methods, start=1):
            ax = grid[j, i] if transpose else grid[i, j]
            heat = np.asarray(maps[name][i], dtype=float)
            lim = limits[name]
            if overlay:   # an overlay colours positive values only: a signed scale keeps its upper half
                lim = lim if lim is None or lim[0] >= 0 else (0.0, lim[1])
                ax.imshow(overlay_heatmap(gray, heat, cmap="plasma", limits=lim, dim=0.5), interpolation="nearest")
                if lim is not None:
                    shown[name] = matplotlib.cm.ScalarMappable(matplotlib.colors.Normalize(*lim), cmap="plasma")
            else:
                signed = lim is not None and lim[0] < 0
                shown[name] = ax.imshow(heat, cmap=SIGNED_CMAP if signed else VALUE_CMAP, interpolation="nearest",
                                        vmin=None if lim is None else lim[0], vmax=None if lim is None else lim[1])
            if transpose and i == 0:
                ax.set_ylabel(name, fontsize=LABEL_SIZE)
            elif not transpose and i == 0:
                ax.set_title(name, fontsize=LABEL_SIZE)
    if share:
        if share == "all":
            bar = fig.colorbar(shown[methods[-1]], ax=list(grid[1:, :].ravel() if transpose else grid[:, 1:].ravel()),
                               location="right" if transpose else "bottom", shrink=0.8)
            if bar_labels[methods[-1]]:
                bar.set_label(bar_labels[methods[-1]], fontsize=LABEL_SIZE)
        else:
            for j, name in enumerate(methods, start=1):
                axes = list(grid[j, :]) if transpose else list(grid[:, j])
                bar = fig.colorbar(shown[name], ax=axes, location="right" if transpose else "bottom", shrink=0.9)
                if bar_labels[name]:
                    bar.set_label(bar_labels[name], fontsize=LABEL_SIZE)
    return _finish(fig, save)


class GridPanel:
    """An axes showing a 2-D array, with numbers in small grids and highlight boxes, updated in place.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    cmap : str, optional
        Colormap.
    title : str, optional
        Axes title.
    annotate_max : int, optional
        Write the numbers in the cells when both sides are at most this long.
    colorbar_ax : matplotlib.axes.Axes, optional
        Axes for a colour bar (none if omitted).
    raster : bool, optional
        Paint cells and numbers with numpy into figure pixels (fast; for figures rendered at their own
        dpi, as the explorers' views are). ``False`` uses ordinary ``imshow`` and ``Text`` artists, which
        survive ``savefig(dpi=..., bbox_inches="tight")``. The choice picks the panel's backend once
        (``helpers._raster.PixelGrid`` or ``ArtistGrid``); every method below works the same with both.

    Whatever changes the picture (:meth:`show`, :meth:`set_title`, :meth:`set_overlay`,
    :meth:`set_visible`) sets ``static_changed``, which the owning :class:`View` reads (and resets) to
    know that its cached background is stale; the highlight boxes are drawn over that background.

    Examples
    --------
    >>> fig = new_figure(3, 3)
    >>> panel = GridPanel(fig.add_axes([0.05, 0.05, 0.9, 0.85]), title="input")
    >>> panel.show(np.arange(9).reshape(3, 3))
    >>> panel.set_boxes("window", [(0, 0, 2, 2)])
    >>> panel.labels[:4]
    ['0', '1', '2', '3']
    >>> panel.show(np.ones((5, 4)))          # another shape: the same image artist is reused
    >>> panel.image.get_array().shape
    (5, 4)
    """

    def __init__(self, ax, cmap=VALUE_CMAP, title=None, annotate_max=ANNOTATE_MAX, colorbar_ax=None,
                 raster=False):
        self.ax = ax
        ax.set_axis_off()
        self.image = ax.imshow(np.zeros((2, 2)), cmap=cmap, interpolation="nearest", vmin=0, vmax=1)
        backend = _raster.PixelGrid if raster else _raster.ArtistGrid
        self._grid = backend(ax, self.image, title or "", colorbar_ax, self._changed, TITLE_SIZE, LABEL_SIZE,
                             format_value)
        self.raster = self._grid if raster else None  #: the pixel backend (its ``image`` is the painted grid)
        self.title = self._grid.title
        self.colorbar = self._grid.colorbar
        self.labels = []  #: the numbers written in the cells ([] when the grid is too big)
        self.label_dark = None  #: per cell: True when the number is written in black
        self.label_size = 10.0  #: font size of the numbers, in points
        self._boxes = {}
        self.annotate_max = annotate_max
        self.shape = None
        self.array = None
        self._dirty = False
        self._signature = None
        self.static_changed = True  # read and reset by the view: redraw the cached background

    @property
    def texts(self):
        """The number ``Text`` artists (ordinary panels; a raster panel paints its numbers)."""
        return self._grid.texts

    @property
    def lines(self):
        """The grid lines' ``LineCollection`` (ordinary panels; None in raster mode)."""
        return self._grid.lines

    @property
    def overlay(self):
        """The tint's ``imshow`` artist (ordinary panels, once tinted; None in raster mode)."""
        return self._grid.overlay

    def _changed(self):
        self.static_changed = True

    # -- data -------------------------------------------------------------------------------
    def show(self, array, clim=None, annotate=None, cmap=None, title=None, signed=None):
        """Show ``array`` (2-D, or (H, W, 3) colour); everything optional keeps its previous value.

        ``clim`` None picks limits from the data (symmetric around zero when ``signed``).
        ``annotate`` None writes numbers when the grid is small.
        """
        arr = np.asarray(array, dtype=float)
        h, w = arr.shape[:2]
        signature = (arr.shape, hash(arr.tobytes()), None if clim is None else tuple(float(v) for v in clim),
                     annotate, cmap, title, signed)
        if signature == self._signature:
            return  # nothing to redraw: the cached background stays valid
        self._signature = signature
        self.static_changed = True
        if cmap is not None and cmap != self.image.get_cmap().name:
            self.image.set_cmap(cmap)
        self.image.set_data(arr)
        if arr.ndim == 2:
            if clim is None:
                clim = _symmetric_limits(arr) if signed else _limits(arr)
            self.image.set_clim(*clim)
        if (h, w) != self.shape:
            self.image.set_extent((-0.5, w - 0.5, h - 0.5, -0.5))
            self.ax.set_xlim(-0.5, w - 0.5)
            self.ax.set_ylim(h - 0.5, -0.5)
            self.shape = (h, w)
        if title is not None:
            self.title.set_text(title)
        self._grid.update_colorbar(self.image)
        self.array = arr
        if annotate is None:
            annotate = max(h, w) <= self.annotate_max
        self._annotate(arr if (annotate and arr.ndim == 2) else None)
        self._dirty = True

    def cell_colours(self):
        """(h, w, 4) uint8 colours of the cells."""
        arr = self.array
        if arr.ndim == 3:
            rgb = np.clip(arr[..., :3], 0, 1)
            rgba = np.concatenate([rgb, np.ones((*arr.shape[:2], 1))], axis=-1)
            return (rgba * 255).astype(np.uint8)
        return self.image.cmap(self.image.norm(arr), bytes=True)

    def flush(self):
        """Paint what changed into the pixels (raster mode; nothing to do otherwise). Views call it before
        rendering."""
        if not self._dirty or self.array is None:
            return
        self._grid.paint(self)
        self._dirty = False

    def _annotate(self, arr):
        if arr is None:
            self._grid.hide_numbers()
            self.labels = []
            return
        h, w = arr.shape
        # font size from the cell size in points
        self.ax.apply_aspect()
        bbox = self.ax.get_position()
        fig_w, fig_h = self.ax.figure.get_size_inches()
        cell_pt = min(bbox.width * fig_w * 72 / w, bbox.height * fig_h * 72 / h)
        labels = [format_value(v) for v in arr.ravel()]
        longest = max((len(s) for s in labels), default=1)
        size = float(np.clip(cell_pt * (0.42 if longest <= 2 else 1.25 / max(longest, 1)), 5, 14))
        rgba = self.image.cmap(self.image.norm(arr))
        lum = (0.299 * rgba[..., 0] + 0.587 * rgba[..., 1] + 0.114 * rgba[..., 2]).ravel()
        self.label_dark = lum > 0.5
        self.label_size = size
        self.labels = labels
        self._grid.show_numbers(labels, self.label_dark, size, (h, w))

    def set_title(self, text):
        """Change the title; the cached picture is redrawn only if the text really changed."""
        if text != self.title.get_text():
            self.title.set_text(text)
            self.static_changed = True

    def set_visible(self, visible):
        """Show or hide the whole panel (axes, raster, colour bar)."""
        if visible != self.ax.get_visible():
            self.static_changed = True
        self.ax.set_visible(visible)
        self._grid.set_visible(visible)

    def set_overlay(self, mask, color="#888888", alpha=0.55):
        """Tint the cells where ``mask`` is True (e.g. padded zeros); None removes the tint."""
        if self._grid.set_tint(mask, color, alpha):
            self._dirty = True
            self.static_changed = True

    # -- highlight boxes ----------------------------------------------------------------------
    def set_boxes(self, key, boxes, color=HIGHLIGHT, linewidth=3.0, linestyle="-"):
        """Outline rectangles ``(row, col, height, width)`` (cell units); one pool of patches per key."""
        pool = self._boxes.setdefault(key, [])
        boxes = list(boxes or [])
        while len(pool) < len(boxes):
            patch = Rectangle((0, 0), 1, 1, fill=False, zorder=5)
            patch.set_animated(self._grid.animates)  # views redraw only these on a step change
            self.ax.add_patch(patch)
            pool.append(patch)
        for i, patch in enumerate(pool):
            if i < len(boxes):
                r, c, hh, ww = boxes[i]
                patch.set_bounds(c - 0.5, r - 0.5, ww, hh)
                patch.set_edgecolor(color)
                patch.set_linewidth(linewidth)
                patch.set_linestyle(linestyle)
                patch.set_visible(True)
            else:
                patch.set_visible(False)

    def set_window(self, key, rows, cols, color=HIGHLIGHT, linewidth=3.0):
        """Outline the cells ``rows x cols``: one box when contiguous, one per cell when spread (dilation)."""
        rows, cols = list(rows), list(cols)
        if not rows or not cols:
            self.set_boxes(key, [])
            return
        contiguous = (rows == list(range(rows[0], rows[0] + len(rows)))
                      and cols == list(range(cols[0], cols[0] + len(cols))))
        if contiguous:
            self.set_boxes(key, [(rows[0], cols[0], len(rows), len(cols))], color, linewidth)
        else:
            if self.shape and max(self.shape) <= 16:
                self.set_boxes(key, [(r, c, 1, 1) for r in rows for c in cols], color, linewidth)
            else:  # cells too small to outline one by one: the span of the dilated window
                self.set_boxes(key, [(rows[0], cols[0], rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)], color,
                               linewidth, "--")

    def box_patches(self):
        """Every highlight rectangle of the panel (hidden ones included)."""
        return [patch for pool in self._boxes.values() for patch in pool]

    def visible_texts(self):
        """The number labels currently drawn as matplotlib ``Text`` artists (pyplot figures)."""
        return [t for t in self.texts if t.get_visible()]


# --------------------------------------------------------------------------------------------
# Views for the explorers
# --------------------------------------------------------------------------------------------


class View:
    """Base class: owns a figure (not known to pyplot) and renders it to PNG bytes.

    Parameters
    ----------
    width, height : float
        Figure size in inches.
    figure : matplotlib.figure.Figure, optional
        Draw into this figure instead (the public functions pass a pyplot figure).
    dpi : float, optional
        Resolution of the PNG.

    A view picks its backend once: its own figure gets raster panels, bitmap texts and blitting
    (``helpers._raster.PIXELS``); a pyplot figure gets ordinary artists (``ARTISTS``). Subclasses build
    their panels with :meth:`_panel` and their texts with :meth:`_text` (texts that change at every
    step with :meth:`_animate`), then draw in ``update(...)``; :meth:`show` takes the same values as one
    dict. The cached background is invalidated in one way, :meth:`invalidate`: texts made by :meth:`_text`
    call it when they change, panels report through their ``static_changed`` flag, and a subclass calls it
    itself after changing other artists.

    Examples
    --------
    >>> view = View(3, 2)
    >>> view.show_problem("kernel 7 is larger than the padded input 6")
    >>> view.problem_text.get_visible(), view.to_png()[:4]
    (True, b'\\x89PNG')
    """

    def __init__(self, width, height, figure=None, dpi=VIEW_DPI):
        self.figure = figure if figure is not None else new_figure(width, height, dpi)
        if figure is not None:
            figure.set_size_inches(width, height)
        self.problem_text = self.figure.text(0.5, 0.5, "", ha="center", va="center", fontsize=TITLE_SIZE + 1,
                                             color="#8b0000", visible=False, wrap=False)
        self._hidden_by_problem = []
        self.backend = _raster.PIXELS if figure is None else _raster.ARTISTS
        self.fast = self.backend.raster
        self.panels_all = []
        self.animated_texts = []
        self.static_dirty = True
        self._background = None

    def invalidate(self):
        """The cached background no longer matches the figure: the next :meth:`to_png` redraws everything."""
        self.static_dirty = True

    def _panel(self, ax, **kwargs):
        """A :class:`GridPanel` with the view's backend (raster in the view's own figure)."""
        panel = GridPanel(ax, raster=self.backend.raster, **kwargs)
        self.panels_all.append(panel)
        return panel

    def _text(self, x, y, text, size=TITLE_SIZE, color="black", ha="center", va="center"):
        """A one-line figure text that invalidates the view when it changes.

        A cached-bitmap ``PixelText`` in the view's own figure, an ordinary ``Text`` in a pyplot figure
        (saved at any dpi); both have ``set_text``, ``set_anchor`` and ``set_visible``.
        """
        text = self.backend.text(self.figure, x, y, text, size=size, color=color, ha=ha, va=va)
        text.on_change = self.invalidate
        return text

    def _animate(self, text):
        """Mark a text that changes at every step: redrawn over the cached background (own figure only)."""
        text.set_animated(self.backend.raster)
        self.animated_texts.append(text)
        return text

    def set_text(self, artist, text):
        """Change a text, invalidating the cached background only when it really changes.

        Texts made by :meth:`_text` and panel titles (:meth:`GridPanel.set_title`) do this by themselves.
        """
        if artist.get_text() != text:
            artist.set_text(text)
            self.invalidate()

    def show(self, step):
        """Draw one step from a dict (the plain dict an explorer's compute step returns).

        The keys are the names of ``update``'s parameters; other keys are ignored.
        """
        names = _UPDATE_PARAMETERS.get(type(self))
        if names is None:
            names = _UPDATE_PARAMETERS[type(self)] = frozenset(inspect.signature(self.update).parameters)
        self.update(**{key: value for key, value in step.items() if key in names})

    def update(self, *args, **kwargs):  # pragma: no cover - every view defines its own
        raise NotImplementedError

    def show_problem(self, text):
        """Hide every axes and write ``text`` in the middle instead of a picture."""
        self.invalidate()
        for artist in [*self.figure.axes, *self.figure.images, *self.figure.artists]:
            if artist.get_visible():
                artist.set_visible(False)
                self._hidden_by_problem.append(artist)
        self.problem_text.set_text(_wrap(text, 70))
        self.problem_text.set_visible(True)

    def clear_problem(self):
        """Undo :meth:`show_problem` (called by every ``update``)."""
        if self.problem_text.get_visible():
            self.invalidate()
        for artist in self._hidden_by_problem:
            artist.set_visible(True)
        self._hidden_by_problem = []
        self.problem_text.set_visible(False)

    def flush(self):
        """Paint the raster panels (done by :meth:`to_png`; call it before ``savefig`` yourself)."""
        for panel in self.panels_all:
            panel.flush()

    def to_png(self) -> bytes:
        """The figure as PNG bytes.

        Everything that does not move at a step (grids, numbers, titles, colour bars) is drawn once and
        cached; a step change only restores that background and draws the highlight boxes and the
        step's texts over it (matplotlib's "blitting").
        """
        self.flush()
        canvas = self.figure.canvas
        for panel in self.panels_all:
            if panel.static_changed:
                self.static_dirty = True
                panel.static_changed = False
        if self.static_dirty or self._background is None:
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            self.static_dirty = False
        else:
            canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        for artist in self._animated_artists():
            if artist.get_visible() and (artist.axes is None or artist.axes.get_visible()):
                artist.draw(renderer)
        return encode_png(np.asarray(canvas.buffer_rgba()))

    def _animated_artists(self):
        patches = [p for panel in self.panels_all for p in panel.box_patches() if p.get_animated()]
        texts = [] if self.problem_text.get_visible() else [t for t in self.animated_texts if t.get_animated()]
        return patches + texts

    @property
    def size_px(self):
        """(width, height) of the PNG in pixels."""
        return self.figure.canvas.get_width_height()


#: Parameter names of each view class's ``update`` (read by :meth:`View.show`).
_UPDATE_PARAMETERS = {}


class ConvView(View):
    """Input (padded, with the window), kernel and output (with the cell being filled) side by side.

    Examples
    --------
    >>> from helpers import conv
    >>> image = np.zeros((6, 6)); image[:, :3] = 10
    >>> kernel = np.array([[1, 0, -1]] * 3)
    >>> d = conv.conv_step_details(image, kernel, 0, 1)
    >>> view = ConvView()
    >>> view.update(image, kernel, conv.filter2d(image, kernel), d["rows"], d["cols"], (0, 1), d["pad"], d["sum"])
    >>> view.output.image.get_array().shape, view.sum_text.get_text()
    ((4, 4), 'sum of products = 30')
    """

    def __init__(self, figure=None, width=10.0, height=3.9):
        super().__init__(width, height, figure)
        fig = self.figure
        self.input = self._panel(fig.add_axes([0.01, 0.06, 0.34, 0.78]), cmap="gray", title="input")
        self.kernel = self._panel(fig.add_axes([0.40, 0.30, 0.17, 0.44]), cmap=SIGNED_CMAP, title="kernel")
        self.output = self._panel(fig.add_axes([0.62, 0.06, 0.30, 0.78]), cmap=SIGNED_CMAP, title="output",
                                colorbar_ax=fig.add_axes([0.935, 0.10, 0.015, 0.70]))
        # the course's symbols: ⋆ for cross-correlation (what a conv layer computes), * only for true convolution
        self.times = self._text(0.375, 0.50, "⋆", size=34)   # the glyph is small: larger than "="
        self.equals = self._text(0.595, 0.50, "=", size=22)
        self.sum_text = self._animate(self._text(0.485, 0.17, "", size=LABEL_SIZE + 1, color=HIGHLIGHT))

    def update(self, image, kernel, output, rows, cols, out_cell, pad=(0, 0, 0, 0), total=None,
               dilation=1, image_title=None):
        """Draw one step. ``image`` is the unpadded (H, W) input; ``rows``/``cols`` are padded coordinates."""
        self.clear_problem()
        image = np.asarray(image, dtype=float)
        top, bottom, left, right = pad
        padded = np.pad(image, ((top, bottom), (left, right))) if any(pad) else image
        small = max(padded.shape) <= ANNOTATE_MAX
        lo, hi = _limits(image)
        self.input.show(padded, clim=(min(lo, 0.0) if any(pad) else lo, hi), annotate=small,
                        title=image_title or self._input_title(image.shape, padded.shape))
        if any(pad):
            mask = np.ones(padded.shape, dtype=bool)
            mask[top:top + image.shape[0], left:left + image.shape[1]] = False
            self.input.set_overlay(mask)
            self.input.set_boxes("image", [(top, left, image.shape[0], image.shape[1])], color="#555555",
                                 linewidth=1.5, linestyle="--")
        else:
            self.input.set_overlay(None)
            self.input.set_boxes("image", [])
        self.input.set_window("window", rows, cols)
        kernel = np.asarray(kernel, dtype=float)
        kh, kw = kernel.shape
        span = f", dilation {dilation}" if dilation > 1 else ""
        self.kernel.show(kernel, clim=_symmetric_limits(kernel), annotate=max(kernel.shape) <= 7,
                         title=f"kernel {kh} x {kw}{span}")
        output = np.asarray(output, dtype=float)
        self.output.show(output, clim=_symmetric_limits(output), annotate=max(output.shape) <= ANNOTATE_MAX,
                         title=f"output {output.shape[0]} x {output.shape[1]}")
        self.output.set_boxes("cell", [(out_cell[0], out_cell[1], 1, 1)])
        self.sum_text.set_text("" if total is None else f"sum of products = {format_value(total)}")

    @staticmethod
    def _input_title(shape, padded_shape):
        if tuple(shape) == tuple(padded_shape):
            return f"input {shape[0]} x {shape[1]}"
        return f"input {shape[0]} x {shape[1]}, padded {padded_shape[0]} x {padded_shape[1]}"


class VolumeConvView(View):
    """An (H, W, 3) input as three slices, one filter's three kernel slices, and up to four output maps.

    Examples
    --------
    >>> view = VolumeConvView()
    >>> x = np.arange(48.0).reshape(4, 4, 3) / 48
    >>> k = np.ones((3, 3, 3, 2))
    >>> from helpers import conv
    >>> out = conv.conv2d(x, k)
    >>> view.update(x, k, out, [0, 1, 2], [0, 1, 2], (0, 0))
    >>> sum(ax.get_visible() for ax in view.output_axes)
    2
    """

    CHANNEL_CMAPS = ("Reds", "Greens", "Blues")
    MAX_FILTERS = 4

    def __init__(self, figure=None, width=10.0, height=5.6):
        super().__init__(width, height, figure)
        fig = self.figure
        self.inputs, self.kernels = [], []
        names = ("red", "green", "blue")
        for i in range(3):
            y = 0.68 - i * 0.31
            self.inputs.append(self._panel(fig.add_axes([0.01, y, 0.25, 0.26]), cmap=self.CHANNEL_CMAPS[i],
                                         title=f"input: {names[i]}"))
            self.kernels.append(self._panel(fig.add_axes([0.30, y + 0.02, 0.15, 0.22]), cmap=SIGNED_CMAP,
                                          title=f"kernel slice {i + 1}"))
        self.output_panels = []
        self.output_axes = []
        for j in range(self.MAX_FILTERS):
            r, c = divmod(j, 2)
            ax = fig.add_axes([0.52 + c * 0.245, 0.50 - r * 0.47, 0.22, 0.40])
            self.output_axes.append(ax)
            self.output_panels.append(self._panel(ax, cmap=SIGNED_CMAP, title=f"filter {j + 1}"))
        self.plus = [self._text(0.47, 0.68 - i * 0.31 + 0.13, "+" if i else "", size=18) for i in range(3)]
        self.sum_text = self._animate(self._text(0.375, 0.015, "", size=LABEL_SIZE, color=HIGHLIGHT,
                                                 va="bottom"))

    def update(self, image, kernel, output, rows, cols, out_cell, pad=(0, 0, 0, 0), channel_sums=None,
               total=None):
        """``image`` (H, W, 3) unpadded, ``kernel`` (kh, kw, 3, F), ``output`` (H', W', F)."""
        self.clear_problem()
        image = np.asarray(image, dtype=float)
        kernel = np.asarray(kernel, dtype=float)
        output = np.asarray(output, dtype=float)
        top, bottom, left, right = pad
        padded = np.pad(image, ((top, bottom), (left, right), (0, 0))) if any(pad) else image
        small = max(padded.shape[:2]) <= 8
        lo, hi = _limits(image)
        mask = None
        if any(pad):
            mask = np.ones(padded.shape[:2], dtype=bool)
            mask[top:top + image.shape[0], left:left + image.shape[1]] = False
        kmax = _symmetric_limits(kernel[..., 0])
        for i in range(3):
            self.inputs[i].show(padded[..., i], clim=(min(lo, 0.0), hi), annotate=small)
            self.inputs[i].set_overlay(mask)
            self.inputs[i].set_window("window", rows, cols, linewidth=2.5)
            self.kernels[i].show(kernel[:, :, i, 0], clim=kmax, annotate=kernel.shape[0] <= 5)
        f = output.shape[2]
        for j, panel in enumerate(self.output_panels):
            panel.set_visible(j < f)
            if j < f:
                panel.show(output[:, :, j], clim=_symmetric_limits(output[:, :, j]),
                           annotate=max(output.shape[:2]) <= 6,
                           title=f"feature map {j + 1}" + (" (kernel shown)" if j == 0 and f > 1 else ""))
                panel.set_boxes("cell", [(out_cell[0], out_cell[1], 1, 1)], linewidth=2.5)
        if channel_sums is not None and total is not None:
            parts = " + ".join(format_value(s) for s in channel_sums)
            self.sum_text.set_text(f"map 1: {parts} = {format_value(total)}")
        else:
            self.sum_text.set_text("")


class PoolView(View):
    """Input with the pooling window, pooled output, shifted input, pooled shifted output (changed cells marked).

    Examples
    --------
    >>> from helpers import conv
    >>> x = np.zeros((4, 4)); x[1, 1] = 9
    >>> view = PoolView()
    >>> view.update(x, conv.max_pool2d(x), [0, 1], [0, 1], (0, 0), np.roll(x, 1, axis=1),
    ...             conv.max_pool2d(np.roll(x, 1, axis=1)))
    >>> view.panels[3].title.get_text()
    'shifted: 2 of 4 changed'
    """

    def __init__(self, figure=None, width=10.5, height=3.3):
        super().__init__(width, height, figure)
        fig = self.figure
        titles = ("input", "pooled", "input shifted", "pooled, shifted")
        cmaps = ("gray", VALUE_CMAP, "gray", VALUE_CMAP)
        xs = (0.01, 0.27, 0.51, 0.77)
        ws = (0.23, 0.20, 0.23, 0.20)
        self.panels = [self._panel(fig.add_axes([x, 0.05, w, 0.78]), cmap=c, title=t)
                       for x, w, c, t in zip(xs, ws, cmaps, titles, strict=True)]
        self.arrow = self._text(0.255, 0.45, "\u2192", size=20)
        self.arrow2 = self._text(0.755, 0.45, "\u2192", size=20)

    def update(self, image, pooled, rows, cols, out_cell, shifted, shifted_pooled, pad=(0, 0, 0, 0),
               argmax=None, shift=0, mode="max"):
        """Draw one step; ``rows``/``cols`` are padded coordinates of the window."""
        self.clear_problem()
        image = np.asarray(image, dtype=float)
        top, _, left, _ = pad
        lo, hi = _limits(image)
        small = max(image.shape) <= 12
        self.panels[0].show(image, clim=(lo, hi), annotate=small, title=f"input {image.shape[0]} x {image.shape[1]}")
        r0, c0 = rows[0] - top, cols[0] - left
        self.panels[0].set_boxes("window", [(r0, c0, len(rows), len(cols))])
        if argmax is not None and mode == "max":
            ar, ac = argmax
            self.panels[0].set_boxes("winner", [(r0 + ar, c0 + ac, 1, 1)], color=HIGHLIGHT_2, linewidth=2.5)
        else:
            self.panels[0].set_boxes("winner", [])
        pooled = np.asarray(pooled, dtype=float)
        shifted_pooled = np.asarray(shifted_pooled, dtype=float)
        plo, phi = _limits(np.concatenate([pooled.ravel(), shifted_pooled.ravel()]))
        psmall = max(pooled.shape) <= ANNOTATE_MAX
        name = "max" if mode == "max" else "average"
        self.panels[1].show(pooled, clim=(plo, phi), annotate=psmall,
                            title=f"{name} pooled {pooled.shape[0]} x {pooled.shape[1]}")
        self.panels[1].set_boxes("cell", [(out_cell[0], out_cell[1], 1, 1)])
        self.panels[2].show(shifted, clim=(lo, hi), annotate=small, title=f"input shifted {shift} px right")
        self.panels[3].show(shifted_pooled, clim=(plo, phi), annotate=psmall)
        if pooled.shape == shifted_pooled.shape:
            changed = ~np.isclose(pooled, shifted_pooled)
            cells = [(r, c, 1, 1) for r, c in zip(*np.nonzero(changed), strict=True)]
            big = max(pooled.shape) > 16
            self.panels[3].set_boxes("changed", [] if big else cells, color=HIGHLIGHT_2, linewidth=2.0)
            self.panels[3].set_overlay(changed if big else None, color=HIGHLIGHT_2, alpha=0.45)
            self.panels[3].set_title(f"shifted: {int(changed.sum())} of {changed.size} changed")


class ReceptiveFieldView(View):
    """The input pixels one output unit sees (2-D) next to the 1-D "tower" of units layer by layer.

    Examples
    --------
    >>> view = ReceptiveFieldView()
    >>> mask = np.zeros(9, dtype=bool); mask[2:7] = True
    >>> view.update(np.outer(mask, mask), [np.arange(9) < 99, mask[:7], np.array([0, 0, 1, 0, 0]) > 0],
    ...             [[0.0] * 9, [1.0 + i for i in range(7)], [2.0 + i for i in range(5)]], unit=(2, 2))
    >>> view.mask_panel.image.get_array().shape
    (9, 9)
    """

    def __init__(self, figure=None, width=10.0, height=4.2):
        super().__init__(width, height, figure)
        fig = self.figure
        # two colours, the tower's (red: used by the unit, grey: not used), named in a legend under the
        # panel, and white lines between the pixels so they can be counted
        self.mask_panel = self._panel(fig.add_axes([0.01, 0.16, 0.36, 0.69]),
                                      cmap=matplotlib.colors.ListedColormap([RF_UNUSED, HIGHLIGHT]),
                                      title="input pixels seen", annotate_max=0)
        self.pixel_grid = LineCollection([], colors="white", linewidths=1.0, zorder=3)
        self.mask_panel.ax.add_collection(self.pixel_grid)
        self.legend = fig.legend(handles=[Patch(facecolor=colour, edgecolor="#444444", label=label)
                                          for colour, label in [(HIGHLIGHT, "used by the unit"),
                                                                (RF_UNUSED, "not used")]],
                                 loc="lower center", bbox_to_anchor=(0.19, 0.0), ncol=2, frameon=False,
                                 fontsize=LABEL_SIZE, handlelength=1.0, handletextpad=0.4, columnspacing=1.0)
        self.tower_ax = fig.add_axes([0.47, 0.14, 0.51, 0.71])
        ax = self.tower_ax
        ax.set_axis_off()  # no tick machinery: row names and pixel positions are cheap one-line texts
        self.tower = ax.scatter([], [], s=40, marker="s", linewidths=0.5, edgecolors="#444444")
        self.links = LineCollection([], colors="#ff1f5b", linewidths=0.8, alpha=0.5)
        ax.add_collection(self.links)
        self.tower_title = self._text(0.725, 0.88, "which units feed the chosen output", va="bottom")
        self.axis_label = self._text(0.725, 0.01, "position in the input (pixels)", size=LABEL_SIZE, va="bottom")
        self.labels = []
        self.ticks = []

    def update(self, mask2d, layer_masks, layer_positions, unit=(0, 0), names=None):
        """``layer_masks[i]``: bool per unit of layer i (0 = input); ``layer_positions[i]``: their centres."""
        self.clear_problem()
        self.invalidate()  # the tower's scatter, links and limits are not text handles: redraw them
        mask2d = np.asarray(mask2d, dtype=float)
        self.mask_panel.show(mask2d, clim=(0, 1), annotate=False,
                             title=f"input pixels seen by unit {tuple(int(u) for u in unit)}: "
                                   f"{int(mask2d.sum())}")
        rows, cols = np.nonzero(mask2d)
        h, w = mask2d.shape
        self.pixel_grid.set_segments([[(-0.5, y - 0.5), (w - 0.5, y - 0.5)] for y in range(1, h)]
                                     + [[(x - 0.5, -0.5), (x - 0.5, h - 0.5)] for x in range(1, w)])
        if rows.size:   # the span of the receptive field, framed in black (the pixels inside are red)
            self.mask_panel.set_boxes("field", [(rows.min(), cols.min(), rows.max() - rows.min() + 1,
                                                 cols.max() - cols.min() + 1)], color="black", linewidth=2)
        else:
            self.mask_panel.set_boxes("field", [])
        n_layers = len(layer_masks)
        offsets, colours, segs = [], [], []
        on, off = HIGHLIGHT, RF_UNUSED
        for i, (m, pos) in enumerate(zip(layer_masks, layer_positions, strict=True)):
            y = i
            for p, flag in zip(pos, m, strict=True):
                offsets.append((p, y))
                colours.append(on if flag else off)
            if i > 0:
                prev_m, prev_pos = layer_masks[i - 1], layer_positions[i - 1]
                prev_on = [p for p, f in zip(prev_pos, prev_m, strict=True) if f]
                here_on = [p for p, f in zip(pos, m, strict=True) if f]
                if here_on and prev_on:
                    segs += [[(min(prev_on), y - 1), (min(here_on), y)], [(max(prev_on), y - 1), (max(here_on), y)]]
        self.tower.set_offsets(np.array(offsets) if offsets else np.zeros((0, 2)))
        self.tower.set_facecolors(colours if colours else "none")
        self.links.set_segments(segs)
        xs = [p for pos in layer_positions for p in pos] or [0]
        self.tower_ax.set_xlim(min(xs) - 1, max(xs) + 1)
        self.tower_ax.set_ylim(-0.6, n_layers - 0.4)
        names = names or (["input"] + [f"layer {i}" for i in range(1, n_layers)])
        ax = self.tower_ax

        def at(x, y):  # data -> figure fraction, evaluated at draw time (after the limits are set)
            # through transFigure, not by dividing by the figure's size in pixels: the inline backend saves with
            # bbox_inches="tight", which crops the figure box and shifts transFigure while it draws
            return lambda fig: tuple(fig.transFigure.inverted().transform(ax.transData.transform((x, y))))

        while len(self.labels) < n_layers:
            self.labels.append(self._text(0, 0, "", size=LABEL_SIZE, ha="right"))
        for i, t in enumerate(self.labels):
            t.set_visible(i < n_layers)
            if i < n_layers:
                t.set_anchor(at(min(xs) - 1.2, i))
                t.set_text(names[i])
        input_size = len(layer_positions[0]) if layer_positions else 0
        step = 5 if input_size <= 40 else 10
        marks = list(range(0, input_size, step))
        while len(self.ticks) < len(marks):
            self.ticks.append(self._text(0, 0, "", size=LABEL_SIZE, va="top"))
        for j, t in enumerate(self.ticks):
            t.set_visible(j < len(marks))
            if j < len(marks):
                t.set_anchor(at(marks[j], -0.45))
                t.set_text(str(marks[j]))
        n_units = max((len(p) for p in layer_positions), default=1)
        self.tower.set_sizes([float(np.clip(9000 / max(n_units, 1) ** 1.6, 4, 80))])


class FeatureMapView(View):
    """Input image, one feature map (with colour bar) and, for conv layers, the learned filter.

    Examples
    --------
    >>> view = FeatureMapView()
    >>> view.update(np.ones((8, 8, 1)), np.arange(16.0).reshape(4, 4), np.eye(3), "conv 1", 0)
    >>> view.map_panel.image.get_array().shape, view.filter_ax.get_visible()
    ((4, 4), True)
    >>> view.update(np.ones((8, 8, 1)), np.ones((2, 2)), None, "pool 1", 3)
    >>> view.filter_ax.get_visible()
    False
    """

    def __init__(self, figure=None, width=10.0, height=3.6):
        super().__init__(width, height, figure)
        fig = self.figure
        self.input_panel = self._panel(fig.add_axes([0.01, 0.06, 0.28, 0.78]), cmap="gray", title="input",
                                     annotate_max=0)
        self.map_panel = self._panel(fig.add_axes([0.33, 0.06, 0.28, 0.78]), cmap=VALUE_CMAP,
                                   title="feature map", annotate_max=0,
                                   colorbar_ax=fig.add_axes([0.615, 0.10, 0.012, 0.70]))
        self.filter_ax = fig.add_axes([0.69, 0.06, 0.25, 0.78])
        self.filter_panel = self._panel(self.filter_ax, cmap=SIGNED_CMAP, title="filter",
                                      annotate_max=5, colorbar_ax=fig.add_axes([0.945, 0.10, 0.012, 0.70]))

    def update(self, image, feature_map, kernel, layer_name, channel):
        """``image`` (H, W, C); ``feature_map`` (h, w); ``kernel`` (kh, kw) or None for pooling layers."""
        self.clear_problem()
        image = np.asarray(image, dtype=float)
        shown = image[..., 0] if image.shape[-1] == 1 else image[..., :3]
        if shown.ndim == 3:
            lo, hi = _limits(shown)
            shown = np.clip((shown - lo) / (hi - lo), 0, 1)
        self.input_panel.show(shown, title=f"input {image.shape[0]} x {image.shape[1]} x {image.shape[2]}")
        fmap = np.asarray(feature_map, dtype=float)
        signed = bool(np.nanmin(fmap) < 0) if fmap.size else False
        self.map_panel.show(fmap, cmap=SIGNED_CMAP if signed else VALUE_CMAP, signed=signed,
                            title=f"{layer_name}: channel {channel} ({fmap.shape[0]} x {fmap.shape[1]})")
        has_kernel = kernel is not None
        self.filter_panel.set_visible(has_kernel)
        if has_kernel:
            k = np.asarray(kernel, dtype=float)
            self.filter_panel.show(k, clim=_symmetric_limits(k),
                                   title=f"filter {channel} (input channel 0), {k.shape[0]} x {k.shape[1]}")


class ExplanationView(View):
    """The image, an explanation map, the map blended over the image, and the class probabilities as bars.

    The bars sit on a bare axes (no ticks) with the class numbers and the title as the view's cached texts, so a
    redraw costs little more than the three pictures.

    Examples
    --------
    >>> view = ExplanationView()
    >>> probs = np.full(10, 0.1)
    >>> view.update(np.zeros((8, 8, 1)), np.eye(8), probs, 3, 0, "saliency", "logit")
    >>> view.map_panel.image.get_array().shape, view.bars[3].get_facecolor() == view.bars[0].get_facecolor()
    ((8, 8), False)
    >>> [t.get_text() for t in view.class_texts][:3], view.bar_title.get_text()
    (['0', '1', '2'], 'probabilities (explained: 3)')
    """

    BAR_BOX = (0.76, 0.16, 0.225, 0.62)

    def __init__(self, figure=None, width=10.5, height=3.4, classes=10):
        super().__init__(width, height, figure)
        fig = self.figure
        self.input_panel = self._panel(fig.add_axes([0.01, 0.06, 0.21, 0.76]), cmap="gray", title="input",
                                       annotate_max=0)
        self.map_panel = self._panel(fig.add_axes([0.24, 0.06, 0.21, 0.76]), cmap=VALUE_CMAP, title="map",
                                     annotate_max=0, colorbar_ax=fig.add_axes([0.455, 0.10, 0.01, 0.68]))
        self.overlay_panel = self._panel(fig.add_axes([0.50, 0.06, 0.21, 0.76]), title="over the image",
                                         annotate_max=0)
        left, bottom, w, h = self.BAR_BOX
        self.bar_ax = fig.add_axes([left, bottom, w, h])
        self.bar_ax.set_axis_off()
        self.bar_title = self._text(left + w / 2, 0.88, "probabilities", size=TITLE_SIZE)
        self.classes = 0
        self.bars = []
        self.class_texts = []
        self._set_classes(classes)

    def _set_classes(self, classes):
        if classes == self.classes:
            return
        ax = self.bar_ax
        for bar in self.bars:
            bar.remove()
        for text in self.class_texts:
            text.set_visible(False)
        self.bars = list(ax.bar(np.arange(classes), np.zeros(classes), color="#9aa5b1", width=0.8))
        ax.plot([-0.5, classes - 0.5], [0, 0], color="#555555", lw=1)
        ax.set_xlim(-0.5, classes - 0.5)
        ax.set_ylim(0, 1)
        left, bottom, w, _h = self.BAR_BOX
        labelled = range(classes) if classes <= 12 else range(0, classes, -(-classes // 10))
        self.class_texts = [self._text(left + w * (k + 0.5) / classes, bottom - 0.06, str(k), size=LABEL_SIZE - 1)
                            for k in labelled]
        self.classes = classes
        self.invalidate()

    def update(self, image, map, probabilities, class_index, predicted, method, score, label=None):
        """``image`` (H, W, C); ``map`` (H, W); ``probabilities`` one per class; the class explained and predicted."""
        self.clear_problem()
        image = np.asarray(image, dtype=float)
        gray = image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image
        truth = "" if label is None else f", label {label}"
        self.input_panel.show(gray, title=f"input (predicted {predicted}{truth})")
        heat = np.asarray(map, dtype=float)
        self.map_panel.show(heat, title=f"{method} for class {class_index}")
        self.overlay_panel.show(overlay_heatmap(gray, heat), title="map over the image")
        probs = np.asarray(probabilities, dtype=float)
        self._set_classes(len(probs))
        for k, bar in enumerate(self.bars):
            bar.set_height(float(probs[k]))
            bar.set_color(HIGHLIGHT if k == class_index else ("#0072b2" if k == predicted else "#9aa5b1"))
        self.bar_title.set_text(f"probabilities (explained: {class_index})")
        self.invalidate()


def feature_map_mosaic(maps, columns=None, gap=1):
    """Every channel of a feature map stack tiled into one RGB picture (one colour scale for all channels).

    Parameters
    ----------
    maps : array_like
        ``(h, w, channels)``.
    columns : int, optional
        Tiles per row; by default 3 for up to 6 channels, else about the square root of the count.
    gap : int, optional
        White pixels between tiles.

    Returns
    -------
    numpy.ndarray
        ``(rows * (h + gap) - gap, columns * (w + gap) - gap, 3)`` floats in [0, 1].

    Examples
    --------
    >>> feature_map_mosaic(np.zeros((28, 28, 6))).shape
    (57, 86, 3)
    >>> feature_map_mosaic(np.ones((10, 10, 16))).shape
    (43, 43, 3)
    """
    maps = np.asarray(maps, dtype=float)
    if maps.ndim != 3:
        raise ValueError(f"maps must have 3 dimensions (h, w, channels), got shape {maps.shape}")
    h, w, n = maps.shape
    if columns is None:
        columns = 3 if n <= 6 else int(np.ceil(np.sqrt(n)))
    columns = min(require_positive_int("columns", columns), max(n, 1))
    gap = int(gap)
    rows = -(-n // columns)
    lo = min(0.0, float(np.nanmin(maps))) if maps.size else 0.0
    hi = float(np.nanmax(maps)) if maps.size else 1.0
    norm = (maps - lo) / (hi - lo) if hi > lo else np.zeros_like(maps)
    rgb = matplotlib.colormaps[VALUE_CMAP](np.nan_to_num(norm))[..., :3]
    out = np.ones((rows * (h + gap) - gap, columns * (w + gap) - gap, 3))
    for i in range(n):
        r, c = divmod(i, columns)
        out[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = rgb[:, :, i]
    return out


class DigitPadView(View):
    """What the network makes of a drawn digit: class probabilities, the 32 x 32 input, one layer's maps.

    Examples
    --------
    >>> view = DigitPadView()
    >>> view.update(np.full(10, 0.1), np.zeros((32, 32, 1)), np.zeros((28, 28, 6)), "c1_conv")
    >>> [round(b.get_height(), 2) for b in view.bars][:3], view.maps_panel.array.shape
    ([0.1, 0.1, 0.1], (57, 86, 3))
    >>> view.update(None, None, None, "c1_conv")        # blank pad
    >>> view.problem_text.get_text(), view.to_png()[:4]
    ('draw a digit', b'\\x89PNG')
    """

    HINT = "draw a digit"

    def __init__(self, figure=None, width=9.6, height=3.4):
        super().__init__(width, height, figure)
        fig = self.figure
        # the bar chart has no axis machinery (ticks and tick labels are slow to draw): bars, a base line and
        # one cached text per class
        self._bar_box = (0.045, 0.16, 0.27, 0.66)
        self.bar_ax = fig.add_axes(self._bar_box)
        self.bar_ax.set_axis_off()
        self.bar_ax.set_ylim(0, 1.0)
        self.bar_ax.axhline(0, color="#444444", lw=1)
        self.bar_ax.axhline(1, color="#bbbbbb", lw=0.8, ls=":")  # where a certain answer ends
        self.bars, self.class_texts = [], []
        self.bar_title = self._text(self._bar_box[0] + self._bar_box[2] / 2, 0.92, "class probabilities")
        self.input_panel = self._panel(fig.add_axes([0.36, 0.04, 0.24, 0.8]), cmap="gray", annotate_max=0,
                                       title="network input 32 x 32")
        self.maps_panel = self._panel(fig.add_axes([0.63, 0.04, 0.36, 0.8]), annotate_max=0, title="feature maps")
        self.prediction = None

    def _set_bars(self, probabilities):
        n = len(probabilities)
        if n != len(self.bars):
            for artist in self.bars:
                artist.remove()
            for text in self.class_texts:
                text.set_visible(False)
            self.bars = list(self.bar_ax.bar(range(n), np.zeros(n), color="#8a8a8a", width=0.75))
            self.bar_ax.set_xlim(-0.6, n - 0.4)
            x0, _, w, _ = self._bar_box
            self.class_texts = [self._text(x0 + w * (i + 0.6) / n, self._bar_box[1] - 0.06, str(i), size=LABEL_SIZE)
                                for i in range(n)]
        best = int(np.argmax(probabilities))
        for i, (bar, p) in enumerate(zip(self.bars, probabilities, strict=True)):
            bar.set_height(float(p))
            bar.set_color(HIGHLIGHT if i == best else "#8a8a8a")
        return best

    def update(self, probabilities, image, maps, layer_name):
        """``probabilities`` (classes,), ``image`` (32, 32, 1), ``maps`` (h, w, channels); all None when blank."""
        if probabilities is None or image is None:
            self.show_problem(self.HINT)
            self.problem_text.set_color("#555555")
            self.prediction = None
            return
        self.clear_problem()
        self.problem_text.set_color("#8b0000")
        probabilities = np.asarray(probabilities, dtype=float)
        best = self._set_bars(probabilities)
        self.prediction = best
        self.bar_title.set_text(f"class probabilities: {best} at {probabilities[best]:.0%}")
        self.input_panel.show(np.asarray(image, dtype=float)[..., 0], clim=(0, 1))
        maps = np.asarray(maps, dtype=float)
        self.maps_panel.show(feature_map_mosaic(maps),
                             title=f"{layer_name}: {maps.shape[2]} maps {maps.shape[0]} x {maps.shape[1]}")
        self.invalidate()  # the bars are ordinary artists: redraw every time
