"""The same random_state gives the same scaling curve: twice, and with n_jobs=1 or 2.

Run with the real Sim2RealRegressor (torch, skorch) in a pipeline, with one
source row that makes some cells diverge, so that the positions of failed
cells must be reproduced too, not only the numbers.
"""

import numpy as np
import pytest
import sklearn
from sklearn.exceptions import FitFailedWarning
from sklearn.preprocessing import StandardScaler

from sim2real_sklearn import FitOnSource, Sim2RealRegressor, make_sim2real_pipeline, scaling_curve

RNG = np.random.default_rng(1)
X_SIM = RNG.normal(size=(80, 5))
Y_SIM = np.sin(X_SIM).sum(axis=1)
X_EXP = RNG.normal(size=(30, 5))
Y_EXP = np.sin(X_EXP).sum(axis=1) + 0.2 * X_EXP[:, 0]
ARRAYS = ("scores", "baseline_scores", "n_source_dropped", "n_target_train")


@pytest.fixture
def routing():
    sklearn.set_config(enable_metadata_routing=True)
    yield
    sklearn.set_config(enable_metadata_routing=False)


def run(n_jobs, random_state=0, X_sim=X_SIM):
    model = make_sim2real_pipeline(
        FitOnSource(StandardScaler()),
        Sim2RealRegressor((16,), pretrain_epochs=4, finetune_epochs=4, random_state=123),
    )
    return scaling_curve(model, X_sim, Y_SIM, X_EXP, Y_EXP, source_sizes=[10, 40, 80],
                         n_trials=3, n_jobs=n_jobs, random_state=random_state)


def assert_same_curve(first, second):
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name), err_msg=name)
    assert first.random_state == second.random_state


def test_same_random_state_same_curve_twice_and_for_any_n_jobs(routing):
    first, again, parallel = run(1), run(1), run(2)
    assert np.isfinite(first.scores).all()
    assert_same_curve(first, again)
    assert_same_curve(first, parallel)
    # The seed matters: another one gives other splits and other weights.
    assert not np.array_equal(first.scores, run(1, random_state=1).scores)


def test_failed_cells_are_the_same_cells_for_any_n_jobs():
    # Without a scaler, one source row off by 1e30 overflows the loss of every
    # cell that draws it; which cells draw it depends only on the seeds.
    X_sim = X_SIM.copy()
    X_sim[5] *= 1e30
    model = Sim2RealRegressor((16,), pretrain_epochs=2, finetune_epochs=2)
    results = []
    for n_jobs in (1, 2):
        with pytest.warns(FitFailedWarning, match="pretraining diverged"):
            results.append(scaling_curve(model, X_sim, Y_SIM, X_EXP, Y_EXP,
                                         source_sizes=[10, 40, 80], n_trials=3,
                                         n_jobs=n_jobs, random_state=0))
    serial, parallel = results
    assert np.isnan(serial.scores[-1]).all() and np.isfinite(serial.baseline_scores).all()
    assert_same_curve(serial, parallel)
