"""Fit the models of many trials at once: a scaling study's cells of one size, as stacks.

The trials of one source size have the same number of source rows and (with
a fixed test fraction) of target rows, so their pretrainings take the same
steps, and so do their fine-tunings. :func:`fit_cells` fits each cell's clone
of the estimator (a :class:`Sim2RealRegressor`, or a pipeline ending with one)
as it would be fitted alone, except that the networks of equal-sized cells
train as one stack (:mod:`._stacked`): same initial weights, batch order and
optimiser, same numbers to float32 round-off, a fraction of the time.

What a stack cannot hold falls back to one fit per cell: a custom body, a
BatchNorm body, early stopping, a pretraining cache (``memory``), and any
batch in which a network diverges (so that the failure is reported for its
own cell, as ``scaling_curve`` does).
"""

import numpy as np
import torch
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from .._constraints import check_device
from .._torch_threads import torch_threads
from .._validation import check_groups
from ._plan import _build_network, _scaling, _seeded, row_weights
from ._regressor import Sim2RealRegressor
from ._selection import fit_auto
from ._sparse import pack_many
from ._stacked import Member, Recipe, train_stacked
from ._training import _make_net

# A stack holds members whose training rows number at least this share of its
# largest member's (see _by_rows).
ROWS_IN_ONE_STACK = 0.85


def final_regressor(estimator):
    """The Sim2RealRegressor ending ``estimator`` (itself, or a pipeline's last step), or None."""
    if isinstance(estimator, Sim2RealRegressor):
        return estimator
    if isinstance(estimator, Pipeline) and isinstance(estimator.steps[-1][1], Sim2RealRegressor):
        return estimator.steps[-1][1]
    return None


def can_batch(estimator):
    """Whether :func:`fit_cells` can fit clones of ``estimator`` as stacks."""
    regressor = final_regressor(estimator)
    if regressor is None:
        return False
    if isinstance(estimator, Pipeline) and estimator.transform_input not in (None, ["X_source"]):
        return False
    return (regressor.module is None and not regressor.batch_norm
            and not regressor.early_stopping and regressor.memory is None
            and regressor.n_estimators == 1  # an ensemble stacks its own members
            and not regressor.callbacks)  # skorch callbacks need skorch's loop


def fit_cells(estimators, cells, shared_pretraining=None):
    """Fit ``estimators[i]`` on ``cells[i]``; equal-sized cells train as stacks.

    Parameters
    ----------
    estimators : list of estimators
        Unfitted clones, each seeded for its trial; :func:`can_batch` holds.
    cells : list of dict
        ``X``, ``y``, ``X_source``, ``y_source`` (None for direct learning)
        and ``groups`` (None, or the target groups of the training rows);
        optionally ``sample_weight`` and ``source_sample_weight``.
    shared_pretraining : list or None
        A label per cell: cells with the same label (same source, seed and
        settings, e.g. a deep ensemble's member on several folds) share the
        pretraining of the first of them.

    Returns
    -------
    estimators : list
        The same objects, fitted.
    """
    prepared = [_prepare(estimator, cell) for estimator, cell in zip(estimators, cells)]
    regressors = [p["regressor"] for p in prepared]
    with torch_threads(regressors[0].n_threads), torch.random.fork_rng(devices=[]):
        pretrainings = _pretrain_stacked(prepared, shared_pretraining)
        plans = []
        for p, pretraining in zip(prepared, pretrainings):
            regressor = p["regressor"]
            if regressor.strategy == "auto":
                fit_auto(regressor, p["X"], p["y"], p["X_source"], p["y_source"], p["groups"],
                         pretraining=pretraining, weights=p["weights"])
                continue
            plan = regressor._training_plan(p["X"], p["y"], p["X_source"], p["y_source"],
                                            pretraining=pretraining, weights=p["weights"])
            plans.append((regressor, plan))
        _finetune_stacked(plans)
    for estimator, p in zip(estimators, prepared):
        if isinstance(estimator, Pipeline):
            estimator.steps = p["steps"]
    return estimators


def _prepare(estimator, cell):
    """The cell's data as its regressor sees them: a pipeline's transformers fitted, checked."""
    X, X_source = cell["X"], cell["X_source"]
    steps = None
    if isinstance(estimator, Pipeline):
        # As Pipeline.fit with transform_input=["X_source"]: every transformer is
        # fitted on the target rows (FitOnSource: on the source rows) and also
        # transforms the source for the steps after it.
        steps = []
        for name, step in estimator.steps[:-1]:
            step = clone(step)
            params = ({"X_source": (X_source,)} if X_source is not None and _takes_source(step)
                      else {})
            X = step.fit(X, cell["y"], **params).transform(X)
            if X_source is not None:
                X_source = step.transform(X_source)
            steps.append((name, step))
        regressor = estimator.steps[-1][1]
        steps.append((estimator.steps[-1][0], regressor))
    else:
        regressor = estimator
    regressor._check_params()
    X, y, X_source, y_source = regressor._check_fit_data(X, cell["y"], X_source, cell["y_source"],
                                                         warn_sliced=False)
    weights = row_weights(cell.get("sample_weight"), cell.get("source_sample_weight"), X,
                          X_source)
    return {"regressor": regressor, "X": X, "y": y, "X_source": X_source, "y_source": y_source,
            "weights": weights,
            "groups": check_groups(cell.get("groups"), X.shape[0]), "steps": steps}


def _takes_source(step):
    from sklearn import config_context
    from sklearn.utils.metadata_routing import get_routing_for_object

    with config_context(enable_metadata_routing=True):
        return bool(get_routing_for_object(step).consumes("fit", ["X_source"]))


def _pretrain_stacked(prepared, shared=None):
    """Each cell's pretraining (None without a source, or for multitask), stacked by size."""
    results = [None] * len(prepared)
    stacks = {}
    first_of = {}  # shared label -> the cell that pretrains for it
    for i, p in enumerate(prepared):
        regressor = p["regressor"]
        if p["X_source"] is None or regressor.strategy == "multitask":
            continue
        if shared is not None and shared[i] is not None:
            if shared[i] in first_of:
                continue
            first_of[shared[i]] = i
        n_tasks = p["y_source"].shape[1] + 1
        spec = regressor._body_spec(n_tasks)
        settings = regressor._settings("pretrain")
        pretrain_seed, _ = regressor._seeds()
        mean, scale = _scaling(p["y_source"])
        with _seeded(pretrain_seed):
            network = _build_network(spec)
        targets = (p["y_source"] - mean) / scale
        weighted = p["weights"].source is not None
        if weighted:  # the rows' weights ride along as the last column
            targets = np.hstack([targets, p["weights"].source[:, None]])
        member = Member(state=network.state_dict(), rows=np.arange(p["X_source"].shape[0]),
                        seed=int(pretrain_seed),
                        targets=torch.as_tensor(targets, dtype=torch.float32))
        key = (_recipe(settings), repr(sorted(spec["params"].items())), spec["n_features_in"],
               n_tasks, p["X_source"].shape[0], regressor.activation, regressor.dropout,
               weighted, regressor.sparse_input_, check_device(regressor.device))
        stacks.setdefault(key, []).append((i, member, p["X_source"], mean, scale))
    for key, entries in stacks.items():
        recipe, n_tasks, sparse, device = key[0], key[3], key[-2], key[-1]
        regressor = prepared[entries[0][0]]["regressor"]
        X = _stacked_inputs([x for _, _, x, _, _ in entries], device, sparse)
        states, histories = train_stacked(
            [m for _, m, _, _, _ in entries], X, None, recipe, activation=regressor.activation,
            dropout=regressor.dropout, tasks=slice(0, n_tasks - 1), device=device,
            sparse=sparse, weighted=key[-3])
        for (i, _, _, mean, scale), state, history in zip(entries, states, histories):
            results[i] = {"state": {k: v.numpy() for k, v in state.items()},
                          "history": history, "source_mean": mean, "source_scale": scale}
    if shared is not None:
        for i, label in enumerate(shared):
            if label is not None and label in first_of:
                results[i] = results[first_of[label]]
    return results


def _finetune_stacked(plans):
    """Train every plan (the training on the target), stacked by recipe; install the nets."""
    stacks = {}
    for regressor, plan in plans:
        settings = plan.settings
        network = plan.network
        frozen = bool(network.body_frozen)
        recipe = _recipe(settings, frozen_layers=0 if frozen else network.frozen_layers)
        member = Member(state={k: v.detach().clone() for k, v in network.state_dict().items()},
                        rows=np.arange(plan.X.shape[0]), seed=plan.seed, frozen=frozen,
                        targets=torch.as_tensor(plan.Y, dtype=torch.float32))
        architecture = tuple((k, tuple(v.shape)) for k, v in network.state_dict().items())
        key = (recipe, frozen and recipe.weight_decay > 0, architecture,
               (plan.tasks.start, plan.tasks.stop), str(plan.task_weights),
               regressor.activation, regressor.dropout, plan.weighted, regressor.sparse_input_,
               plan.device)
        stacks.setdefault(key, []).append((regressor, plan, member))
    for key, entries in _by_rows(stacks):
        recipe, sparse, device = key[0], key[-2], key[-1]
        regressor, plan, _ = entries[0]
        X = _stacked_inputs([p.X for _, p, _ in entries], device, sparse)
        states, histories = train_stacked(
            [m for _, _, m in entries], X, None, recipe, activation=regressor.activation,
            dropout=regressor.dropout, tasks=plan.tasks, task_weights=plan.task_weights,
            device=device, sparse=sparse, weighted=plan.weighted)
        for (regressor, plan, _), state, history in zip(entries, states, histories):
            plan.network.load_state_dict(state)
            regressor.net_ = _net_holding(plan)
            regressor.finetune_history_ = history


def _by_rows(stacks):
    """Split each stack's entries into groups of similar row counts: ``(key, entries)``.

    Trials' training rows may differ a little in number (a group split): one
    stack holds them, a member with fewer rows sitting out the last steps of an
    epoch. Members with far fewer rows (a deep ensemble's calibration folds
    beside its final members) would sit out a third of every epoch while still
    costing their share of each step's products: they get a stack of their own.
    """
    for key, entries in stacks.items():
        while entries:  # the largest members and their near equals, in their order
            most = max(plan.X.shape[0] for _, plan, _ in entries)
            fits = [plan.X.shape[0] >= ROWS_IN_ONE_STACK * most for _, plan, _ in entries]
            yield key, [e for e, f in zip(entries, fits) if f]
            entries = [e for e, f in zip(entries, fits) if not f]


def _recipe(settings, frozen_layers=0):
    return Recipe(
        epochs=settings["epochs"], batch_size=settings["batch_size"], lr=settings["lr"],
        weight_decay=settings["weight_decay"], body_lr_ratio=settings.get("body_lr_ratio", 1.0),
        frozen_layers=frozen_layers, l2sp=settings.get("l2sp", 0.0),
        loss=settings.get("loss", "mse"), lr_schedule=settings.get("lr_schedule", "constant"))


def _stacked_inputs(arrays, device, sparse):
    """Each member's rows as one tensor (members, rows, ...), padded to the longest.

    Members that all train on the same array (a deep ensemble) share it instead:
    one tensor of its rows.
    """
    if all(a is arrays[0] for a in arrays):
        return pack_many(arrays[:1], device)[0] if sparse else torch.as_tensor(
            np.ascontiguousarray(arrays[0], dtype=np.float32), device=device)
    if sparse:
        return pack_many(arrays, device)
    n_rows = max(a.shape[0] for a in arrays)
    out = np.zeros((len(arrays), n_rows, arrays[0].shape[1]), dtype=np.float32)
    for i, a in enumerate(arrays):
        out[i, :a.shape[0]] = a
    return torch.as_tensor(out, device=device)


def _net_holding(plan):
    """The skorch net of a trained plan, as the single-model path leaves it."""
    from ._networks import MaskedLoss

    settings = plan.settings
    criterion = MaskedLoss(tasks=plan.tasks, task_weights=plan.task_weights,
                           masked=bool(np.isnan(plan.Y).any()), kind=settings.get("loss", "mse"),
                           weighted=plan.weighted)
    net = _make_net(plan.network, epochs=settings["epochs"], lr=settings["lr"],
                    batch_size=settings["batch_size"], weight_decay=settings["weight_decay"],
                    criterion=criterion, seed=plan.seed, device=plan.device)
    state = {k: v.clone() for k, v in plan.network.state_dict().items()}
    net.initialize()
    net.module_.load_state_dict(state)
    return net
