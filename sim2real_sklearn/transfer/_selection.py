"""``strategy="auto"``: choose how to use the simulations by validation on the experiments.

Which strategy pays off differs from pair to pair (fine-tuning on one,
keeping the pretrained body on another, nothing at all when the simulation
is unrelated), and a wrong choice silently costs the user the benefit. So
the regressor tries its candidates in an inner K-fold validation on the
*training* rows of the target only (grouped when ``groups`` are given) and
refits the chosen one on every training row (the model a fixed strategy
gives, to float32 round-off).

Two decisions, with different stakes:

- *How to transfer* (fine-tuning, a frozen body, a recipe variant): the
  first candidate (plain fine-tuning) is kept unless another validates
  better by more than ``TRANSFER_MARGIN`` standard error of the paired
  per-fold difference; among those that do, the lowest error wins (the
  "one standard error" rule, pointed at the default). These candidates start
  from the same pretraining, and a few dozen validation rows rank them
  nearly at random. When most training rows have their own simulation in
  the source (a row of ``X_source`` with the same features: the same
  polymer, the same pair at the same temperature), a frozen body is not
  chosen at all: the shared pretraining has learnt the validation rows' own
  simulations, which flatters a body kept as pretrained, while materials
  measured next may have none. On refractive index (38 of 44 polymers
  simulated), the validation preferred the frozen body in a quarter of the
  trials and cost 3.8% against fine-tuning, whose test error was 6.7% lower.
- *Whether to transfer at all*: direct learning replaces the chosen transfer
  candidate only when it validates clearly better: lower by more than
  ``MARGIN`` standard errors of the paired per-fold difference, or by more
  than ``RELATIVE_MARGIN`` of its error. Dropping a source that helps can
  cost a third of the accuracy; keeping an unrelated one costs as much, and
  with three folds of a few dozen rows the standard error alone misses
  differences of 20 to 30% (its own estimate is that noisy).

Measured offline on the evidence suite's pairs and synthetic variants
(``benchmarks/bench_transfer_suite.py``, 20 to 60 trials each): keeping
fine-tuning unless beaten by two standard errors kept an unrelated source in
a fifth to a third of the trials (5 to 11% worse than direct learning); the
relative margin brings that to 1 to 2%. Between fine-tuning and a frozen
body, no margin is right everywhere: on 120 synthetic rows where the frozen
body is 4% better, taking the lowest error gets within 1% and the one
standard error rule 2%; on refractive index (35 polymers whose simulations
are in the source), where it is 8% worse, they lose 3.6% and 2.5%.

It costs a few fine-tunes, not ``K x candidates`` of them: the pretraining
does not depend on the target, so it is computed once and shared; and the
candidates' trainings on the folds run as one stack of networks
(:mod:`._stacked`), each member the same training as alone.
"""

import warnings
from dataclasses import replace

import numpy as np
import scipy.sparse
import torch
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, KFold

from .._constraints import check_device
from ..exceptions import NegativeTransferWarning
from ._networks import ACTIVATIONS
from ._stacked import Member, Recipe, predict_stacked, train_stacked

# What "auto" tries, in the order of the table it reports. Each candidate is a
# name and the parameters it sets on the regressor (None: no source at all).
# Multitask training starts from scratch on the source and the target: it
# would cost one pretraining per fold, so it is a candidate only when asked.
AUTO_CANDIDATES = (
    ("finetune", {"strategy": "finetune"}),
    ("freeze", {"strategy": "freeze"}),
    ("none", None),
)
# Each candidate is also read after these shares of its training (a variant
# of the recipe at no cost: the same trajectory, scored at several lengths).
# Only with a constant learning rate, where a shorter training is a prefix.
LENGTH_SHARES = (0.25, 0.5)
# Another candidate that uses the source replaces fine-tuning only if it validates better
# by more than this many standard errors of the paired difference over the folds.
TRANSFER_MARGIN = 1.0
# When more than this share of the training rows have their own simulation in the source,
# the inner validation scores rows the pretraining has learnt, and a frozen body is not
# taken on its validation error.
SIMULATED_SHARE = 0.5
# Direct learning replaces the chosen transfer candidate only if it validates better by
# more than this many standard errors of the paired difference over the folds...
MARGIN = 2.0
# ... or by more than this share of the transfer candidate's validation error.
RELATIVE_MARGIN = 0.1


def candidates_of(regressor):
    """The candidates ``(name, params)`` of an auto regressor.

    ``auto_candidates`` lists strategy names (``"finetune"``, ``"freeze"``,
    ``"multitask"``, ``"none"`` for direct learning) or dicts of regressor
    parameters (with an optional ``"name"``), e.g. ``{"name": "l2sp",
    "l2sp": 1.0}``.
    """
    given = regressor.auto_candidates
    if given is None:
        return list(AUTO_CANDIDATES)
    candidates = []
    for item in given:
        if item in (None, "none"):
            candidates.append(("none", None))
        elif isinstance(item, str):
            if item not in ("finetune", "freeze", "multitask"):
                raise ValueError(
                    f"auto_candidates: unknown strategy {item!r}; use 'finetune', 'freeze', "
                    "'multitask', 'none' or a dict of regressor parameters.")
            candidates.append((item, {"strategy": item}))
        elif isinstance(item, dict):
            params = dict(item)
            name = params.pop("name", None) or ", ".join(f"{k}={v}" for k, v in params.items())
            if params.get("strategy") == "auto":
                raise ValueError("auto_candidates: a candidate cannot itself be 'auto'.")
            candidates.append((name, {"strategy": "finetune", **params}))
        else:
            raise TypeError(f"auto_candidates: each candidate is a str or a dict, got {item!r}.")
    if len({name for name, _ in candidates}) != len(candidates):
        raise ValueError("auto_candidates: two candidates have the same name.")
    return candidates


def inner_splits(regressor, n_rows, groups):
    """The inner validation's folds over the target's training rows."""
    n_units = n_rows if groups is None else len(np.unique(groups))
    n_splits = min(regressor.auto_cv, n_units)
    if n_splits < 2:
        raise ValueError(
            f"strategy='auto' validates on folds of the training rows, but there are only "
            f"{n_units} {'rows' if groups is None else 'groups'}: give at least 2, or choose "
            "a strategy.")
    rng = np.random.default_rng(regressor._seeds()[1])
    seed = int(rng.integers(2**31 - 1))
    if groups is None:
        return list(KFold(n_splits, shuffle=True, random_state=seed).split(np.zeros(n_rows)))
    return list(GroupKFold(n_splits, shuffle=True, random_state=seed).split(
        np.zeros(n_rows), groups=groups))


def fit_auto(regressor, X, y, X_source, y_source, groups, pretraining=None, weights=None):
    """Fit ``regressor`` (strategy ``"auto"``) on checked arrays: select, then refit.

    ``pretraining`` reuses a pretraining already done (a study's batched
    trials); ``weights`` are the fit's ``RowWeights`` (the validation error is
    then the weighted mean absolute error).
    """
    if X_source is None:  # nothing to choose without a source
        regressor._train(X, y, None, None, weights=weights)
        regressor.selection_ = None
        return regressor
    # One seed for the whole selection, even without random_state: every
    # candidate and fold shares the pretraining and the seeds, so the
    # comparison is paired.
    base = _seeded_template(regressor)
    pretrain_seed, _ = base._seeds()
    if pretraining is None:
        pretraining = base._pretraining(X_source, y_source, y_source.shape[1] + 1, pretrain_seed,
                                        check_device(base.device),
                                        None if weights is None else weights.source)
    from_cache = getattr(base, "pretrain_from_cache_", False)
    candidates = candidates_of(regressor)
    folds = inner_splits(base, X.shape[0], groups)
    # Without callbacks (which must run in the final training), a frozen-body
    # candidate is also refitted on all rows in its stack (nearly free): if it is
    # chosen, its network is read from there instead of trained again.
    errors, variants, refits = _validation_errors(base, candidates, folds, X, y, X_source,
                                                  y_source, pretraining, weights,
                                                  refit=not base.callbacks)
    table = _selection_table(errors, reference=candidates[0][0])
    # Only a frozen-body candidate is judged by the share: without one, no need to hash
    # every source row (a study's cells with other auto_candidates would pay it per cell).
    judged = any(strategy == "freeze" for strategy, _ in variants.values())
    best, reason = _choose(table, variants,
                           simulated=simulated_share(X, X_source) if judged else 0.0)
    strategy, params = variants[best]
    final = _candidate(base, params, keep_callbacks=True)
    source = _source(strategy, X_source, y_source)
    if best in refits:
        _install(final, refits[best], X, y, source, pretraining,
                 _weights_for(strategy, weights))
    else:
        final._train(X, y, *source, pretraining=pretraining,
                     weights=_weights_for(strategy, weights))
    fitted = {k: v for k, v in vars(final).items() if k.endswith("_") and not k.startswith("_")}
    vars(regressor).update(fitted)
    regressor.strategy_ = strategy
    regressor.selection_ = table
    regressor.auto_choice_ = {"candidate": best, "strategy": strategy,
                              "params": dict(params or {}), "reason": reason}
    regressor.pretrain_from_cache_ = from_cache
    if strategy == "none":
        scores = "; ".join(f"{name} {row['mean_mae']:.4g} (+/- {row['std_mae']:.2g})"
                           for name, row in table.items())
        warnings.warn(
            f"Direct learning validated clearly better: the source did not help on these "
            f"{X.shape[0]} training rows, so the model ignores it. Validation MAE by candidate: "
            f"{scores}.", NegativeTransferWarning, stacklevel=4)
    return regressor


def _selection_table(errors, reference):
    """Each candidate's validation error, and its paired difference to the reference's."""
    table = {}
    for name, values in errors.items():
        values = np.asarray(values)
        diff, se = _paired_difference(values, errors[reference])
        table[name] = {
            "mean_mae": float(values.mean()), "std_mae": float(values.std()),
            "fold_mae": [float(v) for v in values],
            "diff_to_reference": diff, "diff_se": se,
        }
    return table


def _paired_difference(values, reference):
    """The mean per-fold difference ``values - reference`` and its standard error."""
    diff = np.asarray(values) - np.asarray(reference)
    se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0
    return float(diff.mean()), se


def simulated_share(X, X_source):
    """The share of the rows of ``X`` that have a twin in ``X_source`` (the same features).

    Dense arrays or CSR matrices (both as the regressor checked them).

    >>> import numpy as np
    >>> simulated_share(np.array([[1.0, 2], [3, 4]]), np.array([[0.0, 0], [3, 4], [3, 4]]))
    0.5
    """
    source = set(_row_keys(X_source))
    return float(np.mean([key in source for key in _row_keys(X)]))


def _row_keys(A):
    """Each row of a dense array or a sparse matrix as bytes that equal rows share.

    Equal in float32, what the network reads: descriptors of one molecule
    written as two SMILES can differ by float64 round-off (the atoms' order
    changes the sums), ~1e-15 relative, which float32 does not resolve.
    """
    if not scipy.sparse.issparse(A):
        A = np.ascontiguousarray(A, dtype=np.float32) + np.float32(0)  # -0.0 is 0.0
        return [row.tobytes() for row in A]
    A = A.tocsr(copy=True)
    A.sum_duplicates()  # one canonical form per row
    A.data = A.data.astype(np.float32)
    A.eliminate_zeros()
    return [(A.indices[a:b].tobytes(), A.data[a:b].tobytes())
            for a, b in zip(A.indptr[:-1], A.indptr[1:])]


def _choose(table, variants, simulated=0.0):
    """The chosen candidate's name and why (see the module's docstring for the rule).

    ``simulated`` is the share of training rows with their own simulation in
    the source (:func:`simulated_share`).

    Examples
    --------
    >>> table = _selection_table({"finetune": [0.8, 0.7, 0.9], "freeze": [0.9, 0.8, 0.8],
    ...                           "none": [0.5, 0.6, 0.5]}, reference="finetune")
    >>> variants = {"finetune": ("finetune", {}), "freeze": ("freeze", {}),
    ...             "none": ("none", None)}
    >>> _choose(table, variants)[0]
    'none'
    """
    def mean(name):
        return table[name]["mean_mae"]

    def beats(name, other):
        """By how much ``name`` validates better than ``other``: (share, standard errors)."""
        diff, se = _paired_difference(table[name]["fold_mae"], table[other]["fold_mae"])
        n_se = -diff / se if se > 0 else (np.inf if diff < 0 else 0.0)
        return -diff / mean(other), n_se

    transfer = [name for name in table if variants[name][0] != "none"]
    direct = [name for name in table if variants[name][0] == "none"]
    if not transfer:
        name = min(direct, key=mean)
        return name, "direct learning is the only candidate"
    reference = transfer[0]
    better = [name for name in transfer[1:] if beats(name, reference)[1] > TRANSFER_MARGIN]
    flattered = []
    if simulated > SIMULATED_SHARE and variants[reference][0] != "freeze":
        flattered = [name for name in better if variants[name][0] == "freeze"]
        better = [name for name in better if name not in flattered]
    if better:
        best = min(better, key=mean)
        gain, n_se = beats(best, reference)
        reason = (f"validated {gain:.0%} better than {reference} ({n_se:.1f} standard errors "
                  "of the paired difference over the folds)")
    else:
        best = reference
        reason = (f"{reference}, the default: no other candidate that uses the source "
                  f"validated better by more than {TRANSFER_MARGIN:g} standard error")
    if flattered:
        reason += (f"; {', '.join(flattered)} validated better but was not taken: "
                   f"{simulated:.0%} of the training rows have their own simulation in the "
                   "source, which the pretraining learnt, so a body kept as pretrained "
                   "validates better than it will predict materials not simulated")
    if not direct:
        return best, reason
    challenger = min(direct, key=mean)
    gain, n_se = beats(challenger, best)
    if n_se > MARGIN or gain > RELATIVE_MARGIN:
        return challenger, (f"direct learning validated {gain:.0%} better than {best} "
                            f"({n_se:.1f} standard errors of the paired difference over the "
                            "folds)")
    return best, reason


def _validation_errors(base, candidates, folds, X, y, X_source, y_source, pretraining,
                       weights=None, refit=False):
    """Each candidate's (and length variant's) mean absolute error on each fold's validation rows.

    Candidates whose trainings can share a stack (same network, rows and
    optimiser settings) train together; the others (multitask, a body with
    BatchNorm or of your own) one fold at a time. A frozen body (``"freeze"``)
    gives every row the same features on every fold, so its candidates
    train their output layer alone on those features, computed once: a few
    small matrix products instead of a network's training. Returns the
    errors by variant name; by variant name, its strategy and regressor
    parameters; and with ``refit``, by variant name, the frozen-body
    candidates' trainings on all rows: ``(state, history)``.
    """
    errors, variants, stacks, refits = {}, {}, {}, {}
    n_tasks = y_source.shape[1] + 1
    all_rows = (np.arange(X.shape[0]), None)
    device = check_device(base.device)
    X_all = base._inputs(X, device)
    sparse = bool(base.sparse_input_)
    bodies = []  # (body state, its features of every row): the frozen bodies met
    for name, params in candidates:
        errors[name] = [np.nan] * len(folds)
        variants[name] = ("none" if params is None else params["strategy"], params)
        stackable = ((params or {}).get("strategy") != "multitask"
                     and _stackable(_candidate(base, params)))
        # A frozen body's refit on all rows costs next to nothing in its stack; the
        # others' would add members and steps to the validation's stack for every
        # candidate: the chosen one is refitted alone, after the choice.
        refit_here = refit and stackable and variants[name][0] == "freeze"
        for k, (train, valid) in enumerate(folds + ([all_rows] if refit_here else [])):
            k = None if valid is None else k  # None: the refit on all rows
            model = _candidate(base, params)
            source = _source(variants[name][0], X_source, y_source)
            fold_weights = None if weights is None else _weights_for(
                variants[name][0], weights).of_rows(train)
            if not stackable:
                model._train(X[train], y[train], *source, pretraining=pretraining,
                             weights=fold_weights)
                errors[name][k] = _mae(model.predict(X[valid]), y[valid],
                                       _target_weights(weights, valid))
                continue
            plan = model._training_plan(X[train], y[train], *source, pretraining=pretraining,
                                        weights=fold_weights)
            key, recipe, member = _as_member(plan, train, X.shape[0], n_tasks)
            body = None
            if member.frozen:
                body, member = _head_member(member)
                index = _body_index(bodies, body, X_all, base.activation, device, sparse)
                recipe = replace(recipe, frozen_layers=0, l2sp=0.0)  # no body to anchor
                key = ("head", index, recipe, key[-1])
            stacks.setdefault(key, (recipe, []))[1].append((name, params, k, model, member))
    for key, (recipe, entries) in stacks.items():
        # members with as many rows side by side: Adam updates each such run at once
        entries.sort(key=lambda entry: len(entry[-1].rows))
        weighted = key[-1]  # the members' targets end with their rows' weights
        if key[0] == "head":
            body, inputs = bodies[key[1]]
            stack_sparse = False
        else:
            body, inputs, stack_sparse = None, X_all, sparse
        lengths = _length_variants(recipe)
        members = [entry[-1] for entry in entries]
        states, histories, snapshots = train_stacked(
            members, inputs, members[0].targets, recipe, activation=base.activation,
            dropout=base.dropout, tasks=slice(n_tasks - 1, n_tasks), device=device,
            snapshot_epochs=lengths or (recipe.epochs,), sparse=stack_sparse,
            weighted=weighted)
        snapshots[recipe.epochs] = states
        scored = [(k if k is not None else 0) for _, _, k, _, _ in entries]
        width = max(len(folds[k][1]) for k in scored)
        rows = torch.stack([torch.as_tensor(np.resize(folds[k][1], width))
                            for k in scored]).to(device)
        for epochs, at_epochs in snapshots.items():
            outputs = predict_stacked(at_epochs, inputs[rows], base.activation, device,
                                      stack_sparse)
            for i, ((name, params, k, model, _), output) in enumerate(zip(entries, outputs)):
                variant = name if epochs == recipe.epochs else f"{name}, {epochs} epochs"
                if variant not in errors:
                    errors[variant] = [np.nan] * len(folds)
                    variants[variant] = (variants[name][0],
                                         {**(params or {}), "finetune_epochs": epochs})
                if k is None:
                    refits[variant] = ({**(body or {}), **at_epochs[i]}, histories[i][:epochs])
                    continue
                valid = folds[k][1]
                predicted = output[:len(valid), -1].cpu().numpy().astype(np.float64)
                errors[variant][k] = _mae(predicted * model.target_scale_ + model.target_mean_,
                                          y[valid], _target_weights(weights, valid))
    return errors, variants, refits


def _head_member(member):
    """A frozen-body member as its output layer alone: (the body's state, the head's member)."""
    body = {k: v for k, v in member.state.items() if not k.startswith("heads")}
    head = {k: v for k, v in member.state.items() if k.startswith("heads")}
    return body, replace(member, state=head, frozen=False)


def _body_index(bodies, body, X_all, activation, device, sparse):
    """Index in ``bodies`` of a frozen body; its features of every row computed at first sight.

    The features are what the output layer of a frozen network reads: the
    body's last activations, in eval mode (a frozen body has no dropout).
    """
    for i, (seen, _) in enumerate(bodies):
        if seen.keys() == body.keys() and all(torch.equal(seen[k], body[k]) for k in body):
            return i
    last = predict_stacked([body], X_all[None], activation, device, sparse)[0]
    bodies.append((body, ACTIVATIONS[activation]()(last)))
    return len(bodies) - 1


def _install(model, refit, X, y, source, pretraining, weights):
    """Fit ``model`` with a training already done in the stack: ``refit`` = (state, history).

    Its plan sets every fitted attribute as ``_train`` would (scalings, the
    pretraining's history); the network takes the stack member's weights.
    Direct learning's member had the pretrained networks' outputs, its own
    being the last (see ``_as_member``).
    """
    from ._batched import _net_holding

    state, history = refit
    plan = model._training_plan(X, y, *source, pretraining=pretraining, weights=weights)
    own = plan.network.state_dict()
    plan.network.load_state_dict({
        key: value[-own[key].shape[0]:] if key.startswith("heads") else value
        for key, value in state.items()})
    model.net_ = _net_holding(plan)
    model.finetune_history_ = history


def _length_variants(recipe):
    """Shorter trainings read from the same trajectory (constant learning rate only)."""
    if recipe.lr_schedule != "constant" or recipe.patience is not None:
        return ()
    lengths = sorted({max(1, int(round(share * recipe.epochs))) for share in LENGTH_SHARES})
    return tuple(e for e in lengths if e < recipe.epochs)


def _as_member(plan, train, n_rows, n_tasks):
    """A training plan as a stack member, its recipe and the key of the stacks it may join.

    Direct learning trains a network with one output; here it gets the
    pretrained networks' ``n_tasks`` outputs, the extra ones unused (no
    gradient reaches them), so that it can share their stack: the target
    output and its training are the same.
    """
    settings = plan.settings
    network = plan.network
    state = {k: v.detach().clone() for k, v in network.state_dict().items()}
    if state["heads.weight"].shape[0] < n_tasks:
        missing = n_tasks - state["heads.weight"].shape[0]
        state["heads.weight"] = torch.cat([state["heads.weight"].new_zeros(
            missing, state["heads.weight"].shape[1]), state["heads.weight"]])
        state["heads.bias"] = torch.cat([state["heads.bias"].new_zeros(missing),
                                         state["heads.bias"]])
    frozen = bool(network.body_frozen)
    recipe = Recipe(
        epochs=settings["epochs"], batch_size=settings["batch_size"], lr=settings["lr"],
        weight_decay=settings["weight_decay"], body_lr_ratio=settings.get("body_lr_ratio", 1.0),
        frozen_layers=0 if frozen else network.frozen_layers, l2sp=settings.get("l2sp", 0.0),
        loss="mse", lr_schedule=settings.get("lr_schedule", "constant"),
        patience=settings["n_iter_no_change"] if settings["early_stopping"] else None)
    member = Member(state=state, rows=train, seed=plan.seed, loss=settings.get("loss", "mse"),
                    frozen=frozen, targets=_targets_on(train, plan.Y, n_rows))
    # A frozen body cannot share a stack with weight decay (Adam would move it).
    architecture = tuple((name, tuple(v.shape)) for name, v in state.items())
    key = (recipe, frozen and recipe.weight_decay > 0, architecture, plan.weighted)
    return key, recipe, member


def _targets_on(rows, Y_rows, n_rows):
    """The member's scaled targets placed at its rows of the stack's X (NaN elsewhere)."""
    targets = torch.full((n_rows, Y_rows.shape[1]), float("nan"))
    targets[torch.as_tensor(rows)] = torch.as_tensor(Y_rows, dtype=torch.float32)
    return targets


def _stackable(model):
    return model.module is None and not model.batch_norm and not model.early_stopping


def _mae(predicted, y, weights=None):
    return float(np.average(np.abs(predicted - y), weights=weights))


def _target_weights(weights, rows):
    return None if weights is None or weights.target is None else weights.target[rows]


def _weights_for(strategy, weights):
    """The weights of a candidate: direct learning has no source rows to weigh."""
    if weights is None or strategy != "none":
        return weights
    return type(weights)(weights.target, None)


def _seeded_template(regressor):
    """A copy of the regressor with a fixed integer seed, that every candidate is cloned from."""
    if isinstance(regressor.random_state, (int, np.integer)):
        seed = int(regressor.random_state)
    else:
        seed = int(regressor._seeds()[1])  # drawn once from the given generator (or None)
    template = clone(regressor).set_params(random_state=seed)
    template.n_features_in_ = regressor.n_features_in_
    template.sparse_input_ = regressor.sparse_input_
    template.callbacks = regressor.callbacks  # the objects themselves, not copies
    return template


def _candidate(regressor, params, keep_callbacks=False):
    """A regressor that trains one candidate; its checks were done by the auto regressor.

    The user's callbacks run in the final training only, not in the inner validation.
    """
    model = clone(regressor).set_params(**{"strategy": "finetune", **(params or {})})
    # the user's own callback objects, not copies (clone deep-copies them): an Optuna
    # pruning callback reports to the user's trial
    model.callbacks = regressor.callbacks if keep_callbacks else None
    model.n_features_in_ = regressor.n_features_in_
    model.sparse_input_ = regressor.sparse_input_
    return model


def _source(strategy, X_source, y_source):
    return (None, None) if strategy == "none" else (X_source, y_source)
