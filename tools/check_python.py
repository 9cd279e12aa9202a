"""Say in one line whether this interpreter can run the course; exit 1 if it cannot.

Run by the Makefile before it creates the virtual environment, with the interpreter that will be used
(``make lab PYTHON=python3.12``). Written for any Python 2.7/3.x so that an old interpreter gets this message,
not a syntax error. The range follows TensorFlow 2.21's wheels: CPython 3.10-3.13 on Linux x86_64/aarch64,
macOS arm64 and Windows amd64.
"""

import platform
import sys

SUPPORTED = ((3, 10), (3, 13))
HINT = "install Python 3.12 (or 3.10-3.13) and run: make lab PYTHON=python3.12"


def problem():
    version = sys.version_info[:3]
    shown = ".".join(str(n) for n in version)
    if platform.python_implementation() != "CPython":
        return "%s %s: the course needs CPython 3.10-3.13 (TensorFlow has no wheels for %s); %s" % (
            platform.python_implementation(), shown, platform.python_implementation(), HINT)
    if version[:2] < SUPPORTED[0]:
        return "Python %s is too old: the course needs Python 3.10-3.13 (TensorFlow 2.21's range); %s" % (
            shown, HINT)
    if version[:2] > SUPPORTED[1]:
        return ("Python %s is too new: TensorFlow 2.21 has no wheel for Python %d.%d yet, so the course needs "
                "Python 3.10-3.13; %s" % (shown, version[0], version[1], HINT))
    if sys.maxsize <= 2 ** 32:
        return "a 32-bit Python (%s): TensorFlow needs a 64-bit Python 3.10-3.13" % shown
    machine = platform.machine().lower()
    if sys.platform == "darwin" and machine in ("x86_64", "i386"):
        return ("macOS on Intel (x86_64): TensorFlow 2.21 has no wheel for it (the last one is 2.16); use an "
                "Apple-silicon Mac with a native arm64 Python, Binder or a JupyterHub (see README)")
    return None


if __name__ == "__main__":
    message = problem()
    if message:
        sys.stdout.write("%s: %s\n" % (sys.executable, message))
        sys.exit(1)
