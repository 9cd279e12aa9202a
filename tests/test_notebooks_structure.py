"""Every lesson follows the course's rhythm and is committed executed, normalised and safe for nbval."""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbtools  # noqa: E402

STEMS = [name for name, _, _ in nbtools.COURSE]
WIDGET_CODE = re.compile(r"interact|Explorer\(|Calculator\(|Viewer\(|\.widget\b")
HOTLINK = re.compile(r"!\[[^\]]*\]\(https?://|<img[^>]+src=[\"']https?://")


def _load(stem):
    path = ROOT / "solutions" / f"{stem}.ipynb"
    if not path.exists():
        pytest.fail(f"{path.name} is missing: every notebook in COURSE must exist")
    return json.loads(path.read_text(encoding="utf-8"))


def _src(cell):
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _markdown(nb):
    return [_src(c) for c in nb["cells"] if c["cell_type"] == "markdown"]


def _code(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("stem", STEMS)
def test_opening_title_goal_and_learning_bullets(stem):
    nb = _load(stem)
    first = _src(nb["cells"][0])
    assert nb["cells"][0]["cell_type"] == "markdown"
    assert first.startswith(f"# {nbtools.title_of(stem)}\n"), f"title must be '# {nbtools.title_of(stem)}'"
    assert re.search(r"^\*[^*].+\*$", first, re.M), "an italic one-line goal must follow the title"
    assert "**You will learn**" in first
    assert len(re.findall(r"^- ", first, re.M)) >= 3, "at least three 'You will learn' bullets"


@pytest.mark.parametrize("stem", STEMS)
def test_setup_cell_follows_setup_heading(stem):
    cells = _load(stem)["cells"]
    idx = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and _src(c).startswith("## Setup")]
    assert idx, "a '## Setup' markdown cell is required"
    assert cells[idx[0] + 1]["cell_type"] == "code", "the Setup heading is followed by the setup code cell"
    setup = _src(cells[idx[0] + 1])
    # projector-sized text and sharp figures in every lesson (issue #11): the style is set before any figure
    assert re.search(r"^use_course_style\(\)", setup, re.M), "the setup cell calls use_course_style()"
    drawn_before = [c for c in cells[:idx[0] + 1] if c["cell_type"] == "code"]
    assert not drawn_before, "no code (and no figure) before the setup cell"


@pytest.mark.parametrize("stem", STEMS)
def test_closing_summary_exercises_with_solutions_and_navigation(stem):
    nb = _load(stem)
    md = _markdown(nb)
    headings = [line for text in md for line in text.splitlines() if line.startswith("## ")]
    for wanted in ("## Summary", "## Exercises", "## Going further"):
        assert any(h.startswith(wanted) for h in headings), f"missing section {wanted!r}"
    exercises = [line for text in md for line in text.splitlines() if line.startswith("### Exercise")]
    assert len(exercises) >= 3, "at least three exercises"
    solutions = [_src(c) for c in _code(nb) if "### BEGIN SOLUTION" in _src(c)]
    assert len(solutions) >= 3, "every exercise has a solution between nbgrader markers"
    for s in solutions:
        assert s.count("### BEGIN SOLUTION") == s.count("### END SOLUTION"), "unbalanced solution markers"
    checks = [c for c in _code(nb) if re.search(r"\bcheck_\w+\(", _src(c))]
    assert len(checks) >= 3, "exercises come with self-checks from helpers.checks"
    last = nb["cells"][-1]
    assert last.get("metadata", {}).get("course") == "navigation"
    assert _src(last) == nbtools.navigation_markdown(stem)


@pytest.mark.parametrize("stem", STEMS)
def test_committed_executed_without_errors(stem):
    nb = _load(stem)
    code = [c for c in _code(nb) if "NBVAL_SKIP" not in _src(c)]
    with_output = [c for c in code if c.get("outputs")]
    assert len(with_output) >= max(3, len(code) // 3), "commit notebooks executed (make notebooks)"
    for c in code:
        for out in c.get("outputs", []):
            assert out["output_type"] != "error", f"a committed cell failed: {_src(c)[:80]!r}"
    skipped = [c for c in _code(nb) if "NBVAL_SKIP" in _src(c)]
    for c in skipped:
        assert not c.get("outputs"), "NBVAL_SKIP cells are shown as code and stay unexecuted"


@pytest.mark.parametrize("stem", STEMS)
def test_widget_cells_tagged_and_no_hotlinks(stem):
    nb = _load(stem)
    for c in _code(nb):
        src = _src(c)
        tags = c.get("metadata", {}).get("tags", [])
        shows_widget = any(
            nbtools.WIDGET_PLACEHOLDER in str(o.get("data", {}).get("text/plain", "")) for o in c.get("outputs", [])
        )
        if shows_widget or WIDGET_CODE.search(src):
            assert "nbval-ignore-output" in tags or "NBVAL_SKIP" in src, (
                f"widget cell without the nbval-ignore-output tag: {src[:80]!r}"
            )
    for text in _markdown(nb):
        assert not HOTLINK.search(text), "hotlinked image: draw it with code"


@pytest.mark.parametrize("stem", [s for s in STEMS if s != "00_start_here"])
def test_lessons_guard_their_numbers_and_ask_for_predictions(stem):
    nb = _load(stem)
    guarded = [c for c in _code(nb) if _src(c).startswith("# NBVAL_CHECK_OUTPUT")]
    assert len(guarded) >= 2, "key numbers belong in '# NBVAL_CHECK_OUTPUT' cells"
    for c in guarded:
        assert c.get("outputs"), "a guarded cell must have a committed output to compare"
    if stem < "07":
        predictions = [c for c in _code(nb) if "check_prediction(" in _src(c)]
        assert len(predictions) >= 2, "most sections have a 'predict, then check' cell"


@pytest.mark.parametrize("stem", STEMS)
def test_normalised_and_navigation_current(stem):
    path = ROOT / "solutions" / f"{stem}.ipynb"
    nb = _load(stem)
    expected = nbtools._dump(nbtools._add_ids(nbtools.normalize(nbtools.generate(nb, stem))))
    assert path.read_text(encoding="utf-8") == expected, "run `make notebooks-normalize` (or make notebooks)"
    assert "widgets" not in nb["metadata"], "widget state must be stripped"


def _is_check_statement(node):
    import ast

    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef)):  # a reference written in the check
        return True
    if isinstance(node, ast.If):  # "if check_a(...): check_b(...)": the second check needs the first
        return _is_check_statement(ast.Expr(node.test)) and all(_is_check_statement(n) for n in node.body + node.orelse)
    value = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
    if isinstance(node, ast.Assign):  # constants and reference objects (the Run All test catches misuse)
        return True
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id.startswith("check_")


@pytest.mark.parametrize("stem", STEMS)
def test_each_exercise_has_a_solution_cell_then_a_check_cell_that_only_checks(stem):
    import ast

    nb = _load(stem)
    found = [ex for ex in nbtools.exercises(nb) if ex["kind"] == "exercise"]
    assert len(found) >= 3, "at least three exercises with a solution cell"
    for ex in found:
        solution = _src(nb["cells"][ex["index"]])
        assert ex["check"] is not None, f"exercise {ex['grade_id']}: the next code cell must be its self-check"
        assert not nbtools.CHECK_CALL.search(solution), f"{ex['grade_id']}: the check goes in its own cell"
        check = _src(nb["cells"][ex["check"]])
        for node in ast.parse(check).body:
            assert _is_check_statement(node), (
                f"{ex['grade_id']}: a check cell only imports, defines references and calls check_* "
                f"(student code runs inside the check): {ast.unparse(node)[:80]!r}")
        meta = nb["cells"][ex["check"]]["metadata"].get("nbgrader", {})
        assert meta.get("grade") and meta.get("points", 0) >= 1, "the check is an nbgrader test cell"


@pytest.mark.parametrize("edition", ["solutions", "notebooks"])
def test_notebooks_stay_light(edition):
    # sharp figures, but a light repository: no notebook over 2 MB (issue #11)
    sizes = {p.name: p.stat().st_size for p in (ROOT / edition).glob("*.ipynb")}
    assert sizes, f"no notebooks in {edition}/"
    heavy = {name: f"{size / 1e6:.2f} MB" for name, size in sizes.items() if size > 2_000_000}
    assert not heavy, f"notebooks over 2 MB: {heavy}"
