"""Polymer refractive index: RadonPy simulations and experimental values."""

from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._base import _as_output, _fetch_file

_RADONPY = "radonpy_PI1070.csv"
_RI_EXPERIMENT = "polymer_refractive_index_exp.csv"
# Repeat units up to this many heavy atoms are also closed as 3- and 4-unit
# rings, so that e.g. *C(*)C(=O)OC and its dimer find each other; larger
# rings make RDKit's canonical ranking slow (seconds for a 3-unit polyimide).
_SMALL_UNIT = 12

_RADONPY_SOURCE = """\
  https://github.com/RadonPy/RadonPy (data/PI1070.csv at commit 648c9a4),
  BSD-3-Clause license.
  Citation: Y. Hayashi, J. Shiomi, J. Morikawa, R. Yoshida, "RadonPy:
  automated physical property calculation using all-atom classical molecular
  dynamics simulations for polymer informatics", npj Comput. Mater. 8, 222
  (2022).
"""

_RADONPY_DESCR = """\
RadonPy PI1070: simulated properties of amorphous polymers
----------------------------------------------------------

All-atom molecular dynamics (GAFF2 / LAMMPS) properties of about 1070
amorphous polymers, each with its spread over the simulation runs
(``_std``, ``_min``, ``_max``, ``_count``). ``smiles`` is the repeat unit
with ``*`` at the two connection points. Missing values are kept as NaN.
""" + _RADONPY_SOURCE

_RI_DESCR = """\
Polymer refractive index: simulation and experiment
---------------------------------------------------

Source (simulation): RadonPy PI1070, all-atom molecular dynamics
(GAFF2 / LAMMPS) refractive index of about 1070 amorphous polymers. Rows
without a refractive index are dropped; their number is in
``n_source_missing``.
""" + _RADONPY_SOURCE + """
Target (experiment): measured refractive index ``Experimental n`` of 44
polymers, compiled in the RefractiveIndexGPT repository (sources in its
``reference`` column, mostly polymerdatabase.com).
  https://github.com/KanHatakeyama/RefractiveIndexGPT (data/forpub2.csv at
  commit 98f2486), MIT license.

SMILES are polymer repeat units with ``*`` at the two connection points
(the experimental file's ``[*]`` is rewritten as ``*``, the same atom).
``groups`` and ``source_groups`` name the polymer, whatever repeat-unit
frame, multiple or stereo notation each file uses (see ``polymer_groups``):
38 of the 44 experimental polymers are also simulated. Drop the source rows
whose group is in an experimental test fold to avoid leakage.
"""


def fetch_polymer_refractive_index(data_home=None, *, download_if_missing=True,
                                   as_frame=False):
    """Load the polymer refractive index Sim2Real data set.

    Simulation (source): the refractive index of about 1070 polymers computed
    by RadonPy molecular dynamics. Experiment (target): the measured
    refractive index of 44 polymers, 38 of which are also simulated.

    =================  ==============================================
    Source rows        1075 (1077 in the file, 2 without a value)
    Target rows        44
    Inputs             repeat-unit SMILES with ``*`` connection points
    Target             refractive index (dimensionless)
    =================  ==============================================

    Parameters
    ----------
    data_home : str or path-like, default=None
        Cache folder of the data files, see :func:`get_data_home`.
    download_if_missing : bool, default=True
        If False, raise an ``OSError`` instead of downloading a missing file.
    as_frame : bool, default=False
        If True, the arrays are pandas Series that share the index of
        ``frame`` (target) or ``source_frame`` (source), and the two frames
        hold every column of the original files.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        target_smiles : ndarray of shape (44,)
            Repeat units of the experimental polymers (``X``).
        target : ndarray of shape (44,)
            Experimental refractive index (``y``).
        groups : ndarray of shape (44,)
            Polymer identity of each experimental row.
        source_smiles : ndarray of shape (n_source,)
            Repeat units of the simulated polymers (``X_source``).
        source_target : ndarray of shape (n_source,)
            Simulated refractive index (``y_source``).
        source_groups : ndarray of shape (n_source,)
            Polymer identity of each simulated row, comparable with
            ``groups``.
        data, source_data : ndarray of shape (44,) and (n_source,)
            The same arrays as ``target_smiles`` and ``source_smiles``,
            under the names shared by all the loaders.
        n_source_missing : int
            Simulation rows dropped because their refractive index is
            missing.
        frame, source_frame : DataFrame or None
            All columns of the two files plus ``group``, if ``as_frame``.
        target_name : str
            ``"refractive_index"``.
        DESCR : str
            Description, sources, licenses and citation.

    Examples
    --------
    >>> from sim2real_sklearn.datasets import fetch_polymer_refractive_index
    >>> ri = fetch_polymer_refractive_index()  # doctest: +SKIP
    >>> ri.target_smiles.shape, ri.source_smiles.shape  # doctest: +SKIP
    ((44,), (1075,))
    >>> len(set(ri.groups) & set(ri.source_groups))  # doctest: +SKIP
    38
    """
    source = pd.read_csv(_fetch_file(_RADONPY, data_home, download_if_missing))
    # The file starts with a UTF-8 byte order mark.
    target = pd.read_csv(
        _fetch_file(_RI_EXPERIMENT, data_home, download_if_missing),
        encoding="utf-8-sig")

    missing = source["refractive_index"].isna()
    source = source.loc[~missing].reset_index(drop=True)
    target["SMILES"] = target["SMILES"].str.replace("[*]", "*", regex=False)
    groups, source_groups = polymer_groups(target["SMILES"], source["smiles"])
    # concat, not assign: these frames are wide and pandas warns when a
    # column is inserted into a frame made of many blocks.
    target = pd.concat([target, pd.Series(groups, target.index, name="group")],
                       axis=1)
    source = pd.concat([source, pd.Series(source_groups, source.index,
                                          name="group")], axis=1)

    columns = {
        "target_smiles": target["SMILES"], "target": target["Experimental n"],
        "groups": target["group"], "source_smiles": source["smiles"],
        "source_target": source["refractive_index"],
        "source_groups": source["group"],
    }
    columns = _as_output(columns, as_frame)
    return Bunch(
        **columns,
        # The same arrays under the names every loader uses, so that code can
        # call fit(b.data, b.target, X_source=b.source_data, ...) on any set.
        data=columns["target_smiles"], source_data=columns["source_smiles"],
        n_source_missing=int(missing.sum()),
        frame=target if as_frame else None,
        source_frame=source if as_frame else None,
        target_name="refractive_index",
        DESCR=_RI_DESCR,
    )


def fetch_radonpy(data_home=None, *, download_if_missing=True):
    """Load the whole RadonPy PI1070 table of simulated polymer properties.

    About 1070 amorphous polymers simulated by all-atom molecular dynamics:
    density, refractive index, heat capacity, thermal conductivity,
    compressibility, dielectric constant and more, each with ``_std``,
    ``_min``, ``_max`` and ``_count`` over the simulation runs. Use it as a
    multi-property source (a 2-D ``y_source``). Missing values are kept as
    NaN: which rows to drop depends on the properties chosen.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Cache folder of the data files, see :func:`get_data_home`.
    download_if_missing : bool, default=True
        If False, raise an ``OSError`` instead of downloading a missing file.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        frame : DataFrame of shape (1077, n_columns)
            The table as published.
        smiles : ndarray of shape (1077,)
            Repeat units with ``*`` connection points.
        property_names : list of str
            The simulated properties: columns reported with a ``_std``.
        DESCR : str
            Description, source, license and citation.

    Examples
    --------
    >>> from sim2real_sklearn.datasets import fetch_radonpy
    >>> radonpy = fetch_radonpy()  # doctest: +SKIP
    >>> y_source = radonpy.frame[["density", "refractive_index"]]  # doctest: +SKIP
    """
    frame = pd.read_csv(_fetch_file(_RADONPY, data_home, download_if_missing))
    properties = [c for c in frame.columns
                  if f"{c}_std" in frame.columns]
    return Bunch(frame=frame, smiles=frame["smiles"].to_numpy(),
                 property_names=properties, DESCR=_RADONPY_DESCR)


def polymer_groups(*smiles_collections):
    """Label polymers so that the same polymer gets the same label everywhere.

    Two databases rarely write a polymer the same way: ``[*]`` or ``*``,
    a different starting atom of the repeat unit (``*OCC*`` and ``*CCO*``),
    a dimer instead of the repeat unit, cis/trans notation. Each repeat unit
    is joined head to tail into a ring (of 1 and 2 units, more for tiny
    units): the ring is the same whatever the frame, and the 2-unit ring of a
    polymer is the 1-unit ring of its dimer. Polymers that share a ring get
    one label, across all the collections given. Stereochemistry is ignored,
    so cis and trans isomers share a label: for leakage control it is safer
    to group too much than too little.

    Parameters
    ----------
    *smiles_collections : sequences of str
        Repeat-unit SMILES with two ``*`` (or ``[*]``) connection points.
        A SMILES with another number of ``*`` is grouped by its canonical
        form only.

    Returns
    -------
    groups : list of ndarray of str
        One array per collection, aligned with it. A label is the canonical
        SMILES of a ring form of the polymer (the smallest in its group).

    Raises
    ------
    ValueError
        If a SMILES cannot be parsed; the message gives the collection, the
        row and the SMILES.

    Examples
    --------
    >>> from sim2real_sklearn.datasets import polymer_groups
    >>> a, b = polymer_groups(["*OCC*", "*CC(*)C"], ["[*]CCO[*]", "*CCCC*"])
    >>> bool(a[0] == b[0]), bool(a[1] == b[1])
    (True, False)
    """
    keys = []
    for which, collection in enumerate(smiles_collections):
        collection_keys = []
        for row, smiles in enumerate(collection):
            try:
                collection_keys.append(_ring_keys(smiles))
            except ValueError as exc:
                raise ValueError(f"collection {which}, row {row}: {exc}") from None
        keys.append(collection_keys)

    # Union-find over the ring keys: polymers sharing any key are one group.
    parent = {}

    def find(key):
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for polymer_keys in (k for collection in keys for k in collection):
        root = find(polymer_keys[0])
        for key in polymer_keys[1:]:
            parent[find(key)] = find(root)
    members = {}
    for key in list(parent):
        members.setdefault(find(key), []).append(key)
    # Shortest ring first: the 1-unit ring of the smallest repeat unit known.
    label = {root: min(group, key=lambda k: (len(k), k))
             for root, group in members.items()}
    return [np.array([label[find(k[0])] for k in collection], dtype=object)
            for collection in keys]


@lru_cache(maxsize=8192)
def _ring_keys(smiles):
    """Canonical ring forms of a repeat unit, sorted (a tuple, cacheable)."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(str(smiles).replace("[*]", "*"), sanitize=True)
    if mol is None:
        raise ValueError(f"cannot parse SMILES {smiles!r}")
    Chem.RemoveStereochemistry(mol)
    n_units = (1, 2, 3, 4) if mol.GetNumHeavyAtoms() <= _SMALL_UNIT else (1, 2)
    rings = {_ring(mol, k) for k in n_units} - {None}
    if not rings and len(n_units) == 2:
        rings = {_ring(mol, 3)} - {None}
    return tuple(sorted(rings)) or (Chem.MolToSmiles(mol),)


def _ring(mol, n_units):
    """Canonical SMILES of ``n_units`` copies of the repeat unit closed head
    to tail into a ring, or None when there is no such ring (not two
    connection points, or the closure would duplicate an existing bond)."""
    from rdkit import Chem

    from ..featurizers._polymers import cyclic_oligomer

    try:
        ring = cyclic_oligomer(mol, n_units)
        # Labels compare canonical SMILES: aromaticity must be perceived on
        # the whole ring, as the three units of *C=C* make benzene.
        Chem.SanitizeMol(ring)
    except (ValueError, RuntimeError):  # RDKit's sanitization errors, invariant violations
        return None
    return Chem.MolToSmiles(ring)

