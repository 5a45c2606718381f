"""Featurizers' sparse output (sparse_output=True): the same numbers as a CSR matrix."""

import numpy as np
import pytest
import scipy.sparse
import sklearn

from sim2real_sklearn import Sim2RealRegressor, make_sim2real_pipeline
from sim2real_sklearn.featurizers import MorganFingerprint, PairFeaturizer

SMILES = ["*CC*", "*CC(*)c1ccccc1", "CCO", "c1ccccc1O", "*CC(*)C(=O)OC", "CCN(CC)CC"]


@pytest.mark.parametrize("count", [True, False])
def test_sparse_output_holds_the_dense_values(count):
    dense = MorganFingerprint(fp_size=512, count=count).fit_transform(SMILES)
    sparse = MorganFingerprint(fp_size=512, count=count, sparse_output=True).fit_transform(SMILES)
    assert scipy.sparse.issparse(sparse) and sparse.format == "csr"
    assert sparse.dtype == dense.dtype == np.float32
    np.testing.assert_array_equal(sparse.toarray(), dense)
    assert sparse.nnz == np.count_nonzero(dense)  # no stored zeros


def test_chunks_of_rows_join_in_order(monkeypatch):
    monkeypatch.setattr("sim2real_sklearn.featurizers._base._SPARSE_CHUNK_ROWS", 4)
    many = SMILES * 3
    sparse = MorganFingerprint(fp_size=256, count=True, sparse_output=True).transform(many)
    dense = MorganFingerprint(fp_size=256, count=True).transform(many)
    np.testing.assert_array_equal(sparse.toarray(), dense)


def test_an_invalid_row_is_a_row_of_nan_or_an_error_naming_it():
    rows = ["CCO", "not a smiles", "c1ccccc1O"]
    out = MorganFingerprint(fp_size=64, sparse_output=True, errors="nan").transform(rows)
    assert np.isnan(out.toarray()[1]).all() and np.isfinite(out.toarray()[[0, 2]]).all()
    with pytest.raises(ValueError, match="row 1"):
        MorganFingerprint(fp_size=64, sparse_output=True).transform(rows)


def test_a_pair_of_sparse_components_is_sparse():
    pairs = ["*CC*_CCO", "*CC(*)c1ccccc1_c1ccccc1O", "bad_CCO"]
    options = dict(fp_size=128, count=True)
    sparse = PairFeaturizer(MorganFingerprint(**options, sparse_output=True),
                            errors="nan").fit_transform(pairs)
    dense = PairFeaturizer(MorganFingerprint(**options), errors="nan").fit_transform(pairs)
    assert scipy.sparse.issparse(sparse) and sparse.shape == dense.shape == (3, 256)
    np.testing.assert_array_equal(sparse.toarray(), dense)  # NaN row included


def test_a_pipeline_with_sparse_fingerprints_learns_as_with_dense_ones():
    rng = np.random.default_rng(0)
    smiles = [s for s in SMILES for _ in range(5)]
    y = rng.normal(size=len(smiles))
    predictions = {}
    for sparse_output in (True, False):
        with sklearn.config_context(enable_metadata_routing=True):
            model = make_sim2real_pipeline(
                MorganFingerprint(fp_size=1024, count=True, sparse_output=sparse_output),
                Sim2RealRegressor(hidden_layer_sizes=(16,), pretrain_epochs=3,
                                  finetune_epochs=3, random_state=0))
            model.fit(smiles, y, X_source=(smiles,), y_source=(y + 1,))
            predictions[sparse_output] = model.predict(smiles)
        assert model[-1].sparse_input_  # both are read as sparse rows
    np.testing.assert_allclose(predictions[True], predictions[False], atol=1e-5)
