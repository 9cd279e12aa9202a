"""The package's layout contracts (issue 13): im2col, the one geometry rule, validation of the small
functions, the views' one way to invalidate, and the explorer pattern that CONTRIBUTING.md documents.

Expected values come from independent computations (explicit loops, the definition of a window), never from
the code under test.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import conv, plotting, shapes  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------------------------
# im2col
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stride, padding, dilation", [(1, "valid", 1), (2, "same", 1), ((1, 2), 1, (2, 1))])
def test_im2col_rows_are_the_windows_in_kernel_order(stride, padding, dilation):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 8, 3))
    kh, kw = 3, 2
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    padded, (top, bottom, left, right) = conv.pad2d(x, (kh, kw), stride=stride, padding=padding, dilation=dilation)
    oh = (padded.shape[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (padded.shape[2] - dw * (kw - 1) - 1) // sw + 1
    expected = [padded[n, i * sh + a * dh, j * sw + b * dw, c]
                for n in range(2) for i in range(oh) for j in range(ow)
                for a in range(kh) for b in range(kw) for c in range(3)]
    cols = conv.im2col(x, (kh, kw), stride=stride, padding=padding, dilation=dilation)
    assert cols.shape == (2 * oh * ow, kh * kw * 3)
    np.testing.assert_array_equal(cols.ravel(), expected)


def test_im2col_times_kernels_is_conv2d():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(9, 9, 2))
    k = rng.normal(size=(3, 3, 2, 4))
    out = (conv.im2col(x, 3, stride=2, padding="same") @ k.reshape(-1, 4)).reshape(5, 5, 4)
    np.testing.assert_allclose(out, conv.conv2d(x, k, stride=2, padding="same"), rtol=1e-12, atol=1e-12)


def test_im2col_errors_name_the_argument():
    with pytest.raises(ValueError, match="kernel height 5 is larger than the padded input height 4"):
        conv.im2col(np.zeros((4, 4)), 5)
    with pytest.raises(ValueError, match="kernel_size must be a positive integer"):
        conv.im2col(np.zeros((4, 4)), 0)
    with pytest.raises(TypeError, match="x must be a numpy array"):
        conv.im2col(None, 3)


# ------------------------------------------------------------------------------------------------
# validation of filter2d, pad2d, relu
# ------------------------------------------------------------------------------------------------


def test_filter2d_pad2d_relu_reject_bad_arguments_by_name():
    with pytest.raises(TypeError, match="flip must be True or False, got 1 "):
        conv.filter2d(np.zeros((4, 4)), np.ones((2, 2)), flip=1)
    with pytest.raises(TypeError, match="image must be a numpy array"):
        conv.filter2d("abc", np.ones((2, 2)))
    with pytest.raises(ValueError, match="stride must be a positive integer, got 0"):
        conv.filter2d(np.zeros((4, 4)), np.ones((2, 2)), stride=0)
    with pytest.raises(TypeError, match=r"value must be a number, got \[1, 2\] \(list\)"):
        conv.pad2d(np.zeros((4, 4)), 3, padding=1, value=[1, 2])
    with pytest.raises(ValueError, match="padding must be a whole number >= 0, got -1"):
        conv.pad2d(np.zeros((4, 4)), 3, padding=-1)
    with pytest.raises(TypeError, match="x must be a numeric array, got NoneType"):
        conv.relu(None)
    with pytest.raises(TypeError, match="x must be a numeric array, got list"):
        conv.relu([["a"]])


def test_filter2d_pad2d_relu_keep_their_results_for_valid_input():
    image = np.arange(16.0).reshape(4, 4)
    kernel = np.array([[1.0, -1.0], [0.0, 2.0]])
    loops = np.array([[(image[i:i + 2, j:j + 2] * kernel).sum() for j in range(3)] for i in range(3)])
    np.testing.assert_array_equal(conv.filter2d(image, kernel, flip=np.bool_(False)), loops)
    padded, pads = conv.pad2d(image, 3, padding=1, value=np.float32(-1))
    assert pads == (1, 1, 1, 1) and padded[0, 0] == -1 and padded[1:-1, 1:-1].tolist() == image.tolist()
    assert conv.relu(np.array([-1, 2], dtype=np.int64)).tolist() == [0.0, 2.0]
    assert conv.relu(np.array([-1.5], dtype=np.float16)).dtype == np.float16


# ------------------------------------------------------------------------------------------------
# one geometry rule
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size, k, s, padding, d", [(7, 3, 1, "valid", 1), (8, 3, 2, "same", 2), (5, 2, 3, 2, 1),
                                                    (6, 4, 2, "same", 1), (32, 5, 2, "valid", 1)])
def test_window_plan_counts_the_windows_that_fit(size, k, s, padding, d):
    plan = shapes.window_plan(size, k, s, padding, d)
    padded = size + plan.before + plan.after
    span = d * (k - 1) + 1
    starts = list(range(0, padded - span + 1, s))  # every window that fits, by definition
    assert (plan.padded, plan.span, plan.out) == (padded, span, len(starts))
    assert plan.leftover == padded - (starts[-1] + span)
    assert (plan.before, plan.after) == shapes.padding_amounts(size, k, s, padding, d)


def test_every_window_that_does_not_fit_says_so_in_one_wording():
    """The calculators, conv, pooling and the receptive-field stack share the message of window_plan."""
    messages = []
    for call in (lambda: shapes.conv_output_size(3, 5), lambda: conv.conv2d(np.zeros((3, 3, 1)), np.zeros((5, 5, 1, 1))),
                 lambda: conv.max_pool2d(np.zeros((3, 3)), 5), lambda: shapes.receptive_field_mask([(5, 1)], 3, 0),
                 lambda: shapes.receptive_field_tower([(5, 1)], 3)):
        with pytest.raises(ValueError) as info:
            call()
        messages.append(str(info.value))
    pattern = r"5( \(effective 5 with dilation 1\))? is larger than the padded input( height)? 3 \(size 3 \+ 2\*0 padding\)"
    assert all(re.search(pattern, m) for m in messages), messages


def test_stack_sizes_and_tower_defaults():
    assert shapes.stack_sizes([(3, 1), (2, 2), (3, 1, 2)], 20) == [20, 18, 9, 5]
    masks, positions, sizes = shapes.receptive_field_tower([(3, 1), (3, 1)], 9)
    assert sizes == [9, 7, 5] and np.flatnonzero(masks[-1]).tolist() == [2]
    with pytest.raises(ValueError, match="unit must be between 0 and 4"):
        shapes.receptive_field_tower([(3, 1), (3, 1)], 9, 5)
    with pytest.raises(ValueError, match="input_size must be a positive integer"):
        shapes.receptive_field_tower([(3, 1)], 0)


def test_old_names_still_import_from_where_they_were():
    from helpers.explorers import NETWORK_PRESETS
    from helpers.plotting import PixelText, encode_png, receptive_field_tower  # noqa: F401

    assert NETWORK_PRESETS is shapes.NETWORK_PRESETS
    assert receptive_field_tower([{"kernel": 3}], 5, 0)[2] == [5, 3]


def test_make_images_does_not_import_the_widgets():
    code = ("import sys, runpy; sys.modules['ipywidgets'] = None; "  # importing the widgets would now fail
            "runpy.run_path('tools/make_images.py', run_name='not_main'); print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


# ------------------------------------------------------------------------------------------------
# views: one way to invalidate
# ------------------------------------------------------------------------------------------------


def test_a_static_text_change_redraws_the_background():
    view = plotting.PoolView()
    x = np.zeros((4, 4))
    x[1, 1] = 9
    view.update(x, conv.max_pool2d(x), [0, 1], [0, 1], (0, 0), x, conv.max_pool2d(x))
    view.to_png()
    assert not view.static_dirty
    view.arrow.set_text("=>")  # a plain set_text on a view text: the cached picture must not go stale
    assert view.static_dirty
    view.to_png()
    view.arrow.set_text("=>")  # no change, no redraw
    assert not view.static_dirty
    view.panels[1].set_title("pooled")
    assert view.panels[1].static_changed


def test_show_takes_the_dict_of_update_parameters():
    image = np.arange(16.0).reshape(4, 4)
    d = conv.pool_step_details(image, 1, 1)
    by_args, by_dict = plotting.PoolView(), plotting.PoolView()
    pooled = conv.max_pool2d(image)
    by_args.update(image, pooled, d["rows"], d["cols"], (1, 1), image, pooled, d["pad"], argmax=d["argmax"])
    by_dict.show({"image": image, "pooled": pooled, "rows": d["rows"], "cols": d["cols"], "out_cell": (1, 1),
                  "shifted": image, "shifted_pooled": pooled, "pad": d["pad"], "argmax": d["argmax"],
                  "something else": 1})
    assert by_args.to_png() == by_dict.to_png()


def test_feature_map_grid_numbers_the_channels():
    fig = plotting.feature_map_grid(np.zeros((4, 4, 40)), max_maps=32)
    assert [ax.get_title() for ax in fig.axes] == [str(i) for i in range(32)]
    with pytest.raises(ValueError, match="maps must have 3 dimensions"):
        plotting.feature_map_grid(np.zeros((4, 4)))


# ------------------------------------------------------------------------------------------------
# the explorer pattern
# ------------------------------------------------------------------------------------------------


def test_quiet_blocks_updates_and_nests():
    from helpers.explorers import PoolingExplorer

    ex = PoolingExplorer()
    calls = []
    ex.update = lambda: calls.append(1)
    with ex._quiet():
        with ex._quiet():
            ex.controls["shift"].value = 2
        ex.controls["shift"].value = 3
    assert calls == [] and not ex._busy
    ex.controls["shift"].value = 1
    assert calls == [1]


def test_the_contributing_example_explorer_works():
    """The ten-line explorer of CONTRIBUTING.md, run as written inside helpers.explorers."""
    import helpers.explorers as ex_module

    text = (ROOT / "CONTRIBUTING.md").read_text()
    code = re.search(r"```python\n(class PoolSizeExplorer.*?)```", text, re.S).group(1)
    namespace = dict(vars(ex_module))
    exec(code, namespace)  # noqa: S102 - our own documentation
    ex = namespace["PoolSizeExplorer"]()
    assert ex.state["output_shape"] == (4, 4) and ex.status.value == "pooled 4 x 4"
    ex.controls["pool_size"].value = 3
    assert ex.state["output_shape"] == (3, 3) and ex.figure.value[:4] == b"\x89PNG"
    ex.controls["pool_size"].value = 4
    ex.controls["stride"].value = 4
    assert ex.state["output_shape"] == (2, 2)
