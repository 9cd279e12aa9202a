"""Keras builders for the classic CNNs of the course, and small tools to look inside them.

This is the only module of :mod:`helpers` that imports TensorFlow/Keras; ``import helpers`` does not import
it. Every builder uses the Keras functional API, gives its layers readable names, and takes ``input_shape``
and ``classes`` so the notebooks can train small versions; the defaults reproduce the published sizes:

==============================  ====================  ===============
builder                         default input         parameters
==============================  ====================  ===============
:func:`lenet5`                  32x32x1, 10 classes   61,706
:func:`alexnet`                 227x227x3, 1000       62,378,344
:func:`vgg16`                   224x224x3, 1000       138,357,544
:func:`resnet50`                224x224x3, 1000       25,636,712
:func:`googlenet`               224x224x3, 1000       6,998,552
:func:`mobilenet`               224x224x3, 1000       4,253,864
:func:`mobilenet_v2`            224x224x3, 1000       3,538,984
:func:`efficientnet_b0`         224x224x3, 1000       5,330,571
==============================  ====================  ===============

Building blocks: :func:`vgg_block`, :func:`identity_block`, :func:`projection_block`,
:func:`basic_residual_block`, :func:`inception_module`, :func:`depthwise_separable_block`,
:func:`inverted_residual_block`, :func:`squeeze_excite`, :func:`mbconv_block`. Small networks for experiments: :func:`plain_cnn`,
:func:`residual_cnn`, :func:`googlenet_small`, :func:`small_cnn`, :func:`build_sequential`. Data augmentation:
:func:`augmentation_layers`. Tools:
:func:`count_params_by_layer`, :func:`count_multiply_adds`, :func:`feature_maps`, :func:`layer_gradient_norms`, :func:`train`.
What a trained network looks at (computed with ``tf.GradientTape``): :func:`input_gradient`, :func:`saliency`,
:func:`occlusion`, :func:`grad_cam`, :func:`explain` (one of them with the class and probabilities),
:func:`conv_layer_names`, :func:`feature_map_centres` and :func:`upsample_to_input` (a feature map's cells placed
on the input).
"""

from __future__ import annotations

import contextlib
import inspect
import weakref

import keras
import numpy as np
from keras import layers

from helpers._validate import (
    _is_int,
    require_bool,
    require_choice,
    require_positive_int,
)

__all__ = [
    "lenet5",
    "alexnet",
    "vgg_block",
    "vgg16",
    "identity_block",
    "projection_block",
    "basic_residual_block",
    "resnet50",
    "inception_module",
    "googlenet_small",
    "googlenet",
    "depthwise_separable_block",
    "mobilenet",
    "inverted_residual_block",
    "mobilenet_v2",
    "squeeze_excite",
    "mbconv_block",
    "efficientnet_b0",
    "count_multiply_adds",
    "plain_cnn",
    "residual_cnn",
    "build_sequential",
    "small_cnn",
    "augmentation_layers",
    "count_params_by_layer",
    "feature_maps",
    "predict_with_maps",
    "layer_gradient_norms",
    "train",
    "train_seeds",
    "EXPLANATION_METHODS",
    "conv_layer_names",
    "input_gradient",
    "saliency",
    "occlusion",
    "grad_cam",
    "feature_map_centres",
    "upsample_to_input",
    "explain",
]

BN_EPSILON = 1.001e-5  # the value keras.applications.ResNet50 uses


# ---------------------------------------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------------------------------------


def _require_input_shape(input_shape) -> tuple[int, int, int]:
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(
            "input_shape must be a tuple (height, width, channels) of positive integers, "
            f"got {input_shape!r} ({type(input_shape).__name__})"
        )
    if len(input_shape) != 3:
        raise ValueError(
            f"input_shape must be a triple (height, width, channels) of positive integers, got {tuple(input_shape)}"
        )
    return tuple(require_positive_int("input_shape", v) for v in input_shape)


def _require_classes(classes) -> int:
    return require_positive_int("classes", classes)


def _require_tensor(x, name="x"):
    shape = getattr(x, "shape", None)
    if not keras.backend.is_keras_tensor(x) and not hasattr(x, "_keras_history"):
        raise TypeError(f"{name} must be a Keras tensor, e.g. keras.Input(shape=(32, 32, 16)), got {type(x).__name__}")
    if shape is None or len(shape) != 4:
        raise ValueError(f"{name} must be a 4-D Keras tensor (batch, height, width, channels), got shape {shape}")
    return x


def _require_name(name):
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a string or None, got {name!r} ({type(name).__name__})")
    return name


def _n(name, suffix):
    """Layer name ``{name}_{suffix}``, or None (Keras picks a unique name) when the block has no name."""
    return f"{name}_{suffix}" if name else None


def _require_filters3(filters) -> tuple[int, int, int]:
    """An int F (bottleneck F, F, 4F as in ResNet-50) or a triple (F1, F2, F3)."""
    if isinstance(filters, (tuple, list)):
        if len(filters) != 3:
            raise ValueError(f"filters must be an integer F (meaning F, F, 4F) or a triple (F1, F2, F3), got {filters!r}")
        return tuple(require_positive_int("filters", f) for f in filters)
    f = require_positive_int("filters", filters)
    return (f, f, 4 * f)


@contextlib.contextmanager
def _friendly_shape_errors(builder, input_shape):
    """Turn Keras's "negative output size" errors into one that names input_shape."""
    try:
        yield
    except ValueError as exc:
        raise ValueError(
            f"input_shape {input_shape} is too small for {builder}: a layer's output would be empty. "
            f"Use a larger input. (Keras said: {str(exc).splitlines()[0]})"
        ) from exc


# ---------------------------------------------------------------------------------------------------------
# LeNet-5, AlexNet, VGG-16
# ---------------------------------------------------------------------------------------------------------


def lenet5(input_shape=(32, 32, 1), classes=10, activation="relu", pooling="max"):
    """LeNet-5 (LeCun et al., 1998): two 5x5 convolutions with pooling, then dense layers of 120, 84, classes.

    Parameters
    ----------
    input_shape : tuple of int
        (height, width, channels); at least 16x16.
    classes : int
        Number of output classes (softmax).
    activation : {"relu", "tanh", "sigmoid"}
        Activation of the hidden layers; ``"tanh"`` with ``pooling="average"`` gives the 1998 flavour.
    pooling : {"max", "average"}
        2x2 pooling after each convolution.

    Returns
    -------
    keras.Model

    Examples
    --------
    >>> model = lenet5()
    >>> model.count_params()
    61706
    >>> model.output_shape
    (None, 10)
    """
    input_shape = _require_input_shape(input_shape)
    classes = _require_classes(classes)
    require_choice("activation", activation, ("relu", "tanh", "sigmoid"))
    require_choice("pooling", pooling, ("max", "average"))
    pool = layers.MaxPooling2D if pooling == "max" else layers.AveragePooling2D
    with _friendly_shape_errors("lenet5", input_shape):
        inputs = keras.Input(shape=input_shape, name="image")
        x = layers.Conv2D(6, 5, activation=activation, name="c1_conv")(inputs)
        x = pool(2, name="s2_pool")(x)
        x = layers.Conv2D(16, 5, activation=activation, name="c3_conv")(x)
        x = pool(2, name="s4_pool")(x)
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(120, activation=activation, name="c5_dense")(x)
        x = layers.Dense(84, activation=activation, name="f6_dense")(x)
        outputs = layers.Dense(classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="lenet5")


def alexnet(input_shape=(227, 227, 3), classes=1000):
    """AlexNet (Krizhevsky, Sutskever & Hinton, 2012) as one tower (the original split it over two GPUs).

    96@11x11 stride 4, 3x3/2 max pool, 256@5x5, pool, 384@3x3, 384@3x3, 256@3x3, pool, then 4096, 4096 and
    ``classes`` dense units with dropout 0.5 before the last two. Local response normalisation is left out
    (it has no parameters).

    Parameters
    ----------
    input_shape : tuple of int
        (height, width, channels); at least 67x67.
    classes : int
        Number of output classes.

    Returns
    -------
    keras.Model
        62,378,344 parameters at the defaults.

    Examples
    --------
    >>> alexnet(input_shape=(67, 67, 3), classes=10).output_shape
    (None, 10)
    """
    input_shape = _require_input_shape(input_shape)
    classes = _require_classes(classes)
    with _friendly_shape_errors("alexnet", input_shape):
        inputs = keras.Input(shape=input_shape, name="image")
        x = layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1")(inputs)
        x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
        x = layers.Conv2D(256, 5, padding="same", activation="relu", name="conv2")(x)
        x = layers.MaxPooling2D(3, strides=2, name="pool2")(x)
        x = layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3")(x)
        x = layers.Conv2D(384, 3, padding="same", activation="relu", name="conv4")(x)
        x = layers.Conv2D(256, 3, padding="same", activation="relu", name="conv5")(x)
        x = layers.MaxPooling2D(3, strides=2, name="pool5")(x)
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc6")(x)
        x = layers.Dropout(0.5, name="drop6")(x)
        x = layers.Dense(4096, activation="relu", name="fc7")(x)
        x = layers.Dropout(0.5, name="drop7")(x)
        outputs = layers.Dense(classes, activation="softmax", name="fc8")(x)
    return keras.Model(inputs, outputs, name="alexnet")


def vgg_block(x, filters, convs, name=None):
    """A VGG block: ``convs`` 3x3 "same" convolutions with ReLU, then a 2x2 max pool (halves height and width).

    Parameters
    ----------
    x : Keras tensor
        4-D input (batch, height, width, channels).
    filters : int
        Filters of every convolution in the block.
    convs : int
        Number of convolutions.
    name : str, optional
        Prefix of the layer names (``block1`` gives ``block1_conv1`` ... ``block1_pool``).

    Returns
    -------
    Keras tensor

    Examples
    --------
    >>> x = keras.Input(shape=(32, 32, 3))
    >>> vgg_block(x, 64, 2, name="block1").shape
    (None, 16, 16, 64)
    """
    _require_tensor(x)
    filters = require_positive_int("filters", filters)
    convs = require_positive_int("convs", convs)
    _require_name(name)
    for i in range(1, convs + 1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=_n(name, f"conv{i}"))(x)
    return layers.MaxPooling2D(2, strides=2, name=_n(name, "pool"))(x)


def vgg16(input_shape=(224, 224, 3), classes=1000):
    """VGG-16 (Simonyan & Zisserman, 2014): 13 3x3 convolutions in five blocks, then 4096, 4096, classes.

    Built from :func:`vgg_block` with the layer names of ``keras.applications.VGG16``.

    Parameters
    ----------
    input_shape : tuple of int
        (height, width, channels); at least 32x32 (five 2x2 poolings).
    classes : int
        Number of output classes.

    Returns
    -------
    keras.Model
        138,357,544 parameters at the defaults.

    Examples
    --------
    >>> vgg16(input_shape=(32, 32, 3), classes=10).get_layer("block5_pool").output.shape
    (None, 1, 1, 512)
    """
    input_shape = _require_input_shape(input_shape)
    classes = _require_classes(classes)
    with _friendly_shape_errors("vgg16", input_shape):
        inputs = keras.Input(shape=input_shape, name="image")
        x = inputs
        for i, (filters, convs) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], start=1):
            x = vgg_block(x, filters, convs, name=f"block{i}")
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        outputs = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="vgg16")


# ---------------------------------------------------------------------------------------------------------
# Residual blocks and ResNet-50
# ---------------------------------------------------------------------------------------------------------


def _bn(name, suffix):
    return layers.BatchNormalization(epsilon=BN_EPSILON, name=_n(name, suffix))


def _bottleneck_main_path(x, filters, kernel_size, strides, name):
    f1, f2, f3 = filters
    x = layers.Conv2D(f1, 1, strides=strides, name=_n(name, "1_conv"))(x)
    x = _bn(name, "1_bn")(x)
    x = layers.Activation("relu", name=_n(name, "1_relu"))(x)
    x = layers.Conv2D(f2, kernel_size, padding="same", name=_n(name, "2_conv"))(x)
    x = _bn(name, "2_bn")(x)
    x = layers.Activation("relu", name=_n(name, "2_relu"))(x)
    x = layers.Conv2D(f3, 1, name=_n(name, "3_conv"))(x)
    return _bn(name, "3_bn")(x)


def identity_block(x, filters, kernel_size=3, name=None):
    """ResNet-50's bottleneck block with an identity shortcut: output shape = input shape.

    Main path: 1x1 conv (F1) - BN - ReLU - kxk conv (F2) - BN - ReLU - 1x1 conv (F3) - BN; then the input is
    added and a ReLU applied. The input must already have F3 channels.

    Parameters
    ----------
    x : Keras tensor
        4-D input with F3 channels.
    filters : int or (int, int, int)
        F (meaning F, F, 4F as in ResNet-50) or (F1, F2, F3).
    kernel_size : int
        Size k of the middle convolution.
    name : str, optional
        Prefix of the layer names (``conv2_block2`` gives ``conv2_block2_1_conv`` ... ``conv2_block2_out``).

    Returns
    -------
    Keras tensor

    Examples
    --------
    >>> x = keras.Input(shape=(56, 56, 256))
    >>> identity_block(x, 64).shape
    (None, 56, 56, 256)
    """
    _require_tensor(x)
    filters = _require_filters3(filters)
    kernel_size = require_positive_int("kernel_size", kernel_size)
    _require_name(name)
    if x.shape[-1] != filters[2]:
        raise ValueError(
            f"identity_block needs an input with filters[2] = {filters[2]} channels to add the shortcut, "
            f"got {x.shape[-1]}; use projection_block when the shapes differ"
        )
    y = _bottleneck_main_path(x, filters, kernel_size, 1, name)
    y = layers.Add(name=_n(name, "add"))([x, y])
    return layers.Activation("relu", name=_n(name, "out"))(y)


def projection_block(x, filters, kernel_size=3, strides=2, name=None):
    """ResNet-50's bottleneck block with a projection shortcut (1x1 conv + BN) for when shapes change.

    The main path is the one of :func:`identity_block`, with ``strides`` in its first 1x1 convolution (as in
    ``keras.applications.ResNet50``); the shortcut is a 1x1 convolution with the same stride and F3 filters,
    followed by BN, so both paths have the same shape before they are added.

    Parameters
    ----------
    x : Keras tensor
        4-D input.
    filters : int or (int, int, int)
        F (meaning F, F, 4F) or (F1, F2, F3).
    kernel_size : int
        Size k of the middle convolution.
    strides : int
        Downsampling factor (1 keeps height and width and only changes the channels).
    name : str, optional
        Prefix of the layer names (the shortcut is ``{name}_0_conv``, ``{name}_0_bn``).

    Returns
    -------
    Keras tensor

    Examples
    --------
    >>> x = keras.Input(shape=(56, 56, 256))
    >>> projection_block(x, 128).shape
    (None, 28, 28, 512)
    """
    _require_tensor(x)
    filters = _require_filters3(filters)
    kernel_size = require_positive_int("kernel_size", kernel_size)
    strides = require_positive_int("strides", strides)
    _require_name(name)
    shortcut = layers.Conv2D(filters[2], 1, strides=strides, name=_n(name, "0_conv"))(x)
    shortcut = _bn(name, "0_bn")(shortcut)
    y = _bottleneck_main_path(x, filters, kernel_size, strides, name)
    y = layers.Add(name=_n(name, "add"))([shortcut, y])
    return layers.Activation("relu", name=_n(name, "out"))(y)


def basic_residual_block(x, filters, strides=1, name=None, batch_norm=True):
    """The two-layer residual block of ResNet-18/34: Conv-BN-ReLU-Conv-BN, add the shortcut, ReLU.

    Both convolutions are 3x3 "same"; the first has ``strides``. The shortcut is the input itself when the
    shapes match, otherwise a 1x1 convolution (with ``strides``, plus BN) that projects it to the new shape.

    Parameters
    ----------
    x : Keras tensor
        4-D input.
    filters : int
        Filters of both convolutions (channels of the output).
    strides : int
        Stride of the first convolution (2 halves height and width).
    name : str, optional
        Prefix of the layer names.
    batch_norm : bool
        Include the BatchNormalization layers (False for the experiments without normalisation).

    Returns
    -------
    Keras tensor

    Examples
    --------
    >>> x = keras.Input(shape=(16, 16, 8))
    >>> basic_residual_block(x, 8).shape
    (None, 16, 16, 8)
    >>> basic_residual_block(x, 16, strides=2).shape
    (None, 8, 8, 16)
    """
    _require_tensor(x)
    filters = require_positive_int("filters", filters)
    strides = require_positive_int("strides", strides)
    _require_name(name)
    batch_norm = require_bool("batch_norm", batch_norm)
    y = layers.Conv2D(filters, 3, strides=strides, padding="same", name=_n(name, "1_conv"))(x)
    if batch_norm:
        y = layers.BatchNormalization(name=_n(name, "1_bn"))(y)
    y = layers.Activation("relu", name=_n(name, "1_relu"))(y)
    y = layers.Conv2D(filters, 3, padding="same", name=_n(name, "2_conv"))(y)
    if batch_norm:
        y = layers.BatchNormalization(name=_n(name, "2_bn"))(y)
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=strides, name=_n(name, "0_conv"))(x)
        if batch_norm:
            shortcut = layers.BatchNormalization(name=_n(name, "0_bn"))(shortcut)
    y = layers.Add(name=_n(name, "add"))([shortcut, y])
    return layers.Activation("relu", name=_n(name, "out"))(y)


def resnet50(input_shape=(224, 224, 3), classes=1000):
    """ResNet-50 (He et al., 2015) from :func:`projection_block` and :func:`identity_block`.

    Stem: 3-pixel zero padding, 64@7x7 stride 2, BN, ReLU, 1-pixel padding, 3x3/2 max pool. Then four
    stages of bottleneck blocks (3, 4, 6 and 3 blocks with F = 64, 128, 256, 512; the first block of each
    stage projects the shortcut and, except in the first stage, halves the size), global average pooling and
    a softmax layer. Layer names and details (BN epsilon 1.001e-5, conv biases) follow
    ``keras.applications.ResNet50``.

    Parameters
    ----------
    input_shape : tuple of int
        (height, width, channels); at least 32x32.
    classes : int
        Number of output classes.

    Returns
    -------
    keras.Model
        25,636,712 parameters at the defaults.

    Examples
    --------
    >>> resnet50(input_shape=(32, 32, 3), classes=10).output_shape
    (None, 10)
    """
    input_shape = _require_input_shape(input_shape)
    classes = _require_classes(classes)
    with _friendly_shape_errors("resnet50", input_shape):
        inputs = keras.Input(shape=input_shape, name="image")
        x = layers.ZeroPadding2D(padding=3, name="conv1_pad")(inputs)
        x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name="conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
        x = layers.ZeroPadding2D(padding=1, name="pool1_pad")(x)
        x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
        for stage, (filters, blocks, strides) in enumerate([(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)], 2):
            x = projection_block(x, filters, strides=strides, name=f"conv{stage}_block1")
            for b in range(2, blocks + 1):
                x = identity_block(x, filters, name=f"conv{stage}_block{b}")
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        outputs = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="resnet50")


# ---------------------------------------------------------------------------------------------------------
# Inception
# ---------------------------------------------------------------------------------------------------------


def inception_module(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj, bottleneck=True, name=None):
    """An Inception module (Szegedy et al., 2014): four parallel branches concatenated along the channels.

    Branches: 1x1 conv (f1); 1x1 reduction (f3_reduce) then 3x3 conv (f3); 1x1 reduction (f5_reduce) then
    5x5 conv (f5); 3x3/1 max pool then 1x1 projection (pool_proj). All use "same" padding and ReLU, so the
    height and width are kept and the output has ``f1 + f3 + f5 + pool_proj`` channels.

    With ``bottleneck=False`` you get the paper's "naive" module: no 1x1 reductions before the 3x3 and 5x5
    convolutions and no projection after the pool (``f3_reduce``, ``f5_reduce`` and ``pool_proj`` are then
    ignored), so the output has ``f1 + f3 + f5 + input channels`` channels and costs far more
    multiplications.

    Parameters
    ----------
    x : Keras tensor
        4-D input.
    f1, f3_reduce, f3, f5_reduce, f5, pool_proj : int
        Filters of each convolution, in the order of the paper's table.
    bottleneck : bool
        Use the 1x1 reductions (True) or the naive module (False).
    name : str, optional
        Prefix of the layer names (``{name}_1x1``, ``{name}_3x3_reduce``, ``{name}_concat`` ...).

    Returns
    -------
    Keras tensor

    Examples
    --------
    >>> x = keras.Input(shape=(28, 28, 192))
    >>> inception_module(x, 64, 96, 128, 16, 32, 32, name="3a").shape  # GoogLeNet's module 3a
    (None, 28, 28, 256)
    >>> inception_module(x, 64, 96, 128, 16, 32, 32, bottleneck=False).shape
    (None, 28, 28, 416)
    """
    _require_tensor(x)
    f1 = require_positive_int("f1", f1)
    f3 = require_positive_int("f3", f3)
    f5 = require_positive_int("f5", f5)
    bottleneck = require_bool("bottleneck", bottleneck)
    _require_name(name)
    if bottleneck:
        f3_reduce = require_positive_int("f3_reduce", f3_reduce)
        f5_reduce = require_positive_int("f5_reduce", f5_reduce)
        pool_proj = require_positive_int("pool_proj", pool_proj)

    def conv(t, filters, k, suffix):
        return layers.Conv2D(filters, k, padding="same", activation="relu", name=_n(name, suffix))(t)

    b1 = conv(x, f1, 1, "1x1")
    b3 = conv(x, f3_reduce, 1, "3x3_reduce") if bottleneck else x
    b3 = conv(b3, f3, 3, "3x3")
    b5 = conv(x, f5_reduce, 1, "5x5_reduce") if bottleneck else x
    b5 = conv(b5, f5, 5, "5x5")
    bp = layers.MaxPooling2D(3, strides=1, padding="same", name=_n(name, "pool"))(x)
    if bottleneck:
        bp = conv(bp, pool_proj, 1, "pool_proj")
    return layers.Concatenate(axis=-1, name=_n(name, "concat"))([b1, b3, b5, bp])


# GoogLeNet's table: (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj)
_GOOGLENET_MODULES = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}


def googlenet(input_shape=(224, 224, 3), classes=1000):
    """GoogLeNet (Szegedy et al., 2014) without its two auxiliary classifiers, for counting.

    Stem (64@7x7/2, 3x3/2 max pool, 1x1 64, 3x3 192, 3x3/2 max pool), nine Inception modules with the
    paper's filter numbers (3a-3b, pool, 4a-4e, pool, 5a-5b), global average pooling, dropout 0.4 and a
    softmax layer. Local response normalisation is left out (no parameters).

    Parameters
    ----------
    input_shape : tuple of int
        (height, width, channels).
    classes : int
        Number of output classes.

    Returns
    -------
    keras.Model
        6,998,552 parameters at the defaults. The paper's text gives no total (it says 12 times fewer
        parameters than AlexNet); the parameter column of its Table 1 sums to about 6.8 million.

    Examples
    --------
    >>> model = googlenet(input_shape=(64, 64, 3), classes=10)
    >>> sum(layer.name.endswith("_concat") for layer in model.layers)
    9
    """
    input_shape = _require_input_shape(input_shape)
    classes = _require_classes(classes)
    with _friendly_shape_errors("googlenet", input_shape):
        inputs = keras.Input(shape=input_shape, name="image")
        x = layers.Conv2D(64, 7, strides=2, padding="same", activation="relu", name="conv1_7x7")(inputs)
        x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
        x = layers.Conv2D(64, 1, activation="relu", name="conv2_reduce")(x)
        x = layers.Conv2D(192, 3, padding="same", activation="relu", name="conv2_3x3")(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool2")(x)
        for key, filters in _GOOGLENET_MODULES.items():
            if key in ("4a", "5a"):
                x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{int(key[0]) - 1}")(x)
            x = inception_module(x, *filters, name=f"inception_{key}")
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dropout(0.4, name="dropout")(x)
        outputs = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="googlenet")


def googlenet_small(input_shape=(32, 32, 1), classes=10):
    """A GoogLeNet-style network small enough to train on a CPU in seconds.

    A 3x3 convolution stem with 2x2 pooling, two Inception modules with a pool between them, global average
    pooling (no flatten, no big dense layer) and a softmax layer.

    Parameters
    ----------
    input_shape : tuple of int
        (height, width, channels); at least 4x4.
    classes : int
        Number of output classes.

    Returns
    -------
    keras.Model

    Examples
    --------
    >>> model = googlenet_small()
    >>> model.get_layer("inception_a_concat").output.shape  # 16 + 24 + 8 + 8 channels
    (None, 16, 16, 56)
    """
    input_shape = _require_input_shape(input_shape)
    classes = _require_classes(classes)
    with _friendly_shape_errors("googlenet_small", input_shape):
        inputs = keras.Input(shape=input_shape, name="image")
        x = layers.Conv2D(32, 3, padding="same", activation="relu", name="stem_conv")(inputs)
        x = layers.MaxPooling2D(2, name="stem_pool")(x)
        x = inception_module(x, 16, 16, 24, 4, 8, 8, name="inception_a")
        x = layers.MaxPooling2D(2, name="pool_a")(x)
        x = inception_module(x, 32, 24, 48, 8, 16, 16, name="inception_b")
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        outputs = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="googlenet_small")


# ---------------------------------------------------------------------------------------------------------
# Efficient CNNs: MobileNet, MobileNetV2, EfficientNet-B0
# ---------------------------------------------------------------------------------------------------------


def _relu6(name):
    return layers.ReLU(6.0, name=name)


def _require_alpha(alpha):
    """MobileNet's width multiplier: a number in (0, 1]."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha <= 1:
        raise ValueError(f"alpha must be a number in (0, 1], e.g. 1.0 or 0.5, got {alpha!r}")
    return alpha


def _require_stride(strides):
    if strides not in (1, 2):
        raise ValueError(f"strides must be 1 or 2, got {strides!r}")
    return strides


def depthwise_separable_block(x, filters, strides=1, name=None):
    """MobileNet's block: a 3x3 depthwise convolution, then a 1x1 pointwise one, each with BN and ReLU6.

    The depthwise convolution filters every channel on its own (``9 C`` weights); the pointwise convolution
    mixes channels (``C x filters`` weights). A standard 3x3 convolution would need ``9 C x filters``.

    Parameters
    ----------
    x : Keras tensor
        4-D input ``(batch, height, width, C)``.
    filters : int
        Channels after the pointwise convolution.
    strides : {1, 2}, optional
        Stride of the depthwise convolution.
    name : str, optional
        Prefix of the layer names.

    Returns
    -------
    Keras tensor

    Examples
    --------
    >>> x = keras.Input((32, 32, 32))
    >>> m = keras.Model(x, depthwise_separable_block(x, 64))
    >>> m.output.shape, m.count_params()  # 9*32 + 4*32 (BN) + 32*64 + 4*64 (BN)
    ((None, 32, 32, 64), 2720)
    """
    _require_tensor(x)
    filters = require_positive_int("filters", filters)
    strides = _require_stride(strides)
    x = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False, name=_n(name, "dw"))(x)
    x = layers.BatchNormalization(name=_n(name, "dw_bn"))(x)
    x = _relu6(_n(name, "dw_relu"))(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=_n(name, "pw"))(x)
    x = layers.BatchNormalization(name=_n(name, "pw_bn"))(x)
    return _relu6(_n(name, "pw_relu"))(x)


#: MobileNet (v1)'s 13 depthwise-separable blocks: (pointwise filters, stride).
MOBILENET_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1),
                    (512, 1), (512, 1), (1024, 2), (1024, 1)]


def mobilenet(input_shape=(224, 224, 3), classes=1000, alpha=1.0):
    """MobileNet (Howard et al., 2017): a strided 3x3 convolution and 13 depthwise-separable blocks.

    ``alpha`` is the width multiplier: every layer has ``alpha`` times the channels. The defaults give the
    parameter count of ``keras.applications.MobileNet(weights=None)``: 4,253,864.

    Parameters
    ----------
    input_shape : tuple of int, optional
    classes : int, optional
    alpha : float, optional
        Width multiplier in (0, 1] (the paper uses 1, 0.75, 0.5, 0.25).

    Returns
    -------
    keras.Model

    Examples
    --------
    >>> mobilenet().count_params()
    4253864
    >>> mobilenet(alpha=0.5).count_params() < mobilenet().count_params() / 3
    True
    """
    input_shape, classes = _require_input_shape(input_shape), _require_classes(classes)
    alpha = _require_alpha(alpha)
    with _friendly_shape_errors("mobilenet", input_shape):
        inputs = keras.Input(input_shape, name="image")
        x = layers.Conv2D(int(32 * alpha), 3, strides=2, padding="same", use_bias=False, name="conv1")(inputs)
        x = layers.BatchNormalization(name="conv1_bn")(x)
        x = _relu6("conv1_relu")(x)
        for i, (filters, strides) in enumerate(MOBILENET_BLOCKS, start=1):
            x = depthwise_separable_block(x, int(filters * alpha), strides, name=f"block{i}")
        x = layers.GlobalAveragePooling2D(keepdims=True, name="gap")(x)
        x = layers.Dropout(1e-3, name="dropout")(x)
        x = layers.Conv2D(classes, 1, name="classifier")(x)  # a 1x1 convolution as the dense layer
        x = layers.Reshape((classes,), name="flatten")(x)
        outputs = layers.Activation("softmax", name="softmax")(x)
        return keras.Model(inputs, outputs, name="mobilenet")


def _divisible(value, divisor=8):
    """Round a channel count to a multiple of 8 (never more than 10% down), as MobileNetV2 does."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def inverted_residual_block(x, filters, strides=1, expansion=6, name=None, bn_momentum=0.999):
    """MobileNetV2's block: expand with a 1x1 convolution, filter depthwise, project back linearly.

    Thin (``C``) -> wide (``expansion x C``, ReLU6) -> depthwise 3x3 (ReLU6) -> thin (``filters``, **no**
    activation: the "linear bottleneck"). When the shapes allow it (stride 1 and ``filters == C``) the input
    is added back, a residual connection between the thin ends.

    Parameters
    ----------
    x : Keras tensor
    filters : int
        Output channels.
    strides : {1, 2}, optional
    expansion : int, optional
        Width factor of the middle (1 skips the expansion convolution).
    name : str, optional
    bn_momentum : float, optional
        Momentum of the batch normalizations' moving statistics. MobileNetV2's 0.999 needs thousands of steps
        before the inference-mode statistics are right; short runs on small data want 0.9.

    Returns
    -------
    Keras tensor

    Examples
    --------
    >>> x = keras.Input((14, 14, 64))
    >>> y = inverted_residual_block(x, 64)
    >>> y.shape, keras.Model(x, y).count_params()  # 64*384 + 9*384 + 384*64 + 4*(384+384+64) BN
    ((None, 14, 14, 64), 55936)
    """
    _require_tensor(x)
    filters = require_positive_int("filters", filters)
    strides = _require_stride(strides)
    expansion = require_positive_int("expansion", expansion)
    if isinstance(bn_momentum, bool) or not isinstance(bn_momentum, (int, float)) or not 0 <= bn_momentum < 1:
        raise ValueError(f"bn_momentum must be a number in [0, 1), e.g. 0.9 or 0.999, got {bn_momentum!r}")
    c_in = int(x.shape[-1])
    inputs = x
    if expansion != 1:
        x = layers.Conv2D(expansion * c_in, 1, use_bias=False, name=_n(name, "expand"))(x)
        x = layers.BatchNormalization(epsilon=1e-3, momentum=bn_momentum, name=_n(name, "expand_bn"))(x)
        x = _relu6(_n(name, "expand_relu"))(x)
    x = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False, name=_n(name, "dw"))(x)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=bn_momentum, name=_n(name, "dw_bn"))(x)
    x = _relu6(_n(name, "dw_relu"))(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=_n(name, "project"))(x)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=bn_momentum, name=_n(name, "project_bn"))(x)
    if strides == 1 and c_in == filters:
        x = layers.Add(name=_n(name, "add"))([inputs, x])
    return x


#: MobileNetV2's inverted residual blocks: (expansion, output channels, repeats, first stride).
MOBILENET_V2_BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                       (6, 160, 3, 2), (6, 320, 1, 1)]


def mobilenet_v2(input_shape=(224, 224, 3), classes=1000, alpha=1.0):
    """MobileNetV2 (Sandler et al., 2018): 17 inverted residual blocks with linear bottlenecks.

    The defaults give the parameter count of ``keras.applications.MobileNetV2(weights=None)``: 3,538,984.

    Parameters
    ----------
    input_shape : tuple of int, optional
    classes : int, optional
    alpha : float, optional
        Width multiplier in (0, 1].

    Returns
    -------
    keras.Model

    Examples
    --------
    >>> mobilenet_v2().count_params()
    3538984
    """
    input_shape, classes = _require_input_shape(input_shape), _require_classes(classes)
    alpha = _require_alpha(alpha)
    with _friendly_shape_errors("mobilenet_v2", input_shape):
        inputs = keras.Input(input_shape, name="image")
        x = layers.Conv2D(_divisible(32 * alpha), 3, strides=2, padding="same", use_bias=False, name="conv1")(inputs)
        x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name="conv1_bn")(x)
        x = _relu6("conv1_relu")(x)
        block = 0
        for expansion, channels, repeats, stride in MOBILENET_V2_BLOCKS:
            for r in range(repeats):
                x = inverted_residual_block(x, _divisible(channels * alpha), stride if r == 0 else 1, expansion,
                                            name=f"block{block}")
                block += 1
        x = layers.Conv2D(1280, 1, use_bias=False, name="conv_last")(x)
        x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name="conv_last_bn")(x)
        x = _relu6("conv_last_relu")(x)
        x = layers.GlobalAveragePooling2D(name="gap")(x)
        outputs = layers.Dense(classes, activation="softmax", name="predictions")(x)
        return keras.Model(inputs, outputs, name="mobilenet_v2")


def squeeze_excite(x, squeezed, name=None):
    """Squeeze-and-excitation (Hu et al., 2018): reweight each channel by a gate computed from all channels.

    Global average pooling squeezes each channel to one number; two 1x1 convolutions (to ``squeezed``
    channels with swish, back with a sigmoid) turn them into gates in (0, 1) that multiply the channels.

    Parameters
    ----------
    x : Keras tensor
    squeezed : int
        Channels of the bottleneck between the two 1x1 convolutions.
    name : str, optional

    Returns
    -------
    Keras tensor (same shape as ``x``)

    Examples
    --------
    >>> x = keras.Input((7, 7, 96))
    >>> y = squeeze_excite(x, 4)
    >>> y.shape, keras.Model(x, y).count_params()  # (96*4 + 4) + (4*96 + 96)
    ((None, 7, 7, 96), 868)
    """
    _require_tensor(x)
    squeezed = require_positive_int("squeezed", squeezed)
    channels = int(x.shape[-1])
    s = layers.GlobalAveragePooling2D(keepdims=True, name=_n(name, "se_squeeze"))(x)
    s = layers.Conv2D(squeezed, 1, activation="swish", name=_n(name, "se_reduce"))(s)
    s = layers.Conv2D(channels, 1, activation="sigmoid", name=_n(name, "se_expand"))(s)
    return layers.Multiply(name=_n(name, "se_excite"))([x, s])


def mbconv_block(x, filters, kernel_size=3, strides=1, expansion=6, se_ratio=0.25, name=None):
    """EfficientNet's MBConv block: MobileNetV2's inverted residual with swish and squeeze-and-excitation.

    Parameters
    ----------
    x : Keras tensor
    filters : int
        Output channels.
    kernel_size : int, optional
        Of the depthwise convolution (3 or 5 in EfficientNet-B0).
    strides : {1, 2}, optional
    expansion : int, optional
    se_ratio : float, optional
        Squeeze-and-excitation bottleneck as a fraction of the block's input channels.
    name : str, optional

    Returns
    -------
    Keras tensor

    Examples
    --------
    >>> x = keras.Input((28, 28, 40))
    >>> mbconv_block(x, 40, kernel_size=5).shape
    (None, 28, 28, 40)
    """
    _require_tensor(x)
    filters = require_positive_int("filters", filters)
    kernel_size = require_positive_int("kernel_size", kernel_size)
    strides = _require_stride(strides)
    expansion = require_positive_int("expansion", expansion)
    c_in = int(x.shape[-1])
    inputs = x
    if expansion != 1:
        x = layers.Conv2D(c_in * expansion, 1, use_bias=False, name=_n(name, "expand"))(x)
        x = layers.BatchNormalization(name=_n(name, "expand_bn"))(x)
        x = layers.Activation("swish", name=_n(name, "expand_swish"))(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same", use_bias=False, name=_n(name, "dw"))(x)
    x = layers.BatchNormalization(name=_n(name, "dw_bn"))(x)
    x = layers.Activation("swish", name=_n(name, "dw_swish"))(x)
    if se_ratio:
        x = squeeze_excite(x, max(1, int(c_in * se_ratio)), name=name)
    x = layers.Conv2D(filters, 1, use_bias=False, name=_n(name, "project"))(x)
    x = layers.BatchNormalization(name=_n(name, "project_bn"))(x)
    if strides == 1 and c_in == filters:
        x = layers.Add(name=_n(name, "add"))([inputs, x])
    return x


#: EfficientNet-B0's stages: (kernel size, repeats, output channels, expansion, first stride).
EFFICIENTNET_B0_STAGES = [(3, 1, 16, 1, 1), (3, 2, 24, 6, 2), (5, 2, 40, 6, 2), (3, 3, 80, 6, 2),
                          (5, 3, 112, 6, 1), (5, 4, 192, 6, 2), (3, 1, 320, 6, 1)]


def efficientnet_b0(input_shape=(224, 224, 3), classes=1000, normalize_input=True):
    """EfficientNet-B0 (Tan & Le, 2019): 16 MBConv blocks found by architecture search, the base of B1-B7.

    With ``normalize_input`` the model starts like ``keras.applications.EfficientNetB0``: rescaling to
    [0, 1] and a ``Normalization`` layer, whose mean, variance and count (7 numbers for RGB) are part of the
    model's weights. The defaults give that model's parameter count, 5,330,571.

    Parameters
    ----------
    input_shape : tuple of int, optional
    classes : int, optional
    normalize_input : bool, optional

    Returns
    -------
    keras.Model

    Examples
    --------
    >>> efficientnet_b0().count_params()
    5330571
    """
    input_shape, classes = _require_input_shape(input_shape), _require_classes(classes)
    normalize_input = require_bool("normalize_input", normalize_input)
    with _friendly_shape_errors("efficientnet_b0", input_shape):
        inputs = keras.Input(input_shape, name="image")
        x = inputs
        if normalize_input:
            x = layers.Rescaling(1.0 / 255, name="rescaling")(x)
            x = layers.Normalization(axis=-1, name="normalization")(x)
        x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(x)
        x = layers.BatchNormalization(name="stem_bn")(x)
        x = layers.Activation("swish", name="stem_swish")(x)
        block = 0
        for kernel, repeats, channels, expansion, stride in EFFICIENTNET_B0_STAGES:
            for r in range(repeats):
                x = mbconv_block(x, channels, kernel, stride if r == 0 else 1, expansion, name=f"block{block}")
                block += 1
        x = layers.Conv2D(1280, 1, use_bias=False, name="top_conv")(x)
        x = layers.BatchNormalization(name="top_bn")(x)
        x = layers.Activation("swish", name="top_swish")(x)
        x = layers.GlobalAveragePooling2D(name="gap")(x)
        x = layers.Dropout(0.2, name="top_dropout")(x)
        outputs = layers.Dense(classes, activation="softmax", name="predictions")(x)
        return keras.Model(inputs, outputs, name="efficientnet_b0")


def count_multiply_adds(model):
    """Multiply-adds of one forward pass of one image (convolutions, depthwise convolutions, dense layers).

    A ``Conv2D`` producing ``H x W x F`` from ``C`` channels with a ``k x k`` kernel does ``H W F k k C /
    groups`` multiply-adds; a ``DepthwiseConv2D`` ``H W C m k k``; a ``Dense`` layer ``inputs x units``.
    Batch normalization, activations, pooling and additions are left out, as in the papers' counts.

    Parameters
    ----------
    model : keras.Model

    Returns
    -------
    int

    Examples
    --------
    >>> x = keras.Input((6, 6, 1))
    >>> count_multiply_adds(keras.Model(x, layers.Conv2D(1, 3)(x)))  # 4 x 4 outputs, 9 products each
    144
    """
    _require_model(model)
    total = 0
    for layer in model.layers:
        if hasattr(layer, "layers") and not hasattr(layer, "kernel"):
            total += count_multiply_adds(layer)
            continue
        out = _output_shape(layer)
        if isinstance(layer, layers.DepthwiseConv2D):
            kh, kw, c, m = layer.kernel.shape
            total += int(np.prod(out[:2])) * int(kh * kw * c * m)
        elif isinstance(layer, layers.Conv2D):
            kh, kw, c_per_group, f = layer.kernel.shape
            total += int(np.prod(out[:2])) * int(kh * kw * c_per_group * f)
        elif isinstance(layer, layers.Dense):
            n_in, units = layer.kernel.shape
            total += int(np.prod(out[:-1] or (1,))) * int(n_in * units)
    return total


# ---------------------------------------------------------------------------------------------------------
# Plain vs residual networks of the same depth (the degradation experiment)
# ---------------------------------------------------------------------------------------------------------


def _stage_plan(depth, width):
    """Residual blocks per stage: three stages of width, 2*width, 4*width as in the paper's CIFAR nets."""
    depth = require_positive_int("depth", depth)
    if depth < 4 or depth % 2:
        raise ValueError(
            f"depth must be an even integer >= 4 (a stem conv, pairs of 3x3 convs, a dense layer), got {depth}"
        )
    width = require_positive_int("width", width)
    blocks = (depth - 2) // 2
    stages = min(3, blocks)
    per_stage = [blocks // stages + (1 if i < blocks % stages else 0) for i in range(stages)]
    return [(width * 2**i, n) for i, n in enumerate(per_stage)]


def _deep_cnn(input_shape, classes, depth, width, batch_norm, residual):
    input_shape = _require_input_shape(input_shape)
    classes = _require_classes(classes)
    plan = _stage_plan(depth, width)
    batch_norm = require_bool("batch_norm", batch_norm)
    kind = "residual" if residual else "plain"
    with _friendly_shape_errors(f"{kind}_cnn", input_shape):
        inputs = keras.Input(shape=input_shape, name="image")
        x = layers.Conv2D(width, 3, strides=2, padding="same", name="stem_conv")(inputs)
        if batch_norm:
            x = layers.BatchNormalization(name="stem_bn")(x)
        x = layers.Activation("relu", name="stem_relu")(x)
        for s, (filters, blocks) in enumerate(plan, start=1):
            for b in range(1, blocks + 1):
                strides = 2 if (s > 1 and b == 1) else 1
                name = f"stage{s}_block{b}"
                if residual:
                    x = basic_residual_block(x, filters, strides=strides, name=name, batch_norm=batch_norm)
                    continue
                for i, st in ((1, strides), (2, 1)):
                    x = layers.Conv2D(filters, 3, strides=st, padding="same", name=f"{name}_{i}_conv")(x)
                    if batch_norm:
                        x = layers.BatchNormalization(name=f"{name}_{i}_bn")(x)
                    x = layers.Activation("relu", name=f"{name}_{i}_relu")(x)
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        outputs = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"{kind}_cnn_{depth}")


def plain_cnn(input_shape, classes, depth, width=16, batch_norm=False):
    """A deep "plain" CNN: a stack of 3x3 convolutions with no shortcuts (the counterpart of :func:`residual_cnn`).

    ``depth`` counts the weight layers as He et al. do: a stem convolution (stride 2), ``depth - 2`` 3x3
    convolutions in up to three stages of ``width``, ``2*width`` and ``4*width`` filters (each later stage
    starts with stride 2), and the final dense layer after global average pooling.

    Parameters
    ----------
    input_shape : tuple of int
        (height, width, channels).
    classes : int
        Number of output classes.
    depth : int
        Even number of weight layers, >= 4 (e.g. 20 or 32).
    width : int
        Filters of the first stage.
    batch_norm : bool
        Add BatchNormalization after every convolution. Off by default, so that the deep plain network
        visibly struggles to train.

    Returns
    -------
    keras.Model

    Examples
    --------
    >>> model = plain_cnn((32, 32, 1), 10, depth=20)
    >>> sum(isinstance(layer, keras.layers.Conv2D) for layer in model.layers)
    19
    """
    return _deep_cnn(input_shape, classes, depth, width, batch_norm, residual=False)


def residual_cnn(input_shape, classes, depth, width=16, batch_norm=False):
    """The network of :func:`plain_cnn` with a shortcut around every pair of 3x3 convolutions.

    Built from :func:`basic_residual_block`; where a stage changes the shape, the shortcut is a 1x1
    projection (these two or so extra 1x1 convolutions are not counted in ``depth``).

    Parameters
    ----------
    input_shape : tuple of int
        (height, width, channels).
    classes : int
        Number of output classes.
    depth : int
        Even number of weight layers, >= 4 (the same as the plain network it is compared with).
    width : int
        Filters of the first stage.
    batch_norm : bool
        Add BatchNormalization after every convolution (off by default, as in :func:`plain_cnn`).

    Returns
    -------
    keras.Model

    Examples
    --------
    >>> model = residual_cnn((32, 32, 1), 10, depth=20)
    >>> sum(isinstance(layer, keras.layers.Add) for layer in model.layers)
    9
    """
    return _deep_cnn(input_shape, classes, depth, width, batch_norm, residual=True)


# ---------------------------------------------------------------------------------------------------------
# A model from a plain spec, and a small CNN for transfer learning
# ---------------------------------------------------------------------------------------------------------


def build_sequential(layers, input_shape):
    """A ``keras.Sequential`` from the plain layer spec that ``helpers.shapes.summarize`` reads.

    Parameters
    ----------
    layers : sequence
        Each layer is a dict ``{"type": "Conv2D", "filters": 6, "kernel_size": 5, ...}`` or a tuple
        ``("Conv2D", {"filters": 6, "kernel_size": 5})``, using Keras's class and keyword names: the layer is
        ``getattr(keras.layers, type)(**keywords)``.
    input_shape : tuple of int
        (height, width, channels) of the input.

    Returns
    -------
    keras.Sequential

    Examples
    --------
    >>> spec = [{"type": "Conv2D", "filters": 6, "kernel_size": 5}, ("MaxPooling2D", {"pool_size": 2})]
    >>> build_sequential(spec, (32, 32, 1)).output_shape
    (None, 14, 14, 6)
    """
    spec_layers = layers
    input_shape = _require_input_shape(input_shape)
    if isinstance(spec_layers, (str, bytes, dict)) or not hasattr(spec_layers, "__iter__"):
        raise TypeError(f"layers must be a list of layer specs, got {type(spec_layers).__name__}")
    built = []
    for i, spec in enumerate(spec_layers, start=1):
        if isinstance(spec, dict):
            kwargs = dict(spec)
            kind = kwargs.pop("type", None)
        elif isinstance(spec, (tuple, list)) and len(spec) == 2 and isinstance(spec[1], dict):
            kind, kwargs = spec[0], dict(spec[1])
        elif isinstance(spec, (tuple, list)) and len(spec) == 1:
            kind, kwargs = spec[0], {}
        else:
            raise TypeError(
                f'layer {i}: a spec must be a dict with a "type" key or a tuple (type, {{keywords}}), got {spec!r}'
            )
        cls = getattr(keras.layers, kind, None) if isinstance(kind, str) else None
        if not (isinstance(cls, type) and issubclass(cls, keras.layers.Layer)) or kind == "InputLayer":
            raise ValueError(f"layer {i}: unknown layer type {kind!r}; use a keras.layers class name such as 'Conv2D'")
        try:
            built.append(cls(**kwargs))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"layer {i} ({kind}): {exc}") from exc
    model = keras.Sequential(name="sequential_from_spec")
    model.add(keras.Input(shape=input_shape))
    for i, layer in enumerate(built, start=1):
        try:
            model.add(layer)
        except ValueError as exc:
            raise ValueError(f"layer {i} ({type(layer).__name__}): {str(exc).splitlines()[0]}") from exc
    return model


def small_cnn(input_shape=(32, 32, 1), classes=10):
    """A small CNN for transfer learning: a feature extractor named ``"base"`` and a dense ``"head"``.

    The base (a nested ``keras.Model``) is three 3x3 convolutions (16, 32, 64 filters) with 2x2 max pooling
    between them and global average pooling at the end, giving a 64-number feature vector. The head is a
    single softmax layer. Freeze the base with ``model.get_layer("base").trainable = False`` (then compile
    again), or reuse it in a new model with a new head.

    Parameters
    ----------
    input_shape : tuple of int
        (height, width, channels); at least 4x4.
    classes : int
        Number of output classes of the head.

    Returns
    -------
    keras.Model

    Examples
    --------
    >>> model = small_cnn()
    >>> [layer.name for layer in model.layers[1:]]
    ['base', 'head']
    >>> model.get_layer("base").output_shape
    (None, 64)
    """
    input_shape = _require_input_shape(input_shape)
    classes = _require_classes(classes)
    with _friendly_shape_errors("small_cnn", input_shape):
        inputs = keras.Input(shape=input_shape, name="image")
        x = layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inputs)
        x = layers.MaxPooling2D(2, name="pool1")(x)
        x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
        x = layers.MaxPooling2D(2, name="pool2")(x)
        x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv3")(x)
        features = layers.GlobalAveragePooling2D(name="features")(x)
        base = keras.Model(inputs, features, name="base")
        model_in = keras.Input(shape=input_shape, name="image")
        outputs = layers.Dense(classes, activation="softmax", name="head")(base(model_in))
    return keras.Model(model_in, outputs, name="small_cnn")


# ---------------------------------------------------------------------------------------------------------
# Data augmentation
# ---------------------------------------------------------------------------------------------------------

_FLIPS = ("horizontal", "vertical", "horizontal_and_vertical")
_FILL_MODES = ("constant", "reflect", "wrap", "nearest")


def _require_factor(name, value, high, high_ok=True):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number (0 turns the layer off), got {value!r} ({type(value).__name__})")
    value = float(value)
    if not (0 <= value <= high if high_ok else 0 <= value < high):
        bound = f"<= {high}" if high_ok else f"< {high}"
        raise ValueError(f"{name} must satisfy 0 <= {name} {bound} (0 turns the layer off), got {value}")
    return value


def augmentation_layers(translation=0.1, rotation=0.05, zoom=0.1, contrast=0.0, flip=None, fill_mode="reflect",
                        value_range=(0.0, 1.0), seed=None, name="augmentation"):
    """A ``keras.Sequential`` of random preprocessing layers: active in training, the identity at inference.

    Every factor is a maximum: each image of each batch draws its own transformation uniformly up to it.
    A factor of 0 leaves its layer out. The layers come in this order: flip, translation, rotation, zoom,
    contrast.

    Parameters
    ----------
    translation : float
        Largest shift as a fraction of the height and of the width (``RandomTranslation``), 0 to 1.
    rotation : float
        Largest rotation as a fraction of a full turn (``RandomRotation``): 0.05 is +-18 degrees, 0.5 any
        angle.
    zoom : float
        Largest zoom in or out as a fraction of the size (``RandomZoom``), 0 <= zoom < 1.
    contrast : float
        Largest contrast change (``RandomContrast``): each image's deviations from its mean are scaled by a
        factor drawn uniformly between ``1 - contrast`` and ``1 + contrast`` (lower and higher contrast), then
        clipped to ``value_range``; 0 to 1. The layer is built with ``factor=(contrast, contrast)``: Keras 3's
        ``RandomContrast`` given a single number ``f`` draws from ``[1, 1 + f]`` only, so it never lowers
        the contrast.
    flip : {None, "horizontal", "vertical", "horizontal_and_vertical"}
        Random mirror images (``RandomFlip``); None for none (right for digits and text).
    fill_mode : {"reflect", "constant", "wrap", "nearest"}
        How pixels that come from outside the image are filled; ``"constant"`` fills with 0 (black), the
        background of the digits.
    value_range : tuple of float
        (low, high) of the pixel values, for ``RandomContrast``'s clipping; the course's images are in [0, 1].
    seed : int, optional
        Seed of the random layers (each layer gets ``seed + i``); by default they follow Keras's global seed.
    name : str
        Name of the Sequential model.

    Returns
    -------
    keras.Sequential
        Call it as ``augment(images, training=True)`` to see augmented copies; inside a model it augments
        only during ``fit``.

    Examples
    --------
    >>> augment = augmentation_layers(translation=0.1, rotation=0.05, zoom=0.1, fill_mode="constant", seed=0)
    >>> [type(layer).__name__ for layer in augment.layers]
    ['RandomTranslation', 'RandomRotation', 'RandomZoom']
    >>> x = np.random.default_rng(0).random((2, 16, 16, 1)).astype("float32")
    >>> bool(np.array_equal(np.asarray(augment(x, training=False)), x))   # the identity at inference
    True
    >>> bool(np.array_equal(np.asarray(augment(x, training=True)), x))
    False
    """
    translation = _require_factor("translation", translation, 1.0)
    rotation = _require_factor("rotation", rotation, 1.0)
    zoom = _require_factor("zoom", zoom, 1.0, high_ok=False)
    contrast = _require_factor("contrast", contrast, 1.0)
    if flip is not None:
        if not isinstance(flip, str):
            raise TypeError(f"flip must be None or one of {', '.join(map(repr, _FLIPS))}, got {flip!r}")
        require_choice("flip", flip, _FLIPS)
    if not isinstance(fill_mode, str):
        raise TypeError(f"fill_mode must be one of {', '.join(map(repr, _FILL_MODES))}, got {fill_mode!r}")
    require_choice("fill_mode", fill_mode, _FILL_MODES)
    if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
            or not all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                       for v in value_range)):
        raise TypeError(f"value_range must be a pair of numbers (low, high), got {value_range!r}")
    if not value_range[0] < value_range[1]:
        raise ValueError(f"value_range must have low < high, got {tuple(value_range)}")
    if seed is not None and (not _is_int(seed) or seed < 0):
        raise ValueError(f"seed must be None or a whole number >= 0, got {seed!r}")
    name = _require_name(name)

    def seeded(i):
        return None if seed is None else int(seed) + i

    geometry = {"fill_mode": fill_mode, "fill_value": float(value_range[0])}
    stack = []
    if flip is not None:
        stack.append(layers.RandomFlip(flip, seed=seeded(0), name="flip"))
    if translation:
        stack.append(layers.RandomTranslation(translation, translation, seed=seeded(1), name="translation",
                                              **geometry))
    if rotation:
        stack.append(layers.RandomRotation(rotation, seed=seeded(2), name="rotation", **geometry))
    if zoom:
        stack.append(layers.RandomZoom(zoom, zoom, seed=seeded(3), name="zoom", **geometry))
    if contrast:
        # a pair, not a number: RandomContrast(f) draws its factor from [1, 1 + f] only (Keras 3.15)
        stack.append(layers.RandomContrast((contrast, contrast), value_range=tuple(float(v) for v in value_range),
                                           seed=seeded(4), name="contrast"))
    if not stack:  # every factor 0: no augmentation, but still a model that can be called
        stack.append(layers.Identity(name="no_augmentation"))
    return keras.Sequential(stack, name=name)


# ---------------------------------------------------------------------------------------------------------
# Looking inside a model
# ---------------------------------------------------------------------------------------------------------


def _require_model(model):
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    return model


def _output_shape(layer):
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return None
    return tuple(shape[1:])


def count_params_by_layer(model):
    """Parameters and output shape of every layer of a model (input layers left out).

    Parameters
    ----------
    model : keras.Model
        A built model.

    Returns
    -------
    list of tuple
        ``(layer name, layer type, parameters, output shape without the batch axis)`` per layer.

    Examples
    --------
    >>> rows = count_params_by_layer(lenet5())
    >>> rows[0]
    ('c1_conv', 'Conv2D', 156, (28, 28, 6))
    >>> sum(r[2] for r in rows)
    61706
    """
    _require_model(model)
    return [
        (layer.name, type(layer).__name__, int(layer.count_params()), _output_shape(layer))
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]


_EXTRACTORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _find_layer(model, layer):
    if isinstance(layer, str):
        names = [lyr.name for lyr in model.layers]
        if layer not in names:
            raise ValueError(f"layer must be the name of one of the model's layers ({', '.join(names)}), got {layer!r}")
        return model.get_layer(layer)
    if _is_int(layer):
        n = len(model.layers)
        if not -n <= layer < n:
            raise ValueError(f"layer must be an index between {-n} and {n - 1} (model.layers), got {layer}")
        return model.layers[int(layer)]
    raise TypeError(f"layer must be a layer name (str) or an index into model.layers (int), got {layer!r}")


def _float_images(value, name):
    """``value`` as a float32 array, or a TypeError naming the argument (shapes are checked by the caller)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a numpy array, got {type(value).__name__}")
    try:
        return np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}") from exc


def feature_maps(model, images, layer):
    """The activations of one layer for a batch of images, as a numpy array.

    Parameters
    ----------
    model : keras.Model
        A built model (functional, or Sequential with an ``Input``).
    images : array_like
        ``(N, H, W, C)`` batch, or one ``(H, W, C)`` image.
    layer : str or int
        Layer name, or index into ``model.layers``.

    Returns
    -------
    numpy.ndarray
        float32 activations, e.g. ``(N, h, w, filters)`` for a convolution; without the batch axis when one
        image was given.

    Examples
    --------
    >>> model = lenet5()
    >>> feature_maps(model, np.zeros((2, 32, 32, 1)), "c1_conv").shape
    (2, 28, 28, 6)
    >>> feature_maps(model, np.zeros((32, 32, 1)), "s2_pool").shape
    (14, 14, 6)
    """
    _require_model(model)
    target = _find_layer(model, layer)
    arr = _float_images(images, "images")
    expected = tuple(model.inputs[0].shape[1:])
    single = arr.ndim == len(expected)
    if single:
        arr = arr[None]
    if arr.ndim != len(expected) + 1 or any(e is not None and e != a for e, a in zip(expected, arr.shape[1:], strict=True)):
        raise ValueError(f"images must have shape (N, {', '.join(map(str, expected))}) or one image, got {arr.shape}")
    per_model = _EXTRACTORS.setdefault(model, {})
    key = id(target)
    if key not in per_model:
        per_model[key] = keras.Model(model.inputs[0] if len(model.inputs) == 1 else model.inputs, target.output)
    extractor = per_model[key]
    chunks = [
        keras.ops.convert_to_numpy(extractor(arr[i : i + 256], training=False)) for i in range(0, len(arr), 256)
    ]
    out = np.concatenate(chunks, axis=0).astype(np.float32) if chunks else np.zeros((0,), np.float32)
    return out[0] if single else out


_PREDICTORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def predict_with_maps(model, image, layer):
    """One image through a classifier: its class probabilities and the feature maps of one layer, in one pass.

    Parameters
    ----------
    model : keras.Model
        A built classifier with one input (e.g. a trained LeNet-5).
    image : array_like
        One image matching the model's input, e.g. ``(32, 32, 1)``.
    layer : str or int
        Layer name, or index into ``model.layers``.

    Returns
    -------
    probabilities : numpy.ndarray
        ``(classes,)`` float32: the model's output for the image.
    maps : numpy.ndarray
        float32 activations of ``layer`` without the batch axis, e.g. ``(28, 28, 6)``.

    Examples
    --------
    >>> probabilities, maps = predict_with_maps(lenet5(), np.zeros((32, 32, 1)), "c1_conv")
    >>> probabilities.shape, maps.shape, bool(np.isclose(probabilities.sum(), 1))
    ((10,), (28, 28, 6), True)
    """
    _require_model(model)
    target = _find_layer(model, layer)
    arr = _float_images(image, "image")
    expected = tuple(model.inputs[0].shape[1:])
    if arr.shape != expected and not (len(arr.shape) == len(expected) and all(
            e is None or e == a for e, a in zip(expected, arr.shape, strict=True))):
        raise ValueError(f"image must have shape {expected} (one image), got {arr.shape}")
    per_model = _PREDICTORS.setdefault(model, {})
    key = id(target)
    if key not in per_model:
        per_model[key] = keras.Model(model.inputs[0], [model.outputs[0], target.output])
    # predict_on_batch runs a compiled function: about 1 ms for LeNet-5, several times faster than a call
    probabilities, maps = per_model[key].predict_on_batch(arr[None])
    return np.asarray(probabilities)[0].astype(np.float32), np.asarray(maps)[0].astype(np.float32)


def _layers_with_kernels(model):
    """(name, kernel variable) for every layer with a kernel, entering nested models, input to output."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.extend(_layers_with_kernels(layer))
            continue
        kernel = None
        try:
            kernel = layer.kernel
        except (AttributeError, ValueError):
            kernel = None
        if kernel is not None and getattr(kernel, "trainable", True):
            found.append((layer.name, kernel))
    return found


def layer_gradient_norms(model, x, y, training=False):
    """The norm of the loss gradient with respect to each layer's kernel, for one batch.

    The loss is sparse categorical cross-entropy (integer labels, softmax outputs), averaged over the batch.
    In a deep plain network the norms shrink from the output back towards the input; shortcuts keep them up.

    Parameters
    ----------
    model : keras.Model
        A built classifier with softmax outputs.
    x : array_like
        A batch of inputs ``(N, H, W, C)``.
    y : array_like
        Integer labels ``(N,)``.
    training : bool
        Run the model in training mode (dropout active, BatchNormalization on batch statistics).

    Returns
    -------
    dict
        ``{layer name: L2 norm of d(loss)/d(kernel)}`` for every Conv2D/Dense-like layer (with a ``kernel``)
        in order from input to output, entering nested models.

    Examples
    --------
    >>> keras.utils.set_random_seed(0)
    >>> norms = layer_gradient_norms(lenet5(), np.random.rand(8, 32, 32, 1), np.arange(8))
    >>> list(norms)
    ['c1_conv', 'c3_conv', 'c5_dense', 'f6_dense', 'output']
    >>> all(v > 0 for v in norms.values())
    True
    """
    import tensorflow as tf

    _require_model(model)
    training = require_bool("training", training)
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y)
    if x.ndim < 2 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"x must be a batch (N, ...) and y N integer labels, got shapes {x.shape} and {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    kernels = _layers_with_kernels(model)
    if not kernels:
        raise ValueError("model has no layer with a kernel (Conv2D, Dense, ...)")
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    with tf.GradientTape() as tape:
        pred = model(x, training=training)
        loss = loss_fn(y, pred)
    grads = tape.gradient(loss, [k for _, k in kernels])
    return {
        name: (float(np.linalg.norm(keras.ops.convert_to_numpy(g))) if g is not None else 0.0)
        for (name, _), g in zip(kernels, grads, strict=True)
    }


def train(model, data, epochs, batch_size=64, lr=1e-3, seed=0, verbose=0):
    """Compile with Adam and sparse categorical cross-entropy, then fit; a shortcut for the notebooks.

    Parameters
    ----------
    model : keras.Model
        A classifier with softmax outputs.
    data : Split
        Anything with ``x_train``, ``y_train`` and (optionally empty) ``x_val``, ``y_val`` arrays, such as
        ``helpers.data.load_digits_32()``.
    epochs : int
        Passes over the training set.
    batch_size : int
        Images per gradient step.
    lr : float
        Adam's learning rate.
    seed : int
        Passed to ``keras.utils.set_random_seed`` before training (shuffling, dropout). Seed before
        *building* the model too if you want the same initial weights.
    verbose : int
        Keras's verbosity (0 silent, 1 progress bar, 2 one line per epoch).

    Returns
    -------
    keras.callbacks.History
        ``history.history`` holds ``loss`` and ``accuracy`` per epoch (and ``val_loss``, ``val_accuracy``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> data = SimpleNamespace(x_train=np.zeros((8, 32, 32, 1)), y_train=np.zeros(8, int), x_val=None, y_val=None)
    >>> history = train(lenet5(), data, epochs=2)
    >>> sorted(history.history), len(history.history["loss"])
    (['accuracy', 'loss'], 2)
    """
    _require_model(model)
    epochs, batch_size, lr, seed = _check_training_arguments(data, epochs, batch_size, lr, seed)
    keras.utils.set_random_seed(seed)
    _compile_for_training(model, lr)
    return _fit(model, data, epochs, batch_size, seed, verbose)


def _check_training_arguments(data, epochs, batch_size, lr, seed):
    epochs = require_positive_int("epochs", epochs)
    batch_size = require_positive_int("batch_size", batch_size)
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating, np.integer)) or not lr > 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if not _is_int(seed) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    for attr in ("x_train", "y_train"):
        if getattr(data, attr, None) is None:
            raise TypeError(f"data must have x_train and y_train arrays (e.g. a helpers.data.Split), missing {attr}")
    return epochs, batch_size, float(lr), int(seed)


def _compile_for_training(model, lr):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def _fit(model, data, epochs, batch_size, seed, verbose):
    keras.utils.set_random_seed(seed)
    x_val, y_val = getattr(data, "x_val", None), getattr(data, "y_val", None)
    validation = (x_val, y_val) if x_val is not None and y_val is not None and len(x_val) else None
    return model.fit(
        np.asarray(data.x_train, dtype=np.float32),
        np.asarray(data.y_train),
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation,
        shuffle=True,
        verbose=verbose,
    )


def train_seeds(build, data, seeds, epochs, batch_size=64, lr=1e-3, verbose=0):
    """Train a freshly built network once per seed, as :func:`train` would, but trace Keras's training step once.

    For every seed the result is that of ``keras.utils.set_random_seed(seed); train(build(), data, epochs,
    batch_size, lr, seed)``: the same initial weights, the same shuffling, a fresh Adam. Only the first model is
    compiled; for the later seeds a newly built model gives its initial weights to it and the optimizer is
    reset. Keras then re-uses its traced training step, which for a deep network costs more time than a short
    training run itself.

    Parameters
    ----------
    build : callable
        ``build()`` returns a new, uncompiled ``keras.Model`` (the same architecture at every call).
    data : Split
        As in :func:`train`.
    seeds : sequence of int
        One run per seed (whole numbers >= 0), seeding the initial weights and the shuffling.
    epochs, batch_size, lr, verbose
        As in :func:`train`.

    Returns
    -------
    list of keras.callbacks.History
        One per seed, in the order of ``seeds``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> data = SimpleNamespace(x_train=np.zeros((8, 32, 32, 1)), y_train=np.zeros(8, int), x_val=None, y_val=None)
    >>> histories = train_seeds(lenet5, data, seeds=(0, 1), epochs=2)
    >>> len(histories), len(histories[1].history["loss"])
    (2, 2)
    """
    if not callable(build) or isinstance(build, keras.Model):
        raise TypeError(f"build must be a function that returns a new keras.Model, got {type(build).__name__}")
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a sequence of whole numbers, got {type(seeds).__name__}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    checked = [_check_training_arguments(data, epochs, batch_size, lr, seed) for seed in seeds]
    epochs, batch_size, lr = checked[0][:3]
    model, start, histories = None, None, []
    for *_, seed in checked:
        keras.utils.set_random_seed(seed)
        fresh = build()
        _require_model(fresh)
        if model is None:
            model = fresh
            _compile_for_training(model, lr)
            model.optimizer.build(model.trainable_variables)
            start = [variable.numpy() for variable in model.optimizer.variables]
        else:
            if len(fresh.weights) != len(model.weights):
                raise ValueError("build must return the same architecture at every call")
            model.set_weights(fresh.get_weights())
            model.optimizer.set_weights(start)
            del fresh
        histories.append(_fit(model, data, epochs, batch_size, seed, verbose))
    return histories


# ---------------------------------------------------------------------------------------------------------
# What the network sees: saliency, occlusion, Grad-CAM
# ---------------------------------------------------------------------------------------------------------

#: The explanation methods of :func:`explain`.
EXPLANATION_METHODS = ("saliency", "occlusion", "grad-cam")

_SCORE_MODELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _is_softmax(fn):
    return fn is keras.activations.softmax or getattr(fn, "__name__", "") == "softmax"


def _model_input_shape(model):
    if len(model.inputs) != 1:
        raise ValueError(f"model must have one input, got {len(model.inputs)}")
    return tuple(model.inputs[0].shape[1:])


def _require_image(model, image):
    """One image (H, W, C) matching the model's input, as a float array of the model's input dtype."""
    expected = _model_input_shape(model)
    if isinstance(image, (str, bytes)) or image is None:
        raise TypeError(f"image must be a numpy array of shape {expected}, got {type(image).__name__}")
    try:
        arr = np.asarray(image, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"image must be a numeric array of shape {expected}, got {type(image).__name__}") from exc
    if arr.ndim == 2 and len(expected) == 3 and expected[2] == 1:
        arr = arr[:, :, None]
    if arr.ndim == len(expected) + 1 and arr.shape[0] == 1:
        raise ValueError(f"image must be one image of shape {expected}, not a batch: pass image[0], got {arr.shape}")
    if arr.ndim != len(expected) or any(e is not None and e != a for e, a in zip(expected, arr.shape, strict=True)):
        raise ValueError(f"image must have the model's input shape {expected}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("image must hold finite numbers (no NaN or infinity)")
    dtype = getattr(model.inputs[0], "dtype", "float32") or "float32"
    return arr.astype(str(dtype).replace("tf.", ""))


def _require_score(score):
    return require_choice("score", score, ("logit", "probability"))


def _score_parts(model, path=()):
    """A model image -> [feature map of a layer (optional), the last layer's input or output] and a function
    turning that last tensor into (logits or None, probabilities).

    ``path`` names the layer as :func:`_conv_layer` returns it: ``(layer,)`` at the top level, ``(nested model,
    layer)`` inside a nested model, ``()`` for no feature map.

    The logits are the pre-softmax scores: computed from the last layer's own (live) weights when it is a
    ``Dense`` with a softmax, or read before a final ``Activation("softmax")``. For any other last layer the
    output is used as it is (its ``kind`` is ``"output"``).
    """
    per_model = _SCORE_MODELS.setdefault(model, {})
    key = tuple(id(lyr) for lyr in path)
    if key in per_model:
        return per_model[key]
    last = model.layers[-1]
    if isinstance(last, keras.layers.Dense) and _is_softmax(last.activation):
        tap = last.input

        def finish(h):
            z = keras.ops.matmul(h, last.kernel)
            if last.use_bias:
                z = z + last.bias
            return z, keras.ops.softmax(z, axis=-1)

        kind = "logit"
    elif isinstance(last, keras.layers.Activation) and _is_softmax(last.activation):
        tap = last.input

        def finish(z):
            return z, keras.ops.softmax(z, axis=-1)

        kind = "logit"
    else:
        tap = model.outputs[0]

        def finish(out):
            return out, out

        kind = "output"
    if len(path) == 2:
        extractor = _nested_extractor(model, path, before_last=kind == "logit", finish=finish)
    else:
        extractor = keras.Model(model.inputs[0], [path[0].output, tap] if path else tap)
    per_model[key] = (extractor, finish, kind)
    return per_model[key]


def _nested_extractor(model, path, before_last, finish):
    """image -> [feature map of a layer inside a nested model, the last layer's input (or the output)].

    The nested model's own graph gives the feature map beside its output; the outer model's layers are then
    called again in order on that output. This rebuilds the model only when it is a chain of layers (as
    ``small_cnn`` and the transfer-learning models of lesson 15 are): the rebuilt network is compared with the
    model on a random input, and a model with branches around the nested one is refused.
    """
    nested, layer = path
    inner = keras.Model(nested.inputs[0], [layer.output, nested.outputs[0]])
    x_in = keras.Input(shape=tuple(model.inputs[0].shape[1:]))
    body = [lyr for lyr in model.layers if not isinstance(lyr, keras.layers.InputLayer)]
    h, fmap = x_in, None
    try:
        for lyr in body[:-1] if before_last else body:
            if lyr is nested:
                fmap, h = inner(h)
            else:
                h = lyr(h)
        extractor = keras.Model(x_in, [fmap, h])
        x = np.random.default_rng(0).normal(size=(2, *x_in.shape[1:])).astype("float32")
        expected = keras.ops.convert_to_numpy(model(x, training=False))
        got = keras.ops.convert_to_numpy(finish(extractor(x, training=False)[1])[1])
        chain = got.shape == expected.shape and np.allclose(got, expected, atol=1e-5)
    except Exception:  # a layer that takes several inputs (a branch) cannot be called on one tensor
        chain = False
    if not chain:
        raise ValueError(f"layer {nested.name}/{layer.name} is inside the nested model {nested.name!r}, and the "
                         f"model is not a simple chain of layers around it, so its feature map cannot be reached; "
                         f"pass layer= a convolutional layer at the model's top level")
    return extractor


def _resolve_class(class_index, n_classes, predicted):
    if class_index is None:
        return int(predicted)
    if not _is_int(class_index):
        raise TypeError(f"class_index must be an integer class number or None (the predicted class), "
                        f"got {class_index!r} ({type(class_index).__name__})")
    if not 0 <= class_index < n_classes:
        raise ValueError(f"class_index must be between 0 and {n_classes - 1} (the model has {n_classes} classes) "
                         f"or None for the predicted class, got {class_index}")
    return int(class_index)


def conv_layer_names(model):
    """Names of the model's convolutional layers (with a 4-D output), input to output.

    Layers of a nested model (a feature extractor used as one layer, as in transfer learning) are named
    ``"<nested model>/<layer>"``, one level deep.

    Parameters
    ----------
    model : keras.Model
        A built model.

    Returns
    -------
    list of str
        Layers whose class name contains ``Conv`` (Conv2D, SeparableConv2D, DepthwiseConv2D...).

    Examples
    --------
    >>> conv_layer_names(lenet5())
    ['c1_conv', 'c3_conv']
    >>> conv_layer_names(small_cnn())           # three convolutions inside the nested model "base"
    ['base/conv1', 'base/conv2', 'base/conv3']
    """
    _require_model(model)
    return [name for name, _path in _conv_layers(model)]


def _is_conv(layer):
    shape = _output_shape(layer)
    return "Conv" in type(layer).__name__ and shape is not None and len(shape) == 3


def _conv_layers(model):
    """[(name, path)] of the convolutional layers: path (layer,) at the top level, (nested model, layer) inside."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += [(f"{layer.name}/{inner.name}", (layer, inner)) for inner in layer.layers if _is_conv(inner)]
        elif _is_conv(layer):
            found.append((layer.name, (layer,)))
    return found


def _conv_layer(model, layer):
    """The path (layer,) or (nested model, layer) of the layer called ``layer`` (None: the last convolution)."""
    convs = _conv_layers(model)
    names = [name for name, _ in convs]
    if layer is None:
        if not convs:
            raise ValueError("model has no convolutional layer (at its top level or in a nested model) for "
                             "Grad-CAM; pass layer= the name of a layer with a 4-D output")
        return convs[-1][1]
    if not isinstance(layer, str):
        raise TypeError(f"layer must be the name of a convolutional layer (one of {', '.join(names) or 'none'}) "
                        f"or None for the last one, got {layer!r} ({type(layer).__name__})")
    outer, _, inner = layer.partition("/")
    path = ()
    for lyr in model.layers:
        if lyr.name == outer:
            if not inner:
                path = (lyr,)
            elif isinstance(lyr, keras.Model):
                path = next(((lyr, sub) for sub in lyr.layers if sub.name == inner), ())
    shape = _output_shape(path[-1]) if path else None
    if not path or shape is None or len(shape) != 3:
        raise ValueError(f"layer must be the name of a layer with a 4-D output, such as the convolutional layers "
                         f"{', '.join(names) or '(none)'}; got {layer!r}")
    return path


def input_gradient(model, image, class_index=None, score="logit"):
    """The gradient of one class score with respect to every input pixel, computed with ``tf.GradientTape``.

    Parameters
    ----------
    model : keras.Model
        A classifier with one image input (softmax output, or raw scores).
    image : array_like
        One image of the model's input shape ``(H, W, C)`` (``(H, W)`` when ``C`` is 1).
    class_index : int, optional
        The class whose score is differentiated; None (default) takes the predicted class.
    score : {"logit", "probability"}
        ``"logit"`` differentiates the pre-softmax score :math:`z_c` (when the model ends in a softmax;
        otherwise its output); ``"probability"`` the softmax output :math:`p_c`.

    Returns
    -------
    numpy.ndarray
        ``(H, W, C)``: :math:`\\partial s_c / \\partial x`, same dtype as the model's input.

    Examples
    --------
    >>> keras.utils.set_random_seed(0)
    >>> linear = keras.Sequential([keras.Input((2, 2, 1)), layers.Flatten(), layers.Dense(3)])
    >>> w = linear.layers[-1].get_weights()[0]           # (4, 3): the gradient of a linear score is its weights
    >>> np.allclose(input_gradient(linear, np.ones((2, 2, 1)), 1).ravel(), w[:, 1])
    True
    """
    import tensorflow as tf

    _require_model(model)
    x = _require_image(model, image)
    score = _require_score(score)
    extractor, finish, _kind = _score_parts(model)
    xt = tf.convert_to_tensor(x[None])
    with tf.GradientTape() as tape:
        tape.watch(xt)
        logits, probs = finish(extractor(xt, training=False))
        n = int(probs.shape[-1])
        c = _resolve_class(class_index, n, int(np.argmax(keras.ops.convert_to_numpy(probs)[0])))
        target = (logits if score == "logit" else probs)[0, c]
    return keras.ops.convert_to_numpy(tape.gradient(target, xt))[0]


def saliency(model, image, class_index=None, score="logit"):
    """Saliency map (Simonyan et al., 2014): how strongly each pixel's change would move the class score.

    The map is :math:`M_{ij} = \\max_k |\\partial s_c / \\partial x_{ijk}|`: the absolute value of the input
    gradient (:func:`input_gradient`), maximised over the channels. The score is the pre-softmax logit by
    default: the softmax probability :math:`p_c` can also rise by lowering the *other* classes' scores, and its
    gradient vanishes when the network is confident (:math:`p_c \\approx 1`), so its map mixes several classes
    and fades exactly for the images the network is sure about.

    Parameters
    ----------
    model : keras.Model
        A classifier with one image input.
    image : array_like
        One image ``(H, W, C)`` (or ``(H, W)`` for one channel) of the model's input shape.
    class_index : int, optional
        Class to explain; None (default) takes the predicted class.
    score : {"logit", "probability"}
        Differentiate the logit (default) or the softmax probability.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` float, >= 0.

    Examples
    --------
    >>> keras.utils.set_random_seed(0)
    >>> model = lenet5()
    >>> m = saliency(model, np.zeros((32, 32, 1)), class_index=3)
    >>> m.shape, bool(m.min() >= 0)
    ((32, 32), True)
    """
    grad = input_gradient(model, image, class_index, score)
    return np.abs(grad).max(axis=-1)


def _predict(model, batch, score):
    extractor, finish, _kind = _score_parts(model)
    out = []
    for i in range(0, len(batch), 256):
        logits, probs = finish(extractor(batch[i : i + 256], training=False))
        out.append(keras.ops.convert_to_numpy(logits if score == "logit" else probs))
    return np.concatenate(out, axis=0)


def occlusion(model, image, class_index=None, patch=4, stride=2, fill=0.0, score="probability", upsample=False):
    """Occlusion sensitivity (Zeiler & Fergus, 2014): slide a patch of ``fill`` over the image and record how
    much the class score drops at each position.

    Entry ``(i, j)`` of the map is :math:`s_c(x) - s_c(x')`, where :math:`x'` is the image with the square
    ``patch x patch`` starting at row ``i * stride`` and column ``j * stride`` replaced by ``fill``. Positive:
    hiding that region hurts the class; negative: hiding it helps. All positions are run as one batch, except
    those where the patch would change no pixel (the region already equals ``fill``): their drop is exactly 0.

    Parameters
    ----------
    model : keras.Model
        A classifier with one image input.
    image : array_like
        One image ``(H, W, C)`` (or ``(H, W)`` for one channel) of the model's input shape.
    class_index : int, optional
        Class to explain; None (default) takes the predicted class.
    patch : int
        Side of the square patch, at most the image's smaller side.
    stride : int
        Step between patch positions.
    fill : float
        Value written into the patch (0 is the digits' background; an image's mean is another common choice).
    score : {"probability", "logit"}
        Record the drop of the softmax probability (default) or of the logit.
    upsample : bool
        False: the map of patch positions, ``((H - patch) // stride + 1, (W - patch) // stride + 1)``. True: an
        ``(H, W)`` map where each pixel holds the mean drop of the patches covering it (NaN where none does,
        which happens only when the stride does not tile the image).

    Returns
    -------
    numpy.ndarray
        The map of drops (float).

    Examples
    --------
    >>> keras.utils.set_random_seed(0)
    >>> model = lenet5()
    >>> occlusion(model, np.zeros((32, 32, 1)), patch=4, stride=2).shape
    (15, 15)
    >>> float(np.abs(occlusion(model, np.zeros((32, 32, 1)), patch=8, stride=8)).max())  # nothing to hide
    0.0
    """
    _require_model(model)
    x = _require_image(model, image)
    score = _require_score(score)
    h, w = x.shape[:2]
    patch = require_positive_int("patch", patch)
    stride = require_positive_int("stride", stride)
    if patch > min(h, w):
        raise ValueError(f"patch must be at most the image's smaller side {min(h, w)}, got {patch}")
    if isinstance(fill, bool) or not isinstance(fill, (int, float, np.integer, np.floating)) or not np.isfinite(fill):
        raise TypeError(f"fill must be a finite number (the value written into the patch), got {fill!r}")
    upsample = require_bool("upsample", upsample)
    rows, cols = range(0, h - patch + 1, stride), range(0, w - patch + 1, stride)
    positions = [(r, c) for r in rows for c in cols]
    # a patch that changes no pixel (already all `fill`) cannot change the score: not run, its drop is exactly 0
    changed = [i for i, (r, c) in enumerate(positions) if np.any(x[r : r + patch, c : c + patch, :] != fill)]
    batch = np.repeat(x[None], len(changed) + 1, axis=0)  # item 0: the image itself
    for k, i in enumerate(changed, start=1):
        r, c = positions[i]
        batch[k, r : r + patch, c : c + patch, :] = fill
    scores = _predict(model, batch, score)
    probs0 = scores[0] if score == "probability" else _predict(model, batch[:1], "probability")[0]
    c_idx = _resolve_class(class_index, scores.shape[-1], int(np.argmax(probs0)))
    drops = np.zeros(len(positions))
    drops[changed] = scores[0, c_idx] - scores[1:, c_idx]
    drops = drops.reshape(len(rows), len(cols))
    return _spread_patches(drops, patch, stride, (h, w)) if upsample else drops


def _spread_patches(drops, patch, stride, shape):
    """(H, W) map: each pixel holds the mean of the patch drops covering it (NaN where none does)."""
    total, count = np.zeros(shape), np.zeros(shape)
    for i in range(drops.shape[0]):
        for j in range(drops.shape[1]):
            r, c = i * stride, j * stride
            total[r : r + patch, c : c + patch] += drops[i, j]
            count[r : r + patch, c : c + patch] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _resize_bilinear(arr, size):
    import tensorflow as tf

    out = tf.image.resize(np.asarray(arr, dtype=np.float32)[None, :, :, None], size, method="bilinear")
    return np.asarray(out)[0, :, :, 0].astype(np.float64)


# layers that act on each position by itself (or are the identity at inference): they move no receptive field
_POINTWISE_LAYERS = tuple(getattr(keras.layers, name) for name in (
    "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "BatchNormalization", "LayerNormalization",
    "GroupNormalization", "UnitNormalization", "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
    "AlphaDropout", "Rescaling", "Normalization", "Identity", "RandomFlip", "RandomRotation", "RandomTranslation",
    "RandomZoom", "RandomContrast", "RandomBrightness") if hasattr(keras.layers, name))


def _chain_from(op, start):
    """[(layer, its input shape)] from the tensor ``start`` to ``op``, input first; None when the path from
    ``start`` to ``op`` is not one chain of single-input layers (a branch, a merge, another input)."""
    for node in getattr(op, "_inbound_nodes", []):
        if len(node.input_tensors) != 1:
            continue
        tensor, chain = node.input_tensors[0], [(op, tuple(node.input_tensors[0].shape))]
        while tensor is not start:
            history = getattr(tensor, "_keras_history", None)
            if history is None:
                break
            parent = history.operation._inbound_nodes[history.node_index]
            if parent.is_input or len(parent.input_tensors) != 1:
                break
            chain.append((history.operation, tuple(parent.input_tensors[0].shape)))
            tensor = parent.input_tensors[0]
        if tensor is start:
            return chain[::-1]
    return None


def _window_specs(layer, in_shape):
    """Per spatial axis, (kernel, stride, dilation, zeros added before) of one layer; [] for a layer that moves
    nothing; None when its geometry is unknown (an unlisted layer type, channels-first data, unknown sizes)."""
    if isinstance(layer, _POINTWISE_LAYERS):
        return []
    if getattr(layer, "data_format", "channels_last") != "channels_last" or len(in_shape) != 4:
        return None
    if isinstance(layer, keras.layers.ZeroPadding2D):
        return [(1, 1, 1, int(before)) for before, _after in layer.padding]
    if isinstance(layer, keras.layers.Cropping2D):
        return [(1, 1, 1, -int(before)) for before, _after in layer.cropping]
    if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)):
        if isinstance(layer, keras.layers.Conv2DTranspose):
            return None
        kernel, strides, dilation = layer.kernel_size, layer.strides, layer.dilation_rate
    elif isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
        kernel, strides, dilation = layer.pool_size, layer.strides, (1, 1)
    else:
        return None
    if layer.padding not in ("valid", "same") or None in in_shape[1:3]:
        return None
    from helpers import shapes

    return [(int(k), int(s), int(d), shapes.padding_amounts(int(n), int(k), int(s), layer.padding, int(d))[0])
            for n, k, s, d in zip(in_shape[1:3], kernel, strides, dilation, strict=True)]


def feature_map_centres(model, layer=None):
    """Where the cells of a layer's feature maps sit on the input: the centres of their receptive fields.

    Cell ``i`` of an output axis of a window layer (kernel ``k``, stride ``s``, dilation ``d``, ``b`` zeros
    added before) sees the input positions ``s i - b, ..., s i - b + d (k - 1)``, so its centre is
    ``s i - b + d (k - 1) / 2``. Chained from the input to ``layer`` this makes the centres an arithmetic
    sequence: the first one is ``(r - 1) / 2`` minus the padding shifts, the step is the jump ``j``, with the
    receptive field ``r`` and the jump from :func:`helpers.shapes.receptive_field`. For LeNet-5's ``c3_conv``
    (5x5 valid, 2x2 pool, 5x5 valid) cell ``i`` sees input rows ``2i .. 2i + 13``: centres 6.5, 8.5, ..., 24.5.

    The geometry is read from the layers between the input and ``layer``: convolutions (also depthwise and
    separable), max/average pooling, ``ZeroPadding2D`` and ``Cropping2D``, through layers that act on each
    position by itself (activations, normalisation, dropout, rescaling, and the random augmentation layers,
    which are the identity at inference). It cannot be derived, and None is returned, when that path branches
    or merges (a residual or Inception block), passes through any other layer type (a nested model used as a
    layer, a resizing, a transposed convolution) or has unknown sizes.

    Parameters
    ----------
    model : keras.Model
        A model with one image input.
    layer : str, optional
        A layer with a 4-D output, named as for :func:`grad_cam` (``"base/conv3"`` inside a nested model);
        None (default) takes the last convolutional layer.

    Returns
    -------
    tuple of numpy.ndarray or None
        ``(rows, cols)``: the input coordinates (pixel ``p`` at ``p``) of the centres of the feature map's
        rows and columns, or None when the geometry cannot be derived.

    Examples
    --------
    >>> rows, cols = feature_map_centres(lenet5(), "c3_conv")
    >>> rows.tolist() == cols.tolist() == [6.5 + 2 * i for i in range(10)]
    True
    >>> feature_map_centres(lenet5(), "c1_conv")[0][:3].tolist()     # a 5x5 valid convolution: centre 2, 3, ...
    [2.0, 3.0, 4.0]
    """
    from helpers import shapes

    _require_model(model)
    _model_input_shape(model)
    path = _conv_layer(model, layer)
    if len(path) == 2:
        nested, target = path
        outer = _chain_from(nested, model.inputs[0])
        inner = _chain_from(target, nested.inputs[0]) if len(nested.inputs) == 1 else None
        chain = None if outer is None or inner is None else outer[:-1] + inner
    else:
        target = path[0]
        chain = _chain_from(target, model.inputs[0])
    if chain is None:
        return None
    axes = [[], []]
    for lyr, in_shape in chain:
        specs = _window_specs(lyr, in_shape)
        if specs is None:
            return None
        for axis, spec in zip(axes, specs, strict=False):
            axis.append(spec)
    out_shape = _output_shape(target)
    centres = []
    for axis, size in zip(axes, out_shape[:2], strict=True):
        rows = shapes.receptive_field([(k, s, d) for k, s, d, _b in axis]) if axis else []
        jumps = [1] + [row["jump"] for row in rows]
        field = rows[-1]["receptive_field"] if rows else 1
        shift = sum(b * jumps[i] for i, (_k, _s, _d, b) in enumerate(axis))
        if size is None:
            return None
        centres.append((field - 1) / 2 - shift + jumps[-1] * np.arange(size, dtype=np.float64))
    return tuple(centres)


def _interpolation_matrix(centres, size):
    """(size, len(centres)): row p interpolates linearly between the cells whose centres bracket pixel p,
    and takes the nearest cell's value beyond the first or last centre."""
    eye = np.eye(len(centres))
    return np.stack([np.interp(np.arange(size, dtype=np.float64), centres, eye[i]) for i in range(len(centres))],
                    axis=1)


def upsample_to_input(model, maps, layer=None):
    """Feature-map-sized maps (Grad-CAM, one channel) spread over the input image, each cell at its place.

    Each cell is put at the centre of its receptive field in the input (:func:`feature_map_centres`) and the
    pixels between centres are interpolated linearly along rows and columns (bilinear); pixels beyond the first
    or last centre take that cell's value. When the geometry cannot be derived (see
    :func:`feature_map_centres`), the maps are resized with ``tf.image.resize(..., method="bilinear")``, which
    spreads the cells evenly over the image as if each covered an equal tile: for valid convolutions that
    stretches the map about its centre and misplaces the cells near the border.

    Parameters
    ----------
    model : keras.Model
        The model the maps come from (one image input).
    maps : array_like
        ``(h, w)`` or a batch ``(N, h, w)`` with ``(h, w)`` the layer's spatial size.
    layer : str, optional
        The layer the maps are of (as for :func:`grad_cam`); None (default) takes the last convolutional layer.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` or ``(N, H, W)`` float64, ``(H, W)`` the input's size.

    Examples
    --------
    >>> one_hot = np.zeros((10, 10)); one_hot[0, 0] = 1.0         # the corner cell of c3_conv
    >>> up = upsample_to_input(lenet5(), one_hot, "c3_conv")
    >>> up.shape, up[6, 4:10].tolist()           # its field's centre is (6.5, 6.5); the next cell's is (6.5, 8.5)
    ((32, 32), [1.0, 1.0, 1.0, 0.75, 0.25, 0.0])
    """
    _require_model(model)
    size = _model_input_shape(model)[:2]
    shape = _output_shape(_conv_layer(model, layer)[-1])[:2]
    arr = _float_images(maps, "maps").astype(np.float64)
    if arr.ndim not in (2, 3) or arr.shape[-2:] != tuple(shape):
        raise ValueError(f"maps must have the layer's spatial shape {tuple(shape)} (or a batch (N, {shape[0]}, "
                         f"{shape[1]})), got {arr.shape}")
    centres = feature_map_centres(model, layer)
    if centres is None or None in size:
        size = size if None not in size else arr.shape[-2:]
        out = np.stack([_resize_bilinear(m, size) for m in arr.reshape(-1, *arr.shape[-2:])])
        return out.reshape(*arr.shape[:-2], *size)
    rows, cols = (_interpolation_matrix(c, n) for c, n in zip(centres, size, strict=True))
    return np.einsum("pi,...ij,qj->...pq", rows, arr, cols)


def grad_cam(model, image, class_index=None, layer=None, score="logit", upsample=False, relu=True):
    """Grad-CAM (Selvaraju et al., 2017): where in a convolutional layer's feature maps the class evidence is.

    With :math:`A^k` the ``k``-th feature map of ``layer`` and :math:`s_c` the class score, each channel gets
    the weight :math:`\\alpha_k = \\operatorname{mean}_{ij} \\partial s_c / \\partial A^k_{ij}` (global average of
    the gradient), and the map is :math:`\\operatorname{ReLU}(\\sum_k \\alpha_k A^k)`: the feature maps that
    raise the score, weighted by how much they do, keeping only positive evidence.

    Parameters
    ----------
    model : keras.Model
        A classifier with one image input.
    image : array_like
        One image ``(H, W, C)`` (or ``(H, W)`` for one channel) of the model's input shape.
    class_index : int, optional
        Class to explain; None (default) takes the predicted class.
    layer : str, optional
        Name of a layer with a 4-D output (``"base/conv3"`` for a layer of a nested model); None (default)
        takes the last convolutional layer (:func:`conv_layer_names`).
    score : {"logit", "probability"}
        Differentiate the logit (default, as in the paper) or the softmax probability.
    upsample : bool
        False: the map at the feature map's size ``(h, w)``; True: spread over the input ``(H, W)`` by
        :func:`upsample_to_input`, each cell at the centre of its receptive field, bilinear in between (a plain
        ``tf.image.resize`` when the layers up to ``layer`` do not give that geometry: a branch, a nested model
        used as a layer, an unlisted layer type).
    relu : bool
        Keep only positive evidence (the paper's choice); False returns the signed sum.

    Returns
    -------
    numpy.ndarray
        ``(h, w)`` or ``(H, W)`` float.

    Examples
    --------
    >>> keras.utils.set_random_seed(0)
    >>> model = lenet5()
    >>> grad_cam(model, np.random.rand(32, 32, 1)).shape          # c3_conv: 10 x 10
    (10, 10)
    >>> grad_cam(model, np.random.rand(32, 32, 1), layer="c1_conv", upsample=True).shape
    (32, 32)
    """
    import tensorflow as tf

    _require_model(model)
    x = _require_image(model, image)
    score = _require_score(score)
    upsample = require_bool("upsample", upsample)
    relu = require_bool("relu", relu)
    extractor, finish, _kind = _score_parts(model, _conv_layer(model, layer))
    xt = tf.convert_to_tensor(x[None])
    with tf.GradientTape() as tape:
        fmap, tap = extractor(xt, training=False)
        tape.watch(fmap)
        logits, probs = finish(tap)
        n = int(probs.shape[-1])
        c = _resolve_class(class_index, n, int(np.argmax(keras.ops.convert_to_numpy(probs)[0])))
        target = (logits if score == "logit" else probs)[0, c]
    grads = keras.ops.convert_to_numpy(tape.gradient(target, fmap))[0].astype(np.float64)
    maps = keras.ops.convert_to_numpy(fmap)[0].astype(np.float64)
    weights = grads.mean(axis=(0, 1))
    cam = maps @ weights
    if relu:
        cam = np.maximum(cam, 0.0)
    return upsample_to_input(model, cam, layer) if upsample else cam


def explain(model, image, method, class_index=None, **options):
    """One explanation with its context: the map, the class explained and the model's probabilities.

    Parameters
    ----------
    model : keras.Model
        A classifier with one image input.
    image : array_like
        One image of the model's input shape.
    method : {"saliency", "occlusion", "grad-cam"}
        Which map (:func:`saliency`, :func:`occlusion` with ``upsample=True``, :func:`grad_cam` with
        ``upsample=True``).
    class_index : int, optional
        Class to explain; None takes the predicted class.
    **options
        Passed to the method (e.g. ``patch=6`` for occlusion, ``layer="c1_conv"`` for Grad-CAM).

    Returns
    -------
    dict
        ``map`` (``(H, W)``), ``raw`` (the method's own map: the same for saliency, the patch positions for
        occlusion, the feature-map size for Grad-CAM), ``class_index``, ``predicted``, ``probabilities``
        (numpy, one per class), ``method`` and ``score`` (what was differentiated or dropped).

    Examples
    --------
    >>> keras.utils.set_random_seed(0)
    >>> out = explain(lenet5(), np.zeros((32, 32, 1)), "grad-cam", class_index=2)
    >>> out["map"].shape, out["raw"].shape, out["class_index"]
    ((32, 32), (10, 10), 2)
    """
    _require_model(model)
    method = require_choice("method", method, EXPLANATION_METHODS)
    x = _require_image(model, image)
    probs = _predict(model, x[None], "probability")[0].astype(np.float64)
    predicted = int(np.argmax(probs))
    c = _resolve_class(class_index, len(probs), predicted)
    if method == "saliency":
        raw = saliency(model, x, c, **options)
        full = raw
        score = options.get("score", "logit")
    elif method == "occlusion":
        options = {k: v for k, v in options.items() if k != "upsample"}
        raw = occlusion(model, x, c, **options)
        defaults = inspect.signature(occlusion).parameters
        patch, stride = (options.get(k, defaults[k].default) for k in ("patch", "stride"))
        full = _spread_patches(raw, patch, stride, x.shape[:2])
        score = options.get("score", "probability")
    else:
        options = {k: v for k, v in options.items() if k != "upsample"}
        raw = grad_cam(model, x, c, **options)
        full = upsample_to_input(model, raw, options.get("layer"))
        score = options.get("score", "logit")
    kind = _score_parts(model)[2]
    return {"map": full, "raw": raw, "class_index": c, "predicted": predicted, "probabilities": probs,
            "method": method, "score": score if kind == "logit" or score == "probability" else "output"}
