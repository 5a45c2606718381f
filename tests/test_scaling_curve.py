"""scaling_curve: experimental error against the size of the simulation data.

Most tests use ``SpyTransfer``, a fast stand-in for Sim2RealRegressor (a
Ridge fitted on the source, a second Ridge on the target residuals), so the
protocol is tested in milliseconds. A spy log (one JSON file per fit, written
by the estimator itself, so it works across worker processes) shows which
rows and seeds every fit saw. Column 0 of every X is the row id; the models
ignore it.
"""

import os
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import Ridge
from sklearn.metrics import make_scorer, mean_absolute_error
from sklearn.model_selection import GridSearchCV, GroupShuffleSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from sim2real_sklearn import (
    FitOnSource,
    ScalingCurve,
    ScalingCurveDisplay,
    ScalingCurveResult,
    Sim2RealRegressor,
    make_sim2real_pipeline,
    scaling_curve,
)

from conftest import SpyTransfer, fits_by_trial, make_data, read_log


@pytest.fixture
def data():
    return make_data()


# -- the curve ----------------------------------------------------------------


def test_curve_shapes_and_transfer_beats_direct_learning(data):
    result = scaling_curve(SpyTransfer(), *data, source_sizes=[5, 50, 300],
                           n_trials=6, random_state=0)
    assert isinstance(result, ScalingCurveResult)
    np.testing.assert_array_equal(result.source_sizes, [5, 50, 300])
    assert result.scores.shape == (3, 6)
    assert result.baseline_scores.shape == (6,)
    assert np.all(result.scores > 0)  # MAE stored as a positive error
    # the source carries most of the law: with all of it the error is lower
    assert result.scores[-1].mean() < 0.6 * result.baseline_scores.mean()
    assert result.grid_scores is None and result.group_scores is None
    assert result.fit_times is None
    np.testing.assert_array_equal(result.n_source_dropped, 0)
    np.testing.assert_array_equal(result.n_target_train, 48)  # 80% of 60


def test_fractional_sizes_are_fractions_of_the_source(data):
    result = scaling_curve(SpyTransfer(), *data, source_sizes=[0.1, 0.5, 1.0],
                           n_trials=2, random_state=0)
    np.testing.assert_array_equal(result.source_sizes, [30, 150, 300])


def test_same_numbers_whatever_n_jobs(data):
    kw = dict(source_sizes=[10, 100, 300], n_trials=4, random_state=7,
              target_sizes=[20, 40], score_groups=np.arange(60) % 3)
    serial = scaling_curve(SpyTransfer(), *data, n_jobs=1, **kw)
    parallel = scaling_curve(SpyTransfer(), *data, n_jobs=2, **kw)
    np.testing.assert_array_equal(serial.grid_scores, parallel.grid_scores)
    np.testing.assert_array_equal(serial.grid_baseline_scores,
                                  parallel.grid_baseline_scores)
    for g in serial.group_scores:
        np.testing.assert_array_equal(serial.group_scores[g], parallel.group_scores[g])
    other = scaling_curve(SpyTransfer(), *data, **{**kw, "random_state": 8})
    assert not np.allclose(other.grid_scores, serial.grid_scores)


def test_each_job_gives_its_freed_memory_back(data, monkeypatch):
    # loky replaces a worker that grew by 300 MB since its first job, with a
    # warning and a new worker that imports torch again: glibc's free pages of
    # a job's tensors must not count as growth.
    calls = []
    monkeypatch.setattr("sim2real_sklearn.scaling._curve.release_freed_memory",
                        lambda: calls.append(1))
    scaling_curve(SpyTransfer(), *data, source_sizes=[10, 100], n_trials=2, n_jobs=1,
                  random_state=0)
    assert len(calls) == 6  # one per cell: 3 sizes (the baseline too) x 2 trials


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; glibc's heap")
def test_freed_memory_goes_back_to_the_system():
    from sim2real_sklearn._memory import release_freed_memory

    def resident_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    # 4000 blocks of 64 KB (under glibc's mmap threshold, so in its heap); every
    # other one freed leaves holes that the heap keeps when nothing else asks.
    blocks = [np.ones(16384, np.float32) for _ in range(4000)]
    del blocks[::2]
    before = resident_mb()
    if not release_freed_memory():
        pytest.skip("not glibc: nothing to give back")
    assert before - resident_mb() > 60  # about 125 MB of holes; a quarter of the heap


class _OrderSpy(SpyTransfer):
    """Records how many source rows each fit saw, in the order of the fits."""

    order = []

    def fit(self, X, y, X_source=None, y_source=None):
        _OrderSpy.order.append(0 if X_source is None else len(X_source[0]))
        return super().fit(X, y, X_source, y_source)


def test_largest_source_sizes_are_fitted_first(data):
    # A worker that starts the biggest fits last leaves the other cores idle at the end.
    _OrderSpy.order = []
    result = scaling_curve(_OrderSpy(), *data, source_sizes=[25, 100, 50], n_trials=2,
                           n_jobs=1, random_state=0)
    assert _OrderSpy.order == [100, 100, 50, 50, 25, 25, 0, 0]
    plain = scaling_curve(SpyTransfer(), *data, source_sizes=[25, 100, 50], n_trials=2,
                          n_jobs=1, random_state=0)
    np.testing.assert_array_equal(result.scores, plain.scores)


def test_random_state_none_records_a_seed_that_reproduces_the_run(data):
    first = scaling_curve(SpyTransfer(), *data, source_sizes=[10, 300], n_trials=3)
    again = scaling_curve(SpyTransfer(), *data, source_sizes=[10, 300], n_trials=3,
                          random_state=first.random_state)
    np.testing.assert_array_equal(first.scores, again.scores)


def test_source_subsets_are_nested_and_split_and_seed_shared_within_a_trial(data, tmp_path):
    sizes = [10, 20, 40, 80, 160]
    result = scaling_curve(SpyTransfer(random_state=123, log_dir=str(tmp_path)), *data,
                           source_sizes=sizes, n_trials=3, random_state=0)
    trials = fits_by_trial(read_log(tmp_path))
    assert len(trials) == 3  # one seed per trial, the user's 123 overridden
    assert 123 not in trials
    for fits in trials.values():
        assert len(fits) == len(sizes) + 1
        # same experimental train part for every size and the baseline
        assert len({tuple(sorted(f["target_ids"])) for f in fits}) == 1
        seen = {len(f["source_ids"]): set(f["source_ids"]) for f in fits if f["source_ids"]}
        assert sorted(seen) == sizes
        for n in sizes[:-1]:
            assert seen[n] < seen[2 * n]
        assert sum(f["source_ids"] is None for f in fits) == 1  # the baseline
    assert result.scores.shape == (5, 3)


def test_baseline_is_direct_learning_on_the_same_split(data, tmp_path):
    X_sim, y_sim, X_exp, y_exp = data
    result = scaling_curve(SpyTransfer(log_dir=str(tmp_path)), *data,
                           source_sizes=[50], n_trials=4, random_state=3)
    baselines = [f for f in read_log(tmp_path) if f["source_ids"] is None]
    recomputed = {}
    for f in baselines:
        train = np.array(f["target_ids"])
        test = np.setdiff1d(np.arange(len(y_exp)), train)
        direct = Ridge().fit(X_exp[train, 1:], y_exp[train])
        recomputed[f["random_state"]] = mean_absolute_error(
            y_exp[test], direct.predict(X_exp[test, 1:]))
    assert len(recomputed) == 4
    np.testing.assert_allclose(sorted(recomputed.values()), sorted(result.baseline_scores),
                               rtol=1e-12)


def test_leakage_guard_drops_exactly_the_test_groups_source_rows(data, tmp_path):
    X_sim, y_sim, X_exp, y_exp = data
    source_groups = np.arange(300) % 15
    target_groups = np.arange(60) % 20  # groups 15..19 have no source rows
    result = scaling_curve(SpyTransfer(log_dir=str(tmp_path)), *data,
                           source_sizes=[1.0], n_trials=5, random_state=0,
                           source_groups=source_groups, target_groups=target_groups)
    n_available = 300 - result.n_source_dropped.max()
    assert result.source_sizes[0] == n_available
    kept = []
    for fits in fits_by_trial(read_log(tmp_path)).values():
        train = next(f["target_ids"] for f in fits if f["source_ids"] is None)
        test_groups = set(target_groups[np.setdiff1d(np.arange(60), train)])
        allowed = {i for i in range(300) if source_groups[i] not in test_groups}
        seen = set(next(f["source_ids"] for f in fits if f["source_ids"]))
        assert seen <= allowed and len(seen) == n_available
        kept.append(len(allowed))
    # per trial, the rows dropped are exactly the source rows of its test groups
    assert sorted(300 - np.array(kept)) == sorted(result.n_source_dropped)
    assert min(kept) == n_available and result.n_source_dropped.max() > 0


def test_group_splitter_keeps_target_groups_apart(data, tmp_path):
    groups = np.arange(60) // 4
    cv = GroupShuffleSplit(n_splits=3, test_size=0.25)  # random_state None: derived
    result = scaling_curve(SpyTransfer(log_dir=str(tmp_path)), *data, cv=cv,
                           target_groups=groups, source_groups=np.arange(300) % 15,
                           source_sizes=[20], random_state=0)
    assert result.scores.shape == (1, 3)  # n_trials taken from cv
    assert cv.random_state is None  # the user's splitter is not modified
    for f in read_log(tmp_path):
        train = np.array(f["target_ids"])
        test = np.setdiff1d(np.arange(60), train)
        assert not set(groups[train]) & set(groups[test])
    again = scaling_curve(SpyTransfer(), *data, cv=cv, target_groups=groups,
                          source_groups=np.arange(300) % 15, source_sizes=[20],
                          random_state=0)
    np.testing.assert_array_equal(result.scores, again.scores)


# -- validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    "sizes, fragment",
    [
        ([0, 100], "source_sizes has been interpreted as absolute"),
        ([-5], "source_sizes has been interpreted as absolute"),
        ([10, 301], r"within \[1, 300\]"),
        ([0.0, 0.5], "source_sizes has been interpreted as fractions"),
        ([0.5, 1.5], "source_sizes has been interpreted as fractions"),
        ([], "source_sizes must be a non-empty"),
    ],
)
def test_bad_source_sizes_are_rejected(data, sizes, fragment):
    with pytest.raises(ValueError, match=fragment):
        scaling_curve(SpyTransfer(), *data, source_sizes=sizes, n_trials=2)


def test_duplicate_sizes_warn_and_are_removed(data):
    with pytest.warns(RuntimeWarning, match="duplicate entries from source_sizes"):
        result = scaling_curve(SpyTransfer(), *data, source_sizes=[0.5, 0.5, 1.0],
                               n_trials=2)
    np.testing.assert_array_equal(result.source_sizes, [150, 300])


def test_target_sizes_are_checked_against_the_smallest_train_part(data):
    with pytest.raises(ValueError, match=r"target_sizes .* within \[1, 48\]"):
        scaling_curve(SpyTransfer(), *data, source_sizes=[10], target_sizes=[10, 49],
                      n_trials=2)


@pytest.mark.parametrize("n_trials", [0, -1, 2.5, True])
def test_bad_n_trials_is_rejected(data, n_trials):
    with pytest.raises(ValueError, match="The 'n_trials' parameter of scaling_curve must be"):
        scaling_curve(SpyTransfer(), *data, source_sizes=[10], n_trials=n_trials)


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda d: {**d, "y_sim": d["y_sim"][:-1]}, "y_sim has 299 rows but X_sim has 300"),
        (lambda d: {**d, "y_exp": d["y_exp"][:-1]}, "y_exp has 59 rows but X_exp has 60"),
        (lambda d: {**d, "source_groups": np.zeros(10)}, "source_groups has 10 rows"),
        (lambda d: {**d, "score_groups": np.zeros(10)}, "score_groups has 10 rows"),
        (lambda d: {**d, "source_groups": np.zeros(300)}, "source_groups needs target_groups"),
        (lambda d: {**d, "error_score": "ignore"}, "The 'error_score' parameter of scaling_curve"),
        (lambda d: {**d, "random_state": -3}, "The 'random_state' parameter of scaling_curve"),
        (lambda d: {**d, "cv": GroupShuffleSplit(2), "target_groups": np.arange(60),
                    "source_groups": np.arange(300), "n_trials": 3},
         "cv yields 2 splits but n_trials=3"),
    ],
)
def test_bad_arguments_are_named(data, change, fragment):
    X_sim, y_sim, X_exp, y_exp = data
    kwargs = change({"X_sim": X_sim, "y_sim": y_sim, "X_exp": X_exp, "y_exp": y_exp})
    with pytest.raises(ValueError, match=fragment):
        scaling_curve(SpyTransfer(), source_sizes=[10], **{"n_trials": 2, **kwargs})


def test_estimator_that_ignores_the_source_is_rejected(data):
    with pytest.raises(ValueError, match="does not request X_source and y_source"):
        scaling_curve(Ridge(), *data, source_sizes=[10], n_trials=2)


# -- failures, scoring, times -----------------------------------------------------


def test_failed_fits_become_nan_with_one_counting_warning(data):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = scaling_curve(SpyTransfer(fail_above=100), *data,
                               source_sizes=[50, 200, 300], n_trials=3, random_state=0)
    failures = [w for w in caught if issubclass(w.category, FitFailedWarning)]
    assert len(failures) == 1
    message = str(failures[0].message)
    assert "6 of 12 fits failed" in message
    assert "(source 200, trial 0)" in message
    assert "RuntimeError: too many source rows: 200" in message
    assert np.isnan(result.scores[1:]).all()
    assert np.isfinite(result.scores[0]).all() and np.isfinite(result.baseline_scores).all()


def test_error_score_raise_reraises(data):
    with pytest.raises(RuntimeError, match="too many source rows"):
        scaling_curve(SpyTransfer(fail_above=100), *data, source_sizes=[200],
                      n_trials=2, error_score="raise")


def test_neg_scorers_are_stored_as_positive_errors(data):
    kw = dict(source_sizes=[20, 300], n_trials=3, random_state=1)
    mse = scaling_curve(SpyTransfer(), *data, scoring="neg_mean_squared_error", **kw)
    rmse_like = scaling_curve(
        SpyTransfer(), *data, **kw,
        scoring=make_scorer(lambda y, p: np.mean((y - p) ** 2), greater_is_better=False))
    r2 = scaling_curve(SpyTransfer(), *data, scoring="r2", **kw)
    assert np.all(mse.scores > 0) and not mse.greater_is_better
    np.testing.assert_allclose(mse.scores, rmse_like.scores)
    assert r2.greater_is_better and np.all(r2.scores <= 1)
    assert mse.scoring == "neg_mean_squared_error"


def test_return_times(data):
    result = scaling_curve(SpyTransfer(), *data, source_sizes=[20, 300], n_trials=3,
                           return_times=True)
    assert result.fit_times.shape == result.score_times.shape == (2, 3)
    assert result.baseline_fit_times.shape == (3,)
    assert np.all(result.fit_times > 0) and np.all(result.score_times > 0)


def test_verbose_prints_progress_on_stderr(data, capsys):
    scaling_curve(SpyTransfer(), *data, source_sizes=[20, 300], n_trials=2, verbose=2)
    err = capsys.readouterr().err
    assert "[scaling_curve] 2 source sizes [20, 300] x 2 trials: 6 fits" in err
    assert "source 300, trial 1: error" in err  # a line per fit at verbose=2
    assert "6/6" in err  # the bar's count, or the last line's without tqdm


# -- grid and groups ----------------------------------------------------------------


def test_target_size_grid(data, tmp_path):
    result = scaling_curve(SpyTransfer(log_dir=str(tmp_path)), *data,
                           source_sizes=[20, 300], target_sizes=[0.25, 0.5, 1.0],
                           n_trials=3, random_state=0)
    np.testing.assert_array_equal(result.target_sizes, [12, 24, 48])
    assert result.grid_scores.shape == (2, 3, 3)
    assert result.grid_baseline_scores.shape == (3, 3)
    np.testing.assert_array_equal(result.scores, result.grid_scores[:, -1])
    np.testing.assert_array_equal(result.baseline_scores, result.grid_baseline_scores[-1])
    # the baseline improves with more experiments; the experimental-size curves nest
    assert result.grid_baseline_scores[0].mean() > result.grid_baseline_scores[-1].mean()
    for fits in fits_by_trial(read_log(tmp_path)).values():
        train = {len(f["target_ids"]): set(f["target_ids"]) for f in fits}
        assert train[12] < train[24] < train[48]


def test_score_groups_give_one_curve_per_group(data):
    X_sim, y_sim, X_exp, y_exp = data
    labels = np.array(["aromatic", "aliphatic", "halogenated"])[np.arange(60) % 3]
    rng = np.random.default_rng(0)
    splits = [np.split(rng.permutation(60), [45]) for _ in range(4)]  # fixed (train, test)
    result = scaling_curve(SpyTransfer(), *data, source_sizes=[20, 300], cv=splits,
                           score_groups=labels, random_state=0)
    assert set(result.group_scores) == {"aromatic", "aliphatic", "halogenated"}
    assert result.group_scores["aromatic"].shape == (2, 4)
    assert result.group_baseline_scores["aromatic"].shape == (4,)
    # MAE is a mean: the whole test part's MAE is the count-weighted mean of the groups'
    for k, (train, test) in enumerate(splits):
        names, counts = np.unique(labels[test], return_counts=True)
        for scores, groups in [(result.scores[:, k], result.group_scores),
                               (result.baseline_scores[k], result.group_baseline_scores)]:
            per_group = [groups[g][..., k] for g in names]
            recombined = np.average(per_group, axis=0, weights=counts)
            np.testing.assert_allclose(recombined, scores, rtol=1e-10)
        direct = Ridge().fit(X_exp[train, 1:], y_exp[train])
        arom = test[labels[test] == "aromatic"]
        assert result.group_baseline_scores["aromatic"][k] == pytest.approx(
            mean_absolute_error(y_exp[arom], direct.predict(X_exp[arom, 1:])))


def test_a_group_absent_from_a_test_part_scores_nan(data):
    labels = np.zeros(60, dtype=int)
    labels[0] = 1  # a single row: in the test part of some trials only
    splits = [(np.arange(1, 60), np.arange(0, 10)), (np.arange(10, 60), np.arange(1, 10))]
    result = scaling_curve(SpyTransfer(), *data, source_sizes=[20], cv=splits,
                           score_groups=labels)
    assert np.isfinite(result.group_scores[1][0, 0]) and np.isnan(result.group_scores[1][0, 1])


# -- estimators ---------------------------------------------------------------------


def test_grid_search_is_tuned_inside_each_trial(data):
    search = GridSearchCV(SpyTransfer(), {"alpha": [0.01, 100.0]}, cv=3,
                          scoring="neg_mean_absolute_error")
    result = scaling_curve(search, *data, source_sizes=[20, 300], n_trials=3,
                           random_state=0)
    plain = scaling_curve(SpyTransfer(alpha=100.0), *data, source_sizes=[20, 300],
                          n_trials=3, random_state=0)
    assert np.isfinite(result.scores).all()
    assert result.scores[-1].mean() < result.baseline_scores.mean()
    # tuning picks the small alpha here: better than the badly regularised model
    assert result.scores[-1].mean() < plain.scores[-1].mean()


def test_nested_random_states_get_the_trial_seed(data, tmp_path):
    spy = SpyTransfer(random_state=123, log_dir=str(tmp_path))
    search = GridSearchCV(Pipeline([("model", spy)], transform_input=["X_source"]),
                          {"model__alpha": [0.1, 1.0]}, cv=2)
    scaling_curve(search, *data, source_sizes=[50], n_trials=3, random_state=0)
    seeds = [f["random_state"] for f in read_log(tmp_path)]
    # every fit inside the search saw its trial's seed: 3 trials, 3 seeds, never 123
    assert len(set(seeds)) == 3 and 123 not in seeds


def _parse_rows(rows):
    """A featurizer: "id;x1;x2;..." strings to a float matrix."""
    return np.array([[float(v) for v in r.split(";")] for r in rows])


def test_pipeline_with_a_featurizer_on_string_inputs(data):
    X_sim, y_sim, X_exp, y_exp = data
    as_text = lambda X: [";".join(repr(float(v)) for v in row) for row in X]  # noqa: E731
    with sklearn.config_context(enable_metadata_routing=True):  # needed to build it
        pipe = make_sim2real_pipeline(FunctionTransformer(_parse_rows), SpyTransfer())
    kw = dict(source_sizes=[20, 300], n_trials=3, random_state=0)
    on_text = scaling_curve(pipe, as_text(X_sim), y_sim, as_text(X_exp), y_exp, **kw)
    on_arrays = scaling_curve(SpyTransfer(), *data, **kw)
    np.testing.assert_allclose(on_text.scores, on_arrays.scores, rtol=1e-10)
    np.testing.assert_allclose(on_text.baseline_scores, on_arrays.baseline_scores,
                               rtol=1e-10)


def test_dataframes_give_the_same_numbers_as_arrays(data):
    X_sim, y_sim, X_exp, y_exp = data
    kw = dict(source_sizes=[20, 300], n_trials=3, random_state=0)
    frames = scaling_curve(SpyTransfer(), pd.DataFrame(X_sim), pd.Series(y_sim),
                           pd.DataFrame(X_exp), pd.Series(y_exp), **kw)
    arrays = scaling_curve(SpyTransfer(), *data, **kw)
    # equal up to BLAS rounding: a DataFrame's values come column-major
    np.testing.assert_allclose(frames.scores, arrays.scores, rtol=1e-10)


# -- the result object ----------------------------------------------------------------


def test_to_frame_is_tidy(data):
    result = scaling_curve(SpyTransfer(), *data, source_sizes=[20, 300],
                           target_sizes=[24, 48], n_trials=3, return_times=True,
                           score_groups=np.arange(60) % 2, random_state=0)
    frame = result.to_frame()
    # (2 sizes + baseline) x 2 target sizes x 3 trials, for the whole test part + 2 groups
    assert frame.shape[0] == 3 * 2 * 3 * 3
    assert list(frame.columns[:5]) == ["source_size", "trial", "target_size", "group",
                                       "error"]
    assert {"is_baseline", "fit_time", "score_time", "n_source_dropped"} <= set(frame)
    whole = frame[frame.group.isna()]
    assert whole.is_baseline.sum() == 2 * 3
    sel = whole[(whole.source_size == 300) & (whole.target_size == 24)]
    np.testing.assert_array_equal(sel.sort_values("trial").error, result.grid_scores[1, 0])


def test_save_load_round_trip(data, tmp_path):
    result = scaling_curve(SpyTransfer(), *data, source_sizes=[20, 150],
                           target_sizes=[24, 48], n_trials=3, return_times=True,
                           score_groups=np.array(["a", "b"])[np.arange(60) % 2],
                           source_groups=np.arange(300) % 30,
                           target_groups=np.arange(60) % 30, random_state=5)
    path = result.save(tmp_path / "curve")
    assert path.endswith(".npz")
    loaded = ScalingCurveResult.load(path)
    for name in ["source_sizes", "target_sizes", "scores", "baseline_scores", "fit_times",
                 "score_times", "grid_scores", "grid_baseline_scores", "n_source_dropped",
                 "n_target_train"]:
        np.testing.assert_array_equal(getattr(loaded, name), getattr(result, name))
    assert loaded.group_scores.keys() == result.group_scores.keys()
    for g in result.group_scores:
        np.testing.assert_array_equal(loaded.group_scores[g], result.group_scores[g])
    assert loaded.params == result.params and loaded.random_state == 5
    pd.testing.assert_frame_equal(loaded.to_frame(), result.to_frame())
    with np.load(path, allow_pickle=False) as raw:  # no pickle inside
        assert "meta_json" in raw.files


def test_fit_power_law_recovers_a_known_law():
    sizes = np.array([100, 300, 1000, 3000, 10000, 30000])
    rng = np.random.default_rng(0)
    truth = 4.0 * sizes ** -0.5 + 0.1
    errors = truth[:, None] * (1 + 0.02 * rng.normal(size=(6, 20)))
    errors = np.concatenate([np.full((1, 1, 20), 0.8), errors[:, None, :]])
    result = ScalingCurveResult(source_sizes=sizes, target_sizes=None, errors=errors,
                                n_source_dropped=np.zeros(20), n_target_train=np.full(20, 40),
                                random_state=0)
    law = result.fit_power_law(n_bootstrap=200)
    assert law.alpha_ == pytest.approx(0.5, abs=0.1)
    assert law.C_ == pytest.approx(0.1, abs=0.03)


# -- the meta-estimator -----------------------------------------------------------------


def test_scaling_curve_estimator_fits_curve_law_and_final_model(data):
    X_sim, y_sim, X_exp, y_exp = data
    model = ScalingCurve(SpyTransfer(), source_sizes=[10, 30, 100, 300], n_trials=4,
                         random_state=0)
    assert clone(model).get_params()["source_sizes"] == [10, 30, 100, 300]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the law's own diagnostics on a tiny curve
        model.fit(X_exp, y_exp, X_source=(X_sim,), y_source=(y_sim,))
    direct = scaling_curve(SpyTransfer(), *data, source_sizes=[10, 30, 100, 300],
                           n_trials=4, random_state=0)
    np.testing.assert_array_equal(model.curve_.scores, direct.scores)
    assert model.power_law_ is not None and model.power_law_.alpha_ > 0
    final = SpyTransfer().fit(X_exp, y_exp, X_source=X_sim, y_source=y_sim)
    np.testing.assert_allclose(model.predict(X_exp), final.predict(X_exp))


def test_scaling_curve_estimator_without_a_law(data):
    X_sim, y_sim, X_exp, y_exp = data
    model = ScalingCurve(SpyTransfer(), source_sizes=[300], n_trials=2)
    with pytest.warns(UserWarning, match="power_law_ is None"):
        model.fit(X_exp, y_exp, X_source=X_sim, y_source=y_sim)
    assert model.power_law_ is None
    with pytest.raises(ValueError, match="needs the simulation data"):
        model.fit(X_exp, y_exp)


def test_scaling_curve_estimator_requests_the_source_through_routing():
    routing = ScalingCurve(SpyTransfer()).get_metadata_routing()
    assert {"X_source", "y_source", "source_groups"} <= set(
        routing.consumes("fit", ["X_source", "y_source", "source_groups", "other"]))


# -- with the real regressor (tiny settings) ------------------------------------------


@pytest.fixture
def tiny_regressor():
    return Sim2RealRegressor(hidden_layer_sizes=(16,), pretrain_epochs=3,
                                       finetune_epochs=3, random_state=0)


def test_sim2real_regressor_curve_is_the_same_for_any_n_jobs(tiny_regressor):
    X_sim, y_sim, X_exp, y_exp = make_data(n_source=120, n_target=30, n_features=5)
    options = dict(source_sizes=[20, 120], n_trials=2, random_state=0)
    serial = scaling_curve(tiny_regressor, X_sim[:, 1:], y_sim, X_exp[:, 1:], y_exp,
                           n_jobs=1, **options)
    parallel = scaling_curve(tiny_regressor, X_sim[:, 1:], y_sim, X_exp[:, 1:], y_exp,
                             n_jobs=2, **options)
    assert np.isfinite(serial.scores).all() and np.isfinite(serial.baseline_scores).all()
    np.testing.assert_array_equal(serial.scores, parallel.scores)
    np.testing.assert_array_equal(serial.baseline_scores, parallel.baseline_scores)


def test_sim2real_pipeline_end_to_end(tiny_regressor):
    from sklearn.preprocessing import StandardScaler

    X_sim, y_sim, X_exp, y_exp = make_data(n_source=120, n_target=30, n_features=5)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_sim2real_pipeline(FitOnSource(StandardScaler()),
                                               tiny_regressor)
    model = ScalingCurve(pipe, source_sizes=[20, 120], n_trials=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a 2-size law is flagged as poorly identified
        model.fit(X_exp[:, 1:], y_exp, X_source=(X_sim[:, 1:],), y_source=(y_sim,))
    assert model.curve_.scores.shape == (2, 2)
    assert np.isfinite(model.curve_.scores).all()
    assert model.predict(X_exp[:5, 1:]).shape == (5,)


# -- real data: computed (COSMO-RS) and experimental Flory-Huggins chi ---------------

SHARED_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")


def _chi_features(frame):
    """Morgan count fingerprints of polymer and solvent, and 1000/T.

    Built with RDKit directly: sim2real_sklearn.featurizers has no fingerprint
    transformer yet (replace this with it once it lands).
    """
    from rdkit import Chem, RDLogger
    from rdkit.Chem import rdFingerprintGenerator

    RDLogger.DisableLog("rdApp.*")
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=128)
    cache = {}

    def fingerprint(smiles):
        if smiles not in cache:
            mol = Chem.MolFromSmiles(smiles)
            cache[smiles] = np.log1p(generator.GetCountFingerprintAsNumPy(mol))
        return cache[smiles]

    polymer, solvent = frame.ps_pair.str.split("_", n=1, expand=True).T.to_numpy()
    return np.column_stack([
        [fingerprint(s) for s in polymer],
        [fingerprint(s) for s in solvent],
        1000.0 / (frame.temp.to_numpy() + 273.15),
    ])


def test_chi_scaling_curve_on_real_data(tiny_regressor):
    path = os.path.join(SHARED_DATA, "chi_cosmo_rs.csv")
    if not os.path.exists(path):
        pytest.skip("the shared chi data are not on this machine")
    computed = pd.read_csv(path, index_col=0)
    measured = pd.read_csv(os.path.join(SHARED_DATA, "chi_experimental.csv"), index_col=0)
    # The same polymer-solvent pairs in both: the leakage guard matters here.
    assert set(computed.ps_pair) <= set(measured.ps_pair)
    regressor = clone(tiny_regressor).set_params(
        hidden_layer_sizes=(32,), pretrain_epochs=20, finetune_epochs=20,
        pretrain_batch_size=128, finetune_batch_size=128)
    result = scaling_curve(
        regressor, _chi_features(computed), computed.chi.to_numpy(),
        _chi_features(measured), measured.chi.to_numpy(),
        source_sizes=[0.1, 0.3, 1.0], n_trials=3, random_state=0,
        source_groups=computed.ps_pair.to_numpy(), target_groups=measured.ps_pair.to_numpy(),
        score_groups=measured.polymer_class.to_numpy())
    # every trial drops the computed rows of its test pairs, so fewer than 1206 remain
    assert np.all(result.n_source_dropped > 100)
    assert result.source_sizes[-1] == len(computed) - result.n_source_dropped.max()
    assert len(result.group_scores) == measured.polymer_class.nunique()
    mean = result.scores.mean(axis=1)
    # more computed data helps, and all of it beats learning from experiments alone
    assert mean[-1] < mean[0] and mean[-1] < result.baseline_scores.mean()


def test_scaling_curve_estimator_follows_sklearn_parameter_conventions():
    model = ScalingCurve(SpyTransfer(alpha=3.0), source_sizes=(10, 100), n_trials=3)
    params = model.get_params(deep=True)
    assert params["estimator__alpha"] == 3.0 and params["n_trials"] == 3
    copy = clone(model).set_params(estimator__alpha=5.0, random_state=1)
    assert copy.estimator.alpha == 5.0 and model.estimator.alpha == 3.0
    assert not hasattr(copy, "curve_")
    with pytest.raises(Exception, match="not fitted"):
        copy.predict(np.zeros((2, 5)))


def test_the_display_reads_the_result(data):
    import matplotlib

    matplotlib.use("Agg")
    result = scaling_curve(SpyTransfer(), *data, source_sizes=[10, 30, 100, 300],
                           n_trials=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the law's diagnostics on a 3-trial curve
        shown = ScalingCurveDisplay.from_result(result)
    assert shown.ax_ is not None


def test_target_groups_alone_group_the_splits_without_a_leakage_guard():
    from sklearn.model_selection import GroupShuffleSplit

    X_sim, y_sim, X_exp, y_exp = make_data()
    groups = np.arange(len(X_exp)) // 4  # 4 rows per material
    result = scaling_curve(SpyTransfer(), X_sim, y_sim, X_exp, y_exp, source_sizes=[50, 200],
                           n_trials=3, cv=GroupShuffleSplit(n_splits=3, test_size=0.25),
                           target_groups=groups, random_state=0)
    assert result.n_source_dropped.sum() == 0
    assert np.isfinite(result.scores).all()
