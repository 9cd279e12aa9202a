"""Exercise self-checks: print a friendly verdict, return a bool, never let a traceback escape.

Every function here compares a student's answer (a number, a shape, a function or a Keras model) with a
reference computed by :mod:`helpers.shapes` or :mod:`helpers.conv`, prints what it found and returns ``True``
or ``False``:

- ``✅`` the answer is right;
- ``❌`` it is wrong: what came back, what is wrong with it and a hint, **never the expected value** (nor a
  reference function's output), so that under nbgrader a wrong answer cannot be corrected by copying the
  message. A number is "too high" or "too low"; a tuple or list has the wrong number of values or names its
  wrong items (by index, with their direction); an array has the wrong dtype, the wrong shape (the student's
  shape and which axes are too small or too large) or some wrong values (how many, and the first one: its
  index and the student's value there); a function check names the failing input and the student's output;
  a model has too many or too few parameters, a wrong output shape (which axes) or a wrong operation (by
  position). Errors raised by the student's code are caught and reported (type, message, the input that
  triggered them), never re-raised;
- ``⏳`` not attempted yet: the answer is still the placeholder ``...`` (or ``None``), or the student's function
  still raises ``NotImplementedError``. The message says what to do and reveals nothing.

An answer may also be a zero-argument function (usually a ``lambda``) that computes the checked quantity from
the student's work, e.g. ``check_value(lambda: filter2d(grid, my_kernel), expected)``: the check calls it, so
a mistake in the student's code is reported instead of stopping the cell.

Under nbgrader's autograder (the environment variable ``NBGRADER_EXECUTION`` is set, to ``"autograde"`` or
``"validate"``), a check that does not pass raises ``AssertionError`` after printing its message, so the test
cell loses its points. :func:`check_prediction` never raises: predictions are not graded, and it shows the
answer once a guess has been made (a prediction is about comparing, not about scoring).

Lessons check their exercises by id: ``check("09.ex5", good_sizes);`` runs the entry registered for that
exercise in :mod:`helpers.exercises` (reference, test cases, hint), so the notebook's check cell holds no
answer. :func:`reveal` prints a reference answer on request (never while nbgrader grades), and every
:func:`check` records its outcome in the student's own folder, shown by :func:`progress`.

Nothing here imports TensorFlow; :func:`check_model` only calls methods of the model it is given.
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
import numbers
import os
import re
import threading
import types
from collections import Counter

import numpy as np

__all__ = [
    "check",
    "reveal",
    "progress",
    "check_value",
    "check_prediction",
    "check_shape",
    "check_function",
    "check_output_size",
    "check_conv_single_step",
    "check_conv2d",
    "check_pool",
    "check_param_count",
    "check_model",
    "check_threshold",
    "autograding",
]

OK = "✅"
BAD = "❌"
TODO = "⏳"


# ---------------------------------------------------------------------------------------------------------
# not attempted, autograding (private)
# ---------------------------------------------------------------------------------------------------------


class _NotAttempted(Exception):
    """Raised inside a check when the student's answer is still a placeholder."""


def autograding() -> bool:
    """True while nbgrader executes the notebook (autograde or validate).

    nbgrader sets ``NBGRADER_EXECUTION`` to ``"autograde"`` or ``"validate"`` in the kernel's environment;
    then a failed check raises ``AssertionError`` so that its test cell loses its points.

    Returns
    -------
    bool

    Examples
    --------
    >>> import os
    >>> os.environ.pop("NBGRADER_EXECUTION", None) and None
    >>> autograding()
    False
    """
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def _is_placeholder(value) -> bool:
    return value is None or value is Ellipsis


def _globals_used(fn):
    """Names a function (and the code objects nested in it) reads, resolved in its globals and closure."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return {}
    names, stack = set(), [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    found = {n: fn.__globals__[n] for n in names if n in getattr(fn, "__globals__", {})}
    for name, cell in zip(code.co_freevars, fn.__closure__ or (), strict=False):
        try:
            found[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    return found


def _unanswered(fn) -> list[str]:
    """Names used by a lambda answer that still hold the placeholder ``...``."""
    return sorted(name for name, value in _globals_used(fn).items() if value is Ellipsis)


def _is_thunk(value) -> bool:
    """A zero-argument function given instead of a value (a lambda that computes the answer)."""
    if not isinstance(value, (types.FunctionType, functools.partial)):
        return False
    try:
        params = inspect.signature(value).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


def _resolve(answer, name):
    """The value to check: placeholders raise _NotAttempted, thunks are called (their errors reported)."""
    if _is_placeholder(answer):
        what = name if name.lower().startswith(("your ", "the ")) else f"your {name}"
        raise _NotAttempted(f"replace the placeholder `...` with {what}, run that cell, then this check.")
    if not _is_thunk(answer):
        return answer
    try:
        value = answer()
    except NotImplementedError:
        raise _NotAttempted("your function still raises NotImplementedError: write its body (replace "
                            "`raise NotImplementedError()`), run its cell, then this check.") from None
    except Exception:
        missing = _unanswered(answer)
        if missing:
            raise _NotAttempted(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} still `...`: "
                                f"fill in your answer, run that cell, then this check.") from None
        raise
    if _is_placeholder(value):
        raise _NotAttempted(f"{name} is still a placeholder: fill it in, run that cell, then this check.")
    return value


def _not_attempted(name, why) -> bool:
    _outcome.not_attempted = True
    print(f"{TODO} {name}: not attempted yet — {why}")
    return False


def _student_error(name, exc, hint=None, where="") -> bool:
    message = str(exc).strip() or "(no message)"
    print(f"{BAD} {name}{where} raised {type(exc).__name__}: {message}")
    _hint(hint or "read the error above: it comes from your code. Fix it, run its cell again, then this check.")
    return False


_nesting = threading.local()
_outcome = threading.local()  # set by _not_attempted, read by check() to record "not attempted"


def _graded(check):
    """Make a check safe for students and strict for nbgrader.

    The wrapped check never lets an exception escape (it prints what went wrong and returns False); under
    autograding a result other than True raises AssertionError after the message.
    """

    @functools.wraps(check)
    def run(*args, **kwargs):
        depth = getattr(_nesting, "depth", 0)  # checks call checks: only the outermost one raises
        _nesting.depth = depth + 1
        try:
            ok = bool(check(*args, **kwargs))
        except _NotAttempted as why:
            ok = _not_attempted(kwargs.get("name") or check.__name__.replace("check_", ""), why)
        except Exception as exc:  # noqa: BLE001 - a check must never raise in a student's notebook
            print(f"{BAD} could not check your answer: {type(exc).__name__}: {str(exc).strip() or '(no message)'}")
            ok = False
        finally:
            _nesting.depth = depth
        if not ok and depth == 0 and autograding():
            raise AssertionError(f"{check.__name__} did not pass (see the message above)")
        return ok

    return run


# ---------------------------------------------------------------------------------------------------------
# formatting and comparison (private)
# ---------------------------------------------------------------------------------------------------------


def _plain(value):
    """A TensorFlow/Keras tensor or 0-d array becomes a numpy value; anything else is returned as is."""
    if hasattr(value, "numpy") and callable(value.numpy) and not isinstance(value, np.ndarray):
        try:
            value = value.numpy()
        except Exception:  # noqa: BLE001 - not convertible: compare it as it is
            return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    return value


def _is_number(value) -> bool:
    """True for Python/numpy real numbers (not bools) and 0-d numeric arrays."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, numbers.Real):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0 and np.issubdtype(value.dtype, np.number)


def _fmt_number(value, separators: bool = True, digits: int = 6) -> str:
    value = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}" if separators and abs(int(value)) >= 10_000 else str(int(value))
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return f"{value:.1f}"
    return f"{value:.{digits}g}"


def _fmt(value, limit: int = 80, nested: bool = False) -> str:
    """A short, deterministic description of a value (arrays by shape unless tiny).

    Thousands separators only at the top level, so ``(150528, 147)`` does not read as three numbers.
    """
    if _is_number(value):
        return _fmt_number(value, separators=not nested)
    if isinstance(value, np.ndarray):
        if value.size <= 16 and value.ndim <= 2:
            return " ".join(np.array2string(value, precision=4, separator=", ").split())
        return f"array of shape {tuple(value.shape)}"
    if isinstance(value, tuple):
        inner = ", ".join(_fmt(v, limit, nested=True) for v in value)
        text = f"({inner},)" if len(value) == 1 else f"({inner})"
    elif isinstance(value, list):
        text = "[" + ", ".join(_fmt(v, limit, nested=True) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}={_fmt(v, limit, nested=True)}" for k, v in value.items()) + "}"
    elif callable(value):
        text = f"function {getattr(value, '__name__', type(value).__name__)}"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fmt_case(case) -> str:
    """Describe the arguments of one test case, e.g. ``(5, 3, stride=2)``."""
    if isinstance(case, dict):
        return "(" + ", ".join(f"{k}={_fmt(v)}" for k, v in case.items()) + ")"
    if not isinstance(case, tuple):
        case = (case,)
    args = [_fmt(v) for v in case]
    return "(" + ", ".join(args) + ")"


def _call(fn, case):
    """Call ``fn`` with a case (tuple of positional args, dict of kwargs or a single arg), on copies."""
    case = copy.deepcopy(case)
    if isinstance(case, dict):
        return fn(**case)
    if isinstance(case, tuple):
        return fn(*case)
    return fn(case)


def _as_array(value):
    """Convert a student's answer to a float array; return None if impossible."""
    value = _plain(value)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return arr


def _type_name(value) -> str:
    return type(value).__name__


def _direction(got: float, want: float) -> str:
    return "too high" if got > want else "too low"


def _axes_problem(got, want) -> str:
    """What is wrong with a shape, in words that never state the expected sizes (None = any size)."""
    if len(got) != len(want):
        return f"{len(got)} dimension{'' if len(got) == 1 else 's'} instead of {len(want)}"
    parts = []
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        if w is None or g == w:
            continue
        if g is None:
            parts.append(f"axis {i} is None (any size) instead of a fixed size")
        else:
            parts.append(f"axis {i} is {'too large' if g > w else 'too small'}")
    return ", ".join(parts)


def _shape_matches(got, want) -> bool:
    return len(got) == len(want) and all(w is None or g == w for g, w in zip(got, want, strict=True))


def _index_text(index) -> str:
    return str(index[0]) if len(index) == 1 else str(index)


def _array_problem(answer, expected, rtol, atol):
    """None if the arrays match, else what differs: dtype, shape (the student's) or values (count, first index)."""
    exp = np.asarray(expected, dtype=float)
    raw = answer if isinstance(answer, np.ndarray) else None
    if raw is not None and (np.iscomplexobj(raw) or not (np.issubdtype(raw.dtype, np.number)
                                                        or raw.dtype == bool)):
        return f"not an array of real numbers (its dtype is {raw.dtype})"
    arr = _as_array(answer)
    if arr is None:
        return f"not an array of numbers (type {_type_name(answer)})"
    if arr.shape != exp.shape:
        if arr.ndim == 0:
            return "not an array (a single number)"
        return f"an array of shape {tuple(arr.shape)}: {_axes_problem(arr.shape, exp.shape)}"
    close = np.isclose(arr, exp, rtol=rtol, atol=atol, equal_nan=False)
    if close.all():
        return None
    bad = np.argwhere(~close)
    first = tuple(int(i) for i in bad[0])
    mine = arr[first]
    if raw is not None and np.issubdtype(raw.dtype, np.integer):
        mine = raw[first]
    where = "nan" if math.isnan(float(mine)) else (f"{_fmt_number(mine, digits=10)} "
                                                   f"({_direction(float(mine), float(exp[first]))})")
    text = f"{len(bad)} of {exp.size} values differ"
    if len(bad) > 1:
        diff = arr[~close] - exp[~close]
        high, low = int(np.sum(diff > 0)), int(np.sum(diff < 0))
        counts = [f"{high} too high" if high else "", f"{low} too low" if low else "",
                  f"{len(bad) - high - low} nan" if len(bad) - high - low else ""]
        text += f" ({', '.join(c for c in counts if c)})"
    text += f"; the first is at index {_index_text(first)}, where yours is {where}"
    fractions = np.isfinite(exp) & (exp != np.round(exp))
    if raw is not None and np.issubdtype(raw.dtype, np.integer) and fractions.any():
        text += f"; your array holds integers (dtype {raw.dtype}), so fractions were cut off"
    return text


def _problem(answer, expected, rtol, atol):
    """None if ``answer`` matches ``expected``, else what is wrong, in words that never contain the expected value.

    Numbers: "too high"/"too low"; tuples and lists: the number of values, then each wrong item (by index,
    with its direction); dicts: missing or extra keys, then each wrong value; arrays: dtype, the student's
    shape and which axes are too small or too large, or how many values differ and the first one (its index
    and the student's value there, with its direction); booleans and text: "not the right answer".
    """
    answer = _plain(answer)
    if answer is None:
        return "nothing was returned (is a `return` missing?)"
    if answer is Ellipsis:
        return "a placeholder"
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(answer, (bool, np.bool_)):
            return f"not True or False (type {_type_name(answer)})"
        return None if bool(answer) == bool(expected) else "not the right answer"
    if isinstance(expected, str):
        if not isinstance(answer, str):
            return f"not text (type {_type_name(answer)})"
        return None if answer.strip().lower() == expected.strip().lower() else "not the right answer"
    if _is_number(expected):
        if not _is_number(answer):
            return f"not a single number (type {_type_name(answer)})"
        if isinstance(answer, numbers.Integral) and isinstance(expected, numbers.Integral) and rtol <= 1e-6:
            # counts are exact: a relative tolerance would let 15,227,687 pass for 15,227,688 (a forgotten bias)
            return None if int(answer) == int(expected) else _direction(int(answer), int(expected))
        a, e = float(np.asarray(answer)), float(np.asarray(expected))
        if math.isnan(a):
            return "not a number"
        return None if math.isclose(a, e, rel_tol=rtol, abs_tol=atol) else _direction(a, e)
    if isinstance(expected, dict):
        if not isinstance(answer, dict):
            return f"not a dict (type {_type_name(answer)})"
        missing = [k for k in expected if k not in answer]
        extra = [k for k in answer if k not in expected]
        if missing or extra:
            parts = ([f"missing key{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}"] if missing
                     else []) + ([f"unexpected key{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}"]
                                 if extra else [])
            return "; ".join(parts)
        wrong = [(k, _problem(answer[k], v, rtol, atol)) for k, v in expected.items()]
        return _items_text([(f"key {k!r}", why) for k, why in wrong if why])
    if isinstance(expected, (tuple, list)) and not isinstance(answer, np.ndarray):
        if not isinstance(answer, (tuple, list)):
            return f"not a {type(expected).__name__} of {len(expected)} values (type {_type_name(answer)})"
        if len(answer) != len(expected):
            return f"{len(answer)} value{'' if len(answer) == 1 else 's'} instead of {len(expected)}"
        wrong = [(f"item {i}", _problem(a, e, rtol, atol))
                 for i, (a, e) in enumerate(zip(answer, expected, strict=True))]
        return _items_text([(where, why) for where, why in wrong if why])
    return _array_problem(answer, expected, rtol, atol)


def _items_text(wrong, limit: int = 4) -> str | None:
    """'item 2 is too low; item 3: 2 values instead of 3' from (where, problem) pairs; None if none is wrong."""
    if not wrong:
        return None
    parts = [f"{where} is {why}" if why.startswith(("too ", "not ")) else f"{where}: {why}"
             for where, why in wrong[:limit]]
    if len(wrong) > limit:
        parts.append(f"and {len(wrong) - limit} more")
    return "; ".join(parts)


def _compare(answer, expected, rtol: float = 1e-6, atol: float = 1e-6):
    """Compare an answer with the expected value; return (ok, what is wrong).

    The explanation describes the answer (``_fmt``) and what is wrong with it, and never contains the expected
    value: a wrong answer must not be told the right one (under nbgrader that would give the points away).
    """
    why = _problem(answer, expected, rtol, atol)
    if why is None:
        return True, ""
    if why.startswith("an array of shape"):
        return False, why  # the student's shape says more than the values
    answer = _plain(answer)
    # a wrong number is shown with enough digits not to look like the right one (0.3000004 is not "0.3")
    shown = _fmt_number(answer, digits=10) if _is_number(answer) else _fmt(answer)
    shown = f"an {shown}" if shown.startswith("array of shape") else shown
    return False, f"{shown}{', ' if why.startswith(('too ', 'not ')) else ': '}{why}"


def _hint(hint) -> None:
    if hint:
        print(f"   Hint: {hint}")


def _positional_arity(fn):
    """Number of positional parameters ``fn`` accepts (None if unknown or *args)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def _not_callable(fn, name) -> bool:
    """Placeholders are 'not attempted' (raises _NotAttempted); a non-function is reported as wrong."""
    if _is_placeholder(fn):
        raise _NotAttempted(f"define the function {name} in the cell above (keep its name), run it, then this check.")
    if not callable(fn):
        print(f"{BAD} {name} should be a function, got {_fmt(fn)} ({type(fn).__name__}).")
        return True
    return False


# ---------------------------------------------------------------------------------------------------------
# generic checks
# ---------------------------------------------------------------------------------------------------------


@_graded
def check_value(answer, expected, name="answer", hint=None, rtol=1e-6, atol=None) -> bool:
    """Check a single answer (number, tuple, string or array) against the expected value.

    Parameters
    ----------
    answer : object or callable
        What the student computed, or a zero-argument function (a ``lambda``) that computes it from the
        student's work; the check calls it, so an error in the student's code is reported, not raised.
        ``...`` or ``None`` means "not attempted yet".
    expected : object
        The right value. Numbers are compared with a relative tolerance, arrays element-wise
        (shape first), tuples item by item, strings case-insensitively. Scalar tensors count as numbers.
        Two whole numbers (Python or numpy integers) are compared exactly unless ``rtol`` is above 1e-6: a
        count that is off by one is wrong however large it is. The expected value is never printed: a wrong
        answer is told what is wrong (too high or too low, which item, which axis of its shape, how many
        array values differ and the first one), not what is right.
    name : str, optional
        What the answer is, used in the message.
    hint : str, optional
        Printed when the answer is wrong.
    rtol : float, optional
        Relative tolerance for numbers and arrays.
    atol : float, optional
        Absolute tolerance (default: 1e-12 for numbers, 1e-6 for arrays).

    Returns
    -------
    bool
        True if the answer matches.

    Examples
    --------
    >>> check_value(456, 456, name="first-layer parameters")
    ✅ first-layer parameters = 456. Correct!
    True
    >>> check_value(450, 456, name="first-layer parameters", hint="each filter has a bias")
    ❌ first-layer parameters: got 450, too low.
       Hint: each filter has a bias
    False
    >>> check_value((28, 30, 3), (28, 28, 6), name="output shape")
    ❌ output shape: got (28, 30, 3): item 1 is too high; item 2 is too low.
    False
    >>> check_value(..., 456, name="first-layer parameters")
    ⏳ first-layer parameters: not attempted yet — replace the placeholder `...` with your first-layer parameters, run that cell, then this check.
    False
    >>> check_value(lambda: 2 * 228, 456, name="first-layer parameters")
    ✅ first-layer parameters = 456. Correct!
    True
    """
    try:
        value = _resolve(answer, name)
    except _NotAttempted as why:
        return _not_attempted(name, why)
    except Exception as exc:  # noqa: BLE001 - the student's lambda failed: report it
        return _student_error(f"computing {name}", exc, hint)
    if atol is None:
        atol = 1e-12 if _is_number(expected) else 1e-6
    ok, why = _compare(value, expected, rtol=rtol, atol=atol)
    if ok:
        print(f"{OK} {name} = {_fmt(_plain(value))}. Correct!")
        return True
    print(f"{BAD} {name}: got {why}.")
    _hint(hint)
    return False


def _closeness(guess, actual) -> str:
    """How far a numeric guess is from the actual value, in words ('' when not two numbers)."""
    guess, actual = _plain(guess), _plain(actual)
    if not (_is_number(guess) and _is_number(actual)):
        return ""
    g, a = float(guess), float(actual)
    if a == 0 or g == 0 or math.isnan(g):
        return f" (off by {abs(g - a):.4g})" if not math.isnan(g) else ""
    if (g > 0) != (a > 0):
        return " (the sign is wrong)"
    ratio = g / a
    if 0.5 <= ratio <= 2:
        return f" ({abs(ratio - 1):.0%} too {'high' if ratio > 1 else 'low'})"
    return f" (about {max(ratio, 1 / ratio):.3g} times too {'high' if ratio > 1 else 'low'})"


def _within(guess, actual, tolerance) -> bool:
    guess, actual = _plain(guess), _plain(actual)
    if tolerance and _is_number(guess) and _is_number(actual):
        return abs(float(guess) - float(actual)) <= tolerance * abs(float(actual))
    if tolerance and isinstance(actual, (tuple, list)) and isinstance(guess, (tuple, list)):
        return len(guess) == len(actual) and all(_within(g, a, tolerance) for g, a in zip(guess, actual, strict=True))
    return _compare(guess, actual, rtol=1e-6, atol=1e-9)[0]


def check_prediction(guess, actual, what, explanation=None, tolerance=0.0, reveal=False) -> bool:
    """Compare a prediction made before running the code with the computed value.

    Without a guess it asks for one and reveals nothing (unless ``reveal=True``), so running every cell does
    not answer the predictions. Predictions are not graded: this check never raises, even under nbgrader.

    Parameters
    ----------
    guess : object
        The student's prediction; ``None`` or ``...`` means "no guess yet".
    actual : object
        The value the code computed.
    what : str
        What was predicted, e.g. ``"output size"``.
    explanation : str, optional
        The reasoning, printed once there is a guess (or on reveal).
    tolerance : float, optional
        Relative tolerance for estimates ("roughly how many": ``0.1`` accepts within 10%). Exact questions
        keep the default 0.
    reveal : bool, optional
        Show the answer without a guess.

    Returns
    -------
    bool
        True if the guess matches.

    Examples
    --------
    >>> check_prediction(28, 28, "output width", "32 - 5 + 1 = 28")
    ✅ Right: the output width is 28.
       Why: 32 - 5 + 1 = 28
    True
    >>> check_prediction(None, 28, "output width")
    ⏳ No prediction yet: write your guess for the output width in the prediction cell above (replace None), run it, then this cell. (Stuck? Add reveal=True to this call to see the answer.)
    False
    >>> check_prediction(30, 28, "output width")
    ❌ Not quite: you predicted 30; the output width is 28 (7% too high).
    False
    >>> check_prediction(450, 456, "parameter count", tolerance=0.05)
    ✅ Close enough (within 5%): the parameter count is 456; you said 450.
    True
    """
    try:
        actual = _plain(actual)
        if _is_placeholder(guess):
            if not reveal:
                print(f"{TODO} No prediction yet: write your guess for the {what} in the prediction cell above "
                      f"(replace None), run it, then this cell. (Stuck? Add reveal=True to this call to see the answer.)")
                return False
            print(f"👀 The {what} is {_fmt(actual)}.")
            if explanation:
                print(f"   Why: {explanation}")
            return False
        exact = _compare(guess, actual, rtol=1e-6, atol=1e-9)[0]
        ok = exact or _within(guess, actual, tolerance)
        if exact:
            print(f"{OK} Right: the {what} is {_fmt(actual)}.")
        elif ok:
            print(f"{OK} Close enough (within {tolerance:.0%}): the {what} is {_fmt(actual)}; you said {_fmt(_plain(guess))}.")
        else:
            print(f"{BAD} Not quite: you predicted {_fmt(_plain(guess))}; the {what} is {_fmt(actual)}"
                  f"{_closeness(guess, actual)}.")
        if explanation:
            print(f"   Why: {explanation}")
        return ok
    except Exception as exc:  # noqa: BLE001 - never raises, not even under autograding
        print(f"{BAD} could not compare your prediction for the {what}: {type(exc).__name__}: {exc}")
        return False


def _shape_of(value):
    """A tuple shape from an array, a tensor, a list-of-ints shape or a Keras TensorShape."""
    if isinstance(value, (tuple, list)) and all(v is None or isinstance(v, numbers.Integral) for v in value):
        return tuple(None if v is None else int(v) for v in value)
    shape = getattr(value, "shape", None)
    if shape is not None:
        return tuple(None if s is None else int(s) for s in shape)
    return None


@_graded
def check_shape(answer, expected, name="shape", hint=None) -> bool:
    """Check a shape: ``answer`` may be a tuple or anything with a ``.shape`` (array, tensor).

    ``None`` entries in ``expected`` (e.g. Keras' batch dimension) match any size.

    Parameters
    ----------
    answer : tuple, array-like or callable
        The shape, an object whose ``.shape`` is checked, or a zero-argument function returning either.
    expected : tuple
        The expected shape.
    name : str, optional
        What is being checked.
    hint : str, optional
        Printed when the shape is wrong.

    Returns
    -------
    bool

    Examples
    --------
    >>> check_shape((28, 28, 6), (28, 28, 6), name="feature maps")
    ✅ feature maps has shape (28, 28, 6). Correct!
    True
    >>> check_shape(np.zeros((28, 28)), (28, 28, 6), name="feature maps")
    ❌ feature maps: got shape (28, 28), 2 dimensions instead of 3.
    False
    >>> check_shape((28, 30, 3), (28, 28, 6), name="feature maps", hint="count the filters")
    ❌ feature maps: got shape (28, 30, 3): axis 1 is too large, axis 2 is too small.
       Hint: count the filters
    False
    """
    try:
        answer = _resolve(answer, name)
    except _NotAttempted as why:
        return _not_attempted(name, why)
    except Exception as exc:  # noqa: BLE001
        return _student_error(f"computing {name}", exc, hint)
    got = _shape_of(answer)
    want = tuple(expected)
    if got is None:
        print(f"{BAD} {name}: got {_fmt(answer)} (type {_type_name(answer)}), not a shape: give a tuple of sizes "
              f"or an array (its .shape is checked).")
        _hint(hint)
        return False
    if _shape_matches(got, want):
        print(f"{OK} {name} has shape {_fmt(got)}. Correct!")
        return True
    print(f"{BAD} {name}: got shape {_fmt(got)}{', ' if len(got) != len(want) else ': '}{_axes_problem(got, want)}.")
    _hint(hint)
    return False


@_graded
def check_function(fn, reference, cases, name=None, hint=None, atol=1e-6) -> bool:
    """Run a student's function and a reference on the same inputs and compare the results.

    Parameters
    ----------
    fn : callable
        The student's function (``...`` or ``None``: not attempted yet).
    reference : callable
        The trusted implementation.
    cases : list
        Inputs: tuples of positional arguments or dicts of keyword arguments (a bare value is one argument).
        Arrays are copied before each call, so a function that modifies its input cannot fool the check.
    name : str, optional
        Name used in messages (defaults to ``fn.__name__``).
    hint : str, optional
        Printed after a failure.
    atol : float, optional
        Absolute tolerance (a relative tolerance of 1e-6 is also allowed).

    Returns
    -------
    bool
        True if every case matches. The first failing case is reported with its input and the student's
        output (what is wrong with it, never the reference's output); exceptions raised by ``fn`` are reported
        with the failing input; a function that still raises ``NotImplementedError`` is "not attempted yet".

    Examples
    --------
    >>> def double(x):
    ...     return 2 * x
    >>> check_function(double, lambda x: x + x, [(1,), (2.5,), (-3,)])
    ✅ double matches the reference on all 3 test cases.
    True
    >>> check_function(lambda x: x ** 2, lambda x: x + x, [(2,), (3,)], name="double")
    ❌ double(3) returned 9, too high.
       1 of 2 test cases failed.
    False
    >>> def stub(x):
    ...     raise NotImplementedError()
    >>> check_function(stub, lambda x: x + x, [(1,)], name="double")
    ⏳ double: not attempted yet — write the body of double (replace `raise NotImplementedError()` with your code), run its cell, then this check.
    False
    """
    if name is None:
        name = getattr(fn, "__name__", "your function")
        name = "your function" if name == "<lambda>" else name
    try:
        if _not_callable(fn, name):
            return False
    except _NotAttempted as why:
        return _not_attempted(name, why)
    cases = list(cases)
    failures = 0
    first_message = None
    first_error = None
    for case in cases:
        try:
            expected = _call(reference, case)
        except Exception as exc:  # noqa: BLE001 - a broken case is the checker's fault, say so
            print(f"{BAD} the reference itself failed on {_fmt_case(case)}: {type(exc).__name__}: {exc}")
            return False
        try:
            got = _call(fn, case)
        except NotImplementedError:
            return _not_attempted(name, f"write the body of {name} (replace `raise NotImplementedError()` with "
                                        f"your code), run its cell, then this check.")
        except Exception as exc:  # noqa: BLE001 - report the student's error, never propagate it
            failures += 1
            if first_message is None:
                first_error = exc
                first_message = (f"{name}{_fmt_case(case)} raised {type(exc).__name__}: "
                                 f"{str(exc).strip() or '(no message)'}")
            continue
        ok, why = _compare(got, expected, rtol=1e-6, atol=atol)
        if not ok:
            failures += 1
            if first_message is None:
                first_message = f"{name}{_fmt_case(case)} returned {why}."
    if failures == 0:
        print(f"{OK} {name} matches the reference on all {len(cases)} test cases.")
        return True
    print(f"{BAD} {first_message}")
    print(f"   {failures} of {len(cases)} test cases failed.")
    if first_error is not None and failures == len(cases) and not hint:
        _hint("the error comes from your code: read its message, fix the function, run its cell again.")
    _hint(hint)
    return False


@_graded
def check_threshold(value, threshold, name="value", higher_is_better=True, valid_range=None) -> bool:
    """Check that a result (an accuracy, a speed-up...) reaches a threshold.

    Parameters
    ----------
    value : float or callable
        The measured value, or a zero-argument function that measures it (called inside the check).
    threshold : float
        The value to reach (``>=`` when ``higher_is_better``, else ``<=``); printed only once it is reached.
    name : str, optional
        What the value is.
    higher_is_better : bool, optional
        False for losses and errors.
    valid_range : tuple of float, optional
        ``(low, high)`` the value must lie in, e.g. ``(0, 1)`` for an accuracy: 97.1 is then rejected with
        "give a fraction, not a percentage" instead of passing as "above 0.95".

    Returns
    -------
    bool

    Examples
    --------
    >>> check_threshold(0.93, 0.9, name="validation accuracy")
    ✅ validation accuracy = 0.93 reaches the target (>= 0.9).
    True
    >>> check_threshold(0.5, 0.3, name="loss", higher_is_better=False)
    ❌ loss = 0.5 is too high: it does not reach the target yet.
    False
    >>> check_threshold(97.1, 0.95, name="test accuracy", valid_range=(0, 1))
    ❌ test accuracy = 97.1 is outside [0, 1]: give a fraction (0.97), not a percentage.
    False
    """
    try:
        value = _resolve(value, name)
    except _NotAttempted as why:
        return _not_attempted(name, why)
    except Exception as exc:  # noqa: BLE001
        return _student_error(f"computing {name}", exc)
    value = _plain(value)
    if not _is_number(value) and _as_array(value) is not None and _as_array(value).size == 1:
        value = float(_as_array(value).reshape(()))
    if not _is_number(value):
        print(f"{BAD} {name} should be a number, got {_fmt(value)} ({type(value).__name__})")
        return False
    v = float(np.asarray(value))
    if valid_range is not None:
        lo, hi = valid_range
        if not lo <= v <= hi:
            extra = f": give a fraction ({v / 100:.2f}), not a percentage" if hi == 1 and 1 < v <= 100 else ""
            print(f"{BAD} {name} = {v:.4g} is outside [{lo:g}, {hi:g}]{extra}.")
            return False
    ok = v >= threshold if higher_is_better else v <= threshold
    sign = ">=" if higher_is_better else "<="
    if ok:
        print(f"{OK} {name} = {v:.4g} reaches the target ({sign} {threshold:.4g}).")
    else:
        print(f"{BAD} {name} = {v:.4g} is {'too low' if higher_is_better else 'too high'}: it does not reach "
              f"the target yet.")
    return bool(ok)


# ---------------------------------------------------------------------------------------------------------
# course exercises (references from helpers.shapes and helpers.conv, imported lazily)
# ---------------------------------------------------------------------------------------------------------


@_graded
def check_output_size(fn) -> bool:
    """Check a student's ``output_size(n, f, s, p)``: output length of a convolution along one axis.

    ``fn`` is called positionally as ``fn(n, f, s, p)`` (input size, kernel size, stride, zeros added on
    each side) and must return ``floor((n + 2p - f) / s) + 1`` as an int, like Keras.

    Parameters
    ----------
    fn : callable
        The student's function.

    Returns
    -------
    bool

    Examples
    --------
    >>> def output_size(n, f, s=1, p=0):
    ...     return (n + 2 * p - f) // s + 1
    >>> check_output_size(output_size)
    ✅ output_size matches the reference on all 10 test cases.
    True
    """
    from helpers.shapes import conv_output_size

    cases = [(32, 5, 1, 0), (18, 3, 1, 0), (18, 3, 1, 1), (5, 3, 2, 0), (6, 3, 2, 0), (7, 3, 2, 1),
             (512, 5, 1, 0), (227, 11, 4, 0), (224, 7, 2, 3), (10, 10, 1, 0)]

    def reference(n, f, s, p):
        return conv_output_size(n, f, stride=s, padding=p)

    if _not_callable(fn, "output_size"):
        return False
    name = getattr(fn, "__name__", "output_size")
    ok = check_function(fn, reference, cases, name="output_size" if name == "<lambda>" else name,
                        hint="count the window positions: floor((n + 2p - f) / s) + 1. Use // for the floor, "
                             "so the result is a whole number, as Keras does.")
    if ok:
        for case in cases:
            try:
                got = _call(fn, case)
            except Exception:  # noqa: BLE001
                break
            if not isinstance(got, (numbers.Integral, np.integer)):
                print(f"   Note: {_fmt_case(case)} returned {got!r}, a {type(got).__name__}; "
                      f"a size is a whole number, so return an int (use //).")
                break
    return ok


@_graded
def check_conv_single_step(fn) -> bool:
    """Check a student's ``conv_single_step(a_slice, W, b)``: one output value of a convolution.

    ``a_slice`` and ``W`` have the same shape ``(f, f, C)``; the result is ``sum(a_slice * W) + b``, a number.

    Parameters
    ----------
    fn : callable
        The student's function.

    Returns
    -------
    bool

    Examples
    --------
    >>> def conv_single_step(a_slice, W, b):
    ...     return float(np.sum(a_slice * W) + b)
    >>> check_conv_single_step(conv_single_step)
    ✅ conv_single_step matches the reference on all 5 test cases.
    True
    """
    from helpers.conv import conv2d_single_step

    rng = np.random.default_rng(1)
    cases = [(np.full((3, 3, 1), 10.0), np.array([[1.0, 0, -1]] * 3).reshape(3, 3, 1), 0.0)]
    for f, c in [(3, 1), (3, 3), (5, 3), (1, 4)]:
        cases.append((rng.normal(size=(f, f, c)), rng.normal(size=(f, f, c)), float(rng.normal())))

    def reference(a_slice, W, b):
        return float(conv2d_single_step(a_slice, W, b))

    return check_function(fn, reference, cases, name=getattr(fn, "__name__", "conv_single_step"),
                          hint="multiply element-wise (a_slice * W), add everything up with np.sum, then add b "
                               "(a single number, not an array).")


def _accepts(fn, param: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return param in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


@_graded
def check_conv2d(fn) -> bool:
    """Check a student's ``conv2d(x, kernels, bias, ...)`` against :func:`helpers.conv.conv2d`.

    The function takes one image ``x`` of shape ``(H, W, C_in)``, kernels ``(kh, kw, C_in, C_out)`` and a
    bias ``(C_out,)`` and returns the feature maps ``(H_out, W_out, C_out)`` (cross-correlation, as Keras).
    If it has a ``stride`` parameter, strides 2 and 3 are tested too; if it has a ``padding`` parameter,
    ``"same"`` and integer padding are tested.

    Parameters
    ----------
    fn : callable
        The student's function.

    Returns
    -------
    bool

    Examples
    --------
    >>> from helpers.conv import conv2d
    >>> check_conv2d(conv2d)
    ✅ conv2d matches the reference on all 10 test cases.
    True
    """
    from helpers.conv import conv2d

    name = getattr(fn, "__name__", "conv2d")
    if _not_callable(fn, name):
        return False
    rng = np.random.default_rng(2)
    edge = np.zeros((6, 6, 1))
    edge[:, :3] = 10.0
    vertical = np.array([[1.0, 0, -1]] * 3).reshape(3, 3, 1, 1)
    cases = [(edge, vertical, np.zeros(1))]
    for h, w, c, k, f in [(5, 5, 1, 3, 1), (7, 6, 3, 3, 2), (8, 8, 2, 1, 4), (6, 9, 3, 5, 3)]:
        cases.append((rng.normal(size=(h, w, c)), rng.normal(size=(k, k, c, f)), rng.normal(size=f)))
    with_stride = _accepts(fn, "stride")
    with_padding = _accepts(fn, "padding")
    if with_stride:
        cases.append({"x": rng.normal(size=(7, 7, 2)), "kernels": rng.normal(size=(3, 3, 2, 2)),
                      "bias": rng.normal(size=2), "stride": 2})
        cases.append({"x": rng.normal(size=(10, 8, 1)), "kernels": rng.normal(size=(3, 3, 1, 3)),
                      "bias": rng.normal(size=3), "stride": 3})
    if with_padding:
        cases.append({"x": rng.normal(size=(6, 6, 2)), "kernels": rng.normal(size=(3, 3, 2, 2)),
                      "bias": rng.normal(size=2), "padding": 1})
        cases.append({"x": rng.normal(size=(5, 7, 1)), "kernels": rng.normal(size=(3, 3, 1, 2)),
                      "bias": rng.normal(size=2), "padding": "same"})
    if with_stride and with_padding:
        cases.append({"x": rng.normal(size=(8, 8, 2)), "kernels": rng.normal(size=(3, 3, 2, 1)),
                      "bias": rng.normal(size=1), "stride": 2, "padding": "same"})

    # call the student's function positionally for x, kernels, bias (their names may differ)
    def positional(f):
        def call(x, kernels, bias, **kw):
            return f(x, kernels, bias, **kw)
        return call

    def reference(x, kernels, bias, **kw):
        return conv2d(x, kernels, bias, **kw)

    student = positional(fn)
    ok = check_function(student, reference, cases, name=name,
                        hint="for each output position (i, j) take the window x[i*s:i*s+kh, j*s:j*s+kw, :], "
                             "multiply it by each kernel, sum, add that filter's bias. Do not flip the kernel.")
    if ok and not (with_stride and with_padding):
        missing = [p for p, has in (("stride", with_stride), ("padding", with_padding)) if not has]
        print(f"   (Tested stride 1 without padding only: your function has no {' or '.join(missing)} parameter.)")
    return ok


@_graded
def check_pool(fn, mode="max") -> bool:
    """Check a student's pooling function ``fn(x, pool_size, stride)`` on images ``(H, W, C)``.

    Parameters
    ----------
    fn : callable
        The student's function, called as ``fn(x, pool_size, stride)``.
    mode : {"max", "avg"}
        Which pooling it implements.

    Returns
    -------
    bool

    Examples
    --------
    >>> from helpers.conv import max_pool2d
    >>> check_pool(lambda x, f, s: max_pool2d(x, f, s), mode="max")
    ✅ max pooling matches the reference on all 5 test cases.
    True
    """
    if mode not in ("max", "avg", "average"):
        print(f'{BAD} mode must be "max" or "avg", got {mode!r}')
        return False
    from helpers.conv import avg_pool2d, max_pool2d

    pool = max_pool2d if mode == "max" else avg_pool2d
    rng = np.random.default_rng(3)
    grid = np.arange(16, dtype=float).reshape(4, 4, 1)
    cases = [(grid, 2, 2), (rng.normal(size=(6, 6, 3)), 2, 2), (rng.normal(size=(5, 5, 2)), 3, 1),
             (rng.normal(size=(7, 7, 1)), 3, 2), (rng.normal(size=(5, 4, 2)), 2, 2)]

    def reference(x, f, s):
        return pool(x, f, s)

    label = "max pooling" if mode == "max" else "average pooling"
    name = getattr(fn, "__name__", label)
    name = label if name == "<lambda>" else name
    how = "the largest value" if mode == "max" else "the mean"
    return check_function(fn, reference, cases, name=name,
                          hint=f"for each window x[i*s:i*s+f, j*s:j*s+f, c] keep {how}; channels stay separate, "
                               f"and the output size is floor((n - f) / s) + 1.")


@_graded
def check_param_count(fn) -> bool:
    """Check a student's ``conv_params(kernel_size, in_channels, filters)``: weights + biases of a layer.

    Parameters
    ----------
    fn : callable
        Called as ``fn(kernel_size, in_channels, filters)``; must return
        ``(kernel_size * kernel_size * in_channels + 1) * filters``.

    Returns
    -------
    bool

    Examples
    --------
    >>> check_param_count(lambda k, c, f: (k * k * c + 1) * f)
    ✅ conv_params matches the reference on all 6 test cases.
    True
    """
    from helpers.shapes import conv_params

    cases = [(5, 3, 6), (5, 6, 16), (3, 1, 1), (1, 192, 64), (11, 3, 96), (3, 64, 128)]
    name = getattr(fn, "__name__", "conv_params")
    name = "conv_params" if name == "<lambda>" else name
    return check_function(fn, lambda k, c, f: conv_params(k, c, f), cases, name=name,
                          hint="each filter has kernel_size x kernel_size x in_channels weights plus one bias.")


_ACTIVATION_LAYERS = {"ReLU": "relu", "Softmax": "softmax", "LeakyReLU": "leaky_relu", "ELU": "elu", "PReLU": "prelu"}


def _activation_name(fn) -> str:
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return str(name).lower()


def _ops(model) -> list[str]:
    """The model as a list of operations: layer types and the non-linear activations they apply.

    ``Conv2D(6, 5, activation="relu")`` and ``Conv2D(6, 5)`` followed by ``ReLU()`` both give
    ``["Conv2D", "relu"]``; nested models are flattened; input layers are left out.
    """
    ops = []
    for layer in getattr(model, "layers", []):
        cls = type(layer).__name__
        if cls == "InputLayer":
            continue
        if hasattr(layer, "layers") and not hasattr(layer, "kernel"):
            ops.extend(_ops(layer))
        elif cls in _ACTIVATION_LAYERS:
            ops.append(_ACTIVATION_LAYERS[cls])
        elif cls == "Activation":
            ops.append(_activation_name(layer.activation))
        else:
            ops.append(cls)
            act = getattr(layer, "activation", None)
            if act is not None and _activation_name(act) != "linear":
                ops.append(_activation_name(act))
    return ops


def _build(model, name):
    """A Keras model from a model or a zero-argument builder; placeholders are 'not attempted'."""
    if _is_placeholder(model):
        raise _NotAttempted(f"build {name} in the cell above (replace `...`), run it, then this check.")
    if callable(model) and not hasattr(model, "count_params"):
        try:
            model = model()
        except NotImplementedError:
            raise _NotAttempted(f"write the body of your builder for {name} (replace "
                                f"`raise NotImplementedError()`), run its cell, then this check.") from None
        if _is_placeholder(model):
            raise _NotAttempted(f"your builder for {name} returns nothing yet: `return` the model.")
    return model


def _output_shape(model):
    return tuple(None if s is None else int(s) for s in model.outputs[0].shape)


@_graded
def check_model(model, expected_params=None, expected_output_shape=None, name="model", reference=None) -> bool:
    """Check a Keras model: parameter count, output shape and (with a reference) its layers and activations.

    Parameters
    ----------
    model : keras.Model or callable
        A built model (give it an ``Input`` or call ``model.build``), or a zero-argument function that builds
        it (called inside the check, so its errors are reported). ``...`` or ``None``: not attempted yet.
    expected_params : int, optional
        Total number of parameters (``model.count_params()``); taken from ``reference`` when omitted.
    expected_output_shape : tuple, optional
        With or without the batch dimension, e.g. ``(None, 10)`` or ``(10,)``; taken from ``reference``
        when omitted.
    name : str, optional
        Used in messages.
    reference : keras.Model or callable, optional
        The model the student should have built (or its builder). Its sequence of operations (layer types
        and non-linear activations, in order for ``Sequential`` models, as a multiset otherwise) must match,
        so a model without its ReLUs or with the wrong pooling fails even with the right parameter count.

    Returns
    -------
    bool

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> class Tiny:  # anything with count_params() and outputs behaves like a model here
    ...     outputs = [SimpleNamespace(shape=(None, 10))]
    ...     def count_params(self):
    ...         return 61706
    >>> check_model(Tiny(), expected_params=61706, expected_output_shape=(None, 10), name="LeNet-5")
    ✅ LeNet-5 has 61,706 parameters. Correct!
    ✅ LeNet-5's output shape is (None, 10). Correct!
    True
    >>> check_model(..., expected_params=61706, name="LeNet-5")
    ⏳ LeNet-5: not attempted yet — build LeNet-5 in the cell above (replace `...`), run it, then this check.
    False
    """
    build_hint = "build the model first: start it with keras.Input(shape=...) or call model.build(...)."
    try:
        model = _build(model, name)
    except _NotAttempted as why:
        return _not_attempted(name, why)
    except Exception as exc:  # noqa: BLE001 - the student's builder failed
        return _student_error(f"building {name}", exc)
    if reference is not None:
        reference = _build(reference, "the reference model")
        if expected_params is None:
            expected_params = int(reference.count_params())
        if expected_output_shape is None:
            expected_output_shape = _output_shape(reference)
    if expected_params is None and expected_output_shape is None:
        print(f"{TODO} nothing to check: pass expected_params, expected_output_shape or reference.")
        return False
    ok = True
    if expected_params is not None:
        try:
            got = int(model.count_params())
        except Exception as exc:  # noqa: BLE001 - unbuilt models raise ValueError
            print(f"{BAD} could not count the parameters of {name}: {type(exc).__name__}: {exc}")
            _hint(build_hint)
            return False
        if got == int(expected_params):
            print(f"{OK} {name} has {_fmt_number(got)} parameters. Correct!")
        else:
            ok = False
            print(f"{BAD} {name} has {_fmt_number(got)} parameters: "
                  f"{'too many' if got > int(expected_params) else 'too few'}.")
            _hint("compare layer by layer with model.summary(): kernel sizes, filters, units, use_bias.")
    if expected_output_shape is not None:
        want = tuple(expected_output_shape)
        try:
            got_shape = _output_shape(model)
        except Exception as exc:  # noqa: BLE001 - Keras 3 raises AttributeError for unbuilt models
            print(f"{BAD} {name} has no output shape yet ({type(exc).__name__}: {exc}).")
            _hint(build_hint)
            return False
        if not want or want[0] is not None:  # given without the batch axis: Keras' outputs have one
            want = (None,) + want
        if _shape_matches(got_shape, want):
            print(f"{OK} {name}'s output shape is {_fmt(got_shape)}. Correct!")
        else:
            ok = False
            print(f"{BAD} {name}'s output shape is {_fmt(got_shape)}{', ' if len(got_shape) != len(want) else ': '}"
                  f"{_axes_problem(got_shape, want)}.")
            _hint("print model.summary() to see where the shapes stop matching.")
    if reference is not None:
        mine, theirs = _ops(model), _ops(reference)
        in_order = type(model).__name__ == type(reference).__name__ == "Sequential"
        if (mine == theirs) if in_order else (Counter(mine) == Counter(theirs)):
            print(f"{OK} {name}'s layers and activations match: {' -> '.join(mine) if in_order else len(mine)}"
                  f"{'' if in_order else ' operations'}.")
        else:
            ok = False
            # name the student's operations only: the expected ones are the answer
            if in_order:
                i = next((k for k, (a, b) in enumerate(zip(mine, theirs, strict=False)) if a != b),
                         min(len(mine), len(theirs)))
                if i >= len(mine):
                    print(f"{BAD} {name} ends after its operation {i} ({mine[-1] if mine else 'none'}): operations "
                          f"are missing from there on.")
                elif i >= len(theirs):
                    after = len(mine) - i - 1
                    print(f"{BAD} {name}'s operation {i + 1} ({mine[i]}){f' and the {after} after it' if after else ''} "
                          f"should not be there: the model should end before it.")
                else:
                    before = f" (the {'one' if i == 1 else i} before it {'is' if i == 1 else 'are'} right)" if i else ""
                    print(f"{BAD} {name}'s operation {i + 1} is {mine[i]}, not the right one there{before}.")
            else:
                extra = Counter(mine) - Counter(theirs)
                missing = sum((Counter(theirs) - Counter(mine)).values())
                parts = []
                if extra:
                    parts.append("it has too many " + ", ".join(f"{k} (+{n})" for k, n in extra.items()))
                if missing:
                    parts.append(f"{missing} operation{'s are' if missing > 1 else ' is'} missing")
                print(f"{BAD} {name}'s layers differ from the expected ones: {'; '.join(parts)}.")
            _hint("compare your layers, in order, with the statement: each layer's type and its activation "
                  "(an argument such as activation=... or a layer of its own; pooling layers have none). "
                  "model.summary() lists them.")
    return ok


# ---------------------------------------------------------------------------------------------------------
# exercises by id: the registry in helpers.exercises, progress in the student's folder
# ---------------------------------------------------------------------------------------------------------


def check(exercise_id, answer, /, **context) -> bool:
    """Check the answer to a registered exercise: ``check("09.ex5", good_sizes);``.

    The reference answer, test cases and hint live in ``helpers/exercises/lessonNN.py`` (see
    :mod:`helpers.exercises`), so the lesson's check cell holds none of them. The entry runs the matching
    ``check_*`` function, which prints the verdict (never the expected value). The outcome is recorded in the
    student's progress file (see :func:`progress`).

    Parameters
    ----------
    exercise_id : str
        E.g. ``"03.ex2"``.
    answer : object or callable
        What the exercise asks for: a value, a function, a model or its builder, a zero-argument ``lambda``
        computing the answer from the student's work, or a prediction. ``...`` or ``None``: not attempted yet.
    **context
        Objects of the lesson the reference needs, e.g. ``model=vgg`` (the entry says which).

    Returns
    -------
    bool
        True if the answer passes. Never raises, except ``AssertionError`` for a graded exercise that does not
        pass while nbgrader grades (as every check does); an unknown id prints a clear message.

    Examples
    --------
    >>> check("00.demo", 6 * 76)
    ✅ parameters of Conv2D(6, 5) on 3 channels = 456. Correct!
    True
    >>> check("00.demo", 6 * 75)
    ❌ parameters of Conv2D(6, 5) on 3 channels: got 450, too low.
       Hint: each of the 6 filters has 5 x 5 x 3 weights and one bias
    False
    >>> check("00.demo", ...)
    ⏳ parameters of Conv2D(6, 5) on 3 channels: not attempted yet — replace the placeholder `...` with your parameters of Conv2D(6, 5) on 3 channels, run that cell, then this check.
    False
    >>> check("00.demo-context", 4640, kernel_size=3, channels=16, filters=32)
    ✅ parameters of the layer = 4640. Correct!
    True
    >>> check("00.dmeo", 456)
    ❌ cannot check exercise '00.dmeo': unknown exercise id '00.dmeo' (did you mean '00.demo'?)
    False
    """
    from helpers import _progress, exercises

    depth = getattr(_nesting, "depth", 0)
    _nesting.depth = depth + 1  # the checks the entry runs are nested: only this call raises under nbgrader
    _outcome.not_attempted = False
    graded, status = True, "failed"
    try:
        try:
            entry = exercises.lookup(exercise_id)
        except (TypeError, ValueError, ImportError) as exc:
            print(f"{BAD} cannot check exercise {exercise_id!r}: {exc}")
            return _fail_under_grading(depth)
        graded = entry.graded
        try:
            ok = bool(entry.run(answer, context))
        except Exception as exc:  # noqa: BLE001 - a check must never raise in a student's notebook
            print(f"{BAD} could not check your answer: {type(exc).__name__}: {str(exc).strip() or '(no message)'}")
            ok = False
        if ok:
            status = "passed"
        elif _is_placeholder(answer) or getattr(_outcome, "not_attempted", False):
            status = "not attempted"
        _progress.record(exercise_id, status)
    finally:
        _nesting.depth = depth
    if not ok and graded:
        _fail_under_grading(depth)
    return ok


def _fail_under_grading(depth) -> bool:
    """Raise AssertionError while nbgrader grades (outermost check only); else return False."""
    if depth == 0 and autograding():
        # no exercise id, no answer: nbgrader's feedback shows this message even for a hidden test
        raise AssertionError("this self-check did not pass (see the message above)")
    return False


def reveal(exercise_id, /, **context) -> None:
    """Print the reference answer of an exercise, on request (never while nbgrader grades).

    Type it in a new cell when you are stuck, after trying: ``reveal("03.ex2")``. It prints the expected
    value, or the reference function's source, and the explanation. Lessons never call it.

    Parameters
    ----------
    exercise_id : str
        E.g. ``"03.ex2"``.
    **context
        What the exercise's check call passes (some references are computed from the lesson's objects).

    Examples
    --------
    >>> reveal("00.demo")
    👀 00.demo: parameters of Conv2D(6, 5) on 3 channels = 456.
       Why: (5 x 5 x 3 + 1) x 6 = 456
    >>> import os
    >>> os.environ["NBGRADER_EXECUTION"] = "autograde"
    >>> reveal("00.demo")
    🔒 reveal is unavailable while nbgrader grades.
    >>> del os.environ["NBGRADER_EXECUTION"]
    """
    if autograding():
        print("🔒 reveal is unavailable while nbgrader grades.")
        return
    from helpers import exercises

    try:
        text = exercises.lookup(exercise_id).solution(context)
    except Exception as exc:  # noqa: BLE001 - never raises in a notebook
        print(f"{BAD} cannot reveal exercise {exercise_id!r}: {exc}")
        return
    print(f"👀 {exercise_id}: {text}")


_MARKS = {"passed": OK, "failed": BAD, "not attempted": TODO}


def _natural(key: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", key)]


def progress() -> None:
    """Print which exercises of which lessons pass, from the progress file in your folder.

    Every :func:`check` records its outcome in ``.cnn-course-progress.json`` in the folder the notebook runs
    in (or the file ``$CNN_COURSE_PROGRESS`` names; ``CNN_COURSE_PROGRESS=off`` records nothing). The file
    is yours: course updates never overwrite it, and a damaged one is set aside, not fatal.

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["CNN_COURSE_PROGRESS"] = os.path.join(tempfile.mkdtemp(), "progress.json")
    >>> check("00.demo", 456) and check("00.demo-threshold", 0.5)
    ✅ parameters of Conv2D(6, 5) on 3 channels = 456. Correct!
    ❌ validation accuracy = 0.5 is too low: it does not reach the target yet.
    False
    >>> progress()  # doctest: +ELLIPSIS
    Your progress (recorded in .../progress.json):
      lesson 00: demo ✅  demo-threshold ❌   1 of 2 pass
    ✅ passes   ❌ does not pass yet   ⏳ not attempted   · not checked yet
    """
    from helpers import _progress, exercises

    where = _progress.path()
    if where is None:
        print("Progress is not recorded (CNN_COURSE_PROGRESS is off).")
        return
    recorded = _progress.load(where)
    try:
        known = [k for k in exercises.registry() if ".demo" not in k]
    except Exception:  # noqa: BLE001 - a broken lesson module must not hide the student's progress
        known = []
    ids = sorted(set(known) | set(recorded), key=_natural)
    if not recorded:
        print(f"No exercise checked yet: run a lesson's check cells (progress goes to {where}).")
        return
    print(f"Your progress (recorded in {where}):")
    for lesson in sorted({i[:2] for i in ids}):
        mine = [i for i in ids if i[:2] == lesson]
        marks = "  ".join(f"{i[3:]} {_MARKS.get(recorded.get(i, {}).get('status'), '·')}" for i in mine)
        passed = sum(recorded.get(i, {}).get("status") == "passed" for i in mine)
        print(f"  lesson {lesson}: {marks}   {passed} of {len(mine)} pass")
    print(f"{OK} passes   {BAD} does not pass yet   {TODO} not attempted   · not checked yet")
