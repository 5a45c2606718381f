"""The warnings and errors of sim2real_sklearn, in one place (as ``sklearn.exceptions``).

Import them from here or from the package::

    from sim2real_sklearn.exceptions import PowerLawWarning
"""

from sklearn.exceptions import InconsistentVersionWarning

__all__ = [
    "ModelVersionWarning",
    "NegativeTransferWarning",
    "PowerLawWarning",
    "SourceLengthWarning",
    "TrainingDivergedError",
]


class SourceLengthWarning(UserWarning):
    """The source has as many rows as the target: it may have been cut by cross-validation.

    scikit-learn's cross-validation tools slice any fit parameter whose length
    equals ``len(X)`` (scikit-learn#15805). Pass ``X_source=(X_sim,)``,
    ``y_source=(y_sim,)`` (1-tuples) to keep the source whole; the warning
    is then not raised.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sim2real_sklearn import Sim2RealRegressor
    >>> X = np.random.default_rng(0).normal(size=(10, 2))
    >>> model = Sim2RealRegressor((4,), pretrain_epochs=1, finetune_epochs=1)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = model.fit(X, X[:, 0], X_source=X, y_source=X[:, 1])
    >>> [w.category.__name__ for w in caught]
    ['SourceLengthWarning']
    >>> _ = model.fit(X, X[:, 0], X_source=(X,), y_source=(X[:, 1],))  # no warning
    """


class TrainingDivergedError(FloatingPointError):
    """A training phase produced a non-finite (NaN or infinite) loss.

    Raised at the end of the first epoch whose loss is not finite, instead of
    returning a network whose weights are NaN. The message names the phase
    (pretraining, fine-tuning, ...), the epoch and the learning rate to lower.
    A :func:`~sim2real_sklearn.scaling_curve` cell whose fit
    raises it is scored ``error_score``.

    Attributes
    ----------
    phase : str
    epoch : int
        1-based epoch whose loss was not finite.
    loss : float

    Examples
    --------
    >>> import numpy as np
    >>> from sim2real_sklearn import Sim2RealRegressor
    >>> X = np.random.default_rng(0).normal(size=(20, 3)) * 1e20  # unscaled inputs
    >>> try:
    ...     Sim2RealRegressor((8,), finetune_epochs=3, random_state=0).fit(X, X[:, 0] / 1e20)
    ... except TrainingDivergedError as exc:
    ...     print(exc.phase, exc.epoch)
    direct learning (no source) 1
    """

    def __init__(self, message, *, phase=None, epoch=None, loss=None):
        super().__init__(message)
        self.phase, self.epoch, self.loss = phase, epoch, loss


class PowerLawWarning(UserWarning):
    """Warning about a power-law fit that the data cannot support well.

    Raised when the sizes span too little (fewer than 4 sizes or less than one
    decade) to tell the transfer gap ``C`` from the scaling strength
    ``alpha``, when ``C`` sits on a bound in many bootstrap refits, or when
    there are no trials to resample.

    Examples
    --------
    >>> import warnings
    >>> from sim2real_sklearn import PowerLaw, PowerLawWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = PowerLaw(n_bootstrap=0).fit([100, 200, 400], [0.5, 0.45, 0.41])
    >>> any(issubclass(w.category, PowerLawWarning) for w in caught)
    True
    """


class ModelVersionWarning(InconsistentVersionWarning):
    """A model saved by a newer sim2real_sklearn is loaded by this older one.

    A subclass of scikit-learn's ``InconsistentVersionWarning``, so filters
    written for scikit-learn's version warnings catch it too. The model may
    use settings this version does not know: check its predictions, or
    upgrade with ``pip install -U sim2real-sklearn``.

    Attributes
    ----------
    saved_version, current_version : str

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn(ModelVersionWarning(saved_version="9.0", current_version="0.1.0"))
    >>> print(caught[0].message)
    This model was saved by sim2real_sklearn 9.0 and is loaded by 0.1.0, an older version: ...
    """

    def __init__(self, *, saved_version, current_version):
        super().__init__(estimator_name="the saved model", current_sklearn_version=current_version,
                         original_sklearn_version=saved_version)
        self.saved_version, self.current_version = saved_version, current_version

    def __str__(self):
        return (
            f"This model was saved by sim2real_sklearn {self.saved_version} and is loaded by "
            f"{self.current_version}, an older version: it may rely on behaviour this version "
            "lacks. Check its predictions, or upgrade: pip install -U sim2real-sklearn."
        )


class NegativeTransferWarning(UserWarning):
    """The simulations did not help: learning from the experiments alone validated best.

    Raised by ``Sim2RealRegressor(strategy="auto")`` when its inner
    validation chooses direct learning; the message names every candidate's
    validation error. The fitted model then ignores the source (its
    ``strategy_`` is ``"none"``), so a wrong default costs the user nothing.

    Examples
    --------
    >>> import warnings
    >>> from sim2real_sklearn import Sim2RealRegressor, make_sim2real_regression
    >>> X_sim, y_sim, X, y = make_sim2real_regression(   # a source unrelated to the target
    ...     n_source=1000, n_target=100, n_features=10, discrepancy=1.0, random_state=0)
    >>> model = Sim2RealRegressor((64, 32), strategy="auto", pretrain_epochs=40,
    ...                           finetune_epochs=40, finetune_lr=1e-3, random_state=0)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     model = model.fit(X, y, X_source=X_sim, y_source=y_sim)
    >>> model.strategy_, [w.category.__name__ for w in caught]
    ('none', ['NegativeTransferWarning'])
    """
