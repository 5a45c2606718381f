"""A scaling study's report: the plot, every trial's score, the law and the planning answers.

:func:`write_report` turns a :class:`~sim2real_sklearn.ScalingCurveResult`
into the files a materials scientist keeps and shares:

- ``scaling_curve.png``: the curve, its 90% band, the fitted law and the baseline;
- ``scores.csv``: one row per (source size, trial), the tidy table of all scores;
- ``report.json``: the law with its intervals and the planning answers;

and returns the same answers as a dict, with a short text summary.
"""

import json
import warnings
from pathlib import Path

import numpy as np

from ..exceptions import PowerLawWarning
from ._power_law import gap_for_display


def planning_answers(result, law):
    """What the fitted law says about the next simulations to run.

    Parameters
    ----------
    result : ScalingCurveResult
    law : PowerLaw
        Fitted on ``result``.

    Returns
    -------
    answers : dict
        ``baseline_mae`` (mean and interval of direct learning),
        ``transfer_mae_at_largest`` (mean at the largest source size),
        ``transfer_beats_baseline_from`` (source size where the law crosses
        the baseline; 0 if it always beats it, inf if never),
        ``gain_of_next_decade`` (MAE now minus MAE with 10x the largest size),
        ``n_required`` (source size needed for a few target errors between the
        transfer gap and the current error; inf when below the gap), and with
        a two-way grid (``target_sizes``) ``equivalent_experimental_samples``
        (experiments direct learning would need to match transfer at the
        largest source size).

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
    """
    baseline = np.asarray(result.baseline_scores, dtype=float)
    baseline = baseline[np.isfinite(baseline)]
    sizes = np.asarray(result.source_sizes)
    positive = sizes > 0
    largest = float(sizes[positive].max())
    current = float(law.predict(largest))
    gap = float(law.C_)  # the transfer gap: no amount of simulation goes below it
    targets = [current - f * (current - gap) for f in (0.25, 0.5, 0.9)] + [gap * 0.9]
    answers = {
        "transfer_mae_at_largest": {
            "source_size": largest,
            "mean": float(np.nanmean(np.asarray(result.scores)[positive][-1])),
            "law": current,
        },
        "gain_of_next_decade": {
            "from_size": largest,
            "value": float(law.gain_per_decade(largest)),
            "interval": _pair(law.gain_per_decade_interval(largest)),
        },
        "n_required": [
            {"target_mae": float(t), "source_size": _number(law.n_required(t)),
             "interval": _pair(law.n_required_interval(t))}
            for t in targets
        ],
    }
    target_sizes = getattr(result, "target_sizes", None)
    if target_sizes is not None and len(target_sizes) >= 3:
        # With the two-way grid: how many experiments direct learning would
        # need to match transfer at the largest source size.
        baseline_law = result.fit_baseline_law(confidence=law.confidence)
        answers["equivalent_experimental_samples"] = {
            "source_size": largest,
            "experimental_samples_used": int(np.max(target_sizes)),
            "value": _number(law.equivalent_sample_size(largest, baseline_law)),
            "interval": _pair(law.equivalent_sample_size_interval(largest, baseline_law)),
            "baseline_law": baseline_law.equation(name="MAE(m)"),
        }
    if baseline.size:
        mean = float(baseline.mean())
        answers["baseline_mae"] = {
            "mean": mean,
            "interval": _pair(np.percentile(baseline, [5, 95])),
            "n_trials": int(baseline.size),
        }
        # Paired with the transfer trials when they match, so the interval
        # also carries the baseline's own uncertainty.
        paired = np.asarray(result.baseline_scores, dtype=float)
        paired = paired if paired.shape == (law.bootstrap_indices_.shape[1],) else None
        answers["transfer_beats_baseline_from"] = {
            "source_size": _number(law.crossover(mean)),
            "interval": _pair(law.crossover_interval(mean, baseline_scores=paired)),
            "interval_pairs_trials": paired is not None,
        }
    return answers


def write_report(result, out_dir, *, title=None, confidence=0.9, extra=None):
    """Write the plot, the scores table and the JSON report of a scaling study.

    Parameters
    ----------
    result : ScalingCurveResult
    out_dir : str or Path
        Created if missing.
    title : str, optional
        Plot title.
    confidence : float, default=0.9
        Level of the bootstrap intervals.
    extra : dict, optional
        More facts to record in the JSON (data files, featurizer, dropped rows).

    Returns
    -------
    report : dict
        What ``report.json`` holds; ``report["summary"]`` is a short text.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from ._display import ScalingCurveDisplay

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result.to_frame().to_csv(out / "scores.csv", index=False)
    result.save(out / "scaling_curve_result")

    # The display fits the law (result.fit_power_law, the result's seed); its
    # diagnostics belong in the report, anything else is passed on as usual.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        display = ScalingCurveDisplay.from_result(result, confidence=confidence)
    law = display.power_law
    law_warnings = sorted({str(w.message) for w in caught if issubclass(w.category, PowerLawWarning)})
    for w in caught:
        if not issubclass(w.category, PowerLawWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if title:
        display.ax_.set_title(title)
    display.figure_.tight_layout()
    display.figure_.savefig(out / "scaling_curve.png", dpi=150)
    plt.close(display.figure_)

    report = {
        "power_law": law.summary(),
        "planning": planning_answers(result, law),
        "warnings": law_warnings,
        "files": {"plot": "scaling_curve.png", "scores": "scores.csv",
                  "result": "scaling_curve_result.npz"},
    }
    if extra:
        report["study"] = extra
    report["summary"] = summarize(report)
    (out / "report.json").write_text(json.dumps(_strict_json(report), indent=2, allow_nan=False))
    return report


def summarize(report):
    """A few lines a person reads first."""
    law = report["power_law"]
    plan = report["planning"]
    level = int(round(100 * law["confidence"]))
    lines = [f"fitted law: {law['equation']}"]
    for name, label in (("alpha", "scaling strength alpha"), ("C", "transfer gap C")):
        low, high = law[name]["interval"]
        value, low, high = (gap_for_display(v, law["D"]["value"])
                            for v in (law[name]["value"], low, high))
        lines.append(f"  {label} = {value:.3g} ({level}% CI {low:.3g} to {high:.3g})")
    top = plan["transfer_mae_at_largest"]
    lines.append(f"mean MAE with {top['source_size']:.0f} source rows: {top['mean']:.4g}")
    if "baseline_mae" in plan:
        base = plan["baseline_mae"]
        lines.append(f"direct learning (no source) MAE: {base['mean']:.4g}")
        cross = plan["transfer_beats_baseline_from"]["source_size"]
        lines.append(f"transfer beats direct learning from about {_fmt_size(cross)} source rows")
    if "equivalent_experimental_samples" in plan:
        eq = plan["equivalent_experimental_samples"]
        lines.append(f"with {eq['source_size']:.0f} source rows and {eq['experimental_samples_used']} "
                     f"experiments, transfer matches direct learning on about "
                     f"{_fmt_size(eq['value'])} experiments")
    gain = plan["gain_of_next_decade"]
    lines.append(f"10x more source rows would lower the MAE by about {gain['value']:.3g}")
    for row in plan["n_required"][:2]:
        lines.append(f"source rows needed for MAE {row['target_mae']:.4g}: {_fmt_size(row['source_size'])}")
    return "\n".join(lines)


def _fmt_size(value):
    if value is None or (isinstance(value, float) and np.isinf(value)):
        return "never (below the transfer gap)"
    return f"{value:,.0f}"


def _number(value):
    value = float(np.asarray(value).ravel()[0])
    return value if np.isfinite(value) else float("inf")


def _pair(values):
    low, high = (float(v) for v in np.asarray(values, dtype=float).ravel()[:2])
    return [low, high]


def _strict_json(value):
    """Plain JSON: numpy to Python, and inf/NaN to null.

    In the planning answers null means "never": the target error is below
    the transfer gap, so no amount of simulation data reaches it.
    """
    if isinstance(value, dict):
        return {str(k): _strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_strict_json(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    return value
