"""A 1024 x 768 laptop or projector with JupyterLab's file browser open, and the student's own photo.

* Every explorer fits the notebook's width: no horizontal scroll anywhere in its output, every part of it
  inside the output area, no control squashed to nothing (the kernel-values grid of ConvolutionExplorer used
  to sit beyond the right edge, and sliders shrank to a dot).
* 02's step figure (``plot_convolution_step``) is shown whole and shrunk by less than a quarter, so its colour
  bar stays readable.
* A photo chosen through the upload button becomes the explorer's image; a file that is not an image gets a
  clear message and leaves the picture as it was.

Screenshots go to tests/browser/artifacts/ (narrow_*.png).
"""

from __future__ import annotations

import io
import re

import pytest

PlaywrightTimeout = pytest.importorskip("playwright.sync_api").TimeoutError

from test_explorers_in_jupyterlab import CASES, SETUP, _open_and_run_all, wait_idle  # noqa: E402

WIDTH, HEIGHT = 1024, 768

# every explorer of the other browser test, plus the widest things they can show: VGG-16's table, a photo
NARROW_CASES = {name: cells for name, (cells, _change) in CASES.items()}
NARROW_CASES["layer_stack_vgg16"] = ["from helpers.explorers import LayerStackCalculator",
                                     "calc = LayerStackCalculator()\ncalc.controls['preset'].value = 'VGG-16'\ncalc"]
NARROW_CASES["convolution_photo_rgb"] = ["from helpers.explorers import ConvolutionExplorer",
                                         "ConvolutionExplorer(image='astronaut', mode='RGB volume')"]


@pytest.fixture()
def narrow_page(browser):
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    yield pg
    context.close()


def _file_browser_open(page):
    """Open JupyterLab's file browser in the left sidebar (a fresh workspace usually shows it) and check it."""
    browser = page.locator(".jp-FileBrowser").first
    if not browser.is_visible():
        page.locator(".jp-SideBar.jp-mod-left [data-id='filebrowser']").first.click()
        browser.wait_for(state="visible")
    box = browser.bounding_box()
    assert box is not None and box["width"] >= 200, "the file browser must be open and take its usual width"
    return box


# Overflow of the output that holds `root` (the explorer's root widget or an image): returns the problems found.
_OVERFLOW_JS = """
(root) => {
  const problems = [];
  const out = root.closest('.jp-OutputArea-output');
  const area = out.getBoundingClientRect();
  const panel = root.closest('.jp-NotebookPanel');
  const scroller = panel.querySelector('.jp-WindowedPanel-outer') || panel.querySelector('.jp-Notebook');
  if (scroller.scrollWidth > scroller.clientWidth + 1)
    problems.push(`the notebook scrolls sideways: ${scroller.scrollWidth} > ${scroller.clientWidth}`);
  const name = e => `${e.tagName.toLowerCase()}.${String(e.className).trim().split(/\\s+/).slice(-2).join('.')}`;
  for (const e of [out, ...out.querySelectorAll('.jupyter-widgets, .widget-box, .widget-output')]) {
    if (e.scrollWidth > e.clientWidth + 1)
      problems.push(`${name(e)} scrolls sideways: scrollWidth ${e.scrollWidth} > clientWidth ${e.clientWidth}`);
  }
  for (const e of [root, ...root.querySelectorAll('*')]) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // hidden
    if (r.right > area.right + 1 || r.left < area.left - 1)
      problems.push(`${name(e)} at x ${Math.round(r.left)}..${Math.round(r.right)} is outside the output ` +
                    `${Math.round(area.left)}..${Math.round(area.right)}`);
  }
  for (const e of root.querySelectorAll('.noUi-target, select, .cnn-kernel-grid, .widget-upload')) {
    // a slider track, a dropdown or the kernel grid narrower than 30 px can no longer be used with the mouse
    const r = e.getBoundingClientRect();
    if (getComputedStyle(e).display === 'none' || e.closest('[style*="display: none"]')) continue;
    if (r.width < 30) problems.push(`${name(e)} is squashed to ${Math.round(r.width)} px`);
  }
  return {problems: [...new Set(problems)].slice(0, 12), area: [Math.round(area.left), Math.round(area.right)]};
}
"""


@pytest.mark.parametrize("name", list(NARROW_CASES))
def test_explorer_fits_a_1024_px_page_with_the_file_browser_open(name, lab, narrow_page, artifacts, make_notebook):
    page = narrow_page
    cells = NARROW_CASES[name]
    make_notebook(f"narrow_{name}.ipynb", [SETUP, *cells])
    panel = _open_and_run_all(page, lab, f"narrow_{name}.ipynb")
    _file_browser_open(page)
    root = panel.locator(".cnn-explorer").first
    root.scroll_into_view_if_needed()
    page.wait_for_timeout(1_000)  # let the PNG load and the rows wrap
    root.screenshot(path=str(artifacts / f"narrow_{name}.png"))
    result = root.evaluate(_OVERFLOW_JS)
    assert result["area"][1] - result["area"][0] < 700, "the page is as narrow as a laptop's (check the viewport)"
    assert result["problems"] == [], f"{name} does not fit a {WIDTH} px page:\n" + "\n".join(result["problems"])
    if name == "convolution":
        grid = panel.locator(".cnn-kernel-grid").first
        assert grid.is_visible() and grid.locator("input").count() == 9  # the 3 x 3 values can be edited


def test_step_figure_of_lesson_02_is_shown_whole_and_readable(lab, narrow_page, artifacts, make_notebook):
    page = narrow_page
    make_notebook("narrow_step.ipynb", [
        "import numpy as np\nfrom helpers.data import small_grid\n"
        "from helpers.plotting import plot_convolution_step, use_course_style\nuse_course_style()",
        "plot_convolution_step(small_grid('edge'), np.array([[1, 0, -1]] * 3), row=0, col=2);"])
    from test_explorers_in_jupyterlab import _start_run_all

    panel = _start_run_all(page, lab, "narrow_step.ipynb")
    image = panel.locator(".jp-RenderedImage img").first
    image.wait_for()
    wait_idle(page, lab, panel, path="narrow_step.ipynb")
    _file_browser_open(page)
    page.wait_for_timeout(500)
    image.screenshot(path=str(artifacts / "narrow_step_figure.png"))
    result = image.evaluate(_OVERFLOW_JS)
    assert result["problems"] == [], "\n".join(result["problems"])
    shown, natural = image.evaluate(
        "e => [e.getBoundingClientRect().width, Number(e.getAttribute('width')) || e.naturalWidth]")
    assert shown / natural >= 0.75, (f"the step figure is shrunk to {shown / natural:.0%} of its size: its colour "
                                     "bar's labels become unreadable")


def _png(width=160, height=120):
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:height, 0:width]
    rgb = np.dstack([x * 255 // width, y * 255 // height, ((x // 20 + y // 20) % 2) * 255]).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def _wait_for_text(page, locator, pattern, timeout=60):
    for _ in range(timeout * 4):
        text = locator.inner_text()
        if re.search(pattern, text):
            return text
        page.wait_for_timeout(250)
    raise AssertionError(f"{pattern!r} never appeared; the text is {locator.inner_text()!r}")


def test_upload_through_the_page_changes_the_image_and_a_bad_file_is_explained(lab, narrow_page, artifacts,
                                                                               make_notebook):
    page = narrow_page
    make_notebook("upload.ipynb", [SETUP, "from helpers.explorers import ConvolutionExplorer",
                                   "ConvolutionExplorer()"])
    panel = _open_and_run_all(page, lab, "upload.ipynb")
    status = panel.locator(".cnn-status").first
    figure = panel.locator(".cnn-figure").first
    before_status, before_figure = status.inner_text(), figure.screenshot()
    button = panel.locator(".cnn-control-upload").first

    def choose(name, content):
        """Click the upload button and pick a file in the dialog, as a student does.

        ipywidgets' FileUpload keeps its <input type=file> outside the page (the button clicks it), so the
        dialog is answered through Playwright's file chooser, which sets that input's files.
        """
        with page.expect_file_chooser() as chooser:
            button.click()
        chooser.value.set_files(files=[{"name": name, "mimeType": "image/png", "buffer": content}])

    choose("my_photo.png", _png())
    _wait_for_text(page, status, r"output 46 x 62 x 1")  # 120 x 160 shrunk to 48 x 64, a 3 x 3 kernel: 46 x 62
    wait_idle(page, lab, panel, path="upload.ipynb")
    page.wait_for_timeout(500)
    assert status.inner_text() != before_status
    assert figure.screenshot() != before_figure, "the uploaded photo is drawn"
    chosen = panel.locator(".cnn-control-image select").first
    assert chosen.evaluate("e => e.options[e.selectedIndex].text.replace(/\u00a0/g, ' ')") == "uploaded: my_photo.png"
    assert "48 x 64" in panel.locator(".cnn-upload-note").first.inner_text()
    panel.locator(".cnn-explorer").first.screenshot(path=str(artifacts / "narrow_upload_photo.png"))
    shown = figure.screenshot()

    choose("notes.png", b"these are my notes, not a picture")
    text = _wait_for_text(page, status, r"Could not use that upload")
    assert "notes.png" in text and "not an image" in text
    wait_idle(page, lab, panel, path="upload.ipynb")
    page.wait_for_timeout(500)
    assert figure.screenshot() == shown, "a refused file leaves the picture as it was"
    assert chosen.evaluate("e => e.options[e.selectedIndex].text.replace(/\u00a0/g, ' ')") == "uploaded: my_photo.png"
    panel.locator(".cnn-explorer").first.screenshot(path=str(artifacts / "narrow_upload_refused.png"))
    errors = panel.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
    assert "Traceback" not in " ".join(errors.all_inner_texts())
