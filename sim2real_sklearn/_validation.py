"""One home for checking the data of two domains, and the parameter rules scikit-learn cannot say.

``X, y`` are always the target (experimental) data, so every splitter, scorer
and search in scikit-learn splits and scores experimental rows only. The
source (simulations) reaches an estimator as the fit parameters ``X_source``
and ``y_source``. Every entry point of the package (the regressor,
``FitOnSource``, ``scaling_curve``, the command line) checks them here, with
one set of rules and messages that name the argument, the row and the column.

One trap: scikit-learn's cross-validation tools slice *any* fit parameter
whose length equals ``len(X)`` to the training fold (scikit-learn issue
#15805). A source that happens to have as many rows as the target would be
cut silently. Pass the source as a 1-tuple to keep it whole::

    cross_validate(model, X, y, params={"X_source": (X_sim,), "y_source": (y_sim,)})

A 1-tuple has length 1, so it is never sliced, and ``Pipeline(transform_input=...)``
transforms the elements of a tuple one by one. Every estimator of this package
unwraps it (:func:`unwrap_source`); a bare source of the target's length
triggers :class:`~sim2real_sklearn.exceptions.SourceLengthWarning`.

Parameters are declared per class in ``_parameter_constraints`` (scikit-learn's
``sklearn.utils._param_validation``) and checked at ``fit``; the constraint
types scikit-learn's own cannot say (a torch device, a tuple of layer widths,
a torch module class) are in ``_constraints.py``.
"""

import warnings

import numpy as np
import scipy.sparse
from sklearn.utils.validation import _num_samples

from .exceptions import SourceLengthWarning

# Networks compute in float32: a finite float64 beyond this becomes inf there.
FLOAT32_MAX = float(np.finfo(np.float32).max)

# Rows checked at once for NaN/inf: bounds the temporary mask of a large source.
_CHUNK_ROWS = 1 << 16


# -- the source's journey through scikit-learn --------------------------------


def unwrap_source(value, name):
    """Return the array inside a 1-tuple source, or the value itself.

    Parameters
    ----------
    value : array-like, 1-tuple of array-like, or None
    name : str
        The argument's name, for error messages.

    Examples
    --------
    >>> unwrap_source(([1, 2, 3],), "X_source")
    [1, 2, 3]
    >>> unwrap_source(None, "X_source") is None
    True
    """
    if isinstance(value, tuple):
        if len(value) != 1:
            raise ValueError(
                f"{name} given as a tuple must hold exactly one array (a 1-tuple "
                f"protects the source from cross-validation slicing); got a tuple "
                f"of length {len(value)}."
            )
        return value[0]
    return value


def warn_if_source_may_be_sliced(X_source, X, was_wrapped):
    """Warn when a bare source has exactly as many rows as the target."""
    if was_wrapped or X_source is None:
        return
    if _num_samples(X_source) == _num_samples(X):
        warnings.warn(
            f"X_source has as many rows as X ({_num_samples(X)}). scikit-learn's "
            "cross-validation tools slice any fit parameter of that length to the "
            "training fold (scikit-learn#15805), so the source may have been cut. "
            "Pass X_source=(X_source,), y_source=(y_source,) to keep it whole.",
            SourceLengthWarning,
            stacklevel=4,
        )


# -- numbers and finite values -------------------------------------------------


def is_numeric(X):
    """Whether ``X`` is an array or frame of numbers (not strings to featurize).

    pandas extension dtypes (``Int64``, ``Float64``, ``boolean``, numeric
    ``category``) count as numbers, as they do for scikit-learn.

    Examples
    --------
    >>> import pandas as pd
    >>> is_numeric(pd.DataFrame({"a": pd.array([1, None], dtype="Int64")}))
    True
    >>> is_numeric(["CCO", "CC"])
    False
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None:
        import pandas as pd

        dtypes = dtypes if hasattr(dtypes, "__iter__") else [dtypes]
        return all(_is_numeric_dtype(pd, d) for d in dtypes)
    return isinstance(X, np.ndarray) and X.dtype.kind in "biuf"


def _is_numeric_dtype(pd, dtype):
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.api.types.is_numeric_dtype(dtype.categories.dtype)
    return pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def as_float_array(value, name):
    """``value`` as a float64 array, naming the first cell that is not a number.

    Lists, arrays, pandas frames and series of any numeric dtype (extension
    dtypes with ``pd.NA`` included, which become NaN) and numeric strings are
    converted as scikit-learn converts them; an array that is already float64
    is not copied.

    Raises
    ------
    ValueError or TypeError
        Naming ``name``, the row and column of the first cell that is not a
        number (Python's own split: TypeError for an object that is not a
        number, ValueError for text).

    Examples
    --------
    >>> as_float_array([[1, 2], [3, "x"]], "X")
    Traceback (most recent call last):
    ...
    ValueError: X must hold numbers; row 1, column 1 holds 'x' (could not convert ...).
    Featurize text ...
    """
    if value is None:
        raise ValueError(f"{name} is required, got None.")
    if scipy.sparse.issparse(value):
        raise TypeError(f"{name} is a sparse matrix, but dense data is required: "
                        f"pass {name}.toarray().")
    if getattr(getattr(value, "dtype", None), "kind", None) == "c":
        raise ValueError(f"{name} holds complex numbers; Complex data not supported.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            if hasattr(value, "to_numpy"):  # pandas: pd.NA of nullable dtypes becomes NaN
                return value.to_numpy(dtype=np.float64, na_value=np.nan)
            return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, np.exceptions.ComplexWarning) as exc:
        _raise_at_first_non_number(value, name, exc)


def _raise_at_first_non_number(value, name, original):
    import pandas as pd

    cells = np.asarray(value, dtype=object)
    for index in np.ndindex(cells.shape):  # slow, but only on the way to an error
        if cells[index] is pd.NA:
            continue  # a missing value, not text: the finiteness check names it
        try:
            float(cells[index])
        except (TypeError, ValueError) as exc:
            hint = (" Featurize text (SMILES, formulas) first, e.g. in make_sim2real_pipeline."
                    if name.startswith("X") else "")
            raise type(exc)(
                f"{name} must hold numbers; {_where(index)} holds {cells[index]!r} ({exc}).{hint}"
            ) from None
    raise original  # not a bad cell (a ragged list, say): numpy's own message


def _where(index):
    return f"row {index[0]}" + (f", column {index[1]}" if len(index) > 1 else "")


def check_finite(array, name, *, allow_nan=False, float32=False):
    """Refuse NaN (unless allowed), infinity and, for float32 networks, overflowing values.

    The message names the first bad row (and column) and how many rows are
    bad. Large arrays are checked in chunks of rows, so the check never
    allocates a mask as large as the array.

    Examples
    --------
    >>> check_finite(np.array([[0.0, 1.0], [np.nan, 2.0]]), "X_source")
    Traceback (most recent call last):
    ...
    ValueError: Input X_source contains NaN at row 1, column 0 (1 row(s) in all):
    impute or drop those rows first.
    """
    if scipy.sparse.issparse(array):
        return _check_finite_sparse(array, name, allow_nan=allow_nan, float32=float32)
    if array.ndim == 0 or array.size == 0:
        return
    first, count = None, 0
    for start in range(0, len(array), _CHUNK_ROWS):
        block = array[start:start + _CHUNK_ROWS]
        with np.errstate(invalid="ignore"):
            if float32:
                bad = ~(np.abs(block) <= FLOAT32_MAX)  # True for NaN too
            else:
                bad = ~np.isfinite(block)
            if allow_nan:
                bad &= ~np.isnan(block)
        rows = bad.reshape(len(block), -1).any(axis=1)
        if rows.any():
            count += int(rows.sum())
            if first is None:
                index = np.unravel_index(np.argmax(bad), bad.shape)
                first = (start + int(index[0]),) + tuple(int(i) for i in index[1:])
    if first is None:
        return
    value = float(array[first])
    if np.isnan(value):
        what, hint = "NaN", "impute or drop those rows first"
    elif np.isinf(value):
        what, hint = "infinity", "impute or drop those rows first"
    else:
        what, hint = f"{value:.3g}", ("the network computes in float32, whose largest value "
                                      "is about 3.4e38: scale the values first")
    raise ValueError(
        f"Input {name} contains {what} at {_where(first)} ({count} row(s) in all): {hint}."
    )


def _check_finite_sparse(matrix, name, *, allow_nan, float32):
    """``check_finite`` on the stored values of a CSR matrix, naming row and column."""
    matrix = scipy.sparse.csr_matrix(matrix)
    data = matrix.data
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(data) <= FLOAT32_MAX) if float32 else ~np.isfinite(data)
        if allow_nan:
            bad &= ~np.isnan(data)
    if not bad.any():
        return
    positions = np.flatnonzero(bad)
    rows = np.searchsorted(matrix.indptr, positions, side="right") - 1
    dense_row = np.zeros((1, matrix.shape[1]))
    dense_row[0, matrix.indices[positions[0]]] = data[positions[0]]
    try:
        check_finite(dense_row, name, allow_nan=allow_nan, float32=float32)
    except ValueError as exc:
        message = str(exc).replace("row 0,", f"row {rows[0]},", 1).replace(
            "(1 row(s) in all)", f"({len(np.unique(rows))} row(s) in all)")
        raise ValueError(message) from None


def invalid_rows(values, name):
    """Every row of ``values`` that is not all finite numbers, as ``{row: reason}``.

    For tables read from files (the command line), which list every bad row
    instead of stopping at the first.

    Examples
    --------
    >>> invalid_rows(["1.5", "x", None, "inf"], "chi")
    {1: "chi='x' is not a number", 2: 'chi is missing', 3: "chi='inf' is not finite"}
    """
    import pandas as pd

    cells = np.asarray(values, dtype=object)
    cells = cells.reshape(len(cells), -1)
    reasons = {}
    for row, line in enumerate(cells):
        for cell in line:
            if cell is None or (not isinstance(cell, str) and pd.isna(cell)):
                reasons[row] = f"{name} is missing"
                break
            try:
                number = float(cell)
            except (TypeError, ValueError):
                reasons[row] = f"{name}={str(cell)!r} is not a number"
                break
            if not np.isfinite(number):
                reasons[row] = f"{name}={str(cell)!r} is not finite"
                break
    return reasons


# -- source and target together ------------------------------------------------


def check_source(X_source, y_source, *, n_features, feature_names=None, target=None,
                 float32=True, accept_sparse=False):
    """Check the source arrays a model pretrains on; return them as float arrays.

    The single entry point for ``X_source, y_source`` (as skada's
    ``check_X_y_domain``): unwraps 1-tuples, refuses a half-given source,
    non-numbers and non-finite values (naming row and column), checks that
    source and target share the representation, and warns when a bare source
    may have been sliced by cross-validation.

    Parameters
    ----------
    X_source, y_source : array-like, 1-tuple of array-like, or None
    n_features : int
        Columns of the target ``X``.
    feature_names : array-like of str or None
        Column names of the target ``X``, if it had some.
    target : array-like or None
        The target ``X``, to warn when a bare source has as many rows.
    float32 : bool, default=True
        Also refuse values beyond float32's range (the network computes in float32).
    accept_sparse : bool, default=False
        Keep a scipy sparse ``X_source`` sparse (as CSR) instead of refusing it.

    Returns
    -------
    X_source : ndarray or CSR matrix of shape (n_source, n_features) or None
    y_source : ndarray of shape (n_source, n_properties) or None
        None, None when no source was given (direct learning).

    Examples
    --------
    >>> X_source, y_source = check_source(([[0.0, 1.0]] * 3,), ([1.0, 2.0, 3.0],), n_features=2)
    >>> X_source.shape, y_source.shape
    ((3, 2), (3, 1))
    """
    wrapped = isinstance(X_source, tuple)
    X_source = unwrap_source(X_source, "X_source")
    y_source = unwrap_source(y_source, "y_source")
    if X_source is None and y_source is None:
        return None, None
    if X_source is None or y_source is None:
        missing = "y_source" if y_source is None else "X_source"
        given = "X_source" if y_source is None else "y_source"
        raise ValueError(f"{given} was given without {missing}: pass both or neither.")
    names = getattr(X_source, "columns", None)
    if accept_sparse and scipy.sparse.issparse(X_source):
        X_array = scipy.sparse.csr_matrix(X_source, dtype=np.float64)
    else:
        X_array = as_float_array(X_source, "X_source")
    y_array = as_float_array(y_source, "y_source")
    if X_array.ndim != 2:
        raise ValueError(f"X_source must be 2-D (rows, features); got shape {X_array.shape}.")
    if X_array.shape[0] == 0:
        raise ValueError("X_source has 0 rows: pass at least one source row, or "
                         "X_source=None and y_source=None for direct learning.")
    if y_array.ndim == 1:
        y_array = y_array[:, None]
    if y_array.ndim != 2:
        raise ValueError(f"y_source must be 1-D or 2-D, got shape {y_array.shape} "
                         f"(dim {y_array.ndim}).")
    if X_array.shape[0] != len(y_array):
        raise ValueError(
            f"X_source and y_source have different numbers of rows: "
            f"{X_array.shape[0]} and {len(y_array)}."
        )
    check_finite(X_array, "X_source", float32=float32)
    check_partial_labels(y_array, "y_source", float32=float32)
    if X_array.shape[1] != n_features:
        raise ValueError(
            f"X_source has {X_array.shape[1]} features but X has {n_features}: "
            "source and target must be in the same representation (featurize both "
            "with the same steps, e.g. make_sim2real_pipeline)."
        )
    if names is not None and feature_names is not None and list(names) != list(feature_names):
        raise ValueError("X_source's column names differ from X's: "
                         f"{list(names)[:5]}... vs {list(feature_names)[:5]}...")
    if target is not None:
        warn_if_source_may_be_sliced(X_array, target, wrapped)
    return X_array, y_array


def check_partial_labels(Y, name, *, float32=True):
    """Source properties, NaN where a property is unknown: every row and column needs a value.

    A property computed for some materials only (or a fidelity run on a
    subset) is NaN elsewhere, and the network leaves it out of the loss; a row
    with no property at all, a property never known, and infinity are refused.

    Examples
    --------
    >>> check_partial_labels(np.array([[1.0, np.nan], [np.nan, 2.0]]), "y_source")
    >>> check_partial_labels(np.array([[1.0, 2.0], [np.nan, np.nan]]), "y_source")
    Traceback (most recent call last):
    ...
    ValueError: y_source row 1 has no known property (1 such row(s)); every row needs a value.
    """
    check_finite(Y, name, allow_nan=True, float32=float32)
    known = ~np.isnan(Y.reshape(len(Y), -1))
    empty_rows = np.flatnonzero(~known.any(axis=1))
    if len(empty_rows):
        raise ValueError(f"{name} row {empty_rows[0]} has no known property "
                         f"({len(empty_rows)} such row(s)); every row needs a value.")
    empty_columns = np.flatnonzero(~known.any(axis=0))
    if len(empty_columns):
        raise ValueError(f"{name} column {empty_columns[0]} is NaN in every row: drop the "
                         "property, it has nothing to teach.")


def check_study_data(X_sim, y_sim, X_exp, y_exp, *, allow_nan_X=False):
    """Check the four arrays of a scaling study; return the targets as float arrays.

    Checked on the user's arrays, so that a message names the user's row:
    inside a trial an estimator only sees a permuted subset, and one bad row
    would fail every trial that draws it. Inputs that are not numbers
    (SMILES, formulas) are the estimator's to check; NaN in numeric inputs is
    allowed when the estimator handles it (``allow_nan_X``, its
    ``allow_nan`` tag, e.g. a pipeline starting with an imputer).

    Returns
    -------
    X_sim, y_sim, X_exp, y_exp
        The inputs unwrapped from 1-tuples and unchanged, the targets as float
        arrays (``y_sim`` of shape (n_source,) or (n_source, n_properties),
        ``y_exp`` of shape (n_target,)): numeric strings become numbers once,
        here, instead of in every trial's scorer.
    """
    X_sim, y_sim = unwrap_source(X_sim, "X_sim"), unwrap_source(y_sim, "y_sim")
    n_source, n_target = _num_samples(X_sim), _num_samples(X_exp)
    for name, n, minimum in (("X_sim", n_source, 1), ("X_exp", n_target, 2)):
        if n < minimum:
            raise ValueError(f"{name} has {n} rows; a scaling curve needs at least {minimum}.")
    targets = []
    for name, y, ndims, ref, n in (("y_sim", y_sim, (1, 2), "X_sim", n_source),
                                   ("y_exp", y_exp, (1,), "X_exp", n_target)):
        values = as_float_array(y, name)
        if values.ndim not in ndims:
            several = " (or 2-D for several properties)" if 2 in ndims else ""
            raise ValueError(f"{name} must be 1-D{several}; got shape {values.shape}.")
        if len(values) != n:
            raise ValueError(f"{name} has {len(values)} rows but {ref} has {n}; "
                             "they must describe the same rows.")
        if name == "y_sim":  # NaN: a property unknown for that row (see check_partial_labels)
            check_partial_labels(values, name, float32=False)
        else:
            check_finite(values, name)
        targets.append(values)
    for name, X in (("X_sim", X_sim), ("X_exp", X_exp)):
        if scipy.sparse.issparse(X):
            check_finite(X, name, allow_nan=allow_nan_X)
        elif is_numeric(X):
            check_finite(as_float_array(X, name), name, allow_nan=allow_nan_X)
    return X_sim, targets[0], X_exp, targets[1]


def check_target(estimator, X, y="no_validation", *, reset=True, float32=True,
                 accept_sparse=False):
    """Check the target data of a fit (``X, y``) or of a predict (``X``), as ``validate_data``.

    Records ``n_features_in_`` and ``feature_names_in_`` (``reset=True``) or
    checks them (``reset=False``) through scikit-learn's ``validate_data``,
    then refuses non-finite values naming the row and column. A cell that is
    not a number is named too, instead of scikit-learn's generic message.

    ``accept_sparse=True`` keeps a scipy sparse ``X`` sparse (as CSR).

    Returns
    -------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Only when ``y`` is passed (as in ``validate_data``, ``y=None`` in a fit
        is refused with scikit-learn's "requires y" message).
    """
    predicting = isinstance(y, str) and y == "no_validation"
    from sklearn.utils.validation import validate_data

    if not predicting and y is not None:
        # Before validate_data, whose own finiteness check of y names no row.
        check_finite(as_float_array(y, "y"), "y", float32=float32)
    try:
        sparse = "csr" if accept_sparse else False
        if predicting:
            out = validate_data(estimator, X, reset=reset, dtype=np.float64,
                                ensure_all_finite=False, accept_sparse=sparse)
        else:
            out = validate_data(estimator, X, y, reset=reset, y_numeric=True, dtype=np.float64,
                                ensure_all_finite=False, ensure_min_samples=0,
                                accept_sparse=sparse)
    except (TypeError, ValueError):
        as_float_array(X, "X")  # raises naming a cell that is not a number, if there is one
        raise
    check_finite(out if predicting else out[0], "X", float32=float32)
    return out


def check_takes_source(estimator):
    """Refuse an estimator whose ``fit`` does not request ``X_source`` and ``y_source``."""
    from sklearn import config_context
    from sklearn.utils.metadata_routing import get_routing_for_object

    wanted = ("X_source", "y_source")
    with config_context(enable_metadata_routing=True):
        consumed = get_routing_for_object(estimator).consumes("fit", wanted)
    if set(consumed) != set(wanted):
        raise ValueError(
            f"estimator {type(estimator).__name__} does not request X_source and "
            "y_source in fit, so it cannot pretrain on simulation data. Use "
            "Sim2RealRegressor (or a pipeline ending with it), or call "
            ".set_fit_request(X_source=True, y_source=True) on your regressor."
        )


def check_groups(groups, n_rows, name="groups"):
    """Group labels of the target rows as an array (None stays None), one per row."""
    if groups is None:
        return None
    groups = np.asarray(unwrap_source(groups, name))
    if groups.ndim != 1 or len(groups) != n_rows:
        raise ValueError(f"{name} must hold one label per row of X ({n_rows}); "
                         f"got shape {groups.shape}.")
    return groups


def check_sample_weight(weights, n_rows, name="sample_weight", ref_name="X"):
    """Row weights as a float array (None stays None): one finite, non-negative value per row.

    Examples
    --------
    >>> check_sample_weight([1, 2], 2)
    array([1., 2.])
    >>> check_sample_weight([1.0, -1.0], 2)
    Traceback (most recent call last):
    ...
    ValueError: sample_weight must be non-negative; row 1 holds -1.0.
    """
    if weights is None:
        return None
    weights = as_float_array(unwrap_source(weights, name), name)
    if weights.ndim != 1 or len(weights) != n_rows:
        raise ValueError(f"{name} must hold one weight per row of {ref_name} ({n_rows}); "
                         f"got shape {weights.shape}.")
    check_finite(weights, name)
    if (weights < 0).any():
        row = int(np.argmax(weights < 0))
        raise ValueError(f"{name} must be non-negative; row {row} holds {weights[row]}.")
    if not weights.sum() > 0:
        # scikit-learn's wording (check_all_zero_sample_weights_error looks for it)
        raise ValueError(f"{name} is 0 for every row: Sample weights must contain at least one "
                         "non-zero number.")
    return weights


def check_same_rows(name, value, ref_name, n_rows):
    """Refuse a per-row argument (groups, weights) whose length differs from its data's."""
    if value is not None and _num_samples(value) != n_rows:
        raise ValueError(
            f"{name} has {_num_samples(value)} rows but {ref_name} has {n_rows}; "
            "they must describe the same rows."
        )
