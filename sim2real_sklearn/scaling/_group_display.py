"""One scaling curve per group of test materials (e.g. per polymer class).

A display in scikit-learn's style, as :mod:`._display`'s; the drawing it
shares with the other displays is in :mod:`._plot`, and the groups' laws
come from the result's ``fit_group_laws``.
"""

import numpy as np

from ._plot import (
    _SOURCE_LABEL,
    _computed_sizes,
    _law_grid,
    _palette,
    _ScalingDisplay,
    _score_name,
)
from ._statistics import _check_errors, _check_sizes

__all__ = ["GroupScalingCurveDisplay"]

# With many groups, hue alone does not tell the lines apart.
_GROUP_MARKERS = "osD^vP*Xph<>"


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
