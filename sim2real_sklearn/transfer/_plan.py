"""What one training is made of: its plan, its rows' weights, and the pretraining.

How :class:`~sim2real_sklearn.transfer.Sim2RealRegressor` turns its
parameters into trainings, apart from its public API (``_regressor.py``):
the plan of one training on the target (:class:`TrainingPlan`, built by
:class:`TrainingPlanMixin` per strategy), the rows' weights, and the
pretraining as a function of plain data (``joblib.Memory`` keys
``pretrain_body`` on exactly its arguments). The single-model path and the
stacks (``_batched.py``, ``_selection.py``) share them.
"""

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import scipy.sparse
import torch
from sklearn.utils.validation import check_memory

from .._constraints import check_device
from .._validation import check_sample_weight
from ._networks import MLPBody, Sim2RealNetwork
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


class TrainingPlanMixin:
    """How a ``Sim2RealRegressor`` turns its parameters into trainings.

    The regressor's methods that build what is trained (the network, per
    strategy; its rows and scaled targets; the settings of each phase; the
    pretraining, from ``memory`` when cached) and set the fitted attributes
    known before training. ``_regressor.py`` keeps the estimator's API
    (``fit``, ``predict``, parameters); ``_selection.py`` and ``_batched.py``
    build stacks from the same plans.
    """

    def _training_plan(self, X, y, X_source, y_source, pretraining=None, weights=None):
        """What the training on the target is: its network, rows, targets and settings.

        Sets the fitted attributes known before training (scalings, source
        counts, the pretraining's history). ``strategy="auto"`` stacks the
        plans of its candidates; a fixed strategy trains its plan with
        ``_train_phase``. ``weights`` (:class:`RowWeights`) weigh the rows'
        losses: they become the last column of the plan's ``Y``.
        """
        weights = weights or RowWeights()
        pretrain_seed, train_seed = self._seeds()
        device = check_device(self.device)
        self.strategy_ = self.strategy if X_source is not None else "none"
        self.n_source_samples_ = 0 if X_source is None else X_source.shape[0]
        self.n_source_tasks_ = 0 if y_source is None else y_source.shape[1]
        self.pretrain_history_ = []
        self.pretrain_from_cache_ = False
        n_tasks = self.n_source_tasks_ + 1
        network, X_train, Y_train = self._prepare_training(
            X, y, X_source, y_source, n_tasks, pretrain_seed, train_seed, device, pretraining,
            weights.source)
        joint = self.strategy == "multitask" and X_source is not None
        row_weight = weights.of_training(joint, X.shape[0],
                                         None if X_source is None else X_source.shape[0])
        if row_weight is not None:
            Y_train = np.hstack([Y_train, row_weight[:, None]])
        return TrainingPlan(
            weighted=row_weight is not None,
            network=network, X=X_train, Y=Y_train, seed=int(train_seed), device=device,
            tasks=slice(0, n_tasks) if joint else slice(n_tasks - 1, n_tasks),
            task_weights=[float(self.source_weight)] * (n_tasks - 1) + [1.0] if joint else None,
            settings=self._settings("pretrain" if joint else "finetune", target=True,
                                    from_pretrained=X_source is not None and not joint),
            phase=("joint multitask training" if joint else
                   "fine-tuning" if X_source is not None else "direct learning (no source)"),
            lr_param="pretrain_lr" if joint else "finetune_lr",
        )

    def _prepare_training(self, X, y, X_source, y_source, n_tasks, pretrain_seed, train_seed,
                          device, pretraining=None, source_weight=None):
        """The network to train on the target and its rows, per strategy.

        No source: a fresh network on the target. ``"multitask"``: a fresh
        network on source and target rows stacked, each row labelled for its
        own tasks only (NaN elsewhere). ``"finetune"``/``"freeze"``: the
        pretrained network (from ``memory`` when cached), on the target.
        """
        if X_source is None:
            self._set_target_scaling(y)
            return self._seeded_network(n_tasks, train_seed), X, self._scaled_target(y)
        if self.strategy == "multitask":
            self._set_target_scaling(y)
            self.source_mean_, self.source_scale_ = _scaling(y_source)
            Y_source = (y_source - self.source_mean_) / self.source_scale_
            Y_train = np.vstack([
                np.hstack([Y_source, np.full((X_source.shape[0], 1), np.nan)]),
                np.hstack([np.full((X.shape[0], n_tasks - 1), np.nan), self._scaled_target(y)]),
            ])
            stacked = (scipy.sparse.vstack([X_source, X], format="csr")
                       if scipy.sparse.issparse(X) else np.vstack([X_source, X]))
            return self._seeded_network(n_tasks, train_seed), stacked, Y_train
        if pretraining is None:
            pretraining = self._pretraining(X_source, y_source, n_tasks, pretrain_seed, device,
                                            source_weight)
        network, (source_mean, source_scale) = self._pretrained_network(
            pretraining, n_tasks, pretrain_seed)
        if self.reuse_source_head and self.n_source_tasks_ == 1:
            # Same property in both domains: start from the simulation's
            # prediction, in the scaling the head was trained with.
            with torch.no_grad():
                network.heads.weight[-1] = network.heads.weight[0]
                network.heads.bias[-1] = network.heads.bias[0]
            self.target_mean_, self.target_scale_ = float(source_mean[0]), float(source_scale[0])
        else:
            self._set_target_scaling(y)
        if self.strategy == "freeze":
            network.freeze_body()
        elif self.freeze_layers:
            network.freeze_body(self.freeze_layers)
        return network, X, self._scaled_target(y)

    def _callbacks(self, phase):
        """The user's callbacks of a phase ("pretrain" or "finetune")."""
        if self.callbacks is None:
            return ()
        if isinstance(self.callbacks, dict):
            unknown = sorted(set(self.callbacks) - {"pretrain", "finetune"})
            if unknown:
                raise ValueError(f"callbacks: unknown phases {unknown}; use 'pretrain' and "
                                 "'finetune'.")
            return tuple(self.callbacks.get(phase) or ())
        return tuple(self.callbacks) if phase == "finetune" else ()

    def _settings(self, phase, target=False, from_pretrained=False):
        """The training settings of a phase.

        The pretraining's settings are also its cache key, so they hold only
        what the pretraining depends on; what shapes the training on the
        target (its loss, the body's learning rate, L2-SP) is added for it alone.
        """
        settings = {
            "epochs": getattr(self, f"{phase}_epochs"),
            "lr": getattr(self, f"{phase}_lr"),
            "batch_size": getattr(self, f"{phase}_batch_size"),
            "weight_decay": getattr(self, f"{phase}_weight_decay"),
            "early_stopping": self.early_stopping,
            "validation_fraction": self.validation_fraction,
            "n_iter_no_change": self.n_iter_no_change,
            "lr_schedule": getattr(self, f"{phase}_lr_schedule"),
            # sparse rows train the first layer by lazy Adam: another pretraining
            "sparse": bool(getattr(self, "sparse_input_", False)),
        }
        if target:
            settings["loss"] = self.loss
        if from_pretrained:
            settings["body_lr_ratio"] = self.body_lr_ratio
            settings["l2sp"] = self.l2sp
        return settings

    def _body_spec(self, n_tasks):
        if self.module is None:
            return {
                "module": MLPBody,
                "params": {
                    "hidden_layer_sizes": tuple(self.hidden_layer_sizes),
                    "activation": self.activation,
                    "dropout": self.dropout,
                    "batch_norm": self.batch_norm,
                },
                "n_features_in": self.n_features_in_,
                "n_tasks": n_tasks,
            }
        return {"module": self.module, "params": self._module_params(),
                "n_features_in": self.n_features_in_, "n_tasks": n_tasks}

    def _seeded_network(self, n_tasks, seed):
        with _seeded(seed):
            return _build_network(self._body_spec(n_tasks))

    def _pretraining(self, X_source, y_source, n_tasks, seed, device, source_weight=None):
        """The pretrained weights, from ``memory`` when cached; sets ``pretrain_from_cache_``."""
        spec = self._body_spec(n_tasks)
        memory = check_memory(self.memory)
        pretrain = memory.cache(pretrain_body, ignore=["verbose", "callbacks"])
        settings, callbacks = self._settings("pretrain"), self._callbacks("pretrain")
        if callbacks:  # a scheduler changes the pretraining: the callbacks' settings key it too
            settings = {**settings, "callbacks": [repr(c) for c in callbacks]}
        args = (spec, X_source, y_source, settings, int(seed), device, self.verbose, callbacks,
                source_weight)
        if memory.location is not None:
            self.pretrain_from_cache_ = pretrain.check_call_in_cache(*args)
        return pretrain(*args)

    def _pretrained_network(self, result, n_tasks, seed):
        # Seeded only so as not to draw from the user's generator: the weights are overwritten.
        network = self._seeded_network(n_tasks, seed)
        network.load_state_dict({k: torch.as_tensor(v) for k, v in result["state"].items()})
        self.pretrain_history_ = result["history"]
        self.source_mean_, self.source_scale_ = result["source_mean"], result["source_scale"]
        return network, (result["source_mean"], result["source_scale"])

    def _set_target_scaling(self, y):
        mean, scale = _scaling(y[:, None])
        self.target_mean_, self.target_scale_ = float(mean[0]), float(scale[0])

    def _scaled_target(self, y):
        return ((y - self.target_mean_) / self.target_scale_)[:, None]
