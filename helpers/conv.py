"""Convolution and pooling in plain numpy, written to be read next to the lessons.

Two versions of the same layer sit side by side:

* :func:`conv2d_naive` loops over every output cell and every filter and computes
  "window times kernel, summed, plus bias", exactly as the notebooks write it;
* :func:`conv2d` gets the same numbers with matrix products ("im2col"): every window
  is copied once into a row of a big matrix, and that matrix is multiplied by the
  flattened kernels (block by block, on a few threads, so it runs about as fast as
  TensorFlow's convolution on a laptop CPU).

Everything is channels-last like Keras: images ``(H, W, C)`` or batches ``(N, H, W, C)``,
kernels ``(kh, kw, C_in, C_out)``. Padding is ``"valid"``, ``"same"`` (TensorFlow's rule:
the output has ``ceil(n / stride)`` cells and the odd extra zero goes at the bottom/right)
or a whole number of zeros on every side. The functions also power the explorers' "hover"
details (:func:`conv_step_details`, :func:`pool_step_details`) and the backward pass
lesson (:func:`conv2d_gradients`).

This module never imports TensorFlow; the tests compare it with TensorFlow.
"""

from __future__ import annotations

import bisect
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import as_strided

from helpers._validate import (
    require_array,
    require_choice,
    require_nonneg_int,
    require_padding,
    require_pair,
    require_positive_int,
)
from helpers.shapes import _amounts

__all__ = [
    "conv2d",
    "conv2d_naive",
    "conv2d_single_step",
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
# private plumbing
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


def _spatial_plan(hw, kernel_hw, stride, padding, dilation, what="kernel"):
    """Padding and output size for both axes; raise if the kernel does not fit.

    Returns ``((top, bottom, left, right), (out_h, out_w))``.
    """
    pads = []
    outs = []
    for axis, size, k, s, d in zip(("height", "width"), hw, kernel_hw, stride, dilation, strict=True):
        effective = d * (k - 1) + 1
        before, after = _amounts(size, effective, s, padding)  # shapes.padding_amounts, minus its checks
        padded = size + before + after
        if effective > padded:
            dil = f" (effective {effective} with dilation {d})" if d > 1 else ""
            raise ValueError(
                f"{what} {axis} {k}{dil} is larger than the padded input {axis} {padded} "
                f"(input {size} + padding {before + after}); use a smaller {what} or more padding"
            )
        pads.extend((before, after))
        outs.append((padded - effective) // s + 1)
    return tuple(pads), tuple(outs)


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


def _prepare_conv(x, kernel, bias, stride, padding, dilation, groups):
    """Validate every argument of a convolution and work out the geometry."""
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
    return {
        "x": xb.astype(dtype, copy=False),
        "kernel": kernel.astype(dtype, copy=False),
        "bias": bias,
        "stride": stride,
        "dilation": dilation,
        "groups": groups,
        "pads": pads,
        "out_hw": out_hw,
        "batched": batched,
    }


#: Output positions (rows of the im2col matrix) per block, and the most im2col values per block (2 MB of
#: float32). Bigger blocks mean fewer Python-level steps; these sizes were the fastest on a 2-core laptop.
_BLOCK_ROWS = 4096
_BLOCK_ELEMENTS = 524_288
#: Below this many im2col values in all, the calling thread does the whole convolution alone.
_PARALLEL_MIN_ELEMENTS = 100_000
_POOL: ThreadPoolExecutor | None = None
_CPUS: list = []
_BLAS: list = []
#: Per-thread scratch buffers (the im2col block, the padded input), kept between calls so that nothing is
#: allocated, or first touched by the operating system, on the fast path.
_LOCAL = threading.local()
_SCRATCH_KEEP_BYTES = 64 * 2**20


def _workers() -> int:
    """Threads that share a convolution (the calling thread plus pool threads), cached."""
    if not _CPUS:
        _CPUS.append(min(4, os.cpu_count() or 1))
    return _CPUS[0]


def _pool() -> ThreadPoolExecutor:
    """A small thread pool, created on first use (numpy releases the GIL while copying and multiplying)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="helpers-conv")
    return _POOL


class _SingleThreadedBlas:
    """Context in which numpy's BLAS runs on one thread; a no-op without threadpoolctl.

    The im2col products are tall and thin (few output channels): a multi-threaded BLAS spends more time
    waking its threads than multiplying, and two of our threads calling it at once would fight over its
    pool. We run blocks on several threads instead. The library handles are looked up once, so entering
    and leaving costs a few microseconds.
    """

    def __enter__(self):
        if not _BLAS:
            try:
                from threadpoolctl import ThreadpoolController

                _BLAS.append(ThreadpoolController().select(user_api="blas").lib_controllers)
            except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
                _BLAS.append([])
        self.saved = []
        for lib in _BLAS[0]:
            threads = lib.get_num_threads()
            if threads != 1:
                lib.set_num_threads(1)
                self.saved.append((lib, threads))
        return self

    def __exit__(self, *exc_info):
        for lib, threads in self.saved:
            lib.set_num_threads(threads)


def _scratch(name, size, dtype):
    """A 1-D scratch array of ``size`` values owned by the calling thread (reused, grown when too small).

    Arrays bigger than ``_SCRATCH_KEEP_BYTES`` are not kept: one big convolution should not hold on to its
    memory for the rest of the session.
    """
    buffers = getattr(_LOCAL, "buffers", None)
    if buffers is None:
        buffers = _LOCAL.buffers = {}
    buf = buffers.get(name)
    if buf is None or buf.size < size or buf.dtype != dtype:
        buf = np.empty(size, dtype=dtype)
        if buf.nbytes <= _SCRATCH_KEEP_BYTES:
            buffers[name] = buf
    return buf[:size]


@functools.lru_cache(maxsize=256)
def _plan_blocks(n, oh, ow, row_elements, workers, block_rows, block_elements):
    """Cut the output into blocks of about ``block_rows`` positions and at most ~``block_elements`` values.

    Returns a tuple of (i0, i1, r0, r1) tuples, cached (the same shapes give the same plan): several whole
    images per block or, for big images, a few output rows of one image. There are at least two blocks per
    thread when the batch allows, and the last blocks are halved, so that threads taking blocks from a
    shared queue finish at about the same time.
    """
    target = max(1, min(block_rows, block_elements // row_elements))
    per_image = oh * ow
    if per_image >= target:
        per = -(-per_image // target)  # blocks per image, then equal row counts
        rows = -(-oh // per)
        blocks = [(i, i + 1, r0, min(oh, r0 + rows)) for i in range(n) for r0 in range(0, oh, rows)]
    else:
        images = max(1, target // per_image)
        if -(-n // images) < 2 * workers:
            images = max(1, n // (2 * workers))
        blocks = [(i, min(n, i + images), 0, oh) for i in range(0, n, images)]
    if workers < 2 or len(blocks) < 2:
        return tuple(blocks)
    tail = []
    for i0, i1, r0, r1 in blocks[-workers:]:
        if i1 - i0 > 1:
            tail += [(i0, (i0 + i1) // 2, r0, r1), ((i0 + i1) // 2, i1, r0, r1)]
        elif r1 - r0 > 1:
            tail += [(i0, i1, r0, (r0 + r1) // 2), (i0, i1, (r0 + r1) // 2, r1)]
        else:
            tail.append((i0, i1, r0, r1))
    return tuple(blocks[:-workers] + tail)


def _padded_buffer(x, pads):
    """A zero-bordered buffer for ``x`` in the calling thread's scratch space; the image area is left to fill.

    The zero borders are written only when the buffer or the geometry changes: the image copies never
    touch them.
    """
    top, bottom, left, right = pads
    n, h, w, c = x.shape
    shape = (n, h + top + bottom, w + left + right, c)
    xp = _scratch("padded", n * shape[1] * shape[2] * c, x.dtype).reshape(shape)
    kept = _LOCAL.buffers.get("padded")
    reused = kept is not None and xp.base is kept
    key = (id(kept), shape, pads)
    if not reused or getattr(_LOCAL, "padded_key", None) != key:
        xp[:, :top] = 0
        xp[:, top + h :] = 0
        xp[:, :, :left] = 0
        xp[:, :, left + w :] = 0
        if reused:
            _LOCAL.padded_key = key
    return xp


class _PaddingCopy:
    """Copies ``x`` into the image area of its padded buffer in a few chunks of rows, shared by threads.

    The rows of all images, one after the other, are cut into ``parts`` chunks. A thread that needs rows
    claims the chunks that hold them and copies them, or waits while the thread that claimed a chunk
    first finishes copying it (that thread is busy copying, so the wait is short and cannot deadlock).
    Each thread starts by copying one chunk, so the copy is spread over the threads instead of delaying
    them all.
    """

    def __init__(self, x, xp, pads, parts):
        self.x, self.xp, self.top, self.left = x, xp, pads[0], pads[2]
        self.h = x.shape[1]
        total = x.shape[0] * self.h
        self.bounds = [total * j // parts for j in range(parts + 1)]
        self.claims = {}
        self.done = [threading.Event() for _ in range(parts)]

    def ensure(self, first, last):
        """Make sure image rows ``first`` to ``last - 1`` (counted across the batch) are copied."""
        bounds = self.bounds
        j0 = bisect.bisect_right(bounds, first) - 1
        j1 = bisect.bisect_left(bounds, last)
        for j in range(max(j0, 0), min(j1, len(self.done))):
            self.claim(j)

    def claim(self, j):
        done = self.done[j]
        if done.is_set():
            return
        token = object()
        if self.claims.setdefault(j, token) is token:  # atomic under the GIL: exactly one thread wins
            try:
                self.copy(self.bounds[j], self.bounds[j + 1])
            finally:
                done.set()
        done.wait()

    def copy(self, a, b):
        x, xp, h, top, left = self.x, self.xp, self.h, self.top, self.left
        w = x.shape[2]
        while a < b:  # at most three copies: the end of one image, whole images, the start of another
            i, r = divmod(a, h)
            if r == 0 and b - a >= h:
                i1 = i + (b - a) // h
                xp[i:i1, top : top + h, left : left + w] = x[i:i1]
                a = i1 * h
            else:
                r1 = min(h, r + b - a)
                xp[i, top + r : top + r1, left : left + w] = x[i, r:r1]
                a += r1 - r


def _im2col_matmul(x, kernel, bias, stride, dilation, pads, out_hw, groups):
    """The fast path of :func:`conv2d`: im2col and one matrix product per block of output positions.

    For each block, one copy gathers every window into the rows of a matrix (in the kernel's (kh, kw, c)
    order) and one product with the kernel matrix writes the block's outputs in place. To make the copy
    cheap, a window is not copied value by value: the ``kw`` neighbouring pixels of one kernel row sit side
    by side in memory, so the copy moves them as one opaque item of ``kw * C`` values (a numpy "void"
    dtype). Blocks are cache-sized and shared by a few threads through a queue, so copies and products
    use every core. With padding, the windows come from a zero-bordered copy of ``x`` that the threads
    fill together (:class:`_PaddingCopy`).
    """
    xp = _padded_buffer(x, pads) if any(pads) else np.ascontiguousarray(x)
    n, _, _, c = xp.shape
    sn, s_row, s_pix, _ = xp.strides
    kh, kw, cg, c_out = kernel.shape
    og = c_out // groups
    (st_h, st_w), (dh, dw), (oh, ow) = stride, dilation, out_hw
    k_len = kh * kw * cg
    size = x.dtype.itemsize
    if groups == 1 and dw == 1:  # one item = one kernel row: kw pixels x all channels, side by side
        item = np.dtype((np.void, kw * c * size))
        taps, tap_strides = (kh,), (dh * s_row,)
    else:  # one item = the channels of one group at one kernel tap
        item = np.dtype((np.void, cg * size))
        taps, tap_strides = (kh, kw), (dh * s_row, dw * s_pix)
    if groups == 1:
        kmat = kernel.reshape(1, k_len, c_out)
    else:
        kmat = np.ascontiguousarray(kernel.reshape(kh, kw, cg, groups, og).transpose(3, 0, 1, 2, 4))
        kmat = kmat.reshape(groups, k_len, og)
    out = np.empty((n, oh, ow, c_out), dtype=x.dtype)
    workers = _workers()
    blocks = _plan_blocks(n, oh, ow, k_len * groups, workers, _BLOCK_ROWS, _BLOCK_ELEMENTS)
    parallel = workers > 1 and len(blocks) > 1 and n * oh * ow * k_len * groups >= _PARALLEL_MIN_ELEMENTS
    threads = min(workers, len(blocks)) if parallel else 1
    padding = _PaddingCopy(x, xp, pads, threads) if any(pads) else None
    h, top = x.shape[1], pads[0]
    span = dh * (kh - 1) + 1

    def run(queue, part=0):
        if padding is not None:
            padding.claim(part)
        for i0, i1, r0, r1 in queue:
            if padding is not None:  # the image rows this block reads must be in the padded buffer
                first = i0 * h + min(h, max(0, r0 * st_h - top))
                last = (i1 - 1) * h + min(h, max(0, (r1 - 1) * st_h + span - top))
                padding.ensure(first, last)
            rows = (i1 - i0) * (r1 - r0) * ow
            cols = _scratch("cols", rows * k_len, x.dtype)
            target = out[i0:i1, r0:r1].reshape(rows, c_out)
            for g in range(groups):
                windows = np.ndarray(
                    (i1 - i0, r1 - r0, ow) + taps,
                    dtype=item,
                    buffer=xp,
                    offset=i0 * sn + r0 * st_h * s_row + g * cg * size,
                    strides=(sn, st_h * s_row, st_w * s_pix) + tap_strides,
                )
                np.copyto(cols.view(item).reshape(windows.shape), windows)  # the im2col copy
                block_out = target if groups == 1 else target[:, g * og : (g + 1) * og]
                np.matmul(cols.reshape(rows, k_len), kmat[g], out=block_out)
            if bias is not None:
                target += bias

    with _SingleThreadedBlas():
        if not parallel:
            run(blocks)
        else:
            queue = iter(blocks)  # shared: each thread takes the next block (next() is atomic under the GIL)
            others = [_pool().submit(run, queue, part) for part in range(1, threads)]
            try:
                run(queue)
            finally:
                for future in others:
                    future.result()
    return out


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
    x, kernel, bias = p["x"], p["kernel"], p["bias"]
    (stride_h, stride_w), (dil_h, dil_w) = p["stride"], p["dilation"]
    out_h, out_w = p["out_hw"]
    kh, kw, c_per_group, c_out = kernel.shape
    filters_per_group = c_out // p["groups"]
    x_padded = _pad_nhwc(x, p["pads"])
    out = np.zeros((x.shape[0], out_h, out_w, c_out), dtype=x.dtype)

    for n in range(x.shape[0]):                      # every image
        for i in range(out_h):                       # every output row
            for j in range(out_w):                   # every output column
                top, left = i * stride_h, j * stride_w
                for f in range(c_out):               # every filter
                    g = f // filters_per_group       # the channel group this filter reads
                    window = x_padded[
                        n,
                        top : top + dil_h * (kh - 1) + 1 : dil_h,
                        left : left + dil_w * (kw - 1) + 1 : dil_w,
                        g * c_per_group : (g + 1) * c_per_group,
                    ]
                    b = 0.0 if bias is None else bias[f]
                    out[n, i, j, f] = conv2d_single_step(window, kernel[:, :, :, f], b)
    return out if p["batched"] else out[0]


def conv2d(x, kernel, bias=None, stride=1, padding="valid", dilation=1, groups=1):
    """2-D convolution (cross-correlation) as a matrix product, like ``tf.nn.conv2d``.

    Same contract and same numbers as :func:`conv2d_naive`. "im2col": every window is copied
    into one row of a matrix, and a matrix product with the flattened kernels (one column per
    filter) computes all the outputs at once. For speed the rows are built and multiplied in
    cache-sized blocks, shared by a few threads; the result does not depend on the blocks.
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
    out = _im2col_matmul(
        p["x"], p["kernel"], p["bias"], p["stride"], p["dilation"], p["pads"], p["out_hw"], p["groups"]
    )
    return out if p["batched"] else out[0]


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
    if not isinstance(flip, (bool, np.bool_)):
        raise TypeError(f"flip must be True or False, got {flip!r} ({type(flip).__name__})")
    if flip:
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
    try:
        value = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"value must be a number, got {value!r} ({type(value).__name__})") from exc
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
    xb, kernel = p["x"], p["kernel"]
    (st_h, st_w), (dh, dw), (oh, ow) = p["stride"], p["dilation"], p["out_hw"]
    kh, kw, c_in, c_out = kernel.shape
    n = xb.shape[0]
    expected = (n, oh, ow, c_out) if p["batched"] else (oh, ow, c_out)
    up = _float_array("upstream", upstream, (len(expected),)) if np.ndim(upstream) == len(expected) else None
    if up is None or up.shape != expected:
        got = np.shape(upstream)
        raise ValueError(f"upstream must have the shape of the convolution's output {expected}, got {got}")
    up = up.reshape(n * oh * ow, c_out).astype(xb.dtype, copy=False)

    xp = _pad_nhwc(xb, p["pads"])
    cols = _windows(xp, (kh, kw), p["stride"], p["dilation"], (oh, ow)).reshape(n * oh * ow, kh * kw * c_in)
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
    top, bottom, left, right = p["pads"]
    dx = dxp[:, top : xp.shape[1] - bottom, left : xp.shape[2] - right, :]
    if not p["batched"]:
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
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"x must be a numeric array, got {type(x).__name__}")
    try:
        arr = np.asarray(x)
        if not np.issubdtype(arr.dtype, np.floating):
            arr = arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"x must be a numeric array, got {type(x).__name__}") from exc
    return np.maximum(arr, 0)
