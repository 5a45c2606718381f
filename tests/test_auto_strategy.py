"""strategy="auto": the regressor chooses how to use the simulations by validation."""

import warnings

import numpy as np
import pytest
import sklearn
import torch
from sklearn.model_selection import KFold, cross_validate

from sim2real_sklearn import NegativeTransferWarning, Sim2RealRegressor
from sim2real_sklearn.datasets import make_sim2real_regression
from sim2real_sklearn.transfer import _plan, _selection

FAST = dict(hidden_layer_sizes=(64, 32), pretrain_epochs=40, finetune_epochs=40,
            finetune_lr=1e-3, random_state=0)


def data(discrepancy, n_target=100, seed=0):
    X_sim, y_sim, X_exp, y_exp = make_sim2real_regression(
        n_source=1000, n_target=n_target + 400, n_features=10, discrepancy=discrepancy,
        random_state=seed)
    return X_sim, y_sim, X_exp[:n_target], y_exp[:n_target], X_exp[n_target:], y_exp[n_target:]


def mae(model, X, y):
    return float(np.mean(np.abs(model.predict(X) - y)))


def test_an_informative_source_is_used_and_beats_learning_without_it():
    X_sim, y_sim, X, y, X_test, y_test = data(discrepancy=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NegativeTransferWarning)
        auto = Sim2RealRegressor(strategy="auto", **FAST).fit(X, y, X_source=X_sim, y_source=y_sim)
    direct = Sim2RealRegressor(**FAST).fit(X, y)
    assert auto.strategy_ in ("finetune", "freeze")
    assert mae(auto, X_test, y_test) < 0.7 * mae(direct, X_test, y_test)


def test_an_uninformative_source_is_ignored_with_a_warning_naming_the_scores():
    X_sim, y_sim, X, y, X_test, y_test = data(discrepancy=1.0)
    with pytest.warns(NegativeTransferWarning, match=r"Direct learning validated clearly better.*"
                                                     r"finetune \d\.\d+ \(\+/- .*none \d"):
        auto = Sim2RealRegressor(strategy="auto", **FAST).fit(X, y, X_source=X_sim, y_source=y_sim)
    assert auto.strategy_ == "none" and auto.n_source_samples_ == 0
    fixed = Sim2RealRegressor(**FAST).fit(X, y, X_source=X_sim, y_source=y_sim)
    assert mae(auto, X_test, y_test) < mae(fixed, X_test, y_test)


@pytest.mark.parametrize("discrepancy, candidates", [
    (0.1, None), (1.0, None),
    # the frozen body's candidate trains its output layer alone on the body's features
    (0.1, ("freeze", "none")),
])
def test_the_final_model_is_the_chosen_candidate_refitted_on_every_row(discrepancy, candidates):
    X_sim, y_sim, X, y, X_test, _ = data(discrepancy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegativeTransferWarning)
        auto = Sim2RealRegressor(strategy="auto", auto_candidates=candidates, **FAST).fit(
            X, y, X_source=X_sim, y_source=y_sim)
    if candidates is not None:
        assert auto.strategy_ == "freeze"
    chosen = {**FAST, **auto.auto_choice_["params"]}
    alone = Sim2RealRegressor(**chosen)
    source = {} if auto.strategy_ == "none" else dict(X_source=X_sim, y_source=y_sim)
    alone.fit(X, y, **source)
    # The same training as alone, to float32 round-off (a frozen body's refit is
    # its output layer trained on the body's features, in the validation's stack).
    np.testing.assert_allclose(auto.predict(X_test), alone.predict(X_test), rtol=1e-5, atol=1e-5)
    assert len(auto.finetune_history_) == len(alone.finetune_history_)
    np.testing.assert_allclose([h["train_loss"] for h in auto.finetune_history_],
                               [h["train_loss"] for h in alone.finetune_history_], rtol=1e-4)
    if auto.strategy_ == "freeze":  # the body is the pretrained one, untouched
        for key, value in alone.net_.module_.body.state_dict().items():
            torch.testing.assert_close(auto.net_.module_.body.state_dict()[key], value)


def test_the_selection_table_reports_every_candidate_with_its_spread():
    X_sim, y_sim, X, y, _, _ = data(discrepancy=0.3)
    auto = Sim2RealRegressor(strategy="auto", auto_cv=4, **FAST).fit(
        X, y, X_source=X_sim, y_source=y_sim)
    assert set(auto.selection_) == {"finetune", "freeze", "none"}
    # With a constant learning rate, shorter trainings are read from the same
    # trajectory: length variants at no cost (a decayed rate has no such prefix).
    constant = Sim2RealRegressor(strategy="auto", auto_cv=4, finetune_lr_schedule="constant",
                                 **FAST).fit(X, y, X_source=X_sim, y_source=y_sim)
    assert {"finetune, 10 epochs", "finetune, 20 epochs"} <= set(constant.selection_)
    for row in auto.selection_.values():
        assert len(row["fold_mae"]) == 4 and row["std_mae"] >= 0
        assert row["mean_mae"] == pytest.approx(np.mean(row["fold_mae"]))
    # fine-tuning unless another candidate that uses the source beats it by one
    # standard error; direct learning only when clearly better (two, or 10%)
    table = auto.selection_

    def beats(name, other):
        diff = np.subtract(table[name]["fold_mae"], table[other]["fold_mae"])
        return (-diff.mean() / table[other]["mean_mae"],
                -diff.mean() / (diff.std(ddof=1) / np.sqrt(len(diff))))

    better = [k for k in table if k not in ("finetune", "none") and beats(k, "finetune")[1] > 1]
    transfer = min(better, key=lambda k: table[k]["mean_mae"]) if better else "finetune"
    gain, n_se = beats("none", transfer)
    clearly = n_se > 2 or gain > 0.1
    assert auto.auto_choice_["candidate"] == ("none" if clearly else transfer)
    assert auto.auto_choice_["reason"]


def _table(**folds):
    names = list(folds)
    variants = {name: ("none" if name == "none" else name, None if name == "none" else {})
                for name in names}
    return _selection._selection_table(folds, reference=names[0]), variants


@pytest.mark.parametrize("folds, chosen, why", [
    # how to transfer: fine-tuning unless another beats it by one standard error
    (dict(finetune=[0.50, 0.52, 0.48], freeze=[0.49, 0.51, 0.49], none=[0.9, 0.9, 0.9]),
     "finetune", "the default"),
    (dict(finetune=[0.50, 0.52, 0.48], freeze=[0.49, 0.505, 0.475], none=[0.9, 0.9, 0.9]),
     "freeze", "validated 2% better than finetune"),
    # whether to: direct learning 4% lower but noisy: the source is kept
    (dict(finetune=[0.50, 0.60, 0.40], freeze=[0.7, 0.7, 0.7], none=[0.40, 0.62, 0.42]),
     "finetune", "the default"),
    # 20% lower, too noisy for two standard errors: dropped all the same
    (dict(finetune=[0.60, 0.45, 0.45], freeze=[0.7, 0.7, 0.7], none=[0.34, 0.46, 0.40]),
     "none", "validated 20% better than finetune"),
    # 3% lower on every fold, many standard errors: dropped
    (dict(finetune=[0.50, 0.60, 0.40], freeze=[0.7, 0.7, 0.7], none=[0.485, 0.583, 0.388]),
     "none", "standard errors"),
])
def test_the_source_is_dropped_only_when_direct_learning_validates_clearly_better(
        folds, chosen, why):
    table, variants = _table(**folds)
    name, reason = _selection._choose(table, variants)
    assert name == chosen and why in reason


def test_a_frozen_body_is_not_taken_when_the_validation_rows_were_simulated():
    # the frozen body validates 2% better, by more than one standard error: taken...
    table, variants = _table(finetune=[0.50, 0.52, 0.48], freeze=[0.49, 0.505, 0.475],
                             none=[0.9, 0.9, 0.9])
    assert _selection._choose(table, variants, simulated=0.3)[0] == "freeze"
    # ... unless most training rows have their own simulation in the source
    name, reason = _selection._choose(table, variants, simulated=0.8)
    assert name == "finetune"
    assert "freeze validated better but was not taken: 80% of the training rows" in reason
    # direct learning still replaces the source when it validates clearly better
    table, variants = _table(finetune=[0.50, 0.52, 0.48], freeze=[0.49, 0.505, 0.475],
                             none=[0.3, 0.3, 0.3])
    assert _selection._choose(table, variants, simulated=0.8)[0] == "none"


def test_the_simulated_share_counts_rows_with_a_twin_in_the_source_dense_or_sparse():
    import scipy.sparse

    rng = np.random.default_rng(0)
    X_source = rng.integers(0, 3, size=(40, 12)).astype(np.float32)
    X = np.vstack([X_source[[3, 7, 7, 20]], X_source[:6] + 5])  # 4 twins of 10 rows
    assert _selection.simulated_share(X, X_source) == pytest.approx(0.4)
    # the same molecule's descriptors from two SMILES differ by float64 round-off: twins
    # all the same (float32 is what the network reads); a real difference is not
    near = X_source.astype(np.float64)[[3, 7]] * (1 + 1e-15)
    assert _selection.simulated_share(near, X_source) == 1.0
    assert _selection.simulated_share(near * (1 + 1e-4), X_source) == 0.0
    # a CSR matrix with an explicit zero and a duplicate entry is the same row
    sparse = scipy.sparse.csr_matrix(X)
    twin = scipy.sparse.csr_matrix(
        (np.r_[sparse[0].data[:-1], 0.0, sparse[0].data[-1] / 2, sparse[0].data[-1] / 2],
         np.r_[sparse[0].indices[:-1], 11 if sparse[0].indices[-1] != 11 else 0,
               sparse[0].indices[-1], sparse[0].indices[-1]],
         [0, sparse[0].nnz + 2]), shape=(1, 12))
    assert (twin.toarray() == X[:1]).all()
    assert _selection.simulated_share(scipy.sparse.vstack([twin, sparse[4:]]).tocsr(),
                                      scipy.sparse.csr_matrix(X_source)) == pytest.approx(1 / 7)


def test_auto_tells_the_rule_how_many_training_rows_were_simulated(monkeypatch):
    seen = []
    real = _selection._choose

    def spy(table, variants, simulated=0.0):
        seen.append(simulated)
        return real(table, variants, simulated)

    monkeypatch.setattr(_selection, "_choose", spy)
    X_sim, y_sim, X, y, _, _ = data(discrepancy=0.3, n_target=60)
    fast = dict(FAST, pretrain_epochs=5, finetune_epochs=5)
    Sim2RealRegressor(strategy="auto", **fast).fit(X, y, X_source=X_sim, y_source=y_sim)
    # three quarters of the training rows simulated (the source holds their features)
    X_sim_with = np.vstack([X_sim, X[:45]])
    y_sim_with = np.r_[y_sim, y[:45]]
    Sim2RealRegressor(strategy="auto", **fast).fit(X, y, X_source=X_sim_with,
                                                   y_source=y_sim_with)
    assert seen == [0.0, pytest.approx(0.75)]


def test_the_pretraining_is_computed_once_for_every_candidate_and_fold(monkeypatch, tmp_path):
    calls = []
    real = _plan.pretrain_body

    def counted(body_spec, X_source, y_source, settings, seed, device, verbose=0, callbacks=(),
                sample_weight=None):
        calls.append(1)
        return real(body_spec, X_source, y_source, settings, seed, device, verbose, callbacks,
                    sample_weight)

    monkeypatch.setattr(_plan, "pretrain_body", counted)
    X_sim, y_sim, X, y, _, _ = data(discrepancy=0.3)
    Sim2RealRegressor(strategy="auto", **FAST).fit(X, y, X_source=X_sim, y_source=y_sim)
    assert len(calls) == 1
    # with a cache, a second auto fit (say, in a grid search) pretrains not at all
    model = Sim2RealRegressor(strategy="auto", memory=str(tmp_path), **FAST)
    model.fit(X, y, X_source=X_sim, y_source=y_sim)
    model.fit(X, y, X_source=X_sim, y_source=y_sim)
    assert len(calls) == 2 and model.pretrain_from_cache_


def test_groups_hold_out_whole_groups_in_the_inner_validation(monkeypatch):
    seen = []
    real = _selection.inner_splits

    def spy(regressor, n_rows, groups):
        folds = real(regressor, n_rows, groups)
        seen.append((groups, folds))
        return folds

    monkeypatch.setattr(_selection, "inner_splits", spy)
    X_sim, y_sim, X, y, _, _ = data(discrepancy=0.3)
    groups = np.repeat(np.arange(20), 5)
    Sim2RealRegressor(strategy="auto", **FAST).fit(X, y, X_source=X_sim, y_source=y_sim,
                                                   groups=groups)
    (given, folds), = seen
    for train, valid in folds:
        assert not set(given[train]) & set(given[valid])


def test_no_test_row_of_an_outer_split_reaches_the_inner_selection(monkeypatch):
    # Rows carry their id in column 0 (a feature like any other). Every row
    # that reaches a training or a validation of the selection is recorded.
    X_sim, y_sim, X, y, _, _ = data(discrepancy=0.3)
    X = np.column_stack([np.arange(len(X)), X])
    X_sim = np.column_stack([np.full(len(X_sim), -1.0), X_sim])
    reached = []
    real_plan = Sim2RealRegressor._training_plan
    real_errors = _selection._validation_errors

    def plan_spy(self, X_, *args, **kwargs):
        reached.append(set(X_[:, 0].astype(int)) - {-1})
        return real_plan(self, X_, *args, **kwargs)

    def errors_spy(base, candidates, folds, X_, *args, **kwargs):
        reached.append(set(X_[:, 0].astype(int)))
        return real_errors(base, candidates, folds, X_, *args, **kwargs)

    monkeypatch.setattr(Sim2RealRegressor, "_training_plan", plan_spy)
    monkeypatch.setattr(_selection, "_validation_errors", errors_spy)
    outer = list(KFold(3, shuffle=True, random_state=0).split(X))
    with sklearn.config_context(enable_metadata_routing=True):
        for train, test in outer:
            reached.clear()
            Sim2RealRegressor(strategy="auto", **{**FAST, "pretrain_epochs": 5}).fit(
                X[train], y[train], X_source=(X_sim,), y_source=(y_sim,))
            seen = set().union(*reached)
            assert seen and not seen & set(test)
        scores = cross_validate(Sim2RealRegressor(strategy="auto", **FAST), X, y, cv=outer,
                                params={"X_source": (X_sim,), "y_source": (y_sim,)})
    assert np.isfinite(scores["test_score"]).all()


def test_candidates_can_be_chosen_and_include_multitask_and_recipe_variants():
    X_sim, y_sim, X, y, _, _ = data(discrepancy=0.3)
    auto = Sim2RealRegressor(strategy="auto", auto_cv=3, auto_candidates=[
        "multitask", {"name": "gentle", "l2sp": 1.0, "body_lr_ratio": 0.3}, "none"], **FAST)
    auto.fit(X, y, X_source=X_sim, y_source=y_sim)
    assert {"multitask", "gentle", "none"} <= set(auto.selection_)


@pytest.mark.parametrize("candidates, error, fragment", [
    (["distill"], ValueError, "unknown strategy 'distill'"),
    ([{"strategy": "auto"}], ValueError, "cannot itself be 'auto'"),
    (["finetune", "finetune"], ValueError, "same name"),
    ([3], TypeError, "a str or a dict"),
])
def test_bad_candidates_are_named(candidates, error, fragment):
    X_sim, y_sim, X, y, _, _ = data(discrepancy=0.3, n_target=30)
    with pytest.raises(error, match=fragment):
        Sim2RealRegressor(strategy="auto", auto_candidates=candidates, **FAST).fit(
            X, y, X_source=X_sim, y_source=y_sim)


def test_too_few_groups_for_an_inner_validation_is_said():
    X_sim, y_sim, X, y, _, _ = data(discrepancy=0.3, n_target=10)
    with pytest.raises(ValueError, match="only 1 groups"):
        Sim2RealRegressor(strategy="auto", **FAST).fit(X, y, X_source=X_sim, y_source=y_sim,
                                                       groups=np.zeros(10))


def test_a_study_records_the_strategy_each_trial_chose(tmp_path, monkeypatch):
    from sim2real_sklearn import ScalingCurveResult, scaling_curve
    from sim2real_sklearn.scaling import write_report

    seen_groups = []
    real = _selection.inner_splits
    monkeypatch.setattr(_selection, "inner_splits", lambda r, n, g: seen_groups.append(g) or
                        real(r, n, g))
    X_sim, y_sim, X, y, _, _ = data(discrepancy=1.0, n_target=80)
    groups = np.repeat(np.arange(40), 2)
    model = Sim2RealRegressor(strategy="auto", **{**FAST, "pretrain_epochs": 20,
                                                  "finetune_epochs": 20})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = scaling_curve(model, X_sim, y_sim, X, y, source_sizes=[100, 300, 1000],
                               n_trials=3, target_groups=groups, random_state=0)
    assert result.strategies.shape == (3, 3)
    assert set(result.strategies.ravel()) <= {"finetune", "freeze", "none"}
    # the groups of each trial's training rows reached the inner validation
    assert seen_groups and all(g is not None for g in seen_groups)
    path = result.save(tmp_path / "result")
    np.testing.assert_array_equal(ScalingCurveResult.load(path).strategies, result.strategies)
    assert "strategy" in result.to_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = write_report(result, tmp_path / "report")
    chosen = report["strategies"]["at_largest_size"]
    assert sum(chosen["counts"].values()) == 3 and chosen["source_size"] == 1000
    assert "strategy used at 1,000 source rows: " in report["summary"]
