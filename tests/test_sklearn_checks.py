"""scikit-learn's own estimator checks, run over the package's estimators."""

from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sim2real_sklearn import FitOnSource, Sim2RealRegressor

# Default settings: what a user gets is what is checked.
ESTIMATORS = [
    Sim2RealRegressor(random_state=0),
    # a deep ensemble (its members stacked, its spread calibrated on inner folds)
    Sim2RealRegressor(n_estimators=3, random_state=0),
    FitOnSource(StandardScaler()),
]

_REPEATED_ROWS = (
    "mini-batch training: a row of weight 2 is not the same as the row twice (other "
    "batches, other steps, other Adam moments); the weighted loss itself is tested in "
    "tests/test_weights_and_partial_labels.py."
)
EXPECTED_FAILURES = {
    "Sim2RealRegressor": {
        "check_methods_subset_invariance": (
            "float32 network: a row's prediction agrees to ~1e-7 relative whatever "
            "the batch it is predicted in, not bit for bit, because BLAS picks "
            "different kernels for different batch sizes; the check's rtol is 1e-7."
        ),
        "check_sample_weight_equivalence_on_dense_data": _REPEATED_ROWS,
        "check_sample_weight_equivalence_on_sparse_data": _REPEATED_ROWS,
    },
}


def expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
