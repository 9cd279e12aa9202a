"""Pure-Python calculators for convolutional networks: output sizes, padding, parameter counts,
multiplications, receptive fields and a Keras-like model summary.

Nothing here imports TensorFlow; every number matches what Keras computes for the same layer
(the tests check that against Keras itself).
"""

from __future__ import annotations

from helpers._validate import require_padding, require_positive_int

__all__ = [
    "padding_amounts",
]


def _effective_kernel(kernel_size: int, dilation: int) -> int:
    """Span of a dilated kernel: ``dilation * (kernel_size - 1) + 1``."""
    return dilation * (kernel_size - 1) + 1


def padding_amounts(size, kernel_size, stride=1, padding="valid", dilation=1):
    """Zeros added before and after the input along one axis.

    Parameters
    ----------
    size : int
        Input height or width (>= 1).
    kernel_size : int
        Kernel height or width (>= 1).
    stride : int, optional
        Step of the kernel (>= 1).
    padding : {"valid", "same"} or int, optional
        ``"valid"`` adds nothing; an int ``p`` adds ``p`` zeros on each side; ``"same"`` follows
        TensorFlow: just enough zeros for ``ceil(size / stride)`` outputs, the odd extra zero going at
        the bottom/right.
    dilation : int, optional
        Gap between kernel taps (1 = ordinary convolution).

    Returns
    -------
    tuple of int
        ``(before, after)``: zeros at the top/left and at the bottom/right.

    Examples
    --------
    >>> padding_amounts(5, 3, padding="same")
    (1, 1)
    >>> padding_amounts(6, 3, stride=2, padding="same")   # odd extra zero goes after
    (0, 1)
    >>> padding_amounts(7, 3, padding=2)
    (2, 2)
    >>> padding_amounts(7, 3)
    (0, 0)
    """
    size = require_positive_int("size", size)
    kernel_size = require_positive_int("kernel_size", kernel_size)
    stride = require_positive_int("stride", stride)
    dilation = require_positive_int("dilation", dilation)
    padding = require_padding("padding", padding)
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        ek = _effective_kernel(kernel_size, dilation)
        out = -(-size // stride)
        total = max((out - 1) * stride + ek - size, 0)
        before = total // 2
        return (before, total - before)
    return (padding, padding)
