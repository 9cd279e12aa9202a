"""Unit tests for helpers.shapes against independent brute-force computations (no TensorFlow here)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import shapes
from helpers.shapes import (
    Summary,
    conv_multiplications,
    conv_output_size,
    conv_params,
    dense_params,
    depthwise_conv_params,
    explain_conv_output_size,
    padding_amounts,
    pool_output_size,
    receptive_field,
    receptive_field_mask,
    separable_conv_params,
    summarize,
    tiles_evenly,
)

# ------------------------------------------------------------------------------------------------------
# Independent brute-force references
# ------------------------------------------------------------------------------------------------------


def brute_windows(size, kernel, stride, before, after, dilation=1):
    """Start positions of every kernel window that fits the padded axis, by plain enumeration."""
    padded = size + before + after
    span = dilation * (kernel - 1) + 1
    starts = []
    pos = 0
    while pos + span <= padded:
        starts.append(pos)
        pos += stride
    return starts, padded, span


def brute_same_padding(size, kernel, stride, dilation=1):
    """The smallest total padding giving ceil(size/stride) windows, split with the extra zero after.

    Found by trying totals 0, 1, 2, ... rather than by formula.
    """
    want = -(-size // stride)
    total = 0
    while len(brute_windows(size, kernel, stride, 0, total, dilation)[0]) < want:
        total += 1
    return total // 2, total - total // 2


def brute_mask(layers, input_size, unit):
    """Forward simulation: does a one-hot input at position i reach output ``unit``?"""
    mask = np.zeros(input_size, dtype=bool)
    for i in range(input_size):
        x = np.zeros(input_size, dtype=bool)
        x[i] = True
        for layer in layers:
            k, s = layer[0], layer[1]
            d = layer[2] if len(layer) == 3 else 1
            span = d * (k - 1) + 1
            n_out = (len(x) - span) // s + 1
            x = np.array([x[o * s : o * s + span : d].any() for o in range(n_out)])
        mask[i] = x[unit]
    return mask


small = st.integers(min_value=1, max_value=40)
kernels = st.integers(min_value=1, max_value=7)
strides = st.integers(min_value=1, max_value=4)
dilations = st.integers(min_value=1, max_value=3)


# ------------------------------------------------------------------------------------------------------
# Course numbers
# ------------------------------------------------------------------------------------------------------


def test_course_numbers():
    assert conv_params(5, 3, 6) == (5 * 5 * 3 + 1) * 6 == 456
    assert conv_params(5, 3, 1, use_bias=False) == 75
    assert dense_params(3072, 4704, use_bias=False) == 32 * 32 * 3 * 28 * 28 * 6 == 14_450_688
    assert dense_params(3072, 4704) == 14_455_392
    assert conv_multiplications((6, 6, 1), 3, 1) == 144
    assert conv_multiplications((5, 5, 1), 3, 1, stride=2) == 36
    assert conv_multiplications((6, 6, 3), 3, 1) == 432
    assert conv_multiplications((6, 6, 3), 3, 2) == 864
    assert conv_output_size(512, 5) == 508
    assert conv_output_size(18, 3) == 16
    assert conv_output_size(18, 3, padding=1) == 18
    assert conv_output_size(32, 5) == 28
    assert conv_multiplications((28, 28, 192), 5, 32, padding="same") == 120_422_400
    bottleneck = conv_multiplications((28, 28, 192), 1, 16) + conv_multiplications((28, 28, 16), 5, 32, padding="same")
    assert bottleneck == 2_408_448 + 10_035_200 == 12_443_648


def test_lenet5_total():
    s = summarize(
        (32, 32, 1),
        [
            {"type": "Conv2D", "filters": 6, "kernel_size": 5},
            {"type": "MaxPooling2D"},
            {"type": "Conv2D", "filters": 16, "kernel_size": 5},
            ("MaxPooling2D", {"pool_size": 2}),
            {"type": "Flatten"},
            {"type": "Dense", "units": 120},
            {"type": "Dense", "units": 84},
            {"type": "Dense", "units": 10},
        ],
    )
    assert s.total_params == 61_706
    assert [r["output_shape"] for r in s.rows] == [
        (28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)
    ]
    assert s.output_shape == (10,)
    assert s.input_shape == (32, 32, 1)
    assert [r["name"] for r in s.rows][:4] == ["conv2d_1", "max_pooling2d_1", "conv2d_2", "max_pooling2d_2"]


# ------------------------------------------------------------------------------------------------------
# One axis: sizes against enumeration
# ------------------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(small, kernels, strides, dilations, st.integers(min_value=0, max_value=3))
def test_conv_output_size_matches_enumeration(size, kernel, stride, dilation, pad):
    starts, padded, span = brute_windows(size, kernel, stride, pad, pad, dilation)
    if not starts:
        with pytest.raises(ValueError, match="larger than the padded input"):
            conv_output_size(size, kernel, stride, pad, dilation)
        return
    assert conv_output_size(size, kernel, stride, pad, dilation) == len(starts)
    assert padding_amounts(size, kernel, stride, pad, dilation) == (pad, pad)
    assert tiles_evenly(size, kernel, stride, pad, dilation) == (starts[-1] + span == padded)
    if pad == 0:
        assert conv_output_size(size, kernel, stride, "valid", dilation) == len(starts)
        assert padding_amounts(size, kernel, stride, "valid", dilation) == (0, 0)


@settings(max_examples=200, deadline=None)
@given(small, kernels, strides, dilations)
def test_same_padding_matches_search(size, kernel, stride, dilation):
    before, after = brute_same_padding(size, kernel, stride, dilation)
    assert padding_amounts(size, kernel, stride, "same", dilation) == (before, after)
    starts, padded, span = brute_windows(size, kernel, stride, before, after, dilation)
    assert conv_output_size(size, kernel, stride, "same", dilation) == len(starts) == math.ceil(size / stride)
    assert tiles_evenly(size, kernel, stride, "same", dilation) == (starts[-1] + span == padded)


@settings(max_examples=150, deadline=None)
@given(small, kernels, st.one_of(st.none(), strides), st.sampled_from(["valid", "same"]))
def test_pool_output_size_matches_enumeration(size, pool, stride, padding):
    step = pool if stride is None else stride
    if padding == "same":
        before, after = brute_same_padding(size, pool, step)
        assert pool_output_size(size, pool, stride, padding) == len(brute_windows(size, pool, step, before, after)[0])
        return
    starts = brute_windows(size, pool, step, 0, 0)[0]
    if not starts:
        with pytest.raises(ValueError, match="pool_size"):
            pool_output_size(size, pool, stride, padding)
    else:
        assert pool_output_size(size, pool, stride, padding) == len(starts)


def test_padding_case_insensitive_and_odd_zero_after():
    assert padding_amounts(6, 2, padding="SAME") == (0, 1)
    assert padding_amounts(4, 4, padding="same") == (1, 2)
    assert conv_output_size(5, 3, padding="Valid") == 3


# ------------------------------------------------------------------------------------------------------
# Explanations
# ------------------------------------------------------------------------------------------------------


def test_explain_valid_not_tiling():
    text = explain_conv_output_size(32, 5, stride=2)
    assert "(32 + 2*0 - 5) / 2 + 1 = 14.5 -> 14" in text
    assert "does not tile" in text and "last 1 row(s)/column(s)" in text and "14" in text


def test_explain_int_padding_tiling():
    text = explain_conv_output_size(18, 3, padding=1)
    assert "(18 + 2*1 - 3) / 1 + 1 = 18" in text
    assert "tiles the padded input evenly" in text
    assert "-> " not in text


def test_explain_same():
    text = explain_conv_output_size(7, 4, stride=3, padding="same")
    # ceil(7/3) = 3 outputs; total = (3-1)*3 + 4 - 7 = 3 zeros: 1 before, 2 after
    assert "ceil(7 / 3) = 3" in text
    assert "= 3" in text and "1 before" in text and "2 after" in text


def test_explain_dilation_shows_effective_kernel():
    text = explain_conv_output_size(20, 3, dilation=3)
    assert "3*(3 - 1) + 1 = 7" in text
    assert "(20 + 2*0 - 7) / 1 + 1 = 14" in text


def test_explain_repeating_fraction_and_skipped_gap():
    text = explain_conv_output_size(10, 1, stride=3)
    assert "(10 + 2*0 - 1) / 3 + 1 = 4" in text
    assert "skipped" in text
    text = explain_conv_output_size(11, 3, stride=3)
    assert "3.67 -> 3" in text and "last 2 row(s)" in text


def _tail_left_over(size, kernel, stride, padding):
    """(input cells, padded cells) after the last window of an axis with `padding` zeros on each side, counted
    by marking every cell that some window reads (brute force, independent of helpers.shapes)."""
    read = np.zeros(size + 2 * padding, dtype=bool)
    for start in brute_windows(size, kernel, stride, padding, padding)[0]:
        read[start:start + kernel] = True
    last = int(np.nonzero(read)[0].max())
    tail = np.arange(last + 1, size + 2 * padding)
    is_input = (tail >= padding) & (tail < padding + size)
    return int(is_input.sum()), int((~is_input).sum())


@pytest.mark.parametrize("size, kernel, stride, padding", [
    (16, 3, 2, 1), (36, 3, 2, 2), (16, 2, 3, 1), (16, 3, 4, 1), (20, 3, 4, 2), (32, 5, 2, 0), (6, 3, 2, 0),
    (11, 3, 3, 0), (18, 3, 1, 1), (7, 3, 2, 1),
])
def test_explain_counts_leftovers_against_the_input(size, kernel, stride, padding):
    """A padded zero left over after the last window is padding, not an input row "never covered"."""
    lost_input, lost_padding = _tail_left_over(size, kernel, stride, padding)
    text = explain_conv_output_size(size, kernel, stride=stride, padding=padding)
    if lost_input:
        assert f"the last {lost_input} row(s)/column(s) are never covered" in text
    else:
        assert "are never covered" not in text.replace("padded row(s)/column(s) are never covered", "")
        assert "every input row/column is read" in text or "tiles the padded input evenly" in text
    if lost_padding:
        assert f"{lost_padding} padded row(s)/column(s)" in text
    if not lost_input and not lost_padding:
        assert "tiles the" in text and "does not tile" not in text


def test_explain_padding_left_over_is_not_lost_input():
    # N=16, F=3, S=2, P=1: padded length 18, windows start at 0..14 and read up to index 16 (the last input
    # row); index 17 is a padded zero. The old text said "the last 1 row(s)/column(s) are never covered".
    text = explain_conv_output_size(16, 3, stride=2, padding=1)
    assert "padded row(s)/column(s) are never covered" in text and "every input row/column is read" in text
    assert "the last 1 row(s)/column(s) are never covered" not in text
    # both: N=16, F=3, S=4, P=1 reads padded indices 0..14; indices 15 and 16 are input, 17 is padding
    text = explain_conv_output_size(16, 3, stride=4, padding=1)
    assert "the last 2 row(s)/column(s) are never covered (and 1 padded row(s)/column(s) after them)" in text


def test_explain_raises_like_conv_output_size():
    with pytest.raises(ValueError, match="kernel_size 5 .effective 5 with dilation 1. is larger than the padded input 4"):
        explain_conv_output_size(4, 5)
    with pytest.raises(ValueError, match="stride must be a positive integer"):
        explain_conv_output_size(4, 3, stride=0)


def test_kernel_too_large_message_mentions_everything():
    with pytest.raises(ValueError) as info:
        conv_output_size(4, 3, padding=0, dilation=2)
    msg = str(info.value)
    assert "kernel_size 3" in msg and "effective 5" in msg and "padded input 4" in msg and "more padding" in msg
    with pytest.raises(ValueError, match="larger than the padded input"):
        tiles_evenly(4, 5)
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv_multiplications((4, 10, 1), 5, 1)
    assert conv_output_size(4, 5, padding=1) == 2  # fits once padded
    assert conv_output_size(2, 7, padding="same") == 2  # "same" always fits


# ------------------------------------------------------------------------------------------------------
# Error paths: one per argument / kind of mistake
# ------------------------------------------------------------------------------------------------------

AXIS_FUNCS = [conv_output_size, padding_amounts, tiles_evenly, explain_conv_output_size]


@pytest.mark.parametrize("func", AXIS_FUNCS)
@pytest.mark.parametrize(
    ("kwargs", "exc", "pattern"),
    [
        ({"size": 0}, ValueError, "size must be a positive integer, got 0"),
        ({"size": -3}, ValueError, "size must be a positive integer, got -3"),
        ({"size": 4.0}, TypeError, "size must be a positive integer"),
        ({"size": True}, TypeError, "size must be a positive integer"),
        ({"kernel_size": 0}, ValueError, "kernel_size must be a positive integer"),
        ({"kernel_size": 2.5}, TypeError, "kernel_size must be a positive integer"),
        ({"kernel_size": False}, TypeError, "kernel_size must be a positive integer"),
        ({"stride": 0}, ValueError, "stride must be a positive integer, got 0"),
        ({"stride": -1}, ValueError, "stride must be a positive integer"),
        ({"stride": 1.5}, TypeError, "stride must be a positive integer"),
        ({"dilation": 0}, ValueError, "dilation must be a positive integer"),
        ({"dilation": 2.0}, TypeError, "dilation must be a positive integer"),
        ({"padding": "full"}, ValueError, "padding must be"),
        ({"padding": -1}, ValueError, "padding must be a whole number >= 0"),
        ({"padding": 1.0}, TypeError, "padding must be"),
        ({"padding": None}, TypeError, "padding must be"),
    ],
)
def test_axis_argument_errors(func, kwargs, exc, pattern):
    args = {"size": 10, "kernel_size": 3, "stride": 1, "padding": "valid", "dilation": 1, **kwargs}
    with pytest.raises(exc, match=pattern):
        func(**args)


@pytest.mark.parametrize(
    ("kwargs", "exc", "pattern"),
    [
        ({"size": 0}, ValueError, "size must be a positive integer"),
        ({"pool_size": 0}, ValueError, "pool_size must be a positive integer"),
        ({"pool_size": 2.0}, TypeError, "pool_size must be a positive integer"),
        ({"stride": 0}, ValueError, "stride must be a positive integer"),
        ({"stride": True}, TypeError, "stride must be a positive integer"),
        ({"padding": "full"}, ValueError, 'padding must be "valid" or "same"'),
        ({"padding": 1}, TypeError, 'padding must be "valid" or "same"'),
        ({"size": 3, "pool_size": 4}, ValueError, "pool_size 4 is larger than the input 3"),
    ],
)
def test_pool_errors(kwargs, exc, pattern):
    args = {"size": 10, "pool_size": 2, "stride": None, "padding": "valid", **kwargs}
    with pytest.raises(exc, match=pattern):
        pool_output_size(**args)


@pytest.mark.parametrize(
    ("call", "exc", "pattern"),
    [
        (lambda: conv_params(0, 3, 6), ValueError, "kernel_size must be a positive integer"),
        (lambda: conv_params((3, 0), 3, 6), ValueError, "kernel_size must be a positive integer"),
        (lambda: conv_params((3, 3, 3), 3, 6), ValueError, "kernel_size must be an integer or a pair"),
        (lambda: conv_params(3.0, 3, 6), TypeError, "kernel_size must be a positive integer"),
        (lambda: conv_params(3, 0, 6), ValueError, "in_channels must be a positive integer"),
        (lambda: conv_params(3, -2, 6), ValueError, "in_channels must be a positive integer"),
        (lambda: conv_params(3, 3.0, 6), TypeError, "in_channels must be a positive integer"),
        (lambda: conv_params(3, 3, 0), ValueError, "filters must be a positive integer"),
        (lambda: conv_params(3, 3, True), TypeError, "filters must be a positive integer"),
        (lambda: conv_params(3, 3, 6, use_bias=1), TypeError, "use_bias must be True or False"),
        (lambda: conv_params(3, 3, 6, groups=0), ValueError, "groups must be a positive integer"),
        (lambda: conv_params(3, 4, 6, groups=4), ValueError, "groups must divide filters"),
        (lambda: conv_params(3, 6, 6, groups=4), ValueError, "groups must divide in_channels"),
        (lambda: dense_params(0, 10), ValueError, "in_features must be a positive integer"),
        (lambda: dense_params(10, 0), ValueError, "units must be a positive integer"),
        (lambda: dense_params(10, 2.0), TypeError, "units must be a positive integer"),
        (lambda: dense_params(10, 2, use_bias="yes"), TypeError, "use_bias must be True or False"),
        (lambda: depthwise_conv_params(3, 8, depth_multiplier=0), ValueError, "depth_multiplier must be a positive"),
        (lambda: depthwise_conv_params(3, 8, depth_multiplier=1.5), TypeError, "depth_multiplier must be a positive"),
        (lambda: depthwise_conv_params(3, 0), ValueError, "in_channels must be a positive integer"),
        (lambda: separable_conv_params(3, 8, 16, depth_multiplier=-1), ValueError, "depth_multiplier must be"),
        (lambda: separable_conv_params(3, 8, 0), ValueError, "filters must be a positive integer"),
        (lambda: separable_conv_params(0, 8, 4), ValueError, "kernel_size must be a positive integer"),
        (lambda: conv_multiplications((6, 6), 3, 1), ValueError, "input_shape must be a tuple"),
        (lambda: conv_multiplications("66", 3, 1), TypeError, "input_shape must be a tuple"),
        (lambda: conv_multiplications((6, 6, 0), 3, 1), ValueError, "input_shape must be a positive integer"),
        (lambda: conv_multiplications((6, 6, 3), 3, 0), ValueError, "filters must be a positive integer"),
        (lambda: conv_multiplications((6, 6, 3), 3, 1, stride=0), ValueError, "stride must be a positive"),
        (lambda: conv_multiplications((6, 6, 3), 3, 1, dilation=0), ValueError, "dilation must be a positive"),
        (lambda: conv_multiplications((6, 6, 3), 3, 1, padding="full"), ValueError, "padding must be"),
        (lambda: conv_multiplications((6, 6, 3), 3, 2, groups=2), ValueError, "groups must divide in_channels"),
    ],
)
def test_count_errors(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


# ------------------------------------------------------------------------------------------------------
# Parameter and multiplication counts: formulas written out independently
# ------------------------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(kernels, kernels, st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.booleans())
def test_param_counts_by_weight_tensor_sizes(kh, kw, cin_per_group, fil_per_group, groups, bias):
    cin, filters = cin_per_group * groups, fil_per_group * groups
    kernel = np.zeros((kh, kw, cin // groups, filters))  # Keras's kernel tensor layout
    assert conv_params((kh, kw), cin, filters, use_bias=bias, groups=groups) == kernel.size + bias * filters
    dw = np.zeros((kh, kw, cin, fil_per_group))
    assert depthwise_conv_params((kh, kw), cin, fil_per_group, use_bias=bias) == dw.size + bias * cin * fil_per_group
    pw = np.zeros((1, 1, cin * fil_per_group, filters))
    assert (
        separable_conv_params((kh, kw), cin, filters, fil_per_group, use_bias=bias)
        == dw.size + pw.size + bias * filters
    )
    assert dense_params(cin, filters, use_bias=bias) == np.zeros((cin, filters)).size + bias * filters


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 12), st.integers(3, 12), st.integers(1, 3), kernels, st.integers(1, 3), strides)
def test_conv_multiplications_by_counting_loops(h, w, c, k, filters, stride):
    """Count the multiplications of a naive convolution loop, one by one."""
    if k > min(h, w):
        return
    count = 0
    for _top in range(0, h - k + 1, stride):
        for _left in range(0, w - k + 1, stride):
            for _f in range(filters):
                count += k * k * c
    assert conv_multiplications((h, w, c), k, filters, stride=stride) == count


# ------------------------------------------------------------------------------------------------------
# Receptive fields
# ------------------------------------------------------------------------------------------------------

layer_st = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3))


@settings(max_examples=80, deadline=None)
@given(st.lists(layer_st, min_size=1, max_size=4), st.data())
def test_receptive_field_mask_matches_forward_simulation(layers, data):
    n = 1
    for k, s, d in reversed(layers):  # smallest input that yields a few output units
        n = (n - 1) * s + d * (k - 1) + 1
    input_size = n + data.draw(st.integers(0, 12))
    n_out = input_size
    for k, s, d in layers:
        n_out = (n_out - (d * (k - 1) + 1)) // s + 1
    unit = data.draw(st.integers(0, n_out - 1))
    mask = receptive_field_mask(layers, input_size, unit)
    assert mask.dtype == bool and mask.shape == (input_size,)
    np.testing.assert_array_equal(mask, brute_mask(layers, input_size, unit))
    # the span of the mask is the receptive field; the first covered pixel moves by the jump per unit
    rows = receptive_field(layers)
    hits = np.flatnonzero(mask)
    assert hits[-1] - hits[0] + 1 == rows[-1]["receptive_field"]
    assert hits[0] == unit * rows[-1]["jump"]


def test_receptive_field_rows():
    rows = receptive_field([(3, 1), (2, 2), (3, 1, 2)])
    assert [r["layer"] for r in rows] == [1, 2, 3]
    assert [(r["kernel"], r["stride"], r["dilation"]) for r in rows] == [(3, 1, 1), (2, 2, 1), (3, 1, 2)]
    # by hand: 3; 3 + 1*1 = 4; 4 + (5-1)*2 = 12. jumps 1, 2, 2
    assert [r["receptive_field"] for r in rows] == [3, 4, 12]
    assert [r["jump"] for r in rows] == [1, 2, 2]
    assert receptive_field([]) == []


def test_dilated_mask_has_holes():
    mask = receptive_field_mask([(3, 1, 2)], 9, 2)
    assert mask.astype(int).tolist() == [0, 0, 1, 0, 1, 0, 1, 0, 0]


@pytest.mark.parametrize(
    ("call", "exc", "pattern"),
    [
        (lambda: receptive_field([(0, 1)]), ValueError, "layer 1: kernel must be a positive integer"),
        (lambda: receptive_field([(3, 1), (3, 0)]), ValueError, "layer 2: stride must be a positive integer"),
        (lambda: receptive_field([(3, 1, 0)]), ValueError, "dilation must be a positive integer"),
        (lambda: receptive_field([(3.0, 1)]), TypeError, "kernel must be a positive integer"),
        (lambda: receptive_field([(3,)]), ValueError, r"layer 1 must be a \(kernel, stride\)"),
        (lambda: receptive_field([3, 1]), ValueError, r"layer 1 must be a \(kernel, stride\)"),
        (lambda: receptive_field(3), TypeError, "layers must be a sequence"),
        (lambda: receptive_field_mask([(3, 1)], 5, 3), ValueError, "unit must be between 0 and 2"),
        (lambda: receptive_field_mask([(3, 1)], 5, -1), ValueError, "unit must be between"),
        (lambda: receptive_field_mask([(3, 1)], 5, 1.0), TypeError, "unit must be a whole number"),
        (lambda: receptive_field_mask([(3, 1)], 0, 0), ValueError, "input_size must be a positive integer"),
        (lambda: receptive_field_mask([(3, 2), (3, 1)], 6, 0), ValueError, "does not fit an input of size 6"),
    ],
)
def test_receptive_field_errors(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


# ------------------------------------------------------------------------------------------------------
# summarize()
# ------------------------------------------------------------------------------------------------------


def test_summary_rows_agree_with_calculators():
    spec = [
        {"type": "ZeroPadding2D", "padding": 1},
        {"type": "Conv2D", "filters": 8, "kernel_size": (3, 5), "strides": 2, "padding": "same", "activation": "relu"},
        {"type": "BatchNormalization"},
        {"type": "ReLU"},
        {"type": "DepthwiseConv2D", "kernel_size": 3, "depth_multiplier": 2, "use_bias": False},
        {"type": "SeparableConv2D", "filters": 4, "kernel_size": 3, "padding": "same"},
        {"type": "AveragePooling2D", "pool_size": 2, "strides": 1},
        {"type": "Conv2D", "filters": 4, "kernel_size": 1, "groups": 2},
        {"type": "Dense", "units": 3},
        {"type": "GlobalMaxPooling2D"},
        {"type": "Dropout", "rate": 0.5},
        {"type": "Dense", "units": 2, "use_bias": False},
        {"type": "Activation", "activation": "softmax"},
    ]
    s = summarize((20, 21, 3), spec)
    shapes_ = [r["output_shape"] for r in s.rows]
    h1 = conv_output_size(22, 3, 2, "same")
    w1 = conv_output_size(23, 5, 2, "same")
    h2, w2 = conv_output_size(h1, 3), conv_output_size(w1, 3)
    h3, w3 = pool_output_size(h2, 2, 1), pool_output_size(w2, 2, 1)
    assert shapes_ == [
        (22, 23, 3), (h1, w1, 8), (h1, w1, 8), (h1, w1, 8), (h2, w2, 16), (h2, w2, 4), (h3, w3, 4),
        (h3, w3, 4), (h3, w3, 3), (3,), (3,), (2,), (2,),
    ]
    params = [r["params"] for r in s.rows]
    assert params == [
        0, conv_params((3, 5), 3, 8), 4 * 8, 0, depthwise_conv_params(3, 8, 2, use_bias=False),
        separable_conv_params(3, 16, 4), 0, conv_params(1, 4, 4, groups=2), dense_params(4, 3), 0, 0,
        dense_params(3, 2, use_bias=False), 0,
    ]
    assert s.total_params == sum(params)
    mults = [r["multiplications"] for r in s.rows]
    assert mults[1] == conv_multiplications((22, 23, 3), (3, 5), 8, stride=2, padding="same")
    assert mults[4] == h2 * w2 * 16 * 9
    assert mults[5] == h2 * w2 * 16 * 9 + h2 * w2 * 16 * 4
    assert mults[7] == conv_multiplications((h3, w3, 4), 1, 4, groups=2)
    assert mults[8] == h3 * w3 * 4 * 3  # Dense on the last axis, once per position
    assert mults[11] == 3 * 2
    assert mults[0] == mults[2] == mults[3] == mults[6] == mults[9] == mults[10] == mults[12] == 0
    assert s.total_multiplications == sum(mults)
    names = [r["name"] for r in s.rows]
    assert names[:3] == ["zero_padding2d_1", "conv2d_1", "batch_normalization_1"]
    assert names[7] == "conv2d_2" and names[11] == "dense_2"


def test_summary_text_and_html():
    s = summarize((64, 64, 3), [("Conv2D", {"filters": 64, "kernel_size": 3}), ("Flatten", {}), ("Dense", {"units": 10})])
    text = s.to_text()
    assert str(s) == text
    expected_total = (3 * 3 * 3 + 1) * 64 + 62 * 62 * 64 * 10 + 10
    assert f"{expected_total:,}" in text and "," in f"{expected_total:,}"
    lines = text.splitlines()
    assert any(line.startswith("Total") for line in lines)
    assert "conv2d_1 (Conv2D)" in text and "(62, 62, 64)" in text and "(246016,)" in text
    # aligned: every line with a multiplications column ends at the same place, and the params column too
    table = [line for line in lines[1:] if not set(line) <= {"-"}]
    with_mults = [line for line in table if not line.startswith(("Trainable", "Non-trainable"))]
    assert len({len(line) for line in with_mults}) == 1
    params_end = lines[1].index("Params") + len("Params")
    assert all(line[:params_end].rstrip()[-1].isdigit() for line in table[1:])
    assert "Non-trainable" not in lines[1], "no per-layer column when every parameter is trainable"
    assert lines[-2].split() == ["Trainable", "params", f"{expected_total:,}"]
    assert lines[-1].split() == ["Non-trainable", "params", "0"]
    html_ = s._repr_html_()
    assert html_ == s.to_html()
    assert 'class="cnn-summary-table"' in html_ and "<table" in html_ and "</table>" in html_
    assert f"{expected_total:,}" in html_ and "conv2d_1" in html_
    assert isinstance(s, Summary) and "Summary" in repr(s)


def test_summary_html_escapes_names():
    s = summarize((4, 4, 1), [{"type": "Flatten", "name": "<b>x</b>"}])
    assert "<b>x</b>" not in s.to_html() and "&lt;b&gt;" in s.to_html()


def test_summary_accepts_pairs_aliases_and_bare_names():
    s = summarize(
        (10, 12, 2),
        [
            {"type": "Conv2D", "filters": 3, "kernel_size": [3, 5], "strides": (1, 2), "kernel_initializer": "he_normal"},
            {"type": "MaxPool2D", "pool_size": (2, 3)},
            "GlobalAvgPool2D",
        ],
    )
    assert [r["output_shape"] for r in s.rows] == [(8, 4, 3), (4, 1, 3), (3,)]
    assert [r["type"] for r in s.rows] == ["Conv2D", "MaxPooling2D", "GlobalAveragePooling2D"]
    assert summarize((5, 5, 1), []).output_shape == (5, 5, 1)


@pytest.mark.parametrize(
    ("spec", "exc", "pattern"),
    [
        ([{"type": "Conv3D", "filters": 2, "kernel_size": 3}], ValueError, "layer 1: unknown layer type 'Conv3D'; supported: Conv2D"),
        ([{"filters": 2, "kernel_size": 3}], ValueError, 'layer 1: a dict spec needs a "type" key'),
        ([42], ValueError, "layer 1: expected a dict"),
        ([(3, {})], ValueError, "layer 1: the layer type must be a Keras class name"),
        ([{"type": "Conv2D", "kernel_size": 3}], ValueError, "layer 1 \\(Conv2D\\): missing required keyword 'filters'"),
        ([{"type": "Dense"}], ValueError, "missing required keyword 'units'"),
        ([{"type": "Conv2D", "filters": 2, "kernel_size": 3, "data_format": "channels_first"}], ValueError,
         "layer 1 \\(Conv2D\\): unsupported keyword 'data_format'"),
        ([{"type": "Flatten"}, {"type": "MaxPooling2D", "pool_sizes": 2}], ValueError,
         "layer 2 \\(MaxPooling2D\\): unsupported keyword 'pool_sizes'; keywords that change shapes here: pool_size"),
        ([{"type": "Conv2D", "filters": 0, "kernel_size": 3}], ValueError, "layer 1 \\(Conv2D\\): filters must be a positive integer, got 0"),
        ([{"type": "Conv2D", "filters": 2.0, "kernel_size": 3}], TypeError, "layer 1 \\(Conv2D\\): filters must be"),
        ([{"type": "Conv2D", "filters": 2, "kernel_size": 0}], ValueError, "kernel_size must be a positive integer"),
        ([{"type": "Conv2D", "filters": 2, "kernel_size": 3, "strides": 0}], ValueError, "strides must be a positive integer"),
        ([{"type": "Conv2D", "filters": 2, "kernel_size": 3, "padding": "full"}], ValueError, "padding must be \"valid\" or \"same\""),
        ([{"type": "Conv2D", "filters": 2, "kernel_size": 3, "padding": 1}], TypeError, "padding must be \"valid\" or \"same\""),
        ([{"type": "Conv2D", "filters": 2, "kernel_size": 3, "dilation_rate": 0}], ValueError, "dilation_rate must be a positive"),
        ([{"type": "Conv2D", "filters": 2, "kernel_size": 3, "dilation_rate": 2, "strides": 2}], ValueError,
         "strides > 1 together with dilation_rate > 1"),
        ([{"type": "Conv2D", "filters": 4, "kernel_size": 3, "groups": 2}], ValueError,
         "layer 1 \\(Conv2D\\): groups=2 must divide both the input channels \\(3\\)"),
        ([{"type": "Conv2D", "filters": 3, "kernel_size": 3, "groups": 3}, {"type": "Conv2D", "filters": 4, "kernel_size": 1, "groups": 3}],
         ValueError, "layer 2 \\(Conv2D\\): groups=3 must divide both the input channels \\(3\\) and filters \\(4\\)"),
        ([{"type": "Conv2D", "filters": 2, "kernel_size": 3, "use_bias": "no"}], TypeError, "use_bias must be True or False"),
        ([{"type": "DepthwiseConv2D", "kernel_size": 3, "depth_multiplier": 0}], ValueError, "layer 1 \\(DepthwiseConv2D\\): depth_multiplier"),
        ([{"type": "SeparableConv2D", "filters": 2, "kernel_size": 3, "depth_multiplier": 1.0}], TypeError, "depth_multiplier"),
        ([{"type": "Conv2D", "filters": 2, "kernel_size": 3}, {"type": "MaxPooling2D"}, {"type": "Conv2D", "filters": 2, "kernel_size": 5}],
         ValueError, "layer 3 \\(Conv2D\\): the kernel height 5 is larger than the input height 3"),
        ([{"type": "Conv2D", "filters": 2, "kernel_size": 3, "dilation_rate": 5}], ValueError,
         "effective 11 with dilation 5"),
        ([{"type": "MaxPooling2D", "pool_size": 9}], ValueError, "layer 1 \\(MaxPooling2D\\): the pool height 9 is larger"),
        ([{"type": "MaxPooling2D", "pool_size": 2, "strides": 0}], ValueError, "strides must be a positive integer"),
        ([{"type": "Flatten"}, {"type": "Conv2D", "filters": 2, "kernel_size": 1}], ValueError,
         "layer 2 \\(Conv2D\\): needs a \\(height, width, channels\\) input, got shape \\(192,\\)"),
        ([{"type": "Flatten"}, {"type": "GlobalAveragePooling2D"}], ValueError, "layer 2 \\(GlobalAveragePooling2D\\): needs"),
        ([{"type": "Dense", "units": 0}], ValueError, "layer 1 \\(Dense\\): units must be a positive integer"),
        ([{"type": "ZeroPadding2D", "padding": -1}], ValueError, "layer 1 \\(ZeroPadding2D\\): padding must be a whole number"),
        ([{"type": "ZeroPadding2D", "padding": "1"}], TypeError, "padding must be a whole number"),
        ([{"type": "BatchNormalization", "axis": 1}], ValueError, "unsupported keyword 'axis'"),
        ([{"type": "BatchNormalization", "center": 0}], TypeError, "center must be True or False"),
    ],
)
def test_summarize_errors(spec, exc, pattern):
    with pytest.raises(exc, match=pattern):
        summarize((8, 8, 3), spec)


@pytest.mark.parametrize(
    ("shape", "layers", "exc"),
    [
        ("32x32", [], TypeError),
        ((), [], ValueError),
        ((32, 0, 3), [], ValueError),
        ((32, 32.0, 3), [], TypeError),
        ((32, 32, 3), {"type": "Flatten"}, TypeError),
        ((32, 32, 3), 5, TypeError),
    ],
)
def test_summarize_bad_arguments(shape, layers, exc):
    with pytest.raises(exc):
        summarize(shape, layers)


def test_batchnorm_center_scale_and_zero_padding_forms():
    s = summarize(
        (6, 7, 5),
        [
            {"type": "BatchNormalization", "center": False},
            {"type": "ZeroPadding2D", "padding": (1, 2)},
            {"type": "ZeroPadding2D", "padding": ((0, 1), (2, 3))},
            {"type": "GlobalAveragePooling2D", "keepdims": True},
        ],
    )
    assert [r["params"] for r in s.rows][0] == 3 * 5
    assert [r["output_shape"] for r in s.rows] == [(6, 7, 5), (8, 11, 5), (9, 16, 5), (1, 1, 5)]


def test_trainable_split_of_batch_normalization_by_hand():
    # 5 channels: gamma and beta are trained, the moving mean and variance are not (2 + 2 numbers per channel)
    s = summarize((6, 6, 5), [{"type": "BatchNormalization"}])
    row = s.rows[0]
    assert (row["params"], row["trainable"], row["non_trainable"]) == (20, 10, 10)
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (20, 10, 10)
    no_beta = summarize((6, 6, 5), [{"type": "BatchNormalization", "center": False}]).rows[0]
    assert (no_beta["trainable"], no_beta["non_trainable"]) == (5, 10)
    bare = summarize((6, 6, 5), [{"type": "BatchNormalization", "center": False, "scale": False}]).rows[0]
    assert (bare["trainable"], bare["non_trainable"]) == (0, 10)


def test_trainable_split_of_a_stack_and_frozen_layers():
    spec = [
        {"type": "Conv2D", "filters": 8, "kernel_size": 3, "use_bias": False},   # 3*3*3*8 = 216, trainable
        {"type": "BatchNormalization"},                                          # 32: 16 trainable, 16 not
        {"type": "ReLU"},
        {"type": "GlobalAveragePooling2D"},
        {"type": "Dense", "units": 4, "trainable": False},                       # (8 + 1) * 4 = 36, frozen
        {"type": "Dense", "units": 2},                                           # (4 + 1) * 2 = 10
    ]
    s = summarize((10, 10, 3), spec)
    assert [r["trainable"] for r in s.rows] == [216, 16, 0, 0, 0, 10]
    assert [r["non_trainable"] for r in s.rows] == [0, 16, 0, 0, 36, 0]
    assert all(r["trainable"] + r["non_trainable"] == r["params"] for r in s.rows)
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (294, 242, 52)
    frozen_bn = summarize((10, 10, 3), [{"type": "BatchNormalization", "trainable": False}])
    assert (frozen_bn.trainable_params, frozen_bn.non_trainable_params) == (0, 12)
    assert summarize((4, 4, 1), []).trainable_params == summarize((4, 4, 1), []).non_trainable_params == 0


def test_trainable_split_in_text_html_and_repr():
    s = summarize((10, 10, 3), [{"type": "Conv2D", "filters": 8, "kernel_size": 3}, {"type": "BatchNormalization"}])
    lines = s.to_text().splitlines()
    assert "Non-trainable" in lines[1], "a per-layer column when some layer has non-trainable parameters"
    bn_line = next(line for line in lines if line.startswith("batch_normalization_1"))
    assert bn_line.split()[-3:] == ["32", "16", "0"]   # params, non-trainable, multiplications
    assert lines[-2].split() == ["Trainable", "params", f"{224 + 16:,}"]
    assert lines[-1].split() == ["Non-trainable", "params", "16"]
    html_ = s.to_html()
    assert "Trainable params" in html_ and "Non-trainable params" in html_ and ">240<" in html_
    assert "16 non-trainable" in repr(s)


def test_trainable_must_be_a_bool():
    with pytest.raises(TypeError, match="layer 1 \\(Dense\\): trainable must be True or False"):
        summarize((4,), [{"type": "Dense", "units": 2, "trainable": "no"}])


def test_module_is_pure_python():
    assert "tensorflow" not in shapes.__dict__ and "keras" not in shapes.__dict__
    assert set(shapes.__all__) >= {
        "padding_amounts", "conv_output_size", "explain_conv_output_size", "tiles_evenly", "pool_output_size",
        "conv_params", "dense_params", "separable_conv_params", "depthwise_conv_params", "conv_multiplications",
        "receptive_field", "receptive_field_mask", "summarize", "Summary",
    }
