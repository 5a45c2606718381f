"""Every example runs in quick mode and writes what its docstring promises.

Each example is run as a user would run it (``python examples/NN_name.py
--quick --out DIR``) in a fresh process whose working directory is a
temporary folder, with the data cache pointed at the shared data files.
The examples on public data skip, saying why, where those files are absent
(a clone without ../shared).
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPOSITORY = Path(__file__).parents[1]
EXAMPLES = REPOSITORY / "examples"

# Public data files each example loads.
NEEDS = {
    "02_flory_huggins_chi.py": ("chi_experimental.csv", "chi_cosmo_rs.csv"),
    "03_refractive_index.py": ("radonpy_PI1070.csv", "polymer_refractive_index_exp.csv"),
    "06_ffkm_descriptor.py": ("radonpy_PI1070.csv", "polymer_refractive_index_exp.csv",
                              "chi_experimental.csv", "chi_cosmo_rs.csv"),
}

# Files each example writes in its --out folder.
EXPECTED_FILES = {
    "01_quickstart.py": ["quickstart_scaling_curve.png"],
    "02_flory_huggins_chi.py": [
        "chi_scaling_curve.png", "chi_per_class.png", "summary.json",
        "finetune/scaling_curve.png", "finetune/report.json", "finetune/scores.csv",
        "multitask/scaling_curve.png", "multitask/report.json", "multitask/scores.csv",
    ],
    "03_refractive_index.py": ["scaling_curve.png", "report.json", "scores.csv", "summary.json"],
    "04_grid_search.py": ["grid_search_summary.json"],
    "05_dask_cluster.py": ["dask_summary.json"],
    "06_ffkm_descriptor.py": [
        "summary.json", "refractive_index_scores.csv", "chi_scores.csv",
        "ffkm_vs_morgan_refractive_index.png", "ffkm_vs_morgan_refractive_index_unscaled.png",
        "ffkm_vs_morgan_chi.png",
    ],
}


def run_example(name, tmp_path):
    # The data home is the one conftest.py chose (the shared files, if here).
    # The package comes from this checkout first, not from wherever an
    # installed copy points: a copy of the repository tests its own code.
    python_path = os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": python_path}
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--quick", "--out", str(tmp_path / "out")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, (
        f"{name} exited with {completed.returncode}\n--- stdout\n{completed.stdout[-3000:]}"
        f"\n--- stderr\n{completed.stderr[-3000:]}"
    )
    return completed.stdout, tmp_path / "out"


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("[0-9][0-9]_*.py")) == sorted(EXPECTED_FILES)


def test_every_example_on_public_data_skips_without_it():
    # An example that loads public data but is not in NEEDS fails in a clone
    # without ../shared instead of skipping.
    loaders = {p.name for p in EXAMPLES.glob("[0-9][0-9]_*.py") if "fetch_" in p.read_text()}
    assert loaders == set(NEEDS)


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.needs_public_data(*NEEDS[name])) if name in NEEDS
    else name
    for name in sorted(EXPECTED_FILES)
])
def test_example_runs_in_quick_mode(name, tmp_path):
    if name == "05_dask_cluster.py" and importlib.util.find_spec("distributed") is None:
        pytest.skip("needs the 'dask' extra (distributed)")
    if name == "06_ffkm_descriptor.py" and importlib.util.find_spec("radonpy") is None:
        pytest.skip("needs the 'radonpy' extra")
    stdout, out = run_example(name, tmp_path)
    missing = [f for f in EXPECTED_FILES[name] if not (out / f).is_file()]
    assert not missing, f"{name} did not write {missing}; it printed:\n{stdout[-2000:]}"
    check = CHECKS.get(name)
    if check is not None:
        check(stdout, out)


def check_chi(stdout, out):
    summary = json.loads((out / "summary.json").read_text())
    for strategy in ("finetune", "multitask"):
        row = summary[strategy]
        # Leakage guard: the largest size fits in what every trial keeps.
        assert row["source_sizes"][-1] <= 1206 - row["n_source_dropped"][1]
        assert len(row["mean_mae"]) == len(row["source_sizes"])
        assert np.all(np.isfinite(row["mean_mae"] + [row["baseline_mae"]]))
        assert row["n_trials"] == 2


def check_grid_search(stdout, out):
    summary = json.loads((out / "grid_search_summary.json").read_text())
    assert summary["grid_search_fits"] == 13  # 2 x 2 candidates x 3 folds + refit
    assert summary["grid_search_pretraining_runs"] == 1
    assert summary["refit_pretrain_from_cache"] is True
    assert summary["scaling_curve_pretraining_runs"] == summary["scaling_curve_cells"]


def check_dask(stdout, out):
    # Lines "local 50: 1.1004874128 0.8891335255", one per size and backend.
    printed = {}
    for backend, size, numbers in re.findall(r"^(local|dask) (\w+): ([-\d. ]+)$", stdout, re.M):
        printed.setdefault(backend, {})[size] = [float(v) for v in numbers.split()]
    assert printed["local"].keys() == printed["dask"].keys() == {"baseline", "50", "400"}
    assert printed["dask"] == printed["local"]
    assert "identical scores: True" in stdout


def check_ffkm(stdout, out):
    summary = json.loads((out / "summary.json").read_text())
    for study, variants in (("refractive_index", {"ffkm", "morgan", "ffkm_unscaled",
                                                  "morgan_unscaled"}),
                            ("chi", {"ffkm", "morgan"})):
        table = summary[study]["representations"]
        assert set(table) == variants
        for row in table.values():
            assert len(row["mean_mae"]) == len(row["source_sizes"])
            assert np.all(np.isfinite(row["mean_mae"] + [row["baseline_mae"]]))
        # Paired: every size and the direct baseline compared on the same trials.
        for rows in summary[study]["paired"].values():
            assert "direct_learning" in rows
            assert all(r["interval_90"][0] <= r["mean_diff"] <= r["interval_90"][1]
                       for r in rows.values())
    assert summary["chi"]["inputs"] == {"ffkm": 381, "morgan": 1025}


CHECKS = {
    "02_flory_huggins_chi.py": check_chi,
    "04_grid_search.py": check_grid_search,
    "05_dask_cluster.py": check_dask,
    "06_ffkm_descriptor.py": check_ffkm,
}
