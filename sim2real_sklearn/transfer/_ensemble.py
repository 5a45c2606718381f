"""Deep ensembles: ``Sim2RealRegressor(n_estimators=K)``.

K networks that differ only in their seeds (initial weights, pretraining,
batch order) disagree where the data say little; their mean predicts better
than one of them, and their spread measures the disagreement (Lakshminarayanan
et al., NeurIPS 2017). The members train as one stack of networks
(:mod:`._stacked`), each the same training as alone, and each member's
pretraining is its own (its seed), computed once however many trainings use it.

The spread alone is no predictive uncertainty: it leaves out the noise of the
measurements, and networks that share data and architecture agree more than
they should. So the regressor calibrates it (``calibrate_std``): the same
members (their pretrainings shared) are also trained on 80% of the target's
training rows, and ``std_scale_`` is the factor that makes their
``mean +/- 1.645 * std`` cover 90% of the other 20%. The held-out rows are
whole groups when ``groups`` are given: rows of one material (a polymer in
several solvents, one pair at several temperatures) held out together, as
new materials will come. Without groups, held-out rows have near twins among
the training rows, where members agree closely, and the scale comes out too
large for new materials (on chi: 12-20 instead of 7-8, bands covering 98%).

One held-out split, not a K-fold cross-fitting: it costs 0.8 of a fine-tuning
per member instead of K-1, in a stack of its own (``_batched._by_rows``).
"""

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit
from sklearn.utils import check_random_state

# The share of the training rows (or groups) held out to calibrate the spread.
CALIBRATION_SHARE = 0.2

# The two-sided 90% band of a normal distribution: mean +/- Z90 * std.
Z90 = 1.6448536269514722


def fit_ensemble(regressor, X, y, X_source, y_source, groups, weights):
    """Fit the members (and the calibration of their spread) on checked data."""
    seeds = check_random_state(regressor.random_state).randint(
        0, 2**31 - 1, size=regressor.n_estimators)
    final = [_member(regressor, seed) for seed in seeds]
    cell = dict(X=X, y=y, X_source=X_source, y_source=y_source, groups=groups,
                sample_weight=weights.target, source_sample_weight=weights.source)
    members, cells, shared = list(final), [cell] * len(final), list(range(len(final)))
    folds = [calibration_split(regressor, X.shape[0], groups)] if regressor.calibrate_std else []
    held_out = []
    for train, valid in folds:
        fold_members = [_member(regressor, seed) for seed in seeds]
        members += fold_members
        cells += [dict(X=X[train], y=y[train], X_source=X_source, y_source=y_source,
                       groups=None if groups is None else groups[train],
                       sample_weight=weights.of_rows(train).target,
                       source_sample_weight=weights.source)] * len(seeds)
        shared += list(range(len(seeds)))  # member k's pretraining serves every fold
        held_out.append((fold_members, valid))
    _fit_members(members, cells, shared)

    regressor.estimators_ = final
    fitted = {k: v for k, v in vars(final[0]).items()
              if k.endswith("_") and not k.startswith("_") and k not in ("net_", "selection_",
                                                                          "auto_choice_")}
    vars(regressor).update(fitted)
    strategies = sorted({m.strategy_ for m in final})
    regressor.strategy_ = strategies[0] if len(strategies) == 1 else "mixed: " + ", ".join(
        f"{s} ({sum(m.strategy_ == s for m in final)})" for s in strategies)
    regressor.std_scale_ = 1.0
    if held_out:
        z = []
        for fold_members, valid in held_out:
            predictions = np.stack([m.predict(X[valid]) for m in fold_members])
            spread = np.maximum(predictions.std(axis=0), 1e-12)
            z.append(np.abs(y[valid] - predictions.mean(axis=0)) / spread)
        regressor.std_scale_ = float(np.quantile(np.concatenate(z), 0.9) / Z90)
    return regressor


def calibration_split(regressor, n_rows, groups):
    """The training rows and the held-out rows (about CALIBRATION_SHARE) of the calibration."""
    n_units = n_rows if groups is None else len(np.unique(groups))
    if n_units < 2:
        unit = "rows" if groups is None else "groups"
        raise ValueError(
            f"calibrate_std=True holds out part of the training {unit} to scale the spread, "
            f"but there is only {n_units}: give at least 2, or pass calibrate_std=False.")
    seed = int(np.random.default_rng(regressor._seeds()[1]).integers(2**31 - 1))
    splitter = (ShuffleSplit if groups is None else GroupShuffleSplit)(
        n_splits=1, test_size=CALIBRATION_SHARE, random_state=seed)
    return next(splitter.split(np.zeros(n_rows), groups=groups))


def predict_members(regressor, X):
    """Each member's prediction, shaped (members, rows), on checked ``X``."""
    return np.stack([m._predict_checked(X) for m in regressor.estimators_])


def _member(regressor, seed):
    member = clone(regressor).set_params(n_estimators=1, random_state=int(seed))
    member.callbacks = regressor.callbacks  # the user's objects, not copies made by clone
    return member


def _fit_members(members, cells, shared):
    from ._batched import can_batch, fit_cells

    if can_batch(members[0]):
        fit_cells(members, cells, shared_pretraining=shared)
        return
    # A body of your own, BatchNorm, early stopping or a pretraining cache: one at a
    # time (with ``memory``, each member seed pretrains once for every fold).
    for member, cell in zip(members, cells):
        source = {} if cell["X_source"] is None else {
            "X_source": (cell["X_source"],), "y_source": (cell["y_source"],),
            "source_sample_weight": None if cell["source_sample_weight"] is None
            else (cell["source_sample_weight"],)}
        member.fit(cell["X"], cell["y"], groups=cell["groups"],
                   sample_weight=cell["sample_weight"], **source)
