"""Mechanical kinds of lesson problems an expert read found, as tests so they cannot come back.

- authoring residue: the lessons never talk about the documents they were written from;
- stray outputs: a self-check's verdict is not followed by a bare ``True``/``False``/``[None, None]``;
- cross-references: "section N" names a numbered heading that exists;
- Run All in JupyterLab itself: no code cell that only ``skip-execution``/``NBVAL_SKIP`` keeps from running;
- the 1024 px page: no figure shown wider than 800 px.
"""

import ast
import base64
import json
import re
import struct
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbtools  # noqa: E402

STEMS = [name for name, _, _ in nbtools.COURSE]
EDITIONS = ("solutions", "notebooks")

#: Phrases that talk about the course's own source documents. "source code" and "the source of a function"
#: are fine; "sources" in the plural and the phrases below are not.
RESIDUE = re.compile(
    r"\bsources\b|\b(?:one|another|a|our|same|other) source\b|\bthe source (?:says|gives|writes|calls|counts)"
    r"|\bseed[- ]texts?\b|\bseed's\b|\bthe seeds\b|\bone seed says\b|\bseed formula\b|\bseed diagram\b",
    re.IGNORECASE,
)
#: What a cell prints when its last expression is a check's bool or a setter's list of Nones.
STRAY = re.compile(r"^(?:True|False|np\.(?:True|False)_|None|\[None(?:, None)*\]|array\((?:True|False)\))$")
#: A figure is shown at the width IPython records (inches x 100 dpi); 7.6 in plus a tight bounding box's margin.
MAX_SHOWN_WIDTH = 800


def _load(edition, stem):
    return json.loads((ROOT / edition / f"{stem}.ipynb").read_text(encoding="utf-8"))


def _src(cell):
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _headings(nb):
    """Section numbers of a lesson's numbered headings: '## 6. ...' -> '6', '### 6b. ...' -> '6b'."""
    found = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            found.update(re.findall(r"^#{2,4}\s+(\d+[a-z]?)[.:)]", _src(cell), re.M))
    return found


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("stem", STEMS)
def test_no_authoring_residue(stem, edition):
    nb = _load(edition, stem)
    hits = []
    for i, cell in enumerate(nb["cells"]):
        for match in RESIDUE.finditer(_src(cell)):
            text = _src(cell)
            hits.append(f"cell {i}: ...{text[max(0, match.start() - 40):match.end() + 40]!r}...")
    assert not hits, (f"{edition}/{stem} talks about the documents the course was written from (name a real "
                      "reference with a link, or say 'a common claim is'):\n" + "\n".join(hits))


def _is_bare_check_call(source):
    """True when the cell's last statement is a bare call of a check (its bool would be printed)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    if not tree.body or not isinstance(tree.body[-1], ast.Expr) or not isinstance(tree.body[-1].value, ast.Call):
        return False
    func = tree.body[-1].value.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return name.startswith("check") or name in {"predict", "reveal"}


@pytest.mark.parametrize("stem", STEMS)
def test_no_stray_outputs(stem):
    problems = []
    for edition in EDITIONS:
        for i, cell in enumerate(_load(edition, stem)["cells"]):
            if cell["cell_type"] != "code":
                continue
            for out in cell.get("outputs", []):
                text = out.get("data", {}).get("text/plain", "")
                text = (text if isinstance(text, str) else "".join(text)).strip()
                if out.get("output_type") == "execute_result" and STRAY.match(text):
                    problems.append(f"{edition} cell {i} prints a stray {text}")
            source = _src(cell).rstrip()
            if edition == "solutions" and _is_bare_check_call(source) and not source.endswith(";"):
                problems.append(f"{edition} cell {i} ends with a bare check call: end it with ';' so its "
                                "True/False is not printed under the verdict")
    assert not problems, "\n".join(problems)


SECTION_REF = re.compile(
    r"(?:\b(?:lesson|notebook)\s+(?P<lesson>\d{2})\s*(?:,\s*)?)?"
    r"(?:§\s*|\b[Ss]ections?\s+)(?P<num>\d+[a-z]?)(?P<more>(?:\s*(?:,|and|or|to)\s*\d+[a-z]?)*)(?![.\d]\d)"
)


@pytest.mark.parametrize("stem", STEMS)
def test_section_references_resolve(stem):
    nb = _load("solutions", stem)
    by_number = {s[:2]: s for s in STEMS}
    own = _headings(nb)
    bad = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        text = _src(cell)
        for match in SECTION_REF.finditer(text):
            context = text[max(0, match.start() - 60):match.start()]
            if re.search(r"\(\w[^()]*$|arXiv|et al\.|[Cc]hapter|paper|book", context):
                continue  # a section of a paper or book, not of a lesson
            numbers = [match["num"]] + re.findall(r"\d+[a-z]?", match["more"] or "")
            if match["lesson"]:
                if match["lesson"] not in by_number:
                    bad.append(f"cell {i}: lesson {match['lesson']} does not exist")
                    continue
                heads = _headings(_load("solutions", by_number[match["lesson"]]))
                where = f"lesson {match['lesson']}"
            else:
                heads, where = own, "this lesson"
            for n in numbers:
                if n not in heads:
                    bad.append(f"cell {i}: {match.group(0)!r} but {where} has no section {n}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("stem", STEMS)
def test_no_code_cell_only_skip_tags_keep_from_running(stem, edition):
    """JupyterLab ignores `skip-execution` (jupyterlab#12323): Run All runs such a cell. Show it as markdown."""
    bad = []
    for i, cell in enumerate(_load(edition, stem)["cells"]):
        if cell["cell_type"] != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if "skip-execution" in tags or "NBVAL_SKIP" in _src(cell):
            bad.append(f"cell {i}")
    assert not bad, (f"{edition}/{stem}: code a student must not run belongs in a fenced block in markdown: "
                     + ", ".join(bad))


def _shown_width(out):
    meta = out.get("metadata", {}).get("image/png", {})
    if "width" in meta:
        return int(meta["width"])
    png = base64.b64decode(out["data"]["image/png"])
    return struct.unpack(">I", png[16:20])[0]


@pytest.mark.parametrize("stem", STEMS)
def test_figures_fit_a_1024_px_page(stem):
    """About 590 px are left for an output at 1024 px with the file browser open: a figure wider than 800 px
    shrinks by more than a quarter, and its 12 pt labels become unreadable."""
    wide = []
    for edition in EDITIONS:
        for i, cell in enumerate(_load(edition, stem)["cells"]):
            for out in cell.get("outputs", []):
                if "image/png" in out.get("data", {}) and _shown_width(out) > MAX_SHOWN_WIDTH:
                    wide.append(f"{edition} cell {i}: {_shown_width(out)} px")
    assert not wide, f"figures wider than {MAX_SHOWN_WIDTH} px (wrap panels into rows):\n" + "\n".join(wide)


def test_the_residue_pattern_can_fail():
    assert RESIDUE.search("One of our sources says the kernel is flipped.")
    assert RESIDUE.search("The seed's diagram labels the depthwise step")
    assert not RESIDUE.search("Print the source code of the function; random seeds 0, 1 and 2.")
    assert STRAY.match("np.True_") and STRAY.match("[None, None]") and not STRAY.match("0.98")
    assert _is_bare_check_call("check_value(x, 3)") and not _is_bare_check_call("ok = check_value(x, 3)")


def _prediction_names(nb):
    """Names assigned in prediction cells (a guess between the solution markers, checked by check_prediction)."""
    names = []
    for cell in nb["cells"]:
        source = _src(cell)
        if cell["cell_type"] == "code" and "BEGIN SOLUTION" in source:
            names += re.findall(r"^((?:my_)?guess\w*)\s*=", source, re.M)
    return names


@pytest.mark.parametrize("stem", STEMS)
def test_every_prediction_has_its_own_name(stem):
    """A check run after another prediction's cell must not compare (and reveal) against an older guess."""
    names = _prediction_names(_load("solutions", stem))
    repeated = sorted({n for n in names if names.count(n) > 1})
    assert not repeated, f"{stem}: predictions share the names {repeated}: give each its own (guess_1, guess_2, ...)"
