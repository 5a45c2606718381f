"""How to spend a data budget between simulations and experiments, from the two-way law.

With ``L(n, m) = delta * (gamma + n**(-alpha)) * m**(-beta)`` fitted on a
grid of computed sizes ``n`` and experimental sizes ``m``, a budget ``B``
buys ``n`` simulations at ``cost_source`` each and ``m`` experiments at
``cost_target`` each. The law falls in both sizes, so the best pair spends
the whole budget: ``m = (B - cost_source * n) / cost_target``, and one
variable is left. :func:`_best_split` finds it for many parameter sets at
once (the point estimate and every bootstrap refit): a scan over ``log n``,
then golden-section refinement around the best scanned point.
:meth:`~sim2real_sklearn.TwoWayPowerLaw.optimal_allocation` is the public
entry (the seed paper's "guiding the design of data production protocols").
"""

from numbers import Real

import numpy as np

# Points of the scan over log n, and golden-section steps after it.
_N_SCAN = 512
_N_GOLDEN_STEPS = 60


def _check_budget(budget, cost_source, cost_target):
    """Finite positive costs, and a budget that buys one simulation and one experiment."""
    for name, value in (("budget", budget), ("cost_source", cost_source),
                        ("cost_target", cost_target)):
        if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value) \
                or value <= 0:
            raise ValueError(f"{name} must be a finite number > 0; got {value!r}.")
    if budget < cost_source + cost_target:
        raise ValueError(
            f"budget ({budget:g}) must buy at least one simulation and one experiment "
            f"(cost_source + cost_target = {cost_source + cost_target:g})."
        )


def _best_split(budget, cost_source, cost_target, params):
    """The pair ``(n, m)`` on the budget line that minimises the law, per parameter set.

    Parameters
    ----------
    budget, cost_source, cost_target : float
        Checked by :func:`_check_budget`.
    params : ndarray of shape (n_sets, 4)
        ``(delta, gamma, alpha, beta)`` per row; a row with NaN gives NaN.

    Returns
    -------
    n, m : ndarray of shape (n_sets,)
        Simulations and experiments, both >= 1, ``cost_source * n +
        cost_target * m == budget``.
    """
    params = np.atleast_2d(np.asarray(params, dtype=float))
    gamma, alpha, beta = (params[:, j : j + 1] for j in (1, 2, 3))
    n_max = (budget - cost_target) / cost_source  # at least one experiment

    def log_loss(log_n):
        # log L up to the constant log(delta): delta > 0 does not move the minimum.
        n = np.exp(log_n)
        m = np.maximum((budget - cost_source * n) / cost_target, 1.0)
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            return np.log(gamma + np.power(n, -alpha)) - beta * np.log(m)

    grid = np.linspace(0.0, np.log(n_max), _N_SCAN)
    loss = log_loss(np.broadcast_to(grid, (params.shape[0], _N_SCAN)))
    best = np.argmin(np.where(np.isfinite(loss), loss, np.inf), axis=1)
    lo = grid[np.maximum(best - 1, 0)]
    hi = grid[np.minimum(best + 1, _N_SCAN - 1)]
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(_N_GOLDEN_STEPS):
        left, right = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        values = log_loss(np.stack([left, right], axis=1))
        keep_left = values[:, 0] <= values[:, 1]
        hi = np.where(keep_left, right, hi)
        lo = np.where(keep_left, lo, left)
    n = np.exp((lo + hi) / 2)
    m = (budget - cost_source * n) / cost_target
    bad = ~np.isfinite(params).all(axis=1)
    return np.where(bad, np.nan, n), np.where(bad, np.nan, m)
