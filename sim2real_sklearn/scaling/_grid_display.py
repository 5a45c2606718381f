"""The two-way scaling grid: error against the computed size for each experimental size.

A display in scikit-learn's style, as :mod:`._display`'s; the drawing it
shares with the other displays is in :mod:`._plot`, and the two-way law
comes from the result's ``fit_two_way_law``.
"""

import numpy as np

from ._plot import (
    _SOURCE_LABEL,
    _TARGET_LABEL,
    _computed_sizes,
    _law_grid,
    _palette,
    _ScalingDisplay,
    _score_name,
)
from ._statistics import _check_errors, _check_sizes

__all__ = ["GridScalingCurveDisplay"]


class GridScalingCurveDisplay(_ScalingDisplay):
    """Two-way scaling grid: computed size against experimental size.

    With ``versus="source"``: error against the number of computed samples,
    one line per experimental training size (its direct-learning error as a
    dotted horizontal line of the same colour). With ``versus="target"``:
    error against the experimental training size, one line per computed
    size, and direct learning as its own curve.

    Parameters
    ----------
    source_sizes : array-like of shape (n_sizes,)
        Numbers of computed samples.

    target_sizes : array-like of shape (n_target_sizes,)
        Numbers of experimental training samples.

    grid_scores : array-like of shape (n_sizes, n_target_sizes, n_trials)
        Error per cell and trial (NaN: failed).

    grid_baseline_scores : array-like of shape (n_target_sizes, n_trials), default=None
        Error of direct learning per experimental size and trial.

    two_way_law : TwoWayPowerLaw, default=None
        Fitted joint law, drawn dashed for each line.

    score_name : str, default="MAE"
        Name of the error.

    confidence : float, default=0.9
        Coverage of the bands.

    Attributes
    ----------
    ax_, figure_ : matplotlib Axes and Figure

    lines_ : list of matplotlib Line2D
        One mean line per experimental size (``versus="source"``) or per
        computed size (``versus="target"``), then law lines, then baselines.

    curve_lines_ : list of matplotlib Line2D
        The mean lines alone.

    fill_between_ : list of matplotlib PolyCollection

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sim2real_sklearn import GridScalingCurveDisplay
    >>> n, m = np.geomspace(100, 10000, 4), np.array([20, 80, 320])
    >>> grid = (0.1 + n[:, None, None] ** -0.5) * m[None, :, None] ** -0.3 * np.ones(10)
    >>> display = GridScalingCurveDisplay(
    ...     source_sizes=n, target_sizes=m, grid_scores=grid).plot(versus="target")
    >>> len(display.curve_lines_)
    4
    """
    def __init__(
        self,
        *,
        source_sizes,
        target_sizes,
        grid_scores,
        grid_baseline_scores=None,
        two_way_law=None,
        score_name="MAE",
        confidence=0.9,
    ):
        self.source_sizes = source_sizes
        self.target_sizes = target_sizes
        self.grid_scores = grid_scores
        self.grid_baseline_scores = grid_baseline_scores
        self.two_way_law = two_way_law
        self.score_name = score_name
        self.confidence = confidence

    def plot(
        self,
        ax=None,
        *,
        versus="source",
        show_band=True,
        n_bootstrap=1000,
        random_state=0,
        line_kw=None,
        fill_between_kw=None,
        law_kw=None,
        baseline_kw=None,
    ):
        """Plot the grid as a family of curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.

        versus : {"source", "target"}, default="source"
            Which size goes on the x axis: the computed one (one line per
            experimental size) or the experimental one (one line per
            computed size).

        show_band : bool, default=True
            Whether to shade the bootstrap band of each line.

        n_bootstrap : int, default=1000
            Resamples for the bands.

        random_state : int or None, default=0
            Seed of the resamples.

        line_kw, fill_between_kw, law_kw, baseline_kw : dict, default=None
            Keyword arguments of the mean lines, the bands, the law lines
            and the baseline lines.

        Returns
        -------
        display : GridScalingCurveDisplay
        """
        if versus not in ("source", "target"):
            raise ValueError(f"versus must be 'source' or 'target'; got {versus!r}.")
        ax, band = self._start(
            ax, n_bootstrap=n_bootstrap, random_state=random_state, fill_between_kw=fill_between_kw
        )
        n = _check_sizes(self.source_sizes, "source_sizes")
        m = _check_sizes(self.target_sizes, "target_sizes")
        scores = _check_errors(
            self.grid_scores, "grid_scores", (n.size, m.size), ["n_sizes", "n_target_sizes"]
        )
        baseline = None
        if self.grid_baseline_scores is not None:
            baseline = _check_errors(
                self.grid_baseline_scores, "grid_baseline_scores", (m.size,), ["n_target_sizes"]
            )
        if versus == "target":  # one line per computed size: the first axis
            x, lines_over, x_label, line_name = m, n, _TARGET_LABEL, "n"
        else:
            x, lines_over, x_label, line_name = n, m, _SOURCE_LABEL, "m"
            scores = np.swapaxes(scores, 0, 1)
        colors = _palette(len(lines_over))

        self.curve_lines_ = []
        for size, curve, color in zip(lines_over, scores, colors):
            kw = {"marker": "o", "markersize": 4, "color": color,
                  "label": f"${line_name}$ = {size:g}"}
            kw.update(line_kw or {})
            self.curve_lines_.append(
                self._plot_mean(ax, x, curve, kw, band=band if show_band else None,
                                band_color=color)
            )
        n_entries = len(self.curve_lines_)
        if self.two_way_law is not None:
            self._plot_two_way_law(ax, x, lines_over, versus, colors, law_kw)
            n_entries += 1
        if baseline is not None:
            self._plot_grid_baseline(ax, baseline, m, versus, colors, band, baseline_kw)
            n_entries += 1
        return self._finish(ax, x_label, n_entries)

    def _plot_two_way_law(self, ax, x, lines_over, versus, colors, law_kw):
        grid = _law_grid(x)
        label = self.two_way_law.equation(latex=True, name=self.score_name)
        for size, color in zip(lines_over, colors):
            n, m = (grid, size) if versus == "source" else (size, grid)
            kw = {"linestyle": "--", "linewidth": 1, "color": color, "label": label}
            kw.update(law_kw or {})
            self._plot_law(ax, grid, self.two_way_law.predict(n, m), kw)
            label = None  # one legend entry for the family

    def _plot_grid_baseline(self, ax, baseline, m, versus, colors, band, baseline_kw):
        if versus == "source":
            # Direct learning does not depend on n: a dotted level per m.
            label = "Direct learning (dotted)"
            for row, color in zip(baseline, colors):
                self._plot_level(ax, row, {"color": color, "linestyle": ":", "label": label},
                                 baseline_kw)
                label = None
            return
        kw = {
            "color": "0.2",
            "linestyle": ":",
            "marker": "s",
            "markersize": 4,
            "label": "Direct learning (no simulation)",
            **(baseline_kw or {}),
        }
        self._plot_mean(ax, m, baseline, kw, band=band)

    @classmethod
    def from_result(
        cls, result, *, ax=None, confidence=0.9, fit_law=True, score_name=None, **plot_kw
    ):
        """Plot the two-way grid of a scaling-curve result.

        Parameters
        ----------
        result : ScalingCurveResult
            Or any object with ``source_sizes``, ``target_sizes``,
            ``grid_scores`` and ``grid_baseline_scores`` (may be None), and
            ``fit_two_way_law`` when ``fit_law`` is True.

        ax : matplotlib Axes, default=None
            Axes to draw on.

        confidence : float, default=0.9
            Coverage of the bands and of the law's intervals.

        fit_law : bool, default=True
            Whether to fit and draw a
            :class:`~sim2real_sklearn.TwoWayPowerLaw`, with
            ``result.fit_two_way_law`` (seeded by the result's
            ``random_state``).

        score_name : str, default=None
            Name of the error; None takes the result's (``"RMSE"`` for a
            study scored with ``neg_root_mean_squared_error``, ``"MAE"`` by
            default).

        **plot_kw
            Further keyword arguments of :meth:`plot` (e.g. ``versus``);
            ``n_bootstrap`` also sets the refits of the law.

        Returns
        -------
        display : GridScalingCurveDisplay
        """
        cls._check_matplotlib("from_result")
        missing = [a for a in ("grid_scores", "target_sizes") if getattr(result, a, None) is None]
        if missing:
            raise ValueError(
                "result has no grid_scores: run the scaling curve over several "
                "experimental training sizes (target sizes) to get a two-way grid."
            )
        law = None
        if fit_law:
            law = result.fit_two_way_law(
                confidence=confidence, n_bootstrap=plot_kw.get("n_bootstrap", 1000)
            )
        keep = _computed_sizes(result)
        display = cls(
            source_sizes=np.asarray(result.source_sizes)[keep],
            target_sizes=result.target_sizes,
            grid_scores=np.asarray(result.grid_scores)[keep],
            grid_baseline_scores=getattr(result, "grid_baseline_scores", None),
            two_way_law=law,
            score_name=_score_name(result, score_name),
            confidence=confidence,
        )
        return display.plot(ax=ax, **plot_kw)
