"""Does the error fall with the source size? The scaling test on studies simulated from known laws.

Before any planning answer a user needs to know whether the trials show
scaling at all. Each simulated study has 5 sizes over two decades (100 to
10,000 source rows) and 20 trials, like a small real study. Its noise is
chosen from what real studies show: each fit's error scatters by 5 to 15%
(coefficient of variation) around the law (the chi study of the command line,
COSMO-RS to experiment, 5 trials: 3 to 5% per size; the quick synthetic demo,
3 trials: 8 to 25%); a trial's experimental split is the same at every size,
so a trial effect (10%) is shared by all its sizes; and its source subsets
are nested, so neighbouring sizes of one trial drift together (a random walk
of 3% per step). 200 studies per case.

Measured with these seeds: a flat curve is taken for scaling in 1% (5% noise)
and 3.5% (15% noise) of studies, a rising one in none (and flagged as rising
in all); alpha 0.2 or 0.4, with or without a floor, is found in all.
"""

import numpy as np
import pytest

from sim2real_sklearn import PowerLaw
from sim2real_sklearn.scaling import detect_scaling

SIZES = np.geomspace(100, 10_000, 5)  # two decades
N_TRIALS = 20
N_STUDIES = 200
LEVEL = 0.9


def simulate(truth, *, fit_cv=0.10, trial_cv=0.10, walk_cv=0.03, n_trials=N_TRIALS, seed=0):
    """``N_STUDIES`` studies of shape (sizes, trials) around the mean errors ``truth``."""
    rng = np.random.default_rng(seed)
    shape = (N_STUDIES, SIZES.size, n_trials)
    trial = rng.normal(0, trial_cv, (N_STUDIES, 1, n_trials))
    walk = np.cumsum(rng.normal(0, walk_cv, shape), axis=1)  # nested subsets
    fit = rng.normal(0, fit_cv, shape)
    return truth[None, :, None] * np.exp(trial + walk + fit)


def detection_rates(studies):
    tests = [detect_scaling(SIZES, scores, confidence=LEVEL) for scores in studies]
    return (np.mean([t.detected for t in tests]), np.mean([t.error_rises for t in tests]))


def law(alpha, D=1.0, floor_share=0.5):
    """``D n^-alpha + C`` with C a share of the error at the largest size (0.5: half of it)."""
    falling = D * SIZES**-alpha
    C = floor_share / (1 - floor_share) * falling[-1]
    return falling + C


@pytest.mark.parametrize("fit_cv", [0.05, 0.15])
def test_a_flat_curve_is_not_taken_for_scaling(fit_cv):
    detected, rises = detection_rates(simulate(np.full(SIZES.size, 0.3), fit_cv=fit_cv))
    # At the 90% level the test errs on a flat curve in at most 10% of studies
    # (its one-sided level is 5%: the whole 90% interval must lie below 0).
    assert detected <= 0.10, detected
    assert rises <= 0.10, rises


@pytest.mark.parametrize("fit_cv", [0.05, 0.15])
def test_a_rising_curve_is_negative_transfer_not_scaling(fit_cv):
    rising = 0.3 * (SIZES / SIZES[0]) ** 0.05  # +26% over two decades
    detected, rises = detection_rates(simulate(rising, fit_cv=fit_cv, seed=1))
    assert detected == 0.0
    assert rises >= 0.8, rises


@pytest.mark.parametrize("fit_cv", [0.05, 0.15])
@pytest.mark.parametrize("alpha, floor_share", [(0.2, 0.0), (0.2, 0.5), (0.4, 0.5)],
                         ids=["alpha 0.2 no floor", "alpha 0.2 half floor",
                              "alpha 0.4 half floor"])
def test_scaling_is_found_over_two_decades_with_20_trials(alpha, floor_share, fit_cv):
    detected, rises = detection_rates(simulate(law(alpha, floor_share=floor_share),
                                               fit_cv=fit_cv, seed=2))
    assert detected >= 0.8, detected
    assert rises == 0.0


def test_the_law_and_the_function_give_the_same_verdict():
    studies = np.concatenate([simulate(law(0.2), seed=4)[:3],
                              simulate(np.full(SIZES.size, 0.3), seed=5)[:3]])
    for scores in studies:
        fitted = PowerLaw(n_bootstrap=0).fit(SIZES, scores)
        test = detect_scaling(SIZES, scores)
        assert fitted.scaling_detected_ == test.detected
        assert fitted.scaling_p_value_ == pytest.approx(test.p_value)
        assert fitted.error_rises_ == test.error_rises


def test_the_slope_is_the_change_per_decade_of_a_pure_power_law():
    # Noise-free trials on n^-0.3: every trial's slope is -0.3 exactly.
    scores = (SIZES**-0.3)[:, None] * np.linspace(0.9, 1.1, 8)
    test = detect_scaling(SIZES, scores)
    assert test.slope == pytest.approx(-0.3)
    assert test.change_per_decade == pytest.approx(10**-0.3 - 1)
    assert test.detected and test.p_value < 1e-10
    assert test.n_trials == 8 and test.sizes == (100.0, 10_000.0)


def test_failed_trials_are_left_out_of_their_own_slope():
    scores = simulate(law(0.3), seed=6)[0]
    clean = detect_scaling(SIZES, scores)
    scores[2, :5] = np.nan  # five trials lost their middle size
    scores[:, 7] = np.nan  # one trial failed everywhere: no slope
    test = detect_scaling(SIZES, scores)
    assert test.n_trials == N_TRIALS - 1
    assert test.detected and test.slope == pytest.approx(clean.slope, abs=0.05)


def test_one_trial_cannot_be_tested():
    test = detect_scaling(SIZES, law(0.3))
    assert not test.detected and not test.error_rises
    assert np.isnan(test.p_value) and test.n_trials == 1


@pytest.mark.parametrize(
    "kwargs, match",
    [({"confidence": 1.2}, "'confidence' parameter of detect_scaling"),
     ({"scores": np.ones((4, 3))}, r"scores must have shape \(n_sizes=5\)"),
     ({"scores": -np.ones((5, 3))}, "neg_")],
)
def test_bad_input_is_refused_by_name(kwargs, match):
    arguments = {"sizes": SIZES, "scores": np.ones((5, 3)), **kwargs}
    with pytest.raises(ValueError, match=match):
        detect_scaling(**arguments)
