"""Row weights (sample_weight, source_sample_weight), partially labelled sources, study params."""

import numpy as np
import pytest
import sklearn
from sklearn.metrics import make_scorer, mean_absolute_error
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from sim2real_sklearn import FitOnSource, Sim2RealRegressor, make_sim2real_pipeline, scaling_curve

RNG = np.random.default_rng(0)
N_FEATURES = 6
W_TRUE = RNG.normal(size=N_FEATURES)
FAST = dict(hidden_layer_sizes=(32,), pretrain_epochs=30, finetune_epochs=40, random_state=0)


def law(X):
    return np.tanh(X @ W_TRUE)


def mae(model, X, y):
    return float(np.abs(model.predict(X) - y).mean())


# -- partially labelled sources ------------------------------------------------------


def test_a_property_known_for_30_percent_of_the_source_still_helps():
    # Source column 0 is the target's own property, computed for 30% of the materials
    # only; column 1 is a loosely related one, known everywhere.
    rng = np.random.default_rng(1)
    X_sim, X_exp, X_test = (rng.normal(size=(n, N_FEATURES)) for n in (600, 30, 300))
    other = np.sin(X_sim[:, 0]) + 0.3 * X_sim[:, 1]
    partial = law(X_sim).copy()
    partial[rng.random(600) > 0.3] = np.nan
    y_exp, y_test = law(X_exp) + 0.1, law(X_test) + 0.1
    errors = {}
    for name, y_sim in {"without": other, "with": np.column_stack([partial, other])}.items():
        errors[name] = np.mean([
            mae(Sim2RealRegressor(**{**FAST, "random_state": seed}).fit(
                X_exp, y_exp, X_source=X_sim, y_source=y_sim), X_test, y_test)
            for seed in range(3)])
    assert errors["with"] < 0.8 * errors["without"]


def test_unknown_properties_are_left_out_of_the_loss():
    # a NaN label changes nothing that its known neighbours would not
    X = RNG.normal(size=(200, N_FEATURES))
    y_sim = np.column_stack([law(X), X[:, 0]])
    masked = y_sim.copy()
    masked[::2, 0] = np.nan
    model = Sim2RealRegressor(**FAST, strategy="freeze")
    model.fit(X[:40], law(X[:40]), X_source=X, y_source=masked)
    assert np.isfinite(model.predict_source(X)).all()
    assert model.pretrain_history_[-1]["train_loss"] < 0.5  # it learnt the known labels


def test_a_row_or_a_property_without_any_value_is_refused():
    X = RNG.normal(size=(50, N_FEATURES))
    y_sim = np.column_stack([law(X), X[:, 0]])
    empty_row = y_sim.copy()
    empty_row[4] = np.nan
    with pytest.raises(ValueError, match="y_source row 4 has no known property"):
        Sim2RealRegressor(**FAST).fit(X[:10], law(X[:10]), X_source=X, y_source=empty_row)
    empty_column = y_sim.copy()
    empty_column[:, 1] = np.nan
    with pytest.raises(ValueError, match="y_source column 1 is NaN in every row"):
        Sim2RealRegressor(**FAST).fit(X[:10], law(X[:10]), X_source=X, y_source=empty_column)


# -- sample weights -------------------------------------------------------------------


def corrupted(n, seed):
    """Rows of which the first 60% have a wrong label (+3): their weight 0 should undo it.

    A majority, because the default loss (the absolute error) fits the median,
    which a minority of outliers hardly moves: the weights would then have little to undo.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FEATURES))
    y = law(X)
    bad = np.arange(n) < int(0.6 * n)
    y[bad] += 3.0
    return X, y, (~bad).astype(float)


@pytest.mark.parametrize("strategy", ["finetune", "multitask", "auto"])
def test_rows_of_weight_zero_do_not_count(strategy):
    X, y, weights = corrupted(90, 0)
    X_sim = RNG.normal(size=(300, N_FEATURES))
    X_test = RNG.normal(size=(300, N_FEATURES))
    options = dict(FAST, strategy=strategy)
    fit = dict(X_source=X_sim, y_source=law(X_sim))
    plain = Sim2RealRegressor(**options).fit(X, y, **fit)
    weighted = Sim2RealRegressor(**options).fit(X, y, sample_weight=weights, **fit)
    assert mae(weighted, X_test, law(X_test)) < 0.5 * mae(plain, X_test, law(X_test))


def test_source_rows_of_weight_zero_do_not_count():
    X_sim, y_sim, weights = corrupted(600, 1)
    X, X_test = RNG.normal(size=(20, N_FEATURES)), RNG.normal(size=(300, N_FEATURES))
    options = dict(FAST, strategy="freeze")  # the pretrained body alone tells the difference
    plain = Sim2RealRegressor(**options).fit(X, law(X), X_source=X_sim, y_source=y_sim)
    weighted = Sim2RealRegressor(**options).fit(X, law(X), X_source=X_sim, y_source=y_sim,
                                                source_sample_weight=(weights,))
    assert (np.abs(weighted.predict_source(X_test)[:, 0] - law(X_test)).mean()
            < 0.5 * np.abs(plain.predict_source(X_test)[:, 0] - law(X_test)).mean())


def test_bad_weights_are_refused_by_name():
    X, y, weights = corrupted(30, 2)
    with pytest.raises(ValueError, match="sample_weight must hold one weight per row of X"):
        Sim2RealRegressor(**FAST).fit(X, y, sample_weight=weights[:-1])
    with pytest.raises(ValueError, match="sample_weight must be non-negative; row 3"):
        Sim2RealRegressor(**FAST).fit(X, y, sample_weight=np.where(np.arange(30) == 3, -1, 1))
    with pytest.raises(ValueError, match="source_sample_weight was given without a source"):
        Sim2RealRegressor(**FAST).fit(X, y, source_sample_weight=weights)


@pytest.mark.parametrize("routing", [True, False])
def test_weights_reach_the_regressor_through_a_grid_search(routing):
    X, y, weights = corrupted(90, 3)
    X_test = RNG.normal(size=(300, N_FEATURES))
    with sklearn.config_context(enable_metadata_routing=routing):
        # the validation error weighs the rows too (with routing, the scorer asks for it)
        scorer = make_scorer(mean_absolute_error, greater_is_better=False)
        if routing:
            scorer = scorer.set_score_request(sample_weight=True)
        search = GridSearchCV(Sim2RealRegressor(**FAST), {"finetune_lr": [1e-3, 3e-3]}, cv=3,
                              scoring=scorer)
        search.fit(X, y, sample_weight=weights)
    plain = Sim2RealRegressor(**search.best_params_, **FAST).fit(X, y)
    assert (mae(search.best_estimator_, X_test, law(X_test))
            < 0.6 * mae(plain, X_test, law(X_test)))


def test_weights_reach_the_regressor_through_a_pipeline():
    X, y, weights = corrupted(90, 4)
    X_sim, X_test = RNG.normal(size=(300, N_FEATURES)), RNG.normal(size=(300, N_FEATURES))
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_sim2real_pipeline(FitOnSource(StandardScaler()), Sim2RealRegressor(**FAST))
        pipe.fit(X, y, X_source=(X_sim,), y_source=(law(X_sim),), sample_weight=weights)
        alone = Sim2RealRegressor(**FAST).fit(X, y, X_source=X_sim, y_source=law(X_sim))
        assert mae(pipe, X_test, law(X_test)) < 0.5 * mae(alone, X_test, law(X_test))


# -- scaling_curve(params=...) --------------------------------------------------------


def test_study_params_are_sliced_to_each_cell_and_batched_trials_agree():
    X, y, weights = corrupted(90, 5)
    X_sim = RNG.normal(size=(300, N_FEATURES))
    source_weights = np.ones(300)
    model = Sim2RealRegressor(hidden_layer_sizes=(16,), pretrain_epochs=5, finetune_epochs=5)
    options = dict(source_sizes=[50, 300], n_trials=3, random_state=0,
                   params={"sample_weight": weights, "source_sample_weight": source_weights})
    batched = scaling_curve(model, X_sim, law(X_sim), X, y, **options)
    alone = scaling_curve(model, X_sim, law(X_sim), X, y, batch_trials=False, **options)
    np.testing.assert_allclose(batched.scores, alone.scores, rtol=1e-4)
    plain = scaling_curve(model, X_sim, law(X_sim), X, y, source_sizes=[50, 300], n_trials=3,
                          random_state=0)
    assert not np.allclose(plain.scores, batched.scores)  # the weights were used
    with pytest.raises(ValueError, match=r"params\['source_sample_weight'\] must hold one"):
        scaling_curve(model, X_sim, law(X_sim), X, y, params={"source_sample_weight": weights})
