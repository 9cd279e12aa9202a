"""Offline datasets and images for the course: nothing here ever downloads.

* :func:`load_digits_32` - scikit-learn's 1,797 handwritten digits (8x8) smoothly enlarged to 32x32x1, the input
  size of LeNet-5, split into train / validation / test sets (a :class:`Split`).
* :func:`select`, :func:`load_digits_subset`, :func:`few_shot` - smaller tasks built from a split
  ("digits 0-4", "5 labelled examples per class") for the transfer-learning notebook.
* :func:`load_handwritten_digits` - MNIST if it is already on disk, else the scikit-learn digits.
* :func:`load_image`, :func:`available_images` - photographs shipped with scikit-image and matplotlib.
* :func:`small_grid`, :func:`digit_image` - tiny arrays for hand-worked examples.

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
    "small_grid",
    "digit_image",
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
