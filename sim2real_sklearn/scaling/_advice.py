"""Advice for the next scaling study: where to spend extra fits so that alpha is known best.

A study that ends with a wide interval for the scaling strength raises the
question the fitted law alone cannot answer: what to run next. More trials
at the same sizes narrow the means; larger sizes widen the lever arm of the
slope. :func:`advise_next_study` simulates
each candidate design from the fitted law and the noise the trials showed
(a trial effect shared by every size of a trial, since its split is the same
and its subsets nested, plus a per-fit effect, both relative, estimated from
the log errors), refits the law on every simulated study, and compares the
spread of the refitted alpha. The same simulations say whether the transfer
gap ``C`` could be told from its bound even with sizes up to the whole
source: if not, the source itself is too small to identify it.
"""

import numpy as np
from sklearn.utils import check_random_state

from ._diagnostics import _CENSORED_SHARE
from ._law_fitting import _law, _profile_fit
from ._planning import law_gives_answers
from ._statistics import _percentile_interval

__all__ = ["advise_next_study"]

# New sizes above the largest measured, at most this many per design. None
# below the smallest: small pretraining sets often leave the law, and the
# simulation would assume it holds there.
_MAX_NEW_SIZES = 3


def advise_next_study(result, law, *, n_fits=None, source_rows=None, n_simulations=400,
                      random_state=0):
    """Propose the source sizes and trials that narrow alpha's interval most.

    Candidate designs add ``n_fits`` fits to the study: more trials at the
    sizes measured (a trial also fits direct learning, one more fit), one to
    three new sizes above the largest (log-spaced up to what the source
    holds) in the existing trials, and each of these with more trials. Each is simulated
    ``n_simulations`` times from the fitted law with the noise the trials
    showed, the law refitted to every simulated study; the design whose
    refitted alpha spreads least wins. The simulations also tell whether the
    transfer gap ``C`` would leave its bound with sizes up to the whole
    source.

    Parameters
    ----------
    result : ScalingCurveResult
        The study (its per-trial scores at the source sizes above 0).
    law : PowerLaw
        Fitted on ``result``.
    n_fits : int, default=None
        Extra fits to spend; None means as many as the study made
        (``(n_sizes + 1) * n_trials``).
    source_rows : int, default=None
        Rows in the whole source. A trial can use at most this minus the
        rows it leaves out for leakage (``result.n_source_dropped``). None
        assumes the largest size measured is the whole source.
    n_simulations : int, default=400
        Simulated studies per design.
    random_state : int, RandomState instance or None, default=0
        Seed of the simulations.

    Returns
    -------
    advice : dict
        ``recommended``, ``more_trials_only`` and ``current`` designs and
        every one of the ``candidates``, each with ``new_sizes``,
        ``new_trials``, ``n_fits``, ``sizes``, ``n_trials``,
        ``alpha_interval_width`` (expected width of alpha's interval) and
        ``C_at_bound_share`` (share of simulated studies with C on a bound);
        ``gap_identifiable`` (False when even sizes up to the whole source
        leave C on its bound in more than 10% of simulated studies; None
        without a gap or without scaling) with ``gap_note``;
        ``max_source_size``, ``noise`` (relative trial and per-fit spread)
        ``scaling_detected`` and ``law_gives_answers``. Without detected
        scaling (or with alpha on its bound) nothing is simulated (a flat law
        is no model of the next study): the recommended design is the widest
        span the fits allow.

    Examples
    --------
    >>> import numpy as np
    >>> from sim2real_sklearn import ScalingCurveResult
    >>> from sim2real_sklearn.scaling import advise_next_study
    >>> rng = np.random.default_rng(0)
    >>> sizes = np.array([100, 200, 400, 800])
    >>> noise = np.exp(rng.normal(0, 0.1, (1, 10)) + rng.normal(0, 0.05, (5, 10)))
    >>> errors = np.r_[0.9, 2 * sizes ** -0.4 + 0.1][:, None] * noise
    >>> result = ScalingCurveResult(source_sizes=sizes, target_sizes=None,
    ...                             errors=errors[:, None, :], n_source_dropped=[0] * 10,
    ...                             n_target_train=[40] * 10, random_state=0)
    >>> law = result.fit_power_law(n_bootstrap=200)
    >>> advice = advise_next_study(result, law, n_fits=40, source_rows=20000)
    >>> max(advice["recommended"]["new_sizes"])  # the source holds 25x more than measured
    20000
    >>> bool(advice["recommended"]["alpha_interval_width"]
    ...      < advice["more_trials_only"]["alpha_interval_width"])
    True
    """
    positive = np.asarray(result.source_sizes) > 0
    scores = np.asarray(result.scores, dtype=float)[positive]
    used = np.isfinite(scores).any(axis=1)
    sizes, scores = np.asarray(result.source_sizes, dtype=float)[positive][used], scores[used]
    k, n_trials = scores.shape
    n_fits = (k + 1) * n_trials if n_fits is None else int(n_fits)
    dropped = np.asarray(getattr(result, "n_source_dropped", [0]), dtype=float)
    max_size = (sizes.max() if source_rows is None
                else float(source_rows) - (dropped.max() if dropped.size else 0.0))
    max_size = max(max_size, sizes.max())
    trial_cv, cell_cv = _relative_noise(scores)
    designs = _candidate_designs(sizes, n_trials, n_fits, max_size)
    advice = {
        "n_fits": n_fits,
        "max_source_size": float(max_size),
        "noise": {"trial_cv": trial_cv, "fit_cv": cell_cv},
        "scaling_detected": bool(law.scaling_detected_),
        "law_gives_answers": law_gives_answers(law),
        "simulated_studies": 0,
    }
    if not law_gives_answers(law):
        widest = max(designs, key=lambda d: (np.ptp(np.log(d["sizes"])), d["n_trials"]))
        advice.update(recommended=widest, more_trials_only=designs[0], current=None,
                      candidates=designs, gap_identifiable=None,
                      gap_note="no scaling detected: a flat law cannot simulate the next study")
        return advice

    # The same seed for every design (common random numbers): their differences
    # are then the designs', not the draws'.
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    simulate = lambda d: _simulate(d, law, trial_cv, cell_cv, n_simulations,  # noqa: E731
                                   np.random.RandomState(seed))
    low, high = law.alpha_interval_
    current = {"new_sizes": [], "new_trials": 0, "n_fits": 0, "sizes": sizes.tolist(),
               "n_trials": n_trials, "bootstrap_alpha_interval_width": float(high - low)}
    for design in [current] + designs:
        design.update(simulate(design))
    recommended = min(designs, key=lambda d: (d["alpha_interval_width"], d["n_fits"]))
    advice.update(recommended=recommended, more_trials_only=designs[0], current=current,
                  candidates=designs, simulated_studies=int(n_simulations))
    advice.update(_gap_verdict(law, designs, max_size))
    return advice


def _relative_noise(scores):
    """Relative spread of a trial's shared effect and of one fit, from the log errors."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(scores > 0, np.log(np.where(scores > 0, scores, 1.0)), np.nan)
    k, t = logs.shape
    if t < 2:
        return 0.0, 0.0
    centred = logs - np.nanmean(logs, axis=1, keepdims=True)
    trial = np.nanmean(centred, axis=0)
    fit = centred - trial
    dof = max((k - 1) * (t - 1), 1)
    fit_var = float(np.nansum(fit**2) / dof)
    trial_var = max(float(np.nanvar(trial, ddof=1)) - fit_var / k, 0.0)
    return float(np.sqrt(trial_var)), float(np.sqrt(fit_var))


def _candidate_designs(sizes, n_trials, n_fits, max_size):
    """Ways to spend ``n_fits``: more trials first, then larger sizes, alone or with trials."""
    k = sizes.size

    def design(new_sizes, budget_left):
        new_trials = max(budget_left // (k + len(new_sizes) + 1), 0)
        cost = len(new_sizes) * n_trials + new_trials * (k + len(new_sizes) + 1)
        all_sizes = np.sort(np.r_[sizes, new_sizes])
        return {"new_sizes": [int(s) for s in new_sizes], "new_trials": int(new_trials),
                "n_fits": int(cost), "sizes": all_sizes.tolist(),
                "n_trials": int(n_trials + new_trials)}

    designs = [design([], n_fits)]
    if max_size > 1.5 * sizes.max():
        for j in range(1, _MAX_NEW_SIZES + 1):
            if j * n_trials > n_fits:
                break
            new = np.unique(np.round(np.geomspace(sizes.max(), max_size, j + 1)[1:]))
            if new.size < j or np.any(new <= sizes.max()):
                break
            designs.append(design(new, 0))
            with_trials = design(new, n_fits - j * n_trials)
            if with_trials["new_trials"] > 0:
                designs.append(with_trials)
    return designs


def _simulate(design, law, trial_cv, fit_cv, n_simulations, rng):
    """Expected width of alpha's interval and share of C on a bound, for one design."""
    sizes = np.asarray(design["sizes"], dtype=float)
    t = design["n_trials"]
    truth = _law(sizes, law.alpha_, law.D_, law.C_)
    log_noise = (rng.normal(0.0, trial_cv, (n_simulations, 1, t))
                 + rng.normal(0.0, fit_cv, (n_simulations, sizes.size, t)))
    # Centred so that the simulated means follow the law, as the fitted means do.
    scores = truth[None, :, None] * np.exp(log_noise - (trial_cv**2 + fit_cv**2) / 2)
    means = scores.mean(axis=2)
    c_upper = means.min(axis=1)
    fit_intercept = bool(law.fit_intercept)
    alpha, _, C, _ = _profile_fit(np.log(sizes), means, np.ones_like(means), c_upper,
                                  fit_intercept)
    low, high = _percentile_interval(alpha, law.confidence)
    tol = 1e-6 * means.max()
    share = float(np.mean((C <= tol) | (C >= c_upper - tol))) if fit_intercept else np.nan
    return {"alpha_interval_width": float(high - low), "C_at_bound_share": share}


def _gap_verdict(law, designs, max_size):
    """Whether sizes up to the whole source would identify the transfer gap."""
    if not law.fit_intercept:
        return {"gap_identifiable": None, "gap_note": "the law has no gap"}
    reaching = [d for d in designs if max(d["sizes"]) >= max_size] or designs
    best = min(reaching, key=lambda d: d["C_at_bound_share"])
    identifiable = best["C_at_bound_share"] <= _CENSORED_SHARE
    note = (f"with sizes up to {max(best['sizes']):,.0f} source rows, C would sit on its "
            f"bound in {best['C_at_bound_share']:.0%} of simulated studies")
    return {"gap_identifiable": bool(identifiable), "gap_note": note}
