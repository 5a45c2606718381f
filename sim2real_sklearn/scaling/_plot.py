"""The drawing every scaling display shares, in the style of scikit-learn's ``_BaseCurveDisplay``.

A scaling plot is made of four things, whatever the display: mean errors
over trials drawn as lines over their bootstrap bands, fitted laws drawn
dashed, direct learning (no computed data) drawn as a level or a curve, and
log-log axes with ticks a person can read. :class:`_ScalingDisplay` draws
each of them once; the displays (:mod:`._display`, :mod:`._group_display`,
:mod:`._grid_display`) only say what to draw.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support

from ._statistics import _mean_over_trials, bootstrap_mean_interval

_SOURCE_LABEL = "Computed (simulation) samples $n$"
_TARGET_LABEL = "Experimental training samples $m$"
# Points of a law's line: smooth on a log axis over a few decades.
_N_LAW_POINTS = 200
# More legend entries than this go beside the axes, off the data.
_MAX_LEGEND_INSIDE = 6


@dataclass(frozen=True)
class _Band:
    """How a plot resamples and styles the bootstrap band of a mean over trials."""

    confidence: float
    n_bootstrap: int
    random_state: object
    fill_between_kw: dict = None

    def interval(self, scores):
        """``(mean, low, high)`` over the last axis (trials)."""
        return bootstrap_mean_interval(
            scores,
            confidence=self.confidence,
            n_bootstrap=self.n_bootstrap,
            random_state=self.random_state,
        )

    def style(self, color, alpha):
        """Keyword arguments of the band's patch; the user's ``fill_between_kw`` win."""
        return {"alpha": alpha, "color": color, "linewidth": 0, **(self.fill_between_kw or {})}


class _ScalingDisplay:
    """Base of the scaling displays: shared drawing, axes and ``from_estimator``.

    A subclass stores its numbers in ``__init__`` (with ``score_name`` and
    ``confidence``) and its ``plot`` draws in this order: :meth:`_start`,
    then :meth:`_plot_mean` per curve, :meth:`_plot_law` per law and
    :meth:`_plot_level` (or :meth:`_plot_mean`) per baseline, then
    :meth:`_finish`. Each step appends what it drew to ``lines_`` and
    ``fill_between_``, so those lists follow the drawing order.
    """

    @classmethod
    def _check_matplotlib(cls, method):
        # Before any work: from_estimator would otherwise run the whole study first.
        check_matplotlib_support(f"{cls.__name__}.{method}")

    def _start(self, ax, *, n_bootstrap, random_state, fill_between_kw):
        """Axes to draw on (a new figure when None), empty artist lists, the band settings."""
        self._check_matplotlib("plot")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        self.lines_, self.fill_between_ = [], []
        return ax, _Band(self.confidence, n_bootstrap, random_state, fill_between_kw)

    def _plot_mean(self, ax, x, scores, line_kw, *, band=None, band_color=None):
        """The mean over trials as a line, over its bootstrap band when ``band`` is given.

        The band takes ``band_color`` (default: the line's colour).
        """
        if band is None:
            mean = _mean_over_trials(scores)
        else:
            mean, low, high = band.interval(scores)
            if not np.all(np.isnan(low)):  # a single trial has no band
                color = line_kw["color"] if band_color is None else band_color
                self.fill_between_.append(ax.fill_between(x, low, high, **band.style(color, 0.2)))
        (line,) = ax.plot(x, mean, **line_kw)
        self.lines_.append(line)
        return line

    def _plot_law(self, ax, x, y, law_kw, *, interval=None):
        """A fitted law's line, over its bootstrap interval ``(low, high)`` when given."""
        (line,) = ax.plot(x, y, **law_kw)
        self.lines_.append(line)
        if interval is not None:
            low, high = interval
            self.fill_between_.append(
                ax.fill_between(x, low, high, color=law_kw["color"], alpha=0.12, linewidth=0)
            )
        return line

    def _plot_level(self, ax, scores, kw, user_kw=None, *, band=None):
        """Direct learning as a horizontal line at its mean error over trials.

        Direct learning uses no computed data, so against ``n`` it is a level.
        ``kw`` are the display's defaults; a ``{mean}`` field in their label
        is filled with the mean; ``user_kw`` override them. With ``band`` the
        level is drawn over its bootstrap band.
        """
        scores = np.ravel(np.asarray(scores, dtype=float))
        if band is None:
            mean = _mean_over_trials(scores)
        else:
            mean, low, high = band.interval(scores)
        label = kw.get("label")
        kw = {**kw, "label": label.format(mean=mean) if label else label, **(user_kw or {})}
        line = ax.axhline(mean, **kw)
        self.lines_.append(line)
        if band is not None and np.isfinite(low):
            self.fill_between_.append(ax.axhspan(low, high, **band.style(kw["color"], 0.12)))
        return line

    def _finish(self, ax, xlabel, n_entries):
        """Log-log axes, readable ticks, labels, light grid, legend off the data."""
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.autoscale_view()
        _label_log_axis(ax.xaxis, *ax.get_xlim())
        _label_log_axis(ax.yaxis, *ax.get_ylim())
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"{self.score_name} on experimental test data")
        ax.grid(True, which="major", alpha=0.3)
        if n_entries > _MAX_LEGEND_INSIDE:
            ax.legend(
                loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize="small"
            )
        else:
            ax.legend(loc="best", fontsize="small")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def _plot_residuals(self, ax, law, xlabel):
        """A panel under ``ax``: mean error over the law, in percent, with the mean's band.

        The x axis is shared (and labelled) below; the lack-of-fit p-value is
        written in the panel.
        """
        from mpl_toolkits.axes_grid1 import make_axes_locatable

        panel = make_axes_locatable(ax).append_axes("bottom", size="32%", pad=0.12, sharex=ax)
        fitted = law.predict(law.sizes_)
        relative = lambda v: 100 * (np.asarray(v) / fitted - 1)  # noqa: E731
        low, high = (relative(v) for v in law.mean_interval_)
        middle = relative(law.mean_)
        has_band = np.isfinite(low) & np.isfinite(high)
        yerr = np.where(has_band, [middle - low, high - middle], 0.0)
        panel.errorbar(law.sizes_, middle, yerr=yerr, fmt="o", color="C0", markersize=4,
                       capsize=2, linewidth=1)
        panel.axhline(0.0, color="C3", linestyle="--", linewidth=1)
        p = law.lack_of_fit_p_value_
        note = (f"lack of fit: p = {p:.2g}" if np.isfinite(p)
                else "lack of fit: not checked (too few sizes or trials)")
        panel.text(0.01, 0.95, note, transform=panel.transAxes, va="top", fontsize="small")
        panel.set_ylabel("mean / law - 1 (%)", fontsize="small")
        panel.set_xlabel(xlabel)
        panel.grid(True, which="major", alpha=0.3)
        ax.set_xlabel("")
        ax.tick_params(axis="x", which="both", labelbottom=False)
        return panel

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
        score_name=None,
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

        score_name : str, default=None
            Name of the error on the y axis and in the equation; None takes
            the study's (``"MAE"`` by default).

        plot_kw : dict, default=None
            Further keyword arguments of :meth:`plot`.

        **scaling_curve_kwargs
            Passed to :func:`~sim2real_sklearn.scaling_curve`
            (sizes, number of trials, ``n_jobs``, ``random_state``, ...).

        Returns
        -------
        display : the display class
        """
        cls._check_matplotlib("from_estimator")
        # Looked up when called: plotting a saved result needs none of the study's machinery.
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


def _law_grid(x):
    """Sizes at which a law's line is drawn: log-spaced over the measured ones."""
    return np.geomspace(x.min(), x.max(), _N_LAW_POINTS)


def _palette(n_colors, ordered=True):
    """Colours: a sequential map for ordered sizes, distinct hues for groups."""
    import matplotlib as mpl

    if not ordered:
        cmap = mpl.colormaps["tab10" if n_colors <= 10 else "tab20"]
        return [cmap(i % cmap.N) for i in range(n_colors)]
    # Stop before viridis' pale yellow end, which vanishes on white.
    return [mpl.colormaps["viridis"](v) for v in np.linspace(0.0, 0.85, n_colors)]


def _tick_label(value, _position=None):
    """Plain numbers (0.2, 500, 20000) where they stay short, 10^k beyond.

    Examples
    --------
    >>> _tick_label(0.2), _tick_label(20000), _tick_label(1e6), _tick_label(3e6)
    ('0.2', '20000', '$10^{6}$', '$3\\\\times10^{6}$')
    """
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


def _score_name(result, score_name):
    """The error on the axis and in the equations: the caller's, else what the study measured."""
    return score_name if score_name is not None else getattr(result, "score_name", "MAE")


def _computed_sizes(result):
    """Which of the result's source sizes go on a log axis: size 0 is the baseline."""
    return np.asarray(result.source_sizes) > 0
