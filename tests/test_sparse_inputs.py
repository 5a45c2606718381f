"""Sparse inputs (fingerprints): scipy sparse or mostly-zero dense rows, read as sparse rows."""

import warnings

import numpy as np
import pytest
import scipy.sparse
from sklearn.model_selection import GroupShuffleSplit, cross_val_score

from sim2real_sklearn import Sim2RealRegressor, load_model, save_model, scaling_curve

TINY = dict(hidden_layer_sizes=(32, 16), pretrain_epochs=6, finetune_epochs=6)
N_COLUMNS = 600


def fingerprints(n, seed):
    """Count fingerprints: about 15 non-zeros of 600 columns per row, and a property of them."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n, N_COLUMNS))
    for row in X:
        row[rng.choice(N_COLUMNS, 15, replace=False)] = rng.integers(1, 4, size=15)
    weights = np.random.default_rng(99).normal(size=N_COLUMNS) / 4
    weights[np.random.default_rng(98).random(N_COLUMNS) > 0.1] = 0  # a tenth of the bits matter
    return X, X @ weights


X_SIM, Y_SIM = fingerprints(600, 0)
X_EXP, Y_EXP = fingerprints(60, 1)
Y_EXP = Y_EXP + 0.3  # the experiments are offset from the simulation


def test_auto_reads_fingerprints_as_sparse_and_descriptors_as_dense():
    model = Sim2RealRegressor(**TINY, random_state=0)
    assert model.fit(X_EXP, Y_EXP).sparse_input_
    assert model.fit(scipy.sparse.csr_matrix(X_EXP), Y_EXP).sparse_input_
    descriptors = np.random.default_rng(0).normal(size=(60, N_COLUMNS))
    assert not model.fit(descriptors, Y_EXP).sparse_input_
    assert not model.fit(X_EXP[:, :100], Y_EXP).sparse_input_  # narrow: dense is fast
    assert not Sim2RealRegressor(**TINY, sparse_input=False).fit(X_EXP, Y_EXP).sparse_input_


@pytest.mark.parametrize("strategy", ["finetune", "freeze", "multitask", "auto"])
def test_scipy_sparse_and_dense_inputs_give_the_same_predictions(strategy):
    # "auto" reads both as sparse rows: the same arithmetic, whatever the container
    model = Sim2RealRegressor(strategy=strategy, **TINY, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dense = model.fit(X_EXP, Y_EXP, X_source=X_SIM, y_source=Y_SIM).predict(X_EXP)
        sparse = model.fit(scipy.sparse.csr_matrix(X_EXP), Y_EXP,
                           X_source=scipy.sparse.csr_matrix(X_SIM), y_source=Y_SIM)
    assert sparse.sparse_input_
    np.testing.assert_allclose(sparse.predict(scipy.sparse.csr_matrix(X_EXP)), dense, atol=1e-5)
    np.testing.assert_allclose(sparse.predict(X_EXP), dense, atol=1e-5)


def test_sparse_input_false_makes_scipy_sparse_dense():
    model = Sim2RealRegressor(**TINY, sparse_input=False, random_state=0)
    dense = model.fit(X_EXP, Y_EXP, X_source=X_SIM, y_source=Y_SIM).predict(X_EXP)
    sparse = model.fit(scipy.sparse.csc_matrix(X_EXP), Y_EXP,
                       X_source=scipy.sparse.coo_matrix(X_SIM), y_source=Y_SIM)
    np.testing.assert_array_equal(sparse.predict(scipy.sparse.csr_matrix(X_EXP)), dense)


def test_lazy_and_dense_adam_learn_equally_well():
    # the lazy update of the first layer (sparse rows) against torch's dense Adam
    X_test, y_test = fingerprints(200, 2)
    y_test = y_test + 0.3
    errors = {}
    for sparse_input in (True, False):
        maes = []
        for seed in range(3):
            model = Sim2RealRegressor(hidden_layer_sizes=(64, 32), pretrain_epochs=30,
                                      finetune_epochs=30, sparse_input=sparse_input,
                                      random_state=seed)
            model.fit(X_EXP, Y_EXP, X_source=X_SIM, y_source=Y_SIM)
            maes.append(np.abs(model.predict(X_test) - y_test).mean())
        errors[sparse_input] = np.mean(maes)
    assert errors[True] == pytest.approx(errors[False], rel=0.1)
    assert errors[True] < 0.8 * np.abs(y_test - Y_EXP.mean()).mean()  # it learnt something


def test_a_study_of_sparse_rows_with_batched_trials_equals_one_fit_per_cell():
    # group splits give each trial its own number of training rows: the stack holds them all
    groups = np.repeat(np.arange(20), 3)
    options = dict(source_sizes=[50, 300], n_trials=3, random_state=0,
                   cv=GroupShuffleSplit(n_splits=3, test_size=0.3, random_state=0),
                   target_groups=groups)
    model = Sim2RealRegressor(**TINY)
    X_sparse, X_sim_sparse = scipy.sparse.csr_matrix(X_EXP), scipy.sparse.csr_matrix(X_SIM)
    batched = scaling_curve(model, X_sim_sparse, Y_SIM, X_sparse, Y_EXP, **options)
    alone = scaling_curve(model, X_sim_sparse, Y_SIM, X_sparse, Y_EXP, batch_trials=False,
                          **options)
    np.testing.assert_allclose(batched.scores, alone.scores, rtol=1e-4)
    np.testing.assert_allclose(batched.baseline_scores, alone.baseline_scores, rtol=1e-4)


def test_non_finite_sparse_values_are_named_by_row_and_column():
    X_bad = scipy.sparse.lil_matrix(X_EXP)
    X_bad[7, 3] = np.inf
    with pytest.raises(ValueError, match="infinity at row 7, column 3"):
        Sim2RealRegressor(**TINY).fit(X_bad.tocsr(), Y_EXP)
    X_sim_bad = scipy.sparse.lil_matrix(X_SIM)
    X_sim_bad[11, 5] = np.nan
    with pytest.raises(ValueError, match="X_source contains NaN at row 11, column 5"):
        Sim2RealRegressor(**TINY).fit(X_EXP, Y_EXP, X_source=X_sim_bad.tocsr(), y_source=Y_SIM)


def test_sparse_input_true_needs_the_default_body():
    import torch

    class Body(torch.nn.Module):
        def __init__(self, n_features_in):
            super().__init__()
            self.linear = torch.nn.Linear(n_features_in, 4)
            self.out_features = 4

        def forward(self, X):
            return self.linear(X)

    with pytest.raises(ValueError, match="sparse_input=True needs the default MLP body"):
        Sim2RealRegressor(module=Body, sparse_input=True).fit(X_EXP, Y_EXP)
    # "auto" gives a custom body dense rows
    model = Sim2RealRegressor(module=Body, finetune_epochs=2).fit(
        scipy.sparse.csr_matrix(X_EXP), Y_EXP)
    assert not model.sparse_input_ and model.predict(X_EXP).shape == (60,)


def test_a_sparse_model_saves_loads_and_cross_validates(tmp_path):
    model = Sim2RealRegressor(**TINY, random_state=0).fit(
        scipy.sparse.csr_matrix(X_EXP), Y_EXP, X_source=X_SIM, y_source=Y_SIM)
    save_model(model, tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert loaded.sparse_input_
    np.testing.assert_array_equal(loaded.predict(X_EXP), model.predict(X_EXP))
    scores = cross_val_score(Sim2RealRegressor(**TINY, random_state=0),
                             scipy.sparse.csr_matrix(X_EXP), Y_EXP, cv=3,
                             scoring="neg_mean_absolute_error")
    assert scores.shape == (3,) and np.isfinite(scores).all()
