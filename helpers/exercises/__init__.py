"""The exercise registry: reference answers, test cases and hints, keyed by exercise id.

A lesson's check cell holds no answer. It names its exercise and passes the student's work::

    check("09.ex5", good_sizes);

and :func:`helpers.checks.check` looks the id up here and runs the matching ``check_*`` function of
:mod:`helpers.checks` (which prints the verdict, never the expected value). The solutions edition and the
student edition show the same line, so nothing is left to hide in the notebooks.

Where entries live
------------------
One module per lesson, ``helpers/exercises/lessonNN.py``, with a dict ``EXERCISES`` (see ``lesson00.py``, the
template). Importing a lesson module must stay cheap: no TensorFlow, no data, no model at import time; put
anything expensive inside a function (a *lazy* reference, below).

Ids
---
``"NN.exK"`` is exercise K of lesson NN (``"NN.exKb"`` a second check of the same exercise), ``"NN.predK"`` a
prediction (not graded; its check cell is a prediction check for ``tools/notebooks.py``), ``"NN.demo..."`` a
demonstration entry that no lesson has to use. The ``NN`` of an id must be the lesson of its module.

Entries
-------
============================================================  =====================================
``Value(expected, name=, hint=, rtol=, atol=)``                :func:`helpers.checks.check_value`
``Function(reference, cases, name=, hint=, atol=)``            :func:`helpers.checks.check_function`
``Threshold(threshold, name=, higher_is_better=, valid_range=)``  :func:`helpers.checks.check_threshold`
``Model(reference=, expected_params=, expected_output_shape=)``  :func:`helpers.checks.check_model`
``Prediction(what, actual=, explanation=, tolerance=)``        :func:`helpers.checks.check_prediction`
``Custom(check, kwargs=)``                                     any ``check_*`` taking the answer first
============================================================  =====================================

Every entry also takes ``explanation`` (shown by :func:`helpers.checks.reveal`) and ``example`` (context
keywords with example values, so that tests can run an entry that needs context without its lesson).

Context and lazy references
---------------------------
A check call may pass keywords, the *context*: ``check("09.ex2", gap_total, spec=gap_spec)``. A field given as
a function is computed when the check runs, never at import:

- ``Value.expected``, ``Threshold.threshold``, ``Model.expected_params``, ``Model.expected_output_shape``,
  ``Model.reference`` (a model builder) and ``Prediction.actual`` are called with the context items their
  parameters name (``expected=lambda spec: summarize((224, 224, 3), spec).total_params``);
- ``Function.reference`` is called with each test case; its *keyword-only* parameters are filled from the
  context (``def reference(image, k, *, model): ...``);
- ``Function.cases`` is a list, or a function ``cases(rng, ...)`` that draws fresh cases on every run from the
  ``numpy.random.Generator`` it gets (its other parameters come from the context).

A missing context keyword is the lesson author's mistake and is reported as such by the check.

Examples
--------
>>> entry = lookup("00.demo")
>>> type(entry).__name__, entry.name
('Value', 'parameters of Conv2D(6, 5) on 3 channels')
>>> sorted(lesson_entries("00"))[:2]
['00.demo', '00.demo-cases']
"""

from __future__ import annotations

import ast
import difflib
import functools
import importlib
import importlib.util
import inspect
import os
import pkgutil
import re
import textwrap
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Value",
    "Function",
    "Threshold",
    "Model",
    "Prediction",
    "Custom",
    "lookup",
    "lesson_entries",
    "registry",
    "reference_source",
    "answer_leaks",
    "ID_PATTERN",
]

#: A valid exercise id: lesson number, then ``exK``, ``predK`` (optionally a letter) or ``demo...``.
ID_PATTERN = re.compile(r"^(?P<lesson>\d\d)\.(?P<name>(?:ex|pred)\d+[a-z]?|demo[a-z0-9-]*)$")

_MODULE = re.compile(r"^lesson(\d\d)$")


def _checks():
    from helpers import checks

    return checks


# ---------------------------------------------------------------------------------------------------------
# context (private)
# ---------------------------------------------------------------------------------------------------------


def _context_args(fn, context: dict, *, keyword_only: bool = False, skip: tuple = ()) -> dict:
    """The context items ``fn`` asks for by parameter name; a missing required one is a TypeError."""
    try:
        params = [p for p in inspect.signature(fn).parameters.values() if p.name not in skip]
    except (TypeError, ValueError):
        return {}
    if not keyword_only and any(p.kind is p.VAR_KEYWORD for p in params):
        return dict(context)
    kinds = (inspect.Parameter.KEYWORD_ONLY,) if keyword_only else (
        inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    wanted = [p for p in params if p.kind in kinds]
    missing = [p.name for p in wanted if p.name not in context and p.default is p.empty]
    if missing:
        raise TypeError("this exercise's check needs " + ", ".join(f"{m}=..." for m in missing)
                        + " in the check(...) call (the lesson's check cell must pass it)")
    return {p.name: context[p.name] for p in wanted if p.name in context}


def _lazy(value, context: dict):
    """A field's value: a function is called with the context items it names; anything else is itself."""
    if callable(value):
        return value(**_context_args(value, context))
    return value


# ---------------------------------------------------------------------------------------------------------
# entries
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """What every entry has: a description for :func:`reveal`, example context for tests."""

    graded = True

    def run(self, answer, context: dict) -> bool:  # pragma: no cover - every entry overrides it
        raise NotImplementedError

    def solution(self, context: dict) -> str:  # pragma: no cover
        raise NotImplementedError

    def answer_values(self) -> list:
        """Reference answers known without running anything (for :func:`answer_leaks`)."""
        return []

    def references(self) -> list:
        """Reference functions whose code must not appear in a notebook (for :func:`answer_leaks`)."""
        return []

    def _explained(self, text: str) -> str:
        explanation = getattr(self, "explanation", None)
        return text + (f"\n   Why: {explanation}" if explanation else "")


@dataclass(frozen=True)
class Value(_Entry):
    """A value to compute: a number, tuple, list, string, bool or array (:func:`helpers.checks.check_value`).

    Parameters
    ----------
    expected : object or callable
        The right value, or a function of context keywords that computes it when the check runs.
    name, hint, rtol, atol
        As in :func:`helpers.checks.check_value`.
    explanation : str, optional
        How the answer is found; shown by ``reveal``.
    example : dict, optional
        Context keywords with example values, for tests.

    Examples
    --------
    >>> Value(456, name="parameters").run(456, {})
    ✅ parameters = 456. Correct!
    True
    >>> Value(lambda k, c: (k * k * c + 1) * 6, name="parameters").run(450, {"k": 5, "c": 3})
    ❌ parameters: got 450, too low.
    False
    """

    expected: Any
    _: KW_ONLY
    name: str = "answer"
    hint: str | None = None
    rtol: float = 1e-6
    atol: float | None = None
    explanation: str | None = None
    example: dict = field(default_factory=dict)

    def run(self, answer, context):
        return _checks().check_value(answer, _lazy(self.expected, context), name=self.name, hint=self.hint,
                                     rtol=self.rtol, atol=self.atol)

    def solution(self, context):
        return self._explained(f"{self.name} = {_checks()._fmt(_checks()._plain(_lazy(self.expected, context)))}.")

    def answer_values(self):
        return [] if callable(self.expected) else [self.expected]

    def references(self):
        return [self.expected] if callable(self.expected) else []


@dataclass(frozen=True)
class Function(_Entry):
    """A function to write, run against a reference on test cases (:func:`helpers.checks.check_function`).

    Parameters
    ----------
    reference : callable
        The trusted implementation, called like the student's function with each case; its keyword-only
        parameters are filled from the context.
    cases : list or callable
        Tuples of positional arguments, dicts of keyword arguments or single arguments; or ``cases(rng, ...)``
        returning such a list, called on every run with a fresh ``numpy.random.Generator``.
    name, hint, atol
        As in :func:`helpers.checks.check_function`.
    explanation, example
        As in :class:`Value`.

    Examples
    --------
    >>> twice = Function(lambda x: x + x, lambda rng: [(float(v),) for v in rng.normal(size=3)], name="double")
    >>> twice.run(lambda x: 2 * x, {})
    ✅ double matches the reference on all 3 test cases.
    True
    """

    reference: Any
    cases: Any
    _: KW_ONLY
    name: str | None = None
    hint: str | None = None
    atol: float = 1e-6
    explanation: str | None = None
    example: dict = field(default_factory=dict)

    def _bound(self, context):
        extra = _context_args(self.reference, context, keyword_only=True)
        return functools.partial(self.reference, **extra) if extra else self.reference

    def _cases(self, context):
        if not callable(self.cases):
            return list(self.cases)
        return list(self.cases(np.random.default_rng(), **_context_args(self.cases, context, skip=("rng",))))

    def run(self, answer, context):
        return _checks().check_function(answer, self._bound(context), self._cases(context), name=self.name,
                                        hint=self.hint, atol=self.atol)

    def solution(self, context):
        return self._explained(f"A reference solution:\n{textwrap.indent(reference_source(self.reference), '    ')}")

    def references(self):
        return [self.reference]


@dataclass(frozen=True)
class Threshold(_Entry):
    """A measured result that must reach a target (:func:`helpers.checks.check_threshold`).

    Parameters
    ----------
    threshold : float or callable
        The target, or a function of context keywords computing it.
    name, higher_is_better, valid_range
        As in :func:`helpers.checks.check_threshold`.
    explanation, example
        As in :class:`Value`.

    Examples
    --------
    >>> Threshold(0.9, name="accuracy", valid_range=(0, 1)).run(0.95, {})
    ✅ accuracy = 0.95 reaches the target (>= 0.9).
    True
    """

    threshold: Any
    _: KW_ONLY
    name: str = "value"
    higher_is_better: bool = True
    valid_range: tuple | None = None
    explanation: str | None = None
    example: dict = field(default_factory=dict)

    def run(self, answer, context):
        return _checks().check_threshold(answer, _lazy(self.threshold, context), name=self.name,
                                         higher_is_better=self.higher_is_better, valid_range=self.valid_range)

    def solution(self, context):
        sign = ">=" if self.higher_is_better else "<="
        return self._explained(f"{self.name} must be {sign} {_lazy(self.threshold, context):.4g}.")


@dataclass(frozen=True)
class Model(_Entry):
    """A Keras model to build (:func:`helpers.checks.check_model`).

    Parameters
    ----------
    reference : callable, optional
        A builder of the reference model (called when the check runs, with the context items it names).
    expected_params, expected_output_shape : int, tuple or callable, optional
        As in :func:`helpers.checks.check_model`; a function of context keywords is called when the check runs.
    name : str, optional
        Used in messages.
    explanation, example
        As in :class:`Value`.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> class Tiny:
    ...     outputs = [SimpleNamespace(shape=(None, 10))]
    ...     def count_params(self):
    ...         return 61706
    >>> Model(expected_params=61706, name="LeNet-5").run(Tiny(), {})
    ✅ LeNet-5 has 61,706 parameters. Correct!
    True
    """

    _: KW_ONLY
    reference: Any = None
    expected_params: Any = None
    expected_output_shape: Any = None
    name: str = "model"
    explanation: str | None = None
    example: dict = field(default_factory=dict)

    def _builder(self, context):
        if self.reference is None:
            return None
        extra = _context_args(self.reference, context)
        return functools.partial(self.reference, **extra) if extra else self.reference

    def run(self, answer, context):
        return _checks().check_model(answer, expected_params=_lazy(self.expected_params, context),
                                     expected_output_shape=_lazy(self.expected_output_shape, context),
                                     name=self.name, reference=self._builder(context))

    def solution(self, context):
        parts = []
        if self.reference is not None:
            parts.append(f"A reference builder:\n{textwrap.indent(reference_source(self.reference), '    ')}")
        for label, value in (("parameters", self.expected_params), ("output shape", self.expected_output_shape)):
            if value is not None:
                parts.append(f"Its {label}: {_checks()._fmt(_lazy(value, context))}.")
        return self._explained("\n".join(parts))

    def answer_values(self):
        return [v for v in (self.expected_params,) if v is not None and not callable(v)]

    def references(self):
        return [self.reference] if self.reference is not None else []


@dataclass(frozen=True)
class Prediction(_Entry):
    """A prediction: a guess compared with a computed value, never graded (:func:`helpers.checks.check_prediction`).

    Parameters
    ----------
    what : str
        What is predicted, e.g. ``"output width"``.
    actual : object or callable, optional
        The value, or a function of context keywords computing it; omitted, the check call passes
        ``actual=...`` (the value the lesson's code just computed).
    explanation : str, optional
        The reasoning, printed once there is a guess.
    tolerance : float, optional
        Relative tolerance for estimates.
    example : dict, optional
        As in :class:`Value`.

    Examples
    --------
    >>> Prediction("output width", explanation="32 - 5 + 1").run(28, {"actual": 28})
    ✅ Right: the output width is 28.
       Why: 32 - 5 + 1
    True
    """

    what: str
    _: KW_ONLY
    actual: Any = None
    explanation: str | None = None
    tolerance: float = 0.0
    example: dict = field(default_factory=dict)

    graded = False

    def _actual(self, context):
        if self.actual is None:
            if "actual" not in context:
                raise TypeError("this prediction's check needs actual=... (the computed value) in the check(...) call")
            return context["actual"]
        return _lazy(self.actual, context)

    def run(self, answer, context):
        return _checks().check_prediction(answer, self._actual(context), self.what, explanation=self.explanation,
                                          tolerance=self.tolerance)

    def solution(self, context):
        return self._explained(f"The {self.what} is {_checks()._fmt(_checks()._plain(self._actual(context)))}.")

    def answer_values(self):
        return [] if self.actual is None or callable(self.actual) else [self.actual]


@dataclass(frozen=True)
class Custom(_Entry):
    """Any check of :mod:`helpers.checks` that takes the answer first, e.g. ``check_conv2d`` or ``check_pool``.

    Parameters
    ----------
    check : str or callable
        The check, by name (``"check_pool"``) or itself.
    kwargs : dict, optional
        Further keyword arguments of the check (``{"mode": "avg"}``).
    explanation, example
        As in :class:`Value`.

    Examples
    --------
    >>> Custom("check_param_count").run(lambda k, c, f: (k * k * c + 1) * f, {})
    ✅ conv_params matches the reference on all 6 test cases.
    True
    """

    check: Any
    _: KW_ONLY
    kwargs: dict = field(default_factory=dict)
    explanation: str | None = None
    example: dict = field(default_factory=dict)

    def _function(self):
        return getattr(_checks(), self.check) if isinstance(self.check, str) else self.check

    def run(self, answer, context):
        return self._function()(answer, **self.kwargs)

    def solution(self, context):
        fn = self._function()
        return self._explained(f"Checked by {fn.__name__}: {(inspect.getdoc(fn) or '').splitlines()[0]}")


# ---------------------------------------------------------------------------------------------------------
# the registry
# ---------------------------------------------------------------------------------------------------------


def _validated(module, lesson: str) -> dict:
    """A lesson module's EXERCISES, after checking every id and entry (ValueError names the mistake)."""
    entries = getattr(module, "EXERCISES", None)
    if not isinstance(entries, dict):
        raise ValueError(f"{module.__name__} must define a dict EXERCISES (exercise id -> entry)")
    for key, entry in entries.items():
        m = ID_PATTERN.match(key) if isinstance(key, str) else None
        if m is None:
            raise ValueError(f"{module.__name__}: {key!r} is not an exercise id like '{lesson}.ex1', "
                             f"'{lesson}.pred1' or '{lesson}.demo'")
        if m["lesson"] != lesson:
            raise ValueError(f"{module.__name__}: {key!r} belongs to lesson {m['lesson']}, not {lesson}")
        if not isinstance(entry, _Entry):
            raise ValueError(f"{module.__name__}: {key!r} must be a Value, Function, Threshold, Model, Prediction "
                             f"or Custom, not {type(entry).__name__}")
        if not m["name"].startswith("demo") and isinstance(entry, Prediction) != m["name"].startswith("pred"):
            raise ValueError(f"{module.__name__}: {key!r}: predictions (and only they) have ids 'NN.predK'")
    return entries


def lesson_entries(lesson: str) -> dict:
    """The entries of one lesson (``{}`` when it has no module yet).

    Parameters
    ----------
    lesson : str
        Two digits, e.g. ``"03"``.

    Returns
    -------
    dict
        Exercise id -> entry.

    Raises
    ------
    ValueError
        If ``lesson`` is not two digits or the lesson's module is malformed.

    Examples
    --------
    >>> "00.demo" in lesson_entries("00")
    True
    >>> lesson_entries("42")
    {}
    """
    if not (isinstance(lesson, str) and re.fullmatch(r"\d\d", lesson)):
        raise ValueError(f"lesson must be two digits such as '03', got {lesson!r}")
    name = f"{__name__}.lesson{lesson}"
    if importlib.util.find_spec(name) is None:
        return {}
    return dict(_validated(importlib.import_module(name), lesson))


def registry() -> dict:
    """Every entry of every lesson module, by id (imports the lesson modules, which are cheap by rule).

    Returns
    -------
    dict
        Exercise id -> entry, sorted by id.

    Raises
    ------
    ValueError
        If a lesson module is malformed (an id in the wrong lesson, an entry of an unknown kind...).

    Examples
    --------
    >>> "00.demo" in registry()
    True
    """
    found = {}
    for info in pkgutil.iter_modules(__path__):
        m = _MODULE.match(info.name)
        if m:
            found.update(lesson_entries(m.group(1)))
    return dict(sorted(found.items()))


def lookup(exercise_id: str):
    """The entry of one exercise; a strict lookup for tools and tests.

    Parameters
    ----------
    exercise_id : str
        E.g. ``"03.ex2"``.

    Returns
    -------
    entry
        A :class:`Value`, :class:`Function`, :class:`Threshold`, :class:`Model`, :class:`Prediction` or
        :class:`Custom`.

    Raises
    ------
    TypeError
        If ``exercise_id`` is not a string.
    ValueError
        If the id is malformed or not registered (the message suggests close ids of the same lesson).

    Examples
    --------
    >>> lookup("00.demo").name
    'parameters of Conv2D(6, 5) on 3 channels'
    >>> lookup("00.dmeo")
    Traceback (most recent call last):
    ...
    ValueError: unknown exercise id '00.dmeo' (did you mean '00.demo'?)
    """
    if not isinstance(exercise_id, str):
        raise TypeError(f"exercise_id must be a string such as '03.ex2', got {type(exercise_id).__name__}")
    lesson = exercise_id[:2] if re.match(r"\d\d\.", exercise_id) else None
    entries = lesson_entries(lesson) if lesson else {}
    if exercise_id in entries:
        return entries[exercise_id]
    if not entries:
        why = "not an exercise id like '03.ex2'" if lesson is None else f"no exercises of lesson {lesson} are registered"
        raise ValueError(f"unknown exercise id {exercise_id!r}: {why}")
    close = difflib.get_close_matches(exercise_id, list(entries), n=3, cutoff=0.75)
    suggestion = f" (did you mean {' or '.join(map(repr, close))}?)" if close else \
        f" (lesson {lesson} has {', '.join(sorted(entries))})"
    raise ValueError(f"unknown exercise id {exercise_id!r}{suggestion}")


# ---------------------------------------------------------------------------------------------------------
# reference source and leaks
# ---------------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _module_tree(path: str, mtime: float):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return text, ast.parse(text)


def _source_node(fn):
    """The ``lambda`` or ``def`` node that defined ``fn`` and its file's text (None if unknown)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None, None
    try:
        path = inspect.getsourcefile(fn)
        text, tree = _module_tree(path, os.path.getmtime(path))
    except (OSError, TypeError, SyntaxError):
        return None, None
    params = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Lambda, ast.FunctionDef)):
            continue
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        if first == code.co_firstlineno:
            names = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
            if names == params and (isinstance(node, ast.Lambda) or node.name == code.co_name):
                return node, text
    return None, None


def reference_source(fn) -> str:
    """The source of a reference function: the exact ``lambda ...`` or ``def`` that defined it.

    Parameters
    ----------
    fn : callable

    Returns
    -------
    str
        Its source, or its name when the source is not available.

    Examples
    --------
    >>> print(reference_source(lookup("00.demo-cases").reference))
    def _valid_output_size(n, f, s):
        \"\"\"How many positions a window of size f takes on n inputs with stride s (no padding).\"\"\"
        return (n - f) // s + 1
    """
    node, text = _source_node(fn)
    if node is not None:
        segment = ast.get_source_segment(text, node, padded=True)
        if segment:
            return textwrap.dedent(segment)
    return getattr(fn, "__qualname__", repr(fn))


def _reference_expressions(fn) -> list[str]:
    """``ast.dump`` of what a reference returns (a lambda's body, a def's return values), trivial ones left out."""
    node, _ = _source_node(fn)
    if node is None:
        return []
    if isinstance(node, ast.Lambda):
        exprs = [node.body]
    else:
        exprs = [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
    return [ast.dump(e) for e in exprs if not isinstance(e, (ast.Name, ast.Constant, ast.Attribute))]


def _same(a, b) -> bool:
    try:
        if isinstance(a, str) or isinstance(b, str):
            return isinstance(a, str) and isinstance(b, str) and a.strip().lower() == b.strip().lower()
        x, y = np.asarray(a), np.asarray(b)
        if x.dtype == object or y.dtype == object:
            return bool(a == b)
        return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-9, atol=0))
    except Exception:  # noqa: BLE001 - values that cannot be compared are different
        return False


def _too_common(value) -> bool:
    """Answers too common to search for: booleans, None, single-digit numbers, one-character strings."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return True
    if isinstance(value, str):
        return len(value.strip()) <= 1
    try:
        return np.asarray(value).ndim == 0 and abs(float(value)) < 10
    except (TypeError, ValueError):
        return False


def answer_leaks(source: str, entries: dict) -> list[str]:
    """Where a cell's source gives away a registered answer: a literal equal to a reference value, or the
    code of a reference function.

    Used by ``tools/notebooks.py`` on the check cells of the student edition of migrated lessons. Booleans,
    ``None``, single-digit numbers and one-character strings are too common to search for.

    Parameters
    ----------
    source : str
        The code of a cell.
    entries : dict
        Exercise id -> entry (e.g. :func:`lesson_entries`).

    Returns
    -------
    list of str
        One message per leak (empty: the cell gives nothing away).

    Examples
    --------
    >>> entries = {"00.demo": lookup("00.demo"), "00.demo-cases": lookup("00.demo-cases")}
    >>> answer_leaks('check("00.demo", params)', entries)
    []
    >>> answer_leaks('check_value(params, 456)', entries)
    ['00.demo: the literal 456 is its answer']
    >>> answer_leaks('check_function(f, lambda n, f, s: (n - f) // s + 1, cases)', entries)
    ['00.demo-cases: the code of its reference function is in the cell']
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    literals, dumps = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.expr):
            dumps.add(ast.dump(node))
            if isinstance(node, (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.UnaryOp, ast.BinOp)):
                try:
                    literals.append(ast.literal_eval(node))
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    pass
    found = []
    for key, entry in entries.items():
        for value in entry.answer_values():
            if not _too_common(value) and any(_same(lit, value) for lit in literals):
                found.append(f"{key}: the literal {value!r} is its answer")
                break
        for fn in entry.references():
            if any(d in dumps for d in _reference_expressions(fn)):
                found.append(f"{key}: the code of its reference function is in the cell")
                break
    return found
