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
The study, its trials and the fit of one cell are in :mod:`._study`; the
checkpoints in :mod:`._checkpoint`.
"""

import sys
import warnings
from numbers import Integral, Real

import joblib
import numpy as np
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils import get_tags
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
    validate_params,
)
from sklearn.utils.parallel import Parallel, delayed

from .._constraints import Count, PathLike
from .._memory import release_freed_memory
from .._validation import check_same_rows, check_study_data, check_takes_source
from ._checkpoint import CellStore, cell_name, split_key, study_key, write_atomically
from ._progress import StudyProgress
from ._result import ScalingCurveResult
from ._study import (
    Study,
    check_params,
    draw_trials,
    fit_and_score_cell,
    fit_and_score_cells,
    root_entropy,
    score_labels,
    translate_sizes,
)

__all__ = ["scaling_curve"]

# Fractions of the available source, log-spaced: a scaling law is read on
# log-log axes, so evenly spaced decades matter more than even steps.
DEFAULT_SOURCE_SIZES = (0.01, 0.03, 0.1, 0.3, 1.0)

# The options of a study, shared by scaling_curve and ScalingCurve.
_STUDY_CONSTRAINTS = {
    "source_sizes": ["array-like"],
    "n_trials": [None, Count(1, None, closed="left")],
    "test_size": [Interval(RealNotInt, 0, 1, closed="neither"),
                  Count(1, None, closed="left")],
    "cv": ["cv_object"],
    "target_sizes": [None, "array-like"],
    "scoring": [None, StrOptions(set(get_scorer_names())), callable],
    "error_score": [StrOptions({"raise"}), Real],
    "return_times": ["boolean"],
    "n_jobs": [None, Integral],
    "pre_dispatch": [Integral, str],
    "verbose": ["verbose"],
    # Any non-negative int: a result records its root seed (up to 2**63) to repeat the run.
    "random_state": [None, Interval(Integral, 0, None, closed="left"), np.random.RandomState],
    "checkpoint_dir": [None, str, PathLike()],
    "batch_trials": ["boolean"],
}


@validate_params(
    {
        "estimator": [HasMethods(["fit", "predict"])],
        "X_sim": ["array-like", "sparse matrix", tuple],
        "y_sim": ["array-like", tuple],
        "X_exp": ["array-like", "sparse matrix"],
        "y_exp": ["array-like"],
        "source_groups": [None, "array-like"],
        "target_groups": [None, "array-like"],
        "score_groups": [None, "array-like"],
        "params": [None, dict],
        **_STUDY_CONSTRAINTS,
    },
    prefer_skip_nested_validation=False,  # the estimator's own checks still run
)
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
    batch_trials=True,
    params=None,
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
    params : dict, default=None
        Fit parameters of the estimator, as ``learning_curve``'s ``params``
        (keys as the estimator's ``fit`` takes them; metadata routing is on
        inside the study). An array of one value per experimental row, such
        as ``sample_weight``, is sliced to each cell's training rows; a
        ``source_*`` parameter, such as ``source_sample_weight``, must have
        one value per simulation row and is sliced to the cell's source rows
        (the baseline gets none); anything else is passed as it is.
    verbose : int, default=0
        1 shows a progress bar (fits done, failures, time left; tqdm, the
        ``progress`` extra) or, without tqdm, a line on stderr about every
        tenth of the fits; 2 also a line per fit.
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
    batch_trials : bool, default=True
        Train the trials of one size as one stack of networks when the
        estimator is a :class:`~sim2real_sklearn.Sim2RealRegressor` (or a
        pipeline ending with one): each trial gets the same training as
        alone (same seeds, same numbers to float32 round-off) in a fraction
        of the time. Other estimators are fitted one cell at a time whatever
        this says. Workers (``n_jobs``, Dask) each take a share of the
        trials of every size; checkpoints stay one file per cell.

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
    >>> from sim2real_sklearn import Sim2RealRegressor, scaling_curve
    >>> rng = np.random.default_rng(0)
    >>> X_sim = rng.normal(size=(400, 5)); y_sim = X_sim @ np.arange(5.0)
    >>> X_exp = rng.normal(size=(30, 5)); y_exp = X_exp @ np.arange(5.0) + 1
    >>> model = Sim2RealRegressor((16,), pretrain_epochs=20, finetune_epochs=20)
    >>> result = scaling_curve(model, X_sim, y_sim, X_exp, y_exp,
    ...                        source_sizes=[10, 100, 400], n_trials=4,
    ...                        random_state=0)
    >>> result.scores.shape, result.baseline_scores.shape
    ((3, 4), (4,))
    >>> bool(result.scores[-1].mean() < result.baseline_scores.mean())
    True
    """
    check_takes_source(estimator)
    X_sim, y_sim, X_exp, y_exp = check_study_data(
        X_sim, y_sim, X_exp, y_exp, allow_nan_X=get_tags(estimator).input_tags.allow_nan)
    for name, value, ref, n in (("source_groups", source_groups, "X_sim", len(y_sim)),
                                ("target_groups", target_groups, "X_exp", len(y_exp)),
                                ("score_groups", score_groups, "X_exp", len(y_exp))):
        check_same_rows(name, value, ref, n)
    # target_groups alone only groups the splits of ``cv`` (no leakage guard);
    # source_groups alone would guard nothing, so it is an error.
    if source_groups is not None and target_groups is None:
        raise ValueError(
            "source_groups needs target_groups: the leakage guard drops the "
            "source rows whose group is in a trial's experimental test part."
        )
    scorer = check_scoring(estimator, scoring=scoring or "neg_mean_absolute_error")
    score_groups = None if score_groups is None else np.asarray(score_groups)
    fit_params = check_params(params, len(y_sim), len(y_exp))
    study = Study(
        X_source=X_sim, y_source=y_sim, X_target=X_exp, y_target=y_exp,
        source_groups=None if source_groups is None else np.asarray(source_groups),
        target_groups=None if target_groups is None else np.asarray(target_groups),
        score_groups=score_groups, score_labels=score_labels(score_groups),
        # A scorer's sign is -1 for errors ("neg_*"); multiplying by it stores
        # them as positive errors, which is what a power law of the error needs.
        scorer=scorer, sign=getattr(scorer, "_sign", 1), error_score=error_score,
        one_thread=joblib.effective_n_jobs(n_jobs) != 1,
        pass_groups=target_groups is not None and _takes_groups(estimator),
        params=fit_params,
    )
    if n_trials is None:
        n_trials = 10 if cv is None else check_cv(cv).get_n_splits(groups=study.target_groups)
    entropy = root_entropy(random_state)
    trials = draw_trials(study, n_trials, test_size, cv, entropy)
    n_available = study.n_source - max(t.n_dropped for t in trials)
    if n_available < 1:
        raise ValueError(
            "The leakage guard leaves no source rows in some trial: every "
            "source_groups label occurs in an experimental test part."
        )
    sizes = translate_sizes(source_sizes, n_available, "source_sizes",
                             "available source rows")
    tsizes = None if target_sizes is None else translate_sizes(
        target_sizes, min(len(t.train) for t in trials), "target_sizes",
        "rows in the smallest train part")

    # A cell: (source size index, 0 being the baseline; target size index; trial).
    cells = [(s, t, k) for k in range(n_trials)
             for t in range(1 if tsizes is None else len(tsizes))
             for s in range(len(sizes) + 1)]

    def sizes_of(cell):
        s, t, _ = cell
        return (0 if s == 0 else int(sizes[s - 1]), None if tsizes is None else int(tsizes[t]))

    store = CellStore.open(checkpoint_dir, None if checkpoint_dir is None else study_key(
        estimator, (X_sim, y_sim, X_exp, y_exp, source_groups, target_groups, score_groups,
                    *([params] if params else [])),
        entropy, scoring, tsizes is not None))
    # The split is part of a cell's file name: a changed test_size or cv is another cell.
    split_keys = [split_key(t) for t in trials] if store.directory else None

    def name_of(cell):
        return None if split_keys is None else cell_name(
            *sizes_of(cell), trial=cell[2], split_key=split_keys[cell[2]])

    n_groups = None if study.score_labels is None else len(study.score_labels)
    done = {c: store.read(name_of(c), n_groups) for c in cells}
    done = {c: v for c, v in done.items() if v is not None}
    todo = [c for c in cells if c not in done]
    progress = StudyProgress(verbose, len(todo), header=(
        f"{len(sizes)} source sizes {sizes.tolist()} x {n_trials} trials"
        + ("" if tsizes is None else f" x target sizes {tsizes.tolist()}")
        + f": {len(cells)} fits, {len(done)} read from the checkpoint."))

    # Trials of one size train as stacks when the estimator allows it (the same
    # numbers, faster); each job is one batch, or one cell otherwise.
    stacked = batch_trials and _can_batch(estimator) and _can_batch_params(estimator, params)
    batches = _batches(cells, todo, sizes_of) if stacked else [[c] for c in todo]
    # Largest first: the biggest source sizes take most of a study's time, and a
    # worker that starts them last leaves the other cores idle at the end (the
    # demo on 2 cores: 150 s in size order). The numbers do not depend on the order.
    batches.sort(key=lambda batch: [-(size or 0) for size in sizes_of(batch[0])])
    missing = set(todo)
    parallel = Parallel(n_jobs=n_jobs, pre_dispatch=pre_dispatch,
                        return_as="generator_unordered")
    jobs = (delayed(_run_batch)(estimator, study,
                                [(trials[c[2]], *sizes_of(c)) for c in batch],
                                [store.path(name_of(c)) if c in missing else None for c in batch],
                                stacked, index)
            for index, batch in enumerate(batches))
    with progress:  # an interrupted study ends its bar too
        for index, outs in parallel(jobs):  # as they finish, for the progress bar
            for cell, out in zip(batches[index], outs):
                if cell not in missing:
                    continue  # recomputed only to keep its batch whole: the stored cell stands
                done[cell] = out
                progress.update((*sizes_of(cell), cell[2]), out)

    _warn_failures(done, cells, sizes_of, error_score)
    shape = (len(sizes) + 1, 1 if tsizes is None else len(tsizes), n_trials)
    arrays = _stack_cells(done, shape, study.score_labels)
    name = scoring if isinstance(scoring, str) or scoring is None else repr(scoring)
    return ScalingCurveResult(
        source_sizes=sizes, target_sizes=tsizes, errors=arrays["errors"],
        fit_times=arrays["fit_times"] if return_times else None,
        score_times=arrays["score_times"] if return_times else None,
        groups=study.score_labels, group_errors=arrays["group_errors"],
        n_source_dropped=[t.n_dropped for t in trials],
        n_target_train=[len(t.train) for t in trials],
        random_state=entropy, scoring=name or "neg_mean_absolute_error",
        greater_is_better=study.sign > 0, n_reused_cells=len(cells) - len(todo),
        strategies=arrays["strategies"],
        params={
            "estimator": repr(estimator),
            "n_trials": n_trials,
            "test_size": None if cv is not None else test_size,
            "cv": None if cv is None else repr(cv),
            "leakage_guard": trials[0].test_groups is not None,
        },
    )


def _takes_groups(estimator):
    """Whether the estimator's fit requests ``groups`` (Sim2RealRegressor does, for "auto")."""
    from sklearn.utils.metadata_routing import get_routing_for_object

    with config_context(enable_metadata_routing=True):
        return bool(get_routing_for_object(estimator).consumes("fit", ["groups"]))


def _run_batch(estimator, study, batch, checkpoints, stacked, index):
    """One joblib job: fit and score a batch of cells as stacks, or one cell; store each.

    Returns ``index`` (the batch's place in the study's list, since jobs finish
    in any order) and the cells' outputs.

    A lone cell of a stacked study trains as a stack of one too: a network's
    numbers are the same in any stack, so a resumed study (which stacks only
    the missing cells) equals an uninterrupted one bit for bit.

    Stored by the worker itself, so that a killed study keeps every cell that
    finished, not only those the parent had collected. Failed cells are not
    stored, so a re-run retries them.
    """
    if stacked:
        outs = fit_and_score_cells(estimator, study, batch)
    else:
        outs = [fit_and_score_cell(clone(estimator), study, *cell) for cell in batch]
    for out, checkpoint in zip(outs, checkpoints):
        if checkpoint is not None and out["fit_error"] is None:
            write_atomically(checkpoint, out)
    # The batch's tensors are freed but glibc keeps their pages: a worker that kept
    # growing would be taken for a leak by loky and replaced (see _memory).
    release_freed_memory()
    return index, outs


def _can_batch(estimator):
    """Whether trials can train as stacks (a Sim2RealRegressor, or a pipeline ending with one)."""
    torch = sys.modules.get("torch")  # an estimator that trains with torch has imported it
    if torch is None:
        return False
    from ..transfer._batched import can_batch

    return can_batch(estimator)


def _can_batch_params(estimator, params):
    """Whether a stack can take the study's ``params``: the regressor's own row weights only.

    Other parameters, or weights that a pipeline's transformers also consume,
    need the estimator's own ``fit``: one fit per cell.
    """
    if not params:
        return True
    if not set(params) <= {"sample_weight", "source_sample_weight"}:
        return False
    steps = getattr(estimator, "steps", None)
    if not steps:
        return True
    from sklearn import config_context
    from sklearn.utils.metadata_routing import get_routing_for_object

    with config_context(enable_metadata_routing=True):
        return not any(get_routing_for_object(step).consumes("fit", list(params))
                       for _, step in steps[:-1] if step not in (None, "passthrough"))


# Trials per stack. A network's float32 round-off can depend on how many
# members share its stack (BLAS picks kernels by batch count), so a batch is
# fixed by the cells' own identity: the same size and a block of sixteen trial
# indices, whatever n_jobs or the backend, and whatever a checkpoint already
# holds. Each step of a stack costs about 0.45 ms whatever its members (Python
# and the dispatch of some forty small operations), and each chi member about
# 0.25 ms more: a member-step costs 0.30 ms in a stack of 8, 0.26 in one of 16
# and 0.24 in one of 25. Sixteen keep a study of 10 to 16 trials in one stack
# per size (the chi protocol of 10 trials: 11% faster than stacks of 8 and 2),
# and a study of many trials in jobs enough to keep the workers busy.
_STACK_SIZE = 16


def _batches(cells, todo, sizes_of):
    """Batches of cells of one size (and training rows), by blocks of trial indices.

    A block with any cell to compute is computed whole, so that each cell is
    trained in the same stack as in an uninterrupted run.
    """
    missing = set(todo)
    blocks = {}
    for cell in cells:
        # Trials of one size stack even when their training rows differ in number
        # (a group split): a member with fewer rows sits out the last steps of an epoch.
        blocks.setdefault((*sizes_of(cell), cell[2] // _STACK_SIZE), []).append(cell)
    return [block for block in blocks.values() if missing.intersection(block)]


# -- progress, failures and the result arrays -----------------------------------


def _warn_failures(done, cells, sizes_of, error_score):
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
    for cell in failed[:10]:
        n_source, n_target = sizes_of(cell)
        name = f"source {n_source}, trial {cell[2]}"
        names.append(name if n_target is None else f"{name}, target {n_target}")
    more = "" if len(failed) <= 10 else f" and {len(failed) - 10} more"
    warnings.warn(
        f"{len(failed)} of {len(cells)} fits failed and were scored "
        f"{error_score}: ({'), ('.join(names)}){more}. First error:\n"
        f"{done[failed[0]]['fit_error']}",
        FitFailedWarning,
        stacklevel=3,
    )


def _stack_cells(done, shape, labels):
    """The cells' numbers as arrays of ``shape`` (sizes + 1, target sizes, trials)."""
    arrays = {name: np.full(shape, np.nan) for name in ("errors", "fit_times", "score_times")}
    arrays["group_errors"] = None if labels is None else np.full((len(labels),) + shape, np.nan)
    strategies = np.full(shape, "", dtype=object)
    for (s, t, k), out in done.items():
        strategies[s, t, k] = out.get("strategy") or ""
        arrays["errors"][s, t, k] = out["error"]
        arrays["fit_times"][s, t, k] = out["fit_time"]
        arrays["score_times"][s, t, k] = out["score_time"]
        if labels is not None:
            arrays["group_errors"][:, s, t, k] = out["group_errors"]
    # Only models that say how they used the source (strategy_) fill this in.
    arrays["strategies"] = strategies if strategies[1:].any() else None
    return arrays


# -- meta-estimator ------------------------------------------------------------
