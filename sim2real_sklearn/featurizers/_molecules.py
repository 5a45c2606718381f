"""Molecule featurizers: SMILES (of molecules or polymer repeat units) to vectors.

Both featurizers parse SMILES inside each worker with
:class:`~sim2real_sklearn.featurizers._polymers.RepeatUnitParser`, so polymer
connection points are handled the same way everywhere
(``connection_points=``, ``n_repeat_units=``, ``placeholders=``).
"""

from abc import abstractmethod
from numbers import Real

import numpy as np
from rdkit import rdBase
from rdkit.Chem import Descriptors, rdFingerprintGenerator
from sklearn.utils._param_validation import Interval
from threadpoolctl import threadpool_limits

from .._constraints import Count
from ._base import BaseFeaturizer, check_names
from ._polymers import (
    REPEAT_UNIT_PARAMETER_CONSTRAINTS,
    RepeatUnitParser,
    placeholder_atomic_numbers,
)

__all__ = ["MorganFingerprint", "RDKitDescriptors"]

_POLYMER_PARAMS_DOC = """connection_points : {"dummy", "hydrogen", "cyclic"}, default="dummy"
        How polymer connection points (``*``, ``[*]``) are treated: kept as
        dummy atoms, capped with hydrogens, or joined into a cyclic oligomer of
        ``n_repeat_units`` units. See :mod:`sim2real_sklearn.featurizers.polymers`.
        Molecules without connection points are the same in every mode.
    n_repeat_units : int, default=10
        Repeat units in the ring for ``connection_points="cyclic"`` (>= 2).
    placeholders : sequence of str, default=None
        Element symbols a dataset uses as head/tail markers instead of ``*``,
        e.g. ``("Ce", "Th")``; such atoms become connection points."""

_PLUMBING_DOC = """n_jobs : int, default=None
        joblib workers; the output does not depend on it.
    batch_size : int, default=None
        Rows per batch (``None``: about 4 batches per worker).
    errors : {"raise", "nan"}, default="raise"
        Invalid SMILES: ``ValueError`` naming the row index and the SMILES, or
        an all-NaN row. Invalid: not a str (None, NaN, bytes, a number), empty
        or blank, not parsed by RDKit, text after whitespace inside it (RDKit
        would read it as a name), non-ASCII characters, or nothing but
        connection points. Surrounding whitespace is ignored.
    verbose : int, default=0
        joblib verbosity.
    memory : str, path or joblib.Memory, default=None
        On-disk cache of whole transforms keyed on the SMILES and the
        parameters; see :class:`~sim2real_sklearn.featurizers.BaseFeaturizer`."""


class _MoleculeFeaturizer(BaseFeaturizer):
    """SMILES parsing shared by the molecule featurizers."""

    _parameter_constraints = {
        **BaseFeaturizer._parameter_constraints,
        **REPEAT_UNIT_PARAMETER_CONSTRAINTS,
    }

    def _validate_params(self):
        super()._validate_params()
        self._placeholder_numbers()

    def _cache_params(self):
        # Features can change between RDKit releases: part of the cache key.
        return super()._cache_params() + [("rdkit", rdBase.rdkitVersion)]

    def _placeholder_numbers(self):
        return placeholder_atomic_numbers(self.placeholders, type(self).__name__)

    def _featurize_batch(self, strings, out):
        parse = RepeatUnitParser(
            self.connection_points, self.n_repeat_units, self._placeholder_numbers()
        )
        fill_row = self._row_filler()
        failures = []
        with rdBase.BlockLogs():  # the reason goes into our error, not to stderr
            for i, smiles in enumerate(strings):
                try:
                    mol = parse(smiles)
                except ValueError as exc:
                    failures.append((i, str(exc)))
                    continue
                fill_row(mol, out[i])
        self._finish_batch(out)
        return failures

    @abstractmethod
    def _row_filler(self):
        """Return ``fill(mol, row)`` that writes one molecule's features."""

    def _finish_batch(self, out):
        """Vectorized clean-up of a finished batch (override)."""


class MorganFingerprint(_MoleculeFeaturizer):
    """Morgan (ECFP-like) fingerprints of SMILES, as bit or count vectors.

    Uses RDKit's ``rdFingerprintGenerator.GetMorganGenerator``; a row equals
    ``GetFingerprintAsNumPy`` (or ``GetCountFingerprintAsNumPy`` when
    ``count=True``) of the parsed molecule.

    Parameters
    ----------
    radius : int, default=2
        Radius of the atom environments (2 is ECFP4-like).
    fp_size : int, default=2048
        Length of the folded vector.
    count : bool, default=False
        Count how often each environment occurs instead of only whether it
        does. Counts tell a cyclic 10-mer from a 3-mer; bits do not.
    include_chirality : bool, default=False
        Distinguish R/S stereocentres in atom environments.
    sparse_output : bool, default=False
        Return a scipy CSR matrix instead of a dense array (scikit-learn's
        ``OneHotEncoder`` name; scikit-fingerprints calls it ``sparse``): a
        count fingerprint holds a few dozen non-zeros per row, so the matrix
        takes a fraction of the memory, and
        :class:`~sim2real_sklearn.Sim2RealRegressor` reads it as sparse rows.
        Rows are featurized in chunks, so the dense array of all rows never
        exists. An invalid row (``errors="nan"``) is a row of stored NaN.
    {polymer}
    {plumbing}

    Attributes
    ----------
    n_features_in_ : int
        1 after ``fit`` (a single column of SMILES).
    feature_names_in_ : ndarray of str
        The column name, after ``fit`` on a one-column DataFrame.

    Notes
    -----
    Output is ``float32``: exact for counts below 2**24, able to hold NaN rows,
    what a torch network consumes, and half the memory of ``float64``.

    Examples
    --------
    >>> from sim2real_sklearn.featurizers import MorganFingerprint
    >>> fp = MorganFingerprint(fp_size=1024, count=True)
    >>> X = fp.fit_transform(["*CC*", "*CC(*)c1ccccc1", "CCO"])
    >>> X.shape
    (3, 1024)
    >>> fp.get_feature_names_out()[:2]
    array(['morgan_0', 'morgan_1'], dtype=object)
    """

    _output_dtype = np.float32

    _parameter_constraints = {
        **_MoleculeFeaturizer._parameter_constraints,
        "radius": [Count(0, None, closed="left")],
        "fp_size": [Count(1, None, closed="left")],
        "count": ["boolean"],
        "include_chirality": ["boolean"],
        "sparse_output": ["boolean"],
    }

    def __init__(
        self,
        radius=2,
        fp_size=2048,
        count=False,
        include_chirality=False,
        connection_points="dummy",
        n_repeat_units=10,
        placeholders=None,
        *,
        sparse_output=False,
        n_jobs=None,
        batch_size=None,
        errors="raise",
        verbose=0,
        memory=None,
    ):
        self.radius = radius
        self.fp_size = fp_size
        self.count = count
        self.include_chirality = include_chirality
        self.sparse_output = sparse_output
        self.connection_points = connection_points
        self.n_repeat_units = n_repeat_units
        self.placeholders = placeholders
        super().__init__(
            n_jobs=n_jobs, batch_size=batch_size, errors=errors, verbose=verbose, memory=memory
        )

    def _feature_names(self):
        return [f"morgan_{i}" for i in range(self.fp_size)]

    def _row_filler(self):
        generator = rdFingerprintGenerator.GetMorganGenerator(
            radius=self.radius,
            fpSize=self.fp_size,
            includeChirality=bool(self.include_chirality),
        )
        to_numpy = (generator.GetCountFingerprintAsNumPy if self.count
                    else generator.GetFingerprintAsNumPy)

        def fill(mol, row):
            row[:] = to_numpy(mol)

        return fill


class RDKitDescriptors(_MoleculeFeaturizer):
    """RDKit's 2-D molecular descriptors of SMILES, with non-finite values replaced.

    Parameters
    ----------
    descriptors : list of str, default=None
        Names from ``rdkit.Chem.Descriptors._descList`` (e.g. ``["MolWt",
        "TPSA"]``), in the output order. ``None`` takes all of them (217 in
        RDKit 2025; the set depends on the RDKit version).
    fill_value : float, default=0.0
        Replaces every value of a valid molecule that is NaN, infinite, too
        large for ``float32`` (it would become inf in a torch network, e.g.
        ``Ipc`` of large molecules) or whose descriptor function raised (some
        do on dummy atoms). Pass ``np.nan`` to leave the choice to an imputer
        downstream. Invalid SMILES are governed by ``errors``, not by this.
    {polymer}
    {plumbing}

    Attributes
    ----------
    n_features_in_ : int
        1 after ``fit``.
    feature_names_in_ : ndarray of str
        The column name, after ``fit`` on a one-column DataFrame.

    Notes
    -----
    BLAS runs single-threaded while descriptors are computed: ``Ipc`` and
    ``AvgIpc`` of large molecules come from an ill-conditioned characteristic
    polynomial whose value otherwise depends on the BLAS thread count, i.e.
    on ``n_jobs``. With ``connection_points="cyclic"``, ``qed``, ``SPS`` and
    ``BCUT2D_*`` re-run RDKit's symmetrized ring search, which takes tens of
    seconds per ring of para-linked aromatic units: choose ``"hydrogen"``, a
    small ``n_repeat_units`` or a ``descriptors`` list without them.

    Examples
    --------
    >>> from sim2real_sklearn.featurizers import RDKitDescriptors
    >>> desc = RDKitDescriptors(["MolWt", "NumHDonors"])
    >>> desc.fit_transform(["CCO", "c1ccccc1"]).round(2)
    array([[46.07,  1.  ],
           [78.11,  0.  ]])
    >>> capped = RDKitDescriptors(["MolWt"], connection_points="hydrogen")
    >>> capped.fit_transform(["*CC*"]).round(2)  # ethane
    array([[30.07]])
    """

    _parameter_constraints = {
        **_MoleculeFeaturizer._parameter_constraints,
        "descriptors": [None, "array-like"],
        # finite or NaN: it replaces the infinite values
        "fill_value": [Interval(Real, None, None, closed="neither"), "nan"],
    }

    def __init__(
        self,
        descriptors=None,
        fill_value=0.0,
        connection_points="dummy",
        n_repeat_units=10,
        placeholders=None,
        *,
        n_jobs=None,
        batch_size=None,
        errors="raise",
        verbose=0,
        memory=None,
    ):
        self.descriptors = descriptors
        self.fill_value = fill_value
        self.connection_points = connection_points
        self.n_repeat_units = n_repeat_units
        self.placeholders = placeholders
        super().__init__(
            n_jobs=n_jobs, batch_size=batch_size, errors=errors, verbose=verbose, memory=memory
        )

    def _validate_params(self):
        super()._validate_params()
        self._descriptor_functions()  # the names must exist in this RDKit

    def _descriptor_functions(self):
        available = dict(Descriptors._descList)
        if self.descriptors is None:
            return list(available.items())
        what = "names from rdkit.Chem.Descriptors._descList, e.g. 'MolWt', 'TPSA', 'MolLogP'"
        names = check_names(self, "descriptors", what, allowed=available)
        return [(name, available[name]) for name in names]

    def _feature_names(self):
        return [name for name, _ in self._descriptor_functions()]

    def _row_filler(self):
        functions = [function for _, function in self._descriptor_functions()]

        def fill(mol, row):
            for j, function in enumerate(functions):
                try:
                    row[j] = function(mol)
                except Exception:  # noqa: BLE001 - any descriptor failure becomes fill_value
                    row[j] = np.nan

        return fill

    def _featurize_batch(self, strings, out):
        # Ipc/AvgIpc come from an ill-conditioned characteristic polynomial whose
        # value for large molecules depends on the BLAS thread count; joblib
        # workers run BLAS single-threaded, so do the same here to keep the
        # output independent of n_jobs.
        with threadpool_limits(limits=1, user_api="blas"):
            return super()._featurize_batch(strings, out)

    def _finish_batch(self, out):
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(out) | (np.abs(out) > np.finfo(np.float32).max)
        out[bad] = self.fill_value


for _cls in (MorganFingerprint, RDKitDescriptors):
    _cls.__doc__ = _cls.__doc__.replace("{polymer}", _POLYMER_PARAMS_DOC).replace(
        "{plumbing}", _PLUMBING_DOC
    )
