"""The notebook maintenance tool: navigation, course map and normalisation."""

import sys
from pathlib import Path

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
    assert len({n for n, _, _ in nbtools.COURSE}) == 12


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
