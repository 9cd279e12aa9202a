"""How long one control change of each explorer takes, including rendering the figure to PNG.

For every explorer and reference input (the 6x6 grid and a 64x64 photo for convolution, etc.) the script
changes one control about 30 times (cycling through a few values so every update really redraws),
measures each ``widget.value = ...`` call (which recomputes, redraws and encodes the PNG synchronously)
(for the digit pad: the end of a stroke, which prepares the drawing and runs LeNet-5) and prints the median
wall time (the goal) and the median CPU time of this process (less sensitive to other
programs competing for the cores; compare the two to judge how busy the machine was). Goal: median <= 50 ms per update (stretch: 30 ms) on a 2-core laptop.

Run: ``python benchmarks/explorer_latency.py`` (``make bench``). Option ``--repeats N`` (default 30).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

GOAL_MS = 50.0
STRETCH_MS = 30.0


def _cases():
    from helpers.explorers import (
        ConvolutionExplorer,
        LayerStackCalculator,
        PoolingExplorer,
        ReceptiveFieldExplorer,
    )

    def conv_grid():
        return ConvolutionExplorer()

    def conv_photo():
        return ConvolutionExplorer(image="camera")

    def conv_rgb():
        ex = ConvolutionExplorer(image="rgb")
        ex.controls["filters"].value = 3
        return ex

    def pool_grid():
        return PoolingExplorer()

    def pool_photo():
        return PoolingExplorer(image="camera")

    def rf():
        return ReceptiveFieldExplorer()

    def stack():
        ex = LayerStackCalculator()
        ex.controls["preset"].value = "VGG-16"
        return ex

    def feature_maps():
        # an untrained LeNet-5 on one digit: the drawing cost does not depend on the weights
        from helpers.data import digit_image
        from helpers.explorers import FeatureMapViewer
        from helpers.models import lenet5

        return FeatureMapViewer(lenet5(), digit_image(0, size=32)[..., None])

    def explanations():
        # an untrained LeNet-5 on eight test digits: the cost of a map does not depend on what it means
        from helpers.data import load_digits_32
        from helpers.explorers import ExplanationExplorer
        from helpers.models import lenet5

        digits = load_digits_32()
        return ExplanationExplorer(lenet5(), digits.x_test[:8], digits.y_test[:8])

    def explanations_occlusion():
        ex = explanations()
        ex.controls["method"].value = "occlusion"
        return ex

    # (label, factory, control, values to cycle through)
    return [
        ("convolution 6x6 grid", conv_grid, "step", list(range(16))),
        ("convolution 6x6 grid", conv_grid, "stride", [1, 2, 3]),
        ("convolution 6x6 grid", conv_grid, "preset", ["box blur", "sharpen", "vertical edge", "identity"]),
        ("convolution 64x64 photo", conv_photo, "step", list(range(0, 3844, 97))),
        ("convolution 64x64 photo", conv_photo, "kernel_size", [3, 5, 7, 4]),
        ("convolution RGB volume, 3 filters", conv_rgb, "step", list(range(16))),
        ("convolution RGB volume, 3 filters", conv_rgb, "padding", ["valid", "same", 1, 2]),
        ("pooling 8x8 grid", pool_grid, "step", list(range(16))),
        ("pooling 8x8 grid", pool_grid, "shift", [0, 1, 2, 3, 4]),
        ("pooling 64x64 photo", pool_photo, "pool_size", [2, 3, 4]),
        ("receptive field, 3 layers", rf, "unit", list(range(26))),
        ("receptive field, 3 layers", rf, "kernel_2", [3, 5, 7, 2]),
        ("layer stack, VGG-16", stack, "input_height", [224, 200, 256, 240]),
        ("feature maps, LeNet-5", feature_maps, "channel", [0, 1, 2, 3, 4, 5]),
        ("feature maps, LeNet-5", feature_maps, "layer", None),
        ("explanations, LeNet-5", explanations, "image", list(range(8))),
        ("explanations, LeNet-5", explanations, "method", None),
        ("explanations, occlusion", explanations_occlusion, "patch", [4, 6, 8]),
    ]


def time_updates(ex, control, values, repeats):
    """Wall and CPU milliseconds of ``repeats`` changes of ``ex.controls[control]``, cycling through ``values``.

    ``values`` None cycles through the dropdown's options. The first change is a warm-up (not timed).
    """
    widget = ex.controls[control]
    cycle = itertools.cycle(values if values is not None else list(widget.options))
    widget.value = next(cycle)  # warm-up: caches, glyphs, first draw
    times, cpu = [], []
    while len(times) < repeats:
        value = next(cycle)
        if value == widget.value:
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        widget.value = value
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return times, cpu


def pad_stroke():
    """The stroke the pad benchmarks draw: the traced first test digit's longest stroke, in pad pixels."""
    from helpers.data import load_digits_32, strokes_from_image

    strokes = strokes_from_image(load_digits_32().x_test[0], size=280)
    return max(strokes, key=len)


def time_pad_strokes(pad, repeats, stroke=None):
    """Milliseconds from the end of a stroke (pen up) to the updated prediction, as the browser's events do.

    Every stroke is removed again (undo, not timed) so each measurement reads the same drawing.
    """
    stroke = pad_stroke() if stroke is None else stroke
    times, cpu = [], []
    for i in range(repeats + 1):
        pad._pen_down(*stroke[0])
        for point in stroke[1:]:
            pad._pen_move(*point)
        t0, c0 = time.perf_counter(), time.process_time()
        pad._pen_up()
        if i:  # the first stroke is a warm-up
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        pad.undo()
    return times, cpu


def digit_pad():
    """A DigitPad on an untrained LeNet-5 (the cost of a prediction does not depend on the weights)."""
    from helpers.explorers import DigitPad
    from helpers.models import lenet5

    return DigitPad(lenet5())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="updates per row (default 30)")
    args = parser.parse_args(argv)
    rows = []
    built = {}
    for label, factory, control, values in _cases():
        if factory not in built:
            built[factory] = factory()
        ex = built[factory]
        times, cpu = time_updates(ex, control, values, args.repeats)
        assert ex.state["problem"] is None, (label, control, ex.state["problem"])
        rows.append((label, control, statistics.median(times), max(times), statistics.median(cpu)))
    times, cpu = time_pad_strokes(digit_pad(), args.repeats)
    rows.append(("digit pad, LeNet-5", "stroke end", statistics.median(times), max(times), statistics.median(cpu)))
    width = max(len(r[0]) for r in rows)
    print(f"{'explorer':<{width}}  {'control':<12} {'median ms':>9} {'max ms':>8} {'cpu ms':>7}")
    for label, control, med, worst, cpu_med in rows:
        print(f"{label:<{width}}  {control:<12} {med:9.1f} {worst:8.1f} {cpu_med:7.1f}")
    worst_median = max(r[2] for r in rows)
    overall = statistics.median(r[2] for r in rows)
    print(f"\nmedian of medians {overall:.1f} ms; slowest median {worst_median:.1f} ms "
          f"(cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f})")
    print(f"goal <= {GOAL_MS:.0f} ms (stretch {STRETCH_MS:.0f} ms): "
          f"{'met' if worst_median <= GOAL_MS else 'NOT met'}"
          f"{' (stretch met)' if worst_median <= STRETCH_MS else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
