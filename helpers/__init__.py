"""Helpers for the interactive CNN course.

The notebooks import what they need from these modules:

``helpers.shapes``
    Pure-Python calculators: output sizes, parameter and multiplication counts, receptive fields and an
    analytic layer table (``summarize``) that agrees with Keras.
``helpers.conv``
    Convolution, pooling and the convolution backward pass in numpy, checked against TensorFlow.
``helpers.plotting``
    Every figure of the course, drawn with matplotlib.
``helpers.explorers``
    ipywidgets explorers: ``ConvolutionExplorer``, ``PoolingExplorer``, ``ReceptiveFieldExplorer``,
    ``LayerStackCalculator``, ``FeatureMapViewer`` and ``ExplanationExplorer``.
``helpers.models``
    Keras builders for LeNet-5, AlexNet, VGG-16, ResNet-50, Inception and the small networks the notebooks train.
    This is the only module that imports TensorFlow.
``helpers.data``
    Offline datasets and images that ship inside installed packages (nothing is downloaded).
``helpers.checks``
    Self-checks for the exercises: they print a friendly verdict and return ``True`` or ``False``;
    ``check("03.ex2", answer)`` checks a registered exercise, ``progress()`` shows what passes.
``helpers.exercises``
    The registry of exercises: reference answers, test cases and hints by exercise id, one module per lesson.

``import helpers`` is light: the submodules load on first use (``helpers.shapes`` or
``from helpers import shapes``), so TensorFlow is imported only when ``helpers.models`` is.

Examples
--------
>>> import helpers
>>> helpers.shapes.conv_output_size(32, 5)
28
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

__all__ = ["shapes", "conv", "plotting", "explorers", "models", "data", "checks", "exercises", "__version__"]

_SUBMODULES = {"shapes", "conv", "plotting", "explorers", "models", "data", "checks", "exercises"}


def __getattr__(name: str):
    """Import a submodule on first access (PEP 562), keeping ``import helpers`` light."""
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'helpers' has no attribute {name!r}; available: {sorted(_SUBMODULES)}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
