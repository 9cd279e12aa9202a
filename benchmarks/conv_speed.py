"""How fast is helpers.conv.conv2d next to tf.nn.conv2d (and the loop version)?

Goal: ``conv2d`` within 1.5x of ``tf.nn.conv2d`` on two layer-sized cases, "valid" and "same":

* A: x (32, 32, 32, 3), kernel (3, 3, 3, 16)   (a first layer on CIFAR-sized images)
* B: x (8, 64, 64, 16), kernel (3, 3, 16, 32)  (a middle layer)

Prints the median time (ms), the throughput in GFLOP/s (2 x multiplications / time), the ratio
``conv2d / tf.nn.conv2d`` and whether the goal is met. ``conv2d_naive`` is far too slow for the
full cases; it is timed once on the first image of the batch only, and its time is scaled up by
the batch size (said so in its row). Everything is float32, as TensorFlow uses.

Run: ``.venv/bin/python benchmarks/conv_speed.py`` (about 30 s on a 2-core laptop).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from helpers.conv import conv2d, conv2d_naive  # noqa: E402

GOAL = 1.5
CASES = {
    "A": ((32, 32, 32, 3), (3, 3, 3, 16)),
    "B": ((8, 64, 64, 16), (3, 3, 16, 32)),
}


def median_ms(fn, repeats, warmup=2):
    """Median wall time of ``fn()`` in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def multiplications(y_shape, k_shape):
    """Multiplications of a convolution: output cells x kernel volume."""
    kh, kw, c_in, _ = k_shape
    return int(np.prod(y_shape)) * kh * kw * c_in


def main():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, tensorflow {tf.__version__}, {os.cpu_count()} CPU cores, float32")
    # Warm up TensorFlow (first calls build kernels and thread pools).
    warm_x = tf.constant(rng.normal(size=(8, 64, 64, 16)).astype(np.float32))
    warm_k = tf.constant(rng.normal(size=(3, 3, 16, 32)).astype(np.float32))
    for _ in range(5):
        tf.nn.conv2d(warm_x, warm_k, strides=1, padding="SAME").numpy()

    header = f"{'case':<10}{'function':<34}{'median ms':>11}{'GFLOP/s':>10}{'ratio vs tf':>13}"
    print(header)
    print("-" * len(header))
    verdicts = []
    for name, (x_shape, k_shape) in CASES.items():
        x = rng.normal(size=x_shape).astype(np.float32)
        k = rng.normal(size=k_shape).astype(np.float32)
        x_tf, k_tf = tf.constant(x), tf.constant(k)
        for padding in ("valid", "same"):
            label = f"{name} {padding}"
            y = conv2d(x, k, padding=padding)
            y_tf = tf.nn.conv2d(x_tf, k_tf, strides=1, padding=padding.upper()).numpy()
            assert np.allclose(y, y_tf, atol=1e-3), "conv2d and tf.nn.conv2d disagree"
            flops = 2 * multiplications(y.shape, k_shape)

            t_tf = median_ms(lambda: tf.nn.conv2d(x_tf, k_tf, strides=1, padding=padding.upper()).numpy(), 30)  # noqa: B023
            t_np = median_ms(lambda: conv2d(x, k, padding=padding), 30)  # noqa: B023
            t_naive = median_ms(lambda: conv2d_naive(x[:1], k, padding=padding), 1, warmup=0) * x.shape[0]  # noqa: B023

            rows = [
                ("conv2d_naive (1 image, x batch)", t_naive),
                ("helpers.conv.conv2d", t_np),
                ("tf.nn.conv2d", t_tf),
            ]
            for fname, t in rows:
                print(f"{label:<10}{fname:<34}{t:>11.2f}{flops / (t / 1000) / 1e9:>10.2f}{t / t_tf:>12.2f}x")
            ratio = t_np / t_tf
            verdicts.append(f"{label}: conv2d / tf.nn.conv2d = {ratio:.2f}x, goal <= {GOAL}x: "
                            f"{'met' if ratio <= GOAL else 'NOT met'}")
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
