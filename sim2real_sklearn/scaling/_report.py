"""A scaling study's report: plot, every trial's score, law, planning answers and advice.

:func:`write_report` turns a :class:`~sim2real_sklearn.ScalingCurveResult`
into the files a materials scientist keeps and shares:

- ``scaling_curve.png``: the curve, its 90% band, the fitted law with its
  residuals, and the baseline;
- ``scores.csv``: one row per (source size, trial), the tidy table of all scores;
- ``report.json``: the law with its diagnostics and intervals, the planning
  answers (each with how far it extrapolates), advice for the next study and
  every warning;

and returns the same as a dict, with a text summary that says everything the
JSON warns about. The rules of what may be printed live in
:mod:`._planning`; the advice in :mod:`._advice`.
"""

import json
import os
import warnings
from numbers import Real
from pathlib import Path

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from .._constraints import Count
from ..exceptions import PowerLawWarning
from ._advice import advise_next_study
from ._allocation import _check_budget
from ._planning import (
    _DEFAULT_EXTRAPOLATION_LIMIT,
    _reach,
    describe_size,
    factor_text,
    planning_answers,
)
from ._power_law import gap_for_display

__all__ = ["planning_answers", "write_report"]


@validate_params(
    {
        "result": "no_validation",
        "out_dir": [str, os.PathLike],
        "title": [None, str],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "extra": [None, dict],
        "extrapolation_limit": [Interval(Real, 1, None, closed="left")],
        "advice_fits": [None, Count(1, None, closed="left")],
        "source_rows": [None, Count(1, None, closed="left")],
        "budget": [None, Interval(Real, 0, None, closed="neither")],
        "cost_source": [Interval(Real, 0, None, closed="neither")],
        "cost_target": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def write_report(result, out_dir, *, title=None, confidence=0.9, extra=None,
                 extrapolation_limit=_DEFAULT_EXTRAPOLATION_LIMIT, advice_fits=None,
                 source_rows=None, budget=None, cost_source=1.0, cost_target=1.0):
    """Write the plot, the scores table and the JSON report of a scaling study.

    Parameters
    ----------
    result : ScalingCurveResult
    out_dir : str or Path
        Created if missing.
    title : str, optional
        Plot title.
    confidence : float, default=0.9
        Level of the bootstrap intervals and of the tests.
    extra : dict, optional
        More facts to record in the JSON (data files, featurizer, dropped rows).
    extrapolation_limit : float, default=10
        How many times the largest source size measured a planning answer
        may reach and still be given as a number.
    advice_fits : int, optional
        Extra fits the advice for the next study may spend; default as many
        as this study made.
    source_rows : int, optional
        Rows in the whole source: the advice proposes sizes up to it (less
        the rows a trial leaves out for leakage) and says when it is too
        small to identify the transfer gap. Default: the largest size
        measured is the whole source.
    budget : float, optional
        With a two-way study (``target_sizes``), also split this budget
        between simulations and experiments
        (:meth:`TwoWayPowerLaw.optimal_allocation`).
    cost_source, cost_target : float, default=1.0
        Cost of one simulation and of one experiment, for ``budget``.

    Returns
    -------
    report : dict
        What ``report.json`` holds: ``scaling_detected`` (bool), ``power_law``,
        ``planning``, ``advice``, ``allocation`` (with ``budget``),
        ``warnings`` (list of str), ``files``, ``study`` (``extra``), and
        ``summary``, the text printed by the command line, which repeats
        every warning.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from sim2real_sklearn import ScalingCurveResult
    >>> rng = np.random.default_rng(0)
    >>> sizes = np.array([100, 300, 1000, 3000, 10000])
    >>> noise = np.exp(rng.normal(0, 0.1, (1, 12)) + rng.normal(0, 0.05, (6, 12)))
    >>> errors = np.r_[0.6, 2 * sizes ** -0.4 + 0.05][:, None] * noise
    >>> result = ScalingCurveResult(source_sizes=sizes, target_sizes=None,
    ...                             errors=errors[:, None, :], n_source_dropped=[0] * 12,
    ...                             n_target_train=[40] * 12, random_state=0)
    >>> report = write_report(result, tempfile.mkdtemp(), source_rows=50000)
    >>> report["scaling_detected"]
    True
    >>> print(report["summary"].splitlines()[0])
    scaling detected: the MAE falls by 48% per tenfold source size
    (90% CI 47% to 49%, p = 5.2e-16, 12 trials)
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from ._display import ScalingCurveDisplay

    if budget is not None:
        _check_budget(budget, cost_source, cost_target)
        if getattr(result, "target_sizes", None) is None:
            raise ValueError("budget needs a two-way study: run scaling_curve with "
                             "target_sizes=[...] to split it between simulations and experiments.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result.to_frame().to_csv(out / "scores.csv", index=False)
    result.save(out / "scaling_curve_result")

    # Every diagnostic of the laws (PowerLawWarning) belongs in the report and
    # its summary; anything else is passed on as usual.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        display = ScalingCurveDisplay.from_result(result, confidence=confidence,
                                                  show_residuals=True)
        law = display.power_law
        planning = planning_answers(result, law, extrapolation_limit=extrapolation_limit,
                                    source_rows=source_rows)
        advice = advise_next_study(result, law, n_fits=advice_fits, source_rows=source_rows,
                                   random_state=result.random_state)
        allocation = None
        if budget is not None:
            two_way = result.fit_two_way_law(confidence=confidence)
            allocation = _allocation_answer(two_way, budget, cost_source, cost_target,
                                            extrapolation_limit)
    law_warnings = list(dict.fromkeys(
        str(w.message) for w in caught if issubclass(w.category, PowerLawWarning)))
    for w in caught:
        if not issubclass(w.category, PowerLawWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if title:
        display.ax_.set_title(title)
    display.figure_.savefig(out / "scaling_curve.png", dpi=150, bbox_inches="tight")
    plt.close(display.figure_)

    report = {
        "scaling_detected": bool(law.scaling_detected_),
        "power_law": law.summary(),
        "planning": planning,
        "advice": advice,
        "warnings": law_warnings,
        "files": {"plot": "scaling_curve.png", "scores": "scores.csv",
                  "result": "scaling_curve_result.npz"},
    }
    if allocation is not None:
        report["allocation"] = allocation
    strategies = strategy_choices(result)
    if strategies is not None:
        report["strategies"] = strategies
    if extra:
        report["study"] = extra
    report["summary"] = summarize(report)
    (out / "report.json").write_text(json.dumps(_strict_json(report), indent=2, allow_nan=False))
    return report


def strategy_choices(result):
    """How each trial's model used the source (what ``strategy="auto"`` chose), and how often.

    Returns None when the models do not say (no ``strategy_``).

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> result = SimpleNamespace(source_sizes=np.array([100, 1000]), strategies=np.array(
    ...     [["finetune", "none", "none"], ["finetune", "finetune", "freeze"]], dtype=object))
    >>> strategy_choices(result)["at_largest_size"]["counts"]
    {'finetune': 2, 'freeze': 1}
    """
    strategies = getattr(result, "strategies", None)
    if strategies is None:
        return None
    by_size = {}
    for size, row in zip(np.asarray(result.source_sizes).tolist(), strategies):
        names = [str(name) for name in row]
        counts = {name: names.count(name) for name in sorted(set(names)) if name}
        by_size[str(size)] = {"per_trial": names, "counts": counts}
    largest = str(int(np.max(result.source_sizes)))
    return {"by_source_size": by_size, "at_largest_size": {"source_size": int(largest),
                                                          **by_size[largest]}}


def _allocation_answer(two_way, budget, cost_source, cost_target, limit):
    """The two-way law's best split of a budget, each size with how far it reaches."""
    plan = two_way.optimal_allocation(budget, cost_source, cost_target)
    answer = {"equation": two_way.equation(), **plan}
    for which, measured in (("source", two_way.source_sizes_), ("target", two_way.target_sizes_)):
        reach, factor = _reach(plan[f"{which}_size"], measured.min(), measured.max(), limit)
        answer[f"{which}_reach"] = reach
        answer[f"{which}_extrapolation_factor"] = factor
    return answer


# ---------------------------------------------------------------------------
# The summary a person reads first
# ---------------------------------------------------------------------------


def summarize(report):
    """The text a person reads first: the verdict on scaling, the numbers it allows, warnings."""
    law, plan = report["power_law"], report["planning"]
    name, level = law["score_name"], f"{law['confidence']:.0%}"
    sizes = [s for s, k in zip(law["sizes"], law["n_trials_used"]) if k > 0]

    def size_text(answer, key="source_size", unit="rows", measured=sizes, **kw):
        return describe_size(answer, key, smallest=min(measured), largest=max(measured),
                             limit=plan["extrapolation_limit"], confidence=law["confidence"],
                             unit=unit, **kw)

    trials = sorted(set(law["n_trials_used"]))
    trial_text = f"{trials[0]}" if len(trials) == 1 else f"{trials[0]} to {trials[-1]}"
    failed = f", {law['n_failed_trials']} failed" if law["n_failed_trials"] else ""
    descriptive = "" if report["scaling_detected"] else " (describes no scaling: not for planning)"
    lines = [
        _scaling_verdict(law, plan, name, level),
        f"fitted law{descriptive}: {law['equation']}   [{len(sizes)} sizes from "
        f"{min(sizes):,.0f} to {max(sizes):,.0f} source rows, {trial_text} trials each{failed}]",
    ]
    for key, label in (("alpha", "scaling strength alpha"), ("C", "transfer gap C")):
        if law[key]["status"] != "fixed":
            lines.append("  " + _describe_parameter(label, law[key], law["D"]["value"], level))
    lines.append("  " + _describe_lack_of_fit(law["lack_of_fit"], law["confidence"]))

    top = plan["transfer_mae_at_largest"]
    lines.append(f"mean {name} with {top['source_size']:,.0f} source rows: {top['mean']:.4g} "
                 f"({top['n_trials']} trials)")
    if "strategies" in report:
        chosen = report["strategies"]["at_largest_size"]
        counts = sorted(chosen["counts"].items(), key=lambda item: -item[1])
        lines.append(f"  strategy used at {chosen['source_size']:,} source rows: " + ", ".join(
            f"{name} in {count} of {len(chosen['per_trial'])} trials" for name, count in counts))
    if "baseline_mae" in plan:
        lines.append(f"direct learning (no source) {name}: {plan['baseline_mae']['mean']:.4g}")
        cross = plan["transfer_beats_baseline_from"]
        if cross["reach"] != "not_given" or cross["method"] is not None:
            lines.append(_describe_crossing(cross, size_text, sizes))
    if "equivalent_experimental_samples" in plan:
        eq = plan["equivalent_experimental_samples"]
        measured = eq["experimental_sizes_measured"]
        lines.append(f"with {eq['source_size']:,.0f} source rows and "
                     f"{eq['experimental_samples_used']} experiments, transfer matches direct "
                     f"learning on {size_text(eq, 'value', 'experiments', measured)}")
    if plan["planning_given"]:
        lines.extend(_describe_gains(plan, name, level, size_text))
    elif report["scaling_detected"]:
        lines.append("no planning numbers: the scaling strength alpha is not identified")
    if "allocation" in report:
        lines.extend(_describe_allocation(report["allocation"], name, level,
                                          plan["extrapolation_limit"]))
    lines.extend(_describe_advice(report["advice"], level))
    if report["warnings"]:
        lines.append(f"warnings ({len(report['warnings'])}):")
        lines.extend(f"  - {w}" for w in report["warnings"])
    return "\n".join(lines)


def _describe_gains(plan, name, level, size_text):
    """What ten times more source rows buy, and the rows a target error needs."""
    gain = plan["gain_of_next_decade"]
    if gain["value"] is None:
        lines = [f"10x more source rows: not given, beyond the {plan['extrapolation_limit']:g}x "
                 "limit of extrapolation"]
    else:
        low, high = gain["interval"]
        interval = f" ({level} CI {low:.3g} to {high:.3g})" if _distinct(low, high) else ""
        lines = [f"10x more source rows would lower the {name} by about {gain['value']:.3g}"
                 f"{interval}, an extrapolation to 10x the largest size measured"]
    for row in plan["n_required"][:2]:
        lines.append(f"source rows needed for {name} {row['target_mae']:.4g}: {size_text(row)}")
    rows = plan.get("source_rows")
    needed = [r["source_size"] for r in plan["n_required"][:2]
              if r["source_size"] is not None and np.isfinite(r["source_size"])]
    if rows and needed and max(needed) > rows:
        lines.append(f"  (the source holds {rows:,} rows: reaching these needs new simulations)")
    return lines


def _scaling_verdict(law, plan, name, level):
    """First line: does the error fall with the source size, with the test's numbers?"""
    test = law["scaling_test"]
    low, high = test["sizes"]
    if test["n_trials"] < 2:
        return (f"scaling not tested: one trial per size between {low:,.0f} and {high:,.0f} "
                "source rows; no planning numbers")
    lo, hi = test["change_per_decade_interval"]
    change = test["change_per_decade"]
    trials = f"{test['n_trials']} trials"

    def numbers(low, high, sign, p):
        pair = _percent_pair(low, high, sign)
        head = f"({level} CI {pair}, " if pair else "("
        return head + f"p = {p:.2g}, {trials})"

    if test["detected"]:
        return (f"scaling detected: the {name} falls by {-change:.0%} per tenfold source size "
                + numbers(-hi, -lo, "", test["p_value"]))
    if test["error_rises"]:
        hurts = plan.get("transfer_hurts", {})
        where = f"; the lowest mean {name} is at {hurts['lowest_error_at']:,.0f} source rows" \
            if hurts else ""
        if hurts.get("worse_at_every_size"):
            where += ", and transfer is worse than direct learning at every size measured"
        elif hurts.get("worse_than_baseline_from") is not None:
            where += (", and transfer is worse than direct learning from about "
                      f"{hurts['worse_than_baseline_from']:,.0f} source rows (measured)")
        return (f"transfer hurts: the {name} rises by {change:.0%} per tenfold source size "
                f"between {low:,.0f} and {high:,.0f} "
                + numbers(lo, hi, "", test["p_value_rising"]) + f"{where}; no planning numbers")
    return (f"no scaling detected between {low:,.0f} and {high:,.0f} source rows: the {name} "
            f"changes by {change:+.0%} per tenfold source size "
            + numbers(lo, hi, "+", test["p_value"]) + "; no planning numbers")


def _percent_pair(low, high, sign):
    """``'12% to 18%'`` with as many decimals as it takes to tell the ends apart, else None."""
    for digits in (0, 1, 2):
        a, b = f"{low:{sign}.{digits}%}", f"{high:{sign}.{digits}%}"
        if a != b:
            return f"{a} to {b}"
    return None


def _distinct(low, high, digits=3):
    """Whether an interval has two ends that print differently (never one of zero width)."""
    if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
        return False
    return f"{low:.{digits}g}" != f"{high:.{digits}g}"


def _describe_parameter(label, param, D, level):
    """A parameter as an estimate, a censored estimate, or 'at its bound, not identified'."""
    value = gap_for_display(param["value"], D)
    low, high = (None if v is None else gap_for_display(v, D) for v in param["interval"])
    status, share = param["status"], param["at_bound_share"]
    if status == "not_identified":
        if param["at_bound"]:
            text = f"{label}: at its bound ({value:.3g}), not identified"
        elif share is not None and np.isfinite(share) and share >= 0.5:
            text = f"{label}: on its bound in {share:.0%} of refits, not identified"
        else:
            text = f"{label}: not identified (alpha is not)"
        if label.endswith(" C") and value == 0 and high is not None and np.isfinite(high) \
                and high > 0:
            text += f"; the trials allow values up to {high:.3g}"
        return text
    digits = next((d for d in (3, 4, 5, 6) if _distinct(low, high, d)), None)
    if digits is None:
        return f"{label} = {value:.3g} (no spread between trials)"
    text = f"{label} = {value:.3g} ({level} CI {low:.{digits}g} to {high:.{digits}g}"
    if status == "censored":
        text += f"; censored: on its bound in {share:.0%} of refits"
    return text + ")"


def _describe_lack_of_fit(fit, confidence):
    p = fit["p_value"]
    if p is None or not np.isfinite(p):
        why = ("as many sizes as free parameters" if fit["df"][0] == 0
               else "too few trials finished at every size")
        return f"lack of fit: not checked ({why})"
    verdict = ("the law fits the means within the spread of the trials" if p >= 1 - confidence
               else "the law does NOT fit the means within the spread of the trials")
    return f"lack of fit: p = {p:.2g} ({verdict})"


def _describe_crossing(cross, size_text, sizes):
    if cross.get("beats_at_every_size"):
        return (f"transfer beats direct learning at every size measured (from {min(sizes):,.0f} "
                "source rows or fewer)")
    if cross["reach"] == "not_given":
        return "transfer does not beat direct learning at the largest size measured"
    measured = cross["method"] == "measured"
    beyond = f"more than {max(sizes):,.0f}" if measured else "never"
    return (f"transfer beats direct learning from about "
            f"{size_text(cross, unit='source rows', beyond_text=beyond)}"
            + (", read from the measured means" if measured else ""))


def _describe_allocation(plan, name, level, limit):
    head = (f"best split of a budget of {plan['budget']:,.6g} ({plan['cost_source']:g} per "
            f"simulation, {plan['cost_target']:g} per experiment), from {plan['equation']}:")
    parts = []
    for which, unit in (("source", "simulations"), ("target", "experiments")):
        reach = plan[f"{which}_reach"]
        factor = plan[f"{which}_extrapolation_factor"]
        if reach == "beyond_limit":
            parts.append(f"{unit}: not given ({factor_text(factor)} the largest size "
                         f"measured, beyond the {limit:g}x limit)")
            continue
        text = f"{plan[f'{which}_size']:,.0f} {unit}"
        if reach == "extrapolation":
            text += f" (an extrapolation to {factor_text(factor)} the largest measured)"
        elif reach == "below":
            text += " (below the smallest measured)"
        parts.append(text)
    lines = [head, "  " + "; ".join(parts)]
    if all(plan[f"{w}_reach"] != "beyond_limit" for w in ("source", "target")):
        low, high = plan["predicted_error_interval"]
        interval = f" ({level} CI {low:.3g} to {high:.3g})" if _distinct(low, high) else ""
        lines.append(f"  predicted {name}: {plan['predicted_error']:.3g}{interval}")
    return lines


def _design_text(design, existing_trials):
    parts = []
    if design["new_sizes"]:
        sizes = " and ".join(f"{s:,}" for s in design["new_sizes"])
        plural = "s" if len(design["new_sizes"]) > 1 else ""
        parts.append(f"add source size{plural} {sizes} in the {existing_trials} existing trials")
    if design["new_trials"]:
        plural = "s" if design["new_trials"] > 1 else ""
        parts.append(f"run {design['new_trials']} more trial{plural} at every size")
    return " and ".join(parts) or "nothing fits in this budget"


def _describe_advice(advice, level):
    if not advice:
        return []
    existing = advice["current"]["n_trials"] if advice.get("current") else \
        advice["recommended"]["n_trials"] - advice["recommended"]["new_trials"]
    best = advice["recommended"]
    head = f"next study ({advice['n_fits']} more fits): {_design_text(best, existing)}"
    if not advice["law_gives_answers"]:
        span = np.log10(max(best["sizes"]) / min(best["sizes"]))
        return [head + f" (sizes over {span:.1f} decades): without a law that scales, the "
                "widest span and the most trials give the best chance to see one"]
    current = advice["current"]
    now = (f"{current['bootstrap_alpha_interval_width']:.2g} from this study's bootstrap, "
           if np.isfinite(current["bootstrap_alpha_interval_width"]) else "")
    lines = [head + f": alpha's {level} interval would be about "
             f"{best['alpha_interval_width']:.2g} wide (now {now}"
             f"{current['alpha_interval_width']:.2g} simulated; more trials only: "
             f"{advice['more_trials_only']['alpha_interval_width']:.2g}; simulated "
             f"{advice['simulated_studies']} times from the law and the trial noise)"]
    if advice["gap_identifiable"] is False:
        lines.append(f"  the source ({advice['max_source_size']:,.0f} usable rows) is too small "
                     f"to identify the transfer gap C: {advice['gap_note']}")
    return lines


def _strict_json(value):
    """Plain JSON: numpy to Python, and inf/NaN to null.

    In the planning answers null means "no number": a target below the
    transfer gap (``reach`` is ``"never"``), an answer beyond the
    extrapolation limit, or no scaling detected (``reach`` says which).
    """
    if isinstance(value, dict):
        return {str(k): _strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_strict_json(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    return value
