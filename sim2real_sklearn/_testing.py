"""A fast transfer model for the package's tests and benchmarks (as ``sklearn.utils._testing``).

Not public API: the scaling machinery (trials, seeds, checkpoints, parallel
jobs) is tested and timed with a model that fits in microseconds and needs
no torch.
"""

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge

from ._validation import unwrap_source


class RidgeTransfer(RegressorMixin, BaseEstimator):
    """Ridge on the source rows, then Ridge on the target's residuals; no source: plain Ridge.

    Takes the source as ``X_source``/``y_source`` (1-tuples or arrays), like
    :class:`~sim2real_sklearn.Sim2RealRegressor`.

    Parameters
    ----------
    alpha : float, default=1.0
        Ridge penalty of both models.
    random_state : int or None, default=None
        Unused; there so that a scaling study can seed it like any model.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(30, 3))
    >>> model = RidgeTransfer().fit(X, X.sum(axis=1), X_source=(X,), y_source=(X[:, 0],))
    >>> model.predict(X[:2]).shape
    (2,)
    """

    __metadata_request__fit = {"X_source": True, "y_source": True}

    def __init__(self, alpha=1.0, random_state=None):
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, X, y, X_source=None, y_source=None):
        X_source = unwrap_source(X_source, "X_source")
        y_source = unwrap_source(y_source, "y_source")
        self.source_ = None if X_source is None else Ridge(alpha=self.alpha).fit(X_source, y_source)
        self.target_ = Ridge(alpha=self.alpha).fit(X, np.asarray(y) - self._prior(X))
        return self

    def _prior(self, X):
        return 0.0 if self.source_ is None else self.source_.predict(X)

    def predict(self, X):
        return self._prior(X) + self.target_.predict(X)
