"""CompositionFeaturizer: fractions and property statistics of chemical formulas."""

import re
import sys

import numpy as np
import pandas as pd
import pytest

from sim2real_sklearn.featurizers import CompositionFeaturizer, element_properties
from sim2real_sklearn.featurizers import _composition as composition_module

FORMULAS = ["Fe2O3", "Hg0.7Cd0.3Te", "Ba2YCu3O7", "(CH3NH3)PbI3"]


def frame(X, featurizer):
    return pd.DataFrame(X, columns=featurizer.get_feature_names_out())


def test_fractions_of_known_formulas():
    featurizer = CompositionFeaturizer()
    X = frame(featurizer.fit_transform(FORMULAS), featurizer)
    fractions = X.filter(like="frac_")
    np.testing.assert_allclose(fractions.sum(axis=1), 1.0)
    assert X.loc[0, "frac_Fe"] == pytest.approx(0.4)
    assert X.loc[0, "frac_O"] == pytest.approx(0.6)
    assert X.loc[1, ["frac_Hg", "frac_Cd", "frac_Te"]].tolist() == pytest.approx([0.35, 0.15, 0.5])
    assert X.loc[2, "frac_Cu"] == pytest.approx(3 / 13)
    assert X.loc[3, ["frac_C", "frac_H", "frac_N", "frac_Pb", "frac_I"]].tolist() == pytest.approx(
        [1 / 12, 6 / 12, 1 / 12, 1 / 12, 3 / 12]
    )
    assert (fractions.loc[0].drop(["frac_Fe", "frac_O"]) == 0).all()


def test_statistics_of_atomic_number_for_fe2o3():
    featurizer = CompositionFeaturizer(properties=["atomic_number", "group"])
    X = frame(featurizer.fit_transform(["Fe2O3"]), featurizer).loc[0]
    mean = 0.4 * 26 + 0.6 * 8
    assert X["mean_atomic_number"] == pytest.approx(mean)
    assert X["min_atomic_number"] == 8 and X["max_atomic_number"] == 26
    assert X["range_atomic_number"] == 18
    std = np.sqrt(0.4 * (26 - mean) ** 2 + 0.6 * (8 - mean) ** 2)
    assert X["std_atomic_number"] == pytest.approx(std)
    assert X["min_group"] == 8 and X["max_group"] == 16


def test_element_properties_come_from_pymatgen_and_rdkit():
    table = element_properties()
    assert table.shape == (103, len(composition_module.ELEMENT_PROPERTIES))
    assert table.loc["Fe", "atomic_mass"] == pytest.approx(55.845)
    assert table.loc["Fe", "valence_electrons"] == 8  # [Ar].3d6.4s2
    assert table.loc["O", "valence_electrons"] == 6
    assert table.loc["C", "covalent_radius"] == pytest.approx(0.76, abs=0.02)
    assert table.loc["Fe", "period"] == 4 and table.loc["Fe", "group"] == 8


def test_missing_element_properties_are_replaced_by_the_median():
    table, imputed = element_properties(return_imputed=True)
    assert imputed.loc[["He", "Ne", "Ar"], "electronegativity"].all()
    assert not imputed.loc["O", "electronegativity"]
    assert not np.isnan(table.to_numpy()).any()
    known = table.loc[~imputed["electronegativity"], "electronegativity"]
    assert table.loc["Ar", "electronegativity"] == pytest.approx(known.median())
    featurizer = CompositionFeaturizer(properties=["electronegativity"])
    X = frame(featurizer.fit_transform(["Ar", "ArF2"]), featurizer)
    assert X.loc[0, "mean_electronegativity"] == pytest.approx(known.median())
    assert np.isfinite(X.to_numpy()).all()


def test_selected_elements_properties_and_stats_shape_the_output():
    featurizer = CompositionFeaturizer(elements=["O", "Fe"], properties=["group"],
                                       stats=["max", "mean"])
    assert list(featurizer.get_feature_names_out()) == [
        "frac_O", "frac_Fe", "max_group", "mean_group"]
    # an element outside `elements` still enters the statistics
    X = featurizer.fit_transform(["FeS"])
    np.testing.assert_allclose(X[0], [0.0, 0.5, 16, 12])


@pytest.mark.parametrize("bad", ["Xx2O", "fe2o3", "Fe2O3)", "", None])
def test_invalid_formula_raises_with_row_index_or_gives_one_nan_row(bad):
    formulas = ["Fe2O3", "NaCl", bad, "SiO2"]
    with pytest.raises(ValueError, match="row 2"):
        CompositionFeaturizer().transform(formulas)
    X = CompositionFeaturizer(errors="nan").transform(formulas)
    np.testing.assert_array_equal(np.flatnonzero(np.isnan(X).any(axis=1)), [2])
    assert np.isnan(X[2]).all()
    np.testing.assert_array_equal(
        np.delete(X, 2, axis=0), CompositionFeaturizer().transform(["Fe2O3", "NaCl", "SiO2"])
    )


@pytest.mark.parametrize(
    "formula, amounts",
    [
        ("Fe1e400", "Fe=inf (too large for a float)"),  # once a silent NaN row
        ("Fe0", "Fe=0.0"),
        ("Fe-1", "Fe=-1.0"),
        ("O1e-400", "O=0.0"),  # underflows to 0
        ("Fe0O3", "Fe=0.0"),  # pymatgen drops the Fe: once the row of O
        ("Fe2O3Xx0", "Xx=0.0"),  # ... even an element that does not exist
        ("(FeO)0", "Fe=0.0, O=0.0"),
    ],
)
def test_amounts_must_be_finite_and_positive(formula, amounts):
    formulas = ["NaCl", formula, "SiO2"]
    message = (rf"row 1 of X \('{re.escape(formula)}'\): amounts must be finite and > 0, "
               rf"got {re.escape(amounts)}\.")
    with pytest.raises(ValueError, match=message):
        CompositionFeaturizer().transform(formulas)
    X = CompositionFeaturizer(errors="nan").transform(formulas)
    np.testing.assert_array_equal(np.flatnonzero(np.isnan(X).any(axis=1)), [1])
    assert np.isnan(X[1]).all()


def test_extreme_but_valid_amounts_keep_every_element():
    featurizer = CompositionFeaturizer(elements=["Fe", "O"], properties=["atomic_number"],
                                       stats=["min", "max"])
    # pymatgen drops amounts below 1e-8; the dopant stays here
    doped = featurizer.transform(["Fe1e-9O"])[0]
    np.testing.assert_allclose(doped, [1e-9 / (1 + 1e-9), 1 / (1 + 1e-9), 8, 26], rtol=1e-12)
    # the sum of the amounts overflows a float, their ratio does not
    huge = featurizer.transform(["Fe1e308O1e308"])[0]
    np.testing.assert_allclose(huge, [0.5, 0.5, 8, 26])


def test_every_formula_invalid_gives_nan_rows_of_the_right_shape():
    # The statistics once reduced over zero elements and crashed.
    featurizer = CompositionFeaturizer(errors="nan")
    X = featurizer.fit_transform(["Xx2", "Yy"])
    assert X.shape == (2, len(featurizer.get_feature_names_out())) and np.isnan(X).all()
    with pytest.raises(ValueError, match=r"row 0 of X \('Xx2'\): unknown element\(s\) \['Xx'\]"):
        CompositionFeaturizer().fit_transform(["Xx2", "Yy"])


def test_error_message_names_the_formula():
    with pytest.raises(ValueError, match=r"row 1 of X \('Xx2O'\).*unknown element"):
        CompositionFeaturizer().transform(["NaCl", "Xx2O"])


@pytest.mark.parametrize(
    "params, name",
    [
        ({"properties": ["colour"]}, "properties"),
        ({"properties": []}, "properties"),
        ({"stats": ["median"]}, "stats"),
        ({"stats": ["mean", "mean"]}, "stats"),
        ({"elements": ["Fe", "Qq"]}, "elements"),
        ({"elements": "Fe"}, "elements"),
    ],
)
def test_parameters_are_validated(params, name):
    with pytest.raises(ValueError,
                       match=f"The '{name}' parameter of CompositionFeaturizer must be"):
        CompositionFeaturizer(**params).fit(["Fe2O3"])


def test_unknown_element_is_named():
    with pytest.raises(ValueError, match=r"element symbols H..Lr. .*Unknown: \['Qq'\]"):
        CompositionFeaturizer(elements=["Fe", "Qq"]).fit(["Fe2O3"])


def test_missing_pymatgen_names_the_extra(monkeypatch):
    composition_module._element_table.cache_clear()
    monkeypatch.setitem(sys.modules, "pymatgen.core", None)
    try:
        featurizer = CompositionFeaturizer()  # constructing needs no pymatgen
        with pytest.raises(ImportError, match=r"pip install sim2real-sklearn\[composition\]"):
            featurizer.fit(["Fe2O3"])
    finally:
        composition_module._element_table.cache_clear()
