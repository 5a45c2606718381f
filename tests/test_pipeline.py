"""Source data through Pipeline, GridSearchCV and cross_validate: only target rows are split."""

import warnings
from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.preprocessing import StandardScaler

from sim2real_sklearn import (
    FitOnSource,
    Sim2RealRegressor,
    SourceLengthWarning,
    make_sim2real_pipeline,
)

SEEN = []  # what each fitted clone received: GridSearchCV and cross_validate clone and discard


class RecordingRegressor(Sim2RealRegressor):
    def fit(self, X, y, *, X_source=None, y_source=None):
        super().fit(X, y, X_source=X_source, y_source=y_source)
        source = X_source[0] if isinstance(X_source, tuple) else X_source
        SEEN.append({"n_target": len(X), "X_source": None if source is None else np.array(source)})
        return self


@pytest.fixture(autouse=True)
def routing():
    SEEN.clear()
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def data(n_source=300, n_target=40, seed=0):
    rng = np.random.default_rng(seed)
    X_source = rng.normal(loc=3.0, scale=2.0, size=(n_source, 4))
    X_target = rng.normal(loc=3.0, scale=2.0, size=(n_target, 4))
    def f(X):
        return np.sin(X[:, 0]) + 0.5 * X[:, 1]

    return X_source, 1.2 * f(X_source) + 0.3, X_target, f(X_target)


def tiny(cls=Sim2RealRegressor, **kw):
    return cls(hidden_layer_sizes=(16,), pretrain_epochs=3, finetune_epochs=3, random_state=0, **kw)


def test_pipeline_transforms_the_source_with_the_steps_fitted_on_the_source():
    Xs, ys, Xt, yt = data()
    pipe = make_sim2real_pipeline(FitOnSource(StandardScaler()), tiny(RecordingRegressor))
    pipe.fit(Xt, yt, X_source=Xs, y_source=ys)
    seen = SEEN[-1]["X_source"]
    np.testing.assert_allclose(seen, StandardScaler().fit(Xs).transform(Xs))
    np.testing.assert_allclose(seen.mean(axis=0), 0, atol=1e-12)
    assert pipe[0].fitted_on_source_
    assert pipe.predict(Xt).shape == (40,)


def test_make_sim2real_pipeline_explains_that_routing_is_needed():
    with sklearn.config_context(enable_metadata_routing=False):
        with pytest.raises(RuntimeError, match="enable_metadata_routing=True"):
            make_sim2real_pipeline(StandardScaler(), tiny())


def test_cross_validate_splits_only_target_rows():
    Xs, ys, Xt, yt = data()
    pipe = make_sim2real_pipeline(FitOnSource(StandardScaler()), tiny(RecordingRegressor))
    cross_validate(pipe, Xt, yt, cv=KFold(5), params={"X_source": Xs, "y_source": ys},
                   scoring="neg_mean_absolute_error")
    assert [s["n_target"] for s in SEEN] == [32] * 5
    assert all(len(s["X_source"]) == 300 for s in SEEN)
    # every fold sees the same source representation
    for s in SEEN[1:]:
        np.testing.assert_array_equal(s["X_source"], SEEN[0]["X_source"])


def test_a_source_as_long_as_the_target_is_not_cut_when_wrapped():
    Xs, ys, Xt, yt = data(n_source=40, n_target=40)
    cross_validate(tiny(RecordingRegressor), Xt, yt, cv=KFold(4),
                   params={"X_source": (Xs,), "y_source": (ys,)})
    assert all(len(s["X_source"]) == 40 for s in SEEN)
    np.testing.assert_array_equal(SEEN[0]["X_source"], Xs)


def test_a_bare_source_as_long_as_the_target_is_cut_by_sklearn_and_we_warn():
    Xs, ys, Xt, yt = data(n_source=40, n_target=40)
    with pytest.warns(SourceLengthWarning):
        cross_validate(tiny(RecordingRegressor), Xt, yt, cv=KFold(4),
                       params={"X_source": Xs, "y_source": ys}, error_score="raise")
    # this is scikit-learn#15805: the fold got 30 of the 40 source rows
    assert all(len(s["X_source"]) == 30 for s in SEEN)


def test_grid_search_over_finetuning_pretrains_once_with_memory(tmp_path):
    Xs, ys, Xt, yt = data()
    pipe = make_sim2real_pipeline(FitOnSource(StandardScaler()), tiny(memory=str(tmp_path)))
    search = GridSearchCV(pipe, {"sim2realregressor__finetune_lr": [1e-4, 1e-3, 1e-2]},
                          cv=KFold(5), scoring="neg_mean_absolute_error")
    search.fit(Xt, yt, X_source=(Xs,), y_source=(ys,))
    # 15 fits + the refit: one pretraining computed, all others read from the cache
    computed = list(Path(tmp_path).rglob("pretrain_body/*/output.pkl"))
    assert len(computed) == 1
    assert search.best_estimator_[-1].pretrain_from_cache_
    assert len(search.cv_results_["mean_test_score"]) == 3


def test_grid_search_without_memory_pretrains_per_fit(tmp_path):
    # the contrast that makes the cache test meaningful: a changed pretraining
    # setting must not hit the cache
    Xs, ys, Xt, yt = data()
    pipe = make_sim2real_pipeline(FitOnSource(StandardScaler()), tiny(memory=str(tmp_path)))
    search = GridSearchCV(pipe, {"sim2realregressor__pretrain_lr": [1e-3, 1e-2]}, cv=KFold(2))
    search.fit(Xt, yt, X_source=(Xs,), y_source=(ys,))
    assert len(list(Path(tmp_path).rglob("pretrain_body/*/output.pkl"))) == 2


def test_fit_on_source_without_source_fits_on_target():
    Xt = np.arange(10.0).reshape(5, 2)
    step = FitOnSource(StandardScaler()).fit(Xt)
    assert not step.fitted_on_source_
    np.testing.assert_allclose(step.transform(Xt).mean(axis=0), 0)
    assert list(step.set_output(transform="pandas").fit(Xt).transform(Xt).columns) == ["x0", "x1"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        FitOnSource(StandardScaler()).fit(Xt, X_source=(Xt * 2,))


def test_pipeline_fits_on_smiles_for_both_source_and_target():
    from sim2real_sklearn import MorganFingerprint

    units = ["*CC*", "*CC(*)C", "*CC(*)c1ccccc1", "*CC(*)Cl", "*CC(*)C#N", "*OCC*", "*CC(*)O",
             "*CC(*)(C)C(=O)OC", "*C(F)(F)C(F)(F)*", "*CC(*)C(=O)O", "*CC(*)OC(C)=O", "*CCCCO*"]
    rng = np.random.default_rng(0)
    source = list(rng.choice(units, size=120))
    target = list(rng.choice(units, size=20))
    def size(smiles):
        return np.array([len(s) for s in smiles], dtype=float)

    pipe = make_sim2real_pipeline(MorganFingerprint(radius=2, fp_size=256, count=True),
                                  tiny(RecordingRegressor))
    pipe.fit(target, size(target) + 1.0, X_source=source, y_source=size(source))
    seen = SEEN[-1]["X_source"]
    assert seen.shape == (120, 256)  # the source was featurized by the same step
    np.testing.assert_array_equal(seen, MorganFingerprint(radius=2, fp_size=256, count=True)
                                  .transform(source))
    assert pipe.predict(["*CC(*)C", "*OCC*"]).shape == (2,)
