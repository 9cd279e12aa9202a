"""Shared by the tests and the doctests of helpers/: checks record progress in a temporary file, never in
the repository (``helpers.checks.check`` writes ``.cnn-course-progress.json`` in the working directory)."""

import pytest


@pytest.fixture(autouse=True)
def _progress_in_a_temporary_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_PROGRESS", str(tmp_path / "cnn-course-progress.json"))
