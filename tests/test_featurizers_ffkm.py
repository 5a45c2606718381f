"""ForceFieldKernelMean: RadonPy's FF-KM descriptor, the same numbers, faster rings, named errors.

The contract shared by every featurizer (pandas output, pickling, invalid
values of any kind, parameter errors...) is tested in
test_featurizers_sklearn_checks.py; here is what is particular to this one.
"""

import importlib.util
import re
import sys
import time

import numpy as np
import pandas as pd
import pytest

from sim2real_sklearn.featurizers import ForceFieldKernelMean

needs_radonpy = pytest.mark.skipif(
    importlib.util.find_spec("radonpy") is None,
    reason="needs RadonPy, the optional extra: pip install sim2real-sklearn[radonpy]",
)

POLYMERS = [
    "*CC*",  # polyethylene
    "*CC(*)C",  # polypropylene
    "*CC(*)c1ccccc1",  # polystyrene
    "*OCC*",  # poly(ethylene oxide)
    "*CC(C)(*)C(=O)OC",  # PMMA
    "[*]CC([*])C#N",  # polyacrylonitrile, bracket stars
    "*C(*)C(=O)OCC",  # both connection points on one atom
    "*C=CC*",  # a double bond in the backbone
    "*Oc1c(C)cc(*)cc1C",  # poly(phenylene oxide): one para-linked ring per unit
]
MOLECULES = ["CCO", "c1ccccc1", "ClC(Cl)Cl", "CC(C)=O", "O", "CS(C)=O"]
# Backbones through rings: RadonPy's own ring building does not finish at 10
# units. Para-phenylenes give 2**20 equally small macrocycles in its
# symmetrized ring search; 1,4-cyclohexylenes (no aromatic atom at all) make
# its aromaticity perception try combinations of the fused rings (43 s here).
PARA_LINKED = "*c1ccc(Oc2ccc(*)cc2)cc1"
CYCLOHEXYLENE = "*NC1CCC(CC2CCC(NC(=O)CCCCC(*)=O)CC2)CC1"


def radonpy_rows(smiles, featurizer):
    """RadonPy's own numbers: the function its ffkm_mp pool runs for each SMILES.

    Called in this process: the pool itself spawns interpreters that re-import
    ``__main__``, which is RadonPy's business, not what is compared here.
    """
    from radonpy.core import utils
    from radonpy.ff.descriptor import FF_descriptor, ffkm_mp_wrapper
    from radonpy.ff.gaff2_mod import GAFF2_mod

    descriptor = FF_descriptor(
        GAFF2_mod(), polar=featurizer.polar, nk=featurizer.nk, s=featurizer.kernel_width,
        s_mass=featurizer.mass_kernel_width,
    )
    const = utils.picklable_const()
    rows = []
    for s in smiles:
        cyclic = featurizer.cyclic if "*" in s else 0  # RadonPy's cyclic=0 for molecules
        rows.append(ffkm_mp_wrapper([s, None, None, None, None, None, None, None, cyclic,
                                     featurizer.ignore_hydrogens, descriptor, const]))
    return np.array(rows), descriptor


# -------------------------------------------------------- RadonPy's numbers
@needs_radonpy
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"polar": False, "nk": 7, "ignore_hydrogens": True, "kernel_width": 0.1,
         "mass_kernel_width": 0.02, "cyclic": 3},
    ],
    ids=["defaults", "every-parameter-changed"],
)
def test_rows_are_radonpys_own_numbers(params):
    featurizer = ForceFieldKernelMean(**params)
    X = featurizer.fit_transform(POLYMERS + MOLECULES)
    expected, descriptor = radonpy_rows(POLYMERS + MOLECULES, featurizer)
    assert np.isfinite(expected).all()
    np.testing.assert_array_equal(X, expected)  # bit for bit
    assert list(featurizer.get_feature_names_out()) == descriptor.ffkm_desc_names()


@needs_radonpy
def test_zero_below_removes_only_the_gaussian_tails():
    exact = ForceFieldKernelMean().transform(POLYMERS)
    tails = (exact > 0) & (exact < 1e-6)
    assert tails.sum() > 100  # 1e-300 to 1e-6: what a StandardScaler would blow up
    cut = ForceFieldKernelMean(zero_below=1e-6).transform(POLYMERS)
    np.testing.assert_array_equal(cut[tails], 0.0)
    np.testing.assert_array_equal(cut[~tails], exact[~tails])


@needs_radonpy
@pytest.mark.parametrize("polar, nk", [(True, 20), (False, 20), (True, 3)])
def test_names_are_radonpys(polar, nk):
    from radonpy.ff.descriptor import FF_descriptor
    from radonpy.ff.gaff2_mod import GAFF2_mod

    names = ForceFieldKernelMean(polar=polar, nk=nk).get_feature_names_out()
    assert list(names) == FF_descriptor(GAFF2_mod(), polar=polar, nk=nk).ffkm_desc_names()
    assert len(names) == 10 + (9 if polar else 8) * nk


def test_names_and_defaults_need_no_radonpy(monkeypatch):
    hide_radonpy(monkeypatch)
    names = ForceFieldKernelMean().get_feature_names_out()
    assert len(names) == 190  # the descriptor of the reference study
    assert list(names[:2]) == ["mass_H", "mass_C"] and names[-1] == "k_dih_19"


# -------------------------------------------------- backbones through rings
@needs_radonpy
@pytest.mark.parametrize(
    "smiles", [PARA_LINKED, CYCLOHEXYLENE], ids=["para-phenylene", "cyclohexylene"]
)
def test_backbone_through_rings_takes_seconds_and_keeps_radonpys_numbers(smiles):
    featurizer = ForceFieldKernelMean()
    start = time.perf_counter()
    X = featurizer.transform([smiles])
    elapsed = time.perf_counter() - start
    assert elapsed < 10, f"the cyclic 10-mer took {elapsed:.1f} s"  # 0.1 to 0.3 s measured here
    assert np.isfinite(X).all()
    # Where RadonPy's own ring building still finishes (4 units), the numbers are its numbers.
    small = ForceFieldKernelMean(cyclic=4)
    expected, _ = radonpy_rows([smiles], small)
    np.testing.assert_array_equal(small.transform([smiles]), expected)


@needs_radonpy
def test_ring_has_the_requested_number_of_units():
    # The mass block counts atoms: a 10-mer of *CC* and a 5-mer of *CCCC*
    # are the same ring (cyclic C20), a 5-mer of *CC* is not.
    ten = ForceFieldKernelMean(cyclic=10).transform(["*CC*"])
    five_of_four = ForceFieldKernelMean(cyclic=5).transform(["*CCCC*"])
    np.testing.assert_allclose(ten, five_of_four, rtol=1e-12)


# ---------------------------------------- connection points, placeholders
@needs_radonpy
def test_placeholders_and_star_spellings_give_the_same_row():
    featurizer = ForceFieldKernelMean(placeholders=("Ce", "Th"), cyclic=4)
    X = featurizer.transform(
        ["*CC(*)c1ccccc1", "[*]CC([*])c1ccccc1", "[Ce]CC([Th])c1ccccc1", "[1*]CC([2*])c1ccccc1"]
    )
    for row in X[1:]:
        np.testing.assert_array_equal(row, X[0])


@needs_radonpy
def test_cyclic_zero_describes_the_repeat_unit_capped_with_hydrogens():
    capped = ForceFieldKernelMean(cyclic=0).transform(["*CC(*)c1ccccc1", "*CC(*)C*"])
    ethylbenzene = ForceFieldKernelMean().transform(["CCc1ccccc1"])
    np.testing.assert_allclose(capped[0], ethylbenzene[0], rtol=1e-12, atol=1e-15)
    assert np.isfinite(capped[1]).all()  # three connection points are fine without a ring


# ----------------------------------------------------------------- errors
@needs_radonpy
@pytest.mark.parametrize(
    "smiles, reason",
    [
        ("*[Si](C)(C)O*", r"cannot type it \(no GAFF2 atom type for element Si"),  # a silicone
        ("CB(C)C", r"cannot type it \(no GAFF2 atom type for element B"),
        ("[Na+].[Cl-]", r"cannot type it \(no GAFF2 atom type for element Na"),
        ("*CC(*)C*", r"exactly 2 connection points, found 3"),
        ("C1CC(", r"SMILES syntax error|RDKit"),
    ],
)
def test_what_the_force_field_cannot_handle_is_a_named_row(smiles, reason):
    # RadonPy's ffkm_mp returns a silent row of NaN for these.
    rows = ["*CC*", "CCO", smiles, "*OCC*"]
    featurizer = ForceFieldKernelMean(cyclic=3)
    with pytest.raises(ValueError, match=rf"row 2 of X \({re.escape(repr(smiles))}\): .*{reason}"):
        featurizer.transform(rows)
    X = featurizer.set_params(errors="nan").transform(rows)
    assert np.isnan(X[2]).all()
    valid = featurizer.transform(["*CC*", "CCO", "*OCC*"])
    np.testing.assert_array_equal(np.delete(X, 2, axis=0), valid)


@needs_radonpy
def test_a_two_unit_ring_that_would_bond_twice_is_refused_clearly():
    with pytest.raises(ValueError, match="would bond the two copies twice"):
        ForceFieldKernelMean(cyclic=2).transform(["*C(*)C"])


def test_without_radonpy_fit_and_transform_say_how_to_install_it(monkeypatch):
    hide_radonpy(monkeypatch)
    featurizer = ForceFieldKernelMean()
    hint = r"pip install sim2real-sklearn\[radonpy\]"
    with pytest.raises(ImportError, match=hint):
        featurizer.fit(["*CC*"])
    with pytest.raises(ImportError, match=hint):
        featurizer.transform(["*CC*"])


def hide_radonpy(monkeypatch):
    for name in [m for m in sys.modules if m == "radonpy" or m.startswith("radonpy.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "radonpy", None)  # import radonpy -> ImportError


# ---------------------------------------------------- workers and cache
@needs_radonpy
def test_one_and_two_workers_give_the_same_array():
    smiles = (POLYMERS + MOLECULES) * 2  # 30 rows: four batches of 8 with two workers
    one = ForceFieldKernelMean(cyclic=4, n_jobs=1).transform(smiles)
    two = ForceFieldKernelMean(cyclic=4, n_jobs=2).transform(smiles)
    np.testing.assert_array_equal(two, one)
    three_rows = ForceFieldKernelMean(cyclic=4, n_jobs=2, batch_size=3).transform(smiles)
    np.testing.assert_array_equal(three_rows, one)


@needs_radonpy
def test_second_call_on_the_same_smiles_comes_from_the_disk_cache(tmp_path):
    smiles = ["*CC(C)(*)C(=O)OC", "*CC(*)c1ccccc1", "*Oc1ccc(C(C)(C)c2ccc(OC(=O)*)cc2)cc1",
              PARA_LINKED]
    featurizer = ForceFieldKernelMean(memory=tmp_path)
    start = time.perf_counter()
    first = featurizer.transform(smiles)
    computed = time.perf_counter() - start
    start = time.perf_counter()
    again = ForceFieldKernelMean(memory=tmp_path).transform(smiles)
    cached = time.perf_counter() - start
    np.testing.assert_array_equal(again, first)
    # Measured here: 0.5 s computed, 1 ms cached (0.2%). Lenient for a loaded machine.
    assert cached < 0.05 * computed, f"cached {cached:.4f} s vs computed {computed:.3f} s"
    # Another setting is another entry, not the cached one.
    other = ForceFieldKernelMean(memory=tmp_path, cyclic=4).transform(smiles)
    assert not np.array_equal(other, first)


# ------------------------------------------------- pipelines, saving, CLI
@needs_radonpy
def test_a_saved_pipeline_holding_it_loads_and_predicts_the_same(tmp_path):
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    from sim2real_sklearn import load_model, save_model

    smiles = pd.Series(["*CC*", "*CC(*)C", "*CC(*)c1ccccc1", "*OCC*", "*CC(C)(*)C(=O)OC"])
    y = np.array([0.85, 0.90, 1.05, 1.13, 1.18])
    model = make_pipeline(ForceFieldKernelMean(nk=5, cyclic=3), Ridge()).fit(smiles, y)
    save_model(model, tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert loaded[0].get_params() == model[0].get_params()
    np.testing.assert_array_equal(loaded.predict(smiles), model.predict(smiles))


@needs_radonpy
def test_command_line_study_with_ffkm_features(tmp_path):
    from sim2real_sklearn.cli import main

    rng = np.random.default_rng(0)
    units = np.array(["*CC*", "*CC(*)C", "*CC(*)c1ccccc1", "*OCC*", "*CC(*)C#N"])

    def table(n, name):
        smiles = rng.choice(units, size=n)
        value = np.array([len(s) for s in smiles]) / 10 + rng.normal(0, 0.05, n)
        pd.DataFrame({"smiles": smiles, "value": value}).to_csv(tmp_path / name, index=False)
        return str(tmp_path / name)

    sim, exp = table(30, "sim.csv"), table(20, "exp.csv")
    code = main(["curve", "--source", sim, "--target", exp, "--smiles-col", "smiles",
                 "--featurizer", "ffkm", "--y-col", "value", "--out", str(tmp_path / "out"),
                 "--sizes", "5", "10", "20", "--trials", "2", "--pretrain-epochs", "3",
                 "--finetune-epochs", "3", "--hidden", "8"])
    assert code == 0
    assert (tmp_path / "out" / "report.json").is_file()
