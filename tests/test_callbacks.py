"""skorch callbacks in Sim2RealRegressor's fast training loop."""

import csv

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback, EpochScoring, LRScheduler

from sim2real_sklearn import Sim2RealRegressor, load_model, save_model, scaling_curve
from sim2real_sklearn.datasets import make_sim2real_regression

X_SIM, Y_SIM, X_EXP, Y_EXP = make_sim2real_regression(
    n_source=300, n_target=60, n_features=5, discrepancy=0.3, random_state=0)
TINY = dict(hidden_layer_sizes=(16,), pretrain_epochs=4, finetune_epochs=5, random_state=0)


class CSVLogger(Callback):
    """A user's logger: one line per epoch and one count of batches, in a folder."""

    def __init__(self, folder):
        self.folder = folder

    def initialize(self):
        self.batches_ = 0
        return self

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        self.batches_ += bool(training)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        with open(self.folder / "log.csv", "a", newline="") as handle:
            csv.writer(handle).writerow([row["epoch"], row["train_loss"], self.batches_])


def test_a_logger_gets_every_epoch_and_batch_of_the_training(tmp_path):
    model = Sim2RealRegressor(**TINY, finetune_batch_size=16, callbacks=[CSVLogger(tmp_path)])
    model.fit(X_EXP, Y_EXP, X_source=X_SIM, y_source=Y_SIM)
    rows = list(csv.reader(open(tmp_path / "log.csv")))
    assert [int(r[0]) for r in rows] == [1, 2, 3, 4, 5]  # the fine-tuning's epochs only
    losses = [float(r[1]) for r in rows]
    assert losses == pytest.approx([h["train_loss"] for h in model.finetune_history_])
    assert [int(r[2]) for r in rows] == [4, 8, 12, 16, 20]  # 60 rows in batches of 16


def test_callbacks_per_phase(tmp_path):
    (tmp_path / "pre").mkdir()
    (tmp_path / "fine").mkdir()
    model = Sim2RealRegressor(**TINY, callbacks={"pretrain": [CSVLogger(tmp_path / "pre")],
                                                 "finetune": [CSVLogger(tmp_path / "fine")]})
    model.fit(X_EXP, Y_EXP, X_source=X_SIM, y_source=Y_SIM)
    assert len(list(csv.reader(open(tmp_path / "pre" / "log.csv")))) == 4
    assert len(list(csv.reader(open(tmp_path / "fine" / "log.csv")))) == 5
    with pytest.raises(ValueError, match="unknown phases"):
        Sim2RealRegressor(**TINY, callbacks={"warmup": []}).fit(X_EXP, Y_EXP)


def test_epoch_scoring_records_a_score_per_epoch():
    scoring = EpochScoring("neg_mean_absolute_error", on_train=True, name="train_mae")
    model = Sim2RealRegressor(**TINY, callbacks=[scoring])
    model.fit(X_EXP, Y_EXP, X_source=X_SIM, y_source=Y_SIM)
    scores = [h["train_mae"] for h in model.finetune_history_]
    assert len(scores) == 5 and all(s < 0 for s in scores)
    # the score of the last epoch is the one of the predictions made during it
    assert scores[-1] > scores[0]


def test_an_lr_scheduler_replaces_the_phase_schedule():
    step = LRScheduler(policy=torch.optim.lr_scheduler.StepLR, step_size=2, gamma=0.1)
    model = Sim2RealRegressor(**TINY, finetune_lr=1e-2, callbacks=[("step", step)])
    model.fit(X_EXP, Y_EXP, X_source=X_SIM, y_source=Y_SIM)
    lrs = [group["lr"] for group in model.net_.optimizer_.param_groups]
    assert lrs == pytest.approx([1e-4])  # two decays after epochs 2 and 4; no cosine on top


def test_callbacks_that_are_not_callbacks_are_refused():
    with pytest.raises(TypeError, match="is not a skorch callback"):
        Sim2RealRegressor(**TINY, callbacks=[print]).fit(X_EXP, Y_EXP)


def test_a_model_trained_with_callbacks_saves_without_them(tmp_path):
    model = Sim2RealRegressor(**TINY, callbacks=[CSVLogger(tmp_path)]).fit(X_EXP, Y_EXP)
    save_model(model, tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert loaded.callbacks is None
    np.testing.assert_array_equal(loaded.predict(X_EXP), model.predict(X_EXP))


def test_a_study_with_callbacks_fits_each_cell_with_them(tmp_path):
    model = Sim2RealRegressor(**TINY, callbacks=[CSVLogger(tmp_path)])
    result = scaling_curve(model, X_SIM, Y_SIM, X_EXP, Y_EXP, source_sizes=[50, 300],
                           n_trials=2, random_state=0)
    assert np.isfinite(result.scores).all()
    # 3 cells (baseline, 50, 300) x 2 trials, 5 fine-tuning epochs each, one process
    assert len(list(csv.reader(open(tmp_path / "log.csv")))) == 6 * 5


def test_optuna_prunes_bad_trials_of_a_small_study():
    optuna = pytest.importorskip("optuna")
    pruning = pytest.importorskip("optuna_integration").SkorchPruningCallback
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        lr = trial.suggest_categorical("finetune_lr", [1e-7, 1e-2])
        # the squared error: the pruning threshold below is on its scale
        model = Sim2RealRegressor(hidden_layer_sizes=(16,), finetune_epochs=20, finetune_lr=lr,
                                  finetune_lr_schedule="constant", loss="mse", random_state=0,
                                  callbacks=[pruning(trial, monitor="train_loss")])
        model.fit(X_EXP[:40], Y_EXP[:40])
        return float(np.abs(model.predict(X_EXP[40:]) - Y_EXP[40:]).mean())

    # a trial whose training loss is still above 1 after 3 epochs stops there (the good
    # learning rate is at 0.91 by then, the bad one stays at 1.16)
    study = optuna.create_study(sampler=optuna.samplers.GridSampler({"finetune_lr": [1e-7, 1e-2]}),
                                pruner=optuna.pruners.ThresholdPruner(upper=1.0,
                                                                      n_warmup_steps=3))
    study.optimize(objective, n_trials=2)
    states = {t.params["finetune_lr"]: t.state for t in study.trials}
    assert states[1e-7] == optuna.trial.TrialState.PRUNED
    assert states[1e-2] == optuna.trial.TrialState.COMPLETE
    pruned = next(t for t in study.trials if t.params["finetune_lr"] == 1e-7)
    assert max(pruned.intermediate_values) < 19  # stopped early, not after 20 epochs
