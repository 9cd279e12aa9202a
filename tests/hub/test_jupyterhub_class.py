"""A class on JupyterHub: two students log in, follow an nbgitpuller link, get the course, run notebook 00.

JupyterHub 6.1 (requirements-instructor.txt) runs on 127.0.0.1 in a temporary directory with the dummy
authenticator (one shared password), the simple local spawner (every student is root here, with a home of their
own under the temporary directory) and npm's configurable-http-proxy. The course is a local clone of this
repository (its committed HEAD as branch ``main``). Each student follows the link the README gives instructors::

    /hub/user-redirect/git-pull?repo=<course>&urlpath=lab/tree/cnn-course/notebooks/00_start_here.ipynb&branch=main

which spawns their JupyterLab; the test then makes the request nbgitpuller's page makes (``/git-pull/api``),
checks that the student edition of notebook 00 is in the student's home, and runs notebook 00's setup cell in a
kernel started through the hub (REST API + websocket). Everything it started is stopped by PID. Skipped with a
reason without configurable-http-proxy (``npm install -g configurable-http-proxy``), git, or the instructor
requirements (``make instructor``). Every request and wait is bounded; only loopback addresses are used.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "notebooks/00_start_here.ipynb"
COURSE_DIR = "cnn-course"
STUDENTS = ("ada", "grace")
HTTP_TIMEOUT = 30
START_TIMEOUT = 180


def _missing() -> str | None:
    for module, what in (("jupyterhub", "JupyterHub"), ("nbgitpuller", "nbgitpuller"), ("requests", "requests"),
                         ("websocket", "websocket-client"), ("psutil", "psutil")):
        try:
            __import__(module)
        except ImportError:
            return f"{what} is not installed: run `make instructor` (requirements-instructor.txt)"
    if shutil.which("configurable-http-proxy") is None:
        if shutil.which("npm") is None:
            return "node/npm not found: JupyterHub needs npm's configurable-http-proxy"
        return "configurable-http-proxy not found: npm install -g configurable-http-proxy"
    if shutil.which("git") is None:
        return "git not found: nbgitpuller needs it"
    if not (ROOT / ".git").exists():
        return "not a git checkout: the hub test clones the course from it"
    return None


pytestmark = [pytest.mark.skipif(_missing() is not None, reason=str(_missing())), pytest.mark.timeout(600)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _git(*args, cwd=None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=120).stdout


def _wait(what, predicate, timeout, log: Path | None = None, proc=None):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: the hub exited ({proc.returncode}):\n{log.read_text()[-6000:]}")
        if time.monotonic() > deadline:
            tail = log.read_text()[-6000:] if log else ""
            raise AssertionError(f"{what} took longer than {timeout} s\n{tail}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A clone of the committed course, on branch main, as an instructor's repository would be."""
    src = tmp_path_factory.mktemp("origin") / COURSE_DIR
    _git("clone", "--quiet", "--no-hardlinks", str(ROOT), str(src))
    _git("checkout", "--quiet", "-B", "main", cwd=src)
    return src


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    import psutil
    import requests

    base = tmp_path_factory.mktemp("hub")
    homes = base / "home"
    for name in STUDENTS:
        (homes / name).mkdir(parents=True)
    port, hub_port, api_port = _free_port(), _free_port(), _free_port()
    password = secrets.token_urlsafe(12)
    bindir = Path(sys.executable).parent
    config = base / "jupyterhub_config.py"
    config.write_text("\n".join([
        "c = get_config()  # noqa",
        "c.JupyterHub.ip = '127.0.0.1'",
        f"c.JupyterHub.port = {port}",
        "c.JupyterHub.hub_ip = '127.0.0.1'",
        f"c.JupyterHub.hub_port = {hub_port}",
        f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{api_port}'",
        f"c.ConfigurableHTTPProxy.command = [{shutil.which('configurable-http-proxy')!r}]",
        f"c.JupyterHub.db_url = 'sqlite:///{base / 'jupyterhub.sqlite'}'",
        f"c.JupyterHub.cookie_secret_file = {str(base / 'cookie_secret')!r}",
        f"c.JupyterHub.pid_file = {str(base / 'jupyterhub.pid')!r}",
        "c.JupyterHub.authenticator_class = 'dummy'",
        f"c.DummyAuthenticator.password = {password!r}",
        f"c.Authenticator.allowed_users = {set(STUDENTS)!r}",
        "c.JupyterHub.spawner_class = 'jupyterhub.spawner.SimpleLocalProcessSpawner'",
        f"c.SimpleLocalProcessSpawner.home_dir_template = {str(homes) + '/{username}'!r}",
        f"c.Spawner.cmd = [{str(bindir / 'jupyterhub-singleuser')!r}]",
        "c.Spawner.args = ['--allow-root', '--ServerApp.port_retries=0']",
        "c.Spawner.default_url = '/lab'",
        f"c.Spawner.start_timeout = {START_TIMEOUT}",
        f"c.Spawner.http_timeout = {START_TIMEOUT}",
        "c.Spawner.env_keep = ['PATH', 'LANG', 'LC_ALL', 'VIRTUAL_ENV', 'TF_CPP_MIN_LOG_LEVEL', 'PYTHONHASHSEED',"
        " 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']",
        "c.JupyterHub.cleanup_servers = True",
        "c.JupyterHub.cleanup_proxy = True",
    ]) + "\n")
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}", HOME=str(base),
               JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_RUNTIME_DIR=str(base / "runtime"))
    log = base / "jupyterhub.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen([str(bindir / "jupyterhub"), "-f", str(config)], cwd=base, env=env, stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def up():
        try:
            return requests.get(f"{url}/hub/api/", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    started: list[int] = []
    try:
        _wait("JupyterHub start", up, 120, log, proc)
        yield {"url": url, "password": password, "homes": homes, "log": log, "proc": proc, "started": started}
    finally:
        # everything the hub started (proxy, single-user servers, kernels), by PID
        try:
            started.extend(p.pid for p in psutil.Process(proc.pid).children(recursive=True))
        except psutil.Error:
            pass
        os.killpg(proc.pid, signal.SIGTERM)  # the hub stops its servers and its proxy (cleanup_*)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        for pid in started:
            try:
                psutil.Process(pid).wait(timeout=10)
            except psutil.NoSuchProcess:
                pass
            except psutil.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)


def login(hub, name):
    """A browser-like session logged in through the hub's login form."""
    import requests

    s = requests.Session()
    r = s.get(f"{hub['url']}/hub/login", timeout=HTTP_TIMEOUT)
    r.raise_for_status()
    xsrf = s.cookies.get("_xsrf", path="/hub/")
    assert xsrf, f"no _xsrf cookie from /hub/login: {s.cookies}"
    r = s.post(f"{hub['url']}/hub/login?next=", data={"username": name, "password": hub["password"], "_xsrf": xsrf},
               timeout=HTTP_TIMEOUT, allow_redirects=False)
    assert r.status_code == 302, f"login of {name} refused ({r.status_code})"
    assert any(c.name.startswith("jupyterhub-session") or c.name == "jupyterhub-hub-login" for c in s.cookies)
    return s


def pull_link(course: Path) -> str:
    query = urllib.parse.urlencode({"repo": course.as_uri(), "urlpath": f"lab/tree/{COURSE_DIR}/{NOTEBOOK}",
                                    "branch": "main"})
    return f"/hub/user-redirect/git-pull?{query}"


def follow_pull_link(hub, s, name, course):
    """What a student's browser does with the link: spawn the server, open nbgitpuller's page, pull."""
    r = s.get(hub["url"] + pull_link(course), timeout=HTTP_TIMEOUT)  # the hub spawns the server, shows progress
    assert r.status_code == 200, (r.status_code, r.url)

    def ready():
        info = s.get(f"{hub['url']}/hub/api/user", timeout=HTTP_TIMEOUT).json()
        server = info.get("servers", {}).get("")
        return server if server and server.get("ready") else None

    _wait(f"{name}'s server", ready, START_TIMEOUT, hub["log"], hub["proc"])
    r = s.get(hub["url"] + pull_link(course), timeout=HTTP_TIMEOUT)  # now through OAuth to nbgitpuller's page
    assert r.status_code == 200 and r.url.startswith(f"{hub['url']}/user/{name}/git-pull"), (r.status_code, r.url)
    assert "git-pull" in r.text
    # The page's script streams /git-pull/api (server-sent events) until the clone is done.
    api = f"{hub['url']}/user/{name}/git-pull/api"
    params = {"repo": course.as_uri(), "branch": "main", "targetpath": COURSE_DIR}
    events = []
    with s.get(api, params=params, stream=True, timeout=HTTP_TIMEOUT) as stream:
        assert stream.status_code == 200, stream.status_code
        for line in stream.iter_lines(decode_unicode=True):
            if line and line.startswith("data: "):
                event = json.loads(line[len("data: "):])
                events.append(event)
                if event.get("phase") in ("finished", "error"):
                    break
    assert events and events[-1].get("phase") == "finished", f"nbgitpuller failed for {name}: {events[-3:]}"


def api_token(hub, s, name) -> str:
    r = s.post(f"{hub['url']}/hub/api/users/{name}/tokens", json={"note": "hub test", "expires_in": 900},
               headers={"X-XSRFToken": s.cookies.get("_xsrf", path="/hub/")}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 201, (r.status_code, r.text)
    return r.json()["token"]


def setup_cell() -> str:
    """Notebook 00's setup cell: its first code cell after the '## Setup' heading."""
    cells = json.loads((ROOT / NOTEBOOK).read_text())["cells"]
    heading = next(i for i, c in enumerate(cells)
                   if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("## Setup"))
    return "".join(next(c for c in cells[heading:] if c["cell_type"] == "code")["source"])


def run_in_kernel(hub, name, token, code, timeout=120):
    """Start a kernel through the hub, run ``code``; return (reply status, stdout, error text)."""
    import requests
    import websocket

    headers = {"Authorization": f"token {token}"}
    base = f"{hub['url']}/user/{name}/api"
    r = requests.post(f"{base}/kernels", json={"name": "python3", "path": f"{COURSE_DIR}/notebooks"},
                      headers=headers, timeout=HTTP_TIMEOUT)
    assert r.status_code == 201, (r.status_code, r.text)
    kernel = r.json()["id"]
    ws = websocket.create_connection(f"{base.replace('http', 'ws', 1)}/kernels/{kernel}/channels",
                                     header=[f"Authorization: token {token}"], timeout=timeout)
    try:
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": name,
                       "session": uuid.uuid4().hex, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True},
        }))
        stdout, errors, status, idle = [], [], None, False
        deadline = time.monotonic() + timeout
        while (status is None or not idle) and time.monotonic() < deadline:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                (stdout if content["name"] == "stdout" else errors).append(content["text"])
            elif kind == "error":
                errors.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "execute_reply":
                status = content["status"]
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        return status, "".join(stdout), "".join(errors)
    finally:
        ws.close()
        requests.delete(f"{base}/kernels/{kernel}", headers=headers, timeout=HTTP_TIMEOUT)


def test_two_students_get_the_course_and_run_notebook_00(hub, course):
    committed = _git("show", f"HEAD:{NOTEBOOK}", cwd=course)
    code = setup_cell()
    assert "import helpers" in code
    for name in STUDENTS:
        s = login(hub, name)
        follow_pull_link(hub, s, name, course)
        notebook = hub["homes"] / name / COURSE_DIR / NOTEBOOK
        assert notebook.is_file(), f"{name}'s home has no {COURSE_DIR}/{NOTEBOOK}"
        assert notebook.read_text() == committed, "the student gets the committed student edition of notebook 00"
        status, out, err = run_in_kernel(hub, name, api_token(hub, s, name), code)
        assert status == "ok", f"notebook 00's setup cell failed in {name}'s kernel: {err}"
        assert "helpers" in out and "| Python" in out, out
    # each student has a home of their own: removing one copy leaves the other
    homes = [hub["homes"] / name / COURSE_DIR / NOTEBOOK for name in STUDENTS]
    assert len({p.resolve() for p in homes}) == len(STUDENTS)


def test_a_wrong_password_is_refused(hub):
    import requests

    s = requests.Session()
    s.get(f"{hub['url']}/hub/login", timeout=HTTP_TIMEOUT)
    r = s.post(f"{hub['url']}/hub/login", data={"username": STUDENTS[0], "password": "wrong" + hub["password"],
                                                "_xsrf": s.cookies.get("_xsrf", path="/hub/")},
               timeout=HTTP_TIMEOUT, allow_redirects=False)
    assert r.status_code != 302 and "Invalid username or password" in r.text
