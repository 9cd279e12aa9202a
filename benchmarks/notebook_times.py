"""Execute every notebook (or the ones named) and print its wall time and the total.

Usage::

    python benchmarks/notebook_times.py            # all notebooks, in course order
    python benchmarks/notebook_times.py 07 09      # only these

Notebooks run on copies, so the committed files are untouched. The budgets (2-core laptop, under nbval) are
60 s for 00-06 and 90 s for 07 onwards; the script marks each line against its budget.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from notebooks import COURSE  # noqa: E402


def budget(stem: str) -> int:
    """Seconds allowed for one notebook: 60 for the foundations (00-06), 90 for the architectures."""
    return 60 if stem[:2] <= "06" else 90


def run(stem: str) -> float:
    """Execute one notebook on a copy and return its wall time in seconds (kernel start included)."""
    path = ROOT / "solutions" / f"{stem}.ipynb"
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="numbers or name prefixes")
    args = parser.parse_args()
    stems = [s for s, _, _ in COURSE if not args.notebooks or any(s.startswith(a) for a in args.notebooks)]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    print(f"{'notebook':45s} {'seconds':>8s} {'budget':>7s}  verdict   (cores: {os.cpu_count()})")
    total, over = 0.0, 0
    for stem in stems:
        if not (ROOT / "solutions" / f"{stem}.ipynb").exists():
            print(f"{stem:45s} {'missing':>8s}")
            continue
        seconds = run(stem)
        total += seconds
        ok = seconds <= budget(stem)
        over += not ok
        print(f"{stem:45s} {seconds:8.1f} {budget(stem):7d}  {'ok' if ok else 'OVER BUDGET'}", flush=True)
    print(f"{'total':45s} {total:8.1f}")
    print(f"{over} notebook(s) over budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
