"""What the laws and the plots share: the bootstrap over trials and the checks of sizes and errors.

A scaling study repeats every size in independent *trials* (a fresh draw of
the computed subset and of the experimental split). Everything uncertain is
estimated by resampling those trials with replacement; a failed trial is NaN
and is left out of every mean. The laws (:mod:`._power_law`,
:mod:`._two_way_law`) and the displays (:mod:`._display` and its siblings) take their sizes
and errors through the same checks, so a user reads the same message
wherever a curve is refused.
"""

import warnings
from numbers import Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from .._constraints import Count
from ..exceptions import PowerLawWarning

__all__ = ["bootstrap_mean_interval"]

# The coverage of every interval, declared once for the laws and bootstrap_mean_interval.
_CONFIDENCE = Interval(Real, 0, 1, closed="neither")
# Fewer sizes, or a narrower span, cannot separate the exponent from the floor.
_MIN_DECADES = 1.0
_MIN_SIZES = 4


# ---------------------------------------------------------------------------
# The bootstrap over trials
# ---------------------------------------------------------------------------


def _mean_over_trials(scores):
    """Mean of the last axis (trials) over the trials that did not fail; NaN if all failed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every trial failed: NaN, said elsewhere
        return np.nanmean(np.asarray(scores, dtype=float), axis=-1)


def _percentile_interval(values, confidence, axis=0):
    """Percentile interval, ignoring NaN (failed refits), robust to inf.

    Taking the lower and the higher observation instead of interpolating
    keeps infinite answers (``n_required`` below the gap) infinite.
    """
    tail = 100 * (1 - confidence) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slice -> NaN
        low = np.nanpercentile(values, tail, axis=axis, method="lower")
        high = np.nanpercentile(values, 100 - tail, axis=axis, method="higher")
    return low, high


def _resampled_means(scores, indices):
    """Mean over resampled trials: ``scores[..., indices]`` averaged.

    scores has shape ``(*cells, n_trials)``; indices ``(n_bootstrap, n_trials)``.
    Returns ``(n_bootstrap, *cells)``, NaN where every drawn trial failed.
    """
    return np.moveaxis(_mean_over_trials(scores[..., indices]), -1, 0)


def _draw_trials(n_trials, n_bootstrap, random_state):
    """Indices of ``n_bootstrap`` resamples of the trials, with replacement."""
    rng = check_random_state(random_state)
    return rng.randint(0, n_trials, size=(n_bootstrap, n_trials))


@validate_params(
    {
        "confidence": [_CONFIDENCE],
        "n_bootstrap": [Count(1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def bootstrap_mean_interval(scores, *, confidence=0.9, n_bootstrap=1000, random_state=None):
    """Bootstrap confidence interval of the mean error over trials.

    Trials (the last axis) are resampled with replacement; failed trials
    (NaN) are ignored in each mean.

    Parameters
    ----------
    scores : array-like of shape (n_trials,) or (..., n_trials)
        Errors per trial, NaN for a failed trial.

    confidence : float, default=0.9
        Coverage of the percentile interval, in (0, 1).

    n_bootstrap : int, default=1000
        Number of resamples, >= 1.

    random_state : int, RandomState instance or None, default=None
        Seed of the resampling.

    Returns
    -------
    mean : ndarray of shape scores.shape[:-1]
        Mean error over the trials that did not fail.

    low, high : ndarray of shape scores.shape[:-1]
        Bounds of the interval, NaN where there are fewer than two trials.

    Examples
    --------
    >>> import numpy as np
    >>> from sim2real_sklearn.scaling import bootstrap_mean_interval
    >>> errors = np.random.default_rng(0).normal(0.3, 0.05, size=(2, 50))
    >>> mean, low, high = bootstrap_mean_interval(errors, random_state=0)
    >>> bool(np.all((low < mean) & (mean < high)))
    True
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 0 or scores.shape[-1] == 0:
        raise ValueError(f"scores must have a trial axis (the last); got shape {scores.shape}.")
    mean = _mean_over_trials(scores)
    n_trials = scores.shape[-1]
    if n_trials < 2:
        nan = np.full(mean.shape, np.nan)
        return mean, nan, nan.copy()
    indices = _draw_trials(n_trials, n_bootstrap, random_state)
    low, high = _percentile_interval(_resampled_means(scores, indices), confidence)
    return mean, low, high


# ---------------------------------------------------------------------------
# Checks of the sizes and errors a law is fitted on or a plot draws
# ---------------------------------------------------------------------------


def _check_sizes(sizes, name):
    """Distinct sizes > 0 as a 1-D float array: they go on a log axis and into ``n**-alpha``."""
    try:
        sizes = np.asarray(sizes, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers; got {sizes!r}.") from exc
    if sizes.ndim != 1 or sizes.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array; got shape {sizes.shape}.")
    bad = np.flatnonzero(~np.isfinite(sizes) | (sizes <= 0))
    if bad.size:
        i = bad[0]
        raise ValueError(
            f"{name} must be finite and > 0; got {float(sizes[i])!r} at index {i}. "
            "Size 0 (no simulation data, direct learning) is not on the law: "
            "drop it and compare it as a baseline instead."
        )
    values, counts = np.unique(sizes, return_counts=True)
    if (counts > 1).any():
        value = values[counts > 1][0]
        where = np.flatnonzero(sizes == value).tolist()
        raise ValueError(
            f"{name} must be distinct; {float(value)!r} appears at indices {where}. "
            "Put the repeated measurements of one size in its trials instead."
        )
    return sizes


def _check_errors(scores, name, leading_shape, leading_names):
    """Errors as a float array of shape ``leading_shape + (n_trials,)``.

    A missing trial axis (one mean error per cell) becomes a trial axis of
    length one. NaN marks a failed trial; infinite and negative values are
    refused because they cannot be errors.
    """
    try:
        scores = np.asarray(scores, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers.") from exc
    ndim = len(leading_shape)
    if scores.ndim == ndim:
        scores = scores[..., np.newaxis]
    if scores.ndim != ndim + 1 or scores.shape[:ndim] != tuple(leading_shape):
        expected = ", ".join(f"{n}={s}" for n, s in zip(leading_names, leading_shape))
        hint = ""
        if scores.ndim == 2 and ndim == 1 and scores.shape[1] == leading_shape[0]:
            hint = " It looks transposed: put one row per size, one column per trial."
        raise ValueError(
            f"{name} must have shape ({expected}) or ({expected}, n_trials); "
            f"got shape {np.shape(scores)}.{hint}"
        )
    if np.isinf(scores).any():
        where = tuple(int(i) for i in np.argwhere(np.isinf(scores))[0])
        raise ValueError(f"{name} must be finite or NaN (failed trial); got inf at {where}.")
    negative = np.argwhere(np.nan_to_num(scores, nan=0.0) < 0)
    if negative.size:
        where = tuple(int(i) for i in negative[0])
        raise ValueError(
            f"{name} must be errors (>= 0, e.g. MAE); got {float(scores[where])!r} at {where}. "
            "Scores from a 'neg_*' scorer must be negated first."
        )
    return scores


def _check_something_to_fit(scores, name):
    # A plot may show a group where every trial failed; a law has nothing to fit.
    if np.isnan(scores).all():
        raise ValueError(f"{name} is all NaN: every trial failed, there is nothing to fit.")
    return scores


def _check_target_errors(values, name):
    """Errors asked about (a target, a baseline): finite numbers; 0 or less is never reached."""
    try:
        values = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a number or an array of numbers; got {values!r}.") from exc
    bad = np.flatnonzero(~np.isfinite(values).ravel())
    if bad.size:
        where = "" if values.ndim == 0 else f" at index {int(bad[0])}"
        raise ValueError(f"{name} must be finite; got {float(values.ravel()[bad[0]])!r}{where}.")
    return values


def _check_query_sizes(values, name, what, hint=""):
    """Sizes a fitted law is asked about: > 0 (NaN refused too), any shape."""
    values = np.asarray(values, dtype=float)
    bad = ~(values > 0)
    if bad.any():
        raise ValueError(
            f"{name} must be > 0 {what}; got {float(values[bad].ravel()[0])!r}.{hint}"
        )
    return values


def _check_n(n):
    """Computed sizes ``n`` a fitted law is asked about."""
    return _check_query_sizes(
        n, "n", "computed samples", " Size 0 is direct learning, which the law does not describe."
    )


def _check_m(m):
    """Experimental sizes ``m`` a fitted two-way law is asked about."""
    return _check_query_sizes(m, "m", "experimental samples")


# ---------------------------------------------------------------------------
# What the input says about the fit to come
# ---------------------------------------------------------------------------


def _warn_failed_trials(scores, detail=""):
    """Say how many trials failed (NaN) and are left out of the fit.

    Called from a law's ``fit`` so that the warning points at the user's call.
    """
    n_failed = int(np.isnan(scores).sum())
    if n_failed:
        warnings.warn(
            f"{n_failed} of {scores.size} trials failed (NaN) and are left out: the law "
            f"is fitted on the {scores.size - n_failed} finished ones{detail}.",
            PowerLawWarning,
            stacklevel=3,
        )


def _warn_narrow_span(sizes, name, consequence=None):
    """Warn when the sizes are too few or too close to tell a law's parameters apart.

    Called from a law's ``fit`` so that the warning points at the user's call.
    """
    consequence = consequence or "the exponent and the floor of the law cannot be told apart"
    unique = np.unique(sizes)
    decades = np.log10(unique.max() / unique.min())
    if unique.size < _MIN_SIZES or decades < _MIN_DECADES:
        warnings.warn(
            f"{name} has {unique.size} distinct values spanning {decades:.2f} decades "
            f"(fewer than {_MIN_SIZES} sizes or less than {_MIN_DECADES:g} decade): "
            f"{consequence}, expect wide and unreliable intervals.",
            PowerLawWarning,
            stacklevel=3,
        )
