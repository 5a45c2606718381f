"""The transfer model: pretrain a network on simulations, fine-tune it on experiments.

- :class:`Sim2RealRegressor`: the scikit-learn regressor (strategies
  finetune, freeze, multitask, and no source for direct learning);
- :class:`MLPBody`, :class:`Sim2RealNetwork`: its torch modules (bring your
  own body with ``module=``);
- :func:`make_sim2real_pipeline`, :class:`FitOnSource`: pipelines whose
  featurizers and scalers also transform the source;
- :func:`save_model`, :func:`load_model`: models as JSON and tensors, no pickle.

Importing this subpackage imports torch.
"""

from ._networks import MLPBody, Sim2RealNetwork
from ._persistence import load_model, save_model
from ._pipeline import FitOnSource, make_sim2real_pipeline
from ._regressor import Sim2RealRegressor

__all__ = [
    "FitOnSource",
    "MLPBody",
    "Sim2RealNetwork",
    "Sim2RealRegressor",
    "load_model",
    "make_sim2real_pipeline",
    "save_model",
]
