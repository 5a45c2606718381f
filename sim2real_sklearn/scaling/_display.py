"""Plots of Sim2Real scaling curves, in scikit-learn's Display style.

Each display stores the numbers in ``__init__``, draws with ``plot(ax=...)``
and keeps the matplotlib objects it drew (``ax_``, ``figure_``, ``lines_``).
Build one from a scaling-curve result with ``from_result`` or run the trials
and plot in one call with ``from_estimator``. The drawing they share (bands,
law lines, baselines, log axes) is in :mod:`._plot`; every law a display
fits comes from the result (``fit_power_law``, ``fit_group_laws``,
``fit_two_way_law``), seeded by the result's ``random_state``.

- :class:`ScalingCurveDisplay`: mean experimental error against the number
  of computed samples, its bootstrap band, the fitted power law (dashed, its
  equation in the legend) and direct learning as a horizontal line.
- :class:`GroupScalingCurveDisplay`: one curve per group of test materials
  (e.g. per polymer class).
- :class:`GridScalingCurveDisplay`: the two-way grid, error against the
  computed size for each experimental size, or the other way round.
"""

import numpy as np

from ._plot import _SOURCE_LABEL, _TARGET_LABEL, _law_grid, _palette, _ScalingDisplay
from ._statistics import _check_errors, _check_sizes

__all__ = ["GridScalingCurveDisplay", "GroupScalingCurveDisplay", "ScalingCurveDisplay"]

# With many groups, hue alone does not tell the lines apart.
_GROUP_MARKERS = "osD^vP*Xph<>"


def _score_name(result, score_name):
    """The error on the axis and in the equations: the caller's, else what the study measured."""
    return score_name if score_name is not None else getattr(result, "score_name", "MAE")


def _computed_sizes(result):
    """Which of the result's source sizes go on a log axis: size 0 is the baseline."""
    return np.asarray(result.source_sizes) > 0


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


class GroupScalingCurveDisplay(_ScalingDisplay):
    """Scaling curves per group of test materials, one line per group.

    Shows whether the computed database helps every class of materials
    alike (e.g. the structural classes of the test polymers).

    Parameters
    ----------
    source_sizes : array-like of shape (n_sizes,)
        Numbers of computed samples.

    group_scores : dict of str to array-like of shape (n_sizes, n_trials)
        Error on the test materials of each group, per size and trial.

    baseline_scores : array-like of shape (n_trials,), default=None
        Error of direct learning on the whole test part, drawn as one
        horizontal line.

    group_baseline_scores : dict of str to array-like of shape (n_trials,), default=None
        Error of direct learning on each group's test materials; when given,
        drawn as a dotted level in each group's colour instead of
        ``baseline_scores``.

    power_laws : dict of str to PowerLaw, default=None
        Fitted law per group; its exponent is shown in the legend and the
        law drawn dashed in the group's colour.

    score_name : str, default="MAE"
        Name of the error.

    confidence : float, default=0.9
        Coverage of the bands.

    Attributes
    ----------
    ax_, figure_ : matplotlib Axes and Figure

    lines_ : list of matplotlib Line2D
        One mean line per group in ``group_scores`` order, then the law
        lines, then the baseline.

    group_lines_ : dict of str to matplotlib Line2D
        Mean line of each group.

    fill_between_ : list of matplotlib PolyCollection
        Bands drawn (only with ``show_band=True``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sim2real_sklearn import GroupScalingCurveDisplay
    >>> sizes = np.geomspace(100, 10000, 5)
    >>> groups = {"aromatic": (sizes**-0.3)[:, None] * np.ones((5, 4)),
    ...           "aliphatic": (0.5 * sizes**-0.2)[:, None] * np.ones((5, 4))}
    >>> display = GroupScalingCurveDisplay(source_sizes=sizes, group_scores=groups).plot()
    >>> sorted(display.group_lines_)
    ['aliphatic', 'aromatic']
    """
    def __init__(
        self,
        *,
        source_sizes,
        group_scores,
        baseline_scores=None,
        group_baseline_scores=None,
        power_laws=None,
        score_name="MAE",
        confidence=0.9,
    ):
        self.source_sizes = source_sizes
        self.group_scores = group_scores
        self.baseline_scores = baseline_scores
        self.group_baseline_scores = group_baseline_scores
        self.power_laws = power_laws
        self.score_name = score_name
        self.confidence = confidence

    def plot(
        self,
        ax=None,
        *,
        show_band=False,
        n_bootstrap=1000,
        random_state=0,
        line_kw=None,
        fill_between_kw=None,
        law_kw=None,
        baseline_kw=None,
    ):
        """Plot one curve per group.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.

        show_band : bool, default=False
            Whether to shade each group's bootstrap band (off by default:
            overlapping bands of many groups hide the lines).

        n_bootstrap : int, default=1000
            Resamples for the bands.

        random_state : int or None, default=0
            Seed of the resamples.

        line_kw, fill_between_kw, law_kw, baseline_kw : dict, default=None
            Keyword arguments of the mean lines, the bands, the law lines
            and the baseline line.

        Returns
        -------
        display : GroupScalingCurveDisplay
        """
        ax, band = self._start(
            ax, n_bootstrap=n_bootstrap, random_state=random_state, fill_between_kw=fill_between_kw
        )
        sizes = _check_sizes(self.source_sizes, "source_sizes")
        if not isinstance(self.group_scores, dict) or not self.group_scores:
            raise ValueError("group_scores must be a non-empty dict {group name: scores}.")
        laws = self.power_laws or {}
        colors = dict(zip(self.group_scores, _palette(len(self.group_scores), ordered=False)))

        self.group_lines_ = {}
        for i, (name, scores) in enumerate(self.group_scores.items()):
            scores = _check_errors(scores, f"group_scores[{name!r}]", sizes.shape, ["n_sizes"])
            label = str(name)
            if name in laws:
                label += rf" ($\alpha$ = {laws[name].alpha_:.2g}, $C$ = {laws[name].C_:.2g})"
            kw = {"marker": _GROUP_MARKERS[i % len(_GROUP_MARKERS)], "markersize": 4,
                  "color": colors[name], "label": label, **(line_kw or {})}
            self.group_lines_[name] = self._plot_mean(
                ax, sizes, scores, kw, band=band if show_band else None, band_color=colors[name]
            )

        grid = _law_grid(sizes)
        for name in self.group_scores:
            if name in laws:
                kw = {"linestyle": "--", "linewidth": 1, "color": colors[name], **(law_kw or {})}
                self._plot_law(ax, grid, laws[name].predict(grid), kw)

        self.baseline_line_ = self._plot_group_baselines(ax, colors, baseline_kw)
        n_entries = len(self.group_lines_) + (self.baseline_line_ is not None)
        return self._finish(ax, _SOURCE_LABEL, n_entries)

    def _plot_group_baselines(self, ax, colors, baseline_kw):
        """Direct learning per group in its colour, or one overall level; the first line."""
        if self.group_baseline_scores is None:
            if self.baseline_scores is None:
                return None
            kw = {"color": "0.3", "linestyle": ":", "label": "Direct learning: {mean:.3g}"}
            return self._plot_level(ax, self.baseline_scores, kw, baseline_kw)
        first, label = None, "Direct learning, per group (dotted)"  # one legend entry for all
        for name in self.group_scores:
            if name in self.group_baseline_scores:
                kw = {"color": colors[name], "linestyle": ":", "linewidth": 1, "label": label}
                line = self._plot_level(ax, self.group_baseline_scores[name], kw, baseline_kw)
                first, label = first or line, None
        return first

    @classmethod
    def from_result(
        cls,
        result,
        *,
        ax=None,
        confidence=0.9,
        fit_law=False,
        per_group_baseline=False,
        score_name=None,
        **plot_kw,
    ):
        """Plot the per-group curves of a scaling-curve result.

        Parameters
        ----------
        result : ScalingCurveResult
            Or any object with ``source_sizes``, ``group_scores`` (a dict)
            and ``baseline_scores``, and ``fit_group_laws`` when ``fit_law``
            is True.

        ax : matplotlib Axes, default=None
            Axes to draw on.

        confidence : float, default=0.9
            Coverage of the bands and laws.

        fit_law : bool, default=False
            Whether to fit a :class:`~sim2real_sklearn.PowerLaw`
            per group (off by default: per-group curves are noisier, and
            each fit may warn), with ``result.fit_group_laws`` (seeded by
            the result's ``random_state``) and ``n_bootstrap`` refits when
            given in ``plot_kw``.

        per_group_baseline : bool, default=False
            Whether to draw direct learning per group
            (``result.group_baseline_scores``) instead of one overall line.

        score_name : str, default=None
            Name of the error; None takes the result's (``"RMSE"`` for a
            study scored with ``neg_root_mean_squared_error``, ``"MAE"`` by
            default).

        **plot_kw
            Further keyword arguments of :meth:`plot`.

        Returns
        -------
        display : GroupScalingCurveDisplay
        """
        cls._check_matplotlib("from_result")
        group_scores = getattr(result, "group_scores", None)
        if group_scores is None:
            raise ValueError(
                "result has no group_scores: run the scaling curve with groups of "
                "test materials to get one curve per group."
            )
        laws = None
        if fit_law:
            laws = result.fit_group_laws(
                confidence=confidence, n_bootstrap=plot_kw.get("n_bootstrap", 1000)
            )
        keep = _computed_sizes(result)
        display = cls(
            source_sizes=np.asarray(result.source_sizes)[keep],
            group_scores={name: np.asarray(s)[keep] for name, s in group_scores.items()},
            baseline_scores=getattr(result, "baseline_scores", None),
            group_baseline_scores=(
                getattr(result, "group_baseline_scores", None) if per_group_baseline else None
            ),
            power_laws=laws,
            score_name=_score_name(result, score_name),
            confidence=confidence,
        )
        return display.plot(ax=ax, **plot_kw)


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
