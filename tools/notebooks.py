"""Maintain the course notebooks: course map, generated cells, normalising and executing.

Usage (normally through ``make notebooks``)::

    python tools/notebooks.py generate            # write navigation + table-of-contents cells
    python tools/notebooks.py normalize           # strip volatile metadata, widget state, TF noise
    python tools/notebooks.py execute [NN ...]    # generate, execute in place, normalise
    python tools/notebooks.py check               # exit 1 if any notebook is not generated/normalised
    python tools/notebooks.py toc                 # print the table of contents (for the README)

Generated cells carry ``metadata["course"] = "navigation"`` or ``"toc"``; never edit them by hand.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = SOLUTIONS

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
    ("07_lenet5", "LeNet-5", "Build, count and train the first classic CNN on handwritten digits."),
    ("08_alexnet_and_vgg", "AlexNet and VGG-16",
     "Where parameters and work live in deep classic networks; train a small VGG."),
    ("09_residual_networks", "Residual networks",
     "Why very deep plain networks degrade and how shortcuts fix it; ResNet-50 from blocks."),
    ("10_inception_and_efficient_convolutions", "Inception and efficient convolutions",
     "1x1 bottlenecks, Inception modules, grouped and depthwise-separable convolutions."),
    ("11_transfer_learning", "Transfer learning",
     "Pre-train, freeze, fine-tune: learn a new task from a few labelled examples."),
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


def _paths(selection: list[str]) -> list[Path]:
    stems = [c[0] for c in COURSE]
    if selection:
        stems = [s for s in stems if any(s.startswith(sel) for sel in selection)]
    return [NOTEBOOKS / f"{s}.ipynb" for s in stems if (NOTEBOOKS / f"{s}.ipynb").exists()]


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _dump(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _add_ids(nb: dict) -> dict:
    # nbformat 4.5 wants cell ids; make them stable (position based) so diffs stay small.
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"cell-{i:03d}"
    return nb


def process(path: Path, execute: bool = False, timeout: int = 600) -> float:
    """Generate, optionally execute, and normalise one notebook in place; return seconds spent."""
    nb = generate(_load(path), path.stem)
    seconds = 0.0
    if execute:
        import nbformat
        from nbclient import NotebookClient

        node = nbformat.from_dict(_add_ids(nb))
        start = time.perf_counter()
        NotebookClient(node, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        seconds = time.perf_counter() - start
        nb = json.loads(nbformat.writes(node))
    nb = _add_ids(normalize(nb))
    path.write_text(_dump(nb), encoding="utf-8")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["generate", "normalize", "execute", "check", "toc"])
    parser.add_argument("notebooks", nargs="*", help="notebook numbers or name prefixes, e.g. 03 07_lenet5")
    args = parser.parse_args(argv)
    if args.command == "toc":
        print(toc_markdown("notebooks/"))
        return 0
    paths = _paths(args.notebooks)
    if args.command == "check":
        stale = []
        for p in paths:
            text = p.read_text(encoding="utf-8")
            if _dump(_add_ids(normalize(generate(_load(p), p.stem)))) != text:
                stale.append(p.name)
        for name in stale:
            print(f"{name}: not normalised or navigation out of date; run `make notebooks-normalize`")
        return 1 if stale else 0
    for p in paths:
        seconds = process(p, execute=args.command == "execute")
        note = f" executed in {seconds:.1f} s" if args.command == "execute" else ""
        print(f"{p.name}:{note} ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
