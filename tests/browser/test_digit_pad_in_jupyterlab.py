"""DigitPad in a real JupyterLab: test-set digits replayed as real mouse strokes must be read correctly.

The notebook (written by the test into the server's temporary folder) trains LeNet-5 as lesson 08 trains its
pad's network (the training digits and their traced copies, all shifted; 5 epochs of Adam) and shows a pad. The
test traces ten test digits as strokes (:func:`helpers.data.strokes_from_image`) and draws each with Playwright's
mouse over the canvas, then reads the prediction the page shows. The network never saw these
digits; drawing goes through the browser, the comm messages and the kernel's own rasterisation.
"""

from __future__ import annotations

import re

import pytest

from helpers.data import load_digits_32, strokes_from_image

pytest.importorskip("playwright.sync_api")

from test_explorers_in_jupyterlab import _open_and_run_all  # noqa: E402 - the same Run All steps

TRAIN = """\
import math
import numpy as np
import keras
from helpers.data import digit_from_strokes, load_digits_32, strokes_from_image
from helpers.explorers import DigitPad
from helpers.models import lenet5

digits = load_digits_32()
traced = np.stack([digit_from_strokes(strokes_from_image(x)) for x in digits.x_train])
x_train, y_train = np.concatenate([digits.x_train, traced]), np.concatenate([digits.y_train, digits.y_train])
moves = [(0, 0), (2, 0), (-2, 0), (0, 2), (0, -2)]
x_aug = np.concatenate([np.roll(x_train, m, axis=(1, 2)) for m in moves])
y_aug = np.tile(y_train, len(moves))
keras.utils.set_random_seed(0)
model = lenet5()
steps = 5 * math.ceil(len(x_aug) / 128)
model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(5e-3, steps)),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_aug, y_aug, epochs=5, batch_size=128, verbose=0)
print("test accuracy", model.evaluate(digits.x_test, digits.y_test, verbose=0)[1])
"""

DIGITS = 10


def _draw(page, box, strokes, size=280):
    sx, sy = box["width"] / size, box["height"] / size
    for stroke in strokes:
        x0, y0 = stroke[0]
        page.mouse.move(box["x"] + x0 * sx, box["y"] + y0 * sy)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * sx, box["y"] + y * sy)
        page.mouse.up()


@pytest.mark.timeout(900)
def test_digit_pad_reads_test_digits_drawn_with_the_mouse(lab, page, artifacts, make_notebook):
    make_notebook("digit_pad.ipynb", [TRAIN, "pad = DigitPad(model)\npad"])
    page.set_default_timeout(300_000)  # Run All trains LeNet-5 first
    panel = _open_and_run_all(page, lab, "digit_pad.ipynb", timeout=300)
    page.set_default_timeout(90_000)
    canvas = panel.locator("canvas.cnn-pad-canvas, .cnn-pad-canvas canvas").first
    canvas.scroll_into_view_if_needed()
    status = panel.locator(".cnn-digit-pad .cnn-status").first
    prediction = panel.locator(".cnn-pad-prediction").first
    assert status.inner_text() == "draw a digit"
    assert "draw a digit" in prediction.inner_text()
    assert panel.locator(".cnn-digit-pad .cnn-figure").first.is_visible()

    split = load_digits_32()
    right, seen = 0, []
    for i in range(DIGITS):
        strokes = strokes_from_image(split.x_test[i], size=280)
        box = canvas.bounding_box()
        _draw(page, box, strokes)
        n = len(strokes)
        page.wait_for_function(
            "([el, n]) => el.innerText.includes(`· ${n} stroke`)", arg=[status.element_handle(), n])
        digit = int(panel.locator(".cnn-pad-digit").first.inner_text())
        seen.append((int(split.y_test[i]), digit))
        right += digit == split.y_test[i]
        if i == 0:
            panel.locator(".cnn-digit-pad").first.screenshot(path=str(artifacts / "digit_pad_drawn.png"))
        panel.locator(".cnn-pad-clear").first.click()
        page.wait_for_function("el => el.innerText === 'draw a digit'", arg=status.element_handle())
    print(f"digit pad in the browser: {right} of {DIGITS} read correctly (true, shown): {seen}")
    assert right >= 8, f"only {right} of {DIGITS} digits read correctly (true, shown): {seen}"
    assert "draw a digit" in prediction.inner_text()
    errors = panel.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
    assert not any(re.search("Traceback|Error", t) for t in errors.all_inner_texts())
