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
"""

from functools import lru_cache

from rdkit import Chem

CONNECTION_POINT_MODES = ("dummy", "hydrogen", "cyclic")

__all__ = ["CONNECTION_POINT_MODES", "mol_from_repeat_unit"]


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
    ValueError
        When the SMILES cannot be parsed (with RDKit's reason) or, in cyclic
        mode, the repeat unit does not have exactly two connection points.

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
    parse = RepeatUnitParser(connection_points, n_repeat_units, placeholders)
    return parse(smiles)


class RepeatUnitParser:
    """A validated, reusable SMILES-to-molecule function for one mode.

    Featurizers build one per batch (inside each worker) and call it per row,
    so arguments are checked once and the common cases (no connection point,
    ``"dummy"`` mode) cost no more than ``Chem.MolFromSmiles``.
    """

    def __init__(self, connection_points="dummy", n_repeat_units=10, placeholders=None):
        check_connection_point_params(connection_points, n_repeat_units, placeholders)
        self.connection_points = connection_points
        self.n_repeat_units = n_repeat_units
        self.placeholder_numbers = _placeholder_atomic_numbers(placeholders)
        self._placeholder_symbols = tuple(
            Chem.GetPeriodicTable().GetElementSymbol(z) for z in self.placeholder_numbers
        )

    def __call__(self, smiles):
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            raise ValueError(_parse_failure_reason(smiles))
        if self._placeholder_symbols and any(s in smiles for s in self._placeholder_symbols):
            mol = _placeholders_to_dummies(mol, self.placeholder_numbers)
        if self.connection_points == "dummy" or not _has_dummy(mol, smiles):
            return mol
        if self.connection_points == "hydrogen":
            return _cap_with_hydrogen(mol)
        return _cyclic_oligomer(mol, self.n_repeat_units)


def check_connection_point_params(connection_points, n_repeat_units, placeholders):
    """Validate the polymer parameters of a featurizer, naming the bad one."""
    if connection_points not in CONNECTION_POINT_MODES:
        raise ValueError(
            f"connection_points must be one of {CONNECTION_POINT_MODES}, "
            f"got {connection_points!r}."
        )
    if (
        isinstance(n_repeat_units, bool)
        or not isinstance(n_repeat_units, int)
        or n_repeat_units < 2
    ):
        raise ValueError(
            f"n_repeat_units must be an int >= 2 (a ring of repeat units), "
            f"got {n_repeat_units!r}."
        )
    _placeholder_atomic_numbers(placeholders)


@lru_cache(maxsize=64)
def _placeholder_numbers_cached(placeholders):
    table = Chem.GetPeriodicTable()
    numbers = []
    for item in placeholders:
        if not isinstance(item, str):
            raise ValueError(f"placeholders must be element symbols, got {item!r}.")
        symbol = item.strip("[]")
        try:
            numbers.append(table.GetAtomicNumber(symbol))
        except RuntimeError:
            raise ValueError(
                f"placeholders must be element symbols such as 'Ce' or '[Ce]', got {item!r}."
            ) from None
    return frozenset(numbers)


def _placeholder_atomic_numbers(placeholders):
    if placeholders is None:
        return frozenset()
    if isinstance(placeholders, str):
        # a bare "Ce" would otherwise be read as the symbols "C" and "e"
        placeholders = (placeholders,)
    try:
        return _placeholder_numbers_cached(tuple(placeholders))
    except TypeError:
        raise ValueError(
            f"placeholders must be None or a sequence of element symbols, got {placeholders!r}."
        ) from None


def _parse_failure_reason(smiles):
    # MolFromSmiles only logs why it failed; re-parse without sanitizing to get
    # the reason as an exception message. Runs only for invalid rows.
    if not smiles.strip():
        return "empty SMILES"
    raw = Chem.MolFromSmiles(smiles, sanitize=False)
    if raw is None:
        return "SMILES syntax error"
    try:
        Chem.SanitizeMol(raw)
    except Exception as exc:  # RDKit raises several sanitization exception types
        return f"RDKit sanitization failed: {exc}"
    return "RDKit could not parse the SMILES"


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


def _cyclic_oligomer(mol, n_repeat_units):
    dummies = [atom for atom in mol.GetAtoms() if atom.GetAtomicNum() == 0]
    if len(dummies) != 2:
        raise ValueError(
            "connection_points='cyclic' needs exactly 2 connection points, "
            f"found {len(dummies)}"
        )
    if any(atom.GetDegree() != 1 for atom in dummies):
        raise ValueError("each connection point must be bonded to exactly one atom")
    # Label head and tail with atom-map numbers so that molzip joins the tail of
    # copy k to the head of copy k + 1 (and the last to the first); molzip keeps
    # bond orders and stereochemistry across the new bonds.
    head, tail = (atom.GetIdx() for atom in dummies)
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
