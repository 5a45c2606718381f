"""Sim2Real transfer learning for materials science, the scikit-learn way.

Pretrain a neural network on computed (simulation) data, fine-tune it on
scarce experimental data, and measure how the experimental error falls as the
computed database grows: ``MAE(n) = D * n**(-alpha) + C``.

``X, y`` are always the experimental (target) data; the simulations travel as
the fit parameters ``X_source, y_source`` (see :mod:`sim2real_sklearn.source`).
"""

__version__ = "0.1.0"

from .datasets import (
    fetch_flory_huggins_chi,
    fetch_polymer_refractive_index,
    fetch_radonpy,
    make_sim2real_regression,
)
from .display import GridScalingCurveDisplay, GroupScalingCurveDisplay, ScalingCurveDisplay
from .featurizers import (
    CompositionFeaturizer,
    MorganFingerprint,
    PairFeaturizer,
    RDKitDescriptors,
)
from .networks import MLPBody, Sim2RealNetwork
from .pipeline import FitOnSource, make_sim2real_pipeline
from .power_law import PowerLaw, PowerLawWarning, TwoWayPowerLaw
from .persistence import load_model, save_model
from .regressor import Sim2RealRegressor
from .scaling_curve import ScalingCurve, scaling_curve
from .scaling_result import ScalingCurveResult
from .source import SourceLengthWarning
from .training import TrainingDivergedError

__all__ = [
    "CompositionFeaturizer",
    "FitOnSource",
    "GridScalingCurveDisplay",
    "GroupScalingCurveDisplay",
    "MLPBody",
    "MorganFingerprint",
    "PairFeaturizer",
    "PowerLaw",
    "PowerLawWarning",
    "RDKitDescriptors",
    "ScalingCurveDisplay",
    "ScalingCurve",
    "ScalingCurveResult",
    "Sim2RealNetwork",
    "Sim2RealRegressor",
    "SourceLengthWarning",
    "TrainingDivergedError",
    "TwoWayPowerLaw",
    "fetch_flory_huggins_chi",
    "fetch_polymer_refractive_index",
    "fetch_radonpy",
    "load_model",
    "make_sim2real_pipeline",
    "make_sim2real_regression",
    "save_model",
    "scaling_curve",
]
