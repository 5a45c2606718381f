"""Sim2RealRegressor: the user's story of pretraining on simulations, fine-tuning on experiments."""

import pickle

import numpy as np
import pytest
import torch
from torch import nn

from sim2real_sklearn import Sim2RealRegressor, SourceLengthWarning

FAST = dict(hidden_layer_sizes=(64, 64), pretrain_epochs=30, pretrain_batch_size=64,
            finetune_epochs=60, finetune_lr=1e-3, finetune_batch_size=16)


def physics(X, seed=0):
    """The experimental truth: a smooth nonlinear function of the features."""
    w = np.random.default_rng(seed).normal(size=X.shape[1])
    return np.tanh(X @ w / np.sqrt(X.shape[1])) * 2 + np.sin(X[:, 0])


def sim2real_data(n_source=2000, n_target=40, n_features=10, informative=True, seed=0):
    rng = np.random.default_rng(seed)
    X_source = rng.normal(size=(n_source, n_features))
    X_target = rng.normal(size=(n_target, n_features))
    X_test = rng.normal(size=(1000, n_features))
    if informative:
        # biased but informative: an affine miscalibration of the truth plus a small missing term
        y_source = 1.4 * physics(X_source) + 0.8 + 0.2 * np.cos(X_source[:, 1])
    else:
        y_source = physics(X_source, seed=99)  # another, unrelated function
    y_target = physics(X_target) + 0.05 * rng.normal(size=n_target)
    return X_source, y_source, X_target, y_target, X_test, physics(X_test)


def mae(model, X, y):
    return np.abs(model.predict(X) - y).mean()


def test_finetuning_beats_direct_learning_with_an_informative_source():
    gains = []
    for seed in range(3):
        Xs, ys, Xt, yt, Xte, yte = sim2real_data(seed=seed)
        direct = Sim2RealRegressor(**FAST, random_state=seed).fit(Xt, yt)
        transfer = Sim2RealRegressor(**FAST, random_state=seed).fit(Xt, yt, X_source=Xs,
                                                                    y_source=ys)
        gains.append(mae(direct, Xte, yte) / mae(transfer, Xte, yte))
    # transfer must be clearly better: at least 1.5x lower error on average
    assert np.mean(gains) > 1.5, gains


def test_an_uninformative_source_does_not_pretend_to_help():
    ratios = []
    for seed in range(3):
        Xs, ys, Xt, yt, Xte, yte = sim2real_data(informative=False, seed=seed)
        direct = Sim2RealRegressor(**FAST, random_state=seed).fit(Xt, yt)
        transfer = Sim2RealRegressor(**FAST, reuse_source_head=False, random_state=seed).fit(
            Xt, yt, X_source=Xs, y_source=ys)
        ratios.append(mae(direct, Xte, yte) / mae(transfer, Xte, yte))
    # no clear gain: the error ratio stays near or below 1, far from the informative case
    assert np.mean(ratios) < 1.2, ratios


@pytest.mark.parametrize("strategy", ["finetune", "freeze", "multitask"])
def test_every_strategy_learns_from_a_source(strategy):
    Xs, ys, Xt, yt, Xte, yte = sim2real_data(n_source=1000)
    model = Sim2RealRegressor(**FAST, strategy=strategy, random_state=0)
    model.fit(Xt, yt, X_source=Xs, y_source=ys)
    baseline = np.abs(yte - yt.mean()).mean()  # predicting the mean
    assert mae(model, Xte, yte) < 0.6 * baseline
    assert model.n_source_samples_ == 1000
    assert len(model.finetune_history_) == (FAST["pretrain_epochs"] if strategy == "multitask"
                                            else FAST["finetune_epochs"])


def test_freeze_leaves_body_weights_and_batchnorm_statistics_bit_identical():
    Xs, ys, Xt, yt, _, _ = sim2real_data(n_source=500)
    model = Sim2RealRegressor(**{**FAST, "pretrain_epochs": 5}, batch_norm=True, dropout=0.2,
                              strategy="freeze", random_state=0)
    model.fit(Xt, yt, X_source=Xs, y_source=ys)
    # Same seed, same source: the same pretrained body; compare it to the fine-tuned one.
    state = pretrained_state(model, Xs, ys)
    body_after = {k: v for k, v in model.net_.module_.state_dict().items() if k.startswith("body.")}
    assert any("running_mean" in k for k in body_after)
    for key, value in body_after.items():
        np.testing.assert_array_equal(value.numpy(), state[key], err_msg=key)
    # and the head did move
    head = model.net_.module_.heads.weight.detach().numpy()
    assert not np.array_equal(head, state["heads.weight"])


def pretrained_state(model, Xs, ys):
    """Redo the fitted model's pretraining alone (same seed, threads and settings)."""
    from sim2real_sklearn._torch_threads import torch_threads
    from sim2real_sklearn.transfer._plan import pretrain_body
    pretrain_seed, _ = np.random.RandomState(model.random_state).randint(0, 2**31 - 1, size=2)
    with torch_threads(model.n_threads):
        return pretrain_body(model._body_spec(2), Xs, ys[:, None], model._settings("pretrain"),
                             int(pretrain_seed), "cpu")["state"]


def test_finetune_moves_the_body():
    Xs, ys, Xt, yt, _, _ = sim2real_data(n_source=300)
    model = Sim2RealRegressor(**{**FAST, "pretrain_epochs": 3}, random_state=0)
    model.fit(Xt, yt, X_source=Xs, y_source=ys)
    state = pretrained_state(model, Xs, ys)
    after = model.net_.module_.state_dict()["body.layers.0.weight"].numpy()
    assert not np.array_equal(after, state["body.layers.0.weight"])


def test_same_seed_gives_identical_predictions_and_different_seeds_differ():
    Xs, ys, Xt, yt, Xte, _ = sim2real_data(n_source=300)
    def fit(seed):
        return Sim2RealRegressor(**{**FAST, "pretrain_epochs": 3}, dropout=0.1,
                                 random_state=seed).fit(Xt, yt, X_source=Xs, y_source=ys)

    np.testing.assert_array_equal(fit(3).predict(Xte), fit(3).predict(Xte))
    assert not np.array_equal(fit(3).predict(Xte), fit(4).predict(Xte))


def test_fitting_does_not_change_the_users_torch_random_state():
    Xs, ys, Xt, yt, _, _ = sim2real_data(n_source=100)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    Sim2RealRegressor((8,), pretrain_epochs=1, finetune_epochs=1, random_state=0).fit(
        Xt, yt, X_source=Xs, y_source=ys)
    np.testing.assert_array_equal(torch.rand(3).numpy(), expected.numpy())


def test_pickle_round_trip_predicts_identically():
    Xs, ys, Xt, yt, Xte, _ = sim2real_data(n_source=300)
    model = Sim2RealRegressor(**{**FAST, "pretrain_epochs": 3}, batch_norm=True, random_state=0)
    model.fit(Xt, yt, X_source=Xs, y_source=ys)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict(Xte), model.predict(Xte))


def test_several_source_properties_pretrain_one_output_each():
    Xs, ys, Xt, yt, Xte, yte = sim2real_data(n_source=1000)
    Ys = np.column_stack([ys, np.cos(Xs[:, 2]) * 3, Xs[:, 3] ** 2])
    model = Sim2RealRegressor(**FAST, strategy="freeze", random_state=0)
    model.fit(Xt, yt, X_source=Xs, y_source=Ys)
    assert model.n_source_tasks_ == 3
    assert model.net_.module_.heads.out_features == 4
    assert model.predict(Xte).shape == (1000,)
    # the frozen pretrained outputs still predict each source property
    pred = model.predict_source(Xs[:200])
    assert pred.shape == (200, 3)
    for j in range(3):
        assert np.corrcoef(pred[:, j], Ys[:200, j])[0, 1] > 0.8


class TinyBody(nn.Module):
    def __init__(self, n_features_in, width=4):
        super().__init__()
        self.linear = nn.Linear(n_features_in, width)
        self.out_features = width

    def forward(self, X):
        return torch.relu(self.linear(X))


def test_a_custom_body_takes_module_parameters_searchable_like_skorch():
    from sklearn.base import clone
    Xs, ys, Xt, yt, _, _ = sim2real_data(n_source=100)
    model = Sim2RealRegressor(module=TinyBody, module__width=7, pretrain_epochs=2,
                              finetune_epochs=2)
    assert model.get_params()["module__width"] == 7
    model = clone(model).set_params(module__width=5)
    model.fit(Xt, yt, X_source=Xs, y_source=ys)
    assert model.net_.module_.body.linear.out_features == 5
    with pytest.raises(TypeError, match="unexpected keyword arguments \\['widht'\\]"):
        Sim2RealRegressor(widht=3).fit(Xt, yt)


def test_body_without_out_features_is_rejected_with_a_clear_message():
    class NoWidth(nn.Module):
        def __init__(self, n_features_in):
            super().__init__()
            self.linear = nn.Linear(n_features_in, 3)

    Xt = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(TypeError, match="out_features"):
        Sim2RealRegressor(module=NoWidth, finetune_epochs=1).fit(Xt, Xt[:, 0])


def test_early_stopping_holds_out_an_explicit_fraction_and_stops():
    Xs, ys, Xt, yt, _, _ = sim2real_data(n_source=600)
    # a high fine-tuning rate on 32 rows overfits quickly: the validation loss must stop it
    model = Sim2RealRegressor((32,), pretrain_epochs=300, finetune_epochs=300, finetune_lr=3e-2,
                              early_stopping=True, validation_fraction=0.2, n_iter_no_change=5,
                              random_state=0)
    model.fit(Xt, yt, X_source=Xs, y_source=ys)
    assert "valid_loss" in model.pretrain_history_[0]
    assert len(model.pretrain_history_) < 300
    assert len(model.finetune_history_) < 300
    with pytest.raises(ValueError, match="validation_fraction=0.1 of 4 rows"):
        Sim2RealRegressor(early_stopping=True).fit(Xt[:4], yt[:4])


def test_memory_caches_pretraining(tmp_path):
    Xs, ys, Xt, yt, Xte, _ = sim2real_data(n_source=300)
    params = dict(FAST, pretrain_epochs=3, memory=str(tmp_path), random_state=0)
    first = Sim2RealRegressor(**params).fit(Xt, yt, X_source=Xs, y_source=ys)
    second = Sim2RealRegressor(**params, ).set_params(finetune_lr=3e-3).fit(
        Xt, yt, X_source=Xs, y_source=ys)
    assert not first.pretrain_from_cache_
    assert second.pretrain_from_cache_
    assert first.pretrain_history_ == second.pretrain_history_
    # A different source must not hit the cache.
    third = Sim2RealRegressor(**params).fit(Xt, yt, X_source=Xs[:200], y_source=ys[:200])
    assert not third.pretrain_from_cache_


def test_predictions_are_one_dimensional_for_one_dimensional_y():
    Xs, ys, Xt, yt, Xte, _ = sim2real_data(n_source=100)
    model = Sim2RealRegressor((8,), pretrain_epochs=1, finetune_epochs=1).fit(
        Xt, yt, X_source=Xs, y_source=ys)
    assert model.predict(Xte).shape == (len(Xte),)


# -- clear errors naming the argument --

@pytest.fixture
def small():
    Xs, ys, Xt, yt, _, _ = sim2real_data(n_source=50, n_target=12, n_features=4)
    return Xs, ys, Xt, yt


def quick():
    return Sim2RealRegressor((4,), pretrain_epochs=1, finetune_epochs=1)


def test_error_source_with_other_feature_count(small):
    Xs, ys, Xt, yt = small
    with pytest.raises(ValueError, match="X_source has 3 features but X has 4"):
        quick().fit(Xt, yt, X_source=Xs[:, :3], y_source=ys)


@pytest.mark.parametrize("given", ["X_source", "y_source"])
def test_error_source_half_given(small, given):
    Xs, ys, Xt, yt = small
    kwargs = {"X_source": Xs} if given == "X_source" else {"y_source": ys}
    with pytest.raises(ValueError, match=f"{given} was given without"):
        quick().fit(Xt, yt, **kwargs)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_error_non_finite_targets(small, bad):
    Xs, ys, Xt, yt = small
    y_bad = yt.copy()
    y_bad[3] = bad
    with pytest.raises(ValueError, match="Input y contains"):
        quick().fit(Xt, y_bad, X_source=Xs, y_source=ys)
    ys_bad = ys.copy()
    ys_bad[7] = bad
    # NaN in y_source is an unknown property, refused when the row has no other one
    message = "y_source contains" if np.isinf(bad) else "y_source row 7 has no known property"
    with pytest.raises(ValueError, match=message):
        quick().fit(Xt, yt, X_source=Xs, y_source=ys_bad)
    Xs_bad = Xs.copy()
    Xs_bad[2, 1] = bad
    with pytest.raises(ValueError, match="X_source contains"):
        quick().fit(Xt, yt, X_source=Xs_bad, y_source=ys)


def test_error_empty_and_single_row_target(small):
    Xs, ys, Xt, yt = small
    with pytest.raises(ValueError, match="0 sample"):
        quick().fit(Xt[:0], yt[:0], X_source=Xs, y_source=ys)
    with pytest.raises(ValueError, match="n_samples=1: .*at least 2 target samples"):
        quick().fit(Xt[:1], yt[:1])


def test_error_source_rows_mismatch(small):
    Xs, ys, Xt, yt = small
    with pytest.raises(ValueError,
                       match="X_source and y_source have different numbers of rows: 50 and 49"):
        quick().fit(Xt, yt, X_source=Xs, y_source=ys[:-1])


@pytest.mark.parametrize("param, value, fragment", [
    ("strategy", "distill", "The 'strategy' parameter of Sim2RealRegressor must be a str among"),
    ("activation", "sigmoidal", "The 'activation' parameter of Sim2RealRegressor"),
    ("finetune_epochs", 0, "The 'finetune_epochs' parameter of Sim2RealRegressor must be an int"),
    ("pretrain_lr", -1.0, "The 'pretrain_lr' parameter of Sim2RealRegressor must be a float"),
    ("validation_fraction", 1.5, "The 'validation_fraction' parameter"),
    ("device", "cuda:7", "device='cuda:7' is not available on this machine"),
])
def test_error_bad_parameters_are_named(small, param, value, fragment):
    if param == "device" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    Xs, ys, Xt, yt = small
    with pytest.raises(ValueError, match=fragment):
        quick().set_params(**{param: value}).fit(Xt, yt, X_source=Xs, y_source=ys)


def test_a_bare_source_as_long_as_the_target_warns(small):
    Xs, ys, Xt, yt = small
    with pytest.warns(SourceLengthWarning, match="X_source=\\(X_source,\\)"):
        quick().fit(Xt, yt, X_source=Xs[:12], y_source=ys[:12])
    # a 1-tuple is the documented way out, and it is unwrapped
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", SourceLengthWarning)
        model = quick().fit(Xt, yt, X_source=(Xs[:12],), y_source=(ys[:12],))
    assert model.n_source_samples_ == 12


def test_training_synchronises_with_the_device_once_per_epoch_not_per_batch(monkeypatch):
    # On a GPU every .item()/float() of a tensor waits for the device; the loop
    # must not do it per batch. Count them on the CPU, where the code path is the same.
    calls = {"n": 0}
    for name in ("item", "__float__", "tolist"):
        original = getattr(torch.Tensor, name)

        def counting(self, *args, _original=original, **kwargs):
            calls["n"] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counting)
    Xs, ys, Xt, yt, _, _ = sim2real_data(n_source=640, n_target=64)
    epochs = 5
    Sim2RealRegressor((16,), pretrain_epochs=epochs, finetune_epochs=epochs, pretrain_batch_size=8,
                      finetune_batch_size=8, random_state=0).fit(Xt, yt, X_source=Xs, y_source=ys)
    batches = epochs * (640 // 8) + epochs * (64 // 8)  # 440 batches in all
    assert calls["n"] <= 4 * (2 * epochs) < batches


# -- the fine-tuning recipe ------------------------------------------------------------


def test_an_l1_loss_learns_the_median_and_mse_the_mean():
    # Eight measurements of 0 and two outliers of 100: the absolute error is
    # smallest at the median, the squared error at the mean (20).
    X = np.zeros((10, 2))
    y = np.array([0.0] * 8 + [100.0] * 2)
    fitted = {loss: Sim2RealRegressor((4,), loss=loss, finetune_epochs=400, finetune_lr=3e-2,
                                      finetune_batch_size=10, random_state=0).fit(X, y)
              for loss in ("mse", "l1", "huber")}
    assert fitted["mse"].predict(X[:1])[0] == pytest.approx(20.0, abs=2.0)
    assert abs(fitted["l1"].predict(X[:1])[0]) < 2.0
    assert 0.5 < fitted["huber"].predict(X[:1])[0] < 15.0  # in between, nearer the median


@pytest.mark.parametrize("schedule", ["cosine", "onecycle"])
def test_a_learning_rate_schedule_is_followed(schedule):
    Xs, ys, Xt, yt, _, _ = sim2real_data(n_source=200)
    model = Sim2RealRegressor((8,), pretrain_epochs=2, finetune_epochs=20, finetune_lr=1e-2,
                              finetune_lr_schedule=schedule, random_state=0)
    model.fit(Xt, yt, X_source=Xs, y_source=ys)
    if schedule == "cosine":  # epoch by epoch, from the learning rate down toward 0, never up
        lrs = [epoch["event_lr"] for epoch in model.net_.history]
        assert len(lrs) == 20 and lrs[0] == pytest.approx(1e-2) and lrs[-1] < 1e-3
        assert all(b <= a + 1e-12 for a, b in zip(lrs, lrs[1:]))
    else:  # batch by batch, up to the learning rate near 30% of the steps, then down
        lrs = [batch["event_lr"] for epoch in model.net_.history for batch in epoch["batches"]]
        assert len(lrs) == 20 * 2  # 40 rows: batches of 32 and 8
        peak = int(np.argmax(lrs))
        assert lrs[peak] == pytest.approx(1e-2, rel=0.05)
        assert 0.2 < peak / len(lrs) < 0.4 and lrs[0] < 1e-3 and lrs[-1] < 1e-4


def body_change(model, Xs, ys):
    state = pretrained_state(model, Xs, ys)
    after = model.net_.module_.state_dict()
    return {k: float(np.abs(after[k].numpy() - state[k]).max())
            for k in after if k.startswith("body.")}


def test_a_lower_body_learning_rate_moves_the_body_less():
    Xs, ys, Xt, yt, _, _ = sim2real_data(n_source=300)
    base = dict(**{**FAST, "pretrain_epochs": 3}, random_state=0)
    same = Sim2RealRegressor(**base).fit(Xt, yt, X_source=Xs, y_source=ys)
    slow = Sim2RealRegressor(**base, body_lr_ratio=0.01).fit(Xt, yt, X_source=Xs, y_source=ys)
    moved, barely = body_change(same, Xs, ys), body_change(slow, Xs, ys)
    assert all(barely[k] < 0.05 * moved[k] for k in moved)
    # the head learns at the full rate in both
    assert slow.finetune_history_[-1]["train_loss"] < slow.finetune_history_[0]["train_loss"]


def test_partial_freezing_keeps_the_first_layers_as_pretrained():
    Xs, ys, Xt, yt, _, _ = sim2real_data(n_source=300)
    model = Sim2RealRegressor(**{**FAST, "pretrain_epochs": 3}, batch_norm=True, freeze_layers=1,
                              random_state=0).fit(Xt, yt, X_source=Xs, y_source=ys)
    change = body_change(model, Xs, ys)
    # layer 0 (Linear) and its BatchNorm (layer 1), statistics included, are as pretrained
    frozen = [k for k in change if k.startswith(("body.layers.0.", "body.layers.1."))]
    assert {"body.layers.1.running_mean", "body.layers.0.weight"} <= set(frozen)
    assert all(change[k] == 0.0 for k in frozen)
    assert change["body.layers.3.weight"] > 0  # the second Linear layer learned


def test_l2sp_keeps_the_body_near_the_pretrained_weights():
    Xs, ys, Xt, yt, _, _ = sim2real_data(n_source=300)
    base = dict(**{**FAST, "pretrain_epochs": 3}, random_state=0)
    free = body_change(Sim2RealRegressor(**base).fit(Xt, yt, X_source=Xs, y_source=ys), Xs, ys)
    tied = body_change(Sim2RealRegressor(**base, l2sp=100.0).fit(Xt, yt, X_source=Xs, y_source=ys),
                       Xs, ys)
    assert sum(tied.values()) < 0.3 * sum(free.values())


def test_recipe_settings_do_not_invalidate_the_cached_pretraining(tmp_path):
    Xs, ys, Xt, yt, _, _ = sim2real_data(n_source=200)
    base = dict(hidden_layer_sizes=(8,), pretrain_epochs=2, finetune_epochs=2, random_state=0,
                memory=str(tmp_path))
    Sim2RealRegressor(**base).fit(Xt, yt, X_source=Xs, y_source=ys)
    for recipe in (dict(loss="l1"), dict(body_lr_ratio=0.1), dict(l2sp=1.0), dict(freeze_layers=1),
                   dict(finetune_lr_schedule="cosine")):
        model = Sim2RealRegressor(**base, **recipe).fit(Xt, yt, X_source=Xs, y_source=ys)
        assert model.pretrain_from_cache_, recipe


@pytest.mark.parametrize("users_setting", [False, True])
def test_training_leaves_the_users_denormal_setting_as_it_was(users_setting):
    # Training flushes subnormal floats to zero (Adam's moments of dead units reach
    # them and slow every step); the process's setting is the user's again afterwards.
    from sim2real_sklearn._torch_threads import flush_denormals

    def flushing():
        return (torch.tensor([1e-30]) * 1e-9).item() == 0

    X_source, y_source, X, y, _, _ = sim2real_data(n_source=200, n_target=30)
    torch.set_flush_denormal(users_setting)
    try:
        with flush_denormals():
            assert flushing()
        assert flushing() == users_setting
        Sim2RealRegressor((8,), pretrain_epochs=2, finetune_epochs=2, random_state=0).fit(
            X, y, X_source=X_source, y_source=y_source)
        assert flushing() == users_setting
    finally:
        torch.set_flush_denormal(False)
