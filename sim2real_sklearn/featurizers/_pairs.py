"""Multi-component inputs: a polymer-solvent pair featurized component by component."""

import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted

from ._base import (
    BaseFeaturizer,
    _failure_message,
    as_object_table,
    check_names,
    index_labels,
    invalid_parameter,
    not_a_string_reason,
    record_input_features,
)

__all__ = ["PairFeaturizer"]


class PairFeaturizer(TransformerMixin, BaseEstimator):
    """Features of each component of a pair (or n-tuple), side by side.

    A polymer-solvent pair comes either as one string ``"A_B"`` per row (the
    ``ps_pair`` columns of the chi data) or as two columns. Each component is
    featurized by its own clone of ``featurizer`` and the blocks are joined,
    with names prefixed ``"polymer__"``, ``"solvent__"``.

    Parameters
    ----------
    featurizer : transformer or sequence of transformers
        One transformer for every component (cloned per component), or one
        per component, e.g. ``(MorganFingerprint(connection_points="cyclic"),
        RDKitDescriptors())``.
    sep : str, default="_"
        Separator of the components in single-string input. ``"_"`` does not
        occur in SMILES.
    prefixes : sequence of str, default=("polymer", "solvent")
        Name of each component; also fixes their number.
    errors : {"raise", "nan"}, default="raise"
        What a row with an invalid component (or the wrong number of
        components) does: ``ValueError`` naming the row, the component and the
        string, or an all-NaN row. It overrides the components' own
        ``errors``. When every row is invalid, the package's featurizers still
        give NaN rows; another transformer that cannot be fitted on zero rows
        or does not tell its output width (``get_feature_names_out``) raises.

    Attributes
    ----------
    featurizers_ : list of transformers
        The fitted featurizer of each component.
    n_features_in_ : int
        1 for single-string input, ``len(prefixes)`` for one column per component.
    feature_names_in_ : ndarray of str
        Input column names, after ``fit`` on a DataFrame.

    Examples
    --------
    A numeric column such as temperature joins the pair features in a
    ``ColumnTransformer``:

    >>> import pandas as pd
    >>> from sklearn.compose import ColumnTransformer
    >>> from sim2real_sklearn.featurizers import MorganFingerprint, PairFeaturizer
    >>> data = pd.DataFrame({"ps_pair": ["*CC(*)c1ccccc1_Cc1ccccc1", "*CC*_ClC(Cl)Cl"],
    ...                      "temp": [25.0, 60.0]})
    >>> pair = PairFeaturizer(MorganFingerprint(fp_size=16, count=True))
    >>> features = ColumnTransformer([("pair", pair, "ps_pair"),
    ...                               ("temp", "passthrough", ["temp"])])
    >>> X = features.set_output(transform="pandas").fit_transform(data)
    >>> X.shape
    (2, 33)
    >>> list(X.columns[[0, 16, 32]])
    ['pair__polymer__morgan_0', 'pair__solvent__morgan_0', 'temp__temp']
    """

    _parameter_constraints = {
        "featurizer": [HasMethods(["fit", "transform"]), list, tuple],
        "sep": [str],
        "prefixes": ["array-like"],
        "errors": BaseFeaturizer._parameter_constraints["errors"],
    }

    def __init__(self, featurizer, sep="_", prefixes=("polymer", "solvent"), errors="raise"):
        self.featurizer = featurizer
        self.sep = sep
        self.prefixes = prefixes
        self.errors = errors

    def fit(self, X, y=None):
        """Clone and fit one featurizer per component.

        Parameters
        ----------
        X : sequence of "A_B" strings, or 2-D (array, list of pairs, DataFrame)
            with one column per component.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._validate_params()
        columns, failures = self._split(X, reset=True)
        valid = _valid_rows(len(columns[0]), failures)
        self.featurizers_ = []
        for featurizer, column in zip(self._component_featurizers(), columns):
            featurizer = clone(featurizer)
            if isinstance(featurizer, BaseFeaturizer):
                # Stateless (fit only checks the input's shape): fitted on every
                # row, so that a fit on rows that are all invalid still gives
                # NaN rows (errors="nan") or the row's error (errors="raise").
                featurizer.fit(column)
            elif valid.any():
                featurizer.fit(column[valid])
            else:
                problem = "cannot be fitted on zero rows"
                raise ValueError(self._no_valid_row_message(X, failures, featurizer, problem))
            self.featurizers_.append(featurizer)
        return self

    def transform(self, X):
        """Featurize every component and join the blocks.

        Parameters
        ----------
        X : sequence of "A_B" strings, or 2-D with one column per component

        Returns
        -------
        X_out : ndarray or CSR matrix of shape (n_samples, sum of the components' features)
            A CSR matrix when a component featurizer returns one (``sparse_output=True``).
        """
        check_is_fitted(self)
        self._validate_params()
        columns, failures = self._split(X, reset=False)
        n_rows = len(columns[0])
        valid = _valid_rows(n_rows, failures)
        blocks = []
        for prefix, featurizer, column in zip(self.prefixes, self.featurizers_, columns):
            if not valid.any() and not _knows_its_width(featurizer):
                problem = "does not tell its number of output columns (get_feature_names_out)"
                raise ValueError(self._no_valid_row_message(X, failures, featurizer, problem))
            block, component_failures = _transform_component(featurizer, column[valid])
            rows = np.flatnonzero(valid)
            failures += [
                (int(rows[i]), f"{prefix} {column[rows[i]]!r}: {reason}")
                for i, reason in component_failures
            ]
            blocks.append(block)
        failures = sorted(failures)
        if failures and self.errors == "raise":
            raise ValueError(
                _failure_message(failures, self._row_values(X), type(self).__name__,
                                 index_labels(X))
            )
        nan_rows = sorted({i for i, _ in failures} | set(np.flatnonzero(~valid).tolist()))
        if any(scipy.sparse.issparse(b) for b in blocks):  # a component's sparse_output=True
            return _sparse_rows(scipy.sparse.hstack(blocks, format="csr"), valid, nan_rows)
        out = np.full((n_rows, sum(b.shape[1] for b in blocks)), np.nan,
                      dtype=np.result_type(*blocks))
        out[valid] = np.hstack(blocks)
        out[nan_rows] = np.nan
        return out

    def get_feature_names_out(self, input_features=None):
        """Component feature names, each prefixed with its component's name.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Ignored.

        Returns
        -------
        names : ndarray of str objects
        """
        check_is_fitted(self)
        names = [
            f"{prefix}__{name}"
            for prefix, featurizer in zip(self.prefixes, self.featurizers_)
            for name in featurizer.get_feature_names_out()
        ]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.one_d_array = True
        tags.transformer_tags.preserves_dtype = []
        return tags

    # ------------------------------------------------------------ helpers
    def _validate_params(self):
        super()._validate_params()
        # Rules the constraint objects cannot say: a non-empty separator, names
        # for at least two components, and one transformer per component.
        if not self.sep:
            raise invalid_parameter("PairFeaturizer", "sep", "a non-empty str", self.sep)
        prefixes = check_names(self, "prefixes", "non-empty str", min_length=2)
        featurizers = self._component_featurizers()
        if len(featurizers) != len(prefixes) or not all(
            hasattr(f, "fit") and hasattr(f, "transform") for f in featurizers
        ):
            must_be = (
                "a transformer or a list of one transformer per component "
                f"({len(prefixes)}: {prefixes})"
            )
            raise invalid_parameter("PairFeaturizer", "featurizer", must_be, self.featurizer)

    def _component_featurizers(self):
        """The (unfitted) featurizer of each component, before cloning."""
        if isinstance(self.featurizer, (list, tuple)):
            return list(self.featurizer)
        return [self.featurizer] * len(self.prefixes)

    def _split(self, X, reset):
        """One 1-D object array per component, and rows that do not split."""
        n_parts = len(self.prefixes)
        table = as_object_table(X, "pairs")
        if reset:
            record_input_features(self, X, table.shape[1])
        elif table.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {table.shape[1]} column(s), but PairFeaturizer was fitted on "
                f"{self.n_features_in_}."
            )
        if table.shape[1] == n_parts:
            return [table[:, j] for j in range(n_parts)], []
        if table.shape[1] != 1:
            raise ValueError(
                f"Expected one column of {self.sep!r}-joined strings or {n_parts} columns "
                f"({list(self.prefixes)}), got {table.shape[1]} columns."
            )
        return self._split_strings(table[:, 0], n_parts)

    def _split_strings(self, strings, n_parts):
        columns = np.full((n_parts, len(strings)), "", dtype=object)
        failures = []
        for i, value in enumerate(strings):
            if not isinstance(value, str):
                failures.append((i, not_a_string_reason(value)))
                continue
            parts = value.split(self.sep)
            if len(parts) != n_parts:
                failures.append(
                    (i, f"expected {n_parts} components joined by {self.sep!r}, "
                        f"found {len(parts)} part(s)")
                )
                continue
            columns[:, i] = parts
        return list(columns), failures

    def _row_values(self, X):
        """Each row as the user gave it: the string, or the list of its columns."""
        table = as_object_table(X, "pairs")
        if table.shape[1] == 1:
            return table[:, 0]
        rows = np.empty(len(table), dtype=object)
        rows[:] = [list(row) for row in table]
        return rows

    def _no_valid_row_message(self, X, failures, featurizer, problem):
        # Raised whatever ``errors``: a transformer that is not one of ours may
        # need rows to be fitted, and NaN rows need the width of its output.
        first = _failure_message(sorted(failures), self._row_values(X), type(self).__name__,
                                 index_labels(X), suggest_nan=False)
        return f"Every row of X is invalid and {type(featurizer).__name__} {problem}. {first}"


def _valid_rows(n_rows, failures):
    valid = np.ones(n_rows, dtype=bool)
    valid[[i for i, _ in failures]] = False
    return valid


def _knows_its_width(featurizer):
    try:
        featurizer.get_feature_names_out()
    except Exception:  # noqa: BLE001 - not implemented, not fitted, or needs input names
        return False
    return True


def _sparse_rows(block, valid, nan_rows):
    """The rows of ``block`` (one per valid row) placed among all rows, NaN rows elsewhere."""
    n_valid = int(valid.sum())
    placement = scipy.sparse.csr_matrix(
        (np.ones(n_valid, dtype=block.dtype), (np.flatnonzero(valid), np.arange(n_valid))),
        shape=(len(valid), n_valid))
    out = (placement @ block).tocsr()
    if nan_rows:
        out = out.tolil()
        out[nan_rows, :] = np.nan
        out = out.tocsr()
    return out


def _transform_component(featurizer, column):
    # Our featurizers report failed rows instead of raising, so that the pair
    # applies one errors policy and names the component; others just transform.
    if not len(column):
        n_out = len(featurizer.get_feature_names_out())
        return np.empty((0, n_out)), []
    if isinstance(featurizer, BaseFeaturizer):
        return featurizer._transform_with_failures(column)
    return np.asarray(featurizer.transform(column)), []
