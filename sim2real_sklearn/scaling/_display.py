"""Plots of Sim2Real scaling curves, in scikit-learn's Display style.

Each display stores the numbers in ``__init__``, draws with ``plot(ax=...)``
and keeps the matplotlib objects it drew (``ax_``, ``figure_``, ``lines_``).
Build one from a scaling-curve result with ``from_result`` or run the trials
and plot in one call with ``from_estimator``. The drawing they share (bands,
law lines, baselines, log axes) is in :mod:`._plot`; every law a display
fits comes from the result (``fit_power_law``, ``fit_group_laws``,
``fit_two_way_law``), seeded by the result's ``random_state``. One module
per display:

- :class:`ScalingCurveDisplay` (here): mean experimental error against the
  number of computed samples, its bootstrap band, the fitted power law
  (dashed, its equation in the legend) and direct learning as a horizontal line.
- :class:`~._group_display.GroupScalingCurveDisplay`: one curve per group of
  test materials (e.g. per polymer class).
- :class:`~._grid_display.GridScalingCurveDisplay`: the two-way grid, error
  against the computed size for each experimental size, or the other way round.
"""

import numpy as np

from ._plot import (
    _SOURCE_LABEL,
    _computed_sizes,
    _law_grid,
    _ScalingDisplay,
    _score_name,
)
from ._statistics import _check_errors, _check_sizes

__all__ = ["ScalingCurveDisplay"]


class ScalingCurveDisplay(_ScalingDisplay):
    """Scaling curve: experimental error against the number of computed samples.

    Draws, on log-log axes, the mean error over trials with its bootstrap
    band, the fitted power law dashed with its equation in the legend, and
    direct learning (no computed data) as a horizontal line with its band.
    Build it with :meth:`from_result` or :meth:`from_estimator`; all
    parameters are stored as attributes.

    Parameters
    ----------
    source_sizes : array-like of shape (n_sizes,)
        Numbers of computed samples.

    scores : array-like of shape (n_sizes, n_trials)
        Error on the experimental test part per size and trial (NaN: failed).

    baseline_scores : array-like of shape (n_trials,), default=None
        Error of direct learning in the same trials.

    power_law : PowerLaw, default=None
        Fitted law to draw.

    score_name : str, default="MAE"
        Name of the error.

    confidence : float, default=0.9
        Coverage of the bootstrap bands.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the curve.

    figure_ : matplotlib Figure
        Figure containing the curve.

    lines_ : list of matplotlib Line2D
        Every line drawn: the mean curve, then the law and the baseline
        when present.

    mean_line_, law_line_, baseline_line_ : matplotlib Line2D or None
        The lines by role (None when not drawn).

    residual_ax_ : matplotlib Axes or None
        The panel of the law's residuals (``plot(show_residuals=True)``).

    fill_between_ : list of matplotlib PolyCollection
        The bands drawn.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sim2real_sklearn import ScalingCurveDisplay
    >>> from sim2real_sklearn import PowerLaw
    >>> rng = np.random.default_rng(0)
    >>> sizes = np.geomspace(100, 10000, 5)
    >>> scores = (1.5 * sizes**-0.4 + 0.15)[:, None] + rng.normal(0, 0.02, (5, 20))
    >>> law = PowerLaw(n_bootstrap=100, random_state=0).fit(sizes, scores)
    >>> display = ScalingCurveDisplay(
    ...     source_sizes=sizes, scores=scores,
    ...     baseline_scores=rng.normal(0.4, 0.03, 20), power_law=law)
    >>> display.plot()
    <...ScalingCurveDisplay object at ...>
    >>> len(display.lines_)
    3
    """
    def __init__(
        self,
        *,
        source_sizes,
        scores,
        baseline_scores=None,
        power_law=None,
        score_name="MAE",
        confidence=0.9,
    ):
        self.source_sizes = source_sizes
        self.scores = scores
        self.baseline_scores = baseline_scores
        self.power_law = power_law
        self.score_name = score_name
        self.confidence = confidence

    def plot(
        self,
        ax=None,
        *,
        show_law_band=False,
        show_residuals=False,
        n_bootstrap=1000,
        random_state=0,
        line_kw=None,
        fill_between_kw=None,
        law_kw=None,
        baseline_kw=None,
    ):
        """Plot the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.

        show_law_band : bool, default=False
            Whether to shade the bootstrap interval of the fitted law.

        show_residuals : bool, default=False
            Whether to add a panel under the curve with the law's residuals
            (mean error over law, in percent, with the band of the mean) and
            its lack-of-fit p-value. Needs ``power_law``.

        n_bootstrap : int, default=1000
            Resamples for the bands of the mean and of the baseline.

        random_state : int or None, default=0
            Seed of those resamples; fixed so the figure is reproducible.

        line_kw, fill_between_kw, law_kw, baseline_kw : dict, default=None
            Keyword arguments of ``ax.plot`` for the mean curve, of
            ``ax.fill_between`` for the bands, of ``ax.plot`` for the law and
            of ``ax.axhline`` for the baseline.

        Returns
        -------
        display : ScalingCurveDisplay
        """
        ax, band = self._start(
            ax, n_bootstrap=n_bootstrap, random_state=random_state, fill_between_kw=fill_between_kw
        )
        sizes = _check_sizes(self.source_sizes, "source_sizes")
        scores = _check_errors(self.scores, "scores", sizes.shape, ["n_sizes"])

        label = f"Transfer, mean ({self.confidence:.0%} CI)"
        line_kw = {"marker": "o", "color": "C0", "label": label, **(line_kw or {})}
        self.mean_line_ = self._plot_mean(ax, sizes, scores, line_kw, band=band)

        self.law_line_ = None
        if self.power_law is not None:
            grid = _law_grid(sizes)
            label = self.power_law.equation(latex=True, name=self.score_name)
            if not getattr(self.power_law, "scaling_detected_", True):
                # An equation in the legend would read as a law the data support.
                label = "Fitted law (no scaling detected)"
            law_kw = {"linestyle": "--", "color": "C3", "label": label, **(law_kw or {})}
            interval = self.power_law.predict_interval(grid) if show_law_band else None
            self.law_line_ = self._plot_law(
                ax, grid, self.power_law.predict(grid), law_kw, interval=interval
            )

        self.baseline_line_ = None
        if self.baseline_scores is not None:
            kw = {"color": "0.3", "linestyle": ":",
                  "label": "Direct learning (no simulation): {mean:.3g}"}
            self.baseline_line_ = self._plot_level(
                ax, self.baseline_scores, kw, baseline_kw, band=band
            )
        self._finish(ax, _SOURCE_LABEL, len(self.lines_))
        self.residual_ax_ = None
        if show_residuals:
            if self.power_law is None:
                raise ValueError("show_residuals=True needs a fitted power_law.")
            self.residual_ax_ = self._plot_residuals(ax, self.power_law, _SOURCE_LABEL)
        return self

    @classmethod
    def from_result(
        cls, result, *, ax=None, confidence=0.9, fit_law=True, score_name=None, **plot_kw
    ):
        """Plot a scaling-curve result.

        Sizes above 0 make the curve; direct learning (size 0) is the
        baseline line.

        Parameters
        ----------
        result : ScalingCurveResult
            Or any object with ``source_sizes``, ``scores`` and
            ``baseline_scores`` (may be None), and ``fit_power_law`` when
            ``fit_law`` is True.

        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.

        confidence : float, default=0.9
            Coverage of the bands and of the law's intervals.

        fit_law : bool, default=True
            Whether to fit and draw the law, with
            ``result.fit_power_law(confidence=confidence)`` (seeded by the
            result's ``random_state``).

        score_name : str, default=None
            Name of the error; None takes the result's (``"RMSE"`` for a
            study scored with ``neg_root_mean_squared_error``, ``"MAE"`` by
            default).

        **plot_kw
            Further keyword arguments of :meth:`plot`.

        Returns
        -------
        display : ScalingCurveDisplay
        """
        cls._check_matplotlib("from_result")
        law = result.fit_power_law(confidence=confidence) if fit_law else None
        keep = _computed_sizes(result)
        display = cls(
            source_sizes=np.asarray(result.source_sizes)[keep],
            scores=np.asarray(result.scores)[keep],
            baseline_scores=getattr(result, "baseline_scores", None),
            power_law=law,
            score_name=_score_name(result, score_name),
            confidence=confidence,
        )
        return display.plot(ax=ax, **plot_kw)
