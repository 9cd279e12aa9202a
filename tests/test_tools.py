"""The notebook maintenance tool: navigation, course map and normalisation."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbtools  # noqa: E402


def _nb(cells):
    return {"cells": cells, "metadata": {"widgets": {"state": {}}, "language_info": {"version": "3.11.7"}},
            "nbformat": 4, "nbformat_minor": 2}


def test_navigation_links_previous_index_and_next():
    nav = nbtools.navigation_markdown("03_stride_and_padding")
    assert "(02_convolution_operation.ipynb)" in nav
    assert "(04_channels_and_filters.ipynb)" in nav
    assert "00_start_here.ipynb" in nav
    first, last = nbtools.COURSE[0][0], nbtools.COURSE[-1][0]
    assert "←" not in nbtools.navigation_markdown(first)
    assert "→" not in nbtools.navigation_markdown(last)


def test_course_map_lists_every_notebook_once():
    toc = nbtools.toc_markdown()
    for name, title, _ in nbtools.COURSE:
        assert toc.count(f"({name}.ipynb)") == 1
        assert title in toc
    names = [n for n, _, _ in nbtools.COURSE]
    assert len(set(names)) == len(names) >= 12
    assert [n[:2] for n in names] == [f"{i:02d}" for i in range(len(names))], "numbered in course order"
    assert all((ROOT / "solutions" / f"{n}.ipynb").exists() for n in names)


def test_generate_replaces_navigation_instead_of_appending_twice():
    nb = _nb([{"cell_type": "markdown", "metadata": {}, "source": "# x"}])
    once = nbtools.generate(nb, "05_parameter_counts")
    twice = nbtools.generate(once, "05_parameter_counts")
    navs = [c for c in twice["cells"] if c["metadata"].get("course") == "navigation"]
    assert len(navs) == 1 and twice["cells"][-1] is navs[0]


def test_normalize_strips_volatile_parts_and_keeps_outputs():
    noisy = "2026-11-22 00:00:01.000 I tensorflow/core/util/port.cc:153] oneDNN custom operations are on.\n"
    cell = {"cell_type": "code", "execution_count": 7, "metadata": {"execution": {"t": 1}, "tags": ["x"]},
            "source": ["print(1)\n", "1"],
            "outputs": [{"output_type": "stream", "name": "stderr", "text": noisy},
                        {"output_type": "stream", "name": "stderr", "text": noisy + "real warning\n"},
                        {"output_type": "execute_result", "execution_count": 7, "metadata": {},
                         "data": {"text/plain": "1", "application/vnd.jupyter.widget-view+json": {"model_id": "a"}}}]}
    out = nbtools.normalize(_nb([cell]))
    c = out["cells"][0]
    assert c["execution_count"] == 1 and "execution" not in c["metadata"] and c["metadata"]["tags"] == ["x"]
    assert c["source"] == "print(1)\n1"
    assert [o.get("text") for o in c["outputs"][:1]] == ["real warning\n"]
    assert c["outputs"][1]["execution_count"] == 1
    assert c["outputs"][1]["data"] == {"text/plain": nbtools.WIDGET_PLACEHOLDER}
    assert "widgets" not in out["metadata"] and "version" not in out["metadata"]["language_info"]
    assert nbtools.normalize(out) == out, "normalising twice changes nothing"


def test_normalize_numbers_code_cells_by_position_and_leaves_unrun_cells_unnumbered():
    cells = [{"cell_type": "code", "execution_count": n, "metadata": {}, "source": "x", "outputs": outs}
             for n, outs in [(12, [{"output_type": "stream", "name": "stdout", "text": "a"}]), (None, []),
                             (3, [{"output_type": "stream", "name": "stdout", "text": "b"}])]]
    cells.insert(1, {"cell_type": "markdown", "metadata": {}, "source": "text"})
    noise = "I0000 00:00:1 port.cc:153] oneDNN custom operations are on.\n"
    cells.append({"cell_type": "code", "execution_count": 9, "metadata": {}, "source": "import tensorflow",
                  "outputs": [{"output_type": "stream", "name": "stderr", "text": noise}]})
    out = nbtools.normalize(_nb(cells))
    counts = [c.get("execution_count") for c in out["cells"] if c["cell_type"] == "code"]
    assert counts == [1, None, 3, None], "nbval needs a count on every cell with outputs; none on unrun cells"
    assert nbtools.normalize(out) == out


def test_every_figure_of_make_images_is_committed():
    import make_images

    missing = [name for name in make_images.FIGURES if not (ROOT / "images" / name).exists()]
    assert not missing, f"run `make images`: missing {missing}"
    assert make_images.main(["no_such_figure.png"]) == 1


# ----------------------------------------------------------------------------------------------------------
# the student edition and nbgrader metadata
# ----------------------------------------------------------------------------------------------------------


def _code(source, outputs=None, tags=None):
    cell = {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": source,
            "outputs": outputs or [{"output_type": "stream", "name": "stdout", "text": "shown\n"}]}
    if tags:
        cell["metadata"]["tags"] = tags
    return cell


def _md(source):
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def _lesson():
    return _nb([
        _md("# 03 · Stride and padding\n\n*x*"),
        _code("figure = 1"),
        _md("**Predict, then check.** How many?"),
        _code("# your prediction: a number\n### BEGIN SOLUTION\nmy_guess = 16\n### END SOLUTION"),
        _code("check_prediction(my_guess, 16, 'outputs')"),
        _code("print(16)", tags=["reveal"]),
        _md("## Exercises\n\n### Exercise 1 — Output size\n\nWrite it."),
        _code('def output_size(n, f):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return n - f + 1\n'
              '    ### END SOLUTION'),
        _code("check_output_size(output_size)", tags=["points-2"]),
        _md("### Exercise 2 — A value\n\nCompute it."),
        _code("### BEGIN SOLUTION\nn_out, n_in = 4, 6\n### END SOLUTION"),
        _code("check_value(n_out, 4)"),
    ])


def test_stub_source_keeps_signatures_docstrings_and_never_raises_at_top_level():
    fn = 'def f(x):\n    """Twice x."""\n    ### BEGIN SOLUTION\n    y = 2 * x\n    return y\n    ### END SOLUTION\n'
    assert nbtools.stub_source(fn) == ('def f(x):\n    """Twice x."""\n    # YOUR CODE HERE\n'
                                       '    raise NotImplementedError()\n')
    whole = '### BEGIN SOLUTION\ndef g(a, b=1):\n    """Sum."""\n    return a + b\n### END SOLUTION'
    assert nbtools.stub_source(whole) == ('def g(a, b=1):\n    """Sum."""\n    # YOUR CODE HERE\n'
                                          '    raise NotImplementedError()')
    values = "K = 3\n### BEGIN SOLUTION\nk_corr = K[::-1]\nshape, count = (4, 4), 16\n### END SOLUTION\nprint(K)"
    assert nbtools.stub_source(values) == ("K = 3\nk_corr = ...  # YOUR ANSWER HERE\nshape = ...  # YOUR ANSWER HERE\n"
                                           "count = ...  # YOUR ANSWER HERE\nprint(K)")
    assert "raise" not in nbtools.stub_source("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")
    assert nbtools.stub_source("### BEGIN SOLUTION\nmy_guess = 30\n### END SOLUTION", prediction=True) == \
        "my_guess = None  # YOUR PREDICTION HERE"
    with pytest.raises(ValueError, match="unbalanced"):
        nbtools.stub_source("### BEGIN SOLUTION\nx = 1\n")


def test_student_edition_hides_solutions_answers_and_reveals():
    nb = nbtools.student_edition(nbtools.normalize(_lesson()), "03_stride_and_padding")
    src = [nbtools._src(c) for c in nb["cells"]]
    text = "\n".join(src)
    assert "BEGIN SOLUTION" not in text and "n - f + 1" not in text and "my_guess = 16" not in text
    assert "my_guess = None  # YOUR PREDICTION HERE" in text
    assert "n_out = ...  # YOUR ANSWER HERE" in text and "n_in = ...  # YOUR ANSWER HERE" in text
    outputs = {s: c.get("outputs") for s, c in zip(src, nb["cells"], strict=True) if c["cell_type"] == "code"}
    assert outputs["figure = 1"], "ordinary outputs are kept"
    for hidden in ("check_prediction(my_guess, 16, 'outputs')", "print(16)", "check_output_size(output_size)",
                   "check_value(n_out, 4)"):
        assert outputs[hidden] == [], f"{hidden!r} must not show its output"
    links = [s for s, c in zip(src, nb["cells"], strict=True) if c["metadata"].get("course") == "solution-link"]
    assert len(links) == 2 and "../solutions/03_stride_and_padding.ipynb#Exercise-1-—-Output-size" in links[0]
    assert nb["cells"][1]["metadata"]["course"] == "edition-note"
    assert all("nbgrader" not in c["metadata"] for c in nb["cells"])
    hidden = [nbtools._src(c) for c in nb["cells"] if c["metadata"].get("jupyter", {}).get("source_hidden")]
    assert hidden == ["check_prediction(my_guess, 16, 'outputs')", "check_output_size(output_size)",
                      "check_value(n_out, 4)"], "checks that hold answers are collapsed"


def test_solutions_only_cells_are_left_out_of_the_student_edition():
    lesson = _lesson()
    lesson["cells"].append(_code("print('a model answer: 42')", tags=["solutions-only"]))
    lesson["cells"].append(_md("## Going further"))
    source = nbtools.normalize(lesson)
    nb = nbtools.student_edition(source, "03_stride_and_padding")
    text = "\n".join(nbtools._src(c) for c in nb["cells"])
    assert "a model answer" not in text and "## Going further" in text
    plain = nbtools.student_edition(nbtools.normalize(_lesson()), "03_stride_and_padding")
    assert len(nb["cells"]) == len(plain["cells"]) + 1, "only the tagged cell is left out"
    released = nbtools.student_edition(source, "03_stride_and_padding", release=True)
    assert len(released["cells"]) == len(source["cells"]), "release keeps cell for cell (release() drops it first)"


def test_grading_metadata_marks_solutions_tests_and_statements():
    nb = nbtools.add_grading_metadata(nbtools.normalize(_lesson()))
    meta = [c["metadata"].get("nbgrader") for c in nb["cells"]]
    assert meta[3] == {"grade": False, "grade_id": "pred1", "locked": False, "schema_version": 3,
                       "solution": True, "task": False}
    assert meta[4] is None, "prediction checks are not graded"
    assert meta[7]["solution"] and meta[7]["grade_id"] == "ex1"
    assert meta[8] == {"grade": True, "grade_id": "ex1-check", "locked": True, "points": 2, "schema_version": 3,
                       "solution": False, "task": False}
    assert meta[6]["locked"] and not meta[6]["grade"]
    assert meta[11]["points"] == 1 and meta[11]["grade_id"] == "ex2-check"
    assert nbtools.add_grading_metadata(nb) == nb, "idempotent"


def test_a_changed_student_notebook_is_kept_unless_forced(tmp_path):
    source = nbtools.add_grading_metadata(nbtools.normalize(_lesson()))
    out = tmp_path / "03_stride_and_padding.ipynb"
    assert nbtools.write_student(source, out.stem, out=out) == "written"
    assert nbtools.write_student(source, out.stem, out=out) == "unchanged"
    work = json.loads(out.read_text())
    work["cells"][8]["source"] = "def output_size(n, f):\n    return n - f + 1  # my answer"
    out.write_text(json.dumps(work))
    changed = copy.deepcopy(source)
    changed["cells"][0]["source"] += "\nA new sentence in the lesson."
    assert nbtools.write_student(changed, out.stem, out=out) == "kept"
    assert "my answer" in out.read_text(), "the student's work survives a regeneration"
    assert nbtools.write_student(changed, out.stem, out=out, force=True) == "written"
    assert "my answer" not in out.read_text() and "A new sentence" in out.read_text()


def test_make_notebooks_passes_force_through():
    import subprocess

    # -o: never (re)install for a dry run, whatever the checkout's timestamps say (STAMP=Makefile made GNU make
    # remake the Makefile itself, which it does even with -n, when requirements.txt looked newer)
    stamp = ["-o", "/nonexistent/stamp", "STAMP=/nonexistent/stamp"]
    dry = subprocess.run(["make", "-n", *stamp, "notebooks", "NB=03", "FORCE=1"], cwd=ROOT,
                         capture_output=True, text=True)
    assert "tools/notebooks.py execute 03 --force" in dry.stdout, dry.stdout + dry.stderr
    dry = subprocess.run(["make", "-n", *stamp, "notebooks", "NB=03"], cwd=ROOT, capture_output=True,
                         text=True)
    assert "--force" not in dry.stdout


def test_make_lab_installs_settings_that_keep_jupyterlab_quiet():
    overrides = json.loads((ROOT / "tools" / "jupyterlab-overrides.json").read_text())
    news = overrides["@jupyterlab/apputils-extension:notification"]
    assert news["fetchNews"] == "false" and news["checkForUpdates"] is False
    makefile = (ROOT / "Makefile").read_text()
    assert "share/jupyter/lab/settings/overrides.json" in makefile


def test_make_lab_lets_large_photo_uploads_reach_the_kernel():
    # Tornado drops websocket messages over 10 MiB without a word; the course's server config raises the limit
    config = json.loads((ROOT / "tools" / "jupyter-server-config.json").read_text())
    limit = config["ServerApp"]["tornado_settings"]["websocket_max_message_size"]
    assert limit >= 50 * 2**20
    makefile = (ROOT / "Makefile").read_text()
    assert "etc/jupyter/jupyter_server_config.json" in makefile
    installed = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.json"
    if not installed.exists():
        pytest.skip(f"{installed} not installed (run `make venv`)")
    shown = subprocess.run([sys.executable, "-m", "jupyter", "server", "--show-config"], capture_output=True,
                           text=True, timeout=120)
    assert f"'websocket_max_message_size': {limit}" in shown.stdout, shown.stdout[-2000:] + shown.stderr[-2000:]


# ----------------------------------------------------------------------------------------------------------
# exercises checked by id (helpers/exercises/): validation of ids, answers kept out of the student edition
# ----------------------------------------------------------------------------------------------------------


def _solutions():
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "solutions").glob("*.ipynb"))}


def _migrated_03():
    """Lesson 03 as it will look once migrated (in memory), with its registry entries."""
    from helpers.exercises import Custom, Function, Prediction, Value

    nb = json.loads((ROOT / "solutions" / "03_stride_and_padding.ipynb").read_text(encoding="utf-8"))
    calls = {"ex1": 'check("03.ex1", output_size);', "ex2": 'check("03.ex2", same_padding);',
             "ex3": 'check("03.ex3", keep_size_padding);', "ex4": 'check("03.ex4", final_size);'}
    for ex in nbtools.exercises(nb):
        if ex["kind"] == "exercise":
            nb["cells"][ex["check"]]["source"] = calls[ex["grade_id"]]
        else:
            check = nb["cells"].index(nbtools._next_code(nb["cells"], ex["index"]))
            nb["cells"][check]["source"] = f'check("03.{ex["grade_id"]}", my_guess, actual=0);'
    registry = {f"03.pred{k}": Prediction("size") for k in range(1, 7)}
    registry |= {"03.ex1": Custom("check_output_size"),
                "03.ex2": Function(lambda n, f, s: (n, f), [(5, 3, 1)]),
                "03.ex3": Function(lambda f: (f - 1) // 2, [(3,)]),
                "03.ex4": Value(27, name="final size")}
    return nb, registry


def test_exercise_ids_pass_on_today_s_lessons_none_of_which_is_migrated_yet():
    solutions = _solutions()
    assert nbtools.validate_exercise_ids(solutions) == []
    for stem, nb in solutions.items():
        assert nbtools.student_answer_leaks(nb, stem) == [], stem
    assert subprocess.run([sys.executable, str(ROOT / "tools" / "notebooks.py"), "check", "03"],
                          capture_output=True, text=True, timeout=300).stdout == ""


def test_exercise_ids_of_a_migrated_lesson_must_exist_belong_to_it_and_all_be_used():
    nb, registry = _migrated_03()
    stem = "03_stride_and_padding"
    assert nbtools.migrated(nb)
    assert nbtools.validate_exercise_ids({stem: nb}, registry) == []
    assert nbtools.student_answer_leaks(nb, stem, registry) == []

    broken = copy.deepcopy(nb)
    check_cells = [ex["check"] for ex in nbtools.exercises(nb) if ex["kind"] == "exercise"]
    broken["cells"][check_cells[0]]["source"] = 'check("04.ex1", output_size);'
    broken["cells"][check_cells[1]]["source"] = 'check("03.ex9", same_padding);'
    broken["cells"][5]["source"] += '\nreveal("03.ex4")'
    problems = nbtools.validate_exercise_ids({stem: broken}, dict(registry, **{"99.ex1": registry["03.ex4"]}))
    assert problems == [
        f"solutions/{stem}.ipynb cell 5: reveal('03.ex4') in a lesson cell prints the answer on Run All",
        f"solutions/{stem}.ipynb cell {check_cells[0]}: check('04.ex1') is not an exercise id of lesson 03 ('03.exK')",
        f"solutions/{stem}.ipynb cell {check_cells[1]}: check('03.ex9') is not in helpers/exercises/lesson03.py",
        f"helpers/exercises/lesson03.py: '03.ex1' is checked by no cell of solutions/{stem}.ipynb (an orphan)",
        f"helpers/exercises/lesson03.py: '03.ex2' is checked by no cell of solutions/{stem}.ipynb (an orphan)",
        "helpers/exercises/lesson99.py: '99.ex1' belongs to no lesson of COURSE",
    ]


def test_a_migrated_lesson_s_student_check_cells_hold_no_answer():
    nb, registry = _migrated_03()
    stem = "03_stride_and_padding"
    ex4 = next(ex["check"] for ex in nbtools.exercises(nb) if ex["grade_id"] == "ex4")
    ex3 = next(ex["check"] for ex in nbtools.exercises(nb) if ex["grade_id"] == "ex3")
    nb["cells"][ex4]["source"] = 'check("03.ex4", final_size)\nassert final_size != 27'
    nb["cells"][ex3]["source"] = 'check("03.ex3", keep_size_padding)\nprint([(f - 1) // 2 for f in (3, 5)])'
    assert nbtools.student_answer_leaks(nb, stem, registry) == [
        f"notebooks/{stem}.ipynb cell {ex3}: 03.ex3: the code of its reference function is in the cell",
        f"notebooks/{stem}.ipynb cell {ex4}: 03.ex4: the literal 27 is its answer",
    ]
    nb["cells"][ex4]["source"] = 'check("03.ex4", final_size)\ncheck_value(final_size, 3 * 9)'
    assert nbtools.student_answer_leaks(nb, stem, registry)[-1] == (
        f"notebooks/{stem}.ipynb cell {ex4}: calls check_value with its answer; use check(\"03.exK\", ...) "
        f"or check(\"03.predK\", ...)")


def test_registry_checks_are_shown_hidden_tests_are_not_and_predictions_are_recognised():
    nb = nbtools.normalize(_nb([
        _md("**Predict.** How wide?"),
        _code("### BEGIN SOLUTION\nmy_guess = 28\n### END SOLUTION"),
        _code('width = 32 - 5 + 1\ncheck("00.demo-prediction", my_guess, actual=width);'),
        _md("### Exercise 1 — Parameters\n\nCount them."),
        _code("### BEGIN SOLUTION\nparams = 456\n### END SOLUTION"),
        _code('check("00.demo", params)\n### BEGIN HIDDEN TESTS\ncheck("00.demo", params + 0)\n### END HIDDEN TESTS'),
    ]))
    kinds = [(ex["kind"], ex["grade_id"]) for ex in nbtools.exercises(nb)]
    assert kinds == [("prediction", "pred1"), ("exercise", "ex1")]
    for release in (False, True):
        student = nbtools.student_edition(nb, "03_stride_and_padding", release=release)
        text = json.dumps(student)
        assert "HIDDEN" not in text and "params + 0" not in text
        assert 'check(\\"00.demo\\", params)' in text
        assert not [c for c in student["cells"] if c["metadata"].get("jupyter", {}).get("source_hidden")], \
            "a check by id holds no answer: nothing to collapse"
    with pytest.raises(ValueError, match="unbalanced hidden tests"):
        nbtools.strip_hidden_tests("### BEGIN HIDDEN TESTS\nx")


def test_the_course_s_nbgrader_config_clears_hidden_tests_from_feedback():
    config = nbtools.nbgrader_config(Path("/tmp/course"))
    namespace = {"get_config": lambda: __import__("traitlets.config").config.Config()}
    pytest.importorskip("nbgrader")
    exec(compile(config, "nbgrader_config.py", "exec"), namespace)  # noqa: S102 - the file nbgrader will run
    c = namespace["c"]
    names = [pp.__name__ for pp in c.GenerateFeedback.preprocessors]
    assert names == ["GetGrades", "ClearHiddenTestsAndTracebacks", "CSSHTMLHeaderPreprocessor"]
    assert c.CourseDirectory.root == "/tmp/course"
