"""The universal lock: requirements.txt installs on every Python TensorFlow supports, on every platform we claim.

``make lock`` compiles requirements.in into requirements.txt (``uv pip compile --universal``): exact pins with
environment markers. The offline tests check that the lock is well formed and still satisfies requirements.in in
every cell of the matrix. The resolution tests ask pip, for each {Python} x {platform}, to resolve the pins that
apply there (markers evaluated for that cell, as pip on that machine would) with ``--dry-run --only-binary=:all:``:
a missing wheel, a pin that needs a newer Python or an incomplete lock fails. They need the package index and are
skipped with a reason when it cannot be reached (``make test`` passes offline; CI runs them online).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.txt"
INSTRUCTOR_LOCK = ROOT / "requirements-instructor.txt"

PYTHONS = ["3.10", "3.11.2", "3.11.9", "3.12", "3.13"]


def _manylinux(arch: str) -> list[str]:
    # glibc 2.28 or newer (Debian 10+, Ubuntu 20.04+, RHEL 8+) accepts every older manylinux tag too
    return ([f"manylinux_2_{minor}_{arch}" for minor in range(28, 16, -1)]
            + [f"manylinux2014_{arch}"] + ([f"manylinux2010_{arch}", f"manylinux1_{arch}"] if arch == "x86_64" else []))


def _macos_arm64() -> list[str]:
    # macOS 14 on Apple silicon accepts wheels built for macOS 11-14, arm64 or universal2
    return [f"macosx_{major}_0_{arch}" for major in range(14, 10, -1) for arch in ("arm64", "universal2")]


# name -> (pip --platform tags, marker environment apart from the Python version)
PLATFORMS = {
    "linux-x86_64": (_manylinux("x86_64"), {"sys_platform": "linux", "platform_system": "Linux",
                                            "platform_machine": "x86_64", "os_name": "posix"}),
    "linux-aarch64": (_manylinux("aarch64"), {"sys_platform": "linux", "platform_system": "Linux",
                                              "platform_machine": "aarch64", "os_name": "posix"}),
    "macos-arm64": (_macos_arm64(), {"sys_platform": "darwin", "platform_system": "Darwin",
                                     "platform_machine": "arm64", "os_name": "posix"}),
    "windows-amd64": (["win_amd64"], {"sys_platform": "win32", "platform_system": "Windows",
                                      "platform_machine": "AMD64", "os_name": "nt"}),
}
CELLS = [(py, plat) for py in PYTHONS for plat in PLATFORMS]


def environment(python: str, platform: str) -> dict[str, str]:
    """The PEP 508 marker environment of CPython ``python`` on ``platform``."""
    full = python if python.count(".") == 2 else f"{python}.0"
    env = {"python_version": ".".join(full.split(".")[:2]), "python_full_version": full,
           "implementation_name": "cpython", "platform_python_implementation": "CPython",
           "implementation_version": full, "platform_release": "", "platform_version": ""}
    env.update(PLATFORMS[platform][1])
    return env


def read_lock(path: Path = LOCK) -> list[Requirement]:
    """The pinned requirements of a lock (its ``-e .`` line, the local helpers package, left out)."""
    reqs = []
    for line in path.read_text().splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-e "):
            assert line == "-e .", f"{path.name}: unexpected editable requirement {line!r}"
            continue
        reqs.append(Requirement(line))
    return reqs


def pins_for(python: str, platform: str, path: Path = LOCK) -> dict[str, Requirement]:
    """The pins of the lock that apply to one cell of the matrix, by canonical name."""
    env = environment(python, platform)
    pins: dict[str, Requirement] = {}
    for req in read_lock(path):
        if req.marker is None or req.marker.evaluate(env):
            name = canonicalize_name(req.name)
            assert name not in pins, f"{req.name} is pinned twice for Python {python} on {platform}"
            pins[name] = req
    return pins


def pinned_version(req: Requirement) -> Version:
    (spec,) = req.specifier
    assert spec.operator == "==", f"not an exact pin: {req}"
    return Version(spec.version)


def direct_requirements() -> list[Requirement]:
    reqs = []
    for line in (ROOT / "requirements.in").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            reqs.append(Requirement(line))
    return reqs


# -- offline: the lock's shape --------------------------------------------------------------------------------

def test_every_line_of_the_lock_is_an_exact_pin_with_at_most_a_marker():
    reqs = read_lock()
    assert len(reqs) > 100, "requirements.txt should pin the whole environment"
    for req in reqs:
        assert not req.extras and not req.url, f"pin without extras or URLs: {req}"
        pinned_version(req)
    assert "-e ." in LOCK.read_text().splitlines(), "the lock installs the helpers package (-e .)"


@pytest.mark.parametrize("python,platform", CELLS, ids=[f"py{p}-{q}" for p, q in CELLS])
def test_lock_satisfies_requirements_in(python, platform):
    pins = pins_for(python, platform)
    env = environment(python, platform)
    for req in direct_requirements():
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        name = canonicalize_name(req.name)
        assert name in pins, f"requirements.in asks for {req} but the lock pins nothing for it: run make lock"
        version = pinned_version(pins[name])
        assert req.specifier.contains(version, prereleases=True), (
            f"{name}=={version} in requirements.txt does not satisfy {req} in requirements.in: run make lock")


def test_the_lock_keeps_the_tested_versions_on_311_and_newer():
    # The versions the whole suite runs with on 3.11.7 and 3.13 stay; older Pythons get markers of their own.
    expected = {"tensorflow": "2.21.0", "numpy": "2.4.6", "jupyterlab": "4.6.6", "ipywidgets": "8.1.9",
                "nbval": "0.11.0", "keras": "3.15.1"}
    for python in ("3.11.9", "3.12", "3.13"):
        pins = pins_for(python, "linux-x86_64")
        for name, version in expected.items():
            assert pinned_version(pins[name]) == Version(version), (python, name)
        assert pinned_version(pins["pytest"]).major == 9


def test_old_pythons_get_versions_that_support_them():
    # numpy 2.3+ needs Python 3.11; soupsieve 4.1 needs 3.11.5 (Debian 12 ships 3.11.2).
    assert pinned_version(pins_for("3.10", "linux-x86_64")["numpy"]) < Version("2.3")
    assert pinned_version(pins_for("3.11.2", "linux-x86_64")["soupsieve"]) < Version("4.1")
    assert pinned_version(pins_for("3.11.9", "linux-x86_64")["soupsieve"]) >= Version("4.1")
    assert "tensorflow-cpu" not in pins_for("3.12", "macos-arm64"), "tensorflow-cpu has no macOS wheels"


def test_instructor_lock_has_the_same_pins_plus_the_instructor_tools():
    for python in ("3.11.9", "3.13"):
        student, instructor = pins_for(python, "linux-x86_64"), pins_for(python, "linux-x86_64", INSTRUCTOR_LOCK)
        changed = {n for n in student if n in instructor and str(student[n].specifier) != str(instructor[n].specifier)}
        assert not changed, f"requirements-instructor.txt must keep requirements.txt's pins: {sorted(changed)}"
        assert set(student) <= set(instructor)
        for name in ("nbgrader", "jupyterhub", "nbgitpuller"):
            assert name in instructor and name not in student, name
    assert INSTRUCTOR_LOCK.read_text().splitlines().count("-e .") == 1


def test_marker_environment_rejects_typos():
    with pytest.raises(KeyError):
        environment("3.12", "macos-x86_64")  # not a supported platform: TensorFlow 2.21 has no wheel for it
    assert Marker("python_full_version < '3.11.5'").evaluate(environment("3.11.2", "linux-x86_64"))
    assert not Marker("sys_platform == 'win32'").evaluate(environment("3.11.2", "linux-x86_64"))


# -- online: pip resolves each cell ----------------------------------------------------------------------------

def _pip_config(key: str) -> str | None:
    out = subprocess.run([sys.executable, "-m", "pip", "config", "get", key], capture_output=True, text=True,
                         timeout=60)
    return out.stdout.strip() or None if out.returncode == 0 else None


@cache
def index_unreachable() -> str | None:
    """Why the package index cannot be used (None when it can)."""
    url = os.environ.get("PIP_INDEX_URL") or _pip_config("global.index-url")
    if not url:
        from pip._internal.models.index import PyPI  # pip's own default index, as pip itself would use it
        url = PyPI.simple_url
    probe = url.rstrip("/") + "/pip/"
    try:
        with urllib.request.urlopen(probe, timeout=15) as r:
            r.read(1)
    except (OSError, urllib.error.URLError) as e:
        return f"the package index ({url}) is unreachable ({e}); the lock is resolved online by .ci/run"
    return None


def resolve(python: str, platform: str) -> tuple[dict[str, str] | None, str]:
    """pip's dry-run install of the cell's pins: ({name: version} it would install, or None; pip's output)."""
    pins = pins_for(python, platform)
    tags, _ = PLATFORMS[platform]
    with tempfile.TemporaryDirectory() as tmp:
        reqs = Path(tmp, "requirements.txt")
        reqs.write_text("\n".join(f"{r.name}{r.specifier}" for r in pins.values()) + "\n")
        report = Path(tmp, "report.json")
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--only-binary=:all:",
               "--disable-pip-version-check", "--quiet", "--python-version", python, "--implementation", "cp",
               "--target", str(Path(tmp, "target")), "--report", str(report), "-r", str(reqs)]
        for tag in tags:
            cmd += ["--platform", tag]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            return None, "pip did not finish within 600 s"
        output = "\n".join(line for line in (out.stdout + out.stderr).splitlines()
                            if not line.startswith("WARNING: Location"))  # a local index that lacks a package
        if out.returncode != 0 or not report.exists():
            return None, output
        installed = {canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
                     for item in json.loads(report.read_text())["install"]}
        return installed, output


@pytest.fixture(scope="module")
def resolutions():
    reason = index_unreachable()
    if reason:
        pytest.skip(reason)
    # pip fetches each wheel's metadata (whole wheels where the index has no separate metadata): network-bound,
    # so a few cells at a time
    with ThreadPoolExecutor(max_workers=5) as pool:
        futures = {cell: pool.submit(resolve, *cell) for cell in CELLS}
        return {cell: f.result() for cell, f in futures.items()}


# The first of these tests resolves all 20 cells in its setup (a few minutes on 2 cores).
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("python,platform", CELLS, ids=[f"py{p}-{q}" for p, q in CELLS])
def test_lock_resolves(resolutions, python, platform):
    installed, output = resolutions[(python, platform)]
    assert installed is not None, f"pip cannot install requirements.txt on Python {python}, {platform}:\n{output}"
    pins = pins_for(python, platform)
    for name, req in pins.items():
        assert installed.get(name) == str(pinned_version(req)), (name, installed.get(name), str(req))
    # pip evaluates the dependencies' own markers for the machine it runs on, not for the cell, so it may add a
    # package that the lock pins only for other environments (pexpect off Windows, say). Anything else it adds
    # is missing from the lock.
    locked = {canonicalize_name(r.name) for r in read_lock()}
    missing = sorted(set(installed) - set(pins) - locked)
    assert not missing, f"the lock misses dependencies for Python {python} on {platform}: {missing}"


def test_resolution_fails_for_a_pin_without_wheels(tmp_path):
    # The check can fail: TensorFlow 2.21 has no wheel for Python 3.14 (nor for Intel Macs).
    if index_unreachable():
        pytest.skip(index_unreachable())
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--only-binary=:all:",
           "--disable-pip-version-check", "--quiet", "--no-deps", "--python-version", "3.14", "--implementation",
           "cp", "--target", str(tmp_path / "t"), "--platform", "manylinux_2_28_x86_64", "tensorflow==2.21.0"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    assert re.search(r"(No matching distribution|Could not find a version)", out.stderr), out.stderr
