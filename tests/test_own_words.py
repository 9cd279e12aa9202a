"""The course is written in its own words: no long word sequence is copied from the source documents.

The five seed documents sit in ``../shared/seeds`` beside the repository (as in CI). The test compares
10-word shingles of every notebook's markdown and code comments with the seeds.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
N = 10


def _words(text):
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)  # formulas may legitimately coincide
    text = re.sub(r"\$[^$\n]*\$", " ", text)
    return re.findall(r"[a-z]+", text.lower())


def _shingles(words):
    return {" ".join(words[i:i + N]) for i in range(len(words) - N + 1)}


@pytest.fixture(scope="module")
def seed_shingles():
    files = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    if not files:
        pytest.skip(f"source documents not found in {SEEDS}")
    return set().union(*(_shingles(_words(p.read_text(encoding="utf-8"))) for p in files))


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("*.ipynb")), ids=lambda p: p.stem)
def test_no_ten_word_sequence_copied_from_the_sources(path, seed_shingles):
    nb = json.loads(path.read_text(encoding="utf-8"))
    text = "\n".join(c["source"] if isinstance(c["source"], str) else "".join(c["source"]) for c in nb["cells"])
    copied = sorted(_shingles(_words(text)) & seed_shingles)
    assert not copied, f"{len(copied)} copied 10-word sequence(s), e.g. {copied[:3]}"


def test_the_check_can_see_a_copy(seed_shingles):
    some = next(iter(seed_shingles))
    assert _shingles(_words("Intro. " + some + " outro")) & seed_shingles
