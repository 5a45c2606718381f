"""What the trials say about a fitted law: scaling, fit, and which parameters are estimated.

Three checks, each a question a user asks before taking a law to a meeting:

- :func:`detect_scaling`: does the error fall with the source size at all,
  in the measured range? Within a trial the source subsets are nested and the
  experimental split is the same for every size, so each trial gives one
  slope of log error against log size, and the slopes of independent trials
  are independent. A one-sided t-test on their mean (paired by trial, so a
  hard split that is hard at every size cancels) decides. A law fitted to a
  curve that does not fall has no planning answer to give.
- :func:`_lack_of_fit`: do the per-size means sit on the law, given the
  spread of the trials? Residuals projected off the law's tangent space,
  against the trial covariance of the same projection (Hotelling's T^2), so
  the sizes' shared trial effects are accounted for.
- :func:`_parameter_status`: a parameter on a bound of its box is not an
  estimate; its bootstrap interval has zero width there and means nothing.
"""

import numpy as np
from scipy import stats
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

from ._law_fitting import _ALPHA_BOUNDS
from ._statistics import _CONFIDENCE, _check_errors, _check_sizes

__all__ = ["detect_scaling"]

# How close to a bound alpha is on it, on a log scale (its lower bound is 1e-4).
_ALPHA_BOUND_LOG_TOL = 0.01
# A share of bootstrap refits on a bound above which an interval is censored
# on that side; from half of them on, the parameter is not identified at all.
_CENSORED_SHARE = 0.1
_NOT_IDENTIFIED_SHARE = 0.5


# ---------------------------------------------------------------------------
# Is there scaling?
# ---------------------------------------------------------------------------


def _trial_slopes(log_sizes, log_scores):
    """Least-squares slope of log error on log size, one per trial.

    ``log_scores`` has shape ``(..., n_sizes, n_trials)``, NaN for a failed
    trial; a trial with fewer than two finished sizes has no slope (NaN).
    Vectorised over the leading axes, so that many simulated studies are
    tested at once.
    """
    y = np.asarray(log_scores, dtype=float)
    w = np.isfinite(y)
    x = np.broadcast_to(np.asarray(log_sizes, dtype=float)[:, None], y.shape)
    y = np.where(w, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        count = w.sum(axis=-2)
        x_mean = (w * x).sum(axis=-2) / count
        y_mean = (w * y).sum(axis=-2) / count
        dx = np.where(w, x - x_mean[..., None, :], 0.0)
        sxx = (dx * dx).sum(axis=-2)
        slope = (dx * (y - y_mean[..., None, :])).sum(axis=-2) / sxx
    return np.where((count >= 2) & (sxx > 0), slope, np.nan)


def _slope_test(slopes, confidence):
    """One-sided t-tests on the mean of the per-trial slopes (last axis).

    Returns ``(mean, low, high, p_falls, p_rises, n_trials)``, each over the
    leading axes. ``p_falls`` tests "the error does not fall" (mean slope
    >= 0); the error falls at ``confidence`` when the whole interval
    ``(low, high)`` is below 0, a one-sided test at level
    ``(1 - confidence) / 2``.
    """
    slopes = np.asarray(slopes, dtype=float)
    k = np.isfinite(slopes).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(np.where(k[..., None] > 0, slopes, 0.0), axis=-1)
        mean = np.where(k > 0, mean, np.nan)
        centred = np.where(np.isfinite(slopes), slopes - mean[..., None], 0.0)
        sd = np.sqrt((centred**2).sum(axis=-1) / (k - 1))
        se = sd / np.sqrt(k)
        df = np.maximum(k - 1, 1)
        t = np.where(se > 0, mean / se, np.sign(mean) * np.inf)
        p_falls = np.where(mean == 0, 1.0, stats.t.cdf(t, df))
        p_rises = np.where(mean == 0, 1.0, stats.t.sf(t, df))
        half = stats.t.ppf(1 - (1 - confidence) / 2, df) * se
    few = k < 2
    nan = np.full(np.shape(mean), np.nan)
    mean = np.where(k >= 1, mean, nan)
    low, high = np.where(few, nan, mean - half), np.where(few, nan, mean + half)
    return mean, low, high, np.where(few, nan, p_falls), np.where(few, nan, p_rises), k


@validate_params(
    {"sizes": ["array-like"], "scores": ["array-like"], "confidence": [_CONFIDENCE]},
    prefer_skip_nested_validation=True,
)
def detect_scaling(sizes, scores, *, confidence=0.9):
    """Test whether the error falls as the source grows, in the measured range.

    Each trial of a scaling study gives one slope of ``log(error)`` against
    ``log(size)``: its source subsets are nested and its experimental split
    is the same at every size, so the trial's own difficulty cancels.
    Independent trials give independent slopes; a one-sided t-test on their
    mean decides. Scaling is detected when the whole ``confidence`` interval
    of the mean slope is below 0 (a test at level ``(1 - confidence) / 2``),
    and the error *rises* with the size (more source data hurts, negative
    transfer) when the whole interval is above 0. A curve that flattens into
    its transfer gap still falls in the measured range; a curve that does
    not fall has no planning answer to give.

    Parameters
    ----------
    sizes : array-like of shape (n_sizes,)
        Source sizes, > 0 (size 0, direct learning, is not on the curve).

    scores : array-like of shape (n_sizes, n_trials)
        Error per size and trial (the subsets of a trial nested, as
        :func:`~sim2real_sklearn.scaling_curve` draws them); NaN marks a
        failed trial, left out of that trial's slope.

    confidence : float, default=0.9
        Coverage of the interval of the mean slope.

    Returns
    -------
    test : Bunch
        ``detected`` (bool, the error falls), ``error_rises`` (bool),
        ``slope`` (mean over trials of d log(error) / d log(size)),
        ``slope_interval`` ``(low, high)``, ``p_value`` (one-sided, of "the
        error does not fall"), ``p_value_rising`` (of "the error does not
        rise"), ``change_per_decade`` (relative change of the error when the
        source grows tenfold, ``10**slope - 1``) and its
        ``change_per_decade_interval``, ``confidence``, ``n_trials`` (trials
        with a slope), ``sizes`` (smallest and largest size).
        Without two trials with a slope, nothing can be tested:
        ``detected`` and ``error_rises`` are False and the numbers NaN.

    See Also
    --------
    PowerLaw : Fits the law and runs this test (``scaling_detected_``).

    Examples
    --------
    >>> import numpy as np
    >>> from sim2real_sklearn.scaling import detect_scaling
    >>> rng = np.random.default_rng(0)
    >>> sizes = np.array([100, 300, 1000, 3000, 10000])
    >>> falling = (sizes ** -0.3)[:, None] * np.exp(rng.normal(0, 0.1, (5, 20)))
    >>> bool(detect_scaling(sizes, falling).detected)
    True
    >>> flat = 0.3 * np.exp(rng.normal(0, 0.1, (5, 20)))
    >>> test = detect_scaling(sizes, flat)
    >>> bool(test.detected), bool(test.error_rises)
    (False, False)
    """
    sizes = _check_sizes(sizes, "sizes")
    scores = _check_errors(scores, "scores", sizes.shape, ["n_sizes"])
    return _scaling_test(sizes, scores, confidence)


def _scaling_test(sizes, scores, confidence):
    """:func:`detect_scaling` on checked arrays (the laws call this)."""
    with np.errstate(divide="ignore"):
        # A zero error has no logarithm; it is left out like a failed trial.
        log_scores = np.where(scores > 0, np.log(np.where(scores > 0, scores, 1.0)), np.nan)
    slopes = _trial_slopes(np.log(sizes), log_scores)
    mean, low, high, p_falls, p_rises, k = _slope_test(slopes, confidence)
    measured = sizes[np.isfinite(scores).any(axis=1)]
    change = lambda s: float(10.0**s - 1)  # noqa: E731
    return Bunch(
        detected=bool(high < 0),
        error_rises=bool(low > 0),
        slope=float(mean),
        slope_interval=(float(low), float(high)),
        p_value=float(p_falls),
        p_value_rising=float(p_rises),
        change_per_decade=change(mean),
        change_per_decade_interval=(change(low), change(high)),
        confidence=float(confidence),
        n_trials=int(k),
        sizes=(float(measured.min()), float(measured.max())),
    )


# ---------------------------------------------------------------------------
# Does the law fit the means?
# ---------------------------------------------------------------------------


def _lack_of_fit(sizes, scores, residuals, jacobian):
    """Hotelling's test of the residuals of the means against the trial spread.

    Parameters
    ----------
    sizes : ndarray of shape (n_sizes,)
        Sizes with at least one finished trial.
    scores : ndarray of shape (n_sizes, n_trials)
        Their errors.
    residuals : ndarray of shape (n_sizes,)
        Mean error minus the law.
    jacobian : ndarray of shape (n_sizes, n_free)
        Derivatives of the law in its free parameters (not on a bound).

    Returns
    -------
    statistic, p_value : float
        The F statistic and its p-value; NaN when the test has no degree of
        freedom (as many sizes as free parameters, or too few complete trials).
    df : tuple of int
        ``(q, t - q)``: sizes beyond the free parameters, complete trials
        beyond ``q``.

    Notes
    -----
    The least-squares residuals lie, to first order, in the complement of
    the law's tangent space: projected on an orthonormal basis ``Q`` of it,
    they are the mean of the projected trials minus its expectation. The
    trials of one study share their split across sizes, so their errors are
    correlated; the covariance of the projected trials, estimated from the
    complete trials, carries that. Then ``T^2 = t zbar' S^-1 zbar`` and
    ``(t - q) / (q (t - 1)) T^2`` follows ``F(q, t - q)`` if the law holds.
    """
    nan = (np.nan, np.nan, (0, 0))
    u, singular, _ = np.linalg.svd(np.atleast_2d(jacobian), full_matrices=True)
    rank = int((singular > 1e-10 * max(singular.max(initial=0.0), 1e-300)).sum())
    q = sizes.size - rank
    complete = np.isfinite(scores).all(axis=0)
    t = int(complete.sum())
    if q < 1 or t <= q:
        return nan[0], nan[1], (max(q, 0), max(t - q, 0))
    basis = u[:, rank:]  # (n_sizes, q)
    z = basis.T @ scores[:, complete]  # (q, t)
    z_bar = basis.T @ residuals
    cov = np.atleast_2d(np.cov(z))
    scale = np.abs(scores[:, complete]).max()  # the size of an error, not of a residual
    if np.linalg.matrix_rank(cov, tol=1e-12 * max(scale, 1e-300) ** 2) < q:
        # Trials that do not vary: the means are exact, any residual is a misfit.
        misfit = np.abs(z_bar).max() > 1e-6 * max(scale, 1e-300)
        return (np.inf, 0.0, (q, t - q)) if misfit else (0.0, 1.0, (q, t - q))
    t2 = t * float(z_bar @ np.linalg.solve(cov, z_bar))
    f = (t - q) / (q * (t - 1)) * t2
    return float(f), float(stats.f.sf(f, q, t - q)), (q, t - q)


# ---------------------------------------------------------------------------
# Which parameters are estimates?
# ---------------------------------------------------------------------------


def _parameter_status(at_bound, share, *, depends_on=None):
    """``'estimated'``, ``'censored'`` or ``'not_identified'``: the one rule.

    Parameters
    ----------
    at_bound : bool
        Whether the point estimate sits on a bound of its box.
    share : float
        Share of bootstrap refits on a bound (NaN without refits).
    depends_on : str, optional
        Status of a parameter this one needs (for the law's scale and gap:
        alpha's): a flat law estimates only its level, not ``D`` and ``C``
        apart.
    """
    if at_bound or depends_on == "not_identified":
        return "not_identified"
    if np.isfinite(share) and share >= _NOT_IDENTIFIED_SHARE:
        return "not_identified"
    if np.isfinite(share) and share > _CENSORED_SHARE:
        return "censored"
    return "estimated"


# ---------------------------------------------------------------------------
# The diagnostics of a fitted PowerLaw, in words
# ---------------------------------------------------------------------------


def _alpha_on_bound(alpha):
    """Whether alpha sits on a bound of its box (a flat law at 1e-4, a step at 5)."""
    alpha = np.asarray(alpha, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.min([np.abs(np.log(alpha / b)) for b in _ALPHA_BOUNDS], axis=0)
    return distance < _ALPHA_BOUND_LOG_TOL


def _diagnostic_messages(law, name, fit_intercept):
    """The fitted law's diagnostics as plain sentences, one per problem."""
    test, level = law.scaling_test_, f"{law.confidence:.0%}"
    low, high = test.sizes
    if test.n_trials < 2:
        yield ("scores holds one trial per size: whether the error falls with the size "
               "cannot be tested, so scaling_detected_ is False. Pass the per-trial errors.")
    elif test.error_rises:
        yield (f"The {name} rises with the size between {low:g} and {high:g} "
               f"({_per_decade(test)}): more source data makes the model worse here "
               "(negative transfer); the law answers no planning question.")
    elif not test.detected:
        yield (f"No scaling detected between sizes {low:g} and {high:g}: the {name} "
               f"changes by {_per_decade(test)}, which the trials do not tell from no change; "
               "the law answers no planning question.")
    status = law.parameter_status_
    if status["alpha"] == "not_identified":
        flat = law.alpha_ < 1 or law.D_ <= 0
        where = ("in the fit" if _alpha_on_bound(law.alpha_) or law.D_ <= 0 else
                 f"in {law.alpha_at_bound_share_:.0%} of bootstrap refits")
        yield (f"The scaling strength alpha sits on its bound "
               f"({'a flat law' if flat else 'a step'}) {where}: alpha is not identified, "
               "and neither are D and C apart, only their sum.")
    if fit_intercept and status["C"] in ("censored", "not_identified"):
        share = law.C_at_bound_share_
        where = f"in {share:.0%} of bootstrap refits" if np.isfinite(share) else "in the fit"
        what = ("C is not identified: the trials cannot tell this floor from none"
                if status["C"] == "not_identified" else f"its {level} interval is censored there")
        yield (f"The transfer gap C sits on a bound (0 or the smallest mean error) {where}: "
               f"{what}. Larger sizes, where the curve flattens, would pin it down.")
    p = law.lack_of_fit_p_value_
    if np.isfinite(p) and p < 1 - law.confidence:
        q, rest = law.lack_of_fit_df_
        yield (f"The law does not fit the mean {name} at each size (lack of fit: p = {p:.2g}, "
               f"F = {law.lack_of_fit_statistic_:.3g} on {q} and {rest} degrees of freedom): "
               "the residuals exceed the spread of the trials, so its extrapolations are "
               "doubtful; see residuals_.")


def _per_decade(test):
    """'-12% per tenfold size (90% CI -20% to -4%, p = 0.003, 20 trials)'."""
    low, high = test.change_per_decade_interval
    return (f"{test.change_per_decade:+.0%} per tenfold size ({test.confidence:.0%} CI "
            f"{low:+.0%} to {high:+.0%}, {test.n_trials} trials)")
