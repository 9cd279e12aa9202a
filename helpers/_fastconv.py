"""The fast path of :func:`helpers.conv.conv2d`: im2col and matrix products in cache-sized blocks, on threads.

Private machinery, kept out of the lesson module. :func:`helpers.conv.im2col` is the algorithm as the lessons
write it (a view of every window, reshaped into one matrix, times the flattened kernels); this module computes
the same numbers about as fast as TensorFlow's CPU convolution:

* the output positions are cut into cache-sized blocks (:func:`_plan_blocks`), shared by a few threads
  (:func:`_pool`) through a queue, with numpy's BLAS held to one thread meanwhile (:class:`_SingleThreadedBlas`);
* each block's im2col rows are gathered by one copy that moves whole kernel rows as opaque items (a numpy
  "void" dtype) into a per-thread scratch buffer (:func:`_scratch`), then one ``matmul`` writes the outputs;
* with padding, the zero-bordered input lives in a scratch buffer whose borders are written only when the
  geometry changes (:func:`_padded_buffer`), and the threads fill its image area together (:class:`_PaddingCopy`).

The only entry point is :func:`im2col_matmul`; every argument arrives validated by :mod:`helpers.conv`.
Pure numpy (threadpoolctl when installed); never imports TensorFlow.
"""

from __future__ import annotations

import bisect
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from helpers.shapes import effective_kernel

__all__ = ["im2col_matmul"]

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


def im2col_matmul(x, kernel, bias, stride, dilation, pads, out_hw, groups):
    """:func:`helpers.conv.conv2d` for validated arguments: im2col and one matrix product per block of outputs.

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
    span = effective_kernel(kh, dh)

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
