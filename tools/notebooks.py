"""Maintain the course notebooks: course map, generated cells, the two editions, executing, releasing.

The complete edition ``solutions/NN_topic.ipynb`` is the one source authors edit. Everything else is
generated from it: the navigation and course-map cells, the nbgrader cell metadata, and the student edition
``notebooks/NN_topic.ipynb`` (solutions replaced by stubs, answers hidden).

Usage (normally through ``make notebooks``)::

    python tools/notebooks.py generate [NN ...]   # regenerate cells, metadata and notebooks/ (no execution)
    python tools/notebooks.py normalize [NN ...]  # the same as generate
    python tools/notebooks.py execute [NN ...]    # execute solutions/ in place, then generate
    python tools/notebooks.py check [NN ...]      # exit 1 if anything is not what generation gives
    python tools/notebooks.py student IN OUT      # write the student edition of one notebook
    python tools/notebooks.py release DIR [NN ...]  # an nbgrader course folder in DIR (make release)
    python tools/notebooks.py toc                 # print the table of contents (for the README)

Generated cells carry ``metadata["course"]`` (``"navigation"``, ``"toc"``, ``"edition-note"``,
``"solution-link"``); never edit them by hand. A student notebook that differs from what the tool last wrote
(the student worked in it) is never overwritten unless ``--force`` (``make notebooks FORCE=1``) is given.

Exercise conventions (see CONTRIBUTING.md): a *solution cell* holds ``### BEGIN SOLUTION`` /
``### END SOLUTION``; the next code cell is its *check cell* (only ``helpers.checks`` calls). A solution
region inside a function becomes ``raise NotImplementedError()``; a top-level region becomes
``name = ...  # YOUR ANSWER HERE`` for each name it binds (``None  # YOUR PREDICTION HERE`` before a
``check_prediction``). Outputs of solution, check and ``reveal``-tagged cells are cleared, and the source of a
check that holds an answer (a graded check, a prediction's check) is collapsed until the student opens it.
Cells tagged ``solutions-only`` (a model answer to an "explain" exercise) are left out of the student edition
and of nbgrader's source.
A lesson *migrated* to the exercise registry calls ``check("NN.exK", answer)`` (``helpers/exercises/``):
its check cells hold no answer and stay open; ``check`` validates its ids and that no answer is left in them.
Hidden tests (``### BEGIN HIDDEN TESTS``) are removed from the student edition and from nbgrader's feedback.
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
STUDENT = ROOT / "notebooks"

#: The course map: the one place that lists the notebooks, their titles and goals.
COURSE = [
    ("00_start_here", "Start here", "How the course works: running cells, explorers, self-checks; environment check."),
    ("01_why_convolution", "Why convolution",
     "Why dense layers fail on images, and what sparse, shared, equivariant convolutions buy."),
    ("02_convolution_operation", "The convolution operation",
     "Slide a kernel, multiply and add: by hand, in loops, vectorised, and on real photos."),
    ("03_stride_and_padding", "Stride and padding",
     "Control the output size; derive, test and break the output-size formula."),
    ("04_channels_and_filters", "Channels, filters and 1x1 convolutions",
     "Convolution over volumes, many filters, 1x1 convolutions and growing receptive fields."),
    ("05_parameter_counts", "Counting parameters and cost",
     "Count weights and multiplications by hand, then check them against Keras."),
    ("06_pooling", "Pooling", "Max and average pooling, translation invariance and global average pooling."),
    ("07_backpropagation", "Backpropagation through convolution",
     "Derive, write and check the backward pass of convolution and pooling; one training step by hand."),
    ("08_lenet5", "LeNet-5", "Build, count and train LeNet-5, the classic CNN of 1998, on handwritten digits."),
    ("09_alexnet_and_vgg", "AlexNet and VGG-16",
     "Where parameters and work live in deep classic networks; two 3x3 against one 5x5, measured on digits."),
    ("10_batch_normalization", "Batch normalization",
     "Per-channel statistics, gamma and beta, moving averages, training vs inference, frozen layers; measured."),
    ("11_residual_networks", "Residual networks",
     "Why very deep plain networks degrade and how shortcuts fix it; ResNet-50 from blocks."),
    ("12_inception_and_efficient_convolutions", "Inception and efficient convolutions",
     "1x1 bottlenecks, Inception modules, grouped and depthwise-separable convolutions."),
    ("13_modern_efficient_cnns", "Modern efficient CNNs",
     "MobileNet, MobileNetV2 and EfficientNet from their blocks: separable convolutions, inverted residuals, scaling."),
    ("14_data_augmentation", "Data augmentation",
     "Random shifts, rotations, zooms and contrast: which keep the label, only in training, measured on 100 digits."),
    ("15_transfer_learning", "Transfer learning",
     "Pre-train, freeze, fine-tune: learn a new task from a few labelled examples."),
    ("16_what_the_network_sees", "What the network sees",
     "Saliency, occlusion and Grad-CAM for a trained LeNet-5, and the sanity checks that show what they do not tell."),
]

TF_NOISE = re.compile(
    r"oneDNN custom operations|TF_ENABLE_ONEDNN_OPTS|cuda_|Unable to register cu|"
    r"computation placer|This TensorFlow binary is optimized|rebuild TensorFlow|"
    r"Could not find cuda drivers|GPU will not be used|absl::InitializeLog|WARNING: All log messages|"
    r"E0000 00:00|I0000 00:00|W0000 00:00|port\.cc:|cpu_feature_guard"
)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_PLACEHOLDER = "Interactive explorer: run this cell in JupyterLab to use it."


def title_of(stem: str) -> str:
    """Numbered title of a notebook, e.g. ``03 · Stride and padding``."""
    for name, title, _ in COURSE:
        if name == stem:
            return f"{name[:2]} · {title}"
    raise KeyError(stem)


def navigation_markdown(stem: str) -> str:
    """Markdown for the previous / index / next line at the end of a notebook."""
    names = [c[0] for c in COURSE]
    i = names.index(stem)
    parts = []
    if i > 0:
        parts.append(f"[← {title_of(names[i - 1])}]({names[i - 1]}.ipynb)")
    if stem != "00_start_here":
        parts.append("[Course index](00_start_here.ipynb#Course-map)")
    if i + 1 < len(names):
        parts.append(f"[{title_of(names[i + 1])} →]({names[i + 1]}.ipynb)")
    return "---\n\n" + " &nbsp;|&nbsp; ".join(parts)


def toc_markdown(link_prefix: str = "") -> str:
    """The course map as a markdown table (used in 00_start_here and the README)."""
    rows = ["| # | Notebook | What you do |", "| --- | --- | --- |"]
    for name, title, goal in COURSE:
        rows.append(f"| {name[:2]} | [{title}]({link_prefix}{name}.ipynb) | {goal} |")
    return "\n".join(rows)


def _md_cell(source: str, kind: str) -> dict:
    return {"cell_type": "markdown", "metadata": {"course": kind}, "source": source}


def generate(nb: dict, stem: str) -> dict:
    """Write the generated cells into a notebook dict (navigation at the end; TOC in 00)."""
    for c in nb["cells"]:
        if isinstance(c.get("source"), list):
            c["source"] = "".join(c["source"])
    cells = [c for c in nb["cells"] if c.get("metadata", {}).get("course") != "navigation"]
    for c in cells:
        if c.get("metadata", {}).get("course") == "toc":
            c["source"] = "## Course map\n\n" + toc_markdown()
    cells.append(_md_cell(navigation_markdown(stem), "navigation"))
    nb["cells"] = cells
    return nb


def _is_tf_noise(output: dict) -> bool:
    return output.get("output_type") == "stream" and output.get("name") == "stderr" and bool(
        TF_NOISE.search(output.get("text", "") if isinstance(output.get("text"), str) else "".join(output["text"]))
    )


def _clean_stderr(output: dict) -> dict | None:
    text = output["text"] if isinstance(output["text"], str) else "".join(output["text"])
    kept = [line for line in text.splitlines(keepends=True) if not TF_NOISE.search(line)]
    if not "".join(kept).strip():
        return None
    output["text"] = "".join(kept)
    return output


def normalize(nb: dict) -> dict:
    """Strip timings, widget state and TensorFlow's start-up noise; keep outputs; renumber code cells.

    Execution counts are replaced by the code cell's position (1, 2, ...): stable between runs, and nbval
    needs a count on every cell that has outputs (it treats a cell without one as never run).
    """
    nb = copy.deepcopy(nb)
    meta = nb.setdefault("metadata", {})
    meta.pop("widgets", None)
    meta["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    meta["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    count = 0
    for cell in nb["cells"]:
        cell.pop("id", None)
        md = cell.setdefault("metadata", {})
        for key in ("execution", "collapsed", "scrolled", "ExecuteTime"):
            md.pop(key, None)
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
        if cell["cell_type"] != "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            continue
        count += 1
        outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                out = _clean_stderr(out)
                if out is None:
                    continue
            if "execution_count" in out:
                out["execution_count"] = count
            data = out.get("data")
            if data and WIDGET_MIME in data:
                data.pop(WIDGET_MIME)
                data["text/plain"] = WIDGET_PLACEHOLDER
            out.get("metadata", {}).pop("execution", None)
            outputs.append(out)
        cell["outputs"] = outputs
        cell["execution_count"] = count if outputs else None
    nb["nbformat"], nb["nbformat_minor"] = 4, 5
    return nb


# ---------------------------------------------------------------------------------------------------------
# exercises: solution cells, check cells, nbgrader metadata
# ---------------------------------------------------------------------------------------------------------

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CHECK_CALL = re.compile(r"\bcheck(?:_\w+)?\(")
#: ``check("03.ex2", ...)`` / ``reveal("03.ex2")``: an exercise of the registry in helpers/exercises/
REGISTRY_CALL = re.compile(r"""\b(?P<fn>check|reveal)\(\s*(?P<q>['"])(?P<id>[^'"\n]*)(?P=q)""")
EXERCISE_HEADING = re.compile(r"^###\s+Exercise\s+(\d+)", re.M)


def _src(cell: dict) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def is_solution(cell: dict) -> bool:
    return cell["cell_type"] == "code" and BEGIN in _src(cell)


def is_check(cell: dict) -> bool:
    return cell["cell_type"] == "code" and bool(CHECK_CALL.search(_src(cell))) and not is_solution(cell)


def _exercises_module():
    """helpers.exercises of this repository (tools run from any directory)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import helpers.exercises

    return helpers.exercises


def _is_prediction_check(source: str) -> bool:
    """A prediction's check: ``check_prediction(...)`` or ``check(id, ...)`` of a registered Prediction."""
    if "check_prediction(" in source:
        return True
    for m in REGISTRY_CALL.finditer(source):
        if m["fn"] != "check":
            continue
        try:
            return type(_exercises_module().lookup(m["id"])).__name__ == "Prediction"
        except (TypeError, ValueError):
            return ".pred" in m["id"]
    return False


def _next_code(cells: list[dict], i: int) -> dict | None:
    for cell in cells[i + 1:]:
        if cell["cell_type"] == "code":
            return cell
    return None


def exercises(nb: dict) -> list[dict]:
    """The solution regions of a notebook, in order, with their roles.

    Each item: ``index`` (of the solution cell), ``kind`` (``"exercise"`` or ``"prediction"``), ``grade_id``,
    ``check`` (index of the check cell or None), ``task`` (index of the exercise statement or None),
    ``number`` (the exercise number from its heading) and ``points``.
    """
    cells, found, used = nb["cells"], [], set()
    heading, heading_at, preds = None, None, 0
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown":
            m = EXERCISE_HEADING.search(_src(cell))
            if m:
                heading, heading_at = int(m.group(1)), i
            elif _src(cell).lstrip().startswith("## "):
                heading, heading_at = None, None
            continue
        if not is_solution(cell):
            continue
        nxt = _next_code(cells, i)
        check_i = cells.index(nxt) if nxt is not None and is_check(nxt) else None
        guesses = _region_names(_src(cell))
        predicted = check_i is not None and _is_prediction_check(_src(nxt))
        if guesses and all(name.startswith(("my_guess", "guess")) for name in guesses) and not predicted:
            raise ValueError(f"cell {i}: a prediction ({', '.join(guesses)}) must be followed directly by the cell "
                             f"that calls check_prediction")
        if predicted:
            preds += 1
            found.append({"index": i, "kind": "prediction", "grade_id": f"pred{preds}", "check": None,
                          "task": None, "number": None, "points": 0})
            continue
        base = f"ex{heading}" if heading is not None else f"ex-cell{i}"
        grade_id, letter = base, "b"
        while grade_id in used:
            grade_id, letter = base + letter, chr(ord(letter) + 1)
        used.add(grade_id)
        points = 1
        if check_i is not None:
            for tag in _tags(cells[check_i]):
                if re.fullmatch(r"points-\d+", tag):
                    points = int(tag.split("-")[1])
        found.append({"index": i, "kind": "exercise", "grade_id": grade_id, "check": check_i,
                      "task": heading_at, "number": heading, "points": points})
    return found


def _nbgrader(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution,
            "task": False}
    if grade:
        meta["points"] = points
    return meta


def add_grading_metadata(nb: dict) -> dict:
    """nbgrader cell metadata for the solutions edition (recomputed from scratch every time).

    Solution cells are nbgrader solution cells; the check cell after an exercise is an autograded test
    cell (locked, with points); the exercise statement is locked. Other cells carry no nbgrader metadata.
    """
    for cell in nb["cells"]:
        cell.setdefault("metadata", {}).pop("nbgrader", None)
    for ex in exercises(nb):
        nb["cells"][ex["index"]]["metadata"]["nbgrader"] = _nbgrader(ex["grade_id"], solution=True)
        if ex["kind"] != "exercise":
            continue
        if ex["check"] is not None:
            nb["cells"][ex["check"]]["metadata"]["nbgrader"] = _nbgrader(
                ex["grade_id"] + "-check", grade=True, locked=True, points=ex["points"])
        if ex["task"] is not None and "nbgrader" not in nb["cells"][ex["task"]]["metadata"]:
            nb["cells"][ex["task"]]["metadata"]["nbgrader"] = _nbgrader(ex["grade_id"] + "-task", locked=True)
    return nb


# ---------------------------------------------------------------------------------------------------------
# the student edition
# ---------------------------------------------------------------------------------------------------------


def _region_names(source: str) -> list[str]:
    """Names bound at top level inside the solution regions of a cell."""
    regions = re.findall(r"^### BEGIN SOLUTION\n(.*?)^### END SOLUTION", source, re.S | re.M)
    return [name for region in regions for name in _bound_names(region)]


def _bound_names(code: str) -> list[str]:
    """Names a block of top-level code binds (assignments, in order of first appearance)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names: list[str] = []

    def add(target):
        if isinstance(target, ast.Name) and target.id not in names:
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                add(t)

    for node in tree.body:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                add(t)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            add(node.target)
    return names


def _function_stub(code: str, indent: str) -> list[str] | None:
    """A top-level region that is one whole ``def``: keep its signature and docstring, stub the body."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    fn, lines = tree.body[0], code.splitlines()
    first_body = fn.body[0]
    keep_until = first_body.end_lineno if (isinstance(first_body, ast.Expr) and isinstance(
        getattr(first_body, "value", None), ast.Constant) and isinstance(first_body.value.value, str)) \
        else first_body.lineno - 1
    head = lines[: keep_until]
    body_indent = re.match(r"\s*", lines[first_body.lineno - 1]).group(0)
    return [indent + h for h in head] + [indent + body_indent + "# YOUR CODE HERE",
                                         indent + body_indent + "raise NotImplementedError()"]


def stub_source(source: str, prediction: bool = False) -> str:
    """Replace every solution region of a cell's source by the student's placeholder.

    Examples
    --------
    >>> print(stub_source("def f(x):\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n    ### END SOLUTION"))
    def f(x):
        # YOUR CODE HERE
        raise NotImplementedError()
    >>> print(stub_source("### BEGIN SOLUTION\\nanswer = 6 * 76\\n### END SOLUTION"))
    answer = ...  # YOUR ANSWER HERE
    >>> print(stub_source("### BEGIN SOLUTION\\nmy_guess = 30\\n### END SOLUTION", prediction=True))
    my_guess = None  # YOUR PREDICTION HERE
    """
    out, region, indent = [], None, ""
    for line in source.split("\n"):
        stripped = line.strip()
        if region is None and stripped == BEGIN:
            region, indent = [], line[: len(line) - len(line.lstrip())]
            continue
        if region is not None and stripped == END:
            code = "\n".join(r[len(indent):] if r.startswith(indent) else r.lstrip() for r in region)
            if indent:
                out += [indent + "# YOUR CODE HERE", indent + "raise NotImplementedError()"]
            elif (stub := _function_stub(code, indent)) is not None:
                out += stub
            else:
                names = _bound_names(code)
                value, note = ("None", "YOUR PREDICTION HERE") if prediction else ("...", "YOUR ANSWER HERE")
                out += [f"{name} = {value}  # {note}" for name in names] or ["# YOUR CODE HERE"]
            region = None
            continue
        if region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise ValueError(f"unbalanced solution markers: {BEGIN!r} without {END!r} in\n{source[:200]}")
    return "\n".join(out)


def strip_hidden_tests(source: str) -> str:
    """Remove nbgrader's hidden test regions (the marker lines included), as its ClearHiddenTests does.

    Examples
    --------
    >>> print(strip_hidden_tests("check(x)\\n### BEGIN HIDDEN TESTS\\nassert x == 3\\n### END HIDDEN TESTS"))
    check(x)
    """
    out, hidden = [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            out.append(line)
    if hidden:
        raise ValueError(f"unbalanced hidden tests: {HIDDEN_BEGIN!r} without {HIDDEN_END!r} in\n{source[:200]}")
    return "\n".join(out)


def _holds_answers(source: str) -> bool:
    """A check cell that still passes its answers to check_* itself (not only ``check("NN.exK", ...)``)."""
    return bool(re.search(r"\bcheck_\w+\(", source)) or not REGISTRY_CALL.search(source)


def _anchor(heading_line: str) -> str:
    """JupyterLab's anchor for a markdown heading: its text with spaces replaced by '-'."""
    text = re.sub(r"^#+\s*", "", heading_line.strip())
    text = re.sub(r"[*_`]", "", text)
    return text.replace(" ", "-")


def _edition_note(stem: str) -> str:
    return (f"> **Student edition.** Write your code or answer where a cell says `YOUR CODE HERE` or "
            f"`YOUR ANSWER HERE`, then run the self-check below it, where there is one. Predictions say "
            f"`YOUR PREDICTION HERE` and start as `None`: write your guess before you run the cell that checks "
            f"it. The worked solutions are in [the complete edition](../solutions/{stem}.ipynb).")


#: Tag of a cell kept only in the complete edition (a model answer): the student edition leaves it out.
SOLUTIONS_ONLY = "solutions-only"


def student_edition(nb: dict, stem: str, release: bool = False) -> dict:
    """The student edition of a (generated, normalised) solutions notebook.

    With ``release=True`` (for nbgrader) the cells correspond one-to-one to the source and keep their
    nbgrader metadata (:func:`release` removes ``solutions-only`` cells from the source first); otherwise an
    edition note and solution links are added, nbgrader metadata removed and ``solutions-only`` cells left out.
    """
    nb = copy.deepcopy(nb)
    cells = nb["cells"]
    roles = {ex["index"]: ex for ex in exercises(nb)}
    prediction_checks = {cells.index(_next_code(cells, ex["index"])) for ex in roles.values()
                         if ex["kind"] == "prediction"}
    graded_checks = {ex["check"] for ex in roles.values() if ex["kind"] == "exercise" and ex["check"] is not None}
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        hide = i in roles or is_check(cell) or i in prediction_checks or "reveal" in _tags(cell)
        if (i in prediction_checks or i in graded_checks) and _holds_answers(_src(cell)):
            # the check's source holds the answer (expected values, explanations): collapsed until clicked
            cell["metadata"].setdefault("jupyter", {})["source_hidden"] = True
        if HIDDEN_BEGIN in _src(cell):
            cell["source"] = strip_hidden_tests(_src(cell))
        if i in roles:
            cell["source"] = stub_source(_src(cell), prediction=roles[i]["kind"] == "prediction")
        if hide:
            cell["outputs"] = []
            cell["execution_count"] = None
    if not release:
        links = {}
        for ex in roles.values():
            if ex["kind"] == "exercise" and ex["task"] is not None:
                after = ex["check"] if ex["check"] is not None else ex["index"]
                heading = next(line for line in _src(cells[ex["task"]]).splitlines() if line.startswith("###"))
                links[after] = (f"[Worked solution of exercise {ex['number']}]"
                                f"(../solutions/{stem}.ipynb#{_anchor(heading)}) · try it yourself first.")
        new = []
        for i, cell in enumerate(cells):
            cell.get("metadata", {}).pop("nbgrader", None)
            if SOLUTIONS_ONLY not in _tags(cell):
                new.append(cell)
            if i == 0:
                new.append(_md_cell(_edition_note(stem), "edition-note"))
            if i in links:
                new.append(_md_cell(links[i], "solution-link"))
        nb["cells"] = new
    nb["metadata"]["course"] = {"edition": "student", "source": f"solutions/{stem}.ipynb"}
    return nb


# ---------------------------------------------------------------------------------------------------------
# exercises in the registry (helpers/exercises/): ids used by the lessons, answers kept out of notebooks/
# ---------------------------------------------------------------------------------------------------------


def registry_calls(nb: dict) -> list[tuple[int, str, str]]:
    """``(cell index, "check" or "reveal", exercise id)`` for every registry call in the code cells.

    Examples
    --------
    >>> registry_calls({"cells": [{"cell_type": "code", "source": 'check("09.ex5", good_sizes);'}]})
    [(0, 'check', '09.ex5')]
    """
    return [(i, m["fn"], m["id"]) for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code"
            for m in REGISTRY_CALL.finditer(_src(cell))]


def migrated(nb: dict) -> bool:
    """True once a lesson checks its exercises by id (``check("NN.exK", ...)``); lessons migrate one by one."""
    return any(fn == "check" for _, fn, _ in registry_calls(nb))


def validate_exercise_ids(notebooks: dict[str, dict], registry: dict | None = None) -> list[str]:
    """Problems with the exercise ids of the migrated lessons (empty: all is well).

    For each lesson that uses ``check("NN.exK", ...)``: every id it checks exists in the registry and belongs
    to that lesson; no entry of that lesson (but its ``NN.demo...`` ones) is left unused; no lesson cell calls
    ``reveal`` (Run All would print the answers). Entries of a lesson that is not in ``COURSE`` are orphans.

    Parameters
    ----------
    notebooks : dict
        Stem (``"03_stride_and_padding"``) -> solutions notebook.
    registry : dict, optional
        Exercise id -> entry; default ``helpers.exercises.registry()``.

    Examples
    --------
    >>> nb = {"cells": [{"cell_type": "code", "source": 'check("00.ex1", n_inputs)'}]}
    >>> validate_exercise_ids({"00_start_here": nb}, registry={})
    ["solutions/00_start_here.ipynb cell 0: check('00.ex1') is not in helpers/exercises/lesson00.py"]
    """
    module = _exercises_module()
    registry = module.registry() if registry is None else registry
    problems = []
    for stem, nb in notebooks.items():
        if not migrated(nb):
            continue
        lesson, used = stem[:2], set()
        for i, fn, eid in registry_calls(nb):
            where = f"solutions/{stem}.ipynb cell {i}"
            if fn == "reveal":
                problems.append(f"{where}: reveal({eid!r}) in a lesson cell prints the answer on Run All")
            elif not module.ID_PATTERN.match(eid) or eid[:2] != lesson:
                problems.append(f"{where}: check({eid!r}) is not an exercise id of lesson {lesson} ('{lesson}.exK')")
            elif eid not in registry:
                problems.append(f"{where}: check({eid!r}) is not in helpers/exercises/lesson{lesson}.py")
            used.add(eid)
        for eid in registry:
            if eid[:2] == lesson and eid not in used and ".demo" not in eid:
                problems.append(f"helpers/exercises/lesson{lesson}.py: {eid!r} is checked by no cell of "
                                f"solutions/{stem}.ipynb (an orphan)")
    lessons = {name[:2] for name, _, _ in COURSE}
    problems += [f"helpers/exercises/lesson{eid[:2]}.py: {eid!r} belongs to no lesson of COURSE"
                 for eid in registry if eid[:2] not in lessons]
    return problems


def student_answer_leaks(nb: dict, stem: str, registry: dict | None = None) -> list[str]:
    """Check cells of a migrated lesson's student edition that still give an answer away (empty: none).

    A check cell must call ``check("NN.exK", ...)`` only: a ``check_*`` call, a literal equal to a registered
    answer of the lesson or the code of a registered reference function is reported. Lessons that are not
    migrated yet are skipped (their collapsed checks still hold answers).

    Parameters
    ----------
    nb : dict
        The solutions notebook (generated, normalised).
    stem : str
        Its file name without ``.ipynb``.
    registry : dict, optional
        Exercise id -> entry; default ``helpers.exercises.registry()``.

    Examples
    --------
    >>> nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": "### BEGIN SOLUTION\\nx = 456\\n### END SOLUTION"},
    ...                 {"cell_type": "code", "metadata": {}, "source": 'check("00.demo", x)'}], "metadata": {}}
    >>> student_answer_leaks(nb, "00_start_here")
    []
    """
    if not migrated(nb):
        return []
    module = _exercises_module()
    registry = module.registry() if registry is None else registry
    entries = {k: v for k, v in registry.items() if k[:2] == stem[:2]}
    student = student_edition(nb, stem, release=True)  # cell for cell the same as the source
    checks = {ex["check"] for ex in exercises(nb) if ex["kind"] == "exercise" and ex["check"] is not None}
    checks |= {nb["cells"].index(_next_code(nb["cells"], ex["index"])) for ex in exercises(nb)
               if ex["kind"] == "prediction"}
    problems = []
    for i in sorted(checks):
        source = _src(student["cells"][i])
        where = f"notebooks/{stem}.ipynb cell {i}"
        direct = sorted(set(re.findall(r"\b(check_\w+)\(", source)))
        if direct:
            problems.append(f"{where}: calls {', '.join(direct)} with its answer; use check(\"{stem[:2]}.exK\", ...) "
                            f"or check(\"{stem[:2]}.predK\", ...)")
        problems += [f"{where}: {leak}" for leak in module.answer_leaks(source, entries)]
    return problems


def _cells_hash(nb: dict) -> str:
    """A fingerprint of a notebook's cells (source, outputs), to notice a student's changes."""
    cells = [{"s": _src(c), "o": c.get("outputs", [])} for c in nb.get("cells", [])]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()[:16]


def build_student(solution_nb: dict, stem: str) -> dict:
    """Student edition, normalised, with ids and the fingerprint the overwrite protection compares."""
    nb = _add_ids(normalize(student_edition(solution_nb, stem)))
    nb["metadata"]["course"]["generated"] = _cells_hash(nb)
    return nb


def student_modified(path: Path) -> bool:
    """True if a student notebook was changed after the tool wrote it (or cannot be read)."""
    if not path.exists():
        return False
    try:
        nb = _load(path)
    except (OSError, ValueError):
        return True
    stamp = nb.get("metadata", {}).get("course", {}).get("generated")
    return stamp != _cells_hash(nb)


def write_student(solution_nb: dict, stem: str, force: bool = False, out: Path | None = None) -> str:
    """Write ``notebooks/<stem>.ipynb``; refuse to overwrite a student's work unless ``force``."""
    path = out or STUDENT / f"{stem}.ipynb"
    text = _dump(build_student(solution_nb, stem))
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return "unchanged"
    if not force and student_modified(path):
        return "kept"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return "written"


# ---------------------------------------------------------------------------------------------------------
# files and commands
# ---------------------------------------------------------------------------------------------------------


def _paths(selection: list[str]) -> list[Path]:
    stems = [c[0] for c in COURSE]
    if selection:
        stems = [s for s in stems if any(s.startswith(sel) for sel in selection)]
    return [SOLUTIONS / f"{s}.ipynb" for s in stems if (SOLUTIONS / f"{s}.ipynb").exists()]


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _dump(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _add_ids(nb: dict) -> dict:
    # nbformat 4.5 wants cell ids; make them stable (position based) so diffs stay small.
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"cell-{i:03d}"
    return nb


def solution_text(nb: dict, stem: str) -> str:
    """The committed form of a solutions notebook: generated cells, nbgrader metadata, normalised."""
    return _dump(_add_ids(add_grading_metadata(normalize(generate(nb, stem)))))


def process(path: Path, execute: bool = False, timeout: int = 600, force: bool = False) -> tuple[float, str]:
    """Generate, optionally execute, and normalise one solutions notebook; regenerate its student edition.

    Returns the seconds spent executing and what happened to the student edition.
    """
    nb = generate(_load(path), path.stem)
    seconds = 0.0
    if execute:
        import nbformat
        from nbclient import NotebookClient

        node = nbformat.from_dict(_add_ids(nb))
        os.environ.setdefault("CNN_COURSE_PROGRESS", "off")  # the kernel records no student progress here
        start = time.perf_counter()
        NotebookClient(node, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        seconds = time.perf_counter() - start
        nb = json.loads(nbformat.writes(node))
    text = solution_text(nb, path.stem)
    path.write_text(text, encoding="utf-8")
    return seconds, write_student(json.loads(text), path.stem, force=force)


def nbgrader_config(directory: Path) -> str:
    """The course's ``nbgrader_config.py``.

    nbgrader runs hidden tests (``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``) when it autogrades,
    but its feedback (``GenerateFeedback.preprocessors`` = ``[GetGrades, CSSHTMLHeaderPreprocessor]`` in
    nbgrader 0.9.6, ``nbgrader/converters/generate_feedback.py``) shows the autograded notebook as it ran,
    hidden tests included (nbgrader issue #917). The course adds ``ClearHiddenTests`` to that list, and trims
    the traceback of a failed hidden test (IPython quotes the failing lines of the cell) to its last line.

    Examples
    --------
    >>> "ClearHiddenTests" in nbgrader_config(Path("/tmp/course"))
    True
    """
    return (
        "from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor\n"
        "from nbgrader.preprocessors import ClearHiddenTests, GetGrades\n\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(directory)!r}\n"
        "c.CourseDirectory.course_id = 'cnn-course'\n"
        "c.ClearSolutions.enforce_metadata = True\n"
        "c.Execute.timeout = 300\n\n\n"
        "class ClearHiddenTestsAndTracebacks(ClearHiddenTests):\n"
        "    \"\"\"Feedback without hidden tests: their lines, and the traceback lines that quote them.\"\"\"\n\n"
        "    def preprocess_cell(self, cell, resources, index):\n"
        "        hidden = cell.cell_type == 'code' and self.begin_test_delimeter in cell.source\n"
        "        cell, resources = super().preprocess_cell(cell, resources, index)\n"
        "        for output in cell.get('outputs', []) if hidden else []:\n"
        "            if output.get('output_type') == 'error':\n"
        "                output['traceback'] = [f\"{output.get('ename')}: {output.get('evalue')}\"]\n"
        "        return cell, resources\n\n\n"
        "# nbgrader 0.9.6 shows hidden tests in feedback (issue #917): clear them after reading the grades\n"
        "c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTestsAndTracebacks, CSSHTMLHeaderPreprocessor]\n"
    )


def release(directory: Path, stems: list[str]) -> int:
    """Build an nbgrader course folder: ``source/`` from solutions/, then ``generate_assignment``.

    Each lesson is one assignment named after its file. The released notebooks get the course's own student
    stubs (``answer = ...`` rather than a top-level ``raise``) and keep the outputs of the student edition.
    """
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "nbgrader_config.py").write_text(nbgrader_config(directory), encoding="utf-8")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    for stem in stems:
        source = directory / "source" / stem
        source.mkdir(parents=True, exist_ok=True)
        nb = json.loads(solution_text(_load(SOLUTIONS / f"{stem}.ipynb"), stem))
        nb["cells"] = [cell for cell in nb["cells"] if SOLUTIONS_ONLY not in _tags(cell)]
        # each assignment is self-contained: the figures it shows travel with it
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown" and "../images/" in _src(cell):
                cell["source"] = _src(cell).replace("../images/", "images/")
                (source / "images").mkdir(exist_ok=True)
        for name in sorted(set(re.findall(r"images/([\w.-]+\.png)", _dump(nb)))):
            (source / "images" / name).write_bytes((ROOT / "images" / name).read_bytes())
        (source / f"{stem}.ipynb").write_text(_dump(nb), encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", stem, "--force"],
                              cwd=directory, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
            print(f"{stem}: nbgrader generate_assignment failed")
            return 1
        released_path = directory / "release" / stem / f"{stem}.ipynb"
        released = _load(released_path)
        ours = student_edition(nb, stem, release=True)
        if len(ours["cells"]) != len(released["cells"]):
            print(f"{stem}: nbgrader released {len(released['cells'])} cells, expected {len(ours['cells'])}")
            return 1
        for theirs, mine in zip(released["cells"], ours["cells"], strict=True):
            theirs["source"] = mine["source"]
            if mine["cell_type"] == "code":
                theirs["outputs"], theirs["execution_count"] = mine["outputs"], mine["execution_count"]
        released_path.write_text(_dump(released), encoding="utf-8")
        print(f"{stem}: released to {released_path.relative_to(directory)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["generate", "normalize", "execute", "check", "toc", "student",
                                            "release"])
    parser.add_argument("notebooks", nargs="*", help="notebook numbers or name prefixes, e.g. 03 08_lenet5 "
                                                     "(student: IN OUT; release: DIR then notebooks)")
    parser.add_argument("--force", action="store_true", help="overwrite student notebooks even if changed")
    args = parser.parse_args(argv)
    if args.command == "toc":
        print(toc_markdown("notebooks/"))
        return 0
    if args.command == "student":
        if len(args.notebooks) != 2:
            parser.error("student takes two paths: IN (a solutions notebook) and OUT")
        src, out = Path(args.notebooks[0]), Path(args.notebooks[1])
        nb = json.loads(solution_text(_load(src), src.stem))
        print(f"{out}: {write_student(nb, src.stem, force=True, out=out)}")
        return 0
    if args.command == "release":
        if not args.notebooks:
            parser.error("release takes a directory, then optionally notebook numbers")
        return release(Path(args.notebooks[0]), [p.stem for p in _paths(args.notebooks[1:])])
    paths = _paths(args.notebooks)
    if args.command == "check":
        stale, leaks, solutions = [], [], {}
        for p in paths:
            text = p.read_text(encoding="utf-8")
            expected = solution_text(_load(p), p.stem)
            solutions[p.stem] = json.loads(expected)
            leaks += student_answer_leaks(solutions[p.stem], p.stem)
            if expected != text:
                stale.append(f"solutions/{p.name}: not normalised or generated cells out of date")
            student = STUDENT / p.name
            want = _dump(build_student(json.loads(expected), p.stem))
            if not student.exists() or student.read_text(encoding="utf-8") != want:
                stale.append(f"notebooks/{p.name}: not the student edition of solutions/{p.name}")
        for line in stale:
            print(f"{line}; run `make notebooks-normalize` (or `make notebooks`)")
        problems = leaks + validate_exercise_ids(solutions)
        for line in problems:
            print(line)
        return 1 if stale or problems else 0
    kept = []
    for p in paths:
        seconds, student = process(p, execute=args.command == "execute", force=args.force)
        note = f" executed in {seconds:.1f} s" if args.command == "execute" else ""
        print(f"{p.name}:{note} ok; notebooks/{p.name} {student}")
        if student == "kept":
            kept.append(p.name)
    if kept:
        print(f"Not overwritten (changed since generated, probably your work): {', '.join(kept)}. "
              f"Save a copy, then `make notebooks FORCE=1` to regenerate them.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
