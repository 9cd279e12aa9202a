"""How the explorers' figures reach the screen fast: a PNG encoder, bitmap text and pixel-painted grids.

Private machinery behind :mod:`helpers.plotting`. A :class:`helpers.plotting.GridPanel` paints through one of
two backends with the same small interface, chosen once when the panel is built:

:class:`PixelGrid`
    for the explorers' own figures (rendered at their dpi, then blitted): cells, tint, grid lines and numbers
    are composed by numpy into one RGBA array and pasted into the figure (:class:`PixelImage`); titles and
    colour-bar labels are cached FreeType bitmaps (:class:`PixelText`). About a millisecond per grid.
:class:`ArtistGrid`
    for pyplot figures (the notebooks' public functions): ordinary ``imshow`` overlays, ``Text`` numbers and
    matplotlib colour bars, which survive ``savefig(dpi=..., bbox_inches="tight")``.

A grid backend provides ``title`` (a text handle), ``colorbar``, ``texts``, ``lines``, ``overlay``,
``animates`` (whether highlight boxes are blitted), ``update_colorbar(image)``, ``show_numbers(...)``,
``hide_numbers()``, ``set_tint(mask, color, alpha)``, ``paint(panel)`` and ``set_visible(visible)``.
:data:`PIXELS` and :data:`ARTISTS` bundle a grid backend with its text class for :class:`helpers.plotting.View`.

Text handles (:class:`PixelText`, :class:`AnchoredText`) call their ``on_change`` callback when their text,
anchor or visibility changes, so the view that owns them knows its cached background is stale.
"""

from __future__ import annotations

import struct
import zlib
from typing import NamedTuple

import matplotlib
import matplotlib.artist
import matplotlib.colors
import matplotlib.text
import numpy as np
from matplotlib.collections import LineCollection

__all__ = ["encode_png", "PixelText", "AnchoredText", "PixelGrid", "ArtistGrid", "PIXELS", "ARTISTS"]


def encode_png(rgba, compress_level: int = 1) -> bytes:
    """Encode an (H, W, 3 or 4) uint8 array as an opaque RGB PNG, quickly.

    PIL chooses a filter per row, which costs more than the compression itself for these flat,
    synthetic pictures; writing every row unfiltered and deflating at level 1 is several times faster
    and the files stay small.

    Parameters
    ----------
    rgba : numpy.ndarray
        ``(H, W, 3)`` or ``(H, W, 4)`` uint8 (alpha is dropped).
    compress_level : int, optional
        zlib level 0-9.

    Returns
    -------
    bytes

    Examples
    --------
    >>> png = encode_png(np.zeros((2, 3, 4), dtype=np.uint8))
    >>> png[:8], len(png) < 100
    (b'\\x89PNG\\r\\n\\x1a\\n', True)
    """
    arr = np.asarray(rgba)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ValueError(f"rgba must be an (H, W, 3|4) uint8 array, got {arr.dtype} {arr.shape}")
    h, w = arr.shape[:2]
    raw = np.empty((h, 1 + 3 * w), dtype=np.uint8)
    raw[:, 0] = 0  # filter type "None" for every row
    raw[:, 1:] = arr[:, :, :3].reshape(h, 3 * w)

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), int(compress_level))) + chunk(b"IEND", b""))


# --------------------------------------------------------------------------------------------
# text: rendered once per string with FreeType, pasted as pixels
# --------------------------------------------------------------------------------------------

_FONT = {}
_STRING_BITMAPS = {}


def _string_bitmap(text, size_px):
    """Alpha bitmap (uint8, ink bounding box plus a 1 px margin) of ``text`` at ``size_px``; cached."""
    key = (text, size_px)
    bitmap = _STRING_BITMAPS.get(key)
    if bitmap is None:
        from matplotlib import font_manager
        from matplotlib.ft2font import FT2Font

        font = _FONT.get("font")
        if font is None:
            font = _FONT["font"] = FT2Font(font_manager.findfont(font_manager.FontProperties()))
        font.set_size(size_px, 72)
        font.set_text(text)
        font.draw_glyphs_to_bitmap(antialiased=True)
        bitmap = np.asarray(font.get_image()).copy()
        if len(_STRING_BITMAPS) > 5000:
            _STRING_BITMAPS.clear()
        _STRING_BITMAPS[key] = bitmap
    return bitmap


class PixelImage(matplotlib.artist.Artist):
    """Figure-level artist that pastes a uint8 RGBA array at a pixel offset: no resampling, no copies."""

    def __init__(self):
        super().__init__()
        self.set_zorder(-1)  # under the axes, whose own background is off (set_axis_off)
        self.pixels = None
        self.ox = self.oy = 0

    def set_pixels(self, rgba, ox, oy):
        """``rgba`` (H, W, 4) uint8 with row 0 at the top; ``ox, oy``: lower-left corner in pixels."""
        self.pixels = np.ascontiguousarray(rgba[::-1])
        self.ox, self.oy = ox, oy
        self.stale = True

    def draw(self, renderer):
        if not self.get_visible() or self.pixels is None:
            return
        gc = renderer.new_gc()
        renderer.draw_image(gc, self.ox, self.oy, self.pixels)
        gc.restore()



class _TextHandle:
    """What the view's texts share: an optional ``anchor(figure) -> (x, y)`` and an ``on_change`` callback.

    ``on_change`` (set by the owner) is called when the text, the anchor or the visibility of a static
    (not animated) text changes: that is when a cached background stops matching the figure.
    """

    on_change = None
    _anchor = None

    def _changed(self):
        if self.on_change is not None and not self.get_animated():
            self.on_change()

    def set_anchor(self, anchor):
        """Place the text at ``anchor(figure)`` (figure fraction), evaluated at draw time; None: fixed x, y."""
        self._anchor = anchor
        self.stale = True
        self._changed()

    def set_visible(self, b):
        if bool(b) != self.get_visible():
            super().set_visible(b)
            self._changed()


class PixelText(_TextHandle, matplotlib.artist.Artist):
    """A text drawn from a cached FreeType bitmap: same look as ``Text`` for one line, a fraction of the cost.

    Position in figure fraction, or computed at draw time by ``anchor(figure) -> (x, y)`` (used to sit a
    title just above an axes whose box the equal aspect has shrunk).

    Examples
    --------
    >>> from helpers.plotting import figure_to_png, new_figure
    >>> fig = new_figure(2, 1)
    >>> t = PixelText(fig, 0.5, 0.5, "output 4 x 4", size=13)
    >>> t.get_text(), figure_to_png(fig)[:4]
    ('output 4 x 4', b'\\x89PNG')
    """

    def __init__(self, figure, x, y, text="", size=13, color="black", ha="center", va="center", anchor=None):
        super().__init__()
        self._x, self._y = x, y
        self._text = str(text)
        self._size = size
        self._rgb = tuple(int(round(255 * v)) for v in matplotlib.colors.to_rgb(color))
        self._ha, self._va = ha, va
        self._anchor = anchor
        self.set_zorder(3)
        figure.add_artist(self)

    def get_text(self):
        return self._text

    def set_text(self, text):
        text = str(text)
        if text != self._text:
            self._text = text
            self.stale = True
            self._changed()

    def draw(self, renderer):
        if not self.get_visible() or not self._text:
            return
        fig = self.figure
        size_px = max(4, int(round(self._size * fig.dpi / 72.0)))
        key = (self._text, size_px, self._rgb)
        rgba = _PIXEL_TEXTS.get(key)
        if rgba is None:
            alpha = _string_bitmap(self._text, size_px)
            rgba = np.empty((*alpha.shape, 4), dtype=np.uint8)
            rgba[..., :3] = self._rgb
            rgba[..., 3] = alpha
            rgba = np.ascontiguousarray(rgba[::-1])
            if len(_PIXEL_TEXTS) > 2000:
                _PIXEL_TEXTS.clear()
            _PIXEL_TEXTS[key] = rgba
        h, w = rgba.shape[:2]
        x, y = self._anchor(fig) if self._anchor is not None else (self._x, self._y)
        px, py = x * fig.bbox.width, y * fig.bbox.height
        px -= {"left": 0, "center": w / 2, "right": w}[self._ha]
        py -= {"bottom": 0, "center": h / 2, "top": h}[self._va]
        gc = renderer.new_gc()
        renderer.draw_image(gc, int(round(px)), int(round(py)), rgba)
        gc.restore()


_PIXEL_TEXTS = {}


class AnchoredText(_TextHandle, matplotlib.text.Text):
    """A figure ``Text`` with the same constructor, anchor and ``on_change`` as :class:`PixelText`.

    Used in pyplot figures, which may be saved at any dpi.
    """

    def __init__(self, figure, x, y, text="", size=13, color="black", ha="center", va="center", anchor=None):
        super().__init__(x, y, text, transform=figure.transFigure, ha=ha, va=va, fontsize=size, color=color)
        self._anchor = anchor
        self.set_figure(figure)  # registered as Figure.text() does, so it is listed in figure.texts
        figure.texts.append(self)
        self._remove_method = figure.texts.remove

    def set_text(self, s):
        text = "" if s is None else str(s)
        if text != getattr(self, "_text", None):
            super().set_text(text)
            self._changed()

    def draw(self, renderer):
        if self._anchor is not None:
            self.set_position(self._anchor(self.figure))
        super().draw(renderer)


class LightColorbar:
    """A colour bar painted as pixels with three labels (low, middle, high): a fraction of the cost of
    matplotlib's colour bar, whose tick machinery dominates a frame."""

    def __init__(self, cax, label_size, label_format):
        self.ax = cax
        cax.set_axis_off()
        self.image = PixelImage()
        cax.figure.add_artist(self.image)
        pos = cax.get_position()
        self.texts = [PixelText(cax.figure, pos.x1 + 0.006, pos.y0 + f * pos.height, "", size=label_size,
                                ha="left", va="center") for f in (1.0, 0.5, 0.0)]
        self.format = label_format
        self._key = None

    def update(self, mappable):
        cmap = mappable.get_cmap()
        lo, hi = mappable.get_clim()
        key = (cmap.name, lo, hi)
        if key == self._key:
            return
        self._key = key
        fig = self.ax.figure
        bbox = self.ax.get_position().transformed(fig.transFigure)
        x0, y0 = int(round(bbox.x0)), int(round(bbox.y0))
        w, h = max(int(round(bbox.x1)) - x0, 1), max(int(round(bbox.y1)) - y0, 1)
        column = cmap(np.linspace(1, 0, h), bytes=True)
        rgba = np.repeat(column[:, None, :], w, axis=1)
        rgba[[0, -1], :] = (90, 90, 90, 255)
        rgba[:, [0, -1]] = (90, 90, 90, 255)
        self.image.set_pixels(rgba, x0, y0)
        for t, v in zip(self.texts, (hi, (lo + hi) / 2, lo), strict=True):
            t.set_text(self.format(v))

    def set_visible(self, visible):
        self.ax.set_visible(visible)
        self.image.set_visible(visible)
        for t in self.texts:
            t.set_visible(visible)



# --------------------------------------------------------------------------------------------
# the two grid backends of GridPanel
# --------------------------------------------------------------------------------------------


class PixelGrid:
    """Backend of a raster :class:`helpers.plotting.GridPanel`: one grid drawn by numpy into figure pixels.

    Drawing a hundred matplotlib ``Text`` artists (or resampling a few images) takes longer than
    everything else in a frame; composing one RGBA array (colours, tint, grid lines, numbers) and pasting it
    without resampling takes about a millisecond. The panel's ``imshow`` artist stays hidden: it only holds
    the colour map and limits.
    """

    animates = True  #: highlight boxes are blitted over the cached background

    def __init__(self, ax, image, title, colorbar_ax, on_change, title_size, label_size, label_format):
        self.ax = ax
        self.image = PixelImage()
        ax.figure.add_artist(self.image)
        self.image.set_visible(False)
        image.set_visible(False)

        def anchor(_fig, ax=ax):
            pos = ax.get_position()
            return (pos.x0 + pos.x1) / 2, pos.y1 + 5 / ax.figure.bbox.height

        self.title = PixelText(ax.figure, 0, 0, title, size=title_size, va="bottom", anchor=anchor)
        self.title.on_change = on_change
        self.colorbar = None
        if colorbar_ax is not None:
            self.colorbar = LightColorbar(colorbar_ax, label_size - 1, label_format)
        self.texts, self.lines, self.overlay = [], None, None
        self._tint = None

    def update_colorbar(self, image):
        if self.colorbar is not None:
            self.colorbar.update(image)

    def show_numbers(self, labels, dark, size, shape):
        """Nothing to do now: :meth:`paint` writes the panel's labels into the pixels."""

    def hide_numbers(self):
        """Nothing to do now: :meth:`paint` reads the panel's (empty) labels."""

    def set_tint(self, mask, color, alpha):
        """Remember the tint; True when it differs from the previous one (the pixels must be repainted)."""
        tint = None if mask is None else (np.asarray(mask, dtype=bool), color, alpha)
        old = self._tint
        same = (tint is None and old is None) or (
            tint is not None and old is not None and tint[1:] == old[1:]
            and tint[0].shape == old[0].shape and bool((tint[0] == old[0]).all()))
        self._tint = tint
        return not same

    def _box(self):
        """Pixel box (x0, y0, width, height) of the axes after the equal-aspect adjustment."""
        self.ax.apply_aspect()
        fig = self.ax.figure
        bbox = self.ax.get_position().transformed(fig.transFigure)
        x0, y0 = int(round(bbox.x0)), int(round(bbox.y0))
        return x0, y0, max(int(round(bbox.x1)) - x0, 1), max(int(round(bbox.y1)) - y0, 1)

    def paint(self, panel):
        """Upsample the panel's cell colours to the axes box and paint tint, lines and numbers in."""
        rgba_cells = panel.cell_colours()
        labels, dark, size_pt = panel.labels, panel.label_dark, panel.label_size
        h, w = rgba_cells.shape[:2]
        x0, y0, width, height = self._box()
        ri = np.minimum((np.arange(height) * h) // height, h - 1)
        ci = np.minimum((np.arange(width) * w) // width, w - 1)
        cells = rgba_cells
        if self._tint is not None:
            mask, color, alpha = self._tint
            tint_rgba = (*[int(255 * v) for v in matplotlib.colors.to_rgb(color)], int(255 * alpha))
            a = tint_rgba[3] / 255.0
            cells = cells.astype(float)
            cells[mask, :3] = cells[mask, :3] * (1 - a) + np.asarray(tint_rgba[:3], dtype=float) * a
            cells = cells.astype(np.uint8)
        out = cells[ri][:, ci]
        if labels:  # grid lines between the cells
            rows = np.unique(np.round(np.arange(1, h) * height / h).astype(int))
            cols = np.unique(np.round(np.arange(1, w) * width / w).astype(int))
            out[rows[rows < height]] = (190, 190, 190, 255)
            out[:, cols[cols < width]] = (190, 190, 190, 255)
            size_px = max(4, int(round(size_pt * self.ax.figure.dpi / 72.0)))
            cw, ch = width / w, height / h
            for i, text in enumerate(labels):
                if not text:
                    continue
                r, c = divmod(i, w)
                bm = _string_bitmap(text, size_px)
                bh, bw = bm.shape
                top = int(round((r + 0.5) * ch - bh / 2))
                left = int(round((c + 0.5) * cw - bw / 2))
                t0, l0 = max(top, 0), max(left, 0)
                t1, l1 = min(top + bh, height), min(left + bw, width)
                if t1 <= t0 or l1 <= l0:
                    continue
                a = bm[t0 - top:t1 - top, l0 - left:l1 - left, None].astype(np.float32) / 255.0
                ink = 0.0 if dark[i] else 255.0
                region = out[t0:t1, l0:l1, :3]
                region[...] = (region * (1 - a) + ink * a).astype(np.uint8)
        self.image.set_pixels(out, x0, y0)
        self.image.set_visible(self.ax.get_visible())

    def set_visible(self, visible):
        self.title.set_visible(visible)
        self.image.set_visible(visible)
        if self.colorbar is not None:
            self.colorbar.set_visible(visible)


class ArtistGrid:
    """Backend of an ordinary :class:`helpers.plotting.GridPanel`: ``imshow``, ``Text`` numbers, grid lines.

    Every part is a matplotlib artist, so the figure can be saved at any dpi with a tight bounding box.
    """

    animates = False  #: pyplot figures are drawn whole: nothing is blitted

    def __init__(self, ax, image, title, colorbar_ax, on_change, title_size, label_size, label_format):
        self.ax = ax
        self.lines = LineCollection([], colors="#bbbbbb", linewidths=1.0)
        ax.add_collection(self.lines)
        self.texts = []
        self.overlay = None
        self.title = ax.set_title(title, fontsize=title_size, y=1.0, pad=5)
        self.colorbar = None
        if colorbar_ax is not None:
            self.colorbar = ax.figure.colorbar(image, cax=colorbar_ax)
            self.colorbar.ax.tick_params(labelsize=label_size - 1)
        self._colorbar_key = None

    def update_colorbar(self, image):
        if self.colorbar is not None:
            key = (image.get_cmap().name, *image.get_clim())
            if key != self._colorbar_key:
                self.colorbar.update_normal(image)
                self._colorbar_key = key

    def show_numbers(self, labels, dark, size, shape):
        """One ``Text`` per cell (a pool reused between calls) and the grid lines."""
        h, w = shape
        n = h * w
        while len(self.texts) < n:
            self.texts.append(self.ax.text(0, 0, "", ha="center", va="center", fontsize=10))
        for i, t in enumerate(self.texts):
            if i < n:
                r, c = divmod(i, w)
                t.set_position((c, r))
                t.set_text(labels[i])
                t.set_color("black" if dark[i] else "white")
                t.set_fontsize(size)
                t.set_visible(True)
            else:
                t.set_visible(False)
        segs = [[(-0.5, y - 0.5), (w - 0.5, y - 0.5)] for y in range(h + 1)]
        segs += [[(x - 0.5, -0.5), (x - 0.5, h - 0.5)] for x in range(w + 1)]
        self.lines.set_segments(segs)

    def hide_numbers(self):
        for t in self.texts:
            t.set_visible(False)
        self.lines.set_segments([])

    def set_tint(self, mask, color, alpha):
        """An RGBA ``imshow`` over the cells; always True (the artists changed)."""
        if mask is None:
            if self.overlay is not None:
                self.overlay.set_visible(False)
            return True
        mask = np.asarray(mask, dtype=bool)
        rgba = np.zeros((*mask.shape, 4))
        rgba[..., :3] = matplotlib.colors.to_rgb(color)
        rgba[..., 3] = mask * alpha
        h, w = mask.shape
        if self.overlay is None:
            self.overlay = self.ax.imshow(rgba, interpolation="nearest", zorder=2)
            self.ax.set_xlim(-0.5, w - 0.5)
            self.ax.set_ylim(h - 0.5, -0.5)
        else:
            self.overlay.set_data(rgba)
        self.overlay.set_extent((-0.5, w - 0.5, h - 0.5, -0.5))
        self.overlay.set_visible(True)
        return True

    def paint(self, panel):
        """Nothing to paint: matplotlib draws the artists."""

    def set_visible(self, visible):
        if self.colorbar is not None:
            self.colorbar.ax.set_visible(visible)


class _Backend(NamedTuple):
    """What a :class:`helpers.plotting.View` builds its panels and texts with."""

    raster: bool  #: passed to GridPanel(raster=...)
    text: type  #: PixelText or AnchoredText (same constructor)


#: The explorers' own figures: pixel grids, bitmap texts, blitted highlights.
PIXELS = _Backend(raster=True, text=PixelText)
#: pyplot figures: ordinary artists.
ARTISTS = _Backend(raster=False, text=AnchoredText)
