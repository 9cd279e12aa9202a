"""Tests for the explanation maps of helpers.models: saliency, occlusion and Grad-CAM.

Every expected value comes from an independent computation: closed forms for linear and CAM-shaped models,
central finite differences in float64, and brute-force occlusion (one forward pass per position).
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from helpers import models  # noqa: E402


@pytest.fixture(scope="module")
def tiny():
    """A tiny CNN with a softmax output: conv - pool - conv - dense (12x12x1 -> 3 classes)."""
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(3, 3, activation="relu", name="c1"),
                             keras.layers.MaxPooling2D(2, name="p1"),
                             keras.layers.Conv2D(4, 3, activation="relu", name="c2"),
                             keras.layers.Flatten(name="flat"), keras.layers.Dense(3, activation="softmax",
                                                                                   name="out")])


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(1).random((12, 12, 1)).astype(np.float32)


def _probs(model, x):
    return np.asarray(model(np.asarray(x, np.float32)[None], training=False))[0].astype(np.float64)


# ---------------------------------------------------------------------------------------------------------
# saliency: closed form and finite differences
# ---------------------------------------------------------------------------------------------------------


def test_saliency_of_a_linear_model_is_the_absolute_weight_column():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((3, 4, 2)), keras.layers.Flatten(),
                              keras.layers.Dense(5, activation="softmax")])
    w, b = model.layers[-1].get_weights()
    x = np.random.default_rng(0).random((3, 4, 2))
    for c in (0, 3):
        # logit z_c = x.ravel() @ w[:, c] + b[c]: its gradient is w[:, c], whatever x is
        grad = models.input_gradient(model, x, c)
        np.testing.assert_allclose(grad, w[:, c].reshape(3, 4, 2), atol=1e-6)
        np.testing.assert_allclose(models.saliency(model, x, c), np.abs(w[:, c].reshape(3, 4, 2)).max(axis=-1),
                                   atol=1e-6)
    # probability p_c = softmax(z)_c: gradient p_c * (w_c - sum_j p_j w_j)
    z = x.ravel() @ w + b
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    expected = (p[2] * (w[:, 2] - w @ p)).reshape(3, 4, 2)
    np.testing.assert_allclose(models.input_gradient(model, x, 2, score="probability"), expected, atol=1e-6)


def test_saliency_defaults_to_the_predicted_class(tiny, image):
    predicted = int(np.argmax(_probs(tiny, image)))
    np.testing.assert_array_equal(models.saliency(tiny, image), models.saliency(tiny, image, predicted))
    other = (predicted + 1) % 3
    assert not np.allclose(models.saliency(tiny, image), models.saliency(tiny, image, other))


def test_input_gradient_equals_central_finite_differences_in_float64():
    keras.utils.set_random_seed(5)
    f64 = {"dtype": "float64"}  # every layer in float64: finite differences need the precision
    model = keras.Sequential([keras.Input((6, 6, 2), dtype="float64"),
                              keras.layers.Conv2D(3, 3, activation="tanh", **f64),
                              keras.layers.AveragePooling2D(2, **f64), keras.layers.Flatten(**f64),
                              keras.layers.Dense(4, activation="softmax", **f64)])
    penultimate = keras.Model(model.inputs[0], model.layers[-1].input)
    w, b = model.layers[-1].get_weights()

    def logit(x, c):  # the pre-softmax score, from the layers' weights (not from the code under test)
        return float(np.asarray(penultimate(x[None]))[0] @ w[:, c] + b[c])

    def prob(x, c):
        return float(np.asarray(model(x[None]))[0, c])

    x = np.random.default_rng(2).normal(size=(6, 6, 2))
    eps = 1e-5
    for c, score, f in ((1, "logit", logit), (3, "probability", prob)):
        fd = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[idx] += eps
            down[idx] -= eps
            fd[idx] = (f(up, c) - f(down, c)) / (2 * eps)
        grad = models.input_gradient(model, x, c, score=score)
        assert grad.dtype == np.float64
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(models.saliency(model, x, c, score=score), np.abs(fd).max(axis=-1),
                                   rtol=1e-6, atol=1e-9)


def test_a_model_without_softmax_is_differentiated_as_it_is():
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])
    w = model.layers[-1].get_weights()[0]
    np.testing.assert_allclose(models.input_gradient(model, np.ones((2, 2)), 0).ravel(), w[:, 0], atol=1e-6)
    assert models.explain(model, np.ones((2, 2, 1)), "saliency", 0)["score"] == "output"


def test_activation_softmax_layer_is_looked_through():
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(3),
                              keras.layers.Activation("softmax")])
    w = model.layers[-2].get_weights()[0]
    np.testing.assert_allclose(models.input_gradient(model, np.ones((2, 2, 1)), 2).ravel(), w[:, 2], atol=1e-6)


# ---------------------------------------------------------------------------------------------------------
# occlusion
# ---------------------------------------------------------------------------------------------------------


def test_occluding_an_all_zero_region_with_zeros_changes_nothing(tiny):
    x = np.zeros((12, 12, 1), np.float32)
    x[:, 6:] = np.random.default_rng(0).random((12, 6, 1))  # left half zero, right half ink
    drops = models.occlusion(tiny, x, 1, patch=3, stride=1, fill=0.0, score="logit")
    assert drops.shape == (10, 10)
    assert np.all(drops[:, :4] == 0)  # patches starting at columns 0..3 lie in the zero half
    assert np.any(drops[:, 4:] != 0)  # patches that reach the ink do change the score
    # with another fill the same zero region is no longer neutral
    assert np.any(models.occlusion(tiny, x, 1, patch=3, stride=1, fill=1.0, score="logit")[:, :4] != 0)


@pytest.mark.parametrize(("patch", "stride", "fill", "score"), [(4, 2, 0.0, "probability"), (3, 3, 0.5, "logit"),
                                                               (5, 4, 0.0, "logit")])
def test_occlusion_equals_brute_force(tiny, image, patch, stride, fill, score):
    c = 2
    penultimate = keras.Model(tiny.inputs[0], tiny.layers[-1].input)
    w, b = tiny.layers[-1].get_weights()

    def s(x):
        return _probs(tiny, x)[c] if score == "probability" else float(np.asarray(penultimate(x[None]))[0] @ w[:, c]
                                                                          + b[c])

    base = s(image)
    rows = range(0, 12 - patch + 1, stride)
    expected = np.zeros((len(rows), len(rows)))
    for i, r in enumerate(rows):
        for j, col in enumerate(rows):
            hidden = image.copy()
            hidden[r : r + patch, col : col + patch] = fill
            expected[i, j] = base - s(hidden)
    got = models.occlusion(tiny, image, c, patch=patch, stride=stride, fill=fill, score=score)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_occlusion_upsampled_is_the_mean_over_covering_patches(tiny, image):
    drops = models.occlusion(tiny, image, 0, patch=4, stride=4)
    full = models.occlusion(tiny, image, 0, patch=4, stride=4, upsample=True)
    np.testing.assert_allclose(full, np.kron(drops, np.ones((4, 4))))  # stride = patch: each pixel one patch
    overlap = models.occlusion(tiny, image, 0, patch=4, stride=2, upsample=True)
    d2 = models.occlusion(tiny, image, 0, patch=4, stride=2)
    assert overlap[0, 0] == pytest.approx(d2[0, 0])
    assert overlap[2, 2] == pytest.approx((d2[0, 0] + d2[0, 1] + d2[1, 0] + d2[1, 1]) / 4)
    gaps = models.occlusion(tiny, image, 0, patch=5, stride=3, upsample=True)  # 0, 3, 6: row/column 11 uncovered
    assert np.all(np.isnan(gaps[:, 11])) and np.all(np.isnan(gaps[11])) and np.all(np.isfinite(gaps[:11, :11]))


# ---------------------------------------------------------------------------------------------------------
# Grad-CAM
# ---------------------------------------------------------------------------------------------------------


def test_grad_cam_has_the_feature_map_size(tiny, image):
    assert models.conv_layer_names(tiny) == ["c1", "c2"]
    assert models.grad_cam(tiny, image).shape == tuple(tiny.get_layer("c2").output.shape[1:3]) == (3, 3)
    assert models.grad_cam(tiny, image, layer="c1").shape == (10, 10)
    assert models.grad_cam(tiny, image, layer="p1").shape == (5, 5)  # any layer with a 4-D output
    assert models.grad_cam(tiny, image, upsample=True).shape == (12, 12)
    lenet = models.lenet5()
    assert models.grad_cam(lenet, np.random.default_rng(0).random((32, 32))).shape == (10, 10)


def test_grad_cam_on_global_average_pooling_is_the_class_activation_map():
    # conv -> global average pooling -> dense: d z_c / d A_ijk = W[k, c] / (h w), so Grad-CAM is
    # ReLU(sum_k W[k, c] A_k) / (h w), the class activation map of Zhou et al. (2016)
    keras.utils.set_random_seed(7)
    model = keras.Sequential([keras.Input((9, 9, 2)), keras.layers.Conv2D(5, 3, activation="relu", name="conv"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(4, activation="softmax")])
    x = np.random.default_rng(3).random((9, 9, 2))
    a = models.feature_maps(model, x, "conv").astype(np.float64)
    w = model.layers[-1].get_weights()[0]
    for c in range(4):
        signed = a @ w[:, c] / 49
        np.testing.assert_allclose(models.grad_cam(model, x, c, relu=False), signed, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(models.grad_cam(model, x, c), np.maximum(signed, 0), rtol=1e-4, atol=1e-7)
    up = models.grad_cam(model, x, 0, upsample=True)
    assert up.shape == (9, 9) and up.max() <= models.grad_cam(model, x, 0).max() + 1e-6


def _support_centre(body, out_index):
    """Centre (row, col) of the input pixels that reach one output unit of ``body`` (a linear network with
    positive weights), found by differentiation: the gradient is nonzero exactly on the receptive field, and
    symmetric about its centre when the field lies inside the image."""
    x = tf.zeros((1, *body.inputs[0].shape[1:]))
    with tf.GradientTape() as tape:
        tape.watch(x)
        unit = body(x)[0, out_index[0], out_index[1], 0]
    support = np.abs(tape.gradient(unit, x).numpy()[0, :, :, 0]) > 0
    rows, cols = np.nonzero(support)
    return (rows.min() + rows.max()) / 2, (cols.min() + cols.max()) / 2


def _linear_body(input_shape, stack):
    """A one-channel linear network of the given layers with all-ones kernels (no ReLU, average pooling)."""
    model = keras.Sequential([keras.Input(input_shape), *stack])
    model.set_weights([np.ones_like(w) for w in model.get_weights()])
    return model


@pytest.mark.parametrize("case", ["valid conv + pool", "same, stride 2, zero padding"])
def test_feature_map_centres_are_the_receptive_field_centres(case):
    lyr = keras.layers
    if case == "valid conv + pool":  # LeNet-5's geometry: 5x5 valid, 2x2 pool, 5x5 valid
        shape, stack = (32, 32, 1), [lyr.Conv2D(1, 5), lyr.AveragePooling2D(2), lyr.Conv2D(1, 5)]
    else:
        shape, stack = (21, 17, 1), [lyr.ZeroPadding2D(((2, 0), (1, 3))), lyr.Conv2D(1, 3, padding="same"),
                                     lyr.Conv2D(1, (5, 3), strides=2, padding="same"), lyr.ReLU(),
                                     lyr.AveragePooling2D(3, strides=2)]
    body = _linear_body(shape, stack)
    rows, cols = models.feature_map_centres(body, stack[-1].name if case != "valid conv + pool" else None)
    assert (len(rows), len(cols)) == tuple(body.outputs[0].shape[1:3])
    h, w = len(rows), len(cols)
    # units whose receptive field lies inside the image (no padding in it): its centre is the mean of its extent
    inside = [(i, j) for i in range(h) for j in range(w) if (i, j) in ((h // 2, w // 2), (h // 2 + 1, w // 2 - 1))]
    for i, j in inside:
        assert (rows[i], cols[j]) == _support_centre(body, (i, j))
    if case == "valid conv + pool":  # every unit's field is inside the image
        assert all((rows[i], cols[i]) == _support_centre(body, (i, i)) for i in (0, 3, 9))


def test_upsampled_grad_cam_peaks_at_the_receptive_field_centre(tiny, image):
    # tiny: 3x3 valid conv, 2x2 pool, 3x3 valid conv on 12x12 -> 3x3 cells, receptive fields 8x8 two pixels apart
    body = _linear_body((12, 12, 1), [keras.layers.Conv2D(1, 3), keras.layers.AveragePooling2D(2),
                                      keras.layers.Conv2D(1, 3)])
    centres = [_support_centre(body, (i, i))[0] for i in range(3)]   # 3.5, 5.5, 7.5: between two pixels
    pixels = np.arange(12)
    for i, j in ((0, 0), (0, 2), (1, 1), (2, 1)):
        one_hot = np.zeros((3, 3))
        one_hot[i, j] = 1.0
        up = models.upsample_to_input(tiny, one_hot, "c2")
        # a tent on each axis with its top at the cell's field centre, reaching 0 at the neighbouring centres
        expected = np.outer(np.interp(pixels, centres, one_hot[:, j]), np.interp(pixels, centres, one_hot[i]))
        np.testing.assert_allclose(up, expected, atol=1e-12)
        # the old method, tf.image.resize, spreads 3 cells evenly over 12 pixels: centres 1.5, 5.5, 9.5
        old = tf.image.resize(one_hot[None, :, :, None], (12, 12), method="bilinear").numpy()[0, :, :, 0]
        assert not np.allclose(old, expected, atol=0.1)
    one_hot = np.zeros((3, 3))
    one_hot[1, 1] = 1.0
    middle = models.upsample_to_input(tiny, one_hot, "c2")
    peak_rows, peak_cols = np.nonzero(np.isclose(middle, middle.max()))
    assert set(peak_rows) == set(peak_cols) == {5, 6}        # the middle cell's field: rows and columns 2 .. 9
    cam = models.grad_cam(tiny, image, 0)
    up = models.grad_cam(tiny, image, 0, upsample=True)
    np.testing.assert_allclose(up, models.upsample_to_input(tiny, cam, "c2"))
    # c1 (3x3 valid): cell i's field is input rows i .. i + 2, centre i + 1, so the cells land on pixels 1 .. 10
    cam1 = models.grad_cam(tiny, image, 0, layer="c1")
    np.testing.assert_allclose(models.grad_cam(tiny, image, 0, layer="c1", upsample=True)[1:11, 1:11], cam1,
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(models.explain(tiny, image, "grad-cam", 0)["map"], up)
    batch = models.upsample_to_input(tiny, np.stack([cam, 2 * cam]), "c2")
    np.testing.assert_allclose(batch, [up, 2 * up])


def test_upsampling_falls_back_to_a_resize_when_the_geometry_is_unknown():
    keras.utils.set_random_seed(4)
    x_in = keras.Input((8, 8, 1))
    h = keras.layers.Conv2D(2, 3, name="a")(x_in)
    h = keras.layers.Add()([h, keras.layers.Conv2D(2, 3, name="b")(x_in)])    # a branch: two paths, one map
    h = keras.layers.Conv2D(2, 3, name="last")(h)
    model = keras.Model(x_in, keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(h)))
    assert models.feature_map_centres(model) is None
    assert models.feature_map_centres(model, "a")[0].tolist() == [1, 2, 3, 4, 5, 6]
    m = np.random.default_rng(0).random((4, 4))
    expected = tf.image.resize(m[None, :, :, None].astype("float32"), (8, 8), method="bilinear").numpy()[0, :, :, 0]
    np.testing.assert_allclose(models.upsample_to_input(model, m), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="maps must have the layer's spatial shape"):
        models.upsample_to_input(model, np.zeros((5, 5)))
    with pytest.raises(TypeError, match="maps"):
        models.upsample_to_input(model, "map")


def test_feature_map_centres_inside_a_nested_model():
    small = models.small_cnn()          # same-padded 3x3 convolutions and two 2x2 poolings: cell i at 4 i + 1.5
    rows, cols = models.feature_map_centres(small)
    assert rows.tolist() == cols.tolist() == [4 * i + 1.5 for i in range(8)]
    assert models.feature_map_centres(small, "base/conv1")[0].tolist() == list(range(32))


def _nested_and_flat(extra_layers=()):
    """The same network twice: conv -> GAP inside a nested model "base" (then ``extra_layers``, dense), and flat."""
    keras.utils.set_random_seed(5)
    x_in = keras.Input((10, 10, 2))
    base_in = keras.Input((10, 10, 2))
    h = keras.layers.Conv2D(4, 3, activation="relu", name="inner_conv")(base_in)
    base = keras.Model(base_in, keras.layers.GlobalAveragePooling2D()(h), name="base")
    h = base(x_in)
    for layer in extra_layers:
        h = layer(h)
    nested = keras.Model(x_in, keras.layers.Dense(3, activation="softmax", name="out")(h))
    flat = keras.Sequential([keras.Input((10, 10, 2)), keras.layers.Conv2D(4, 3, activation="relu", name="inner_conv"),
                             keras.layers.GlobalAveragePooling2D(), *[type(e)(**e.get_config()) for e in extra_layers],
                             keras.layers.Dense(3, activation="softmax", name="out")])
    flat.set_weights(nested.get_weights())
    return nested, flat


@pytest.mark.parametrize("extra", [(), ("dropout",)])
def test_grad_cam_reaches_a_layer_inside_a_nested_model(extra):
    nested, flat = _nested_and_flat([keras.layers.Dropout(0.5) for _ in extra])
    x = np.random.default_rng(2).random((10, 10, 2))
    np.testing.assert_allclose(_probs(nested, x), _probs(flat, x), rtol=1e-6)  # the two are one network
    assert models.conv_layer_names(nested) == ["base/inner_conv"]
    for c in range(3):
        expected = models.grad_cam(flat, x, c, layer="inner_conv", relu=False)
        np.testing.assert_allclose(models.grad_cam(nested, x, c, relu=False), expected, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(models.grad_cam(nested, x, c, layer="base/inner_conv", relu=False), expected,
                                   rtol=1e-4, atol=1e-7)
    assert models.explain(nested, x, "grad-cam")["raw"].shape == (8, 8)
    small = models.small_cnn()
    assert models.conv_layer_names(small) == ["base/conv1", "base/conv2", "base/conv3"]
    assert models.grad_cam(small, np.zeros((32, 32, 1))).shape == (8, 8)  # conv3 after two 2x2 poolings


def test_grad_cam_refuses_a_nested_layer_it_cannot_reach():
    # a branch around the nested model: the input also reaches the head directly, so the model is no chain
    keras.utils.set_random_seed(6)
    x_in = keras.Input((6, 6, 1))
    base_in = keras.Input((6, 6, 1))
    base = keras.Model(base_in, keras.layers.GlobalAveragePooling2D()(
        keras.layers.Conv2D(2, 3, name="inner_conv")(base_in)), name="base")
    both = keras.layers.Concatenate()([base(x_in), keras.layers.Flatten()(x_in)])
    model = keras.Model(x_in, keras.layers.Dense(2, activation="softmax")(both))
    with pytest.raises(ValueError, match="not a simple chain"):
        models.grad_cam(model, np.zeros((6, 6, 1)), layer="base/inner_conv")
    with pytest.raises(ValueError, match=r"base/inner_conv.*'base/nope'"):
        models.grad_cam(model, np.zeros((6, 6, 1)), layer="base/nope")


def test_explain_returns_the_map_class_and_probabilities(tiny, image):
    probs = _probs(tiny, image)
    for method, raw_shape in (("saliency", (12, 12)), ("occlusion", (5, 5)), ("grad-cam", (3, 3))):
        out = models.explain(tiny, image, method)
        assert out["map"].shape == (12, 12) and out["raw"].shape == raw_shape
        assert out["predicted"] == out["class_index"] == int(np.argmax(probs))
        np.testing.assert_allclose(out["probabilities"], probs, atol=1e-6)
    assert models.explain(tiny, image, "occlusion", 1, patch=3, stride=3)["raw"].shape == (4, 4)


# ---------------------------------------------------------------------------------------------------------
# bad arguments
# ---------------------------------------------------------------------------------------------------------


def test_bad_arguments_are_explained(tiny, image):
    with pytest.raises(ValueError, match=r"layer .*c1, c2.*'nope'"):
        models.grad_cam(tiny, image, layer="nope")
    with pytest.raises(ValueError, match="c1, c2"):
        models.grad_cam(tiny, image, layer="flat")  # 2-D output
    with pytest.raises(TypeError, match="layer must be the name"):
        models.grad_cam(tiny, image, layer=3)
    for fn in (models.saliency, models.occlusion, models.grad_cam):
        with pytest.raises(ValueError, match=r"class_index must be between 0 and 2 .*3 classes.*got 3"):
            fn(tiny, image, 3)
        with pytest.raises(ValueError, match="class_index"):
            fn(tiny, image, -1)
        with pytest.raises(TypeError, match="class_index"):
            fn(tiny, image, True)
        with pytest.raises(TypeError, match="class_index"):
            fn(tiny, image, 1.0)
        with pytest.raises(ValueError, match=r"input shape \(12, 12, 1\).*\(10, 10, 1\)"):
            fn(tiny, np.zeros((10, 10, 1)))
        with pytest.raises(ValueError, match="not a batch"):
            fn(tiny, image[None])
        with pytest.raises(TypeError, match="image"):
            fn(tiny, "digit.png")
        with pytest.raises(ValueError, match="finite"):
            fn(tiny, np.full((12, 12, 1), np.nan))
        with pytest.raises(ValueError, match="score"):
            fn(tiny, image, score="loss")
        with pytest.raises(TypeError, match="model"):
            fn("lenet", image)
    with pytest.raises(ValueError, match="patch must be at most"):
        models.occlusion(tiny, image, patch=13)
    with pytest.raises(ValueError, match="stride"):
        models.occlusion(tiny, image, stride=0)
    with pytest.raises(TypeError, match="fill"):
        models.occlusion(tiny, image, fill="grey")
    with pytest.raises(ValueError, match="method"):
        models.explain(tiny, image, "lime")
    dense_only = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="no convolutional layer"):
        models.grad_cam(dense_only, np.zeros((4, 4, 1)))
