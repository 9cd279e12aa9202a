"""Private: the student's progress file, written by :func:`helpers.checks.check`, read by ``progress()``.

The file lives in the student's own folder, never in the package: ``$CNN_COURSE_PROGRESS`` if set (``off``
or ``0`` turns recording off), else ``.cnn-course-progress.json`` in the current working directory (the folder
of the notebook the kernel runs). Course updates never touch it (git ignores it). It is JSON::

    {"version": 1, "exercises": {"03.ex2": {"status": "passed", "passed_once": true, "attempts": 3,
                                           "updated": "2025-01-31T10:00:00"}}}

Writes are atomic (a temporary file in the same folder, then ``os.replace``); a file that cannot be read as
such JSON is renamed ``<name>.corrupt-<time>`` and a new one is started. Nothing here ever raises: a folder
that cannot be written simply records nothing. Nothing is recorded while nbgrader grades.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

__all__ = ["path", "load", "record"]

FILENAME = ".cnn-course-progress.json"
STATUSES = ("passed", "failed", "not attempted")


def path() -> Path | None:
    """Where progress is recorded, or None when recording is off."""
    where = os.environ.get("CNN_COURSE_PROGRESS", "").strip()
    if where.lower() in ("off", "0", "false", "no"):
        return None
    return Path(where).expanduser() if where else Path.cwd() / FILENAME


def _valid(data) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("exercises"), dict)
            and all(isinstance(v, dict) and v.get("status") in STATUSES for v in data["exercises"].values()))


def load(where: Path | None = None) -> dict:
    """The recorded exercises (id -> record); a missing file is empty, a corrupt one is set aside."""
    where = where or path()
    if where is None or not where.exists():
        return {}
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
        if _valid(data):
            return data["exercises"]
    except (OSError, ValueError):
        pass
    try:  # keep the damaged file for the curious (never over an older one), start a new one
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = next(c for n in range(1000) if not (c := where.with_name(
            f"{where.name}.corrupt-{stamp}{f'-{n}' if n else ''}")).exists())
        where.replace(aside)
    except (OSError, StopIteration):
        pass
    return {}


def _write(where: Path, exercises: dict) -> None:
    text = json.dumps({"version": 1, "exercises": dict(sorted(exercises.items()))}, indent=1, sort_keys=True)
    fd, tmp = tempfile.mkstemp(dir=where.parent, prefix=where.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(tmp, where)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def record(exercise_id: str, status: str) -> None:
    """Record one check's outcome (``"passed"``, ``"failed"`` or ``"not attempted"``); never raises."""
    try:
        if os.environ.get("NBGRADER_EXECUTION") or status not in STATUSES:
            return
        where = path()
        if where is None:
            return
        exercises = load(where)
        old = exercises.get(exercise_id, {})
        exercises[exercise_id] = {
            "status": status,
            "passed_once": bool(old.get("passed_once")) or status == "passed",
            "attempts": int(old.get("attempts", 0)) + (status != "not attempted"),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        _write(where, exercises)
    except Exception:  # noqa: BLE001 - recording progress must never disturb a check
        return
