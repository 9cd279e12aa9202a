"""Pure-Python calculators for convolutional networks.

Output sizes and padding along one axis, parameter counts, multiplication counts, receptive fields and a
Keras-like model summary. Nothing here imports TensorFlow; the numbers match what Keras computes for the
same layers (``tests/test_shapes_keras.py`` checks that against Keras itself).

Conventions: channels-last shapes ``(height, width, channels)``; padding is ``"valid"``, ``"same"``
(TensorFlow semantics: ``ceil(size / stride)`` outputs, the odd extra zero at the bottom/right) or an int
``p >= 0`` of zeros on each side.
"""

from __future__ import annotations

import html
import math
import numbers
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from helpers._validate import (
    _is_int,
    require_bool,
    require_nonneg_int,
    require_padding,
    require_pair,
    require_positive_int,
)

__all__ = [
    "padding_amounts",
    "conv_output_size",
    "explain_conv_output_size",
    "tiles_evenly",
    "pool_output_size",
    "conv_params",
    "dense_params",
    "separable_conv_params",
    "depthwise_conv_params",
    "conv_multiplications",
    "receptive_field",
    "receptive_field_mask",
    "receptive_field_tower",
    "NETWORK_PRESETS",
    "summarize",
    "Summary",
]


# ----------------------------------------------------------------------------------------------------------
# One axis: padding and output sizes
# ----------------------------------------------------------------------------------------------------------


def effective_kernel(kernel_size: int, dilation: int) -> int:
    """Span of a dilated kernel: ``dilation * (kernel_size - 1) + 1`` cells from its first tap to its last.

    Examples
    --------
    >>> effective_kernel(3, 1), effective_kernel(3, 2)
    (3, 5)
    """
    return dilation * (kernel_size - 1) + 1


def _check_axis(size, kernel_size, stride, padding, dilation):
    """Validate the arguments shared by the one-axis calculators; return them normalised."""
    size = require_positive_int("size", size)
    kernel_size = require_positive_int("kernel_size", kernel_size)
    stride = require_positive_int("stride", stride)
    padding = require_padding("padding", padding)
    dilation = require_positive_int("dilation", dilation)
    return size, kernel_size, stride, padding, dilation


def _same_amounts(size, ek, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + ek - size, 0)
    before = total // 2
    return before, total - before


def _amounts(size, ek, stride, padding):
    """``(before, after)`` for validated arguments and the effective (dilated) kernel span ``ek``."""
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        return _same_amounts(size, ek, stride)
    return (padding, padding)


class WindowPlan(NamedTuple):
    """Where the windows of a kernel (or pooling window) go along one axis; see :func:`window_plan`."""

    before: int  #: zeros added at the top/left
    after: int  #: zeros added at the bottom/right
    padded: int  #: length of the padded input
    span: int  #: effective kernel: cells from the first tap to the last
    out: int  #: number of windows = output length
    leftover: int  #: padded cells after the last window (0 when the stride tiles the input)


_new_plan = tuple.__new__


def window_plan(size, kernel_size, stride=1, padding="valid", dilation=1, *, name="kernel_size", axis="",
                show_span=False, advice="use a smaller kernel or more padding"):
    """The one geometry rule of the course: padding, output length and whether the window fits, on one axis.

    Every function that slides a window (the calculators here, :mod:`helpers.conv`, the receptive-field
    stack, the explorers) asks this function, so the rule and its error message live in one place: a window
    spanning ``span = dilation * (kernel_size - 1) + 1`` cells fits when ``span <= padded``, and then there
    are ``(padded - span) // stride + 1`` windows. The arguments must already be validated (whole numbers,
    padding ``"valid"``, ``"same"`` or an int); this function is on the explorers' fast path.

    Parameters
    ----------
    size, kernel_size, stride, dilation : int
        Input length, window length, step and gap between taps (all >= 1).
    padding : {"valid", "same"} or int
        As in :func:`padding_amounts`.
    name, axis, show_span, advice : str, str, bool, str, optional
        Wording of the error: ``"{name}{axis} {kernel_size}"``, the effective span in brackets when dilated
        (always when ``show_span``), then ``"is larger than the padded input{axis} ..."`` and ``advice``.

    Returns
    -------
    WindowPlan
        ``(before, after, padded, span, out, leftover)``.

    Raises
    ------
    ValueError
        When the window is larger than the padded input.

    Examples
    --------
    >>> window_plan(32, 5, stride=2)
    WindowPlan(before=0, after=0, padded=32, span=5, out=14, leftover=1)
    >>> window_plan(6, 3, stride=2, padding="same")
    WindowPlan(before=0, after=1, padded=7, span=3, out=3, leftover=0)
    >>> window_plan(5, 7, name="kernel", axis=" height")
    Traceback (most recent call last):
    ...
    ValueError: kernel height 7 is larger than the padded input height 5 (size 5 + 2*0 padding); use a smaller kernel or more padding
    """
    span = effective_kernel(kernel_size, dilation)
    before, after = _amounts(size, span, stride, padding)
    padded = size + before + after
    if span > padded:  # only "valid" or an int can get here: "same" always makes room
        dilated = f" (effective {span} with dilation {dilation})" if show_span or dilation > 1 else ""
        raise ValueError(
            f"{name}{axis} {kernel_size}{dilated} is larger than the padded input{axis} {padded} "
            f"(size {size} + 2*{before} padding); {advice}"
        )
    fits, leftover = divmod(padded - span, stride)
    return _new_plan(WindowPlan, (before, after, padded, span, fits + 1, leftover))  # tuple.__new__: no Python frame


def padding_amounts(size, kernel_size, stride=1, padding="valid", dilation=1):
    """Zeros added before and after the input along one axis.

    Parameters
    ----------
    size : int
        Input height or width (>= 1).
    kernel_size : int
        Kernel height or width (>= 1).
    stride : int, optional
        Step of the kernel (>= 1).
    padding : {"valid", "same"} or int, optional
        ``"valid"`` adds nothing; an int ``p`` adds ``p`` zeros on each side; ``"same"`` follows
        TensorFlow: just enough zeros for ``ceil(size / stride)`` outputs, the odd extra zero going at
        the bottom/right.
    dilation : int, optional
        Gap between kernel taps (1 = ordinary convolution).

    Returns
    -------
    tuple of int
        ``(before, after)``: zeros at the top/left and at the bottom/right.

    Examples
    --------
    >>> padding_amounts(5, 3, padding="same")
    (1, 1)
    >>> padding_amounts(6, 3, stride=2, padding="same")   # odd extra zero goes after
    (0, 1)
    >>> padding_amounts(7, 3, padding=2)
    (2, 2)
    >>> padding_amounts(7, 3)
    (0, 0)
    """
    size, kernel_size, stride, padding, dilation = _check_axis(size, kernel_size, stride, padding, dilation)
    return _amounts(size, effective_kernel(kernel_size, dilation), stride, padding)


def _axis_plan(size, kernel_size, stride, padding, dilation):
    """Validate, then plan the axis with :func:`window_plan`; returns ``(size, kernel_size, stride, padding,
    dilation, plan)``, the arguments normalised.

    Raises ValueError (from :func:`window_plan`) when the (dilated) kernel does not fit the padded input.
    """
    size, kernel_size, stride, padding, dilation = _check_axis(size, kernel_size, stride, padding, dilation)
    return size, kernel_size, stride, padding, dilation, window_plan(size, kernel_size, stride, padding, dilation,
                                                                     show_span=True)


def conv_output_size(size, kernel_size, stride=1, padding="valid", dilation=1):
    """Spatial size of a convolution's output along one axis, as Keras computes it.

    ``floor((size + 2*p - ek) / stride) + 1`` with the effective kernel
    ``ek = dilation*(kernel_size - 1) + 1``; for ``padding="same"`` simply ``ceil(size / stride)``.

    Parameters
    ----------
    size : int
        Input height or width (>= 1).
    kernel_size : int
        Kernel height or width (>= 1).
    stride : int, optional
        Step of the kernel (>= 1).
    padding : {"valid", "same"} or int, optional
        ``"valid"`` (no zeros), ``"same"`` (TensorFlow rule) or a number ``p >= 0`` of zeros on each side.
    dilation : int, optional
        Gap between kernel taps (>= 1).

    Returns
    -------
    int
        Output size, floored as Keras does when the stride does not tile the input.

    Raises
    ------
    ValueError
        If the (dilated) kernel is larger than the padded input, or an argument is out of range.
    TypeError
        If an argument has the wrong type (e.g. a float size).

    Examples
    --------
    >>> conv_output_size(32, 5)          # LeNet-5's first layer
    28
    >>> conv_output_size(512, 5)
    508
    >>> conv_output_size(18, 3)
    16
    >>> conv_output_size(18, 3, padding=1)
    18
    >>> conv_output_size(32, 5, stride=2)
    14
    >>> conv_output_size(32, 5, stride=2, padding="same")
    16
    >>> conv_output_size(7, 3, dilation=2)   # effective kernel 5
    3
    """
    return _axis_plan(size, kernel_size, stride, padding, dilation)[5].out


def _fmt_number(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def explain_conv_output_size(size, kernel_size, stride=1, padding="valid", dilation=1):
    """The output-size formula with the numbers substituted, and whether the stride tiles the input.

    Takes the same arguments as :func:`conv_output_size` and raises the same errors.

    Returns
    -------
    str
        A few lines: the effective kernel (when dilated), the formula with its numbers (for
        ``"same"``: ``ceil(size / stride)`` and the padding it implies), then a sentence on tiling. Rows or
        columns left over after the last window are counted against the input: a padded zero left over is
        named as padding, never as lost input.

    Examples
    --------
    >>> print(explain_conv_output_size(32, 5, stride=2))
    (32 + 2*0 - 5) / 2 + 1 = 14.5 -> 14
    the stride does not tile the input: the last 1 row(s)/column(s) are never covered; Keras floors to 14
    >>> print(explain_conv_output_size(18, 3, padding=1))
    (18 + 2*1 - 3) / 1 + 1 = 18
    the stride tiles the padded input evenly: the last window ends exactly at the last padded row/column
    >>> print(explain_conv_output_size(16, 3, stride=2, padding=1))   # the row left over is a padded zero
    (16 + 2*1 - 3) / 2 + 1 = 8.5 -> 8
    the stride does not tile the padded input: the last 1 padded row(s)/column(s) are never covered, but every input row/column is read; Keras floors to 8
    >>> print(explain_conv_output_size(32, 5, stride=2, padding="same"))
    same padding: output = ceil(32 / 2) = 16
    zeros needed = max((16 - 1)*2 + 5 - 32, 0) = 3: 1 before (top/left), 2 after (bottom/right)
    the stride tiles the padded input evenly: the last window ends exactly at the last padded row/column
    >>> print(explain_conv_output_size(9, 3, dilation=2))
    effective kernel = 2*(3 - 1) + 1 = 5
    (9 + 2*0 - 5) / 1 + 1 = 5
    the stride tiles the input evenly: the last window ends exactly at the last row/column
    """
    size, k, s, padding, d, plan = _axis_plan(size, kernel_size, stride, padding, dilation)
    ek, out = plan.span, plan.out
    lines = []
    if d > 1:
        lines.append(f"effective kernel = {d}*({k} - 1) + 1 = {ek}")
    if padding == "same":
        total = plan.before + plan.after
        lines.append(f"same padding: output = ceil({size} / {s}) = {out}")
        lines.append(
            f"zeros needed = max(({out} - 1)*{s} + {ek} - {size}, 0) = {total}: "
            f"{plan.before} before (top/left), {plan.after} after (bottom/right)"
        )
    else:
        p = plan.before
        exact = Fraction(size + 2 * p - ek, s) + 1
        text = f"({size} + 2*{p} - {ek}) / {s} + 1 = {_fmt_number(exact)}"
        if exact.denominator != 1:
            text += f" -> {out}"
        lines.append(text)
    # the cells after the last window: the trailing `after` of them are padded zeros, the rest is input
    lost_padding = min(plan.leftover, plan.after)
    lost_input = plan.leftover - lost_padding
    tail = " (same padding adds no zeros here)" if padding == "same" else f"; Keras floors to {out}"
    if lost_input:
        extra = (f" (and {lost_padding} padded row(s)/column(s) after them)" if lost_padding else "")
        lines.append(
            f"the stride does not tile the input: the last {lost_input} row(s)/column(s) "
            f"are never covered{extra}{tail}"
        )
    elif lost_padding:
        lines.append(
            f"the stride does not tile the padded input: the last {lost_padding} padded row(s)/column(s) "
            f"are never covered, but every input row/column is read{tail}"
        )
    elif plan.after:
        lines.append("the stride tiles the padded input evenly: the last window ends exactly at the last padded "
                     "row/column")
    else:
        lines.append("the stride tiles the input evenly: the last window ends exactly at the last row/column")
    if s > ek:
        lines.append(
            f"the stride ({s}) is larger than the kernel span ({ek}), so {s - ek} row(s)/column(s) "
            "between neighbouring windows are skipped"
        )
    return "\n".join(lines)


def tiles_evenly(size, kernel_size, stride=1, padding="valid", dilation=1):
    """True when the last kernel window ends exactly at the end of the padded input.

    When it is False, Keras floors the output size and the last row(s)/column(s) of the (padded) input never
    reach any output. With stride 1 the answer is always True. Same arguments and errors as
    :func:`conv_output_size`.

    Returns
    -------
    bool

    Examples
    --------
    >>> tiles_evenly(32, 5, stride=2)   # (32 - 5) / 2 = 13.5
    False
    >>> tiles_evenly(31, 5, stride=2)
    True
    >>> tiles_evenly(32, 5, stride=2, padding="same")
    True
    """
    return _axis_plan(size, kernel_size, stride, padding, dilation)[5].leftover == 0


def pool_output_size(size, pool_size=2, stride=None, padding="valid"):
    """Output size of a max/average pooling layer along one axis, as Keras computes it.

    Parameters
    ----------
    size : int
        Input height or width (>= 1).
    pool_size : int, optional
        Window size (>= 1).
    stride : int or None, optional
        Step of the window; ``None`` (Keras's default) means ``pool_size``.
    padding : {"valid", "same"}, optional
        ``"valid"``: ``floor((size - pool_size) / stride) + 1``; ``"same"``: ``ceil(size / stride)``.

    Returns
    -------
    int

    Examples
    --------
    >>> pool_output_size(28)        # LeNet-5: 28 -> 14
    14
    >>> pool_output_size(5)         # the odd last row is dropped
    2
    >>> pool_output_size(5, padding="same")
    3
    >>> pool_output_size(7, pool_size=3, stride=2)
    3
    """
    size = require_positive_int("size", size)
    pool_size = require_positive_int("pool_size", pool_size)
    stride = pool_size if stride is None else require_positive_int("stride", stride)
    padding = require_padding("padding", padding, allow_int=False)
    if padding == "same":
        return -(-size // stride)
    if pool_size > size:
        raise ValueError(
            f"pool_size {pool_size} is larger than the input {size}; use a smaller pool or padding=\"same\""
        )
    return (size - pool_size) // stride + 1


# ----------------------------------------------------------------------------------------------------------
# Parameter counts
# ----------------------------------------------------------------------------------------------------------


def _check_groups(groups, in_channels, filters):
    groups = require_positive_int("groups", groups)
    if in_channels % groups:
        raise ValueError(
            f"groups must divide in_channels: {in_channels} channels cannot be split into "
            f"{groups} equal groups"
        )
    if filters % groups:
        raise ValueError(
            f"groups must divide filters: {filters} filters cannot be split into {groups} equal groups"
        )
    return groups


def conv_params(kernel_size, in_channels, filters, use_bias=True, groups=1):
    """Number of weights of a Conv2D layer (equal to Keras's ``count_params()``).

    ``kh * kw * (in_channels / groups) * filters`` weights, plus one bias per filter.

    Parameters
    ----------
    kernel_size : int or (int, int)
        Kernel height and width.
    in_channels : int
        Channels of the input.
    filters : int
        Number of filters (= output channels).
    use_bias : bool, optional
        Whether each filter has a bias.
    groups : int, optional
        Grouped convolution: must divide both ``in_channels`` and ``filters`` (as Keras requires).

    Returns
    -------
    int

    Examples
    --------
    >>> conv_params(5, 3, 6)                     # six 5x5x3 filters with biases
    456
    >>> conv_params(5, 3, 1, use_bias=False)     # the weights of one 5x5x3 kernel
    75
    >>> conv_params((3, 3), 64, 128, groups=4)   # each filter sees 64 / 4 = 16 channels
    18560
    """
    kh, kw = require_pair("kernel_size", kernel_size)
    in_channels = require_positive_int("in_channels", in_channels)
    filters = require_positive_int("filters", filters)
    use_bias = require_bool("use_bias", use_bias)
    groups = _check_groups(groups, in_channels, filters)
    return kh * kw * (in_channels // groups) * filters + (filters if use_bias else 0)


def dense_params(in_features, units, use_bias=True):
    """Number of weights of a Dense layer: ``in_features * units`` plus one bias per unit.

    Examples
    --------
    >>> f"{dense_params(3072, 4704, use_bias=False):,}"   # a 32x32x3 image fully connected to 28x28x6
    '14,450,688'
    >>> f"{dense_params(3072, 4704):,}"
    '14,455,392'
    >>> dense_params(400, 120)
    48120
    """
    in_features = require_positive_int("in_features", in_features)
    units = require_positive_int("units", units)
    use_bias = require_bool("use_bias", use_bias)
    return in_features * units + (units if use_bias else 0)


def depthwise_conv_params(kernel_size, in_channels, depth_multiplier=1, use_bias=True):
    """Number of weights of a DepthwiseConv2D layer.

    Each input channel gets ``depth_multiplier`` kernels of its own: ``kh * kw * in_channels *
    depth_multiplier`` weights, plus one bias per output channel.

    Examples
    --------
    >>> depthwise_conv_params(3, 32)
    320
    >>> depthwise_conv_params((3, 3), 32, depth_multiplier=2, use_bias=False)
    576
    """
    kh, kw = require_pair("kernel_size", kernel_size)
    in_channels = require_positive_int("in_channels", in_channels)
    depth_multiplier = require_positive_int("depth_multiplier", depth_multiplier)
    use_bias = require_bool("use_bias", use_bias)
    out = in_channels * depth_multiplier
    return kh * kw * out + (out if use_bias else 0)


def separable_conv_params(kernel_size, in_channels, filters, depth_multiplier=1, use_bias=True):
    """Number of weights of a SeparableConv2D layer (depthwise then 1x1 pointwise).

    ``kh*kw*in_channels*depth_multiplier`` depthwise weights, ``in_channels*depth_multiplier*filters``
    pointwise weights, plus one bias per filter (Keras puts no bias on the depthwise step).

    Examples
    --------
    >>> separable_conv_params(3, 32, 64)           # 288 + 2048 + 64
    2400
    >>> conv_params(3, 32, 64)                     # the ordinary convolution it replaces
    18496
    """
    kh, kw = require_pair("kernel_size", kernel_size)
    in_channels = require_positive_int("in_channels", in_channels)
    filters = require_positive_int("filters", filters)
    depth_multiplier = require_positive_int("depth_multiplier", depth_multiplier)
    use_bias = require_bool("use_bias", use_bias)
    mid = in_channels * depth_multiplier
    return kh * kw * mid + mid * filters + (filters if use_bias else 0)


def _check_input_shape(input_shape, ndim=3):
    if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__len__"):
        raise TypeError(f"input_shape must be a tuple (height, width, channels), got {input_shape!r}")
    if ndim is not None and len(input_shape) != ndim:
        raise ValueError(f"input_shape must be a tuple (height, width, channels), got {tuple(input_shape)!r}")
    if len(input_shape) == 0:
        raise ValueError("input_shape must not be empty")
    return tuple(require_positive_int("input_shape", v) for v in input_shape)


def conv_multiplications(input_shape, kernel_size, filters, stride=1, padding="valid", dilation=1, groups=1):
    """Multiplications one Conv2D layer performs for one image.

    Every output value needs ``kh * kw * (channels / groups)`` multiplications, so the total is
    ``out_h * out_w * filters * kh * kw * (channels // groups)`` (bias additions are not counted).

    Parameters
    ----------
    input_shape : (int, int, int)
        ``(height, width, channels)``.
    kernel_size, stride, dilation : int or (int, int)
        As in Keras's Conv2D.
    filters : int
        Number of filters.
    padding : {"valid", "same"} or int, optional
    groups : int, optional
        Must divide both the channels and ``filters``.

    Returns
    -------
    int

    Examples
    --------
    >>> conv_multiplications((6, 6, 1), 3, 1)
    144
    >>> conv_multiplications((5, 5, 1), 3, 1, stride=2)
    36
    >>> conv_multiplications((6, 6, 3), 3, 1)
    432
    >>> conv_multiplications((6, 6, 3), 3, 2)
    864
    >>> f"{conv_multiplications((28, 28, 192), 5, 32, padding='same'):,}"
    '120,422,400'

    A 1x1 "bottleneck" to 16 channels first cuts the cost about tenfold:

    >>> a = conv_multiplications((28, 28, 192), 1, 16)
    >>> b = conv_multiplications((28, 28, 16), 5, 32, padding="same")
    >>> f"{a:,} + {b:,} = {a + b:,}"
    '2,408,448 + 10,035,200 = 12,443,648'
    """
    h, w, c = _check_input_shape(input_shape)
    kh, kw = require_pair("kernel_size", kernel_size)
    sh, sw = require_pair("stride", stride)
    dh, dw = require_pair("dilation", dilation)
    filters = require_positive_int("filters", filters)
    groups = _check_groups(groups, c, filters)
    oh = conv_output_size(h, kh, sh, padding, dh)
    ow = conv_output_size(w, kw, sw, padding, dw)
    return oh * ow * filters * kh * kw * (c // groups)


# ----------------------------------------------------------------------------------------------------------
# Receptive fields
# ----------------------------------------------------------------------------------------------------------


def _check_stack(layers):
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(
            f"layers must be a sequence of (kernel, stride) or (kernel, stride, dilation), got {layers!r}"
        )
    out = []
    for i, spec in enumerate(layers, start=1):
        if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
            raise ValueError(
                f"layer {i} must be a (kernel, stride) or (kernel, stride, dilation) tuple, got {spec!r}"
            )
        try:
            k = require_positive_int("kernel", spec[0])
            s = require_positive_int("stride", spec[1])
            d = require_positive_int("dilation", spec[2]) if len(spec) == 3 else 1
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"layer {i}: {exc}") from None
        out.append((k, s, d))
    return out


def receptive_field(layers):
    """Receptive field and jump of every layer in a stack of convolutions/poolings.

    With ``r_0 = 1`` and ``j_0 = 1`` (one input pixel):
    ``r_l = r_{l-1} + (ek_l - 1) * j_{l-1}`` and ``j_l = j_{l-1} * s_l``, where ``ek`` is the effective
    (dilated) kernel. Padding does not change these sizes.

    Parameters
    ----------
    layers : sequence of tuples
        ``(kernel, stride)`` or ``(kernel, stride, dilation)`` per layer, input first.

    Returns
    -------
    list of dict
        One dict per layer with keys ``"layer"`` (1-based), ``"kernel"``, ``"stride"``, ``"dilation"``,
        ``"receptive_field"`` (input pixels seen by one unit) and ``"jump"`` (input pixels between
        neighbouring units).

    Examples
    --------
    >>> [row["receptive_field"] for row in receptive_field([(3, 1), (3, 1), (3, 1)])]   # three 3x3 = one 7x7
    [3, 5, 7]
    >>> receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)])[-1]   # LeNet-5 up to the second pooling
    {'layer': 4, 'kernel': 2, 'stride': 2, 'dilation': 1, 'receptive_field': 16, 'jump': 4}
    >>> receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)])[-1]["receptive_field"]
    15
    """
    rows = []
    r, j = 1, 1
    for i, (k, s, d) in enumerate(_check_stack(layers), start=1):
        r = r + (effective_kernel(k, d) - 1) * j
        j = j * s
        rows.append({"layer": i, "kernel": k, "stride": s, "dilation": d, "receptive_field": r, "jump": j})
    return rows


def stack_sizes(layers, input_size):
    """Length of the input and of every layer's output for a stack of valid-padding layers (one axis).

    Each layer goes through :func:`window_plan`, so a layer that does not fit raises the same message as
    everywhere else, prefixed with the layer.

    Parameters
    ----------
    layers : sequence of tuples
        ``(kernel, stride)`` or ``(kernel, stride, dilation)`` per layer, input first.
    input_size : int
        Length of the input axis.

    Returns
    -------
    list of int
        ``[input_size, size after layer 1, ...]``.

    Examples
    --------
    >>> stack_sizes([(3, 1), (3, 2)], 9)
    [9, 7, 3]
    >>> stack_sizes([(3, 2), (3, 1)], 6)
    Traceback (most recent call last):
    ...
    ValueError: the stack does not fit an input of size 6: layer 2: kernel 3 is larger than the padded input 2 (size 2 + 2*0 padding); use fewer or smaller layers
    """
    return _stack_sizes(_check_stack(layers), require_positive_int("input_size", input_size))


def _stack_sizes(stack, input_size):
    sizes = [input_size]
    for i, (k, s, d) in enumerate(stack, start=1):
        try:
            sizes.append(window_plan(sizes[-1], k, s, "valid", d, name="kernel",
                                     advice="use fewer or smaller layers").out)
        except ValueError as exc:
            raise ValueError(f"the stack does not fit an input of size {input_size}: layer {i}: {exc}") from None
    return sizes


def _check_unit(unit, units):
    if not _is_int(unit):
        raise TypeError(f"unit must be a whole number >= 0, got {unit!r} ({type(unit).__name__})")
    if not 0 <= unit < units:
        raise ValueError(f"unit must be between 0 and {units - 1} (the last layer has {units} units), got {unit}")
    return int(unit)


def _mask(stack, input_size, unit):
    """Input positions feeding ``unit`` of the last layer (validated arguments)."""
    idx = np.array([unit])
    for k, s, d in reversed(stack):
        idx = np.unique((idx[:, None] * s + np.arange(k)[None, :] * d).ravel())
    mask = np.zeros(input_size, dtype=bool)
    mask[idx] = True
    return mask


def receptive_field_mask(layers, input_size, unit):
    """Which input positions influence one unit of the last layer (valid padding, one axis).

    Computed exactly by walking the set of contributing indices back through every layer, so dilated
    layers show their holes.

    Parameters
    ----------
    layers : sequence of tuples
        ``(kernel, stride)`` or ``(kernel, stride, dilation)`` per layer, input first.
    input_size : int
        Length of the input axis.
    unit : int
        0-based index of the unit in the last layer's output.

    Returns
    -------
    numpy.ndarray of bool
        Length ``input_size``; True where the input position reaches ``unit``.

    Examples
    --------
    >>> receptive_field_mask([(3, 1), (3, 1)], 7, 1).astype(int)
    array([0, 1, 1, 1, 1, 1, 0])
    >>> receptive_field_mask([(2, 1, 3)], 6, 0).astype(int)     # dilation 3: taps 0 and 3
    array([1, 0, 0, 1, 0, 0])
    """
    stack = _check_stack(layers)
    input_size = require_positive_int("input_size", input_size)
    if not _is_int(unit):  # before the sizes, as the message is about the argument
        raise TypeError(f"unit must be a whole number >= 0, got {unit!r} ({type(unit).__name__})")
    sizes = _stack_sizes(stack, input_size)
    return _mask(stack, input_size, _check_unit(unit, sizes[-1]))


def receptive_field_tower(layers, input_size, unit=None):
    """Per-layer masks and unit centres for the receptive-field "tower" picture (input first).

    Parameters
    ----------
    layers : sequence of tuples
        ``(kernel, stride[, dilation])`` per layer (valid padding), as :func:`receptive_field`.
    input_size : int
        Length of the input axis.
    unit : int, optional
        Unit of the last layer; the middle one by default.

    Returns
    -------
    masks : list of numpy.ndarray of bool
        For the input and every layer: which of its units feed ``unit`` (``masks[0]`` is
        :func:`receptive_field_mask`).
    positions : list of list of float
        Centre of every unit in input coordinates.
    sizes : list of int
        Number of units per layer (input first), as :func:`stack_sizes`.

    Examples
    --------
    >>> masks, positions, sizes = receptive_field_tower([(3, 1), (3, 1)], 7, 1)
    >>> sizes, [m.astype(int).tolist() for m in masks][1], positions[2]
    ([7, 5, 3], [0, 1, 1, 1, 0], [2.0, 3.0, 4.0])
    """
    stack = _check_stack(layers)
    sizes = _stack_sizes(stack, require_positive_int("input_size", input_size))
    unit = sizes[-1] // 2 if unit is None else _check_unit(unit, sizes[-1])
    masks, positions = [], []
    start, jump = 0.0, 1.0
    for i, size in enumerate(sizes):
        if i > 0:
            k, s, d = stack[i - 1]
            start = start + (effective_kernel(k, d) - 1) / 2 * jump
            jump = jump * s
        positions.append([start + j * jump for j in range(size)])
        masks.append(_mask(stack[i:], size, unit))
    return masks, positions, sizes


# ----------------------------------------------------------------------------------------------------------
# Published networks as layer specs
# ----------------------------------------------------------------------------------------------------------

_LENET5 = [
    {"type": "Conv2D", "filters": 6, "kernel_size": 5, "activation": "tanh"},
    {"type": "AveragePooling2D", "pool_size": 2},
    {"type": "Conv2D", "filters": 16, "kernel_size": 5, "activation": "tanh"},
    {"type": "AveragePooling2D", "pool_size": 2},
    {"type": "Flatten"},
    {"type": "Dense", "units": 120, "activation": "tanh"},
    {"type": "Dense", "units": 84, "activation": "tanh"},
    {"type": "Dense", "units": 10, "activation": "softmax"},
]
_ALEXNET = [
    {"type": "Conv2D", "filters": 96, "kernel_size": 11, "strides": 4, "activation": "relu"},
    {"type": "MaxPooling2D", "pool_size": 3, "strides": 2},
    {"type": "Conv2D", "filters": 256, "kernel_size": 5, "padding": "same", "activation": "relu"},
    {"type": "MaxPooling2D", "pool_size": 3, "strides": 2},
    {"type": "Conv2D", "filters": 384, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "Conv2D", "filters": 384, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "Conv2D", "filters": 256, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "MaxPooling2D", "pool_size": 3, "strides": 2},
    {"type": "Flatten"},
    {"type": "Dense", "units": 4096, "activation": "relu"},
    {"type": "Dense", "units": 4096, "activation": "relu"},
    {"type": "Dense", "units": 1000, "activation": "softmax"},
]


def _vgg16():
    spec = []
    for filters, convs in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        spec += [{"type": "Conv2D", "filters": filters, "kernel_size": 3, "padding": "same",
                  "activation": "relu"}] * convs
        spec.append({"type": "MaxPooling2D", "pool_size": 2})
    return spec + [{"type": "Flatten"}, {"type": "Dense", "units": 4096, "activation": "relu"},
                   {"type": "Dense", "units": 4096, "activation": "relu"},
                   {"type": "Dense", "units": 1000, "activation": "softmax"}]


#: Published networks as :func:`summarize` specs: name -> (input shape, layer specs). The layer stack
#: calculator offers them as presets and ``tools/make_images.py`` draws them.
NETWORK_PRESETS = {
    "LeNet-5 (32x32x1)": ((32, 32, 1), _LENET5),
    "AlexNet": ((227, 227, 3), _ALEXNET),
    "VGG-16": ((224, 224, 3), _vgg16()),
}


# ----------------------------------------------------------------------------------------------------------
# Model summary
# ----------------------------------------------------------------------------------------------------------

_SNAKE = {
    "Conv2D": "conv2d",
    "DepthwiseConv2D": "depthwise_conv2d",
    "SeparableConv2D": "separable_conv2d",
    "MaxPooling2D": "max_pooling2d",
    "AveragePooling2D": "average_pooling2d",
    "GlobalAveragePooling2D": "global_average_pooling2d",
    "GlobalMaxPooling2D": "global_max_pooling2d",
    "Flatten": "flatten",
    "Dense": "dense",
    "BatchNormalization": "batch_normalization",
    "Dropout": "dropout",
    "Activation": "activation",
    "ReLU": "re_lu",
    "ZeroPadding2D": "zero_padding2d",
}
_ALIASES = {
    "MaxPool2D": "MaxPooling2D",
    "AvgPool2D": "AveragePooling2D",
    "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D",
}
_REQUIRED = object()
# keywords that change shapes or counts, with their defaults (_REQUIRED = no default)
_KEYWORDS = {
    "Conv2D": {"filters": _REQUIRED, "kernel_size": _REQUIRED, "strides": 1, "padding": "valid",
               "dilation_rate": 1, "groups": 1, "use_bias": True},
    "DepthwiseConv2D": {"kernel_size": _REQUIRED, "strides": 1, "padding": "valid", "depth_multiplier": 1,
                        "dilation_rate": 1, "use_bias": True},
    "SeparableConv2D": {"filters": _REQUIRED, "kernel_size": _REQUIRED, "strides": 1, "padding": "valid",
                        "depth_multiplier": 1, "dilation_rate": 1, "use_bias": True},
    "MaxPooling2D": {"pool_size": 2, "strides": None, "padding": "valid"},
    "AveragePooling2D": {"pool_size": 2, "strides": None, "padding": "valid"},
    "GlobalAveragePooling2D": {"keepdims": False},
    "GlobalMaxPooling2D": {"keepdims": False},
    "Flatten": {},
    "Dense": {"units": _REQUIRED, "use_bias": True},
    "BatchNormalization": {"center": True, "scale": True},
    "Dropout": {},
    "Activation": {},
    "ReLU": {},
    "ZeroPadding2D": {"padding": 1},
}
# keywords that never change shapes or counts
_IGNORED = {
    "activation", "name", "trainable", "dtype", "rate", "seed", "noise_shape", "momentum", "epsilon",
    "max_value", "negative_slope", "threshold", "synchronized",
}
_IGNORED_SUFFIXES = ("_initializer", "_regularizer", "_constraint")


class Summary:
    """Layer-by-layer output shapes, parameter counts and multiplications of a stack (see :func:`summarize`).

    Attributes
    ----------
    rows : list of dict
        One per layer: ``"name"``, ``"type"``, ``"output_shape"`` (tuple, no batch axis), ``"params"``,
        ``"trainable"``, ``"non_trainable"`` (the two parts of ``"params"``), ``"multiplications"``.
    input_shape, output_shape : tuple of int
    total_params : int
        All weights, as Keras's ``count_params()`` (including BatchNormalization's moving statistics).
    trainable_params, non_trainable_params : int
        The two parts of ``total_params``, as Keras's ``model.summary()`` prints them: what the optimizer
        updates, and what it does not (BatchNormalization's moving mean and variance, and every weight of a
        layer specified with ``"trainable": False``).
    total_multiplications : int
        Multiplications for one image (pooling, normalisation and reshaping layers count 0).

    In a notebook the summary shows as an HTML table (``_repr_html_``); ``print(summary)`` gives the
    aligned text table. Both end with the trainable / non-trainable split, and get a ``Non-trainable``
    column when some layer has non-trainable parameters.

    Examples
    --------
    >>> s = summarize((28, 28, 1), [{"type": "Conv2D", "filters": 4, "kernel_size": 3}])
    >>> s.rows[0]["name"], s.rows[0]["output_shape"], s.total_params, s.total_multiplications
    ('conv2d_1', (26, 26, 4), 40, 24336)
    >>> bn = summarize((8, 8, 16), [{"type": "BatchNormalization"}])
    >>> bn.total_params, bn.trainable_params, bn.non_trainable_params
    (64, 32, 32)
    >>> 'class="cnn-summary-table"' in s.to_html()
    True
    """

    def __init__(self, input_shape, rows):
        self.input_shape = tuple(input_shape)
        self.rows = list(rows)
        self.output_shape = self.rows[-1]["output_shape"] if self.rows else self.input_shape
        self.total_params = sum(r["params"] for r in self.rows)
        self.trainable_params = sum(r.get("trainable", r["params"]) for r in self.rows)
        self.non_trainable_params = self.total_params - self.trainable_params
        self.total_multiplications = sum(r["multiplications"] for r in self.rows)

    @staticmethod
    def _shape_text(shape):
        return "(" + ", ".join(str(v) for v in shape) + ("," if len(shape) == 1 else "") + ")"

    def _cells(self):
        """Header, body rows and footer rows (total, trainable, non-trainable) as strings."""
        split = self.non_trainable_params > 0  # a per-layer column only when there is something to show
        head = ["Layer (type)", "Output shape", "Params", *(["Non-trainable"] if split else []), "Multiplications"]
        body = [
            [f"{r['name']} ({r['type']})", self._shape_text(r["output_shape"]), f"{r['params']:,}",
             *([f"{r.get('non_trainable', 0):,}"] if split else []), f"{r['multiplications']:,}"]
            for r in self.rows
        ]
        blank = [""] if split else []
        footer = [
            ["Total", "", f"{self.total_params:,}", *([f"{self.non_trainable_params:,}"] if split else []),
             f"{self.total_multiplications:,}"],
            ["Trainable params", "", f"{self.trainable_params:,}", *blank, ""],
            ["Non-trainable params", "", f"{self.non_trainable_params:,}", *blank, ""],
        ]
        return head, body, footer

    def to_text(self):
        """An aligned plain-text table with thousands separators, a totals line and the trainable split."""
        head, body, footer = self._cells()
        table = [head, *body, *footer]
        n = len(head)
        widths = [max(len(row[c]) for row in table) for c in range(n)]

        def line(row):
            return "  ".join(
                row[c].ljust(widths[c]) if c < 2 else row[c].rjust(widths[c]) for c in range(n)
            ).rstrip()

        rule = "-" * len(line(head))
        input_line = f"Input shape: {self._shape_text(self.input_shape)}"
        return "\n".join([input_line, line(head), rule, *(line(r) for r in body), rule, *(line(r) for r in footer)])

    def __str__(self):
        return self.to_text()

    def __repr__(self):
        return (f"<Summary {len(self.rows)} layers, {self._shape_text(self.input_shape)} -> "
                f"{self._shape_text(self.output_shape)}, {self.total_params:,} params "
                f"({self.non_trainable_params:,} non-trainable)>")

    def to_html(self):
        """An HTML table (class ``cnn-summary-table``) with a totals row and the trainable split."""
        head, body, footer = self._cells()
        esc = html.escape

        def tr(row, tag="td"):
            cells = "".join(
                # the layer's name may wrap on a narrow page; shapes and numbers never break in two
                f'<{tag} style="text-align:{"left" if c < 2 else "right"}; padding:2px 8px'
                f'{"" if c == 0 else "; white-space:nowrap"}">{esc(v)}</{tag}>'
                for c, v in enumerate(row)
            )
            return f"<tr>{cells}</tr>"

        return (
            '<table class="cnn-summary-table">'
            f"<caption>Input shape: {esc(self._shape_text(self.input_shape))}</caption>"
            f"<thead>{tr(head, 'th')}</thead>"
            f"<tbody>{''.join(tr(r) for r in body)}</tbody>"
            f"<tfoot>{''.join(tr(r, 'th') for r in footer)}</tfoot>"
            "</table>"
        )

    def _repr_html_(self):
        return self.to_html()


def _parse_spec(i, spec):
    """Return (type, kwargs) for one layer spec, or raise ValueError naming the layer."""
    supported = ", ".join(_SNAKE)
    if isinstance(spec, str):
        ltype, kwargs = spec, {}
    elif isinstance(spec, dict):
        if "type" not in spec:
            raise ValueError(f'layer {i}: a dict spec needs a "type" key (one of {supported}), got {spec!r}')
        kwargs = dict(spec)
        ltype = kwargs.pop("type")
    elif isinstance(spec, (tuple, list)) and len(spec) == 2 and isinstance(spec[1], dict):
        ltype, kwargs = spec[0], dict(spec[1])
    elif isinstance(spec, (tuple, list)) and len(spec) == 1:
        ltype, kwargs = spec[0], {}
    else:
        raise ValueError(
            f'layer {i}: expected a dict {{"type": ..., ...}} or a tuple (type, {{...}}), got {spec!r}'
        )
    if not isinstance(ltype, str):
        raise ValueError(
            f"layer {i}: the layer type must be a Keras class name (one of {supported}), got {ltype!r}"
        )
    ltype = _ALIASES.get(ltype, ltype)
    if ltype not in _KEYWORDS:
        raise ValueError(f"layer {i}: unknown layer type {ltype!r}; supported: {supported}")
    allowed = _KEYWORDS[ltype]
    for key in kwargs:
        if key in allowed or key in _IGNORED or key.endswith(_IGNORED_SUFFIXES):
            continue
        known = ", ".join(allowed) if allowed else "none"
        raise ValueError(
            f"layer {i} ({ltype}): unsupported keyword {key!r}; keywords that change shapes here: {known}"
        )
    for key, default in allowed.items():
        if default is _REQUIRED and key not in kwargs:
            raise ValueError(f"layer {i} ({ltype}): missing required keyword {key!r}")
    return ltype, {**allowed, **kwargs}


def _spatial(i, ltype, shape):
    if len(shape) != 3:
        raise ValueError(
            f"layer {i} ({ltype}): needs a (height, width, channels) input, got shape {shape}; "
            f"put {ltype} before any Flatten/Dense/global pooling"
        )
    return shape


def _conv_axes(i, ltype, shape, kw):
    """Validate the spatial keywords of a convolution and return (out_h, out_w, kh, kw)."""
    h, w, _ = _spatial(i, ltype, shape)
    kh, kwid = require_pair("kernel_size", kw["kernel_size"])
    sh, sw = require_pair("strides", kw["strides"])
    dh, dw = require_pair("dilation_rate", kw["dilation_rate"])
    padding = require_padding("padding", kw["padding"], allow_int=False)
    if max(sh, sw) > 1 and max(dh, dw) > 1:
        raise ValueError(
            "strides > 1 together with dilation_rate > 1 is not supported by Keras; use one of them"
        )
    oh = _layer_axis(h, kh, sh, padding, dh, "height")
    ow = _layer_axis(w, kwid, sw, padding, dw, "width")
    return oh, ow, kh, kwid


def _layer_axis(size, k, s, padding, d, axis):
    ek = effective_kernel(k, d)
    if padding == "valid" and ek > size:
        dil = f" (effective {ek} with dilation {d})" if d > 1 else ""
        raise ValueError(
            f"the kernel {axis} {k}{dil} is larger than the input {axis} {size}; "
            'use a smaller kernel or padding="same"'
        )
    return conv_output_size(size, k, s, padding, d)


def _non_trainable(ltype, shape, params, kw):
    """Parameters of one layer that the optimizer does not update."""
    if not require_bool("trainable", kw.get("trainable", True)):
        return params  # Keras: a frozen layer's weights are all non-trainable
    if ltype == "BatchNormalization":
        return 2 * shape[-1]  # moving mean and moving variance, one of each per channel
    return 0


def _layer(i, ltype, shape, kw):
    """Return (output_shape, params, multiplications) of one layer; raise plain errors."""
    if ltype == "Conv2D":
        c = _spatial(i, ltype, shape)[2]
        filters = require_positive_int("filters", kw["filters"])
        groups = require_positive_int("groups", kw["groups"])
        use_bias = require_bool("use_bias", kw["use_bias"])
        oh, ow, kh, kwid = _conv_axes(i, ltype, shape, kw)
        if c % groups or filters % groups:
            raise ValueError(
                f"groups={groups} must divide both the input channels ({c}) and filters ({filters})"
            )
        params = kh * kwid * (c // groups) * filters + (filters if use_bias else 0)
        return (oh, ow, filters), params, oh * ow * filters * kh * kwid * (c // groups)
    if ltype == "DepthwiseConv2D":
        c = _spatial(i, ltype, shape)[2]
        dm = require_positive_int("depth_multiplier", kw["depth_multiplier"])
        use_bias = require_bool("use_bias", kw["use_bias"])
        oh, ow, kh, kwid = _conv_axes(i, ltype, shape, kw)
        out_c = c * dm
        return (oh, ow, out_c), kh * kwid * out_c + (out_c if use_bias else 0), oh * ow * out_c * kh * kwid
    if ltype == "SeparableConv2D":
        c = _spatial(i, ltype, shape)[2]
        filters = require_positive_int("filters", kw["filters"])
        dm = require_positive_int("depth_multiplier", kw["depth_multiplier"])
        use_bias = require_bool("use_bias", kw["use_bias"])
        oh, ow, kh, kwid = _conv_axes(i, ltype, shape, kw)
        mid = c * dm
        params = kh * kwid * mid + mid * filters + (filters if use_bias else 0)
        return (oh, ow, filters), params, oh * ow * mid * kh * kwid + oh * ow * mid * filters
    if ltype in ("MaxPooling2D", "AveragePooling2D"):
        h, w, c = _spatial(i, ltype, shape)
        ph, pw = require_pair("pool_size", kw["pool_size"])
        sh, sw = (ph, pw) if kw["strides"] is None else require_pair("strides", kw["strides"])
        padding = require_padding("padding", kw["padding"], allow_int=False)
        for size, p, axis in ((h, ph, "height"), (w, pw, "width")):
            if padding == "valid" and p > size:
                raise ValueError(
                    f"the pool {axis} {p} is larger than the input {axis} {size}; "
                    'use a smaller pool or padding="same"'
                )
        return (pool_output_size(h, ph, sh, padding), pool_output_size(w, pw, sw, padding), c), 0, 0
    if ltype in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        c = _spatial(i, ltype, shape)[2]
        keepdims = require_bool("keepdims", kw["keepdims"])
        return ((1, 1, c) if keepdims else (c,)), 0, 0
    if ltype == "Flatten":
        return (math.prod(shape),), 0, 0
    if ltype == "Dense":
        units = require_positive_int("units", kw["units"])
        use_bias = require_bool("use_bias", kw["use_bias"])
        n_in = shape[-1]
        lead = math.prod(shape[:-1])
        return shape[:-1] + (units,), n_in * units + (units if use_bias else 0), lead * n_in * units
    if ltype == "BatchNormalization":
        center = require_bool("center", kw["center"])
        scale = require_bool("scale", kw["scale"])
        return shape, (2 + center + scale) * shape[-1], 0
    if ltype in ("Dropout", "Activation", "ReLU"):
        return shape, 0, 0
    if ltype == "ZeroPadding2D":
        h, w, c = _spatial(i, ltype, shape)
        (top, bottom), (left, right) = _zero_padding(kw["padding"])
        return (h + top + bottom, w + left + right, c), 0, 0
    raise AssertionError(ltype)  # pragma: no cover - _parse_spec rejects unknown types


def _zero_padding(value):
    """Keras ZeroPadding2D's padding: int, (sym_h, sym_w) or ((top, bottom), (left, right))."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        if all(isinstance(v, (tuple, list)) for v in value):
            if any(len(v) != 2 for v in value):
                raise ValueError(
                    f"padding must be an int, a pair or ((top, bottom), (left, right)), got {value!r}"
                )
            return tuple(tuple(require_nonneg_int("padding", p) for p in v) for v in value)
        ph, pw = (require_nonneg_int("padding", v) for v in value)
        return (ph, ph), (pw, pw)
    if isinstance(value, numbers.Number) or isinstance(value, str):
        p = require_nonneg_int("padding", value)
        return (p, p), (p, p)
    raise ValueError(f"padding must be an int, a pair or ((top, bottom), (left, right)), got {value!r}")


def summarize(input_shape, layers):
    """Output shape, parameters and multiplications of every layer of a stack, like ``model.summary()``.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one input without the batch axis, usually ``(height, width, channels)``.
    layers : sequence
        One spec per layer, using Keras's class and keyword names so the same spec can build the Keras
        layer with ``getattr(keras.layers, spec["type"])(**kwargs)``: either a dict
        ``{"type": "Conv2D", "filters": 6, "kernel_size": 5}`` or a tuple ``("Conv2D", {...})``.
        Supported: Conv2D, DepthwiseConv2D, SeparableConv2D, MaxPooling2D, AveragePooling2D,
        GlobalAveragePooling2D, GlobalMaxPooling2D, Flatten, Dense (acts on the last axis),
        BatchNormalization (``center``/``scale``), Dropout, Activation, ReLU, ZeroPadding2D (int, pair or
        ``((top, bottom), (left, right))``). Keywords that do not change shapes or counts
        (``activation``, ``rate``, initializers, regularizers, ...) are ignored; a string ``name`` only
        replaces the row's default name (``conv2d_1``, ``conv2d_2``, ... numbered per type), and
        ``"trainable": False`` makes all of a layer's parameters non-trainable (a frozen layer). A bare
        string such as ``"Flatten"`` is accepted for layers without keywords.

    Returns
    -------
    Summary
        Per-layer rows and totals. Parameters equal Keras's ``count_params()``, split like Keras into
        trainable and non-trainable (BatchNormalization: ``gamma`` and ``beta`` are trainable, the moving
        mean and variance are not, 2 numbers per channel each); multiplications are for
        one image: convolutions ``out_h*out_w*filters*kh*kw*(C/groups)``, Dense
        ``(leading positions)*in*units``; pooling, BatchNormalization, Flatten, Dropout, activations and
        padding count 0.

    Raises
    ------
    ValueError, TypeError
        For an unknown layer type or keyword, a bad keyword value, or an impossible stack; the message
        names the layer, e.g. ``layer 3 (Conv2D): ...``.

    Examples
    --------
    >>> lenet = [
    ...     {"type": "Conv2D", "filters": 6, "kernel_size": 5, "activation": "tanh"},
    ...     {"type": "MaxPooling2D", "pool_size": 2},
    ...     {"type": "Conv2D", "filters": 16, "kernel_size": 5, "activation": "tanh"},
    ...     {"type": "MaxPooling2D", "pool_size": 2},
    ...     {"type": "Flatten"},
    ...     {"type": "Dense", "units": 120, "activation": "tanh"},
    ...     {"type": "Dense", "units": 84, "activation": "tanh"},
    ...     {"type": "Dense", "units": 10, "activation": "softmax"},
    ... ]
    >>> s = summarize((32, 32, 1), lenet)
    >>> s.output_shape, f"{s.total_params:,}"
    ((10,), '61,706')
    >>> print(s)
    Input shape: (32, 32, 1)
    Layer (type)                    Output shape  Params  Multiplications
    ---------------------------------------------------------------------
    conv2d_1 (Conv2D)               (28, 28, 6)      156          117,600
    max_pooling2d_1 (MaxPooling2D)  (14, 14, 6)        0                0
    conv2d_2 (Conv2D)               (10, 10, 16)   2,416          240,000
    max_pooling2d_2 (MaxPooling2D)  (5, 5, 16)         0                0
    flatten_1 (Flatten)             (400,)             0                0
    dense_1 (Dense)                 (120,)        48,120           48,000
    dense_2 (Dense)                 (84,)         10,164           10,080
    dense_3 (Dense)                 (10,)            850              840
    ---------------------------------------------------------------------
    Total                                         61,706          416,520
    Trainable params                              61,706
    Non-trainable params                               0

    With batch normalization a column shows the non-trainable part of each layer:

    >>> print(summarize((8, 8, 3), [{"type": "Conv2D", "filters": 4, "kernel_size": 3, "use_bias": False},
    ...                            {"type": "BatchNormalization"}]))
    Input shape: (8, 8, 3)
    Layer (type)                                Output shape  Params  Non-trainable  Multiplications
    ------------------------------------------------------------------------------------------------
    conv2d_1 (Conv2D)                           (6, 6, 4)        108              0            3,888
    batch_normalization_1 (BatchNormalization)  (6, 6, 4)         16              8                0
    ------------------------------------------------------------------------------------------------
    Total                                                        124              8            3,888
    Trainable params                                             116
    Non-trainable params                                           8
    """
    if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__len__"):
        raise TypeError(f"input_shape must be a tuple such as (height, width, channels), got {input_shape!r}")
    if len(input_shape) == 0:
        raise ValueError("input_shape must be a tuple such as (height, width, channels), got ()")
    shape = tuple(require_positive_int("input_shape", v) for v in input_shape)
    if isinstance(layers, (str, bytes, dict)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a list of layer specs, got {layers!r}")
    counts: dict[str, int] = {}
    rows = []
    for i, spec in enumerate(layers, start=1):
        ltype, kw = _parse_spec(i, spec)
        try:
            shape, params, mults = _layer(i, ltype, shape, kw)
            fixed = _non_trainable(ltype, shape, params, kw)
        except (TypeError, ValueError) as exc:
            msg = str(exc)
            prefix = f"layer {i} ({ltype}): "
            raise type(exc)(msg if msg.startswith(prefix) else prefix + msg) from None
        counts[ltype] = counts.get(ltype, 0) + 1
        name = kw.get("name") if isinstance(kw.get("name"), str) else f"{_SNAKE[ltype]}_{counts[ltype]}"
        rows.append({"name": name, "type": ltype, "output_shape": tuple(shape), "params": int(params),
                     "trainable": int(params - fixed), "non_trainable": int(fixed), "multiplications": int(mults)})
    return Summary(tuple(int(v) for v in input_shape), rows)
