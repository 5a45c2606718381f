"""Flory-Huggins chi of polymer-solvent pairs: COSMO-RS and experiment."""

import pandas as pd
from sklearn.utils import Bunch

from ._base import _as_output, _fetch_file

_CHI_EXPERIMENT = "chi_experimental.csv"
_CHI_COSMO = "chi_cosmo_rs.csv"
_KELVIN = 273.15

FEATURE_NAMES = ["polymer_smiles", "polymer_repeat_unit", "solvent_smiles",
                 "temperature", "inverse_temperature"]

_CHI_DESCR = """\
Flory-Huggins chi parameter: COSMO-RS simulation and experiment
---------------------------------------------------------------

Target (experiment): 1190 measured chi values of 766 polymer-solvent pairs
(46 polymers, 140 solvents) at 0-229 deg C, extracted from Orwoll and Arnold,
Physical Properties of Polymers Handbook, 2nd ed. (Springer, 2007), with
manual polymer class labels (11 classes; 5 polymers are unlabelled).
Source (simulation): 1206 chi values computed by COSMO-RS for 761 of those
pairs.
  https://github.com/yoshida-lab/MTL_ChiParameter (sample_data/data_Chi.csv
  and sample_data/data_COSMO.csv at commit 7d9a4d8), MIT license.
  Citation: Y. Aoki, S. Wu, T. Tsurimoto, Y. Hayashi, S. Minami,
  O. Tadamichi, K. Shiratori, R. Yoshida, "Multitask machine learning to
  predict polymer-solvent miscibility using Flory-Huggins interaction
  parameters", Macromolecules 56, 5446-5456 (2023).

Inputs (``feature_names``): ``polymer_smiles`` is the cyclic 10-mer of the
polymer used by the reference (first half of ``ps_pair``),
``polymer_repeat_unit`` the repeat unit with ``*`` connection points (from
the experimental file's ``ps_pair_nonCyclic``, mapped to the simulation rows
by polymer), ``solvent_smiles`` the second half of ``ps_pair``,
``temperature`` in deg C and ``inverse_temperature`` = 1000 / T in 1/K, the
form in which the reference models chi (chi = A + B / T). Select the columns
you featurize, e.g. with a ColumnTransformer.

``groups`` is ``ps_pair``: the same pair measured at several temperatures,
and usually simulated too, shares one group. ``polymer_class`` comes from the
experimental labels for both domains: the simulation file's own
``polymer_class`` column disagrees with them on 86% of the shared rows and
gives up to 6 classes to one polymer, so it is not used.
Computed and experimental chi on the 1178 rows sharing pair and temperature
correlate at r = 0.76 with a mean absolute difference of 0.35.
"""


def fetch_flory_huggins_chi(data_home=None, *, download_if_missing=True,
                            as_frame=False):
    """Load the Flory-Huggins chi Sim2Real data set (polymer-solvent pairs).

    Simulation (source): chi computed by COSMO-RS. Experiment (target):
    measured chi of the same kind of polymer-solvent pairs at several
    temperatures.

    =================  ==============================================
    Source rows        1206 (761 pairs)
    Target rows        1190 (766 pairs, 46 polymers, 140 solvents)
    Inputs             polymer and solvent SMILES, temperature
    Target             chi (dimensionless)
    Polymer classes    11
    =================  ==============================================

    Parameters
    ----------
    data_home : str or path-like, default=None
        Cache folder of the data files, see :func:`get_data_home`.
    download_if_missing : bool, default=True
        If False, raise an ``OSError`` instead of downloading a missing file.
    as_frame : bool, default=False
        If True, ``data`` and ``source_data`` are DataFrames, the other
        arrays Series on the same index, and ``frame`` / ``source_frame``
        hold the inputs, chi, ``ps_pair``, ``polymer_class`` and the other
        columns of the files.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        data : ndarray of object of shape (1190, 5) or DataFrame
            Experimental inputs (``X``), columns ``feature_names``.
        target : ndarray of shape (1190,)
            Experimental chi (``y``).
        groups : ndarray of shape (1190,)
            The pair ``ps_pair`` of each experimental row.
        polymer_class : ndarray of shape (1190,)
            Structural class of the polymer (NaN for 5 polymers).
        source_data : ndarray of object of shape (1206, 5) or DataFrame
            Simulation inputs (``X_source``), same columns.
        source_target : ndarray of shape (1206,)
            COSMO-RS chi (``y_source``).
        source_groups, source_polymer_class : ndarray of shape (1206,)
            As ``groups`` and ``polymer_class`` for the simulation rows.
        feature_names : list of str
            ``polymer_smiles``, ``polymer_repeat_unit``, ``solvent_smiles``,
            ``temperature`` (deg C), ``inverse_temperature`` (1000 / T, 1/K).
        frame, source_frame : DataFrame or None
            Everything above in one table per domain, if ``as_frame``.
        DESCR : str
            Description, sources, license and citation.

    Examples
    --------
    >>> from sim2real_sklearn.datasets import fetch_flory_huggins_chi
    >>> chi = fetch_flory_huggins_chi(as_frame=True)  # doctest: +SKIP
    >>> X, y = chi.data[["polymer_repeat_unit", "solvent_smiles",
    ...                  "inverse_temperature"]], chi.target  # doctest: +SKIP
    >>> X.shape, chi.source_data.shape  # doctest: +SKIP
    ((1190, 3), (1206, 5))
    """
    # Both files start with an unnamed index column.
    target = pd.read_csv(
        _fetch_file(_CHI_EXPERIMENT, data_home, download_if_missing),
        index_col=0)
    source = pd.read_csv(
        _fetch_file(_CHI_COSMO, data_home, download_if_missing), index_col=0)

    target = _with_inputs(target)
    by_polymer = (target.groupby("polymer_smiles")
                  [["polymer_repeat_unit", "polymer_class"]].first())
    source = _with_inputs(source.drop(columns=["polymer_class",
                                               "ps_pair_nonCyclic"]))
    source = source.join(by_polymer, on="polymer_smiles")

    columns = {"data": target[FEATURE_NAMES], "target": target["chi"],
               "groups": target["ps_pair"],
               "polymer_class": target["polymer_class"],
               "source_data": source[FEATURE_NAMES],
               "source_target": source["chi"],
               "source_groups": source["ps_pair"],
               "source_polymer_class": source["polymer_class"]}
    columns = _as_output(columns, as_frame)
    return Bunch(**columns, feature_names=list(FEATURE_NAMES),
                 frame=target if as_frame else None,
                 source_frame=source if as_frame else None,
                 DESCR=_CHI_DESCR)


def _with_inputs(frame):
    """Split ``ps_pair`` and add the model inputs as named columns."""
    polymer_solvent = frame["ps_pair"].str.split("_", n=1, expand=True)
    inputs = {"polymer_smiles": polymer_solvent[0],
              "solvent_smiles": polymer_solvent[1],
              "temperature": frame["temp"],
              "inverse_temperature": 1000.0 / (frame["temp"] + _KELVIN)}
    if "ps_pair_nonCyclic" in frame:
        inputs["polymer_repeat_unit"] = (
            frame["ps_pair_nonCyclic"].str.split("_", n=1).str[0])
    return frame.assign(**inputs)
