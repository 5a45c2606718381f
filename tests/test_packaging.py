"""What a user installing the wheel gets: the licence text and complete metadata."""

import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A wheel built from a copy of what the build reads (the checkout stays clean)."""
    setuptools = pytest.importorskip("setuptools")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip("license_expression needs setuptools >= 77 (pyproject.toml requires it)")
    source = tmp_path_factory.mktemp("source")
    for name in ("setup.cfg", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "sim2real_sklearn", source / "sim2real_sklearn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the installed setuptools, no download (CI runs a copy offline).
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(out)], check=True)
    return zipfile.ZipFile(next(out.glob("*.whl")))


def _metadata(wheel):
    name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    return Parser().parsestr(wheel.read(name).decode())


def test_the_wheel_ships_the_bsd_licence_it_declares(wheel):
    licence = next(n for n in wheel.namelist() if n.endswith(".dist-info/licenses/LICENSE"))
    text = wheel.read(licence).decode()
    assert text.startswith("BSD 3-Clause License")
    assert "sim2real_sklearn developers" in text
    assert "Neither the name of the copyright holder" in text  # the third clause
    assert _metadata(wheel)["License-Expression"] == "BSD-3-Clause"


def test_the_metadata_names_python_versions_and_where_to_read_and_report(wheel):
    meta = _metadata(wheel)
    assert meta["Requires-Python"] == ">=3.10"
    classifiers = meta.get_all("Classifier")
    for version in ("3.10", "3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert "Operating System :: OS Independent" in classifiers
    assert any(c.startswith("Development Status ::") for c in classifiers)
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert set(urls) >= {"Documentation", "Source", "Issues"}
    assert set(meta.get_all("Provides-Extra")) >= {"progress", "docs", "dev"}
