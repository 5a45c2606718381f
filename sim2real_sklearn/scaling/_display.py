"""Plots of Sim2Real scaling curves, in scikit-learn's Display style.

Each display stores the numbers in ``__init__``, draws with ``plot(ax=...)``
and keeps the matplotlib objects it drew (``ax_``, ``figure_``, ``lines_``).
Build one from a scaling-curve result with ``from_result`` or run the trials
and plot in one call with ``from_estimator``.

- :class:`ScalingCurveDisplay`: mean experimental error against the number
  of computed samples, its bootstrap band, the fitted power law (dashed, its
  equation in the legend) and direct learning as a horizontal line.
- :class:`GroupScalingCurveDisplay`: one curve per group of test materials
  (e.g. per polymer class).
- :class:`GridScalingCurveDisplay`: the two-way grid, error against the
  computed size for each experimental size, or the other way round.
"""

import warnings

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support

from ._power_law import PowerLaw
from ._statistics import _check_sizes, bootstrap_mean_interval
from ._two_way_law import TwoWayPowerLaw

__all__ = ["GridScalingCurveDisplay", "GroupScalingCurveDisplay", "ScalingCurveDisplay"]

_SOURCE_LABEL = "Computed (simulation) samples $n$"
_TARGET_LABEL = "Experimental training samples $m$"


def _axes(ax, owner):
    check_matplotlib_support(f"{owner}.plot")
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


def _palette(n_colors, ordered=True):
    """Colours: a sequential map for ordered sizes, distinct hues for groups."""
    import matplotlib as mpl

    if not ordered:
        cmap = mpl.colormaps["tab10" if n_colors <= 10 else "tab20"]
        return [cmap(i % cmap.N) for i in range(n_colors)]
    # Stop before viridis' pale yellow end, which vanishes on white.
    return [mpl.colormaps["viridis"](v) for v in np.linspace(0.0, 0.85, n_colors)]


def _band_settings(display, n_bootstrap, random_state, fill_between_kw):
    return {
        "confidence": display.confidence,
        "n_bootstrap": n_bootstrap,
        "random_state": random_state,
        "fill_between_kw": fill_between_kw,
    }


def _band(ax, x, scores, color, *, confidence, n_bootstrap, random_state, fill_between_kw):
    """Mean line's bootstrap band; returns the mean and the drawn patch."""
    mean, low, high = bootstrap_mean_interval(
        scores, confidence=confidence, n_bootstrap=n_bootstrap, random_state=random_state
    )
    if np.all(np.isnan(low)):
        return mean, None  # a single trial: no band to draw
    kw = {"alpha": 0.2, "color": color, "linewidth": 0, **(fill_between_kw or {})}
    return mean, ax.fill_between(x, low, high, **kw)


def _tick_label(value, _position=None):
    """Plain numbers (0.2, 500, 20000) where they stay short, 10^k beyond."""
    if value <= 0:
        return ""
    if 1e-3 <= value < 1e5:
        return f"{value:g}"
    exponent = np.floor(np.log10(value))
    mantissa = value / 10**exponent
    head = "" if np.isclose(mantissa, 1) else f"{mantissa:g}\\times"
    return f"${head}10^{{{exponent:g}}}$"


def _label_log_axis(axis, low, high):
    """Label the minor ticks of a log axis as much as its span allows.

    An error axis often spans less than a decade, where matplotlib's default
    labels no tick at all or crowds overlapping ones.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

    decades = np.log10(high / low)
    if decades < 0.5:
        # Less than a factor of ~3 (errors from 0.19 to 0.24, say): log ticks
        # would label one value at most; evenly spaced plain numbers read better.
        axis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
        axis.set_major_formatter(FuncFormatter(lambda value, _pos=None: f"{value:.3g}"))
        axis.set_minor_formatter(NullFormatter())
        return
    shown = (2, 3, 4, 5, 6, 7, 8, 9) if decades <= 1 else (2, 5) if decades <= 2.2 else ()

    def minor_label(value, position=None):
        mantissa = value / 10 ** np.floor(np.log10(value) + 1e-9)
        return _tick_label(value) if any(np.isclose(mantissa, shown)) else ""

    axis.set_major_locator(LogLocator(base=10))
    axis.set_major_formatter(FuncFormatter(_tick_label))
    axis.set_minor_locator(LogLocator(base=10, subs=np.arange(2, 10)))
    axis.set_minor_formatter(FuncFormatter(minor_label))


def _finish(ax, xlabel, ylabel, n_entries):
    """Log-log axes, readable ticks, labels, light grid, legend off the data."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.autoscale_view()
    _label_log_axis(ax.xaxis, *ax.get_xlim())
    _label_log_axis(ax.yaxis, *ax.get_ylim())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    if n_entries > 6:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize="small")
    else:
        ax.legend(loc="best", fontsize="small")


def _mean_over_trials(scores):
    """Mean of the last axis over trials that did not fail (NaN if none did)."""
    scores = np.asarray(scores, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all trials failed
        return np.nanmean(scores, axis=-1)


def _nanmean_or_nan(values):
    return float(_mean_over_trials(np.ravel(values)))


def _check_1d(values, name):
    # Sizes go on a log axis: 0 (direct learning) belongs in the baseline.
    return _check_sizes(values, name)


def _check_trials(scores, name, leading_shape):
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == len(leading_shape):
        scores = scores[..., np.newaxis]
    if scores.shape[:-1] != tuple(leading_shape) or scores.ndim != len(leading_shape) + 1:
        raise ValueError(
            f"{name} must have shape {tuple(leading_shape)} + (n_trials,); got {scores.shape}."
        )
    return scores


class _FromEstimatorMixin:
    @classmethod
    def from_estimator(
        cls,
        estimator,
        X_sim,
        y_sim,
        X_exp,
        y_exp,
        *,
        ax=None,
        confidence=0.9,
        fit_law=True,
        score_name="MAE",
        plot_kw=None,
        **scaling_curve_kwargs,
    ):
        """Run the scaling-curve trials, then plot them.

        Parameters
        ----------
        estimator : estimator
            Sim2Real regressor (or pipeline) cloned in every trial.

        X_sim, y_sim : array-like
            Computed (simulation) data: the source.

        X_exp, y_exp : array-like
            Experimental data: the target, split in every trial.

        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.

        confidence : float, default=0.9
            Coverage of the bands and of the law's intervals.

        fit_law : bool, default=True
            Whether to fit and draw the power law.

        score_name : str, default="MAE"
            Name of the error on the y axis and in the equation.

        plot_kw : dict, default=None
            Further keyword arguments of :meth:`plot`.

        **scaling_curve_kwargs
            Passed to :func:`~sim2real_sklearn.scaling_curve`
            (sizes, number of trials, ``n_jobs``, ``random_state``, ...).

        Returns
        -------
        display : the display class
        """
        # Imported here: the trial runner pulls in torch, plotting need not.
        from ._curve import scaling_curve

        result = scaling_curve(estimator, X_sim, y_sim, X_exp, y_exp, **scaling_curve_kwargs)
        return cls.from_result(
            result,
            ax=ax,
            confidence=confidence,
            fit_law=fit_law,
            score_name=score_name,
            **(plot_kw or {}),
        )


class ScalingCurveDisplay(_FromEstimatorMixin):
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
        ax = _axes(ax, type(self).__name__)
        sizes = _check_1d(self.source_sizes, "source_sizes")
        scores = _check_trials(self.scores, "scores", sizes.shape)
        level = f"{self.confidence:.0%}"

        band = _band_settings(self, n_bootstrap, random_state, fill_between_kw)
        label = f"Transfer, mean ({level} CI)"
        line_kw = {"marker": "o", "color": "C0", "label": label, **(line_kw or {})}
        mean, patch = _band(ax, sizes, scores, line_kw["color"], **band)
        self.fill_between_ = [patch] if patch is not None else []
        (self.mean_line_,) = ax.plot(sizes, mean, **line_kw)
        self.lines_ = [self.mean_line_]

        self.law_line_ = None
        if self.power_law is not None:
            grid = np.geomspace(sizes.min(), sizes.max(), 200)
            label = self.power_law.equation(latex=True, name=self.score_name)
            law_kw = {"linestyle": "--", "color": "C3", "label": label, **(law_kw or {})}
            (self.law_line_,) = ax.plot(grid, self.power_law.predict(grid), **law_kw)
            self.lines_.append(self.law_line_)
            if show_law_band:
                low, high = self.power_law.predict_interval(grid)
                self.fill_between_.append(
                    ax.fill_between(grid, low, high, color=law_kw["color"], alpha=0.12, linewidth=0)
                )

        self.baseline_line_ = None
        if self.baseline_scores is not None:
            self.baseline_line_ = self._plot_baseline(ax, band, baseline_kw)
            self.lines_.append(self.baseline_line_)

        _finish(ax, _SOURCE_LABEL, f"{self.score_name} on experimental test data", len(self.lines_))
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def _plot_baseline(self, ax, band, baseline_kw):
        baseline = np.asarray(self.baseline_scores, dtype=float).ravel()
        mean, low, high = bootstrap_mean_interval(
            baseline,
            confidence=band["confidence"],
            n_bootstrap=band["n_bootstrap"],
            random_state=band["random_state"],
        )
        kw = {
            "color": "0.3",
            "linestyle": ":",
            "label": f"Direct learning (no simulation): {mean:.3g}",
            **(baseline_kw or {}),
        }
        line = ax.axhline(mean, **kw)
        if np.isfinite(low):
            band_kw = {"color": kw["color"], "alpha": 0.12, "linewidth": 0}
            band_kw.update(band["fill_between_kw"] or {})
            self.fill_between_.append(ax.axhspan(low, high, **band_kw))
        return line

    @classmethod
    def from_result(
        cls, result, *, ax=None, confidence=0.9, fit_law=True, score_name="MAE", **plot_kw
    ):
        """Plot a scaling-curve result.

        Parameters
        ----------
        result : scaling-curve result
            Any object with ``source_sizes``, ``scores`` and
            ``baseline_scores`` (may be None), and ``fit_power_law`` when
            ``fit_law`` is True.

        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.

        confidence : float, default=0.9
            Coverage of the bands and of the law's intervals.

        fit_law : bool, default=True
            Whether to fit (``result.fit_power_law``) and draw the law.

        score_name : str, default="MAE"
            Name of the error.

        **plot_kw
            Further keyword arguments of :meth:`plot`.

        Returns
        -------
        display : ScalingCurveDisplay
        """
        law = result.fit_power_law(confidence=confidence) if fit_law else None
        display = cls(
            source_sizes=result.source_sizes,
            scores=result.scores,
            baseline_scores=getattr(result, "baseline_scores", None),
            power_law=law,
            score_name=score_name,
            confidence=confidence,
        )
        return display.plot(ax=ax, **plot_kw)


class GroupScalingCurveDisplay(_FromEstimatorMixin):
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
        ax = _axes(ax, type(self).__name__)
        sizes = _check_1d(self.source_sizes, "source_sizes")
        if not isinstance(self.group_scores, dict) or not self.group_scores:
            raise ValueError("group_scores must be a non-empty dict {group name: scores}.")
        laws = self.power_laws or {}
        colors = _palette(len(self.group_scores), ordered=False)
        band = _band_settings(self, n_bootstrap, random_state, fill_between_kw)
        self.lines_, self.fill_between_, self.group_lines_ = [], [], {}
        markers = "osD^vP*Xph<>"  # with many groups, hue alone is not enough
        for i, ((name, scores), color) in enumerate(zip(self.group_scores.items(), colors)):
            scores = _check_trials(scores, f"group_scores[{name!r}]", sizes.shape)
            if show_band:
                mean, patch = _band(ax, sizes, scores, color, **band)
                if patch is not None:
                    self.fill_between_.append(patch)
            else:
                mean = _mean_over_trials(scores)
            label = str(name)
            if name in laws:
                label += rf" ($\alpha$ = {laws[name].alpha_:.2g}, $C$ = {laws[name].C_:.2g})"
            kw = {
                "marker": markers[i % len(markers)],
                "markersize": 4,
                "color": color,
                "label": label,
                **(line_kw or {}),
            }
            (self.group_lines_[name],) = ax.plot(sizes, mean, **kw)
            self.lines_.append(self.group_lines_[name])
        grid = np.geomspace(sizes.min(), sizes.max(), 200)
        for name, color in zip(self.group_scores, colors):
            if name in laws:
                kw = {"linestyle": "--", "linewidth": 1, "color": color, **(law_kw or {})}
                self.lines_.extend(ax.plot(grid, laws[name].predict(grid), **kw))
        self.baseline_line_ = None
        if self.group_baseline_scores is not None:
            for i, (name, color) in enumerate(zip(self.group_scores, colors)):
                if name not in self.group_baseline_scores:
                    continue
                level = _nanmean_or_nan(self.group_baseline_scores[name])
                first = self.baseline_line_ is None
                label = "Direct learning, per group (dotted)" if first else None
                kw = {"color": color, "linestyle": ":", "linewidth": 1, "label": label}
                kw.update(baseline_kw or {})
                line = ax.axhline(level, **kw)
                self.baseline_line_ = self.baseline_line_ or line
                self.lines_.append(line)
        elif self.baseline_scores is not None:
            mean = _nanmean_or_nan(self.baseline_scores)
            kw = {"color": "0.3", "linestyle": ":", "label": f"Direct learning: {mean:.3g}"}
            kw.update(baseline_kw or {})
            self.baseline_line_ = ax.axhline(mean, **kw)
            self.lines_.append(self.baseline_line_)
        n_entries = len(self.group_lines_) + (self.baseline_line_ is not None)
        _finish(ax, _SOURCE_LABEL, f"{self.score_name} on experimental test data", n_entries)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_result(
        cls,
        result,
        *,
        ax=None,
        confidence=0.9,
        fit_law=False,
        per_group_baseline=False,
        score_name="MAE",
        **plot_kw,
    ):
        """Plot the per-group curves of a scaling-curve result.

        Parameters
        ----------
        result : scaling-curve result
            Any object with ``source_sizes``, ``group_scores`` (a dict) and
            ``baseline_scores``.

        ax : matplotlib Axes, default=None
            Axes to draw on.

        confidence : float, default=0.9
            Coverage of the bands and laws.

        fit_law : bool, default=False
            Whether to fit a :class:`~sim2real_sklearn.PowerLaw`
            per group (off by default: per-group curves are noisier, and
            each fit may warn), with ``n_bootstrap`` refits when given in
            ``plot_kw``.

        per_group_baseline : bool, default=False
            Whether to draw direct learning per group
            (``result.group_baseline_scores``) instead of one overall line.

        score_name : str, default="MAE"
            Name of the error.

        **plot_kw
            Further keyword arguments of :meth:`plot`.

        Returns
        -------
        display : GroupScalingCurveDisplay
        """
        group_scores = getattr(result, "group_scores", None)
        if group_scores is None:
            raise ValueError(
                "result has no group_scores: run the scaling curve with groups of "
                "test materials to get one curve per group."
            )
        laws = None
        if fit_law:
            n_bootstrap = plot_kw.get("n_bootstrap", 1000)
            laws = {
                name: PowerLaw(confidence=confidence, n_bootstrap=n_bootstrap, random_state=0).fit(
                    result.source_sizes, scores
                )
                for name, scores in group_scores.items()
            }
        display = cls(
            source_sizes=result.source_sizes,
            group_scores=group_scores,
            baseline_scores=getattr(result, "baseline_scores", None),
            group_baseline_scores=(
                getattr(result, "group_baseline_scores", None) if per_group_baseline else None
            ),
            power_laws=laws,
            score_name=score_name,
            confidence=confidence,
        )
        return display.plot(ax=ax, **plot_kw)


class GridScalingCurveDisplay(_FromEstimatorMixin):
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
        ax = _axes(ax, type(self).__name__)
        n = _check_1d(self.source_sizes, "source_sizes")
        m = _check_1d(self.target_sizes, "target_sizes")
        scores = _check_trials(self.grid_scores, "grid_scores", (n.size, m.size))
        baseline = None
        if self.grid_baseline_scores is not None:
            baseline = _check_trials(self.grid_baseline_scores, "grid_baseline_scores", (m.size,))
        if versus == "target":
            # One line per computed size: iterate over the first axis.
            x, lines_over, scores = m, n, scores
            x_label, line_name = _TARGET_LABEL, "n"
        else:
            x, lines_over, scores = n, m, np.swapaxes(scores, 0, 1)
            x_label, line_name = _SOURCE_LABEL, "m"

        colors = _palette(len(lines_over))
        band = _band_settings(self, n_bootstrap, random_state, fill_between_kw)
        self.lines_, self.fill_between_, self.curve_lines_ = [], [], []
        for size, curve, color in zip(lines_over, scores, colors):
            if show_band:
                mean, patch = _band(ax, x, curve, color, **band)
                if patch is not None:
                    self.fill_between_.append(patch)
            else:
                mean = _mean_over_trials(curve)
            label = f"${line_name}$ = {size:g}"
            kw = {"marker": "o", "markersize": 4, "color": color, "label": label}
            kw.update(line_kw or {})
            self.curve_lines_.extend(ax.plot(x, mean, **kw))
        self.lines_.extend(self.curve_lines_)
        n_entries = len(self.curve_lines_)

        if self.two_way_law is not None:
            n_entries += self._plot_law(ax, x, lines_over, versus, colors, law_kw)
        if baseline is not None:
            n_entries += self._plot_baseline(ax, baseline, m, versus, colors, band, baseline_kw)
        _finish(ax, x_label, f"{self.score_name} on experimental test data", n_entries)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def _plot_law(self, ax, x, lines_over, versus, colors, law_kw):
        grid = np.geomspace(x.min(), x.max(), 200)
        label = self.two_way_law.equation(latex=True, name=self.score_name)
        for i, (size, color) in enumerate(zip(lines_over, colors)):
            n, m = (grid, size) if versus == "source" else (size, grid)
            kw = {"linestyle": "--", "linewidth": 1, "color": color}
            kw["label"] = label if i == 0 else None
            kw.update(law_kw or {})
            self.lines_.extend(ax.plot(grid, self.two_way_law.predict(n, m), **kw))
        return 1

    def _plot_baseline(self, ax, baseline, m, versus, colors, band, baseline_kw):
        if versus == "source":
            # Direct learning does not depend on n: a dotted level per m.
            means = _mean_over_trials(baseline)
            for i, (level, color) in enumerate(zip(means, colors)):
                label = "Direct learning (dotted)" if i == 0 else None
                kw = {"color": color, "linestyle": ":", "label": label, **(baseline_kw or {})}
                self.lines_.append(ax.axhline(level, **kw))
            return 1
        kw = {
            "color": "0.2",
            "linestyle": ":",
            "marker": "s",
            "markersize": 4,
            "label": "Direct learning (no simulation)",
            **(baseline_kw or {}),
        }
        mean, patch = _band(ax, m, baseline, kw["color"], **band)
        if patch is not None:
            self.fill_between_.append(patch)
        self.lines_.extend(ax.plot(m, mean, **kw))
        return 1

    @classmethod
    def from_result(
        cls, result, *, ax=None, confidence=0.9, fit_law=True, score_name="MAE", **plot_kw
    ):
        """Plot the two-way grid of a scaling-curve result.

        Parameters
        ----------
        result : scaling-curve result
            Any object with ``source_sizes``, ``target_sizes``,
            ``grid_scores`` and ``grid_baseline_scores`` (may be None).

        ax : matplotlib Axes, default=None
            Axes to draw on.

        confidence : float, default=0.9
            Coverage of the bands and of the law's intervals.

        fit_law : bool, default=True
            Whether to fit and draw a
            :class:`~sim2real_sklearn.TwoWayPowerLaw`.

        score_name : str, default="MAE"
            Name of the error.

        **plot_kw
            Further keyword arguments of :meth:`plot` (e.g. ``versus``);
            ``n_bootstrap`` also sets the refits of the law.

        Returns
        -------
        display : GridScalingCurveDisplay
        """
        missing = [a for a in ("grid_scores", "target_sizes") if getattr(result, a, None) is None]
        if missing:
            raise ValueError(
                "result has no grid_scores: run the scaling curve over several "
                "experimental training sizes (target sizes) to get a two-way grid."
            )
        law = None
        if fit_law:
            law = TwoWayPowerLaw(
                confidence=confidence, n_bootstrap=plot_kw.get("n_bootstrap", 1000), random_state=0
            ).fit(
                result.source_sizes, result.target_sizes, result.grid_scores
            )
        display = cls(
            source_sizes=result.source_sizes,
            target_sizes=result.target_sizes,
            grid_scores=result.grid_scores,
            grid_baseline_scores=getattr(result, "grid_baseline_scores", None),
            two_way_law=law,
            score_name=score_name,
            confidence=confidence,
        )
        return display.plot(ax=ax, **plot_kw)
