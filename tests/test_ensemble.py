"""Deep ensembles: n_estimators members trained as one stack, their mean and calibrated spread."""

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.preprocessing import StandardScaler

from sim2real_sklearn import (
    FitOnSource,
    Sim2RealRegressor,
    load_model,
    make_sim2real_pipeline,
    save_model,
)
from sim2real_sklearn.datasets import make_sim2real_regression

X_SIM, Y_SIM, X_EXP, Y_EXP = make_sim2real_regression(
    n_source=400, n_target=120, n_features=6, discrepancy=0.3, noise=0.3, random_state=0)
TINY = dict(hidden_layer_sizes=(32, 16), pretrain_epochs=8, finetune_epochs=8)


@pytest.fixture(scope="module")
def ensemble():
    model = Sim2RealRegressor(**TINY, n_estimators=4, random_state=0)
    return model.fit(X_EXP[:80], Y_EXP[:80], X_source=X_SIM, y_source=Y_SIM)


def test_members_differ_and_the_prediction_is_their_mean(ensemble):
    assert len(ensemble.estimators_) == 4
    members = np.stack([m.predict(X_EXP) for m in ensemble.estimators_])
    assert np.all(members.std(axis=0) > 0)  # different seeds, different networks
    first = ensemble.estimators_[0].net_.module_.state_dict()
    second = ensemble.estimators_[1].net_.module_.state_dict()
    assert not all(np.array_equal(first[k], second[k]) for k in first)
    np.testing.assert_allclose(ensemble.predict(X_EXP), members.mean(axis=0))


def test_return_std_gives_the_scaled_spread(ensemble):
    y_pred, y_std = ensemble.predict(X_EXP[80:], return_std=True)
    assert y_pred.shape == y_std.shape == (40,)
    members = np.stack([m.predict(X_EXP[80:]) for m in ensemble.estimators_])
    np.testing.assert_allclose(y_std, members.std(axis=0) * ensemble.std_scale_)
    assert ensemble.std_scale_ > 0


def test_each_member_is_the_model_its_seed_gives_alone(ensemble):
    # trained in one stack, every member equals a regressor fitted alone with its seed
    seeds = np.random.RandomState(0).randint(0, 2**31 - 1, size=4)
    for member, seed in zip(ensemble.estimators_, seeds):
        alone = clone(ensemble).set_params(n_estimators=1, random_state=int(seed))
        alone.fit(X_EXP[:80], Y_EXP[:80], X_source=X_SIM, y_source=Y_SIM)
        np.testing.assert_allclose(member.predict(X_EXP), alone.predict(X_EXP), atol=1e-5)


def test_the_calibrated_band_covers_about_ninety_percent():
    X_sim, y_sim, X_exp, y_exp = make_sim2real_regression(
        n_source=600, n_target=400, n_features=6, discrepancy=0.3, noise=0.5, random_state=1)
    options = dict(**TINY, n_estimators=5, random_state=0)
    coverage = {}
    for calibrate in (True, False):
        model = Sim2RealRegressor(**options, calibrate_std=calibrate)
        model.fit(X_exp[:150], y_exp[:150], X_source=X_sim, y_source=y_sim)
        y_pred, y_std = model.predict(X_exp[150:], return_std=True)
        coverage[calibrate] = np.mean(np.abs(y_exp[150:] - y_pred) <= 1.6449 * y_std)
    assert 0.8 <= coverage[True] <= 0.97
    assert coverage[False] < coverage[True]  # the raw spread leaves out the noise


def test_return_std_needs_an_ensemble():
    model = Sim2RealRegressor(**TINY, random_state=0).fit(X_EXP, Y_EXP)
    with pytest.raises(ValueError, match="return_std=True needs a deep ensemble"):
        model.predict(X_EXP, return_std=True)


def test_refitting_one_network_forgets_the_ensemble(ensemble):
    model = clone(ensemble).fit(X_EXP, Y_EXP)
    assert hasattr(model, "estimators_")
    model.set_params(n_estimators=1).fit(X_EXP, Y_EXP)
    assert not hasattr(model, "estimators_") and not hasattr(model, "std_scale_")


def test_an_ensemble_in_a_pipeline_saves_and_loads(tmp_path):
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_sim2real_pipeline(
            FitOnSource(StandardScaler()),
            Sim2RealRegressor(**TINY, n_estimators=3, calibrate_std=False, random_state=0))
        pipe.fit(X_EXP, Y_EXP, X_source=(X_SIM,), y_source=(Y_SIM,))
        y_pred, y_std = pipe.predict(X_EXP, return_std=True)
    assert pipe[-1].std_scale_ == 1.0
    save_model(pipe, tmp_path / "ensemble")
    loaded = load_model(tmp_path / "ensemble")
    with sklearn.config_context(enable_metadata_routing=True):
        loaded_pred, loaded_std = loaded.predict(X_EXP, return_std=True)
    np.testing.assert_array_equal(loaded_pred, y_pred)
    np.testing.assert_array_equal(loaded_std, y_std)


def test_an_ensemble_is_reproducible_and_predicts_the_source():
    options = dict(**TINY, n_estimators=3, calibrate_std=False, strategy="freeze", random_state=5)
    first = Sim2RealRegressor(**options).fit(X_EXP, Y_EXP, X_source=X_SIM, y_source=Y_SIM)
    second = Sim2RealRegressor(**options).fit(X_EXP, Y_EXP, X_source=X_SIM, y_source=Y_SIM)
    np.testing.assert_array_equal(first.predict(X_EXP), second.predict(X_EXP))
    assert first.predict_source(X_SIM[:5]).shape == (5, 1)
    assert first.strategy_ == "freeze"


def test_the_calibration_holds_out_whole_groups(monkeypatch):
    # Rows of one material held out together, as new materials will come: the
    # calibration members must not have trained on any row of a held-out group.
    from sim2real_sklearn.transfer import _ensemble

    seen = []
    real = _ensemble.calibration_split

    def spy(*args):
        seen.append(real(*args))
        return seen[-1]

    monkeypatch.setattr(_ensemble, "calibration_split", spy)
    groups = np.repeat(np.arange(20), 4)
    model = Sim2RealRegressor(**TINY, n_estimators=3, random_state=0)
    model.fit(X_EXP[:80], Y_EXP[:80], X_source=X_SIM, y_source=Y_SIM, groups=groups)
    (train, held_out), = seen
    assert not set(groups[train]) & set(groups[held_out])
    assert len(held_out) == 16 and len(train) == 64  # 20% of the groups, all their rows
    assert np.isfinite(model.std_scale_) and model.std_scale_ > 0


def test_calibration_without_two_groups_says_what_to_do():
    model = Sim2RealRegressor(**TINY, n_estimators=2, random_state=0)
    with pytest.raises(ValueError, match="only 1: give at least 2, or pass calibrate_std=False"):
        model.fit(X_EXP[:20], Y_EXP[:20], X_source=X_SIM, y_source=Y_SIM, groups=np.zeros(20))
