"""Image files built in memory for the upload tests (no binary fixtures): the unusual files students try.

Every builder returns the bytes of one file. PNG headers are also written by hand (``png_bytes``) so a test can
claim a size that was never encoded, or a bit depth PIL cannot write.
"""

from __future__ import annotations

import datetime
import io
import struct
import zlib

import numpy as np
from PIL import Image


def encode(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def rgb_array(h=30, w=40, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def png_rgb(h=30, w=40, seed=0) -> bytes:
    return encode(Image.fromarray(rgb_array(h, w, seed)))


def jpeg_rgb(h=30, w=40, seed=0) -> bytes:
    return encode(Image.fromarray(rgb_array(h, w, seed)), "JPEG", quality=95)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bytes(width, height, bit_depth=8, colour_type=2, rows=None) -> bytes:
    """A PNG written by hand: IHDR with any size, then IDAT of ``rows`` (raw bytes per row) if given, IEND."""
    out = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type,
                                                             0, 0, 0))
    if rows is not None:
        out += _chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + r for r in rows)))
    return out + _chunk(b"IEND", b"")


def header_only_png(width, height) -> bytes:
    """A PNG header that claims ``width x height`` pixels but carries no pixel data at all."""
    return png_bytes(width, height)


def png_rgb48(values: np.ndarray) -> bytes:
    """A 16-bit-per-channel RGB PNG (PIL cannot write one) from an (H, W, 3) uint16 array."""
    h, w, _ = values.shape
    return png_bytes(w, h, 16, 2, [values[i].astype(">u2").tobytes() for i in range(h)])


def png_gray16(values: np.ndarray) -> bytes:
    return encode(Image.fromarray(values.astype(np.uint16)))


def png_rgba(rgba: np.ndarray) -> bytes:
    return encode(Image.fromarray(rgba.astype(np.uint8)))  # 4 channels: mode RGBA


def jpeg_cmyk(h=16, w=24, cmyk=(0, 255, 0, 0)) -> bytes:
    return encode(Image.new("CMYK", (w, h), cmyk), "JPEG", quality=95)


def animated_gif(colours=((255, 0, 0), (0, 255, 0), (0, 0, 255)), size=(12, 10)) -> bytes:
    frames = [Image.new("RGB", size, c) for c in colours]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def big_png(width=8000, height=6250) -> bytes:
    """A real (1-bit, so small and quick) PNG of width x height pixels: 50 megapixels by default."""
    return encode(Image.new("1", (width, height)), "PNG", compress_level=1)


def upload_value(content: bytes, name="photo.png", kind="image/png"):
    """A ``FileUpload.value`` as ipywidgets 8 sets it from the browser: a tuple of one dict."""
    return ({"name": name, "type": kind, "size": len(content), "content": memoryview(bytes(content)),
             "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)},)
