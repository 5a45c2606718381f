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

A fitted law also says what the trials allow it to say (:mod:`._diagnostics`):
whether the error falls with the size at all (``scaling_detected_``), whether
the means sit on the law given the trial spread (``lack_of_fit_p_value_``),
and which parameters are estimates rather than bounds of the box
(``parameter_status_``). Its answers (``n_required``, ``crossover``, ...)
are in :mod:`._law_answers`.
"""

import warnings

import numpy as np
from sklearn.base import BaseEstimator

from .._constraints import Count
from ..exceptions import PowerLawWarning
from ._diagnostics import (
    _alpha_on_bound,
    _diagnostic_messages,
    _lack_of_fit,
    _parameter_status,
    _scaling_test,
)
from ._law_answers import _LawAnswers
from ._law_fitting import _aic, _fit_mean_curve, _law, _profile_fit
from ._statistics import (
    _CONFIDENCE,
    _check_errors,
    _check_sizes,
    _check_something_to_fit,
    _draw_trials,
    _mean_over_trials,
    _percentile_interval,
    _resampled_means,
    _warn_failed_trials,
    _warn_narrow_span,
)

__all__ = ["PowerLaw"]

# How close to its bound D or C is on it, relative to the largest mean error.
_BOUND_REL_TOL = 1e-6
# Fewer trials give a percentile bootstrap too few distinct resamples: its
# intervals come out too narrow (3 trials: 10 resamples).
_MIN_TRIALS_FOR_INTERVALS = 10


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


class PowerLaw(_LawAnswers, BaseEstimator):
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

    score_name : str, default="MAE"
        Name of the error the law is fitted to, written in its equation
        (``"RMSE"`` for a study scored with ``neg_root_mean_squared_error``;
        :meth:`ScalingCurveResult.fit_power_law` sets it).

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

    alpha_at_bound_share_, D_at_bound_share_, C_at_bound_share_ : float
        Share of bootstrap refits where the parameter sits on a bound of its
        box (alpha at 1e-4, a flat law, or 5; D at 0; C at 0 or the smallest
        mean error): there it is censored, not estimated.

    parameter_status_ : dict
        ``{"alpha": status, "D": status, "C": status}``, each
        ``"estimated"``, ``"censored"`` (on a bound in more than 10% of
        refits: the interval ends there) or ``"not_identified"`` (on a bound
        in the fit or in half of the refits; when alpha is not identified,
        neither are D and C apart); C is ``"fixed"`` without intercept.

    scaling_detected_ : bool
        Whether the error falls with the size in the measured range:
        :func:`~sim2real_sklearn.scaling.detect_scaling` on the trials.
        Without it the law answers no planning question.

    scaling_p_value_ : float
        One-sided p-value of that test ("the error does not fall").

    error_rises_ : bool
        Whether the error rises with the size (negative transfer).

    scaling_test_ : Bunch
        The whole test: mean per-trial slope of log error on log size, its
        interval, the change per tenfold size, both p-values.

    residuals_ : ndarray of shape (n_sizes,)
        Mean error minus the law at each size (NaN where every trial failed).

    lack_of_fit_statistic_, lack_of_fit_p_value_ : float
        Whether the means sit on the law given the spread of the trials:
        Hotelling's F statistic of the residuals against the trial covariance
        (which carries the trial effects shared across sizes) and its
        p-value. NaN when there are no more sizes than free parameters, or
        too few complete trials.

    lack_of_fit_df_ : tuple of int
        Its degrees of freedom.

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
    >>> law.scaling_detected_, law.parameter_status_["C"]  # the error falls; C is estimated
    (True, 'estimated')
    """

    # The "?" of the HTML repr opens this class's page of the API reference.
    _doc_link_module = "sim2real_sklearn"
    _doc_link_template = ("https://sim2real-sklearn.github.io/sim2real-sklearn/api/generated/"
                          "{estimator_module}.{estimator_name}.html")

    _parameter_constraints = {
        "confidence": [_CONFIDENCE],
        "n_bootstrap": [Count(0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "random_state": ["random_state"],
        "n_starts": [Count(0, None, closed="left")],
        "score_name": [str],
    }

    def __init__(
        self,
        confidence=0.9,
        n_bootstrap=1000,
        fit_intercept=True,
        random_state=None,
        n_starts=8,
        score_name="MAE",
    ):
        self.confidence = confidence
        self.n_bootstrap = n_bootstrap
        self.fit_intercept = fit_intercept
        self.random_state = random_state
        self.n_starts = n_starts
        self.score_name = score_name

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
        detail = (f" ({n_trials_used.tolist()} per size at sizes {sizes.tolist()}; "
                  "see n_trials_used_)")
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
        self._diagnose(sizes, scores, used, fit_intercept)
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
            self.alpha_at_bound_share_ = self.D_at_bound_share_ = self.C_at_bound_share_ = np.nan
            return

        if n_trials < _MIN_TRIALS_FOR_INTERVALS:
            from math import comb

            warnings.warn(
                f"The intervals come from resampling only {n_trials} trials "
                f"({comb(2 * n_trials - 1, n_trials)} distinct resamples): they are too narrow "
                f"to trust. Run at least {_MIN_TRIALS_FOR_INTERVALS} trials per size.",
                PowerLawWarning,
                stacklevel=3,
            )
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
        valid = ~ill_posed
        scale = np.nanmax(means)
        share = lambda on_bound: float(on_bound[valid].mean()) if valid.any() else np.nan  # noqa: E731
        self.alpha_at_bound_share_ = share(_alpha_on_bound(alpha))
        self.D_at_bound_share_ = share(D <= _BOUND_REL_TOL * scale)
        tol = _BOUND_REL_TOL * scale
        self.C_at_bound_share_ = (
            share((C <= tol) | (C >= np.nan_to_num(c_upper) - tol)) if fit_intercept else np.nan
        )

    def _diagnose(self, sizes, scores, used, fit_intercept):
        """Scaling test, lack of fit and the status of each parameter; warn about each."""
        s, y, scores = sizes[used], self.mean_[used], scores[used]
        name = self.score_name
        self.scaling_test_ = _scaling_test(s, scores, self.confidence)
        self.scaling_detected_ = self.scaling_test_.detected
        self.scaling_p_value_ = self.scaling_test_.p_value
        self.error_rises_ = self.scaling_test_.error_rises
        self.residuals_ = self.mean_ - _law(sizes, self.alpha_, self.D_, self.C_)

        tol = _BOUND_REL_TOL * y.max()
        D_on = self.D_ <= tol
        alpha_on = bool(_alpha_on_bound(self.alpha_)) or D_on  # D = 0: no exponent to speak of
        C_on = fit_intercept and (self.C_ <= tol or self.C_ >= y.min() - tol)
        self._on_bound = {"alpha": alpha_on, "D": D_on, "C": bool(C_on)}
        alpha_status = _parameter_status(alpha_on, self.alpha_at_bound_share_)
        self.parameter_status_ = {
            "alpha": alpha_status,
            "D": _parameter_status(D_on, self.D_at_bound_share_, depends_on=alpha_status),
            "C": (_parameter_status(C_on, self.C_at_bound_share_, depends_on=alpha_status)
                  if fit_intercept else "fixed"),
        }
        x = np.power(s, -self.alpha_)
        columns = [(not alpha_on, -self.D_ * np.log(s) * x), (not D_on, x),
                   (fit_intercept and not C_on, np.ones_like(s))]
        jacobian = np.stack([c for free, c in columns if free] or [np.zeros_like(s)], axis=1)
        (self.lack_of_fit_statistic_, self.lack_of_fit_p_value_,
         self.lack_of_fit_df_) = _lack_of_fit(s, scores, self.residuals_[used], jacobian)

        for message in _diagnostic_messages(self, name, fit_intercept):
            warnings.warn(message, PowerLawWarning, stacklevel=3)

    # -- reporting ------------------------------------------------------------

    def equation(self, *, digits=3, latex=False, name=None):
        """The fitted law as text, e.g. ``'MAE = 0.52 n^-0.41 + 0.18'``.

        Parameters
        ----------
        digits : int, default=3
            Significant digits of each parameter.

        latex : bool, default=False
            Whether to return matplotlib mathtext (for legends).

        name : str, default=None
            Left-hand side; None writes ``score_name``.
        """
        alpha, D, C = self._params()
        name = self.score_name if name is None else name
        fmt = lambda v: f"{v:.{digits}g}"  # noqa: E731
        gap_text = fmt(gap_for_display(C, D))
        gap = f" + {gap_text}" if self.fit_intercept else ""
        if latex:
            return f"{name} = ${fmt(D)}\\,n^{{-{fmt(alpha)}}}{gap}$"
        return f"{name} = {fmt(D)} n^-{fmt(alpha)}{gap}"

    def summary(self):
        """Parameters, intervals, diagnostics and model comparison as a JSON-ready dict.

        Returns
        -------
        summary : dict
            Keys ``equation``, ``score_name``, ``alpha``, ``D``, ``C`` (each
            a dict with ``value``, ``interval``, ``status``, ``at_bound``
            and ``at_bound_share``), ``scaling_test`` (see
            :func:`~sim2real_sklearn.scaling.detect_scaling`),
            ``scaling_detected``, ``lack_of_fit`` (``statistic``,
            ``p_value``, ``df``), ``residuals``, ``confidence``, ``aic``,
            ``aic_no_gap``, ``preferred_law``, ``sizes``, ``n_trials_used``,
            ``n_failed_trials``, ``n_bootstrap``, ``C_at_bound_share``.
        """
        self._params()

        def param(name):
            low, high = getattr(self, f"{name}_interval_")
            return {"value": float(getattr(self, f"{name}_")),
                    "interval": [float(low), float(high)],
                    "status": self.parameter_status_[name],
                    "at_bound": bool(self._on_bound[name]),
                    "at_bound_share": float(getattr(self, f"{name}_at_bound_share_"))}

        if self.fit_intercept:
            preferred = "with_gap" if self.aic_ < self.aic_no_gap_ else "no_gap"
        else:
            preferred = "no_gap"
        test = dict(self.scaling_test_)
        return {
            "equation": self.equation(),
            "score_name": self.score_name,
            "alpha": param("alpha"),
            "D": param("D"),
            "C": param("C"),
            "scaling_detected": bool(self.scaling_detected_),
            "scaling_test": {k: list(v) if isinstance(v, tuple) else v for k, v in test.items()},
            "lack_of_fit": {"statistic": float(self.lack_of_fit_statistic_),
                            "p_value": float(self.lack_of_fit_p_value_),
                            "df": [int(d) for d in self.lack_of_fit_df_]},
            "residuals": [float(r) for r in self.residuals_],
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
