"""How source (simulation) data travel through scikit-learn.

``X, y`` are always the target (experimental) data, so every splitter, scorer
and search in scikit-learn splits and scores experimental rows only. The
source reaches the regressor as the fit parameters ``X_source`` and
``y_source``.

One trap: scikit-learn's cross-validation tools slice *any* fit parameter
whose length equals ``len(X)`` to the training fold (scikit-learn issue
#15805). A source that happens to have as many rows as the target would be
cut silently. Pass the source as a 1-tuple to keep it whole::

    cross_validate(model, X, y, params={"X_source": (X_sim,), "y_source": (y_sim,)})

A 1-tuple has length 1, so it is never sliced, and ``Pipeline(transform_input=...)``
transforms the elements of a tuple one by one. Every estimator of this package
unwraps it; a bare source of the target's length triggers
:class:`SourceLengthWarning`.
"""

import warnings

from .exceptions import SourceLengthWarning


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
    if len(X_source) == len(X):
        warnings.warn(
            f"X_source has as many rows as X ({len(X)}). scikit-learn's "
            "cross-validation tools slice any fit parameter of that length to the "
            "training fold (scikit-learn#15805), so the source may have been cut. "
            "Pass X_source=(X_source,), y_source=(y_source,) to keep it whole.",
            SourceLengthWarning,
            stacklevel=3,
        )
