"""Failing trials: a fit that diverges or raises costs one cell, not the study.

A diverging network (non-finite loss) stops with a TrainingDivergedError that
names the phase, the epoch and the learning rate to lower. In a scaling curve
such a cell (or one whose fit raises anything) is scored ``error_score``, one
warning counts the failures and says where, the curve completes, and the power
law is fitted on the finished trials only and says how many it used.
"""

import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import FitFailedWarning

from sim2real_sklearn import (
    PowerLawWarning,
    Sim2RealRegressor,
    TrainingDivergedError,
    scaling_curve,
)
from sim2real_sklearn._testing import RidgeTransfer

RNG = np.random.default_rng(0)
X_SIM = RNG.normal(size=(60, 4))
Y_SIM = X_SIM.sum(axis=1)
X_EXP = RNG.normal(size=(30, 4))
Y_EXP = X_EXP.sum(axis=1) + 0.3
UNSCALED = 1e20  # finite in float32, but the first forward pass overflows


def tiny(**params):
    return Sim2RealRegressor((8,), pretrain_epochs=3, finetune_epochs=3,
                             random_state=0).set_params(**params)


@pytest.mark.parametrize(
    "strategy, scale_source, scale_target, phase, lr_param",
    [
        ("finetune", UNSCALED, 1.0, "pretraining", "pretrain_lr"),
        ("finetune", 1.0, UNSCALED, "fine-tuning", "finetune_lr"),
        ("freeze", 1.0, UNSCALED, "fine-tuning", "finetune_lr"),
        ("multitask", UNSCALED, 1.0, "joint multitask training", "pretrain_lr"),
    ],
)
def test_a_diverging_phase_is_named_with_its_epoch_and_learning_rate(
        strategy, scale_source, scale_target, phase, lr_param):
    model = tiny(strategy=strategy)
    with pytest.raises(TrainingDivergedError,
                       match=rf"^{phase} diverged: the train loss is "
                             rf"(inf|nan|[0-9.]+e\+[0-9]+) at epoch 1 of 3 "
                             rf"\({lr_param}=[0-9.e-]+\)\. Lower {lr_param}") as caught:
        model.fit(X_EXP * scale_target, Y_EXP, X_source=X_SIM * scale_source, y_source=Y_SIM)
    assert caught.value.phase == phase and caught.value.epoch == 1
    assert isinstance(caught.value, FloatingPointError)


def test_direct_learning_that_diverges_is_named_too():
    with pytest.raises(TrainingDivergedError, match="direct learning \\(no source\\) diverged"):
        tiny().fit(X_EXP * UNSCALED, Y_EXP)


def test_a_learning_rate_far_too_high_is_caught_at_the_epoch_it_diverges():
    # Epoch 1 ends finite; epoch 2's loss overflows. The targets are
    # standardised inside the network, so this is the learning rate alone.
    model = tiny(hidden_layer_sizes=(64, 64, 64), finetune_epochs=50, finetune_lr=1e6)
    with pytest.raises(TrainingDivergedError,
                       match=re.escape("at epoch 2 of 50 (finetune_lr=1000000.0). "
                                       "Lower finetune_lr")) as caught:
        model.fit(X_EXP, Y_EXP)
    assert caught.value.epoch == 2


def test_a_curve_with_diverging_cells_completes_and_counts_them():
    # One source row off by 1e30 (a unit slip): its squared error overflows,
    # so every cell whose source subset contains it diverges in pretraining;
    # the baseline (no source) never does.
    X_sim = X_SIM.copy()
    X_sim[17] *= 1e30
    with pytest.warns(FitFailedWarning) as record:
        result = scaling_curve(tiny(), X_sim, Y_SIM, X_EXP, Y_EXP, source_sizes=[10, 20, 60],
                               n_trials=3, random_state=0)
    failed = np.isnan(result.scores)
    assert failed[-1].all()  # all 60 rows hold the bad one
    assert np.isfinite(result.baseline_scores).all()
    assert np.isfinite(result.scores[~failed]).all()
    message = str([w for w in record if w.category is FitFailedWarning][0].message)
    assert f"{failed.sum()} of 12 fits failed and were scored nan" in message
    assert "(source 60, trial 0)" in message
    assert "TrainingDivergedError: pretraining diverged" in message
    assert "Lower pretrain_lr" in message


class FlakyRidge(RidgeTransfer):
    """Ridge transfer that raises for some trials (by seed) at one source size."""

    def __init__(self, fail_at=None, random_state=None):
        super().__init__(random_state=random_state)
        self.fail_at = fail_at

    def fit(self, X, y, X_source=None, y_source=None):
        n_source = 0 if X_source is None else len(X_source[0])
        if n_source == self.fail_at and self.random_state % 3 == 0:
            raise RuntimeError(f"solver crashed at {n_source} source rows")
        return super().fit(X, y, X_source, y_source)


def test_the_law_is_fitted_on_finished_trials_and_says_how_many():
    sizes = [3, 6, 15, 30, 60]
    with pytest.warns(FitFailedWarning, match="fits failed") as record:
        result = scaling_curve(FlakyRidge(fail_at=15), X_SIM, Y_SIM, X_EXP, Y_EXP,
                               source_sizes=sizes, n_trials=8, random_state=0)
    failed = np.isnan(result.scores)
    n_failed = int(failed.sum())
    # The seeds make some, not all, trials fail, and only at size 15.
    assert 0 < n_failed < 8 and failed[2].sum() == n_failed
    assert f"{n_failed} of 48 fits failed" in str(record[0].message)
    assert "RuntimeError: solver crashed at 15 source rows" in str(record[0].message)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        law = result.fit_power_law(n_bootstrap=100)
    said = [str(w.message) for w in caught if issubclass(w.category, PowerLawWarning)]
    expected = (f"{n_failed} of 40 trials failed (NaN) and are left out: the law is fitted "
                f"on the {40 - n_failed} finished ones")
    assert any(expected in m for m in said), said
    assert law.n_failed_trials_ == n_failed
    np.testing.assert_array_equal(law.n_trials_used_, 8 - failed.sum(axis=1))
    np.testing.assert_allclose(law.mean_[2], np.nanmean(result.scores[2]))
    assert np.isfinite([law.alpha_, law.D_, law.C_]).all()


def test_error_score_raise_stops_at_the_first_divergence():
    X_sim = X_SIM * UNSCALED
    with pytest.raises(TrainingDivergedError, match="pretraining diverged"):
        scaling_curve(tiny(), X_sim, Y_SIM, X_EXP, Y_EXP, source_sizes=[10], n_trials=1,
                      error_score="raise", random_state=0)


def test_a_curve_where_every_fit_fails_is_an_error_not_a_result():
    with pytest.raises(ValueError, match=re.escape("All 4 fits failed, the baseline too")):
        scaling_curve(tiny(), X_SIM, Y_SIM, X_EXP * UNSCALED, Y_EXP, source_sizes=[10],
                      n_trials=2, random_state=0)
