"""Sim2Real transfer learning for materials science, the scikit-learn way.

Pretrain a neural network on computed (simulation) data, fine-tune it on
scarce experimental data, and measure how the experimental error falls as the
computed database grows: ``MAE(n) = D * n**(-alpha) + C``.
"""

__version__ = "0.1.0"

__all__ = []
