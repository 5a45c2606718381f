"""Sphinx configuration of the sim2real_sklearn documentation.

Built offline and fast: the API pages come from the numpydoc docstrings, the
examples are shown (docstring and source), never run, and no inventory is
fetched from the internet (so no intersphinx). CI builds it with warnings as
errors: ``sphinx-build -W --keep-going -b html docs docs/_build/html``.
"""

import ast
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document this checkout, installed or not

import sim2real_sklearn  # noqa: E402

project = "sim2real_sklearn"
author = "sim2real_sklearn developers"
copyright = "2026, sim2real_sklearn developers"
release = version = sim2real_sklearn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
]
templates_path = ["_templates"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_theme_options = {"description": "Sim2Real transfer learning, the scikit-learn way",
                      "fixed_sidebar": True}
html_title = f"sim2real_sklearn {release}"

# API pages: one per public name, generated from the docstrings at build time.
autosummary_generate = True
autodoc_typehints = "none"  # the numpydoc Parameters sections say the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False  # autodoc lists the members (class template)
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()


def _skip_routing_setters(app, what, name, obj, skip, options):
    """scikit-learn writes set_fit_request & co. on every estimator class; they are its docs'."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def _top_level_reference(app, env, node, contnode):
    """``sim2real_sklearn.PowerLaw`` (as docstrings write it) to its page under its subpackage.

    Every public name is importable from the package itself, and docstrings use
    both spellings; the pages live under the subpackage that defines the name.
    """
    target = node.get("reftarget", "")
    parts = target.split(".")
    if node.get("refdomain") != "py" or parts[0] != "sim2real_sklearn" or len(parts) < 2:
        return None
    subpackage = sim2real_sklearn._PUBLIC_NAMES.get(parts[1])
    if subpackage is None:
        return None
    node["reftarget"] = ".".join(["sim2real_sklearn", subpackage, *parts[1:]])
    return env.domains["py"].resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                                          node["reftarget"], node, contnode)


def _write_example_pages(app):
    """One page per examples/*.py: its docstring as text, then its source (never run)."""
    out = DOCS / "examples" / "generated"
    out.mkdir(exist_ok=True)
    for script in sorted((ROOT / "examples").glob("*.py")):
        tree = ast.parse(script.read_text())
        doc = ast.get_docstring(tree) or ""
        title, _, body = doc.partition("\n")
        title = f"{script.stem}: {title.rstrip('.')}"
        # the source after the docstring, which the page already shows as text
        first = tree.body[1].lineno if doc and len(tree.body) > 1 else 1
        page = (f"{title}\n{'=' * len(title)}\n\n{body.strip()}\n\n"
                f"Source: ``examples/{script.name}``\n\n"
                f".. literalinclude:: ../../../examples/{script.name}\n"
                f"   :language: python\n   :lines: {first}-\n   :lineno-start: {first}\n")
        path = out / f"{script.stem}.rst"
        if not path.exists() or path.read_text() != page:  # keep incremental builds incremental
            path.write_text(page)


def setup(app):
    app.connect("builder-inited", _write_example_pages)
    app.connect("autodoc-skip-member", _skip_routing_setters)
    app.connect("missing-reference", _top_level_reference)
