"""The public API: every name in __all__ imports, is documented with a runnable example."""

import doctest
import importlib
import pkgutil

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
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0, f"{failures} docstring example(s) failed in {module_name}"
