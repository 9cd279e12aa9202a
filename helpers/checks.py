"""Exercise self-checks: print a friendly verdict, return a bool, never raise.

Every function here compares a student's answer (a number, a shape, a function or a Keras model) with a
reference computed by :mod:`helpers.shapes` or :mod:`helpers.conv`, prints what it found (✅ or ❌, what was
expected, what came back, a hint) and returns ``True`` or ``False``. Errors raised by the student's code are
caught and reported with the input that triggered them, so a notebook cell never stops with a traceback
because of a check.

``None`` means "not answered yet": :func:`check_prediction` then reveals the answer and the reasoning, the
others say what to fill in.

Nothing here imports TensorFlow; :func:`check_model` only calls methods of the model it is given.
"""

from __future__ import annotations

import copy
import inspect
import math
import numbers

import numpy as np

__all__ = [
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
]

OK = "✅"
BAD = "❌"
TODO = "📝"


# ---------------------------------------------------------------------------------------------------------
# formatting and comparison (private)
# ---------------------------------------------------------------------------------------------------------


def _is_number(value) -> bool:
    """True for Python/numpy real numbers (not bools) and 0-d numeric arrays."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, numbers.Real):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0 and np.issubdtype(value.dtype, np.number)


def _fmt_number(value, separators: bool = True) -> str:
    value = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}" if separators and abs(int(value)) >= 10_000 else str(int(value))
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return f"{value:.1f}"
    return f"{value:.6g}"


def _fmt(value, limit: int = 80, nested: bool = False) -> str:
    """A short, deterministic description of a value (arrays by shape unless tiny).

    Thousands separators only at the top level, so ``(150528, 147)`` does not read as three numbers.
    """
    if _is_number(value):
        return _fmt_number(value, separators=not nested)
    if isinstance(value, np.ndarray):
        if value.size <= 9 and value.ndim <= 1:
            return np.array2string(value, precision=4, separator=", ")
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
    if hasattr(value, "numpy") and callable(value.numpy):  # a TensorFlow/Keras tensor
        try:
            value = value.numpy()
        except Exception:  # noqa: BLE001 - anything that is not convertible is "not an array"
            return None
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return arr


def _compare(answer, expected, rtol: float = 1e-6, atol: float = 1e-6):
    """Compare an answer with the expected value; return (ok, explanation of the difference)."""
    if answer is None:
        return False, "got None (nothing returned or not filled in yet)"
    if isinstance(expected, (bool, np.bool_)):
        if isinstance(answer, (bool, np.bool_)) and bool(answer) == bool(expected):
            return True, ""
        return False, f"expected {expected}, got {_fmt(answer)}"
    if isinstance(expected, str):
        if isinstance(answer, str) and answer.strip().lower() == expected.strip().lower():
            return True, ""
        return False, f"expected {expected!r}, got {_fmt(answer)}"
    if _is_number(expected):
        if not _is_number(answer):
            return False, f"expected a single number ({_fmt(expected)}), got {_fmt(answer)} ({type(answer).__name__})"
        a, e = float(np.asarray(answer)), float(np.asarray(expected))
        if math.isnan(a):
            return False, f"expected {_fmt(expected)}, got nan"
        if math.isclose(a, e, rel_tol=rtol, abs_tol=atol):
            return True, ""
        return False, f"expected {_fmt(expected)}, got {_fmt(answer)}"
    if isinstance(expected, (tuple, list)) and not isinstance(answer, np.ndarray):
        if not isinstance(answer, (tuple, list)):
            return False, f"expected {_fmt(tuple(expected))}, got {_fmt(answer)} ({type(answer).__name__})"
        if len(answer) != len(expected):
            return False, f"expected {len(expected)} values {_fmt(tuple(expected))}, got {len(answer)}: {_fmt(tuple(answer))}"
        for i, (a, e) in enumerate(zip(answer, expected, strict=True)):
            ok, why = _compare(a, e, rtol, atol)
            if not ok:
                return False, f"expected {_fmt(tuple(expected))}, got {_fmt(tuple(answer))} (item {i}: {why})"
        return True, ""
    # arrays
    exp = np.asarray(expected, dtype=float)
    arr = _as_array(answer)
    if arr is None:
        return False, f"expected an array of shape {exp.shape}, got {type(answer).__name__}"
    if arr.shape != exp.shape:
        return False, f"expected an array of shape {exp.shape}, got shape {arr.shape}"
    close = np.isclose(arr, exp, rtol=rtol, atol=atol, equal_nan=False)
    if close.all():
        return True, ""
    bad = np.argwhere(~close)
    first = tuple(int(i) for i in bad[0])
    diff = np.nanmax(np.abs(arr - exp)) if np.isfinite(arr).all() else float("nan")
    return False, (
        f"{len(bad)} of {exp.size} values differ; first at index {first}: expected "
        f"{_fmt_number(exp[first])}, got {_fmt_number(arr[first])} (largest difference {diff:.4g})"
    )


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
    if fn is None:
        print(f"{TODO} {name} is None: write the function first, then run this check again.")
        return True
    if not callable(fn):
        print(f"{BAD} {name} should be a function, got {_fmt(fn)} ({type(fn).__name__}).")
        return True
    return False


# ---------------------------------------------------------------------------------------------------------
# generic checks
# ---------------------------------------------------------------------------------------------------------


def check_value(answer, expected, name="answer", hint=None, rtol=1e-6) -> bool:
    """Check a single answer (number, tuple, string or array) against the expected value.

    Parameters
    ----------
    answer : object
        What the student computed. ``None`` means "not filled in yet".
    expected : object
        The right value. Numbers are compared with a relative tolerance, arrays element-wise
        (shape first), tuples item by item, strings case-insensitively.
    name : str, optional
        What the answer is, used in the message.
    hint : str, optional
        Printed when the answer is wrong.
    rtol : float, optional
        Relative tolerance for numbers and arrays.

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
    ❌ first-layer parameters: expected 456, got 450
       Hint: each filter has a bias
    False
    """
    try:
        if answer is None:
            print(f"{TODO} {name} is None: replace None with your answer, then run this cell again.")
            return False
        ok, why = _compare(answer, expected, rtol=rtol, atol=1e-12 if _is_number(expected) else 1e-6)
        if ok:
            print(f"{OK} {name} = {_fmt(answer)}. Correct!")
            return True
        print(f"{BAD} {name}: {why}")
        _hint(hint)
        return False
    except Exception as exc:  # noqa: BLE001 - a check must never raise
        print(f"{BAD} could not check {name}: {type(exc).__name__}: {exc}")
        _hint(hint)
        return False


def check_prediction(guess, actual, what, explanation=None) -> bool:
    """Compare a prediction made before running the code with the computed value.

    Parameters
    ----------
    guess : object
        The student's prediction; ``None`` means "no guess yet": the answer and the explanation are shown.
    actual : object
        The value the code computed.
    what : str
        What was predicted, e.g. ``"output size"``.
    explanation : str, optional
        The reasoning, printed in every case.

    Returns
    -------
    bool
        True if the guess matches (numbers with a small relative tolerance).

    Examples
    --------
    >>> check_prediction(28, 28, "output width", "32 - 5 + 1 = 28")
    ✅ Your prediction for the output width was right: 28.
       Why: 32 - 5 + 1 = 28
    True
    >>> check_prediction(None, 28, "output width")
    📝 No guess yet. The output width is 28.
    False
    """
    try:
        if guess is None:
            print(f"{TODO} No guess yet. The {what} is {_fmt(actual)}.")
            if explanation:
                print(f"   Why: {explanation}")
            return False
        ok, why = _compare(guess, actual, rtol=1e-6, atol=1e-9)
        if ok:
            print(f"{OK} Your prediction for the {what} was right: {_fmt(actual)}.")
        else:
            print(f"{BAD} Not quite: you predicted {_fmt(guess)}, the {what} is {_fmt(actual)}.")
        if explanation:
            print(f"   Why: {explanation}")
        return ok
    except Exception as exc:  # noqa: BLE001
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


def check_shape(answer, expected, name="shape") -> bool:
    """Check a shape: ``answer`` may be a tuple or anything with a ``.shape`` (array, tensor).

    ``None`` entries in ``expected`` (e.g. Keras' batch dimension) match any size.

    Parameters
    ----------
    answer : tuple or array-like
        The shape, or an object whose ``.shape`` is checked.
    expected : tuple
        The expected shape.
    name : str, optional
        What is being checked.

    Returns
    -------
    bool

    Examples
    --------
    >>> check_shape((28, 28, 6), (28, 28, 6), name="feature maps")
    ✅ feature maps has shape (28, 28, 6). Correct!
    True
    >>> check_shape(np.zeros((28, 28)), (28, 28, 6), name="feature maps")
    ❌ feature maps: expected shape (28, 28, 6), got (28, 28)
       Hint: the number of dimensions differs (2 instead of 3).
    False
    """
    try:
        if answer is None:
            print(f"{TODO} {name} is None: replace None with your answer (a tuple such as (28, 28, 6)).")
            return False
        got = _shape_of(answer)
        want = tuple(expected)
        if got is None:
            print(f"{BAD} {name}: expected a shape such as {want}, got {_fmt(answer)} ({type(answer).__name__})")
            return False
        if len(got) == len(want) and all(w is None or g == w for g, w in zip(got, want, strict=True)):
            print(f"{OK} {name} has shape {_fmt(got)}. Correct!")
            return True
        print(f"{BAD} {name}: expected shape {_fmt(want)}, got {_fmt(got)}")
        if len(got) != len(want):
            _hint(f"the number of dimensions differs ({len(got)} instead of {len(want)}).")
        else:
            axes = [i for i, (g, w) in enumerate(zip(got, want, strict=True)) if w is not None and g != w]
            _hint(f"axis {axes[0]} is {got[axes[0]]}, it should be {want[axes[0]]}.")
        return False
    except Exception as exc:  # noqa: BLE001
        print(f"{BAD} could not check {name}: {type(exc).__name__}: {exc}")
        return False


def check_function(fn, reference, cases, name=None, hint=None, atol=1e-6) -> bool:
    """Run a student's function and a reference on the same inputs and compare the results.

    Parameters
    ----------
    fn : callable
        The student's function.
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
        True if every case matches. Exceptions raised by ``fn`` are reported with the failing input.

    Examples
    --------
    >>> def double(x):
    ...     return 2 * x
    >>> check_function(double, lambda x: x + x, [(1,), (2.5,), (-3,)])
    ✅ double matches the reference on all 3 test cases.
    True
    >>> check_function(lambda x: x ** 2, lambda x: x + x, [(2,), (3,)], name="double")
    ❌ double(3) returned 9, expected 6.
       1 of 2 test cases failed.
    False
    """
    if name is None:
        name = getattr(fn, "__name__", "your function")
        name = "your function" if name == "<lambda>" else name
    if _not_callable(fn, name):
        return False
    try:
        cases = list(cases)
        failures = 0
        first_message = None
        for case in cases:
            try:
                expected = _call(reference, case)
            except Exception as exc:  # noqa: BLE001 - a broken case is the checker's fault, say so
                print(f"{BAD} the reference itself failed on {_fmt_case(case)}: {type(exc).__name__}: {exc}")
                return False
            try:
                got = _call(fn, case)
            except Exception as exc:  # noqa: BLE001 - report the student's error, never propagate it
                failures += 1
                if first_message is None:
                    first_message = f"{name}{_fmt_case(case)} raised {type(exc).__name__}: {exc}"
                continue
            ok, why = _compare(got, expected, rtol=1e-6, atol=atol)
            if not ok:
                failures += 1
                if first_message is None:
                    if _is_number(expected) and (got is None or _is_number(got)):
                        first_message = f"{name}{_fmt_case(case)} returned {_fmt(got)}, expected {_fmt(expected)}."
                    else:
                        first_message = f"{name}{_fmt_case(case)}: {why}."
        if failures == 0:
            print(f"{OK} {name} matches the reference on all {len(cases)} test cases.")
            return True
        print(f"{BAD} {first_message}")
        print(f"   {failures} of {len(cases)} test cases failed.")
        _hint(hint)
        return False
    except Exception as exc:  # noqa: BLE001
        print(f"{BAD} could not check {name}: {type(exc).__name__}: {exc}")
        return False


def check_threshold(value, threshold, name="value", higher_is_better=True) -> bool:
    """Check that a result (an accuracy, a speed-up...) reaches a threshold.

    Parameters
    ----------
    value : float
        The measured value.
    threshold : float
        The value to reach (``>=`` when ``higher_is_better``, else ``<=``).
    name : str, optional
        What the value is.
    higher_is_better : bool, optional
        False for losses and errors.

    Returns
    -------
    bool

    Examples
    --------
    >>> check_threshold(0.93, 0.9, name="validation accuracy")
    ✅ validation accuracy = 0.93 reaches the target (>= 0.9).
    True
    >>> check_threshold(0.5, 0.3, name="loss", higher_is_better=False)
    ❌ loss = 0.5 does not reach the target (<= 0.3) yet.
    False
    """
    try:
        if value is None:
            print(f"{TODO} {name} is None: compute it first.")
            return False
        if not _is_number(value) and _as_array(value) is not None and _as_array(value).size == 1:
            value = float(_as_array(value).reshape(()))
        if not _is_number(value):
            print(f"{BAD} {name} should be a number, got {_fmt(value)} ({type(value).__name__})")
            return False
        v = float(np.asarray(value))
        ok = v >= threshold if higher_is_better else v <= threshold
        sign = ">=" if higher_is_better else "<="
        if ok:
            print(f"{OK} {name} = {v:.4g} reaches the target ({sign} {threshold:.4g}).")
        else:
            print(f"{BAD} {name} = {v:.4g} does not reach the target ({sign} {threshold:.4g}) yet.")
        return bool(ok)
    except Exception as exc:  # noqa: BLE001
        print(f"{BAD} could not check {name}: {type(exc).__name__}: {exc}")
        return False


# ---------------------------------------------------------------------------------------------------------
# course exercises (references from helpers.shapes and helpers.conv, imported lazily)
# ---------------------------------------------------------------------------------------------------------


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
    ok = check_function(fn, reference, cases, name=getattr(fn, "__name__", "output_size"),
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
                          hint="each filter has kernel_size x kernel_size x in_channels weights plus one bias; "
                               "LeNet-5's first layer: (5*5*3 + 1) * 6 = 456.")


def check_model(model, expected_params=None, expected_output_shape=None, name="model") -> bool:
    """Check a Keras model's parameter count and output shape (Keras 3 safe, no TensorFlow import).

    Parameters
    ----------
    model : keras.Model
        A built model (give it an ``Input`` or call ``model.build``).
    expected_params : int, optional
        Total number of parameters (``model.count_params()``).
    expected_output_shape : tuple, optional
        With or without the batch dimension, e.g. ``(None, 10)`` or ``(10,)``.
    name : str, optional
        Used in messages.

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
    """
    if model is None:
        print(f"{TODO} {name} is None: build the model first, then run this check again.")
        return False
    ok = True
    try:
        if expected_params is not None:
            try:
                got = int(model.count_params())
            except Exception as exc:  # noqa: BLE001 - unbuilt models raise ValueError
                print(f"{BAD} could not count the parameters of {name}: {type(exc).__name__}: {exc}")
                _hint("build the model first: start it with keras.Input(shape=...) or call model.build(...).")
                got = None
                ok = False
            if got is not None:
                if got == int(expected_params):
                    print(f"{OK} {name} has {_fmt_number(got)} parameters. Correct!")
                else:
                    ok = False
                    print(f"{BAD} {name} has {_fmt_number(got)} parameters, expected {_fmt_number(int(expected_params))} "
                          f"(difference {got - int(expected_params):+,}).")
                    _hint("compare layer by layer with model.summary(): kernel sizes, filters, units, use_bias.")
        if expected_output_shape is not None:
            want = tuple(expected_output_shape)
            try:
                got_shape = tuple(None if s is None else int(s) for s in model.outputs[0].shape)
            except Exception as exc:  # noqa: BLE001 - Keras 3 raises AttributeError for unbuilt models
                print(f"{BAD} {name} has no output shape yet ({type(exc).__name__}: {exc}).")
                _hint("build the model first: start it with keras.Input(shape=...) or call model.build(...).")
                return False
            if len(want) == len(got_shape) - 1:
                got_shape = (None,) + got_shape[1:]
                want = (None,) + want
            if len(got_shape) == len(want) and all(w is None or g == w for g, w in zip(got_shape, want, strict=True)):
                print(f"{OK} {name}'s output shape is {_fmt(got_shape)}. Correct!")
            else:
                ok = False
                print(f"{BAD} {name}'s output shape is {_fmt(got_shape)}, expected {_fmt(want)}.")
                _hint("print model.summary() to see where the shapes stop matching.")
        if expected_params is None and expected_output_shape is None:
            print(f"{TODO} nothing to check: pass expected_params and/or expected_output_shape.")
            return False
        return ok
    except Exception as exc:  # noqa: BLE001
        print(f"{BAD} could not check {name}: {type(exc).__name__}: {exc}")
        return False
