"""Ctrl-C, a real SIGINT, at every stage: nothing the user had is lost, and a re-run gives the
uninterrupted answer.

skorch's ``partial_fit`` swallows ``KeyboardInterrupt``: an interrupted
pretraining used to be fine-tuned, checkpointed and scored as a result.
"""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from sim2real_sklearn import Sim2RealRegressor, scaling_curve
from sim2real_sklearn.datasets import make_sim2real_regression
from sim2real_sklearn.scaling import _checkpoint
from sim2real_sklearn.transfer import _training

RNG = np.random.default_rng(0)
X, X_SOURCE = RNG.normal(size=(40, 3)), RNG.normal(size=(200, 3))


def tiny(**kwargs):
    return Sim2RealRegressor((8,), **{"pretrain_epochs": 10, "finetune_epochs": 10,
                                      "random_state": 0, **kwargs})


def fit(model):
    return model.fit(X, X[:, 0], X_source=X_SOURCE, y_source=X_SOURCE[:, 0] + 0.1)


@pytest.fixture
def sigint_at_epoch(monkeypatch):
    """Send the process a real SIGINT at the start of the n-th epoch of a named phase."""

    def arm(phase, epoch):
        seen = {"pretraining": 0, "fine-tuning": 0}
        original = _training._train_phase

        def train_phase(*args, **kwargs):
            net_run = _training._TensorNet.run_single_epoch
            current = kwargs["phase"]

            def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
                if training:
                    seen[current] = seen.get(current, 0) + 1
                    if current == phase and seen[current] == epoch:
                        signal.raise_signal(signal.SIGINT)
                return net_run(self, iterator, training, prefix, step_fn, **fit_params)

            monkeypatch.setattr(_training._TensorNet, "run_single_epoch", run_single_epoch)
            try:
                return original(*args, **kwargs)
            finally:
                monkeypatch.setattr(_training._TensorNet, "run_single_epoch", net_run)

        monkeypatch.setattr(_training, "_train_phase", train_phase)
        from sim2real_sklearn.transfer import _plan, _regressor
        monkeypatch.setattr(_regressor, "_train_phase", train_phase)  # fine-tuning
        monkeypatch.setattr(_plan, "_train_phase", train_phase)  # pretraining
        return seen

    return arm


@pytest.mark.parametrize("phase", ["pretraining", "fine-tuning"])
def test_ctrl_c_during_training_stops_the_fit_and_keeps_the_model(phase, sigint_at_epoch,
                                                                   monkeypatch, tmp_path):
    uninterrupted = fit(tiny()).predict(X)
    model = fit(tiny(pretrain_epochs=5))  # a model the user already has
    before = model.predict(X)
    model.set_params(pretrain_epochs=10, memory=str(tmp_path))
    sigint_at_epoch(phase, epoch=4)
    with pytest.raises(KeyboardInterrupt):
        fit(model)
    np.testing.assert_array_equal(model.predict(X), before)  # nothing of it was lost
    monkeypatch.undo()
    # Only a finished pretraining is cached (it is, when fine-tuning was interrupted); a
    # half-trained one is not. Either way the re-run equals the uninterrupted fit.
    again = fit(model.set_params(memory=str(tmp_path)))
    assert again.pretrain_from_cache_ == (phase == "fine-tuning")
    np.testing.assert_array_equal(again.predict(X), uninterrupted)


def test_ctrl_c_is_told_apart_from_early_stopping(sigint_at_epoch):
    # skorch's EarlyStopping also stops training with a KeyboardInterrupt: that one
    # ends the phase normally, a real Ctrl-C does not.
    model = tiny(early_stopping=True, n_iter_no_change=2, finetune_epochs=200,
                 finetune_lr=0.05)
    stopped = fit(model)
    assert len(stopped.finetune_history_) < 200
    sigint_at_epoch("fine-tuning", epoch=2)
    with pytest.raises(KeyboardInterrupt):
        fit(tiny(early_stopping=True, n_iter_no_change=50))


def test_ctrl_c_during_a_checkpoint_write_leaves_no_half_cell(tmp_path, monkeypatch):
    X_sim, y_sim, X_exp, y_exp = make_sim2real_regression(
        n_source=200, n_target=40, n_features=5, random_state=0)
    options = dict(source_sizes=[50, 200], n_trials=2, random_state=0)
    model = Sim2RealRegressor((8,), pretrain_epochs=3, finetune_epochs=3)
    reference = scaling_curve(model, X_sim, y_sim, X_exp, y_exp, **options)

    real_dump, calls = json.dump, {"n": 0}

    def dump_then_interrupt(payload, f):
        calls["n"] += 1
        if calls["n"] == 3:
            f.write('{"error": 0.')  # half a cell on disk when Ctrl-C arrives
            signal.raise_signal(signal.SIGINT)
        real_dump(payload, f)

    monkeypatch.setattr(_checkpoint.json, "dump", dump_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        scaling_curve(model, X_sim, y_sim, X_exp, y_exp, checkpoint_dir=tmp_path, **options)
    monkeypatch.undo()
    files = [f for _, _, names in os.walk(tmp_path) for f in names]
    assert len(files) == 2 and all(f.endswith(".json") for f in files)  # the two finished cells
    resumed = scaling_curve(model, X_sim, y_sim, X_exp, y_exp, checkpoint_dir=tmp_path, **options)
    assert resumed.n_reused_cells == 2
    np.testing.assert_array_equal(resumed.scores, reference.scores)
    np.testing.assert_array_equal(resumed.baseline_scores, reference.baseline_scores)


# -- a real Ctrl-C to a running study, as a terminal sends it -----------------------

STUDY = """
import sys
import numpy as np
from sim2real_sklearn import Sim2RealRegressor, scaling_curve
from sim2real_sklearn.datasets import make_sim2real_regression
X_sim, y_sim, X_exp, y_exp = make_sim2real_regression(n_source=400, n_target=40, n_features=5,
                                                      random_state=0)
model = Sim2RealRegressor((32,), pretrain_epochs=40, finetune_epochs=40)
result = scaling_curve(model, X_sim, y_sim, X_exp, y_exp, source_sizes=[50, 100, 200, 400],
                       n_trials=3, random_state=0, n_jobs=int(sys.argv[2]),
                       checkpoint_dir=sys.argv[1])
np.save(sys.argv[3], np.vstack([result.baseline_scores, result.scores]))
"""
N_CELLS = 15


def cell_files(folder):
    return [name for _, _, names in os.walk(folder) for name in names]


def interrupt_when(command, folder, n_files, timeout=120):
    """Start ``command`` in its own process group, Ctrl-C the group once ``n_files`` cells exist."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + timeout
    while len(cell_files(folder)) < n_files:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the study made no progress"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # the whole group, workers included, as a terminal does
    _, err = process.communicate(timeout=120)
    return process.returncode, err


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_ctrl_c_stops_a_study_and_the_resumed_study_equals_an_uninterrupted_one(tmp_path, n_jobs):
    folder, out = tmp_path / "checkpoints", tmp_path / "scores.npy"
    command = [sys.executable, "-c", STUDY, str(folder), str(n_jobs), str(out)]
    code, err = interrupt_when(command, folder, n_files=3)
    assert code != 0 and "KeyboardInterrupt" in err
    assert not out.exists()  # the study stopped, it did not carry on
    kept = cell_files(folder)
    assert 3 <= len(kept) < N_CELLS and all(name.endswith(".json") for name in kept)

    subprocess.run(command, check=True, capture_output=True)  # resume
    uninterrupted = tmp_path / "uninterrupted.npy"
    subprocess.run([sys.executable, "-c", STUDY, str(tmp_path / "fresh"), "1", str(uninterrupted)],
                   check=True, capture_output=True)
    np.testing.assert_array_equal(np.load(out), np.load(uninterrupted))


def test_ctrl_c_stops_the_command_line_and_a_rerun_resumes(tmp_path):
    X_sim, y_sim, X_exp, y_exp = make_sim2real_regression(
        n_source=400, n_target=40, n_features=5, random_state=0)
    columns = [f"x{i}" for i in range(5)]
    for name, X_, y_ in (("sim", X_sim, y_sim), ("exp", X_exp, y_exp)):
        pd.DataFrame(X_, columns=columns).assign(y=y_).to_csv(tmp_path / f"{name}.csv",
                                                              index=False)

    def command(out, checkpoints):
        return [sys.executable, "-m", "sim2real_sklearn.cli", "curve",
                "--source", str(tmp_path / "sim.csv"), "--target", str(tmp_path / "exp.csv"),
                "--feature-cols", ",".join(columns), "--y-col", "y", "--sizes", "50", "100", "400",
                "--trials", "3", "--n-jobs", "1", "--hidden", "32", "--pretrain-epochs", "40",
                "--finetune-epochs", "40", "--out", str(out), "--checkpoint-dir", str(checkpoints)]

    checkpoints = tmp_path / "checkpoints"
    code, err = interrupt_when(command(tmp_path / "out", checkpoints), checkpoints, n_files=3)
    assert code == 130
    assert "interrupted; the finished trials are kept in --checkpoint-dir" in err
    assert not (tmp_path / "out" / "report.json").exists()
    subprocess.run(command(tmp_path / "out", checkpoints), check=True, capture_output=True)
    subprocess.run(command(tmp_path / "fresh", tmp_path / "fresh_checkpoints"), check=True,
                   capture_output=True)
    resumed = pd.read_csv(tmp_path / "out" / "scores.csv")
    fresh = pd.read_csv(tmp_path / "fresh" / "scores.csv")
    pd.testing.assert_series_equal(resumed["error"], fresh["error"])
