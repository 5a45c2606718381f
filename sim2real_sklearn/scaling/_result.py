"""The result of a scaling-curve study: arrays, a tidy table, the power law.

:func:`~sim2real_sklearn.scaling_curve` returns a
:class:`ScalingCurveResult`. It holds plain NumPy arrays with documented
shapes (as :func:`sklearn.model_selection.learning_curve` does), turns them
into a tidy :class:`pandas.DataFrame`, fits the power law
``MAE(n) = D * n**(-alpha) + C`` and saves itself without pickle (one ``.npz``
file whose metadata is a JSON string), so a study run on a cluster can be
read back anywhere, by any version of the package.
"""

import json
import os

import numpy as np

# The format written by ``save``; bump it when the layout changes.
_FORMAT_VERSION = 1

# What a law fitted to a study's scores is a law of: the error each scorer
# measures, as a person writes it in an equation and on an axis.
_ERROR_NAMES = {
    "neg_mean_absolute_error": "MAE",
    "neg_root_mean_squared_error": "RMSE",
    "neg_mean_squared_error": "MSE",
    "neg_median_absolute_error": "MedAE",
    "neg_mean_absolute_percentage_error": "MAPE",
    "neg_mean_squared_log_error": "MSLE",
    "neg_root_mean_squared_log_error": "RMSLE",
    "neg_max_error": "max error",
    "max_error": "max error",
    "neg_mean_poisson_deviance": "Poisson deviance",
    "neg_mean_gamma_deviance": "gamma deviance",
}


def error_name(scoring):
    """The error a scorer measures, as written in an equation: ``'RMSE'``, ``'MAE'``.

    Parameters
    ----------
    scoring : str
        A scorer name (``result.scoring``) or the repr of a scorer object.

    Returns
    -------
    name : str
        A short name for the known error scorers, the name without its
        ``neg_`` prefix for other ``neg_*`` names, ``'error'`` otherwise.

    Examples
    --------
    >>> error_name("neg_root_mean_squared_error")
    'RMSE'
    >>> error_name("neg_mean_pinball_loss")
    'mean pinball loss'
    >>> error_name("make_scorer(my_loss, greater_is_better=False)")
    'error'
    """
    if scoring in _ERROR_NAMES:
        return _ERROR_NAMES[scoring]
    if isinstance(scoring, str) and scoring.startswith("neg_") and scoring[4:].isidentifier():
        return scoring[4:].replace("_", " ")
    return "error"


class ScalingCurveResult:
    """Errors on experimental data for every simulation-data size and trial.

    Built by :func:`~sim2real_sklearn.scaling_curve`; read by
    :class:`~sim2real_sklearn.ScalingCurveDisplay`. Users seldom
    build one themselves.

    With the default scoring (MAE) every score is a positive error. A scorer
    whose name starts with ``neg_`` (or made with
    ``make_scorer(..., greater_is_better=False)``) is stored with its sign
    flipped, as a positive error; other scorers (``"r2"``) are stored as they
    are and ``greater_is_better`` is then True.

    Parameters
    ----------
    source_sizes : array-like of int of shape (n_sizes,)
        Numbers of simulation (source) rows used for pretraining.
    target_sizes : array-like of int of shape (n_target_sizes,) or None
        Numbers of experimental training rows when the study was run on a
        grid; None when every trial used its whole experimental train part.
    errors : ndarray of shape (n_sizes + 1, n_target_sizes, n_trials)
        Scores; row 0 is the direct-learning baseline (no source), rows
        ``1:`` follow ``source_sizes``. ``n_target_sizes`` is 1 without grid.
    fit_times, score_times : ndarray of the shape of ``errors`` or None
        Seconds spent fitting and scoring each cell (None unless the study
        was run with ``return_times=True``).
    groups : array-like of shape (n_groups,) or None
        Labels of the test-row groups scored separately (``score_groups``).
    group_errors : ndarray of shape (n_groups, n_sizes + 1, \
            n_target_sizes, n_trials) or None
        Scores restricted to the test rows of each group (NaN when a trial
        has no test row of that group).
    n_source_dropped : array-like of int of shape (n_trials,)
        Source rows each trial removed because their group is in the
        trial's experimental test part (leakage guard).
    n_target_train : array-like of int of shape (n_trials,)
        Size of each trial's experimental train part.
    random_state : int
        Entropy of the root seed: the same value reproduces every number.
    scoring : str
        Name (or repr) of the scorer.
    greater_is_better : bool
        Whether the stored scores grow with quality (False for errors).
    params : dict
        What was run (estimator, protocol), JSON-serialisable.
    n_reused_cells : int, default=0
        Cells read back from a checkpoint directory instead of computed.
    strategies : array-like of str of the shape of ``errors``, default=None
        The strategy each cell's model was trained with (its ``strategy_``,
        e.g. what ``strategy="auto"`` chose); "" where the model has none.

    Attributes
    ----------
    source_sizes : ndarray of shape (n_sizes,)
    target_sizes : ndarray of shape (n_target_sizes,) or None
    scores : ndarray of shape (n_sizes, n_trials)
        Error of the transferred model for each source size and trial (at
        the largest target size on a grid).
    baseline_scores : ndarray of shape (n_trials,)
        Error of direct learning (no source) on the same splits with the same
        estimator seeds.
    fit_times, score_times : ndarray of shape (n_sizes, n_trials) or None
    baseline_fit_times, baseline_score_times : ndarray of shape (n_trials,) \
            or None
    grid_scores : ndarray of shape (n_sizes, n_target_sizes, n_trials) or None
    grid_baseline_scores : ndarray of shape (n_target_sizes, n_trials) or None
    group_scores : dict of label -> ndarray of shape (n_sizes, n_trials) or None
    group_baseline_scores : dict of label -> ndarray of shape (n_trials,) \
            or None
    n_source_dropped : ndarray of shape (n_trials,)
    n_target_train : ndarray of shape (n_trials,)
    n_trials : int
    random_state : int
    scoring : str
    greater_is_better : bool
    params : dict
    n_reused_cells : int
    strategies : ndarray of str of shape (n_sizes, n_trials) or None
        The strategy each transfer model was trained with, trial by trial.
    score_name : str
        The error the scores measure, as laws and plots write it (``"MAE"``,
        ``"RMSE"``; see :func:`error_name`).
    scaling_detected_ : bool
        Whether the error falls with the source size in the measured range,
        at the 90% level (:meth:`detect_scaling` for another level).
    scaling_p_value_ : float
        The one-sided p-value of that test.

    Examples
    --------
    >>> import numpy as np
    >>> from sim2real_sklearn import ScalingCurveResult
    >>> errors = np.array([[[0.9, 1.1]], [[0.5, 0.6]], [[0.3, 0.35]]])
    >>> result = ScalingCurveResult(
    ...     source_sizes=[100, 1000], target_sizes=None, errors=errors,
    ...     n_source_dropped=[0, 0], n_target_train=[40, 40], random_state=0)
    >>> result.scores.mean(axis=1)
    array([0.55 , 0.325])
    >>> result.baseline_scores
    array([0.9, 1.1])
    >>> result.to_frame().shape
    (6, 7)
    """

    def __init__(
        self,
        *,
        source_sizes,
        target_sizes,
        errors,
        n_source_dropped,
        n_target_train,
        random_state,
        fit_times=None,
        score_times=None,
        groups=None,
        group_errors=None,
        scoring="neg_mean_absolute_error",
        greater_is_better=False,
        params=None,
        n_reused_cells=0,
        strategies=None,
    ):
        self.source_sizes = np.asarray(source_sizes, dtype=int)
        self.target_sizes = (
            None if target_sizes is None else np.asarray(target_sizes, dtype=int)
        )
        self._errors = np.asarray(errors, dtype=float)
        n_sizes = self.source_sizes.shape[0]
        if self._errors.ndim != 3 or self._errors.shape[0] != n_sizes + 1:
            raise ValueError(
                "errors must have shape (n_sizes + 1, n_target_sizes, n_trials) "
                f"= ({n_sizes + 1}, ., .); got {self._errors.shape}."
            )
        self._fit_times = None if fit_times is None else np.asarray(fit_times, float)
        self._score_times = (
            None if score_times is None else np.asarray(score_times, float)
        )
        self._groups = None if groups is None else np.asarray(groups)
        self._group_errors = (
            None if group_errors is None else np.asarray(group_errors, float)
        )
        self.n_source_dropped = np.asarray(n_source_dropped, dtype=int)
        self.n_target_train = np.asarray(n_target_train, dtype=int)
        self.random_state = int(random_state)
        self.scoring = scoring
        self.greater_is_better = bool(greater_is_better)
        self.params = {} if params is None else dict(params)
        self.n_reused_cells = int(n_reused_cells)
        self._strategies = None if strategies is None else np.asarray(
            [[[value or "" for value in row] for row in block] for block in strategies],
            dtype=object).reshape(self._errors.shape)
        self._set_views()

    def _set_views(self):
        """Expose the public arrays as views of the full cell arrays."""
        err = self._errors
        # Without a grid the one target column is "the whole train part";
        # on a grid the headline curve is the one at the largest target size.
        self.scores = err[1:, -1, :]
        self.baseline_scores = err[0, -1, :]
        self.n_trials = err.shape[2]
        gridded = self.target_sizes is not None
        self.grid_scores = err[1:] if gridded else None
        self.grid_baseline_scores = err[0] if gridded else None
        for name in ("fit_times", "score_times"):
            full = getattr(self, "_" + name)
            setattr(self, name, None if full is None else full[1:, -1, :])
            setattr(self, "baseline_" + name, None if full is None else full[0, -1])
        # The strategy each transfer model was trained with ("" where unknown):
        # what strategy="auto" chose, trial by trial.
        self.strategies = None if self._strategies is None else self._strategies[1:, -1, :]
        if self._groups is None:
            self.group_scores = self.group_baseline_scores = None
        else:
            labels = [_json_scalar(g) for g in self._groups]
            self.group_scores = {
                g: self._group_errors[i, 1:, -1, :] for i, g in enumerate(labels)
            }
            self.group_baseline_scores = {
                g: self._group_errors[i, 0, -1, :] for i, g in enumerate(labels)
            }

    def __repr__(self):
        sizes = ", ".join(str(s) for s in self.source_sizes)
        return (
            f"ScalingCurveResult(source_sizes=[{sizes}], n_trials={self.n_trials}, "
            f"scoring={self.scoring!r})"
        )

    def _repr_html_(self):
        """A compact table for Jupyter: each size's mean error and spread, the law if it holds.

        The law line appears only when a quick fit (200 bootstrap refits)
        raises no warning and the package would give planning answers from
        it; otherwise the line says why there is none. Every text is escaped.
        """
        from ._notebook import result_html

        return result_html(self)

    @property
    def score_name(self):
        return error_name(self.scoring)

    def detect_scaling(self, confidence=0.9):
        """Test whether the transfer error falls as the source grows.

        :func:`~sim2real_sklearn.scaling.detect_scaling` on the scores at the
        source sizes above 0: one slope of log error on log size per trial
        (the subsets of a trial are nested, its split the same at every
        size), a one-sided t-test on their mean.

        Parameters
        ----------
        confidence : float, default=0.9
            Coverage of the interval of the mean slope.

        Returns
        -------
        test : Bunch
            ``detected``, ``error_rises``, ``slope``, ``slope_interval``,
            ``p_value``, ``change_per_decade``, ... (see
            :func:`~sim2real_sklearn.scaling.detect_scaling`).

        Examples
        --------
        >>> import numpy as np
        >>> sizes = np.array([100, 300, 1000, 3000])
        >>> noise = np.exp(np.random.default_rng(0).normal(0, 0.1, (4, 10)))
        >>> errors = np.concatenate([np.full((1, 10), 0.9), (sizes ** -0.3)[:, None] * noise])
        >>> result = ScalingCurveResult(source_sizes=sizes, target_sizes=None,
        ...                             errors=errors[:, None, :], n_source_dropped=[0] * 10,
        ...                             n_target_train=[40] * 10, random_state=0)
        >>> test = result.detect_scaling()
        >>> bool(test.detected), round(test.change_per_decade, 1)  # about 10**-0.3 - 1
        (True, -0.5)
        >>> result.scaling_detected_
        True
        """
        from ._diagnostics import detect_scaling

        _check_scores_are_errors(self)
        positive = self.source_sizes > 0
        return detect_scaling(self.source_sizes[positive], self.scores[positive],
                              confidence=confidence)

    @property
    def scaling_detected_(self):
        return bool(self.detect_scaling().detected)

    @property
    def scaling_p_value_(self):
        return float(self.detect_scaling().p_value)

    def fit_power_law(self, confidence=0.9, **kwargs):
        """Fit ``score(n) = D * n**(-alpha) + C`` to the transfer scores.

        The fit uses every finished trial at every source size above 0; failed
        trials (NaN) are left out, with a ``PowerLawWarning`` that says how
        many (see the law's ``n_trials_used_`` and ``n_failed_trials_``). The
        baseline is not part of the law.

        Parameters
        ----------
        confidence : float, default=0.9
            Level of the bootstrap confidence intervals.
        **kwargs : dict
            Other parameters of
            :class:`~sim2real_sklearn.PowerLaw`
            (``n_bootstrap``, ...). ``random_state`` defaults to this
            result's ``random_state`` so the intervals are reproducible,
            ``score_name`` to the error the study measured (``score_name``).

        Returns
        -------
        power_law : PowerLaw
            The fitted law.

        Examples
        --------
        >>> import numpy as np
        >>> sizes = np.array([100, 300, 1000, 3000, 10000])
        >>> transfer = (2.0 * sizes ** -0.5 + 0.05)[:, None] * np.ones(8)
        >>> errors = np.concatenate([np.full((1, 8), 0.9), transfer])[:, None, :]
        >>> result = ScalingCurveResult(source_sizes=sizes, target_sizes=None, errors=errors,
        ...                             n_source_dropped=[0] * 8, n_target_train=[40] * 8,
        ...                             random_state=0)
        >>> law = result.fit_power_law(n_bootstrap=50)
        >>> round(law.alpha_, 2), round(law.C_, 2)  # scaling strength, transfer gap
        (0.5, 0.05)
        """
        from ._power_law import PowerLaw

        _check_scores_are_errors(self)
        _law_defaults(self, kwargs)
        positive = self.source_sizes > 0
        return PowerLaw(confidence=confidence, **kwargs).fit(
            self.source_sizes[positive], self.scores[positive]
        )

    def fit_baseline_law(self, confidence=0.9, **kwargs):
        """Fit the direct-learning error against the experimental training size ``m``.

        The law ``score(m) = D * m**(-alpha) + C`` of learning from
        experiments alone, which :meth:`PowerLaw.equivalent_sample_size`
        needs to say how many experiments the simulation data are worth.
        It needs the two-way grid: run :func:`scaling_curve` with
        ``target_sizes=`` (at least 3 sizes).

        Parameters
        ----------
        confidence : float, default=0.9
        **kwargs : dict
            Other parameters of :class:`~sim2real_sklearn.PowerLaw`.

        Returns
        -------
        power_law : PowerLaw

        Examples
        --------
        >>> import numpy as np
        >>> m = np.array([20, 40, 80, 160])
        >>> baseline = 2.0 * m ** -0.5 + 0.05
        >>> transfer = np.stack([baseline * 0.8, baseline * 0.6])  # sources of 100, 1000 rows
        >>> errors = np.concatenate([baseline[None], transfer])[..., None] * np.ones(6)
        >>> result = ScalingCurveResult(source_sizes=[100, 1000], target_sizes=m, errors=errors,
        ...                             n_source_dropped=[0] * 6, n_target_train=[160] * 6,
        ...                             random_state=0)
        >>> law = result.fit_baseline_law(n_bootstrap=50)
        >>> round(law.alpha_, 2), round(law.C_, 2)
        (0.5, 0.05)
        """
        from ._power_law import PowerLaw

        if self.target_sizes is None or self.grid_baseline_scores is None:
            raise ValueError(
                "fit_baseline_law needs the direct-learning error at several experimental "
                "sizes: run scaling_curve with target_sizes=[...]."
            )
        _check_scores_are_errors(self)
        _law_defaults(self, kwargs)
        return PowerLaw(confidence=confidence, **kwargs).fit(
            self.target_sizes, self.grid_baseline_scores
        )

    def fit_group_laws(self, confidence=0.9, **kwargs):
        """Fit ``score(n) = D * n**(-alpha) + C`` to each group's transfer scores.

        One :class:`~sim2real_sklearn.PowerLaw` per group of test materials
        (``score_groups`` of the study), fitted as :meth:`fit_power_law`
        fits the whole test part: source sizes above 0, failed trials left
        out. Per-group curves are noisier; each fit may warn.

        Parameters
        ----------
        confidence : float, default=0.9
            Level of the bootstrap confidence intervals.
        **kwargs : dict
            Other parameters of :class:`~sim2real_sklearn.PowerLaw`
            (``n_bootstrap``, ...). ``random_state`` defaults to this
            result's ``random_state`` so the intervals are reproducible.

        Returns
        -------
        power_laws : dict of label -> PowerLaw
            In the order of ``group_scores``.

        Examples
        --------
        >>> import numpy as np
        >>> sizes = np.array([100, 300, 1000, 3000, 10000])
        >>> curve = lambda gap: np.concatenate([[0.9], 2.0 * sizes ** -0.5 + gap])
        >>> group_errors = np.stack([curve(0.05), curve(0.2)])[:, :, None, None] * np.ones(8)
        >>> result = ScalingCurveResult(source_sizes=sizes, target_sizes=None,
        ...                             errors=group_errors.mean(axis=0),
        ...                             groups=["aromatic", "aliphatic"], group_errors=group_errors,
        ...                             n_source_dropped=[0] * 8, n_target_train=[40] * 8,
        ...                             random_state=0)
        >>> laws = result.fit_group_laws(n_bootstrap=50)
        >>> {group: round(law.C_, 2) for group, law in laws.items()}
        {'aromatic': 0.05, 'aliphatic': 0.2}
        """
        from ._power_law import PowerLaw

        if self.group_scores is None:
            raise ValueError(
                "fit_group_laws needs the error per group of test materials: run "
                "scaling_curve with score_groups=[...]."
            )
        _check_scores_are_errors(self)
        _law_defaults(self, kwargs)
        positive = self.source_sizes > 0
        return {
            group: PowerLaw(confidence=confidence, **kwargs).fit(
                self.source_sizes[positive], scores[positive]
            )
            for group, scores in self.group_scores.items()
        }

    def fit_two_way_law(self, confidence=0.9, **kwargs):
        """Fit ``L(n, m) = delta * (gamma + n**(-alpha)) * m**(-beta)`` to the two-way grid.

        The joint law of the source size ``n`` and the experimental training
        size ``m``, fitted to ``grid_scores`` (source sizes above 0; failed
        trials left out). It needs the grid: run :func:`scaling_curve` with
        ``target_sizes=``.

        Parameters
        ----------
        confidence : float, default=0.9
            Level of the bootstrap confidence intervals.
        **kwargs : dict
            Other parameters of :class:`~sim2real_sklearn.TwoWayPowerLaw`
            (``n_bootstrap``). ``random_state`` defaults to this result's
            ``random_state`` so the intervals are reproducible.

        Returns
        -------
        two_way_law : TwoWayPowerLaw
            The fitted law.

        Examples
        --------
        >>> import numpy as np
        >>> n, m = np.array([100, 300, 1000, 3000, 10000]), np.array([20, 50, 100, 200])
        >>> transfer = 2.0 * (0.1 + n[:, None] ** -0.5) * m[None, :] ** -0.3
        >>> errors = np.concatenate([m[None, :] ** -0.3, transfer])[..., None] * np.ones(6)
        >>> result = ScalingCurveResult(source_sizes=n, target_sizes=m, errors=errors,
        ...                             n_source_dropped=[0] * 6, n_target_train=[200] * 6,
        ...                             random_state=0)
        >>> law = result.fit_two_way_law(n_bootstrap=20)
        >>> round(law.alpha_, 2), round(law.beta_, 2)
        (0.5, 0.3)
        """
        from ._two_way_law import TwoWayPowerLaw

        if self.target_sizes is None or self.grid_scores is None:
            raise ValueError(
                "fit_two_way_law needs the error at several experimental sizes: run "
                "scaling_curve with target_sizes=[...]."
            )
        _check_scores_are_errors(self)
        _law_defaults(self, kwargs)
        positive = self.source_sizes > 0
        return TwoWayPowerLaw(confidence=confidence, **kwargs).fit(
            self.source_sizes[positive], self.target_sizes, self.grid_scores[positive]
        )

    def to_frame(self):
        """Return every cell as a tidy :class:`pandas.DataFrame`.

        One row per source size x trial (x target size on a grid), baseline
        rows included (``source_size`` 0, ``is_baseline`` True), plus, when
        ``score_groups`` were given, one row per group for each of them
        (``group`` is None on the rows that score the whole test part).

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``source_size``, ``trial``, ``target_size``, ``group``,
            ``error``, ``is_baseline``, ``n_source_dropped``, and
            ``fit_time``, ``score_time`` when times were recorded.
            ``target_size`` is the trial's whole train-part size without a
            grid.
        """
        import pandas as pd

        n_src, n_tgt, n_trials = self._errors.shape
        sizes = np.concatenate([[0], self.source_sizes])
        src_i, tgt_i, trial = (
            a.ravel() for a in np.indices((n_src, n_tgt, n_trials))
        )
        if self.target_sizes is None:
            target_size = self.n_target_train[trial]
        else:
            target_size = self.target_sizes[tgt_i]
        base = {
            "source_size": sizes[src_i],
            "trial": trial,
            "target_size": target_size,
            "is_baseline": src_i == 0,
            "n_source_dropped": self.n_source_dropped[trial],
        }
        if self._fit_times is not None:
            base["fit_time"] = self._fit_times.ravel()
            base["score_time"] = self._score_times.ravel()
        if self._strategies is not None:
            base["strategy"] = self._strategies.ravel()
        frames = [pd.DataFrame({**base, "group": None, "error": self._errors.ravel()})]
        if self._groups is not None:
            for i, label in enumerate(self._groups):
                frames.append(
                    pd.DataFrame(
                        {
                            **base,
                            "group": _json_scalar(label),
                            "error": self._group_errors[i].ravel(),
                        }
                    )
                )
        frame = pd.concat(frames, ignore_index=True)
        first = ["source_size", "trial", "target_size", "group", "error"]
        return frame[first + [c for c in frame.columns if c not in first]]

    def save(self, path):
        """Write the result to one ``.npz`` file, without pickle.

        Arrays are stored as NumPy arrays; everything else (sizes, group
        labels, parameters) as a JSON string inside the same file.

        Parameters
        ----------
        path : str or path-like
            Destination; ``.npz`` is appended by NumPy if missing.

        Returns
        -------
        path : str
            The file written.
        """
        meta = {
            "format_version": _FORMAT_VERSION,
            "source_sizes": self.source_sizes.tolist(),
            "target_sizes": (
                None if self.target_sizes is None else self.target_sizes.tolist()
            ),
            "groups": (
                None
                if self._groups is None
                else [_json_scalar(g) for g in self._groups]
            ),
            "n_source_dropped": self.n_source_dropped.tolist(),
            "n_target_train": self.n_target_train.tolist(),
            "random_state": self.random_state,
            "scoring": self.scoring,
            "greater_is_better": self.greater_is_better,
            "params": self.params,
            "n_reused_cells": self.n_reused_cells,
            "strategies": None if self._strategies is None else self._strategies.tolist(),
        }
        arrays = {"errors": self._errors, "meta_json": np.array(json.dumps(meta))}
        for name in ("fit_times", "score_times", "group_errors"):
            value = getattr(self, "_" + name)
            if value is not None:
                arrays[name] = value
        path = os.fspath(path)
        if not path.endswith(".npz"):
            path += ".npz"
        np.savez_compressed(path, **arrays)
        return path

    @classmethod
    def load(cls, path):
        """Read a result written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            File written by :meth:`save`.

        Returns
        -------
        result : ScalingCurveResult
        """
        with np.load(os.fspath(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta_json"]))
            arrays = {k: data[k] for k in data.files if k != "meta_json"}
        version = meta.pop("format_version")
        if version > _FORMAT_VERSION:
            raise ValueError(
                f"{path} was written in format {version}; this version of "
                f"sim2real_sklearn reads up to format {_FORMAT_VERSION}."
            )
        return cls(**meta, **arrays)


def _json_scalar(value):
    """A NumPy scalar as the plain Python value JSON and dict keys expect."""
    return value.item() if isinstance(value, np.generic) else value


def _law_defaults(result, kwargs):
    """A law fitted on a result is seeded by it and named after the error it measured."""
    kwargs.setdefault("random_state", result.random_state)
    scoring = getattr(result, "scoring", "neg_mean_absolute_error")
    kwargs.setdefault("score_name", error_name(scoring))
    return kwargs


def _check_scores_are_errors(result):
    """Laws are fitted to errors, which fall as data grow; refuse scores that grow instead."""
    if getattr(result, "greater_is_better", False):
        raise ValueError(
            f"The scores of this study ({result.scoring!r}) grow with quality, but a scaling "
            "law is fitted to an error that falls with more data. Run the study with an "
            "error scorer (scoring='neg_mean_absolute_error' or "
            "'neg_root_mean_squared_error'), or fit PowerLaw yourself on an error made "
            "from these scores, e.g. PowerLaw().fit(result.source_sizes, 1 - result.scores) "
            "for r2."
        )
