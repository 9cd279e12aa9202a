"""The install path: the interpreter check, pip or uv, the instructor requirements, the timeouts."""

from __future__ import annotations

import importlib.util
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


@pytest.fixture()
def check_python():
    spec = importlib.util.spec_from_file_location("check_python", ROOT / "tools" / "check_python.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("version", [(3, 10, 0), (3, 11, 2), (3, 11, 9), (3, 12, 1), (3, 13, 5)])
def test_supported_pythons_pass(check_python, monkeypatch, version):
    monkeypatch.setattr(sys, "version_info", version)
    monkeypatch.setattr(sys, "platform", "linux")
    assert check_python.problem() is None


@pytest.mark.parametrize("version,words", [((3, 14, 0), "too new"), ((3, 9, 18), "too old"), ((2, 7, 18), "too old")])
def test_unsupported_pythons_get_one_line_saying_what_to_install(check_python, monkeypatch, version, words):
    monkeypatch.setattr(sys, "version_info", version)
    message = check_python.problem()
    assert message and words in message and "3.10-3.13" in message and "PYTHON=python3.12" in message
    assert "\n" not in message


def test_intel_macs_are_told_the_truth(check_python, monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    assert "no wheel" in check_python.problem()
    monkeypatch.setattr(platform, "machine", lambda: "arm64")
    assert check_python.problem() is None


def _make(*args, **kw):
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, **kw)


@needs_make
def test_make_names_a_missing_interpreter_in_one_line(tmp_path):
    out = _make("venv", f"VENV={tmp_path / 'venv'}", "PYTHON=python3.99-not-there")
    assert out.returncode != 0
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1 and "python3.99-not-there not found" in lines[0] and "3.10-3.13" in lines[0], out.stdout
    assert not (tmp_path / "venv").exists(), "no venv is created for an interpreter that cannot run the course"


@needs_make
@pytest.mark.parametrize("old", ["/root/.pyenv/versions/3.9.18/bin/python", "/root/.pyenv/versions/2.7.18/bin/python"])
def test_make_refuses_an_old_interpreter_before_creating_the_venv(tmp_path, old):
    if not Path(old).exists():
        pytest.skip(f"{old} is not on this machine")
    out = _make("venv", f"VENV={tmp_path / 'venv'}", f"PYTHON={old}")
    assert out.returncode != 0 and "too old" in out.stdout, out.stdout + out.stderr
    assert not (tmp_path / "venv").exists()


@needs_make
def test_uv_installs_when_asked_and_pip_otherwise(tmp_path):
    venv = tmp_path / "venv"
    uv = _make("-n", "venv", f"VENV={venv}", "INSTALLER=uv", "UV=/opt/uv/bin/uv", f"PYTHON={sys.executable}")
    assert f"/opt/uv/bin/uv pip install --quiet --python {venv}/bin/python -r requirements.txt" in uv.stdout, uv.stdout
    pip = _make("-n", "venv", f"VENV={venv}", "INSTALLER=pip", f"PYTHON={sys.executable}")
    assert f"{venv}/bin/python -m pip install" in pip.stdout and "uv pip" not in pip.stdout, pip.stdout
    # no uv on PATH: pip is the default
    nouv = _make("-n", "venv", f"VENV={venv}", f"PYTHON={sys.executable}", env={"PATH": "/usr/bin:/bin"})
    assert "-m pip install" in nouv.stdout and "uv pip" not in nouv.stdout, nouv.stdout


@needs_make
def test_instructor_requirements_install_on_top_of_the_course(tmp_path):
    dry = _make("-n", "instructor", f"VENV={tmp_path / 'venv'}", "INSTALLER=pip", f"PYTHON={sys.executable}")
    lines = dry.stdout.splitlines()
    first = next(i for i, ln in enumerate(lines) if "-r requirements.txt" in ln)
    second = next(i for i, ln in enumerate(lines) if "-r requirements-instructor.txt" in ln)
    assert first < second, dry.stdout


def test_students_never_get_the_instructor_tools():
    student = (ROOT / "requirements.txt").read_text().lower()
    for name in ("nbgrader", "jupyterhub", "nbgitpuller"):
        assert f"\n{name}==" not in student, f"{name} belongs in requirements-instructor.txt only"
        assert f"\n{name}==" in (ROOT / "requirements-instructor.txt").read_text().lower()


def test_the_suite_cannot_hang():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    pytest_cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert 0 < int(pytest_cfg["timeout"]) <= 600 and pytest_cfg["timeout_method"] == "thread"
    makefile = (ROOT / "Makefile").read_text()
    assert "--max-worker-restart=0" in makefile, "a crashed xdist worker must fail the run, not be replaced"
    assert "--nbval-cell-timeout=240" in makefile
