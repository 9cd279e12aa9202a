"""helpers.conv without TensorFlow: the fast path against the loops, hand-worked examples, scipy,
independent loops for pooling, finite differences for gradients, and every error message."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.signal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.conv import (
    avg_pool2d,
    conv2d,
    conv2d_gradients,
    conv2d_naive,
    conv2d_single_step,
    conv_step_details,
    filter2d,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool2d,
    pad2d,
    pool_step_details,
    relu,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The worked example of the lectures: a 6x6 grayscale image and a 3x3 vertical edge detector.
LECTURE_IMAGE = np.array(
    [
        [3, 0, 1, 2, 7, 4],
        [1, 5, 8, 9, 3, 1],
        [2, 7, 2, 5, 1, 3],
        [0, 1, 3, 1, 7, 8],
        [4, 2, 1, 6, 2, 8],
        [2, 4, 5, 2, 3, 9],
    ],
    dtype=float,
)
VERTICAL_EDGE = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=float)


# ------------------------------------------------------------------------------------------------
# random configurations
# ------------------------------------------------------------------------------------------------


@st.composite
def conv_configs(draw, allow_groups=True):
    """A random, valid convolution: input, kernel, bias and settings."""
    groups = draw(st.sampled_from([1, 1, 2, 3])) if allow_groups else 1
    c_in = groups * draw(st.integers(1, 3))
    c_out = groups * draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.sampled_from([1, 2, 3, (1, 2), (2, 1)]))
    dilation = draw(st.sampled_from([1, 1, 2, (1, 2)]))
    padding = draw(st.sampled_from(["valid", "same", 0, 1, 2]))
    pad = {"valid": 0, "same": 0, 0: 0, 1: 1, 2: 2}[padding]
    dil = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    min_h = max(1, dil[0] * (kh - 1) + 1 - 2 * pad)
    min_w = max(1, dil[1] * (kw - 1) + 1 - 2 * pad)
    if padding == "same":
        min_h = min_w = 1
    h = draw(st.integers(min_h, min_h + 6))
    w = draw(st.integers(min_w, min_w + 6))
    batched = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x_shape = (draw(st.integers(1, 3)), h, w, c_in) if batched else (h, w, c_in)
    x = rng.normal(size=x_shape)
    kernel = rng.normal(size=(kh, kw, c_in // groups, c_out))
    bias = rng.normal(size=c_out) if draw(st.booleans()) else None
    return {"x": x, "kernel": kernel, "bias": bias, "stride": stride, "padding": padding,
            "dilation": dilation, "groups": groups}


@SETTINGS
@given(conv_configs())
def test_conv2d_equals_naive_loops(cfg):
    fast = conv2d(**cfg)
    slow = conv2d_naive(**cfg)
    assert fast.shape == slow.shape
    assert fast.ndim == cfg["x"].ndim
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-10)


def formula_conv(x, kernel, bias=None, stride=1, padding="valid", dilation=1, groups=1):
    """out[n, i, j, f] = b[f] + sum_{a, b, c} xpad[n, i*s + a*d, j*s + b*d, c] * k[a, b, c, f], via einsum.

    Written from the definition (and TensorFlow's "same" rule), sharing no code with helpers.conv.
    """
    assert groups == 1
    x = np.asarray(x, dtype=float)
    batched = x.ndim == 4
    x = x if batched else x[None]
    k = np.asarray(kernel, dtype=float)
    kh, kw = k.shape[:2]
    sh, sw = stride if isinstance(stride, tuple) else (stride,) * 2
    dh, dw = dilation if isinstance(dilation, tuple) else (dilation,) * 2
    h, w = x.shape[1:3]
    if padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        th = max((oh - 1) * sh + dh * (kh - 1) + 1 - h, 0)
        tw = max((ow - 1) * sw + dw * (kw - 1) + 1 - w, 0)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    else:
        p = 0 if padding == "valid" else padding
        pads = ((p, p), (p, p))
    xp = np.pad(x, ((0, 0), *pads, (0, 0)))
    oh = (xp.shape[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[2] - dw * (kw - 1) - 1) // sw + 1
    expected = np.zeros((x.shape[0], oh, ow, k.shape[3]))
    for a in range(kh):
        for b in range(kw):
            patch = xp[:, a * dh : a * dh + sh * (oh - 1) + 1 : sh, b * dw : b * dw + sw * (ow - 1) + 1 : sw, :]
            expected += np.einsum("nijc,cf->nijf", patch, k[a, b])
    if bias is not None:
        expected += bias
    return expected if batched else expected[0]


@SETTINGS
@given(conv_configs(allow_groups=False))
def test_conv2d_equals_independent_formula(cfg):
    np.testing.assert_allclose(conv2d(**cfg), formula_conv(**cfg), rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------------------------------------
# the fast path's machinery: blocks, threads, scratch buffers
# ------------------------------------------------------------------------------------------------


@SETTINGS
@given(conv_configs())
def test_conv2d_with_tiny_blocks_on_three_threads_equals_naive(cfg):
    """Blocks of a few rows, halved tails and a shared queue on three threads, even for small inputs."""
    import helpers._fastconv as hc

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(hc, "_BLOCK_ROWS", 5)
        mp.setattr(hc, "_PARALLEL_MIN_ELEMENTS", 0)
        mp.setattr(hc, "_CPUS", [3])
        fast = conv2d(**cfg)
    np.testing.assert_allclose(fast, conv2d_naive(**cfg), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "shape, kernel_shape, options",
    [
        ((5, 45, 37, 6), (3, 5, 6, 7), {"padding": "same", "stride": (1, 2), "dilation": (2, 1)}),
        ((3, 70, 66, 16), (3, 3, 16, 32), {"padding": "same"}),
        ((1, 120, 90, 3), (5, 5, 3, 8), {"padding": 2, "stride": 2}),
        ((40, 12, 12, 1), (3, 3, 1, 4), {}),
    ],
)
def test_conv2d_big_inputs_take_the_threaded_path_and_stay_exact(shape, kernel_shape, options):
    import helpers._fastconv as hc

    rng = np.random.default_rng(7)
    x = rng.normal(size=shape)
    k = rng.normal(size=kernel_shape)
    b = rng.normal(size=kernel_shape[-1])
    out = conv2d(x, k, bias=b, **options)
    assert out.size * kernel_shape[0] * kernel_shape[1] * kernel_shape[2] >= hc._PARALLEL_MIN_ELEMENTS
    np.testing.assert_allclose(out, formula_conv(x, k, bias=b, **options), rtol=1e-10, atol=1e-9)
    x32, k32 = x.astype(np.float32), k.astype(np.float32)
    np.testing.assert_allclose(conv2d(x32, k32, **options), formula_conv(x32, k32, **options), rtol=1e-4, atol=1e-3)


def test_grouped_conv2d_is_one_convolution_per_channel_group():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 40, 40, 12))
    k = rng.normal(size=(3, 3, 4, 9))  # 3 groups of 4 input channels and 3 filters
    got = conv2d(x, k, padding="same", groups=3)
    parts = [formula_conv(x[..., 4 * g : 4 * g + 4], k[..., 3 * g : 3 * g + 3], padding="same") for g in range(3)]
    np.testing.assert_allclose(got, np.concatenate(parts, axis=-1), rtol=1e-10, atol=1e-9)


def test_conv2d_accepts_views_read_only_and_broadcast_inputs():
    rng = np.random.default_rng(5)
    base = rng.normal(size=(3, 30, 40, 4))
    k = rng.normal(size=(3, 3, 4, 5))
    views = [base[:, ::2, ::-1], np.asfortranarray(base), base.transpose(0, 2, 1, 3),
             np.broadcast_to(base[:1], base.shape)]
    readonly = base.copy()
    readonly.flags.writeable = False
    for x in [*views, readonly]:
        for padding in ("valid", "same"):
            np.testing.assert_allclose(conv2d(x, k, padding=padding), formula_conv(x, k, padding=padding),
                                       rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("keep_bytes", [None, 1024])
def test_padded_scratch_buffer_is_cleaned_when_the_padding_changes(keep_bytes):
    # Both calls pad into a (2, 12, 12, 3) buffer: 10 + 1 + 1 and 8 + 2 + 2. The second call's border is
    # wider, so rows and columns the first call filled with image values must become zeros again. With a
    # small keep limit the buffers are not kept at all (a fresh one each call).
    import helpers._fastconv as hc

    rng = np.random.default_rng(11)
    k = rng.normal(size=(3, 3, 3, 2))
    with pytest.MonkeyPatch.context() as mp:
        if keep_bytes is not None:
            mp.setattr(hc, "_SCRATCH_KEEP_BYTES", keep_bytes)
            mp.setattr(hc._LOCAL, "buffers", {})
        for first, second in [((10, 1), (8, 2)), ((8, 2), (10, 1)), ((8, 2), (8, 2))]:
            x1 = rng.normal(size=(2, first[0], first[0], 3)) + 5
            x2 = rng.normal(size=(2, second[0], second[0], 3)) + 5
            conv2d(x1, k, padding=first[1])
            np.testing.assert_allclose(conv2d(x2, k, padding=second[1]), formula_conv(x2, k, padding=second[1]),
                                       rtol=1e-10, atol=1e-9)
        if keep_bytes is not None:
            assert all(buf.nbytes <= keep_bytes for buf in hc._LOCAL.buffers.values())


@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_padding_copy_fills_exactly_the_rows_asked_for(parts):
    import helpers._fastconv as hc

    rng = np.random.default_rng(parts)
    x = rng.normal(size=(3, 5, 4, 2)) + 10  # no zeros inside the images
    pads = (1, 2, 2, 1)
    expected = np.pad(x, ((0, 0), (1, 2), (2, 1), (0, 0)))
    xp = hc._padded_buffer(x, pads)
    xp[:, 1:6, 2:6] = np.nan  # whatever a previous call left in the image area
    copy = hc._PaddingCopy(x, xp, pads, parts)
    copy.ensure(6, 9)  # image 1, rows 1 to 3
    image_rows = xp[:, 1:6, 2:6].reshape(15, 4, 2)
    assert not np.isnan(image_rows[6:9]).any()
    for j in range(parts):  # the chunks holding those rows were copied whole, the others not at all
        a, b = copy.bounds[j], copy.bounds[j + 1]
        assert copy.done[j].is_set() == (a < 9 and b > 6)
        assert np.isnan(image_rows[a:b]).all() != copy.done[j].is_set() or a == b
    copy.ensure(0, 15)
    np.testing.assert_array_equal(xp, expected)


def test_conv2d_from_several_threads_at_once():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(13)
    jobs = []
    for i in range(12):
        x = rng.normal(size=(3, 30 + i, 34 - i, 4)).astype(np.float32)
        k = rng.normal(size=(3, 3, 4, 6)).astype(np.float32)
        jobs.append((x, k, ["valid", "same", 1][i % 3]))
    expected = [formula_conv(x, k, padding=p) for x, k, p in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: conv2d(job[0], job[1], padding=job[2]), jobs * 3))
    for got, want in zip(results, expected * 3, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)


def test_conv2d_gives_numpys_blas_its_threads_back():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    x = np.ones((8, 40, 40, 8), dtype=np.float32)
    k = np.ones((3, 3, 8, 16), dtype=np.float32)
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        conv2d(x, k, padding="same")
        after = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert before == after


# ------------------------------------------------------------------------------------------------
# worked examples
# ------------------------------------------------------------------------------------------------


def test_lecture_6x6_example_by_hand():
    # Top-left cell written out: 3*1 + 1*1 + 2*1 + 0*0 + 5*0 + 7*0 + 1*(-1) + 8*(-1) + 2*(-1) = -5
    top_left = 3 + 1 + 2 - (1 + 8 + 2)
    assert top_left == -5
    # The whole 4x4 map of the lecture: left column sums minus right column sums of every 3x3 window.
    expected = np.array([[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]], dtype=float)
    x = LECTURE_IMAGE[:, :, None]
    k = VERTICAL_EDGE[:, :, None, None]
    np.testing.assert_array_equal(conv2d(x, k)[:, :, 0], expected)
    np.testing.assert_array_equal(conv2d_naive(x, k)[:, :, 0], expected)
    np.testing.assert_array_equal(filter2d(LECTURE_IMAGE, VERTICAL_EDGE), expected)
    assert conv2d_single_step(LECTURE_IMAGE[:3, :3], VERTICAL_EDGE) == -5.0


def test_bright_left_dark_right_gives_the_edge_in_the_middle():
    image = np.zeros((6, 6))
    image[:, :3] = 10
    expected = np.tile([0.0, 30.0, 30.0, 0.0], (4, 1))
    np.testing.assert_array_equal(filter2d(image, VERTICAL_EDGE), expected)


def test_bias_and_relu_make_one_layer():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 5, 2))
    k = rng.normal(size=(3, 3, 2, 4))
    b = np.array([0.5, -1.0, 0.0, 2.0])
    layer = relu(conv2d(x, k, b))
    z = conv2d(x, k) + b
    np.testing.assert_allclose(layer, np.where(z > 0, z, 0.0))
    assert (layer >= 0).all()


def test_relu_values_and_dtype():
    np.testing.assert_array_equal(relu([-1, 0, 2]), [0.0, 0.0, 2.0])
    assert relu(np.array([-1.0], dtype=np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="x must be a numeric array"):
        relu("abc")


def test_multi_channel_single_step_sums_over_channels():
    rng = np.random.default_rng(2)
    window = rng.normal(size=(3, 3, 3))
    kernel = rng.normal(size=(3, 3, 3))
    expected = sum(window[a, b, c] * kernel[a, b, c] for a in range(3) for b in range(3) for c in range(3))
    assert conv2d_single_step(window, kernel, 0.25) == pytest.approx(expected + 0.25)


def test_one_by_one_convolution_mixes_channels_only():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 5, 6))
    k = rng.normal(size=(1, 1, 6, 2))
    np.testing.assert_allclose(conv2d(x, k), x @ k[0, 0])


def test_float32_stays_float32_and_lists_are_accepted():
    x = np.ones((5, 5, 1), dtype=np.float32)
    k = np.ones((3, 3, 1, 1), dtype=np.float32)
    assert conv2d(x, k).dtype == np.float32
    assert conv2d(x, k, bias=[1.0]).dtype == np.float32
    assert conv2d(x.astype(int), k).dtype == np.float64
    out = conv2d(x.tolist(), k.tolist(), padding="same")
    np.testing.assert_array_equal(out[:, :, 0], scipy.signal.correlate2d(np.ones((5, 5)), np.ones((3, 3)), "same"))


def test_same_padding_keeps_size_and_stride_uses_ceil():
    x = np.ones((7, 9, 2))
    k = np.ones((3, 3, 2, 1))
    assert conv2d(x, k, padding="same").shape == (7, 9, 1)
    assert conv2d(x, k, stride=2, padding="same").shape == (4, 5, 1)
    assert conv2d(x, k, stride=2).shape == (3, 4, 1)
    assert conv2d(x, k, padding=1, dilation=2).shape == (5, 7, 1)


def test_stride_same_puts_the_odd_zero_at_bottom_right():
    # 6 rows, kernel 3, stride 2: 3 outputs need 7 rows, so one zero is added, at the bottom.
    x = np.arange(36.0).reshape(6, 6, 1)
    k = np.zeros((3, 3, 1, 1))
    k[0, 0] = 1  # picks the top-left cell of each window
    out = conv2d(x, k, stride=2, padding="same")[:, :, 0]
    np.testing.assert_array_equal(out, x[0:6:2, 0:6:2, 0])  # no zero at the top/left
    _, pads = pad2d(x, 3, stride=2, padding="same")
    assert pads == (0, 1, 0, 1)


# ------------------------------------------------------------------------------------------------
# filter2d vs scipy
# ------------------------------------------------------------------------------------------------


@SETTINGS
@given(st.integers(3, 9), st.integers(3, 9), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_filter2d_matches_scipy(h, w, kh, kw, seed):
    rng = np.random.default_rng(seed)
    image = rng.normal(size=(h, w))
    kernel = rng.normal(size=(kh, kw))
    np.testing.assert_allclose(filter2d(image, kernel), scipy.signal.correlate2d(image, kernel, mode="valid"))
    np.testing.assert_allclose(filter2d(image, kernel, flip=True), scipy.signal.convolve2d(image, kernel, mode="valid"))
    # "full" convolution = zero padding of k - 1 on every side (square kernel case)
    if kh == kw:
        np.testing.assert_allclose(
            filter2d(image, kernel, padding=kh - 1, flip=True), scipy.signal.convolve2d(image, kernel, mode="full")
        )


def test_filter2d_flip_differs_for_asymmetric_kernels():
    image = np.zeros((6, 6))
    image[:, :3] = 10
    assert (filter2d(image, VERTICAL_EDGE, flip=True) == -filter2d(image, VERTICAL_EDGE)).all()


# ------------------------------------------------------------------------------------------------
# pad2d and step details
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 6), (5, 6, 2), (3, 5, 6, 2)])
def test_pad2d_shapes_and_values(shape):
    x = np.arange(np.prod(shape), dtype=float).reshape(shape) + 1
    padded, pads = pad2d(x, (3, 3), padding=2, value=-1.0)
    assert pads == (2, 2, 2, 2)
    hw_axes = (0, 1) if len(shape) < 4 else (1, 2)
    assert padded.shape[hw_axes[0]] == shape[hw_axes[0]] + 4
    assert padded.shape[hw_axes[1]] == shape[hw_axes[1]] + 4
    assert padded.ndim == x.ndim
    assert (padded == -1).sum() == padded.size - x.size
    unpadded = padded[2:-2, 2:-2] if len(shape) < 4 else padded[:, 2:-2, 2:-2]
    np.testing.assert_array_equal(unpadded, x)
    assert pad2d(x, 3)[1] == (0, 0, 0, 0)


def test_pad2d_same_with_dilation_and_stride():
    # kernel 3 dilated by 2 spans 5 cells; 7 cells, stride 1 -> total padding 4 -> (2, 2)
    assert pad2d(np.ones((7, 8)), 3, dilation=2, padding="same")[1] == (2, 2, 2, 2)
    # 8 cells, kernel 2, stride 1 -> total 1 -> the single zero goes after
    assert pad2d(np.ones((8, 8)), 2, padding="same")[1] == (0, 1, 0, 1)


@SETTINGS
@given(
    st.integers(5, 9), st.integers(5, 9), st.sampled_from([1, 3]), st.integers(1, 3), st.integers(1, 2),
    st.integers(1, 2), st.sampled_from(["valid", "same", 1]), st.integers(0, 2**32 - 1), st.data(),
)
def test_step_details_sum_equals_the_output_cell(h, w, c, k, s, d, padding, seed, data):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(h, w, c))
    kernel = rng.normal(size=(k, k, c))
    out = conv2d(x, kernel[..., None], stride=s, padding=padding, dilation=d)[:, :, 0]
    row = data.draw(st.integers(0, out.shape[0] - 1))
    col = data.draw(st.integers(0, out.shape[1] - 1))
    det = conv_step_details(x, kernel, row, col, stride=s, padding=padding, dilation=d)
    assert det["sum"] == pytest.approx(out[row, col], abs=1e-9)
    padded, pads = pad2d(x, k, stride=s, padding=padding, dilation=d)
    assert det["pad"] == pads
    assert det["rows"] == [row * s + a * d for a in range(k)]
    assert det["cols"] == [col * s + b * d for b in range(k)]
    np.testing.assert_array_equal(det["window"], padded[np.ix_(det["rows"], det["cols"])])
    np.testing.assert_allclose(det["products"], det["window"] * kernel)


def test_step_details_2d_and_padded_zeros():
    det = conv_step_details(LECTURE_IMAGE, VERTICAL_EDGE, 0, 0, padding="same")
    assert det["window"].shape == (3, 3)
    assert det["rows"] == [0, 1, 2] and det["pad"] == (1, 1, 1, 1)
    np.testing.assert_array_equal(det["window"][0], [0, 0, 0])  # the padded top row
    np.testing.assert_array_equal(det["window"][1:, 1:], LECTURE_IMAGE[:2, :2])
    full = filter2d(LECTURE_IMAGE, VERTICAL_EDGE, padding="same")
    assert det["sum"] == full[0, 0]


def test_step_details_out_of_range_names_row_and_col():
    with pytest.raises(ValueError, match="row must be between 0 and 3"):
        conv_step_details(LECTURE_IMAGE, VERTICAL_EDGE, 4, 0)
    with pytest.raises(ValueError, match="col must be between 0 and 3"):
        conv_step_details(LECTURE_IMAGE, VERTICAL_EDGE, 0, 4)
    with pytest.raises(ValueError, match="row must be a whole number"):
        conv_step_details(LECTURE_IMAGE, VERTICAL_EDGE, -1, 0)
    with pytest.raises(ValueError, match="kernel has 2 channels but x has 1"):
        conv_step_details(LECTURE_IMAGE, np.ones((3, 3, 2)), 0, 0)


# ------------------------------------------------------------------------------------------------
# pooling against an independent loop
# ------------------------------------------------------------------------------------------------


def pool_by_loop(x, pool, stride, padding, reduce):
    """Independent pooling: compute each window's cell range and clip it to the real image."""
    h, w, c = x.shape
    ph, pw = pool
    sh, sw = stride
    if padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        top = max((oh - 1) * sh + ph - h, 0) // 2
        left = max((ow - 1) * sw + pw - w, 0) // 2
    else:
        oh, ow = (h - ph) // sh + 1, (w - pw) // sw + 1
        top = left = 0
    out = np.empty((oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sh - top, j * sw - left
            rows = [r for r in range(r0, r0 + ph) if 0 <= r < h]
            cols = [q for q in range(c0, c0 + pw) if 0 <= q < w]
            for ch in range(c):
                values = [x[r, q, ch] for r in rows for q in cols]
                out[i, j, ch] = reduce(values)
    return out


@SETTINGS
@given(
    st.integers(2, 9), st.integers(2, 9), st.integers(1, 3), st.sampled_from([2, 3, (2, 3)]),
    st.sampled_from([None, 1, 2, 3, (1, 2)]), st.sampled_from(["valid", "same"]), st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_pooling_matches_independent_loop(h, w, c, pool_size, stride, padding, batched, seed):
    pool = pool_size if isinstance(pool_size, tuple) else (pool_size, pool_size)
    if padding == "valid" and (pool[0] > h or pool[1] > w):
        return
    strides = pool if stride is None else (stride if isinstance(stride, tuple) else (stride, stride))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, h, w, c)) if batched else rng.normal(size=(h, w, c))
    images = x if batched else x[None]
    exp_max = np.stack([pool_by_loop(im, pool, strides, padding, max) for im in images])
    exp_avg = np.stack([pool_by_loop(im, pool, strides, padding, np.mean) for im in images])
    got_max = max_pool2d(x, pool_size, stride, padding)
    got_avg = avg_pool2d(x, pool_size, stride, padding)
    if not batched:
        got_max, got_avg = got_max[None], got_avg[None]
    np.testing.assert_allclose(got_max, exp_max)
    np.testing.assert_allclose(got_avg, exp_avg)


def test_pooling_2d_input_and_lecture_example():
    x = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]], dtype=float)
    np.testing.assert_array_equal(max_pool2d(x), [[9, 2], [6, 3]])
    np.testing.assert_array_equal(avg_pool2d(x), [[15 / 4, 5 / 4], [15 / 4, 8 / 4]])
    # 5x5 input, 3x3 max pool with stride 1: a 3x3 output
    assert max_pool2d(np.ones((5, 5)), 3, 1).shape == (3, 3)
    # negatives: padded cells must not win a max ("same")
    neg = -np.ones((3, 3))
    np.testing.assert_array_equal(max_pool2d(neg, padding="same"), -np.ones((2, 2)))


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pool_step_details_match_the_pooled_output(mode, padding):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(5, 7, 2))
    pooled = (max_pool2d if mode == "max" else avg_pool2d)(x, 2, padding=padding)
    for row in range(pooled.shape[0]):
        for col in range(pooled.shape[1]):
            det = pool_step_details(x, row, col, 2, padding=padding, mode=mode)
            np.testing.assert_allclose(det["value"], pooled[row, col])
            assert det["rows"] == [2 * row, 2 * row + 1]
            if mode == "max":
                for ch, (i, j) in enumerate(det["argmax"]):
                    assert det["window"][i, j, ch] == pooled[row, col, ch]
            else:
                assert "argmax" not in det
    det = pool_step_details(x[:, :, 0], 0, 0, mode=mode)
    assert isinstance(det["value"], float) and det["window"].shape == (2, 2)


def test_pool_step_details_padded_cells_are_nan_and_range_checked():
    x = np.arange(9.0).reshape(3, 3)
    det = pool_step_details(x, 1, 1, padding="same")
    assert det["pad"] == (0, 1, 0, 1)
    assert np.isnan(det["window"]).sum() == 3
    assert det["value"] == 8.0 and det["argmax"] == (0, 0)
    with pytest.raises(ValueError, match="row must be between 0 and 1"):
        pool_step_details(x, 2, 0, padding="same")
    with pytest.raises(ValueError, match="mode must be one of 'max', 'avg'"):
        pool_step_details(x, 0, 0, mode="min")


def test_global_pools():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4, 5, 6))
    np.testing.assert_allclose(global_avg_pool2d(x), x.reshape(3, 20, 6).mean(axis=1))
    np.testing.assert_allclose(global_max_pool2d(x), x.reshape(3, 20, 6).max(axis=1))
    np.testing.assert_allclose(global_avg_pool2d(x[0]), x[0].reshape(20, 6).mean(axis=0))
    assert global_max_pool2d(x[0, :, :, 0]) == x[0, :, :, 0].max()


# ------------------------------------------------------------------------------------------------
# gradients against finite differences
# ------------------------------------------------------------------------------------------------


def numeric_gradient(f, array, eps=1e-6):
    grad = np.zeros_like(array)
    for idx in np.ndindex(array.shape):
        old = array[idx]
        array[idx] = old + eps
        plus = f()
        array[idx] = old - eps
        minus = f()
        array[idx] = old
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


@settings(max_examples=15, deadline=None)
@given(conv_configs(allow_groups=False))
def test_gradients_match_finite_differences(cfg):
    x, k = cfg["x"].copy(), cfg["kernel"].copy()
    b = np.zeros(k.shape[3]) if cfg["bias"] is None else cfg["bias"].copy()
    opts = {key: cfg[key] for key in ("stride", "padding", "dilation")}
    rng = np.random.default_rng(0)
    upstream = rng.normal(size=conv2d(x, k, b, **opts).shape)

    def loss():
        return float(np.sum(conv2d(x, k, b, **opts) * upstream))

    dx, dk, db = conv2d_gradients(x, k, upstream, **opts)
    assert dx.shape == x.shape and dk.shape == k.shape and db.shape == b.shape
    np.testing.assert_allclose(dx, numeric_gradient(loss, x), atol=1e-6)
    np.testing.assert_allclose(dk, numeric_gradient(loss, k), atol=1e-6)
    np.testing.assert_allclose(db, numeric_gradient(loss, b), atol=1e-6)


def test_gradient_of_ones_counts_window_coverage():
    # Each input cell's dx is the number of windows that contain it (kernel and upstream all ones).
    x = np.zeros((5, 5, 1))
    dx, dk, db = conv2d_gradients(x, np.ones((3, 3, 1, 1)), np.ones((3, 3, 1)))
    counts = np.zeros((5, 5))
    for i in range(3):
        for j in range(3):
            counts[i : i + 3, j : j + 3] += 1
    np.testing.assert_array_equal(dx[:, :, 0], counts)
    np.testing.assert_array_equal(dk, np.zeros((3, 3, 1, 1)))
    np.testing.assert_array_equal(db, [9.0])


# ------------------------------------------------------------------------------------------------
# error messages (one test per path)
# ------------------------------------------------------------------------------------------------

X = np.zeros((5, 5, 3))
K = np.zeros((3, 3, 3, 4))


def test_error_x_rank():
    with pytest.raises(ValueError, match="x must have 3 or 4 dimensions, got shape"):
        conv2d(np.zeros((5, 5)), K)


def test_error_x_not_an_array():
    with pytest.raises(TypeError, match="x must be a numpy array"):
        conv2d("image", K)


def test_error_kernel_rank():
    with pytest.raises(ValueError, match="kernel must have 4 dimensions"):
        conv2d(X, np.zeros((3, 3, 3)))


def test_error_channels_mismatch_names_both_numbers():
    with pytest.raises(ValueError, match="kernel has 2 input channels .* but x has 3 channels"):
        conv2d(X, np.zeros((3, 3, 2, 4)))


def test_error_groups_channels_per_group():
    with pytest.raises(ValueError, match="kernel has 2 input channels per group .* x has 6 channels and groups=2"):
        conv2d(np.zeros((5, 5, 6)), np.zeros((3, 3, 2, 4)), groups=2)


def test_error_groups_must_divide_input_channels():
    with pytest.raises(ValueError, match="groups must divide the input channels: x has 3 channels, groups=2"):
        conv2d(X, np.zeros((3, 3, 1, 4)), groups=2)


def test_error_groups_must_divide_filters():
    with pytest.raises(ValueError, match="groups must divide the output channels: kernel has 3 filters, groups=2"):
        conv2d(np.zeros((5, 5, 4)), np.zeros((3, 3, 2, 3)), groups=2)


def test_error_groups_not_positive():
    with pytest.raises(ValueError, match="groups must be a positive integer, got 0"):
        conv2d(X, K, groups=0)


def test_error_bias_length():
    with pytest.raises(ValueError, match=r"bias must have one value per filter, length 4 .* got shape \(3,\)"):
        conv2d(X, K, bias=np.zeros(3))


def test_error_bias_rank():
    with pytest.raises(ValueError, match="bias must have 1 dimensions"):
        conv2d(X, K, bias=np.zeros((4, 1)))


def test_error_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match="kernel height 7 is larger than the padded input height 5"):
        conv2d(X, np.zeros((7, 3, 3, 1)))
    with pytest.raises(ValueError, match="kernel width 3 .effective 5 with dilation 2. is larger than the padded"):
        conv2d(np.zeros((9, 4, 3)), np.zeros((3, 3, 3, 1)), dilation=2)


@pytest.mark.parametrize("fn", [conv2d, conv2d_naive])
def test_error_stride(fn):
    with pytest.raises(ValueError, match="stride must be a positive integer, got 0"):
        fn(X, K, stride=0)
    with pytest.raises(TypeError, match="stride must be a positive integer, got 1.5"):
        fn(X, K, stride=1.5)
    with pytest.raises(ValueError, match=r"stride must be an integer or a pair \(height, width\)"):
        fn(X, K, stride=(1, 2, 3))


def test_error_padding():
    with pytest.raises(ValueError, match='padding must be "valid", "same" or a whole number >= 0'):
        conv2d(X, K, padding="full")
    with pytest.raises(ValueError, match="padding must be a whole number >= 0, got -1"):
        conv2d(X, K, padding=-1)


def test_error_dilation():
    with pytest.raises(ValueError, match="dilation must be a positive integer, got 0"):
        conv2d(X, K, dilation=0)


def test_error_pool_size_and_pool_padding():
    with pytest.raises(ValueError, match="pool_size must be a positive integer, got 0"):
        max_pool2d(X, 0)
    with pytest.raises(TypeError, match='padding must be "valid" or "same"'):
        avg_pool2d(X, 2, padding=1)
    with pytest.raises(ValueError, match="pool_size height 6 is larger than the padded input height 5"):
        max_pool2d(X, 6)
    with pytest.raises(ValueError, match="stride must be a positive integer"):
        max_pool2d(X, 2, stride=-1)
    with pytest.raises(ValueError, match="x must have 2 or 3 or 4 dimensions"):
        max_pool2d(np.zeros(4))


def test_error_upstream_shape():
    with pytest.raises(ValueError, match=r"upstream must have the shape of the convolution's output \(3, 3, 4\)"):
        conv2d_gradients(X, K, np.zeros((3, 3, 3)))
    with pytest.raises(ValueError, match="upstream must have the shape"):
        conv2d_gradients(X[None], K, np.zeros((3, 3, 4)))


def test_error_filter2d_inputs():
    with pytest.raises(ValueError, match="image must have 2 dimensions"):
        filter2d(np.zeros((5, 5, 1)), VERTICAL_EDGE)
    with pytest.raises(ValueError, match="kernel must have 2 dimensions"):
        filter2d(np.zeros((5, 5)), np.zeros((3, 3, 1)))
    with pytest.raises(TypeError, match="flip must be True or False"):
        filter2d(np.zeros((5, 5)), VERTICAL_EDGE, flip="yes")


def test_error_single_step_shapes():
    with pytest.raises(ValueError, match="window and kernel must have the same shape"):
        conv2d_single_step(np.zeros((3, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="bias must be a single number"):
        conv2d_single_step(np.zeros((3, 3)), np.zeros((3, 3)), bias=[1.0, 2.0])
    with pytest.raises(TypeError, match="bias must be a number"):
        conv2d_single_step(np.zeros((3, 3)), np.zeros((3, 3)), bias="b")


def test_single_step_accepts_a_one_element_bias_array():
    assert conv2d_single_step(np.ones((2, 2)), np.ones((2, 2)), np.full((1, 1, 1), 0.5)) == 4.5


def test_error_pad2d_arguments():
    with pytest.raises(ValueError, match="kernel_size must be a positive integer, got 0"):
        pad2d(np.zeros((5, 5)), 0)
    with pytest.raises(TypeError, match="value must be a number"):
        pad2d(np.zeros((5, 5)), 3, value="zero")


# ------------------------------------------------------------------------------------------------
# no TensorFlow
# ------------------------------------------------------------------------------------------------


def test_conv_module_never_imports_tensorflow():
    code = "import sys, helpers.conv; sys.exit('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("groups", [1, 2])
def test_large_batches_split_across_threads_give_the_same_result(padding, groups):
    # big enough for the chunked, multi-threaded path of conv2d; compared with a direct einsum formula
    rng = np.random.default_rng(7)
    x = rng.normal(size=(5, 40, 40, 8)).astype(np.float32)
    k = rng.normal(size=(3, 3, 8 // groups, 6)).astype(np.float32)
    b = rng.normal(size=6).astype(np.float32)
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))) if padding == "same" else x
    windows = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(1, 2)).astype(np.float64)
    assert windows.size >= 200_000
    cg, og = 8 // groups, 6 // groups
    expected = np.concatenate(
        [np.einsum("nijcab,abcf->nijf", windows[..., g * cg:(g + 1) * cg, :, :], k[..., g * og:(g + 1) * og])
         for g in range(groups)], axis=-1) + b
    got = conv2d(x, k, b, padding=padding, groups=groups)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
