"""Inorganic compositions: chemical formulas to element fractions and property statistics.

Formula parsing and element data come from pymatgen (the optional extra
``composition``), imported only when a formula is featurized. Covalent radii,
which pymatgen lacks, come from RDKit's periodic table (a core dependency).
"""

import warnings
from functools import lru_cache

import numpy as np

from ._base import BaseFeaturizer, check_names

__all__ = ["CompositionFeaturizer", "element_properties", "ELEMENT_PROPERTIES", "STATISTICS"]

#: Max atomic number covered (H to Lr): every element with pymatgen data.
_MAX_Z = 103

#: Elemental properties: output name -> how to read it from pymatgen's Element.
ELEMENT_PROPERTIES = (
    "atomic_number",
    "atomic_mass",
    "period",
    "group",
    "electronegativity",
    "covalent_radius",
    "atomic_radius",
    "valence_electrons",
    "melting_point",
    "ionization_energy",
    "electron_affinity",
    "molar_volume",
    "mendeleev_number",
)

#: Statistics over the elements of a composition, weighted by atomic fraction.
STATISTICS = ("mean", "min", "max", "range", "std")


def _import_pymatgen():
    try:
        from pymatgen.core import Composition, Element
    except ImportError as exc:
        raise ImportError(
            "CompositionFeaturizer needs pymatgen for formula parsing and element data: "
            "pip install sim2real-sklearn[composition]"
        ) from exc
    return Composition, Element


def _read_property(element, name, rdkit_table):
    value = {
        "atomic_number": lambda: element.Z,
        "atomic_mass": lambda: element.atomic_mass,
        "period": lambda: element.row,
        "group": lambda: element.group,
        "electronegativity": lambda: element.X,
        "covalent_radius": lambda: rdkit_table.GetRcovalent(element.Z),
        "atomic_radius": lambda: element.atomic_radius,
        "valence_electrons": lambda: _valence_electrons(element),
        "melting_point": lambda: element.melting_point,
        "ionization_energy": lambda: element.ionization_energy,
        "electron_affinity": lambda: element.electron_affinity,
        "molar_volume": lambda: element.molar_volume,
        "mendeleev_number": lambda: element.mendeleev_no,
    }[name]()
    return np.nan if value is None else float(value)


def _valence_electrons(element):
    # Electrons outside the noble-gas core, d and f included: "[Ar].3d6.4s2" -> 8.
    shells = element.electronic_structure.split(".")
    outer = [shell for shell in shells if not shell.startswith("[")]
    return sum(int(shell[2:]) for shell in outer)


@lru_cache(maxsize=1)
def _element_table():
    """(symbols, values (n_elements, n_properties), imputed mask), built once per process."""
    _, Element = _import_pymatgen()
    from rdkit import Chem

    rdkit_table = Chem.GetPeriodicTable()
    elements = [Element.from_Z(z) for z in range(1, _MAX_Z + 1)]
    with warnings.catch_warnings():
        # pymatgen warns for each missing value (e.g. no Pauling X for He, Ne, Ar)
        warnings.simplefilter("ignore")
        values = np.array(
            [[_read_property(e, name, rdkit_table) for name in ELEMENT_PROPERTIES]
             for e in elements]
        )
    imputed = np.isnan(values)
    # Missing values get the median of the property over all elements that
    # have it: a neutral value that keeps every statistic finite and does not
    # pull a compound towards either end of the scale (zero would).
    medians = np.nanmedian(values, axis=0)
    values = np.where(imputed, medians, values)
    symbols = tuple(e.symbol for e in elements)
    return symbols, values, imputed


def element_properties(return_imputed=False):
    """The elemental property table used by :class:`CompositionFeaturizer`.

    Rows are the elements H to Lr (Z = 1..103), columns
    :data:`ELEMENT_PROPERTIES`. Values come from pymatgen, except covalent
    radii (Angstrom, from RDKit's periodic table) and valence electrons
    (electrons outside the noble-gas core, from pymatgen's electronic
    structure). Where pymatgen has no value (e.g. electronegativity of He, Ne
    and Ar, atomic radius of several noble gases and actinides, molar volume
    of the heaviest elements), the median of that property over the elements
    that have it is used.

    Parameters
    ----------
    return_imputed : bool, default=False
        Also return a boolean DataFrame marking the filled-in values.

    Returns
    -------
    table : pandas.DataFrame of shape (103, n_properties)
    imputed : pandas.DataFrame of bool, only if ``return_imputed``

    Examples
    --------
    >>> from sim2real_sklearn.featurizers import element_properties
    >>> table, imputed = element_properties(return_imputed=True)
    >>> float(table.loc["O", "electronegativity"])
    3.44
    >>> bool(imputed.loc["Ne", "electronegativity"])
    True
    """
    import pandas as pd

    symbols, values, imputed = _element_table()
    table = pd.DataFrame(values, index=list(symbols), columns=list(ELEMENT_PROPERTIES))
    if return_imputed:
        return table, pd.DataFrame(imputed, index=table.index, columns=table.columns)
    return table


class CompositionFeaturizer(BaseFeaturizer):
    """Chemical formulas to element fractions and statistics of elemental properties.

    Each formula (``"Fe2O3"``, ``"Hg0.7Cd0.3Te"``, ``"Ba2YCu3O7"``,
    ``"(CH3NH3)PbI3"``) is parsed by pymatgen into atomic fractions (amounts
    divided by their sum). Output: the fraction of each element in
    ``elements``, then for each elemental property the statistics over the
    elements present, weighted by atomic fraction: ``mean``; ``min`` and
    ``max`` (unweighted, over present elements); ``range`` (max - min);
    ``std`` (weighted standard deviation). See :func:`element_properties` for
    the property values and how missing ones are filled.

    Parameters
    ----------
    elements : list of str, default=None
        Elements whose fractions are output, in this order. ``None``: H to Lr
        (103 columns). Elements of a formula that are not listed still enter
        the statistics.
    properties : list of str, default=None
        Subset of :data:`ELEMENT_PROPERTIES` (all when ``None``).
    stats : list of str, default=None
        Subset of :data:`STATISTICS` (all when ``None``).
    n_jobs : int, default=None
        joblib workers; the output does not depend on it.
    batch_size : int, default=None
        Rows per batch (``None``: about 4 batches per worker).
    errors : {"raise", "nan"}, default="raise"
        Invalid formula (syntax, unknown element, an amount that is zero,
        negative or not finite, e.g. ``"Fe1e400"``): ``ValueError`` naming the
        row index and the formula, or an all-NaN row.
    verbose : int, default=0
        joblib verbosity.
    memory : str, path or joblib.Memory, default=None
        On-disk cache of whole transforms; see
        :class:`~sim2real_sklearn.featurizers.BaseFeaturizer`.

    Attributes
    ----------
    n_features_in_ : int
        1 after ``fit``.
    feature_names_in_ : ndarray of str
        The column name, after ``fit`` on a one-column DataFrame.

    Examples
    --------
    >>> from sim2real_sklearn.featurizers import CompositionFeaturizer
    >>> featurizer = CompositionFeaturizer(elements=["Fe", "O"], properties=["atomic_number"])
    >>> featurizer.fit_transform(["Fe2O3"]).round(2)
    array([[ 0.4 ,  0.6 , 15.2 ,  8.  , 26.  , 18.  ,  8.82]])
    >>> list(featurizer.get_feature_names_out()[:4])
    ['frac_Fe', 'frac_O', 'mean_atomic_number', 'min_atomic_number']
    """

    # Which names each list may hold is checked in _validate_params.
    _parameter_constraints = {
        **BaseFeaturizer._parameter_constraints,
        "elements": [None, "array-like"],
        "properties": [None, "array-like"],
        "stats": [None, "array-like"],
    }

    def __init__(
        self,
        elements=None,
        properties=None,
        stats=None,
        *,
        n_jobs=None,
        batch_size=None,
        errors="raise",
        verbose=0,
        memory=None,
    ):
        self.elements = elements
        self.properties = properties
        self.stats = stats
        super().__init__(
            n_jobs=n_jobs, batch_size=batch_size, errors=errors, verbose=verbose, memory=memory
        )

    def _validate_params(self):
        super()._validate_params()
        self._chosen("properties", ELEMENT_PROPERTIES)
        self._chosen("stats", STATISTICS)
        self._element_columns()  # needs pymatgen's element table

    def _chosen(self, name, allowed, what=None):
        if getattr(self, name) is None:
            return list(allowed)
        return check_names(self, name, what or f"names from {allowed}", allowed=allowed)

    def _element_columns(self):
        symbols, _, _ = _element_table()
        chosen = self._chosen("elements", symbols, what="element symbols H..Lr")
        return chosen, np.array([symbols.index(e) for e in chosen])

    def _cache_params(self):
        from pymatgen.core import __version__ as pymatgen_version

        return super()._cache_params() + [("pymatgen", pymatgen_version)]

    def _feature_names(self):
        elements, _ = self._element_columns()
        names = [f"frac_{e}" for e in elements]
        for prop in self._chosen("properties", ELEMENT_PROPERTIES):
            names += [f"{stat}_{prop}" for stat in self._chosen("stats", STATISTICS)]
        return names

    def _featurize_batch(self, strings, out):
        fractions, failures = _parse_formulas(strings)
        _, element_columns = self._element_columns()
        n_elements = len(element_columns)
        out[:, :n_elements] = fractions[:, element_columns]
        _, values, _ = _element_table()
        property_index = [ELEMENT_PROPERTIES.index(p)
                          for p in self._chosen("properties", ELEMENT_PROPERTIES)]
        stats = self._chosen("stats", STATISTICS)
        # statistics over the elements that occur in this batch only: a few
        # dozen columns instead of 103, the same numbers
        present = np.flatnonzero(fractions.any(axis=0))
        fractions, values = fractions[:, present], values[present]
        column = n_elements
        for p in property_index:
            computed = _weighted_statistics(fractions, values[:, p])
            for stat in stats:
                out[:, column] = computed[stat]
                column += 1
        return failures


def _parse_formulas(strings):
    """Atomic fractions (n, 103) of each formula and the rows that failed."""
    symbols, _, _ = _element_table()
    index = {symbol: i for i, symbol in enumerate(symbols)}
    fractions = np.zeros((len(strings), len(symbols)))
    failures = []
    for i, formula in enumerate(strings):
        try:
            amounts = _amounts(formula)
        except ValueError as exc:
            failures.append((i, str(exc)))
            continue
        unknown = [symbol for symbol in amounts if symbol not in index]
        if unknown:
            failures.append((i, f"unknown element(s) {unknown} (H to Lr have property data)"))
            continue
        # Divide by the largest amount first: the sum of Fe1e308O1e308 would
        # overflow to inf and make every fraction 0.
        scaled = np.array(list(amounts.values())) / max(amounts.values())
        row = scaled / scaled.sum()
        if not (row > 0).all():
            failures.append((i, "amounts too far apart for a float fraction: "
                                f"{_format_amounts(amounts)}"))
            continue
        fractions[i, [index[symbol] for symbol in amounts]] = row
    return fractions, failures


def _amounts(formula):
    """``{element symbol: amount}`` of one formula, every amount finite and > 0.

    pymatgen's ``Composition`` silently drops elements whose amount is below
    1e-8 (``"Fe0O"``, ``"Fe1e-9O"``, even an unknown ``"Xx0"``) and keeps an
    overflowed ``inf``; each would be a wrong row. So the amounts come from
    pymatgen's formula parser before that filter, and are checked here.
    Symbols are read as pymatgen reads them (``"D"`` is hydrogen).
    """
    Composition, _ = _import_pymatgen()
    from pymatgen.core.periodic_table import Element, get_el_sp

    try:
        # The parser behind Composition(str), before its 1e-8 amount filter.
        parsed = Composition._parse_formula(formula)
    except Exception as exc:  # noqa: BLE001 - pymatgen raises ValueError, KeyError, ...
        raise ValueError(f"pymatgen could not parse the formula: {exc}") from None
    if not parsed:
        raise ValueError("no element in the formula")
    bad = {symbol: amount for symbol, amount in parsed.items()
           if not (np.isfinite(amount) and amount > 0)}
    if bad:
        raise ValueError(f"amounts must be finite and > 0, got {_format_amounts(bad)}")
    amounts = {}
    for symbol, amount in parsed.items():
        try:
            element = get_el_sp(symbol)
        except ValueError:
            element = None
        key = element.symbol if isinstance(element, Element) else symbol
        amounts[key] = amounts.get(key, 0.0) + amount
    return amounts


def _format_amounts(amounts):
    def describe(amount):
        # "Fe1e400" reads as a number but is inf to a float; say so
        return f"{amount!r} (too large for a float)" if amount == np.inf else repr(amount)

    return ", ".join(f"{symbol}={describe(amount)}" for symbol, amount in amounts.items())


def _weighted_statistics(fractions, values):
    """Statistics of one property over each row's elements, vectorized over rows.

    Sums run over the columns one at a time, in atomic-number order: a row's
    result then depends on its own elements only, bit for bit, whatever the
    other rows of its batch (and so whatever ``n_jobs`` or ``batch_size``);
    absent elements add an exact 0.0. A matrix product or a pairwise sum
    would group the terms differently with the batch's columns.
    """
    if not len(values):
        # no valid row in the batch, so no element: every statistic of every
        # row is NaN (the failed rows are NaN anyway)
        nan = np.full(len(fractions), np.nan)
        return dict.fromkeys(STATISTICS, nan)
    present = fractions > 0
    mean = np.zeros(len(fractions))
    for j, value in enumerate(values):
        mean += fractions[:, j] * value
    variance = np.zeros(len(fractions))
    for j, value in enumerate(values):
        variance += fractions[:, j] * (value - mean) ** 2
    with np.errstate(invalid="ignore"):  # failed rows (no element) become NaN
        minimum = np.where(present, values, np.inf).min(axis=1)
        maximum = np.where(present, values, -np.inf).max(axis=1)
        spread = maximum - minimum
    return {"mean": mean, "min": minimum, "max": maximum, "range": spread, "std": np.sqrt(variance)}
