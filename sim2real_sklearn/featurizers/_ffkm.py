"""RadonPy's force-field kernel mean (FF-KM) descriptor of polymers and molecules.

The descriptor of the reference study (Minami et al. 2025, after RadonPy's
polymer informatics work): GAFF2 force-field parameters are assigned to every
atom, bond, angle and dihedral of a cyclic oligomer of the repeat unit, and
the distribution of each parameter is embedded with Gaussian kernels placed
on a grid. The computation is RadonPy's (the optional extra ``radonpy``:
``pip install sim2real-sklearn[radonpy]``), imported only when a SMILES is
featurized; this module adds the featurizers' plumbing (workers, errors,
cache, names) and one change to how the ring is built, explained below.

Why para-linked backbones stalled, and what is done instead
-----------------------------------------------------------
RadonPy's ``poly.make_cyclicpolymer`` joins the ends of a linear oligomer and
sanitizes the ring with all of RDKit's operations. Two of them explode when
the backbone runs through a ring of the repeat unit:

- the *symmetrized* smallest set of smallest rings lists every equally small
  macrocycle; a ring crossed by either of two equally short sides (a
  para-phenylene, a 2,6-naphthalene, a 1,4-cyclohexylene) doubles their
  number: a cyclic 10-mer of ``*c1ccc(Oc2ccc(*)cc2)cc1`` has 2**20 of them
  (18 s just to list them), and ``ff_assign`` then kekulizes over all of
  them (5 s for the 6-mer, no end in sight for the 10-mer);
- aromaticity perception treats the macrocycle and every ring it crosses as
  one fused system and tries their combinations: 27 s for a 10-mer of a
  dicyclohexylmethane polyamide that has no aromatic atom at all, and a
  MemoryError for two polyimides of PI1070.

About 400 of the 1,077 polymers of PI1070 cross rings so. Here the oligomer
is built by the same RadonPy steps (same atoms, same order, same bonds) and
sanitized as :func:`~sim2real_sklearn.featurizers._polymers.cyclic_oligomer`
does: plain SSSR, and aromaticity as perceived in the linear oligomer (the
closing bond is the connection bond of the repeat unit, and ``ff_assign``
kekulizes and perceives MDL aromaticity itself anyway). Every PI1070 ring
then takes under 0.2 s; force-field typing (pure Python, quadratic in the
dihedrals) stays RadonPy's, up to 6 s for the largest polyimides. Force-field
types only ask whether an atom is in a ring of 3 to 14 atoms, which the
plain SSSR answers as the symmetrized one does; the features are identical,
bit for bit, to RadonPy's wherever RadonPy finishes (tested). So there is no
fallback to a smaller oligomer: every row is the ``cyclic``-mer it claims.
"""

import contextlib
import importlib.metadata
import importlib.util
import io
import re
from functools import lru_cache
from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
from joblib import effective_n_jobs
from rdkit import Chem, rdBase
from sklearn.base import clone
from sklearn.utils._param_validation import Interval, Options

from .._constraints import Count
from ._base import BaseFeaturizer
from ._polymers import (
    _CYCLIC_SANITIZE_OPS,
    REPEAT_UNIT_PARAMETER_CONSTRAINTS,
    RepeatUnitParser,
    _cap_with_hydrogen,
    _check_closable,
    placeholder_atomic_numbers,
)

__all__ = ["ForceFieldKernelMean"]

_INSTALL_HINT = (
    "ForceFieldKernelMean needs RadonPy (GAFF2 typing and the kernel mean): "
    "pip install sim2real-sklearn[radonpy]  (or: pip install radonpy-pypi)"
)

#: Elements of the mass block, in RadonPy's order (``FF_descriptor.ff_mass``).
_MASS_ELEMENTS = ("H", "C", "N", "O", "F", "P", "S", "Cl", "Br", "I")
#: The kernel-mean blocks after the masses, in RadonPy's order; "polar" only
#: with ``polar=True``.
_PARAMETER_BLOCKS = (
    "charge", "epsilon", "sigma", "k_bond", "r0", "polar", "k_angle", "theta0", "k_dih",
)

# Rows per batch when batch_size=None and there are several workers. One row
# costs 0.01 to 6 s here, not microseconds as a fingerprint: small batches
# keep both workers busy to the end, and a batch still costs far more than
# joblib's dispatch. With PI1070's measured row times on two workers, the
# base class's 256-row batches cap the speed-up at 1.76x, 8-row ones at 2.00x.
_PARALLEL_BATCH = 8


def _import_radonpy():
    """RadonPy's modules used here, or an ImportError that says how to install them."""
    try:
        from radonpy.core import poly, utils
        from radonpy.ff.descriptor import FF_descriptor
        from radonpy.ff.gaff2_mod import GAFF2_mod
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return SimpleNamespace(poly=poly, utils=utils, FF_descriptor=FF_descriptor, GAFF2_mod=GAFF2_mod)


def _radonpy_version():
    try:
        return importlib.metadata.version("radonpy-pypi")
    except importlib.metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=8)
def _descriptor(polar, nk, kernel_width, mass_kernel_width):
    """RadonPy's ``FF_descriptor`` over ``GAFF2_mod``, built once per process and setting.

    Only ``ff_kernel_mean`` and ``ff_assign`` are called on it, with no
    argument that changes its state, so one object serves every row.
    """
    radonpy = _import_radonpy()
    return radonpy.FF_descriptor(
        radonpy.GAFF2_mod(),
        polar=polar,
        nk=nk,
        # RadonPy takes a width only as a Python float (``type(s) is float``)
        s=None if kernel_width is None else float(kernel_width),
        s_mass=float(mass_kernel_width),
    )


class ForceFieldKernelMean(BaseFeaturizer):
    """RadonPy's force-field kernel mean (FF-KM) descriptor of polymer and molecule SMILES.

    Each row describes the distributions of GAFF2 force-field parameters over
    a molecule: atomic mass (one Gaussian per element H, C, N, O, F, P, S, Cl,
    Br, I), Gasteiger charge, Lennard-Jones epsilon and sigma (per atom),
    bond force constant and length, bond polarity (the charge difference
    across each bond, with ``polar=True``), angle force constant and
    equilibrium angle, and dihedral force constant. Each parameter is min-max
    scaled over GAFF2's range and embedded by ``nk`` Gaussians on an even grid
    of [0, 1]: ``10 + 9 * nk`` features with ``polar=True`` (190 by default,
    the descriptor of the reference study), ``10 + 8 * nk`` without.

    A polymer repeat unit (``*`` or ``[*]`` at the two connection points) is
    described as its cyclic ``cyclic``-mer, as RadonPy does: a ring has no
    chain ends, so every unit sees the environment it has in a long chain. A
    molecule without connection points (a solvent) is described as itself.
    A row equals RadonPy's ``FF_descriptor(GAFF2_mod(), polar=..., nk=...)``
    ``.ffkm_mp([smiles], cyclic=...)`` (``cyclic=0`` for molecules), computed
    per molecule in this package's workers rather than in RadonPy's
    multiprocessing pool, and with the ring built without RDKit's symmetrized
    ring search, which otherwise stalls on para-linked aromatic backbones
    (see Notes).

    Parameters
    ----------
    nk : int, default=20
        Gaussians per force-field parameter (RadonPy's ``nk``).
    polar : bool, default=True
        Include the bond-polarity block. RadonPy's ``FF_descriptor`` defaults
        to False (170 features); True gives the 190-feature descriptor of the
        reference study and of ``ffkm_desc_names()`` in RadonPy's examples.
    cyclic : int, default=10
        Repeat units in the cyclic oligomer (RadonPy's ``cyclic``), at least
        2. ``0`` describes the repeat unit itself, its connection points
        capped with hydrogens (RadonPy would leave ``*`` atoms, which GAFF2
        cannot type). Molecules without connection points ignore it.
    ignore_hydrogens : bool, default=False
        Leave hydrogen atoms, and the bonds, angles and dihedrals they take
        part in, out of the distributions (RadonPy's ``ignoreH``).
    kernel_width : float, default=None
        Width (standard deviation, on the scaled [0, 1] axis) of the Gaussians
        of every parameter but the mass (RadonPy's ``s``). ``None`` is
        RadonPy's default ``1 / (2 * nk)``, half the grid spacing.
    mass_kernel_width : float, default=0.05
        Width of the mass Gaussians (RadonPy's ``s_mass``).
    zero_below : float, default=0.0
        Values below it become exactly 0 (not a RadonPy parameter; 0 keeps
        RadonPy's numbers). A Gaussian's tail leaves values down to 1e-300
        where a parameter is far from a grid point; a ``StandardScaler``
        fitted on rows where a column holds only such values divides by
        their tiny spread and turns another row's 0.01 into 1e40. Pass
        ``1e-6`` (what the command line uses) when a scaler follows: every
        value is a weighted fraction in [0, 1], and what is removed lies far
        below float32 resolution of the values that matter.
    placeholders : sequence of str, default=None
        Element symbols a dataset uses as head/tail markers instead of ``*``,
        e.g. ``("Ce", "Th")``; such atoms become connection points.
    n_jobs : int, default=None
        joblib workers; the output does not depend on it. With several
        workers and ``batch_size=None``, batches are of 8 rows (a row takes
        0.01 to 6 s, so large batches would leave a worker idle at the end).
    batch_size : int, default=None
        Rows per batch (``None``: 8 rows with several workers, all rows with one).
    errors : {"raise", "nan"}, default="raise"
        Invalid rows: ``ValueError`` naming the row index, the SMILES and why,
        or an all-NaN row. Invalid: what every molecule featurizer refuses (not
        a str, empty, not parsed by RDKit, only connection points...), a
        polymer with other than two connection points when ``cyclic > 0``, a
        ring RadonPy cannot close, an atom GAFF2 cannot type (Si, B, metals;
        RadonPy's message is in the error) and a descriptor that is not finite.
        RadonPy itself would return a silent row of NaN for these.
    verbose : int, default=0
        joblib verbosity.
    memory : str, path or joblib.Memory, default=None
        On-disk cache of whole transforms keyed on the SMILES, the parameters
        and the RadonPy and RDKit versions; see
        :class:`~sim2real_sklearn.featurizers.BaseFeaturizer`. Worth it here:
        a row costs about 0.3 s, a cached transform milliseconds.

    Attributes
    ----------
    n_features_in_ : int
        1 after ``fit``.
    feature_names_in_ : ndarray of str
        The column name, after ``fit`` on a one-column DataFrame.

    See Also
    --------
    MorganFingerprint : structure fingerprints, no force field.
    PairFeaturizer : features of polymer-solvent pairs from one featurizer.

    Notes
    -----
    Output is ``float64``, as RadonPy's. Feature names are RadonPy's
    (``ffkm_desc_names()``): ``mass_H`` ... ``mass_I``, then ``charge_0`` ...
    ``k_dih_{nk-1}``.

    RadonPy sanitizes the ring with RDKit's symmetrized ring search and
    aromaticity perception, both of which explode when the backbone crosses
    rings (2**20 equally small macrocycles for a cyclic 10-mer of
    ``*c1ccc(Oc2ccc(*)cc2)cc1``): force-field typing then does not finish in
    minutes. This featurizer builds the same oligomer by RadonPy's steps but
    keeps the plain SSSR and the aromaticity of the linear oligomer (0.1 s
    for that ring); force-field types and features are unchanged wherever
    RadonPy finishes. A row costs 0.01 to 6 s (median 0.25 s on PI1070).

    Examples
    --------
    >>> from sim2real_sklearn.featurizers import ForceFieldKernelMean
    >>> ffkm = ForceFieldKernelMean()
    >>> names = ffkm.get_feature_names_out()
    >>> len(names), names[0], names[-1]
    (190, 'mass_H', 'k_dih_19')
    >>> X = ffkm.fit_transform(["*CC*", "*CC(*)c1ccccc1", "CCO"])
    >>> X.shape
    (3, 190)
    >>> bool(X[0, 0] > X[1, 0])  # mass_H: polyethylene is richer in hydrogen than polystyrene
    True
    """

    _parameter_constraints = {
        **BaseFeaturizer._parameter_constraints,
        "nk": [Count(1, None, closed="left")],
        "polar": ["boolean"],
        # 0 (no ring) or a ring of at least 2 units, as n_repeat_units elsewhere
        "cyclic": [Options(Integral, {0}), Count(2, None, closed="left")],
        "ignore_hydrogens": ["boolean"],
        "kernel_width": [Interval(Real, 0, None, closed="neither"), None],
        "mass_kernel_width": [Interval(Real, 0, None, closed="neither")],
        "zero_below": [Interval(Real, 0, 1, closed="both")],
        "placeholders": REPEAT_UNIT_PARAMETER_CONSTRAINTS["placeholders"],
    }

    def __init__(
        self,
        nk=20,
        polar=True,
        cyclic=10,
        ignore_hydrogens=False,
        kernel_width=None,
        mass_kernel_width=0.05,
        zero_below=0.0,
        placeholders=None,
        *,
        n_jobs=None,
        batch_size=None,
        errors="raise",
        verbose=0,
        memory=None,
    ):
        self.nk = nk
        self.polar = polar
        self.cyclic = cyclic
        self.ignore_hydrogens = ignore_hydrogens
        self.kernel_width = kernel_width
        self.mass_kernel_width = mass_kernel_width
        self.zero_below = zero_below
        self.placeholders = placeholders
        super().__init__(
            n_jobs=n_jobs, batch_size=batch_size, errors=errors, verbose=verbose, memory=memory
        )

    # ----------------------------------------------------------------- API
    def fit(self, X, y=None):
        """Check parameters, input and that RadonPy is installed; learn nothing.

        Parameters
        ----------
        X : list, ndarray, pandas Series or one-column DataFrame of str
            SMILES of polymer repeat units or molecules.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        super().fit(X, y)
        _import_radonpy()
        return self

    # ------------------------------------------------------ BaseFeaturizer
    def _validate_params(self):
        super()._validate_params()
        self._placeholder_numbers()

    def _placeholder_numbers(self):
        return placeholder_atomic_numbers(self.placeholders, type(self).__name__)

    def _feature_names(self):
        # RadonPy's ffkm_desc_names(), written out so that names need no RadonPy.
        blocks = [b for b in _PARAMETER_BLOCKS if self.polar or b != "polar"]
        return [f"mass_{element}" for element in _MASS_ELEMENTS] + [
            f"{block}_{i}" for block in blocks for i in range(self.nk)
        ]

    def _cache_params(self):
        # GAFF2 tables, typing rules and RDKit's perception can change between
        # releases: both versions are part of the cache key.
        return super()._cache_params() + [
            ("radonpy", _radonpy_version()),
            ("rdkit", rdBase.rdkitVersion),
        ]

    def _transform_with_failures(self, X):
        self._validate_params()
        _import_radonpy()  # the install hint before any work
        return super()._transform_with_failures(X)

    def _featurize(self, strings):
        if self.batch_size is None and effective_n_jobs(self.n_jobs) > 1:
            # BaseFeaturizer's automatic batches (>= 256 rows) suit rows of
            # microseconds; these take 0.01 to 6 s each.
            sized = clone(self).set_params(batch_size=_PARALLEL_BATCH)
            return sized._featurize(strings)
        return super()._featurize(strings)

    def _featurize_batch(self, strings, out):
        radonpy = _import_radonpy()
        descriptor = _descriptor(self.polar, self.nk, self.kernel_width, self.mass_kernel_width)
        parse = RepeatUnitParser("dummy", 2, self._placeholder_numbers())
        failures = []
        with rdBase.BlockLogs():  # the reason goes into our error, not to stderr
            for i, smiles in enumerate(strings):
                try:
                    out[i] = self._featurize_one(smiles, parse, radonpy, descriptor)
                except ValueError as exc:
                    failures.append((i, str(exc)))
        return failures

    # ------------------------------------------------------------- one row
    def _featurize_one(self, smiles, parse, radonpy, descriptor):
        mol = parse(smiles)  # ValueError with the package's reasons
        n_points = sum(atom.GetAtomicNum() == 0 for atom in mol.GetAtoms())
        # RadonPy reports what goes wrong by printing; keep it for the error.
        messages = io.StringIO()
        try:
            with contextlib.redirect_stdout(messages), np.errstate(all="ignore"):
                if not n_points:
                    mol = Chem.AddHs(mol)
                elif self.cyclic:
                    mol = _cyclic_oligomer(smiles, mol, n_points, self.cyclic, radonpy)
                else:
                    mol = Chem.AddHs(_cap_with_hydrogen(mol))
                if not descriptor.ff.ff_assign(mol, charge="gasteiger"):
                    raise ValueError(
                        f"the force field {descriptor.ff.name} cannot type it "
                        f"({_radonpy_messages(messages) or 'no reason given'})"
                    )
                _check_charges(mol)
                row = descriptor.ff_kernel_mean(mol, ignoreH=self.ignore_hydrogens)
        except ValueError:
            raise
        except Exception as exc:  # noqa: BLE001 - RDKit and RadonPy raise many types
            detail = _radonpy_messages(messages)
            raise ValueError(
                f"RadonPy failed: {type(exc).__name__}: {_short(exc)}"
                + (f" ({detail})" if detail else "")
            ) from None
        if not np.isfinite(row).all():
            raise ValueError("the descriptor has non-finite values")
        row[row < self.zero_below] = 0.0
        return row


def _cyclic_oligomer(smiles, mol, n_points, n_units, radonpy):
    """RadonPy's ``poly.make_cyclicpolymer(smiles, n_units, return_mol=True)``,
    step for step, but without the two ring perceptions that explode on
    macrocycles (module docstring)."""
    if n_points != 2:
        raise ValueError(
            f"a cyclic oligomer needs exactly 2 connection points, found {n_points} "
            "(cyclic=0 describes the repeat unit capped with hydrogens)"
        )
    dummies = [atom for atom in mol.GetAtoms() if atom.GetAtomicNum() == 0]
    if any(atom.GetDegree() != 1 for atom in dummies):
        raise ValueError("each connection point must be bonded to exactly one atom")
    _check_closable(mol, *(atom.GetIdx() for atom in dummies), n_units)
    poly, utils = radonpy.poly, radonpy.utils
    ring = poly.polymerize_MolFromSmiles(_radonpy_smiles(smiles, mol), n=n_units, terminal="*")
    if ring is None:
        raise ValueError(f"RadonPy could not build the {n_units}-mer")
    poly.set_mainchain_flag(ring)
    poly.set_linker_flag(ring)
    head, tail, head_ne, tail_ne = (
        ring.GetIntProp(name) for name in ("head_idx", "tail_idx", "head_ne_idx", "tail_ne_idx")
    )
    orders = {
        ring.GetBondBetweenAtoms(head, head_ne).GetBondTypeAsDouble(),
        ring.GetBondBetweenAtoms(tail, tail_ne).GetBondTypeAsDouble(),
    }
    # Delete the two linker atoms; the neighbours' indices shift past each.
    ring = utils.remove_atom(ring, head)
    ring = utils.remove_atom(ring, tail - 1 if tail > head else tail)
    new_head_ne = head_ne - (head_ne > head) - (head_ne > tail)
    new_tail_ne = tail_ne - (tail_ne > head) - (tail_ne > tail)
    order = (
        Chem.BondType.DOUBLE if 2.0 in orders
        else Chem.BondType.TRIPLE if 3.0 in orders
        else Chem.BondType.SINGLE
    )
    try:
        ring = utils.add_bond(ring, new_tail_ne, new_head_ne, order=order)
        # the package's ring sanitization: no symmetrized SSSR, no new aromaticity
        Chem.SanitizeMol(ring, sanitizeOps=_CYCLIC_SANITIZE_OPS)
    except Exception as exc:  # noqa: BLE001 - RDKit raises several types here
        raise ValueError(f"could not close the cyclic {n_units}-mer: {_short(exc)}") from None
    Chem.GetSSSR(ring)  # ring information for the typing, without symmetrization
    return ring


def _radonpy_smiles(smiles, mol):
    """The repeat unit as RadonPy reads it: two plain ``*`` and no placeholders.

    The SMILES as given when it is already so (then the atoms are in the
    user's order, as in RadonPy); otherwise written from the parsed molecule,
    whose connection points (placeholders, labelled dummies such as ``[1*]``)
    are plain dummy atoms.
    """
    text = smiles.strip()
    dummies = [atom for atom in mol.GetAtoms() if atom.GetAtomicNum() == 0]
    plain = all(not (a.GetIsotope() or a.GetAtomMapNum() or a.GetFormalCharge()) for a in dummies)
    if plain and text.replace("[*]", "*").count("*") == 2 and "[3H]" not in text:
        return text
    mol = Chem.RWMol(mol)
    for atom in mol.GetAtoms():
        if atom.GetAtomicNum() == 0:
            atom.SetIsotope(0)
            atom.SetAtomMapNum(0)
            atom.SetFormalCharge(0)
    return Chem.MolToSmiles(mol)


def _check_charges(mol):
    bad = [
        f"{atom.GetSymbol()}{atom.GetIdx()}"
        for atom in mol.GetAtoms()
        if not np.isfinite(atom.GetDoubleProp("AtomicCharge"))
    ]
    if bad:
        raise ValueError(f"Gasteiger charges are not finite for atom(s) {', '.join(bad[:5])}")


def _radonpy_messages(buffer):
    """RadonPy's printed warnings, deduplicated over the units of the ring."""
    lines = []
    for line in buffer.getvalue().splitlines():
        line = re.sub(r"^RadonPy (warning|info): ", "", line.strip())
        # "Cannot assignment index 5, element Si, ..." once per unit of the ring
        line = re.sub(r"^Cannot assignment index \d+, ", "no GAFF2 atom type for ", line)
        if line and line not in lines:
            lines.append(line)
    return "; ".join(lines[:3]) + (" ..." if len(lines) > 3 else "")


def _short(exc):
    # RDKit's C++ errors span several lines (file, line, version): keep the gist.
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:2]) or type(exc).__name__


def _skip_examples_without_radonpy(doc):
    # The examples run in CI (the dev extra installs RadonPy); without it the
    # lines that featurize are marked to skip, so the doctests still pass.
    if importlib.util.find_spec("radonpy") is not None:
        return doc
    lines = []
    for line in doc.splitlines():
        if line.lstrip().startswith(">>> ") and re.search(r"\bX\b", line):
            line += "  # doctest: +SKIP"
        lines.append(line)
    return "\n".join(lines)


ForceFieldKernelMean.__doc__ = _skip_examples_without_radonpy(ForceFieldKernelMean.__doc__)
