"""Polymer repeat units: every connection-point mode gives valid molecules, also on real data."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from sim2real_sklearn.featurizers import (
    CONNECTION_POINT_MODES,
    MorganFingerprint,
    RDKitDescriptors,
    mol_from_repeat_unit,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
POLYSTYRENE = ["*C(C*)c1ccccc1", "[*]CC([*])c1ccccc1", "[Ce]CC([Th])c1ccccc1"]
EXAMPLES = ["*CC*", "*C(C*)c1ccccc1", "[*]CC([*])C", "[Ce]CC([Th])c1ccccc1"]


def canonical(mol):
    return Chem.MolToSmiles(mol)


@pytest.mark.parametrize("mode", CONNECTION_POINT_MODES)
@pytest.mark.parametrize("smiles", EXAMPLES)
def test_every_mode_gives_a_valid_molecule(mode, smiles):
    mol = mol_from_repeat_unit(smiles, mode, n_repeat_units=4, placeholders=("Ce", "Th"))
    reparsed = Chem.MolFromSmiles(canonical(mol))
    assert reparsed is not None
    dummies = sum(atom.GetAtomicNum() == 0 for atom in mol.GetAtoms())
    assert dummies == (2 if mode == "dummy" else 0)
    assert not any(atom.GetSymbol() in ("Ce", "Th") for atom in mol.GetAtoms())


@pytest.mark.parametrize("mode", CONNECTION_POINT_MODES)
def test_placeholders_and_star_spellings_give_the_same_molecule(mode):
    mols = [
        mol_from_repeat_unit(s, mode, n_repeat_units=3, placeholders=["[Ce]", "[Th]"])
        for s in POLYSTYRENE
    ]
    assert len({canonical(m) for m in mols}) == 1


def test_without_placeholders_ce_and_th_stay_atoms():
    mol = mol_from_repeat_unit("[Ce]CC([Th])c1ccccc1", "hydrogen")
    assert {"Ce", "Th"} <= {atom.GetSymbol() for atom in mol.GetAtoms()}


def test_known_molecules_per_mode():
    assert canonical(mol_from_repeat_unit("*CC(*)c1ccccc1", "hydrogen")) == "CCc1ccccc1"
    assert canonical(mol_from_repeat_unit("*CC*", "cyclic", n_repeat_units=3)) == "C1CCCCC1"
    assert canonical(mol_from_repeat_unit("*CC*", "dummy")) == "*CC*"
    # a bracket atom takes no implicit hydrogen: the cap must become an explicit one
    assert canonical(mol_from_repeat_unit("*O[Si](C)(C)*", "hydrogen")) == "C[SiH](C)O"
    # solvents (no connection point) are the same in every mode
    assert {canonical(mol_from_repeat_unit("ClC(Cl)Cl", m)) for m in CONNECTION_POINT_MODES} == {
        "ClC(Cl)Cl"
    }


def test_cyclic_counts_scale_with_the_number_of_repeat_units():
    fp = MorganFingerprint(fp_size=256, count=True, connection_points="cyclic")
    five = fp.set_params(n_repeat_units=5).transform(["*CC*"])
    ten = fp.set_params(n_repeat_units=10).transform(["*CC*"])
    np.testing.assert_array_equal(ten, 2 * five)
    assert five.sum() > 0


def test_cyclic_mode_needs_two_connection_points():
    fp = MorganFingerprint(connection_points="cyclic")
    with pytest.raises(ValueError, match=r"row 1 .*exactly 2 connection points, found 3"):
        fp.transform(["*CC*", "*C(*)C*"])
    assert fp.set_params(connection_points="hydrogen").transform(["*CC*", "*C(*)C*"]).shape[0] == 2


@pytest.mark.parametrize("mode", CONNECTION_POINT_MODES)
@pytest.mark.parametrize("smiles", ["*", "[*]", "**", "*.*", "[*][*]", "[Ce][Th]", "[Ce]"])
def test_only_connection_points_is_not_a_molecule(mode, smiles):
    # Once a lone dummy atom (or, capped, a lone hydrogen): a row that looked like data.
    with pytest.raises(ValueError, match="no atoms besides connection points"):
        mol_from_repeat_unit(smiles, mode, placeholders=("Ce", "Th"))


@pytest.mark.parametrize("mode", CONNECTION_POINT_MODES)
def test_connection_point_bonded_to_nothing_is_refused(mode):
    with pytest.raises(ValueError, match="a connection point bonded to no atom"):
        mol_from_repeat_unit("*CC*.*", mode)


@pytest.mark.parametrize("Featurizer", [MorganFingerprint, RDKitDescriptors])
def test_connection_points_only_row_is_nan_or_named(Featurizer):
    rows = ["*CC*", "*", "*C(C*)c1ccccc1"]
    with pytest.raises(ValueError, match=r"row 1 of X \('\*'\): no atoms besides connection"):
        Featurizer().transform(rows)
    X = Featurizer(errors="nan").transform(rows)
    np.testing.assert_array_equal(np.flatnonzero(np.isnan(X).all(axis=1)), [1])
    np.testing.assert_array_equal(np.delete(X, 1, axis=0), Featurizer().transform(rows[::2]))


def test_hydrogen_and_labelled_dummies_stay_valid():
    # Neighbours of the new rule that are real molecules.
    assert mol_from_repeat_unit("*[H]", "hydrogen").GetNumAtoms() == 2  # H2
    assert mol_from_repeat_unit("[H][H]").GetNumAtoms() == 2
    labelled = mol_from_repeat_unit("*CC* |$_R1;;;_R2$|", "cyclic", n_repeat_units=3)
    assert canonical(labelled) == "C1CCCCC1"


@pytest.mark.parametrize(
    "params, name",
    [
        ({"connection_points": "methyl"}, "connection_points"),
        ({"n_repeat_units": 1}, "n_repeat_units"),
        ({"n_repeat_units": 2.0}, "n_repeat_units"),
        ({"placeholders": ("Xx",)}, "placeholders"),
        ({"placeholders": (1, 2)}, "placeholders"),
        ({"placeholders": 5}, "placeholders"),
        ({"smiles": None}, "smiles"),
    ],
)
def test_polymer_parameters_are_validated(params, name):
    params = {"smiles": "*CC*", **params}
    with pytest.raises(ValueError, match=f"The '{name}' parameter of mol_from_repeat_unit must be"):
        mol_from_repeat_unit(**params)


def test_unknown_placeholder_does_not_print_rdkit_traces(capfd):
    with pytest.raises(ValueError, match="placeholders"):
        mol_from_repeat_unit("*CC*", placeholders=("Ce", "Qq"))
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("smiles, n_repeat_units", [("*C(*)C", 2), ("*C(*)C(=O)OC", 2)])
def test_ring_that_would_bond_two_atoms_twice_is_refused_cleanly(smiles, n_repeat_units, capfd):
    # Both connection points on one atom: two copies would be bonded twice.
    with pytest.raises(ValueError, match="bond the two copies twice"):
        mol_from_repeat_unit(smiles, "cyclic", n_repeat_units=n_repeat_units)
    assert capfd.readouterr().err == ""  # no RDKit invariant-violation trace
    ring = mol_from_repeat_unit(smiles, "cyclic", n_repeat_units=3)
    assert ring.GetRingInfo().NumRings() == 1


@pytest.mark.parametrize("mode", CONNECTION_POINT_MODES)
def test_featurizers_accept_every_example(mode):
    for Featurizer in (MorganFingerprint, RDKitDescriptors):
        featurizer = Featurizer(connection_points=mode, n_repeat_units=3, placeholders=("Ce", "Th"))
        X = featurizer.transform(EXAMPLES)
        assert np.isfinite(X).all()
    # polystyrene spelled three ways: three equal rows
    X = MorganFingerprint(connection_points=mode, placeholders=("Ce", "Th")).transform(POLYSTYRENE)
    np.testing.assert_array_equal(X[0], X[1])
    np.testing.assert_array_equal(X[0], X[2])


def _data(name):
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    return pd.read_csv(path)


def test_cyclic_mode_reproduces_the_chi_datasets_cyclic_10_mers():
    chi = _data("chi_experimental.csv")
    pairs = chi[["ps_pair", "ps_pair_nonCyclic"]].drop_duplicates("ps_pair_nonCyclic")
    repeat_units = pairs["ps_pair_nonCyclic"].str.split("_").str[0]
    rings = pairs["ps_pair"].str.split("_").str[0]
    polymers = dict(zip(repeat_units, rings))
    assert len(polymers) == 46
    for repeat_unit, ring in polymers.items():
        ours = mol_from_repeat_unit(repeat_unit, "cyclic", n_repeat_units=10)
        # stereo is left out: the dataset's rings differ in stereo at their closure
        expected = Chem.MolToSmiles(Chem.MolFromSmiles(ring), isomericSmiles=False)
        assert Chem.MolToSmiles(ours, isomericSmiles=False) == expected, repeat_unit


@pytest.mark.parametrize("mode", CONNECTION_POINT_MODES)
def test_all_polymer_smiles_of_the_datasets_featurize(mode):
    smiles = set(_data("radonpy_PI1070.csv")["smiles"])
    smiles |= set(_data("polymer_refractive_index_exp.csv")["SMILES"])
    for column in ("ps_pair", "ps_pair_nonCyclic"):
        smiles |= set(_data("chi_experimental.csv")[column].str.split("_").explode())
    fp = MorganFingerprint(fp_size=256, connection_points=mode, errors="nan", n_jobs=2)
    X = fp.transform(sorted(smiles))
    assert len(smiles) > 1200
    assert not np.isnan(X).any()
