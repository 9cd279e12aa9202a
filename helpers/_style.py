"""Projector-readable figures: larger text and sharp (retina) inline images that stay small on disk.

:func:`use_course_style` is re-exported by :mod:`helpers.plotting`; every notebook's setup cell calls it.
"""

from __future__ import annotations

import io

import matplotlib

__all__ = ["use_course_style", "COURSE_RC"]

#: Text sizes at display size: body text >= 12 pt, legends >= 10 pt (issue: figures for a projector).
COURSE_RC = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "legend.title_fontsize": 11,
    "figure.titlesize": 14,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.constrained_layout.use": False,
    "axes.titlepad": 8,
}


#: A sharp figure larger than this (bytes) is rendered again at :data:`LARGE_FIGURE_SCALE` (photo grids with
#: signed colour maps do not fit a palette and compress poorly); notebooks stay well under 2 MB.
LARGE_FIGURE_BYTES = 400_000
#: 1.5 x 100 dpi: still the 150 dpi a projector needs.
LARGE_FIGURE_SCALE = 1.5


def _retina_png(fig, scale: float = 2, colors: int = 256):
    """PNG of a figure at ``scale`` times its dpi, shown at its normal size, with a palette when it is exact.

    Returns ``(png_bytes, {"width": w, "height": h})`` as IPython expects, or None for an empty figure.
    A figure of at most 256 colours (line plots, greyscale images) is stored with an exact palette, which keeps
    the sharp image about as small as the plain one; a figure with more colours (colour maps, photos) keeps
    every colour, since an approximate palette shifts colour maps visibly. A figure still over
    :data:`LARGE_FIGURE_BYTES` is drawn at :data:`LARGE_FIGURE_SCALE` instead.
    """
    if not fig.axes and not fig.patches and not fig.texts and not fig.images:
        return None
    data, meta = _png_at(fig, scale, colors)
    if len(data) > LARGE_FIGURE_BYTES and scale > LARGE_FIGURE_SCALE:
        data, meta = _png_at(fig, LARGE_FIGURE_SCALE, colors)
    return data, meta


def _png_at(fig, scale, colors):
    buffer = io.BytesIO()
    fig.canvas.print_figure(buffer, format="png", dpi=fig.dpi * scale, bbox_inches="tight",
                            facecolor=fig.get_facecolor(), edgecolor=fig.get_edgecolor())
    data = buffer.getvalue()
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow ships with matplotlib
        Image = None
    if Image is not None:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        rgb = image.convert("RGB")
        exact = rgb.getcolors(maxcolors=colors)
        if exact is not None:
            # every colour of the figure in the palette, so nothing changes colour (a median-cut palette of a
            # figure with colour maps drew viridis' yellow as peach and PuOr's orange as beige)
            palette = Image.new("P", (1, 1))
            palette.putpalette([channel for _, colour in exact for channel in colour])
            small = rgb.quantize(palette=palette, dither=Image.Dither.NONE)
            out = io.BytesIO()
            small.save(out, format="PNG", optimize=True)
            if len(out.getvalue()) < len(data):
                data = out.getvalue()
    else:  # pragma: no cover
        width = height = None
    meta = {"width": int(round(width / scale)), "height": int(round(height / scale))} if width else {}
    return data, meta


def use_course_style(retina: bool = True) -> None:
    """Set the course's figure style: larger fonts, and sharp inline figures in a notebook.

    Call it once in a notebook's setup cell. Outside IPython it only sets matplotlib's ``rcParams``.

    Parameters
    ----------
    retina : bool, optional
        In a notebook, render inline figures at twice their resolution (sharp on a projector or a
        high-density screen) and show them at their normal size.

    Examples
    --------
    >>> import matplotlib
    >>> with matplotlib.rc_context():  # restores the previous style afterwards
    ...     use_course_style()
    ...     matplotlib.rcParams["font.size"] >= 12 and matplotlib.rcParams["legend.fontsize"] >= 10
    True
    """
    if not isinstance(retina, bool):
        raise TypeError(f"retina must be True or False, got {retina!r}")
    matplotlib.rcParams.update(COURSE_RC)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    # The inline backend re-applies its own rc on first use; make ours win.
    try:
        from matplotlib_inline.backend_inline import InlineBackend

        InlineBackend.instance().rc = dict(COURSE_RC)
    except Exception:  # noqa: BLE001 - an old or missing inline backend: rcParams still apply
        pass
    png = shell.display_formatter.formatters["image/png"]
    from matplotlib.figure import Figure

    if retina:
        png.for_type(Figure, _retina_png)
    else:
        png.pop(Figure, None)
