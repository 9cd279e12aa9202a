"""Draw the course's figures into images/ (``make images``).

Every picture the course shows is drawn by code; this script saves the main diagrams as PNG files for the
README, slides and handouts. The notebooks draw the same figures inline with ``helpers.plotting``.
Run from the repository root: ``python tools/make_images.py [name ...]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers import data, plotting, shapes  # noqa: E402

IMAGES = ROOT / "images"
VERTICAL_EDGE = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
# The classic networks' layer specs are defined once, in helpers.shapes (also the layer calculator's presets).
LENET_SHAPE, LENET = shapes.NETWORK_PRESETS["LeNet-5 (32x32x1)"]
VGG16_SHAPE, VGG16 = shapes.NETWORK_PRESETS["VGG-16"]


def _grid():
    return data.small_grid("edge")


#: name -> function(path) drawing one figure into path.
FIGURES = {
    "convolution_step.png": lambda p: plotting.plot_convolution_step(_grid(), VERTICAL_EDGE, row=1, col=1, save=p),
    "stride_2.png": lambda p: plotting.plot_convolution_step(np.arange(25).reshape(5, 5) % 7, np.ones((3, 3)),
                                                               row=1, col=1, stride=2, save=p),
    "padding_18x18.png": lambda p: plotting.plot_padding(data.digit_image(0, size=18), padding=1, kernel_size=3,
                                                          save=p),
    "volume_convolution.png": lambda p: plotting.plot_volume_convolution((6, 6, 3), 3, filters=2, save=p),
    "max_pooling.png": lambda p: plotting.plot_pooling(data.small_grid("pool"), pool_size=2, save=p),
    "lenet5_notation.png": lambda p: plotting.plot_layer_notation(LENET, input_shape=LENET_SHAPE, per_row=9, save=p),
    "vgg16_params.png": lambda p: plotting.plot_param_bars(shapes.summarize(VGG16_SHAPE, VGG16).rows, save=p),
    "receptive_field.png": lambda p: plotting.plot_receptive_field([(3, 1), (3, 1), (3, 1)], input_size=12, save=p),
}


def main(names: list[str]) -> int:
    IMAGES.mkdir(exist_ok=True)
    unknown = sorted(set(names) - set(FIGURES))
    if unknown:
        print(f"unknown figure(s) {unknown}; choose from {sorted(FIGURES)}")
        return 1
    for name in names or FIGURES:
        path = IMAGES / name
        fig = FIGURES[name](str(path))
        plt.close(fig)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
