"""The public API: every name in __all__ imports, is documented with a runnable example."""

import ast
import doctest
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sim2real_sklearn


@pytest.mark.parametrize("name", sim2real_sklearn.__all__)
def test_public_name_has_a_docstring_with_an_example(name):
    obj = getattr(sim2real_sklearn, name)
    assert obj.__doc__ and "Examples" in obj.__doc__, f"{name} needs an Examples section"


MODULES = sorted(
    m.name for m in pkgutil.walk_packages(sim2real_sklearn.__path__, "sim2real_sklearn.")
)


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    failures, _ = doctest.testmod(module, optionflags=flags)
    assert failures == 0, f"{failures} docstring example(s) failed in {module_name}"


# -- the architecture a newcomer relies on ---------------------------------------

PACKAGE_DIR = Path(sim2real_sklearn.__file__).parent


def test_importing_the_package_loads_neither_torch_nor_rdkit():
    probe = ("import sys, sim2real_sklearn; "
             "from sim2real_sklearn import PowerLaw, ScalingCurveResult, make_sim2real_regression; "
             "print(sorted(m for m in ('torch', 'skorch', 'rdkit') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("module_name", MODULES)
def test_no_module_is_shadowed_by_a_name_of_its_package(module_name):
    # `import sim2real_sklearn.scaling_curve as m` once gave the function.
    parent, _, leaf = module_name.rpartition(".")
    module = importlib.import_module(module_name)
    assert getattr(importlib.import_module(parent), leaf) is module


def _imports(path):
    """(level, module) of every ``import``/``from ... import`` in a file."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield node.level, node.module or ""
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name


@pytest.mark.parametrize("path", sorted(PACKAGE_DIR.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE_DIR)))
def test_no_import_runs_back_up_to_a_package_init(path):
    # A module imports the module that defines a name, never the __init__ of
    # a package it belongs to: that would make the lazy top level eager and
    # the layers circular. (The command line, a consumer, may import the
    # subpackages' public names.)
    parts = ("sim2real_sklearn",) + path.relative_to(PACKAGE_DIR).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
        package = parts
    else:
        package = parts[:-1]
    ancestors = {".".join(parts[:i]) for i in range(1, len(parts))} | {".".join(package)}
    if path.name == "__init__.py":
        ancestors.discard(".".join(package))  # an __init__ imports its own modules
        ancestors = {a for a in ancestors if a != ".".join(parts)}
    for level, module in _imports(path):
        if level:
            base = package[:len(package) - level + 1]
            target = ".".join(base + ((module,) if module else ()))
        else:
            target = module
        assert target not in ancestors, f"{path.relative_to(PACKAGE_DIR)} imports from {target}"


def test_the_readme_blocks_marked_tested_run(tmp_path, monkeypatch):
    # Short examples a user copies: they must run as written, not only import.
    readme = (PACKAGE_DIR.parent / "README.md").read_text()
    blocks = re.findall(r"<!-- tested -->\n```python\n(.*?)```", readme, flags=re.S)
    assert blocks
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        namespace = {}
        exec(compile(block, "README.md", "exec"), namespace)
    # The names the text promises are what the block computed.
    assert namespace["mean"].shape == namespace["std"].shape == (5,)
    assert (namespace["std"] > 0).all()
    assert namespace["result"].scores.shape == (2, 4)


def test_every_import_in_the_readme_works():
    # The README's examples are what users copy: their import paths must keep working.
    readme = (PACKAGE_DIR.parent / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    statements = [node for block in blocks for node in ast.parse(block).body
                  if isinstance(node, (ast.Import, ast.ImportFrom))
                  and (getattr(node, "module", None) or node.names[0].name).startswith("sim2real")]
    assert statements
    for node in statements:
        exec(compile(ast.Module([node], []), "README.md", "exec"), {})
