"""A study's trials of one size train as one stack: the same numbers as one fit per cell."""

import re
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.preprocessing import StandardScaler

from sim2real_sklearn import FitOnSource, Sim2RealRegressor, make_sim2real_pipeline, scaling_curve
from sim2real_sklearn.datasets import make_sim2real_regression
from sim2real_sklearn.scaling import _curve, _study
from sim2real_sklearn.transfer._batched import can_batch, fit_cells

X_SIM, Y_SIM, X_EXP, Y_EXP = make_sim2real_regression(
    n_source=600, n_target=80, n_features=8, discrepancy=0.3, random_state=0)
TINY = dict(hidden_layer_sizes=(32, 16), pretrain_epochs=8, finetune_epochs=8)


@pytest.mark.parametrize("strategy", ["finetune", "freeze", "multitask", "auto"])
def test_batched_cells_are_fitted_as_they_would_be_alone(strategy):
    with sklearn.config_context(enable_metadata_routing=True):
        model = make_sim2real_pipeline(FitOnSource(StandardScaler()),
                                       Sim2RealRegressor(strategy=strategy, **TINY))
        rng = np.random.default_rng(0)
        cells, clones, alone = [], [], []
        for k in range(3):
            source, train = rng.choice(600, 200, replace=False), rng.choice(80, 60, replace=False)
            given = k < 2  # the third cell learns without source: a baseline
            cells.append(dict(X=X_EXP[train], y=Y_EXP[train], groups=None,
                              X_source=X_SIM[source] if given else None,
                              y_source=Y_SIM[source] if given else None))
            clones.append(clone(model).set_params(sim2realregressor__random_state=k))
            fit_params = ({"X_source": (X_SIM[source],), "y_source": (Y_SIM[source],)}
                          if given else {})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                alone.append(clone(clones[-1]).fit(X_EXP[train], Y_EXP[train], **fit_params))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit_cells(clones, cells)
    for batched, single in zip(clones, alone):
        np.testing.assert_allclose(batched.predict(X_EXP), single.predict(X_EXP), atol=1e-5)
        assert batched[-1].strategy_ == single[-1].strategy_


@pytest.mark.parametrize("strategy", ["finetune", "auto"])
def test_a_study_with_batched_trials_equals_one_fit_per_cell(strategy):
    model = Sim2RealRegressor(strategy=strategy, **TINY)
    options = dict(source_sizes=[50, 150, 600], n_trials=4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batched = scaling_curve(model, X_SIM, Y_SIM, X_EXP, Y_EXP, **options)
        alone = scaling_curve(model, X_SIM, Y_SIM, X_EXP, Y_EXP, batch_trials=False, **options)
    np.testing.assert_allclose(batched.scores, alone.scores, rtol=1e-4)
    np.testing.assert_allclose(batched.baseline_scores, alone.baseline_scores, rtol=1e-4)


def test_batches_are_fixed_by_trial_blocks_not_by_workers_or_checkpoints(tmp_path, monkeypatch):
    # A network's round-off can depend on its stack's size: a cell is always
    # trained in the same block of trials, whatever n_jobs and whatever a
    # checkpoint already holds, so the numbers are bit-identical.
    model = Sim2RealRegressor(**TINY)
    block = _curve._STACK_SIZE
    options = dict(source_sizes=[150], n_trials=block + 2, random_state=0)
    whole = scaling_curve(model, X_SIM, Y_SIM, X_EXP, Y_EXP, **options)
    in_parallel = scaling_curve(model, X_SIM, Y_SIM, X_EXP, Y_EXP, n_jobs=2, **options)
    np.testing.assert_array_equal(whole.scores, in_parallel.scores)
    batches = []
    real = _study.fit_and_score_cells
    monkeypatch.setattr("sim2real_sklearn.scaling._curve.fit_and_score_cells",
                        lambda e, s, batch: batches.append(len(batch)) or real(e, s, batch))
    checkpointed = scaling_curve(model, X_SIM, Y_SIM, X_EXP, Y_EXP,
                                 checkpoint_dir=tmp_path, **options)
    # sizes 0 and 150, each in a block of the first trials and a block of the last two
    assert sorted(batches) == [2, 2, block, block]
    np.testing.assert_array_equal(whole.scores, checkpointed.scores)
    missing = range(block - 3, block + 1)  # an interrupted study: four cells across both blocks
    for path in tmp_path.glob("study-*/source-150_*.json"):
        if int(re.search(r"_trial-([0-9]+)_", path.name).group(1)) in missing:
            path.unlink()
    batches.clear()
    resumed = scaling_curve(model, X_SIM, Y_SIM, X_EXP, Y_EXP, checkpoint_dir=tmp_path,
                            **options)
    assert sorted(batches) == [2, block]
    assert resumed.n_reused_cells == 2 * (block + 2) - len(missing)
    np.testing.assert_array_equal(whole.scores, resumed.scores)


def test_what_a_stack_cannot_hold_is_fitted_one_cell_at_a_time():
    assert can_batch(Sim2RealRegressor())
    assert not can_batch(Sim2RealRegressor(batch_norm=True))
    assert not can_batch(Sim2RealRegressor(early_stopping=True))
    assert not can_batch(Sim2RealRegressor(memory="cache"))
    assert not can_batch(StandardScaler())


def test_members_with_far_fewer_rows_train_in_a_stack_of_their_own(monkeypatch):
    # A deep ensemble's calibration folds (2/3 of the rows) beside its final members
    # would sit out a third of each epoch in one stack; trials whose group splits
    # differ by a few rows stay together. Each member's numbers do not depend on it.
    from sim2real_sklearn.transfer import _batched

    sizes = []
    real = _batched.train_stacked

    def spy(members, *args, **kwargs):
        sizes.append(sorted(len(m.rows) for m in members))
        return real(members, *args, **kwargs)

    monkeypatch.setattr(_batched, "train_stacked", spy)
    cells = [dict(X=X_EXP[:n], y=Y_EXP[:n], groups=None, X_source=None, y_source=None)
             for n in (60, 40, 58, 39, 60)]
    estimators = [Sim2RealRegressor(random_state=k, **TINY) for k in range(len(cells))]
    fit_cells(estimators, cells)
    assert sizes == [[58, 60, 60], [39, 40]]
    alone = Sim2RealRegressor(random_state=1, **TINY).fit(X_EXP[:40], Y_EXP[:40])
    np.testing.assert_allclose(estimators[1].predict(X_EXP), alone.predict(X_EXP),
                               rtol=1e-4, atol=1e-5)
