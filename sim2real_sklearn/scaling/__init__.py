"""The scaling study: how the experimental error falls as the simulation database grows.

- :func:`scaling_curve`, :class:`ScalingCurve`: the trials (as
  :func:`sklearn.model_selection.learning_curve`), giving a
  :class:`ScalingCurveResult`;
- :class:`PowerLaw`, :class:`TwoWayPowerLaw`: the laws
  ``MAE(n) = D * n**(-alpha) + C`` and ``L(n, m)`` with bootstrap intervals,
  and the planning answers that follow from them;
- :class:`ScalingCurveDisplay`, :class:`GroupScalingCurveDisplay`,
  :class:`GridScalingCurveDisplay`: the plots;
- :func:`write_report`: the plot, the scores and the answers as files.

Works with any estimator whose ``fit`` takes ``X_source`` and ``y_source``;
nothing here imports torch.
"""

from ._curve import ScalingCurve, scaling_curve
from ._display import GridScalingCurveDisplay, GroupScalingCurveDisplay, ScalingCurveDisplay
from ._power_law import PowerLaw
from ._report import planning_answers, write_report
from ._result import ScalingCurveResult
from ._statistics import bootstrap_mean_interval
from ._two_way_law import TwoWayPowerLaw

__all__ = [
    "GridScalingCurveDisplay",
    "GroupScalingCurveDisplay",
    "PowerLaw",
    "ScalingCurve",
    "ScalingCurveDisplay",
    "ScalingCurveResult",
    "TwoWayPowerLaw",
    "bootstrap_mean_interval",
    "planning_answers",
    "scaling_curve",
    "write_report",
]
