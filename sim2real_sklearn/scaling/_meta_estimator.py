"""ScalingCurve: a regressor fitted together with its scaling curve and power law.

The meta-estimator form of :func:`~sim2real_sklearn.scaling.scaling_curve`
(same options, declared once in ``_curve._STUDY_CONSTRAINTS``), for users who
want the study inside ``fit`` and a refitted model for ``predict``.
"""

import warnings
from numbers import Real

import numpy as np
from sklearn import config_context
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from .._validation import unwrap_source
from ._curve import _STUDY_CONSTRAINTS, DEFAULT_SOURCE_SIZES, scaling_curve

__all__ = ["ScalingCurve"]


class ScalingCurve(MetaEstimatorMixin, RegressorMixin, BaseEstimator):
    """Fit a regressor with its scaling curve and power law, as one estimator.

    ``fit(X, y, X_source=..., y_source=...)`` runs :func:`scaling_curve`
    (every option below means what it means there), fits the power law to
    the curve, then refits ``estimator`` on all the experimental data with
    all the source; ``predict`` uses that refitted model. ``X, y`` are the
    experimental data, like everywhere in scikit-learn.

    Parameters
    ----------
    estimator : estimator object
        Regressor taking ``X_source`` and ``y_source`` in ``fit``.
    source_sizes, n_trials, test_size, cv, target_sizes, scoring, \
error_score, return_times, n_jobs, pre_dispatch, verbose, random_state, \
checkpoint_dir, batch_trials
        See :func:`scaling_curve`.
    confidence : float, default=0.9
        Confidence level of the power law's bootstrap intervals.

    Attributes
    ----------
    curve_ : ScalingCurveResult
        The scaling curve.
    power_law_ : PowerLaw or None
        The fitted law; None (with a warning) if it cannot be fitted (fewer
        than 2 source sizes, failed fits, power_law module unavailable).
    estimator_ : estimator object
        ``estimator`` refitted on all experimental rows and all source rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sim2real_sklearn import ScalingCurve, Sim2RealRegressor
    >>> rng = np.random.default_rng(0)
    >>> X_sim = rng.normal(size=(400, 5)); y_sim = X_sim @ np.arange(5.0)
    >>> X_exp = rng.normal(size=(30, 5)); y_exp = X_exp @ np.arange(5.0) + 1
    >>> regressor = Sim2RealRegressor((16,), pretrain_epochs=20, finetune_epochs=20)
    >>> model = ScalingCurve(regressor, source_sizes=[10, 30, 100, 400],
    ...                      n_trials=4, random_state=0)
    >>> model = model.fit(X_exp, y_exp, X_source=X_sim, y_source=y_sim)
    >>> model.curve_.scores.shape
    (4, 4)
    >>> model.predict(X_exp[:2]).shape
    (2,)
    """

    __metadata_request__fit = {
        "X_source": True, "y_source": True, "source_groups": True,
        "target_groups": True, "score_groups": True,
    }

    # The "?" of the HTML repr opens this class's page of the API reference.
    _doc_link_module = "sim2real_sklearn"
    _doc_link_template = ("https://sim2real-sklearn.github.io/sim2real-sklearn/api/generated/"
                          "{estimator_module}.{estimator_name}.html")

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"])],
        **_STUDY_CONSTRAINTS,
        "confidence": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self,
        estimator,
        *,
        source_sizes=DEFAULT_SOURCE_SIZES,
        n_trials=None,
        test_size=0.2,
        cv=None,
        target_sizes=None,
        scoring=None,
        error_score=np.nan,
        return_times=False,
        n_jobs=None,
        pre_dispatch="2*n_jobs",
        verbose=0,
        random_state=None,
        checkpoint_dir=None,
        batch_trials=True,
        confidence=0.9,
    ):
        self.estimator = estimator
        self.source_sizes = source_sizes
        self.n_trials = n_trials
        self.test_size = test_size
        self.cv = cv
        self.target_sizes = target_sizes
        self.scoring = scoring
        self.error_score = error_score
        self.return_times = return_times
        self.n_jobs = n_jobs
        self.pre_dispatch = pre_dispatch
        self.verbose = verbose
        self.random_state = random_state
        self.checkpoint_dir = checkpoint_dir
        self.batch_trials = batch_trials
        self.confidence = confidence

    def fit(self, X, y, X_source=None, y_source=None, *, source_groups=None,
            target_groups=None, score_groups=None):
        """Run the scaling curve, fit the power law, refit on all the data.

        Parameters
        ----------
        X : array-like, list of str or DataFrame of shape (n_target, ...)
            Experimental inputs.
        y : array-like of shape (n_target,)
            Experimental targets.
        X_source : array-like or 1-tuple of array-like of shape (n_source, ...)
            Simulation inputs (required).
        y_source : array-like or 1-tuple of array-like of shape (n_source,)
            Simulation targets (required).
        source_groups, target_groups, score_groups : array-like, default=None
            See :func:`scaling_curve`; ``source_groups`` may be a 1-tuple.

        Returns
        -------
        self : ScalingCurve
        """
        self._validate_params()
        X_source = unwrap_source(X_source, "X_source")
        y_source = unwrap_source(y_source, "y_source")
        if X_source is None or y_source is None:
            raise ValueError(
                "ScalingCurve.fit needs the simulation data: pass X_source and "
                "y_source (the curve is the error against their size)."
            )
        self.curve_ = scaling_curve(
            self.estimator, X_source, y_source, X, y,
            source_sizes=self.source_sizes, n_trials=self.n_trials,
            test_size=self.test_size, cv=self.cv, target_sizes=self.target_sizes,
            source_groups=unwrap_source(source_groups, "source_groups"),
            target_groups=target_groups, score_groups=score_groups,
            scoring=self.scoring, error_score=self.error_score,
            return_times=self.return_times, n_jobs=self.n_jobs,
            pre_dispatch=self.pre_dispatch, verbose=self.verbose,
            random_state=self.random_state, checkpoint_dir=self.checkpoint_dir,
            batch_trials=self.batch_trials,
        )
        self.power_law_ = self._fit_power_law()
        self.estimator_ = clone(self.estimator)
        with config_context(enable_metadata_routing=True):
            self.estimator_.fit(X, y, X_source=(X_source,), y_source=(y_source,))
        return self

    def _fit_power_law(self):
        if np.count_nonzero(self.curve_.source_sizes > 0) < 2:
            warnings.warn("power_law_ is None: a power law needs at least 2 source "
                          "sizes.", UserWarning, stacklevel=3)
            return None
        try:
            return self.curve_.fit_power_law(confidence=self.confidence)
        except Exception as exc:  # any reason the law cannot be fitted
            warnings.warn(f"power_law_ is None: the power law could not be fitted "
                          f"({type(exc).__name__}: {exc}).", UserWarning, stacklevel=3)
            return None

    def predict(self, X):
        """Predict with ``estimator_``, the model refitted on all the data.

        Parameters
        ----------
        X : array-like, list of str or DataFrame of shape (n_samples, ...)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.estimator_.predict(X)
