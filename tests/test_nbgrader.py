"""Instructors grade with the real nbgrader: release the lessons, autograde three kinds of submission.

For one numpy lesson (03) and one Keras lesson (05), in a temporary nbgrader course with its SQLite
gradebook: ``make release``'s code builds ``source/`` and ``release/``; then ``nbgrader autograde`` scores
(a) the complete solutions: full points, (b) the untouched released notebook: 0 points and no crash,
(c) a copy with exactly one exercise solved: exactly that exercise's points. A tiny course of its own shows
that hidden tests decide the score but stay out of ``generate_feedback``'s HTML.

nbgrader is an instructor tool (``requirements-instructor.txt``); without it these tests are skipped.
"""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -r requirements-instructor.txt)")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbtools  # noqa: E402

STEMS = ["03_stride_and_padding", "05_parameter_counts"]
ENV = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    directory = tmp_path_factory.mktemp("nbgrader-course")
    assert nbtools.release(directory, STEMS) == 0, "releasing the assignments failed"
    return directory


def _grade_ids(nb, **flags):
    return [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"]
            if all(c.get("metadata", {}).get("nbgrader", {}).get(k) == v for k, v in flags.items())
            and "nbgrader" in c.get("metadata", {})]


def _submit_and_grade(course, stem, student, nb):
    folder = course / "submitted" / student / stem
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", stem, "--student", student, "--force"],
                          cwd=course, capture_output=True, text=True, env=ENV, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(stem, student)
        per_cell = {g.cell.name: g.score for nb_ in sub.notebooks for g in nb_.grades}
        return sub.score, sub.max_score, per_cell


def _solved(released, source, grade_ids):
    """The released notebook with the given solution cells filled in from the source."""
    nb = copy.deepcopy(released)
    by_id = {c["metadata"]["nbgrader"]["grade_id"]: c for c in source["cells"] if "nbgrader" in c["metadata"]}
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in grade_ids:
            cell["source"] = by_id[gid]["source"]
    return nb


@pytest.mark.timeout(900)  # the first test also builds the course (generate_assignment for two lessons)
@pytest.mark.parametrize("stem", STEMS)
def test_release_hides_solutions_and_keeps_the_course_stubs(course, stem):
    released = json.loads((course / "release" / stem / f"{stem}.ipynb").read_text(encoding="utf-8"))
    text = "\n".join(nbtools._src(c) for c in released["cells"])
    assert nbtools.BEGIN not in text and nbtools.END not in text
    assert "# YOUR CODE HERE" in text or "# YOUR ANSWER HERE" in text
    tests = _grade_ids(released, grade=True)
    assert len(tests) >= 3, "every exercise's check is an autograded test cell"
    for cell in released["cells"]:
        src = nbtools._src(cell)
        if cell["cell_type"] == "code" and src.lstrip().startswith("raise NotImplementedError"):
            pytest.fail("a top-level raise in a released notebook stops Run All")


@pytest.mark.timeout(1200)  # three autograding runs, each executing the whole lesson
@pytest.mark.parametrize("stem", STEMS)
def test_autograde_full_zero_and_exactly_one_exercise(course, stem):
    released = json.loads((course / "release" / stem / f"{stem}.ipynb").read_text(encoding="utf-8"))
    source = json.loads((course / "source" / stem / f"{stem}.ipynb").read_text(encoding="utf-8"))
    solutions = _grade_ids(source, solution=True)
    exercises = [gid for gid in solutions if gid.startswith("ex")]
    assert exercises, "the lesson has graded exercises"

    score, max_score, _ = _submit_and_grade(course, stem, "complete", _solved(released, source, solutions))
    assert max_score >= 3 and score == max_score, f"the solutions score {score} of {max_score}"

    score, _, per_cell = _submit_and_grade(course, stem, "untouched", released)
    assert score == 0, f"an untouched notebook scored {score}: {per_cell}"

    one = exercises[0]  # later exercises may build on earlier ones (03 Ex4 uses Ex1's function)
    score, _, per_cell = _submit_and_grade(course, stem, "one", _solved(released, source, [one]))
    expected = next(c["metadata"]["nbgrader"]["points"] for c in source["cells"]
                    if c["metadata"].get("nbgrader", {}).get("grade_id") == f"{one}-check")
    assert score == expected, f"solving only {one} scored {score} (expected {expected}): {per_cell}"
    assert per_cell[f"{one}-check"] == expected


# ----------------------------------------------------------------------------------------------------------
# hidden tests stay out of the feedback
# ----------------------------------------------------------------------------------------------------------

HIDDEN_LINE = 'check("00.demo", answer)  # the hidden test'


def _demo_assignment():
    """One exercise whose test cell has a visible test and a hidden one (a registry check)."""
    def cell(kind, source):
        return {"cell_type": kind, "metadata": {}, "source": source,
                **({"outputs": [], "execution_count": None} if kind == "code" else {})}

    return {"cells": [
        cell("markdown", "# Demo\n\n### Exercise 1 — Parameters\n\nHow many parameters has Conv2D(6, 5) on 3 channels?"),
        cell("code", "### BEGIN SOLUTION\nanswer = 6 * 76\n### END SOLUTION"),
        cell("code", "from helpers.checks import check\n\nassert isinstance(answer, int), 'a whole number'\n"
                     f"### BEGIN HIDDEN TESTS\n{HIDDEN_LINE}\n### END HIDDEN TESTS"),
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _nbgrader(course, *args):
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True,
                          env=ENV, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]


@pytest.mark.timeout(600)
def test_feedback_leaves_hidden_tests_out(tmp_path):
    """nbgrader 0.9.6's feedback shows hidden tests (issue #917); the course's config clears them."""
    course = tmp_path / "course"
    (course / "source" / "demo").mkdir(parents=True)
    config = nbtools.nbgrader_config(course)
    (course / "nbgrader_config.py").write_text(config, encoding="utf-8")
    source = nbtools.add_grading_metadata(nbtools.normalize(_demo_assignment()))
    assert source["cells"][2]["metadata"]["nbgrader"]["grade"], "the check cell is an autograded test cell"
    (course / "source" / "demo" / "demo.ipynb").write_text(nbtools._dump(nbtools._add_ids(source)), encoding="utf-8")
    _nbgrader(course, "generate_assignment", "demo", "--force")
    released = json.loads((course / "release" / "demo" / "demo.ipynb").read_text(encoding="utf-8"))
    assert "00.demo" not in json.dumps(released), "the released notebook hides the hidden test"
    assert "00.demo" not in json.dumps(nbtools.student_edition(source, "demo", release=True)), \
        "so does the course's own student edition, which release() writes over nbgrader's"

    # two students: one right (the hidden test passes), one wrong (it fails with a traceback)
    for student, value in (("right", "6 * 76"), ("wrong", "6 * 75")):
        nb = copy.deepcopy(released)
        nb["cells"][1]["source"] = f"answer = {value}"
        folder = course / "submitted" / student / "demo"
        folder.mkdir(parents=True)
        (folder / "demo.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    _nbgrader(course, "autograde", "demo", "--force")  # every submission, in one run
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission("demo", s).score for s in ("right", "wrong")}
    assert scores == {"right": 1, "wrong": 0}, f"the hidden test decides the score: {scores}"

    def feedback():
        _nbgrader(course, "generate_feedback", "demo", "--force")
        return {s: (course / "feedback" / s / "demo" / "demo.html").read_text(encoding="utf-8")
                for s in ("right", "wrong")}

    for student, html in feedback().items():
        for hidden in ("00.demo", "the hidden test", "HIDDEN TESTS"):
            assert hidden not in html, f"{student}'s feedback shows {hidden!r}"
        assert "a whole number" in html, "the visible test is still shown"
    assert "too low" in html and "AssertionError: this self-check did not pass" in html, \
        "the wrong answer's feedback keeps the check's verdict and the error's last line"

    # the same course without the fix: nbgrader's default feedback shows the hidden test (the test can fail)
    (course / "nbgrader_config.py").write_text(config.split("\n# nbgrader 0.9.6 shows")[0] + "\n", encoding="utf-8")
    assert all("the hidden test" in html for html in feedback().values())
