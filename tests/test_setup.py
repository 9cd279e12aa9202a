"""The newcomer's commands: `make lab` serves the course with a token; the install runs only once."""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STAMP = ROOT / ".venv" / ".requirements-installed"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_requirements_are_pinned_exactly():
    lines = [ln.strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    reqs = [ln for ln in lines if ln and not ln.startswith("#")]
    assert "-e ." in reqs, "requirements.txt installs the helpers package (-e .)"
    for ln in reqs:
        if ln != "-e .":
            # an exact pin, with an environment marker where the lock differs by Python version or platform
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+\-]+( ; [a-z_]+ .+)?", ln), f"not an exact pin: {ln}"
    names = {ln.split("==")[0].lower() for ln in reqs}
    for needed in ("tensorflow", "keras", "numpy", "jupyterlab", "ipywidgets", "nbval", "pytest", "hypothesis",
                   "ruff", "matplotlib", "scikit-image", "scikit-learn"):
        assert needed in names, f"{needed} must be pinned"
    assert "tensorflow-cpu" not in names, "use tensorflow (tensorflow-cpu has no macOS wheels)"


def test_environment_yml_installs_the_same_requirements():
    text = (ROOT / "environment.yml").read_text()
    assert "python=3.11" in text and "-r requirements.txt" in text


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.skipif(not STAMP.exists() or shutil.which("make") is None, reason="needs the .venv made by make")
def test_second_run_does_not_reinstall():
    # `make -q` exits 0 only when the target is up to date, i.e. nothing would be reinstalled.
    result = subprocess.run(["make", "-q", str(STAMP.relative_to(ROOT))], cwd=ROOT)
    assert result.returncode == 0, "the install stamp is older than requirements.txt/pyproject.toml"
    dry = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "pip install" not in dry


@pytest.mark.skipif(not STAMP.exists() or shutil.which("make") is None, reason="needs the .venv made by make")
def test_make_lab_serves_on_localhost_with_a_token(tmp_path):
    port = _free_port()
    env = dict(os.environ, HOME=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"), JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "ws"),
               BROWSER="true")
    log = tmp_path / "lab.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            ["make", "lab", f"LAB_PORT={port}", "LAB_ARGS=--no-browser --ServerApp.port_retries=0"],
            cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        token = None
        deadline = time.time() + 90
        while time.time() < deadline and token is None:
            match = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=([0-9a-f]+)", log.read_text())
            token = match.group(1) if match else None
            assert proc.poll() is None, log.read_text()
            time.sleep(0.5)
        assert token, f"no token URL printed:\n{log.read_text()}"
        base = f"http://127.0.0.1:{port}/api/status"
        for _ in range(60):
            if _status(f"{base}?token={token}") == 200:
                break
            time.sleep(0.5)
        assert _status(f"{base}?token={token}") == 200
        assert _status(base) in (401, 403), "the server must refuse requests without the token"
        assert _status(f"{base}?token=wrong{token}") in (401, 403)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
