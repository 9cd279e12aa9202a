"""Private argument checks shared by every helpers module.

One validator per kind of argument, so every message reads alike::

    ValueError: stride must be a positive integer, got 0

The messages always name the argument and say what is allowed.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "require_positive_int",
    "require_nonneg_int",
    "require_pair",
    "require_padding",
    "require_choice",
    "require_bool",
    "require_array",
    "require_numeric",
    "require_number",
]

PADDING_HELP = 'padding must be "valid", "same" or a whole number >= 0 of zeros on each side'


def _is_int(value) -> bool:
    """True for Python and numpy integers, False for bools and floats."""
    kind = type(value)
    if kind is int:  # the common case first: the abstract-class check below is slow
        return True
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def require_positive_int(name: str, value) -> int:
    """Return ``value`` as an int if it is an integer >= 1, else raise.

    Raises TypeError for non-integers (floats, strings, bools) and ValueError for 0 or negatives.
    """
    if not _is_int(value):
        raise TypeError(f"{name} must be a positive integer, got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def require_nonneg_int(name: str, value) -> int:
    """Return ``value`` as an int if it is an integer >= 0, else raise."""
    if not _is_int(value):
        raise TypeError(f"{name} must be a whole number >= 0, got {value!r} ({type(value).__name__})")
    if value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value}")
    return int(value)


def require_pair(name: str, value) -> tuple[int, int]:
    """Accept an int or a pair of ints (height, width), each >= 1; return a pair."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an integer or a pair (height, width), got {value!r}")
        return (require_positive_int(name, value[0]), require_positive_int(name, value[1]))
    v = require_positive_int(name, value)
    return (v, v)


def require_padding(name: str, value, allow_int: bool = True):
    """Return "valid", "same" or an int >= 0; raise with the allowed values otherwise."""
    if isinstance(value, str):
        low = value.lower()
        if low in ("valid", "same"):
            return low
        allowed = '"valid", "same" or a whole number >= 0' if allow_int else '"valid" or "same"'
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    if allow_int and _is_int(value):
        return require_nonneg_int(name, value)
    allowed = '"valid", "same" or a whole number >= 0' if allow_int else '"valid" or "same"'
    raise TypeError(f"{name} must be {allowed}, got {value!r} ({type(value).__name__})")


def require_choice(name: str, value, choices):
    """Return ``value`` if it is one of ``choices``, else raise ValueError listing them."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}, got {value!r}")
    return value


def require_bool(name: str, value) -> bool:
    """Return ``value`` if it is a bool, else raise TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def require_array(name: str, value, ndims=(3, 4)) -> np.ndarray:
    """Return ``value`` as a float numpy array whose rank is in ``ndims``, else raise."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a numpy array, got {type(value).__name__}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}") from exc
    if arr.ndim not in ndims:
        wanted = " or ".join(str(n) for n in ndims)
        raise ValueError(f"{name} must have {wanted} dimensions, got shape {arr.shape}")
    return arr


def require_numeric(name: str, value) -> np.ndarray:
    """Return ``value`` as a numpy array of floats (any shape; float32 and float16 are kept), else TypeError."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
        if not np.issubdtype(arr.dtype, np.floating):
            arr = arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}") from exc
    return arr


def require_number(name: str, value) -> float:
    """Return ``value`` as a float if it is a (real) number, else TypeError."""
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})") from exc
