"""How long a student waits in a real JupyterLab: from a key press (or the end of a pen stroke) to the new picture.

For each explorer the script writes a small notebook into a private JupyterLab server (the browser tests' own,
see ``tests/browser/conftest.py``), runs it in headless Chromium (Debian's ``/usr/bin/chromium`` driven by the
``playwright`` pip package), focuses one slider handle and presses ArrowRight / ArrowLeft alternately, at least
30 times. A listener installed in the page notes ``performance.now()`` at the key press (for the digit pad: at
the mouse-up that ends a stroke) and again when the explorer's new image has loaded and the next frame is
about to be painted (the layer calculator shows a table: a ``MutationObserver`` on it; its key press is an
arrow key in the focused "input height" box, which sends the new value at once). The interval covers
the comm message to the kernel, the update itself, the PNG's trip back and its decoding.

The same control changes are then timed headless in this process with ``benchmarks/explorer_latency.py``
(kernel-side time: compute, draw, encode), and the table shows both with their ratio: what the browser and the
messages add.

Goal on a 2-core laptop: median <= 100 ms, p95 <= 250 ms. Run: ``python benchmarks/browser_latency.py``
(options ``--repeats N``, default 30; ``--only NAME``). Timings depend on the load of the machine: the load
average is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests" / "browser"))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

GOAL_MEDIAN_MS = 100.0
GOAL_P95_MS = 250.0

SETUP = "import numpy as np\nnp.random.seed(0)"
LENET = ("from helpers.models import lenet5\nfrom helpers.data import digit_image\n"
         "model = lenet5()  # untrained: the cost of a prediction does not depend on the weights")

BASELINE = """\
import ipywidgets as widgets
slider = widgets.IntSlider(value=0, min=0, max=10, continuous_update=False)
slider.add_class("cnn-control-value")
text, status = widgets.HTML("value 0"), widgets.HTML("status")
text.add_class("cnn-table")
status.add_class("cnn-status")
slider.observe(lambda change: setattr(text, "value", f"value {change['new']}"), names="value")
box = widgets.VBox([slider, text, status])
box.add_class("cnn-explorer")
box"""


def _baseline_kernel(repeats):
    import ipywidgets as widgets

    slider, text = widgets.IntSlider(value=0, min=0, max=10), widgets.HTML()
    slider.observe(lambda change: setattr(text, "value", f"value {change['new']}"), names="value")
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        slider.value = (i + 1) % 2
        times.append((time.perf_counter() - t0) * 1000)
    return times


# name -> (notebook cells, how the page changes it: ("slider", control) / ("text", control) / ("pad", None),
#          kernel-side case: (factory name in explorer_latency or a callable, control, values))
CASES = {
    "ConvolutionExplorer": (["from helpers.explorers import ConvolutionExplorer", "ConvolutionExplorer()"],
                            ("slider", "step"), ("conv_grid", "step", [0, 1])),
    "PoolingExplorer": (["from helpers.explorers import PoolingExplorer", "PoolingExplorer()"],
                        ("slider", "step"), ("pool_grid", "step", [0, 1])),
    "ReceptiveFieldExplorer": (["from helpers.explorers import ReceptiveFieldExplorer", "ReceptiveFieldExplorer()"],
                               ("slider", "kernel_1"), ("rf", "kernel_1", [3, 4])),
    "LayerStackCalculator": (["from helpers.explorers import LayerStackCalculator", "LayerStackCalculator()"],
                             ("text", "input_height"), ("stack_default", "input_height", [32, 33])),
    "FeatureMapViewer": ([LENET, "from helpers.explorers import FeatureMapViewer\n"
                          "FeatureMapViewer(model, digit_image(0, size=32)[..., None])"],
                         ("slider", "channel"), ("feature_maps", "channel", [0, 1])),
    "ExplanationExplorer": ([LENET, "from helpers.data import load_digits_32\n"
                             "from helpers.explorers import ExplanationExplorer\ndigits = load_digits_32()\n"
                             "ExplanationExplorer(model, digits.x_test[:8], digits.y_test[:8])"],
                            ("slider", "image"), ("explanations", "image", [0, 1])),
    "DigitPad": ([LENET, "from helpers.explorers import DigitPad\nDigitPad(model)"], ("pad", None), None),
    # where the time goes: a dot (mouse down and up, no moves to replay) and a plain slider whose observer
    # only changes a text (the floor of a round trip through the comm messages, no picture)
    "DigitPad (dot)": ([LENET, "from helpers.explorers import DigitPad\nDigitPad(model)"], ("dot", None), None),
    "baseline": ([BASELINE], ("slider", "value"), None),
}

# Installed in the page: arm() before an action, then the key press / mouse-up starts the clock and the next
# loaded picture (or changed table) stops it at the following animation frame.
INSTRUMENT = """
(root) => {
  const L = window.__lat = {armed: false, t0: null, samples: [], sizes: []};
  const start = () => { if (L.armed && L.t0 === null) { L.t0 = performance.now(); } };
  document.addEventListener('keydown', start, true);
  document.addEventListener('mouseup', start, true);
  const done = (size) => {
    if (L.t0 === null) return;
    const t0 = L.t0;
    L.t0 = null; L.armed = false;
    requestAnimationFrame(() => { L.samples.push(performance.now() - t0); L.sizes.push(size); });
  };
  const img = root.querySelector('img.cnn-figure');
  if (img) {
    img.addEventListener('load', () => done(img.naturalWidth * img.naturalHeight));
  } else {
    const table = root.querySelector('.cnn-table');
    new MutationObserver(() => done(0)).observe(table, {childList: true, subtree: true, characterData: true});
  }
  return !!img;
}
"""


def _percentile(values, q):
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _kernel_side(name, repeats):
    import explorer_latency as el

    from helpers.explorers import LayerStackCalculator

    if name == "DigitPad":
        times, _ = el.time_pad_strokes(el.digit_pad(), repeats)
        return times
    if name == "DigitPad (dot)":
        times, _ = el.time_pad_strokes(el.digit_pad(), repeats, stroke=el.pad_stroke()[:1])
        return times
    if name == "baseline":
        return _baseline_kernel(repeats)
    factory_name, control, values = CASES[name][2]
    builders = {f.__name__: f for _, f, _, _ in el._cases()}
    builders["stack_default"] = LayerStackCalculator
    times, _ = el.time_updates(builders[factory_name](), control, values, repeats)
    return times


def _browser_side(page, lab, name, repeats):
    from test_explorers_in_jupyterlab import _open_and_run_all, wait_idle

    from conftest import write_notebook

    cells, (kind, control), _ = CASES[name]
    write_notebook(lab["root"] / f"{name}.ipynb", [SETUP, *cells])
    panel = _open_and_run_all(page, lab, f"{name}.ipynb")
    root = panel.locator(".cnn-explorer").first
    root.scroll_into_view_if_needed()
    root.evaluate(INSTRUMENT)
    if kind == "slider":
        handle = panel.locator(f".cnn-control-{control} .noUi-handle").first
        handle.click()
    elif kind == "text":
        panel.locator(f".cnn-control-{control} input").first.click()
    else:
        from explorer_latency import pad_stroke

        canvas = panel.locator(".cnn-pad-canvas").first
        stroke = pad_stroke() if kind == "pad" else pad_stroke()[:1]
    wait_idle(page, lab, panel, path=f"{name}.ipynb")
    page.wait_for_timeout(500)
    for i in range(repeats + 1):  # the first change is a warm-up
        count = page.evaluate("window.__lat.samples.length")
        if kind in ("pad", "dot"):
            b = canvas.bounding_box()
            sx, sy = b["width"] / 280, b["height"] / 280
            page.mouse.move(b["x"] + stroke[0][0] * sx, b["y"] + stroke[0][1] * sy)
            page.mouse.down()
            for x, y in stroke[1:]:
                page.mouse.move(b["x"] + x * sx, b["y"] + y * sy)
            page.evaluate("window.__lat.armed = true")
            page.mouse.up()
        else:
            if kind == "text":  # a number box sends its new value at each arrow key
                page.evaluate("window.__lat.armed = true")
                page.keyboard.press("ArrowUp" if i % 2 == 0 else "ArrowDown")
            else:
                page.evaluate("window.__lat.armed = true")
                page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        page.wait_for_function(f"window.__lat.samples.length > {count}", timeout=30_000)
        wait_idle(page, lab, panel, path=f"{name}.ipynb")
        if kind in ("pad", "dot"):  # remove the stroke again (not timed), so every stroke reads the same drawing
            page.evaluate("window.__lat.armed = false")
            status = panel.locator(".cnn-digit-pad .cnn-status").first
            panel.locator(".cnn-pad-undo").first.click()
            page.wait_for_function("el => el.innerText === 'draw a digit'", arg=status.element_handle())
            wait_idle(page, lab, panel, path=f"{name}.ipynb")
        page.wait_for_timeout(50)
    samples = page.evaluate("window.__lat.samples")[1:]
    sizes = page.evaluate("window.__lat.sizes")
    page.keyboard.press("Escape")
    return samples, max(sizes) if sizes else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="changes per explorer (default 30)")
    parser.add_argument("--only", action="append", choices=list(CASES), help="measure only this explorer")
    args = parser.parse_args(argv)
    names = args.only or list(CASES)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    from playwright.sync_api import sync_playwright

    from conftest import CHROMIUM, CHROMIUM_ARGS, running_lab

    load_before = os.getloadavg()
    browser_rows = {}
    with tempfile.TemporaryDirectory() as tmp, running_lab(Path(tmp)) as lab, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name in names:
            context = browser.new_context(viewport={"width": 1600, "height": 1200})
            page = context.new_page()
            page.set_default_timeout(120_000)
            t0 = time.perf_counter()
            browser_rows[name] = _browser_side(page, lab, name, args.repeats)
            print(f"  {name}: {len(browser_rows[name][0])} changes measured in {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr)
            context.close()
        browser.close()
    kernel_rows = {name: _kernel_side(name, args.repeats) for name in names}
    load_after = os.getloadavg()

    print(f"{'explorer':<24} {'action':<26} {'n':>3} {'browser median':>14} {'p95':>7} {'kernel median':>13} "
          f"{'ratio':>6} {'PNG px':>8}")
    met = True
    for name in names:
        samples, pixels = browser_rows[name]
        kernel = kernel_rows[name]
        kind, control = CASES[name][1]
        action = {"pad": "stroke end (mouse up)", "dot": "dot (down + up)"}.get(kind, f"{control} (arrow key)")
        med, p95, kmed = statistics.median(samples), _percentile(samples, 95), statistics.median(kernel)
        met &= med <= GOAL_MEDIAN_MS and p95 <= GOAL_P95_MS
        print(f"{name:<24} {action:<26} {len(samples):3d} {med:11.1f} ms {p95:7.1f} {kmed:10.1f} ms {med / kmed:6.1f} "
              f"{pixels:8d}")
    print(f"\nload average (1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after; cpu count {os.cpu_count()}")
    print(f"goal: median <= {GOAL_MEDIAN_MS:.0f} ms and p95 <= {GOAL_P95_MS:.0f} ms for every explorer: "
          f"{'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
