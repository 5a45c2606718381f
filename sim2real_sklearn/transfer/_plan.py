"""What one training is made of: its plan, its rows' weights, and the pretraining.

The pieces of :class:`~sim2real_sklearn.transfer.Sim2RealRegressor` that are
plain data and functions of plain data, so that the single-model path
(``_regressor.py``), the stacks (``_batched.py``, ``_selection.py``) and the
pretraining cache (``joblib.Memory`` keys ``pretrain_body`` on exactly its
arguments) share them.
"""

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import scipy.sparse
import torch

from .._validation import check_sample_weight
from ._networks import Sim2RealNetwork
from ._sparse import pack_rows
from ._training import _train_phase


@dataclass
class TrainingPlan:
    """One training on the target, ready to run (see ``Sim2RealRegressor._training_plan``)."""

    network: object
    X: np.ndarray
    Y: np.ndarray
    seed: int
    device: str
    tasks: slice
    task_weights: object
    settings: dict
    phase: str
    lr_param: str
    weighted: bool = False


@dataclass(frozen=True)
class RowWeights:
    """The row weights of a fit, checked arrays or None (every row weighs 1).

    ``target`` is ``sample_weight``, ``source`` is ``source_sample_weight``.
    """

    target: object = None
    source: object = None

    def of_rows(self, rows):
        """The weights of a subset of the target rows (a fold)."""
        return RowWeights(None if self.target is None else self.target[rows], self.source)

    def of_training(self, joint, n_target, n_source):
        """One weight per row of the training on the target (source rows first when joint)."""
        if joint and (self.target is not None or self.source is not None):
            return np.concatenate([np.ones(n_source) if self.source is None else self.source,
                                   np.ones(n_target) if self.target is None else self.target])
        return self.target


def row_weights(sample_weight, source_sample_weight, X, X_source):
    """The checked :class:`RowWeights` of a fit."""
    target = check_sample_weight(sample_weight, X.shape[0])
    if source_sample_weight is not None and X_source is None:
        raise ValueError("source_sample_weight was given without a source (X_source, y_source).")
    source = None if X_source is None else check_sample_weight(
        source_sample_weight, X_source.shape[0], "source_sample_weight", "X_source")
    return RowWeights(target, source)


def pretrain_body(body_spec, X_source, y_source, settings, seed, device, verbose=0,
                  callbacks=(), sample_weight=None):
    """Pretrain a network on the source; return its weights, history and source scaling.

    A module-level function of plain data, so that ``joblib.Memory`` can key
    its cache on exactly what the pretraining depends on.
    """
    source_mean, source_scale = _scaling(y_source)
    Y = (y_source - source_mean) / source_scale
    if sample_weight is not None:  # the rows' weights ride along as the last column
        Y = np.hstack([Y, np.asarray(sample_weight, dtype=float)[:, None]])
    with _seeded(seed):
        network = _build_network(body_spec)
        inputs = (torch.as_tensor(pack_rows(X_source), device=device) if settings.get("sparse")
                  else _tensor(_dense(X_source), device))
        _, history = _train_phase(
            network, inputs, _tensor(Y, device),
            tasks=slice(0, body_spec["n_tasks"] - 1), settings=settings,
            seed=seed, device=device, verbose=verbose,
            phase="pretraining", lr_param="pretrain_lr", callbacks=callbacks,
            weighted=sample_weight is not None,
        )
    if verbose:
        print(f"[Sim2RealRegressor] pretrained on {X_source.shape[0]} source rows, "
              f"final loss {history[-1]['train_loss']:.4g}")
    state = {k: v.detach().cpu().numpy().copy() for k, v in network.state_dict().items()}
    return {"state": state, "history": history,
            "source_mean": source_mean, "source_scale": source_scale}


def _build_network(spec):
    body = spec["module"](n_features_in=spec["n_features_in"], **spec["params"])
    return Sim2RealNetwork(body, n_tasks=spec["n_tasks"])


def _scaling(Y):
    """Column means and standard deviations over the known values (NaN: unknown).

    A constant column is scaled by 1; a column with no known value (a subset
    of partially labelled rows) by mean 0 and scale 1.
    """
    known = ~np.isnan(Y)
    counts = known.sum(axis=0)
    filled = np.where(known, Y, 0.0)
    mean = filled.sum(axis=0) / np.maximum(counts, 1)
    scale = np.sqrt((np.where(known, Y - mean, 0.0) ** 2).sum(axis=0) / np.maximum(counts, 1))
    scale[scale < 1e-12] = 1.0
    return mean, scale


def _tensor(array, device):
    return torch.as_tensor(np.ascontiguousarray(array, dtype=np.float32), device=device)


def _dense(X):
    return X.toarray() if scipy.sparse.issparse(X) else X


@contextmanager
def _seeded(seed):
    """Seed torch's global generators without leaking the seed into the user's session."""
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed))
        yield
