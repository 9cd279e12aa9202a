"""How fast is helpers.conv.conv2d next to tf.nn.conv2d (and the loop version)?

Goal: ``conv2d`` within 1.5x of ``tf.nn.conv2d`` on two layer-sized cases, "valid" and "same":

* A: x (32, 32, 32, 3), kernel (3, 3, 3, 16)   (a first layer on CIFAR-sized images)
* B: x (8, 64, 64, 16), kernel (3, 3, 16, 32)  (a middle layer)

``tf.nn.conv2d`` and ``conv2d`` are timed in alternating blocks (6 rounds of 5 calls each, after an untimed
call) so that other work on the machine slows both alike, while TensorFlow's thread pool, which keeps spinning
for a moment after a call, does not steal the cores of the next ``conv2d`` call. Prints the median time (ms), the throughput in GFLOP/s
(2 x multiplications / time), the ratio ``conv2d / tf.nn.conv2d`` and whether the goal is met.
Everything is float32, as TensorFlow uses.

``conv2d_naive`` is far too slow for the full cases: it is timed once on a subset (the first image,
cropped to at most 34 x 34) and its time is scaled up by the ratio of multiplications (its row says
so). ``conv2d`` runs numpy's BLAS on one thread and spreads cache-sized blocks over a few threads itself;
the load average line helps to spot a busy machine, where every timing is noisy. Judge the goal on an idle
machine: with another program keeping one of two cores busy, ``conv2d`` (whose threads want every core)
slows down more than ``tf.nn.conv2d``, and the ratios rose to about 1.5-1.8x in our runs.

Run: ``.venv/bin/python benchmarks/conv_speed.py`` (about 30 s on a 2-core laptop, under a minute when busy).
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


def interleaved_medians_ms(fns, rounds=6, block=5):
    """Median times (ms) of several functions timed in alternating blocks.

    Each round runs every function ``block`` times in a row (after one untimed call), so a busy machine slows
    them all alike, while one library's idle threads (TensorFlow's pool keeps spinning for a while after a
    call) do not steal the cores of the call that follows it.
    """
    times = [[] for _ in fns]
    for _ in range(rounds):
        for fn, bucket in zip(fns, times, strict=True):
            fn()
            for _ in range(block):
                t0 = time.perf_counter()
                fn()
                bucket.append(time.perf_counter() - t0)
    return [1000 * statistics.median(bucket) for bucket in times]


def blas_description():
    """numpy's BLAS and its thread count (read only; nothing is changed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS threads unknown (threadpoolctl not installed)"
    infos = {(i["internal_api"], i["num_threads"]) for i in threadpool_info() if i.get("user_api") == "blas"}
    return ", ".join(f"{api} {n} threads" for api, n in sorted(infos)) or "BLAS unknown"


def multiplications(y_shape, k_shape):
    """Multiplications of a convolution: output cells x kernel volume."""
    kh, kw, c_in, _ = k_shape
    return int(np.prod(y_shape)) * kh * kw * c_in


def main():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__} ({blas_description()}), tensorflow {tf.__version__}, "
          f"{os.cpu_count()} CPU cores, float32")
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()[0]
        note = "  (busy machine: timings are noisy)" if load > 0.75 * (os.cpu_count() or 1) else ""
        print(f"load average (1 min): {load:.2f}{note}")
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

            t_tf, t_np = interleaved_medians_ms(
                [lambda: tf.nn.conv2d(x_tf, k_tf, strides=1, padding=padding.upper()).numpy(),  # noqa: B023
                 lambda: conv2d(x, k, padding=padding)],  # noqa: B023
            )
            # The loops are far too slow for the whole batch: time them once on a subset (one image, at most
            # 34 x 34) and scale by the number of multiplications.
            subset = x[:1, :34, :34]
            t_sub = median_ms(lambda: conv2d_naive(subset, k, padding=padding), 1, warmup=0)  # noqa: B023
            t_naive = t_sub * multiplications(y.shape, k_shape) / multiplications(
                conv2d(subset, k, padding=padding).shape, k_shape)

            rows = [
                ("conv2d_naive (scaled from subset)", t_naive, t_naive / t_tf),
                ("helpers.conv.conv2d", t_np, t_np / t_tf),
                ("tf.nn.conv2d", t_tf, 1.0),
            ]
            for fname, t, ratio in rows:
                print(f"{label:<10}{fname:<34}{t:>11.2f}{flops / (t / 1000) / 1e9:>10.2f}{ratio:>12.2f}x")
            ratio = t_np / t_tf
            verdicts.append(f"{label}: conv2d / tf.nn.conv2d = {ratio:.2f}x, goal <= {GOAL}x: "
                            f"{'met' if ratio <= GOAL else 'NOT met'}")
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
