"""The student edition: generated from solutions/, no answer visible, Run All reaches the last cell.

The execution tests run each student notebook headless, as a student who answered nothing would with
*Run All*: no cell may fail, every graded self-check must say "not attempted yet" and every prediction check
must ask for a guess. One class per notebook, so pytest-xdist's ``--dist loadscope`` spreads them.
"""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbtools  # noqa: E402

STEMS = [name for name, _, _ in nbtools.COURSE]


def _load(folder, stem):
    path = ROOT / folder / f"{stem}.ipynb"
    if not path.exists():
        pytest.fail(f"{folder}/{path.name} is missing: run `make notebooks-normalize`")
    return json.loads(path.read_text(encoding="utf-8"))


def _text(cell):
    return "".join(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"])
                   for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _regions(source):
    return re.findall(r"### BEGIN SOLUTION\n(.*?)\n\s*### END SOLUTION", source, re.S)


@pytest.mark.parametrize("stem", STEMS)
def test_student_edition_is_what_generation_gives(stem):
    solution, student = _load("solutions", stem), _load("notebooks", stem)
    assert json.dumps(student, sort_keys=True) == json.dumps(nbtools.build_student(solution, stem), sort_keys=True), (
        "notebooks/ is generated: run `make notebooks-normalize`")


@pytest.mark.parametrize("stem", STEMS)
def test_no_solution_or_answer_is_visible(stem):
    solution, student = _load("solutions", stem), _load("notebooks", stem)
    code = [nbtools._src(c) for c in student["cells"] if c["cell_type"] == "code"]
    joined = "\n".join(code)
    assert nbtools.BEGIN not in joined and nbtools.END not in joined
    for cell in solution["cells"]:
        for region in _regions(nbtools._src(cell)):
            lines = [ln.strip() for ln in region.splitlines() if ln.strip() and not ln.strip().startswith("#")]
            if sum(len(ln) for ln in lines) >= 12:
                assert region.strip() not in joined, f"a solution is visible: {region[:80]!r}"
    student_sources = {nbtools._src(c) for c in student["cells"]}
    for cell in solution["cells"]:
        if "solutions-only" in cell["metadata"].get("tags", []):
            assert nbtools._src(cell) not in student_sources, "a solutions-only cell is in the student edition"
    for cell in student["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = nbtools._src(cell)
        if nbtools.CHECK_CALL.search(src) or "YOUR" in src or "reveal" in cell["metadata"].get("tags", []):
            assert not cell.get("outputs"), f"a check, answer or reveal cell shows its output: {src[:80]!r}"
        if "YOUR PREDICTION HERE" in src:
            assert re.search(r"^\w+ = None  # YOUR PREDICTION HERE$", src, re.M), "predictions start as None"


@pytest.mark.parametrize("stem", STEMS)
def test_every_exercise_links_to_its_worked_solution(stem):
    student = _load("notebooks", stem)
    exercises = [c for c in student["cells"] if c["cell_type"] == "markdown"
                 and re.search(r"^### Exercise \d+", nbtools._src(c), re.M)]
    links = [nbtools._src(c) for c in student["cells"] if c["metadata"].get("course") == "solution-link"]
    assert len(links) == len(exercises) >= 3
    for link in links:
        assert f"(../solutions/{stem}.ipynb#Exercise-" in link


def _run(stem):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.reads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"), as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    return nb


def _check_run_all(stem):
    nb = _run(stem)
    source = _load("solutions", stem)
    graded = {nbtools._src(c) for c in source["cells"] if c["metadata"].get("nbgrader", {}).get("grade")}
    errors, checks, predictions = [], 0, 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type == "error":
                errors.append(f"{out.ename}: {out.evalue} in {cell.source[:100]!r}")
        src = cell.source
        text = _text(cell)
        if "check_prediction(" in src:
            predictions += 1
            assert "No prediction yet" in text and "✅" not in text, f"a prediction check answered itself: {text}"
        elif src in graded:
            assert "not attempted yet" in text and "✅" not in text and "❌" not in text, (
                f"an unanswered exercise's check must say 'not attempted yet': {src[:80]!r} -> {text[:300]}")
            checks += 1
    assert not errors, "Run All on the student edition must reach the end:\n" + "\n".join(errors)
    assert checks == len(graded) >= 3, f"{checks} of {len(graded)} graded checks ran"


def _make_class(stem):
    @pytest.mark.timeout(900)  # a whole lesson, executed (budget: 90 s on an idle 2-core machine)
    def test_run_all_reaches_the_end_and_every_check_is_not_attempted(self):
        _check_run_all(stem)

    name = "TestRunAll_" + stem[:2]
    return name, type(name, (), {"test_run_all_reaches_the_end_and_every_check_is_not_attempted":
                                 test_run_all_reaches_the_end_and_every_check_is_not_attempted})


for _stem in STEMS:
    _name, _cls = _make_class(_stem)
    globals()[_name] = _cls
