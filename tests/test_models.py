"""Tests for helpers.models: published parameter counts, shapes, blocks, inspection tools, error paths.

Big models are built once per module (fixtures) and only counted; forward passes use small versions.
"""

from collections import Counter

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from helpers import models  # noqa: E402

# ---------------------------------------------------------------------------------------------------------
# Independent parameter arithmetic (from the papers' tables, not from the code under test)
# ---------------------------------------------------------------------------------------------------------


def conv_p(k, cin, cout):
    return k * k * cin * cout + cout


def dense_p(nin, nout):
    return nin * nout + nout


def conv_multiplications(model):
    """Sum over Conv2D layers of out_h * out_w * filters * kh * kw * in_channels (computed from shapes)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            kh, kw = layer.kernel_size
            c_in = layer.input.shape[-1]
            total += h * w * c_out * kh * kw * c_in
    return total


# ---------------------------------------------------------------------------------------------------------
# Published counts (big models: built once, counted, never run)
# ---------------------------------------------------------------------------------------------------------


def test_lenet5_count_matches_layer_arithmetic_and_published_number():
    expected = conv_p(5, 1, 6) + conv_p(5, 6, 16) + dense_p(5 * 5 * 16, 120) + dense_p(120, 84) + dense_p(84, 10)
    model = models.lenet5()
    assert model.count_params() == expected == 61_706
    assert models.lenet5(activation="tanh", pooling="average").count_params() == 61_706


@pytest.fixture(scope="module")
def alexnet_default():
    return models.alexnet()


@pytest.fixture(scope="module")
def vgg_pair():
    return models.vgg16(), keras.applications.VGG16(weights=None)


@pytest.fixture(scope="module")
def resnet_pair():
    return models.resnet50(), keras.applications.ResNet50(weights=None)


@pytest.mark.slow
def test_alexnet_count(alexnet_default):
    expected = (
        conv_p(11, 3, 96) + conv_p(5, 96, 256) + conv_p(3, 256, 384) + conv_p(3, 384, 384) + conv_p(3, 384, 256)
        + dense_p(6 * 6 * 256, 4096) + dense_p(4096, 4096) + dense_p(4096, 1000)
    )
    assert alexnet_default.count_params() == expected == 62_378_344
    assert alexnet_default.get_layer("pool5").output.shape == (None, 6, 6, 256)


@pytest.mark.slow
def test_vgg16_matches_keras_applications(vgg_pair):
    mine, ref = vgg_pair
    assert mine.count_params() == ref.count_params() == 138_357_544
    assert Counter(type(la).__name__ for la in mine.layers) == Counter(type(la).__name__ for la in ref.layers)
    assert [la.output.shape for la in mine.layers[1:]] == [la.output.shape for la in ref.layers[1:]]


@pytest.mark.slow
def test_resnet50_matches_keras_applications(resnet_pair):
    mine, ref = resnet_pair
    assert mine.count_params() == ref.count_params() == 25_636_712
    assert len(mine.layers) == len(ref.layers)
    assert Counter(type(la).__name__ for la in mine.layers) == Counter(type(la).__name__ for la in ref.layers)
    ref_layers = {la.name: la for la in ref.layers}
    for layer in mine.layers[1:]:
        assert layer.name in ref_layers, layer.name
        assert layer.count_params() == ref_layers[layer.name].count_params(), layer.name
        assert layer.output.shape == ref_layers[layer.name].output.shape, layer.name


@pytest.mark.slow
def test_googlenet_count_from_the_paper_table():
    table = [  # #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj (Szegedy et al. 2014, table 1)
        (64, 96, 128, 16, 32, 32), (128, 128, 192, 32, 96, 64),
        (192, 96, 208, 16, 48, 64), (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64),
        (112, 144, 288, 32, 64, 64), (256, 160, 320, 32, 128, 128),
        (256, 160, 320, 32, 128, 128), (384, 192, 384, 48, 128, 128),
    ]
    expected = conv_p(7, 3, 64) + conv_p(1, 64, 64) + conv_p(3, 64, 192)
    c = 192
    for f1, r3, f3, r5, f5, pp in table:
        expected += conv_p(1, c, f1) + conv_p(1, c, r3) + conv_p(3, r3, f3) + conv_p(1, c, r5) + conv_p(5, r5, f5)
        expected += conv_p(1, c, pp)
        c = f1 + f3 + f5 + pp
    expected += dense_p(c, 1000)
    model = models.googlenet()
    assert model.count_params() == expected
    assert c == 1024 and model.get_layer("avg_pool").output.shape == (None, 1024)
    assert sum(isinstance(la, keras.layers.Concatenate) for la in model.layers) == 9


# ---------------------------------------------------------------------------------------------------------
# Small versions: shapes and forward passes
# ---------------------------------------------------------------------------------------------------------


def test_lenet5_shapes_and_forward_pass():
    model = models.lenet5(input_shape=(28, 28, 3), classes=4)
    assert [la.output.shape for la in model.layers[1:5]] == [
        (None, 24, 24, 6), (None, 12, 12, 6), (None, 8, 8, 16), (None, 4, 4, 16)
    ]
    out = model.predict(np.random.default_rng(0).random((3, 28, 28, 3)), verbose=0)
    assert out.shape == (3, 4)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


def test_lenet5_1998_flavour_uses_tanh_and_average_pooling():
    model = models.lenet5(activation="tanh", pooling="average")
    assert isinstance(model.get_layer("s2_pool"), keras.layers.AveragePooling2D)
    assert model.get_layer("c1_conv").activation is keras.activations.tanh
    assert isinstance(models.lenet5().get_layer("s4_pool"), keras.layers.MaxPooling2D)


def test_vgg_block_halves_size_and_stacks_convs():
    x = keras.Input(shape=(20, 20, 3))
    y = models.vgg_block(x, 8, 3, name="blk")
    m = keras.Model(x, y)
    convs = [la for la in m.layers if isinstance(la, keras.layers.Conv2D)]
    assert len(convs) == 3 and all(c.kernel_size == (3, 3) and c.padding == "same" for c in convs)
    assert y.shape == (None, 10, 10, 8)
    assert m.count_params() == conv_p(3, 3, 8) + 2 * conv_p(3, 8, 8)


def test_googlenet_small_trains_shape():
    model = models.googlenet_small()
    out = model.predict(np.zeros((2, 32, 32, 1), np.float32), verbose=0)
    assert out.shape == (2, 10)
    assert sum(isinstance(la, keras.layers.Concatenate) for la in model.layers) >= 2
    assert any(isinstance(la, keras.layers.GlobalAveragePooling2D) for la in model.layers)


# ---------------------------------------------------------------------------------------------------------
# Residual blocks
# ---------------------------------------------------------------------------------------------------------


def _zero_main_path(model):
    """Zero every kernel/bias on the main path (not the shortcut `_0_` layers)."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D) and "_0_" not in layer.name:
            layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])


def test_identity_block_keeps_shape_and_is_identity_with_zero_main_path():
    x = keras.Input(shape=(6, 6, 16))
    y = models.identity_block(x, (4, 4, 16), name="idb")
    assert y.shape == x.shape
    m = keras.Model(x, y)
    _zero_main_path(m)
    data = np.random.default_rng(1).normal(size=(2, 6, 6, 16)).astype(np.float32)
    np.testing.assert_allclose(m(data, training=False), np.maximum(data, 0), atol=1e-6)


def test_identity_block_int_filters_means_bottleneck_times_four():
    x = keras.Input(shape=(8, 8, 32))
    m = keras.Model(x, models.identity_block(x, 8, kernel_size=5))
    convs = [la for la in m.layers if isinstance(la, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [8, 8, 32]
    assert convs[1].kernel_size == (5, 5)


def test_projection_block_changes_shape_with_projected_shortcut():
    x = keras.Input(shape=(8, 8, 16))
    y = models.projection_block(x, (4, 4, 32), strides=2, name="pb")
    assert y.shape == (None, 4, 4, 32)
    m = keras.Model(x, y)
    assert m.get_layer("pb_0_conv").kernel_size == (1, 1) and m.get_layer("pb_0_conv").strides == (2, 2)
    assert isinstance(m.get_layer("pb_0_bn"), keras.layers.BatchNormalization)
    y1 = models.projection_block(x, (4, 4, 32), strides=1)
    assert y1.shape == (None, 8, 8, 32)


def test_basic_residual_block_identity_and_projection():
    x = keras.Input(shape=(8, 8, 4))
    m = keras.Model(x, models.basic_residual_block(x, 4, name="b"))
    assert m.output.shape == (None, 8, 8, 4)
    assert not any(la.name.startswith("b_0_") for la in m.layers)  # identity shortcut: no projection
    _zero_main_path(m)
    data = np.random.default_rng(2).normal(size=(3, 8, 8, 4)).astype(np.float32)
    np.testing.assert_allclose(m(data, training=False), np.maximum(data, 0), atol=1e-6)

    y = models.basic_residual_block(x, 8, strides=2, name="p")
    mp = keras.Model(x, y)
    assert y.shape == (None, 4, 4, 8)
    assert mp.get_layer("p_0_conv").kernel_size == (1, 1)

    nobn = keras.Model(x, models.basic_residual_block(x, 4, batch_norm=False))
    assert not any(isinstance(la, keras.layers.BatchNormalization) for la in nobn.layers)


# ---------------------------------------------------------------------------------------------------------
# Inception
# ---------------------------------------------------------------------------------------------------------


def test_inception_module_channels_and_bottleneck_saves_multiplications():
    x = keras.Input(shape=(28, 28, 192))
    f = (64, 96, 128, 16, 32, 32)
    with_b = keras.Model(x, models.inception_module(x, *f, name="inc"))
    naive = keras.Model(x, models.inception_module(x, *f, bottleneck=False, name="naive"))
    assert with_b.output.shape == (None, 28, 28, 64 + 128 + 32 + 32)
    assert naive.output.shape == (None, 28, 28, 64 + 128 + 32 + 192)
    assert conv_multiplications(with_b) < conv_multiplications(naive) / 2
    assert with_b.count_params() < naive.count_params()
    # the 5x5 branch of module 3a: 120,422,400 multiplications naive, 12,443,648 with 16-channel reduction
    naive5 = naive.get_layer("naive_5x5")
    assert 28 * 28 * 32 * 5 * 5 * naive5.input.shape[-1] == 120_422_400
    branch = keras.Model(x, with_b.get_layer("inc_5x5").output)
    assert conv_multiplications(branch) == 12_443_648


# ---------------------------------------------------------------------------------------------------------
# Plain vs residual
# ---------------------------------------------------------------------------------------------------------


def test_plain_and_residual_same_depth():
    plain = models.plain_cnn((32, 32, 1), 10, depth=14, width=8)
    res = models.residual_cnn((32, 32, 1), 10, depth=14, width=8)

    def weight_layers(m, skip_projection):
        return [
            la for la in m.layers
            if isinstance(la, (keras.layers.Conv2D, keras.layers.Dense))
            and not (skip_projection and la.name.endswith("_0_conv"))
        ]

    assert len(weight_layers(plain, False)) == len(weight_layers(res, True)) == 14
    assert sum(isinstance(la, keras.layers.Add) for la in res.layers) == 6
    assert not any(isinstance(la, keras.layers.Add) for la in plain.layers)
    assert plain.output_shape == res.output_shape == (None, 10)
    assert not any(isinstance(la, keras.layers.BatchNormalization) for la in plain.layers)
    bn = models.plain_cnn((32, 32, 1), 10, depth=6, batch_norm=True)
    assert any(isinstance(la, keras.layers.BatchNormalization) for la in bn.layers)


def test_shortcuts_keep_gradients_alive_at_initialisation():
    rng = np.random.default_rng(0)
    x = rng.random((32, 32, 32, 1)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    keras.utils.set_random_seed(0)
    g_plain = models.layer_gradient_norms(models.plain_cnn((32, 32, 1), 10, depth=20), x, y)
    keras.utils.set_random_seed(0)
    g_res = models.layer_gradient_norms(models.residual_cnn((32, 32, 1), 10, depth=20), x, y)
    assert list(g_plain)[0] == "stem_conv" and list(g_plain)[-1] == "predictions"
    assert len(g_plain) == 20
    assert g_res["stem_conv"] > 10 * g_plain["stem_conv"]


# ---------------------------------------------------------------------------------------------------------
# build_sequential, small_cnn, count_params_by_layer
# ---------------------------------------------------------------------------------------------------------

LENET_SPEC = [
    {"type": "Conv2D", "filters": 6, "kernel_size": 5, "activation": "relu"},
    ("MaxPooling2D", {"pool_size": 2}),
    {"type": "Conv2D", "filters": 16, "kernel_size": 5, "activation": "relu"},
    ("MaxPooling2D", {"pool_size": 2}),
    {"type": "Flatten"},
    {"type": "Dense", "units": 120},
    {"type": "Dense", "units": 84},
    ("Dense", {"units": 10, "activation": "softmax"}),
]


def test_build_sequential_lenet_equals_builder():
    model = models.build_sequential(LENET_SPEC, (32, 32, 1))
    assert isinstance(model, keras.Sequential)
    assert model.count_params() == models.lenet5().count_params()
    assert model.output_shape == (None, 10)


def test_build_sequential_agrees_with_shapes_summarize():
    shapes = pytest.importorskip("helpers.shapes")
    spec = LENET_SPEC + []
    spec2 = [
        {"type": "Conv2D", "filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"},
        {"type": "BatchNormalization"},
        {"type": "DepthwiseConv2D", "kernel_size": 3},
        {"type": "SeparableConv2D", "filters": 12, "kernel_size": 3, "padding": "same"},
        {"type": "GlobalAveragePooling2D"},
        {"type": "Dense", "units": 5},
    ]
    for s, shape in ((spec, (32, 32, 1)), (spec2, (17, 19, 3))):
        model = models.build_sequential(s, shape)
        summary = shapes.summarize(shape, s)
        assert summary.total_params == model.count_params()
        assert tuple(summary.output_shape) == tuple(model.output_shape[1:])
        mine = models.count_params_by_layer(model)
        assert [r[2] for r in mine] == [row["params"] for row in summary.rows]
        assert [r[3] for r in mine] == [tuple(row["output_shape"]) for row in summary.rows]


def test_build_sequential_errors_name_the_layer():
    with pytest.raises(ValueError, match="layer 2.*'Conv3x3'"):
        models.build_sequential([{"type": "Flatten"}, {"type": "Conv3x3"}], (8, 8, 1))
    with pytest.raises(ValueError, match="layer 1"):
        models.build_sequential([{"filters": 3}], (8, 8, 1))
    with pytest.raises(TypeError, match="layer 1"):
        models.build_sequential(["Conv2D"], (8, 8, 1))
    with pytest.raises(ValueError, match="layer 2"):  # 5x5 kernel on a 2x2 map
        models.build_sequential([("MaxPooling2D", {"pool_size": 4}), ("Conv2D", {"filters": 1, "kernel_size": 5})],
                                (8, 8, 1))
    with pytest.raises(TypeError, match="layers"):
        models.build_sequential({"type": "Flatten"}, (8, 8, 1))


def test_small_cnn_base_and_head_for_transfer():
    model = models.small_cnn(classes=5)
    base = model.get_layer("base")
    assert isinstance(base, keras.Model)
    assert model.get_layer("head").units == 5
    assert model.output_shape == (None, 5)
    total = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    base.trainable = False
    frozen = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert frozen == base.output.shape[-1] * 5 + 5 < total


def test_count_params_by_layer_matches_keras():
    model = models.lenet5()
    rows = models.count_params_by_layer(model)
    assert [r[0] for r in rows] == [la.name for la in model.layers[1:]]
    assert [r[1] for r in rows][:2] == ["Conv2D", "MaxPooling2D"]
    assert sum(r[2] for r in rows) == model.count_params()
    assert rows[4][3] == (400,)


# ---------------------------------------------------------------------------------------------------------
# feature_maps, layer_gradient_norms, train
# ---------------------------------------------------------------------------------------------------------


def test_feature_maps_equal_an_independent_convolution():
    keras.utils.set_random_seed(3)
    model = models.lenet5()
    images = np.random.default_rng(3).random((4, 32, 32, 1)).astype(np.float32)
    maps = models.feature_maps(model, images, "c1_conv")
    kernel, bias = model.get_layer("c1_conv").get_weights()
    expected = np.maximum(tf.nn.conv2d(images, kernel, strides=1, padding="VALID").numpy() + bias, 0)
    np.testing.assert_allclose(maps, expected, atol=1e-5)
    by_index = models.feature_maps(model, images, 1)  # model.layers[1] is c1_conv (0 is the input)
    np.testing.assert_allclose(by_index, maps)
    assert models.feature_maps(model, images[0], -1).shape == (10,)
    assert models.feature_maps(model, images, "s4_pool").shape == (4, 5, 5, 16)


def test_feature_maps_errors():
    model = models.lenet5()
    with pytest.raises(ValueError, match="c1_conv"):
        models.feature_maps(model, np.zeros((1, 32, 32, 1)), "conv9")
    with pytest.raises(ValueError, match="index"):
        models.feature_maps(model, np.zeros((1, 32, 32, 1)), 42)
    with pytest.raises(ValueError, match="images"):
        models.feature_maps(model, np.zeros((1, 28, 28, 1)), 1)
    with pytest.raises(TypeError, match="layer"):
        models.feature_maps(model, np.zeros((1, 32, 32, 1)), 1.5)
    with pytest.raises(TypeError, match="model"):
        models.feature_maps("lenet", np.zeros((1, 32, 32, 1)), 1)


def test_layer_gradient_norms_match_the_softmax_formula():
    # One dense softmax layer: d(mean CE)/dW = x^T (p - onehot) / N, computed independently with numpy.
    rng = np.random.default_rng(5)
    inputs = keras.Input(shape=(6,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="out")(inputs))
    x = rng.normal(size=(10, 6)).astype(np.float32)
    y = rng.integers(0, 3, 10)
    kernel, bias = model.get_layer("out").get_weights()
    z = x @ kernel + bias
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    grad = x.T @ (p - np.eye(3)[y]) / len(y)
    norms = models.layer_gradient_norms(model, x, y)
    assert list(norms) == ["out"]
    np.testing.assert_allclose(norms["out"], np.linalg.norm(grad), rtol=1e-4)


def test_layer_gradient_norms_keys_enter_nested_models():
    keras.utils.set_random_seed(0)
    model = models.small_cnn(classes=3)
    rng = np.random.default_rng(0)
    norms = models.layer_gradient_norms(model, rng.random((8, 32, 32, 1)), rng.integers(0, 3, 8))
    assert list(norms) == ["conv1", "conv2", "conv3", "head"]
    assert all(v > 0 for v in norms.values())
    with pytest.raises(ValueError, match="y"):
        models.layer_gradient_norms(model, np.zeros((8, 32, 32, 1)), np.zeros(7, int))
    with pytest.raises(TypeError, match="y"):
        models.layer_gradient_norms(model, np.zeros((2, 32, 32, 1)), np.zeros(2))


def test_train_is_reproducible_and_learns():
    from types import SimpleNamespace

    rng = np.random.default_rng(0)
    # an easy task: class = which half of the image is bright
    y = rng.integers(0, 2, 96)
    x = rng.random((96, 16, 16, 1)).astype(np.float32) * 0.2
    for i, label in enumerate(y):
        x[i, :, label * 8 : label * 8 + 8] += 0.8
    data = SimpleNamespace(x_train=x[:64], y_train=y[:64], x_val=x[64:], y_val=y[64:])
    runs = []
    for _ in range(2):
        keras.utils.set_random_seed(0)
        model = models.small_cnn(input_shape=(16, 16, 1), classes=2)
        runs.append(models.train(model, data, epochs=4, batch_size=16, lr=1e-2, seed=1).history)
    assert set(runs[0]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    np.testing.assert_allclose(runs[0]["loss"], runs[1]["loss"], rtol=1e-5)
    assert runs[0]["loss"][-1] < runs[0]["loss"][0]
    assert runs[0]["val_accuracy"][-1] >= 0.9


def test_train_seeds_equals_one_fresh_train_per_seed():
    from types import SimpleNamespace

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 48)
    x = rng.random((48, 16, 16, 1)).astype(np.float32)
    x[np.arange(48), :, 0] += y[:, None, None]
    data = SimpleNamespace(x_train=x, y_train=y, x_val=None, y_val=None)

    def build():
        return models.plain_cnn((16, 16, 1), 2, depth=6, width=4, batch_norm=True)

    expected = []
    for seed in (3, 0, 3):
        keras.utils.set_random_seed(seed)
        expected.append(models.train(build(), data, epochs=3, batch_size=16, lr=1e-2, seed=seed).history["loss"])
    got = [h.history["loss"] for h in models.train_seeds(build, data, (3, 0, 3), epochs=3, batch_size=16, lr=1e-2)]
    # a later seed starts from fresh weights and a fresh optimizer, not from where the previous seed stopped
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    assert not np.allclose(expected[0], expected[1])


def test_train_seeds_rejects_bad_arguments():
    from types import SimpleNamespace

    data = SimpleNamespace(x_train=np.zeros((4, 32, 32, 1)), y_train=np.zeros(4, int))
    with pytest.raises(TypeError, match="build"):
        models.train_seeds(models.lenet5(), data, (0,), epochs=1)
    with pytest.raises(ValueError, match="seeds"):
        models.train_seeds(models.lenet5, data, (), epochs=1)
    with pytest.raises(TypeError, match="seeds"):
        models.train_seeds(models.lenet5, data, 3, epochs=1)
    with pytest.raises(ValueError, match="seed must"):
        models.train_seeds(models.lenet5, data, (0, -1), epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        models.train_seeds(models.lenet5, data, (0,), epochs=0)
    with pytest.raises(ValueError, match="same architecture"):
        sizes = iter((6, 8))
        models.train_seeds(lambda: models.plain_cnn((32, 32, 1), 2, depth=next(sizes)), data, (0, 1), epochs=1)


# ---------------------------------------------------------------------------------------------------------
# Error paths
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "exc", "pattern"),
    [
        ({"classes": 0}, ValueError, "classes must be a positive integer"),
        ({"classes": 2.5}, TypeError, "classes"),
        ({"input_shape": (32, 32)}, ValueError, "input_shape must be a triple"),
        ({"input_shape": (32, 32, 0)}, ValueError, "input_shape must be a positive integer"),
        ({"input_shape": "32x32"}, TypeError, "input_shape"),
        ({"input_shape": (32.0, 32, 1)}, TypeError, "input_shape"),
        ({"input_shape": (8, 8, 1)}, ValueError, "input_shape .* too small for lenet5"),
        ({"activation": "relu6"}, ValueError, "activation must be one of"),
        ({"pooling": "min"}, ValueError, "pooling must be one of"),
    ],
)
def test_lenet5_bad_arguments(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        models.lenet5(**kwargs)


def test_builders_reject_bad_arguments():
    with pytest.raises(ValueError, match="too small for alexnet"):
        models.alexnet(input_shape=(32, 32, 3), classes=10)
    with pytest.raises(ValueError, match="depth must be an even"):
        models.plain_cnn((32, 32, 1), 10, depth=7)
    with pytest.raises(ValueError, match="depth"):
        models.residual_cnn((32, 32, 1), 10, depth=2)
    with pytest.raises(TypeError, match="batch_norm"):
        models.plain_cnn((32, 32, 1), 10, depth=6, batch_norm="yes")
    with pytest.raises(ValueError, match="width"):
        models.residual_cnn((32, 32, 1), 10, depth=6, width=0)
    with pytest.raises(ValueError, match="classes"):
        models.googlenet_small(classes=-1)


def test_blocks_reject_bad_arguments():
    x = keras.Input(shape=(8, 8, 16))
    with pytest.raises(ValueError, match="filters\\[2\\] = 32 .*projection_block"):
        models.identity_block(x, (8, 8, 32))
    with pytest.raises(TypeError, match="x must be a Keras tensor"):
        models.identity_block(np.zeros((1, 8, 8, 16)), 4)
    with pytest.raises(ValueError, match="4-D"):
        models.vgg_block(keras.Input(shape=(16,)), 8, 2)
    with pytest.raises(ValueError, match="filters"):
        models.projection_block(x, (8, 8))
    with pytest.raises(ValueError, match="strides"):
        models.basic_residual_block(x, 8, strides=0)
    with pytest.raises(ValueError, match="convs"):
        models.vgg_block(x, 8, 0)
    with pytest.raises(ValueError, match="pool_proj"):
        models.inception_module(x, 8, 8, 8, 8, 8, 0)
    with pytest.raises(TypeError, match="bottleneck"):
        models.inception_module(x, 8, 8, 8, 8, 8, 8, bottleneck=1)
    with pytest.raises(TypeError, match="name"):
        models.vgg_block(x, 8, 1, name=3)


def test_train_rejects_bad_arguments():
    from types import SimpleNamespace

    data = SimpleNamespace(x_train=np.zeros((4, 32, 32, 1)), y_train=np.zeros(4, int))
    model = models.lenet5()
    with pytest.raises(ValueError, match="epochs"):
        models.train(model, data, epochs=0)
    with pytest.raises(ValueError, match="lr"):
        models.train(model, data, epochs=1, lr=-1)
    with pytest.raises(TypeError, match="x_train"):
        models.train(model, SimpleNamespace(x=1), epochs=1)
    with pytest.raises(TypeError, match="model"):
        models.train(None, data, epochs=1)


# ---------------------------------------------------------------------------------------------------------
# Efficient CNNs: the course's blocks reproduce keras.applications and the papers' multiply-adds
# ---------------------------------------------------------------------------------------------------------


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


@pytest.mark.slow
@pytest.mark.parametrize("ours, theirs, published_madds", [
    ("mobilenet", "MobileNet", 569e6),        # Howard et al. (2017), table 8: 569 million mult-adds
    ("mobilenet_v2", "MobileNetV2", 300e6),   # Sandler et al. (2018), table 4: 300 million
    ("efficientnet_b0", "EfficientNetB0", 0.39e9),  # Tan & Le (2019), table 2: 0.39 billion FLOPs
])
def test_efficient_cnns_match_keras_applications_and_the_papers(ours, theirs, published_madds):
    mine = getattr(models, ours)()
    reference = getattr(keras.applications, theirs)(weights=None)
    assert mine.count_params() == reference.count_params()
    assert _trainable(mine) == _trainable(reference)
    assert mine.output.shape == reference.output.shape == (None, 1000)
    madds = models.count_multiply_adds(mine)
    assert abs(madds - published_madds) / published_madds < 0.02, f"{madds / 1e6:.1f} M multiply-adds"


def test_count_multiply_adds_by_hand():
    x = keras.Input((8, 8, 3))
    y = keras.layers.Conv2D(4, 3, padding="same")(x)            # 8*8 * 4 * 3*3*3 = 6912
    y = keras.layers.DepthwiseConv2D(3, strides=2, padding="same")(y)  # 4*4 * 4 * 3*3 = 576
    y = keras.layers.Conv2D(6, 1, groups=2)(y)                   # 4*4 * 6 * 1*1*2 = 192
    y = keras.layers.Flatten()(y)
    y = keras.layers.Dense(10)(y)                                # 96 * 10 = 960
    assert models.count_multiply_adds(keras.Model(x, y)) == 6912 + 576 + 192 + 960
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        models.count_multiply_adds("vgg16")


def test_efficient_blocks_shapes_residuals_and_errors():
    x = keras.Input((16, 16, 24))
    block = keras.Model(x, models.inverted_residual_block(x, 24))
    assert any(isinstance(layer, keras.layers.Add) for layer in block.layers), "same shape: residual added"
    strided = models.inverted_residual_block(x, 32, strides=2)
    assert strided.shape == (None, 8, 8, 32)
    last = keras.Model(x, models.inverted_residual_block(x, 32)).layers[-1]
    assert isinstance(last, keras.layers.BatchNormalization), "the bottleneck is linear: no activation after it"
    se = models.squeeze_excite(x, 6)
    gates = keras.Model(x, se).get_layer(index=-1)
    assert isinstance(gates, keras.layers.Multiply) and se.shape == x.shape
    assert models.mbconv_block(x, 40, kernel_size=5, strides=2).shape == (None, 8, 8, 40)
    assert models.depthwise_separable_block(x, 48, strides=2).shape == (None, 8, 8, 48)
    half = models.mobilenet(input_shape=(32, 32, 3), classes=10, alpha=0.5)
    assert half.output.shape == (None, 10)
    with pytest.raises(ValueError, match="strides must be 1 or 2"):
        models.inverted_residual_block(x, 24, strides=3)
    with pytest.raises(ValueError, match="alpha must be a number in"):
        models.mobilenet(alpha=1.5)
    with pytest.raises(TypeError, match="Keras tensor"):
        models.squeeze_excite(np.zeros((1, 4, 4, 3)), 2)
    with pytest.raises(ValueError, match="input_shape must be a triple"):
        models.efficientnet_b0(input_shape=(32, 32), classes=10)
    with pytest.raises(ValueError, match="classes"):
        models.mobilenet_v2(classes=0)


# ---------------------------------------------------------------------------------------------------------
# augmentation_layers
# ---------------------------------------------------------------------------------------------------------


def _digit_like(n=6, size=24):
    """A bright square on black, away from the border: easy to see where it went."""
    x = np.zeros((n, size, size, 1), dtype="float32")
    x[:, 8:16, 10:14, 0] = 1.0
    return x


def test_augmentation_layers_order_and_zero_factors_leave_a_layer_out():
    augment = models.augmentation_layers(translation=0.1, rotation=0.05, zoom=0.2, contrast=0.3, flip="horizontal")
    assert [type(layer).__name__ for layer in augment.layers] == [
        "RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom", "RandomContrast"]
    only_zoom = models.augmentation_layers(translation=0, rotation=0, zoom=0.2)
    assert [type(layer).__name__ for layer in only_zoom.layers] == ["RandomZoom"]
    nothing = models.augmentation_layers(translation=0, rotation=0, zoom=0)
    x = _digit_like()
    assert np.array_equal(keras.ops.convert_to_numpy(nothing(x, training=True)), x)


def test_augmentation_layers_are_the_identity_at_inference_and_random_in_training():
    augment = models.augmentation_layers(translation=0.2, rotation=0.1, zoom=0.2, contrast=0.5, fill_mode="constant",
                                         seed=3)
    x = _digit_like()
    assert np.array_equal(keras.ops.convert_to_numpy(augment(x, training=False)), x)
    out = keras.ops.convert_to_numpy(augment(x, training=True))
    assert out.shape == x.shape and not np.allclose(out, x)
    # each image draws its own transformation: identical inputs give different outputs
    assert not np.allclose(out[0], out[1])
    # a model containing the block does not augment in predict
    inputs = keras.Input((24, 24, 1))
    model = keras.Model(inputs, keras.layers.Flatten()(augment(inputs)))
    assert np.array_equal(model.predict(x, verbose=0), x.reshape(len(x), -1))


def test_augmentation_layers_translation_stays_within_its_factor_and_constant_fill_is_black():
    augment = models.augmentation_layers(translation=0.25, rotation=0, zoom=0, fill_mode="constant", seed=0)
    x = np.zeros((200, 16, 16, 1), dtype="float32")
    x[:, 8, 8, 0] = 1.0
    out = keras.ops.convert_to_numpy(augment(x, training=True))[..., 0]
    centre = np.array([np.unravel_index(np.argmax(im), im.shape) for im in out])
    assert np.abs(centre - 8).max() <= 16 * 0.25 + 1  # bilinear: the brightest pixel is within one of the shift
    assert np.abs(centre - 8).max() >= 2               # and it does move
    assert out.min() >= 0 and np.allclose(out.sum(axis=(1, 2)), 1.0, atol=1e-4)  # nothing reflected back in


def test_augmentation_layers_flip_mirrors_and_contrast_clips_to_value_range():
    flip = models.augmentation_layers(translation=0, rotation=0, zoom=0, flip="horizontal", seed=0)
    x = _digit_like(n=32)
    out = keras.ops.convert_to_numpy(flip(x, training=True))
    mirrored = np.array([np.array_equal(o, xi[:, ::-1]) for o, xi in zip(out, x, strict=True)])
    unchanged = np.array([np.array_equal(o, xi) for o, xi in zip(out, x, strict=True)])
    assert np.all(mirrored | unchanged) and mirrored.any() and unchanged.any()
    contrast = models.augmentation_layers(translation=0, rotation=0, zoom=0, contrast=0.9, value_range=(0, 1), seed=0)
    y = keras.ops.convert_to_numpy(contrast(np.random.default_rng(0).random((8, 6, 6, 1)).astype("float32"),
                                            training=True))
    assert y.min() >= 0 and y.max() <= 1


def test_augmentation_layers_contrast_goes_both_ways_up_to_its_factor():
    # Keras 3's RandomContrast(f) alone draws its factor from [1, 1 + f] (never fainter); the block must draw
    # from [1 - f, 1 + f]. With no clipping the factor is the ratio of standard deviations.
    x = 0.3 + 0.4 * np.random.default_rng(1).random((1, 12, 12, 1)).astype("float32")   # in [0.3, 0.7]
    augment = models.augmentation_layers(translation=0, rotation=0, zoom=0, contrast=0.5, seed=0)
    out = keras.ops.convert_to_numpy(augment(np.repeat(x, 64, axis=0), training=True))
    factor = out.std(axis=(1, 2, 3)) / x.std()
    assert (factor < 0.9).any(), "some copies must have lower contrast than the original"
    assert (factor > 1.1).any(), "and some higher"
    assert factor.min() >= 0.5 - 1e-4 and factor.max() <= 1.5 + 1e-4
    assert np.allclose(out.mean(axis=(1, 2, 3)), x.mean(), atol=1e-5)   # the mean is kept


def test_augmentation_layers_seed_makes_draws_repeatable():
    x = _digit_like()
    a = keras.ops.convert_to_numpy(models.augmentation_layers(seed=5, fill_mode="constant")(x, training=True))
    b = keras.ops.convert_to_numpy(models.augmentation_layers(seed=5, fill_mode="constant")(x, training=True))
    assert np.allclose(a, b)


@pytest.mark.parametrize(
    ("kwargs", "exc", "pattern"),
    [
        ({"translation": -0.1}, ValueError, "translation must satisfy 0 <= translation <= 1"),
        ({"translation": "0.1"}, TypeError, "translation must be a number"),
        ({"rotation": 1.5}, ValueError, "rotation must satisfy"),
        ({"zoom": 1.0}, ValueError, "zoom must satisfy 0 <= zoom < 1"),
        ({"contrast": True}, TypeError, "contrast must be a number"),
        ({"flip": "diagonal"}, ValueError, "flip"),
        ({"flip": True}, TypeError, "flip must be None or one of"),
        ({"fill_mode": "mirror"}, ValueError, "fill_mode"),
        ({"fill_mode": 0}, TypeError, "fill_mode must be one of"),
        ({"value_range": (1, 0)}, ValueError, "value_range must have low < high"),
        ({"value_range": 255}, TypeError, "value_range must be a pair"),
        ({"seed": -1}, ValueError, "seed must be None or a whole number"),
        ({"name": 3}, TypeError, "name must be a string"),
    ],
)
def test_augmentation_layers_bad_arguments(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        models.augmentation_layers(**kwargs)


def test_googlenet_docstring_does_not_put_a_total_in_the_papers_mouth():
    """The GoogLeNet paper gives no parameter total; its Table 1 column (in thousands) sums to about 6.8 million."""
    table_1_params_k = [2.7, 112, 159, 380, 364, 437, 463, 580, 840, 1072, 1388, 1000]
    assert round(sum(table_1_params_k) / 1000, 1) == 6.8
    doc = " ".join(models.googlenet.__doc__.split())
    assert "paper quotes" not in doc
    assert "Table 1" in doc and "6.8 million" in doc
