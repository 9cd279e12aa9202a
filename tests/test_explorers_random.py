"""Hypothesis sets random allowed values on every control of every explorer.

Allowed values come from each widget itself (``min``/``max`` of sliders and bounded boxes, ``options`` of
dropdowns, both values of checkboxes), so whatever a student can reach with the mouse or keyboard is
covered; the upload button gets random files (noise, real PNG/JPEG/GIF files, their truncations and one-byte
corruptions). After every change: no exception, and a sensible state: either a problem text shown instead
of a picture, or a result whose shape the size formulas of :mod:`helpers.shapes` predict.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import _upload_files as files  # noqa: E402
import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from helpers import shapes  # noqa: E402
from helpers.explorers import (  # noqa: E402
    ConvolutionExplorer,
    LayerStackCalculator,
    PoolingExplorer,
    ReceptiveFieldExplorer,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=True)


def _value_controls(ex):
    return [name for name, w in ex.controls.items() if hasattr(w, "value")]


_VALID_FILES = [files.png_rgb(20, 30), files.jpeg_rgb(40, 30), files.animated_gif(), files.jpeg_cmyk(),
                files.png_gray16(np.eye(9) * 9000), files.png_rgba(np.full((5, 6, 4), 90))]


def _random_file(data):
    """Bytes of a random 'file': noise, a real image, or a real image cut short or with one byte changed."""
    kind = data.draw(st.integers(0, 3))
    if kind == 0:
        return data.draw(st.binary(max_size=400))
    content = _VALID_FILES[data.draw(st.integers(0, len(_VALID_FILES) - 1))]
    if kind == 1:
        return content
    at = data.draw(st.integers(0, len(content) - 1))
    if kind == 2:
        return content[:at]
    return content[:at] + bytes([data.draw(st.integers(0, 255))]) + content[at + 1:]


def _random_value(data, w):
    """A value the widget itself allows right now.

    The draw does not depend on the widget's current range (an integer mapped onto it), so hypothesis
    sees the same sequence of draws when it replays an example on an explorer in another state.
    """
    if isinstance(w, widgets.FileUpload):
        return files.upload_value(_random_file(data), "random.png")
    u = data.draw(st.integers(0, 10**6))
    if isinstance(w, (widgets.Dropdown, widgets.RadioButtons, widgets.ToggleButtons, widgets.Select)):
        options = list(w.options)
        return options[u % len(options)]
    if isinstance(w, (widgets.Checkbox, widgets.ToggleButton)):
        return bool(u % 2)
    if isinstance(w, (widgets.IntSlider, widgets.BoundedIntText, widgets.Play)):
        return w.min + u % (w.max - w.min + 1)
    if isinstance(w, widgets.FloatText):
        return round((u % 101 - 50) / 10, 1)
    raise AssertionError(f"no strategy for {type(w).__name__}")


def _drive(data, ex, extra=()):
    """Apply 1-4 random control changes; yield the name of each control to change."""
    names = _value_controls(ex) + list(extra)  # every control, disabled ones too (code can set them)
    for _ in range(data.draw(st.integers(1, 4))):
        yield data.draw(st.sampled_from(names))


def _check_problem_or(ex):
    problem = ex.state["problem"]
    if problem is not None:
        assert isinstance(problem, str) and problem.strip()
        assert "cnn-problem" in ex.status._dom_classes and "Problem" in ex.status.value
        return False
    assert "cnn-problem" not in ex.status._dom_classes
    assert ex.status.value and "Problem" not in ex.status.value
    return True


_EXPLORERS = {}


def _explorer(kind):
    """One explorer per kind for the whole module: state carries over between examples (more coverage)."""
    if kind not in _EXPLORERS:
        _EXPLORERS[kind] = kind()
    return _EXPLORERS[kind]


@pytest.fixture(autouse=True)
def no_pyplot_leaks():
    plt.close("all")   # only figures this test leaves open count (not another module's, under xdist)
    yield
    assert plt.get_fignums() == []


@SETTINGS
@given(st.data())
def test_convolution_random_controls(data):
    ex = _explorer(ConvolutionExplorer)
    for name in _drive(data, ex, extra=["kernel cell"]):
        if name == "kernel cell":
            i, j = data.draw(st.integers(0, ex.MAX_EDIT - 1)), data.draw(st.integers(0, ex.MAX_EDIT - 1))
            value = _random_value(data, ex._boxes[i][j])
            if ex._boxes[i][j] in ex.kernel_grid.children:  # only the boxes on show can be edited
                ex._boxes[i][j].value = value
        else:
            w = ex.controls[name]
            w.value = _random_value(data, w)
        s = ex.state
        if _check_problem_or(ex):
            h, w_, c = s["input_shape"]
            k, st_, p, d = s["kernel_size"], s["stride"], s["padding"], s["dilation"]
            expected = (shapes.conv_output_size(h, k, st_, p, d), shapes.conv_output_size(w_, k, st_, p, d),
                        s["filters"])
            assert ex.result.shape == expected == s["output_shape"]
            assert s["products_sum"] == pytest.approx(ex.result[s["row"], s["col"], 0], abs=1e-9)
            assert 0 <= s["step"] <= ex.controls["step"].max == expected[0] * expected[1] - 1
            assert s["multiplications"] == expected[0] * expected[1] * expected[2] * k * k * c
            assert ex.controls["padding"].value in ex.controls["padding"].options
        else:
            # only "the kernel does not fit the padded input" can go wrong here
            h, w_, _ = s["input_shape"]
            span = s["dilation"] * (s["kernel_size"] - 1) + 1
            pad = 0 if s["padding"] == "valid" else (2 * s["padding"] if isinstance(s["padding"], int) else span)
            assert span > min(h, w_) + pad
        assert ex.figure.value[:4] == b"\x89PNG"


@SETTINGS
@given(st.data())
def test_pooling_random_controls(data):
    ex = _explorer(PoolingExplorer)
    for name in _drive(data, ex):
        w = ex.controls[name]
        w.value = _random_value(data, w)
        s = ex.state
        if _check_problem_or(ex):
            h, w_ = s["input_shape"]
            expected = tuple(shapes.pool_output_size(n, s["pool_size"], s["stride"], s["padding"]) for n in (h, w_))
            assert ex.result.shape == ex.shifted_result.shape == expected
            assert s["value"] == pytest.approx(ex.result[s["row"], s["col"]])
            assert 0 <= s["changed_fraction"] <= 1
            if s["shift"] == 0:
                np.testing.assert_array_equal(ex.result, ex.shifted_result)
        else:
            assert s["padding"] == "valid" and s["pool_size"] > min(s["input_shape"])


@SETTINGS
@given(st.data())
def test_receptive_field_random_controls(data):
    ex = _explorer(ReceptiveFieldExplorer)
    for name in _drive(data, ex):
        w = ex.controls[name]
        w.value = _random_value(data, w)
        if _check_problem_or(ex):
            assert ex.table == shapes.receptive_field(ex.layers)
            assert ex.state["receptive_field"] == ex.table[-1]["receptive_field"]
            mask = shapes.receptive_field_mask(ex.layers, ex.input_size, ex.state["unit"])
            np.testing.assert_array_equal(ex.state["mask"], mask)
            assert ex.controls["unit"].max == ex.state["output_size"] - 1
        else:
            with pytest.raises(ValueError):
                shapes.receptive_field_mask(ex.layers, ex.input_size, 0)


@SETTINGS
@given(st.data())
def test_layer_stack_random_controls(data):
    ex = _explorer(LayerStackCalculator)
    buttons = ["add", "remove"]
    for name in _drive(data, ex, extra=buttons):
        if name in buttons:
            if name == "add" and len(ex.layers) > 12:
                continue
            ex.controls[name].click()
        else:
            w = ex.controls[name]
            w.value = _random_value(data, w)
        if _check_problem_or(ex):
            expected = shapes.summarize(ex.input_shape, ex.layers)
            assert ex.summary.total_params == expected.total_params
            assert ex.summary.rows == expected.rows
        else:
            with pytest.raises((ValueError, TypeError)):
                shapes.summarize(ex.input_shape, ex.layers)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.data())
def test_feature_map_viewer_random_controls(data):
    if "viewer" not in _EXPLORERS:
        import keras

        from helpers.explorers import FeatureMapViewer

        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((10, 10, 3)), keras.layers.Conv2D(4, 3, name="c1"),
                                  keras.layers.AveragePooling2D(2, name="p1"),
                                  keras.layers.SeparableConv2D(3, 2, name="s1")])
        _EXPLORERS["viewer"] = FeatureMapViewer(model, np.random.default_rng(0).random((10, 10, 3)))
    ex = _EXPLORERS["viewer"]
    for name in _drive(data, ex):
        w = ex.controls[name]
        w.value = _random_value(data, w)
        assert _check_problem_or(ex)
        maps = ex._maps[ex.state["layer"]]
        assert ex.state["channel"] < maps.shape[-1] == ex.controls["channel"].max + 1
        np.testing.assert_array_equal(ex.result, maps[:, :, ex.state["channel"]])


def _snapshot(ex):
    return ({k: (v.copy() if isinstance(v, (dict, list, np.ndarray)) else v) for k, v in ex.state.items()},
            ex.figure.value, tuple(ex.controls["image"].options))


def _same(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return a == b


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.data())
@pytest.mark.parametrize("kind", [ConvolutionExplorer, PoolingExplorer], ids=["convolution", "pooling"])
def test_random_uploads_never_raise_and_refusals_change_nothing(kind, data):
    ex = _explorer(kind)
    state, picture, options = _snapshot(ex)
    ex.controls["upload"].value = files.upload_value(_random_file(data), "random.png")
    assert ex.controls["upload"].value == ()
    if "cnn-upload-refused" in ex.status._dom_classes:
        assert "Could not use that upload" in ex.status.value and "random.png" in ex.status.value
        assert _same(ex.state, state) and ex.figure.value == picture
        assert tuple(ex.controls["image"].options) == options
    else:
        assert ex.controls["image"].value == "uploaded: random.png" == ex.state["image"]
        assert "random.png" in ex.upload_note.value
        assert ex.figure.value[:4] == b"\x89PNG"
        _check_problem_or(ex)  # a 1-pixel-wide photo may not fit the kernel: explained, not raised


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.data())
def test_explanation_explorer_random_controls(data):
    if "explain" not in _EXPLORERS:
        import keras

        from helpers.explorers import ExplanationExplorer

        keras.utils.set_random_seed(2)
        model = keras.Sequential([keras.Input((10, 10, 1)), keras.layers.Conv2D(3, 3, activation="relu"),
                                  keras.layers.MaxPooling2D(2), keras.layers.Conv2D(2, 2, activation="relu"),
                                  keras.layers.Flatten(), keras.layers.Dense(4, activation="softmax")])
        images = np.random.default_rng(0).random((3, 10, 10, 1))
        images[1] = 0.0  # a blank image: saliency and Grad-CAM may be all zero, occlusion exactly zero
        _EXPLORERS["explain"] = (ExplanationExplorer(model, images), np.asarray(model(images)))
    ex, probs = _EXPLORERS["explain"]
    for name in _drive(data, ex):
        w = ex.controls[name]
        w.value = _random_value(data, w)
        assert _check_problem_or(ex)
        s = ex.state
        expected_class = probs[s["image"]].argmax() if s["class"] == "predicted" else s["class"]
        assert s["class_index"] == expected_class and s["predicted"] == probs[s["image"]].argmax()
        assert ex.result.shape == (10, 10) == s["map_shape"]
        if s["method"] == "occlusion":
            n = (10 - s["patch"]) // max(1, s["patch"] // 2) + 1
            assert s["raw_shape"] == (n, n)
            if s["image"] == 1:  # zeros hidden by zeros: nothing changes
                assert np.all(np.nan_to_num(ex.result) == 0)
        else:
            assert np.all(ex.result >= 0)
        assert ex.figure.value[:4] == b"\x89PNG"


# strokes as a student (or a stray finger) can make them: anywhere, also far outside the pad, of one point or many,
# repeated points, tiny and huge drawings
_coord = st.floats(-400, 700, allow_nan=False, allow_infinity=False)
_stroke = st.lists(st.tuples(_coord, _coord), min_size=1, max_size=12)
_tiny_stroke = st.lists(st.tuples(st.floats(100, 100.01), st.floats(50, 50.01)), min_size=1, max_size=4)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.data())
def test_digit_pad_random_strokes(data):
    from helpers.data import digit_from_strokes

    if "pad" not in _EXPLORERS:
        import keras

        from helpers.explorers import DigitPad

        keras.utils.set_random_seed(2)
        model = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Conv2D(2, 5, name="c1"),
                                  keras.layers.MaxPooling2D(4, name="p1"), keras.layers.Conv2D(3, 3, name="c2"),
                                  keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
        _EXPLORERS["pad"] = DigitPad(model)
    pad = _EXPLORERS["pad"]
    for _ in range(data.draw(st.integers(1, 5))):
        action = data.draw(st.sampled_from(["draw", "draw", "tiny", "mouse", "undo", "clear", "layer"]))
        if action == "draw":
            pad.draw(data.draw(st.lists(_stroke, min_size=0, max_size=3)))
        elif action == "tiny":
            pad.draw(data.draw(st.lists(_tiny_stroke, min_size=1, max_size=2)))
        elif action == "mouse":  # the browser's events, out of the pad included
            points = data.draw(_stroke)
            pad._pen_down(*points[0])
            for p in points[1:]:
                pad._pen_move(*p)
            pad._pen_up(*points[-1]) if data.draw(st.booleans()) else pad._pen_up()
        elif action == "undo":
            pad.undo()
        elif action == "clear":
            pad.clear()
        else:
            pad.controls["layer"].value = data.draw(st.sampled_from(list(pad.controls["layer"].options)))
        assert pad.state["problem"] is None and "Problem" not in pad.status.value
        assert all(0 <= x <= pad.size and 0 <= y <= pad.size for s in pad.strokes for x, y in s)
        if not pad.strokes:
            assert pad.image is None and pad.prediction is None and pad.status.value == "draw a digit"
        else:
            np.testing.assert_allclose(pad.image, digit_from_strokes(pad.strokes))
            assert pad.image.shape == (32, 32, 1) and np.isfinite(pad.image).all()
            assert 0 <= pad.image.min() and pad.image.max() <= 1
            assert pad.prediction in range(10) and np.isclose(pad.probabilities.sum(), 1, atol=1e-4)
        assert pad.figure.value[:4] == b"\x89PNG"
