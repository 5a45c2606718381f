"""One scaling study's protocol: what every fit shares, the trials, and the fit of one cell.

Words used throughout the scaling subpackage:

- a **study** is everything every fit shares: the user's data, how a fit is
  scored and what a failed fit scores (:class:`Study`);
- a **trial** is one random split of the experimental data with its own seeds
  and its own order of the simulation rows (:class:`Trial`);
- a **cell** is one fit: a trial at one source size (0 for the
  direct-learning baseline) and, on a two-way grid, one target size.

Seeds (Minami et al. 2025's protocol, reproducible whatever ``n_jobs``): one
root entropy per study; trial ``k`` gets four independent seeds from
``SeedSequence(entropy, spawn_key=(k,))`` (split, source order, target order,
estimator), so its numbers do not depend on how many trials are run.
"""

import copy
import numbers
import time
import traceback
import warnings
from dataclasses import dataclass
from itertools import islice

import numpy as np
from sklearn import config_context
from sklearn.base import clone
from sklearn.model_selection import ShuffleSplit, check_cv
from sklearn.utils import _safe_indexing

from .._torch_threads import torch_threads


@dataclass(frozen=True)
class Study:
    """What every cell of a study shares; sent once to each job.

    Large arrays inside are memory-mapped to joblib workers, not copied per job.

    Attributes
    ----------
    X_source, X_target : array-like, list of str or DataFrame
        The user's inputs (features, SMILES, ...), unchanged.
    y_source, y_target : ndarray of float
        The targets, checked and converted once.
    source_groups, target_groups, score_groups : ndarray or None
    score_labels : ndarray or None
        Distinct labels of ``score_groups`` scored separately.
    scorer : callable
        ``scorer(estimator, X, y)``.
    sign : int
        -1 for error scorers (``neg_*``): stored errors are positive.
    error_score : float or "raise"
    one_thread : bool
        Whether fits run in parallel jobs, each with one torch thread.
    pass_groups : bool
        Whether the estimator takes ``groups`` in ``fit`` (then each fit gets
        the target groups of its training rows, e.g. for the grouped inner
        validation of ``strategy="auto"``).
    params : dict
        The user's fit parameters (``scaling_curve(params=...)``), each as
        ``(alignment, value)``: ``"target"`` (one value per experimental row,
        sliced to a cell's training rows), ``"source"`` (a ``source_*``
        parameter with one value per simulation row, sliced to the cell's
        source rows) or ``"whole"`` (passed as it is).
    """

    X_source: object
    y_source: np.ndarray
    X_target: object
    y_target: np.ndarray
    source_groups: object = None
    target_groups: object = None
    score_groups: object = None
    score_labels: object = None
    scorer: object = None
    sign: int = 1
    error_score: object = np.nan
    one_thread: bool = False
    pass_groups: bool = False
    params: dict = None

    @property
    def n_source(self):
        return len(self.y_source)

    @property
    def n_target(self):
        return len(self.y_target)


@dataclass(frozen=True)
class Trial:
    """One random split of the experimental data, with its seeds.

    Attributes
    ----------
    index : int
    train, test : ndarray of int
        Experimental rows.
    seeds : tuple of int
        Split, source order, target order, estimator.
    test_groups : ndarray or None
        Groups in the test part, whose source rows the leakage guard drops.
    n_dropped : int
        Source rows dropped by the leakage guard.
    """

    index: int
    train: np.ndarray
    test: np.ndarray
    seeds: tuple
    test_groups: object = None
    n_dropped: int = 0


# -- sizes and labels -----------------------------------------------------------


def translate_sizes(sizes, n_max, name, what):
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


def score_labels(score_groups):
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


# -- seeds and trials -----------------------------------------------------------


def root_entropy(random_state):
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


def trial_seeds(entropy, k):
    """Seeds of trial k: split, source order, target order, estimator.

    ``SeedSequence(entropy, spawn_key=(k,))`` is the k-th child that
    ``SeedSequence(entropy).spawn`` would give: independent streams, and
    trial k's seeds do not depend on how many trials are run.

    Examples
    --------
    >>> trial_seeds(0, 3) == trial_seeds(0, 3) != trial_seeds(0, 4)
    True
    """
    state = np.random.SeedSequence(entropy, spawn_key=(k,)).generate_state(4)
    return tuple(int(s) for s in state)


def draw_trials(study, n_trials, test_size, cv, entropy):
    """The trials of a study: ``n_trials`` splits of the experimental rows."""
    if cv is None:
        splits = []
        for k in range(n_trials):
            splitter = ShuffleSplit(1, test_size=test_size, random_state=trial_seeds(entropy, k)[0])
            splits.append(next(splitter.split(np.zeros(study.n_target))))
    else:
        splits = _user_splits(cv, study, n_trials, entropy)
    trials = []
    for k, (train, test) in enumerate(splits):
        test_groups, n_dropped = None, 0
        if study.source_groups is not None:
            test_groups = np.unique(study.target_groups[test])
            n_dropped = int(np.isin(study.source_groups, test_groups).sum())
        trials.append(Trial(index=k, train=np.asarray(train), test=np.asarray(test),
                            seeds=trial_seeds(entropy, k), test_groups=test_groups,
                            n_dropped=n_dropped))
    return trials


def _user_splits(cv, study, n_trials, entropy):
    cv = check_cv(cv)
    if getattr(cv, "random_state", 0) is None and getattr(cv, "shuffle", True):
        # Copy: the user's splitter stays untouched; a None seed would make
        # the study unrepeatable.
        cv = copy.deepcopy(cv)
        cv.random_state = int(np.random.SeedSequence(entropy).generate_state(1)[0])
    X_dummy = np.zeros(study.n_target)
    splits = list(islice(cv.split(X_dummy, groups=study.target_groups), n_trials))
    if len(splits) < n_trials:
        raise ValueError(
            f"cv yields {len(splits)} splits but n_trials={n_trials}; pass "
            "n_trials=None or a splitter with more splits."
        )
    return splits


def source_rows(study, trial):
    """The trial's order of the source rows; nested subsets are its prefixes.

    Rows are dropped (leakage guard) after permuting, so the order of the
    kept rows is the same whatever the guard removes.
    """
    order = np.random.default_rng(trial.seeds[1]).permutation(study.n_source)
    if trial.test_groups is not None:
        order = order[~np.isin(study.source_groups[order], trial.test_groups)]
    return order


def seed_estimator(estimator, seed):
    """Give every ``random_state`` parameter, at any depth, the trial's seed."""
    names = [k for k in estimator.get_params(deep=True)
             if k == "random_state" or k.endswith("__random_state")]
    estimator.set_params(**dict.fromkeys(names, seed))


# -- one cell ---------------------------------------------------------------------


def cell_data(study, trial, n_source, n_target):
    """The rows of one cell: what its model is fitted on, and the test part it is scored on.

    Returns a dict with ``X``, ``y`` (the trial's training rows, or a prefix of
    their permutation on a two-way grid), ``X_source``, ``y_source`` (the
    first ``n_source`` rows of the trial's source order; None for the
    baseline), ``groups`` (their target groups when the estimator takes
    them), ``X_test``, ``y_test`` and ``test`` (the test rows).
    """
    train, test = trial.train, trial.test
    if n_target is not None:
        train = np.random.default_rng(trial.seeds[2]).permutation(train)[:n_target]
    data = {"X": _safe_indexing(study.X_target, train), "y": study.y_target[train],
            "X_source": None, "y_source": None, "groups": None,
            "X_test": _safe_indexing(study.X_target, test), "y_test": study.y_target[test],
            "test": test}
    if n_source:
        rows = source_rows(study, trial)[:n_source]
        data["X_source"] = _safe_indexing(study.X_source, rows)
        data["y_source"] = study.y_source[rows]
    if study.pass_groups and study.target_groups is not None:
        data["groups"] = study.target_groups[train]
    data["params"] = {}
    for name, (alignment, value) in (study.params or {}).items():
        if alignment == "target":
            data["params"][name] = _safe_indexing(value, train)
        elif alignment == "source":
            if n_source:  # the baseline has no source rows to weigh
                data["params"][name] = (_safe_indexing(value, rows),)
        else:
            data["params"][name] = value
    for name in ("sample_weight", "source_sample_weight"):  # what a batched fit reads
        value = data["params"].get(name)
        data[name] = value[0] if isinstance(value, tuple) else value
    return data


def check_params(params, n_source, n_target):
    """The fit parameters of a study as ``{name: (alignment, value)}`` (see :class:`Study`).

    A parameter whose name (after a pipeline's ``step__``) starts with
    ``source_`` describes the simulation rows and must have one value per
    row; any other array of one value per experimental row is sliced to a
    cell's training rows, as ``learning_curve`` slices its ``params``.
    """
    from sklearn.utils.validation import _num_samples

    checked = {}
    for name, value in (params or {}).items():
        if name.split("__")[-1].startswith("source_"):
            value = value[0] if isinstance(value, tuple) and len(value) == 1 else value
            if not hasattr(value, "__len__") or _num_samples(value) != n_source:
                raise ValueError(f"params[{name!r}] must hold one value per row of X_sim "
                                 f"({n_source}), as a source_* parameter.")
            checked[name] = ("source", value)
        elif hasattr(value, "__len__") and not isinstance(value, str) and \
                _num_samples(value) == n_target:
            checked[name] = ("target", value)
        else:
            checked[name] = ("whole", value)
    return checked


def fit_params_of(data):
    """The fit parameters of a cell: the source as 1-tuples (no inner CV slices them), groups,
    and the user's ``params``."""
    params = dict(data.get("params") or {})
    if data["X_source"] is not None:
        params.update({"X_source": (data["X_source"],), "y_source": (data["y_source"],)})
    if data["groups"] is not None:
        params["groups"] = data["groups"]
    return params


def empty_cell(study):
    """A cell's record before its fit: the error it scores if the fit fails."""
    error_score = study.error_score
    return {"error": float(error_score) if error_score != "raise" else np.nan,
            "fit_time": np.nan, "score_time": np.nan, "fit_error": None,
            "group_errors": (None if study.score_labels is None
                             else [np.nan] * len(study.score_labels)),
            "strategy": None}


def score_cell(estimator, study, data, out):
    """Score a fitted cell on its test part; fills ``out`` (error, group errors, strategy)."""
    start = time.perf_counter()
    out["strategy"] = _strategy_of(estimator)
    out["error"] = study.sign * float(study.scorer(estimator, data["X_test"], data["y_test"]))
    if study.score_labels is not None:
        out["group_errors"] = _group_errors(estimator, study, data["X_test"], data["y_test"],
                                            data["test"])
    out["score_time"] = time.perf_counter() - start
    return out


def fit_and_score_cell(estimator, study, trial, n_source, n_target):
    """Fit one cell on a clone of the estimator and score it on the trial's test part.

    Returns a JSON-ready dict (the checkpoint stores it as it is): ``error``,
    ``fit_time``, ``score_time``, ``fit_error`` (the formatted exception of a
    failed fit, else None), ``group_errors`` and ``strategy`` (the fitted
    model's ``strategy_``, e.g. what ``strategy="auto"`` chose, or None).
    """
    seed_estimator(estimator, trial.seeds[3])
    data = cell_data(study, trial, n_source, n_target)
    out = empty_cell(study)
    start = time.perf_counter()
    try:
        with torch_threads(1 if study.one_thread else None), \
                config_context(enable_metadata_routing=True):
            estimator.fit(data["X"], data["y"], **fit_params_of(data))
            out["fit_time"] = time.perf_counter() - start
            score_cell(estimator, study, data, out)
    except Exception as exc:
        if study.error_score == "raise":
            raise
        out["fit_error"] = "".join(traceback.format_exception_only(type(exc), exc))
    return out


def fit_and_score_cells(estimator, study, batch):
    """Fit a batch of cells of one size as stacks (:func:`~..transfer._batched.fit_cells`).

    ``batch`` lists ``(trial, n_source, n_target)``. The batch's fit time is
    shared out equally among its cells. If the batched fit fails (a network
    diverges, say), every cell is fitted alone, so that each failure is
    reported for its own cell.
    """
    from ..transfer._batched import fit_cells

    estimators, datas = [], []
    for trial, n_source, n_target in batch:
        model = clone(estimator)
        seed_estimator(model, trial.seeds[3])
        estimators.append(model)
        datas.append(cell_data(study, trial, n_source, n_target))
    start = time.perf_counter()
    try:
        with torch_threads(1 if study.one_thread else None), \
                config_context(enable_metadata_routing=True):
            fit_cells(estimators, datas)
        fit_time = (time.perf_counter() - start) / len(batch)
        outs = []
        for model, data in zip(estimators, datas):
            out = empty_cell(study)
            out["fit_time"] = fit_time
            outs.append(score_cell(model, study, data, out))
        return outs
    except Exception:
        return [fit_and_score_cell(clone(estimator), study, *cell) for cell in batch]


def _strategy_of(estimator):
    """The ``strategy_`` of a fitted model (a pipeline's last step, a search's best model)."""
    for _ in range(4):  # a search of a pipeline, at most a few levels deep
        strategy = getattr(estimator, "strategy_", None)
        if strategy is not None:
            return str(strategy)
        inner = getattr(estimator, "best_estimator_", None)
        if inner is None and hasattr(estimator, "steps"):
            inner = estimator.steps[-1][1]
        if inner is None:
            return None
        estimator = inner
    return None


def _group_errors(estimator, study, X_test, y_test, test):
    groups = study.score_groups[test]
    errors = []
    for label in study.score_labels:
        rows = np.flatnonzero(groups == label)
        errors.append(np.nan if rows.size == 0 else study.sign * float(
            study.scorer(estimator, _safe_indexing(X_test, rows), y_test[rows])))
    return errors
