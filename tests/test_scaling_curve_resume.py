"""A long scaling curve resumes after being killed, from one file per finished cell."""

import glob
import os
import re
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
    assert len(cell_files(tmp_path)) == 2 * len(SIZES + [0]) * 2


# -- what makes two studies different is in the key ------------------------------------

MODEL_MODULE = """
from sklearn.linear_model import Ridge
from sim2real_sklearn._testing import RidgeTransfer

class Model(RidgeTransfer):
    def predict(self, X):
        return super().predict(X) + {offset}
"""


def _import_model(folder, name, offset):
    """A class called Model, in a module of its own (two labs, two files, one name)."""
    import importlib.util

    path = folder / f"{name}.py"
    path.write_text(MODEL_MODULE.format(offset=offset))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.Model


def test_two_classes_of_the_same_name_in_two_modules_share_no_cell(tmp_path):
    X_sim, y_sim, X_exp, y_exp = make_data()
    X_sim, X_exp = X_sim[:, 1:], X_exp[:, 1:]
    options = dict(source_sizes=[300], n_trials=2, random_state=0, checkpoint_dir=tmp_path / "c")
    exact = _import_model(tmp_path, "lab_a_models", offset=0.0)
    shifted = _import_model(tmp_path, "lab_b_models", offset=5.0)
    first = scaling_curve(exact(), X_sim, y_sim, X_exp, y_exp, **options)
    second = scaling_curve(shifted(), X_sim, y_sim, X_exp, y_exp, **options)
    assert second.n_reused_cells == 0
    assert first.scores.mean() < 1.0 < 4.0 < second.scores.mean()  # the +5 is measured


def test_scorers_that_differ_only_by_a_constant_share_no_cell(tmp_path):
    from sklearn.metrics import make_scorer, mean_absolute_error

    options = dict(source_sizes=[300], n_trials=2, random_state=0, checkpoint_dir=tmp_path)
    once = make_scorer(lambda t, p: mean_absolute_error(t, p) * 1)
    thousand = make_scorer(lambda t, p: mean_absolute_error(t, p) * 1000)
    first = scaling_curve(CountedTransfer(), *make_data(), scoring=once, **options)
    second = scaling_curve(CountedTransfer(), *make_data(), scoring=thousand, **options)
    assert second.n_reused_cells == 0
    np.testing.assert_allclose(second.scores, first.scores * 1000)


def test_splits_from_a_generator_are_keyed_by_the_splits_themselves(tmp_path):
    from sklearn.model_selection import KFold

    X_sim, y_sim, X_exp, y_exp = make_data()
    options = dict(source_sizes=[300], n_trials=3, random_state=0, checkpoint_dir=tmp_path)

    def study(seed):
        cv = KFold(5, shuffle=True, random_state=seed).split(X_exp)  # a generator
        return scaling_curve(CountedTransfer(), X_sim, y_sim, X_exp, y_exp, cv=cv, **options)

    first, second = study(1), study(2)
    assert second.n_reused_cells == 0
    assert not np.array_equal(first.scores, second.scores)
    assert study(1).n_reused_cells == 2 * 3  # the same splits again: every cell reused
    np.testing.assert_array_equal(study(1).scores, first.scores)


def test_a_parameter_that_cannot_be_keyed_is_refused_by_name(tmp_path):
    estimator = CountedTransfer().set_params(alpha=(a for a in [1.0]))
    with pytest.raises(TypeError, match="Cannot key estimator parameter 'alpha' for checkpoint"):
        scaling_curve(estimator, *make_data(), source_sizes=[10], n_trials=2, random_state=0,
                      checkpoint_dir=tmp_path)


@pytest.mark.parametrize("content, reason", [
    ("{}", "missing"),
    ("[1, 2]", "a cell is a JSON object"),
    ('{"error": NaN, "fit_time": 1.0, "score_time": 0.1, "fit_error": null, '
     '"group_errors": null}', "error is nan"),
    ('{"error": "0.3", "fit_time": 1.0, "score_time": 0.1, "fit_error": null, '
     '"group_errors": null}', "error is '0.3'"),
    ('{"err', "Unterminated string"),
])
def test_an_edited_or_damaged_cell_is_named_and_computed_again(tmp_path, content, reason):
    reference = run_study()
    run_study(tmp_path)
    damaged = sorted(cell_files(tmp_path))[3]
    with open(damaged, "w") as f:
        f.write(content)
    with pytest.warns(UserWarning, match=rf"Checkpoint file {re.escape(damaged)} is malformed "
                                         rf"\(.*{re.escape(reason)}"):
        resumed = run_study(tmp_path)
    assert resumed.n_reused_cells == N_CELLS - 1
    np.testing.assert_array_equal(resumed.scores, reference.scores)
    np.testing.assert_array_equal(resumed.baseline_scores, reference.baseline_scores)
    assert run_study(tmp_path).n_reused_cells == N_CELLS  # the file was replaced


def test_a_checkpoint_dir_that_is_a_file_is_refused_before_any_fit(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("my notes")
    with pytest.raises(NotADirectoryError, match="checkpoint_dir=.*notes.txt.* is a file"):
        run_study(path)
    assert path.read_text() == "my notes"


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
    assert any(os.path.basename(f).startswith("source-300_target-24_trial-3_split-")
               for f in files)
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
