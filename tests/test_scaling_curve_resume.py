"""A long scaling curve resumes after being killed, from one file per finished cell."""

import glob
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from sim2real_sklearn import scaling_curve

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TESTS_DIR)
from conftest import SpyTransfer, make_data  # noqa: E402

SIZES = [10, 50, 300]
N_TRIALS = 4
N_CELLS = (len(SIZES) + 1) * N_TRIALS


class CountedTransfer(SpyTransfer):
    """SpyTransfer that can be slowed down and counts its fits in a file.

    Both are set through environment variables, not parameters, so the study
    (and so its checkpoint key) is the same in every run of a test.
    """

    def fit(self, X, y, X_source=None, y_source=None):
        time.sleep(float(os.environ.get("SCALING_TEST_DELAY", "0")))
        log = os.environ.get("SCALING_TEST_FIT_LOG")
        if log:
            with open(log, "a") as f:
                f.write("fit\n")
        return super().fit(X, y, X_source=X_source, y_source=y_source)


def run_study(checkpoint_dir=None, **kwargs):
    options = dict(source_sizes=SIZES, n_trials=N_TRIALS, random_state=11,
                   checkpoint_dir=checkpoint_dir)
    return scaling_curve(CountedTransfer(), *make_data(), **{**options, **kwargs})


def cell_files(checkpoint_dir):
    return glob.glob(os.path.join(str(checkpoint_dir), "study-*", "*.json"))


def count_fits(log):
    if not os.path.exists(log):
        return 0
    with open(log) as f:
        return len(f.read().split())


SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests_dir!r})
    from test_scaling_curve_resume import run_study
    run_study({checkpoint_dir!r})
    open({done!r}, "w").close()
    """
)


def test_a_killed_run_resumes_with_only_the_missing_cells(tmp_path, monkeypatch):
    reference = run_study()  # uninterrupted, no checkpoint
    checkpoint_dir, done = tmp_path / "cells", tmp_path / "finished"
    script = tmp_path / "study.py"
    script.write_text(SCRIPT.format(tests_dir=TESTS_DIR, checkpoint_dir=str(checkpoint_dir),
                                    done=str(done)))
    env = {**os.environ, "SCALING_TEST_DELAY": "0.25"}
    proc = subprocess.Popen([sys.executable, str(script)], env=env)
    try:
        deadline = time.monotonic() + 120
        while len(cell_files(checkpoint_dir)) < 4:
            assert proc.poll() is None, "the study ended before it could be killed"
            assert time.monotonic() < deadline, "no cell was written in time"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL and not done.exists()
    n_saved = len(cell_files(checkpoint_dir))
    assert 4 <= n_saved < N_CELLS

    log = str(tmp_path / "fits.log")
    monkeypatch.setenv("SCALING_TEST_FIT_LOG", log)
    resumed = run_study(checkpoint_dir)
    assert count_fits(log) == N_CELLS - n_saved
    assert resumed.n_reused_cells == n_saved
    np.testing.assert_array_equal(resumed.scores, reference.scores)
    np.testing.assert_array_equal(resumed.baseline_scores, reference.baseline_scores)

    again = run_study(checkpoint_dir)  # everything is there now
    assert count_fits(log) == N_CELLS - n_saved and again.n_reused_cells == N_CELLS
    np.testing.assert_array_equal(again.scores, reference.scores)


@pytest.mark.parametrize(
    "change",
    [
        {"estimator_alpha": 2.0},
        {"random_state": 12},
        {"test_size": 0.3},
        {"scoring": "neg_mean_squared_error"},
        {"data_seed": 1},
    ],
)
def test_a_changed_study_does_not_reuse_stale_cells(tmp_path, change):
    X_sim, y_sim, X_exp, y_exp = make_data()
    base = dict(source_sizes=SIZES, n_trials=2, random_state=11, checkpoint_dir=tmp_path)
    scaling_curve(CountedTransfer(), X_sim, y_sim, X_exp, y_exp, **base)
    estimator = CountedTransfer(alpha=change.pop("estimator_alpha", 1.0))
    data = make_data(seed=change.pop("data_seed")) if "data_seed" in change else (
        X_sim, y_sim, X_exp, y_exp)
    changed = scaling_curve(estimator, *data, **{**base, **change})
    assert changed.n_reused_cells == 0
    assert len(glob.glob(str(tmp_path / "study-*"))) == 2


def test_more_trials_and_sizes_reuse_the_cells_already_computed(tmp_path, monkeypatch):
    log = str(tmp_path / "fits.log")
    monkeypatch.setenv("SCALING_TEST_FIT_LOG", log)
    run_study(tmp_path / "cells", n_trials=2, source_sizes=[10, 300])
    assert count_fits(log) == 3 * 2
    extended = run_study(tmp_path / "cells")
    assert extended.n_reused_cells == 3 * 2
    assert count_fits(log) == 3 * 2 + N_CELLS - 3 * 2
    np.testing.assert_array_equal(extended.scores, run_study().scores)


def test_parallel_cells_each_get_their_own_file(tmp_path):
    result = run_study(tmp_path, n_jobs=2, target_sizes=[24, 48])
    files = cell_files(tmp_path)
    assert len(files) == N_CELLS * 2
    assert not glob.glob(str(tmp_path / "study-*" / "*.tmp"))  # writes were atomic
    assert any(os.path.basename(f) == "source-300_target-24_trial-3.json" for f in files)
    np.testing.assert_array_equal(run_study(tmp_path, target_sizes=[24, 48]).grid_scores,
                                  result.grid_scores)


def test_failed_cells_are_not_stored_and_are_retried(tmp_path):
    X_sim, y_sim, X_exp, y_exp = make_data()
    options = dict(source_sizes=SIZES, n_trials=2, random_state=11, checkpoint_dir=tmp_path)
    with pytest.warns(Warning, match="4 of 8 fits failed"):
        scaling_curve(SpyTransfer(fail_above=20), X_sim, y_sim, X_exp, y_exp, **options)
    assert len(cell_files(tmp_path)) == 4


def test_an_unreadable_cell_is_computed_again(tmp_path):
    first = run_study(tmp_path)
    victim = sorted(cell_files(tmp_path))[0]
    with open(victim, "w") as f:
        f.write("{truncated")
    second = run_study(tmp_path)
    assert second.n_reused_cells == N_CELLS - 1
    np.testing.assert_array_equal(second.scores, first.scores)
