"""Planning answers from a fitted law, each knowing how far beyond the measured sizes it reaches.

A fitted law is what a user takes to a meeting ("we need N more
simulations"), so every answer it gives here carries:

- whether it is given at all: not without detected scaling (the trials do not
  show the error falling), never for a target below the transfer gap;
- its ``extrapolation_factor``: the answer divided by the largest size
  measured. Beyond ``extrapolation_limit`` (default 10) the number is not
  given, only how far the law would put it;
- its bootstrap interval.

:func:`_reach` is the one rule that decides whether a size may be given, and
:func:`describe_size` the one way such an answer is written for people.
Where the break-even size with direct learning lies inside the measured
sizes, it is read from the measured means, not from the law.
"""

import numpy as np

from ._statistics import _percentile_interval, _resampled_means

__all__ = ["planning_answers"]

_DEFAULT_EXTRAPOLATION_LIMIT = 10.0
# An extrapolation factor above this is written as "more than 1000x": the law
# has no say that far out, and a 16-digit factor would read as one.
_MAX_FACTOR_WRITTEN = 1000
# Fractions of the way from the current error to the transfer gap asked about.
_TARGET_FRACTIONS = (0.25, 0.5, 0.9)


# ---------------------------------------------------------------------------
# The rule: may a size be given, and how far does it reach?
# ---------------------------------------------------------------------------


def _reach(value, smallest, largest, limit):
    """``(reach, extrapolation_factor)`` of an answer that is a size.

    ``reach`` is ``"not_given"`` (no number: NaN or None), ``"never"``
    (infinite: below the transfer gap), ``"below"`` (under the smallest size
    measured), ``"inside"`` the measured sizes, ``"extrapolation"`` (beyond
    the largest, up to ``limit`` times it) or ``"beyond_limit"``.
    """
    if value is None or np.isnan(value):
        return "not_given", None
    if np.isinf(value):
        return "never", None
    factor = float(value) / float(largest)
    if value < smallest:
        return "below", factor
    if value <= largest:
        return "inside", factor
    return ("extrapolation" if factor <= limit else "beyond_limit"), factor


def law_gives_answers(law):
    """Whether a fitted law may answer planning questions at all: the one gate.

    The trials must show the error falling (``scaling_detected_``), and the
    exponent must be identified: a law whose alpha sits on its bound (flat,
    or a step) has no answer either.
    """
    return bool(law.scaling_detected_) and law.parameter_status_["alpha"] != "not_identified"


def _given(reach):
    return reach in ("below", "inside", "extrapolation")


def _size_answer(key, value, interval, sizes, limit, **extra):
    """A planning answer that is a size, as JSON: the number only where the rule allows it."""
    sizes = np.asarray(sizes, dtype=float)
    value = None if value is None else float(value)
    reach, factor = _reach(value, sizes.min(), sizes.max(), limit)
    return {
        key: value if _given(reach) else (float("inf") if reach == "never" else None),
        "interval": [None, None] if interval is None else [float(v) for v in interval],
        "extrapolation_factor": factor,
        "reach": reach,
        "law_value": value if reach in ("extrapolation", "beyond_limit") else None,
        **extra,
    }


def _not_given(key, **extra):
    return {key: None, "interval": [None, None], "extrapolation_factor": None,
            "reach": "not_given", "law_value": None, **extra}


# ---------------------------------------------------------------------------
# The break-even size, from the measured means where they cross
# ---------------------------------------------------------------------------


def _measured_crossing(sizes, means, baseline, *, worse=False):
    """Size from which the mean transfer error stays below (``worse``: above) the baseline.

    Read from the measured means, interpolated in log-log between the two
    sizes where they cross for the last time. Vectorised over leading axes
    (bootstrap resamples): ``means`` (..., n_sizes), ``baseline`` (...).
    Returns 0 where the means are on that side at every size measured, inf
    where they are not at the largest, NaN where a mean is missing.
    """
    means = np.asarray(means, dtype=float)
    baseline = np.asarray(baseline, dtype=float)[..., None]
    side = means > baseline if worse else means < baseline
    k = means.shape[-1]
    # Last size not on that side: the crossing lies just after it.
    index = np.arange(k)
    last_off = np.max(np.where(~side, index, -1), axis=-1)
    j = np.clip(last_off, 0, k - 2)
    log_s, log_m = np.log(sizes), np.log(np.maximum(means, 1e-300))
    lm_j = np.take_along_axis(log_m, j[..., None], axis=-1)[..., 0]
    lm_k = np.take_along_axis(log_m, (j + 1)[..., None], axis=-1)[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip((lm_j - np.log(baseline[..., 0])) / (lm_j - lm_k), 0.0, 1.0)
    crossing = np.exp(log_s[j] + t * (log_s[j + 1] - log_s[j]))
    crossing = np.where(last_off == -1, 0.0, crossing)
    crossing = np.where(last_off == k - 1, np.inf, crossing)
    return np.where(np.isnan(means).any(axis=-1) | np.isnan(baseline[..., 0]), np.nan, crossing)


def _crossing_answer(result, law, sizes, means, baseline, limit):
    """Break-even with direct learning: measured where the means cross, else the law's."""
    scores = np.asarray(result.scores, dtype=float)[np.asarray(result.source_sizes) > 0]
    paired = np.asarray(result.baseline_scores, dtype=float)
    paired = paired if paired.shape == (law.bootstrap_indices_.shape[1],) else None
    measured = float(_measured_crossing(sizes, means, baseline))
    if np.isfinite(measured):  # the means cross inside, or beat it everywhere
        interval = None
        if paired is not None and law.bootstrap_indices_.shape[0]:
            indices = law.bootstrap_indices_
            refits = _measured_crossing(sizes, _resampled_means(scores, indices),
                                        _resampled_means(paired, indices))
            interval = _percentile_interval(refits, law.confidence)
        everywhere = measured == 0
        return _size_answer("source_size", sizes.min() if everywhere else measured, interval,
                            sizes, limit, method="measured", beats_at_every_size=everywhere,
                            interval_pairs_trials=paired is not None)
    value = float(law.crossover(baseline))
    if value <= sizes.max():
        # The law crosses inside, the means do not: the measurement wins.
        return _not_given("source_size", method="measured", beats_at_every_size=False,
                          interval_pairs_trials=paired is not None)
    interval = law.crossover_interval(baseline, baseline_scores=paired)
    return _size_answer("source_size", value, interval, sizes, limit, method="law",
                        beats_at_every_size=False, interval_pairs_trials=paired is not None)


# ---------------------------------------------------------------------------
# The answers
# ---------------------------------------------------------------------------


def planning_answers(result, law, *, extrapolation_limit=_DEFAULT_EXTRAPOLATION_LIMIT,
                     source_rows=None):
    """What the fitted law says about the next simulations to run, and how far it reaches.

    No planning number is given unless the trials show the error falling
    with the source size (``law.scaling_detected_``) and the law's exponent
    is identified (``planning_given``); when they show it rising,
    ``transfer_hurts`` says from where. Every answer that is a size
    carries its ``extrapolation_factor`` (the answer divided by the largest
    size measured; None when no number is given) and its ``reach``; beyond
    ``extrapolation_limit`` times the largest size the number itself is
    None and ``law_value`` keeps what the law would say.

    Parameters
    ----------
    result : ScalingCurveResult
    law : PowerLaw
        Fitted on ``result``.
    extrapolation_limit : float, default=10
        How many times the largest size measured an answer may reach and
        still be given.
    source_rows : int, default=None
        Rows in the whole source, recorded for the report.

    Returns
    -------
    answers : dict
        ``scaling_detected``; ``planning_given``; ``baseline_mae`` (mean and interval of direct
        learning); ``transfer_mae_at_largest`` (mean at the largest source
        size); ``transfer_beats_baseline_from`` (source size where transfer
        starts beating direct learning: read from the measured means when
        they cross, ``method="measured"``, else from the law);
        ``gain_of_next_decade`` (error now minus error with 10x the largest
        size); ``n_required`` (source size for a few target errors between
        the current error and the transfer gap; inf when below the gap);
        with a two-way grid (``target_sizes``)
        ``equivalent_experimental_samples``; with rising errors
        ``transfer_hurts``. Sizes are answered as dicts with the size (or
        None), ``interval``, ``extrapolation_factor``, ``reach`` (see
        :func:`_reach`) and ``law_value``.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from sim2real_sklearn import PowerLaw
    >>> sizes = np.array([100, 300, 1000, 3000])
    >>> scores = (2 * sizes[:, None] ** -0.5 + 0.05) * np.ones((1, 5))
    >>> scores = scores + np.random.default_rng(0).normal(0, 1e-3, scores.shape)
    >>> result = SimpleNamespace(source_sizes=sizes, scores=scores,
    ...                          baseline_scores=np.full(5, 0.3))
    >>> answers = planning_answers(result, PowerLaw(random_state=0).fit(sizes, scores))
    >>> round(answers["baseline_mae"]["mean"], 2)
    0.3
    >>> answers["transfer_beats_baseline_from"]["beats_at_every_size"]
    True
    >>> row = answers["n_required"][0]  # a quarter of the way to the gap
    >>> row["reach"], round(float(row["extrapolation_factor"]), 1)
    ('extrapolation', 1.8)
    """
    limit = float(extrapolation_limit)
    sizes_all = np.asarray(result.source_sizes)
    positive = sizes_all > 0
    sizes = sizes_all[positive].astype(float)
    scores = np.asarray(result.scores, dtype=float)[positive]
    with np.errstate(invalid="ignore"):
        means = np.array([np.nanmean(row) if np.isfinite(row).any() else np.nan for row in scores])
    measured = np.isfinite(means)
    largest = float(sizes[measured].max())
    current = float(law.predict(largest))
    gap = float(law.C_)  # the transfer gap: no amount of simulation goes below it
    detected = law_gives_answers(law)
    answers = {
        "scaling_detected": bool(law.scaling_detected_),
        "planning_given": detected,
        "confidence": float(law.confidence),
        "extrapolation_limit": limit,
        "source_rows": None if source_rows is None else int(source_rows),
        "transfer_mae_at_largest": {
            "source_size": largest,
            "mean": float(means[measured][-1]),
            "law": current,
            "n_trials": int(np.isfinite(scores[measured][-1]).sum()),
            "extrapolation_factor": 1.0,  # measured
        },
    }
    targets = [current - f * (current - gap) for f in _TARGET_FRACTIONS] + [gap * 0.9]
    reach, factor = _reach(10 * largest, sizes.min(), largest, limit)
    if detected and _given(reach):
        answers["gain_of_next_decade"] = {
            "from_size": largest,
            "value": float(law.gain_per_decade(largest)),
            "interval": [float(v) for v in law.gain_per_decade_interval(largest)],
            "extrapolation_factor": factor,
            "reach": reach,
        }
    else:
        answers["gain_of_next_decade"] = {
            "from_size": largest, "value": None, "interval": [None, None],
            "extrapolation_factor": factor if detected else None,
            "reach": reach if detected else "not_given",
        }
    if detected:
        answers["n_required"] = [
            _size_answer("source_size", law.n_required(t), law.n_required_interval(t),
                         sizes[measured], limit, target_mae=float(t))
            for t in targets
        ]
    else:
        answers["n_required"] = [_not_given("source_size", target_mae=float(t)) for t in targets]

    target_sizes = getattr(result, "target_sizes", None)
    if target_sizes is not None and len(target_sizes) >= 3:
        answers["equivalent_experimental_samples"] = _equivalent_samples(
            result, law, largest, np.asarray(target_sizes, dtype=float), detected, limit)

    baseline = np.asarray(result.baseline_scores, dtype=float)
    baseline = baseline[np.isfinite(baseline)]
    if baseline.size:
        mean = float(baseline.mean())
        answers["baseline_mae"] = {
            "mean": mean,
            "interval": [float(v) for v in np.percentile(baseline, [5, 95])],
            "n_trials": int(baseline.size),
            "extrapolation_factor": 0.0,  # measured, without source
        }
        answers["transfer_beats_baseline_from"] = (
            _crossing_answer(result, law, sizes[measured], means[measured], mean, limit)
            if detected else _not_given("source_size", method=None, beats_at_every_size=None))
    if law.error_rises_:
        answers["transfer_hurts"] = _transfer_hurts(sizes[measured], means[measured],
                                                    baseline.mean() if baseline.size else None)
    return answers


def _equivalent_samples(result, law, largest, target_sizes, detected, limit):
    """Experiments direct learning needs to match transfer at the largest source size."""
    baseline_law = result.fit_baseline_law(confidence=law.confidence)
    extra = {"source_size": largest, "experimental_samples_used": int(target_sizes.max()),
             "experimental_sizes_measured": [float(target_sizes.min()),
                                             float(target_sizes.max())],
             "baseline_law": baseline_law.equation(name=f"{law.score_name}(m)"),
             "baseline_scaling_detected": bool(baseline_law.scaling_detected_)}
    if not (detected and baseline_law.scaling_detected_):
        return _not_given("value", **extra)
    return _size_answer("value", law.equivalent_sample_size(largest, baseline_law),
                        law.equivalent_sample_size_interval(largest, baseline_law),
                        target_sizes, limit, **extra)


def _transfer_hurts(sizes, means, baseline):
    """Where a rising curve is lowest, and from which size it is worse than direct learning."""
    worse = None if baseline is None else float(_measured_crossing(sizes, means, baseline,
                                                                   worse=True))
    worse = worse if worse is None or np.isfinite(worse) else None
    return {
        "lowest_error_at": float(sizes[np.argmin(means)]),
        "worse_than_baseline_from": worse,
        "worse_at_every_size": worse == 0.0,
        # Both are read from the measured means.
        "extrapolation_factor": None if worse is None else worse / float(sizes.max()),
    }


# ---------------------------------------------------------------------------
# Writing a size answer for people
# ---------------------------------------------------------------------------


def describe_size(answer, key, *, smallest, largest, limit, confidence=0.9, unit="rows",
                  beyond_text="never"):
    """The one way a size answer is printed: the number only where the rule gives it.

    Parameters
    ----------
    answer : dict
        A size answer of :func:`planning_answers`.
    key : str
        Its key holding the size (``"source_size"``, ``"value"``).
    smallest, largest : float
        The sizes measured.
    limit : float
        The extrapolation limit.
    confidence : float, default=0.9
        Coverage of the interval.
    unit : str, default="rows"
        What the size counts.
    beyond_text : str, default="never"
        How an infinite end of the interval reads (for a target error: some
        refits never reach it).

    Returns
    -------
    text : str

    Examples
    --------
    >>> answer = {"source_size": 5059.0, "interval": [3020.0, 9100.0],
    ...           "extrapolation_factor": 6.3, "reach": "extrapolation", "law_value": 5059.0}
    >>> describe_size(answer, "source_size", smallest=50, largest=800, limit=10)
    '5,059 rows (90% CI 3,020 to more than 8,000), an extrapolation to 6.3x the largest
    size measured'
    >>> answer = {"source_size": None, "interval": [3.1e4, 2e5],
    ...           "extrapolation_factor": 85.1, "reach": "beyond_limit", "law_value": 68080.0}
    >>> describe_size(answer, "source_size", smallest=50, largest=800, limit=10)
    'not given: the law puts it at 85x the largest size measured (800), beyond the 10x
    limit of extrapolation'
    """
    reach, factor = answer["reach"], answer["extrapolation_factor"]
    if reach == "not_given":
        return "not given"
    if reach == "never":
        return "never (below the transfer gap)"
    if reach == "beyond_limit":
        return (f"not given: the law puts it at {factor_text(factor)} the largest size "
                f"measured ({largest:,.0f}), beyond the {limit:g}x limit of extrapolation")
    text = f"{answer[key]:,.0f} {unit}"
    interval = _interval_text(answer["interval"], smallest, largest * limit, confidence,
                              beyond_text)
    if interval:
        text += f" ({interval})"
    if reach == "extrapolation":
        text += f", an extrapolation to {factor_text(factor)} the largest size measured"
    elif reach == "below":
        text += f", below the smallest size measured ({smallest:,.0f})"
    return text


def factor_text(factor):
    """How far an answer reaches, in words: ``'85x'``; past 1000x the number means nothing.

    Examples
    --------
    >>> factor_text(6.3), factor_text(85.1), factor_text(2.2e12)
    ('6.3x', '85x', 'more than 1000x')
    """
    if factor > _MAX_FACTOR_WRITTEN:
        return f"more than {_MAX_FACTOR_WRITTEN:g}x"
    return f"{factor:.2g}x" if factor < 10 else f"{factor:.0f}x"


def _interval_text(interval, floor, ceiling, confidence, beyond_text):
    """``'90% CI 3,020 to 9,100'``: ends past ``ceiling`` or under ``floor`` are not numbers.

    An interval of zero width (or without numbers) is not written at all.
    """
    low, high = (np.nan if v is None else float(v) for v in interval)
    if np.isnan(low) or np.isnan(high) or low == high:
        return ""

    def end(value):
        if np.isinf(value):
            return beyond_text
        if value > ceiling:
            return f"more than {ceiling:,.0f}"
        if value <= floor:
            return f"{floor:,.0f} or fewer"
        return f"{value:,.0f}"

    if low > ceiling:
        return f"{confidence:.0%} CI above {ceiling:,.0f}"
    low_text, high_text = end(low), end(high)
    if low_text == high_text:  # e.g. both "more than 8,000": no interval to speak of
        return ""
    return f"{confidence:.0%} CI {low_text} to {high_text}"
