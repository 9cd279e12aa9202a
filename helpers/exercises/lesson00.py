"""Lesson 00's exercise entries, and the template for every ``lessonNN.py``.

The ``00.demo...`` entries show each kind of entry; they are used by the tests and by lesson 00 when it
explains self-checks, and no lesson has to use them. To migrate a lesson NN:

1. Create ``helpers/exercises/lessonNN.py`` like this file: a module docstring, the imports the references
   need (light ones only: ``helpers.shapes``, ``helpers.conv``, numpy; import ``helpers.models`` or Keras
   *inside* a reference function), and a dict ``EXERCISES``.
2. Move each check cell's expected value, reference function, test cases and hint into an entry keyed
   ``"NN.exK"`` (exercise K; ``"NN.exKb"`` for a second check of the same exercise) or ``"NN.predK"``
   (a prediction). Write references as named ``def`` functions where you can: ``reveal`` prints their source.
3. Replace the check cell by ``check("NN.exK", answer);`` (pass what the reference needs as keywords:
   ``check("09.ex2", gap_total, spec=gap_spec);``), run ``tools/notebooks.py check NN`` and the lesson.

A sketch of the other kinds (the names are the lesson's)::

    EXERCISES = {
        "08.ex1": Value(lambda lenet_spec: summarize((32, 32, 1), lenet_spec).total_params,
                        name="LeNet-5 parameters", hint="five layers have weights ..."),
        "08.ex2": Model(reference=_lenet5, expected_output_shape=(None, 10), name="mnist_lenet"),
        "08.ex5b": Threshold(0.94, name="test accuracy of the 1998 flavour", valid_range=(0, 1)),
        "03.pred1": Prediction("output width", explanation="32 - 5 + 1 = 28"),  # check(..., actual=width)
        "06.ex1": Custom("check_pool", kwargs={"mode": "avg"}),
    }
"""

from __future__ import annotations

from helpers.exercises import Function, Prediction, Threshold, Value

__all__ = ["EXERCISES"]


def _valid_output_size(n, f, s):
    """How many positions a window of size f takes on n inputs with stride s (no padding)."""
    return (n - f) // s + 1


def _random_sizes(rng):
    """Fixed edge cases, then fresh random ones on every run (so no answer table can be memorised)."""
    cases = [(32, 5, 1), (5, 5, 1), (7, 3, 2), (6, 3, 2)]
    for _ in range(6):
        f = int(rng.integers(1, 8))
        cases.append((int(rng.integers(f, 200)), f, int(rng.integers(1, 5))))
    return cases


def _layer_params(kernel_size, channels, filters):
    """Weights and biases of a Conv2D layer: computed from the context the check call passes."""
    return (kernel_size * kernel_size * channels + 1) * filters


EXERCISES = {
    "00.demo": Value(456, name="parameters of Conv2D(6, 5) on 3 channels",
                     hint="each of the 6 filters has 5 x 5 x 3 weights and one bias",
                     explanation="(5 x 5 x 3 + 1) x 6 = 456"),
    "00.demo-cases": Function(_valid_output_size, _random_sizes, name="valid_output_size",
                              hint="count the window positions: floor((n - f) / s) + 1"),
    "00.demo-context": Value(_layer_params, name="parameters of the layer",
                             hint="weights: kernel_size x kernel_size x channels per filter, plus one bias each",
                             example={"kernel_size": 3, "channels": 16, "filters": 32}),
    "00.demo-threshold": Threshold(0.9, name="validation accuracy", valid_range=(0, 1),
                                   explanation="the small network of lesson 08 reaches it in two epochs"),
    "00.demo-prediction": Prediction("output width", explanation="32 - 5 + 1 = 28: one output per position of "
                                                                 "the 5-wide window", example={"actual": 28}),
}
