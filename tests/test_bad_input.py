"""Bad input, entry point by entry point: the whole contract in one table.

Every row is (entry point, case) -> the exception a user gets and a fragment
of its message. The message names the argument and, for a bad row, its
index; nothing is dropped or realigned silently. The command line answers
with exit status 2 and ``sim2real: error: ...`` on stderr instead.
"""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler

from sim2real_sklearn import (
    FitOnSource,
    PowerLaw,
    Sim2RealRegressor,
    TwoWayPowerLaw,
    load_model,
    scaling_curve,
)
from sim2real_sklearn._testing import RidgeTransfer
from sim2real_sklearn.cli import main
from sim2real_sklearn.datasets import fetch_radonpy, make_sim2real_regression
from sim2real_sklearn.datasets._base import _fetch_file
from sim2real_sklearn.featurizers import (
    CompositionFeaturizer,
    MorganFingerprint,
    PairFeaturizer,
    RDKitDescriptors,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))
Y = X.sum(axis=1)
X_SRC = RNG.normal(size=(40, 3))
Y_SRC = X_SRC.sum(axis=1)


def with_value(array, index, value):
    """A copy of ``array`` with one cell replaced (NaN, inf, text...)."""
    numeric = isinstance(value, float)
    out = np.array(array, dtype=float if numeric else object)
    out[index] = value
    return out


def tiny():
    return Sim2RealRegressor((4,), pretrain_epochs=1, finetune_epochs=1, random_state=0)


def fit(X_=X, y=Y, **source):
    return tiny().fit(X_, y, **source)


def fit_source(X_source=X_SRC, y_source=Y_SRC):
    return tiny().fit(X, Y, X_source=X_source, y_source=y_source)


def curve(X_sim=X_SRC, y_sim=Y_SRC, X_exp=X, y_exp=Y, **kwargs):
    kwargs = {"source_sizes": [10, 40], "n_trials": 2, "random_state": 0, **kwargs}
    return scaling_curve(RidgeTransfer(), X_sim, y_sim, X_exp, y_exp, **kwargs)


SIZES = np.array([10.0, 100.0, 1000.0, 10000.0])
ERRORS = np.array([[1.0, 1.1], [0.7, 0.75], [0.5, 0.52], [0.4, 0.41]])


def fitted_law():
    return PowerLaw(n_bootstrap=0).fit(SIZES, ERRORS)


def case(entry, name, call, exception, fragment):
    return pytest.param(call, exception, fragment, id=f"{entry}-{name}")


CASES = [
    # -- Sim2RealRegressor ----------------------------------------------------
    case("regressor", "nan-in-X", lambda: fit(X_=with_value(X, (3, 1), np.nan)),
         ValueError, "Input X contains NaN at row 3, column 1"),
    case("regressor", "inf-in-y", lambda: fit(y=with_value(Y, 5, np.inf)),
         ValueError, "Input y contains infinity at row 5"),
    case("regressor", "nan-in-y_source", lambda: fit_source(y_source=with_value(Y_SRC, 7, np.nan)),
         ValueError, "y_source row 7 has no known property"),
    case("regressor", "inf-in-X_source",
         lambda: fit_source(X_source=with_value(X_SRC, (9, 0), -np.inf)),
         ValueError, "Input X_source contains infinity at row 9, column 0"),
    case("regressor", "beyond-float32", lambda: fit(X_=X * 1e300),
         ValueError, "Input X contains 1.26e+299 at row 0, column 0 (20 row(s) in all)"),
    case("regressor", "empty-X", lambda: fit(X_=np.empty((0, 3)), y=np.empty(0)),
         ValueError, "n_samples=0: Sim2RealRegressor needs at least 2 target samples"),
    case("regressor", "one-row", lambda: fit(X_=X[:1], y=Y[:1]),
         ValueError, "n_samples=1"),
    case("regressor", "empty-source", lambda: fit_source(np.empty((0, 3)), np.empty(0)),
         ValueError, "X_source has 0 rows"),
    case("regressor", "X-y-lengths", lambda: fit(y=Y[:-1]),
         ValueError, "inconsistent numbers of samples: [20, 19]"),
    case("regressor", "source-lengths", lambda: fit_source(y_source=Y_SRC[:-1]),
         ValueError, "X_source and y_source have different numbers of rows: 40 and 39"),
    case("regressor", "source-feature-count", lambda: fit_source(X_source=X_SRC[:, :2]),
         ValueError, "X_source has 2 features but X has 3"),
    case("regressor", "only-X_source", lambda: tiny().fit(X, Y, X_source=X_SRC),
         ValueError, "X_source was given without y_source"),
    case("regressor", "text-in-X", lambda: fit(X_=with_value(X, (4, 2), "1,5")),
         ValueError, "X must hold numbers; row 4, column 2 holds '1,5'"),
    case("regressor", "text-y", lambda: fit(y=np.array(["a"] * 20)),
         ValueError, "y must hold numbers; row 0 holds 'a'"),
    case("regressor", "object-in-y_source",
         lambda: fit_source(y_source=with_value(Y_SRC, 11, {"a": 1})),
         TypeError, "y_source must hold numbers; row 11"),
    case("regressor", "smiles-as-X_source",
         lambda: fit_source(X_source=np.array([["CCO"] * 3] * 40)),
         ValueError, "X_source must hold numbers; row 0, column 0 holds 'CCO'"),
    case("regressor", "2-D-y", lambda: fit(y=np.c_[Y, Y]),
         ValueError, "y should be a 1d array"),
    case("regressor", "3-D-y_source", lambda: fit_source(y_source=Y_SRC[:, None, None]),
         ValueError, "dim 3"),
    case("regressor", "predict-nan", lambda: fit().predict(with_value(X, (2, 0), np.nan)),
         ValueError, "Input X contains NaN at row 2, column 0"),
    case("regressor", "predict-feature-count", lambda: fit().predict(X[:, :2]),
         ValueError, "X has 2 features, but Sim2RealRegressor is expecting 3"),
    case("regressor", "source-as-2-tuple", lambda: fit_source(X_source=(X_SRC, X_SRC)),
         ValueError, "X_source given as a tuple must hold exactly one array"),
    case("regressor", "epochs-0", lambda: tiny().set_params(finetune_epochs=0).fit(X, Y),
         ValueError, "The 'finetune_epochs' parameter of Sim2RealRegressor must be an int in "
                     "the range [1, inf). Got 0 instead."),
    case("regressor", "lr-negative", lambda: tiny().set_params(pretrain_lr=-1.0).fit(X, Y),
         ValueError, "The 'pretrain_lr' parameter of Sim2RealRegressor must be a float in the "
                     "range (0.0, inf). Got -1.0 instead."),
    # Values once accepted silently (or failing deep inside torch), each refused by name.
    *[case("regressor", f"{name}={value!r}", lambda name=name, value=value:
           tiny().set_params(**{name: value}).fit(X, Y),
           exception, f"The '{name}' parameter of Sim2RealRegressor must be")
      for name, value, exception in [
          ("source_weight", -5, ValueError),
          ("batch_norm", "yes", TypeError),
          ("early_stopping", "no", TypeError),
          ("hidden_layer_sizes", (0,), ValueError),
          ("hidden_layer_sizes", 64, TypeError),
          ("verbose", "loud", TypeError),
          ("finetune_weight_decay", -1, ValueError),
          ("device", "tpu", ValueError),
          ("module", "MLPBody", TypeError),
          ("n_threads", 0, ValueError),
          ("memory", 3, TypeError),
      ]],
    # -- FitOnSource ----------------------------------------------------------
    case("FitOnSource", "not-a-transformer", lambda: FitOnSource("StandardScaler").fit(X),
         TypeError, "The 'transformer' parameter of FitOnSource must be an object implementing"),
    case("FitOnSource", "inf-in-X_source",
         lambda: FitOnSource(StandardScaler()).fit(X, X_source=with_value(X_SRC, (1, 1), np.inf)),
         ValueError, "Input X contains infinity"),
    # -- featurizers ----------------------------------------------------------
    case("MorganFingerprint", "invalid-smiles",
         lambda: MorganFingerprint().fit_transform(["CCO", "C1CC(", "CC"]),
         ValueError, "could not featurize row 1 of X ('C1CC(')"),
    case("MorganFingerprint", "numbers",
         lambda: MorganFingerprint().fit_transform(np.array([1.0, 2.0])),
         ValueError, "row 0 of X (1.0): expected a str"),
    case("MorganFingerprint", "missing-value",
         lambda: MorganFingerprint().fit_transform(["CCO", None]),
         ValueError, "row 1 of X (None): missing value (expected a str"),
    case("MorganFingerprint", "empty", lambda: MorganFingerprint().fit_transform([]),
         ValueError, "0 sample(s)"),
    case("MorganFingerprint", "2-D", lambda: MorganFingerprint().fit_transform([["CCO", "CC"]]),
         ValueError, "got shape (1, 2)"),
    case("RDKitDescriptors", "invalid-smiles",
         lambda: RDKitDescriptors(descriptors=["MolWt"]).fit_transform(["CCO", "xyz"]),
         ValueError, "could not featurize row 1 of X ('xyz')"),
    case("PairFeaturizer", "no-separator",
         lambda: PairFeaturizer(MorganFingerprint()).fit_transform(["CCO_CC", "CCO"]),
         ValueError, "row 1 of X ('CCO'): expected 2 components joined by '_'"),
    case("PairFeaturizer", "invalid-solvent",
         lambda: PairFeaturizer(MorganFingerprint()).fit_transform(["CCO_CC", "CCO_C1C("]),
         ValueError, "row 1 of X ('CCO_C1C('): solvent 'C1C('"),
    case("CompositionFeaturizer", "unknown-element",
         lambda: CompositionFeaturizer().fit_transform(["Fe2O3", "Xx2"]),
         ValueError, "row 1 of X ('Xx2'): unknown element(s) ['Xx']"),
    case("CompositionFeaturizer", "empty-formula",
         lambda: CompositionFeaturizer().fit_transform(["Fe2O3", ""]),
         ValueError, "row 1 of X ('')"),
    # An empty SMILES parsed to a molecule without atoms (an all-zero row), a
    # lone connection point to a dummy atom; both looked like data.
    *[case(featurizer.__name__, f"smiles-{label}",
           lambda featurizer=featurizer, smiles=smiles, params=params:
           featurizer(**params).fit_transform(["CCO", smiles]),
           ValueError, f"row 1 of X ({smiles!r}): {reason}")
      for featurizer in (MorganFingerprint, RDKitDescriptors)
      for label, smiles, params, reason in [
          ("empty", "", {}, "empty SMILES"),
          ("whitespace-only", " \t", {}, "empty SMILES"),
          ("star", "*", {}, "no atoms besides connection points"),
          ("bracket-star", "[*]", {"connection_points": "hydrogen"},
           "no atoms besides connection points"),
          ("two-stars", "**", {"connection_points": "cyclic"},
           "no atoms besides connection points"),
          ("dot-stars", "*.*", {}, "no atoms besides connection points"),
          ("placeholders-only", "[Ce][Th]", {"placeholders": ("Ce", "Th")},
           "no atoms besides connection points"),
          ("dangling-star", "CC.*", {}, "a connection point bonded to no atom"),
          ("inner-space", "CC O", {}, "whitespace inside the SMILES: RDKit would read only 'CC'"),
          ("non-ascii", "CCé", {}, "non-ASCII character 'é' at position 2"),
      ]],
    case("MorganFingerprint", "nan", lambda: MorganFingerprint().fit_transform(["CCO", np.nan]),
         ValueError, "row 1 of X (nan): missing value (expected a str, got float)"),
    case("MorganFingerprint", "bytes", lambda: MorganFingerprint().fit_transform(["CCO", b"CC"]),
         ValueError, "row 1 of X (b'CC'): expected a str, got bytes; decode them first"),
    case("MorganFingerprint", "int-in-object-array",
         lambda: MorganFingerprint().fit_transform(np.array(["CCO", 7], dtype=object)),
         ValueError, "row 1 of X (7): expected a str, got int"),
    case("MorganFingerprint", "series-index",
         lambda: MorganFingerprint().fit_transform(pd.Series(["CCO", "C1CC("], index=[10, 42])),
         ValueError, "row 1 of X ('C1CC(', index label 42): SMILES syntax error"),
    case("RDKitDescriptors", "frame-with-NA",
         lambda: RDKitDescriptors(["MolWt"]).fit_transform(
             pd.DataFrame({"smiles": pd.array(["CCO", pd.NA], dtype="string")})),
         ValueError, "row 1 of X (<NA>): missing value"),
    case("PairFeaturizer", "all-rows-invalid",
         lambda: PairFeaturizer(MorganFingerprint()).fit_transform(["CCO", "CC"]),
         ValueError, "row 0 of X ('CCO'): expected 2 components joined by '_', found 1 part(s)"),
    case("PairFeaturizer", "empty-solvent",
         lambda: PairFeaturizer(MorganFingerprint()).fit_transform(["CCO_CC", "CCO_"]),
         ValueError, "row 1 of X ('CCO_'): solvent '': empty SMILES"),
    case("PairFeaturizer", "star-polymer",
         lambda: PairFeaturizer(MorganFingerprint()).fit_transform(["*CC*_CC", "*_CC"]),
         ValueError, "row 1 of X ('*_CC'): polymer '*': no atoms besides connection points"),
    case("PairFeaturizer", "None",
         lambda: PairFeaturizer(MorganFingerprint()).fit_transform(["CCO_CC", None]),
         ValueError, "row 1 of X (None): missing value"),
    case("PairFeaturizer", "None-in-two-columns",
         lambda: PairFeaturizer(MorganFingerprint()).fit_transform(
             np.array([["CCO", "CC"], ["CCO", None]], dtype=object)),
         ValueError, "row 1 of X (['CCO', None]): solvent None: missing value"),
    # A transformer that is not one of the package's featurizers needs rows to
    # be fitted on: with none valid, a named error even with errors="nan".
    case("PairFeaturizer", "all-invalid-for-a-foreign-transformer",
         lambda: PairFeaturizer(StandardScaler(), errors="nan").fit(["CCO", "CC"]),
         ValueError, "Every row of X is invalid and StandardScaler cannot be fitted"),
    case("CompositionFeaturizer", "all-rows-invalid",
         lambda: CompositionFeaturizer().fit_transform(["Xx2", "Yy"]),
         ValueError, "row 0 of X ('Xx2'): unknown element(s) ['Xx']"),
    # pymatgen keeps an overflowed amount (a NaN row) and silently drops an
    # element below 1e-8, even an unknown one: each is refused by name.
    *[case("CompositionFeaturizer", f"amount-{formula}",
           lambda formula=formula: CompositionFeaturizer().fit_transform(["Fe2O3", formula]),
           ValueError, f"row 1 of X ({formula!r}): amounts must be finite and > 0, got {amount}")
      for formula, amount in [
          ("Fe1e400", "Fe=inf (too large for a float)"),
          ("Fe0", "Fe=0.0"),
          ("Fe-1", "Fe=-1.0"),
          ("O1e-400", "O=0.0"),
          ("Fe0O3", "Fe=0.0"),
          ("Fe2O3Xx0", "Xx=0.0"),
      ]],
    # -- scaling_curve --------------------------------------------------------
    case("scaling_curve", "nan-in-y_sim", lambda: curve(y_sim=with_value(Y_SRC, 13, np.nan)),
         ValueError, "y_sim row 13 has no known property"),
    case("scaling_curve", "inf-in-y_exp", lambda: curve(y_exp=with_value(Y, 6, np.inf)),
         ValueError, "Input y_exp contains infinity at row 6"),
    case("scaling_curve", "nan-in-X_sim", lambda: curve(X_sim=with_value(X_SRC, (21, 2), np.nan)),
         ValueError, "Input X_sim contains NaN at row 21, column 2"),
    case("scaling_curve", "nan-in-X_exp-frame",
         lambda: curve(X_exp=pd.DataFrame(with_value(X, (8, 0), np.nan))),
         ValueError, "Input X_exp contains NaN at row 8, column 0"),
    case("scaling_curve", "text-in-y_exp", lambda: curve(y_exp=with_value(Y, 2, "n/a")),
         ValueError, "y_exp must hold numbers; row 2 holds 'n/a'"),
    case("scaling_curve", "y_exp-3-D", lambda: curve(y_exp=Y[:, None, None]),
         ValueError, "y_exp must be 1-D"),
    case("scaling_curve", "X_sim-y_sim-lengths", lambda: curve(y_sim=Y_SRC[:-1]),
         ValueError, "y_sim has 39 rows but X_sim has 40"),
    case("scaling_curve", "X_exp-y_exp-lengths", lambda: curve(y_exp=Y[:-2]),
         ValueError, "y_exp has 18 rows but X_exp has 20"),
    case("scaling_curve", "empty-source", lambda: curve(X_sim=X_SRC[:0], y_sim=Y_SRC[:0]),
         ValueError, "X_sim has 0 rows"),
    case("scaling_curve", "size-larger-than-source", lambda: curve(source_sizes=[10, 41]),
         ValueError, r"within [1, 40]"),
    case("scaling_curve", "size-zero", lambda: curve(source_sizes=[0, 10]),
         ValueError, "do not list 0"),
    case("scaling_curve", "size-negative", lambda: curve(source_sizes=[-5, 10]),
         ValueError, "source_sizes has been interpreted as absolute numbers"),
    case("scaling_curve", "fraction-above-one", lambda: curve(source_sizes=[0.5, 1.5]),
         ValueError, "within (0, 1]"),
    case("scaling_curve", "text-sizes", lambda: curve(source_sizes=["10", "20"]),
         ValueError, "source_sizes must hold ints or floats"),
    case("scaling_curve", "n_trials-0", lambda: curve(n_trials=0),
         ValueError, "The 'n_trials' parameter of scaling_curve must be None or an int in "
                     "the range [1, inf). Got 0 instead."),
    case("scaling_curve", "every-fit-fails",
         lambda: curve(X_exp=np.array([["a", "b", "c"]] * 20)),
         ValueError, "All 6 fits failed, the baseline too"),
    case("scaling_curve", "estimator-without-source",
         lambda: scaling_curve(Ridge(), X_SRC, Y_SRC, X, Y, n_trials=2),
         ValueError, "does not request X_source and y_source"),
    # -- PowerLaw / TwoWayPowerLaw -------------------------------------------
    case("PowerLaw", "nan-size",
         lambda: PowerLaw(n_bootstrap=0).fit([10, np.nan, 1e3, 1e4], ERRORS),
         ValueError, "sizes must be finite and > 0; got nan at index 1"),
    case("PowerLaw", "size-zero", lambda: PowerLaw(n_bootstrap=0).fit([0, 1e2, 1e3, 1e4], ERRORS),
         ValueError, "got 0.0 at index 0"),
    case("PowerLaw", "size-negative",
         lambda: PowerLaw(n_bootstrap=0).fit([10, -1, 1e3, 1e4], ERRORS),
         ValueError, "got -1.0 at index 1"),
    case("PowerLaw", "duplicated-sizes",
         lambda: PowerLaw(n_bootstrap=0).fit([10, 10, 1e3, 1e4], ERRORS),
         ValueError, "sizes must be distinct; 10.0 appears at indices [0, 1]"),
    case("PowerLaw", "inf-score",
         lambda: PowerLaw(n_bootstrap=0).fit(SIZES, with_value(ERRORS, (2, 1), np.inf)),
         ValueError, "scores must be finite or NaN (failed trial); got inf at (2, 1)"),
    case("PowerLaw", "empty", lambda: PowerLaw(n_bootstrap=0).fit([], []),
         ValueError, "sizes must be a non-empty 1-D array"),
    case("PowerLaw", "lengths", lambda: PowerLaw(n_bootstrap=0).fit(SIZES[:3], ERRORS),
         ValueError, "scores must have shape (n_sizes=3)"),
    case("PowerLaw", "text-sizes", lambda: PowerLaw(n_bootstrap=0).fit(list("abcd"), ERRORS),
         ValueError, "sizes must be an array of numbers"),
    case("PowerLaw", "text-scores", lambda: PowerLaw(n_bootstrap=0).fit(SIZES, [["a", "b"]] * 4),
         ValueError, "scores must be an array of numbers"),
    case("PowerLaw", "all-failed", lambda: PowerLaw(n_bootstrap=0).fit(SIZES, ERRORS * np.nan),
         ValueError, "scores is all NaN: every trial failed"),
    case("PowerLaw", "predict-zero", lambda: fitted_law().predict(0),
         ValueError, "n must be > 0 computed samples; got 0.0"),
    case("PowerLaw", "n_required-nan", lambda: fitted_law().n_required([0.5, np.nan]),
         ValueError, "target_mae must be finite; got nan at index 1"),
    case("PowerLaw", "n_required-text", lambda: fitted_law().n_required("low"),
         ValueError, "target_mae must be a number"),
    case("PowerLaw", "crossover-inf", lambda: fitted_law().crossover(np.inf),
         ValueError, "baseline_mae must be finite; got inf"),
    case("PowerLaw", "baseline-law-type", lambda: fitted_law().equivalent_sample_size(100, 0.5),
         TypeError, "baseline_law must be a PowerLaw"),
    case("TwoWayPowerLaw", "nan-target-size",
         lambda: TwoWayPowerLaw(n_bootstrap=0).fit(SIZES, [10, np.nan, 40], np.ones((4, 3, 2))),
         ValueError, "target_sizes must be finite and > 0; got nan at index 1"),
    case("TwoWayPowerLaw", "grid-shape",
         lambda: TwoWayPowerLaw(n_bootstrap=0).fit(SIZES, [10, 20, 40], np.ones((4, 2, 2))),
         ValueError, "grid_scores must have shape (n_sizes=4, n_target_sizes=3)"),
    case("TwoWayPowerLaw", "duplicated-source-sizes",
         lambda: TwoWayPowerLaw(n_bootstrap=0).fit([10, 10, 1e3, 1e4], [10, 20, 40],
                                                   np.ones((4, 3, 2))),
         ValueError, "source_sizes must be distinct"),
    # -- datasets -------------------------------------------------------------
    case("make_sim2real_regression", "zero-rows", lambda: make_sim2real_regression(n_target=0),
         ValueError, "n_target must be a positive integer, got 0"),
    case("make_sim2real_regression", "text-noise", lambda: make_sim2real_regression(noise="low"),
         ValueError, "noise must be a finite real number, got 'low'"),
    case("_fetch_file", "unknown-name", lambda: _fetch_file("chi.csv"),
         ValueError, "name='chi.csv' is not a known data file"),
]


@pytest.mark.parametrize("call, exception, fragment", CASES)
def test_bad_input_gets_a_named_error(call, exception, fragment):
    with pytest.raises(exception, match=re.escape(fragment)):
        call()


# -- rows that need files -----------------------------------------------------


def test_loader_refuses_a_file_that_is_not_the_published_one(tmp_path):
    # Wrong delimiter, missing columns or an empty file: a cached copy is
    # used only if it is byte-identical to the pinned download.
    for content in ["", "smiles;value\nCC;1\n", "smiles\nCC\n"]:
        (tmp_path / "radonpy_PI1070.csv").write_text(content)
        with pytest.raises(OSError, match="radonpy_PI1070.csv has SHA-256 .* expected"):
            fetch_radonpy(data_home=tmp_path)


def test_loader_without_download_says_where_to_put_the_file(tmp_path):
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_radonpy(data_home=tmp_path, download_if_missing=False)


def test_load_model_of_a_folder_without_a_model(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a model saved by save_model"):
        load_model(tmp_path)


# -- the command line ---------------------------------------------------------


def write_tables(folder):
    rng = np.random.default_rng(0)
    smiles = rng.choice(["CC", "CCO", "CCC", "CCN", "c1ccccc1", "CC(C)O"], size=40)
    table = pd.DataFrame({"smiles": smiles, "value": [len(s) / 3 for s in smiles],
                          "formula": ["Fe2O3", "NaCl", "SiO2", "Xx2"] * 10,
                          "a": np.arange(40.0), "b": np.arange(40.0).astype(object)})
    table.loc[3, "b"] = "x"
    table.to_csv(folder / "data.csv", index=False)
    return folder / "data.csv"


def cli(tmp_path, *options, input_col=("--smiles-col", "smiles")):
    data = write_tables(tmp_path)
    return main(["curve", "--source", str(data), "--target", str(data), *input_col,
                 "--y-col", "value", "--out", str(tmp_path / "out"), *options])


CLI_CASES = [
    (["--sizes", "0", "10", "20"], {}, "--sizes must be positive, got [0.0, 10.0, 20.0]"),
    (["--sizes", "-5", "10", "20"], {}, "--sizes must be positive"),
    (["--sizes", "5", "10", "20", "--trials", "0"], {}, "--trials must be at least 1, got 0"),
    (["--sizes", "5", "10", "20", "--test-size", "1.5"], {},
     "--test-size must be a fraction in (0, 1), got 1.5"),
    (["--sizes", "5", "10", "20", "--hidden", "wide"], {},
     "--hidden must be comma-separated integers, got 'wide'"),
    (["--delimiter", ";"], {}, "use --delimiter"),
    (["--sizes", "5", "10", "20"], {"input_col": ("--formula-col", "formula")},
     "10 invalid row(s)"),
    (["--sizes", "5", "10", "20"], {"input_col": ("--formula-col", "formula")},
     "row 5: formula='Xx2' is not valid"),
    (["--sizes", "5", "10", "20"], {"input_col": ("--feature-cols", "a,b")},
     "row 5: b='x' is not a number"),
    (["--sizes", "5", "10", "20"], {"input_col": ("--feature-cols", "a,c")},
     "column 'c' not found"),
    (["--formula-col", "formula"], {}, "give exactly one of --smiles-col, --formula-col"),
    (["--featurizer", "pair"], {}, "--featurizer pair reads pairs such as 'polymer_solvent'"),
    (["--featurizer", "columns"], {}, "--featurizer columns does not read --smiles-col"),
    (["--featurizer", "composition"], {}, "with it use morgan or descriptors or pair"),
    (["--delimiter", ""], {}, "--delimiter must be a character"),
    (["--encoding", "klingon"], {}, "--encoding: unknown text encoding 'klingon'"),
    ([], {"input_col": ("--feature-cols", "a,value")},
     "--feature-cols includes the property column 'value'"),
    (["--extra-cols", "value"], {}, "--extra-cols includes the property column 'value'"),
    (["--out", ""], {}, "--out must name a folder"),
]


@pytest.mark.parametrize("options, kwargs, fragment", CLI_CASES,
                         ids=[f"cli-{i}" for i in range(len(CLI_CASES))])
def test_command_line_bad_input_exits_2_with_a_named_error(tmp_path, capsys, options, kwargs,
                                                          fragment):
    assert cli(tmp_path, *options, **kwargs) == 2
    err = capsys.readouterr().err
    assert err.startswith("sim2real: error: ")
    assert fragment in err


def test_command_line_header_only_file(tmp_path, capsys):
    header = tmp_path / "header.csv"
    header.write_text("smiles,value\n")
    assert main(["curve", "--source", str(header), "--target", str(header), "--smiles-col",
                 "smiles", "--y-col", "value", "--out", str(tmp_path / "o")]) == 2
    assert "has a header but no rows" in capsys.readouterr().err


def test_command_line_refuses_an_output_it_cannot_use_before_any_work(tmp_path, capsys):
    data = write_tables(tmp_path)
    (tmp_path / "a_file").write_text("mine")
    done = tmp_path / "done"
    done.mkdir()
    (done / "scores.csv").write_text("an earlier study")
    base = ["curve", "--source", str(data), "--target", str(data), "--smiles-col", "smiles",
            "--y-col", "value", "--sizes", "5", "10", "20", "--trials", "1"]
    for options, fragment in [
        (["--out", str(tmp_path / "a_file")], "is a file; name a folder"),
        (["--out", str(done)], "is not empty (scores.csv); choose a new folder, or pass "
                               "--overwrite"),
        (["--out", str(tmp_path / "new"), "--checkpoint-dir", str(tmp_path / "a_file")],
         "--checkpoint-dir: " + str(tmp_path / "a_file") + " is a file"),
    ]:
        assert main(base + options) == 2
        err = capsys.readouterr()
        assert fragment in err.err and "featurizing" not in err.out  # refused before any work
    assert (tmp_path / "a_file").read_text() == "mine"
    assert (done / "scores.csv").read_text() == "an earlier study"


def test_command_line_overwrite_replaces_the_studys_files_only(tmp_path):
    data = write_tables(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    (out / "scores.csv").write_text("an earlier study")
    assert main(["curve", "--source", str(data), "--target", str(data), "--smiles-col", "smiles",
                 "--y-col", "value", "--sizes", "5", "10", "20", "--trials", "1",
                 "--pretrain-epochs", "1", "--finetune-epochs", "1", "--hidden", "4",
                 "--out", str(out), "--overwrite"]) == 0
    assert (out / "notes.txt").read_text() == "keep me"
    assert (out / "scores.csv").read_text().startswith("source_size")


LATIN_1 = ("smiles,value\n" + "CCO,1\n" * 39 + "C1CCé,2\n").encode("latin-1")


@pytest.mark.parametrize("content, options, fragment", [
    (bytes(range(256)) * 10, [], "cannot read"),
    (LATIN_1, [], "is not utf-8 text (byte 0xe9 at position"),
    (LATIN_1, [], "if it is a CSV in another encoding pass --encoding (e.g. --encoding latin-1)"),
    # Read with its encoding, the file is understood, and its made-up SMILES named.
    (LATIN_1, ["--encoding", "latin-1"], "row 41: smiles='C1CCé' is not valid"),
])
def test_command_line_explains_a_file_it_cannot_read(tmp_path, capsys, content, options,
                                                      fragment):
    (tmp_path / "odd.csv").write_bytes(content)
    data = write_tables(tmp_path)
    assert main(["curve", "--source", str(tmp_path / "odd.csv"), "--target", str(data),
                 "--smiles-col", "smiles", "--y-col", "value", "--out", str(tmp_path / "o"),
                 *options]) == 2
    assert fragment in capsys.readouterr().err


# -- what is accepted, deliberately -------------------------------------------


def test_a_constant_target_is_learned_not_refused():
    # A constant target is a legitimate (if dull) regression problem: the
    # network predicts the constant, no division by a zero spread.
    direct = tiny().set_params(finetune_epochs=100, finetune_lr=3e-3).fit(X, np.full(20, 2.5))
    np.testing.assert_allclose(direct.predict(X), 2.5, atol=0.2)
    transfer = fit(y=np.full(20, 2.5), X_source=X_SRC, y_source=np.full(40, 1.0))
    assert np.isfinite(transfer.predict(X)).all()


PANDAS_DTYPES = {
    "Int64": lambda v: pd.array(np.round(v * 10).astype(int), dtype="Int64"),
    "Float64": lambda v: pd.array(v, dtype="Float64"),
    "category": lambda v: pd.Categorical(np.round(v, 1)),
    "string": lambda v: pd.array([repr(float(x)) for x in v], dtype="string"),
    "boolean": lambda v: pd.array(v > 0, dtype="boolean"),
}


@pytest.mark.parametrize("dtype", PANDAS_DTYPES)
def test_pandas_extension_dtypes_are_numbers_as_for_scikit_learn(dtype):
    # Ridge accepts these frames; so does every entry point of the package, with
    # the same numbers as the float64 frame.
    convert = PANDAS_DTYPES[dtype]
    frame = pd.DataFrame({f"x{j}": convert(X[:, j]) for j in range(3)})
    floats = frame.astype("float64")
    y = pd.Series(convert(Y)) if dtype != "boolean" else Y
    y_float = np.asarray(y, dtype=float)
    np.testing.assert_array_equal(fit(X_=frame, y=y).predict(floats),
                                  fit(X_=floats, y=y_float).predict(floats))
    frame_src = pd.DataFrame({f"x{j}": convert(X_SRC[:, j]) for j in range(3)})
    np.testing.assert_array_equal(
        curve(X_sim=frame_src, X_exp=frame, y_exp=y).scores,
        curve(X_sim=frame_src.astype("float64"), X_exp=floats, y_exp=y_float).scores)


def test_a_missing_value_in_a_nullable_column_is_named_by_row_and_column():
    frame = pd.DataFrame({f"x{j}": pd.array(np.round(X[:, j] * 10).astype(int), dtype="Int64")
                          for j in range(3)})
    frame.loc[7, "x2"] = pd.NA
    with pytest.raises(ValueError, match=r"Input X contains NaN at row 7, column 2"):
        fit(X_=frame)
    with pytest.raises(ValueError, match=r"Input X_exp contains NaN at row 7, column 2"):
        curve(X_exp=frame)


def test_numbers_written_as_text_in_the_targets_are_numbers():
    as_text = np.array([repr(float(v)) for v in Y], dtype=object)
    np.testing.assert_array_equal(curve(y_exp=as_text).scores, curve().scores)
    np.testing.assert_array_equal(fit(y=as_text).predict(X), fit().predict(X))


def test_a_study_scored_with_r2_is_not_fitted_as_if_it_were_an_error():
    result = curve(scoring="r2", source_sizes=[5, 10, 20, 40], n_trials=3)
    assert result.greater_is_better
    with pytest.raises(ValueError, match="grow with quality.*1 - result.scores"):
        result.fit_power_law()
