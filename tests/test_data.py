"""Tests for helpers.data: offline datasets, splits, MNIST from disk, images and tiny grids."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.datasets import load_digits

from helpers import data


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def _hashes(x):
    return [hash(im.tobytes()) for im in x]


# ---------------------------------------------------------------------------------------------------------
# load_digits_32
# ---------------------------------------------------------------------------------------------------------


def test_digits_32_shapes_types_and_range(digits):
    split = data.load_digits_32()
    n = len(digits.target)
    sizes = [len(split.y_train), len(split.y_val), len(split.y_test)]
    assert sum(sizes) == n
    assert abs(sizes[2] - 0.2 * n) <= 1 and abs(sizes[1] - 0.15 * n) <= 1
    for x, y in ((split.x_train, split.y_train), (split.x_val, split.y_val), (split.x_test, split.y_test)):
        assert x.shape[1:] == (32, 32, 1) and x.dtype == np.float32
        assert x.shape[0] == y.shape[0]
        assert 0.0 <= x.min() and x.max() <= 1.0
        assert np.issubdtype(y.dtype, np.integer)
    # the 2-pixel frame is empty, like MNIST in LeNet-5's input
    x = split.x_train[..., 0]
    assert np.all(x[:, :2, :] == 0) and np.all(x[:, -2:, :] == 0) and np.all(x[:, :, :2] == 0)
    assert split.x_train.max() == 1.0
    assert split.n_classes == 10 and split.image_shape == (32, 32, 1)


def test_digits_32_labels_match_sklearn_counts_and_no_overlap(digits):
    split = data.load_digits_32()
    all_y = np.concatenate([split.y_train, split.y_val, split.y_test])
    np.testing.assert_array_equal(np.bincount(all_y), np.bincount(digits.target))
    h_train, h_val, h_test = map(set, map(_hashes, (split.x_train, split.x_val, split.x_test)))
    assert not (h_train & h_val) and not (h_train & h_test) and not (h_val & h_test)
    assert len(h_train | h_val | h_test) == len(digits.target)  # every image used exactly once


def test_digits_32_upscaling_preserves_the_digit(digits):
    from skimage.transform import resize

    for index in (0, 5, 100, 1796):
        big = data.digit_image(index)
        small = resize(big[2:30, 2:30], (8, 8), anti_aliasing=True)
        original = digits.images[index] / 16.0
        corr = np.corrcoef(small.ravel(), original.ravel())[0, 1]
        assert corr > 0.9, (index, corr)
    split = data.load_digits_32()
    all_h = _hashes(np.concatenate([split.x_train, split.x_val, split.x_test])[..., 0])
    all_y = np.concatenate([split.y_train, split.y_val, split.y_test])
    where = dict(zip(all_h, all_y, strict=True))
    for index in (0, 7, 1234):
        assert where[hash(data.digit_image(index).tobytes())] == digits.target[index]


def test_digits_32_is_stratified():
    split = data.load_digits_32(validation=0.2, test=0.25, seed=3)
    total = np.bincount(np.concatenate([split.y_train, split.y_val, split.y_test]))
    for y, frac in ((split.y_val, 0.2), (split.y_test, 0.25)):
        counts = np.bincount(y, minlength=10)
        assert np.all(np.abs(counts - frac * total) <= 1.5), counts


def test_digits_32_determinism_and_fresh_copies():
    a = data.load_digits_32(seed=4)
    b = data.load_digits_32(seed=4)
    c = data.load_digits_32(seed=5)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_train, c.y_train)
    a.x_train[:] = -1  # modifying a result must not touch the cache
    assert data.load_digits_32(seed=4).x_train.min() == 0.0


def test_digits_32_without_validation_and_summary():
    split = data.load_digits_32(validation=0, test=0.5)
    assert len(split.y_val) == 0 and split.x_val.shape[1:] == (32, 32, 1)
    text = split.summary()
    assert "1,797" in text and "32x32x1" in text and f"train {len(split.y_train):,}" in text
    assert str(split) == text


@pytest.mark.parametrize(
    ("kwargs", "exc", "pattern"),
    [
        ({"validation": 1.0}, ValueError, "validation"),
        ({"test": -0.1}, ValueError, "test"),
        ({"validation": 0.5, "test": 0.5}, ValueError, "validation \\+ test"),
        ({"validation": "0.1"}, TypeError, "validation"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 1.5}, TypeError, "seed"),
    ],
)
def test_digits_32_bad_arguments(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        data.load_digits_32(**kwargs)


# ---------------------------------------------------------------------------------------------------------
# select, load_digits_subset, few_shot
# ---------------------------------------------------------------------------------------------------------


def test_select_remaps_labels_in_the_given_order():
    full = data.load_digits_32()
    sub = data.select(full, [7, 2])
    assert sub.n_classes == 2 and sub.class_names == ("7", "2")
    for part in ("train", "val", "test"):
        y_full = getattr(full, f"y_{part}")
        x_full = getattr(full, f"x_{part}")
        y_sub = getattr(sub, f"y_{part}")
        assert set(y_sub.tolist()) <= {0, 1}
        assert (y_sub == 0).sum() == (y_full == 7).sum() and (y_sub == 1).sum() == (y_full == 2).sum()
        np.testing.assert_array_equal(getattr(sub, f"x_{part}")[y_sub == 0], x_full[y_full == 7])


def test_load_digits_subset_equals_select():
    a = data.load_digits_subset(range(5))
    b = data.select(data.load_digits_32(), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(a.y_train, b.y_train)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert int(a.y_train.max()) == 4


def test_select_errors():
    full = data.load_digits_32()
    with pytest.raises(ValueError, match="between 0 and 9"):
        data.select(full, [3, 10])
    with pytest.raises(ValueError, match="repeat"):
        data.select(full, [1, 1])
    with pytest.raises(ValueError, match="at least one"):
        data.select(full, [])
    with pytest.raises(TypeError, match="split"):
        data.select("digits", [1])
    with pytest.raises(TypeError, match="classes"):
        data.select(full, 3)


@pytest.mark.parametrize("per_class", [1, 2, 5, 20])
def test_few_shot_counts_and_subset(per_class):
    full = data.load_digits_32()
    small = data.few_shot(full, per_class, seed=1)
    np.testing.assert_array_equal(np.bincount(small.y_train, minlength=10), [per_class] * 10)
    full_h = dict(zip(_hashes(full.x_train), full.y_train, strict=True))
    for h, y in zip(_hashes(small.x_train), small.y_train, strict=True):
        assert full_h[h] == y  # drawn from the training set, with the right label
    np.testing.assert_array_equal(small.x_test, full.x_test)
    np.testing.assert_array_equal(small.y_val, full.y_val)


def test_few_shot_determinism_and_errors():
    full = data.load_digits_32()
    a, b, c = (data.few_shot(full, 3, seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    smallest = np.bincount(full.y_train).min()
    with pytest.raises(ValueError, match=f"at most {smallest}"):
        data.few_shot(full, 1000)
    with pytest.raises(ValueError, match="per_class"):
        data.few_shot(full, 0)


# ---------------------------------------------------------------------------------------------------------
# load_handwritten_digits (MNIST only from disk)
# ---------------------------------------------------------------------------------------------------------


def _write_mnist(path, n_train=40, n_test=10):
    rng = np.random.default_rng(0)
    np.savez(
        path,
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=np.arange(n_train) % 10,
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=np.arange(n_test) % 10,
    )


@pytest.fixture
def no_network(monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("helpers.data tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_mnist_from_explicit_path(tmp_path, capsys, no_network):
    path = tmp_path / "mnist.npz"
    _write_mnist(path)
    split = data.load_handwritten_digits(mnist_path=path, validation=0.25)
    out = capsys.readouterr().out
    assert "Using MNIST from" in out and str(path) in out and "50 images" in out
    assert split.name == "mnist-32"
    assert (len(split.y_train), len(split.y_val), len(split.y_test)) == (30, 10, 10)
    assert split.x_train.shape[1:] == (32, 32, 1) and split.x_train.dtype == np.float32
    with np.load(path) as f:
        raw_test = f["x_test"]
    np.testing.assert_allclose(split.x_test[:, 2:30, 2:30, 0], raw_test / 255.0, rtol=1e-6)
    assert np.all(split.x_test[:, :2] == 0) and np.all(split.x_test[:, :, -2:] == 0)


def test_mnist_from_keras_cache(tmp_path, monkeypatch, capsys, no_network):
    (tmp_path / "datasets").mkdir()
    _write_mnist(tmp_path / "datasets" / "mnist.npz")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    split = data.load_handwritten_digits(prefer_mnist=True)
    assert split.name == "mnist-32" and "Using MNIST from" in capsys.readouterr().out
    # without prefer_mnist the small digits are used even if MNIST is there
    split = data.load_handwritten_digits()
    assert split.name == "digits-32" and "scikit-learn's digits (1,797 images" in capsys.readouterr().out


def test_mnist_missing_falls_back_without_downloading(tmp_path, monkeypatch, capsys, no_network):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    split = data.load_handwritten_digits(prefer_mnist=True)
    out = capsys.readouterr().out
    assert "No MNIST file" in out and "Using scikit-learn's digits" in out
    assert split.name == "digits-32" and split.x_train.shape[1:] == (32, 32, 1)
    assert not (tmp_path / "datasets" / "mnist.npz").exists()


def test_load_handwritten_digits_errors():
    with pytest.raises(TypeError, match="prefer_mnist"):
        data.load_handwritten_digits(prefer_mnist="yes")
    with pytest.raises(TypeError, match="mnist_path"):
        data.load_handwritten_digits(mnist_path=3)


# ---------------------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", data.available_images())
def test_every_available_image_loads_offline(name, no_network):
    img = data.load_image(name)
    assert img.dtype == np.float64 and img.ndim in (2, 3)
    assert img.min() >= 0 and img.max() <= 1 and img.max() > img.min()
    if img.ndim == 3:
        assert img.shape[-1] == 3
    assert data.load_image(name, gray=True).ndim == 2


def test_load_image_values_and_resize():
    import skimage.data

    np.testing.assert_allclose(data.load_image("camera"), skimage.data.camera() / 255.0)
    small = data.load_image("astronaut", size=(40, 30))
    assert small.shape == (40, 30, 3)
    assert data.load_image("coins", size=16).shape == (16, 16)
    img = data.load_image("camera")
    img[:] = 0  # a copy: the cache is untouched
    assert data.load_image("camera").max() > 0


def test_load_image_errors():
    with pytest.raises(ValueError, match="name must be one of.*'camera'.*'grace_hopper'"):
        data.load_image("lena")
    with pytest.raises(TypeError, match="name"):
        data.load_image(3)
    with pytest.raises(TypeError, match="gray"):
        data.load_image("camera", gray="no")
    with pytest.raises(ValueError, match="size"):
        data.load_image("camera", size=0)


# ---------------------------------------------------------------------------------------------------------
# small_grid, digit_image
# ---------------------------------------------------------------------------------------------------------


def test_small_grid_edge_is_the_classic_example():
    grid = data.small_grid()
    assert grid.shape == (6, 6) and np.issubdtype(grid.dtype, np.integer)
    assert np.all(grid[:, :3] == 10) and np.all(grid[:, 3:] == 0)
    np.testing.assert_array_equal(data.small_grid("horizontal_edge"), grid.T)
    grid[:] = 1
    assert data.small_grid()[0, 5] == 0  # fresh array each call


@pytest.mark.parametrize("kind", ["ramp", "pool", "checker", "square"])
def test_other_grids_are_small_integer_arrays(kind):
    grid = data.small_grid(kind)
    assert grid.ndim == 2 and max(grid.shape) <= 8 and np.issubdtype(grid.dtype, np.integer)
    assert len(np.unique(grid)) >= 2


def test_small_grid_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of.*'edge'"):
        data.small_grid("diagonal")


def test_digit_image_sizes_and_errors(digits):
    np.testing.assert_allclose(data.digit_image(3, size=8), digits.images[3] / 16.0, rtol=1e-6)
    img = data.digit_image(3, size=48)
    assert img.shape == (48, 48) and 0 <= img.min() and img.max() <= 1
    with pytest.raises(ValueError, match="index"):
        data.digit_image(1797)
    with pytest.raises(ValueError, match="size"):
        data.digit_image(0, size=4)
    with pytest.raises(TypeError, match="index"):
        data.digit_image(1.0)


# ---------------------------------------------------------------------------------------------------------
# No TensorFlow
# ---------------------------------------------------------------------------------------------------------


def test_data_never_imports_tensorflow():
    code = textwrap.dedent(
        """
        import sys
        import helpers
        from helpers import data
        data.load_digits_32(); data.load_image("camera"); data.small_grid(); data.digit_image(0)
        assert "tensorflow" not in sys.modules and "keras" not in sys.modules, "TensorFlow was imported"
        assert "helpers.models" not in sys.modules
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------------------------------------
# image_from_bytes: a student's own photo (files built in memory, see tests/_upload_files.py)
# ---------------------------------------------------------------------------------------------------------

import warnings  # noqa: E402

import _upload_files as files  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from PIL import Image  # noqa: E402
from skimage.color import rgb2gray  # noqa: E402


def _refusal(content, **kwargs):
    with pytest.raises(ValueError) as info:
        data.image_from_bytes(content, name="test.png", **kwargs)
    message = str(info.value)
    assert "test.png" in message and "Traceback" not in message
    return message


def test_upload_small_png_is_read_exactly_in_both_modes():
    rgb = files.rgb_array(5, 7)
    content = files.encode(Image.fromarray(rgb))
    colour, notes = data.image_from_bytes(content, mode="rgb", return_notes=True)
    np.testing.assert_allclose(colour, rgb / 255.0)
    assert notes == []  # smaller than the working size: kept as it is, nothing converted
    gray = data.image_from_bytes(content, mode="gray")
    np.testing.assert_allclose(gray, rgb2gray(rgb / 255.0), atol=1e-12)
    assert gray.dtype == np.float64 and gray.shape == (5, 7)


def test_upload_is_shrunk_keeping_its_proportions():
    content = files.png_rgb(300, 200)  # 300 high, 200 wide
    image, notes = data.image_from_bytes(content, mode="rgb", size=64, return_notes=True)
    assert image.shape == (64, round(200 * 64 / 300), 3)
    assert any("300 x 200" in n and "64 x 43" in n for n in notes)
    assert data.image_from_bytes(content, size=(20, 30)).shape == (20, 30)  # a pair: exactly that size
    assert 0 <= image.min() and image.max() <= 1
    # a flat colour stays that colour after the resampling
    flat = files.encode(Image.new("RGB", (500, 400), (255, 128, 0)))
    np.testing.assert_allclose(data.image_from_bytes(flat, mode="rgb")[20, 20], [1, 128 / 255, 0], atol=1e-9)


def test_upload_jpeg_photo_is_decoded_close_to_its_pixels():
    rgb = np.zeros((480, 640, 3), np.uint8)
    rgb[:, :320] = (200, 30, 30)  # left half red, right half dark blue
    rgb[:, 320:] = (10, 20, 120)
    image = data.image_from_bytes(files.encode(Image.fromarray(rgb), "JPEG", quality=95), mode="rgb", size=64)
    assert image.shape == (48, 64, 3)
    np.testing.assert_allclose(image[24, 5], np.array([200, 30, 30]) / 255, atol=0.04)
    np.testing.assert_allclose(image[24, 60], np.array([10, 20, 120]) / 255, atol=0.04)


def test_upload_auto_mode_keeps_grey_files_grey():
    grey = files.encode(Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4) * 20))
    assert data.image_from_bytes(grey, mode="auto").shape == (3, 4)
    image, notes = data.image_from_bytes(grey, mode="rgb", return_notes=True)
    assert image.shape == (3, 4, 3) and any("three colour channels are equal" in n for n in notes)
    assert data.image_from_bytes(files.png_rgb(3, 4), mode="auto").shape == (3, 4, 3)


def test_upload_empty_file_is_refused():
    message = _refusal(b"")
    assert "empty" in message and "0 bytes" in message


@pytest.mark.parametrize("content, expected", [
    (b"hello, this is my homework", "not an image"),
    (bytes(range(256)) * 4, "not an image"),
    (b"%PDF-1.7\n...", "PDF"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "SVG"),
])
def test_upload_not_an_image_is_refused_and_named(content, expected):
    message = _refusal(content)
    assert expected in message and "PNG or JPEG" in message


def test_upload_other_formats_bmp_accepted_tiff_named():
    rgb = files.rgb_array(4, 5)
    np.testing.assert_allclose(data.image_from_bytes(files.encode(Image.fromarray(rgb), "BMP"), mode="rgb"),
                               rgb / 255)
    assert "TIFF" in _refusal(files.encode(Image.fromarray(rgb), "TIFF"))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_upload_truncated_file_is_refused(fmt, keep):
    content = files.encode(Image.fromarray(files.rgb_array(120, 160)), fmt)
    message = _refusal(content[: int(len(content) * keep)])
    assert "damaged or incomplete" in message


@pytest.mark.parametrize("width, height", [(10000, 5000), (7072, 7072), (20000, 10000), (100000, 100000)])
def test_upload_too_many_megapixels_is_refused_from_the_header(width, height):
    """The header claims the size but the file holds no pixels: only a header check can give this message."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning (or any other) reaches the student
        message = _refusal(files.header_only_png(width, height))
    assert "megapixels" in message and "damaged" not in message
    assert str(data.MAX_UPLOAD_MEGAPIXELS) in message


def test_upload_real_50_megapixel_image_is_refused():
    content = files.big_png(8000, 6250)
    message = _refusal(content)
    assert "50.0 megapixels" in message and "8000 pixels wide and 6250 high" in message


def test_upload_just_under_the_limit_is_read():
    side = int((data.MAX_UPLOAD_MEGAPIXELS * 1e6) ** 0.5) - 1  # 1-bit, so it stays small to build
    image = data.image_from_bytes(files.big_png(side, side // 4), size=64)
    assert image.shape == (16, 64) and np.all(image == 0)


def test_upload_16_bit_grey_is_scaled_not_clipped():
    values = (np.arange(20).reshape(4, 5) * 3000).astype(np.uint16)  # up to 57,000: far beyond 8 bits
    image, notes = data.image_from_bytes(files.png_gray16(values), return_notes=True)
    np.testing.assert_allclose(image, values / 65535.0, atol=1e-6)
    assert any("16-bit" in n for n in notes)


def test_upload_16_bit_colour_keeps_the_high_byte():
    values = np.zeros((2, 3, 3), np.uint16)
    values[0, 0] = (65535, 0, 100 * 256 + 50)
    values[1, 2] = (256 * 7, 65535, 255)
    image, notes = data.image_from_bytes(files.png_rgb48(values), mode="rgb", return_notes=True)
    np.testing.assert_allclose(image, (values >> 8) / 255.0)
    assert any("16-bit colour" in n for n in notes)


def test_upload_cmyk_is_converted_to_rgb():
    image, notes = data.image_from_bytes(files.jpeg_cmyk(cmyk=(0, 255, 0, 0)), mode="rgb", return_notes=True)
    assert image.shape == (16, 24, 3)
    np.testing.assert_allclose(image[8, 12], [1, 0, 1], atol=0.05)  # no cyan, full magenta: R + B
    assert any("CMYK" in n for n in notes)


def test_upload_alpha_is_composited_on_white():
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[0, 0] = (255, 0, 0, 255)    # opaque red stays red
    rgba[0, 1] = (255, 0, 0, 0)      # fully transparent: white
    rgba[0, 2] = (0, 0, 0, 51)       # black at 20 %: 80 % white
    rgba[1] = (0, 0, 255, 255)
    image, notes = data.image_from_bytes(files.png_rgba(rgba), mode="rgb", return_notes=True)
    np.testing.assert_allclose(image[0, 0], [1, 0, 0])
    np.testing.assert_allclose(image[0, 1], [1, 1, 1])
    np.testing.assert_allclose(image[0, 2], [1 - 51 / 255] * 3)
    np.testing.assert_allclose(image[1, 0], [0, 0, 1])
    assert "transparent parts composited on white" in notes
    # grey with alpha, and a palette image with a transparent colour
    la = files.encode(Image.fromarray(np.array([[[0, 0], [0, 255]]], np.uint8), "LA"))
    np.testing.assert_allclose(data.image_from_bytes(la), [[1.0, 0.0]])
    pal = Image.new("P", (2, 1), 0)
    pal.putpalette([255, 0, 0, 0, 0, 255])
    pal.putpixel((1, 0), 1)
    image = data.image_from_bytes(files.encode(pal, transparency=0), mode="rgb")
    np.testing.assert_allclose(image[0], [[1, 1, 1], [0, 0, 1]])
    # an opaque RGBA file gets no note
    rgba[..., 3] = 255
    assert data.image_from_bytes(files.png_rgba(rgba), mode="rgb", return_notes=True)[1] == []


def test_upload_animated_gif_uses_the_first_frame():
    image, notes = data.image_from_bytes(files.animated_gif(), mode="rgb", return_notes=True)
    assert image.shape == (10, 12, 3)
    np.testing.assert_allclose(image[5, 5], [1, 0, 0], atol=0.01)  # red: the first frame
    assert any("3 frames" in n and "first frame" in n for n in notes)


def test_upload_exif_rotated_photo_is_turned_upright():
    im = Image.new("RGB", (40, 20), (0, 0, 255))  # stored 40 wide x 20 high, left half red
    im.paste((255, 0, 0), (0, 0, 20, 20))
    exif = im.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    image, notes = data.image_from_bytes(files.encode(im, "JPEG", quality=95, exif=exif), mode="rgb",
                                         return_notes=True)
    assert image.shape == (40, 20, 3)
    np.testing.assert_allclose(image[5, 10], [1, 0, 0], atol=0.06)   # the left half is now at the top
    np.testing.assert_allclose(image[35, 10], [0, 0, 1], atol=0.06)
    assert any("EXIF" in n for n in notes)


def test_upload_bad_arguments_name_themselves():
    with pytest.raises(TypeError, match="data must be"):
        data.image_from_bytes("photo.png")
    with pytest.raises(ValueError, match="mode"):
        data.image_from_bytes(files.png_rgb(), mode="cmyk")
    with pytest.raises((ValueError, TypeError), match="size"):
        data.image_from_bytes(files.png_rgb(), size=0)
    image = data.image_from_bytes(memoryview(files.png_rgb(4, 4)))  # as FileUpload delivers it
    assert image.shape == (4, 4)


_VALID = [files.png_rgb(20, 30), files.jpeg_rgb(20, 30), files.animated_gif(), files.png_gray16(np.eye(8) * 9000),
          files.jpeg_cmyk(), files.encode(Image.new("RGBA", (9, 7), (1, 2, 3, 100)))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.one_of(
    st.binary(max_size=600),
    st.tuples(st.sampled_from(range(len(_VALID))), st.floats(0, 1)).map(
        lambda t: _VALID[t[0]][: int(len(_VALID[t[0]]) * t[1])]),
    st.tuples(st.sampled_from(range(len(_VALID))), st.integers(0, 10**6), st.integers(0, 255)).map(
        lambda t: _VALID[t[0]][: t[1] % len(_VALID[t[0]])] + bytes([t[2]])
        + _VALID[t[0]][t[1] % len(_VALID[t[0]]) + 1:]),
))
def test_upload_random_bytes_give_an_image_or_a_value_error(content):
    """Random files, truncations and one-byte corruptions of real files: never any other exception."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            image = data.image_from_bytes(content, mode="rgb", size=16)
        except ValueError as exc:
            assert str(exc) and "PNG or JPEG" in str(exc) or "megapixels" in str(exc)
            return
    assert image.ndim == 3 and image.shape[2] == 3 and max(image.shape[:2]) <= 16
    assert np.all((0 <= image) & (image <= 1))


# ---------------------------------------------------------------------------------------------------------
# digit_from_strokes / strokes_from_image
# ---------------------------------------------------------------------------------------------------------

ZERO = [[(140 + 60 * np.sin(t), 140 - 100 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 60)]]
SEVEN = [[(80, 50), (200, 50), (120, 240)]]


def test_blank_drawings_give_none():
    assert data.digit_from_strokes([]) is None
    assert data.digit_from_strokes([[], []]) is None
    assert data.digit_from_strokes(np.zeros((0, 2))[None]) is None
    image, steps = data.digit_from_strokes([], return_steps=True)
    assert image is None and steps == {}


def test_drawn_digit_has_the_datasets_frame_value_range_and_ink(digits):
    image, steps = data.digit_from_strokes(ZERO, return_steps=True)
    assert image.shape == (32, 32, 1) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.max() > 0.9
    bitmap = steps["bitmap"]
    rows, cols = np.flatnonzero(bitmap.any(axis=1)), np.flatnonzero(bitmap.any(axis=0))
    assert rows[0] == 0 and rows[-1] == 31, "the ink fills the frame's height, as in every dataset digit"
    assert 17 <= cols[-1] - cols[0] + 1 <= 24, "and about 20 of its 32 columns"
    assert abs((cols[0] + cols[-1]) / 2 - 15.5) <= 1, "centred"
    dataset_ink = digits.images.sum(axis=(1, 2)).mean()  # 8x8 values = ink pixels per 4x4 block
    assert abs(int(bitmap.sum()) - dataset_ink) <= 30, "the dataset's amount of ink"
    counts = steps["counts"]
    assert counts.dtype.kind == "i" and counts.min() >= 0 and counts.max() <= 16
    # step 3 recomputed by hand: ink pixels per 4 x 4 block
    expected = np.array([[bitmap[4 * i:4 * i + 4, 4 * j:4 * j + 4].sum() for j in range(8)] for i in range(8)])
    np.testing.assert_array_equal(counts, expected)
    # step 4 recomputed independently: bicubic resize to 28 x 28 inside a 2-pixel margin
    from skimage.transform import resize

    inner = np.clip(resize(counts / 16.0, (28, 28), order=3, mode="edge", anti_aliasing=True), 0, 1)
    np.testing.assert_allclose(image[2:30, 2:30, 0], inner, atol=1e-6)
    assert not image[:2].any() and not image[30:].any() and not image[:, :2].any() and not image[:, 30:].any()


def test_where_and_how_large_you_draw_does_not_matter():
    base = data.digit_from_strokes(SEVEN)
    for scale, dx, dy in [(0.5, 0, 0), (1, 60, -30), (2.5, -100, 400), (0.1, 3, 3)]:
        moved = [[(scale * x + dx, scale * y + dy) for x, y in s] for s in SEVEN]
        np.testing.assert_allclose(data.digit_from_strokes(moved), base, atol=1e-5)
    other = data.digit_from_strokes(ZERO)
    assert np.abs(other - base).max() > 0.5, "a different drawing gives a different image"


def test_lone_points_and_lines_do_not_fail():
    dot = data.digit_from_strokes([[(5, 5)]])
    assert dot.shape == (32, 32, 1) and dot.max() > 0
    for strokes in ([[(0, 0), (0, 100)]], [[(0, 0), (100, 0)]], [[(3, 3), (3, 3)]], [[(1, 1)], [(1, 1)]]):
        image = data.digit_from_strokes(strokes)
        assert image.shape == (32, 32, 1) and np.isfinite(image).all()
    tall = data.digit_from_strokes([[(0, 0), (0, 100)]])[..., 0]
    cols = np.flatnonzero(tall.max(axis=0) > 0.3)
    assert cols[-1] - cols[0] < 20, "a vertical bar (a '1') stays a bar, it is not stretched into a blot"


@pytest.mark.parametrize("bad, error", [("abc", TypeError), (None, TypeError), (5, TypeError),
                                        ([[(1, 2, 3)]], ValueError), ([[(0, np.nan)]], ValueError),
                                        ([[(0, np.inf), (1, 1)]], ValueError), ([["a", "b"]], TypeError),
                                        ([[1, 2]], ValueError)])
def test_digit_from_strokes_bad_input(bad, error):
    with pytest.raises(error, match="strokes"):
        data.digit_from_strokes(bad)


def test_a_dataset_digit_traced_and_prepared_comes_back_close(digits):
    split = data.load_digits_32()
    correlations = []
    for x in split.x_test[:60, :, :, 0]:
        strokes = data.strokes_from_image(x)
        assert strokes and all(0 <= px <= 280 and 0 <= py <= 280 for s in strokes for px, py in s)
        back = data.digit_from_strokes(strokes)[..., 0]
        correlations.append(np.corrcoef(back.ravel(), x.ravel())[0, 1])
    correlations = np.array(correlations)
    assert np.median(correlations) > 0.85, np.round(np.percentile(correlations, [5, 50]), 3)
    assert (correlations > 0.6).mean() > 0.9


def test_strokes_from_image_traces_lines_and_rings():
    ring = np.zeros((12, 12))
    yy, xx = np.mgrid[0:12, 0:12]
    ring[np.abs(np.hypot(yy - 5.5, xx - 5.5) - 4) < 0.8] = 1.0
    strokes = data.strokes_from_image(ring, size=12)
    points = {p for s in strokes for p in s}
    assert len(strokes) == 1 and strokes[0][0] == strokes[0][-1], "a ring is one closed stroke"
    assert all(abs(np.hypot(x - 6, y - 6) - 4) < 1.5 for x, y in points)
    dot = np.zeros((5, 5))
    dot[2, 2] = 1
    assert data.strokes_from_image(dot, size=5) == [[(2.5, 2.5)]]
    with pytest.raises(ValueError, match="image"):
        data.strokes_from_image(np.zeros((2, 2, 3)))
    with pytest.raises(TypeError, match="image"):
        data.strokes_from_image("digit")
    with pytest.raises(ValueError, match="size"):
        data.strokes_from_image(ring, size=0)
