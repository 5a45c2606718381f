"""The scaling law of Sim2Real transfer, ``MAE(n) = D * n**(-alpha) + C``, with bootstrap intervals.

The error of a model pretrained on ``n`` computed (simulation) samples and
fine-tuned on experimental data falls as a power law with a floor. The
fitted ``alpha_`` is the *scaling strength* (how much the database is worth
per decade) and ``C_`` the *transfer gap* (the error that no amount of
simulation removes). :class:`PowerLaw` fits it to the per-trial errors of a
scaling curve and answers planning questions (how many computed samples
reach a target error, from which size transfer beats learning from
experiments alone, how many experiments the database is worth).

Uncertainty comes from resampling the *trials* (each trial is an independent
draw of the computed subset and of the experimental split) with replacement
and refitting: the covariance returned by ``curve_fit`` is unreliable for
power laws (infinite, or far too narrow near the bounds). The fits
themselves are in :mod:`._law_fitting`, the bootstrap and the input checks
in :mod:`._statistics`; :class:`~sim2real_sklearn.TwoWayPowerLaw` (computed
and experimental sizes together) is in :mod:`._two_way_law`.
"""

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._validation import Count
from ..exceptions import PowerLawWarning
from ._law_fitting import _aic, _fit_mean_curve, _law, _profile_fit
from ._statistics import (
    _CONFIDENCE,
    _check_errors,
    _check_n,
    _check_sizes,
    _check_something_to_fit,
    _check_target_errors,
    _draw_trials,
    _mean_over_trials,
    _percentile_interval,
    _resampled_means,
    _warn_failed_trials,
    _warn_narrow_span,
)

__all__ = ["PowerLaw"]

# Share of bootstrap refits with C on a bound above which the interval of C
# is censored rather than estimated.
_BOUND_WARNING_SHARE = 0.1


def gap_for_display(C, D):
    """The transfer gap as people should read it: 0 when it sits at its lower bound.

    The bounded fit leaves a rounding residue such as 1.4e-20 there; printed,
    it looks like a measured floor.

    Parameters
    ----------
    C, D : float
        The fitted transfer gap and scale (``law.C_``, ``law.D_``).

    Returns
    -------
    C : float
        0.0 when ``C`` is negligible next to ``D``, else ``C``.

    Examples
    --------
    >>> gap_for_display(1.4e-20, 0.8)
    0.0
    >>> gap_for_display(0.12, 0.8)
    0.12
    """
    return 0.0 if abs(C) < 1e-9 * max(abs(D), 1e-300) else C


class PowerLaw(BaseEstimator):
    """Scaling law ``MAE(n) = D * n**(-alpha) + C`` with bootstrap intervals.

    ``n`` is the number of computed (simulation) samples used for
    pretraining; ``MAE(n)`` the mean error on the experimental test data.
    The fitted ``alpha_`` is the *scaling strength* (how fast more
    simulations help), ``C_`` the *transfer gap* (the error that no amount
    of simulation removes) and ``D_`` the scale of the part that does fall.

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
    alpha_ : float
        Scaling strength: the exponent of the law, how fast the error falls
        as the computed database grows.

    D_ : float
        Scale of the part of the error that falls with ``n``.

    C_ : float
        Transfer gap: the floor of the law, the error that no amount of
        computed data removes. 0 when ``fit_intercept=False``.

    alpha_interval_, D_interval_, C_interval_ : tuple of float
        ``(low, high)`` percentile bootstrap intervals of the scaling
        strength, the scale and the transfer gap.

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

    bootstrap_indices_ : ndarray of shape (n_bootstrap, n_trials)
        The trials each resample drew, so that a baseline measured in the
        same trials can be resampled with the same draws
        (:meth:`crossover_interval`).

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
    >>> low, high = law.alpha_interval_  # the scaling strength's 90% interval
    >>> bool(low < 0.4 < high)
    True
    >>> round(float(law.n_required(0.2)))  # computed rows needed for MAE 0.2
    4664
    """

    _parameter_constraints = {
        "confidence": [_CONFIDENCE],
        "n_bootstrap": [Count(0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "random_state": ["random_state"],
        "n_starts": [Count(0, None, closed="left")],
    }

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
        self._validate_params()
        sizes = _check_sizes(sizes, "sizes")
        scores = _check_errors(scores, "scores", sizes.shape, ["n_sizes"])
        _check_something_to_fit(scores, "scores")
        fit_intercept = bool(self.fit_intercept)  # np.bool_ is a valid boolean too

        mean = _mean_over_trials(scores)
        used = np.isfinite(mean)
        if used.sum() < 2 + fit_intercept:
            raise ValueError(
                f"scores has {used.sum()} sizes with at least one successful trial; "
                f"the law needs at least {2 + fit_intercept}."
            )
        n_trials_used = np.isfinite(scores).sum(axis=1)
        detail = f" ({n_trials_used.tolist()} per size at sizes {sizes.tolist()}; see n_trials_used_)"
        if not used.all():
            detail += (f". Every trial failed at sizes {sizes[~used].tolist()}; "
                       "the law is fitted without them")
        _warn_failed_trials(scores, detail)
        _warn_narrow_span(sizes[used], "sizes")

        self.sizes_ = sizes
        self.mean_ = mean
        self.n_trials_used_ = n_trials_used
        self.n_failed_trials_ = int(np.isnan(scores).sum())

        y, s = mean[used], sizes[used]
        self.alpha_, self.D_, self.C_, self.rss_ = _fit_mean_curve(
            s, y, fit_intercept, self.n_starts
        )
        n_params = 2 + fit_intercept
        self.aic_ = _aic(self.rss_, y.size, n_params)
        if fit_intercept:
            alpha, D, _, no_gap_rss = _fit_mean_curve(s, y, False, self.n_starts)
            self.no_gap_params_ = (alpha, D)
            self.aic_no_gap_ = _aic(no_gap_rss, y.size, 2)
        else:
            self.no_gap_params_ = (self.alpha_, self.D_)
            self.aic_no_gap_ = self.aic_

        self._bootstrap(sizes, scores, fit_intercept)
        return self

    def _bootstrap(self, sizes, scores, fit_intercept):
        confidence, n_bootstrap = self.confidence, self.n_bootstrap
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

        indices = _draw_trials(n_trials, n_bootstrap, self.random_state)
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
        return _percentile_interval(refits, self.confidence)

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
        return _law(_check_n(n), alpha, D, C)

    def predict_interval(self, n):
        """Bootstrap interval of the mean error (the fitted curve) at ``n``.

        This is the uncertainty of the law, not the spread of one trial.

        Returns
        -------
        low, high : ndarray of the shape of ``n``
        """
        return self._interval(lambda v, a, d, c: _law(v, a, d, c), _check_n(n))

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
        return self._gain(_check_n(n), *self._params())

    def gain_per_decade_interval(self, n):
        """Bootstrap interval of :meth:`gain_per_decade`."""
        return self._interval(self._gain, _check_n(n))

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
        low, high = _percentile_interval(refits, self.confidence)
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
        n = _check_n(n)
        size = min(self.bootstrap_params_.shape[0], baseline_law.bootstrap_params_.shape[0])
        if size == 0:
            nan = np.full(n.shape, np.nan)
            return nan, nan.copy()
        shape = (-1,) + (1,) * n.ndim
        mine = [c[:size] for c in self._bootstrap_columns(n.ndim)]
        theirs = [baseline_law.bootstrap_params_[:size, j].reshape(shape) for j in range(3)]
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            m = self._required(_law(n, *mine), *theirs)
        return _percentile_interval(m, self.confidence)

    @staticmethod
    def _check_baseline_law(baseline_law):
        if not isinstance(baseline_law, PowerLaw):
            raise TypeError(
                "baseline_law must be a PowerLaw fitted on the error of direct learning "
                f"against the experimental size; got {type(baseline_law).__name__}."
            )
        check_is_fitted(baseline_law, "alpha_")
        return baseline_law

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
