"""Offline datasets and images for the course: nothing here ever downloads.

* :func:`load_digits_32` - scikit-learn's 1,797 handwritten digits (8x8) smoothly enlarged to 32x32x1, the input
  size of LeNet-5, split into train / validation / test sets (a :class:`Split`).
* :func:`select`, :func:`load_digits_subset`, :func:`few_shot` - smaller tasks built from a split
  ("digits 0-4", "5 labelled examples per class") for the transfer-learning notebook.
* :func:`load_handwritten_digits` - MNIST if it is already on disk, else the scikit-learn digits.
* :func:`load_image`, :func:`available_images` - photographs shipped with scikit-image and matplotlib.
* :func:`image_from_bytes` - a student's own PNG or JPEG (e.g. from an upload) as a small float array; refuses
  files it cannot use with a ``ValueError`` that says why and what to do.
* :func:`small_grid`, :func:`digit_image` - tiny arrays for hand-worked examples.
* :func:`digit_from_strokes` - a digit drawn as pen strokes, prepared exactly like the training digits of
  :func:`load_digits_32` (what :class:`helpers.explorers.DigitPad` feeds LeNet-5); :func:`strokes_from_image`
  goes the other way (traces the ink of an image as strokes, for tests and demonstrations).

Only numpy, scikit-learn, scikit-image and matplotlib are used (no TensorFlow).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path

import numpy as np

from helpers._validate import require_bool, require_choice, require_nonneg_int, require_positive_int

__all__ = [
    "Split",
    "load_digits_32",
    "select",
    "load_digits_subset",
    "few_shot",
    "load_handwritten_digits",
    "load_image",
    "available_images",
    "image_from_bytes",
    "MAX_UPLOAD_MEGAPIXELS",
    "small_grid",
    "digit_image",
    "DIGIT_FRAME",
    "digit_from_strokes",
    "strokes_from_image",
]


# ---------------------------------------------------------------------------------------------------------
# Split
# ---------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Split:
    """A dataset split into training, validation and test sets.

    Images are float32 in [0, 1] with shape ``(n, height, width, channels)``; labels are int64 in
    ``0 .. n_classes - 1``.

    Attributes
    ----------
    x_train, y_train, x_val, y_val, x_test, y_test : numpy.ndarray
        Images and labels of the three sets.
    name : str
        Short name, e.g. ``"digits-32"``.
    description : str
        One sentence saying where the data comes from and how it was prepared.
    class_names : tuple of str
        What each label means, e.g. ``("0", "1", ...)``.

    Examples
    --------
    >>> split = load_digits_32()
    >>> split.x_train.shape[1:], split.n_classes
    ((32, 32, 1), 10)
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str = "dataset"
    description: str = ""
    class_names: tuple = ()

    @property
    def n_classes(self) -> int:
        """Number of classes (length of ``class_names``, or 1 + the largest label)."""
        if self.class_names:
            return len(self.class_names)
        labels = [y for y in (self.y_train, self.y_val, self.y_test) if len(y)]
        return int(max(y.max() for y in labels)) + 1 if labels else 0

    @property
    def image_shape(self) -> tuple:
        """Shape of one image, e.g. ``(32, 32, 1)``."""
        return tuple(self.x_train.shape[1:])

    def summary(self) -> str:
        """A few lines describing the split.

        Returns
        -------
        str
            Name, description, set sizes, image shape and classes.

        Examples
        --------
        >>> print(load_digits_32().summary().splitlines()[0])
        digits-32: 1,797 images of 32x32x1, 10 classes
        """
        n = len(self.y_train) + len(self.y_val) + len(self.y_test)
        shape = "x".join(str(s) for s in self.image_shape)
        classes = ", ".join(self.class_names) if self.class_names else str(self.n_classes)
        lines = [
            f"{self.name}: {n:,} images of {shape}, {self.n_classes} classes",
            f"  train {len(self.y_train):,} / validation {len(self.y_val):,} / test {len(self.y_test):,}",
            f"  classes: {classes}",
        ]
        if self.description:
            lines.append(f"  {self.description}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _require_fraction(name: str, value, allow_zero: bool = True) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number between 0 and 1, got {value!r} ({type(value).__name__})")
    low_ok = value >= 0 if allow_zero else value > 0
    if not (low_ok and value < 1):
        bound = "0 <= " if allow_zero else "0 < "
        raise ValueError(f"{name} must be a fraction with {bound}{name} < 1, got {value}")
    return float(value)


def _require_seed(value) -> int:
    return require_nonneg_int("seed", value)


# ---------------------------------------------------------------------------------------------------------
# The scikit-learn digits at 32x32
# ---------------------------------------------------------------------------------------------------------


def _upscale_digits(images8: np.ndarray, size: int) -> np.ndarray:
    """8x8 images with values 0..16 -> (n, size, size) float32 in [0, 1] with a MNIST-like margin."""
    from skimage.transform import resize

    margin = size // 16  # 2 pixels at 32x32, like MNIST's 28x28 digits in LeNet-5's 32x32 input
    inner = size - 2 * margin
    out = np.zeros((len(images8), size, size), dtype=np.float32)
    for i, im in enumerate(images8):
        big = resize(im / 16.0, (inner, inner), order=3, mode="edge", anti_aliasing=True)
        out[i, margin : margin + inner, margin : margin + inner] = np.clip(big, 0.0, 1.0)
    return out


@functools.lru_cache(maxsize=4)
def _digits_images(size: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = _upscale_digits(digits.images, size)
    return images, digits.target.astype(np.int64)


def _stratified_split(y: np.ndarray, validation: float, test: float, seed: int):
    """Index arrays (train, val, test) of a stratified split."""
    from sklearn.model_selection import train_test_split

    def split(indices, size, random_state):
        try:
            return train_test_split(indices, test_size=size, stratify=y[indices], random_state=random_state)
        except ValueError:  # too few images to give every class a place in both parts: plain random split
            return train_test_split(indices, test_size=size, random_state=random_state)

    idx = np.arange(len(y))
    rest, test_idx = (idx, idx[:0])
    if test > 0:
        rest, test_idx = split(idx, test, seed)
    val_idx = idx[:0]
    train_idx = rest
    if validation > 0:
        # validation is a fraction of the whole dataset, so rescale it to the remaining part
        train_idx, val_idx = split(rest, validation / (1.0 - test), seed + 1)
    return np.sort(train_idx), np.sort(val_idx), np.sort(test_idx)


@functools.lru_cache(maxsize=8)
def _cached_digits_32(validation: float, test: float, seed: int) -> Split:
    images, labels = _digits_images(32)
    tr, va, te = _stratified_split(labels, validation, test, seed)
    x = images[..., None]
    return Split(
        x_train=x[tr], y_train=labels[tr], x_val=x[va], y_val=labels[va], x_test=x[te], y_test=labels[te],
        name="digits-32",
        description=(
            "scikit-learn's 8x8 handwritten digits (UCI), enlarged to 28x28 with bicubic interpolation "
            "and framed by a 2-pixel margin like MNIST in LeNet-5's 32x32 input; stratified split."
        ),
        class_names=tuple(str(d) for d in range(10)),
    )


def _copy_split(split: Split, **changes) -> Split:
    """A deep copy (fresh arrays), so callers can modify it without touching the cache."""
    fields = {f.name: getattr(split, f.name) for f in dataclasses.fields(split)}
    fields = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in fields.items()}
    fields.update(changes)
    return Split(**fields)


def load_digits_32(validation=0.15, test=0.2, seed=0) -> Split:
    """scikit-learn's handwritten digits as 32x32x1 images, split into train / validation / test.

    The 1,797 8x8 digits are enlarged to 28x28 with a smooth (bicubic) resize and framed by a 2-pixel
    margin, as MNIST digits sit in LeNet-5's 32x32 input. The split is stratified (every set has the same
    class proportions) and fixed by ``seed``. The work is cached, and every call returns fresh arrays.

    Parameters
    ----------
    validation : float
        Fraction of all images in the validation set (0 for none).
    test : float
        Fraction of all images in the test set (0 for none).
    seed : int
        Seed of the split (>= 0); the same seed always gives the same split.

    Returns
    -------
    Split
        float32 images in [0, 1] of shape (n, 32, 32, 1) and int64 labels 0-9.

    Examples
    --------
    >>> split = load_digits_32()
    >>> split.x_train.shape, split.x_val.shape, split.x_test.shape
    ((1167, 32, 32, 1), (270, 32, 32, 1), (360, 32, 32, 1))
    >>> float(split.x_train.min()), float(split.x_train.max())
    (0.0, 1.0)
    """
    validation = _require_fraction("validation", validation)
    test = _require_fraction("test", test)
    seed = _require_seed(seed)
    if validation + test >= 1:
        raise ValueError(f"validation + test must be < 1 to leave training images, got {validation} + {test}")
    return _copy_split(_cached_digits_32(validation, test, seed))


def select(split: Split, classes) -> Split:
    """Keep only some classes of a split and renumber their labels 0 .. k-1.

    Parameters
    ----------
    split : Split
        The dataset to filter.
    classes : sequence of int
        Labels to keep, in the order of their new labels: ``classes[i]`` becomes label ``i``.

    Returns
    -------
    Split
        A new split (fresh arrays) with ``len(classes)`` classes.

    Examples
    --------
    >>> upper = select(load_digits_32(), [5, 6, 7, 8, 9])
    >>> sorted(set(upper.y_train.tolist())), upper.class_names
    ([0, 1, 2, 3, 4], ('5', '6', '7', '8', '9'))
    """
    if not isinstance(split, Split):
        raise TypeError(f"split must be a Split (from helpers.data), got {type(split).__name__}")
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
        raise TypeError(f"classes must be a sequence of labels, got {classes!r}")
    classes = [require_nonneg_int("classes", c) for c in classes]
    if not classes:
        raise ValueError("classes must name at least one label, got an empty sequence")
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes must not repeat a label, got {classes}")
    n = split.n_classes
    bad = [c for c in classes if c >= n]
    if bad:
        raise ValueError(f"classes must be labels between 0 and {n - 1}, got {bad}")
    mapping = np.full(n, -1, dtype=np.int64)
    mapping[classes] = np.arange(len(classes))

    def part(x, y):
        keep = mapping[y] >= 0
        return x[keep].copy(), mapping[y[keep]]

    x_train, y_train = part(split.x_train, split.y_train)
    x_val, y_val = part(split.x_val, split.y_val)
    x_test, y_test = part(split.x_test, split.y_test)
    names = tuple(split.class_names[c] for c in classes) if split.class_names else tuple(str(c) for c in classes)
    return Split(
        x_train, y_train, x_val, y_val, x_test, y_test,
        name=f"{split.name} [{', '.join(names)}]",
        description=(split.description + f" Only classes {', '.join(names)}, relabelled 0-{len(classes) - 1}.")
        .strip(),
        class_names=names,
    )


def load_digits_subset(digits, validation=0.15, test=0.2, seed=0) -> Split:
    """:func:`load_digits_32` restricted to some digits, relabelled 0 .. k-1 (see :func:`select`).

    Parameters
    ----------
    digits : sequence of int
        The digits to keep, e.g. ``range(5)`` for "digits 0-4".
    validation, test, seed
        As in :func:`load_digits_32`.

    Returns
    -------
    Split

    Examples
    --------
    >>> upper = load_digits_subset([5, 6, 7, 8, 9])
    >>> upper.n_classes, int(upper.y_test.max())
    (5, 4)
    """
    return select(load_digits_32(validation=validation, test=test, seed=seed), list(digits))


def few_shot(split: Split, per_class, seed=0) -> Split:
    """Keep only ``per_class`` labelled training examples of each class (validation and test unchanged).

    Parameters
    ----------
    split : Split
        The full dataset.
    per_class : int
        Training examples kept per class (>= 1, at most the size of the smallest class).
    seed : int
        Which examples are drawn; the same seed gives the same examples.

    Returns
    -------
    Split
        A new split with ``per_class * n_classes`` training images (in class order).

    Examples
    --------
    >>> small = few_shot(load_digits_32(), per_class=5)
    >>> len(small.y_train), [int(c) for c in np.bincount(small.y_train)]
    (50, [5, 5, 5, 5, 5, 5, 5, 5, 5, 5])
    """
    if not isinstance(split, Split):
        raise TypeError(f"split must be a Split (from helpers.data), got {type(split).__name__}")
    per_class = require_positive_int("per_class", per_class)
    seed = _require_seed(seed)
    counts = np.bincount(split.y_train, minlength=split.n_classes)
    if per_class > counts.min():
        c = int(counts.argmin())
        raise ValueError(
            f"per_class must be at most {counts.min()} (the training examples of the smallest class, "
            f"{split.class_names[c] if split.class_names else c}), got {per_class}"
        )
    rng = np.random.default_rng(seed)
    chosen = []
    for c in range(split.n_classes):
        idx = np.flatnonzero(split.y_train == c)
        chosen.append(np.sort(rng.choice(idx, size=per_class, replace=False)))
    keep = np.concatenate(chosen)
    return _copy_split(
        split,
        x_train=split.x_train[keep].copy(),
        y_train=split.y_train[keep].copy(),
        name=f"{split.name} ({per_class} per class)",
    )


# ---------------------------------------------------------------------------------------------------------
# MNIST if already on disk
# ---------------------------------------------------------------------------------------------------------


def _keras_mnist_path() -> Path:
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "mnist.npz"


def _load_mnist(path: Path, validation: float, seed: int) -> Split:
    with np.load(path, allow_pickle=False) as f:
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]

    def prep(x):
        x = np.asarray(x, dtype=np.float32) / 255.0
        return np.pad(x, ((0, 0), (2, 2), (2, 2)))[..., None]  # 28x28 -> 32x32 like LeNet-5's input

    x_train, x_test = prep(x_train), prep(x_test)
    y_train, y_test = np.asarray(y_train, dtype=np.int64), np.asarray(y_test, dtype=np.int64)
    tr, va, _ = _stratified_split(y_train, validation, 0.0, seed) if validation > 0 else (
        np.arange(len(y_train)), np.arange(0), None)
    return Split(
        x_train[tr], y_train[tr], x_train[va], y_train[va], x_test, y_test,
        name="mnist-32",
        description=f"MNIST from {path}, 28x28 digits padded to 32x32; validation taken from its training set.",
        class_names=tuple(str(d) for d in range(10)),
    )


def load_handwritten_digits(prefer_mnist=False, mnist_path=None, validation=0.15, seed=0) -> Split:
    """Handwritten digits at 32x32x1: MNIST if it is already on disk, otherwise scikit-learn's digits.

    Nothing is ever downloaded. MNIST is used when ``prefer_mnist`` is True (or ``mnist_path`` is given)
    and the file exists: ``mnist_path``, else Keras's cache ``~/.keras/datasets/mnist.npz`` (or
    ``$KERAS_HOME/datasets/mnist.npz``). The function prints which dataset it used.

    Parameters
    ----------
    prefer_mnist : bool
        Look for MNIST first.
    mnist_path : str or Path, optional
        An ``mnist.npz`` in Keras's format (``x_train``, ``y_train``, ``x_test``, ``y_test``).
    validation : float
        Fraction of the data kept for validation (for MNIST: of its training set).
    seed : int
        Seed of the split.

    Returns
    -------
    Split
        ``"mnist-32"`` (28x28 digits padded to 32x32, test = MNIST's test set) or ``"digits-32"``
        (:func:`load_digits_32`).

    Examples
    --------
    >>> split = load_handwritten_digits()
    Using scikit-learn's digits (1,797 images of 8x8, enlarged to 32x32).
    >>> split.name
    'digits-32'
    """
    prefer_mnist = require_bool("prefer_mnist", prefer_mnist)
    validation = _require_fraction("validation", validation)
    seed = _require_seed(seed)
    reason = ""
    if prefer_mnist or mnist_path is not None:
        if mnist_path is not None and not isinstance(mnist_path, (str, os.PathLike)):
            raise TypeError(f"mnist_path must be a path (str or Path), got {type(mnist_path).__name__}")
        path = Path(mnist_path) if mnist_path is not None else _keras_mnist_path()
        if path.is_file():
            split = _load_mnist(path, validation, seed)
            n = len(split.y_train) + len(split.y_val) + len(split.y_test)
            print(f"Using MNIST from {path} ({n:,} images of 28x28, padded to 32x32).")
            return split
        reason = f"No MNIST file at {path} (nothing is downloaded). "
    print(f"{reason}Using scikit-learn's digits (1,797 images of 8x8, enlarged to 32x32).")
    return load_digits_32(validation=validation, seed=seed)


# ---------------------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------------------

# Images that ship inside the scikit-image wheel (checked offline), plus matplotlib's sample photograph.
_SKIMAGE_IMAGES = (
    "camera", "astronaut", "coins", "chelsea", "coffee", "checkerboard", "brick", "grass", "gravel",
    "moon", "page", "text", "clock", "cat", "rocket", "horse", "cell", "colorwheel", "immunohistochemistry",
    "hubble_deep_field", "microaneurysms", "shepp_logan_phantom",
)
_MATPLOTLIB_IMAGES = {"grace_hopper": "grace_hopper.jpg"}


def available_images() -> list[str]:
    """Names accepted by :func:`load_image` (all load offline).

    Returns
    -------
    list of str

    Examples
    --------
    >>> names = available_images()
    >>> "camera" in names and "grace_hopper" in names
    True
    """
    return list(_SKIMAGE_IMAGES) + list(_MATPLOTLIB_IMAGES)


@functools.lru_cache(maxsize=16)
def _raw_image(name: str) -> np.ndarray:
    if name in _MATPLOTLIB_IMAGES:
        import matplotlib.cbook as cbook
        import matplotlib.image as mpimg

        with cbook.get_sample_data(_MATPLOTLIB_IMAGES[name]) as f:
            img = mpimg.imread(f, format="jpg")
    else:
        import skimage.data

        img = getattr(skimage.data, name)()
    img = np.asarray(img)
    if img.dtype == bool:
        img = img.astype(np.float64)
    elif np.issubdtype(img.dtype, np.integer):
        img = img / float(np.iinfo(img.dtype).max)
    else:
        img = img.astype(np.float64)
        lo, hi = img.min(), img.max()
        if lo < 0 or hi > 1:
            img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    if img.ndim == 3 and img.shape[-1] == 4:
        img = img[..., :3]
    img.setflags(write=False)
    return img


def load_image(name="camera", gray=False, size=None) -> np.ndarray:
    """A sample photograph as a float array in [0, 1] (from scikit-image or matplotlib; offline).

    Parameters
    ----------
    name : str
        One of :func:`available_images`, e.g. ``"camera"`` (grey), ``"astronaut"``, ``"coins"``,
        ``"chelsea"`` (a cat), ``"coffee"``, ``"checkerboard"``, ``"grace_hopper"``.
    gray : bool
        Convert colour images to one grey channel (luminance).
    size : int or (int, int), optional
        Resize (with anti-aliasing) to ``size x size`` or ``(height, width)``.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` for grey images, ``(H, W, 3)`` for colour ones; float64 in [0, 1].

    Examples
    --------
    >>> load_image("camera").shape
    (512, 512)
    >>> load_image("astronaut", gray=True, size=64).shape
    (64, 64)
    >>> load_image("chelsea", size=(30, 45)).shape
    (30, 45, 3)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be an image name (str), got {type(name).__name__}")
    require_choice("name", name, available_images())
    gray = require_bool("gray", gray)
    img = _raw_image(name)
    if gray and img.ndim == 3:
        from skimage.color import rgb2gray

        img = rgb2gray(img)
    if size is not None:
        from skimage.transform import resize

        from helpers._validate import require_pair

        h, w = require_pair("size", size)
        img = resize(img, (h, w) + img.shape[2:], anti_aliasing=True, mode="reflect")
    return np.clip(np.array(img, dtype=np.float64), 0.0, 1.0)


# ---------------------------------------------------------------------------------------------------------
# A student's own image (uploads)
# ---------------------------------------------------------------------------------------------------------

#: Largest image :func:`image_from_bytes` decodes, in megapixels (a 24-megapixel camera photo passes; a
#: 50-megapixel one is refused from its header, before a single pixel is decoded).
MAX_UPLOAD_MEGAPIXELS = 40

#: Formats :func:`image_from_bytes` reads (PIL names). PNG and JPEG are what the course asks for; GIF (first
#: frame), BMP and WebP are read too because students meet them on the web.
_UPLOAD_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")

#: Signatures of files students often try that PIL cannot (or we will not) read -> what to tell them.
_OTHER_FILES = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or a Word/Excel/PowerPoint file)"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"<svg", "an SVG drawing (vector graphics)"),
    (b"<?xml", "an XML/SVG text file"),
)
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"),
               (b"BM", "BMP"))

# EXIF orientation -> the transpose that makes the photo upright (as phones and cameras record it)
_EXIF_TRANSPOSE = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270",
                   7: "TRANSVERSE", 8: "ROTATE_90"}

_FIX = "choose a PNG or JPEG photo"


def _what_file(data: bytes) -> str | None:
    """A plain name for a file that is not one of the readable formats, from its first bytes (or None)."""
    head = data[:64].lstrip()
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc", b"ftypheif"):
        return "a HEIC/HEIF photo (the iPhone's format)"
    if data[4:8] == b"ftyp":
        return "a video or HEIF file"
    for signature, name in _OTHER_FILES:
        if head.startswith(signature):
            return name
    return None


def _started_as(data: bytes) -> str | None:
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    return None


def _require_upload_size(size):
    if isinstance(size, (tuple, list)):
        from helpers._validate import require_pair

        return require_pair("size", size)
    return require_positive_int("size", size)


def image_from_bytes(data, mode="gray", size=64, name="the file", return_notes=False):
    """Decode a PNG or JPEG file's bytes into a small float image, or say clearly why it cannot be used.

    This is what the explorers do with an uploaded photo. What happens to the unusual files students try:

    ======================================  ================================================================
    file                                    result
    ======================================  ================================================================
    empty (0 bytes)                         refused: ``ValueError``
    not an image (text, PDF, HEIC, ...)     refused, naming what the file looks like when it can
    truncated or damaged                    refused: "damaged or incomplete"
    more than :data:`MAX_UPLOAD_MEGAPIXELS` refused from the header, before any pixel is decoded
    with transparency (alpha)               converted: composited on a white background (a note says so)
    16-bit grey                             converted: scaled to 0..1 like 8-bit images (note)
    CMYK (print) JPEG                       converted to RGB; colours may shift slightly (note)
    animated GIF / PNG / WebP               converted: the first frame is used (note)
    colour, ``mode="gray"``                 converted to luminance (ITU-R 709 weights, as scikit-image)
    grey, ``mode="rgb"``                    three equal channels (note)
    EXIF-rotated phone photo                turned upright as the camera recorded it (note)
    ======================================  ================================================================

    Parameters
    ----------
    data : bytes, bytearray or memoryview
        The whole file (e.g. ``open(path, "rb").read()`` or an ipywidgets ``FileUpload`` value's ``content``).
    mode : {"gray", "rgb", "auto"}, optional
        ``"gray"``: one channel ``(H, W)``; ``"rgb"``: ``(H, W, 3)``; ``"auto"``: grey files (and colour files
        whose three channels are equal) give ``(H, W)``, colour ones ``(H, W, 3)``.
    size : int or (int, int), optional
        An int shrinks the image (keeping its proportions) until both sides are at most ``size``; smaller images
        keep their own size. A pair ``(height, width)`` resizes to exactly that.
    name : str, optional
        The file's name, used in messages.
    return_notes : bool, optional
        Also return the list of notes (what was converted, in plain words).

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, list of str)
        float64 in [0, 1], ``(H, W)`` or ``(H, W, 3)``; with ``return_notes`` also the notes.

    Raises
    ------
    ValueError
        When the file cannot be used; the message says why and what to do instead.
    TypeError
        When ``data`` is not bytes-like.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("RGBA", (300, 200), (255, 0, 0, 128)).save(buffer, format="PNG")
    >>> image, notes = image_from_bytes(buffer.getvalue(), mode="rgb", size=64, return_notes=True)
    >>> image.shape, notes[-1]
    ((43, 64, 3), 'transparent parts composited on white')
    >>> image_from_bytes(b"hello", name="notes.txt")
    Traceback (most recent call last):
    ...
    ValueError: notes.txt is not an image this explorer can read (PNG or JPEG): choose a PNG or JPEG photo
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be the file's bytes (bytes, bytearray or memoryview), got {type(data).__name__}")
    mode = require_choice("mode", mode, ("gray", "rgb", "auto"))
    size = _require_upload_size(size)
    return_notes = require_bool("return_notes", return_notes)
    name = str(name)
    data = bytes(data)
    image, notes = _decode_upload(data, mode, size, name)
    return (image, notes) if return_notes else image


def _decode_upload(data, mode, size, name):
    import io
    import warnings

    from PIL import Image

    if not data:
        raise ValueError(f"{name} is empty (0 bytes): the upload did not arrive or the file has no content; "
                         f"{_FIX}")
    notes = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own, lower limit follows
            img = Image.open(io.BytesIO(data), formats=_UPLOAD_FORMATS)
            width, height = img.size
    except Image.DecompressionBombError as exc:  # PIL's own limit (about 179 megapixels) met while reading
        import re

        found = re.search(r"\((\d+) pixels\)", str(exc))
        what = f"{int(found.group(1)) / 1e6:.0f} megapixels" if found else "too many pixels"
        raise ValueError(f"{name} is far too large ({what}); this explorer reads images up to "
                         f"{MAX_UPLOAD_MEGAPIXELS} megapixels: shrink it and upload it again") from None
    except Exception:  # noqa: BLE001 - UnidentifiedImageError, or any failure while reading a header
        started = _started_as(data)
        other = _what_file(data)
        if started is not None:
            raise ValueError(f"{name} starts like a {started} image but is damaged or incomplete (was the copy or "
                             f"download interrupted?): {_FIX}") from None
        if other is not None:
            raise ValueError(f"{name} looks like {other}, not a PNG or JPEG image: save or export it as PNG or "
                             f"JPEG and upload that") from None
        raise ValueError(f"{name} is not an image this explorer can read (PNG or JPEG): {_FIX}") from None
    pixels = width * height
    if pixels > MAX_UPLOAD_MEGAPIXELS * 1_000_000:
        raise ValueError(f"{name} is {width} pixels wide and {height} high ({pixels / 1e6:.1f} megapixels); this "
                         f"explorer reads images "
                         f"up to {MAX_UPLOAD_MEGAPIXELS} megapixels (it shows them at most {_size_text(size)} "
                         "anyway): shrink it (for example export a smaller copy) and upload it again")
    if width < 1 or height < 1:
        raise ValueError(f"{name} has no pixels ({width} x {height}): {_FIX}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PIL's warnings about odd files: the result is checked below
            image = _pixels(img, mode, size, notes)
    except ValueError:
        raise
    except MemoryError:
        raise ValueError(f"{name} needs more memory to decode than is available: upload a smaller image") from None
    except Exception:  # noqa: BLE001 - truncated data, broken chunks, decoder errors: one clear message
        raise ValueError(f"{name} is damaged or incomplete (the {img.format} data ends early or is broken; was the "
                         f"copy or download interrupted?): {_FIX}") from None
    if not np.all(np.isfinite(image)):  # pragma: no cover - defensive: PIL gave nonsense
        raise ValueError(f"{name} decoded to invalid pixel values: {_FIX}")
    return image, notes


def _size_text(size):
    return f"{size} x {size}" if isinstance(size, int) else f"{size[0]} x {size[1]}"


def _pixels(img, mode, size, notes):
    """Decode, convert and resize an opened PIL image (raises on damaged data); appends notes."""
    from PIL import Image

    fmt = img.format
    width, height = img.size
    frames = getattr(img, "n_frames", 1)
    if frames > 1:
        notes.append(f"animated {fmt} with {frames} frames: the first frame is used")
        img.seek(0)
    tile_modes = " ".join(str(getattr(t, "args", "")) for t in (img.tile or []))
    if img.mode in ("RGB", "RGBA", "LA") and ";16" in tile_modes:  # PIL keeps the high byte of each channel
        notes.append("16-bit colour channels reduced to 8 bits (256 levels are plenty at this size)")
    if fmt == "JPEG" and isinstance(size, int):
        img.draft(None, (size, size))  # decode at 1/2, 1/4 or 1/8 scale when that is still >= size: much faster
    img.load()  # the pixels: a truncated or broken file fails here
    orientation = 1
    try:
        orientation = int(img.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - unreadable EXIF: keep the pixels as stored
        orientation = 1
    original = img.mode
    sixteen = False
    if original in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(img).astype(np.float32)
        top = 65535.0 if original != "I" or arr.max(initial=0) <= 65535 else float(arr.max())
        arr = np.clip(arr, 0, None) / top
        img = Image.fromarray(arr)  # float32 -> PIL mode "F", which resizes smoothly
        sixteen = True
        notes.append("16-bit greys scaled to 0..1 like an 8-bit image")
    elif original == "F":
        arr = np.asarray(img).astype(np.float32)
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        arr = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
        img = Image.fromarray(arr.astype(np.float32))
        sixteen = True
        notes.append("floating-point values scaled to 0..1")
    elif original == "CMYK":
        img = img.convert("RGB")
        notes.append("CMYK (print) colours converted to RGB: they may look slightly different")
    elif original in ("1", "L"):
        img = img.convert("L")
    elif original in ("LA", "La", "PA"):
        img = img.convert("LA") if original != "PA" else img.convert("RGBA")
    elif original in ("RGBA", "RGBa") or img.has_transparency_data:
        img = img.convert("RGBA")
    else:  # RGB, P, YCbCr, LAB, HSV, RGBX ...
        img = img.convert("RGB")
    transpose = _EXIF_TRANSPOSE.get(orientation)
    if transpose is not None:
        img = img.transpose(getattr(Image.Transpose, transpose))
        notes.append("turned upright as the camera recorded it (EXIF orientation)")
        if orientation >= 5:  # a quarter turn: width and height swap
            width, height = height, width
    w, h = img.size  # smaller than (width, height) when JPEG's draft mode decoded at a reduced scale
    if isinstance(size, int):
        scale = min(1.0, size / max(w, h))
        target = (max(1, round(w * scale)), max(1, round(h * scale)))
    else:
        target = (size[1], size[0])
    if target != (w, h):
        img = img.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if target != (width, height):
        notes.append(f"resized from {height} x {width} to {target[1]} x {target[0]} pixels (height x width)")
    arr = np.asarray(img, dtype=np.float64)
    arr = arr if sixteen else arr / 255.0
    if arr.ndim == 3 and arr.shape[2] in (2, 4):  # composite on white
        alpha, colour = arr[..., -1:], arr[..., :-1]
        if np.any(alpha < 1):
            notes.append("transparent parts composited on white")
        arr = colour * alpha + (1.0 - alpha)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if mode == "auto" and arr.ndim == 3 and np.array_equal(arr[..., 0], arr[..., 1]) \
            and np.array_equal(arr[..., 0], arr[..., 2]):
        arr = arr[..., 0]
    if mode == "gray" and arr.ndim == 3:
        arr = arr @ np.array([0.2125, 0.7154, 0.0721])
    elif mode == "rgb" and arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
        notes.append("a grey image: its three colour channels are equal")
    return np.clip(arr, 0.0, 1.0)


# ---------------------------------------------------------------------------------------------------------
# Tiny arrays for hand-worked examples
# ---------------------------------------------------------------------------------------------------------

_GRIDS = ("edge", "horizontal_edge", "ramp", "pool", "checker", "square")


def small_grid(kind="edge") -> np.ndarray:
    """Tiny integer images for working convolution and pooling by hand.

    Parameters
    ----------
    kind : str
        * ``"edge"`` - the classic 6x6 vertical edge: left half 10, right half 0.
        * ``"horizontal_edge"`` - the same edge turned: top half 10, bottom half 0.
        * ``"ramp"`` - 5x5 with the values 0 .. 24 row by row (every position is distinguishable).
        * ``"pool"`` - a 4x4 grid for 2x2 max / average pooling.
        * ``"checker"`` - 6x6 checkerboard of 1s and 0s.
        * ``"square"`` - 8x8 zeros with a 4x4 square of 1s in the middle.

    Returns
    -------
    numpy.ndarray
        A new 2-D int64 array (safe to modify).

    Examples
    --------
    >>> small_grid("edge")
    array([[10, 10, 10,  0,  0,  0],
           [10, 10, 10,  0,  0,  0],
           [10, 10, 10,  0,  0,  0],
           [10, 10, 10,  0,  0,  0],
           [10, 10, 10,  0,  0,  0],
           [10, 10, 10,  0,  0,  0]])
    >>> small_grid("pool")
    array([[1, 3, 2, 1],
           [2, 9, 1, 1],
           [1, 3, 2, 3],
           [5, 6, 1, 2]])
    """
    require_choice("kind", kind, _GRIDS)
    if kind == "edge":
        grid = np.zeros((6, 6), dtype=np.int64)
        grid[:, :3] = 10
    elif kind == "horizontal_edge":
        grid = np.zeros((6, 6), dtype=np.int64)
        grid[:3, :] = 10
    elif kind == "ramp":
        grid = np.arange(25, dtype=np.int64).reshape(5, 5)
    elif kind == "pool":
        grid = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]], dtype=np.int64)
    elif kind == "checker":
        grid = (np.indices((6, 6)).sum(axis=0) % 2 == 0).astype(np.int64)
    else:  # square
        grid = np.zeros((8, 8), dtype=np.int64)
        grid[2:6, 2:6] = 1
    return grid


def digit_image(index=0, size=32) -> np.ndarray:
    """One of scikit-learn's handwritten digits as a 2-D float array in [0, 1].

    Parameters
    ----------
    index : int
        Which of the 1,797 digits (0 .. 1796); digit ``index`` has label ``index % 10`` for the first ten.
    size : int
        Side length: 8 gives the original pixels (scaled to [0, 1]); larger sizes are enlarged smoothly with
        a margin of ``size // 16`` pixels, exactly as in :func:`load_digits_32` for ``size=32``.

    Returns
    -------
    numpy.ndarray
        ``(size, size)`` float32.

    Examples
    --------
    >>> digit_image(0).shape
    (32, 32)
    >>> digit_image(3, size=8).shape
    (8, 8)
    """
    index = require_nonneg_int("index", index)
    size = require_positive_int("size", size)
    if size < 8:
        raise ValueError(f"size must be at least 8 (the digits' own resolution), got {size}")
    if index >= 1797:
        raise ValueError(f"index must be between 0 and 1796 (there are 1,797 digits), got {index}")
    if size == 32:
        return _digits_images(32)[0][index].copy()
    from sklearn.datasets import load_digits

    im8 = load_digits().images[index]
    if size == 8:
        return (im8 / 16.0).astype(np.float32)
    return _upscale_digits(im8[None], size)[0]


# ---------------------------------------------------------------------------------------------------------
# A drawn digit, prepared like the training digits
# ---------------------------------------------------------------------------------------------------------

#: How the UCI "optdigits" (scikit-learn's 8x8 digits) were made, measured on the 1,797 images: each digit was
#: a black-and-white 32x32 bitmap whose ink fills the full height (all 1,797 digits touch rows 0 and 7 of the
#: 8x8 grid) and about 20 of the 32 columns (most digits span 6 of the 8 columns, centred: the box is
#: centred, not the mass), with about 313 ink pixels whatever the digit (the strokes were thickened or thinned
#: to a constant amount of ink: a "1" is drawn with a much thicker pen than an "8"). Counting the ink pixels of
#: every 4x4 block gives the 8x8 values 0..16.
DIGIT_FRAME = {"size": 32, "box_height": 32, "box_width": 20, "ink_pixels": 313, "block": 4, "max_stretch": 2.0}


def _require_strokes(strokes):
    """Validate strokes: a sequence of strokes, each a sequence of (x, y) pairs -> list of (n, 2) float arrays."""
    if isinstance(strokes, (str, bytes)) or strokes is None or not hasattr(strokes, "__iter__"):
        raise TypeError("strokes must be a list of strokes, each a list of (x, y) points, "
                        f"got {type(strokes).__name__}")
    out = []
    for i, stroke in enumerate(strokes):
        if isinstance(stroke, (str, bytes)) or stroke is None or not hasattr(stroke, "__iter__"):
            raise TypeError(f"strokes[{i}] must be a list of (x, y) points, got {type(stroke).__name__}")
        try:
            arr = np.asarray(list(stroke) if not isinstance(stroke, np.ndarray) else stroke, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"strokes[{i}] must hold (x, y) pairs of numbers, got {stroke!r:.60}") from exc
        if arr.size == 0:
            continue
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError(f"strokes[{i}] must be a list of (x, y) pairs (shape (n, 2)), got shape {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError(f"strokes[{i}] has a coordinate that is not a finite number (nan or inf)")
        out.append(arr)
    return out


def _fit_to_frame(strokes, margin):
    """Map the strokes' centre lines into the dataset's 20x32 box (minus the pen margin), centred in the frame."""
    f = DIGIT_FRAME
    points = np.concatenate(strokes)
    lo, hi = points.min(axis=0), points.max(axis=0)
    width, height = hi - lo
    box_w, box_h = max(f["box_width"] - 2 * margin, 1.0), max(f["box_height"] - 2 * margin, 1.0)
    # the dataset stretches every digit to the same box; a nearly straight line (a "1", a "-") is not blown up
    # into a wide blot: each axis is stretched at most max_stretch times more than the other
    fits = [s for s in (box_w / width if width > 0 else None, box_h / height if height > 0 else None) if s]
    base = min(fits) if fits else 1.0
    limit = base * f["max_stretch"]
    sx = min(box_w / width, limit) if width > 0 else base
    sy = min(box_h / height, limit) if height > 0 else base
    centre = (lo + hi) / 2
    scale = np.array([sx, sy])
    return [(s - centre) * scale + f["size"] / 2 for s in strokes]


def _thin_points(stroke, spacing=0.3):
    """Drop points closer than ``spacing`` (frame pixels) to the last kept one; keeps the ends."""
    if len(stroke) <= 2:
        return stroke
    keep = [0]
    last = stroke[0]
    for i in range(1, len(stroke) - 1):
        if np.hypot(*(stroke[i] - last)) >= spacing:
            keep.append(i)
            last = stroke[i]
    keep.append(len(stroke) - 1)
    return stroke[keep]


def _distance_to_strokes(strokes, size):
    """(size, size) distance from every pixel centre to the nearest stroke segment (a lone point is a dot)."""
    starts = np.concatenate([s[:-1] if len(s) > 1 else s for s in strokes])
    ends = np.concatenate([s[1:] if len(s) > 1 else s for s in strokes])
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    pix = np.stack([xx.ravel(), yy.ravel()], axis=1)  # (P, 2) as (x, y)
    best = np.full(len(pix), np.inf)
    for k in range(0, len(starts), 256):
        a, b = starts[k : k + 256], ends[k : k + 256]
        ab = b - a
        length2 = (ab**2).sum(axis=1)
        ap = pix[:, None, :] - a[None, :, :]
        t = np.clip((ap * ab[None]).sum(axis=2) / np.where(length2 > 0, length2, 1.0)[None], 0.0, 1.0)
        nearest = a[None] + t[..., None] * ab[None]
        d = np.sqrt(((pix[:, None, :] - nearest) ** 2).sum(axis=2)).min(axis=1)
        best = np.minimum(best, d)
    return best.reshape(size, size)


def _ink_bitmap(strokes, margin):
    f = DIGIT_FRAME
    fitted = [_thin_points(s) for s in _fit_to_frame(strokes, margin)]
    dist = _distance_to_strokes(fitted, f["size"])
    # the pen radius that gives the dataset's amount of ink (as close as ties between equal distances allow)
    ordered = np.sort(dist.ravel())
    target = f["ink_pixels"]
    above = ordered[target - 1]  # painting up to here gives >= target pixels
    below = ordered[ordered < above]
    radius = float(above)
    if below.size and target - below.size < np.count_nonzero(ordered <= above) - target:
        radius = float(below[-1])
    return fitted, dist <= radius, radius


def digit_from_strokes(strokes, return_steps=False):
    """A digit drawn as pen strokes, prepared exactly like the images of :func:`load_digits_32`.

    A raw drawing looks nothing like the training digits: it is drawn anywhere on the pad, at any size, with
    any pen. The steps redo what was done to scikit-learn's digits (see :data:`DIGIT_FRAME`):

    1. **Frame**: take the bounding box of the stroke centre lines and stretch it into the dataset's
       20 x 32 box (at most 2x more along one axis than the other, so a "1" stays a bar), centred in a
       32 x 32 frame. Where and how large you draw no longer matters.
    2. **Ink**: paint every pixel whose centre is within a pen radius of a stroke, the radius chosen so that
       313 pixels are ink, the dataset's average (its strokes were normalised to a constant amount of ink).
    3. **Downsample**: count the ink pixels of each 4 x 4 block: an 8 x 8 image with values 0..16, the
       dataset's range.
    4. **Upscale**: enlarge the 8 x 8 image to 32 x 32 exactly as the training images were
       (``_upscale_digits``: bicubic resize to 28 x 28 plus a 2-pixel margin, values in [0, 1]).

    Parameters
    ----------
    strokes : sequence of sequences of (x, y)
        Pen strokes in any coordinates with y pointing down (canvas pixels, say); a stroke of one point is a
        dot. Empty strokes are ignored.
    return_steps : bool, optional
        Also return the intermediate pictures.

    Returns
    -------
    numpy.ndarray or None
        ``(32, 32, 1)`` float32 in [0, 1], the network's input; ``None`` for a blank drawing (no points).
        With ``return_steps``: ``(image, steps)`` where ``steps`` has ``"strokes"`` (centre lines in frame
        pixels), ``"bitmap"`` (32 x 32 bool), ``"pen_radius"`` (frame pixels), ``"counts"`` (8 x 8 ints 0..16)
        and ``"image"`` (None and an empty dict when blank).

    Raises
    ------
    TypeError
        ``strokes`` is not a list of lists of number pairs.
    ValueError
        A stroke is not of shape (n, 2) or holds nan / inf.

    Examples
    --------
    >>> one = digit_from_strokes([[(140, 40), (140, 240)]])       # a vertical bar, drawn on a 280 px pad
    >>> one.shape, one.dtype
    ((32, 32, 1), dtype('float32'))
    >>> moved = digit_from_strokes([[(20, 5), (20, 105)]])          # elsewhere, smaller: the same input
    >>> bool(np.allclose(one, moved))
    True
    >>> image, steps = digit_from_strokes([[(0, 0), (10, 0), (10, 20)]], return_steps=True)
    >>> abs(int(steps["bitmap"].sum()) - 313) < 40, steps["counts"].shape, int(steps["counts"].max()) <= 16
    (True, (8, 8), True)
    >>> digit_from_strokes([]) is None, digit_from_strokes([[]]) is None
    (True, True)
    """
    return_steps = require_bool("return_steps", return_steps)
    arrays = _require_strokes(strokes)
    if not arrays:
        return (None, {}) if return_steps else None
    f = DIGIT_FRAME
    _, _, radius = _ink_bitmap(arrays, margin=2.0)  # a first guess of the pen, then the box margin that fits it
    fitted, bitmap, radius = _ink_bitmap(arrays, margin=float(np.clip(radius, 0.5, 8.0)))
    b = f["block"]
    n = f["size"] // b
    counts = bitmap.reshape(n, b, n, b).sum(axis=(1, 3)).astype(np.int64)
    image = _upscale_digits(counts[None].astype(float), f["size"])[0][..., None]
    if return_steps:
        return image, {"strokes": fitted, "bitmap": bitmap, "pen_radius": radius, "counts": counts,
                       "image": image}
    return image


def strokes_from_image(image, size=280, threshold=0.5):
    """Trace the ink of a grey image as pen strokes: the centre lines (skeleton) of the pixels above a threshold.

    The inverse of :func:`digit_from_strokes`, up to the pen: use it to replay a dataset digit on a
    :class:`helpers.explorers.DigitPad`, or to test that a drawing of a known digit is recognised.

    Parameters
    ----------
    image : array_like
        ``(H, W)`` or ``(H, W, 1)``, ink bright (as in :func:`load_digits_32`).
    size : float, optional
        Side of the pad the strokes are drawn on: pixel ``(row, col)`` becomes the point
        ``((col + 0.5) * size / W, (row + 0.5) * size / H)``.
    threshold : float, optional
        Pixels above this value are ink.

    Returns
    -------
    list of list of (float, float)
        One list per traced path; ``[]`` when nothing is above the threshold.

    Examples
    --------
    >>> bar = np.zeros((8, 8))
    >>> bar[1:7, 3:5] = 1.0
    >>> strokes = strokes_from_image(bar, size=8)
    >>> len(strokes), sorted({x for s in strokes for x, _ in s})
    (1, [3.5])
    >>> strokes_from_image(np.zeros((4, 4)))
    []
    """
    arr = np.asarray(image, dtype=float) if not isinstance(image, (str, bytes)) and image is not None else None
    if arr is None:
        raise TypeError(f"image must be a numeric array, got {type(image).__name__}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ValueError(f"image must be (H, W) or (H, W, 1), got shape {arr.shape}")
    try:
        size = float(size)
        threshold = float(threshold)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"size and threshold must be numbers, got {size!r} and {threshold!r}") from exc
    if not size > 0:
        raise ValueError(f"size must be > 0, got {size}")
    from skimage.morphology import skeletonize

    skel = skeletonize(arr > threshold)
    h, w = skel.shape
    on = {(int(r), int(c)) for r, c in zip(*np.nonzero(skel), strict=True)}
    edges = {}
    for r, c in on:
        for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
            q = (r + dr, c + dc)
            if q not in on:
                continue
            if dr and dc and ((r + dr, c) in on or (r, c + dc) in on):
                continue  # a diagonal step already covered by two straight ones
            edges.setdefault((r, c), set()).add(q)
            edges.setdefault(q, set()).add((r, c))
    strokes = []

    def point(p):
        return ((p[1] + 0.5) * size / w, (p[0] + 0.5) * size / h)

    # walk the skeleton's graph: start at line ends first, every edge is drawn once
    for start in sorted(on, key=lambda p: (len(edges.get(p, ())) != 1, p)):
        if start not in edges:
            strokes.append([point(start)])  # an isolated dot
            continue
        while edges.get(start):
            path, cur = [start], start
            while edges.get(cur):
                nxt = min(edges[cur])
                edges[cur].discard(nxt)
                edges[nxt].discard(cur)
                path.append(nxt)
                cur = nxt
            strokes.append([point(p) for p in path])
    return strokes
