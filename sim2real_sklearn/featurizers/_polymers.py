"""Polymer repeat units: SMILES with connection points, turned into RDKit molecules.

A polymer is written as its repeat unit, with ``*`` (or ``[*]``) where the chain
continues: ``*CC(*)c1ccccc1`` is polystyrene. Some datasets mark head and tail
with placeholder atoms instead (``[Ce]CC([Th])c1ccccc1``). A molecular featurizer
must decide what those atoms become; this module offers three documented
choices, shared by every molecule featurizer through ``connection_points=``:

``"dummy"``
    Keep connection points as RDKit dummy atoms (atomic number 0). Cheapest,
    and a fingerprint still sees "this atom continues the chain". Molecular
    weight and similar descriptors count the dummy atom as massless.
``"hydrogen"``
    Cap every connection point with a hydrogen: ``*CC*`` becomes ethane. The
    monomer-like molecule that descriptor tables assume.
``"cyclic"``
    Join ``n_repeat_units`` copies head to tail and close the ring, the cyclic
    oligomer used by polymer MD and COSMO-RS workflows (the chi data set of the
    reference study uses cyclic 10-mers). No chain ends at all, so per-unit
    environments look like those in a long chain. Needs exactly two connection
    points. Aromaticity is that of the repeat unit. Fingerprints stay fast,
    but a few RDKit descriptors (``qed``, ``SPS``, ``BCUT2D_*``) re-run RDKit's
    symmetrized ring search, which explodes on rings of para-linked aromatic
    units (tens of seconds per molecule at 10 units): with
    :class:`RDKitDescriptors` prefer ``"hydrogen"`` or a small
    ``n_repeat_units``.

Molecules without connection points (solvents, small molecules) are the same
in every mode, so one featurizer serves both columns of a polymer-solvent pair.
A SMILES made of connection points only (``*``, ``[*]``, ``**``, ``*.*``, or
only placeholders) or with a connection point bonded to nothing is invalid in
every mode: there is no molecule to describe.

The ring closure of ``"cyclic"`` (:func:`cyclic_oligomer`) is also how
:func:`sim2real_sklearn.datasets.polymer_groups` recognises one polymer
written in different frames: one algorithm for both.
"""

from functools import lru_cache

from rdkit import Chem, rdBase
from sklearn.utils._param_validation import StrOptions, validate_params

from .._constraints import Count
from ._base import invalid_parameter

CONNECTION_POINT_MODES = ("dummy", "hydrogen", "cyclic")

#: Constraints of the repeat-unit parameters, shared by ``mol_from_repeat_unit``
#: and the molecule featurizers. ``n_repeat_units`` is checked in every mode so
#: that a bad value is caught before someone switches to ``"cyclic"``. That
#: ``placeholders`` are element symbols is checked by ``placeholder_atomic_numbers``.
REPEAT_UNIT_PARAMETER_CONSTRAINTS = {
    "connection_points": [StrOptions(set(CONNECTION_POINT_MODES))],
    "n_repeat_units": [Count(2, None, closed="left")],
    "placeholders": [None, str, "array-like"],
}

__all__ = ["CONNECTION_POINT_MODES", "mol_from_repeat_unit"]


@validate_params(
    {"smiles": [str], **REPEAT_UNIT_PARAMETER_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
def mol_from_repeat_unit(
    smiles, connection_points="dummy", n_repeat_units=10, placeholders=None
):
    """Build the RDKit molecule a featurizer sees for one (polymer) SMILES.

    Parameters
    ----------
    smiles : str
        SMILES of a molecule or of a polymer repeat unit, connection points
        written ``*`` or ``[*]``.
    connection_points : {"dummy", "hydrogen", "cyclic"}, default="dummy"
        What connection points become (see the module docstring).
    n_repeat_units : int, default=10
        Number of repeat units in the ring when ``connection_points="cyclic"``;
        at least 2. Ignored by the other modes.
    placeholders : sequence of str, default=None
        Element symbols that some datasets use as head/tail markers instead of
        ``*``, e.g. ``("Ce", "Th")`` or ``("[Ce]", "[Th]")``. Atoms of these
        elements become connection points before the mode is applied. A real
        cerium atom in such a dataset would be misread, so use it only for
        data that marks ends this way.

    Returns
    -------
    mol : rdkit.Chem.Mol
        A sanitized molecule.

    Raises
    ------
    InvalidParameterError
        A ``ValueError`` naming the parameter, when one is invalid.
    ValueError
        When the SMILES is empty, cannot be parsed (with RDKit's reason), has
        text after whitespace inside it or non-ASCII characters, has no atom
        besides connection points or, in cyclic mode, does not have exactly
        two connection points.

    Examples
    --------
    >>> from rdkit import Chem
    >>> from sim2real_sklearn.featurizers import mol_from_repeat_unit
    >>> Chem.MolToSmiles(mol_from_repeat_unit("*CC*", "hydrogen"))
    'CC'
    >>> Chem.MolToSmiles(mol_from_repeat_unit("*CC*", "cyclic", n_repeat_units=3))
    'C1CCCCC1'
    >>> mol = mol_from_repeat_unit("[Ce]CC([Th])C", "hydrogen", placeholders=("Ce", "Th"))
    >>> Chem.MolToSmiles(mol)
    'CCC'
    """
    numbers = placeholder_atomic_numbers(placeholders, "mol_from_repeat_unit")
    return RepeatUnitParser(connection_points, n_repeat_units, numbers)(smiles)


class RepeatUnitParser:
    """A reusable SMILES-to-molecule function for one mode, of validated arguments.

    Featurizers build one per batch (inside each worker) and call it per row,
    so the common cases (no connection point, ``"dummy"`` mode) cost no more
    than ``Chem.MolFromSmiles``. ``placeholder_numbers`` are the atomic
    numbers from :func:`placeholder_atomic_numbers`.
    """

    def __init__(self, connection_points, n_repeat_units, placeholder_numbers):
        self.connection_points = connection_points
        self.n_repeat_units = n_repeat_units
        self.placeholder_numbers = placeholder_numbers
        self._placeholder_symbols = tuple(
            Chem.GetPeriodicTable().GetElementSymbol(z) for z in placeholder_numbers
        )

    def __call__(self, smiles):
        # Surrounding whitespace (a trailing newline read from a file) is
        # harmless; an empty string would parse to a molecule without atoms,
        # i.e. an all-zero row that looks like data.
        smiles = smiles.strip()
        if not smiles:
            raise ValueError("empty SMILES")
        if not smiles.isascii():
            # RDKit stops at some of them: "CCé" would silently be ethane.
            position, char = next((i, c) for i, c in enumerate(smiles) if not c.isascii())
            raise ValueError(f"non-ASCII character {char!r} at position {position}: SMILES are "
                             "ASCII (was the file read with the wrong encoding?)")
        mol = Chem.MolFromSmiles(smiles, _SMILES_PARAMS)
        if mol is None:
            raise ValueError(_parse_failure_reason(smiles))
        if not mol.GetNumAtoms():
            raise ValueError("no atoms in the SMILES")
        has_placeholders = bool(self._placeholder_symbols) and any(
            s in smiles for s in self._placeholder_symbols
        )
        if has_placeholders:
            mol = _placeholders_to_dummies(mol, self.placeholder_numbers)
        if has_placeholders or "*" in smiles:
            _check_connection_points(mol)
        if self.connection_points == "dummy" or not _has_dummy(mol, smiles):
            return mol
        if self.connection_points == "hydrogen":
            return _cap_with_hydrogen(mol)
        return cyclic_oligomer(mol, self.n_repeat_units)


def placeholder_atomic_numbers(placeholders, caller):
    """Atomic numbers of ``placeholders``, the check its constraint cannot make.

    The constraint table lets through None, a str or an array-like; whether
    each item is an element symbol RDKit knows is checked here.
    ``InvalidParameterError`` names the parameter of ``caller``.
    """
    if placeholders is None:
        return frozenset()
    # a bare "Ce" would otherwise be read as the symbols "C" and "e"
    symbols = (placeholders,) if isinstance(placeholders, str) else tuple(placeholders)
    numbers = _atomic_numbers(symbols) if all(isinstance(s, str) for s in symbols) else None
    if numbers is None:
        raise invalid_parameter(
            caller,
            "placeholders",
            "None or element symbols such as ('Ce', 'Th') or ('[Ce]', '[Th]')",
            placeholders,
        )
    return numbers


@lru_cache(maxsize=64)
def _atomic_numbers(symbols):
    table = Chem.GetPeriodicTable()
    try:
        # the error names the parameter; RDKit's stack trace on stderr would not
        with rdBase.BlockLogs():
            return frozenset(table.GetAtomicNumber(symbol.strip("[]")) for symbol in symbols)
    except RuntimeError:  # RDKit's answer to an unknown symbol
        return None


def _smiles_parser_params():
    params = Chem.SmilesParserParams()
    # By default RDKit reads text after whitespace as the molecule's name:
    # "CC O" would silently become ethane. CXSMILES extensions ("*CC* |$_R1$|")
    # are still read.
    params.parseName = False
    return params


_SMILES_PARAMS = _smiles_parser_params()


def _parse_failure_reason(smiles):
    # MolFromSmiles only logs why it failed; re-parse without sanitizing to get
    # the reason as an exception message. Runs only for invalid rows.
    head, *rest = smiles.split(maxsplit=1)
    if rest and Chem.MolFromSmiles(head, _SMILES_PARAMS) is not None:
        return (f"whitespace inside the SMILES: RDKit would read only {head!r} and take "
                f"{rest[0]!r} as a name")
    raw = Chem.MolFromSmiles(smiles, sanitize=False)
    if raw is None:
        return "SMILES syntax error"
    try:
        Chem.SanitizeMol(raw)
    except Exception as exc:  # RDKit raises several sanitization exception types
        return f"RDKit sanitization failed: {exc}"
    return "RDKit could not parse the SMILES"


def _check_connection_points(mol):
    """Refuse a SMILES whose only atoms are connection points, or a connection
    point bonded to nothing: no molecule to featurize, and in every mode the
    row would be a lone dummy atom (or hydrogen) that looks like data."""
    dummies = [atom for atom in mol.GetAtoms() if atom.GetAtomicNum() == 0]
    if len(dummies) == mol.GetNumAtoms():
        raise ValueError("no atoms besides connection points")
    if any(atom.GetDegree() == 0 for atom in dummies):
        raise ValueError("a connection point bonded to no atom")


def _has_dummy(mol, smiles):
    if "*" in smiles:
        return True
    return any(atom.GetAtomicNum() == 0 for atom in mol.GetAtoms())


def _placeholders_to_dummies(mol, numbers):
    mol = Chem.RWMol(mol)
    for atom in mol.GetAtoms():
        if atom.GetAtomicNum() in numbers:
            atom.SetAtomicNum(0)
            atom.SetFormalCharge(0)
            atom.SetNumExplicitHs(0)
            atom.SetNoImplicit(True)
    mol = mol.GetMol()
    mol.UpdatePropertyCache(strict=False)
    return mol


def _cap_with_hydrogen(mol):
    mol = Chem.RWMol(mol)
    for atom in mol.GetAtoms():
        if atom.GetAtomicNum() == 0:
            atom.SetAtomicNum(1)
            atom.SetIsotope(0)
    mol = mol.GetMol()
    Chem.SanitizeMol(mol)
    # RemoveHs moves the caps into their neighbours' hydrogen counts, also for
    # bracket atoms such as [Si] that take no implicit hydrogens.
    return Chem.RemoveHs(mol)


def cyclic_oligomer(mol, n_repeat_units):
    """``n_repeat_units`` copies of a repeat unit joined head to tail into a ring.

    The one ring closure of the package: ``connection_points="cyclic"`` and
    the polymer identity of :func:`sim2real_sklearn.datasets.polymer_groups`.
    Aromaticity stays as perceived in the repeat unit and the ring search is
    the plain SSSR (see ``_CYCLIC_SANITIZE_OPS``); a caller that compares
    canonical SMILES of small rings sanitizes the result fully.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        The repeat unit, with exactly two dummy atoms (connection points),
        each bonded to one atom.
    n_repeat_units : int
        Copies in the ring, at least 1 (1 closes the repeat unit on itself).

    Returns
    -------
    ring : rdkit.Chem.Mol
        The cyclic oligomer, without dummy atoms.

    Raises
    ------
    ValueError
        When the unit does not have two such connection points, or the ring
        would bond an atom to itself or two atoms twice (``*C(*)C`` closed as
        1 or 2 units, ``*CC*`` as 1), or RDKit cannot close it.
    """
    dummies = [atom for atom in mol.GetAtoms() if atom.GetAtomicNum() == 0]
    if len(dummies) != 2:
        raise ValueError(
            f"a cyclic oligomer needs exactly 2 connection points, found {len(dummies)}"
        )
    if any(atom.GetDegree() != 1 for atom in dummies):
        raise ValueError("each connection point must be bonded to exactly one atom")
    head, tail = (atom.GetIdx() for atom in dummies)
    _check_closable(mol, head, tail, n_repeat_units)
    # Label head and tail with atom-map numbers so that molzip joins the tail of
    # copy k to the head of copy k + 1 (and the last to the first); molzip keeps
    # bond orders and stereochemistry across the new bonds.
    ring = None
    for k in range(n_repeat_units):
        copy = Chem.RWMol(mol)
        copy.GetAtomWithIdx(head).SetAtomMapNum(k + 1)
        copy.GetAtomWithIdx(tail).SetAtomMapNum((k + 1) % n_repeat_units + 1)
        ring = copy.GetMol() if ring is None else Chem.CombineMols(ring, copy)
    try:
        zipped = Chem.molzip(ring)
        Chem.SanitizeMol(zipped, sanitizeOps=_CYCLIC_SANITIZE_OPS)
    except Exception as exc:  # RDKit raises several exception types here
        raise ValueError(f"could not close the cyclic oligomer: {exc}") from None
    Chem.GetSSSR(zipped)  # ring info, without the symmetrized (exponential) search
    return zipped


def _check_closable(mol, head, tail, n_repeat_units):
    # Checked here because molzip reports these cases as C++ invariant
    # violations, with a stack trace on stderr, instead of a plain error.
    head_atom, tail_atom = (mol.GetAtomWithIdx(i).GetNeighbors()[0].GetIdx() for i in (head, tail))
    same_atom = head_atom == tail_atom
    bonded = mol.GetBondBetweenAtoms(head_atom, tail_atom) is not None
    if n_repeat_units == 1 and (same_atom or bonded):
        raise ValueError("a 1-unit ring would bond an atom to itself or two bonded atoms again")
    if n_repeat_units == 2 and same_atom:
        raise ValueError("a 2-unit ring of a unit with both connection points on one atom "
                         "would bond the two copies twice")


# The symmetrized SSSR enumerates every equally small ring: a ring of 10 para-
# phenylene units has 2**20 of them and takes minutes. Aromaticity is kept as
# perceived in the repeat unit (the only new bonds are single bonds between
# units), so it need not be perceived again on the macrocycle either.
_CYCLIC_SANITIZE_OPS = (
    Chem.SANITIZE_ALL
    ^ Chem.SANITIZE_SYMMRINGS
    ^ Chem.SANITIZE_SETAROMATICITY
    ^ Chem.SANITIZE_KEKULIZE
)
