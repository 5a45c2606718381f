"""The scaling study: how the experimental error falls as the simulation database grows.

- :func:`scaling_curve`, :class:`ScalingCurve`: the trials (as
  :func:`sklearn.model_selection.learning_curve`), giving a
  :class:`ScalingCurveResult`;
- :class:`PowerLaw`, :class:`TwoWayPowerLaw`: the laws
  ``MAE(n) = D * n**(-alpha) + C`` and ``L(n, m)`` with bootstrap intervals,
  and the planning answers that follow from them;
- :class:`ScalingCurveDisplay`, :class:`GroupScalingCurveDisplay`,
  :class:`GridScalingCurveDisplay`: the plots;
- :func:`detect_scaling`: whether the error falls with the source size at all;
- :func:`planning_answers`, :func:`advise_next_study`: what the law says
  about the next simulations, each answer with how far it extrapolates, and
  which sizes and trials would narrow the law most;
- :func:`write_report`: the plot, the scores and the answers as files.

Works with any estimator whose ``fit`` takes ``X_source`` and ``y_source``;
nothing here imports torch.
"""

from ._advice import advise_next_study
from ._curve import scaling_curve
from ._diagnostics import detect_scaling
from ._display import ScalingCurveDisplay
from ._grid_display import GridScalingCurveDisplay
from ._group_display import GroupScalingCurveDisplay
from ._meta_estimator import ScalingCurve
from ._planning import planning_answers
from ._power_law import PowerLaw
from ._report import write_report
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
    "advise_next_study",
    "bootstrap_mean_interval",
    "detect_scaling",
    "planning_answers",
    "scaling_curve",
    "write_report",
]
