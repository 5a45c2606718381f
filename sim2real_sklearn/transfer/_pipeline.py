"""Pipelines that carry the source through their featurizer steps."""

import sklearn
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted

from .._validation import unwrap_source


def make_sim2real_pipeline(*steps, memory=None, verbose=False):
    """Build a ``Pipeline`` whose transformer steps also transform ``X_source``.

    The same fitted featurizers and scalers turn the simulation rows into the
    representation of the experimental rows before they reach the regressor
    (scikit-learn's ``transform_input``, which needs metadata routing).

    Parameters
    ----------
    *steps : estimators
        Transformers, then a regressor that accepts ``X_source``/``y_source``.
    memory, verbose
        As in :func:`sklearn.pipeline.make_pipeline`.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline

    Raises
    ------
    RuntimeError
        When metadata routing is off: without it the pipeline cannot route
        ``X_source``. Turn it on with
        ``sklearn.set_config(enable_metadata_routing=True)``.

    Examples
    --------
    >>> import numpy as np, sklearn
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sim2real_sklearn import FitOnSource, Sim2RealRegressor
    >>> sklearn.set_config(enable_metadata_routing=True)
    >>> rng = np.random.default_rng(0)
    >>> X_sim, X_exp = rng.normal(size=(200, 3)), rng.normal(size=(20, 3))
    >>> pipe = make_sim2real_pipeline(
    ...     FitOnSource(StandardScaler()),
    ...     Sim2RealRegressor((8,), pretrain_epochs=2, finetune_epochs=2, random_state=0))
    >>> pipe.fit(X_exp, X_exp[:, 0], X_source=X_sim, y_source=X_sim[:, 0]).predict(X_exp).shape
    (20,)
    >>> sklearn.set_config(enable_metadata_routing=False)
    """
    if not sklearn.get_config()["enable_metadata_routing"]:
        raise RuntimeError(
            "make_sim2real_pipeline routes X_source through the pipeline, which needs "
            "scikit-learn's metadata routing: call "
            "sklearn.set_config(enable_metadata_routing=True) first."
        )
    return make_pipeline(*steps, memory=memory, verbose=verbose, transform_input=["X_source"])


class FitOnSource(TransformerMixin, BaseEstimator):
    """Fit a transformer on the source rows, then apply it to everything.

    A scaler in front of the regressor should learn its statistics from the
    large simulation set, not from the handful of experimental rows in one
    cross-validation fold: every fold then sees the same source representation,
    and pretraining caches stay valid across folds. Without a source it fits
    on ``X``, like the wrapped transformer alone.

    Parameters
    ----------
    transformer : transformer
        E.g. ``StandardScaler()``; cloned at fit.

    Attributes
    ----------
    transformer_ : transformer
        The fitted clone.
    fitted_on_source_ : bool

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> X_sim = np.array([[0.0], [2.0], [4.0]])
    >>> scaler = FitOnSource(StandardScaler()).fit(np.array([[10.0], [11.0]]), X_source=X_sim)
    >>> scaler.transform([[2.0]])
    array([[0.]])
    """

    __metadata_request__fit = {"X_source": True}

    # The "?" of the HTML repr opens this class's page of the API reference.
    _doc_link_module = "sim2real_sklearn"
    _doc_link_template = ("https://sim2real-sklearn.github.io/sim2real-sklearn/api/generated/"
                          "{estimator_module}.{estimator_name}.html")

    _parameter_constraints = {"transformer": [HasMethods(["fit", "transform"])]}

    def __init__(self, transformer):
        self.transformer = transformer

    def fit(self, X, y=None, *, X_source=None):
        self._validate_params()
        X_source = unwrap_source(X_source, "X_source")
        self.fitted_on_source_ = X_source is not None
        self.transformer_ = clone(self.transformer).fit(X if X_source is None else X_source)
        self.n_features_in_ = getattr(self.transformer_, "n_features_in_", None)
        if hasattr(self.transformer_, "feature_names_in_"):
            self.feature_names_in_ = self.transformer_.feature_names_in_
        return self

    def transform(self, X):
        check_is_fitted(self, "transformer_")
        return self.transformer_.transform(X)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "transformer_")
        return self.transformer_.get_feature_names_out(input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # NaN handling is the wrapped transformer's (StandardScaler lets NaN through).
        tags.input_tags.allow_nan = get_tags(self.transformer).input_tags.allow_nan
        return tags
