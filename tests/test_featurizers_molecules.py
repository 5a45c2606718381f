"""MorganFingerprint and RDKitDescriptors: known values, input forms, invalid rows, cache."""

import re

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors, rdFingerprintGenerator

from sim2real_sklearn.featurizers import MorganFingerprint, RDKitDescriptors

SMILES = ["CCO", "c1ccccc1O", "*CC(*)c1ccccc1", "CC(=O)Oc1ccccc1C(=O)O", "*CC*"]


def test_molecular_weight_of_ethanol():
    X = RDKitDescriptors(["MolWt", "NumHDonors"]).fit_transform(["CCO"])
    assert X[0, 0] == pytest.approx(46.07, abs=0.005)
    assert X[0, 1] == 1


@pytest.mark.parametrize("count", [False, True])
def test_fingerprint_matches_rdkit_generator(count):
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=3, fpSize=512)
    aspirin = Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O")
    expected = (
        generator.GetCountFingerprintAsNumPy(aspirin)
        if count
        else generator.GetFingerprintAsNumPy(aspirin)
    )
    aspirin = ["CC(=O)Oc1ccccc1C(=O)O"]
    X = MorganFingerprint(radius=3, fp_size=512, count=count).fit_transform(aspirin)
    np.testing.assert_array_equal(X[0], expected)
    if count:
        assert X.max() > 1  # aspirin repeats environments: counts, not bits


def test_chirality_option_separates_enantiomers():
    enantiomers = ["C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O"]
    plain = MorganFingerprint(fp_size=1024).transform(enantiomers)
    chiral = MorganFingerprint(fp_size=1024, include_chirality=True).transform(enantiomers)
    np.testing.assert_array_equal(plain[0], plain[1])
    assert not np.array_equal(chiral[0], chiral[1])


@pytest.mark.parametrize(
    "to_input",
    [
        list,
        np.array,
        lambda s: np.array(s, dtype=object).reshape(-1, 1),
        lambda s: pd.Series(s, index=np.arange(10, 10 + len(s))),
        lambda s: pd.DataFrame({"smiles": s}),
    ],
    ids=["list", "array", "column-array", "series", "dataframe"],
)
def test_input_forms_give_the_same_features(to_input):
    expected = MorganFingerprint(fp_size=128).transform(SMILES)
    X = MorganFingerprint(fp_size=128).fit(to_input(SMILES)).transform(to_input(SMILES))
    np.testing.assert_array_equal(X, expected)


def test_wrong_input_shapes_are_refused():
    with pytest.raises(ValueError, match="single column"):
        MorganFingerprint().fit(pd.DataFrame({"a": SMILES, "b": SMILES}))
    with pytest.raises(TypeError, match="wrap it in a list"):
        MorganFingerprint().transform("CCO")
    with pytest.raises(ValueError, match="0 sample"):
        MorganFingerprint().transform([])


@pytest.mark.parametrize("Featurizer", [MorganFingerprint, RDKitDescriptors])
def test_invalid_smiles_raises_with_row_index(Featurizer):
    smiles = ["CCO", "c1ccccc1", "C1CC(", "CCN"]
    with pytest.raises(ValueError, match=r"row 2 of X \('C1CC\('\).*syntax"):
        Featurizer().transform(smiles)


@pytest.mark.parametrize("Featurizer", [MorganFingerprint, RDKitDescriptors])
@pytest.mark.parametrize("bad", ["C1CC(", "C(C)(C)(C)(C)C", None, float("nan")])
def test_invalid_row_gives_exactly_one_nan_row(Featurizer, bad):
    smiles = ["CCO", "c1ccccc1", bad, "CCN"]
    X = Featurizer(errors="nan").transform(smiles)
    nan_rows = np.flatnonzero(np.isnan(X).any(axis=1))
    np.testing.assert_array_equal(nan_rows, [2])
    assert np.isnan(X[2]).all()
    valid = Featurizer().transform(["CCO", "c1ccccc1", "CCN"])
    np.testing.assert_array_equal(np.delete(X, 2, axis=0), valid)


@pytest.mark.parametrize("Featurizer", [MorganFingerprint, RDKitDescriptors])
@pytest.mark.parametrize("empty", ["", " ", "\t\n"])
def test_empty_smiles_is_an_invalid_row_not_zeros(Featurizer, empty):
    # RDKit parses "" into a molecule without atoms: once an all-zero row.
    smiles = ["CCO", empty, "CCN"]
    with pytest.raises(ValueError, match=rf"row 1 of X \({re.escape(repr(empty))}\): empty SMILES"):
        Featurizer().fit_transform(smiles)
    X = Featurizer(errors="nan").fit_transform(smiles)
    np.testing.assert_array_equal(np.flatnonzero(np.isnan(X).any(axis=1)), [1])
    assert np.isnan(X[1]).all()


@pytest.mark.parametrize("Featurizer", [MorganFingerprint, RDKitDescriptors])
def test_text_after_whitespace_is_refused_not_read_as_a_name(Featurizer):
    # RDKit takes "CC O" as ethane named "O", "CC\tO" too.
    for smiles in ["CC O", "CC\tO"]:
        with pytest.raises(ValueError,
                           match="whitespace inside the SMILES: RDKit would read only 'CC'"):
            Featurizer().transform(["CCO", smiles])
    # surrounding whitespace (a newline read from a file) is only trimmed
    np.testing.assert_array_equal(Featurizer().transform([" CCO\n"]),
                                  Featurizer().transform(["CCO"]))
    # a CXSMILES extension after the space is part of the SMILES
    np.testing.assert_array_equal(
        Featurizer().transform(["*CC* |$_R1;;;_R2$|"]), Featurizer().transform(["*CC*"])
    )


@pytest.mark.parametrize("Featurizer", [MorganFingerprint, RDKitDescriptors])
def test_non_ascii_smiles_is_refused_not_truncated(Featurizer):
    # RDKit reads "CCé" (a Latin-1 file decoded as something else) as ethane.
    with pytest.raises(ValueError,
                       match=r"row 1 of X \('CCé'\): non-ASCII character 'é' at position 2"):
        Featurizer().transform(["CCO", "CCé"])
    assert np.isnan(Featurizer(errors="nan").transform(["CCé"])).all()


@pytest.mark.parametrize("Featurizer", [MorganFingerprint, RDKitDescriptors])
def test_every_row_invalid_gives_nan_rows_of_the_right_shape(Featurizer):
    bad = ["", "*", "C1CC(", None]
    width = len(Featurizer().get_feature_names_out())
    X = Featurizer(errors="nan").fit_transform(bad)
    assert X.shape == (4, width) and np.isnan(X).all()
    with pytest.raises(ValueError, match=r"row 0 of X \(''\): empty SMILES\. "
                                         r"3 more invalid row\(s\): 1, 2, 3"):
        Featurizer().fit_transform(bad)


@pytest.mark.parametrize(
    "bad, reason",
    [
        (None, "missing value (expected a str, got NoneType)"),
        (float("nan"), "missing value (expected a str, got float)"),
        (pd.NA, "missing value (expected a str, got NAType)"),
        (b"CCO", "expected a str, got bytes; decode them first"),
        (7, "expected a str, got int"),
    ],
    ids=["None", "nan", "NA", "bytes", "int"],
)
def test_a_value_that_is_not_a_string_is_named_with_what_to_do(bad, reason):
    smiles = np.array(["CCO", bad], dtype=object)
    with pytest.raises(ValueError, match=re.escape(f"row 1 of X ({bad!r}): {reason}")):
        MorganFingerprint().transform(smiles)


def test_error_names_the_pandas_index_label_too():
    # A Series cut out of a larger table: the position is the output row,
    # the label is what the user sees in the table.
    smiles = pd.Series(["CCO", "c1ccccc1", "C1CC("], index=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"row 2 of X \('C1CC\(', index label 'c'\)"):
        MorganFingerprint().transform(smiles)
    frame = pd.DataFrame({"smiles": pd.array(["CCO", pd.NA], dtype="string")}, index=[5, 9])
    with pytest.raises(ValueError, match=r"row 1 of X \(<NA>, index label 9\): missing value"):
        RDKitDescriptors(["MolWt"]).fit(frame).transform(frame)
    featurizer = RDKitDescriptors(["MolWt"], errors="nan").set_output(transform="pandas")
    X = featurizer.fit_transform(frame)
    assert list(X.index) == [5, 9] and np.isnan(X.loc[9, "MolWt"]) and X.loc[5, "MolWt"] > 46


def test_valence_error_reason_is_reported():
    with pytest.raises(ValueError, match="row 1.*[Vv]alence"):
        MorganFingerprint().transform(["CCO", "C(C)(C)(C)(C)C"])


def test_non_finite_descriptors_are_replaced(monkeypatch):
    def raises(mol):
        raise ZeroDivisionError

    fake = [("Inf", lambda mol: float("inf")), ("Huge", lambda mol: 1e300), ("Raises", raises)]
    monkeypatch.setattr(Descriptors, "_descList", Descriptors._descList + fake)
    names = ["MolWt", "Inf", "Huge", "Raises"]
    X = RDKitDescriptors(names).transform(["CCO"])
    np.testing.assert_allclose(X[0], [46.069, 0.0, 0.0, 0.0], atol=1e-3)
    X = RDKitDescriptors(names, fill_value=-1.0).transform(["CCO"])
    np.testing.assert_allclose(X[0, 1:], -1.0)
    X = RDKitDescriptors(names, fill_value=np.nan).transform(["CCO"])
    assert np.isnan(X[0, 1:]).all() and np.isfinite(X[0, 0])


def test_all_descriptors_are_finite_on_polymer_smiles():
    desc = RDKitDescriptors()
    X = desc.transform(SMILES)
    assert X.shape == (len(SMILES), len(Descriptors._descList))
    assert np.isfinite(X).all()
    assert np.abs(X).max() <= np.finfo(np.float32).max
    assert list(desc.get_feature_names_out()) == [name for name, _ in Descriptors._descList]


def test_unknown_descriptor_is_named():
    with pytest.raises(ValueError, match=r"Got \['MolWt', 'NoSuchThing'\] instead. "
                                         r"Unknown: \['NoSuchThing'\]"):
        RDKitDescriptors(["MolWt", "NoSuchThing"]).fit(["CCO"])


@pytest.mark.parametrize(
    "params, name",
    [
        ({"descriptors": ["MolWt", "NoSuchThing"]}, "descriptors"),
        ({"descriptors": ["MolWt", "MolWt"]}, "descriptors"),
        ({"descriptors": []}, "descriptors"),
        ({"descriptors": "MolWt"}, "descriptors"),
        ({"fill_value": np.inf}, "fill_value"),
        ({"fill_value": "zero"}, "fill_value"),
        ({"errors": "ignore"}, "errors"),
        ({"connection_points": "capped"}, "connection_points"),
    ],
)
def test_descriptor_parameters_are_validated(params, name):
    with pytest.raises(ValueError, match=f"The '{name}' parameter of RDKitDescriptors must be"):
        RDKitDescriptors(**params).fit(["CCO"])


def test_fill_value_nan_is_accepted():
    X = RDKitDescriptors(["MolWt"], fill_value=np.nan).fit_transform(["CCO"])
    assert X[0, 0] == pytest.approx(46.07, abs=0.005)


@pytest.mark.parametrize(
    "params, name",
    [
        ({"radius": -1}, "radius"),
        ({"fp_size": 0}, "fp_size"),
        ({"fp_size": True}, "fp_size"),  # a mistake, not 1
        ({"count": "yes"}, "count"),
        ({"include_chirality": 1}, "include_chirality"),
        ({"batch_size": 0}, "batch_size"),
        ({"n_repeat_units": 1}, "n_repeat_units"),
        ({"placeholders": ("Ce", "Qq")}, "placeholders"),
    ],
)
def test_fingerprint_parameters_are_validated(params, name):
    with pytest.raises(ValueError, match=f"The '{name}' parameter of MorganFingerprint must be"):
        MorganFingerprint(**params).fit(["CCO"])


def test_stateless_transform_validates_parameters_too():
    # transform needs no fit, so a parameter set after fit is checked there
    fp = MorganFingerprint().fit(["CCO"]).set_params(radius=-1)
    with pytest.raises(ValueError, match="The 'radius' parameter"):
        fp.transform(["CCO"])
    with pytest.raises(ValueError, match="The 'fp_size' parameter"):
        MorganFingerprint(fp_size=0).get_feature_names_out()


def test_memory_cache_computes_a_repeated_transform_once(tmp_path, monkeypatch):
    calls = []
    original = MorganFingerprint._featurize

    def counting(self, strings):
        calls.append(len(strings))
        return original(self, strings)

    monkeypatch.setattr(MorganFingerprint, "_featurize", counting)
    source = SMILES * 3
    first = MorganFingerprint(fp_size=64, memory=tmp_path).transform(source)
    # plumbing parameters do not change the features: same cache entry
    second = MorganFingerprint(fp_size=64, memory=str(tmp_path), n_jobs=2,
                               batch_size=4).transform(source)
    np.testing.assert_array_equal(first, second)
    assert calls == [len(source)]
    # a parameter that changes the features, or other strings, is recomputed
    MorganFingerprint(fp_size=64, radius=1, memory=tmp_path).transform(source)
    MorganFingerprint(fp_size=64, memory=tmp_path).transform(source[:-1])
    assert calls == [len(source), len(source), len(source) - 1]


def test_cached_failures_still_follow_errors(tmp_path):
    smiles = ["CCO", "C1CC(", "CCN"]
    X = MorganFingerprint(fp_size=32, memory=tmp_path, errors="nan").transform(smiles)
    assert np.isnan(X[1]).all()
    with pytest.raises(ValueError, match="row 1"):
        MorganFingerprint(fp_size=32, memory=tmp_path).transform(smiles)
