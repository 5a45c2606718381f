"""Shared plumbing of all string featurizers: input checks, batches, workers, errors, cache.

A featurizer subclasses :class:`BaseFeaturizer` and implements two methods:

- ``_feature_names(self)``: the output column names (fixed by the parameters,
  so ``fit`` learns nothing and ``transform`` works without it);
- ``_featurize_batch(self, strings, out)``: fill the preallocated rows ``out``
  for the strings of one batch and return the failed rows as
  ``[(position_in_batch, reason), ...]``.

It declares its own parameters in a ``_parameter_constraints`` table that
extends ``BaseFeaturizer._parameter_constraints`` (scikit-learn's constraint
objects). A rule those objects cannot say (names that must exist in RDKit,
element symbols) gets a small named check in an override of
``_validate_params`` that calls ``super()._validate_params()`` first and
raises :func:`invalid_parameter`.

Everything else lives here once: parameter validation (at ``fit``, and at
``transform`` because a featurizer needs no fit); turning lists, arrays,
Series and one-column DataFrames into a 1-D array of strings; cutting it into
batches; running the batches in joblib workers (each worker parses its own
strings: RDKit molecules do not pickle reliably, strings do); scattering the
results into one preallocated array; the ``errors`` policy; and the
``memory`` cache.
"""

import os
from abc import ABCMeta, abstractmethod

import numpy as np
import scipy.sparse
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import HasMethods, InvalidParameterError, StrOptions
from sklearn.utils.validation import check_memory as _sklearn_check_memory

from .._constraints import Count, PathLike

ERROR_MODES = ("raise", "nan")

# Parameters that change how, not what, is computed: left out of the cache key.
_PLUMBING_PARAMS = ("n_jobs", "batch_size", "errors", "verbose", "memory", "sparse_output")
# Rows featurized at once when the output is sparse: each chunk's dense block
# is made sparse before the next, so the dense array of all rows never exists.
_SPARSE_CHUNK_ROWS = 8192

# Part of the cache key. Bump it when a featurizer's output or its rules for
# invalid rows change, so that a cache written by an older release is not
# reused: 2 refuses the empty SMILES, lone connection points and overflowed
# or dropped formula amounts that 1 turned into rows of zeros or NaN.
_CACHE_EPOCH = 2

# Batches per worker when batch_size=None: enough to balance uneven molecules,
# few enough that joblib's per-task overhead stays negligible.
_BATCHES_PER_JOB = 4
_MIN_AUTO_BATCH = 256

# A worker returns a batch as (rows, cols, values) of its nonzero entries when
# at most this fraction is nonzero: a 2048-bit fingerprint is ~2% ones, so the
# parent receives ~20x fewer bytes than the dense block.
_SPARSE_TRANSFER_DENSITY = 0.25


class BaseFeaturizer(TransformerMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the featurizers: strings in, a float array out.

    Not for direct use. Subclasses list their own parameters plus the shared
    ones below in ``__init__``, and their constraints plus
    ``BaseFeaturizer._parameter_constraints`` in ``_parameter_constraints``.

    Parameters
    ----------
    n_jobs : int, default=None
        Number of joblib workers (``None`` means 1 unless inside a
        ``joblib.parallel_config`` context, ``-1`` all cores). Rows are sent to
        workers as strings in batches; the output does not depend on it.
    batch_size : int, default=None
        Rows per batch. ``None`` cuts the input into about 4 batches per
        worker (at least 256 rows each).
    errors : {"raise", "nan"}, default="raise"
        What an invalid row does. ``"raise"``: a ``ValueError`` naming the row
        position in ``X`` (and its index label, for a pandas input whose index
        is not ``0..n-1``), the offending value and why it is invalid.
        ``"nan"``: that row of the output is all NaN, so the output stays
        aligned with the input, also when every row is invalid. A value that
        is not a str (None, NaN, ``pandas.NA``, bytes, a number) is an invalid
        row.
    verbose : int, default=0
        joblib verbosity of the parallel batches.
    memory : str, path or joblib.Memory, default=None
        Cache of whole transforms on disk (``joblib.Memory``, as in
        ``Pipeline(memory=...)``), keyed on the input strings, the featurizer
        class and its parameters other than ``n_jobs``, ``batch_size``,
        ``errors``, ``verbose`` and ``memory``. A disk cache rather than an
        in-process one because the repeated transforms of the same source rows
        (once per fold and per trial) run in different joblib worker processes
        and sessions, which only a disk cache shares. ``None`` disables it.
    """

    _output_dtype = np.float64

    # The "?" of the HTML repr opens this class's page of the API reference.
    _doc_link_module = "sim2real_sklearn"
    _doc_link_template = ("https://sim2real-sklearn.github.io/sim2real-sklearn/api/generated/"
                          "{estimator_module}.{estimator_name}.html")

    _parameter_constraints = {
        # 0 workers has no meaning in joblib; -1 is all cores, -2 all but one...
        "n_jobs": [Count(None, -1, closed="right"), Count(1, None, closed="left"), None],
        "batch_size": [Count(1, None, closed="left"), None],
        "errors": [StrOptions(set(ERROR_MODES))],
        "verbose": ["verbose"],
        "memory": [None, str, PathLike(), HasMethods(["cache"])],
    }

    def __init__(self, *, n_jobs=None, batch_size=None, errors="raise", verbose=0, memory=None):
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.errors = errors
        self.verbose = verbose
        self.memory = memory

    # ----------------------------------------------------------------- API
    def fit(self, X, y=None):
        """Check parameters and input; learn nothing (the featurizer is stateless).

        Parameters
        ----------
        X : list, ndarray, pandas Series or one-column DataFrame of str
            The strings to featurize.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._validate_params()
        check_strings(X, estimator=self, reset=True)
        return self

    def transform(self, X):
        """Featurize each string into one row.

        Parameters
        ----------
        X : list, ndarray, pandas Series or one-column DataFrame of str
            The strings to featurize.

        Returns
        -------
        X_out : ndarray or CSR matrix of shape (n_samples, n_features_out)
            One row per input row, in input order (all NaN for an invalid row
            when ``errors="nan"``); a CSR matrix with ``sparse_output=True``.
        """
        out, failures = self._transform_with_failures(X)
        if failures and self.errors == "raise":
            strings = check_strings(X)
            raise ValueError(
                _failure_message(failures, strings, type(self).__name__, index_labels(X))
            )
        return out

    def get_feature_names_out(self, input_features=None):
        """Output column names.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Ignored: names depend only on the parameters.

        Returns
        -------
        names : ndarray of str objects
        """
        self._validate_params()
        return np.asarray(self._feature_names(), dtype=object)

    def __sklearn_is_fitted__(self):
        # Stateless: transform needs no fit (as FunctionTransformer).
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.string = True
        tags.input_tags.one_d_array = True
        tags.transformer_tags.preserves_dtype = []
        return tags

    # ------------------------------------------------------ for subclasses
    @abstractmethod
    def _feature_names(self):
        """List of output column names."""

    @abstractmethod
    def _featurize_batch(self, strings, out):
        """Fill ``out`` (n_strings, n_features) and return ``[(i, reason), ...]``."""

    # ------------------------------------------------------------ plumbing
    def _transform_with_failures(self, X):
        """Output array and sorted ``[(row, reason), ...]``; failed rows are NaN.

        Used by ``transform`` and by :class:`PairFeaturizer`, which applies its
        own ``errors`` policy to the components.
        """
        self._validate_params()
        strings = check_strings(X)
        if getattr(self, "sparse_output", False):
            return self._sparse_with_failures(strings)
        return self._dense_with_failures(strings)

    def _sparse_with_failures(self, strings):
        blocks, failures = [], []
        for start in range(0, len(strings), _SPARSE_CHUNK_ROWS):
            chunk = strings[start:start + _SPARSE_CHUNK_ROWS]
            out, chunk_failures = self._dense_with_failures(chunk)
            blocks.append(scipy.sparse.csr_matrix(out))  # a failed row keeps its NaN values
            failures.extend((start + i, reason) for i, reason in chunk_failures)
        if not blocks:
            return scipy.sparse.csr_matrix((0, len(self._feature_names())),
                                           dtype=self._output_dtype), []
        return scipy.sparse.vstack(blocks, format="csr"), failures

    def _dense_with_failures(self, strings):
        memory = check_memory(self.memory)
        if memory.location is None:
            out, failures = self._featurize(strings)
        else:
            cached = memory.cache(_featurize_cached, ignore=["featurizer"])
            key = (type(self).__module__, type(self).__qualname__, self._cache_params())
            out, failures = cached(key, strings, featurizer=self)
        if failures:
            out[[i for i, _ in failures]] = np.nan
        return out, failures

    def _cache_params(self):
        params = self.get_params(deep=False)
        key = sorted((k, repr(v)) for k, v in params.items() if k not in _PLUMBING_PARAMS)
        return key + [("cache_epoch", _CACHE_EPOCH)]

    def _featurize(self, strings):
        n_rows = len(strings)
        out = np.zeros((n_rows, len(self._feature_names())), dtype=self._output_dtype)
        not_str = [i for i, s in enumerate(strings) if not isinstance(s, str)]
        if not_str:
            return self._featurize_some(strings, out, not_str)
        n_jobs = effective_n_jobs(self.n_jobs)
        bounds = _batch_bounds(n_rows, n_jobs, self.batch_size)
        if n_jobs == 1 or len(bounds) == 1:
            failures = []
            for start, stop in bounds:
                batch_failures = self._featurize_batch(strings[start:stop], out[start:stop])
                failures.extend((start + i, reason) for i, reason in batch_failures)
            return out, failures
        return out, self._featurize_parallel(strings, out, bounds, n_jobs)

    def _featurize_some(self, strings, out, not_str):
        # Rare path: featurize the string rows only, mark the others as failed.
        keep = np.ones(len(strings), dtype=bool)
        keep[not_str] = False
        kept_rows = np.flatnonzero(keep)
        if len(kept_rows):
            sub_out, sub_failures = self._featurize(strings[keep])
            out[kept_rows] = sub_out
        else:
            sub_failures = []
        failures = [(int(kept_rows[i]), reason) for i, reason in sub_failures]
        failures += [(i, not_a_string_reason(strings[i])) for i in not_str]
        return out, sorted(failures)

    def _featurize_parallel(self, strings, out, bounds, n_jobs):
        parallel = Parallel(n_jobs=n_jobs, verbose=self.verbose, return_as="generator_unordered")
        results = parallel(
            delayed(_featurize_in_worker)(self, strings[start:stop], start)
            for start, stop in bounds
        )
        failures = []
        for start, block, batch_failures in results:
            _scatter(out, start, block)
            failures.extend((start + i, reason) for i, reason in batch_failures)
        return sorted(failures)


# ------------------------------------------------------------------ helpers
def check_strings(X, estimator=None, reset=False):
    """Return ``X`` as a 1-D object array of its rows (strings, normally).

    Accepts a list, a 1-D array, an ``(n, 1)`` array, a pandas Series or a
    one-column DataFrame. With ``reset=True`` it records ``n_features_in_``
    (and ``feature_names_in_`` for a DataFrame) on ``estimator``, as
    scikit-learn's ``validate_data`` does.
    """
    table = as_object_table(X, "strings")
    if table.shape[1] != 1:
        if hasattr(X, "columns"):
            raise ValueError(
                f"Expected a single column of strings, got a DataFrame with {table.shape[1]} "
                f"columns {list(X.columns)}; select one column (or use a ColumnTransformer)."
            )
        raise ValueError(
            f"Expected a 1-D sequence of strings or a single column, got shape {table.shape}."
        )
    if reset and estimator is not None:
        record_input_features(estimator, X, 1)
    return table[:, 0]


def as_object_table(X, what):
    """``X`` as a 2-D object array, one row per sample (1-D input is one column).

    The input handling of every featurizer, :class:`PairFeaturizer` included:
    a bare str is refused (it would be read as a sequence of characters), and
    so is an empty input. ``what`` names the expected items in the errors.
    """
    if isinstance(X, str):
        raise TypeError(
            f"Expected a sequence of {what}, got the single string {X!r}; wrap it in a list."
        )
    table = X.to_numpy(dtype=object) if hasattr(X, "to_numpy") else np.asarray(X, dtype=object)
    if table.ndim == 1:
        table = table[:, None]
    if table.ndim != 2:
        raise ValueError(f"Expected 1-D or 2-D input of {what}, got shape {table.shape}.")
    if len(table) == 0:
        raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
    return table


def record_input_features(estimator, X, n_features):
    """Set ``n_features_in_``, and ``feature_names_in_`` when ``X`` is a
    DataFrame with str column names (else remove it), as ``validate_data``
    does with ``reset=True``."""
    estimator.n_features_in_ = n_features
    columns = getattr(X, "columns", None)
    if columns is not None and all(isinstance(c, str) for c in columns):
        estimator.feature_names_in_ = np.asarray(columns, dtype=object)
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_


def check_memory(memory):
    """``sklearn.utils.validation.check_memory`` that also takes a ``pathlib.Path``."""
    if isinstance(memory, os.PathLike):
        memory = os.fspath(memory)
    return _sklearn_check_memory(memory)


def index_labels(X):
    """The pandas index of ``X`` when it is not the default ``0..n-1``, else None.

    Errors name the position of a bad row (the row of the output); a Series
    or DataFrame cut out of a larger table also gets the label its user sees.
    """
    index = getattr(X, "index", None)
    if index is None or not hasattr(X, "to_numpy"):
        return None
    # Runs only when a row has failed, so the comparison costs nothing otherwise.
    if np.array_equal(np.asarray(index, dtype=object), np.arange(len(index))):
        return None
    return index


def not_a_string_reason(value):
    """Why a row that is not a str cannot be featurized, in words a user can act on."""
    if value is None or _is_missing(value):
        return f"missing value (expected a str, got {type(value).__name__})"
    if isinstance(value, (bytes, bytearray)):
        return "expected a str, got bytes; decode them first, e.g. value.decode('utf-8')"
    return f"expected a str, got {type(value).__name__}"


def _is_missing(value):
    # NaN (float or NumPy), pandas.NA and NaT, without importing pandas here.
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return type(value).__name__ in ("NAType", "NaTType")


def _failure_message(failures, strings, name, labels=None, suggest_nan=True):
    """The error of invalid rows: the first one by position (and pandas
    index label, from :func:`index_labels`), its value and reason, and the
    positions of a few others."""
    row, reason = failures[0]
    label = ""
    if labels is not None:
        value = labels[row]
        if isinstance(value, np.generic):  # np.int64(9) -> 9, as the user wrote it
            value = value.item()
        label = f", index label {value!r}"
    message = f"{name} could not featurize row {row} of X ({strings[row]!r}{label}): {reason}."
    if len(failures) > 1:
        others = ", ".join(str(i) for i, _ in failures[1:6])
        more = " ..." if len(failures) > 6 else ""
        message += f" {len(failures) - 1} more invalid row(s): {others}{more}."
    return message + (' Pass errors="nan" to get NaN rows instead.' if suggest_nan else "")


def invalid_parameter(caller, name, must_be, value, detail=""):
    """The error of a rule that scikit-learn's constraint objects cannot say.

    Worded as scikit-learn's own (``InvalidParameterError``, a ``ValueError``
    and a ``TypeError``), so every bad parameter reads the same way, whichever
    check caught it.
    """
    return InvalidParameterError(
        f"The {name!r} parameter of {caller} must be {must_be}. Got {value!r} instead.{detail}"
    )


def check_names(estimator, name, what, allowed=None, min_length=1):
    """The list parameter ``name`` of ``estimator`` as a list of distinct names.

    Each name must be a non-empty str and, when ``allowed`` is given, one of
    ``allowed`` (``what`` describes them in the error). Run after
    ``_validate_params``, which has checked that the value is array-like.
    """
    value = getattr(estimator, name)
    names = list(value)
    unknown = [n for n in names
               if not isinstance(n, str) or (allowed is not None and n not in allowed)]
    if unknown or not all(names) or len(names) < min_length or len(set(names)) != len(names):
        amount = "one or more" if min_length == 1 else f"at least {min_length}"
        must_be = f"a list of {amount} distinct {what}"
        detail = f" Unknown: {unknown}." if unknown else ""
        raise invalid_parameter(type(estimator).__name__, name, must_be, value, detail)
    return names


def _batch_bounds(n_rows, n_jobs, batch_size):
    if batch_size is None:
        batch_size = max(_MIN_AUTO_BATCH, -(-n_rows // (n_jobs * _BATCHES_PER_JOB)))
    return [(start, min(start + batch_size, n_rows)) for start in range(0, n_rows, batch_size)]


def _featurize_in_worker(featurizer, strings, start):
    out = np.zeros((len(strings), len(featurizer._feature_names())), dtype=featurizer._output_dtype)
    failures = featurizer._featurize_batch(strings, out)
    return start, _compact(out), failures


def _compact(block):
    nonzero = np.count_nonzero(block)
    if nonzero > _SPARSE_TRANSFER_DENSITY * block.size:
        return block
    rows, cols = np.nonzero(block)
    index_dtype = np.int32 if max(block.shape) < 2**31 else np.int64
    return (rows.astype(index_dtype), cols.astype(index_dtype), block[rows, cols], block.shape)


def _scatter(out, start, block):
    if isinstance(block, np.ndarray):
        out[start : start + len(block)] = block
    else:
        rows, cols, values, _ = block
        out[start + rows, cols] = values


def _featurize_cached(key, strings, featurizer):
    # ``key`` (class and non-plumbing parameters) and ``strings`` are what
    # joblib.Memory hashes; ``featurizer`` is ignored by the hash.
    return featurizer._featurize(strings)
