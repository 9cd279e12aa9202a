"""helpers.shapes against Keras 3 itself: output sizes, padding, parameter counts and whole stacks.

Keras is imported inside this module only (it is slow to import). Models stay tiny; shapes come from
building the layers symbolically, and the few forward passes run on inputs of at most 12x12.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, assume, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from packaging.version import Version  # noqa: E402

keras = pytest.importorskip("keras")

from helpers.shapes import (  # noqa: E402
    conv_output_size,
    conv_params,
    dense_params,
    depthwise_conv_params,
    padding_amounts,
    pool_output_size,
    separable_conv_params,
    summarize,
)

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

sizes = st.integers(min_value=1, max_value=24)
kernels = st.integers(min_value=1, max_value=5)
strides = st.integers(min_value=1, max_value=4)
paddings = st.sampled_from(["valid", "same"])


def keras_spatial(layer, h, w, c=2):
    """Output (height, width) that Keras computes for ``layer`` on an (h, w, c) input."""
    return tuple(layer.compute_output_shape((None, h, w, c))[1:3])


# ------------------------------------------------------------------------------------------------------
# Output sizes
# ------------------------------------------------------------------------------------------------------


@SETTINGS
@given(sizes, sizes, kernels, kernels, strides, strides, paddings)
def test_conv2d_output_size(h, w, kh, kw, sh, sw, padding):
    assume(padding == "same" or (kh <= h and kw <= w))
    layer = keras.layers.Conv2D(1, (kh, kw), strides=(sh, sw), padding=padding)
    expected = keras_spatial(layer, h, w)
    assert (conv_output_size(h, kh, sh, padding), conv_output_size(w, kw, sw, padding)) == expected


@SETTINGS
@given(sizes, kernels, st.integers(1, 4), paddings)
def test_conv2d_dilated_output_size(size, k, d, padding):
    ek = d * (k - 1) + 1
    assume(padding == "same" or ek <= size)
    layer = keras.layers.Conv2D(1, k, dilation_rate=d, padding=padding)
    assert keras_spatial(layer, size, size)[0] == conv_output_size(size, k, 1, padding, d)


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 3), strides)
def test_kernel_too_large_is_an_error_in_keras_too(size, extra, s):
    k = size + extra
    with pytest.raises(ValueError):
        conv_output_size(size, k, s)
    if Version(keras.__version__) < Version("3.13"):
        # Keras 3.12 (the last for Python 3.10) raises only for a negative size and reports an output of
        # size 0 when the kernel is exactly one larger than the input
        try:
            shape = keras.layers.Conv2D(1, k, strides=s).compute_output_shape((None, size, size, 1))
        except ValueError:
            return
        assert shape[1:3] == (0, 0), shape
        return
    with pytest.raises(ValueError):
        keras.layers.Conv2D(1, k, strides=s).compute_output_shape((None, size, size, 1))


@SETTINGS
@given(sizes, kernels, st.one_of(st.none(), strides), paddings, st.sampled_from(["MaxPooling2D", "AveragePooling2D"]))
def test_pooling_output_size(size, pool, stride, padding, kind):
    assume(padding == "same" or pool <= size)
    layer = getattr(keras.layers, kind)(pool_size=pool, strides=stride, padding=padding)
    assert keras_spatial(layer, size, size + 1) == (
        pool_output_size(size, pool, stride, padding),
        pool_output_size(size + 1, pool, stride, padding),
    )


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), kernels, kernels, strides, st.integers(1, 2))
def test_same_padding_amounts_reproduce_tensorflow(h, w, kh, kw, s, d):
    """Conv2D(padding="same") equals Conv2D("valid") on an input zero-padded by padding_amounts."""
    if d > 1:
        s = 1  # Keras forbids strides > 1 with dilation_rate > 1
    rng = np.random.default_rng(h * 1000 + w * 100 + kh * 10 + kw)
    x = rng.normal(size=(1, h, w, 2)).astype("float32")
    same = keras.layers.Conv2D(3, (kh, kw), strides=s, dilation_rate=d, padding="same", use_bias=False)
    y_same = np.asarray(same(x))
    valid = keras.layers.Conv2D(3, (kh, kw), strides=s, dilation_rate=d, padding="valid", use_bias=False)
    (top, bottom) = padding_amounts(h, kh, s, "same", d)
    (left, right) = padding_amounts(w, kw, s, "same", d)
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    valid.build(xp.shape)
    valid.set_weights(same.get_weights())
    y_valid = np.asarray(valid(xp))
    assert y_same.shape == y_valid.shape
    np.testing.assert_allclose(y_same, y_valid, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------------------------------------------
# Parameter counts
# ------------------------------------------------------------------------------------------------------


def count(layer, input_shape):
    layer.build((None, *input_shape))
    return layer.count_params()


@SETTINGS
@given(kernels, kernels, st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.booleans())
def test_conv_params_with_groups(kh, kw, cin_per_group, filters_per_group, groups, bias):
    cin, filters = cin_per_group * groups, filters_per_group * groups
    layer = keras.layers.Conv2D(filters, (kh, kw), groups=groups, use_bias=bias)
    assert conv_params((kh, kw), cin, filters, use_bias=bias, groups=groups) == count(layer, (8, 8, cin))


@SETTINGS
@given(st.integers(1, 300), st.integers(1, 300), st.booleans())
def test_dense_params(n_in, units, bias):
    assert dense_params(n_in, units, use_bias=bias) == count(keras.layers.Dense(units, use_bias=bias), (n_in,))


@SETTINGS
@given(kernels, kernels, st.integers(1, 6), st.integers(1, 6), st.integers(1, 3), st.booleans())
def test_separable_conv_params(kh, kw, cin, filters, dm, bias):
    layer = keras.layers.SeparableConv2D(filters, (kh, kw), depth_multiplier=dm, use_bias=bias)
    assert separable_conv_params((kh, kw), cin, filters, dm, use_bias=bias) == count(layer, (8, 8, cin))


@SETTINGS
@given(kernels, kernels, st.integers(1, 6), st.integers(1, 3), st.booleans())
def test_depthwise_conv_params(kh, kw, cin, dm, bias):
    layer = keras.layers.DepthwiseConv2D((kh, kw), depth_multiplier=dm, use_bias=bias)
    assert depthwise_conv_params((kh, kw), cin, dm, use_bias=bias) == count(layer, (8, 8, cin))


def test_groups_must_divide_channels_in_keras_too():
    with pytest.raises(ValueError):
        conv_params(3, 4, 6, groups=4)
    with pytest.raises(ValueError):
        keras.layers.Conv2D(6, 3, groups=4)
    with pytest.raises(ValueError):
        conv_params(3, 6, 8, groups=4)
    with pytest.raises(ValueError):
        count(keras.layers.Conv2D(8, 3, groups=4), (8, 8, 6))


def test_course_counts_in_keras():
    assert count(keras.layers.Conv2D(6, 5), (32, 32, 3)) == conv_params(5, 3, 6) == 456
    assert count(keras.layers.Dense(4704, use_bias=False), (3072,)) == dense_params(3072, 4704, use_bias=False)


# ------------------------------------------------------------------------------------------------------
# Whole stacks
# ------------------------------------------------------------------------------------------------------


def build(input_shape, spec):
    """keras.Sequential from the same specs summarize() takes."""
    layers = []
    for item in spec:
        kwargs = dict(item)
        kind = kwargs.pop("type")
        layers.append(getattr(keras.layers, kind)(**kwargs))
    return keras.Sequential([keras.Input(shape=input_shape), *layers])


def keras_rows(model):
    return [tuple(layer.output.shape[1:]) for layer in model.layers]


LENET = [
    {"type": "Conv2D", "filters": 6, "kernel_size": 5, "activation": "tanh"},
    {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "Conv2D", "filters": 16, "kernel_size": 5, "activation": "tanh"},
    {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "Flatten"},
    {"type": "Dense", "units": 120, "activation": "tanh"},
    {"type": "Dense", "units": 84, "activation": "tanh"},
    {"type": "Dense", "units": 10, "activation": "softmax"},
]


def test_lenet5_matches_keras():
    model = build((32, 32, 1), LENET)
    s = summarize((32, 32, 1), LENET)
    assert s.total_params == model.count_params() == 61_706
    assert [r["output_shape"] for r in s.rows] == keras_rows(model)
    assert [r["params"] for r in s.rows] == [layer.count_params() for layer in model.layers]


def keras_split(model):
    """(trainable, non-trainable) numbers of every layer, counted from Keras's own weight lists."""
    def n(weights):
        return int(sum(np.prod(w.shape) for w in weights))
    return [(n(layer.trainable_weights), n(layer.non_trainable_weights)) for layer in model.layers]


def test_trainable_split_matches_keras_with_batch_normalization_and_frozen_layers():
    spec = [
        {"type": "Conv2D", "filters": 8, "kernel_size": 3, "use_bias": False},
        {"type": "BatchNormalization"},
        {"type": "ReLU"},
        {"type": "DepthwiseConv2D", "kernel_size": 3, "trainable": False},
        {"type": "BatchNormalization", "center": False, "trainable": False},
        {"type": "SeparableConv2D", "filters": 4, "kernel_size": 1},
        {"type": "BatchNormalization", "scale": False},
        {"type": "GlobalAveragePooling2D"},
        {"type": "Dense", "units": 3},
    ]
    model = build((10, 10, 3), spec)
    s = summarize((10, 10, 3), spec)
    assert [(r["trainable"], r["non_trainable"]) for r in s.rows] == keras_split(model)
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    non_trainable = int(sum(np.prod(w.shape) for w in model.non_trainable_weights))
    assert (s.trainable_params, s.non_trainable_params) == (trainable, non_trainable)
    assert non_trainable > 0 and s.total_params == model.count_params() == trainable + non_trainable


def _conv_like(draw, channels):
    kind = draw(st.sampled_from(["Conv2D", "DepthwiseConv2D", "SeparableConv2D"]))
    spec = {"type": kind, "kernel_size": draw(st.sampled_from([1, 2, 3, (1, 3), (3, 2)]))}
    spec["padding"] = draw(paddings)
    if draw(st.booleans()):
        spec["strides"] = draw(st.sampled_from([1, 2, (2, 1)]))
    elif draw(st.booleans()):
        spec["dilation_rate"] = draw(st.sampled_from([2, (1, 2)]))
    spec["use_bias"] = draw(st.booleans())
    if kind == "Conv2D":
        groups = draw(st.sampled_from([g for g in (1, 2, 3) if channels % g == 0]))
        spec["filters"] = groups * draw(st.integers(1, 3))
        if groups > 1:
            spec["groups"] = groups
    else:
        if draw(st.booleans()):
            spec["depth_multiplier"] = draw(st.integers(1, 2))
        if kind == "SeparableConv2D":
            spec["filters"] = draw(st.integers(1, 4))
    if draw(st.booleans()):
        spec["activation"] = "relu"
    if draw(st.integers(0, 4)) == 0:
        spec["trainable"] = False
    return spec


@st.composite
def stacks(draw):
    """Random small channels-last stacks; some are impossible on purpose (too small for a kernel)."""
    channels = draw(st.integers(1, 4))
    shape = (draw(st.integers(3, 12)), draw(st.integers(3, 12)), channels)
    spec = []
    for _ in range(draw(st.integers(1, 4))):
        choice = draw(st.sampled_from(["conv", "conv", "pool", "bn", "pad", "other"]))
        if choice == "conv":
            spec.append(_conv_like(draw, channels))
        elif choice == "pool":
            spec.append(
                {
                    "type": draw(st.sampled_from(["MaxPooling2D", "AveragePooling2D"])),
                    "pool_size": draw(st.sampled_from([2, 3, (2, 1)])),
                    "strides": draw(st.sampled_from([None, 1, 2])),
                    "padding": draw(paddings),
                }
            )
        elif choice == "bn":
            spec.append({"type": "BatchNormalization", "center": draw(st.booleans()), "scale": draw(st.booleans())})
        elif choice == "pad":
            spec.append({"type": "ZeroPadding2D", "padding": draw(st.sampled_from([1, (0, 2), ((1, 0), (0, 2))]))})
        else:
            spec.append(draw(st.sampled_from([{"type": "ReLU"}, {"type": "Dropout", "rate": 0.3},
                                               {"type": "Activation", "activation": "tanh"}])))
        # channels after this layer, for choosing the next Conv2D's groups
        last = spec[-1]
        if last["type"] in ("Conv2D", "SeparableConv2D"):
            channels = last["filters"]
        elif last["type"] == "DepthwiseConv2D":
            channels *= last.get("depth_multiplier", 1)
    head = draw(st.sampled_from(["none", "flatten", "gap", "gmp", "dense_on_map"]))
    if head == "flatten":
        spec += [{"type": "Flatten"}, {"type": "Dense", "units": draw(st.integers(1, 5))}]
    elif head == "gap":
        spec += [{"type": "GlobalAveragePooling2D"}, {"type": "Dense", "units": 3, "use_bias": draw(st.booleans())}]
    elif head == "gmp":
        spec += [{"type": "GlobalMaxPooling2D"}]
    elif head == "dense_on_map":
        spec += [{"type": "Dense", "units": 2}]
    return shape, spec


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_summarize_matches_keras_sequential(case):
    shape, spec = case
    try:
        s = summarize(shape, spec)
    except ValueError as exc:
        event("impossible stack")
        assert str(exc).startswith("layer "), exc
        try:
            model = build(shape, spec)
        except ValueError:
            return
        # Keras 3.12 (the last release for Python 3.10) builds such a stack with an empty (size 0) output
        # instead of raising, as Keras 3.15 does: impossible either way.
        assert any(0 in r for r in keras_rows(model)), (spec, keras_rows(model))
        return
    event("valid stack")
    model = build(shape, spec)
    assert [r["output_shape"] for r in s.rows] == keras_rows(model)
    assert s.output_shape == tuple(model.output_shape[1:])
    assert [r["params"] for r in s.rows] == [layer.count_params() for layer in model.layers]
    assert s.total_params == model.count_params()
    assert [(r["trainable"], r["non_trainable"]) for r in s.rows] == keras_split(model)
