"""The notebook view of a scaling study: ``ScalingCurveResult._repr_html_``.

A compact table (each size's mean error, its spread, the trials, what
``strategy="auto"`` chose) and the law in one line only when the package
would give planning answers from it; otherwise the reason. Every text is
escaped.
"""

import html
import warnings

import numpy as np


def result_html(result):
    """The HTML of a :class:`~sim2real_sklearn.scaling.ScalingCurveResult` in Jupyter."""
    name = html.escape(result.scoring if result.greater_is_better else result.score_name)
    grid = "" if result.target_sizes is None else (
        f", at {result.target_sizes[-1]} experimental training rows (the largest of the grid)")
    head = (f"<p><strong>ScalingCurveResult</strong>: {name} on the experimental test rows, "
            f"{result.n_trials} trials per size{grid}, random_state={result.random_state}</p>")
    strategies = None if result.strategies is None or not any(
        value for value in result.strategies.ravel()) else result.strategies
    columns = ["source rows", f"mean {name}", "sd over trials", "trials"]
    columns += [] if strategies is None else ["strategy used"]
    rows = [_html_row("0 (direct learning)", result.baseline_scores, None, strategies)]
    rows += [_html_row(f"{size:,}", scores, counts, strategies)
             for size, scores, counts in zip(
                 result.source_sizes, result.scores,
                 [None] * len(result.scores) if strategies is None else strategies)]
    header = "".join(f"<th>{column}</th>" for column in columns)
    table = (f'<table style="border-collapse: collapse; font-size: 90%"><thead><tr>{header}'
             f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    notes = [] if not result.n_reused_cells else [
        f"{result.n_reused_cells} cells read back from a checkpoint"]
    if result.group_scores is not None:
        notes.append(f"scored per group too ({len(result.group_scores)} groups: "
                     "<code>group_scores</code>)")
    notes.append(_html_law_line(result))
    return ('<div class="sim2real-scaling-curve-result">' + head + table
            + "".join(f"<p>{note}</p>" for note in notes) + "</div>")


def _html_row(label, scores, strategies, show_strategies):
    """One row of the notebook table: mean and spread over the finished trials."""
    finished = scores[np.isfinite(scores)]
    mean = f"{finished.mean():.4g}" if finished.size else "all failed"
    spread = f"{finished.std(ddof=1):.2g}" if finished.size > 1 else ""
    trials = f"{finished.size}" if finished.size == scores.size else (
        f"{finished.size} of {scores.size} finished")
    cells = [label, mean, spread, trials]
    if show_strategies is not None:
        names = [str(name) for name in (strategies if strategies is not None else []) if name]
        cells.append(", ".join(f"{n} {names.count(n)}" for n in sorted(set(names))))
    return "<tr>" + "".join(f'<td style="text-align: right">{html.escape(c)}</td>'
                            for c in cells) + "</tr>"


def _html_law_line(result):
    """The law in one line, or why there is none: never a number the report would refuse."""
    from ._planning import law_gives_answers

    if result.greater_is_better:
        return ("No scaling law: the scores grow with quality; a law is fitted to an error "
                "(see <code>fit_power_law</code>).")
    # A quick fit: a notebook redraws the repr, and 200 refits take tens of milliseconds.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            law = result.fit_power_law(n_bootstrap=200)
        except ValueError as error:
            return f"No scaling law: {html.escape(str(error))}"
    if caught:
        first = str(caught[0].message).split(". ")[0]
        return (f"No scaling law shown: its fit warns ({len(caught)} warning(s); the first: "
                f"{html.escape(first)}). <code>fit_power_law()</code> shows them all.")
    if not law_gives_answers(law):
        why = ("the error does not fall with the source size in the measured range"
               if not law.scaling_detected_ else "the scaling strength alpha is not identified")
        return f"No scaling law shown: {why}."
    low, high = law.alpha_interval_
    return (f"Scaling law: <code>{html.escape(law.equation())}</code>, scaling strength alpha "
            f"{law.alpha_:.3g} ({law.confidence:.0%} CI {low:.3g} to {high:.3g}); "
            "<code>fit_power_law()</code> for intervals and planning answers.")
