"""Figures are created and closed, views update their artists in place, and pixels land where they should."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from helpers import conv, plotting, shapes  # noqa: E402

EDGE = np.zeros((6, 6))
EDGE[:, :3] = 10
VERTICAL = np.array([[1.0, 0, -1]] * 3)


@pytest.fixture(autouse=True)
def clean_pyplot():
    plt.close("all")
    yield
    plt.close("all")


def _png_to_array(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


# ------------------------------------------------------------------------------------------------
# public functions: pyplot figures that the caller closes
# ------------------------------------------------------------------------------------------------


LENET = [{"type": "Conv2D", "filters": 6, "kernel_size": 5}, {"type": "AveragePooling2D", "pool_size": 2},
         {"type": "Conv2D", "filters": 16, "kernel_size": 5}, {"type": "AveragePooling2D", "pool_size": 2},
         {"type": "Flatten"}, {"type": "Dense", "units": 120}, {"type": "Dense", "units": 84},
         {"type": "Dense", "units": 10}]

PUBLIC = {
    "show_grid": lambda: plotting.show_grid(EDGE, title="edge", colorbar=True),
    "show_images": lambda: plotting.show_images([EDGE, np.ones((4, 4, 3))], titles=["a", "b"], ncols=1),
    "plot_convolution_step": lambda: plotting.plot_convolution_step(EDGE, VERTICAL, 1, 1, padding=1),
    "plot_padding": lambda: plotting.plot_padding(EDGE, padding=2),
    "plot_volume_convolution": lambda: plotting.plot_volume_convolution((8, 8, 3), 3, filters=4, stride=2),
    "plot_pooling": lambda: plotting.plot_pooling(EDGE, 3, mode="avg", row=1, col=1),
    "plot_layer_notation": lambda: plotting.plot_layer_notation(LENET, (32, 32, 1), per_row=4),
    "plot_learning_curves": lambda: plotting.plot_learning_curves({"loss": [1, 0.5], "val_loss": [1.2, 0.8]}),
    "plot_param_bars": lambda: plotting.plot_param_bars(shapes.summarize((32, 32, 1), LENET).rows),
    "plot_receptive_field": lambda: plotting.plot_receptive_field([(3, 1), (3, 2), (3, 1, 2)], input_size=20),
}


@pytest.mark.parametrize("name", list(PUBLIC))
def test_public_functions_return_pyplot_figures(name, tmp_path):
    fig = PUBLIC[name]()
    assert isinstance(fig, matplotlib.figure.Figure)
    assert fig.number in plt.get_fignums()  # shown inline by the notebook
    assert plotting.figure_to_png(fig)[:4] == b"\x89PNG"
    plt.close(fig)
    assert plt.get_fignums() == []


def test_save_writes_a_file(tmp_path):
    path = tmp_path / "grid.png"
    fig = plotting.show_grid(EDGE, save=str(path))
    plt.close(fig)
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_show_grid_writes_numbers_only_for_small_grids():
    fig = plotting.show_grid(EDGE)
    texts = [t.get_text() for t in fig.axes[0].texts if t.get_visible()]
    assert texts == [plotting.format_value(v) for v in EDGE.ravel()]
    fig2 = plotting.show_grid(np.zeros((30, 30)))
    assert not [t for t in fig2.axes[0].texts if t.get_visible()]


def test_plot_convolution_step_shows_the_sum():
    fig = plotting.plot_convolution_step(EDGE, VERTICAL, row=2, col=1)
    window = EDGE[2:5, 1:4]
    expected = f"sum of products = {plotting.format_value((window * VERTICAL).sum())}"
    assert expected in [t.get_text() for t in fig.texts]


def test_convolution_step_uses_the_cross_correlation_symbol():
    """The layer operation is cross-correlation: drawn as ⋆, never as * (kept for true convolution)."""
    texts = [t.get_text() for t in plotting.plot_convolution_step(EDGE, VERTICAL).texts]
    assert "⋆" in texts and "*" not in texts
    assert plotting.ConvView().times.get_text() == "⋆"   # the explorer's own (bitmap-text) figure


def test_layer_notation_labels_follow_the_shapes():
    fig = plotting.plot_layer_notation(LENET, (32, 32, 1))
    texts = [t.get_text() for t in fig.axes[0].texts]
    for label in ("32x32x1", "28x28x6", "14x14x6", "10x10x16", "5x5x16", "400", "10", "conv 5x5", "avg pool 2x2 /2"):
        assert label in texts


@pytest.mark.parametrize("per_row", [3, 4, 6])
def test_layer_notation_each_arrow_label_sits_at_its_own_arrow(per_row):
    """Every operation label is centred over the middle of its own arrow (the wrap arrows between rows too)."""
    from matplotlib.patches import FancyArrowPatch

    fig = plotting.plot_layer_notation(LENET, (32, 32, 1), per_row=per_row)
    ax = fig.axes[0]
    fig.canvas.draw()
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    shape_labels = {"32x32x1", "28x28x6", "14x14x6", "10x10x16", "5x5x16", "400", "120", "84", "10"}
    labels = [t for t in ax.texts if t.get_text() not in shape_labels]
    assert len(arrows) == len(labels) == len(LENET)
    to_data = ax.transData.inverted()
    for arrow, text in zip(arrows, labels, strict=True):
        (x0, y0), (x1, y1) = arrow.get_path().get_extents().get_points()
        cx, cy = to_data.transform(text.get_window_extent().get_points()).mean(axis=0)
        # horizontally at the arrow's middle, vertically at most half a row gap (0.5 in) from it
        assert abs(cx - (x0 + x1) / 2) < 0.1 * max(x1 - x0, 1.0), (text.get_text(), per_row, cx, x0, x1)
        assert abs(cy - (y0 + y1) / 2) < 0.5, (text.get_text(), per_row, cy, y0, y1)


def test_receptive_field_tower_matches_shapes():
    layers = [(3, 1), (3, 2), (2, 1, 2)]
    masks, positions, sizes = plotting.receptive_field_tower(layers, 21, 2)
    assert sizes == [21, 19, 9, 7]
    np.testing.assert_array_equal(masks[0], shapes.receptive_field_mask(layers, 21, 2))
    np.testing.assert_array_equal(masks[2], shapes.receptive_field_mask(layers[2:], 9, 2))
    assert masks[-1].sum() == 1 and len(positions[3]) == 7
    # unit centres: each layer's first unit sits in the middle of its receptive field
    rf = [row["receptive_field"] for row in shapes.receptive_field(layers)]
    assert [p[0] for p in positions[1:]] == [(r - 1) / 2 for r in rf]


def test_receptive_field_labels_sit_on_their_squares_in_a_tight_png(monkeypatch):
    # The inline backend saves with bbox_inches="tight": the position labels and row names must still be
    # centred on the tower's squares (an anchor that divided by the figure's pixel size drifted half a step off).
    from helpers import _raster

    drawn = []
    original = _raster.AnchoredText.draw

    def record(text, renderer):
        original(text, renderer)
        box = text.get_window_extent(renderer)
        drawn.append((text.get_text(), (box.x0 + box.x1) / 2, box.y0, box.y1))

    monkeypatch.setattr(_raster.AnchoredText, "draw", record)
    fig = plotting.plot_receptive_field([(3, 1)] * 3, input_size=12)
    tower = fig.axes[1]
    squares = []
    original_scatter_draw = type(tower.collections[0]).draw

    def record_squares(collection, renderer):
        squares.append(collection.get_offset_transform().transform(collection.get_offsets()))
        original_scatter_draw(collection, renderer)

    monkeypatch.setattr(type(tower.collections[0]), "draw", record_squares)
    fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
    # the last draw is the tight one; keep the texts drawn in it (same count as in one draw)
    per_draw = len(drawn) // 2
    ticks = [(int(t), x) for t, x, _, _ in drawn[-per_draw:] if t.isdigit()]
    rows = {t: (y0 + y1) / 2 for t, _, y0, y1 in drawn[-per_draw:] if t in ("input", "layer 3")}
    centres = squares[-1]
    assert [t for t, _ in ticks] == [0, 5, 10]
    offsets = tower.collections[0].get_offsets()
    input_x = {round(float(p)): x for (p, y), (x, _) in zip(offsets, centres, strict=False) if y == 0}
    for position, x in ticks:
        assert x == pytest.approx(input_x[position], abs=1.0)
    input_y = centres[tower.collections[0].get_offsets()[:, 1] == 0][0, 1]
    top_y = centres[tower.collections[0].get_offsets()[:, 1] == 3][0, 1]
    assert rows["input"] == pytest.approx(input_y, abs=1.5) and rows["layer 3"] == pytest.approx(top_y, abs=1.5)
    assert all(t.get_fontsize() >= plotting.LABEL_SIZE for t in fig.texts)   # 12 pt at least


def test_receptive_field_mask_has_a_legend_two_colours_and_a_pixel_grid():
    # used pixels in the tower's red, unused ones in grey, named by a legend; white lines between the pixels
    fig = plotting.plot_receptive_field([(3, 1, 2)] * 2, input_size=11)
    panel_ax = fig.axes[0]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["used by the unit", "not used"]
    legend_colours = [matplotlib.colors.to_hex(h.get_facecolor()) for h in fig.legends[0].legend_handles]
    assert legend_colours == [plotting.HIGHLIGHT, plotting.RF_UNUSED]
    image = panel_ax.images[0]
    mask = np.asarray(image.get_array())
    colours = image.cmap(image.norm(mask))
    used = np.outer(shapes.receptive_field_mask([(3, 1, 2)] * 2, 11, 1), shapes.receptive_field_mask([(3, 1, 2)] * 2, 11, 1))
    assert used.sum() == 25 and np.array_equal(mask > 0.5, used)
    assert {matplotlib.colors.to_hex(c) for c in colours[used]} == {plotting.HIGHLIGHT}
    assert {matplotlib.colors.to_hex(c) for c in colours[~used]} == {plotting.RF_UNUSED}
    grid = [c for c in panel_ax.collections if len(c.get_segments()) == 2 * (11 - 1)]
    assert len(grid) == 1 and matplotlib.colors.to_hex(grid[0].get_colors()[0]) == "#ffffff"
    png = plotting.figure_to_png(fig)
    assert Image.open(io.BytesIO(png)).size[0] <= 800     # still fits the page with the legend


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="2 dimensions"):
        plotting.show_grid(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="titles"):
        plotting.show_images([EDGE], titles=["a", "b"])
    with pytest.raises(ValueError, match="metrics"):
        plotting.plot_learning_curves({"acc": [1]})
    with pytest.raises(TypeError, match="history"):
        plotting.plot_learning_curves([1, 2])
    with pytest.raises(ValueError, match="unit"):
        plotting.plot_receptive_field([(3, 1)], input_size=5, unit=3)
    with pytest.raises(ValueError, match="mode"):
        plotting.plot_pooling(EDGE, mode="median")
    plt.close("all")


def test_learning_curves_accepts_a_history_object():
    class History:
        history = {"loss": [3, 2, 1], "accuracy": [0.1, 0.5, 0.9], "val_accuracy": [0.1, 0.4, 0.7]}

    fig = plotting.plot_learning_curves(History())
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert len(fig.axes[1].lines) == 2


def test_format_value():
    assert [plotting.format_value(v) for v in (0, 10.0, -3, 2.5, 0.125, 123.4, -0.0001)] == \
        ["0", "10", "-3", "2.5", "0.12", "123", "0"]


# ------------------------------------------------------------------------------------------------
# views: own figures, artists updated in place
# ------------------------------------------------------------------------------------------------


def _conv_step(view, image, kernel, row, col, **kw):
    d = conv.conv_step_details(image, kernel, row, col, **kw)
    out = conv.filter2d(image, kernel, **kw)
    view.update(image, kernel, out, d["rows"], d["cols"], (row, col), d["pad"], d["sum"])
    return out


def test_views_do_not_touch_pyplot():
    views = [plotting.ConvView(), plotting.VolumeConvView(), plotting.PoolView(), plotting.ReceptiveFieldView(),
             plotting.FeatureMapView()]
    _conv_step(views[0], EDGE, VERTICAL, 0, 0)
    assert views[0].to_png()[:4] == b"\x89PNG"
    assert plt.get_fignums() == []


def test_conv_view_updates_artists_in_place():
    view = plotting.ConvView()
    _conv_step(view, EDGE, VERTICAL, 0, 0)
    png1 = view.to_png()
    axes = list(view.figure.axes)
    image_artist = view.output.image
    window_patches = list(view.input._boxes["window"])
    texts = list(view.figure.texts)
    _conv_step(view, EDGE, VERTICAL, 3, 2, padding=1)
    png2 = view.to_png()
    _conv_step(view, np.arange(64.0).reshape(8, 8), np.ones((2, 2)), 1, 1, stride=2)
    png3 = view.to_png()
    assert view.figure.axes == axes and view.output.image is image_artist
    assert view.input._boxes["window"][:1] == window_patches[:1]  # the same rectangle, moved
    assert view.figure.texts == texts
    assert view.output.image.get_array().shape == (4, 4)
    sizes = {Image.open(io.BytesIO(p)).size for p in (png1, png2, png3)}
    assert sizes == {view.size_px}  # fixed size: no jumping layout
    assert len({png1, png2, png3}) == 3


def test_window_box_is_where_the_step_is():
    view = plotting.ConvView()
    _conv_step(view, EDGE, VERTICAL, 1, 2, padding=1)
    box = view.input._boxes["window"][0]
    # padded coordinates: output (1, 2) with stride 1 reads rows 1..3, columns 2..4
    assert box.get_x() == pytest.approx(2 - 0.5) and box.get_y() == pytest.approx(1 - 0.5)
    assert box.get_width() == 3 and box.get_height() == 3 and box.get_visible()
    cell = view.output._boxes["cell"][0]
    assert (cell.get_x(), cell.get_y()) == (pytest.approx(1.5), pytest.approx(0.5))


def test_dilated_window_outlines_each_tap():
    view = plotting.ConvView()
    image = np.arange(49.0).reshape(7, 7)
    d = conv.conv_step_details(image, VERTICAL, 0, 1, dilation=2)
    view.update(image, VERTICAL, conv.filter2d(image, VERTICAL, dilation=2), d["rows"], d["cols"], (0, 1),
                dilation=2)
    visible = [p for p in view.input._boxes["window"] if p.get_visible()]
    assert len(visible) == 9
    assert sorted({p.get_x() + 0.5 for p in visible}) == [1, 3, 5]


def test_raster_pixels_show_the_cell_colours():
    """The numpy-painted grid must put each cell's colormap colour in the right place."""
    view = plotting.ConvView()
    image = np.arange(36.0).reshape(6, 6)
    _conv_step(view, image, VERTICAL, 0, 0)
    pixels = _png_to_array(view.to_png())
    panel = view.input
    panel.ax.apply_aspect()
    bbox = panel.ax.get_position().transformed(view.figure.transFigure)
    height_px = view.size_px[1]
    cmap, norm = panel.image.cmap, panel.image.norm
    for r, c in [(0, 0), (2, 5), (5, 3)]:
        # a point a quarter of a cell in from the cell's top-left corner (away from lines and numbers)
        x = bbox.x0 + (c + 0.2) * bbox.width / 6
        y = height_px - (bbox.y1 - (r + 0.2) * bbox.height / 6)
        expected = np.array(cmap(norm(image[r, c]), bytes=True)[:3], dtype=int)
        got = pixels[int(y), int(x), :3].astype(int)
        assert np.abs(got - expected).max() <= 3, (r, c, got, expected)


def test_raster_numbers_follow_the_data():
    view = plotting.ConvView()
    _conv_step(view, EDGE, VERTICAL, 0, 0)
    assert view.output.labels == [plotting.format_value(v) for v in correlate_valid(EDGE, VERTICAL).ravel()]
    assert not view.output.visible_texts()  # painted as pixels, not Text artists
    big = np.random.default_rng(0).random((40, 40))
    d = conv.conv_step_details(big, VERTICAL, 0, 0)
    view.update(big, VERTICAL, conv.filter2d(big, VERTICAL), d["rows"], d["cols"], (0, 0))
    assert view.input.labels == [] and view.output.labels == []


def correlate_valid(x, k):
    kh, kw = k.shape
    return np.array([[(x[i:i + kh, j:j + kw] * k).sum() for j in range(x.shape[1] - kw + 1)]
                     for i in range(x.shape[0] - kh + 1)])


def test_problem_replaces_the_picture_and_clears():
    view = plotting.ConvView()
    _conv_step(view, EDGE, VERTICAL, 0, 0)
    view.show_problem("kernel 7 is larger than the input 6")
    assert view.problem_text.get_visible()
    assert not any(ax.get_visible() for ax in view.figure.axes)
    assert not any(a.get_visible() for a in view.figure.artists)
    plain = _png_to_array(view.to_png())
    assert plain.shape[:2] == view.size_px[::-1]
    _conv_step(view, EDGE, VERTICAL, 0, 0)
    assert not view.problem_text.get_visible()
    assert all(ax.get_visible() for ax in (view.input.ax, view.kernel.ax, view.output.ax))


def test_volume_view_hides_unused_filters():
    view = plotting.VolumeConvView()
    x = np.random.default_rng(1).random((5, 5, 3))
    k = np.ones((3, 3, 3, 4))
    for f in (4, 1, 3):
        view.update(x, k[..., :f], conv.conv2d(x, k[..., :f]), [0, 1, 2], [0, 1, 2], (0, 0))
        assert [p.ax.get_visible() for p in view.output_panels] == [j < f for j in range(4)]
        assert [p.raster.image.get_visible() for p in view.output_panels] == [j < f for j in range(4)]
        view.to_png()


def test_pool_view_marks_changed_cells():
    x = np.zeros((4, 4))
    x[1, 1] = 9
    shifted = np.zeros((4, 4))
    shifted[1, 2] = 9
    view = plotting.PoolView()
    view.update(x, conv.max_pool2d(x), [0, 1], [0, 1], (0, 0), shifted, conv.max_pool2d(shifted),
                argmax=(1, 1), shift=1)
    changed = [p for p in view.panels[3]._boxes["changed"] if p.get_visible()]
    assert sorted((p.get_y() + 0.5, p.get_x() + 0.5) for p in changed) == [(0, 0), (0, 1)]
    winner = view.panels[0]._boxes["winner"][0]
    assert (winner.get_y() + 0.5, winner.get_x() + 0.5) == (1, 1)


def test_feature_map_view_colour_limits():
    view = plotting.FeatureMapView()
    fmap = np.array([[-2.0, 1.0], [0.5, 0.0]])
    view.update(np.ones((6, 6, 1)), fmap, np.eye(3) - 0.5, "conv", 0)
    assert view.map_panel.image.get_clim() == (-2.0, 2.0)  # signed: symmetric around zero
    assert view.map_panel.image.get_cmap().name == plotting.SIGNED_CMAP
    view.update(np.ones((6, 6, 1)), np.abs(fmap), None, "pool", 0)
    assert view.map_panel.image.get_clim() == (0.0, 2.0)
    assert view.map_panel.image.get_cmap().name == plotting.VALUE_CMAP
    assert not view.filter_ax.get_visible()


def test_step_change_redraws_only_the_moving_parts_but_looks_the_same():
    """The cached-background path must give exactly the picture a full redraw gives."""
    image = np.arange(36.0).reshape(6, 6)
    blitted = plotting.ConvView()
    _conv_step(blitted, image, VERTICAL, 0, 0, padding=1)
    blitted.to_png()
    _conv_step(blitted, image, VERTICAL, 3, 4, padding=1)
    assert not blitted.static_dirty and not any(p.static_changed for p in blitted.panels_all)
    fresh = plotting.ConvView()
    _conv_step(fresh, image, VERTICAL, 3, 4, padding=1)
    np.testing.assert_array_equal(_png_to_array(blitted.to_png()), _png_to_array(fresh.to_png()))
    _conv_step(blitted, image, VERTICAL, 1, 1, stride=2)  # new output: the background is redrawn
    assert any(p.static_changed for p in blitted.panels_all)
    fresh2 = plotting.ConvView()
    _conv_step(fresh2, image, VERTICAL, 1, 1, stride=2)
    np.testing.assert_array_equal(_png_to_array(blitted.to_png()), _png_to_array(fresh2.to_png()))


def test_encode_png_round_trips():
    rgba = np.random.default_rng(0).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    decoded = _png_to_array(plotting.encode_png(rgba))
    np.testing.assert_array_equal(decoded[..., :3], rgba[..., :3])
    assert (decoded[..., 3] == 255).all()
    with pytest.raises(ValueError, match="uint8"):
        plotting.encode_png(rgba.astype(float))


def test_course_style_sets_projector_sizes_and_a_sharp_small_png():
    import matplotlib
    import matplotlib.pyplot as plt

    from helpers import _style
    from helpers.plotting import use_course_style

    with matplotlib.rc_context():
        use_course_style()
        assert matplotlib.rcParams["font.size"] >= 12 and matplotlib.rcParams["legend.fontsize"] >= 10
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot([0, 1, 4], label="x")
        ax.legend()
        data, meta = _style._retina_png(fig)
        plt.close(fig)
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(data))
    assert abs(image.size[0] - 2 * meta["width"]) <= 1 and abs(image.size[1] - 2 * meta["height"]) <= 1, "twice the pixels"
    assert meta["width"] > 200
    with pytest.raises(TypeError, match="retina"):
        use_course_style(retina="yes")


def test_course_style_draws_a_heavy_figure_at_150_dpi_to_keep_notebooks_small():
    import matplotlib.pyplot as plt
    from PIL import Image

    from helpers import _style

    noise = np.random.default_rng(0).normal(size=(300, 300))     # incompressible, like signed maps of photos
    fig, axes = plt.subplots(1, 3, figsize=(11, 4), dpi=100)
    for ax in axes:
        ax.imshow(noise, cmap="PuOr")
    data, meta = _style._retina_png(fig)
    plt.close(fig)
    image = Image.open(io.BytesIO(data))
    ratio = image.size[0] / meta["width"]
    assert abs(ratio - _style.LARGE_FIGURE_SCALE) < 0.01, ratio     # 1.5 x 100 dpi: still sharp enough
    assert _style.LARGE_FIGURE_SCALE * 100 >= 150


# ------------------------------------------------------------------------------------------------
# options for signed data, fixed limits and linear shares
# ------------------------------------------------------------------------------------------------


def test_show_grid_clim_fixes_the_colour_limits():
    fig = plotting.show_grid(np.array([[0.0, 0.5]]), clim=(-2, 3))
    assert fig.axes[0].images[0].get_clim() == (-2.0, 3.0)
    with pytest.raises(ValueError, match="low < high"):
        plotting.show_grid(EDGE, clim=(1, 1))
    with pytest.raises(TypeError, match="pair of numbers"):
        plotting.show_grid(EDGE, clim="auto")


def test_show_images_signed_uses_one_diverging_scale_centred_on_zero():
    small, big = np.array([[-1.0, 0.5]]), np.array([[3.0, -0.5]])
    fig = plotting.show_images([small, big], signed=True)
    for ax in fig.axes:
        image = ax.images[0]
        assert image.get_cmap().name == plotting.SIGNED_CMAP
        assert image.get_clim() == (-3.0, 3.0)      # the largest |value| of both images, not each its own


def test_show_images_vmin_vmax_keep_true_contrast():
    overshoot = np.array([[-0.5, 0.25, 1.5]])
    stretched = plotting.show_images([overshoot]).axes[0].images[0].get_clim()
    fixed = plotting.show_images([overshoot], vmin=0, vmax=1).axes[0].images[0].get_clim()
    assert stretched == (-0.5, 1.5) and fixed == (0.0, 1.0)
    colour = np.dstack([overshoot] * 3)
    shown = plotting.show_images([colour], vmin=0, vmax=1).axes[0].images[0].get_array()
    assert np.allclose(np.asarray(shown)[0, :, 0], [0.0, 0.25, 1.0])   # clipped, not rescaled
    with pytest.raises(ValueError, match="vmin must be smaller"):
        plotting.show_images([overshoot], vmin=1, vmax=0)
    with pytest.raises(TypeError, match="vmin"):
        plotting.show_images([overshoot], vmin="low")


def test_plot_param_bars_share_scale_is_linear_and_sums_to_one():
    rows = shapes.summarize((32, 32, 1), LENET).rows
    fig = plotting.plot_param_bars(rows, scale="share")
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear" and ax.get_xlim() == (0.0, 1.0)
    widths = [bar.get_width() for bar in ax.patches]
    params, mults = widths[:len(rows)], widths[len(rows):2 * len(rows)]
    assert sum(params) == pytest.approx(1.0) and sum(mults) == pytest.approx(1.0)
    dense_share = sum(w for w, r in zip(params, rows, strict=True) if r["type"] == "Dense")
    assert 0.9 < dense_share < 1.0     # LeNet-5's weights live in its dense layers (about 96%)
    assert ax.get_title()
    with pytest.raises(ValueError, match='"log" or "share"'):
        plotting.plot_param_bars(rows, scale="linear")


@pytest.mark.parametrize("filters, drawn", [(1, 1), (2, 2), (3, 3), (6, 4)])
def test_plot_volume_convolution_draws_each_filter(filters, drawn):
    fig = plotting.plot_volume_convolution((6, 6, 3), 3, filters=filters)
    texts = [t.get_text() for t in fig.axes[0].texts]
    labels = [t for t in texts if t.startswith("filter ")]
    assert len(labels) == (drawn if filters > 1 else 0)
    assert any(f"4 x 4 x {filters} output" in t for t in texts)
    if filters > drawn:
        assert any(f"({drawn} drawn)" in t for t in texts)


@pytest.mark.parametrize("shape, k, filters", [((6, 6, 3), 3, 1), ((5, 5, 8), 1, 3), ((8, 8, 3), 3, 4)])
def test_plot_volume_convolution_caption_stays_clear_of_the_kernels(shape, k, filters):
    # the caption over the arrows starts where the arrows do (right of the kernel blocks), never on a block:
    # centred between the kernels and the output, "sum over all channels" ran into the 3x3x3 kernel
    from matplotlib.patches import FancyArrowPatch

    fig = plotting.plot_volume_convolution(shape, k, filters=filters)
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    caption = next(t for t in ax.texts if t.get_text() in ("sum over\nall channels", "one map\nper filter"))
    arrow_tails = [p.get_window_extent(renderer).x0 for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert caption.get_window_extent(renderer).x0 >= min(arrow_tails)


def test_step_figure_fits_a_laptop_page_with_its_colour_bar(tmp_path):
    """02's step figure: shown inline at 100 dpi it must not need shrinking by more than a quarter on a 1024 px
    page with the file browser open (about 590 px for an output), and the colour bar with its labels is in it."""
    import matplotlib.pyplot as plt

    fig = plotting.plot_convolution_step(EDGE, VERTICAL, row=0, col=2, padding=1)
    renderer = fig.canvas.get_renderer()
    whole = fig.get_tightbbox(renderer)  # inches, as the inline backend crops ("bbox_inches='tight'")
    assert whole.width * 100 <= 590 / 0.75
    bar = min(fig.axes, key=lambda ax: ax.bbox.width)  # the colour bar: the narrowest axes
    labels = [t for t in bar.get_yticklabels() if t.get_text()]
    assert bar.bbox.width < 30 and len(labels) >= 3
    assert all(t.get_window_extent(renderer).x1 <= whole.x1 * fig.dpi + 1 for t in labels)
    path = tmp_path / "step.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    from PIL import Image

    assert Image.open(path).size[0] <= 590 / 0.75


def test_plot_augmented_copies_grid_titles_and_frames():
    originals = np.zeros((3, 8, 8))
    copies = np.ones((3, 2, 8, 8))
    fig = plotting.plot_augmented_copies(originals, copies, row_titles=["a", "b", "c"])
    assert len(fig.axes) == 3 * 3
    assert [ax.get_title() for ax in fig.axes[:3]] == ["original", "copy 1", "copy 2"]
    assert [fig.axes[i].get_ylabel() for i in (0, 3, 6)] == ["a", "b", "c"]
    framed = [ax for ax in fig.axes if ax.spines["left"].get_linewidth() == 3]
    assert framed == [fig.axes[0], fig.axes[3], fig.axes[6]]
    # what is drawn is the data: the copies are white, the originals black
    assert fig.axes[1].images[0].get_array().min() == 1 and fig.axes[0].images[0].get_array().max() == 0
    colour = plotting.plot_augmented_copies(np.zeros((8, 8, 3)), np.ones((4, 8, 8, 3)),
                                            copy_titles=["w", "x", "y", "z"])
    assert [ax.get_title() for ax in colour.axes] == ["original", "w", "x", "y", "z"]
    assert colour.axes[1].images[0].get_array().shape == (8, 8, 3)


@pytest.mark.parametrize(
    ("originals", "copies", "kwargs", "pattern"),
    [
        (np.zeros((2, 8, 8, 2)), np.zeros((2, 1, 8, 8, 2)), {}, "originals must be images"),
        (np.zeros((2, 8, 8)), np.zeros((3, 1, 8, 8)), {}, "copies must have shape"),
        (np.zeros((2, 8, 8)), np.zeros((2, 1, 8, 7)), {}, "copies must have shape"),
        (np.zeros((2, 8, 8)), np.zeros((2, 0, 8, 8)), {}, "at least one copy"),
        (np.zeros((2, 8, 8)), np.zeros((2, 1, 8, 8)), {"row_titles": ["a"]}, "row_titles must have one entry per row"),
        (np.zeros((2, 8, 8)), np.zeros((2, 2, 8, 8)), {"copy_titles": ["a"]}, "copy_titles must have one entry"),
        (np.zeros((2, 8, 8)), np.zeros((2, 1, 8, 8)), {"size": 0}, "size must be a positive"),
    ],
)
def test_plot_augmented_copies_bad_input(originals, copies, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        plotting.plot_augmented_copies(originals, copies, **kwargs)


def test_plot_pooling_draws_input_and_pooled_map_on_one_colour_scale():
    # the same value must have the same colour in both panels (the input used to be grey, the output viridis
    # scaled to its own range)
    x = np.array([[1, 3, 2, 1], [4, 8, 0, 5], [7, 2, 9, 6], [3, 1, 4, 2]], dtype=float)
    for mode in ("max", "avg"):
        fig = plotting.plot_pooling(x, 2, 2, mode=mode)
        image_in, image_out = fig.axes[0].images[0], fig.axes[1].images[0]
        assert image_in.get_cmap().name == image_out.get_cmap().name
        assert image_in.get_clim() == image_out.get_clim() == (0.0, 9.0)
        np.testing.assert_array_equal(image_in.to_rgba(8.0), image_out.to_rgba(8.0))
        plt.close(fig)


@pytest.mark.parametrize("metrics", [("loss",), ("loss", "accuracy"), ("loss", "accuracy", "auc")])
def test_learning_curves_fit_a_1024_px_page(metrics):
    history = {m: [1.0, 0.5] for m in metrics}
    fig = plotting.plot_learning_curves(history, metrics=metrics)
    assert fig.get_size_inches()[0] <= 7.6
    plt.close(fig)
def test_plot_explanations_transpose_puts_images_on_top_and_methods_in_rows():
    images = [np.zeros((4, 4)), np.ones((4, 4)), np.eye(4)]
    maps = {"a": [np.eye(4)] * 3, "b": [np.ones((4, 4))] * 3}
    fig = plotting.plot_explanations(images, maps, row_titles=["x", "y", "z"], transpose=True, overlay=False)
    axes = fig.axes[:9]                                   # 3 rows (images, a, b) x 3 columns
    assert [ax.get_title() for ax in axes[:3]] == ["x", "y", "z"]
    assert [axes[k].get_ylabel() for k in (3, 6)] == ["a", "b"]
    plt.close(fig)


def test_plot_explanations_share_puts_one_method_on_one_scale():
    images = [np.zeros((4, 4))] * 2
    weak, strong = 0.1 * np.eye(4), 3 * np.eye(4)
    fig = plotting.plot_explanations(images, {"m": [weak, strong]}, overlay=False, share=True)
    clims = [ax.images[0].get_clim() for ax in fig.axes if ax.images and ax.get_title() != "image"
             and ax.images[0].get_cmap().name == plotting.VALUE_CMAP]
    assert clims == [(0.0, 3.0), (0.0, 3.0)]               # unshared, each would be (0, own max)
    plt.close(fig)
    signed = plotting.plot_explanations(images, {"m": [-np.eye(4), 2 * np.eye(4)]}, overlay=False, share=True)
    maps_drawn = [ax.images[0] for ax in signed.axes if ax.images and ax.images[0].get_cmap().name == plotting.SIGNED_CMAP]
    assert [im.get_clim() for im in maps_drawn] == [(-2.0, 2.0), (-2.0, 2.0)]
    plt.close(signed)
    fig = plotting.plot_explanations(images, {"m": [weak, weak], "n": [strong, strong]}, overlay=False, share="all")
    assert {ax.images[0].get_clim() for ax in fig.axes if ax.images and ax.get_title() not in ("image",)
            and ax.images[0].get_cmap().name == plotting.VALUE_CMAP} == {(0.0, 3.0)}
    plt.close(fig)
    with pytest.raises(ValueError, match="share"):
        plotting.plot_explanations(images, {"m": [weak, weak]}, share="rows")


def test_plot_explanations_labels_its_colour_bars():
    images = [np.zeros((4, 4))] * 2
    maps = {"m": [np.eye(4), 2 * np.eye(4)], "n": [np.eye(4), np.eye(4)]}
    fig = plotting.plot_explanations(images, maps, overlay=False, share=True, colorbar_label={"m": "|dz/dx|"})
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 2 and sorted(ax.get_xlabel() + ax.get_ylabel() for ax in bars) == ["", "|dz/dx|"]
    plt.close(fig)
    fig = plotting.plot_explanations(images, maps, overlay=False, share="all", colorbar_label="rank")
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert [ax.get_xlabel() + ax.get_ylabel() for ax in bars] == ["rank"]
    plt.close(fig)
    with pytest.raises(ValueError, match="colorbar_label"):
        plotting.plot_explanations(images, maps, share=True, colorbar_label={"x": "?"})
    with pytest.raises(TypeError, match="colorbar_label"):
        plotting.plot_explanations(images, maps, share=True, colorbar_label=3)


def test_plot_explanations_overlay_with_a_shared_scale_has_a_colour_bar_per_method():
    # an overlay on a shared scale is compared across panels: its scale must be readable (it had no colour bar)
    images = [np.zeros((4, 4))] * 2
    maps = {"m": [0.1 * np.eye(4), 3 * np.eye(4)], "n": [-np.eye(4), 2 * np.eye(4)]}
    fig = plotting.plot_explanations(images, maps, share=True)
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 2
    assert [bar.get_ylim() if bar.get_ylim() != (0.0, 1.0) else bar.get_xlim() for bar in bars] == [(0.0, 3.0), (0.0, 2.0)]
    plt.close(fig)
    fig = plotting.plot_explanations(images, maps, share=False)       # each panel on its own range: no bar
    assert not [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    plt.close(fig)


def test_overlay_heatmap_shared_limits_and_dimmed_image():
    ink = np.zeros((4, 4))
    ink[:, :2] = 1                                         # white ink on the left, black background
    heat = 0.1 * np.eye(4)
    own = plotting.overlay_heatmap(ink, heat)
    shared = plotting.overlay_heatmap(ink, heat, limits=(0, 1))
    # on its own range the weak map's hottest pixel gets the full colour; on a shared scale it stays near the ink
    assert np.abs(shared[0, 0] - 1).max() < np.abs(own[0, 0] - 1).max()
    dimmed = plotting.overlay_heatmap(ink, np.zeros((4, 4)), dim=0.5)
    assert np.allclose(dimmed[:, :2], 0.5) and np.allclose(dimmed[:, 2:], 0)   # white ink at half brightness
    with pytest.raises(ValueError, match="limits"):
        plotting.overlay_heatmap(ink, heat, limits=(1, 1))
    with pytest.raises(ValueError, match="dim"):
        plotting.overlay_heatmap(ink, heat, dim=2)


@pytest.mark.parametrize("cmap", ["viridis", "PuOr"])
def test_course_png_keeps_the_colours_of_a_colour_map(cmap):
    """The sharp PNG shows the colours matplotlib drew: an approximate palette turned viridis' yellow peach."""
    import matplotlib.pyplot as plt
    from PIL import Image

    from helpers import _style

    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    shown = ax.imshow(np.linspace(-1, 1, 400).reshape(20, 20), cmap=cmap)
    fig.colorbar(shown, ax=ax)
    data, _ = _style._retina_png(fig)
    plain = io.BytesIO()
    fig.canvas.print_figure(plain, format="png", dpi=fig.dpi * 2, bbox_inches="tight",
                            facecolor=fig.get_facecolor(), edgecolor=fig.get_edgecolor())
    plt.close(fig)
    ours = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=int)
    drawn = np.asarray(Image.open(io.BytesIO(plain.getvalue())).convert("RGB"), dtype=int)
    assert ours.shape == drawn.shape
    assert np.abs(ours - drawn).max() <= 2, "a colour of the figure changed in the PNG"


def test_course_png_of_a_line_plot_stays_a_small_exact_palette():
    import matplotlib.pyplot as plt
    from PIL import Image

    from helpers import _style

    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.plot([0, 1, 4], color="black")
    ax.set_facecolor("white")
    fig.canvas.draw()
    data, _ = _style._retina_png(fig)
    plt.close(fig)
    image = Image.open(io.BytesIO(data))
    assert image.mode == "P"                              # a palette image: small on disk
