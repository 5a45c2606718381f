"""How the error on experimental data falls as the simulation database grows.

:func:`scaling_curve` is :func:`sklearn.model_selection.learning_curve` for
Sim2Real transfer: the axis is the number of *simulation* (source) rows used
for pretraining, every point is scored on held-out *experimental* rows, and
the direct-learning baseline (no source) is measured on the same splits.
:class:`ScalingCurve` runs the same study as a meta-estimator.

Protocol of one trial (Minami et al., npj Comput. Mater. 11, 146, 2025):
a random split of the experimental data, a random permutation of the
simulation data whose prefixes give nested subsets for every size, one fit
per size (pretrain and fine-tune), the error on the experimental test part.
"""

import copy
import json
import numbers
import os
import sys
import tempfile
import time
import traceback
import warnings
from contextlib import contextmanager
from itertools import islice

import joblib
import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import ShuffleSplit, check_cv
from sklearn.utils import _safe_indexing, get_tags
from sklearn import config_context
from sklearn.utils.metadata_routing import get_routing_for_object
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _num_samples, check_is_fitted

from ._result import ScalingCurveResult
from .._validation import unwrap_source

__all__ = ["scaling_curve", "ScalingCurve"]

# Fractions of the available source, log-spaced: a scaling law is read on
# log-log axes, so evenly spaced decades matter more than even steps.
DEFAULT_SOURCE_SIZES = (0.01, 0.03, 0.1, 0.3, 1.0)

_FIT_PARAMS = ("X_source", "y_source")


def scaling_curve(
    estimator,
    X_sim,
    y_sim,
    X_exp,
    y_exp,
    *,
    source_sizes=DEFAULT_SOURCE_SIZES,
    n_trials=None,
    test_size=0.2,
    cv=None,
    target_sizes=None,
    source_groups=None,
    target_groups=None,
    score_groups=None,
    scoring=None,
    error_score=np.nan,
    return_times=False,
    n_jobs=None,
    pre_dispatch="2*n_jobs",
    verbose=0,
    random_state=None,
    checkpoint_dir=None,
):
    """Experimental error against the number of simulation rows used.

    For each trial the experimental data are split once into train and test
    parts and the simulation data are permuted once; the first ``n`` rows of
    that permutation pretrain the estimator for source size ``n`` (so the
    subsets are nested within a trial), it is fine-tuned on the experimental
    train part and scored on the test part. The direct-learning baseline
    (the same estimator fitted without source) uses the same split and the
    same seed.

    Each fit runs in its own joblib job on a clone of ``estimator``, inside
    ``sklearn.config_context(enable_metadata_routing=True)`` so that a
    :class:`~sklearn.pipeline.Pipeline` (with ``transform_input=["X_source"]``)
    or a :class:`~sklearn.model_selection.GridSearchCV` routes the source to
    the regressor. The source is always passed as 1-tuples
    ``fit(X, y, X_source=(Xs,), y_source=(ys,))`` so no cross-validation tool
    inside the estimator slices it. Every parameter named ``random_state``
    (at any depth) is set to the trial's seed; seeds are derived per trial
    from ``random_state`` with :class:`numpy.random.SeedSequence`, so the
    numbers do not depend on ``n_jobs`` or on the joblib backend (a Dask
    cluster through ``joblib.parallel_config(backend="dask")`` gives the same
    result as one core).

    Parameters
    ----------
    estimator : estimator object
        Regressor whose ``fit`` accepts ``X_source`` and ``y_source`` (e.g.
        :class:`~sim2real_sklearn.Sim2RealRegressor`, a pipeline
        ending with it, or a ``GridSearchCV`` of either, tuned in every
        trial). It is cloned for each fit.
    X_sim : array-like, list of str or DataFrame of shape (n_source, ...)
        Simulation (source) inputs: features, SMILES strings, ... Rows are
        taken with :func:`sklearn.utils._safe_indexing` inside each job, so
        a large array is memory-mapped to the workers, not copied per job.
    y_sim : array-like of shape (n_source,) or (n_source, n_properties)
        Simulation targets.
    X_exp : array-like, list of str or DataFrame of shape (n_target, ...)
        Experimental (target) inputs.
    y_exp : array-like of shape (n_target,)
        Experimental targets.
    source_sizes : array-like of int or float, default=(0.01, 0.03, 0.1, 0.3, 1.0)
        Numbers of source rows to pretrain on. Floats are fractions of the
        source available in every trial (all of it, minus the largest number
        of rows the leakage guard drops in any trial) and must lie in
        (0, 1]; ints must lie in [1, available]. Duplicates after conversion
        are removed with a warning. The baseline (size 0) is always computed
        and reported apart (``baseline_scores``).
    n_trials : int, default=None
        Number of independent trials (random splits). None means 10, or the
        number of splits of ``cv`` when ``cv`` is given.
    test_size : float or int, default=0.2
        Experimental test part of each trial: a fraction in (0, 1) or a
        number of rows. Ignored when ``cv`` is given.
    cv : int, cross-validation splitter or iterable, default=None
        Splits of the experimental data, one per trial (the first
        ``n_trials`` are used), e.g. ``GroupShuffleSplit`` with
        ``target_groups`` as its groups. A splitter whose ``random_state`` is
        None is given one derived from ``random_state`` (on a copy) so that
        the run is reproducible.
    target_sizes : array-like of int or float, default=None
        Numbers of experimental training rows (ints, or fractions of the
        smallest train part over the trials) for a two-way grid: nested
        prefixes of a per-trial permutation of the train part. The baseline
        is then computed for each target size too. None uses the whole train
        part.
    source_groups : array-like of shape (n_source,), default=None
        Group of each simulation row (e.g. the polymer or the
        polymer-solvent pair). With ``target_groups``, a trial drops the
        source rows whose group occurs in its experimental test part before
        taking prefixes (leakage guard; counts in ``n_source_dropped``).
    target_groups : array-like of shape (n_target,), default=None
        Group of each experimental row, for the leakage guard and as the
        ``groups`` of ``cv``. Given without ``source_groups``, it only groups
        the splits (e.g. the reference chi protocol, whose source keeps the
        computed chi of the test pairs: no experimental label leaks).
    score_groups : array-like of shape (n_target,), default=None
        Labels (e.g. 11 polymer classes) by which the test error is also
        reported, each group with its own curve (``group_scores``). Rows
        without a label (None or NaN) count in the whole test error only.
    scoring : str or callable, default=None
        Scorer name or callable ``scorer(estimator, X, y)``. None means the
        mean absolute error. Scores of ``neg_*`` scorers (and of scorers made
        with ``greater_is_better=False``) are stored as positive errors.
    error_score : "raise" or float, default=np.nan
        Value of a cell whose fit or scoring fails; one
        :class:`~sklearn.exceptions.FitFailedWarning` counts the failures,
        names the cells and quotes the first error (a network whose loss
        turns NaN raises :class:`~sim2real_sklearn.TrainingDivergedError`
        and fails its cell the same way). If every fit fails, the baseline
        too, a ``ValueError`` is raised instead. "raise" re-raises.
    return_times : bool, default=False
        Record fit and score times (``fit_times``, ``score_times``).
    n_jobs : int, default=None
        Number of joblib jobs, one per (size, trial[, target size]) cell.
        Inside parallel jobs torch (if the estimator imported it) is limited
        to one thread, restored afterwards.
    pre_dispatch : int or str, default="2*n_jobs"
        Jobs dispatched ahead, as in :class:`joblib.Parallel`.
    verbose : int, default=0
        1 prints progress lines on stderr (about every tenth of the cells),
        2 prints a line per cell.
    random_state : int, RandomState instance or None, default=None
        Root of every seed. None draws fresh entropy; the value used is
        stored in the result's ``random_state`` so the run can be repeated.
    checkpoint_dir : str or path-like, default=None
        Directory in which every finished cell is written to its own file
        (atomically), under a sub-directory named by a hash of the estimator
        parameters, the data, ``random_state`` and the protocol. Re-running
        the same study (e.g. after the process was killed) computes only the
        missing cells and gives the result of an uninterrupted run; a changed
        study never reads stale cells. Failed cells are not stored, so they
        are retried. Adding trials or sizes reuses the existing cells.

    Returns
    -------
    result : :class:`~sim2real_sklearn.ScalingCurveResult`
        ``source_sizes`` (n_sizes,), ``scores`` (n_sizes, n_trials),
        ``baseline_scores`` (n_trials,), grid and group scores when asked,
        ``fit_power_law()``, ``to_frame()``, ``save(path)``.

    See Also
    --------
    ScalingCurve : The same study as a meta-estimator.
    sklearn.model_selection.learning_curve : The experimental-size analogue.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator, RegressorMixin
    >>> from sklearn.linear_model import Ridge
    >>> from sim2real_sklearn import scaling_curve
    >>> class ResidualRidge(RegressorMixin, BaseEstimator):
    ...     __metadata_request__fit = {"X_source": True, "y_source": True}
    ...     def fit(self, X, y, X_source=None, y_source=None):
    ...         self.source_ = Ridge().fit(X_source[0], y_source[0]) if X_source else None
    ...         self.target_ = Ridge().fit(X, y - self._prior(X))
    ...         return self
    ...     def _prior(self, X):
    ...         return 0 if self.source_ is None else self.source_.predict(X)
    ...     def predict(self, X):
    ...         return self._prior(X) + self.target_.predict(X)
    >>> rng = np.random.default_rng(0)
    >>> X_sim = rng.normal(size=(400, 5)); y_sim = X_sim @ np.arange(5.0)
    >>> X_exp = rng.normal(size=(30, 5)); y_exp = X_exp @ np.arange(5.0) + 1
    >>> result = scaling_curve(ResidualRidge(), X_sim, y_sim, X_exp, y_exp,
    ...                        source_sizes=[10, 100, 400], n_trials=4,
    ...                        random_state=0)
    >>> result.scores.shape, result.baseline_scores.shape
    ((3, 4), (4,))
    >>> bool(result.scores[-1].mean() < result.baseline_scores.mean())
    True
    """
    X_sim, y_sim = unwrap_source(X_sim, "X_sim"), unwrap_source(y_sim, "y_sim")
    data = _check_data(X_sim, y_sim, X_exp, y_exp, source_groups, target_groups,
                       score_groups)
    _check_estimator_takes_source(estimator)
    _check_values(X_sim, y_sim, X_exp, y_exp, estimator)
    _check_error_score(error_score)
    n_trials = _check_n_trials(n_trials, cv, data["target_groups"])
    entropy = _root_entropy(random_state)
    scorer = check_scoring(estimator, scoring=scoring or "neg_mean_absolute_error")
    # A scorer's sign is -1 for errors ("neg_*"); multiplying by it stores them
    # as positive errors, which is what a power law of the error needs.
    sign = getattr(scorer, "_sign", 1)
    trials = _draw_trials(data, n_trials, test_size, cv, entropy)
    n_available = data["n_source"] - max(t["n_dropped"] for t in trials)
    if n_available < 1:
        raise ValueError(
            "The leakage guard leaves no source rows in some trial: every "
            "source_groups label occurs in an experimental test part."
        )
    sizes = _translate_sizes(source_sizes, n_available, "source_sizes",
                             "available source rows")
    n_train_min = min(len(t["train"]) for t in trials)
    tsizes = None if target_sizes is None else _translate_sizes(
        target_sizes, n_train_min, "target_sizes", "rows in the smallest train part")
    labels = _group_labels(data["score_groups"])

    cells = [
        (s, t, k)
        for k in range(n_trials)
        for t in range(1 if tsizes is None else len(tsizes))
        for s in range(len(sizes) + 1)  # s == 0: the baseline
    ]
    store = _CellStore.open(checkpoint_dir, estimator, data, entropy, test_size,
                            cv, scoring, tsizes is not None)
    done = {c: store.read(_cell_name(c, sizes, tsizes)) for c in cells}
    done = {c: v for c, v in done.items() if v is not None}
    todo = [c for c in cells if c not in done]
    if verbose:
        _say(f"{len(sizes)} source sizes {sizes.tolist()} x {n_trials} trials"
             + ("" if tsizes is None else f" x target sizes {tsizes.tolist()}")
             + f": {len(cells)} fits, {len(done)} read from the checkpoint.")

    parallel = Parallel(n_jobs=n_jobs, pre_dispatch=pre_dispatch,
                        return_as="generator")
    one_thread = joblib.effective_n_jobs(n_jobs) != 1
    jobs = (
        delayed(_fit_and_score_cell)(
            clone(estimator), X_sim, y_sim, X_exp, y_exp,
            source_groups=data["source_groups"],
            trial=trials[k],
            n_source=0 if s == 0 else int(sizes[s - 1]),
            n_target=None if tsizes is None else int(tsizes[t]),
            scorer=scorer, sign=sign,
            score_groups=data["score_groups"], labels=labels,
            error_score=error_score, one_thread=one_thread,
            checkpoint=store.path(_cell_name((s, t, k), sizes, tsizes)),
        )
        for s, t, k in todo
    )
    start = time.perf_counter()
    for i, (cell, out) in enumerate(zip(todo, parallel(jobs)), 1):
        done[cell] = out
        if verbose:
            _report_progress(verbose, i, len(todo), cell, sizes, out, start)

    _warn_failures(done, cells, sizes, tsizes, error_score)
    return _assemble(done, sizes, tsizes, trials, labels, entropy, scorer, scoring,
                     sign, return_times, estimator, test_size, cv, len(cells) - len(todo))


# -- validation ----------------------------------------------------------


def _check_data(X_sim, y_sim, X_exp, y_exp, source_groups, target_groups, score_groups):
    """Check that paired arguments have matching lengths; return them as a dict."""
    n_source, n_target = _num_samples(X_sim), _num_samples(X_exp)
    for name, n, minimum in (("X_sim", n_source, 1), ("X_exp", n_target, 2)):
        if n < minimum:
            raise ValueError(f"{name} has {n} rows; a scaling curve needs at least {minimum}.")
    pairs = [
        ("y_sim", y_sim, "X_sim", n_source),
        ("y_exp", y_exp, "X_exp", n_target),
        ("source_groups", source_groups, "X_sim", n_source),
        ("target_groups", target_groups, "X_exp", n_target),
        ("score_groups", score_groups, "X_exp", n_target),
    ]
    for name, value, ref, n in pairs:
        if value is not None and _num_samples(value) != n:
            raise ValueError(
                f"{name} has {_num_samples(value)} rows but {ref} has {n}; "
                "they must describe the same rows."
            )
    # target_groups alone only groups the splits of ``cv`` (no leakage guard);
    # source_groups alone would guard nothing, so it is an error.
    if source_groups is not None and target_groups is None:
        raise ValueError(
            "source_groups needs target_groups: the leakage guard drops the "
            "source rows whose group is in a trial's experimental test part."
        )
    as_array = lambda v: None if v is None else np.asarray(v)  # noqa: E731
    return {
        "n_source": n_source,
        "n_target": n_target,
        "source_groups": as_array(source_groups),
        "target_groups": as_array(target_groups),
        "score_groups": as_array(score_groups),
        "fingerprint_parts": (X_sim, y_sim, X_exp, y_exp, source_groups,
                              target_groups, score_groups),
    }


def _check_values(X_sim, y_sim, X_exp, y_exp, estimator):
    """Refuse non-numeric or non-finite targets, and non-finite numeric features.

    Checked here, on the user's arrays, so that a message names the user's
    row: inside a cell the estimator only sees a permuted subset, and one bad
    row would fail every cell that draws it. Features that are not numbers
    (SMILES, formulas) are the estimator's to check; NaN in numeric features
    is allowed when the estimator says it handles it (``allow_nan`` tag, e.g.
    a pipeline starting with an imputer).
    """
    for name, y in (("y_sim", y_sim), ("y_exp", y_exp)):
        try:
            values = np.asarray(y, dtype=float)
        except (TypeError, ValueError):
            row, value = _first_non_number(y)
            raise ValueError(f"{name} must hold numbers; row {row} holds {value!r}.") from None
        if values.ndim not in (1, 2):
            raise ValueError(f"{name} must be 1-D (or 2-D for several properties); "
                             f"got shape {values.shape}.")
        _refuse_non_finite(values, name, allow_nan=False)
    allow_nan = get_tags(estimator).input_tags.allow_nan
    for name, X in (("X_sim", X_sim), ("X_exp", X_exp)):
        if _is_numeric(X):
            _refuse_non_finite(np.asarray(X, dtype=float), name, allow_nan)


def _is_numeric(X):
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None:
        return all(np.issubdtype(d, np.number) for d in np.atleast_1d(np.asarray(dtypes, object)))
    return isinstance(X, np.ndarray) and X.dtype.kind in "biuf"


def _first_non_number(values):
    cells = np.asarray(values, dtype=object)
    for index in np.ndindex(cells.shape):
        try:
            float(cells[index])
        except (TypeError, ValueError):
            return index[0], cells[index]
    return None, None  # pragma: no cover - only called after a failed conversion


def _refuse_non_finite(values, name, allow_nan, chunk=1 << 16):
    """Raise naming the first row with NaN (unless allowed) or infinity; chunked for big arrays."""
    for start in range(0, len(values), chunk):
        block = values[start:start + chunk]
        bad = np.isinf(block) if allow_nan else ~np.isfinite(block)
        if bad.any():
            rows = np.flatnonzero(bad.reshape(len(block), -1).any(axis=1))
            row = start + int(rows[0])
            value = float(np.asarray(values[row]).ravel()[bad[rows[0]].ravel()][0])
            raise ValueError(
                f"{name} contains {value} at row {row}: every row must be finite "
                "(drop or impute it first)."
            )


def _group_labels(score_groups):
    """Distinct labels of score_groups; rows without a label (None, NaN) join none."""
    if score_groups is None:
        return None
    import pandas as pd

    labelled = score_groups[~pd.isna(score_groups)]
    try:
        return np.unique(labelled)
    except TypeError as exc:
        raise ValueError(
            f"score_groups labels must be all strings or all numbers; got "
            f"{sorted({type(v).__name__ for v in labelled})}."
        ) from exc


def _check_estimator_takes_source(estimator):
    with config_context(enable_metadata_routing=True):
        consumed = get_routing_for_object(estimator).consumes("fit", _FIT_PARAMS)
    if set(consumed) != set(_FIT_PARAMS):
        raise ValueError(
            f"estimator {type(estimator).__name__} does not request X_source and "
            "y_source in fit, so it cannot pretrain on simulation data. Use "
            "Sim2RealRegressor (or a pipeline ending with it), or call "
            ".set_fit_request(X_source=True, y_source=True) on your regressor."
        )


def _check_error_score(error_score):
    if not (isinstance(error_score, numbers.Number) or error_score == "raise"):
        raise ValueError(
            f"error_score must be 'raise' or a number; got {error_score!r}."
        )


def _check_n_trials(n_trials, cv, groups):
    if n_trials is None:
        return 10 if cv is None else check_cv(cv).get_n_splits(groups=groups)
    if not isinstance(n_trials, numbers.Integral) or isinstance(n_trials, bool) \
            or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer; got {n_trials!r}.")
    return int(n_trials)


def _translate_sizes(sizes, n_max, name, what):
    """Absolute sizes from ints or fractions, as learning_curve's helper does."""
    sizes = np.asarray(sizes)
    if sizes.ndim != 1 or sizes.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D list of sizes; got {sizes!r}.")
    if np.issubdtype(sizes.dtype, np.floating):
        if sizes.min() <= 0 or sizes.max() > 1:
            raise ValueError(
                f"{name} has been interpreted as fractions of the {n_max} {what} "
                f"and must be within (0, 1], but is within "
                f"[{sizes.min()}, {sizes.max()}]. The baseline (no source) is "
                "always computed; do not list 0."
            )
        absolute = np.clip((sizes * n_max).astype(int), 1, n_max)
    elif np.issubdtype(sizes.dtype, np.integer):
        if sizes.min() <= 0 or sizes.max() > n_max:
            raise ValueError(
                f"{name} has been interpreted as absolute numbers of rows and "
                f"must be within [1, {n_max}] ({n_max} {what}), but is within "
                f"[{sizes.min()}, {sizes.max()}]. The baseline (no source) is "
                "always computed; do not list 0."
            )
        absolute = sizes.astype(int)
    else:
        raise ValueError(f"{name} must hold ints or floats; got dtype {sizes.dtype}.")
    unique = np.unique(absolute)
    if unique.size < absolute.size:
        warnings.warn(
            f"Removed duplicate entries from {name}: {unique.size} sizes instead "
            f"of {absolute.size} ({unique.tolist()}).",
            RuntimeWarning,
            stacklevel=3,
        )
    return unique


# -- seeds and splits -----------------------------------------------------


def _root_entropy(random_state):
    """An int that seeds everything, recorded in the result."""
    if random_state is None:
        return int(np.random.SeedSequence().entropy % 2**63)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, numbers.Integral) and random_state >= 0:
        return int(random_state)
    raise ValueError(
        f"random_state must be None, a non-negative int or a RandomState; got "
        f"{random_state!r}."
    )


def _trial_seeds(entropy, k):
    """Seeds of trial k: split, source order, target order, estimator.

    ``SeedSequence(entropy, spawn_key=(k,))`` is the k-th child that
    ``SeedSequence(entropy).spawn`` would give: independent streams, and
    trial k's seeds do not depend on how many trials are run.
    """
    state = np.random.SeedSequence(entropy, spawn_key=(k,)).generate_state(4)
    return [int(s) for s in state]


def _draw_trials(data, n_trials, test_size, cv, entropy):
    """Per trial: train/test rows, seeds, test groups and dropped-source count."""
    if cv is None:
        splits = []
        for k in range(n_trials):
            splitter = ShuffleSplit(1, test_size=test_size,
                                    random_state=_trial_seeds(entropy, k)[0])
            splits.append(next(splitter.split(np.zeros(data["n_target"]))))
    else:
        splits = _user_splits(cv, data, n_trials, entropy)
    trials = []
    for k, (train, test) in enumerate(splits):
        trial = {"index": k, "train": np.asarray(train), "test": np.asarray(test),
                 "seeds": _trial_seeds(entropy, k), "test_groups": None, "n_dropped": 0}
        if data["source_groups"] is not None:
            trial["test_groups"] = np.unique(data["target_groups"][trial["test"]])
            trial["n_dropped"] = int(
                np.isin(data["source_groups"], trial["test_groups"]).sum())
        trials.append(trial)
    return trials


def _user_splits(cv, data, n_trials, entropy):
    cv = check_cv(cv)
    if getattr(cv, "random_state", 0) is None and getattr(cv, "shuffle", True):
        # Copy: the user's splitter stays untouched; a None seed would make
        # the study unrepeatable.
        cv = copy.deepcopy(cv)
        cv.random_state = int(np.random.SeedSequence(entropy).generate_state(1)[0])
    X_dummy = np.zeros(data["n_target"])
    splits = list(islice(cv.split(X_dummy, groups=data["target_groups"]), n_trials))
    if len(splits) < n_trials:
        raise ValueError(
            f"cv yields {len(splits)} splits but n_trials={n_trials}; pass "
            "n_trials=None or a splitter with more splits."
        )
    return splits


# -- one cell ---------------------------------------------------------------


def _fit_and_score_cell(estimator, X_sim, y_sim, X_exp, y_exp, *, source_groups,
                        trial, n_source, n_target, scorer, sign, score_groups,
                        labels, error_score, one_thread, checkpoint):
    """Fit one (size, trial[, target size]) cell and score it on the test part."""
    _, seed_source, seed_target, seed_estimator = trial["seeds"]  # split: drawn already
    train, test = trial["train"], trial["test"]
    if n_target is not None:
        train = np.random.default_rng(seed_target).permutation(train)[:n_target]
    _seed_estimator(estimator, seed_estimator)
    fit_params = {}
    if n_source:
        rows = _source_rows(len(y_sim), seed_source, source_groups,
                            trial["test_groups"])[:n_source]
        fit_params = {"X_source": (_safe_indexing(X_sim, rows),),
                      "y_source": (_safe_indexing(y_sim, rows),)}
    X_test, y_test = _safe_indexing(X_exp, test), _safe_indexing(y_exp, test)
    out = {"error": float(error_score) if error_score != "raise" else np.nan,
           "fit_time": np.nan, "score_time": np.nan, "fit_error": None,
           "group_errors": None if labels is None else [np.nan] * len(labels)}
    start = time.perf_counter()
    try:
        with _one_torch_thread(one_thread), \
                config_context(enable_metadata_routing=True):
            estimator.fit(_safe_indexing(X_exp, train), _safe_indexing(y_exp, train),
                          **fit_params)
            out["fit_time"] = time.perf_counter() - start
            out["error"] = sign * float(scorer(estimator, X_test, y_test))
            if labels is not None:
                out["group_errors"] = _group_errors(estimator, X_test, y_test,
                                                    score_groups[test], labels,
                                                    scorer, sign)
            out["score_time"] = time.perf_counter() - start - out["fit_time"]
    except Exception as exc:
        if error_score == "raise":
            raise
        out["fit_error"] = "".join(traceback.format_exception_only(type(exc), exc))
        return out
    if checkpoint is not None:
        _write_atomically(checkpoint, out)
    return out


def _source_rows(n_source, seed, source_groups, test_groups):
    """The trial's source order; nested subsets are its prefixes.

    Rows are dropped after permuting so the order of the kept rows is the
    same whatever the leakage guard removes.
    """
    order = np.random.default_rng(seed).permutation(n_source)
    if test_groups is not None:
        order = order[~np.isin(source_groups[order], test_groups)]
    return order


def _group_errors(estimator, X_test, y_test, groups, labels, scorer, sign):
    errors = []
    for label in labels:
        rows = np.flatnonzero(groups == label)
        errors.append(np.nan if rows.size == 0 else sign * float(
            scorer(estimator, _safe_indexing(X_test, rows), _safe_indexing(y_test, rows))))
    return errors


def _seed_estimator(estimator, seed):
    """Give every ``random_state`` parameter, at any depth, the trial's seed."""
    names = [k for k in estimator.get_params(deep=True)
             if k == "random_state" or k.endswith("__random_state")]
    estimator.set_params(**dict.fromkeys(names, seed))


@contextmanager
def _one_torch_thread(active):
    """One torch thread per parallel worker (no oversubscription), then restore.

    torch is only looked up, never imported: an estimator that uses torch has
    imported it when it was unpickled in the worker, and importing torch for a
    non-torch estimator would cost seconds per worker.
    """
    torch = sys.modules.get("torch") if active else None
    if torch is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# -- checkpoints --------------------------------------------------------------


class _CellStore:
    """One JSON file per finished cell, under a directory named by the study.

    One file per cell, written by the job that computed it, means parallel
    workers never share a file (skorch#819) and a killed run loses at most
    the cells in flight.
    """

    def __init__(self, directory):
        self.directory = directory

    @classmethod
    def open(cls, checkpoint_dir, estimator, data, entropy, test_size, cv, scoring,
             gridded):
        if checkpoint_dir is None:
            return cls(None)
        # Sizes and n_trials are left out: a cell's numbers depend only on its
        # own (size, trial, target size), so extending a study reuses cells.
        key = joblib.hash([
            _params_token(estimator),
            joblib.hash(data["fingerprint_parts"]),
            entropy,
            _token(test_size) if cv is None else _token(cv),
            _token(scoring),
            gridded,
        ])
        directory = os.path.join(os.fspath(checkpoint_dir), f"study-{key[:16]}")
        os.makedirs(directory, exist_ok=True)
        return cls(directory)

    def path(self, name):
        return None if self.directory is None else os.path.join(self.directory, name)

    def read(self, name):
        path = self.path(name)
        if path is None or not os.path.exists(path):
            return None
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None  # unreadable: compute the cell again


def _cell_name(cell, sizes, tsizes):
    s, t, k = cell
    n_source = 0 if s == 0 else int(sizes[s - 1])
    n_target = "all" if tsizes is None else int(tsizes[t])
    return f"source-{n_source}_target-{n_target}_trial-{k}.json"


def _write_atomically(path, payload):
    """Write to a temporary file then rename: a reader never sees half a cell."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(payload, f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _params_token(estimator):
    params = estimator.get_params(deep=True)
    return [type(estimator).__qualname__] + [
        (k, _token(params[k])) for k in sorted(params)
    ]


def _token(value):
    """A stable token of a parameter value, across processes."""
    if isinstance(value, BaseEstimator):
        # Its parameters are listed separately by get_params(deep=True).
        return f"{type(value).__module__}.{type(value).__qualname__}"
    try:
        return joblib.hash(value)
    except Exception:  # lambdas and other unpicklable callables
        code = getattr(value, "__code__", None)
        if code is not None:
            return f"{value.__module__}.{value.__qualname__}:{joblib.hash(code.co_code)}"
        return repr(value)


# -- reporting and assembly ----------------------------------------------------


def _say(message):
    print(f"[scaling_curve] {message}", file=sys.stderr, flush=True)


def _report_progress(verbose, i, n, cell, sizes, out, start):
    if verbose < 2 and i != n and i % max(1, n // 10):
        return
    s, _, k = cell
    size = 0 if s == 0 else int(sizes[s - 1])
    _say(f"{i}/{n} fits done (source {size}, trial {k}: error {out['error']:.4g}); "
         f"{time.perf_counter() - start:.1f}s elapsed")


def _warn_failures(done, cells, sizes, tsizes, error_score):
    failed = [c for c in cells if done[c]["fit_error"] is not None]
    if not failed:
        return
    if len(failed) == len(cells):
        # As scikit-learn's cross_validate: a curve of nothing but error_score is
        # a misconfiguration, not a result.
        raise ValueError(
            f"All {len(cells)} fits failed, the baseline too, so there is no curve. "
            "Set error_score='raise' to debug. First error:\n"
            f"{done[failed[0]]['fit_error']}"
        )
    names = []
    for s, t, k in failed[:10]:
        name = f"source {0 if s == 0 else int(sizes[s - 1])}, trial {k}"
        names.append(name if tsizes is None else f"{name}, target {int(tsizes[t])}")
    more = "" if len(failed) <= 10 else f" and {len(failed) - 10} more"
    warnings.warn(
        f"{len(failed)} of {len(cells)} fits failed and were scored "
        f"{error_score}: ({'), ('.join(names)}){more}. First error:\n"
        f"{done[failed[0]]['fit_error']}",
        FitFailedWarning,
        stacklevel=3,
    )


def _assemble(done, sizes, tsizes, trials, labels, entropy, scorer, scoring, sign,
              return_times, estimator, test_size, cv, n_reused):
    shape = (len(sizes) + 1, 1 if tsizes is None else len(tsizes), len(trials))
    arrays = {name: np.full(shape, np.nan) for name in ("errors", "fit_times",
                                                         "score_times")}
    group_errors = None if labels is None else np.full((len(labels),) + shape, np.nan)
    for (s, t, k), out in done.items():
        arrays["errors"][s, t, k] = out["error"]
        arrays["fit_times"][s, t, k] = out["fit_time"]
        arrays["score_times"][s, t, k] = out["score_time"]
        if labels is not None:
            group_errors[:, s, t, k] = out["group_errors"]
    name = scoring if isinstance(scoring, str) or scoring is None else repr(scoring)
    params = {
        "estimator": repr(estimator),
        "n_trials": len(trials),
        "test_size": None if cv is not None else test_size,
        "cv": None if cv is None else repr(cv),
        "leakage_guard": trials[0]["test_groups"] is not None,
    }
    return ScalingCurveResult(
        source_sizes=sizes, target_sizes=tsizes, errors=arrays["errors"],
        fit_times=arrays["fit_times"] if return_times else None,
        score_times=arrays["score_times"] if return_times else None,
        groups=labels, group_errors=group_errors,
        n_source_dropped=[t["n_dropped"] for t in trials],
        n_target_train=[len(t["train"]) for t in trials],
        random_state=entropy, scoring=name or "neg_mean_absolute_error",
        greater_is_better=sign > 0, params=params, n_reused_cells=n_reused,
    )


# -- meta-estimator ------------------------------------------------------------


class ScalingCurve(MetaEstimatorMixin, RegressorMixin, BaseEstimator):
    """Fit a regressor with its scaling curve and power law, as one estimator.

    ``fit(X, y, X_source=..., y_source=...)`` runs :func:`scaling_curve`
    (every option below means what it means there), fits the power law to
    the curve, then refits ``estimator`` on all the experimental data with
    all the source; ``predict`` uses that refitted model. ``X, y`` are the
    experimental data, like everywhere in scikit-learn.

    Parameters
    ----------
    estimator : estimator object
        Regressor taking ``X_source`` and ``y_source`` in ``fit``.
    source_sizes, n_trials, test_size, cv, target_sizes, scoring, \
error_score, return_times, n_jobs, pre_dispatch, verbose, random_state, \
checkpoint_dir
        See :func:`scaling_curve`.
    confidence : float, default=0.9
        Confidence level of the power law's bootstrap intervals.

    Attributes
    ----------
    curve_ : ScalingCurveResult
        The scaling curve.
    power_law_ : PowerLaw or None
        The fitted law; None (with a warning) if it cannot be fitted (fewer
        than 2 source sizes, failed fits, power_law module unavailable).
    estimator_ : estimator object
        ``estimator`` refitted on all experimental rows and all source rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator, RegressorMixin
    >>> from sklearn.linear_model import Ridge
    >>> from sim2real_sklearn import ScalingCurve
    >>> class ResidualRidge(RegressorMixin, BaseEstimator):
    ...     __metadata_request__fit = {"X_source": True, "y_source": True}
    ...     def fit(self, X, y, X_source=None, y_source=None):
    ...         self.source_ = Ridge().fit(X_source[0], y_source[0]) if X_source else None
    ...         self.target_ = Ridge().fit(X, y - self._prior(X))
    ...         return self
    ...     def _prior(self, X):
    ...         return 0 if self.source_ is None else self.source_.predict(X)
    ...     def predict(self, X):
    ...         return self._prior(X) + self.target_.predict(X)
    >>> rng = np.random.default_rng(0)
    >>> X_sim = rng.normal(size=(400, 5)); y_sim = X_sim @ np.arange(5.0)
    >>> X_exp = rng.normal(size=(30, 5)); y_exp = X_exp @ np.arange(5.0) + 1
    >>> model = ScalingCurve(ResidualRidge(), source_sizes=[10, 30, 100, 400],
    ...                      n_trials=4, random_state=0)
    >>> model = model.fit(X_exp, y_exp, X_source=X_sim, y_source=y_sim)
    >>> model.curve_.scores.shape
    (4, 4)
    >>> model.predict(X_exp[:2]).shape
    (2,)
    """

    __metadata_request__fit = {
        "X_source": True, "y_source": True, "source_groups": True,
        "target_groups": True, "score_groups": True,
    }

    def __init__(
        self,
        estimator,
        *,
        source_sizes=DEFAULT_SOURCE_SIZES,
        n_trials=None,
        test_size=0.2,
        cv=None,
        target_sizes=None,
        scoring=None,
        error_score=np.nan,
        return_times=False,
        n_jobs=None,
        pre_dispatch="2*n_jobs",
        verbose=0,
        random_state=None,
        checkpoint_dir=None,
        confidence=0.9,
    ):
        self.estimator = estimator
        self.source_sizes = source_sizes
        self.n_trials = n_trials
        self.test_size = test_size
        self.cv = cv
        self.target_sizes = target_sizes
        self.scoring = scoring
        self.error_score = error_score
        self.return_times = return_times
        self.n_jobs = n_jobs
        self.pre_dispatch = pre_dispatch
        self.verbose = verbose
        self.random_state = random_state
        self.checkpoint_dir = checkpoint_dir
        self.confidence = confidence

    def fit(self, X, y, X_source=None, y_source=None, *, source_groups=None,
            target_groups=None, score_groups=None):
        """Run the scaling curve, fit the power law, refit on all the data.

        Parameters
        ----------
        X : array-like, list of str or DataFrame of shape (n_target, ...)
            Experimental inputs.
        y : array-like of shape (n_target,)
            Experimental targets.
        X_source : array-like or 1-tuple of array-like of shape (n_source, ...)
            Simulation inputs (required).
        y_source : array-like or 1-tuple of array-like of shape (n_source,)
            Simulation targets (required).
        source_groups, target_groups, score_groups : array-like, default=None
            See :func:`scaling_curve`; ``source_groups`` may be a 1-tuple.

        Returns
        -------
        self : ScalingCurve
        """
        X_source = unwrap_source(X_source, "X_source")
        y_source = unwrap_source(y_source, "y_source")
        if X_source is None or y_source is None:
            raise ValueError(
                "ScalingCurve.fit needs the simulation data: pass X_source and "
                "y_source (the curve is the error against their size)."
            )
        self.curve_ = scaling_curve(
            self.estimator, X_source, y_source, X, y,
            source_sizes=self.source_sizes, n_trials=self.n_trials,
            test_size=self.test_size, cv=self.cv, target_sizes=self.target_sizes,
            source_groups=unwrap_source(source_groups, "source_groups"),
            target_groups=target_groups, score_groups=score_groups,
            scoring=self.scoring, error_score=self.error_score,
            return_times=self.return_times, n_jobs=self.n_jobs,
            pre_dispatch=self.pre_dispatch, verbose=self.verbose,
            random_state=self.random_state, checkpoint_dir=self.checkpoint_dir,
        )
        self.power_law_ = self._fit_power_law()
        self.estimator_ = clone(self.estimator)
        with config_context(enable_metadata_routing=True):
            self.estimator_.fit(X, y, X_source=(X_source,), y_source=(y_source,))
        return self

    def _fit_power_law(self):
        if np.count_nonzero(self.curve_.source_sizes > 0) < 2:
            warnings.warn("power_law_ is None: a power law needs at least 2 source "
                          "sizes.", UserWarning, stacklevel=3)
            return None
        try:
            return self.curve_.fit_power_law(confidence=self.confidence)
        except Exception as exc:  # any reason the law cannot be fitted
            warnings.warn(f"power_law_ is None: the power law could not be fitted "
                          f"({type(exc).__name__}: {exc}).", UserWarning, stacklevel=3)
            return None

    def predict(self, X):
        """Predict with ``estimator_``, the model refitted on all the data.

        Parameters
        ----------
        X : array-like, list of str or DataFrame of shape (n_samples, ...)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.estimator_.predict(X)
