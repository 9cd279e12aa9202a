"""Interactive explorers for the notebooks (ipywidgets): thin wiring of ``shapes``/``conv`` + ``plotting``.

Each explorer computes with :mod:`helpers.shapes` and :mod:`helpers.conv`, draws with a view from
:mod:`helpers.plotting` (one figure updated in place and shown as a PNG in an ``ipywidgets.Image``), and
exposes the same handles so tests and notebooks can drive it without a browser:

``.controls``
    dict name -> widget (set ``.value`` and the explorer updates at once, synchronously);
``.widget``
    the root widget; the explorer also displays itself as the last expression of a cell;
``.status``
    an HTML widget (CSS class ``cnn-status``) whose text always describes what is shown;
``.state``
    a dict of plain values describing what is shown, including ``"problem"``: ``None`` or the
    explanation shown instead of a picture (bad settings never raise);
``update()``
    recompute and redraw (called by every control).

:class:`ConvolutionExplorer` and :class:`PoolingExplorer` also take the student's own photo through an upload
button (``controls["upload"]``, decoded by :func:`helpers.data.image_from_bytes`): it becomes a choice of the
image dropdown, and a file that cannot be used is explained in ``.status`` and changes nothing else.

Every row of controls wraps onto the next line when the page is narrow (a 1024 px laptop or projector with
JupyterLab's file browser open leaves about 590 px for an output), so no control is cut off.

Explorers: :class:`ConvolutionExplorer`, :class:`PoolingExplorer`, :class:`ReceptiveFieldExplorer`,
:class:`LayerStackCalculator`, :class:`FeatureMapViewer`, :class:`ExplanationExplorer`, :class:`DigitPad`. Slider
specifications live once in :data:`SLIDERS` and are shared by all of them. Importing this module never imports
TensorFlow (``FeatureMapViewer``, ``ExplanationExplorer``, ``DigitPad`` and ``LayerStackCalculator.compare_with_keras``
load :mod:`helpers.models` lazily; ``DigitPad`` imports ipycanvas when it is built).
"""

from __future__ import annotations

import contextlib
import html
from functools import partial

import ipywidgets as widgets
import numpy as np

from helpers import conv, plotting, shapes
from helpers._validate import require_array, require_choice, require_positive_int

__all__ = [
    "SLIDERS",
    "KERNEL_PRESETS",
    "NETWORK_PRESETS",
    "preset_kernel",
    "ConvolutionExplorer",
    "PoolingExplorer",
    "ReceptiveFieldExplorer",
    "LayerStackCalculator",
    "FeatureMapViewer",
    "UPLOAD_ACCEPT",
    "ExplanationExplorer",
    "DigitPad",
]

_STYLE = {"description_width": "initial"}


def _int_slider(description, value, min, max, tooltip=None, continuous_update=False, width="230px"):
    """One ``IntSlider`` with the course's defaults (no redraw storm while dragging)."""
    return widgets.IntSlider(value=value, min=min, max=max, step=1, description=description,
                             continuous_update=continuous_update, tooltip=tooltip, style=_STYLE,
                             layout=widgets.Layout(width=width))


def _dropdown(description, options, value=None, tooltip=None, width="230px"):
    options = list(options)
    return widgets.Dropdown(options=options, value=options[0] if value is None else value,
                            description=description, tooltip=tooltip, style=_STYLE,
                            layout=widgets.Layout(width=width))


#: Factories for the controls every explorer shares; call one to get a fresh widget
#: (keyword arguments override the defaults, e.g. ``SLIDERS["stride"](value=2)``).
SLIDERS = {
    "kernel_size": partial(_int_slider, description="kernel size", value=3, min=1, max=7,
                           tooltip="height and width of the kernel (k x k)"),
    "stride": partial(_int_slider, description="stride", value=1, min=1, max=4,
                      tooltip="how many pixels the window moves each step"),
    "dilation": partial(_int_slider, description="dilation", value=1, min=1, max=3,
                        tooltip="gap between kernel taps (1 = ordinary kernel)"),
    "padding": partial(_dropdown, description="padding", options=["valid", "same", 0, 1, 2],
                       tooltip='zeros around the input: "valid" none, "same" keeps the size (stride 1), '
                               "or a number of zeros on each side"),
    "pool_size": partial(_int_slider, description="pool size", value=2, min=1, max=4,
                         tooltip="height and width of the pooling window"),
    "pool_stride": partial(_int_slider, description="stride", value=2, min=1, max=4,
                           tooltip="step of the pooling window (Keras default: the pool size)"),
    "pool_padding": partial(_dropdown, description="padding", options=["valid", "same"],
                            tooltip='"valid": only whole windows; "same": pad so every pixel is covered'),
    "step": partial(_int_slider, description="step", value=0, min=0, max=0,
                    tooltip="which output cell is being computed (row by row)", width="340px"),
    "filters": partial(_int_slider, description="filters", value=1, min=1, max=4,
                       tooltip="number of kernels = channels of the output"),
    "shift": partial(_int_slider, description="shift (px)", value=0, min=0, max=4,
                     tooltip="move the input this many pixels to the right"),
    "unit": partial(_int_slider, description="output unit", value=0, min=0, max=0,
                    tooltip="which unit of the last layer (row = column)"),
    "layer_count": partial(_int_slider, description="layers", value=3, min=1, max=6,
                           tooltip="number of stacked layers"),
}


def _play(interval=700):
    return widgets.Play(value=0, min=0, max=0, step=1, interval=interval, description="play",
                        tooltip="animate the sliding window", show_repeat=True)


def _row(children, **layout):
    """A horizontal box whose children wrap onto the next line when the page is too narrow for them."""
    layout = {"flex_flow": "row wrap", "align_items": "center", "max_width": "100%", **layout}
    return widgets.HBox(list(children), layout=widgets.Layout(**layout))


#: What the upload button offers in the file dialog (broad on purpose: the decoder explains the files it refuses).
UPLOAD_ACCEPT = ".png,.jpg,.jpeg,.gif,.bmp,.webp,image/*"


def _upload_button():
    return widgets.FileUpload(accept=UPLOAD_ACCEPT, multiple=False, description="your photo", icon="upload",
                              tooltip="use your own PNG or JPEG photo, up to 10 MB (JupyterLab drops larger "
                                      "uploads on the way); it is shrunk to at most 64 x 64 pixels",
                              layout=widgets.Layout(width="auto"))


def _html(css_class, value=""):
    w = widgets.HTML(value=value)
    w.add_class(css_class)
    return w


def _esc(text):
    return html.escape(str(text))


# --------------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------------

#: Kernel presets of :class:`ConvolutionExplorer` ("custom" appears as soon as a value is edited).
KERNEL_PRESETS = ("identity", "vertical edge", "horizontal edge", "box blur", "sharpen", "random", "custom")


def preset_kernel(name, kernel_size=3, seed=0):
    """A k x k kernel for one of :data:`KERNEL_PRESETS` (except "custom").

    Parameters
    ----------
    name : str
        "identity", "vertical edge", "horizontal edge", "box blur", "sharpen" or "random".
    kernel_size : int, optional
        k.
    seed : int, optional
        Seed for "random" (values rounded to one decimal so they are easy to read).

    Returns
    -------
    numpy.ndarray
        ``(k, k)`` float.

    Examples
    --------
    >>> preset_kernel("vertical edge")
    array([[ 1.,  0., -1.],
           [ 1.,  0., -1.],
           [ 1.,  0., -1.]])
    >>> preset_kernel("sharpen")[1]
    array([-1.,  5., -1.])
    >>> preset_kernel("identity", 4)[1, 1], preset_kernel("box blur", 2).sum()
    (np.float64(1.0), np.float64(1.0))
    """
    name = require_choice("name", name, KERNEL_PRESETS[:-1])
    k = require_positive_int("kernel_size", kernel_size)
    centre = (k - 1) // 2
    identity = np.zeros((k, k))
    identity[centre, centre] = 1.0
    if name == "identity":
        return identity
    if name in ("vertical edge", "horizontal edge"):
        row = np.linspace(1.0, -1.0, k) if k > 1 else np.zeros(1)
        kernel = np.tile(row, (k, 1))
        return kernel if name == "vertical edge" else kernel.T.copy()
    if name == "box blur":
        return np.full((k, k), 1.0 / (k * k))
    if name == "sharpen":
        if k == 3:
            return np.array([[0.0, -1, 0], [-1, 5, -1], [0, -1, 0]])
        return 2 * identity - np.full((k, k), 1.0 / (k * k))
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(0, 1, (k, k)), 1)


def _to_gray(rgb):
    """Luminance of an (H, W, 3) image (ITU-R 709 weights, as scikit-image)."""
    return rgb @ np.array([0.2125, 0.7154, 0.0721])


def _named_image(name):
    """The explorers' reference inputs: 2-D gray or (H, W, 3) colour arrays, small enough to stay fast."""
    from helpers import data

    if name == "grid":
        return data.small_grid("edge").astype(float)
    if name == "digit":
        return np.round(data.digit_image(0, size=8) * 16).astype(float)
    if name == "rgb":
        crop = data.load_image("chelsea")[90:150:10, 200:260:10]  # 6 x 6 colour crop, one pixel in ten
        return np.round(crop, 1)
    if name == "pool grid":
        rng = np.random.default_rng(3)
        return rng.integers(0, 10, size=(8, 8)).astype(float)
    if name == "coins":
        return data.load_image("coins", gray=True, size=(48, 64))
    if name == "astronaut":
        return data.load_image("astronaut", size=64)
    return data.load_image(name, gray=True, size=64)


# --------------------------------------------------------------------------------------------
# base class
# --------------------------------------------------------------------------------------------


class _Explorer:
    """Shared plumbing: controls -> update() -> state/status/picture; never raises on a bad setting.

    The contract of an explorer, in the order its ``__init__`` follows:

    1. set ``self.controls``: a dict name -> widget (``SLIDERS`` makes the shared ones);
    2. call ``self._setup(view)`` with a :class:`helpers.plotting.View` (or None): it makes ``status``,
       ``warning``, ``figure`` (the PNG) and ``state``;
    3. set ``self.widget``: the root box, laid out from the controls and those widgets;
    4. call ``self._observe()``: every control with a ``value`` then calls :meth:`update` when it changes;
    5. call ``self.update()`` once to draw the first picture.

    :meth:`update` runs ``_sync_controls()`` (adjust ranges and options), then ``_compute()``, which by
    default is three steps a subclass fills in:

    ``_step() -> dict``
        the maths: compute with :mod:`helpers.shapes` / :mod:`helpers.conv`, update ``self.state``, return
        a plain dict whose keys include the names of the view's ``update`` parameters. Raise ValueError or
        TypeError for a bad combination: the message is shown instead of a picture.
    ``_describe(step)``
        the words: ``self.status.value``, ``self._set_warning(...)`` and any HTML, from ``step``.
    ``_draw(step)``
        the picture: ``self.view.show(step)`` by default.

    Changing controls from inside an explorer goes through ``with self._quiet():`` so that it does not
    trigger :meth:`update` again.
    """

    _observe_skip = ("play", "upload")

    #: Explorers with an upload button: the decoder's mode and the working size of an uploaded photo.
    UPLOAD_MODE = "gray"
    UPLOAD_SIZE = 64
    MAX_UPLOADS = 4

    def _setup(self, view=None):
        self.status = _html("cnn-status")
        self.warning = _html("cnn-warning")
        self.warning.layout.display = "none"
        self.view = view
        self.figure = widgets.Image(format="png")
        self.figure.add_class("cnn-figure")
        if view is not None:
            w, _h = view.size_px
            # height follows the width: a narrow page shrinks the whole picture instead of cutting it
            # (no side margins, so "100%" is the whole width and not 4 px more)
            self.figure.layout = widgets.Layout(width=f"{w}px", height="auto", max_width="100%",
                                                object_fit="contain", margin="2px 0px")
        self.state = {"problem": None}
        self._busy = False

    @contextlib.contextmanager
    def _quiet(self):
        """Within this block, control changes do not call :meth:`update` (the caller updates once after)."""
        busy, self._busy = self._busy, True
        try:
            yield
        finally:
            self._busy = busy

    def _observe(self):
        for name, w in self.controls.items():
            w.add_class(f"cnn-control-{name}")  # stable hook for browser tests: .cnn-control-stride
            if name in self._observe_skip or not hasattr(w, "value"):
                continue
            w.observe(self._on_change, names="value")
        if "upload" in self.controls:
            self.controls["upload"].observe(self._on_upload, names="value")

    # -- the student's own photo ----------------------------------------------------------------
    def _setup_uploads(self):
        """Call in ``__init__`` of an explorer with ``controls["upload"]`` and ``controls["image"]``."""
        self._uploads = {}  # dropdown label -> (decoded image, notes), oldest first
        self._base_images = list(self.controls["image"].options)
        self.upload_note = _html("cnn-upload-note")
        self.upload_note.layout.display = "none"
        self.upload_notes = []  # what was converted in the uploaded photo on show, in plain words

    def _on_upload(self, change):
        if self._busy or not change["new"]:
            return  # our own clearing of the button (below), or nothing chosen
        try:
            label, image, notes = self._read_upload(change["new"])
        except (ValueError, TypeError) as exc:
            self._refuse_upload(str(exc))
        else:
            self._use_upload(label, image, notes)
        finally:
            with self._quiet():  # free the file's bytes; the same file can be chosen again
                self.controls["upload"].value = ()

    def _read_upload(self, files):
        """(dropdown label, image, notes) from a ``FileUpload`` value; ValueError when the file cannot be used."""
        from helpers import data

        if isinstance(files, dict):  # ipywidgets 7 wrote {name: {...}}
            files = list(files.values())
        files = list(files)
        if not files or not isinstance(files[0], dict):
            raise ValueError("the upload arrived without a file: choose a PNG or JPEG photo again")
        upload = files[0]
        name = str(upload.get("name") or "your file")
        content = upload.get("content")
        if content is None:
            content = b""
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise ValueError(f"the upload of {name} arrived without its content: choose the file again")
        image, notes = data.image_from_bytes(content, mode=self.UPLOAD_MODE, size=self.UPLOAD_SIZE, name=name,
                                             return_notes=True)
        short = name if len(name) <= 40 else name[:24] + "…" + name[-15:]
        if len(files) > 1:
            notes.append(f"one photo at a time: {name} is used")
        return f"uploaded: {short}", image, notes

    def _refuse_upload(self, text):
        """Say why in the status line; the picture, controls and ``state`` stay as they were."""
        shown = self.status.value
        self.status.value = (f"<b>Could not use that upload:</b> {_esc(text)}"
                             f"<br><span style='opacity:0.75'>still showing: {shown}</span>")
        self.status.add_class("cnn-upload-refused")

    def _use_upload(self, label, image, notes):
        self._uploads.pop(label, None)
        self._uploads[label] = (image, notes)
        while len(self._uploads) > self.MAX_UPLOADS:
            self._uploads.pop(next(iter(self._uploads)))
        dropdown = self.controls["image"]
        with self._quiet():
            dropdown.options = [*reversed(self._uploads), *self._base_images]
            dropdown.value = label
        self.update()

    def _show_upload_note(self):
        """Under the controls, while an uploaded photo is on show: its size and what was converted."""
        label = self.controls["image"].value
        if label not in self._uploads:
            self.upload_notes = []
            self.upload_note.layout.display = "none"
            return
        image, notes = self._uploads[label]
        self.upload_notes = [*notes, *self._upload_hints(image)]
        h, w = image.shape[:2]
        self.upload_note.value = (f"<b>{_esc(label[len('uploaded: '):])}</b>: {h} x {w} pixels"
                                  + "".join(f" · {_esc(n)}" for n in self.upload_notes))
        self.upload_note.layout.display = ""

    def _upload_hints(self, image):
        """Extra notes about how the explorer will show an uploaded image (nothing by default)."""
        return []

    def _uploaded(self, name):
        """The uploaded image called ``name`` in the dropdown, or None."""
        found = getattr(self, "_uploads", {}).get(name)
        return None if found is None else found[0]

    def _on_change(self, _change=None):
        if not self._busy:
            self.update()

    def update(self):
        """Recompute from the controls and redraw; a bad combination shows an explanation instead."""
        with self._quiet():
            self._sync_controls()
            try:
                self._compute()
            except (ValueError, TypeError) as exc:
                self._set_problem(str(exc))
            else:
                self.status.remove_class("cnn-problem")
            self.status.remove_class("cnn-upload-refused")
            if hasattr(self, "_uploads"):
                self._show_upload_note()
            self._render()

    def _sync_controls(self):
        """Adjust dependent controls (ranges, options) before computing."""

    def _compute(self):
        """The maths, then the words, then the picture (see the class docstring)."""
        step = self._step()
        self._describe(step)
        self._draw(step)

    def _step(self):  # pragma: no cover - every explorer overrides it
        raise NotImplementedError

    def _describe(self, step):
        """Status line, warning and HTML from ``step`` (nothing by default)."""

    def _draw(self, step):
        if self.view is not None:
            self.view.show(step)

    def _set_problem(self, text):
        self.state["problem"] = text
        self.status.value = f"<b>Problem:</b> {_esc(text)}"
        self.status.add_class("cnn-problem")
        self._set_warning(None)
        if self.view is not None:
            self.view.show_problem(text)

    def _set_warning(self, text):
        self.state["warning"] = text
        self.warning.value = "" if not text else f"&#9888; {_esc(text)}"
        self.warning.layout.display = "" if text else "none"

    def _render(self):
        if self.view is not None:
            self.figure.value = self.view.to_png()

    def show_only(self, *names):
        """Hide every control except ``names`` and return the explorer (so it can end a cell).

        A lesson that needs only part of an explorer shows a cut-down version: the hidden controls keep
        their values and still work from code (``ex.controls["stride"].value = 2``).

        Parameters
        ----------
        *names : str
            Keys of :attr:`controls` to keep on screen; at least one.

        Returns
        -------
        _Explorer
            ``self``.

        Raises
        ------
        ValueError
            No name given, or a name that is not a control of this explorer.

        Examples
        --------
        >>> ex = ConvolutionExplorer().show_only("play", "step")
        >>> ex.controls["stride"].layout.display, ex.controls["step"].layout.display
        ('none', '')
        """
        if not names:
            raise ValueError(f"names must name at least one control, one of {sorted(self.controls)}")
        unknown = [n for n in names if n not in self.controls]
        if unknown:
            raise ValueError(f"names must be controls of this explorer ({sorted(self.controls)}), "
                             f"got {unknown}")
        for name, control in self.controls.items():
            control.layout.display = "" if name in names else "none"
        return self

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _set_slider_max(self, slider, maximum):
        maximum = max(int(maximum), slider.min)
        if slider.value > maximum:
            slider.value = maximum
        slider.max = maximum


def _set_options(dropdown, options, fallback):
    """Change a dropdown's options keeping its value when still allowed (else ``fallback``)."""
    options = list(options)
    if list(dropdown.options) == options:
        return
    value = dropdown.value
    dropdown.options = options
    dropdown.value = value if value in options else fallback


# --------------------------------------------------------------------------------------------
# ConvolutionExplorer
# --------------------------------------------------------------------------------------------


def _image_argument(image, names, keep_colour):
    """Validate an explorer's ``image`` argument: None, one of ``names``, or an (H, W) / (H, W, 1|3) array.

    Returns (dropdown options, selected option, the student's own image or None). An array becomes the option
    "your array"; a colour array stays colour when ``keep_colour`` is true, else it is converted to gray.
    """
    if image is None:
        return list(names), "grid", None
    if isinstance(image, str):
        return list(names), require_choice("image", image, names), None
    arr = require_array("image", image, (2, 3))
    if arr.ndim == 3 and arr.shape[2] not in (1, 3):
        raise ValueError(f"image must be (H, W), (H, W, 1) or (H, W, 3), got shape {arr.shape}")
    if arr.ndim == 3:
        arr = arr[..., 0] if arr.shape[2] == 1 else (arr if keep_colour else _to_gray(arr))
    return ["your array", *names], "your array", arr


class ConvolutionExplorer(_Explorer):
    """Slide a kernel over an image: the window, the products and their sum, the output cell by cell.

    Parameters
    ----------
    image : None, str or array_like, optional
        ``None`` (the classic 6x6 edge grid), ``"camera"``, ``"astronaut"``, ``"coins"``, ``"digit"``,
        ``"rgb"`` (a 6x6 colour crop) or an array ``(H, W)`` / ``(H, W, 3)``. The student's own photo comes
        through ``controls["upload"]``: shrunk to at most 64 x 64 pixels, kept in colour (the mode decides
        whether it is convolved as one grey channel or as an RGB volume).
    kernel : str or array_like, optional
        A preset name (see :data:`KERNEL_PRESETS`) or a square ``(k, k)`` array; vertical edge by default.
    mode : {"single channel", "RGB volume"}, optional
        Default: "RGB volume" for colour inputs given as ``"rgb"`` or an ``(H, W, 3)`` array.

    Attributes
    ----------
    result : numpy.ndarray
        The current output ``(H', W', filters)``.

    Examples
    --------
    >>> ex = ConvolutionExplorer()
    >>> ex.result.shape, ex.state["output_shape"]
    ((4, 4, 1), (4, 4, 1))
    >>> ex.controls["stride"].value = 2
    >>> ex.result.shape, ex.status.value
    ((2, 2, 1), 'output 2 x 2 x 1 · 36 multiplications · step 1 of 4: row 0, col 0 · sum of products = 0')
    >>> ex.controls["kernel_size"].value = 7          # larger than the 6x6 input: explained, not raised
    >>> ex.state["problem"][:40]
    'kernel height 7 is larger than the padde'
    """

    IMAGES = ("grid", "camera", "astronaut", "coins", "digit", "rgb")
    UPLOAD_MODE = "auto"
    MODES = ("single channel", "RGB volume")
    MAX_EDIT = 5
    EXTRA_FILTERS = ("red minus green", "vertical edge on blue", "blur of all channels")

    def __init__(self, image=None, kernel=None, mode=None):
        images, image_value, self._custom_image = _image_argument(image, self.IMAGES, keep_colour=True)
        colour = image_value == "rgb" or (self._custom_image is not None and self._custom_image.ndim == 3)
        mode = require_choice("mode", mode, self.MODES) if mode is not None else (
            "RGB volume" if colour else "single channel")
        self._kernel = preset_kernel("vertical edge", 3)
        preset_value = "vertical edge"
        if isinstance(kernel, str):
            preset_value = require_choice("kernel", kernel, KERNEL_PRESETS[:-1])
        elif kernel is not None:
            karr = require_array("kernel", kernel, (2,))
            if karr.shape[0] != karr.shape[1] or karr.shape[0] > 7:
                raise ValueError(f"kernel must be square, at most 7 x 7, got shape {karr.shape}")
            self._kernel = karr.copy()
            preset_value = "custom"
        self._random_seed = 0
        self._images = {}
        k0 = self._kernel.shape[0] if preset_value == "custom" else 3
        self.controls = {
            "image": _dropdown("image", images, image_value, "what to convolve"),
            "mode": _dropdown("mode", self.MODES, mode,
                              "one grey channel, or an RGB volume with one kernel slice per channel"),
            "preset": _dropdown("kernel", KERNEL_PRESETS, preset_value, "a named kernel, or edit the values"),
            "kernel_size": SLIDERS["kernel_size"](value=k0),
            "stride": SLIDERS["stride"](),
            "padding": SLIDERS["padding"](options=["valid", "same", *range(k0)]),
            "dilation": SLIDERS["dilation"](),
            "step": SLIDERS["step"](),
            "play": _play(),
            "filters": SLIDERS["filters"](),
            "upload": _upload_button(),
        }
        self._setup_uploads()
        widgets.link((self.controls["play"], "value"), (self.controls["step"], "value"))
        # editable kernel: a pool of FloatText boxes, the k x k corner is shown
        self._boxes = [[widgets.FloatText(value=0.0, step=0.1, layout=widgets.Layout(width="4.2em"))
                        for _ in range(self.MAX_EDIT)] for _ in range(self.MAX_EDIT)]
        for i, row in enumerate(self._boxes):
            for j, box in enumerate(row):
                box.add_class("cnn-kernel-cell")
                box.observe(partial(self._on_box, i, j), names="value")
        self.kernel_grid = widgets.GridBox([], layout=widgets.Layout(grid_gap="2px", width="max-content"))
        self.kernel_grid.add_class("cnn-kernel-grid")
        self.kernel_note = _html("cnn-kernel-note")
        self.controls["kernel"] = self.kernel_grid
        self._setup(plotting.ConvView())
        self._single = self.view
        self._volume_view = None
        self.products = _html("cnn-products")
        self.formula = _html("cnn-formula")
        c = self.controls
        kernel_box = widgets.VBox([widgets.HTML("<b>kernel values</b>"), self.kernel_grid, self.kernel_note],
                                  layout=widgets.Layout(flex="0 0 auto"))
        kernel_box.add_class("cnn-kernel-box")
        self.widget = widgets.VBox([
            _row([c["image"], c["upload"], c["mode"], c["preset"]]),
            self.upload_note,
            _row([c["kernel_size"], c["stride"], c["padding"], c["dilation"]]),
            _row([c["play"], c["step"], c["filters"]]),
            _row([self.figure, kernel_box], align_items="flex-start"),
            _row([self.products, self.formula], align_items="flex-start"),
            self.warning,
            self.status,
        ], layout=widgets.Layout(max_width="100%"))
        self.widget.add_class("cnn-explorer")
        self.widget.add_class("cnn-convolution-explorer")
        self._observe()
        self.result = None
        self.update()

    # -- kernel editing ---------------------------------------------------------------------------
    def _on_box(self, i, j, change):
        if self._busy:
            return
        k = self.controls["kernel_size"].value
        if i >= k or j >= k:
            return
        self._kernel = self._kernel.copy()
        self._kernel[i, j] = float(change["new"])
        with self._quiet():
            self.controls["preset"].value = "custom"
        self.update()

    def _fill_boxes(self):
        k = self._kernel.shape[0]
        editable = k <= self.MAX_EDIT
        cells = []
        if editable:
            for i in range(k):
                for j in range(k):
                    box = self._boxes[i][j]
                    box.value = float(self._kernel[i, j])
                    cells.append(box)
        self.kernel_grid.children = cells
        self.kernel_grid.layout.grid_template_columns = f"repeat({k}, 4.4em)" if editable else ""
        self.kernel_note.value = "" if editable else (
            f"<i>{k} x {k}: choose a preset (values are editable up to {self.MAX_EDIT} x {self.MAX_EDIT})</i>")

    def _make_kernel(self):
        k = self.controls["kernel_size"].value
        preset = self.controls["preset"].value
        if preset == "custom":
            if self._kernel.shape[0] != k:  # keep the overlapping corner, pad with zeros
                new = np.zeros((k, k))
                m = min(k, self._kernel.shape[0])
                new[:m, :m] = self._kernel[:m, :m]
                self._kernel = new
        elif preset == "random":
            key = ("random", k, self._random_seed)
            if getattr(self, "_kernel_key", None) != key:
                self._kernel = preset_kernel("random", k, seed=self._random_seed)
                self._kernel_key = key
        else:
            self._kernel = preset_kernel(preset, k)
            self._kernel_key = (preset, k)

    def _on_change(self, change=None):
        if self._busy:
            return
        if change is not None and change.get("owner") is self.controls["preset"] and change["new"] == "random":
            self._random_seed += 1
            self._kernel_key = None
        self.update()

    # -- inputs -----------------------------------------------------------------------------------
    def _input(self):
        name = self.controls["image"].value
        if name == "your array":
            img = self._custom_image
        elif self._uploaded(name) is not None:
            img = self._uploaded(name)
        else:
            if name not in self._images:
                self._images[name] = _named_image(name)
            img = self._images[name]
        volume = self.controls["mode"].value == "RGB volume"
        if volume:
            return img if img.ndim == 3 else np.stack([img] * 3, axis=-1)
        return _to_gray(img) if img.ndim == 3 else img

    def _filters(self, channels):
        """Kernel (k, k, C, F): filter 1 = the shown kernel in every slice; the others fixed examples."""
        k = self._kernel.shape[0]
        volume = channels == 3
        f = self.controls["filters"].value if volume else 1
        kernel = np.zeros((k, k, channels, f))
        kernel[:, :, :, 0] = self._kernel[:, :, None]
        ident = preset_kernel("identity", k)
        extras = [
            np.stack([ident, -ident, 0 * ident], axis=-1),
            np.stack([0 * ident, 0 * ident, preset_kernel("vertical edge", k)], axis=-1),
            np.stack([preset_kernel("box blur", k) / 3] * 3, axis=-1),
        ]
        for j in range(1, f):
            kernel[:, :, :, j] = extras[j - 1]
        return kernel

    # -- update -----------------------------------------------------------------------------------
    def _sync_controls(self):
        c = self.controls
        k = c["kernel_size"].value
        _set_options(c["padding"], ["valid", "same", *range(k)],
                     k - 1 if isinstance(c["padding"].value, int) else "valid")
        volume = c["mode"].value == "RGB volume"
        c["filters"].disabled = not volume
        self._make_kernel()
        self._fill_boxes()

    def _step(self):
        c = self.controls
        x = self._input()
        volume = x.ndim == 3
        k, s, p, d = c["kernel_size"].value, c["stride"].value, c["padding"].value, c["dilation"].value
        h, w = x.shape[:2]
        channels = 3 if volume else 1
        kernel = self._filters(channels)
        f = kernel.shape[3]
        self.state.update({"problem": None, "image": c["image"].value, "mode": c["mode"].value,
                           "preset": c["preset"].value, "kernel_size": k, "stride": s, "padding": p,
                           "dilation": d, "filters": f, "input_shape": (h, w, channels),
                           "kernel": self._kernel.copy()})
        x3 = x if volume else x[:, :, None]
        self.result = None
        result = conv.conv2d(x3, kernel, stride=s, padding=p, dilation=d)
        self.result = result
        oh, ow = result.shape[:2]
        n = oh * ow
        self._set_slider_max(c["step"], n - 1)
        c["play"].max = n - 1
        step = c["step"].value
        row, col = divmod(step, ow)
        details = conv.conv_step_details(x3 if volume else x, kernel[:, :, :, 0] if volume else self._kernel,
                                         row, col, stride=s, padding=p, dilation=d)
        mults = shapes.conv_multiplications((h, w, channels), k, f, stride=s, padding=p, dilation=d)
        formula = shapes.explain_conv_output_size(h, k, stride=s, padding=p, dilation=d)
        if w != h:
            formula = ("height: " + formula + "\nwidth: "
                       + shapes.explain_conv_output_size(w, k, stride=s, padding=p, dilation=d))
        tiles = (shapes.tiles_evenly(h, k, stride=s, padding=p, dilation=d)
                 and shapes.tiles_evenly(w, k, stride=s, padding=p, dilation=d))
        total = details["sum"]
        self.state.update({"output_shape": tuple(int(v) for v in result.shape), "steps": n, "step": step,
                           "row": row, "col": col, "window_rows": list(details["rows"]),
                           "window_cols": list(details["cols"]), "pad": tuple(details["pad"]),
                           "products_sum": float(total), "value": float(result[row, col, 0]),
                           "multiplications": int(mults), "tiles_evenly": bool(tiles), "formula": formula})
        # what the view draws (ConvView / VolumeConvView parameter names) and what the words need
        picture = {"image": x, "rows": details["rows"], "cols": details["cols"], "out_cell": (row, col),
                   "pad": details["pad"], "total": total, "volume": volume, "details": details}
        if volume:
            picture.update(kernel=kernel, output=result, channel_sums=details["products"].sum(axis=(0, 1)))
        else:
            picture.update(kernel=self._kernel, output=result[:, :, 0], dilation=d)
        return picture

    def _describe(self, step):
        st = self.state
        k, s, p, d, formula = st["kernel_size"], st["stride"], st["padding"], st["dilation"], st["formula"]
        oh, ow, f = st["output_shape"]
        warnings = []
        if not st["tiles_evenly"]:
            lines = [ln for ln in formula.split("\n") if "does not tile" in ln]
            warnings.append(f"stride {s} does not tile this input: " + (lines[0].split(": ", 1)[-1] if lines
                                                                       else "some rows/columns are never used"))
        if s > 1 and d > 1:
            warnings.append("Keras refuses strides > 1 together with dilation > 1 (numpy computes it anyway)")
        if isinstance(p, int) and p >= k:
            warnings.append(f"padding {p} >= kernel size {k}: some windows see only zeros")
        self._set_warning("; ".join(warnings) or None)
        self.status.value = (f"output {oh} x {ow} x {f} · {st['multiplications']:,} multiplications · "
                             f"step {st['step'] + 1} of {st['steps']}: row {st['row']}, col {st['col']} · "
                             f"sum of products = {plotting.format_value(step['total'])}")
        self.formula.value = ("<b>output size</b><pre style='margin:0;white-space:pre-wrap;word-break:normal'>"
                              + _esc(formula) + "</pre>")
        self.products.value = self._products_html(step["details"], step["volume"])

    def _draw(self, step):
        self.view = self._view_for(step["volume"])
        self.view.show(step)

    def _upload_hints(self, image):
        if image.ndim == 3 and self.controls["mode"].value != "RGB volume":
            return ["shown in grey: choose mode \u201cRGB volume\u201d to convolve its three colour channels"]
        return []

    def _view_for(self, volume):
        if volume:
            if self._volume_view is None:
                self._volume_view = plotting.VolumeConvView()
            view = self._volume_view
        else:
            view = self._single
        w, _h = view.size_px
        self.figure.layout.width = f"{w}px"
        return view

    def _set_problem(self, text):
        super()._set_problem(text)
        self.products.value = ""
        self.formula.value = ""

    @staticmethod
    def _products_html(details, volume):
        window, products = np.asarray(details["window"]), np.asarray(details["products"])
        fmt = plotting.format_value
        if window.ndim == 2:
            window, products = window[:, :, None], products[:, :, None]
        c = window.shape[2]
        if window.shape[0] * window.shape[1] > 25:
            sums = " + ".join(fmt(v) for v in products.sum(axis=(0, 1)))
            return f"<b>window x kernel</b>: {window.shape[0]} x {window.shape[1]} products, sum = " \
                   f"{sums if c > 1 else ''}{' = ' if c > 1 else ''}{fmt(details['sum'])}"
        parts = []
        names = ("red", "green", "blue")
        for ch in range(c):
            rows = "".join("<tr>" + "".join(f"<td style='padding:0 4px;text-align:right'>{fmt(v)}</td>"
                                            for v in prow) + "</tr>" for prow in products[:, :, ch])
            label = f"{names[ch]}: " if c == 3 else ""
            parts.append(f"<div style='display:inline-block;margin-right:12px'>{label}sum "
                         f"{fmt(products[:, :, ch].sum())}<table class='cnn-products-table'>{rows}</table></div>")
        return ("<b>window x kernel (element by element)</b><br>" + "".join(parts)
                + f"<br><b>sum = {fmt(details['sum'])}</b>")


# --------------------------------------------------------------------------------------------
# PoolingExplorer
# --------------------------------------------------------------------------------------------


def _shift_right(x, pixels):
    """Move an image ``pixels`` to the right, filling the left edge with zeros."""
    if pixels == 0:
        return x.copy()
    out = np.zeros_like(x)
    out[:, pixels:] = x[:, :-pixels] if pixels < x.shape[1] else 0
    return out


class PoolingExplorer(_Explorer):
    """Max or average pooling step by step, and how much the pooled output changes when the input shifts.

    Parameters
    ----------
    image : None, str or array_like, optional
        ``None`` (an 8x8 grid of small integers), ``"camera"``, ``"coins"``, ``"digit"`` or a 2-D array. The
        student's own photo comes through ``controls["upload"]``: converted to grey and shrunk to at most
        64 x 64 pixels.

    Attributes
    ----------
    result, shifted_result : numpy.ndarray
        Pooled input and pooled shifted input.

    Examples
    --------
    >>> ex = PoolingExplorer()
    >>> ex.result.shape
    (4, 4)
    >>> ex.controls["shift"].value = 1
    >>> 0 <= ex.state["changed_fraction"] <= 1
    True
    >>> ex.controls["pool_size"].value = 3
    >>> ex.result.shape                     # pool 3, stride 2 on 8 pixels: (8 - 3) // 2 + 1
    (3, 3)
    """

    IMAGES = ("grid", "camera", "coins", "digit")

    def __init__(self, image=None):
        images, value, self._custom_image = _image_argument(image, self.IMAGES, keep_colour=False)
        self._images = {}
        self.controls = {
            "image": _dropdown("image", images, value),
            "mode": _dropdown("mode", ["max", "average"], tooltip="max or average pooling: keep the largest value, "
                                                                 "or the mean"),
            "pool_size": SLIDERS["pool_size"](),
            "stride": SLIDERS["pool_stride"](),
            "padding": SLIDERS["pool_padding"](),
            "step": SLIDERS["step"](),
            "play": _play(),
            "shift": SLIDERS["shift"](),
            "upload": _upload_button(),
        }
        self._setup_uploads()
        widgets.link((self.controls["play"], "value"), (self.controls["step"], "value"))
        self._setup(plotting.PoolView())
        c = self.controls
        self.widget = widgets.VBox([
            _row([c["image"], c["upload"], c["mode"]]),
            self.upload_note,
            _row([c["pool_size"], c["stride"], c["padding"]]),
            _row([c["play"], c["step"], c["shift"]]),
            self.figure, self.warning, self.status,
        ], layout=widgets.Layout(max_width="100%"))
        self.widget.add_class("cnn-explorer")
        self.widget.add_class("cnn-pooling-explorer")
        self._observe()
        self.result = self.shifted_result = None
        self.update()

    def _input(self):
        name = self.controls["image"].value
        if name == "your array":
            return self._custom_image
        if self._uploaded(name) is not None:
            return self._uploaded(name)
        key = "pool grid" if name == "grid" else name
        if key not in self._images:
            self._images[key] = _named_image(key)
        return self._images[key]

    def _step(self):
        c = self.controls
        x = self._input()
        mode = "max" if c["mode"].value == "max" else "avg"
        p, s, pad, shift = c["pool_size"].value, c["stride"].value, c["padding"].value, c["shift"].value
        self.state.update({"problem": None, "image": c["image"].value, "mode": c["mode"].value, "pool_size": p,
                           "stride": s, "padding": pad, "shift": shift, "input_shape": x.shape})
        self.result = self.shifted_result = None
        pool = conv.max_pool2d if mode == "max" else conv.avg_pool2d
        result = pool(x, p, s, pad)
        shifted = _shift_right(x, shift)
        shifted_result = pool(shifted, p, s, pad)
        self.result, self.shifted_result = result, shifted_result
        oh, ow = result.shape
        n = oh * ow
        self._set_slider_max(c["step"], n - 1)
        c["play"].max = n - 1
        step = c["step"].value
        row, col = divmod(step, ow)
        d = conv.pool_step_details(x, row, col, p, s, pad, mode)
        changed = ~np.isclose(result, shifted_result)
        frac = float(changed.mean())
        self.state.update({"output_shape": result.shape, "steps": n, "step": step, "row": row, "col": col,
                           "window_rows": list(d["rows"]), "window_cols": list(d["cols"]),
                           "value": float(d["value"]), "changed": int(changed.sum()), "changed_fraction": frac,
                           "mean_abs_change": float(np.abs(result - shifted_result).mean())})
        tiles = all(shapes.tiles_evenly(size, p, stride=s, padding=pad) for size in x.shape)
        # PoolView's parameter names
        return {"image": x, "pooled": result, "rows": d["rows"], "cols": d["cols"], "out_cell": (row, col),
                "shifted": shifted, "shifted_pooled": shifted_result, "pad": d["pad"], "argmax": d.get("argmax"),
                "shift": shift, "mode": mode, "tiles": tiles}

    def _describe(self, step):
        st = self.state
        p, s, x = st["pool_size"], st["stride"], step["image"]
        self._set_warning(None if step["tiles"] or st["padding"] == "same" else
                          f"pool {p} with stride {s} does not tile the {x.shape[0]} x {x.shape[1]} input: "
                          "the last row(s)/column(s) are dropped")
        name = "max" if step["mode"] == "max" else "average"
        oh, ow = st["output_shape"]
        self.status.value = (f"{name} pooled {oh} x {ow} · step {st['step'] + 1} of {st['steps']}: "
                             f"row {st['row']}, col {st['col']} = {plotting.format_value(st['value'])} · "
                             f"shift {st['shift']} px: {st['changed']} of {st['steps']} pooled values changed "
                             f"({100 * st['changed_fraction']:.0f}%)")


# --------------------------------------------------------------------------------------------
# ReceptiveFieldExplorer
# --------------------------------------------------------------------------------------------


class ReceptiveFieldExplorer(_Explorer):
    """How many input pixels one output unit sees, as layers are stacked (valid padding).

    Parameters
    ----------
    layers : list of tuples, optional
        ``(kernel, stride[, dilation])`` per layer; default three 3x3 stride-1 layers. At most 6.
    input_size : int, optional
        Input height = width.

    Attributes
    ----------
    table : list of dict
        :func:`helpers.shapes.receptive_field` of the current stack.

    Examples
    --------
    >>> ex = ReceptiveFieldExplorer()
    >>> ex.state["receptive_field"]
    7
    >>> ex.controls["layer_count"].value = 2
    >>> ex.state["receptive_field"], int(ex.state["pixels_seen"])
    (5, 25)
    """

    MAX_LAYERS = 6

    def __init__(self, layers=None, input_size=32):
        layers = [(3, 1, 1)] * 3 if layers is None else [tuple(layer) for layer in layers]
        if not 1 <= len(layers) <= self.MAX_LAYERS:
            raise ValueError(f"layers must have between 1 and {self.MAX_LAYERS} layers, got {len(layers)}")
        self.input_size = require_positive_int("input_size", input_size)
        self.controls = {"layer_count": SLIDERS["layer_count"](value=len(layers), max=self.MAX_LAYERS)}
        rows = []
        for i in range(self.MAX_LAYERS):
            k, s, d = (*layers[i], 1, 1)[:3] if i < len(layers) else (3, 1, 1)
            kw = SLIDERS["kernel_size"](value=k, description=f"kernel {i + 1}", width="200px")
            sw = SLIDERS["stride"](value=s, max=3, description=f"stride {i + 1}", width="180px")
            dw = SLIDERS["dilation"](value=d, max=4, description=f"dilation {i + 1}", width="190px")
            self.controls.update({f"kernel_{i + 1}": kw, f"stride_{i + 1}": sw, f"dilation_{i + 1}": dw})
            row = _row([kw, sw, dw])
            row.add_class("cnn-rf-layer")
            rows.append(row)
        self._rows = rows
        self.controls["unit"] = SLIDERS["unit"]()
        self._setup(plotting.ReceptiveFieldView())
        self.table_html = _html("cnn-table")
        self.widget = widgets.VBox([
            _row([self.controls["layer_count"], self.controls["unit"]]),
            *rows,
            _row([self.figure, self.table_html], align_items="flex-start"),
            self.warning, self.status,
        ])
        self.widget.add_class("cnn-explorer")
        self.widget.add_class("cnn-receptive-field-explorer")
        self._observe()
        self.table = []
        self._unit_initialised = False
        self.update()

    @property
    def layers(self):
        """The current stack as ``(kernel, stride, dilation)`` tuples."""
        n = self.controls["layer_count"].value
        return [(self.controls[f"kernel_{i}"].value, self.controls[f"stride_{i}"].value,
                 self.controls[f"dilation_{i}"].value) for i in range(1, n + 1)]

    def _sync_controls(self):
        n = self.controls["layer_count"].value
        for i, row in enumerate(self._rows):
            row.layout.display = "" if i < n else "none"

    def _step(self):
        stack = self.layers
        self.state.update({"problem": None, "layers": stack, "input_size": self.input_size})
        self.table = []
        sizes = shapes.stack_sizes(stack, self.input_size)  # raises "the stack does not fit ..." when it does not
        unit_w = self.controls["unit"]
        self._set_slider_max(unit_w, sizes[-1] - 1)
        if not self._unit_initialised:
            unit_w.value = sizes[-1] // 2
            self._unit_initialised = True
        unit = unit_w.value
        table = shapes.receptive_field(stack)
        masks, positions, _ = shapes.receptive_field_tower(stack, self.input_size, unit)
        mask = masks[0]  # = shapes.receptive_field_mask(stack, input_size, unit)
        self.table = table
        seen = int(mask.sum())
        self.state.update({"receptive_field": table[-1]["receptive_field"], "jump": table[-1]["jump"],
                           "unit": unit, "output_size": sizes[-1], "sizes": sizes, "pixels_seen": seen ** 2,
                           "mask": mask})
        # ReceptiveFieldView's parameter names
        return {"mask2d": np.outer(mask, mask), "layer_masks": masks, "layer_positions": positions,
                "unit": (unit, unit)}

    def _describe(self, step):
        st = self.state
        rf, seen, unit, out = st["receptive_field"], int(st["mask"].sum()), st["unit"], st["output_size"]
        self._set_warning(None if seen == rf else
                          f"dilation leaves holes: the field spans {rf} pixels per side but uses only {seen}")
        self.table_html.value = self._table_html(self.table)
        self.status.value = (f"receptive field {rf} x {rf} after {len(st['layers'])} layer(s) · unit ({unit}, {unit}) "
                             f"of {out} x {out} sees {seen ** 2} input pixels")

    @staticmethod
    def _table_html(table):
        head = "".join(f"<th style='padding:0 6px'>{h}</th>"
                       for h in ("layer", "kernel", "stride", "dilation", "receptive field", "jump"))
        body = "".join("<tr>" + "".join(f"<td style='text-align:right;padding:0 6px'>{r[key]}</td>" for key in
                                        ("layer", "kernel", "stride", "dilation", "receptive_field", "jump"))
                       + "</tr>" for r in table)
        return f"<table class='cnn-rf-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# --------------------------------------------------------------------------------------------
# LayerStackCalculator
# --------------------------------------------------------------------------------------------

#: Presets of :class:`LayerStackCalculator`: name -> (input shape, layer specs); defined in
#: :data:`helpers.shapes.NETWORK_PRESETS`.
NETWORK_PRESETS = shapes.NETWORK_PRESETS

_LAYER_TYPES = ("Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Dense", "GlobalAveragePooling2D",
                "SeparableConv2D")
_PARAMS_BY_TYPE = {
    "Conv2D": ("filters", "kernel_size", "strides", "padding"),
    "SeparableConv2D": ("filters", "kernel_size", "strides", "padding"),
    "MaxPooling2D": ("pool_size", "strides", "padding"),
    "AveragePooling2D": ("pool_size", "strides", "padding"),
    "Dense": ("units",),
    "Flatten": (),
    "GlobalAveragePooling2D": (),
}


class LayerStackCalculator(_Explorer):
    """Build a network layer by layer and watch output shapes, parameters and multiplications.

    Parameters
    ----------
    layers : list of dict, optional
        Layer specs as :func:`helpers.shapes.summarize` reads them; a small example stack by default.
    input_shape : tuple of int, optional
        ``(H, W, C)``.

    Attributes
    ----------
    layers : list of dict
        The current stack.
    summary : helpers.shapes.Summary or None
        The table of the longest valid prefix of the stack.

    Examples
    --------
    >>> calc = LayerStackCalculator()
    >>> calc.controls["preset"].value = "LeNet-5 (32x32x1)"
    >>> calc.summary.total_params
    61706
    >>> calc.add_layer({"type": "Conv2D", "filters": 8, "kernel_size": 3})   # after Dense: impossible
    >>> calc.state["problem"][:20]
    'layer 9 (Conv2D): ne'
    >>> calc.remove_layer()
    >>> calc.state["problem"] is None
    True
    """

    def __init__(self, layers=None, input_shape=(32, 32, 3)):
        if layers is None:
            layers = [{"type": "Conv2D", "filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu"},
                      {"type": "MaxPooling2D", "pool_size": 2},
                      {"type": "Flatten"},
                      {"type": "Dense", "units": 10, "activation": "softmax"}]
        if len(input_shape) != 3:
            raise ValueError(f"input_shape must be (height, width, channels), got {input_shape!r}")
        self.layers = [dict(spec) for spec in layers]
        self._input_shape = tuple(require_positive_int("input_shape", int(v)) for v in input_shape)
        def box(**kw):
            # one Layout per box: a shared Layout would hide every box when one of them is hidden
            return widgets.BoundedIntText(style=_STYLE, layout=widgets.Layout(width="170px"), **kw)

        self.controls = {
            "preset": _dropdown("preset", [*NETWORK_PRESETS, "custom"], "custom",
                                "load a published network, or build your own"),
            "input_height": box(value=self._input_shape[0], min=1, max=512, description="input height"),
            "input_width": box(value=self._input_shape[1], min=1, max=512, description="input width"),
            "input_channels": box(value=self._input_shape[2], min=1, max=64, description="channels"),
            "layer_type": _dropdown("new layer", _LAYER_TYPES, tooltip="type of the layer to add"),
            "filters": box(value=16, min=1, max=1024, description="filters"),
            "kernel_size": SLIDERS["kernel_size"](max=11, width="200px"),
            "strides": SLIDERS["stride"](width="180px"),
            "padding": SLIDERS["pool_padding"](width="170px"),
            "pool_size": SLIDERS["pool_size"](width="180px"),
            "units": box(value=10, min=1, max=8192, description="units"),
            "add": widgets.Button(description="add layer", icon="plus", tooltip="append the layer described left"),
            "remove": widgets.Button(description="remove last", icon="minus", tooltip="drop the last layer"),
            "compare": widgets.Button(description="compare with Keras", icon="check",
                                      tooltip="build the same model in Keras and compare the parameter count"),
        }
        c = self.controls
        for name in ("add", "remove", "compare"):
            c[name].add_class(f"cnn-{name}")
            c[name].layout.width = "auto"  # room for the whole label
        c["add"].on_click(lambda _b: self.add_layer(self._spec_from_controls()))
        c["remove"].on_click(lambda _b: self.remove_layer())
        c["compare"].on_click(lambda _b: self.compare_with_keras())
        self._setup(None)
        self.table_html = _html("cnn-table")
        self.keras_html = _html("cnn-compare")
        self._param_row = _row([c[n] for n in ("filters", "kernel_size", "strides", "padding", "pool_size", "units")])
        self.widget = widgets.VBox([
            _row([c["preset"], c["input_height"], c["input_width"], c["input_channels"]]),
            _row([c["layer_type"], c["add"], c["remove"], c["compare"]]),
            self._param_row, self.table_html, self.keras_html, self.warning, self.status,
        ])
        self.widget.add_class("cnn-explorer")
        self.widget.add_class("cnn-layer-stack")
        self._observe()
        self.summary = None
        self.update()

    @property
    def input_shape(self):
        c = self.controls
        return (c["input_height"].value, c["input_width"].value, c["input_channels"].value)

    def _on_change(self, change=None):
        if self._busy:
            return
        owner = change.get("owner") if change else None
        c = self.controls
        if owner is c["preset"] and change["new"] in NETWORK_PRESETS:
            shape, layers = NETWORK_PRESETS[change["new"]]
            self.layers = [dict(spec) for spec in layers]
            with self._quiet():
                c["input_height"].value, c["input_width"].value, c["input_channels"].value = shape
        elif owner in (c["input_height"], c["input_width"], c["input_channels"]):
            self._mark_custom()
        elif owner is c["layer_type"]:  # Keras defaults: pooling strides = pool size, convolution strides = 1
            with self._quiet():
                c["strides"].value = c["pool_size"].value if "Pooling" in change["new"] else 1
        self.keras_html.value = ""
        self.state["keras_total"] = None
        self.update()

    def _mark_custom(self):
        preset = self.controls["preset"].value
        if preset in NETWORK_PRESETS and (NETWORK_PRESETS[preset][0] != self.input_shape
                                          or NETWORK_PRESETS[preset][1] != self.layers):
            with self._quiet():
                self.controls["preset"].value = "custom"

    def _spec_from_controls(self):
        c = self.controls
        ltype = c["layer_type"].value
        spec = {"type": ltype}
        for name in _PARAMS_BY_TYPE[ltype]:
            spec[name] = c[name].value
        if ltype in ("MaxPooling2D", "AveragePooling2D") and spec.get("strides") == spec.get("pool_size"):
            spec.pop("strides")
        return spec

    def add_layer(self, spec):
        """Append a layer spec (dict as :func:`helpers.shapes.summarize` reads) and update."""
        if not isinstance(spec, dict) or "type" not in spec:
            raise TypeError(f'spec must be a dict with a "type" key, got {spec!r}')
        self.layers.append(dict(spec))
        self._mark_custom()
        self.update()

    def remove_layer(self, index=-1):
        """Remove one layer (the last by default) and update; nothing happens on an empty stack."""
        if self.layers:
            self.layers.pop(index)
        self._mark_custom()
        self.update()

    def _sync_controls(self):
        shown = set(_PARAMS_BY_TYPE[self.controls["layer_type"].value])
        for name in ("filters", "kernel_size", "strides", "padding", "pool_size", "units"):
            self.controls[name].layout.display = "" if name in shown else "none"

    def _compute(self):
        """The table is shown even for an impossible stack (the longest prefix that works), then the problem."""
        step = self._step()
        self._describe(step)
        if step["problem"] is not None:
            raise ValueError(step["problem"])

    def _step(self):
        shape = self.input_shape
        self.state.update({"problem": None, "input_shape": shape, "layers": [dict(s) for s in self.layers],
                           "preset": self.controls["preset"].value})
        self.summary = None
        problem = None
        try:
            summary = shapes.summarize(shape, self.layers)
        except (ValueError, TypeError) as exc:
            problem = str(exc)
            summary = None
            for n in range(len(self.layers) - 1, -1, -1):  # longest prefix that works, to keep a table
                try:
                    summary = shapes.summarize(shape, self.layers[:n])
                    break
                except (ValueError, TypeError):
                    continue
        self.summary = summary
        if summary is not None:
            self.state.update({"total_params": summary.total_params,
                               "total_multiplications": summary.total_multiplications,
                               "output_shape": summary.output_shape, "rows": summary.rows})
        return {"summary": summary, "problem": problem}

    def _describe(self, step):
        summary = step["summary"]
        self.table_html.value = summary.to_html() if summary is not None else ""
        if step["problem"] is not None:
            return  # the problem replaces the status line
        self._set_warning(None)
        self.status.value = (f"{len(self.layers)} layers · output {self._shape_text(summary.output_shape)} · "
                             f"{summary.total_params:,} parameters · {summary.total_multiplications:,} "
                             "multiplications per image")

    @staticmethod
    def _shape_text(shape):
        return " x ".join(str(v) for v in shape)

    def compare_with_keras(self):
        """Build the same stack in Keras and compare ``count_params()`` with the table.

        Returns
        -------
        int or None
            Keras's total, or None when the stack is impossible (the reason is shown).
        """
        if self.state.get("problem"):
            self.keras_html.value = "<i>fix the problem first: Keras cannot build this stack either</i>"
            return None
        from helpers.models import build_sequential

        try:
            model = build_sequential(self.layers, self.input_shape)
        except (ValueError, TypeError) as exc:
            self.keras_html.value = f"<b>Keras refused:</b> {_esc(exc)}"
            return None
        total = int(model.count_params())
        shapes_keras = [tuple(layer.output.shape[1:]) for layer in model.layers]
        ours = [tuple(r["output_shape"]) for r in self.summary.rows]
        agree = total == self.summary.total_params and shapes_keras == ours
        self.state.update({"keras_total": total, "keras_agrees": agree})
        verdict = "agree &#10003;" if agree else "DISAGREE"
        self.keras_html.value = (f"<b>Keras:</b> {total:,} parameters, table: {self.summary.total_params:,}; "
                                 f"output shapes {'match' if shapes_keras == ours else 'differ'} — {verdict}")
        self.keras_html.remove_class("cnn-compare-bad" if agree else "cnn-compare-ok")
        self.keras_html.add_class("cnn-compare-ok" if agree else "cnn-compare-bad")
        return total


# --------------------------------------------------------------------------------------------
# FeatureMapViewer
# --------------------------------------------------------------------------------------------


class FeatureMapViewer(_Explorer):
    """The feature maps a Keras model computes for one image, layer by layer and channel by channel.

    Parameters
    ----------
    model : keras.Model
        A built model (e.g. a trained LeNet-5).
    image : array_like
        One image ``(H, W, C)`` (or ``(H, W)`` for one channel) matching the model's input.

    Examples
    --------
    >>> from helpers import models                     # doctest: +SKIP
    >>> viewer = FeatureMapViewer(models.lenet5(), np.zeros((32, 32, 1)))   # doctest: +SKIP
    >>> viewer.controls["layer"].value = "s2_pool"     # doctest: +SKIP
    """

    GRID_MAX = 32

    def __init__(self, model, image):
        from helpers import models  # lazily: TensorFlow loads only here

        self._models = models
        arr = require_array("image", image, (2, 3))
        self.image = arr[:, :, None] if arr.ndim == 2 else arr
        self.model = model
        self._layers = [layer for layer in model.layers
                        if any(key in type(layer).__name__ for key in ("Conv", "Pool"))
                        and len(getattr(layer.output, "shape", ())) == 4]
        if not self._layers:
            raise ValueError("model has no convolution or pooling layer with a 2-D output to show")
        names = [layer.name for layer in self._layers]
        self.controls = {
            "layer": _dropdown("layer", names, tooltip="which layer's output"),
            "channel": SLIDERS["filters"](value=0, min=0, max=0, description="channel",
                                          tooltip="which feature map of that layer"),
            "show_all": widgets.Checkbox(value=False, description="all channels", indent=False,
                                         tooltip="also show a grid of every channel (up to 32)"),
        }
        self._setup(plotting.FeatureMapView())
        self.grid_image = widgets.Image(format="png")
        self.grid_image.add_class("cnn-grid")
        self.grid_image.layout.display = "none"
        self.grid_image.layout.max_width = "100%"
        c = self.controls
        self.widget = widgets.VBox([_row([c["layer"], c["channel"], c["show_all"]]), self.figure,
                                    self.grid_image, self.warning, self.status])
        self.widget.add_class("cnn-explorer")
        self.widget.add_class("cnn-feature-maps")
        self._maps = {}
        self._grid_key = None
        self._observe()
        self.result = None
        self.update()

    def _maps_for(self, name):
        if name not in self._maps:
            self._maps[name] = np.asarray(self._models.feature_maps(self.model, self.image, name))
        return self._maps[name]

    def _step(self):
        c = self.controls
        name = c["layer"].value
        maps = self._maps_for(name)
        channels = maps.shape[-1]
        self._set_slider_max(c["channel"], channels - 1)
        ch = c["channel"].value
        layer = self.model.get_layer(name)
        kernel = None
        weights = layer.get_weights() if hasattr(layer, "get_weights") else []
        if "Conv" in type(layer).__name__ and weights and np.ndim(weights[0]) == 4 and weights[0].shape[3] > ch:
            kernel = weights[0][:, :, 0, ch]
        self.result = maps[:, :, ch]
        self.state.update({"problem": None, "layer": name, "channel": ch, "channels": channels,
                           "map_shape": maps.shape, "has_filter": kernel is not None,
                           "min": float(self.result.min()), "max": float(self.result.max())})
        # FeatureMapView's parameter names
        return {"image": self.image, "feature_map": self.result, "kernel": kernel, "layer_name": name,
                "channel": ch, "maps": maps}

    def _describe(self, step):
        st = self.state
        shape = st["map_shape"]
        self._set_warning(None)
        self.status.value = (f"{st['layer']}: {shape[0]} x {shape[1]} x {st['channels']} · channel {st['channel']} · "
                             f"values {plotting.format_value(st['min'])} .. {plotting.format_value(st['max'])}")

    def _draw(self, step):
        self.view.show(step)
        show = self.controls["show_all"].value
        self.grid_image.layout.display = "" if show else "none"
        if show and self._grid_key != step["layer_name"]:
            self.grid_image.value = plotting.figure_to_png(plotting.feature_map_grid(step["maps"], self.GRID_MAX))
            self._grid_key = step["layer_name"]


# --------------------------------------------------------------------------------------------
# ExplanationExplorer
# --------------------------------------------------------------------------------------------


class ExplanationExplorer(_Explorer):
    """What a trained classifier looks at: saliency, occlusion or Grad-CAM for a chosen image and class.

    The maps are computed by :func:`helpers.models.explain` (saliency: the gradient of the class's logit;
    occlusion: the drop of its probability when a patch of zeros hides a region; Grad-CAM: on the last
    convolutional layer, upsampled to the image), drawn by :class:`helpers.plotting.ExplanationView`.

    Parameters
    ----------
    model : keras.Model
        A trained classifier with one image input (e.g. LeNet-5 on the digits).
    images : array_like or None
        One image ``(H, W, C)`` (``(H, W)`` for one channel) of the model's input shape, or a batch
        ``(N, H, W, C)`` to choose from. None (a blank drawing pad) shows "no image" instead of a picture.
    labels : array_like, optional
        The true class of each image, shown beside the prediction.

    Controls: ``image`` (which image), ``class`` ("predicted" or a class number), ``method``
    ("saliency", "occlusion", "grad-cam") and ``patch`` (occlusion's patch side; the stride is half of it).
    :meth:`set_images` replaces the images (e.g. with a new drawing).

    Examples
    --------
    >>> from helpers import models                                        # doctest: +SKIP
    >>> ex = ExplanationExplorer(models.lenet5(), np.zeros((3, 32, 32, 1)))  # doctest: +SKIP
    >>> ex.controls["method"].value = "grad-cam"                          # doctest: +SKIP
    >>> ex.state["map_shape"]                                             # doctest: +SKIP
    (32, 32)
    """

    METHODS = ("saliency", "occlusion", "grad-cam")

    def __init__(self, model, images=None, labels=None):
        from helpers import models  # lazily: TensorFlow loads only here

        self._models = models
        if not isinstance(model, models.keras.Model):
            raise TypeError(f"model must be a keras.Model (a trained classifier), got {type(model).__name__}")
        self.model = model
        self._input_shape = tuple(int(v) for v in model.inputs[0].shape[1:])
        self._classes = int(model.outputs[0].shape[-1])
        self.images, self.labels = self._validated(images, labels)
        side = min(self._input_shape[:2])
        self.controls = {
            "image": SLIDERS["unit"](description="image", value=0, min=0,
                                     max=0 if self.images is None else len(self.images) - 1,
                                     tooltip="which image to explain"),
            "class": _dropdown("class", ["predicted", *range(self._classes)],
                               tooltip="the class whose score is explained ('predicted': the network's answer)"),
            "method": _dropdown("method", self.METHODS,
                                tooltip="saliency: gradient of the score; occlusion: hide a patch, measure the "
                                        "drop; grad-cam: class evidence in the last convolutional layer"),
            "patch": _int_slider("patch (occlusion)", value=min(6, side), min=2, max=max(2, min(12, side)),
                                 tooltip="side of the occluding patch; it moves by half its side", width="260px"),
        }
        self._setup(plotting.ExplanationView(classes=self._classes))
        c = self.controls
        row = widgets.HBox([c["image"], c["class"], c["method"], c["patch"]],
                           layout=widgets.Layout(flex_flow="row wrap"))  # wraps on a narrow page, never scrolls
        self.widget = widgets.VBox([row, self.figure, self.warning, self.status])
        self.widget.add_class("cnn-explorer")
        self.widget.add_class("cnn-explanations")
        self.result = None
        self._cache = {}
        self._observe()
        self.update()

    def _validated(self, images, labels):
        """(images (N, H, W, C) float32 or None, labels (N,) or None); raises ValueError/TypeError."""
        if images is None:
            return None, None
        arr = require_array("images", images, (2, 3, 4))
        shape = self._input_shape
        if arr.shape == shape or (shape[2] == 1 and arr.shape == shape[:2]):
            arr = arr.reshape((1, *shape))
        elif arr.ndim == 4 and arr.shape[1:] == shape:
            pass
        elif arr.ndim == 3 and shape[2] == 1 and arr.shape[1:] == shape[:2]:
            arr = arr[..., None]
        else:
            raise ValueError(f"images must be one image of the model's input shape {shape} or a batch "
                             f"(N, {', '.join(map(str, shape))}), got shape {arr.shape}")
        if len(arr) == 0:
            raise ValueError("images must hold at least one image")
        if not np.all(np.isfinite(arr)):
            raise ValueError("images must hold finite numbers (no NaN or infinity)")
        if labels is not None:
            labels = np.asarray(labels).reshape(-1)
            if len(labels) != len(arr):
                raise ValueError(f"labels must have one entry per image ({len(arr)}), got {len(labels)}")
        return arr.astype(np.float32), labels

    def set_images(self, images, labels=None):
        """Explain other images (one image, a batch, or None for "nothing to explain") and update.

        A bad argument is shown as the explorer's problem (the previous images stay), never raised, so this
        can be called from a widget callback such as a drawing pad's.
        """
        try:
            new_images, new_labels = self._validated(images, labels)
        except (ValueError, TypeError) as exc:
            self._set_problem(str(exc))
            self._render()
            return
        self.images, self.labels = new_images, new_labels
        self._cache = {}
        with self._quiet():
            slider = self.controls["image"]
            top = max(len(new_images) - 1, 0) if new_images is not None else 0
            slider.value = min(slider.value, top)
            slider.max = top
        self.update()

    def _sync_controls(self):
        c = self.controls
        c["patch"].disabled = c["method"].value != "occlusion"
        c["image"].disabled = self.images is None or len(self.images) < 2

    def _step(self):
        c = self.controls
        if self.images is None:
            self.result = None
            self.state.update({"problem": None, "image": None})
            raise ValueError("no image to explain yet: draw a digit (or pass images=...)")
        i = min(c["image"].value, len(self.images) - 1)
        chosen = c["class"].value
        class_index = None if chosen == "predicted" else int(chosen)
        method = c["method"].value
        patch = c["patch"].value
        options = {"patch": patch, "stride": max(1, patch // 2)} if method == "occlusion" else {}
        key = (i, class_index, method, patch if method == "occlusion" else None)
        if key not in self._cache:
            self._cache[key] = self._models.explain(self.model, self.images[i], method, class_index, **options)
        out = self._cache[key]
        self.result = out["map"]
        label = None if self.labels is None else self.labels[i].item()
        finite = out["map"][np.isfinite(out["map"])]
        self.state.update({"problem": None, "image": i, "class": chosen, "method": method,
                           "class_index": out["class_index"], "predicted": out["predicted"], "label": label,
                           "probability": float(out["probabilities"][out["class_index"]]),
                           "map_shape": out["map"].shape, "raw_shape": out["raw"].shape, "score": out["score"],
                           "patch": patch if method == "occlusion" else None,
                           "max": float(finite.max()) if finite.size else 0.0})
        return {"image": self.images[i], "map": out["map"], "probabilities": out["probabilities"],
                "class_index": out["class_index"], "predicted": out["predicted"], "method": method,
                "score": out["score"], "label": label}

    _MEANING = {
        "saliency": "|d {score} / d pixel|, max over channels",
        "occlusion": "drop of the {score} when a {patch} x {patch} patch of zeros covers the pixel (mean over patches)",
        "grad-cam": "ReLU(sum of last-conv feature maps weighted by their mean gradient), {raw} upsampled",
    }

    def _describe(self, step):
        st = self.state
        raw = " x ".join(str(v) for v in st["raw_shape"])
        meaning = self._MEANING[st["method"]].format(score=st["score"], patch=st["patch"], raw=raw)
        truth = "" if st["label"] is None else f" (label {st['label']})"
        self.status.value = (f"image {st['image']}{truth}: predicted {st['predicted']} · explaining class "
                             f"{st['class_index']} (probability {st['probability']:.2f}) · {_esc(meaning)} · "
                             f"max {plotting.format_value(st['max'])}")
        if st["method"] == "grad-cam" and st["max"] <= 0:
            self._set_warning(f"Grad-CAM is zero everywhere: no feature map of the last convolutional layer "
                              f"speaks for class {st['class_index']} in this image")
        elif st["method"] == "occlusion" and st["max"] <= 0:
            self._set_warning(f"no patch lowers class {st['class_index']}'s probability: hiding any region helps "
                              "it or changes nothing")
        else:
            self._set_warning(None)


# --------------------------------------------------------------------------------------------
# DigitPad
# --------------------------------------------------------------------------------------------


class DigitPad(_Explorer):
    """Draw a digit with the mouse, a pen or a finger; a trained classifier reads it at the end of every stroke.

    The pad records the stroke coordinates in the kernel (the browser's pixels are never read back) and
    :func:`helpers.data.digit_from_strokes` turns them into the 32 x 32 image the network receives, prepared
    exactly like the training digits. Shown: the class probabilities, that input image and the feature maps of
    the layer chosen in the dropdown.

    Parameters
    ----------
    model : keras.Model
        A trained classifier of ``(32, 32, 1)`` images, e.g. LeNet-5 from lesson 08.
    layer : str, optional
        The convolution layer whose feature maps are shown first (default: the first one).
    size : int, optional
        Side of the square pad in pixels.

    Attributes
    ----------
    strokes : list of list of (float, float)
        What has been drawn, in pad pixels (y down).
    image : numpy.ndarray or None
        The network's input ``(32, 32, 1)``, or None while the pad is blank.
    probabilities : numpy.ndarray or None
        The model's output for :attr:`image`.
    prediction : int or None
        The most probable class.
    canvas : ipycanvas.Canvas
        The drawing surface (CSS class ``cnn-pad-canvas``).

    Examples
    --------
    >>> from helpers.models import lenet5            # doctest: +SKIP
    >>> pad = DigitPad(lenet5())                      # doctest: +SKIP
    >>> pad.status.value                              # doctest: +SKIP
    'draw a digit'
    >>> pad.draw([[(140, 40), (140, 240)]])           # doctest: +SKIP
    >>> pad.image.shape, pad.prediction in range(10)  # doctest: +SKIP
    ((32, 32, 1), True)
    """

    PEN_WIDTH = 18
    INK = "#111111"
    PAPER = "#ffffff"
    HINT = "draw a digit"

    def __init__(self, model, layer=None, size=280):
        from helpers import models  # lazily: TensorFlow loads only here

        self._models = models
        models._require_model(model)
        shape = tuple(model.inputs[0].shape[1:])
        if shape != (32, 32, 1):
            raise ValueError(f"model must read 32 x 32 x 1 images (like LeNet-5), its input is {shape}")
        self.model = model
        self.size = require_positive_int("size", size)
        if self.size < 64:
            raise ValueError(f"size must be at least 64 pixels to draw on, got {self.size}")
        names = [lyr.name for lyr in model.layers
                 if "Conv" in type(lyr).__name__ and len(getattr(lyr.output, "shape", ())) == 4]
        if not names:
            raise ValueError("model has no convolution layer whose feature maps could be shown")
        if layer is not None:
            if not isinstance(layer, str):
                raise TypeError(f"layer must be a layer name (str), got {type(layer).__name__}")
            layer = require_choice("layer", layer, names)
        self.controls = {
            "layer": _dropdown("layer", names, layer, "whose feature maps are shown"),
            "clear": widgets.Button(description="clear", icon="eraser", tooltip="erase everything"),
            "undo": widgets.Button(description="undo", icon="undo", tooltip="remove the last stroke"),
        }
        c = self.controls
        for name in ("clear", "undo"):
            c[name].add_class(f"cnn-pad-{name}")
            c[name].layout.width = "auto"
        c["clear"].on_click(lambda _b: self.clear())
        c["undo"].on_click(lambda _b: self.undo())
        self.canvas = self._make_canvas()
        self._setup(plotting.DigitPadView())
        self.prediction_html = _html("cnn-pad-prediction")
        pad_box = widgets.VBox([self.canvas, widgets.HBox([c["clear"], c["undo"]])])
        pad_box.add_class("cnn-pad-box")
        self.widget = widgets.HBox([
            pad_box,
            widgets.VBox([widgets.HBox([c["layer"], self.prediction_html]), self.figure, self.warning,
                          self.status]),
        ])
        self.widget.add_class("cnn-explorer")
        self.widget.add_class("cnn-digit-pad")
        self.strokes = []
        self._current = None
        self.image = self.probabilities = self.prediction = None
        self._observe()
        self.update()

    # -- the canvas -----------------------------------------------------------------------------
    def _make_canvas(self):
        from ipycanvas import Canvas

        canvas = Canvas(width=self.size, height=self.size,
                        layout=widgets.Layout(width=f"{self.size}px", height=f"{self.size}px",
                                              border="1px solid #999"))
        canvas.add_class("cnn-pad-canvas")
        canvas.line_width = self.PEN_WIDTH
        canvas.line_cap = "round"
        canvas.line_join = "round"
        canvas.stroke_style = self.INK
        canvas.fill_style = self.INK
        canvas.on_mouse_down(self._pen_down)
        canvas.on_mouse_move(self._pen_move)
        canvas.on_mouse_up(self._pen_up)
        canvas.on_mouse_out(self._pen_up)
        canvas.on_touch_start(lambda touches: touches and self._pen_down(*touches[0]))
        canvas.on_touch_move(lambda touches: touches and self._pen_move(*touches[0]))
        canvas.on_touch_end(lambda _touches: self._pen_up())
        canvas.on_touch_cancel(lambda _touches: self._pen_up())
        canvas.on_client_ready(self._repaint)
        return canvas

    def _clip(self, x, y):
        return (float(np.clip(x, 0, self.size)), float(np.clip(y, 0, self.size)))

    def _dot(self, x, y):
        self.canvas.fill_circle(x, y, self.PEN_WIDTH / 2)

    def _repaint(self):
        """Redraw every stroke on the canvas (after undo, or for a browser that connects anew)."""
        from ipycanvas import hold_canvas

        with hold_canvas():
            self.canvas.clear()
            for stroke in self.strokes:
                if len(stroke) == 1:
                    self._dot(*stroke[0])
                else:
                    self.canvas.stroke_lines(stroke)

    # -- pen events (from the browser) ------------------------------------------------------------
    def _pen_down(self, x, y):
        try:
            x, y = self._clip(x, y)
        except (TypeError, ValueError):
            return
        self._current = [(x, y)]
        self._dot(x, y)

    def _pen_move(self, x, y):
        if self._current is None:
            return
        try:
            x, y = self._clip(x, y)
        except (TypeError, ValueError):
            return
        x0, y0 = self._current[-1]
        if (x, y) != (x0, y0):
            self._current.append((x, y))
            self.canvas.stroke_line(x0, y0, x, y)

    def _pen_up(self, x=None, y=None):
        if self._current is None:
            return
        if x is not None and y is not None:
            self._pen_move(x, y)
        stroke, self._current = self._current, None
        self.strokes.append(stroke)
        self.update()

    # -- the programmatic API -------------------------------------------------------------------
    def draw(self, strokes):
        """Add strokes as if drawn on the pad (pad pixels, y down; points outside the pad are clipped to it).

        Parameters
        ----------
        strokes : sequence of sequences of (x, y)
            One list of points per stroke; a single point is a dot.
        """
        from helpers.data import _require_strokes

        arrays = _require_strokes(strokes)
        for arr in arrays:
            self.strokes.append([self._clip(x, y) for x, y in arr])
        self._repaint()
        self.update()

    def clear(self):
        """Erase everything: the pad is blank again and shows "draw a digit"."""
        self.strokes = []
        self._current = None
        self._repaint()
        self.update()

    def undo(self):
        """Remove the last stroke (nothing happens on a blank pad)."""
        if self.strokes:
            self.strokes.pop()
        self._repaint()
        self.update()

    # -- update -----------------------------------------------------------------------------------
    def _step(self):
        from helpers.data import digit_from_strokes

        layer = self.controls["layer"].value
        self.image = self.probabilities = self.prediction = None
        self.state.update({"problem": None, "layer": layer, "strokes": len(self.strokes), "blank": True,
                           "prediction": None, "confidence": None, "map_shape": None})
        image = digit_from_strokes(self.strokes)
        if image is None:
            return {"probabilities": None, "image": None, "maps": None, "layer_name": layer}
        probabilities, maps = self._models.predict_with_maps(self.model, image, layer)
        best = int(np.argmax(probabilities))
        self.image, self.probabilities, self.prediction = image, probabilities, best
        self.state.update({"blank": False, "prediction": best, "confidence": float(probabilities[best]),
                           "map_shape": tuple(int(v) for v in maps.shape)})
        return {"probabilities": probabilities, "image": image, "maps": maps, "layer_name": layer}

    def _describe(self, step):
        st = self.state
        self._set_warning(None)
        if st["blank"]:
            self.status.value = self.HINT
            self.prediction_html.value = f"<span class='cnn-pad-hint'>{self.HINT}</span>"
            return
        h, w, c = st["map_shape"]
        n = st["strokes"]
        self.prediction_html.value = (f"prediction: <b class='cnn-pad-digit' style='font-size:1.6em'>"
                                      f"{st['prediction']}</b> ({st['confidence']:.0%})")
        self.status.value = (f"prediction {st['prediction']} ({st['confidence']:.0%}) · {n} stroke{'s' * (n != 1)}"
                             f" · {st['layer']}: {h} x {w} x {c}")
