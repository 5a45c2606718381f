"""The scaling law a user fits to a scaling curve, and the answers it gives."""

import json
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sim2real_sklearn import PowerLaw, PowerLawWarning, TwoWayPowerLaw
from sim2real_sklearn.scaling import bootstrap_mean_interval

ALPHA, D, C = 0.4, 1.5, 0.15
SIZES = np.geomspace(50, 20000, 8)
TRUTH = D * SIZES**-ALPHA + C


def noisy_curve(seed, n_trials=30, noise=0.02, sizes=SIZES, alpha=ALPHA, scale=D, gap=C):
    """Per-trial errors around a known law with Gaussian trial noise."""
    rng = np.random.default_rng(seed)
    truth = scale * sizes**-alpha + gap
    return truth[:, None] + rng.normal(0, noise, size=(sizes.size, n_trials))


@pytest.fixture(scope="module")
def law():
    with warnings.catch_warnings():
        warnings.simplefilter("error", PowerLawWarning)  # a good curve must not warn
        return PowerLaw(n_bootstrap=300, random_state=0).fit(SIZES, noisy_curve(0))


# -- recovering a known law -------------------------------------------------


def test_noise_free_curve_is_recovered_exactly():
    fit = PowerLaw(n_bootstrap=0).fit(SIZES, TRUTH)
    assert fit.alpha_ == pytest.approx(ALPHA, rel=1e-5)
    assert fit.D_ == pytest.approx(D, rel=1e-5)
    assert fit.C_ == pytest.approx(C, rel=1e-5)
    assert fit.equation() == "MAE = 1.5 n^-0.4 + 0.15"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noisy_trials_recover_parameters(seed):
    fit = PowerLaw(n_bootstrap=200, random_state=seed).fit(SIZES, noisy_curve(seed, noise=0.01))
    assert fit.alpha_ == pytest.approx(ALPHA, abs=0.06)
    assert fit.D_ == pytest.approx(D, rel=0.25)
    assert fit.C_ == pytest.approx(C, abs=0.02)
    np.testing.assert_allclose(fit.predict(SIZES), TRUTH, rtol=0.02)


def test_each_interval_holds_its_estimate(law):
    # alpha_ is the scaling strength, C_ the transfer gap: one name each.
    for name in ("alpha", "D", "C"):
        low, high = getattr(law, f"{name}_interval_")
        assert low <= getattr(law, f"{name}_") <= high


def test_mean_and_its_band_follow_the_trials(law):
    scores = noisy_curve(0)
    np.testing.assert_allclose(law.mean_, scores.mean(axis=1))
    low, high = law.mean_interval_
    assert np.all((low < law.mean_) & (law.mean_ < high))
    # The band of a mean over 30 trials is about 2 x 1.645 standard errors.
    expected_width = 2 * 1.645 * scores.std(axis=1, ddof=1) / np.sqrt(30)
    np.testing.assert_allclose(high - low, expected_width, rtol=0.3)


def test_interval_coverage_is_close_to_nominal():
    """Over 100 simulated studies the 90% intervals hold the truth ~90% of the time."""
    hits = {"alpha": [], "C": [], "mean": [], "curve": []}
    for seed in range(100):
        fit = PowerLaw(n_bootstrap=200, random_state=seed).fit(SIZES, noisy_curve(1000 + seed))
        for name, value in (("alpha", ALPHA), ("C", C)):
            low, high = getattr(fit, f"{name}_interval_")
            hits[name].append(low <= value <= high)
        low, high = fit.mean_interval_
        hits["mean"].append(np.mean((low <= TRUTH) & (TRUTH <= high)))
        low, high = fit.predict_interval(SIZES)
        hits["curve"].append(np.mean((low <= TRUTH) & (TRUTH <= high)))
    coverage = {name: float(np.mean(v)) for name, v in hits.items()}
    for value in coverage.values():
        assert 0.75 <= value <= 0.98, coverage


def test_bootstrap_is_reproducible_and_seed_dependent():
    scores = noisy_curve(3)
    first = PowerLaw(n_bootstrap=100, random_state=7).fit(SIZES, scores)
    again = PowerLaw(n_bootstrap=100, random_state=7).fit(SIZES, scores)
    other = PowerLaw(n_bootstrap=100, random_state=8).fit(SIZES, scores)
    np.testing.assert_array_equal(first.bootstrap_params_, again.bootstrap_params_)
    assert first.alpha_interval_ == again.alpha_interval_
    assert first.alpha_interval_ != other.alpha_interval_
    assert first.bootstrap_params_.shape == (100, 3)


def test_failed_trials_are_ignored_and_counted():
    scores = noisy_curve(4)
    with_failures = scores.copy()
    with_failures[2, :5] = np.nan
    with_failures[6, 10] = np.nan
    fit = PowerLaw(n_bootstrap=100, random_state=0).fit(SIZES, with_failures)
    assert fit.n_failed_trials_ == 6
    np.testing.assert_array_equal(fit.n_trials_used_, [30, 30, 25, 30, 30, 30, 29, 30])
    np.testing.assert_allclose(fit.mean_[2], scores[2, 5:].mean())
    assert fit.summary()["n_failed_trials"] == 6
    assert np.isfinite(fit.bootstrap_params_).all()


def test_size_where_every_trial_failed_is_dropped_with_a_warning():
    scores = noisy_curve(5)
    scores[1] = np.nan
    with pytest.warns(PowerLawWarning, match="Every trial failed"):
        fit = PowerLaw(n_bootstrap=50, random_state=0).fit(SIZES, scores)
    assert np.isnan(fit.mean_[1])
    assert np.isfinite(fit.alpha_)


def test_means_only_give_nan_intervals_with_a_warning():
    with pytest.warns(PowerLawWarning, match="no trials to resample"):
        fit = PowerLaw().fit(SIZES, TRUTH)
    assert np.isnan(fit.alpha_interval_).all()
    low, high = fit.predict_interval([100, 1000])
    assert np.isnan(low).all() and np.isnan(high).all()
    assert fit.alpha_ == pytest.approx(ALPHA, rel=1e-5)


def test_law_without_gap():
    scores = noisy_curve(6, gap=0.0, noise=0.005)
    fit = PowerLaw(fit_intercept=False, n_bootstrap=100, random_state=0).fit(SIZES, scores)
    assert fit.C_ == 0.0
    assert fit.alpha_ == pytest.approx(ALPHA, abs=0.03)
    assert "+" not in fit.equation()
    assert fit.n_required(0.01) < np.inf  # no floor: every target is reachable


def test_aic_prefers_the_gap_only_when_there_is_one():
    with_gap = PowerLaw(n_bootstrap=0).fit(SIZES, noisy_curve(7, noise=0.01))
    assert with_gap.aic_ < with_gap.aic_no_gap_ - 10
    assert with_gap.summary()["preferred_law"] == "with_gap"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PowerLawWarning)  # C on its bound: expected here
        no_gap = PowerLaw(n_bootstrap=0).fit(SIZES, noisy_curve(7, noise=0.01, gap=0.0))
    assert no_gap.summary()["preferred_law"] == "no_gap"


def test_summary_is_json_ready(law):
    summary = json.loads(json.dumps(law.summary()))
    assert summary["alpha"]["value"] == pytest.approx(law.alpha_)
    assert summary["C"]["interval"] == pytest.approx(list(law.C_interval_))
    assert summary["n_trials_used"] == [30] * 8
    assert summary["equation"] == law.equation()


def test_is_a_clonable_estimator(law):
    fresh = clone(law)
    assert fresh.get_params() == law.get_params()
    assert not hasattr(fresh, "alpha_")
    with pytest.raises(NotFittedError):
        fresh.summary()


def test_latex_equation_for_legends(law):
    text = law.equation(latex=True, name="MAE")
    assert text.startswith("MAE = $") and text.endswith("$")
    assert f"n^{{-{law.alpha_:.3g}}}" in text


# -- planning answers -------------------------------------------------------


def test_n_required_inverts_predict(law):
    targets = np.array([0.4, 0.3, 0.2])
    n = law.n_required(targets)
    assert n.shape == (3,)
    assert np.all(np.diff(n) > 0)  # lower error needs more simulations
    np.testing.assert_allclose(law.predict(n), targets, rtol=1e-10)
    low, high = law.n_required_interval(targets)
    assert np.all((low <= n) & (n <= high))


def test_target_below_transfer_gap_is_unreachable(law):
    assert law.n_required(law.C_ * 0.99) == np.inf
    assert law.n_required(law.C_) == np.inf
    assert np.isinf(law.n_required([0.0, 0.3])).tolist() == [True, False]
    # Just above the lower bound of C some refits reach it, others never do.
    low, high = law.n_required_interval(law.C_interval_[1] * 0.999)
    assert high == np.inf


def test_gain_per_decade(law):
    n = np.array([100.0, 1000.0])
    gain = law.gain_per_decade(n)
    np.testing.assert_allclose(gain, law.predict(n) - law.predict(10 * n))
    assert gain[0] > gain[1] > 0  # diminishing returns
    low, high = law.gain_per_decade_interval(n)
    assert np.all((low <= gain) & (gain <= high))


def test_crossover_with_direct_learning(law):
    baseline = 0.3
    n_cross = law.crossover(baseline)
    assert law.predict(n_cross) == pytest.approx(baseline)
    assert law.predict(n_cross * 1.01) < baseline < law.predict(n_cross * 0.99)
    assert law.crossover(law.C_ / 2) == np.inf  # a baseline below the gap is never beaten
    low, high = law.crossover_interval(baseline)
    assert low <= n_cross <= high


def test_equivalent_sample_size(law):
    # Direct learning: error against experimental size m.
    m = np.geomspace(20, 2000, 6)
    baseline_scores = noisy_curve(8, sizes=m, alpha=0.3, scale=1.2, gap=0.1, noise=0.01)
    baseline_law = PowerLaw(n_bootstrap=300, random_state=1).fit(m, baseline_scores)
    n = np.array([1000.0, 10000.0])
    m_eq = law.equivalent_sample_size(n, baseline_law)
    np.testing.assert_allclose(baseline_law.predict(m_eq), law.predict(n), rtol=1e-10)
    assert m_eq[1] > m_eq[0]  # a larger database is worth more experiments
    low, high = law.equivalent_sample_size_interval(n, baseline_law)
    assert np.all(low <= m_eq) and np.all(m_eq <= high)
    with pytest.raises(TypeError, match="baseline_law must be a PowerLaw"):
        law.equivalent_sample_size(n, 0.3)


def test_predict_interval_brackets_the_curve(law):
    grid = np.geomspace(50, 1e5, 20)
    low, high = law.predict_interval(grid)
    assert low.shape == high.shape == (20,)
    assert np.all((low <= law.predict(grid)) & (law.predict(grid) <= high))
    # Extrapolating beyond the largest size is less certain than inside.
    assert (high - low)[-1] > (high - low)[10]


# -- warnings ---------------------------------------------------------------


@pytest.mark.parametrize(
    "sizes",
    [np.array([100.0, 200.0, 400.0]), np.array([100.0, 200.0, 400.0, 800.0])],
    ids=["three sizes", "less than a decade"],
)
def test_narrow_span_warns(sizes):
    scores = noisy_curve(9, sizes=sizes)
    with pytest.warns(PowerLawWarning, match="cannot be told apart"):
        PowerLaw(n_bootstrap=20, random_state=0).fit(sizes, scores)


def test_gap_stuck_on_its_bound_warns():
    # No floor in the truth: C is pinned at 0 in many refits.
    scores = noisy_curve(10, gap=0.0, noise=0.01)
    with pytest.warns(PowerLawWarning, match="sits on a bound"):
        fit = PowerLaw(n_bootstrap=200, random_state=0).fit(SIZES, scores)
    assert fit.C_at_bound_share_ > 0.1
    assert fit.C_interval_[0] == 0.0


# -- bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    "sizes, scores, match",
    [
        (SIZES[:-1], noisy_curve(0), "one row per size|shape"),
        (SIZES, noisy_curve(0).T, "transposed"),
        (np.r_[0.0, SIZES[1:]], noisy_curve(0), r"sizes must be .*> 0; got 0.0 at index 0"),
        (np.r_[SIZES[:3], -5, SIZES[4:]], noisy_curve(0), "at index 3"),
        (SIZES, np.full((8, 30), np.nan), "all NaN"),
        (SIZES, -noisy_curve(0), "neg_"),
        (SIZES, np.where(np.eye(8, 30) > 0, np.inf, noisy_curve(0)), "inf"),
    ],
    ids=["length", "transposed", "zero size", "negative size", "all NaN", "negative", "inf"],
)
def test_bad_data_is_refused_with_a_clear_message(sizes, scores, match):
    with pytest.raises(ValueError, match=match):
        PowerLaw(n_bootstrap=10).fit(sizes, scores)


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1, "0.9", True])
@pytest.mark.parametrize("estimator", [PowerLaw(), TwoWayPowerLaw()],
                         ids=lambda e: type(e).__name__)
def test_confidence_must_be_in_open_unit_interval(estimator, confidence):
    name = type(estimator).__name__
    expected = rf"'confidence' parameter of {name} must be a float in the range \(0.0, 1.0\)"
    data = (SIZES, noisy_curve(0)) if name == "PowerLaw" else (N_GRID, M_GRID, two_way_truth())
    with pytest.raises(ValueError, match=expected):
        clone(estimator).set_params(confidence=confidence).fit(*data)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_bootstrap": -1},
         r"'n_bootstrap' parameter of PowerLaw must be an int in the range \[0, inf\)"),
        ({"n_bootstrap": 2.5}, "'n_bootstrap' parameter"),
        ({"n_bootstrap": None}, "'n_bootstrap' parameter"),
        ({"n_bootstrap": True}, "'n_bootstrap' parameter"),  # a flag is not a count
        ({"n_starts": -1}, "'n_starts' parameter of PowerLaw must be an int"),
        ({"fit_intercept": "yes"},
         "'fit_intercept' parameter of PowerLaw must be an instance of 'bool'"),
        ({"random_state": "seed"}, "'random_state' parameter of PowerLaw"),
    ],
    ids=lambda value: str(value) if isinstance(value, dict) else "",
)
def test_parameters_are_refused_by_name(params, match):
    with pytest.raises(ValueError, match=match):
        PowerLaw(**params).fit(SIZES, noisy_curve(0))


def test_predict_refuses_size_zero(law):
    with pytest.raises(ValueError, match="n must be > 0"):
        law.predict([0, 100])
    with pytest.raises(NotFittedError):
        PowerLaw().predict(100)


def test_bootstrap_mean_interval():
    scores = noisy_curve(11)
    mean, low, high = bootstrap_mean_interval(scores, n_bootstrap=200, random_state=0)
    assert mean.shape == low.shape == high.shape == (8,)
    assert np.all((low < mean) & (mean < high))
    wider = bootstrap_mean_interval(scores, confidence=0.99, n_bootstrap=200, random_state=0)
    assert np.all(wider[2] - wider[1] > high - low)
    single = bootstrap_mean_interval(scores[:, :1])
    assert np.isnan(single[1]).all()


@pytest.mark.parametrize(
    "params, match",
    [
        ({"confidence": 1.5}, r"'confidence' parameter of bootstrap_mean_interval must be a float"),
        ({"n_bootstrap": 0}, r"'n_bootstrap' parameter of bootstrap_mean_interval must be an int "
                             r"in the range \[1, inf\)"),
    ],
)
def test_bootstrap_mean_interval_refuses_its_parameters_by_name(params, match):
    with pytest.raises(ValueError, match=match):
        bootstrap_mean_interval(noisy_curve(11), **params)


# -- two-way law --------------------------------------------------------------

N_GRID = np.geomspace(100, 10000, 5)
M_GRID = np.geomspace(20, 500, 4)
TWO_WAY = dict(delta=2.0, gamma=0.1, alpha=0.5, beta=0.3)


def two_way_truth(n=N_GRID, m=M_GRID):
    p = TWO_WAY
    return p["delta"] * (p["gamma"] + n[:, None] ** -p["alpha"]) * m[None, :] ** -p["beta"]


def test_two_way_law_recovers_noise_free_grid():
    fit = TwoWayPowerLaw(n_bootstrap=0).fit(N_GRID, M_GRID, two_way_truth())
    for name, value in TWO_WAY.items():
        assert getattr(fit, f"{name}_") == pytest.approx(value, rel=1e-4), name


def test_two_way_law_recovers_parameters_from_noisy_trials():
    rng = np.random.default_rng(0)
    grid = two_way_truth()[..., None] * (1 + rng.normal(0, 0.1, size=(5, 4, 20)))
    grid[0, 0, :3] = np.nan  # failed trials are ignored
    fit = TwoWayPowerLaw(n_bootstrap=100, random_state=0).fit(N_GRID, M_GRID, grid)
    assert fit.alpha_ == pytest.approx(0.5, abs=0.08)
    assert fit.beta_ == pytest.approx(0.3, abs=0.03)
    assert fit.gamma_ == pytest.approx(0.1, abs=0.03)
    assert fit.n_failed_trials_ == 3
    for name in TWO_WAY:
        low, high = getattr(fit, f"{name}_interval_")
        assert low <= getattr(fit, f"{name}_") <= high
    n, m = np.array([300.0, 3000.0]), np.array([50.0, 200.0])
    low, high = fit.predict_interval(n, m)
    assert np.all((low <= fit.predict(n, m)) & (fit.predict(n, m) <= high))
    np.testing.assert_allclose(fit.predict(n, m), two_way_truth(n, m).diagonal(), rtol=0.05)
    assert json.loads(json.dumps(fit.summary()))["beta"]["value"] == pytest.approx(fit.beta_)
    assert fit.equation().startswith("MAE = ")


def test_two_way_law_checks_the_grid_shape():
    expected = r"grid_scores must have shape \(n_sizes=5, n_target_sizes=4\)"
    with pytest.raises(ValueError, match=expected):
        TwoWayPowerLaw(n_bootstrap=0).fit(N_GRID, M_GRID, two_way_truth().T)
    with pytest.raises(ValueError, match="target_sizes must be finite and > 0"):
        TwoWayPowerLaw(n_bootstrap=0).fit(N_GRID, np.r_[0, M_GRID[1:]], two_way_truth())


def test_two_way_law_warns_on_narrow_experimental_span():
    m = np.array([50.0, 100.0])
    with pytest.warns(PowerLawWarning, match="target_sizes"):
        TwoWayPowerLaw(n_bootstrap=0).fit(N_GRID, m, two_way_truth(m=m))


def test_equation_writes_a_gap_at_its_bound_as_zero():
    sizes = np.array([50, 100, 200, 400, 800, 1600, 3200])
    scores = 1.4 * sizes[:, None] ** -0.3 * np.ones((7, 10))  # no gap at all
    law = PowerLaw(n_bootstrap=50, random_state=0).fit(sizes, scores)
    assert law.C_ < 1e-6
    assert law.equation().endswith("+ 0")


def test_paired_crossover_interval_carries_the_baselines_uncertainty():
    rng = np.random.default_rng(0)
    sizes = np.array([30, 100, 300, 1000, 3000])
    n_trials = 40
    trial_effect = rng.normal(0, 0.03, n_trials)  # a hard split is hard for every model
    scores = (1.2 * sizes[:, None] ** -0.4 + 0.05 + trial_effect
              + rng.normal(0, 0.005, (5, n_trials)))
    law = PowerLaw(n_bootstrap=400, random_state=0).fit(sizes, scores)

    def log_width(low_high):
        return np.log(low_high[1] / low_high[0])

    # a noisy baseline, independent of the trials: pairing must widen the interval
    noisy = 0.3 + rng.normal(0, 0.06, n_trials)
    paired = law.crossover_interval(noisy.mean(), baseline_scores=noisy)
    assert paired[0] <= law.crossover(noisy.mean()) <= paired[1]
    assert log_width(paired) > 1.3 * log_width(law.crossover_interval(noisy.mean()))
    # a baseline that shares the trials' difficulty: pairing cancels it, narrower
    shared = 0.3 + trial_effect
    assert (log_width(law.crossover_interval(shared.mean(), baseline_scores=shared))
            < 0.5 * log_width(law.crossover_interval(shared.mean())))
    with pytest.raises(ValueError, match="one error per trial"):
        law.crossover_interval(0.3, baseline_scores=noisy[:-1])


# -- what the trials say about the law: adequacy, bounds, the error's name --------


def correlated_trials(truth, seed, n_trials=20, fit_cv=0.05, trial_cv=0.1):
    """Trials as real studies give them: a trial effect shared by every size, a per-fit scatter."""
    rng = np.random.default_rng(seed)
    return truth[:, None] * np.exp(rng.normal(0, trial_cv, (1, n_trials))
                                   + rng.normal(0, fit_cv, (truth.size, n_trials)))


def test_lack_of_fit_is_calibrated_when_the_law_holds():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PowerLawWarning)
        p = np.array([PowerLaw(n_bootstrap=0).fit(SIZES, correlated_trials(TRUTH, seed))
                      .lack_of_fit_p_value_ for seed in range(100)])
    # a test at level 10%: about 10 of 100 studies of a true law reject it
    assert 0.02 <= np.mean(p < 0.1) <= 0.2, np.mean(p < 0.1)


def test_lack_of_fit_finds_a_curve_that_is_not_a_power_law():
    # A step in log n (a sigmoid) bends the wrong way for D n^-alpha + C.
    sigmoid = 0.2 + 0.2 / (1 + np.exp(3 * (np.log10(SIZES) - 3)))
    rejected = []
    for seed in range(20):
        with pytest.warns(PowerLawWarning, match="does not fit the mean MAE"):
            law = PowerLaw(n_bootstrap=0).fit(SIZES, correlated_trials(sigmoid, seed))
        rejected.append(law.lack_of_fit_p_value_ < 0.1)
        # 8 sizes less 3 free parameters (2 when C sits on its bound); 20 trials less those
        assert law.lack_of_fit_df_ in [(5, 15), (6, 14)]
    assert np.mean(rejected) >= 0.9


def test_residuals_are_the_means_minus_the_law(law):
    np.testing.assert_allclose(law.residuals_, law.mean_ - law.predict(law.sizes_))
    assert np.isfinite(law.lack_of_fit_p_value_) and law.lack_of_fit_df_ == (5, 25)
    assert law.summary()["residuals"] == pytest.approx(list(law.residuals_))


def test_lack_of_fit_needs_more_sizes_than_parameters():
    sizes = SIZES[:3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PowerLawWarning)
        law = PowerLaw(n_bootstrap=0).fit(sizes, correlated_trials(TRUTH[:3], 0))
    assert np.isnan(law.lack_of_fit_p_value_) and law.lack_of_fit_df_[0] == 0


def test_a_good_curve_has_every_parameter_estimated(law):
    assert law.parameter_status_ == {"alpha": "estimated", "D": "estimated", "C": "estimated"}
    assert law.scaling_detected_ and not law.error_rises_ and law.scaling_p_value_ < 1e-6
    summary = law.summary()
    assert summary["scaling_detected"] is True
    assert summary["alpha"]["status"] == "estimated" and summary["alpha"]["at_bound"] is False


def test_a_flat_curve_puts_alpha_on_its_bound_and_says_so():
    flat = correlated_trials(np.full(SIZES.size, 0.3), 1)
    flat[-1] *= 1.02  # rising a little at the end: the best law is flat
    with pytest.warns(PowerLawWarning) as caught:
        law = PowerLaw(n_bootstrap=200, random_state=0).fit(SIZES, flat)
    messages = " ".join(str(w.message) for w in caught)
    assert "No scaling detected between sizes 50 and 20000" in messages
    assert "alpha sits on its bound (a flat law)" in messages
    assert law.parameter_status_["alpha"] == "not_identified"
    assert law.parameter_status_["C"] == "not_identified"  # only D + C is estimated
    assert law.alpha_at_bound_share_ > 0.5
    assert not law.scaling_detected_


def test_rising_errors_are_negative_transfer_not_a_flat_law():
    rising = correlated_trials(0.3 * (SIZES / 50) ** 0.05, 2)
    with pytest.warns(PowerLawWarning, match="rises with the size .*negative transfer"):
        law = PowerLaw(n_bootstrap=0).fit(SIZES, rising)
    assert law.error_rises_ and not law.scaling_detected_
    assert law.scaling_test_.change_per_decade > 0


def test_equation_names_the_error_it_was_fitted_to():
    law = PowerLaw(n_bootstrap=0, score_name="RMSE").fit(SIZES, TRUTH)
    assert law.equation() == "RMSE = 1.5 n^-0.4 + 0.15"
    assert law.equation(name="MAE") == "MAE = 1.5 n^-0.4 + 0.15"
    assert law.summary()["score_name"] == "RMSE"
    with pytest.raises(ValueError, match="'score_name' parameter of PowerLaw"):
        PowerLaw(score_name=3).fit(SIZES, TRUTH)


# -- allocation between simulations and experiments -------------------------------


def brute_force_allocation(budget, cost_source, cost_target, delta, gamma, alpha, beta):
    """Every whole number of simulations, the rest of the budget in experiments."""
    n = np.arange(1, int((budget - cost_target) / cost_source) + 1, dtype=float)
    m = (budget - cost_source * n) / cost_target
    loss = delta * (gamma + n**-alpha) * m**-beta
    best = np.argmin(loss)
    return n[best], m[best], loss[best]


@pytest.mark.parametrize("budget, cost_source, cost_target",
                         [(20_000, 1, 100), (5_000, 0.5, 10), (1e6, 2, 5000)])
def test_allocation_matches_a_brute_force_grid_search(budget, cost_source, cost_target):
    law = TwoWayPowerLaw(n_bootstrap=0).fit(N_GRID, M_GRID, two_way_truth())
    plan = law.optimal_allocation(budget, cost_source, cost_target)
    n, m, loss = brute_force_allocation(budget, cost_source, cost_target, **TWO_WAY)
    assert plan.predicted_error == pytest.approx(loss, rel=1e-4)
    assert plan.source_size == pytest.approx(n, rel=0.02, abs=1)
    assert plan.target_size == pytest.approx(m, rel=0.02)
    assert cost_source * plan.source_size + cost_target * plan.target_size == pytest.approx(budget)
    assert plan.source_extrapolation_factor == pytest.approx(plan.source_size / N_GRID.max())
    assert plan.target_extrapolation_factor == pytest.approx(plan.target_size / M_GRID.max())


def test_allocation_without_a_floor_spends_in_proportion_to_the_exponents():
    # gamma = 0: n^-alpha m^-beta on a budget line, the optimum spends alpha / (alpha + beta)
    # of the budget on simulations.
    grid = 2.0 * N_GRID[:, None] ** -0.5 * M_GRID[None, :] ** -0.3
    law = TwoWayPowerLaw(n_bootstrap=0).fit(N_GRID, M_GRID, grid)
    plan = law.optimal_allocation(10_000, 1, 10)
    assert plan.source_size == pytest.approx(10_000 * 0.5 / 0.8, rel=1e-3)
    assert plan.target_size == pytest.approx(10_000 * 0.3 / 0.8 / 10, rel=1e-3)


def test_allocation_intervals_come_from_the_bootstrap():
    rng = np.random.default_rng(0)
    grid = two_way_truth()[..., None] * np.exp(rng.normal(0, 0.05, size=(5, 4, 20)))
    law = TwoWayPowerLaw(n_bootstrap=200, random_state=0).fit(N_GRID, M_GRID, grid)
    plan = law.optimal_allocation(20_000, 1, 100)
    for name in ("source_size", "target_size", "predicted_error"):
        low, high = plan[f"{name}_interval"]
        assert low < plan[name] < high, name
    n, m, loss = brute_force_allocation(20_000, 1, 100, **TWO_WAY)
    assert plan.predicted_error_interval[0] < loss < plan.predicted_error_interval[1]


@pytest.mark.parametrize("args, match", [
    ((100, 0, 1), "cost_source must be a finite number > 0"),
    ((100, 1, np.inf), "cost_target must be a finite number > 0"),
    ((10, 5, 6), "must buy at least one simulation and one experiment"),
])
def test_allocation_refuses_an_impossible_budget(args, match):
    law = TwoWayPowerLaw(n_bootstrap=0).fit(N_GRID, M_GRID, two_way_truth())
    with pytest.raises(ValueError, match=match):
        law.optimal_allocation(*args)
