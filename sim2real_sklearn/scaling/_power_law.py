"""Scaling laws of Sim2Real transfer, fitted with bootstrap confidence intervals.

The error of a model pretrained on ``n`` computed (simulation) samples and
fine-tuned on experimental data falls as a power law with a floor::

    MAE(n) = D * n**(-alpha) + C

``alpha`` is the *scaling strength* (how much the database is worth per
decade) and ``C`` the *transfer gap* (the error that no amount of simulation
removes). :class:`PowerLaw` fits it to the per-trial errors of a scaling curve
and answers planning questions (how many computed samples reach a target
error, from which size transfer beats learning from experiments alone, how
many experiments the database is worth). :class:`TwoWayPowerLaw` fits the
joint law of computed size ``n`` and experimental size ``m``::

    L(n, m) = delta * (gamma + n**(-alpha)) * m**(-beta)

Uncertainty comes from resampling the *trials* (each trial is an independent
draw of the computed subset and of the experimental split) with replacement
and refitting: the covariance returned by ``curve_fit`` is unreliable for
power laws (infinite, or far too narrow near the bounds).
"""

import numbers
import warnings

import numpy as np
from scipy.optimize import least_squares
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..exceptions import PowerLawWarning

__all__ = [
    "PowerLaw",
    "TwoWayPowerLaw",
    "bootstrap_mean_interval",
]

# alpha above 5 means the error drops by 1e5 per decade: a step, not a law.
_ALPHA_BOUNDS = (1e-4, 5.0)
_BETA_BOUNDS = (0.0, 5.0)
# The bootstrap refits scan this many alpha values before refining.
_N_ALPHA_SCAN = 48
_N_GOLDEN_STEPS = 40
# Share of bootstrap refits with C on a bound above which the interval of C
# is censored rather than estimated.
_BOUND_WARNING_SHARE = 0.1
_MIN_DECADES = 1.0
_MIN_SIZES = 4


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def _check_confidence(confidence):
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, numbers.Real)
        or not 0 < confidence < 1
    ):
        raise ValueError(
            "confidence must be a float in (0, 1), e.g. 0.9 for a 90% interval; "
            f"got {confidence!r}."
        )
    return float(confidence)


def _check_count(value, name, minimum):
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < minimum
    ):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def _check_sizes(sizes, name):
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
    values, first, counts = np.unique(sizes, return_index=True, return_counts=True)
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
    if np.isnan(scores).all():
        raise ValueError(f"{name} is all NaN: every trial failed, there is nothing to fit.")
    negative = np.argwhere(np.nan_to_num(scores, nan=0.0) < 0)
    if negative.size:
        where = tuple(int(i) for i in negative[0])
        raise ValueError(
            f"{name} must be errors (>= 0, e.g. MAE); got {float(scores[where])!r} at {where}. "
            "Scores from a 'neg_*' scorer must be negated first."
        )
    return scores


def _warn_failed_trials(scores, sizes, used):
    """Say how many trials failed (NaN) and how many the fit uses, per size."""
    n_failed = int(np.isnan(scores).sum())
    if not n_failed:
        return
    per_size = np.isfinite(scores).sum(axis=1)
    message = (
        f"{n_failed} of {scores.size} trials failed (NaN) and are left out: the law "
        f"is fitted on the {scores.size - n_failed} finished ones ({per_size.tolist()} "
        f"per size at sizes {sizes.tolist()}; see n_trials_used_)."
    )
    if not used.all():
        message += (f" Every trial failed at sizes {sizes[~used].tolist()}; "
                    "the law is fitted without them.")
    warnings.warn(message, PowerLawWarning, stacklevel=3)


def _warn_narrow_span(sizes, name, consequence=None):
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


# ---------------------------------------------------------------------------
# Statistics shared by the laws and the displays
# ---------------------------------------------------------------------------


def _check_target_errors(values, name):
    """Errors asked about (a target, a baseline): finite numbers; 0 or less is never reached."""
    try:
        values = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number or an array of numbers; got {values!r}.") from exc
    bad = np.flatnonzero(~np.isfinite(values).ravel())
    if bad.size:
        where = "" if values.ndim == 0 else f" at index {int(bad[0])}"
        raise ValueError(f"{name} must be finite; got {float(values.ravel()[bad[0]])!r}{where}.")
    return values


def gap_for_display(C, D):
    """The transfer gap as people should read it: 0 when it sits at its lower bound.

    The bounded fit leaves a rounding residue such as 1.4e-20 there; printed,
    it looks like a measured floor.
    """
    return 0.0 if abs(C) < 1e-9 * max(abs(D), 1e-300) else C


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
    resampled = scores[..., indices]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(resampled, axis=-1)
    return np.moveaxis(means, -1, 0)


def _nanmean(scores):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(scores, axis=-1)


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
        Number of resamples.

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
    confidence = _check_confidence(confidence)
    n_bootstrap = _check_count(n_bootstrap, "n_bootstrap", 1)
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 0 or scores.shape[-1] == 0:
        raise ValueError(f"scores must have a trial axis (the last); got shape {scores.shape}.")
    mean = _nanmean(scores)
    n_trials = scores.shape[-1]
    if n_trials < 2:
        nan = np.full(mean.shape, np.nan)
        return mean, nan, nan.copy()
    rng = check_random_state(random_state)
    indices = rng.randint(0, n_trials, size=(n_bootstrap, n_trials))
    low, high = _percentile_interval(_resampled_means(scores, indices), confidence)
    return mean, low, high


# ---------------------------------------------------------------------------
# MAE(n) = D * n**(-alpha) + C
# ---------------------------------------------------------------------------


def _law(sizes, alpha, D, C):
    return D * np.power(sizes, -alpha) + C


def _solve_scale_and_gap(x, y, w, c_upper, fit_intercept):
    """Exact weighted least squares of ``y ~ D * x + C`` for a fixed alpha.

    With ``x = n**-alpha`` the law is linear in ``D >= 0`` and
    ``0 <= C <= c_upper``: a convex problem on a box, solved in closed form
    by comparing the unconstrained solution (if feasible) with the best point
    of each edge. Broadcasts over leading axes; the last axis is the sizes.
    """
    sum_w = w.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sxx = (w * x * x).sum(axis=-1)
        candidates = []
        # Edge C = 0 (also the whole problem when the law has no gap).
        d0 = np.maximum((w * x * y).sum(axis=-1) / sxx, 0.0)
        candidates.append((d0, np.zeros_like(d0)))
        if fit_intercept:
            cu = np.broadcast_to(c_upper, d0.shape)
            d_up = np.maximum((w * x * (y - cu[..., None])).sum(axis=-1) / sxx, 0.0)
            candidates.append((d_up, cu))
            y_mean = (w * y).sum(axis=-1) / sum_w
            candidates.append((np.zeros_like(d0), np.clip(y_mean, 0.0, cu)))
            x_mean = (w * x).sum(axis=-1) / sum_w
            dx = x - x_mean[..., None]
            d_free = (w * dx * (y - y_mean[..., None])).sum(axis=-1) / (w * dx * dx).sum(axis=-1)
            c_free = y_mean - d_free * x_mean
            feasible = (d_free >= 0) & (c_free >= 0) & (c_free <= cu)
            nan = np.full_like(d_free, np.nan)
            candidates.append((np.where(feasible, d_free, nan), np.where(feasible, c_free, nan)))
        best_d = best_c = best_sse = None
        for d, c in candidates:
            sse = (w * (y - d[..., None] * x - c[..., None]) ** 2).sum(axis=-1)
            sse = np.where(np.isfinite(sse), sse, np.inf)
            if best_sse is None:
                best_d, best_c, best_sse = d, c, sse
            else:
                better = sse < best_sse
                best_d = np.where(better, d, best_d)
                best_c = np.where(better, c, best_c)
                best_sse = np.where(better, sse, best_sse)
    return best_d, best_c, best_sse


def _profile_fit(log_sizes, Y, W, c_upper, fit_intercept):
    """Fit many curves at once: rows of ``Y`` (n_fits, n_sizes).

    Only alpha enters nonlinearly, so each fit is a one-dimensional search
    on the profiled sum of squares: a log-spaced scan, then golden-section
    refinement around the best scanned value. Vectorised over the fits, this
    replaces thousands of ``least_squares`` calls in the bootstrap.
    """
    log_grid = np.linspace(*np.log(_ALPHA_BOUNDS), _N_ALPHA_SCAN)

    def sse_at(log_alpha):  # log_alpha (n_fits, k) -> (D, C, sse) each (n_fits, k)
        x = np.exp(-np.exp(log_alpha)[..., None] * log_sizes)
        return _solve_scale_and_gap(
            x, Y[:, None, :], W[:, None, :], c_upper[:, None], fit_intercept
        )

    n_fits = Y.shape[0]
    sse_scan = sse_at(np.broadcast_to(log_grid, (n_fits, log_grid.size)))[2]
    best = np.argmin(sse_scan, axis=1)
    lo = log_grid[np.maximum(best - 1, 0)]
    hi = log_grid[np.minimum(best + 1, log_grid.size - 1)]
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(_N_GOLDEN_STEPS):
        left = hi - ratio * (hi - lo)
        right = lo + ratio * (hi - lo)
        sse = sse_at(np.stack([left, right], axis=1))[2]
        keep_left = sse[:, 0] <= sse[:, 1]
        hi = np.where(keep_left, right, hi)
        lo = np.where(keep_left, lo, left)
    candidates = np.stack([(lo + hi) / 2, log_grid[best]], axis=1)
    D, C, sse = sse_at(candidates)
    pick = np.argmin(sse, axis=1)[:, None]
    take = lambda a: np.take_along_axis(a, pick, axis=1)[:, 0]  # noqa: E731
    return np.exp(take(candidates)), take(D), take(C), take(sse)


def _polish(sizes, y, start, c_upper, fit_intercept, n_starts):
    """Bounded nonlinear least squares from several starts; best cost wins.

    Starts: the profile optimum, plus ``n_starts`` alpha values log-spaced
    over the bounds with the exact (D, C) for each.
    """
    log_sizes = np.log(sizes)
    w = np.ones_like(y)
    alphas = np.concatenate([[start[0]], np.geomspace(*_ALPHA_BOUNDS, n_starts + 2)[1:-1]])
    lower = [_ALPHA_BOUNDS[0], 0.0] + ([0.0] if fit_intercept else [])
    upper = [_ALPHA_BOUNDS[1], np.inf] + ([c_upper] if fit_intercept else [])

    def residuals(p):
        C = p[2] if fit_intercept else 0.0
        return _law(sizes, p[0], p[1], C) - y

    def jacobian(p):
        x = np.exp(-p[0] * log_sizes)
        columns = [-p[1] * log_sizes * x, x] + ([np.ones_like(x)] if fit_intercept else [])
        return np.stack(columns, axis=1)

    best = np.array(start[: len(lower)], dtype=float)
    best_cost = 0.5 * np.sum(residuals(best) ** 2)
    for alpha in alphas:
        x = np.exp(-alpha * log_sizes)
        D, C, _ = _solve_scale_and_gap(x, y, w, np.asarray(c_upper), fit_intercept)
        x0 = np.array([alpha, D, C][: len(lower)], dtype=float)
        # least_squares needs a start inside the box, not on its faces.
        span = np.where(np.isfinite(upper), np.subtract(upper, lower), 1.0)
        x0 = np.clip(x0, np.add(lower, 1e-9 * span), np.subtract(upper, 1e-9 * span))
        fit = least_squares(residuals, x0, jac=jacobian, bounds=(lower, upper), method="trf")
        if fit.cost < best_cost:
            best, best_cost = fit.x, fit.cost
    alpha, D = best[0], best[1]
    C = best[2] if fit_intercept else 0.0
    return float(alpha), float(D), float(C), float(2 * best_cost)


def _aic(rss, n_points, n_params):
    # Gaussian residuals on the mean curve; floor the RSS of an exact fit.
    rss = max(rss, np.finfo(float).tiny)
    return float(n_points * np.log(rss / n_points) + 2 * n_params)


class PowerLaw(BaseEstimator):
    """Scaling law ``MAE(n) = D * n**(-alpha) + C`` with bootstrap intervals.

    ``n`` is the number of computed (simulation) samples used for
    pretraining; ``MAE(n)`` the mean error on the experimental test data.
    ``alpha`` (:attr:`scaling_strength`) says how fast more simulations help,
    ``C`` (:attr:`transfer_gap`) is the error that no amount of simulation
    removes, ``D`` the scale of the part that does fall.

    The law is fitted to the mean error over trials at each size by bounded
    nonlinear least squares (``D >= 0``, ``alpha`` in ``[1e-4, 5]``,
    ``0 <= C <= min(mean error)``) from several starting points. Intervals
    come from resampling the trials with replacement and refitting
    (percentile bootstrap); the refits use an exact profile search over
    ``alpha`` (the law is linear in ``D`` and ``C`` once ``alpha`` is fixed).

    Parameters
    ----------
    confidence : float, default=0.9
        Coverage of every interval, in (0, 1).

    n_bootstrap : int, default=1000
        Number of bootstrap refits. 0 skips them (intervals are NaN).

    fit_intercept : bool, default=True
        Whether to fit the transfer gap ``C``. With False the law is
        ``D * n**(-alpha)`` (no floor).

    random_state : int, RandomState instance or None, default=None
        Seed of the bootstrap resampling.

    n_starts : int, default=8
        Number of extra starting values of ``alpha`` (log-spaced over its
        bounds) for the least-squares fit of the point estimate.

    Attributes
    ----------
    alpha_, D_, C_ : float
        Fitted parameters. ``C_`` is 0 when ``fit_intercept=False``.

    alpha_interval_, D_interval_, C_interval_ : tuple of float
        ``(low, high)`` percentile bootstrap intervals.

    sizes_ : ndarray of shape (n_sizes,)
        Sizes the law was fitted on.

    mean_ : ndarray of shape (n_sizes,)
        Mean error over the trials that did not fail, per size.

    mean_interval_ : ndarray of shape (2, n_sizes)
        Bootstrap interval (low row, high row) of ``mean_``.

    n_trials_used_ : ndarray of shape (n_sizes,)
        Number of trials that did not fail (not NaN), per size.

    n_failed_trials_ : int
        Number of failed (NaN) trials, ignored by the fit.

    bootstrap_params_ : ndarray of shape (n_bootstrap, 3)
        Refitted ``(alpha, D, C)`` per bootstrap resample (NaN when a
        resample drew only failed trials).

    C_at_bound_share_ : float
        Share of bootstrap refits where ``C`` sits on a bound (0 or the
        smallest mean error): a censored, not estimated, gap.

    rss_ : float
        Residual sum of squares of the fit on the mean curve.

    aic_, aic_no_gap_ : float
        Akaike information criterion of this law and of the law without
        gap (``C = 0``) on the mean curve; lower is better.

    See Also
    --------
    TwoWayPowerLaw : Joint law of computed and experimental sizes.
    bootstrap_mean_interval : The band of the mean error alone.

    Examples
    --------
    >>> import numpy as np
    >>> from sim2real_sklearn import PowerLaw
    >>> rng = np.random.default_rng(0)
    >>> sizes = np.geomspace(50, 20000, 8)
    >>> truth = 1.5 * sizes ** -0.4 + 0.15
    >>> scores = truth[:, None] + rng.normal(0, 0.01, size=(8, 30))
    >>> law = PowerLaw(n_bootstrap=200, random_state=0).fit(sizes, scores)
    >>> law.equation()
    'MAE = 1.43 n^-0.382 + 0.144'
    >>> low, high = law.scaling_strength_interval
    >>> bool(low < 0.4 < high)
    True
    >>> round(float(law.n_required(0.2)))  # computed rows needed for MAE 0.2
    4664
    """

    def __init__(
        self,
        confidence=0.9,
        n_bootstrap=1000,
        fit_intercept=True,
        random_state=None,
        n_starts=8,
    ):
        self.confidence = confidence
        self.n_bootstrap = n_bootstrap
        self.fit_intercept = fit_intercept
        self.random_state = random_state
        self.n_starts = n_starts

    # -- fitting ---------------------------------------------------------

    def fit(self, sizes, scores):
        """Fit the law to the errors of a scaling curve.

        Parameters
        ----------
        sizes : array-like of shape (n_sizes,)
            Numbers of computed samples, all > 0. Drop size 0 (direct
            learning) and compare it as a baseline instead.

        scores : array-like of shape (n_sizes, n_trials) or (n_sizes,)
            Error (e.g. MAE) per size and trial; NaN marks a failed trial
            and is ignored. With one value per size there are no trials to
            resample and every interval is NaN.

        Returns
        -------
        self : PowerLaw
            The fitted law.
        """
        confidence = _check_confidence(self.confidence)
        n_bootstrap = _check_count(self.n_bootstrap, "n_bootstrap", 0)
        n_starts = _check_count(self.n_starts, "n_starts", 0)
        sizes = _check_sizes(sizes, "sizes")
        scores = _check_errors(scores, "scores", sizes.shape, ["n_sizes"])
        fit_intercept = bool(self.fit_intercept)

        mean = _nanmean(scores)
        used = np.isfinite(mean)
        if used.sum() < 2 + fit_intercept:
            raise ValueError(
                f"scores has {used.sum()} sizes with at least one successful trial; "
                f"the law needs at least {2 + fit_intercept}."
            )
        _warn_failed_trials(scores, sizes, used)
        _warn_narrow_span(sizes[used], "sizes")

        self.sizes_ = sizes
        self.mean_ = mean
        self.n_trials_used_ = np.isfinite(scores).sum(axis=1)
        self.n_failed_trials_ = int(np.isnan(scores).sum())

        y, s = mean[used], sizes[used]
        self.alpha_, self.D_, self.C_, self.rss_ = self._fit_mean(s, y, fit_intercept, n_starts)
        n_params = 2 + fit_intercept
        self.aic_ = _aic(self.rss_, y.size, n_params)
        if fit_intercept:
            alpha, D, _, no_gap_rss = self._fit_mean(s, y, False, n_starts)
            self.no_gap_params_ = (alpha, D)
            self.aic_no_gap_ = _aic(no_gap_rss, y.size, 2)
        else:
            self.no_gap_params_ = (self.alpha_, self.D_)
            self.aic_no_gap_ = self.aic_

        self._bootstrap(sizes, scores, confidence, n_bootstrap, fit_intercept)
        return self

    @staticmethod
    def _fit_mean(sizes, y, fit_intercept, n_starts):
        log_sizes = np.log(sizes)
        c_upper = np.array([y.min()])
        profile = _profile_fit(log_sizes, y[None], np.ones((1, y.size)), c_upper, fit_intercept)
        start = [v[0] for v in profile]
        if fit_intercept and c_upper[0] <= 0:
            # A zero error somewhere pins the gap at 0.
            fit_intercept = False
        return _polish(sizes, y, start, float(c_upper[0]), fit_intercept, n_starts)

    def _bootstrap(self, sizes, scores, confidence, n_bootstrap, fit_intercept):
        n_trials = scores.shape[1]
        nan_pair = (np.nan, np.nan)
        if n_trials < 2 or n_bootstrap == 0:
            if n_trials < 2 and n_bootstrap > 0:
                warnings.warn(
                    "scores holds one value per size: there are no trials to resample, "
                    "so every interval is NaN. Pass the per-trial errors, shape "
                    "(n_sizes, n_trials).",
                    PowerLawWarning,
                    stacklevel=3,
                )
            self.bootstrap_params_ = np.empty((0, 3))
            self.bootstrap_indices_ = np.empty((0, n_trials), dtype=int)
            self.mean_interval_ = np.full((2, sizes.size), np.nan)
            self.alpha_interval_ = self.D_interval_ = self.C_interval_ = nan_pair
            self.C_at_bound_share_ = np.nan
            return

        rng = check_random_state(self.random_state)
        indices = rng.randint(0, n_trials, size=(n_bootstrap, n_trials))
        # Kept so that a paired baseline (same trials) can be resampled with
        # the same draws: see crossover_interval.
        self.bootstrap_indices_ = indices
        means = _resampled_means(scores, indices)  # (n_bootstrap, n_sizes)
        self.mean_interval_ = np.array(_percentile_interval(means, confidence))

        W = np.isfinite(means).astype(float)
        Y = np.nan_to_num(means)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            c_upper = np.nanmin(means, axis=1)
        alpha, D, C, _ = _profile_fit(np.log(sizes), Y, W, np.nan_to_num(c_upper), fit_intercept)
        ill_posed = W.sum(axis=1) < 2 + fit_intercept
        params = np.stack([alpha, D, C], axis=1)
        params[ill_posed] = np.nan
        self.bootstrap_params_ = params

        intervals = _percentile_interval(params, confidence)
        self.alpha_interval_, self.D_interval_, self.C_interval_ = (
            (float(intervals[0][j]), float(intervals[1][j])) for j in range(3)
        )
        if not fit_intercept:
            self.C_at_bound_share_ = np.nan
            return
        valid = ~ill_posed
        tol = 1e-6 * np.nanmax(means)
        at_bound = (C[valid] <= tol) | (C[valid] >= c_upper[valid] - tol)
        self.C_at_bound_share_ = float(at_bound.mean()) if valid.any() else np.nan
        if self.C_at_bound_share_ > _BOUND_WARNING_SHARE:
            warnings.warn(
                f"The transfer gap C sits on a bound (0 or the smallest mean error) in "
                f"{self.C_at_bound_share_:.0%} of bootstrap refits: its interval is "
                "censored and alpha is poorly identified. Compare aic_ with "
                "aic_no_gap_, or measure larger sizes.",
                PowerLawWarning,
                stacklevel=3,
            )

    # -- user-facing parameters ------------------------------------------

    @property
    def alpha(self):
        """Fitted exponent ``alpha`` (same as :attr:`scaling_strength`)."""
        check_is_fitted(self, "alpha_")
        return self.alpha_

    @property
    def D(self):
        """Fitted scale ``D`` of the part of the error that falls with ``n``."""
        check_is_fitted(self, "D_")
        return self.D_

    @property
    def C(self):
        """Fitted floor ``C`` (same as :attr:`transfer_gap`)."""
        check_is_fitted(self, "C_")
        return self.C_

    @property
    def scaling_strength(self):
        """How fast the error falls with the computed database: ``alpha``."""
        return self.alpha

    @property
    def scaling_strength_interval(self):
        """Bootstrap interval ``(low, high)`` of the scaling strength."""
        check_is_fitted(self, "alpha_interval_")
        return self.alpha_interval_

    @property
    def transfer_gap(self):
        """Error that no amount of computed data removes: ``C``."""
        return self.C

    @property
    def transfer_gap_interval(self):
        """Bootstrap interval ``(low, high)`` of the transfer gap."""
        check_is_fitted(self, "C_interval_")
        return self.C_interval_

    # -- predictions and planning answers -------------------------------

    def _params(self):
        check_is_fitted(self, "alpha_")
        return self.alpha_, self.D_, self.C_

    def _bootstrap_columns(self, ndim):
        """Bootstrap (alpha, D, C), each shaped to broadcast against an
        input of ``ndim`` dimensions."""
        check_is_fitted(self, "bootstrap_params_")
        shape = (-1,) + (1,) * ndim
        return [self.bootstrap_params_[:, j].reshape(shape) for j in range(3)]

    def _interval(self, answer, values):
        """Percentile interval over the bootstrap of ``answer(alpha, D, C)``."""
        values = np.asarray(values, dtype=float)
        if self.bootstrap_params_.shape[0] == 0:
            nan = np.full(values.shape, np.nan)
            return nan, nan.copy()
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            refits = answer(values, *self._bootstrap_columns(values.ndim))
        return _percentile_interval(refits, _check_confidence(self.confidence))

    def predict(self, n):
        """Mean error expected with ``n`` computed samples.

        Parameters
        ----------
        n : float or array-like
            Numbers of computed samples, > 0.

        Returns
        -------
        mae : float or ndarray of the shape of ``n``
        """
        alpha, D, C = self._params()
        return _law(self._check_n(n), alpha, D, C)

    def predict_interval(self, n):
        """Bootstrap interval of the mean error (the fitted curve) at ``n``.

        This is the uncertainty of the law, not the spread of one trial.

        Returns
        -------
        low, high : ndarray of the shape of ``n``
        """
        return self._interval(lambda v, a, d, c: _law(v, a, d, c), self._check_n(n))

    @staticmethod
    def _required(target, alpha, D, C):
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            n = np.power(D / (target - C), 1 / alpha)
        return np.where(target > C, n, np.inf)

    def n_required(self, target_mae):
        """Computed samples needed to reach a target mean error.

        Inverts :meth:`predict`. Returns ``inf`` where the target is at or
        below the transfer gap ``C``: more simulations cannot reach it.
        Round up for a number of rows.

        Parameters
        ----------
        target_mae : float or array-like
            Target mean errors.

        Returns
        -------
        n : float or ndarray of the shape of ``target_mae``
        """
        alpha, D, C = self._params()
        target = _check_target_errors(target_mae, "target_mae")
        return self._required(target, alpha, D, C)[()]

    def n_required_interval(self, target_mae):
        """Bootstrap interval of :meth:`n_required` (bounds may be ``inf``)."""
        self._params()
        return self._interval(lambda v, a, d, c: self._required(v, a, d, c),
                              _check_target_errors(target_mae, "target_mae"))

    @staticmethod
    def _gain(n, alpha, D, C):
        return _law(n, alpha, D, C) - _law(10 * n, alpha, D, C)

    def gain_per_decade(self, n):
        """Error removed by ten times more computed data: ``MAE(n) - MAE(10 n)``."""
        return self._gain(self._check_n(n), *self._params())

    def gain_per_decade_interval(self, n):
        """Bootstrap interval of :meth:`gain_per_decade`."""
        return self._interval(self._gain, self._check_n(n))

    def crossover(self, baseline_mae):
        """Computed size from which transfer beats a baseline error.

        The baseline is usually direct learning (experimental data only).
        Returns ``inf`` when the baseline is at or below the transfer gap
        (transfer never beats it); a value below 1 means that any amount of
        computed data beats it.

        Parameters
        ----------
        baseline_mae : float or array-like
            Mean error of the baseline.

        Returns
        -------
        n : float or ndarray of the shape of ``baseline_mae``
        """
        self._params()
        return self.n_required(_check_target_errors(baseline_mae, "baseline_mae"))

    def crossover_interval(self, baseline_mae, *, baseline_scores=None):
        """Bootstrap interval of :meth:`crossover`.

        Parameters
        ----------
        baseline_mae : float or array-like
            Mean error of the baseline, held fixed across refits.
        baseline_scores : array-like of shape (n_trials,), default=None
            Per-trial errors of the baseline measured in the same trials as
            the fitted scores (``ScalingCurveResult.baseline_scores``). When
            given, every refit is paired with the baseline's mean over the
            same resampled trials, so the interval carries the baseline's
            uncertainty and the pairing of trials too; ``baseline_mae`` is
            then not used.

        Returns
        -------
        low, high : float or ndarray
        """
        self._params()
        if baseline_scores is None:
            return self.n_required_interval(_check_target_errors(baseline_mae, "baseline_mae"))
        baseline_scores = np.asarray(baseline_scores, dtype=float)
        n_trials = self.bootstrap_indices_.shape[1]
        if baseline_scores.shape != (n_trials,):
            raise ValueError(
                f"baseline_scores must hold one error per trial of the fitted scores "
                f"({n_trials}), got shape {baseline_scores.shape}."
            )
        if self.bootstrap_params_.shape[0] == 0:
            return np.nan, np.nan
        means = _resampled_means(baseline_scores, self.bootstrap_indices_)
        alpha, D, C = self.bootstrap_params_.T
        refits = self._required(means, alpha, D, C)
        refits = np.where(np.isnan(means) | np.isnan(alpha), np.nan, refits)
        low, high = _percentile_interval(refits, _check_confidence(self.confidence))
        return float(low), float(high)

    def equivalent_sample_size(self, n, baseline_law):
        """Experimental samples that direct learning needs to match transfer.

        Parameters
        ----------
        n : float or array-like
            Numbers of computed samples used by transfer.

        baseline_law : PowerLaw
            Law fitted to the error of direct learning (no computed data)
            against the number ``m`` of experimental training samples.

        Returns
        -------
        m : float or ndarray of the shape of ``n``
            ``baseline_law.n_required(self.predict(n))``; ``inf`` where
            direct learning can never reach the transfer error.
        """
        baseline_law = self._check_baseline_law(baseline_law)
        return baseline_law.n_required(self.predict(n))

    def equivalent_sample_size_interval(self, n, baseline_law):
        """Bootstrap interval of :meth:`equivalent_sample_size`.

        Refit ``i`` of this law is paired with refit ``i`` of the baseline
        law (independent experiments), over as many refits as both have.
        """
        baseline_law = self._check_baseline_law(baseline_law)
        n = self._check_n(n)
        size = min(self.bootstrap_params_.shape[0], baseline_law.bootstrap_params_.shape[0])
        if size == 0:
            nan = np.full(n.shape, np.nan)
            return nan, nan.copy()
        shape = (-1,) + (1,) * n.ndim
        mine = [c[:size] for c in self._bootstrap_columns(n.ndim)]
        theirs = [baseline_law.bootstrap_params_[:size, j].reshape(shape) for j in range(3)]
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            m = self._required(_law(n, *mine), *theirs)
        return _percentile_interval(m, _check_confidence(self.confidence))

    @staticmethod
    def _check_baseline_law(baseline_law):
        if not isinstance(baseline_law, PowerLaw):
            raise TypeError(
                "baseline_law must be a PowerLaw fitted on the error of direct learning "
                f"against the experimental size; got {type(baseline_law).__name__}."
            )
        check_is_fitted(baseline_law, "alpha_")
        return baseline_law

    @staticmethod
    def _check_n(n):
        n = np.asarray(n, dtype=float)
        bad = ~(n > 0)
        if bad.any():
            raise ValueError(
                f"n must be > 0 computed samples; got {float(n[bad].ravel()[0])!r}. "
                "Size 0 is direct learning, which the law does not describe."
            )
        return n

    # -- reporting ------------------------------------------------------------

    def equation(self, *, digits=3, latex=False, name="MAE"):
        """The fitted law as text, e.g. ``'MAE = 0.52 n^-0.41 + 0.18'``.

        Parameters
        ----------
        digits : int, default=3
            Significant digits of each parameter.

        latex : bool, default=False
            Whether to return matplotlib mathtext (for legends).

        name : str, default="MAE"
            Left-hand side.
        """
        alpha, D, C = self._params()
        fmt = lambda v: f"{v:.{digits}g}"  # noqa: E731
        gap_text = fmt(gap_for_display(C, D))
        gap = f" + {gap_text}" if self.fit_intercept else ""
        if latex:
            return f"{name} = ${fmt(D)}\\,n^{{-{fmt(alpha)}}}{gap}$"
        return f"{name} = {fmt(D)} n^-{fmt(alpha)}{gap}"

    def summary(self):
        """Parameters, intervals and model comparison as a JSON-ready dict.

        Returns
        -------
        summary : dict
            Keys ``equation``, ``alpha``, ``D``, ``C`` (each a dict with
            ``value`` and ``interval``), ``confidence``, ``aic``,
            ``aic_no_gap``, ``preferred_law``, ``sizes``, ``n_trials_used``,
            ``n_failed_trials``, ``n_bootstrap``, ``C_at_bound_share``.
        """
        self._params()
        def param(value, interval):
            return {"value": float(value), "interval": [float(interval[0]), float(interval[1])]}

        if self.fit_intercept:
            preferred = "with_gap" if self.aic_ < self.aic_no_gap_ else "no_gap"
        else:
            preferred = "no_gap"
        return {
            "equation": self.equation(),
            "alpha": param(self.alpha_, self.alpha_interval_),
            "D": param(self.D_, self.D_interval_),
            "C": param(self.C_, self.C_interval_),
            "confidence": float(self.confidence),
            "aic": float(self.aic_),
            "aic_no_gap": float(self.aic_no_gap_),
            "preferred_law": preferred,
            "sizes": [float(s) for s in self.sizes_],
            "n_trials_used": [int(k) for k in self.n_trials_used_],
            "n_failed_trials": int(self.n_failed_trials_),
            "n_bootstrap": int(self.bootstrap_params_.shape[0]),
            "C_at_bound_share": float(self.C_at_bound_share_),
        }


# ---------------------------------------------------------------------------
# L(n, m) = delta * (gamma + n**(-alpha)) * m**(-beta)
# ---------------------------------------------------------------------------


def _two_way_law(n, m, delta, gamma, alpha, beta):
    return delta * (gamma + np.power(n, -alpha)) * np.power(m, -beta)


def _solve_two_nonnegative(x1, x2, y, w):
    """Exact weighted least squares of ``y ~ a x1 + b x2`` with a, b >= 0.

    Broadcasts over leading axes; the last axis is the grid cells.
    """
    dot = lambda u, v: (w * u * v).sum(axis=-1)  # noqa: E731
    s11, s22, s12, s1y, s2y = dot(x1, x1), dot(x2, x2), dot(x1, x2), dot(x1, y), dot(x2, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        det = s11 * s22 - s12**2
        a_free = (s22 * s1y - s12 * s2y) / det
        b_free = (s11 * s2y - s12 * s1y) / det
        feasible = (a_free >= 0) & (b_free >= 0)
        candidates = [
            (np.where(feasible, a_free, np.nan), np.where(feasible, b_free, np.nan)),
            (np.maximum(s1y / s11, 0), np.zeros_like(s11)),
            (np.zeros_like(s11), np.maximum(s2y / s22, 0)),
        ]
    best = None
    for a, b in candidates:
        sse = (w * (y - a[..., None] * x1 - b[..., None] * x2) ** 2).sum(axis=-1)
        sse = np.where(np.isfinite(sse), sse, np.inf)
        if best is None:
            best = [a, b, sse]
        else:
            better = sse < best[2]
            best = [np.where(better, new, old) for new, old in zip((a, b, sse), best)]
    return best


class TwoWayPowerLaw(BaseEstimator):
    """Joint law of computed size n and experimental size m, with intervals.

    ``L(n, m) = delta * (gamma + n**(-alpha)) * m**(-beta)`` (Mikami et al.
    2021): ``alpha`` is the scaling strength in the computed data, ``beta``
    in the experimental data, and ``delta * gamma * m**(-beta)`` the floor
    that computed data cannot remove at experimental size ``m``.

    Fitted to the mean error of each (n, m) cell by bounded least squares
    (``delta, gamma >= 0``, ``alpha`` in ``[1e-4, 5]``, ``beta`` in
    ``[0, 5]``): a scan over (alpha, beta), where the law is linear in
    ``delta`` and ``delta * gamma``, then ``least_squares``. Intervals come
    from resampling trials with replacement (percentile bootstrap).

    Parameters
    ----------
    confidence : float, default=0.9
        Coverage of every interval, in (0, 1).

    n_bootstrap : int, default=1000
        Number of bootstrap refits. 0 skips them (intervals are NaN).

    random_state : int, RandomState instance or None, default=None
        Seed of the bootstrap resampling.

    Attributes
    ----------
    delta_, gamma_, alpha_, beta_ : float
        Fitted parameters.

    delta_interval_, gamma_interval_, alpha_interval_, beta_interval_ : tuple
        ``(low, high)`` percentile bootstrap intervals.

    source_sizes_, target_sizes_ : ndarray
        The grid axes.

    mean_ : ndarray of shape (n_sizes, n_target_sizes)
        Mean error per cell over the trials that did not fail.

    n_failed_trials_ : int
        Number of failed (NaN) trials, ignored by the fit.

    bootstrap_params_ : ndarray of shape (n_bootstrap, 4)
        Refitted ``(delta, gamma, alpha, beta)`` per resample.

    rss_ : float
        Residual sum of squares on the mean grid.

    Examples
    --------
    >>> import numpy as np
    >>> from sim2real_sklearn import TwoWayPowerLaw
    >>> n, m = np.geomspace(100, 10000, 5), np.geomspace(20, 500, 4)
    >>> grid = 2.0 * (0.1 + n[:, None] ** -0.5) * m[None, :] ** -0.3
    >>> law = TwoWayPowerLaw(n_bootstrap=0).fit(n, m, grid)
    >>> round(law.alpha_, 2), round(law.beta_, 2)
    (0.5, 0.3)
    """

    def __init__(self, confidence=0.9, n_bootstrap=1000, random_state=None):
        self.confidence = confidence
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    def fit(self, source_sizes, target_sizes, grid_scores):
        """Fit the joint law to a grid of errors.

        Parameters
        ----------
        source_sizes : array-like of shape (n_sizes,)
            Numbers of computed samples, > 0.

        target_sizes : array-like of shape (n_target_sizes,)
            Numbers of experimental training samples, > 0.

        grid_scores : array-like of shape (n_sizes, n_target_sizes[, n_trials])
            Error per cell (and trial); NaN marks a failed trial.

        Returns
        -------
        self : TwoWayPowerLaw
        """
        confidence = _check_confidence(self.confidence)
        n_bootstrap = _check_count(self.n_bootstrap, "n_bootstrap", 0)
        n = _check_sizes(source_sizes, "source_sizes")
        m = _check_sizes(target_sizes, "target_sizes")
        scores = _check_errors(
            grid_scores, "grid_scores", (n.size, m.size), ["n_sizes", "n_target_sizes"]
        )
        _warn_narrow_span(n, "source_sizes")
        _warn_narrow_span(m, "target_sizes", "the experimental exponent beta is poorly determined")
        mean = _nanmean(scores)
        if np.isfinite(mean).sum() < 5:
            raise ValueError(
                f"grid_scores has {np.isfinite(mean).sum()} cells with a successful trial; "
                "the four-parameter law needs at least 5."
            )
        self.source_sizes_, self.target_sizes_, self.mean_ = n, m, mean
        self.n_failed_trials_ = int(np.isnan(scores).sum())
        if self.n_failed_trials_:
            warnings.warn(
                f"{self.n_failed_trials_} of {scores.size} trials failed (NaN) and are left "
                f"out: the law is fitted on the {scores.size - self.n_failed_trials_} "
                "finished ones.",
                PowerLawWarning,
                stacklevel=2,
            )

        N, M = (a.ravel() for a in np.meshgrid(n, m, indexing="ij"))
        Y = mean.reshape(1, -1)
        W = np.isfinite(Y).astype(float)
        params, rss = self._fit_grids(N, M, np.nan_to_num(Y), W)
        self.delta_, self.gamma_, self.alpha_, self.beta_ = (float(p) for p in params[0])
        self.rss_ = float(rss[0])

        n_trials = scores.shape[-1]
        if n_trials < 2 or n_bootstrap == 0:
            if n_trials < 2 and n_bootstrap > 0:
                warnings.warn(
                    "grid_scores holds one value per cell: no trials to resample, "
                    "every interval is NaN.",
                    PowerLawWarning,
                    stacklevel=2,
                )
            self.bootstrap_params_ = np.empty((0, 4))
        else:
            rng = check_random_state(self.random_state)
            indices = rng.randint(0, n_trials, size=(n_bootstrap, n_trials))
            means = _resampled_means(scores, indices).reshape(n_bootstrap, -1)
            W = np.isfinite(means).astype(float)
            self.bootstrap_params_ = self._fit_grids(N, M, np.nan_to_num(means), W)[0]
        low, high = (
            _percentile_interval(self.bootstrap_params_, confidence)
            if n_bootstrap and n_trials > 1
            else (np.full(4, np.nan), np.full(4, np.nan))
        )
        (self.delta_interval_, self.gamma_interval_, self.alpha_interval_, self.beta_interval_) = (
            (float(low[j]), float(high[j])) for j in range(4)
        )
        return self

    @staticmethod
    def _fit_grids(N, M, Y, W, chunk=64):
        """Fit one law per row of ``Y`` (n_fits, n_cells): scan, then refine."""
        log_n, log_m = np.log(N), np.log(M)
        alphas = np.geomspace(*_ALPHA_BOUNDS, 24)
        betas = np.concatenate([[0.0], np.geomspace(1e-3, _BETA_BOUNDS[1], 23)])
        A, B = (g.ravel() for g in np.meshgrid(alphas, betas, indexing="ij"))
        x_m = np.exp(-B[:, None] * log_m)  # (n_grid, n_cells)
        x_nm = np.exp(-A[:, None] * log_n) * x_m
        params = np.full((Y.shape[0], 4), np.nan)
        rss = np.full(Y.shape[0], np.nan)
        for start in range(0, Y.shape[0], chunk):
            y, w = Y[start : start + chunk, None, :], W[start : start + chunk, None, :]
            a, b, sse = _solve_two_nonnegative(x_nm, x_m, y, w)
            best = np.argmin(sse, axis=1)
            for row, g in enumerate(best):
                i = start + row
                if W[i].sum() < 5:
                    continue  # a resample that drew only failed trials
                params[i], rss[i] = TwoWayPowerLaw._refine(
                    log_n, log_m, Y[i], W[i], a[row, g], b[row, g], A[g], B[g]
                )
        return params, rss

    @staticmethod
    def _refine(log_n, log_m, y, w, a, b, alpha, beta):
        # Linear coefficients a = delta, b = delta * gamma keep the bounds simple.
        keep = w > 0
        log_n, log_m, y = log_n[keep], log_m[keep], y[keep]

        def residuals(p):
            return (p[0] * np.exp(-p[2] * log_n) + p[1]) * np.exp(-p[3] * log_m) - y

        def jacobian(p):
            xn, xm = np.exp(-p[2] * log_n), np.exp(-p[3] * log_m)
            body = p[0] * xn + p[1]
            return np.stack([xn * xm, xm, -p[0] * log_n * xn * xm, -log_m * body * xm], axis=1)

        lower = np.array([0.0, 0.0, _ALPHA_BOUNDS[0], _BETA_BOUNDS[0]])
        upper = np.array([np.inf, np.inf, _ALPHA_BOUNDS[1], _BETA_BOUNDS[1]])
        x0 = np.clip([a, b, alpha, beta], lower + 1e-9, upper - 1e-9)
        fit = least_squares(residuals, x0, jac=jacobian, bounds=(lower, upper), method="trf")
        a, b, alpha, beta = fit.x
        gamma = b / a if a > 0 else np.inf
        return np.array([a, gamma, alpha, beta]), 2 * fit.cost

    def predict(self, n, m):
        """Mean error with ``n`` computed and ``m`` experimental samples.

        ``n`` and ``m`` broadcast against each other.
        """
        check_is_fitted(self, "alpha_")
        n, m = PowerLaw._check_n(n), self._check_m(m)
        return _two_way_law(n, m, self.delta_, self.gamma_, self.alpha_, self.beta_)

    def predict_interval(self, n, m):
        """Bootstrap interval ``(low, high)`` of :meth:`predict`."""
        check_is_fitted(self, "bootstrap_params_")
        n, m = np.broadcast_arrays(PowerLaw._check_n(n), self._check_m(m))
        if self.bootstrap_params_.shape[0] == 0:
            nan = np.full(n.shape, np.nan)
            return nan, nan.copy()
        shape = (-1,) + (1,) * n.ndim
        delta, gamma, alpha, beta = (self.bootstrap_params_[:, j].reshape(shape) for j in range(4))
        with np.errstate(invalid="ignore", over="ignore"):
            values = _two_way_law(n, m, delta, gamma, alpha, beta)
        return _percentile_interval(values, _check_confidence(self.confidence))

    @staticmethod
    def _check_m(m):
        m = np.asarray(m, dtype=float)
        if not np.all(m > 0):
            bad = float(m[~(m > 0)].ravel()[0])
            raise ValueError(f"m must be > 0 experimental samples; got {bad!r}.")
        return m

    def equation(self, *, digits=2, latex=False, name="MAE"):
        """The fitted law as text, e.g. ``'MAE = 2 (0.1 + n^-0.5) m^-0.3'``."""
        check_is_fitted(self, "alpha_")
        f = lambda v: f"{v:.{digits}g}"  # noqa: E731
        if latex:
            return (
                f"{name} = ${f(self.delta_)}\\,({f(self.gamma_)} + n^{{-{f(self.alpha_)}}})"
                f"\\,m^{{-{f(self.beta_)}}}$"
            )
        return (
            f"{name} = {f(self.delta_)} ({f(self.gamma_)} + n^-{f(self.alpha_)}) "
            f"m^-{f(self.beta_)}"
        )

    def summary(self):
        """Parameters and intervals as a JSON-ready dict."""
        check_is_fitted(self, "alpha_")
        out = {"equation": self.equation(), "confidence": float(self.confidence)}
        for name in ("delta", "gamma", "alpha", "beta"):
            low, high = getattr(self, f"{name}_interval_")
            out[name] = {"value": float(getattr(self, f"{name}_")), "interval": [low, high]}
        out["rss"] = self.rss_
        out["n_failed_trials"] = self.n_failed_trials_
        out["n_bootstrap"] = int(self.bootstrap_params_.shape[0])
        return out
