"""Convolution and pooling in plain numpy, written to be read next to the lessons.

The same layer is written three ways, from the loops of the maths to the matrix product libraries use:

* :func:`conv2d_naive` loops over every output cell and every filter and computes
  "window times kernel, summed, plus bias", exactly as the notebooks write it;
* :func:`im2col` copies every window into one row of a matrix, so that one matrix product with the
  flattened kernels computes every output at once;
* :func:`conv2d` gets the numbers that way, in cache-sized blocks on a few threads (the machinery lives in
  the private ``helpers._fastconv``), about as fast as TensorFlow's convolution on a laptop CPU.

Everything is channels-last like Keras: images ``(H, W, C)`` or batches ``(N, H, W, C)``,
kernels ``(kh, kw, C_in, C_out)``. Padding is ``"valid"``, ``"same"`` (TensorFlow's rule:
the output has ``ceil(n / stride)`` cells and the odd extra zero goes at the bottom/right)
or a whole number of zeros on every side; the geometry comes from :func:`helpers.shapes.window_plan`.
The functions also power the explorers' "hover" details (:func:`conv_step_details`,
:func:`pool_step_details`) and the backward pass lesson (:func:`conv2d_gradients`).

This module never imports TensorFlow; the tests compare it with TensorFlow.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from helpers._fastconv import im2col_matmul
from helpers._validate import (
    require_array,
    require_bool,
    require_choice,
    require_nonneg_int,
    require_number,
    require_numeric,
    require_padding,
    require_pair,
    require_positive_int,
)
from helpers.shapes import effective_kernel, window_plan

__all__ = [
    "conv2d",
    "conv2d_naive",
    "conv2d_single_step",
    "im2col",
    "filter2d",
    "pad2d",
    "conv_step_details",
    "max_pool2d",
    "avg_pool2d",
    "pool_step_details",
    "global_avg_pool2d",
    "global_max_pool2d",
    "conv2d_gradients",
    "relu",
]


# --------------------------------------------------------------------------------------------
# convolution
# --------------------------------------------------------------------------------------------


def conv2d_single_step(window, kernel, bias=0.0):
    """One output value: multiply a window by the kernel, add everything up, add the bias.

    Parameters
    ----------
    window : array_like
        The slice of the input under the kernel, e.g. ``(3, 3)`` or ``(3, 3, C)``.
    kernel : array_like
        One filter, the same shape as ``window``.
    bias : float, optional
        Added once to the sum (default 0); a one-element array such as shape ``(1, 1, 1)`` works too.

    Returns
    -------
    float
        ``sum(window * kernel) + bias``.

    Examples
    --------
    >>> window = np.array([[3, 0, 1], [1, 5, 8], [2, 7, 2]])
    >>> vertical_edge = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    >>> conv2d_single_step(window, vertical_edge)
    -5.0
    >>> conv2d_single_step(window, vertical_edge, bias=1.5)
    -3.5
    """
    window = np.asarray(window, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    if window.shape != kernel.shape:
        raise ValueError(f"window and kernel must have the same shape, got {window.shape} and {kernel.shape}")
    try:
        bias_arr = np.asarray(bias, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"bias must be a number, got {bias!r} ({type(bias).__name__})") from exc
    if bias_arr.size != 1:
        raise ValueError(f"bias must be a single number (e.g. shape (1, 1, 1)), got shape {bias_arr.shape}")
    return float(np.sum(window * kernel) + bias_arr.reshape(()))


def conv2d_naive(x, kernel, bias=None, stride=1, padding="valid", dilation=1, groups=1):
    """2-D convolution (cross-correlation, like every deep learning library) with plain loops.

    Slow on purpose: it reads like the maths. For each image, output row, output column and
    filter, take the window under the kernel, multiply it by the filter, add it all up and add
    the filter's bias. :func:`conv2d` gives the same numbers much faster.

    Parameters
    ----------
    x : array_like
        Input, ``(H, W, C)`` or a batch ``(N, H, W, C)``.
    kernel : array_like
        Filters, ``(kh, kw, C // groups, C_out)``.
    bias : array_like or None, optional
        One value per filter, ``(C_out,)``.
    stride : int or (int, int), optional
        Step between windows (height, width).
    padding : {"valid", "same"} or int, optional
        ``"valid"`` (no padding), ``"same"`` (TensorFlow's rule) or that many zeros on every side.
    dilation : int or (int, int), optional
        Spacing between kernel taps (1 = an ordinary kernel).
    groups : int, optional
        Split the channels into this many independent groups (Keras ``Conv2D(groups=...)``).

    Returns
    -------
    numpy.ndarray
        ``(H', W', C_out)`` or ``(N, H', W', C_out)``.

    Examples
    --------
    >>> image = np.zeros((6, 6, 1)); image[:, :3] = 10      # bright left half, dark right half
    >>> vertical_edge = np.array([[1, 0, -1]] * 3, dtype=float).reshape(3, 3, 1, 1)
    >>> conv2d_naive(image, vertical_edge)[:, :, 0]
    array([[ 0., 30., 30.,  0.],
           [ 0., 30., 30.,  0.],
           [ 0., 30., 30.,  0.],
           [ 0., 30., 30.,  0.]])
    """
    p = _prepare_conv(x, kernel, bias, stride, padding, dilation, groups)
    x, kernel, bias = p.x, p.kernel, p.bias
    (stride_h, stride_w), (dil_h, dil_w) = p.stride, p.dilation
    out_h, out_w = p.out_hw
    kh, kw, c_per_group, c_out = kernel.shape
    span_h, span_w = effective_kernel(kh, dil_h), effective_kernel(kw, dil_w)  # first to last tap
    filters_per_group = c_out // p.groups
    x_padded = _pad_nhwc(x, p.pads)
    out = np.zeros((x.shape[0], out_h, out_w, c_out), dtype=x.dtype)

    for n in range(x.shape[0]):                      # every image
        for i in range(out_h):                       # every output row
            for j in range(out_w):                   # every output column
                top, left = i * stride_h, j * stride_w
                for f in range(c_out):               # every filter
                    g = f // filters_per_group       # the channel group this filter reads
                    window = x_padded[
                        n,
                        top : top + span_h : dil_h,
                        left : left + span_w : dil_w,
                        g * c_per_group : (g + 1) * c_per_group,
                    ]
                    b = 0.0 if bias is None else bias[f]
                    out[n, i, j, f] = conv2d_single_step(window, kernel[:, :, :, f], b)
    return out if p.batched else out[0]


def _im2col_rows(xp, kernel_hw, stride, dilation, out_hw):
    """The im2col matrix of a padded batch: one row per output position, ``kh * kw * C`` columns."""
    windows = _windows(xp, kernel_hw, stride, dilation, out_hw)  # (N, out_h, out_w, kh, kw, C), no copy
    n, oh, ow, kh, kw, c = windows.shape
    return windows.reshape(n * oh * ow, kh * kw * c)  # the copy: every window becomes one row


def im2col(x, kernel_size, stride=1, padding="valid", dilation=1):
    """Every window under the kernel, flattened into one row of a matrix ("image to columns").

    The trick behind fast convolutions: with the windows as rows and the kernels flattened into the
    columns of a ``(kh * kw * C, C_out)`` matrix, one matrix product computes every output value::

        out = im2col(x, (kh, kw)) @ kernel.reshape(kh * kw * C, C_out)

    The windows are first a strided *view* of the (padded) input (no copy), then reshaped into the matrix
    (one copy). :func:`conv2d` runs exactly this, in cache-sized blocks on a few threads.

    Parameters
    ----------
    x : array_like
        ``(H, W)``, ``(H, W, C)`` or a batch ``(N, H, W, C)``.
    kernel_size : int or (int, int)
        Kernel height and width.
    stride, padding, dilation
        As in :func:`conv2d`.

    Returns
    -------
    numpy.ndarray
        ``(N * H' * W', kh * kw * C)``: one row per output position (image by image, row by row), its values
        in the kernel's ``(kh, kw, C)`` order.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> cols = im2col(x, 3)
    >>> cols.shape                                # 2 x 2 positions, 3 x 3 values each
    (4, 9)
    >>> cols[1]                                   # the window at output row 0, column 1
    array([ 1.,  2.,  3.,  5.,  6.,  7.,  9., 10., 11.])
    >>> kernel = np.ones((3, 3, 1, 1))
    >>> out = (cols @ kernel.reshape(9, 1)).reshape(2, 2)   # one matrix product: every output at once
    >>> out
    array([[45., 54.],
           [81., 90.]])
    >>> bool(np.array_equal(out, conv2d(x[:, :, None], kernel)[:, :, 0]))
    True
    """
    xb, _ = _as_nhwc("x", x)
    kernel_hw = require_pair("kernel_size", kernel_size)
    stride = require_pair("stride", stride)
    dilation = require_pair("dilation", dilation)
    padding = require_padding("padding", padding)
    pads, out_hw = _spatial_plan(xb.shape[1:3], kernel_hw, stride, padding, dilation)
    return _im2col_rows(_pad_nhwc(xb, pads), kernel_hw, stride, dilation, out_hw)


def conv2d(x, kernel, bias=None, stride=1, padding="valid", dilation=1, groups=1):
    """2-D convolution (cross-correlation) as a matrix product, like ``tf.nn.conv2d``.

    Same contract and same numbers as :func:`conv2d_naive`: :func:`im2col` copies every window
    into one row of a matrix, and a matrix product with the flattened kernels (one column per
    filter) computes all the outputs at once. It runs that same algorithm in cache-sized blocks
    on a few threads (``helpers._fastconv``); the result does not depend on the blocks.
    float32 inputs stay float32 (as in TensorFlow); anything else is computed in float64.

    Parameters
    ----------
    x : array_like
        Input, ``(H, W, C)`` or a batch ``(N, H, W, C)``.
    kernel : array_like
        Filters, ``(kh, kw, C // groups, C_out)``.
    bias : array_like or None, optional
        One value per filter, ``(C_out,)``.
    stride : int or (int, int), optional
        Step between windows (height, width).
    padding : {"valid", "same"} or int, optional
        ``"valid"`` (no padding), ``"same"`` (TensorFlow's rule) or that many zeros on every side.
    dilation : int or (int, int), optional
        Spacing between kernel taps (1 = an ordinary kernel).
    groups : int, optional
        Split the channels into this many independent groups (Keras ``Conv2D(groups=...)``).

    Returns
    -------
    numpy.ndarray
        ``(H', W', C_out)`` or ``(N, H', W', C_out)``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(2, 7, 7, 3)).astype(np.float32)
    >>> k = rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
    >>> y = conv2d(x, k, stride=2, padding="same")
    >>> y.shape, y.dtype
    ((2, 4, 4, 4), dtype('float32'))
    >>> bool(np.allclose(y, conv2d_naive(x, k, stride=2, padding="same"), atol=1e-5))
    True
    """
    p = _prepare_conv(x, kernel, bias, stride, padding, dilation, groups)
    out = im2col_matmul(p.x, p.kernel, p.bias, p.stride, p.dilation, p.pads, p.out_hw, p.groups)
    return out if p.batched else out[0]


def filter2d(image, kernel, stride=1, padding="valid", dilation=1, flip=False):
    """Slide one 2-D kernel over a grayscale image (the first lessons' picture of a convolution).

    Parameters
    ----------
    image : array_like
        ``(H, W)``.
    kernel : array_like
        ``(kh, kw)``.
    stride, padding, dilation
        As in :func:`conv2d`.
    flip : bool, optional
        ``False`` (default): cross-correlation, what CNN layers compute. ``True``: true
        convolution from signal processing, i.e. the kernel rotated 180 degrees first.

    Returns
    -------
    numpy.ndarray
        ``(H', W')``.

    Examples
    --------
    >>> image = np.zeros((6, 6)); image[:, :3] = 10
    >>> vertical_edge = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    >>> filter2d(image, vertical_edge)
    array([[ 0., 30., 30.,  0.],
           [ 0., 30., 30.,  0.],
           [ 0., 30., 30.,  0.],
           [ 0., 30., 30.,  0.]])
    >>> filter2d(image, vertical_edge, flip=True)[0]      # flipped kernel: the edge comes out negative
    array([  0., -30., -30.,   0.])
    """
    image = _float_array("image", image, (2,))
    kernel = _float_array("kernel", kernel, (2,))
    if require_bool("flip", flip):
        kernel = kernel[::-1, ::-1]
    return conv2d(image[:, :, None], kernel[:, :, None, None], stride=stride, padding=padding,
                  dilation=dilation)[:, :, 0]


def pad2d(x, kernel_size, stride=1, padding="valid", dilation=1, value=0.0):
    """Add the border that a convolution with these settings would add.

    Parameters
    ----------
    x : array_like
        ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``.
    kernel_size : int or (int, int)
        Kernel height and width.
    stride, padding, dilation
        As in :func:`conv2d`.
    value : float, optional
        What to fill the border with (0 for convolutions).

    Returns
    -------
    padded : numpy.ndarray
        ``x`` with the border added (same rank as ``x``).
    pads : tuple of int
        ``(top, bottom, left, right)``.

    Examples
    --------
    >>> padded, pads = pad2d(np.ones((4, 4)), 3, padding="same")
    >>> padded.shape, pads
    ((6, 6), (1, 1, 1, 1))
    >>> pad2d(np.ones((5, 5)), 3, stride=2, padding="same")[1]   # the odd extra zero goes bottom/right
    (1, 1, 1, 1)
    >>> pad2d(np.ones((6, 6)), 3, stride=2, padding="same")[1]
    (0, 1, 0, 1)
    """
    xb, ndim = _as_nhwc("x", x)
    kernel_size = require_pair("kernel_size", kernel_size)
    stride = require_pair("stride", stride)
    dilation = require_pair("dilation", dilation)
    padding = require_padding("padding", padding)
    value = require_number("value", value)
    pads, _ = _spatial_plan(xb.shape[1:3], kernel_size, stride, padding, dilation)
    padded = _pad_nhwc(xb, pads, value)
    return _from_nhwc(padded, ndim).copy(), pads


def conv_step_details(x, kernel, row, col, stride=1, padding="valid", dilation=1):
    """Everything behind one output cell of a one-filter convolution (the explorer's "hover").

    Parameters
    ----------
    x : array_like
        ``(H, W)`` or ``(H, W, C)``.
    kernel : array_like
        One filter: ``(kh, kw)`` or ``(kh, kw, C)``.
    row, col : int
        The OUTPUT cell.
    stride, padding, dilation
        As in :func:`conv2d`.

    Returns
    -------
    dict
        ``"rows"``, ``"cols"``: the input rows/columns read, in padded coordinates (subtract
        ``pad[0]`` / ``pad[2]`` for the original image; outside ``0..H-1`` means a padded zero);
        ``"pad"``: ``(top, bottom, left, right)``; ``"window"``: the values under the kernel;
        ``"products"``: window times kernel; ``"sum"``: their total, the output value.

    Examples
    --------
    >>> image = np.array([[3, 0, 1, 2, 7, 4],
    ...                   [1, 5, 8, 9, 3, 1],
    ...                   [2, 7, 2, 5, 1, 3],
    ...                   [0, 1, 3, 1, 7, 8],
    ...                   [4, 2, 1, 6, 2, 8],
    ...                   [2, 4, 5, 2, 3, 9]])
    >>> vertical_edge = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    >>> d = conv_step_details(image, vertical_edge, row=0, col=0)
    >>> d["rows"], d["cols"], d["sum"]
    ([0, 1, 2], [0, 1, 2], -5.0)
    >>> d["products"]
    array([[ 3.,  0., -1.],
           [ 1.,  0., -8.],
           [ 2.,  0., -2.]])
    >>> conv_step_details(image, vertical_edge, row=1, col=3, padding="same")["rows"]   # padded coordinates
    [1, 2, 3]
    """
    x = _float_array("x", x, (2, 3))
    kernel = _float_array("kernel", kernel, (2, 3))
    two_d = x.ndim == 2 and kernel.ndim == 2
    x3 = x[:, :, None] if x.ndim == 2 else x
    k3 = kernel[:, :, None] if kernel.ndim == 2 else kernel
    if x3.shape[2] != k3.shape[2]:
        raise ValueError(f"kernel has {k3.shape[2]} channels but x has {x3.shape[2]} channels; they must match")
    stride = require_pair("stride", stride)
    dilation = require_pair("dilation", dilation)
    padding = require_padding("padding", padding)
    kh, kw = k3.shape[:2]
    pads, (out_h, out_w) = _spatial_plan(x3.shape[:2], (kh, kw), stride, padding, dilation)
    row = _require_index("row", row, out_h, "output")
    col = _require_index("col", col, out_w, "output")
    rows = [row * stride[0] + a * dilation[0] for a in range(kh)]
    cols = [col * stride[1] + b * dilation[1] for b in range(kw)]
    xp = _pad_nhwc(x3[None], pads)[0]
    window = xp[np.ix_(rows, cols)]
    products = window * k3
    if two_d:
        window, products = window[:, :, 0], products[:, :, 0]
    return {
        "rows": rows,
        "cols": cols,
        "pad": pads,
        "window": window,
        "products": products,
        "sum": float(products.sum()),
    }


# --------------------------------------------------------------------------------------------
# pooling
# --------------------------------------------------------------------------------------------


def _prepare_pool(x, pool_size, stride, padding):
    xb, ndim = _as_nhwc("x", x)
    pool = require_pair("pool_size", pool_size)
    stride = pool if stride is None else require_pair("stride", stride)
    padding = require_padding("padding", padding, allow_int=False)
    pads, out_hw = _spatial_plan(xb.shape[1:3], pool, stride, padding, (1, 1), what="pool_size")
    return xb, ndim, pool, stride, pads, out_hw


def _pool_windows(xp, pool, stride, out_hw):
    """(N, out_h, out_w, ph, pw, C) view of the pooling windows."""
    return _windows(xp, pool, stride, (1, 1), out_hw)


def max_pool2d(x, pool_size=2, stride=None, padding="valid"):
    """Max pooling, equal to Keras ``MaxPooling2D`` (padded cells never win: they count as -inf).

    Parameters
    ----------
    x : array_like
        ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``; each channel is pooled on its own.
    pool_size : int or (int, int), optional
        Window height and width (default 2).
    stride : int or (int, int) or None, optional
        Step between windows; ``None`` (default) means ``pool_size``, as in Keras.
    padding : {"valid", "same"}, optional
        As in Keras.

    Returns
    -------
    numpy.ndarray
        Same rank as ``x``; channels unchanged.

    Examples
    --------
    >>> x = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]])
    >>> max_pool2d(x)
    array([[9., 2.],
           [6., 3.]])
    >>> max_pool2d(np.arange(9).reshape(3, 3), padding="same")
    array([[4., 5.],
           [7., 8.]])
    """
    xb, ndim, pool, stride, pads, out_hw = _prepare_pool(x, pool_size, stride, padding)
    xp = _pad_nhwc(xb, pads, value=-np.inf)
    out = _pool_windows(xp, pool, stride, out_hw).max(axis=(3, 4))
    return _from_nhwc(out, ndim)


def avg_pool2d(x, pool_size=2, stride=None, padding="valid"):
    """Average pooling, equal to Keras ``AveragePooling2D`` (padded cells are left out of the mean).

    Parameters
    ----------
    x : array_like
        ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``; each channel is pooled on its own.
    pool_size : int or (int, int), optional
        Window height and width (default 2).
    stride : int or (int, int) or None, optional
        Step between windows; ``None`` (default) means ``pool_size``, as in Keras.
    padding : {"valid", "same"}, optional
        As in Keras.

    Returns
    -------
    numpy.ndarray
        Same rank as ``x``; channels unchanged.

    Examples
    --------
    >>> x = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]])
    >>> avg_pool2d(x)
    array([[3.75, 1.25],
           [3.75, 2.  ]])
    >>> avg_pool2d(np.arange(9).reshape(3, 3), padding="same")   # edge windows average fewer cells
    array([[2. , 3.5],
           [6.5, 8. ]])
    """
    xb, ndim, pool, stride, pads, out_hw = _prepare_pool(x, pool_size, stride, padding)
    xp = _pad_nhwc(xb, pads)
    sums = _pool_windows(xp, pool, stride, out_hw).sum(axis=(3, 4))
    # how many real (not padded) cells each window covers
    ones = _pad_nhwc(np.ones((1, *xb.shape[1:3], 1), dtype=xb.dtype), pads)
    counts = _pool_windows(ones, pool, stride, out_hw).sum(axis=(3, 4))
    return _from_nhwc(sums / counts, ndim)


def pool_step_details(x, row, col, pool_size=2, stride=None, padding="valid", mode="max"):
    """Everything behind one output cell of a pooling layer (the explorer's "hover").

    Parameters
    ----------
    x : array_like
        ``(H, W)`` or ``(H, W, C)``.
    row, col : int
        The OUTPUT cell.
    pool_size, stride, padding
        As in :func:`max_pool2d`.
    mode : {"max", "avg"}, optional
        Which pooling.

    Returns
    -------
    dict
        ``"rows"``, ``"cols"``: input rows/columns of the window in padded coordinates;
        ``"pad"``: ``(top, bottom, left, right)``; ``"window"``: the values, with padded cells
        as NaN (they never count); ``"value"``: the output (a float, or one per channel);
        ``"argmax"`` (max only): ``(i, j)`` of the winner inside the window, or a list of
        them, one per channel.

    Examples
    --------
    >>> x = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]])
    >>> d = pool_step_details(x, row=1, col=0)
    >>> d["rows"], d["cols"], d["value"], d["argmax"]
    ([2, 3], [0, 1], 6.0, (1, 1))
    >>> pool_step_details(x, row=1, col=1, mode="avg")["value"]
    2.0
    """
    x = _float_array("x", x, (2, 3))
    mode = require_choice("mode", mode, ("max", "avg"))
    xb, ndim, pool, stride, pads, (out_h, out_w) = _prepare_pool(x, pool_size, stride, padding)
    row = _require_index("row", row, out_h, "output")
    col = _require_index("col", col, out_w, "output")
    rows = [row * stride[0] + a for a in range(pool[0])]
    cols = [col * stride[1] + b for b in range(pool[1])]
    window = _pad_nhwc(xb, pads, value=np.nan)[0][np.ix_(rows, cols)]  # (ph, pw, C)
    details = {"rows": rows, "cols": cols, "pad": pads}
    if mode == "max":
        values = np.nanmax(window, axis=(0, 1))
        flat = np.nanargmax(window.reshape(-1, window.shape[2]), axis=0)
        argmax = [tuple(int(v) for v in np.unravel_index(i, pool)) for i in flat]
    else:
        values = np.nanmean(window, axis=(0, 1))
    if ndim == 2:
        details["window"] = window[:, :, 0]
        details["value"] = float(values[0])
        if mode == "max":
            details["argmax"] = argmax[0]
    else:
        details["window"] = window
        details["value"] = values
        if mode == "max":
            details["argmax"] = argmax
    return details


def global_avg_pool2d(x):
    """Mean of each channel over height and width, like Keras ``GlobalAveragePooling2D``.

    Parameters
    ----------
    x : array_like
        ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``.

    Returns
    -------
    float or numpy.ndarray
        A float for ``(H, W)``, ``(C,)`` for one image, ``(N, C)`` for a batch.

    Examples
    --------
    >>> x = np.stack([np.ones((4, 4)), np.arange(16).reshape(4, 4)], axis=-1)   # (4, 4, 2)
    >>> global_avg_pool2d(x)
    array([1. , 7.5])
    """
    xb, ndim = _as_nhwc("x", x)
    out = xb.mean(axis=(1, 2))
    return float(out[0, 0]) if ndim == 2 else (out[0] if ndim == 3 else out)


def global_max_pool2d(x):
    """Maximum of each channel over height and width, like Keras ``GlobalMaxPooling2D``.

    Parameters
    ----------
    x : array_like
        ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``.

    Returns
    -------
    float or numpy.ndarray
        A float for ``(H, W)``, ``(C,)`` for one image, ``(N, C)`` for a batch.

    Examples
    --------
    >>> x = np.stack([np.ones((4, 4)), np.arange(16).reshape(4, 4)], axis=-1)
    >>> global_max_pool2d(x)
    array([ 1., 15.])
    """
    xb, ndim = _as_nhwc("x", x)
    out = xb.max(axis=(1, 2))
    return float(out[0, 0]) if ndim == 2 else (out[0] if ndim == 3 else out)


# --------------------------------------------------------------------------------------------
# backward pass
# --------------------------------------------------------------------------------------------


def conv2d_gradients(x, kernel, upstream, stride=1, padding="valid", dilation=1):
    """Backward pass of :func:`conv2d`: gradients of ``sum(conv2d(x, kernel, bias) * upstream)``.

    ``upstream`` is dL/d(output) coming back from the next layer. Each output cell was
    ``sum(window * filter) + bias``, so

    * dbias[f] is the sum of ``upstream[..., f]`` over every position;
    * dkernel[..., f] is the sum over positions of ``window * upstream[n, i, j, f]``;
    * every window receives ``filter * upstream[n, i, j, f]``, added back where the
      window was read from (overlapping windows add up); the padded border is dropped.

    Parameters
    ----------
    x : array_like
        The layer's input, ``(H, W, C)`` or ``(N, H, W, C)``.
    kernel : array_like
        ``(kh, kw, C, C_out)``.
    upstream : array_like
        Same shape as the layer's output, ``(H', W', C_out)`` or ``(N, H', W', C_out)``.
    stride, padding, dilation
        As in :func:`conv2d`.

    Returns
    -------
    dx : numpy.ndarray
        Shape of ``x``.
    dkernel : numpy.ndarray
        Shape of ``kernel``.
    dbias : numpy.ndarray
        ``(C_out,)``.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(4, 4, 1)
    >>> k = np.ones((3, 3, 1, 1))
    >>> dx, dk, db = conv2d_gradients(x, k, upstream=np.ones((2, 2, 1)))
    >>> dx[:, :, 0]                       # how many windows covered each pixel
    array([[1., 2., 2., 1.],
           [2., 4., 4., 2.],
           [2., 4., 4., 2.],
           [1., 2., 2., 1.]])
    >>> db
    array([4.])
    """
    p = _prepare_conv(x, kernel, None, stride, padding, dilation, 1)
    xb, kernel = p.x, p.kernel
    (st_h, st_w), (dh, dw), (oh, ow) = p.stride, p.dilation, p.out_hw
    kh, kw, c_in, c_out = kernel.shape
    n = xb.shape[0]
    expected = (n, oh, ow, c_out) if p.batched else (oh, ow, c_out)
    up = _float_array("upstream", upstream, (len(expected),)) if np.ndim(upstream) == len(expected) else None
    if up is None or up.shape != expected:
        got = np.shape(upstream)
        raise ValueError(f"upstream must have the shape of the convolution's output {expected}, got {got}")
    up = up.reshape(n * oh * ow, c_out).astype(xb.dtype, copy=False)

    xp = _pad_nhwc(xb, p.pads)
    cols = _im2col_rows(xp, (kh, kw), p.stride, p.dilation, (oh, ow))
    kmat = kernel.reshape(kh * kw * c_in, c_out)
    dbias = up.sum(axis=0)
    dkernel = (cols.T @ up).reshape(kernel.shape)
    dcols = (up @ kmat.T).reshape(n, oh, ow, kh, kw, c_in)
    # "col2im": add each tap's gradient back onto the input cells it read.
    dxp = np.zeros_like(xp)
    for a in range(kh):
        for b in range(kw):
            dxp[:, a * dh : a * dh + st_h * (oh - 1) + 1 : st_h, b * dw : b * dw + st_w * (ow - 1) + 1 : st_w, :] += (
                dcols[:, :, :, a, b, :]
            )
    top, bottom, left, right = p.pads
    dx = dxp[:, top : xp.shape[1] - bottom, left : xp.shape[2] - right, :]
    if not p.batched:
        dx = dx[0]
    return np.ascontiguousarray(dx), dkernel, dbias


def relu(x):
    """Rectified linear unit: negatives become 0, positives pass through.

    Parameters
    ----------
    x : array_like
        Any shape.

    Returns
    -------
    numpy.ndarray
        ``max(x, 0)`` element by element (float).

    Examples
    --------
    >>> relu([-2.0, 0.0, 3.5])
    array([0. , 0. , 3.5])
    """
    return np.maximum(require_numeric("x", x), 0)


# --------------------------------------------------------------------------------------------
# private plumbing: validation, geometry and window views shared by the functions above
# --------------------------------------------------------------------------------------------


def _float_array(name, value, ndims):
    """Validate rank and return a float32 or float64 array (float32 is kept, everything else -> float64).

    Keeping float32 lets the fast path use single-precision BLAS, as TensorFlow does.
    """
    if (
        isinstance(value, np.ndarray)
        and value.dtype in (np.float32, np.float64)
        and value.ndim in ndims
    ):
        return value
    return require_array(name, value, ndims)


_ADVICE = {"kernel": "use a smaller kernel or more padding", "pool_size": "use a smaller pool_size or more padding"}


def _spatial_plan(hw, kernel_hw, stride, padding, dilation, what="kernel"):
    """Padding and output size for both axes (:func:`helpers.shapes.window_plan`); raise if the kernel does not fit.

    Returns ``((top, bottom, left, right), (out_h, out_w))``.
    """
    advice = _ADVICE[what]
    h = window_plan(hw[0], kernel_hw[0], stride[0], padding, dilation[0], name=what, axis=" height", advice=advice)
    w = window_plan(hw[1], kernel_hw[1], stride[1], padding, dilation[1], name=what, axis=" width", advice=advice)
    return (h.before, h.after, w.before, w.after), (h.out, w.out)


def _pad_nhwc(x, pads, value=0.0):
    """Pad axes 1 and 2 of an (N, H, W, C) array; no copy when there is nothing to pad."""
    top, bottom, left, right = pads
    if not any(pads):
        return x
    n, h, w, c = x.shape
    out = np.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)  # faster than np.pad
    out[:, top:top + h, left:left + w, :] = x
    return out


def _windows(xp, kernel_hw, stride, dilation, out_hw):
    """Read-only view of every window: shape (N, out_h, out_w, kh, kw, C).

    No data is copied; the view just steps through ``xp`` with the right strides.
    """
    n, _, _, c = xp.shape
    sn, sh_, sw_, sc = xp.strides
    (kh, kw), (st_h, st_w), (dh, dw), (oh, ow) = kernel_hw, stride, dilation, out_hw
    shape = (n, oh, ow, kh, kw, c)
    strides = (sn, sh_ * st_h, sw_ * st_w, sh_ * dh, sw_ * dw, sc)
    return as_strided(xp, shape=shape, strides=strides, writeable=False)


class _Conv(NamedTuple):
    """A validated convolution: arrays in one float dtype, ``x`` as a batch, and its geometry."""

    x: np.ndarray  #: (N, H, W, C), float32 or float64
    kernel: np.ndarray  #: (kh, kw, C // groups, C_out), same dtype
    bias: np.ndarray | None  #: (C_out,) or None
    stride: tuple  #: (height, width)
    dilation: tuple  #: (height, width)
    groups: int
    pads: tuple  #: (top, bottom, left, right)
    out_hw: tuple  #: (out_h, out_w)
    batched: bool  #: whether the caller passed a batch (else the result drops axis 0)


def _prepare_conv(x, kernel, bias, stride, padding, dilation, groups):
    """Validate every argument of a convolution and work out the geometry; returns a :class:`_Conv`."""
    x = _float_array("x", x, (3, 4))
    kernel = _float_array("kernel", kernel, (4,))
    stride = require_pair("stride", stride)
    dilation = require_pair("dilation", dilation)
    padding = require_padding("padding", padding)
    groups = require_positive_int("groups", groups)
    batched = x.ndim == 4
    xb = x if batched else x[None]
    c_in = xb.shape[-1]
    kh, kw, k_in, c_out = kernel.shape
    if 0 in (kh, kw, k_in, c_out):
        raise ValueError(f"kernel must not have an empty axis, got shape {kernel.shape}")
    if 0 in xb.shape:
        raise ValueError(f"x must not have an empty axis, got shape {x.shape}")
    if c_in % groups:
        raise ValueError(f"groups must divide the input channels: x has {c_in} channels, groups={groups}")
    if c_out % groups:
        raise ValueError(f"groups must divide the output channels: kernel has {c_out} filters, groups={groups}")
    if k_in * groups != c_in:
        if groups == 1:
            raise ValueError(
                f"kernel has {k_in} input channels (axis 2 of shape {kernel.shape}) but x has {c_in} channels; "
                "they must match"
            )
        raise ValueError(
            f"kernel has {k_in} input channels per group (shape {kernel.shape}) but x has {c_in} channels "
            f"and groups={groups}, so it needs {c_in // groups} per group"
        )
    dtype = np.result_type(xb.dtype, kernel.dtype)
    if bias is not None:
        bias = np.asarray(_float_array("bias", bias, (1,)), dtype=dtype)
        if bias.shape != (c_out,):
            raise ValueError(
                f"bias must have one value per filter, length {c_out} (kernel shape {kernel.shape}), "
                f"got shape {bias.shape}"
            )
    pads, out_hw = _spatial_plan(xb.shape[1:3], (kh, kw), stride, padding, dilation)
    return _Conv(xb.astype(dtype, copy=False), kernel.astype(dtype, copy=False), bias, stride, dilation, groups,
                 pads, out_hw, batched)


def _as_nhwc(name, x, ndims=(2, 3, 4)):
    """Accept (H, W), (H, W, C) or (N, H, W, C); return the (N, H, W, C) array and the original rank."""
    x = _float_array(name, x, ndims)
    if 0 in x.shape:
        raise ValueError(f"{name} must not have an empty axis, got shape {x.shape}")
    if x.ndim == 2:
        return x[None, :, :, None], 2
    if x.ndim == 3:
        return x[None], 3
    return x, 4


def _from_nhwc(y, ndim):
    """Undo :func:`_as_nhwc`."""
    if ndim == 2:
        return y[0, :, :, 0]
    if ndim == 3:
        return y[0]
    return y


def _require_index(name, value, limit, what):
    """An output row/col index in ``range(limit)``; the message names the argument and the range."""
    value = require_nonneg_int(name, value)
    if value >= limit:
        raise ValueError(f"{name} must be between 0 and {limit - 1} (the {what} has {limit} {name}s), got {value}")
    return value
