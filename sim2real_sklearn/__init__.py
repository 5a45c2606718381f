"""Sim2Real transfer learning for materials science, the scikit-learn way.

Pretrain a neural network on computed (simulation) data, fine-tune it on
scarce experimental data, and measure how the experimental error falls as the
computed database grows: ``MAE(n) = D * n**(-alpha) + C``.

``X, y`` are always the experimental (target) data; the simulations travel as
the fit parameters ``X_source, y_source``.

The package has two subsystems and two kinds of helpers, each a subpackage:

- :mod:`sim2real_sklearn.transfer`: the model (pretrain, fine-tune) and
  pipelines that carry the source through featurizers;
- :mod:`sim2real_sklearn.scaling`: the scaling study (error against the
  amount of simulation data), its power laws, plots and report;
- :mod:`sim2real_sklearn.featurizers`: SMILES, polymers, pairs, formulas;
- :mod:`sim2real_sklearn.datasets`: a synthetic generator and public data.

Every public name is also importable from here. They are loaded on first use
(PEP 562), so ``import sim2real_sklearn`` stays fast and torch or RDKit are
imported only when a model or a featurizer is used.
"""

import importlib

from ._version import __version__  # noqa: F401 (public as sim2real_sklearn.__version__)

# Public name -> the subpackage that defines it.
_PUBLIC_NAMES = {
    "Sim2RealRegressor": "transfer",
    "MLPBody": "transfer",
    "Sim2RealNetwork": "transfer",
    "FitOnSource": "transfer",
    "make_sim2real_pipeline": "transfer",
    "save_model": "transfer",
    "load_model": "transfer",
    "scaling_curve": "scaling",
    "ScalingCurve": "scaling",
    "ScalingCurveResult": "scaling",
    "PowerLaw": "scaling",
    "TwoWayPowerLaw": "scaling",
    "detect_scaling": "scaling",
    "advise_next_study": "scaling",
    "ScalingCurveDisplay": "scaling",
    "GroupScalingCurveDisplay": "scaling",
    "GridScalingCurveDisplay": "scaling",
    "MorganFingerprint": "featurizers",
    "RDKitDescriptors": "featurizers",
    "PairFeaturizer": "featurizers",
    "CompositionFeaturizer": "featurizers",
    "ForceFieldKernelMean": "featurizers",
    "make_sim2real_regression": "datasets",
    "fetch_flory_huggins_chi": "datasets",
    "fetch_polymer_refractive_index": "datasets",
    "fetch_radonpy": "datasets",
    "ModelVersionWarning": "exceptions",
    "NegativeTransferWarning": "exceptions",
    "PowerLawWarning": "exceptions",
    "SourceLengthWarning": "exceptions",
    "TrainingDivergedError": "exceptions",
}
_SUBMODULES = ("cli", "datasets", "exceptions", "featurizers", "scaling", "transfer")

__all__ = sorted(_PUBLIC_NAMES)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name not in _PUBLIC_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_PUBLIC_NAMES[name]}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES))
