"""PairFeaturizer: polymer-solvent pairs as "A_B" strings or two columns, next to temperature."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import FunctionTransformer

from sim2real_sklearn.featurizers import MorganFingerprint, PairFeaturizer, RDKitDescriptors

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
POLYMERS = ["*CC(*)c1ccccc1", "*CC*", "*C(C*)C(=O)OC"]
SOLVENTS = ["Cc1ccccc1", "ClC(Cl)Cl", "CC(C)=O"]
PAIRS = [f"{p}_{s}" for p, s in zip(POLYMERS, SOLVENTS)]


def test_joined_string_equals_two_columns_equals_components_side_by_side():
    fp = MorganFingerprint(fp_size=64, count=True)
    from_string = PairFeaturizer(fp).fit_transform(PAIRS)
    two_columns = pd.DataFrame({"polymer": POLYMERS, "solvent": SOLVENTS})
    from_columns = PairFeaturizer(fp).fit_transform(two_columns)
    expected = np.hstack([fp.transform(POLYMERS), fp.transform(SOLVENTS)])
    np.testing.assert_array_equal(from_string, expected)
    np.testing.assert_array_equal(from_columns, expected)


def test_feature_names_are_prefixed_per_component():
    pair = PairFeaturizer(RDKitDescriptors(["MolWt", "TPSA"]), prefixes=("poly", "solv")).fit(PAIRS)
    assert list(pair.get_feature_names_out()) == [
        "poly__MolWt", "poly__TPSA", "solv__MolWt", "solv__TPSA"]
    X = pair.set_output(transform="pandas").transform(pd.Series(PAIRS, index=[7, 8, 9]))
    assert list(X.index) == [7, 8, 9]
    assert X.loc[8, "solv__MolWt"] == pytest.approx(119.37, abs=0.01)  # chloroform


def test_one_featurizer_per_component():
    pair = PairFeaturizer((MorganFingerprint(fp_size=8), RDKitDescriptors(["MolWt"])))
    X = pair.fit_transform(PAIRS)
    assert X.shape == (3, 9)
    np.testing.assert_allclose(X[:, 8], RDKitDescriptors(["MolWt"]).transform(SOLVENTS)[:, 0])


@pytest.mark.parametrize("two_columns", [False, True])
def test_temperature_joins_the_pair_features_in_a_column_transformer(two_columns):
    data = pd.DataFrame(
        {"ps_pair": PAIRS, "polymer": POLYMERS, "solvent": SOLVENTS, "temp": [25.0, 40.0, 60.0]}
    )
    pair_columns = ["polymer", "solvent"] if two_columns else "ps_pair"
    features = ColumnTransformer(
        [
            ("pair", PairFeaturizer(MorganFingerprint(fp_size=32)), pair_columns),
            ("temp", "passthrough", ["temp"]),
        ]
    ).set_output(transform="pandas")
    X = features.fit_transform(data)
    assert X.shape == (3, 65)
    assert X.columns[0] == "pair__polymer__morgan_0"
    assert X.columns[32] == "pair__solvent__morgan_0"
    np.testing.assert_array_equal(X["temp__temp"], data["temp"])
    solvent_block = X.filter(like="pair__solvent__").to_numpy()
    np.testing.assert_array_equal(solvent_block, MorganFingerprint(fp_size=32).transform(SOLVENTS))


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("*CC*_C1CC(", r"row 1 .*solvent 'C1CC\('"),
        ("*CC(_CCO", r"row 1 .*polymer '\*CC\('"),
        ("*CCCC*", "row 1 .*2 components joined by '_', found 1 part"),
        ("*CC*_CCO_O", "row 1 .*found 3 part"),
    ],
)
def test_invalid_pair_raises_with_row_and_component(bad, fragment):
    pairs = [PAIRS[0], bad, PAIRS[2]]
    with pytest.raises(ValueError, match=fragment):
        PairFeaturizer(MorganFingerprint(fp_size=16)).fit(PAIRS).transform(pairs)
    X = PairFeaturizer(MorganFingerprint(fp_size=16), errors="nan").fit(PAIRS).transform(pairs)
    np.testing.assert_array_equal(np.flatnonzero(np.isnan(X).any(axis=1)), [1])
    assert np.isnan(X[1]).all()


@pytest.mark.parametrize("rows", [["CCO", "CC"], ["CCO_", "*_CC"]],
                         ids=["no-separator", "empty-and-star"])
def test_every_pair_invalid_gives_nan_rows_of_the_right_shape(rows):
    # Fitting the components on zero rows once failed with "Found array with 0 sample(s)".
    pair = PairFeaturizer(MorganFingerprint(fp_size=16), errors="nan")
    X = pair.fit_transform(rows)
    assert X.shape == (2, 32) and np.isnan(X).all()
    with pytest.raises(ValueError, match=r"row 0 of X \('CCO_?'\): "):
        PairFeaturizer(MorganFingerprint(fp_size=16)).fit_transform(rows)
    # fitted on invalid rows only, it still featurizes valid ones
    np.testing.assert_array_equal(
        pair.transform(PAIRS), PairFeaturizer(MorganFingerprint(fp_size=16)).fit_transform(PAIRS)
    )


def test_empty_or_star_component_is_named():
    with pytest.raises(ValueError, match=r"row 1 of X \('CCO_'\): solvent '': empty SMILES"):
        PairFeaturizer(MorganFingerprint(fp_size=16)).fit_transform([PAIRS[0], "CCO_"])
    with pytest.raises(ValueError, match=r"row 1 of X \('\*_CC'\): polymer '\*': no atoms besides"):
        PairFeaturizer(MorganFingerprint(fp_size=16)).fit_transform([PAIRS[0], "*_CC"])


def test_row_of_two_columns_is_shown_as_given():
    # Once joined with the separator, which showed a missing polymer as 'nan_CC'.
    rows = pd.DataFrame({"polymer": ["*CC*", None], "solvent": ["CCO", "CC"]}, index=[3, 8])
    with pytest.raises(ValueError, match=r"row 1 of X \(\[nan, 'CC'\], index label 8\): "
                                         r"polymer nan: missing value"):
        PairFeaturizer(MorganFingerprint(fp_size=16)).fit_transform(rows)


@pytest.mark.parametrize(
    "bad, reason",
    [(None, "missing value"), (float("nan"), "missing value"), (b"CC_O", "got bytes; decode them"),
     (3, "got int")],
    ids=["None", "nan", "bytes", "int"],
)
def test_a_row_that_is_not_a_string_is_named_with_what_to_do(bad, reason):
    rows = np.array([PAIRS[0], bad], dtype=object)
    message = re.escape(f"row 1 of X ({bad!r}): ") + ".*" + re.escape(reason)
    with pytest.raises(ValueError, match=message):
        PairFeaturizer(MorganFingerprint(fp_size=16)).fit_transform(rows)


def test_foreign_transformer_without_a_width_cannot_give_nan_rows():
    # NaN rows need the width of each block; a plain function does not say it.
    lengths = FunctionTransformer(lambda column: np.array([[len(s)] for s in column], dtype=float))
    pair = PairFeaturizer(lengths, errors="nan").fit(PAIRS)
    X = pair.transform([PAIRS[0], "no-separator"])
    assert X.shape == (2, 2) and np.isnan(X[1]).all() and not np.isnan(X[0]).any()
    with pytest.raises(ValueError, match="Every row of X is invalid and FunctionTransformer "
                                         "does not tell its number of output columns"):
        pair.transform(["no-separator"])


def test_pair_errors_override_the_component_setting():
    pair = PairFeaturizer(MorganFingerprint(fp_size=16, errors="raise"), errors="nan")
    X = pair.fit(PAIRS).transform([PAIRS[0], "*CC*_C1CC("])
    assert np.isnan(X[1]).all() and not np.isnan(X[0]).any()


@pytest.mark.parametrize(
    "params, name",
    [
        ({"prefixes": ("polymer",)}, "prefixes"),
        ({"prefixes": ("a", "a")}, "prefixes"),
        ({"prefixes": ("a", "")}, "prefixes"),
        ({"prefixes": "ab"}, "prefixes"),
        ({"sep": ""}, "sep"),
        ({"sep": 1}, "sep"),
        ({"errors": "skip"}, "errors"),
        ({"featurizer": "morgan"}, "featurizer"),
        ({"featurizer": (MorganFingerprint(),)}, "featurizer"),
        ({"featurizer": [MorganFingerprint(), "morgan"]}, "featurizer"),
    ],
)
def test_parameters_are_validated(params, name):
    params = {"featurizer": MorganFingerprint(), **params}
    with pytest.raises(ValueError, match=f"The '{name}' parameter of PairFeaturizer must be"):
        PairFeaturizer(**params).fit(PAIRS)


def test_wrong_number_of_featurizers_names_the_components():
    with pytest.raises(ValueError,
                       match=r"one transformer per component \(2: \['polymer', 'solvent'\]\)"):
        PairFeaturizer((MorganFingerprint(),)).fit(PAIRS)


def test_transform_validates_parameters_set_after_fit():
    pair = PairFeaturizer(MorganFingerprint(fp_size=8)).fit(PAIRS).set_params(errors="skip")
    with pytest.raises(ValueError, match="The 'errors' parameter of PairFeaturizer"):
        pair.transform(PAIRS)


def test_column_count_must_match_fit():
    pair = PairFeaturizer(MorganFingerprint(fp_size=8)).fit(PAIRS)
    with pytest.raises(ValueError, match="fitted on 1"):
        pair.transform(pd.DataFrame({"polymer": POLYMERS, "solvent": SOLVENTS}))


@pytest.mark.parametrize("column", ["ps_pair", "ps_pair_nonCyclic"])
def test_all_pairs_of_the_chi_dataset_featurize(column):
    path = DATA / "chi_experimental.csv"
    if not path.exists():
        pytest.skip(f"{path} not available")
    pairs = pd.read_csv(path)[column].drop_duplicates()
    pair = PairFeaturizer(MorganFingerprint(fp_size=128, count=True), errors="nan")
    X = pair.fit_transform(pairs)
    assert X.shape == (len(pairs), 256) and len(pairs) == 766
    assert not np.isnan(X).any()
