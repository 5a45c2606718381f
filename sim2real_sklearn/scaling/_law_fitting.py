"""Least-squares fits of the two scaling laws, shared by the estimates and the bootstrap refits.

``MAE(n) = D * n**(-alpha) + C`` is linear in ``D`` and ``C`` once ``alpha``
is fixed, and ``L(n, m) = delta * (gamma + n**(-alpha)) * m**(-beta)`` is
linear in ``delta`` and ``delta * gamma`` once ``alpha`` and ``beta`` are.
So every fit solves the linear part exactly on its box (closed form,
vectorised over thousands of bootstrap resamples), searches the exponents
on a grid, and refines the best point with ``scipy.optimize.least_squares``.
The classes in :mod:`._power_law` and :mod:`._two_way_law` call these.
"""

import numpy as np
from scipy.optimize import least_squares

# alpha above 5 means the error drops by 1e5 per decade: a step, not a law.
_ALPHA_BOUNDS = (1e-4, 5.0)
_BETA_BOUNDS = (0.0, 5.0)
# The bootstrap refits scan this many alpha values before refining.
_N_ALPHA_SCAN = 48
_N_GOLDEN_STEPS = 40
# The four-parameter two-way law needs this many cells with a finished trial.
_MIN_TWO_WAY_CELLS = 5


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


def _fit_mean_curve(sizes, y, fit_intercept, n_starts):
    """Point estimate of ``(alpha, D, C, rss)`` on the mean curve ``y``.

    The profile search gives a start that the bounded nonlinear fit
    (:func:`_polish`) refines; the gap is bounded by the smallest mean error.
    """
    c_upper = np.array([y.min()])
    profile = _profile_fit(np.log(sizes), y[None], np.ones((1, y.size)), c_upper, fit_intercept)
    start = [v[0] for v in profile]
    if fit_intercept and c_upper[0] <= 0:
        # A zero error somewhere pins the gap at 0.
        fit_intercept = False
    return _polish(sizes, y, start, float(c_upper[0]), fit_intercept, n_starts)


def _aic(rss, n_points, n_params):
    # Gaussian residuals on the mean curve; floor the RSS of an exact fit.
    rss = max(rss, np.finfo(float).tiny)
    return float(n_points * np.log(rss / n_points) + 2 * n_params)


# ---------------------------------------------------------------------------
# L(n, m) = delta * (gamma + n**(-alpha)) * m**(-beta)
# ---------------------------------------------------------------------------


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


def _fit_two_way_grids(N, M, Y, W, chunk=64):
    """Fit one two-way law per row of ``Y`` (n_fits, n_cells): scan, then refine.

    Returns ``params`` (n_fits, 4) as ``(delta, gamma, alpha, beta)`` and the
    residual sums of squares (n_fits,); NaN for a row with too few cells.
    """
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
            if W[i].sum() < _MIN_TWO_WAY_CELLS:
                continue  # a resample that drew only failed trials
            params[i], rss[i] = _refine_two_way(
                log_n, log_m, Y[i], W[i], a[row, g], b[row, g], A[g], B[g]
            )
    return params, rss


def _refine_two_way(log_n, log_m, y, w, a, b, alpha, beta):
    """Bounded nonlinear least squares of one two-way law from a scanned start."""
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
