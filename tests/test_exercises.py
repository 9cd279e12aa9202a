"""The exercise registry (helpers.exercises) and helpers.checks.check / reveal / progress.

The contract holds for every registered entry: its reference answer passes, a placeholder is "not attempted",
a wrong answer and code that raises are rejected with a message (no traceback escapes) that never contains the
expected value, and under nbgrader a wrong graded answer raises AssertionError while reveal stays off.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from helpers import _progress, checks, exercises
from helpers.exercises import Custom, Function, Model, Prediction, Threshold, Value

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = exercises.registry()


@pytest.fixture
def grading(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")


@pytest.fixture
def not_grading(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


# ----------------------------------------------------------------------------------------------------------
# the reference answer and wrong answers of an entry, derived independently of the check under test
# ----------------------------------------------------------------------------------------------------------


def _context(entry):
    return dict(entry.example)


def _expected(entry):
    value = entry.expected if isinstance(entry, Value) else entry.actual
    return exercises._lazy(value, _context(entry)) if value is not None else _context(entry)["actual"]


def _perturbed(value):
    """A clearly different value of the same kind."""
    if isinstance(value, (bool, np.bool_)):
        return not value
    if isinstance(value, str):
        return value + " (not it)"
    if isinstance(value, (tuple, list)):
        return type(value)([_perturbed(value[0]), *value[1:]])
    if isinstance(value, np.ndarray):
        return value + 1
    return value * 1.5 + 7


def _right(entry):
    if isinstance(entry, Function):
        return entry._bound(_context(entry))
    if isinstance(entry, Threshold):
        return exercises._lazy(entry.threshold, _context(entry))
    if isinstance(entry, (Value, Prediction)):
        return _expected(entry)
    pytest.skip(f"no generic right answer for a {type(entry).__name__} entry")


def _wrong(entry):
    if isinstance(entry, Function):
        reference = entry._bound(_context(entry))
        return lambda *a, **k: _perturbed(reference(*a, **k))
    if isinstance(entry, Threshold):
        target = exercises._lazy(entry.threshold, _context(entry))
        low, high = entry.valid_range or (-math.inf, math.inf)
        worse = target - 0.1 * abs(target) - 1e-3 if entry.higher_is_better else target + 0.1 * abs(target) + 1e-3
        return min(max(worse, low), high)
    return _perturbed(_right(entry))


def _raises(entry):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug in the student's code")

    return broken


def _run(entry_id, answer, capsys):
    entry = REGISTRY[entry_id]
    ok = checks.check(entry_id, answer, **_context(entry))
    return ok, capsys.readouterr().out


IDS = sorted(REGISTRY)


def test_the_registry_has_the_template_entries_and_each_kind():
    kinds = {type(REGISTRY[k]).__name__ for k in IDS}
    assert {"Value", "Function", "Threshold", "Prediction"} <= kinds
    assert all(exercises.ID_PATTERN.match(k) for k in IDS)


@pytest.mark.parametrize("entry_id", IDS)
def test_the_reference_answer_passes(entry_id, capsys, not_grading):
    ok, out = _run(entry_id, _right(REGISTRY[entry_id]), capsys)
    assert ok is True and out.startswith(checks.OK), out


@pytest.mark.parametrize("entry_id", IDS)
@pytest.mark.parametrize("placeholder", [..., None])
def test_a_placeholder_is_not_attempted(entry_id, placeholder, capsys, not_grading):
    ok, out = _run(entry_id, placeholder, capsys)
    assert ok is False and checks.TODO in out and checks.BAD not in out, out


@pytest.mark.parametrize("entry_id", IDS)
def test_a_wrong_answer_fails_without_giving_the_answer(entry_id, capsys, not_grading):
    entry = REGISTRY[entry_id]
    ok, out = _run(entry_id, _wrong(entry), capsys)
    assert ok is False and checks.BAD in out, out
    if isinstance(entry, Value):
        shown = checks._fmt(_expected(entry))
        assert shown not in out, f"the message gives the expected value {shown}: {out}"
    if isinstance(entry, Threshold):
        assert f"{exercises._lazy(entry.threshold, _context(entry)):.4g}" not in out


@pytest.mark.parametrize("entry_id", [k for k in IDS if not isinstance(REGISTRY[k], Prediction)])
def test_code_that_raises_is_reported_not_raised(entry_id, capsys, not_grading):
    ok, out = _run(entry_id, _raises(REGISTRY[entry_id]), capsys)
    assert ok is False and "ZeroDivisionError" in out and "a bug in the student's code" in out, out
    assert "Traceback" not in out


@pytest.mark.parametrize("entry_id", IDS)
def test_under_nbgrader_a_wrong_graded_answer_raises_and_a_prediction_does_not(entry_id, capsys, grading):
    entry = REGISTRY[entry_id]
    if entry.graded:
        with pytest.raises(AssertionError, match="did not pass") as info:
            checks.check(entry_id, _wrong(entry), **_context(entry))
        assert entry_id not in str(info.value), "the error (shown in nbgrader's feedback) names no hidden test"
    else:
        assert checks.check(entry_id, _wrong(entry), **_context(entry)) is False
    assert checks.check(entry_id, _right(entry), **_context(entry)) is True


@pytest.mark.parametrize("entry_id", IDS)
def test_reveal_prints_the_reference_and_is_off_while_grading(entry_id, capsys, monkeypatch):
    entry = REGISTRY[entry_id]
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert checks.reveal(entry_id, **_context(entry)) is None
    out = capsys.readouterr().out
    assert out.startswith(f"👀 {entry_id}: ")
    if isinstance(entry, (Value, Prediction)):
        assert checks._fmt(_expected(entry)) in out
    if isinstance(entry, Function):
        assert "def " in out or "lambda" in out, "the reference's source"
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    checks.reveal(entry_id, **_context(entry))
    out = capsys.readouterr().out
    assert "unavailable" in out and out.count("\n") == 1


# ----------------------------------------------------------------------------------------------------------
# check(): ids, context, kinds the template does not register
# ----------------------------------------------------------------------------------------------------------


def test_an_unknown_id_is_a_clear_message_and_a_strict_lookup_raises(capsys, not_grading):
    assert checks.check("00.dmeo", 456) is False
    out = capsys.readouterr().out
    assert "unknown exercise id '00.dmeo'" in out and "did you mean '00.demo'" in out
    assert checks.check("42.ex1", 1) is False
    assert "no exercises of lesson 42" in capsys.readouterr().out
    for bad in ("00.dmeo", "ex1", "3.ex1", "42.ex1"):
        with pytest.raises(ValueError, match="unknown exercise id"):
            exercises.lookup(bad)
    with pytest.raises(TypeError, match="exercise_id must be a string"):
        exercises.lookup(3)


def test_an_unknown_id_fails_the_test_cell_while_grading(grading, capsys):
    with pytest.raises(AssertionError):
        checks.check("00.nope", 1)


def test_a_missing_context_keyword_names_what_the_check_call_must_pass(capsys, not_grading):
    assert checks.check("00.demo-context", 4640, kernel_size=3) is False
    out = capsys.readouterr().out
    assert "channels=..." in out and "filters=..." in out and "Traceback" not in out


def test_context_fills_a_function_reference_s_keyword_only_parameters():
    entry = Function(lambda x, *, scale: scale * x, lambda rng: [(float(v),) for v in rng.normal(size=4)])
    assert entry.run(lambda x: 3 * x, {"scale": 3}) is True
    assert entry.run(lambda x: 2 * x, {"scale": 3}) is False


def test_a_case_generator_draws_fresh_cases_on_every_run():
    seen = []
    entry = Function(lambda x: x, lambda rng: seen.append(rng.random()) or [(1,)])
    entry.run(lambda x: x, {})
    entry.run(lambda x: x, {})
    assert len(seen) == 2 and seen[0] != seen[1]


def test_lazy_references_run_only_when_checked():
    calls = []
    entry = Value(lambda: calls.append(1) or 5.5, name="x")
    assert calls == []
    assert entry.run(5.5, {}) is True and calls == [1]


class _FakeModel:
    """Anything with count_params() and outputs behaves like a Keras model for check_model."""

    def __init__(self, params, shape):
        self._params, self.outputs = params, [SimpleNamespace(shape=shape)]

    def count_params(self):
        return self._params


def test_model_and_custom_entries_call_the_existing_checks(capsys):
    entry = Model(expected_params=lambda width: 10 * width + 10, expected_output_shape=(None, 10), name="head")
    assert entry.run(_FakeModel(650, (None, 10)), {"width": 64}) is True
    assert entry.run(lambda: _FakeModel(640, (None, 10)), {"width": 64}) is False
    out = capsys.readouterr().out
    assert "too few" in out and "650" not in out.split("too few")[0].splitlines()[-1]
    pool = Custom("check_pool", kwargs={"mode": "max"})
    from helpers.conv import max_pool2d

    assert pool.run(lambda x, f, s: max_pool2d(x, f, s), {}) is True
    assert "Checked by check_pool" in pool.solution({})


def test_lesson_modules_validate_ids_and_kinds():
    module = SimpleNamespace(__name__="helpers.exercises.lesson03", EXERCISES={"04.ex1": Value(1)})
    with pytest.raises(ValueError, match="belongs to lesson 04, not 03"):
        exercises._validated(module, "03")
    module.EXERCISES = {"03.exercise1": Value(1)}
    with pytest.raises(ValueError, match="not an exercise id"):
        exercises._validated(module, "03")
    module.EXERCISES = {"03.ex1": 1}
    with pytest.raises(ValueError, match="must be a Value"):
        exercises._validated(module, "03")
    module.EXERCISES = {"03.ex1": Prediction("width")}
    with pytest.raises(ValueError, match="predictions"):
        exercises._validated(module, "03")


def test_importing_the_registry_imports_no_tensorflow():
    code = ("import sys, helpers.exercises as e, helpers.checks; e.registry(); "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.stdout.strip() == "False False", out.stderr


def test_answer_leaks_finds_literal_answers_and_reference_code():
    entries = {k: REGISTRY[k] for k in ("00.demo", "00.demo-cases")}
    assert exercises.answer_leaks('check("00.demo", n)', entries) == []
    assert exercises.answer_leaks("check_value(n, 456, name='x')", entries) == ["00.demo: the literal 456 is its answer"]
    assert exercises.answer_leaks("check_value(n, 456.0)", entries) != []
    assert exercises.answer_leaks("x = (n - f) // s + 1", entries) == [
        "00.demo-cases: the code of its reference function is in the cell"]
    assert exercises.answer_leaks("check(n, stride=2)", entries) == [], "single digits are too common to search"
    assert exercises.answer_leaks("this is not python(", entries) == []


# ----------------------------------------------------------------------------------------------------------
# progress
# ----------------------------------------------------------------------------------------------------------


def _records(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))["exercises"]


def test_progress_records_each_check_in_the_student_s_folder(tmp_path, monkeypatch, capsys, not_grading):
    monkeypatch.delenv("CNN_COURSE_PROGRESS")
    monkeypatch.chdir(tmp_path)
    checks.check("00.demo", ...)
    checks.check("00.demo", 450)
    checks.check("00.demo", 456)
    checks.check("00.demo-threshold", 0.5)
    records = _records(tmp_path / ".cnn-course-progress.json")
    assert records["00.demo"]["status"] == "passed" and records["00.demo"]["attempts"] == 2
    assert records["00.demo-threshold"] == {**records["00.demo-threshold"], "status": "failed", "passed_once": False}
    checks.check("00.demo", 450)
    assert _records(tmp_path / ".cnn-course-progress.json")["00.demo"]["passed_once"] is True
    capsys.readouterr()
    checks.progress()
    out = capsys.readouterr().out
    assert "lesson 00: demo ❌  demo-threshold ❌   0 of 2 pass" in out
    assert not list(Path(exercises.__file__).parent.glob("*.json")), "nothing is written into the package"


def test_a_corrupt_progress_file_is_set_aside_not_a_crash(tmp_path, monkeypatch, capsys, not_grading):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("CNN_COURSE_PROGRESS", str(path))
    for damage in ("{not json", json.dumps({"exercises": {"00.demo": {"status": "great"}}}), "[]"):
        path.write_text(damage, encoding="utf-8")
        assert checks.check("00.demo", 456) is True
        assert _records(path)["00.demo"]["status"] == "passed"
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert len(kept) == 4 and kept[0] == "progress.json", kept
    assert all(k.startswith("progress.json.corrupt-") for k in kept[1:]), "each damaged file is kept"
    checks.progress()
    assert "1 of 1 pass" in capsys.readouterr().out


def test_recording_never_raises_and_is_off_while_grading_or_when_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("CNN_COURSE_PROGRESS", str(tmp_path / "missing-folder" / "p.json"))
    assert checks.check("00.demo", 456) is True  # cannot be written: the check still works
    monkeypatch.setenv("CNN_COURSE_PROGRESS", "off")
    assert checks.check("00.demo", 456) is True
    checks.progress()
    assert "not recorded" in capsys.readouterr().out
    monkeypatch.setenv("CNN_COURSE_PROGRESS", str(tmp_path / "p.json"))
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert checks.check("00.demo", 456) is True
    assert not (tmp_path / "p.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_recording_is_fast(tmp_path, monkeypatch):
    import time

    monkeypatch.setenv("CNN_COURSE_PROGRESS", str(tmp_path / "p.json"))
    for i in range(60):  # a file with many exercises
        _progress.record(f"05.ex{i}", "passed")
    start = time.perf_counter()
    for _ in range(20):
        _progress.record("05.ex1", "failed")
    assert (time.perf_counter() - start) / 20 < 0.05, "recording must not slow a check down noticeably"
    assert os.path.getsize(tmp_path / "p.json") < 20_000
