"""scikit-learn's estimator contract, adapted to string input, over every public featurizer.

As scikit-fingerprints does: the checks that need no data run as scikit-learn
wrote them; those that need data are rewritten here with SMILES, pairs or
formulas, and parametrized over all public classes of the subpackage.
"""

import importlib.util
import inspect
import pickle
import re

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils import estimator_checks as sk_checks

import sim2real_sklearn.featurizers as featurizers
from sim2real_sklearn.featurizers import (
    BaseFeaturizer,
    CompositionFeaturizer,
    ForceFieldKernelMean,
    MorganFingerprint,
    PairFeaturizer,
    RDKitDescriptors,
)

SMILES = [
    "CCO", "*CC(*)c1ccccc1", "c1ccccc1O", "*CC*", "CC(=O)Oc1ccccc1C(=O)O", "ClC(Cl)Cl", "CCN",
]
PAIRS = [
    "*CC(*)c1ccccc1_Cc1ccccc1",
    "*CC*_ClC(Cl)Cl",
    "*C(C*)C(=O)OC_CC(C)=O",
    "*CC(*)C_CCCCCC",
    "*C(C*)(C)C(=O)OC_c1ccccc1",
]
FORMULAS = ["Fe2O3", "Hg0.7Cd0.3Te", "Ba2YCu3O7", "(CH3NH3)PbI3", "NaCl", "SiO2"]

# One small instance and matching data per public class (ids are the names).
CASES = {
    "MorganFingerprint": (MorganFingerprint(fp_size=64), SMILES),
    "MorganFingerprint-count-cyclic": (
        MorganFingerprint(fp_size=64, count=True, connection_points="cyclic", n_repeat_units=3),
        SMILES,
    ),
    "RDKitDescriptors": (RDKitDescriptors(["MolWt", "TPSA", "MolLogP", "Ipc"]), SMILES),
    "RDKitDescriptors-hydrogen": (
        RDKitDescriptors(["MolWt", "NumRotatableBonds"], connection_points="hydrogen"),
        SMILES,
    ),
    "PairFeaturizer": (PairFeaturizer(MorganFingerprint(fp_size=32, count=True)), PAIRS),
    "CompositionFeaturizer": (
        CompositionFeaturizer(properties=["atomic_mass", "electronegativity"]), FORMULAS),
    # a 3-unit ring keeps each transform fast; the 10-unit default is tested in its own file
    "ForceFieldKernelMean": (ForceFieldKernelMean(nk=4, cyclic=3), SMILES),
}
IDS = list(CASES)


# One wrong value of every parameter of every public class. A new parameter
# needs a constraint and a row here (test_every_parameter_has_a_wrong_value).
BAD_VALUES = {
    "MorganFingerprint": {
        "radius": -1,
        "fp_size": 0,
        "count": "yes",
        "include_chirality": None,
        "sparse_output": "yes",
        "connection_points": "capped",
        "n_repeat_units": 1,
        "placeholders": ("Ce", "Qq"),
    },
    "RDKitDescriptors": {
        "descriptors": ["MolWt", "NoSuchThing"],
        "fill_value": np.inf,
        "connection_points": "methyl",
        "n_repeat_units": 2.0,
        "placeholders": 5,
    },
    "PairFeaturizer": {
        "featurizer": "morgan",
        "sep": "",
        "prefixes": ("polymer",),
    },
    "CompositionFeaturizer": {
        "elements": ["Fe", "Qq"],
        "properties": ["colour"],
        "stats": ["median"],
    },
    "ForceFieldKernelMean": {
        "nk": 0,
        "polar": "yes",
        "cyclic": 1,
        "ignore_hydrogens": None,
        "kernel_width": 0.0,
        "mass_kernel_width": float("nan"),
        "zero_below": -1e-6,
        "placeholders": ("Ce", "Qq"),
    },
}
# Classes whose computation lives in an optional extra: (module, install hint).
NEEDS_EXTRA = {
    "ForceFieldKernelMean": ("radonpy", "pip install sim2real-sklearn[radonpy]"),
}
# The parameters every BaseFeaturizer shares.
PLUMBING_BAD_VALUES = {
    "errors": "ignore",
    "n_jobs": "2",
    "batch_size": 0,
    "verbose": "loud",
    "memory": 3,
}


def _bad_parameter_cases():
    for name, own in BAD_VALUES.items():
        for param, value in {**PLUMBING_BAD_VALUES, **own}.items():
            yield pytest.param(name, param, value, id=f"{name}-{param}={value!r}")


def _public_classes():
    return {
        name
        for name in featurizers.__all__
        if inspect.isclass(getattr(featurizers, name))
        and not inspect.isabstract(getattr(featurizers, name))
    }


def test_every_public_featurizer_is_checked():
    checked = {name.split("-")[0] for name in CASES}
    assert _public_classes() == checked


def _case(name):
    module, hint = NEEDS_EXTRA.get(name.split("-")[0], (None, None))
    if module and importlib.util.find_spec(module) is None:
        pytest.skip(f"needs {module}, an optional extra: {hint}")
    estimator, data = CASES[name]
    return clone(estimator), list(data)


def _with_parallel(estimator, **params):
    if isinstance(estimator, PairFeaturizer):
        params = {f"featurizer__{k}": v for k, v in params.items()}
    return estimator.set_params(**params)


# ---------------------------------------------------- scikit-learn, as written
@pytest.mark.parametrize(
    "check",
    [
        sk_checks.check_no_attributes_set_in_init,
        sk_checks.check_get_params_invariance,
        sk_checks.check_set_params,
        sk_checks.check_estimator_cloneable,
        sk_checks.check_estimator_repr,
        sk_checks.check_do_not_raise_errors_in_init_or_set_params,
        sk_checks.check_parameters_default_constructible,
        sk_checks.check_mixin_order,
        sk_checks.check_valid_tag_types,
        sk_checks.check_estimator_tags_renamed,
        sk_checks.check_param_validation,
    ],
    ids=lambda check: check.__name__,
)
@pytest.mark.parametrize("name", IDS)
def test_sklearn_check(name, check):
    estimator, _ = _case(name)
    check(type(estimator).__name__, estimator)


# ------------------------------------------------ adapted to string input
@pytest.mark.parametrize("name", IDS)
def test_fit_returns_self_and_sets_n_features_in(name):
    estimator, data = _case(name)
    assert estimator.fit(data) is estimator
    assert estimator.n_features_in_ == 1
    assert not hasattr(estimator, "feature_names_in_")
    estimator.fit(pd.DataFrame({"material": data}))
    np.testing.assert_array_equal(estimator.feature_names_in_, ["material"])


@pytest.mark.parametrize("name", IDS)
def test_fit_does_not_change_parameters(name):
    estimator, data = _case(name)
    before = joblib.hash(estimator.get_params())
    estimator.fit(data)
    estimator.transform(data)
    assert joblib.hash(estimator.get_params()) == before


@pytest.mark.parametrize("name", IDS)
def test_transform_shape_names_and_dtype(name):
    estimator, data = _case(name)
    X = estimator.fit_transform(data)
    names = estimator.get_feature_names_out()
    assert X.shape == (len(data), len(names))
    assert np.issubdtype(X.dtype, np.floating)
    assert len(set(names)) == len(names) and all(isinstance(n, str) for n in names)
    np.testing.assert_array_equal(X, estimator.fit(data).transform(data))
    one_row = estimator.transform(data[:1])
    assert one_row.shape == (1, len(names))


@pytest.mark.parametrize("name", IDS)
def test_sample_order_and_subset_invariance(name):
    estimator, data = _case(name)
    X = estimator.fit_transform(data)
    order = np.random.default_rng(0).permutation(len(data))
    np.testing.assert_array_equal(estimator.transform([data[i] for i in order]), X[order])
    rows = np.vstack([estimator.transform([row]) for row in data])
    np.testing.assert_array_equal(rows, X)


@pytest.mark.parametrize("name", IDS)
def test_n_jobs_does_not_change_the_output(name):
    estimator, data = _case(name)
    data = data * 3
    expected = estimator.fit_transform(data)
    parallel = _with_parallel(clone(estimator), n_jobs=2, batch_size=2)
    np.testing.assert_array_equal(parallel.fit_transform(data), expected)


@pytest.mark.parametrize("name", IDS)
def test_pickle_round_trip(name):
    estimator, data = _case(name)
    estimator.fit(data)
    restored = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(restored.transform(data), estimator.transform(data))
    assert restored.get_params().keys() == estimator.get_params().keys()


@pytest.mark.parametrize("name", IDS)
def test_clone_drops_fitted_state(name):
    estimator, data = _case(name)
    estimator.fit(data)
    assert not hasattr(clone(estimator), "n_features_in_")


@pytest.mark.parametrize("name", IDS)
def test_pandas_output_has_names_and_index(name):
    estimator, data = _case(name)
    index = np.arange(100, 100 + len(data))
    X = estimator.set_output(transform="pandas").fit_transform(pd.Series(data, index=index))
    assert isinstance(X, pd.DataFrame)
    assert list(X.columns) == list(estimator.get_feature_names_out())
    assert list(X.index) == list(index)


@pytest.mark.parametrize("name", IDS)
def test_invalid_row_in_the_middle(name):
    estimator, data = _case(name)
    bad = "Zz9((" if "Composition" in name else "C1CC(_CCO" if "Pair" in name else "C1CC("
    rows = data[:3] + [bad] + data[3:]
    estimator.fit(data)
    with pytest.raises(ValueError, match=r"row 3 of X \("):
        estimator.transform(rows)
    X = estimator.set_params(errors="nan").transform(rows)
    np.testing.assert_array_equal(np.flatnonzero(np.isnan(X).any(axis=1)), [3])
    np.testing.assert_array_equal(np.delete(X, 3, axis=0), estimator.transform(data))


# Values that are invalid for every featurizer, whatever the input kind.
ANY_INVALID = {
    "None": None, "nan": float("nan"), "NA": pd.NA, "bytes": b"CCO", "int": 7, "empty": "",
    "blank": "  ",
}


@pytest.mark.parametrize("bad", ANY_INVALID.values(), ids=ANY_INVALID.keys())
@pytest.mark.parametrize("name", IDS)
def test_invalid_value_of_any_kind_is_one_named_row(name, bad):
    # Never a row of zeros or NaN in raise mode, never a shifted row in nan mode.
    estimator, data = _case(name)
    rows = np.array(data[:2] + [bad] + data[2:], dtype=object)
    with pytest.raises(ValueError, match=rf"row 2 of X \({re.escape(repr(bad))}\): "):
        clone(estimator).fit_transform(rows)
    X = clone(estimator).set_params(errors="nan").fit_transform(rows)
    np.testing.assert_array_equal(np.flatnonzero(np.isnan(X).any(axis=1)), [2])
    assert np.isnan(X[2]).all()
    np.testing.assert_array_equal(np.delete(X, 2, axis=0), clone(estimator).fit_transform(data))


@pytest.mark.parametrize("name", IDS)
def test_every_row_invalid_gives_nan_rows_or_names_the_first(name):
    estimator, data = _case(name)
    rows = ["", None, "  "]
    width = len(clone(estimator).fit(data).get_feature_names_out())
    X = clone(estimator).set_params(errors="nan").fit_transform(rows)
    assert X.shape == (3, width) and np.isnan(X).all()
    with pytest.raises(ValueError, match=r"row 0 of X \(''\): .* 2 more invalid row\(s\): 1, 2\."):
        clone(estimator).fit_transform(rows)


@pytest.mark.parametrize("name", [n for n in IDS if "Pair" not in n])
def test_cache_written_under_older_rules_is_not_reused(name, tmp_path, monkeypatch):
    # A cache from before a rule change (e.g. "" once gave a row of zeros)
    # must not answer for the new rules.
    from sim2real_sklearn.featurizers import _base

    estimator, data = _case(name)
    cached = clone(estimator).set_params(memory=tmp_path)
    cached.transform(data)
    monkeypatch.setattr(_base, "_CACHE_EPOCH", _base._CACHE_EPOCH - 1)
    cached.transform(data)
    assert len(list(tmp_path.rglob("output.pkl"))) == 2


@pytest.mark.parametrize("name", IDS)
def test_stateless_featurizers_transform_without_fit(name):
    estimator, data = _case(name)
    if isinstance(estimator, BaseFeaturizer):
        assert estimator.transform(data).shape[0] == len(data)
        assert estimator.__sklearn_tags__().requires_fit is False
    else:
        from sklearn.exceptions import NotFittedError

        with pytest.raises(NotFittedError):
            estimator.transform(data)


@pytest.mark.parametrize("name", IDS)
def test_empty_input_is_refused(name):
    estimator, _ = _case(name)
    with pytest.raises(ValueError, match="0 sample"):
        estimator.fit([])


@pytest.mark.parametrize("name", [n for n in IDS if "Pair" not in n])
def test_memory_cache_returns_the_same_features(name, tmp_path):
    estimator, data = _case(name)
    expected = estimator.transform(data)
    cached = clone(estimator).set_params(memory=tmp_path)
    np.testing.assert_array_equal(cached.transform(data), expected)
    np.testing.assert_array_equal(cached.transform(data), expected)  # from the cache
    assert any(tmp_path.rglob("output.pkl"))


# ------------------------------------------------------ parameter validation
def test_every_parameter_has_a_wrong_value():
    assert set(BAD_VALUES) == _public_classes()
    for name, own in BAD_VALUES.items():
        estimator, _ = _case(name)
        assert set(estimator.get_params(deep=False)) - set(PLUMBING_BAD_VALUES) == set(own), name


@pytest.mark.parametrize("name, param, value", list(_bad_parameter_cases()))
def test_wrong_parameter_is_named(name, param, value):
    estimator, data = _case(name)
    owner = name
    if isinstance(estimator, PairFeaturizer) and param in set(PLUMBING_BAD_VALUES) - {"errors"}:
        # the pair has no workers of its own: its component featurizer names it
        param_path, owner = f"featurizer__{param}", type(estimator.featurizer).__name__
    else:
        param_path = param
    estimator.set_params(**{param_path: value})
    message = f"The '{param}' parameter of {owner} must be .* Got .* instead"
    with pytest.raises(ValueError, match=message) as error:
        estimator.fit(data)
    assert isinstance(error.value, TypeError)  # InvalidParameterError is both
    if isinstance(estimator, BaseFeaturizer):  # stateless: transform checks too
        with pytest.raises(ValueError, match=message):
            estimator.transform(data)
