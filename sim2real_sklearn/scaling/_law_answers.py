"""The questions a fitted ``MAE(n) = D * n**(-alpha) + C`` answers, each with its interval.

:class:`~sim2real_sklearn.PowerLaw` inherits them from :class:`_LawAnswers`:
the error at a size, the size for a target error, the size from which
transfer beats a baseline, the gain of ten times more data, and the
experiments a database is worth. Each answer's interval is the same answer
computed on every bootstrap refit (``bootstrap_params_``). They are plain
answers of the law; whether a person should be given them (scaling
detected? how far beyond the sizes measured?) is decided in
:mod:`._planning`.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._law_fitting import _law
from ._statistics import (
    _check_n,
    _check_target_errors,
    _percentile_interval,
    _resampled_means,
)


class _LawAnswers:
    """Predictions and planning answers of a fitted power law (a mixin of PowerLaw)."""

    # -- predictions and planning answers -------------------------------

    def _params(self):
        check_is_fitted(self, "alpha_")
        return self.alpha_, self.D_, self.C_

    def _bootstrap_columns(self, ndim):
        """Bootstrap (alpha, D, C), each shaped to broadcast against an
        input of ``ndim`` dimensions."""
        check_is_fitted(self, "bootstrap_params_")
        shape = (-1,) + (1,) * ndim
        return [self.bootstrap_params_[:, j].reshape(shape) for j in range(3)]

    def _interval(self, answer, values):
        """Percentile interval over the bootstrap of ``answer(alpha, D, C)``."""
        values = np.asarray(values, dtype=float)
        if self.bootstrap_params_.shape[0] == 0:
            nan = np.full(values.shape, np.nan)
            return nan, nan.copy()
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            refits = answer(values, *self._bootstrap_columns(values.ndim))
        return _percentile_interval(refits, self.confidence)

    def predict(self, n):
        """Mean error expected with ``n`` computed samples.

        Parameters
        ----------
        n : float or array-like
            Numbers of computed samples, > 0.

        Returns
        -------
        mae : float or ndarray of the shape of ``n``
        """
        alpha, D, C = self._params()
        return _law(_check_n(n), alpha, D, C)

    def predict_interval(self, n):
        """Bootstrap interval of the mean error (the fitted curve) at ``n``.

        This is the uncertainty of the law, not the spread of one trial.

        Returns
        -------
        low, high : ndarray of the shape of ``n``
        """
        return self._interval(lambda v, a, d, c: _law(v, a, d, c), _check_n(n))

    @staticmethod
    def _required(target, alpha, D, C):
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            n = np.power(D / (target - C), 1 / alpha)
        return np.where(target > C, n, np.inf)

    def n_required(self, target_mae):
        """Computed samples needed to reach a target mean error.

        Inverts :meth:`predict`. Returns ``inf`` where the target is at or
        below the transfer gap ``C``: more simulations cannot reach it.
        Round up for a number of rows.

        Parameters
        ----------
        target_mae : float or array-like
            Target mean errors.

        Returns
        -------
        n : float or ndarray of the shape of ``target_mae``
        """
        alpha, D, C = self._params()
        target = _check_target_errors(target_mae, "target_mae")
        return self._required(target, alpha, D, C)[()]

    def n_required_interval(self, target_mae):
        """Bootstrap interval of :meth:`n_required` (bounds may be ``inf``)."""
        self._params()
        return self._interval(lambda v, a, d, c: self._required(v, a, d, c),
                              _check_target_errors(target_mae, "target_mae"))

    @staticmethod
    def _gain(n, alpha, D, C):
        return _law(n, alpha, D, C) - _law(10 * n, alpha, D, C)

    def gain_per_decade(self, n):
        """Error removed by ten times more computed data: ``MAE(n) - MAE(10 n)``."""
        return self._gain(_check_n(n), *self._params())

    def gain_per_decade_interval(self, n):
        """Bootstrap interval of :meth:`gain_per_decade`."""
        return self._interval(self._gain, _check_n(n))

    def crossover(self, baseline_mae):
        """Computed size from which transfer beats a baseline error.

        The baseline is usually direct learning (experimental data only).
        Returns ``inf`` when the baseline is at or below the transfer gap
        (transfer never beats it); a value below 1 means that any amount of
        computed data beats it.

        Parameters
        ----------
        baseline_mae : float or array-like
            Mean error of the baseline.

        Returns
        -------
        n : float or ndarray of the shape of ``baseline_mae``
        """
        self._params()
        return self.n_required(_check_target_errors(baseline_mae, "baseline_mae"))

    def crossover_interval(self, baseline_mae, *, baseline_scores=None):
        """Bootstrap interval of :meth:`crossover`.

        Parameters
        ----------
        baseline_mae : float or array-like
            Mean error of the baseline, held fixed across refits.
        baseline_scores : array-like of shape (n_trials,), default=None
            Per-trial errors of the baseline measured in the same trials as
            the fitted scores (``ScalingCurveResult.baseline_scores``). When
            given, every refit is paired with the baseline's mean over the
            same resampled trials, so the interval carries the baseline's
            uncertainty and the pairing of trials too; ``baseline_mae`` is
            then not used.

        Returns
        -------
        low, high : float or ndarray
        """
        self._params()
        if baseline_scores is None:
            return self.n_required_interval(_check_target_errors(baseline_mae, "baseline_mae"))
        baseline_scores = np.asarray(baseline_scores, dtype=float)
        n_trials = self.bootstrap_indices_.shape[1]
        if baseline_scores.shape != (n_trials,):
            raise ValueError(
                f"baseline_scores must hold one error per trial of the fitted scores "
                f"({n_trials}), got shape {baseline_scores.shape}."
            )
        if self.bootstrap_params_.shape[0] == 0:
            return np.nan, np.nan
        means = _resampled_means(baseline_scores, self.bootstrap_indices_)
        alpha, D, C = self.bootstrap_params_.T
        refits = self._required(means, alpha, D, C)
        refits = np.where(np.isnan(means) | np.isnan(alpha), np.nan, refits)
        low, high = _percentile_interval(refits, self.confidence)
        return float(low), float(high)

    def equivalent_sample_size(self, n, baseline_law):
        """Experimental samples that direct learning needs to match transfer.

        Parameters
        ----------
        n : float or array-like
            Numbers of computed samples used by transfer.

        baseline_law : PowerLaw
            Law fitted to the error of direct learning (no computed data)
            against the number ``m`` of experimental training samples.

        Returns
        -------
        m : float or ndarray of the shape of ``n``
            ``baseline_law.n_required(self.predict(n))``; ``inf`` where
            direct learning can never reach the transfer error.
        """
        baseline_law = self._check_baseline_law(baseline_law)
        return baseline_law.n_required(self.predict(n))

    def equivalent_sample_size_interval(self, n, baseline_law):
        """Bootstrap interval of :meth:`equivalent_sample_size`.

        Refit ``i`` of this law is paired with refit ``i`` of the baseline
        law (independent experiments), over as many refits as both have.
        """
        baseline_law = self._check_baseline_law(baseline_law)
        n = _check_n(n)
        size = min(self.bootstrap_params_.shape[0], baseline_law.bootstrap_params_.shape[0])
        if size == 0:
            nan = np.full(n.shape, np.nan)
            return nan, nan.copy()
        shape = (-1,) + (1,) * n.ndim
        mine = [c[:size] for c in self._bootstrap_columns(n.ndim)]
        theirs = [baseline_law.bootstrap_params_[:size, j].reshape(shape) for j in range(3)]
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            m = self._required(_law(n, *mine), *theirs)
        return _percentile_interval(m, self.confidence)

    @staticmethod
    def _check_baseline_law(baseline_law):
        if not isinstance(baseline_law, _LawAnswers):
            raise TypeError(
                "baseline_law must be a PowerLaw fitted on the error of direct learning "
                f"against the experimental size; got {type(baseline_law).__name__}."
            )
        check_is_fitted(baseline_law, "alpha_")
        return baseline_law
