"""The joint law of computed size ``n`` and experimental size ``m``, with bootstrap intervals.

A two-way scaling study measures the error on a grid of computed sizes
``n`` and experimental training sizes ``m``. :class:`TwoWayPowerLaw` fits
(Mikami et al. 2021)::

    L(n, m) = delta * (gamma + n**(-alpha)) * m**(-beta)

``alpha`` is the scaling strength in the computed data, ``beta`` in the
experimental data. Intervals come from resampling the trials with
replacement and refitting, as for
:class:`~sim2real_sklearn.PowerLaw`; the fits are in :mod:`._law_fitting`.
"""

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from .._constraints import Count
from ..exceptions import PowerLawWarning
from ._allocation import _best_split, _check_budget
from ._law_fitting import _MIN_TWO_WAY_CELLS, _fit_two_way_grids
from ._statistics import (
    _CONFIDENCE,
    _check_errors,
    _check_m,
    _check_n,
    _check_sizes,
    _check_something_to_fit,
    _draw_trials,
    _mean_over_trials,
    _percentile_interval,
    _resampled_means,
    _warn_failed_trials,
    _warn_narrow_span,
)

__all__ = ["TwoWayPowerLaw"]


def _two_way_law(n, m, delta, gamma, alpha, beta):
    return delta * (gamma + np.power(n, -alpha)) * np.power(m, -beta)


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

    score_name : str, default="MAE"
        Name of the error the law is fitted to, written in its equation.

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

    # The "?" of the HTML repr opens this class's page of the API reference.
    _doc_link_module = "sim2real_sklearn"
    _doc_link_template = ("https://sim2real-sklearn.github.io/sim2real-sklearn/api/generated/"
                          "{estimator_module}.{estimator_name}.html")

    _parameter_constraints = {
        "confidence": [_CONFIDENCE],
        "n_bootstrap": [Count(0, None, closed="left")],
        "random_state": ["random_state"],
        "score_name": [str],
    }

    def __init__(self, confidence=0.9, n_bootstrap=1000, random_state=None, score_name="MAE"):
        self.confidence = confidence
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state
        self.score_name = score_name

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
        self._validate_params()
        n_bootstrap = self.n_bootstrap
        n = _check_sizes(source_sizes, "source_sizes")
        m = _check_sizes(target_sizes, "target_sizes")
        scores = _check_errors(
            grid_scores, "grid_scores", (n.size, m.size), ["n_sizes", "n_target_sizes"]
        )
        _check_something_to_fit(scores, "grid_scores")
        _warn_narrow_span(n, "source_sizes")
        _warn_narrow_span(m, "target_sizes", "the experimental exponent beta is poorly determined")
        mean = _mean_over_trials(scores)
        if np.isfinite(mean).sum() < _MIN_TWO_WAY_CELLS:
            raise ValueError(
                f"grid_scores has {np.isfinite(mean).sum()} cells with a successful trial; "
                f"the four-parameter law needs at least {_MIN_TWO_WAY_CELLS}."
            )
        self.source_sizes_, self.target_sizes_, self.mean_ = n, m, mean
        self.n_failed_trials_ = int(np.isnan(scores).sum())
        _warn_failed_trials(scores)

        N, M = (a.ravel() for a in np.meshgrid(n, m, indexing="ij"))
        Y = mean.reshape(1, -1)
        W = np.isfinite(Y).astype(float)
        params, rss = _fit_two_way_grids(N, M, np.nan_to_num(Y), W)
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
            indices = _draw_trials(n_trials, n_bootstrap, self.random_state)
            means = _resampled_means(scores, indices).reshape(n_bootstrap, -1)
            W = np.isfinite(means).astype(float)
            self.bootstrap_params_ = _fit_two_way_grids(N, M, np.nan_to_num(means), W)[0]
        low, high = (
            _percentile_interval(self.bootstrap_params_, self.confidence)
            if n_bootstrap and n_trials > 1
            else (np.full(4, np.nan), np.full(4, np.nan))
        )
        (self.delta_interval_, self.gamma_interval_, self.alpha_interval_, self.beta_interval_) = (
            (float(low[j]), float(high[j])) for j in range(4)
        )
        return self

    def predict(self, n, m):
        """Mean error with ``n`` computed and ``m`` experimental samples.

        ``n`` and ``m`` broadcast against each other.
        """
        check_is_fitted(self, "alpha_")
        n, m = _check_n(n), _check_m(m)
        return _two_way_law(n, m, self.delta_, self.gamma_, self.alpha_, self.beta_)

    def predict_interval(self, n, m):
        """Bootstrap interval ``(low, high)`` of :meth:`predict`."""
        check_is_fitted(self, "bootstrap_params_")
        n, m = np.broadcast_arrays(_check_n(n), _check_m(m))
        if self.bootstrap_params_.shape[0] == 0:
            nan = np.full(n.shape, np.nan)
            return nan, nan.copy()
        shape = (-1,) + (1,) * n.ndim
        delta, gamma, alpha, beta = (self.bootstrap_params_[:, j].reshape(shape) for j in range(4))
        with np.errstate(invalid="ignore", over="ignore"):
            values = _two_way_law(n, m, delta, gamma, alpha, beta)
        return _percentile_interval(values, self.confidence)

    def optimal_allocation(self, budget, cost_source, cost_target):
        """The numbers of simulations and experiments that a budget buys best.

        Minimises the predicted error ``L(n, m)`` over the pairs that cost
        ``cost_source * n + cost_target * m = budget`` (the law falls in both
        sizes, so the best pair spends it all), with ``n, m >= 1``. The same
        search on every bootstrap refit gives the intervals of the pair.

        Parameters
        ----------
        budget : float
            What there is to spend, in the unit of the costs (CPU hours,
            money, days).

        cost_source : float
            Cost of one simulation (one computed sample), > 0.

        cost_target : float
            Cost of one experiment (one experimental sample), > 0.

        Returns
        -------
        allocation : Bunch
            ``source_size`` (simulations ``n``) and ``target_size``
            (experiments ``m``), real numbers (round them down to stay within
            the budget); ``predicted_error`` ``L(n, m)``;
            ``source_size_interval`` and ``target_size_interval``, the
            percentile intervals of the best pair over the bootstrap refits;
            ``predicted_error_interval``, the bootstrap interval of the error
            at the chosen pair (what following this plan gives);
            ``source_extrapolation_factor`` and
            ``target_extrapolation_factor``, each size divided by the largest
            one measured (above 1: the law is extrapolated); and ``budget``,
            ``cost_source``, ``cost_target``.

        Examples
        --------
        >>> import numpy as np
        >>> from sim2real_sklearn import TwoWayPowerLaw
        >>> n, m = np.geomspace(100, 10000, 5), np.geomspace(20, 500, 4)
        >>> grid = 2.0 * (0.1 + n[:, None] ** -0.5) * m[None, :] ** -0.3
        >>> law = TwoWayPowerLaw(n_bootstrap=0).fit(n, m, grid)
        >>> plan = law.optimal_allocation(budget=20000, cost_source=1, cost_target=100)
        >>> round(plan.source_size), round(plan.target_size)
        (3781, 162)
        >>> bool(plan.predicted_error <= law.predict(10000, 100))  # better than 10000 + 100
        True
        """
        check_is_fitted(self, "alpha_")
        _check_budget(budget, cost_source, cost_target)
        point = np.array([[self.delta_, self.gamma_, self.alpha_, self.beta_]])
        n, m = (float(v[0]) for v in _best_split(budget, cost_source, cost_target, point))
        if self.bootstrap_params_.shape[0]:
            n_refit, m_refit = _best_split(budget, cost_source, cost_target,
                                           self.bootstrap_params_)
            n_interval = _percentile_interval(n_refit, self.confidence)
            m_interval = _percentile_interval(m_refit, self.confidence)
        else:
            n_interval = m_interval = (np.nan, np.nan)
        error_interval = self.predict_interval(n, m)
        pair = lambda interval: tuple(float(v) for v in interval)  # noqa: E731
        return Bunch(
            source_size=n,
            target_size=m,
            predicted_error=float(self.predict(n, m)),
            source_size_interval=pair(n_interval),
            target_size_interval=pair(m_interval),
            predicted_error_interval=pair(error_interval),
            source_extrapolation_factor=n / float(self.source_sizes_.max()),
            target_extrapolation_factor=m / float(self.target_sizes_.max()),
            budget=float(budget),
            cost_source=float(cost_source),
            cost_target=float(cost_target),
        )

    def equation(self, *, digits=2, latex=False, name=None):
        """The fitted law as text, e.g. ``'MAE = 2 (0.1 + n^-0.5) m^-0.3'``.

        ``name`` (the left-hand side) defaults to ``score_name``.
        """
        check_is_fitted(self, "alpha_")
        name = self.score_name if name is None else name
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
        out = {"equation": self.equation(), "score_name": self.score_name,
               "confidence": float(self.confidence)}
        for name in ("delta", "gamma", "alpha", "beta"):
            low, high = getattr(self, f"{name}_interval_")
            out[name] = {"value": float(getattr(self, f"{name}_")), "interval": [low, high]}
        out["rss"] = self.rss_
        out["n_failed_trials"] = self.n_failed_trials_
        out["n_bootstrap"] = int(self.bootstrap_params_.shape[0])
        return out
