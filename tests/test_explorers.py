"""Headless tests of the explorers: drive ``.controls`` and check ``.state`` / ``.result``.

Every expected value comes from an independent computation (scipy, plain numpy reshapes, brute-force
perturbation, Keras), never from the code under test.
"""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.signal import correlate2d  # noqa: E402

from helpers import shapes  # noqa: E402
from helpers.explorers import (  # noqa: E402
    NETWORK_PRESETS,
    SLIDERS,
    ConvolutionExplorer,
    LayerStackCalculator,
    PoolingExplorer,
    ReceptiveFieldExplorer,
    preset_kernel,
)

PNG = b"\x89PNG"
EDGE = np.zeros((6, 6))
EDGE[:, :3] = 10


@pytest.fixture(autouse=True)
def no_pyplot_leaks():
    """Explorers draw on their own Figures: nothing may appear in pyplot's registry."""
    plt.close("all")
    yield
    assert plt.get_fignums() == []


def _problem_shown(ex):
    return (isinstance(ex.state["problem"], str) and ex.state["problem"]
            and "cnn-problem" in ex.status._dom_classes and "Problem" in ex.status.value)


# ------------------------------------------------------------------------------------------------
# ConvolutionExplorer
# ------------------------------------------------------------------------------------------------


def test_import_does_not_load_tensorflow():
    code = "import sys, helpers.explorers, helpers.plotting; sys.exit('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=300).returncode == 0


def test_conv_default_matches_scipy():
    ex = ConvolutionExplorer()
    expected = correlate2d(EDGE, np.array([[1, 0, -1]] * 3), mode="valid")
    np.testing.assert_allclose(ex.result[:, :, 0], expected)
    assert ex.state["problem"] is None
    assert ex.figure.value[:4] == PNG
    assert "cnn-status" in ex.status._dom_classes and "cnn-figure" in ex.figure._dom_classes
    assert ex.status.value.startswith("output 4 x 4 x 1")


def test_conv_stride_changes_shape_and_result():
    ex = ConvolutionExplorer()
    full = ex.result.copy()
    ex.controls["stride"].value = 2
    assert ex.result.shape == (2, 2, 1)
    np.testing.assert_allclose(ex.result, full[::2, ::2])  # striding = subsampling the stride-1 output
    assert ex.state["output_shape"] == (2, 2, 1)
    assert "2 x 2 x 1" in ex.status.value


def test_conv_preset_changes_result():
    ex = ConvolutionExplorer()
    before = ex.result.copy()
    for name in ("horizontal edge", "box blur", "sharpen", "identity"):
        ex.controls["preset"].value = name
        expected = correlate2d(EDGE, preset_kernel(name, 3), mode="valid")
        np.testing.assert_allclose(ex.result[:, :, 0], expected, atol=1e-12)
    assert not np.allclose(before, ex.result)
    np.testing.assert_allclose(ex.result[:, :, 0], EDGE[1:-1, 1:-1])  # identity keeps the centre pixels


def test_conv_random_preset_gives_new_kernel_each_time():
    ex = ConvolutionExplorer()
    ex.controls["preset"].value = "random"
    first = ex.state["kernel"].copy()
    ex.controls["preset"].value = "identity"
    ex.controls["preset"].value = "random"
    assert not np.array_equal(first, ex.state["kernel"])
    np.testing.assert_allclose(ex.result[:, :, 0], correlate2d(EDGE, ex.state["kernel"], mode="valid"))


@pytest.mark.parametrize(("stride", "padding", "dilation"), [(1, "valid", 1), (2, 1, 1), (1, "same", 2),
                                                             (2, "same", 1), (3, 2, 1)])
def test_conv_every_step_window_and_sum(stride, padding, dilation):
    ex = ConvolutionExplorer(image="digit")
    c = ex.controls
    c["stride"].value, c["padding"].value, c["dilation"].value = stride, padding, dilation
    x = ex._input()
    k = ex.state["kernel"]
    pads = ex.state["pad"]
    xp = np.pad(x, ((pads[0], pads[1]), (pads[2], pads[3])))
    oh, ow = ex.result.shape[:2]
    assert c["step"].max == oh * ow - 1
    for step in range(oh * ow):
        c["step"].value = step
        row, col = divmod(step, ow)
        assert (ex.state["row"], ex.state["col"]) == (row, col)
        rows = [row * stride + a * dilation for a in range(3)]
        cols = [col * stride + b * dilation for b in range(3)]
        assert ex.state["window_rows"] == rows and ex.state["window_cols"] == cols
        independent = float((xp[np.ix_(rows, cols)] * k).sum())
        assert ex.state["products_sum"] == pytest.approx(independent)
        assert ex.result[row, col, 0] == pytest.approx(independent)


def test_conv_padding_same_and_int():
    ex = ConvolutionExplorer()
    ex.controls["padding"].value = "same"
    assert ex.result.shape[:2] == (6, 6)
    ex.controls["padding"].value = 2
    expected = correlate2d(np.pad(EDGE, 2), np.array([[1, 0, -1]] * 3), mode="valid")
    np.testing.assert_allclose(ex.result[:, :, 0], expected)


def test_conv_padding_options_follow_kernel_size():
    ex = ConvolutionExplorer()
    ex.controls["kernel_size"].value = 5
    assert list(ex.controls["padding"].options) == ["valid", "same", 0, 1, 2, 3, 4]
    ex.controls["padding"].value = 4
    ex.controls["kernel_size"].value = 2
    assert list(ex.controls["padding"].options) == ["valid", "same", 0, 1]
    assert ex.controls["padding"].value == 1
    assert ex.state["padding"] == 1


def test_conv_multiplications_and_formula():
    ex = ConvolutionExplorer(image="camera")
    ex.controls["kernel_size"].value = 5
    ex.controls["stride"].value = 2
    oh, ow, f = ex.result.shape
    assert ex.state["multiplications"] == oh * ow * f * 5 * 5 * 1
    assert ex.state["formula"] == shapes.explain_conv_output_size(64, 5, stride=2)
    assert oh == (64 - 5) // 2 + 1


def test_conv_warning_when_stride_does_not_tile():
    ex = ConvolutionExplorer()
    assert ex.warning.layout.display == "none" and ex.state["warning"] is None
    ex.controls["stride"].value = 2  # (6 - 3) / 2 is not whole
    assert "cnn-warning" in ex.warning._dom_classes
    assert ex.warning.layout.display != "none"
    assert "does not tile" in ex.state["warning"]
    ex.controls["stride"].value = 3  # (6 - 3) / 3 = 1: tiles
    assert ex.state["warning"] is None


def test_conv_kernel_larger_than_input_is_explained():
    ex = ConvolutionExplorer()
    ex.controls["kernel_size"].value = 7
    assert _problem_shown(ex)
    assert "larger" in ex.state["problem"]
    assert ex.figure.value[:4] == PNG
    ex.controls["padding"].value = 1  # 6 + 2 = 8 >= 7: fits again
    assert ex.state["problem"] is None
    assert "cnn-problem" not in ex.status._dom_classes
    assert ex.result.shape == (2, 2, 1)


def test_conv_editing_kernel_makes_custom():
    ex = ConvolutionExplorer()
    ex._boxes[1][1].value = 2.0
    assert ex.controls["preset"].value == "custom"
    kernel = np.array([[1, 0, -1], [1, 2, -1], [1, 0, -1]], dtype=float)
    np.testing.assert_allclose(ex.state["kernel"], kernel)
    np.testing.assert_allclose(ex.result[:, :, 0], correlate2d(EDGE, kernel, mode="valid"))
    ex.controls["stride"].value = 2  # custom kernel survives other changes
    np.testing.assert_allclose(ex.state["kernel"], kernel)
    assert len(ex.kernel_grid.children) == 9


def test_conv_kernel_grid_follows_kernel_size():
    ex = ConvolutionExplorer(image="camera")
    ex.controls["kernel_size"].value = 5
    assert len(ex.kernel_grid.children) == 25
    ex.controls["kernel_size"].value = 7
    assert len(ex.kernel_grid.children) == 0 and "preset" in ex.kernel_note.value


def test_conv_rgb_volume_with_filters():
    ex = ConvolutionExplorer(image="rgb")
    assert ex.controls["mode"].value == "RGB volume"
    ex.controls["filters"].value = 3
    x = ex._input()
    assert x.shape == (6, 6, 3)
    assert ex.result.shape == (4, 4, 3)
    k = ex.state["kernel"]
    # filter 1: the same kernel slice on every channel, summed over the channels
    expected = sum(correlate2d(x[:, :, ch], k, mode="valid") for ch in range(3))
    np.testing.assert_allclose(ex.result[:, :, 0], expected, atol=1e-12)
    # filter 2: red minus green (identity slices)
    np.testing.assert_allclose(ex.result[:, :, 1], x[1:-1, 1:-1, 0] - x[1:-1, 1:-1, 1], atol=1e-12)
    assert ex.state["filters"] == 3 and ex.state["multiplications"] == 4 * 4 * 3 * 9 * 3
    ex.controls["step"].value = 5
    assert ex.state["products_sum"] == pytest.approx(ex.result[1, 1, 0])
    assert "red" in ex.products.value


def test_conv_single_channel_ignores_filters_and_grays_colour():
    ex = ConvolutionExplorer(image="astronaut", mode="single channel")
    ex.controls["filters"].value = 4
    assert ex.controls["filters"].disabled
    assert ex.result.shape == (62, 62, 1)
    ex.controls["mode"].value = "RGB volume"
    assert ex.result.shape == (62, 62, 4)
    assert not ex.controls["filters"].disabled


def test_conv_custom_arrays_and_play_link():
    image = np.arange(25.0).reshape(5, 5)
    kernel = np.array([[0.0, 1.0], [2.0, 0.0]])
    ex = ConvolutionExplorer(image=image, kernel=kernel)
    assert ex.controls["image"].value == "your array" and ex.controls["preset"].value == "custom"
    np.testing.assert_allclose(ex.result[:, :, 0], correlate2d(image, kernel, mode="valid"))
    ex.controls["play"].value = 3
    assert ex.controls["step"].value == 3 and ex.state["step"] == 3
    before = ex.figure.value
    ex.controls["step"].value = 7
    assert ex.figure.value != before


def test_conv_bad_arguments_raise():
    with pytest.raises(ValueError, match="image"):
        ConvolutionExplorer(image="nope")
    with pytest.raises(ValueError, match="square"):
        ConvolutionExplorer(kernel=np.ones((2, 3)))


def test_display_hooks_and_css_classes():
    ex = ConvolutionExplorer()
    for name, w in ex.controls.items():
        assert f"cnn-control-{name}" in w._dom_classes
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id


def test_show_only_hides_the_other_controls_which_still_work_from_code():
    ex = ConvolutionExplorer()
    assert ex.show_only("play", "step") is ex
    shown = {name for name, w in ex.controls.items() if w.layout.display != "none"}
    assert shown == {"play", "step"}
    ex.controls["stride"].value = 2                    # hidden, still drives the explorer
    assert ex.result.shape == (2, 2, 1)
    ex.show_only("stride")
    assert ex.controls["stride"].layout.display == "" and ex.controls["step"].layout.display == "none"
    with pytest.raises(ValueError, match="names"):
        ex.show_only()
    with pytest.raises(ValueError, match="strides"):
        ex.show_only("strides")


def test_sliders_are_defined_once_and_keyboard_friendly():
    for name, factory in SLIDERS.items():
        w = factory()
        assert w.description, name
        if hasattr(w, "continuous_update"):
            assert w.continuous_update is False, name
    assert SLIDERS["stride"](value=2).value == 2


# ------------------------------------------------------------------------------------------------
# PoolingExplorer
# ------------------------------------------------------------------------------------------------


def _block_pool(x, p, fn):
    h, w = x.shape[0] // p * p, x.shape[1] // p * p
    return fn(x[:h, :w].reshape(h // p, p, w // p, p), axis=(1, 3))


def test_pooling_default_matches_reshape():
    ex = PoolingExplorer()
    x = ex._input()
    np.testing.assert_allclose(ex.result, _block_pool(x, 2, np.max))
    ex.controls["mode"].value = "average"
    np.testing.assert_allclose(ex.result, _block_pool(x, 2, np.mean))
    assert "cnn-status" in ex.status._dom_classes and ex.figure.value[:4] == PNG


def test_pooling_shift():
    ex = PoolingExplorer()
    x = ex._input()
    np.testing.assert_allclose(ex.shifted_result, ex.result)
    assert ex.state["changed_fraction"] == 0
    ex.controls["shift"].value = 2
    shifted = np.hstack([np.zeros((8, 2)), x[:, :-2]])
    expected = _block_pool(shifted, 2, np.max)
    np.testing.assert_allclose(ex.shifted_result, expected)
    changed = ~np.isclose(_block_pool(x, 2, np.max), expected)
    assert ex.state["changed"] == changed.sum()
    assert ex.state["changed_fraction"] == pytest.approx(changed.mean())
    assert f"{changed.sum()} of 16" in ex.status.value


def test_pooling_step_window_and_value():
    ex = PoolingExplorer()
    ex.controls["pool_size"].value = 3
    ex.controls["stride"].value = 1
    x = ex._input()
    oh, ow = ex.result.shape
    assert (oh, ow) == (6, 6)
    for step in (0, 7, 35):
        ex.controls["step"].value = step
        r, c = divmod(step, ow)
        assert ex.state["value"] == x[r:r + 3, c:c + 3].max() == ex.result[r, c]


def test_pooling_same_padding_and_problem():
    ex = PoolingExplorer(image=np.arange(9.0).reshape(3, 3))
    ex.controls["pool_size"].value = 4
    assert _problem_shown(ex)
    ex.controls["padding"].value = "same"
    assert ex.state["problem"] is None
    assert ex.result.shape == (2, 2)  # ceil(3 / 2)


# ------------------------------------------------------------------------------------------------
# ReceptiveFieldExplorer
# ------------------------------------------------------------------------------------------------


def _brute_force_mask(layers, n, unit):
    """Which input rows reach output row ``unit``: push a row of ones through all-ones kernels."""
    from helpers import conv

    mask = np.zeros(n, dtype=bool)
    for i in range(n):
        x = np.zeros((n, 1, 1))
        x[i] = 1
        for k, s, d in layers:
            x = conv.conv2d(x, np.ones((k, 1, 1, 1)), stride=(s, 1), dilation=(d, 1))
        mask[i] = x[unit, 0, 0] > 0
    return mask


def test_receptive_field_default_and_growth():
    ex = ReceptiveFieldExplorer()
    assert ex.state["receptive_field"] == 7  # three 3x3 layers: 1 + 3 * 2
    fields = []
    for n in range(1, 7):
        ex.controls["layer_count"].value = n
        assert ex.table == shapes.receptive_field(ex.layers)
        fields.append(ex.state["receptive_field"])
    assert fields == [1 + 2 * n for n in range(1, 7)]
    assert "cnn-table" in ex.table_html._dom_classes and "<table" in ex.table_html.value


def test_receptive_field_mask_matches_brute_force():
    ex = ReceptiveFieldExplorer(input_size=24)
    c = ex.controls
    c["stride_2"].value = 2
    c["dilation_3"].value = 2
    c["unit"].value = 1
    expected = _brute_force_mask(ex.layers, 24, 1)
    np.testing.assert_array_equal(ex.state["mask"], expected)
    assert ex.state["pixels_seen"] == expected.sum() ** 2
    assert c["unit"].max == ex.state["output_size"] - 1


def test_receptive_field_impossible_stack_is_explained():
    ex = ReceptiveFieldExplorer(input_size=10)
    ex.controls["layer_count"].value = 6
    for i in range(1, 7):
        ex.controls[f"kernel_{i}"].value = 5
    assert _problem_shown(ex)
    assert "does not fit" in ex.state["problem"]
    ex.controls["layer_count"].value = 2
    assert ex.state["problem"] is None and ex.state["receptive_field"] == 9


# ------------------------------------------------------------------------------------------------
# LayerStackCalculator
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(NETWORK_PRESETS))
def test_layer_stack_presets_match_summarize(name):
    calc = LayerStackCalculator()
    calc.controls["preset"].value = name
    shape, layers = NETWORK_PRESETS[name]
    expected = shapes.summarize(shape, layers)
    assert calc.input_shape == shape
    assert calc.summary.total_params == expected.total_params == calc.state["total_params"]
    assert calc.summary.total_multiplications == expected.total_multiplications
    assert f"{expected.total_params:,}" in calc.table_html.value
    assert calc.state["problem"] is None


def test_layer_stack_published_counts():
    calc = LayerStackCalculator()
    calc.controls["preset"].value = "VGG-16"
    assert calc.summary.total_params == 138_357_544  # VGG-16 as published (and keras.applications)
    calc.controls["preset"].value = "LeNet-5 (32x32x1)"
    assert calc.summary.total_params == 61_706


def test_layer_stack_impossible_stack_sets_problem():
    calc = LayerStackCalculator(input_shape=(8, 8, 1))
    calc.add_layer({"type": "Conv2D", "filters": 4, "kernel_size": 11})
    assert _problem_shown(calc)
    assert calc.state["problem"].startswith("layer 5 (Conv2D)")
    assert calc.summary is not None and len(calc.summary.rows) == 4  # the valid prefix stays on show
    assert calc.compare_with_keras() is None
    calc.remove_layer()
    assert calc.state["problem"] is None


def test_layer_stack_buttons_and_controls():
    calc = LayerStackCalculator(layers=[], input_shape=(28, 28, 1))
    c = calc.controls
    c["layer_type"].value = "Conv2D"
    c["filters"].value = 8
    c["kernel_size"].value = 3
    c["add"].click()
    c["layer_type"].value = "MaxPooling2D"
    assert c["filters"].layout.display == "none" and c["pool_size"].layout.display != "none"
    assert c["strides"].value == c["pool_size"].value == 2  # Keras's default for pooling
    c["add"].click()
    c["layer_type"].value = "GlobalAveragePooling2D"
    c["add"].click()
    assert [spec["type"] for spec in calc.layers] == ["Conv2D", "MaxPooling2D", "GlobalAveragePooling2D"]
    assert calc.summary.output_shape == (8,)
    assert calc.summary.total_params == 3 * 3 * 1 * 8 + 8
    c["remove"].click()
    assert calc.summary.output_shape == (13, 13, 8)


def test_layer_stack_input_change_marks_custom():
    calc = LayerStackCalculator()
    calc.controls["preset"].value = "LeNet-5 (32x32x1)"
    calc.controls["input_height"].value = 28
    assert calc.controls["preset"].value == "custom"
    assert calc.summary.rows[0]["output_shape"] == (24, 28, 6)


def test_compare_with_keras_lenet():
    calc = LayerStackCalculator()
    calc.controls["preset"].value = "LeNet-5 (32x32x1)"
    import keras

    model = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Conv2D(6, 5), keras.layers.AveragePooling2D(2),
                              keras.layers.Conv2D(16, 5), keras.layers.AveragePooling2D(2), keras.layers.Flatten(),
                              keras.layers.Dense(120), keras.layers.Dense(84), keras.layers.Dense(10)])
    total = calc.compare_with_keras()
    assert total == model.count_params() == calc.summary.total_params
    assert calc.state["keras_agrees"] is True
    assert "agree" in calc.keras_html.value


# ------------------------------------------------------------------------------------------------
# FeatureMapViewer
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model():
    import keras

    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(3, 3, name="c1"),
                             keras.layers.MaxPooling2D(2, name="p1"), keras.layers.Conv2D(2, 3, name="c2"),
                             keras.layers.Flatten(), keras.layers.Dense(2)])


def test_feature_map_viewer(tiny_model):
    from helpers.explorers import FeatureMapViewer

    image = np.random.default_rng(0).random((12, 12, 1))
    viewer = FeatureMapViewer(tiny_model, image)
    assert list(viewer.controls["layer"].options) == ["c1", "p1", "c2"]
    w, b = tiny_model.get_layer("c1").get_weights()
    c1 = correlate2d(image[:, :, 0], w[:, :, 0, 0], mode="valid") + b[0]
    np.testing.assert_allclose(viewer.result, c1, atol=1e-5)
    assert viewer.controls["channel"].max == 2
    viewer.controls["channel"].value = 2
    np.testing.assert_allclose(viewer.result, correlate2d(image[:, :, 0], w[:, :, 0, 2], mode="valid") + b[2],
                               atol=1e-5)
    assert viewer.state["has_filter"]
    viewer.controls["layer"].value = "p1"
    assert viewer.result.shape == (5, 5) and not viewer.state["has_filter"]
    viewer.controls["layer"].value = "c2"
    assert viewer.controls["channel"].max == 1 and viewer.state["channel"] == 1
    viewer.controls["show_all"].value = True
    assert viewer.grid_image.value[:4] == PNG and viewer.grid_image.layout.display != "none"
    assert viewer.figure.value[:4] == PNG


def test_layer_stack_shows_exactly_the_boxes_of_the_chosen_layer_type():
    # regression: the number boxes once shared one Layout, so hiding "units" hid the input-shape boxes too
    ex = LayerStackCalculator()
    c = ex.controls
    for layer_type, shown, hidden in [("Conv2D", "filters", "units"), ("Dense", "units", "filters")]:
        c["layer_type"].value = layer_type
        assert c[shown].layout.display != "none" and c[hidden].layout.display == "none"
        for name in ("input_height", "input_width", "input_channels"):
            assert c[name].layout.display != "none", f"{name} must stay visible with {layer_type}"


# ------------------------------------------------------------------------------------------------
# Uploads: the student's own photo in ConvolutionExplorer and PoolingExplorer
# ------------------------------------------------------------------------------------------------

import _upload_files as files  # noqa: E402
from PIL import Image  # noqa: E402

from helpers.data import image_from_bytes  # noqa: E402


def _same(a, b):
    """Deep equality of two state dicts (numpy arrays compared by value)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


_BAD_FILES = {
    "empty": (b"", "empty"),
    "not an image": (b"my essay about convolutions", "not an image"),
    "truncated PNG": (files.png_rgb(100, 120)[:600], "damaged or incomplete"),
    "truncated JPEG": (files.jpeg_rgb(100, 120)[:900], "damaged or incomplete"),
    "50 megapixels": (files.header_only_png(10000, 5000), "50.0 megapixels"),
    "HEIC": (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC"),
}

# files that are converted, with the words of the note that says how
_CONVERTED_FILES = {
    "alpha": (files.png_rgba(np.dstack([files.rgb_array(20, 30), np.full((20, 30), 100, np.uint8)])),
              "composited on white"),
    "16-bit": (files.png_gray16(np.arange(600).reshape(20, 30) * 100), "16-bit"),
    "CMYK": (files.jpeg_cmyk(), "CMYK"),
    "animated GIF": (files.animated_gif(), "first frame"),
    "big photo": (files.jpeg_rgb(600, 800), "resized from 600 x 800 to 48 x 64"),
}


@pytest.fixture(params=[ConvolutionExplorer, PoolingExplorer], ids=["convolution", "pooling"])
def explorer(request):
    return request.param()


def test_upload_control_accepts_images_and_starts_empty(explorer):
    upload = explorer.controls["upload"]
    assert upload.value == () and not upload.multiple
    for ext in (".png", ".jpg", ".jpeg"):
        assert ext in upload.accept
    assert "cnn-control-upload" in upload._dom_classes


def test_uploaded_photo_becomes_the_shown_image(explorer):
    content = files.png_rgb(300, 400)
    expected = image_from_bytes(content, mode="gray", size=64)  # (48, 64): grey, shrunk to the working size
    explorer.controls["upload"].value = files.upload_value(content, "my cat.png")
    image = explorer.controls["image"]
    assert image.value == "uploaded: my cat.png" and image.options[0] == "uploaded: my cat.png"
    assert "grid" in image.options  # the other images are still there
    assert explorer.state["problem"] is None and explorer.state["image"] == "uploaded: my cat.png"
    assert "cnn-upload-refused" not in explorer.status._dom_classes
    assert "my cat.png" in explorer.upload_note.value and "48 x 64" in explorer.upload_note.value
    assert explorer.controls["upload"].value == ()  # cleared: the same file can be chosen again
    if isinstance(explorer, ConvolutionExplorer):
        assert explorer.state["input_shape"] == (48, 64, 1)
        k = explorer.state["kernel"]
        np.testing.assert_allclose(explorer.result[:, :, 0], correlate2d(expected, k, mode="valid"), atol=1e-9)
        assert "RGB volume" in explorer.upload_note.value  # a colour photo in single-channel mode: say so
        explorer.controls["mode"].value = "RGB volume"
        assert explorer.state["input_shape"] == (48, 64, 3)
        colour = image_from_bytes(content, mode="rgb", size=64)
        np.testing.assert_allclose(explorer._input(), colour)
    else:
        assert explorer.state["input_shape"] == (48, 64)
        np.testing.assert_allclose(explorer.result, _block_pool(expected, 2, np.max))
    # choosing another image and coming back keeps the upload
    image.value = "grid"
    image.value = "uploaded: my cat.png"
    assert explorer.state["input_shape"][:2] == (48, 64)


@pytest.mark.parametrize("case", list(_BAD_FILES))
def test_bad_upload_is_explained_and_changes_nothing(explorer, case):
    content, words = _BAD_FILES[case]
    explorer.controls["stride"].value = 2
    state = {k: (v.copy() if isinstance(v, (dict, list, np.ndarray)) else v) for k, v in explorer.state.items()}
    picture, options, shown = explorer.figure.value, explorer.controls["image"].options, explorer.status.value
    explorer.controls["upload"].value = files.upload_value(content, f"{case}.png")
    assert _same(explorer.state, state)
    assert explorer.figure.value == picture and explorer.controls["image"].options == options
    status = explorer.status.value
    assert "Could not use that upload" in status and words in status and f"{case}.png" in status
    assert "Traceback" not in status and "cnn-upload-refused" in explorer.status._dom_classes
    assert shown in status  # still says what is on show
    assert explorer.controls["upload"].value == ()
    explorer.controls["stride"].value = 1  # the next change writes an ordinary status again
    assert "Could not use" not in explorer.status.value
    assert "cnn-upload-refused" not in explorer.status._dom_classes


@pytest.mark.parametrize("case", list(_CONVERTED_FILES))
def test_unusual_upload_is_converted_with_a_note(explorer, case):
    content, words = _CONVERTED_FILES[case]
    explorer.controls["upload"].value = files.upload_value(content, f"{case}.img")
    assert explorer.controls["image"].value == f"uploaded: {case}.img"
    assert explorer.state["problem"] is None
    assert words in explorer.upload_note.value
    assert any(words in n for n in explorer.upload_notes)


def test_an_empty_value_is_not_an_upload(explorer):
    state, status = dict(explorer.state), explorer.status.value
    explorer.controls["upload"].value = ()
    assert explorer.status.value == status and explorer.state.keys() == state.keys()


def test_uploads_are_kept_up_to_a_limit_newest_first(explorer):
    for i in range(explorer.MAX_UPLOADS + 2):
        explorer.controls["upload"].value = files.upload_value(files.png_rgb(10, 12, seed=i), f"p{i}.png")
    uploaded = [o for o in explorer.controls["image"].options if o.startswith("uploaded: ")]
    n = explorer.MAX_UPLOADS + 2
    assert uploaded == [f"uploaded: p{i}.png" for i in range(n - 1, n - 1 - explorer.MAX_UPLOADS, -1)]
    explorer.controls["upload"].value = files.upload_value(files.png_rgb(10, 12, seed=99), f"p{n - 2}.png")
    assert explorer.controls["image"].options[0] == f"uploaded: p{n - 2}.png"  # same name: replaced, not doubled
    assert sum(o == f"uploaded: p{n - 2}.png" for o in explorer.controls["image"].options) == 1


def test_a_tiny_upload_is_explained_by_the_explorer_not_refused():
    ex = ConvolutionExplorer()
    ex.controls["upload"].value = files.upload_value(files.encode(Image.new("L", (2, 2), 128)), "dot.png")
    assert ex.controls["image"].value == "uploaded: dot.png"
    assert _problem_shown(ex) and "kernel" in ex.state["problem"]  # 3 x 3 kernel on 2 x 2: the usual words
    ex.controls["kernel_size"].value = 1
    assert ex.state["problem"] is None and ex.result.shape == (2, 2, 1)


def test_upload_note_follows_the_image_on_show():
    ex = ConvolutionExplorer()
    ex.controls["upload"].value = files.upload_value(files.png_rgb(30, 40), "colour.png")
    assert ex.upload_note.layout.display == "" and "RGB volume" in ex.upload_note.value
    ex.controls["mode"].value = "RGB volume"  # the hint about the mode goes once it is followed
    assert "RGB volume" not in ex.upload_note.value and "colour.png" in ex.upload_note.value
    ex.controls["image"].value = "camera"  # a built-in picture: no note about an upload
    assert ex.upload_note.layout.display == "none" and ex.upload_notes == []
    ex.controls["image"].value = "uploaded: colour.png"
    assert ex.upload_note.layout.display == "" and "30 x 40" in ex.upload_note.value
    note = ex.upload_note.value
    ex.controls["upload"].value = files.upload_value(b"", "empty.png")  # refused: the note, like the picture, stays
    assert "empty.png" in ex.status.value and ex.upload_note.value == note


# ------------------------------------------------------------------------------------------------
# ExplanationExplorer
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_classifier():
    import keras

    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(3, 3, activation="relu", name="c1"),
                             keras.layers.MaxPooling2D(2, name="p1"),
                             keras.layers.Conv2D(4, 3, activation="relu", name="c2"), keras.layers.Flatten(),
                             keras.layers.Dense(3, activation="softmax")])


def test_explanation_explorer_methods_classes_and_images(tiny_classifier):
    from helpers import models
    from helpers.explorers import ExplanationExplorer

    images = np.random.default_rng(0).random((4, 12, 12, 1)).astype("float32")
    probs = np.asarray(tiny_classifier(images))
    ex = ExplanationExplorer(tiny_classifier, images, labels=[2, 0, 1, 1])
    c = ex.controls
    assert set(c) == {"image", "class", "method", "patch"} and c["image"].max == 3
    assert list(c["class"].options) == ["predicted", 0, 1, 2]
    assert ex.state["method"] == "saliency" and ex.state["class_index"] == ex.state["predicted"] == probs[0].argmax()
    np.testing.assert_allclose(ex.result, models.saliency(tiny_classifier, images[0]), atol=1e-7)
    assert "label 2" in ex.status.value and ex.figure.value[:4] == PNG
    assert c["patch"].disabled
    c["image"].value = 2
    c["class"].value = 1
    assert ex.state["image"] == 2 and ex.state["class_index"] == 1
    assert ex.state["probability"] == pytest.approx(float(probs[2, 1]), abs=1e-6)
    np.testing.assert_allclose(ex.result, models.saliency(tiny_classifier, images[2], 1), atol=1e-7)
    c["method"].value = "occlusion"
    assert not c["patch"].disabled and ex.state["patch"] == 6 and ex.state["raw_shape"] == (3, 3)
    c["patch"].value = 4  # stride 2: positions 0, 2, ..., 8
    assert ex.state["raw_shape"] == (5, 5) and ex.result.shape == (12, 12)
    c["method"].value = "grad-cam"
    assert ex.state["raw_shape"] == (3, 3) and ex.result.shape == (12, 12)
    np.testing.assert_allclose(ex.result, models.grad_cam(tiny_classifier, images[2], 1, upsample=True), atol=1e-6)
    assert "grad-cam" in ex.status.value.lower() or "ReLU" in ex.status.value
    c["class"].value = "predicted"
    assert ex.state["class_index"] == probs[2].argmax()


def test_explanation_explorer_blank_pad_and_new_images(tiny_classifier):
    from helpers.explorers import ExplanationExplorer

    ex = ExplanationExplorer(tiny_classifier, None)  # a blank drawing pad: no image yet
    assert _problem_shown(ex) and "draw a digit" in ex.state["problem"] and ex.figure.value[:4] == PNG
    ex.controls["method"].value = "occlusion"  # still no traceback
    assert _problem_shown(ex)
    one = np.random.default_rng(1).random((12, 12))  # one (H, W) drawing
    ex.set_images(one)
    assert ex.state["problem"] is None and ex.state["image"] == 0 and ex.controls["image"].disabled
    ex.set_images(np.zeros((7, 7)))  # wrong shape: shown, the drawing stays
    assert _problem_shown(ex) and "(12, 12, 1)" in ex.state["problem"]
    assert ex.images.shape == (1, 12, 12, 1)
    ex.set_images(np.random.default_rng(2).random((3, 12, 12)))
    assert ex.state["problem"] is None and ex.controls["image"].max == 2
    ex.controls["image"].value = 2
    ex.set_images(one)  # fewer images: the slider comes back in range
    assert ex.controls["image"].value == 0 and ex.state["problem"] is None
    ex.set_images(None)
    assert _problem_shown(ex)


def test_explanation_explorer_bad_arguments(tiny_classifier):
    from helpers.explorers import ExplanationExplorer

    with pytest.raises(TypeError, match="model"):
        ExplanationExplorer("lenet", np.zeros((12, 12, 1)))
    with pytest.raises(ValueError, match="input shape"):
        ExplanationExplorer(tiny_classifier, np.zeros((2, 10, 10, 1)))
    with pytest.raises(ValueError, match="labels"):
        ExplanationExplorer(tiny_classifier, np.zeros((2, 12, 12, 1)), labels=[1])
    with pytest.raises(ValueError, match="finite"):
        ExplanationExplorer(tiny_classifier, np.full((12, 12, 1), np.inf))


# ------------------------------------------------------------------------------------------------
# DigitPad
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digit_model():
    """A small LeNet-like network trained for a few seconds on the 32 x 32 digits."""
    import keras

    from helpers.data import load_digits_32

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Conv2D(4, 5, activation="relu", name="ca"),
                              keras.layers.MaxPooling2D(2, name="pa"),
                              keras.layers.Conv2D(8, 5, activation="relu", name="cb"),
                              keras.layers.MaxPooling2D(2, name="pb"), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    split = load_digits_32()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(split.x_train, split.y_train, epochs=6, batch_size=32, verbose=0)
    return model


def test_digit_pad_blank_then_strokes(digit_model):
    from helpers.data import digit_from_strokes
    from helpers.explorers import DigitPad

    pad = DigitPad(digit_model)
    assert pad.image is None and pad.prediction is None and pad.state["blank"]
    assert pad.status.value == "draw a digit" and "draw a digit" in pad.prediction_html.value
    assert pad.state["problem"] is None and pad.figure.value[:4] == PNG
    assert list(pad.controls["layer"].options) == ["ca", "cb"] and pad.controls["layer"].value == "ca"
    for css in ("cnn-digit-pad", "cnn-explorer"):
        assert css in pad.widget._dom_classes
    assert "cnn-pad-canvas" in pad.canvas._dom_classes
    assert "cnn-pad-clear" in pad.controls["clear"]._dom_classes

    strokes = [[(80, 50), (200, 50), (120, 240)]]
    pad.draw(strokes)
    np.testing.assert_allclose(pad.image, digit_from_strokes(strokes))
    expected = digit_model.predict(pad.image[None], verbose=0)[0]
    np.testing.assert_allclose(pad.probabilities, expected, atol=1e-5)
    assert pad.prediction == int(np.argmax(expected)) == pad.state["prediction"]
    assert f"prediction {pad.prediction}" in pad.status.value
    assert f">{pad.prediction}</b>" in pad.prediction_html.value
    assert pad.state["map_shape"] == (28, 28, 4) and pad.view.prediction == pad.prediction


def test_digit_pad_layer_dropdown_shows_that_layers_maps(digit_model):
    import keras

    from helpers.explorers import DigitPad

    pad = DigitPad(digit_model, layer="cb")
    pad.draw([[(100, 40), (100, 250)]])
    assert pad.state["layer"] == "cb" and pad.state["map_shape"] == (10, 10, 8)
    pad.controls["layer"].value = "ca"
    assert pad.state["map_shape"] == (28, 28, 4) and "ca: 28 x 28 x 4" in pad.status.value
    expected = keras.Model(digit_model.inputs[0], digit_model.get_layer("ca").output)(pad.image[None])[0]
    from helpers.plotting import feature_map_mosaic

    np.testing.assert_allclose(pad.view.maps_panel.array, feature_map_mosaic(np.asarray(expected)), atol=1e-5)
    with pytest.raises(ValueError, match="layer"):
        DigitPad(digit_model, layer="pa")  # a pooling layer is not in the dropdown
    with pytest.raises(TypeError, match="layer"):
        DigitPad(digit_model, layer=1)


def test_digit_pad_undo_and_clear(digit_model):
    from helpers.data import digit_from_strokes
    from helpers.explorers import DigitPad

    pad = DigitPad(digit_model)
    first, second = [(100, 50), (100, 230)], [(60, 60), (140, 60)]
    pad.draw([first])
    only_first = pad.image.copy()
    pad.draw([second])
    assert pad.state["strokes"] == 2 and not np.allclose(pad.image, only_first)
    np.testing.assert_allclose(pad.image, digit_from_strokes([first, second]))
    pad.controls["undo"].click()
    np.testing.assert_allclose(pad.image, only_first)
    pad.undo()
    assert pad.image is None and pad.status.value == "draw a digit"
    pad.undo()  # nothing left: still blank, no error
    assert pad.image is None
    pad.draw([first, second])
    pad.controls["clear"].click()
    assert pad.strokes == [] and pad.image is None and pad.state["blank"]


def test_digit_pad_mouse_events_make_strokes(digit_model):
    from helpers.explorers import DigitPad

    pad = DigitPad(digit_model)
    pad._pen_move(10, 10)  # moving without the button: no ink
    assert pad.strokes == [] and pad.image is None
    pad._pen_down(100, 40)
    for y in range(50, 260, 20):
        pad._pen_move(100, y)
    assert pad.image is None, "the prediction waits for the end of the stroke"
    pad._pen_up(100, 260)
    assert len(pad.strokes) == 1 and pad.strokes[0][0] == (100.0, 40.0) and pad.strokes[0][-1] == (100.0, 260.0)
    assert pad.image is not None
    pad._pen_down(500, -20)  # outside the pad (mouse captured): clipped to the border
    pad._pen_up()
    assert pad.strokes[-1] == [(280.0, 0.0)]
    pad._pen_up()  # a second mouse-up (mouse out after up) does nothing
    assert len(pad.strokes) == 2


def test_digit_pad_reads_dataset_digits_drawn_as_strokes(digit_model):
    from helpers.data import load_digits_32, strokes_from_image
    from helpers.explorers import DigitPad

    split = load_digits_32()
    pad = DigitPad(digit_model)
    right = 0
    for x, y in zip(split.x_test[:20], split.y_test[:20], strict=True):
        pad.clear()
        pad.draw(strokes_from_image(x))
        right += pad.prediction == y
    assert right >= 14, f"only {right} of 20 traced test digits recognised"


def test_digit_pad_bad_arguments(digit_model):
    import keras

    from helpers.explorers import DigitPad

    with pytest.raises(TypeError, match="model"):
        DigitPad("lenet")
    wrong = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    with pytest.raises(ValueError, match="32 x 32 x 1"):
        DigitPad(wrong)
    pad = DigitPad(digit_model)
    with pytest.raises(TypeError, match="strokes"):
        pad.draw("a seven")
    with pytest.raises(ValueError, match="finite"):
        pad.draw([[(1, np.nan)]])
    assert pad.strokes == [] and pad.status.value == "draw a digit"
