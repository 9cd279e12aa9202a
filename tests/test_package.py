"""The helpers package as a whole: light import, explicit API, docstrings."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["shapes", "conv", "plotting", "explorers", "models", "data", "checks"]
NO_TENSORFLOW = ["shapes", "conv", "plotting", "explorers", "data", "checks"]


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_helpers_does_not_import_tensorflow_or_submodules():
    out = _run(
        "import sys, helpers; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras') "
        "or m.startswith('helpers.')))"
    )
    assert out == "[]"


@pytest.mark.parametrize("name", NO_TENSORFLOW)
def test_light_modules_do_not_import_tensorflow(name):
    if not (ROOT / "helpers" / f"{name}.py").exists():
        pytest.skip(f"helpers/{name}.py not written yet")
    out = _run(f"import sys, helpers.{name}; print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    assert out == "False False"


def test_lazy_submodule_access_and_unknown_name():
    import helpers

    assert helpers.shapes is importlib.import_module("helpers.shapes")
    with pytest.raises(AttributeError, match="available"):
        helpers.not_a_module  # noqa: B018


@pytest.mark.parametrize("name", MODULES)
def test_module_has_explicit_all_and_documented_public_functions(name):
    path = ROOT / "helpers" / f"{name}.py"
    if not path.exists():
        pytest.skip(f"helpers/{name}.py not written yet")
    tree = ast.parse(path.read_text())
    assert ast.get_docstring(tree), f"helpers/{name}.py needs a module docstring"
    exported = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            exported = ast.literal_eval(node.value)
    assert exported, f"helpers/{name}.py must define __all__ explicitly"
    defined = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assigned = {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    for public in exported:
        assert public in defined or public in assigned, f"{name}.__all__ lists {public!r} but it is not defined"
        node = defined.get(public)
        if node is not None:
            doc = ast.get_docstring(node)
            assert doc, f"{name}.{public} has no docstring"
            if isinstance(node, ast.FunctionDef):
                assert "Examples" in doc or ">>>" in doc, f"{name}.{public} has no doctest example"
