"""Every explorer, opened in a real JupyterLab and driven through the page like a student would.

For each explorer the test writes a small notebook that shows it, runs all cells, changes one control with the
keyboard (or a dropdown/button), and checks that the status text and the rendered figure both change.
Screenshots of each explorer are saved in tests/browser/artifacts/.
"""

from __future__ import annotations

import re
import time

import pytest

PlaywrightTimeout = pytest.importorskip("playwright.sync_api").TimeoutError

SETUP = "import numpy as np\nnp.random.seed(0)"

# name -> (cells that show the explorer, how to change it: (kind, control name, value)); controls carry the CSS
# class cnn-control-<name>, the picture is .cnn-figure (the layer calculator shows a table, .cnn-table).
CASES = {
    "convolution": (["from helpers.explorers import ConvolutionExplorer", "ConvolutionExplorer()"],
                    ("slider", "stride", None)),
    "pooling": (["from helpers.explorers import PoolingExplorer", "PoolingExplorer()"],
                ("dropdown", "mode", "average")),
    "receptive_field": (["from helpers.explorers import ReceptiveFieldExplorer", "ReceptiveFieldExplorer()"],
                        ("slider", "kernel_1", None)),
    "layer_stack": (["from helpers.explorers import LayerStackCalculator", "LayerStackCalculator()"],
                    ("dropdown", "preset", "VGG-16")),
    "feature_maps": ([
        "import keras\nfrom helpers.explorers import FeatureMapViewer\nkeras.utils.set_random_seed(0)\n"
        "model = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Conv2D(4, 3, name='conv_a'),\n"
        "    keras.layers.MaxPooling2D(name='pool_a'), keras.layers.Conv2D(6, 3, name='conv_b')])\n"
        "image = np.random.rand(16, 16, 1).astype('float32')",
        "FeatureMapViewer(model, image)"], ("slider", "channel", None)),
    # an untrained LeNet-5: what is tested is the page's round trip, not what the maps mean
    "explanation": ([
        "import keras\nfrom helpers.data import load_digits_32\nfrom helpers.explorers import ExplanationExplorer\n"
        "from helpers.models import lenet5\nkeras.utils.set_random_seed(0)\ndigits = load_digits_32()",
        "ExplanationExplorer(lenet5(), digits.x_test[:4], digits.y_test[:4])"], ("slider", "image", None)),
}


def _panel(page):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")


def _kernel_states(lab, path=None):
    """Execution states of the server's kernels (only the kernel of notebook ``path``, when given)."""
    import json
    import urllib.request

    with urllib.request.urlopen(f"{lab['url']}/api/sessions?token={lab['token']}", timeout=10) as r:
        sessions = json.load(r)
    return [s["kernel"]["execution_state"] for s in sessions
            if s.get("kernel") and (path is None or s.get("path") == path)]


def wait_idle(page, lab, panel, path=None, timeout=90):
    """Wait until the kernel is idle and no cell of ``panel`` is queued or running ("[*]").

    The kernel's state comes from the server (``/api/sessions``: the notebook ``path``'s kernel, or every
    kernel), not from the toolbar's execution indicator: on a narrow page with more toolbar buttons (nbgrader's
    Validate, in an instructor's environment) JupyterLab moves that indicator into the toolbar's overflow menu,
    out of the page, and a wait for it never ends. Two readings 200 ms apart must agree.
    """
    deadline, calm = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        states = _kernel_states(lab, path)
        prompts = panel.locator(".jp-InputArea-prompt").all_inner_texts()
        busy = (path is not None and not states) or any(s != "idle" for s in states) or any("*" in p for p in prompts)
        calm = 0 if busy else calm + 1
        if calm >= 2:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"the kernel did not become idle in {timeout} s (kernel states {states}, prompts {prompts})")


def _start_run_all(page, lab, name):
    """Open a notebook of the server's folder, accept the kernel, choose Run All Cells; return the panel."""
    page.goto(f"{lab['url']}/lab/tree/{name}?token={lab['token']}&reset")
    panel = _panel(page)
    panel.locator(".jp-Notebook").first.wait_for()
    # JupyterLab may ask which kernel to start; accept its (preselected) Python 3 kernel.
    accept = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        accept.wait_for(timeout=5_000)
        accept.click()
    except PlaywrightTimeout:
        pass
    wait_idle(page, lab, panel, path=name)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    return panel


def _open_and_run_all(page, lab, name, timeout=90):
    panel = _start_run_all(page, lab, name)
    panel.locator(".cnn-status").first.wait_for()
    wait_idle(page, lab, panel, path=name, timeout=timeout)
    return panel


def _control(panel, name):
    """The control widget called ``name`` in the explorer's ``.controls``."""
    return panel.locator(f".cnn-control-{name}").first


def _picture(panel, name):
    return panel.locator(".cnn-table" if name == "layer_stack" else ".cnn-figure").first


def _wait_for_change(page, locator, before, timeout=60):
    for _ in range(timeout * 4):
        if locator.inner_text() != before:
            return locator.inner_text()
        page.wait_for_timeout(250)
    raise AssertionError(f"the state text did not change from {before!r}")


@pytest.mark.parametrize("name", list(CASES))
def test_explorer_responds_to_the_page(name, lab, page, artifacts, make_notebook):
    cells, (kind, label, value) = CASES[name]
    make_notebook(f"{name}.ipynb", [SETUP, *cells])
    panel = _open_and_run_all(page, lab, f"{name}.ipynb")
    status = panel.locator(".cnn-status").first
    picture = _picture(panel, name)
    status_before, figure_before = status.inner_text(), picture.screenshot()
    panel.locator(".cnn-explorer").first.screenshot(path=str(artifacts / f"{name}_before.png"))

    control = _control(panel, label)
    if kind == "slider":
        control.locator(".noUi-handle").click()
        page.keyboard.press("ArrowRight")
    elif kind == "dropdown":
        control.locator("select").select_option(label=value)
    status_after = _wait_for_change(page, status, status_before)
    wait_idle(page, lab, panel, path=f"{name}.ipynb")
    page.wait_for_timeout(500)
    figure_after = picture.screenshot()
    panel.locator(".cnn-explorer").first.screenshot(path=str(artifacts / f"{name}_after.png"))

    assert status_after != status_before
    assert figure_after != figure_before, "the figure must be redrawn after the control changed"
    errors = panel.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
    assert "Traceback" not in " ".join(errors.all_inner_texts())


@pytest.mark.timeout(900)
@pytest.mark.parametrize("stem", ["00_start_here", "03_stride_and_padding", "08_lenet5", "15_transfer_learning",
                                  "16_what_the_network_sees"])
def test_run_all_on_a_student_notebook_reaches_the_end(stem, lab, page, artifacts):
    """A student opens the student edition and runs everything without answering: no error, checks wait.

    JupyterLab renders only the cells in view, so the result is read from the notebook saved by the page.
    JupyterLab runs every code cell, whatever `skip-execution` says (jupyterlab#12323): 08 trains, 15 and 16
    train and explain, so these lessons show that nothing a student must not run sits in a code cell.
    """
    import json
    import shutil
    import time
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    (lab["root"] / "notebooks").mkdir(exist_ok=True)
    saved = lab["root"] / "notebooks" / f"{stem}.ipynb"
    shutil.copy(repo / "notebooks" / f"{stem}.ipynb", saved)
    shutil.copytree(repo / "images", lab["root"] / "images", dirs_exist_ok=True)
    panel = _start_run_all(page, lab, f"notebooks/{stem}.ipynb")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:  # save until every code cell of the saved file has run
        page.wait_for_timeout(3_000)
        if any(state != "idle" for state in _kernel_states(lab, f"notebooks/{stem}.ipynb")):
            continue
        before = saved.stat().st_mtime
        panel.click(position={"x": 5, "y": 5})
        page.keyboard.press("Control+s")
        for _ in range(40):
            if saved.stat().st_mtime != before:
                break
            page.wait_for_timeout(250)
        nb = json.loads(saved.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        if all(c.get("execution_count") for c in code):
            break
        if any(o.get("output_type") == "error" for c in code for o in c.get("outputs", [])):
            break  # Run All stops at an error: the assertion below names it
    else:
        raise AssertionError("Run All did not reach the last cell in 600 s")
    panel.screenshot(path=str(artifacts / f"student_{stem}.png"))
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"Run All on a student notebook failed: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    text = "".join(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"])
                   for c in code for o in c.get("outputs", []))
    assert text.count("not attempted yet") >= 3, "every self-check waits for an answer"
    assert "✅" not in text, "nothing is answered in a fresh student notebook"
