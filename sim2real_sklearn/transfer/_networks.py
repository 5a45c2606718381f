"""Torch modules behind :class:`~sim2real_sklearn.Sim2RealRegressor`.

A Sim2Real network is a **body** (the shared representation learned from the
simulations) followed by one linear **head** per task: one output per source
property, plus one for the experimental target. Keeping the two apart is what
lets the regressor freeze the body, re-use a pretrained head, or train all
tasks jointly.

Bring your own body: any ``torch.nn.Module`` class whose constructor takes
``n_features_in`` (plus your own keyword arguments, given to the regressor as
``module__<name>``) and that exposes the width of its output as the attribute
``out_features``.
"""

import math

import torch
from torch import nn

from ._sparse import CompactBatch

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
}


class MLPBody(nn.Module):
    """Fully connected body: ``[Linear -> (BatchNorm) -> activation -> (Dropout)] * k``.

    Parameters
    ----------
    n_features_in : int
        Number of input features.
    hidden_layer_sizes : tuple of int, default=(256, 128)
        Width of each hidden layer; ``out_features`` is the last one.
    activation : {"relu", "tanh", "gelu", "silu", "elu", "leaky_relu"}, default="relu"
    dropout : float, default=0.0
        Dropout probability after each hidden layer.
    batch_norm : bool, default=False
        Insert ``BatchNorm1d`` after each linear layer.

    Examples
    --------
    >>> import torch
    >>> body = MLPBody(8, hidden_layer_sizes=(16, 4))
    >>> body(torch.zeros(3, 8)).shape
    torch.Size([3, 4])
    """

    def __init__(
        self,
        n_features_in,
        hidden_layer_sizes=(256, 128),
        activation="relu",
        dropout=0.0,
        batch_norm=False,
    ):
        super().__init__()
        layers = []
        width = n_features_in
        for size in hidden_layer_sizes:
            layers.append(nn.Linear(width, size))
            if batch_norm:
                layers.append(nn.BatchNorm1d(size))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        self.layers = nn.Sequential(*layers)
        # With no hidden layer the body is the identity and the heads are a
        # linear model on the raw features.
        self.out_features = width
        self.touched = None  # the last sparse training batch, for the lazy update of layer 1

    def forward(self, X):
        if X.dim() == 3:  # packed sparse rows (see _sparse): layer 1 on the non-zeros only
            return self.layers[1:](self._sparse_first_layer(X))
        return self.layers(X)

    def _sparse_first_layer(self, X):
        first = self.layers[0]
        batch = CompactBatch(X[None], first.in_features)
        # The touched rows of the (transposed) weight, as a leaf of their own: their
        # gradient is all the lazy update needs, and the full weight gets none.
        gathered = first.weight.detach().t()[batch.rows]
        if torch.is_grad_enabled() and first.weight.requires_grad:
            gathered.requires_grad_(True)
            self.touched = (batch, gathered)
        return torch.baddbmm(first.bias, batch.X, gathered)[0]


class Sim2RealNetwork(nn.Module):
    """A body and one linear output per task (source properties, then the target).

    Parameters
    ----------
    body : nn.Module
        Must expose ``out_features``.
    n_tasks : int
        Number of outputs: ``n_source_properties + 1``; the last is the target.

    Notes
    -----
    ``freeze_body()`` keeps the body in eval mode even when the optimiser
    loop calls ``train()`` at every epoch: otherwise BatchNorm running
    statistics and dropout come back to life under a "frozen" body (the bug
    fixed in chemprop PR #952).

    Examples
    --------
    >>> import torch
    >>> net = Sim2RealNetwork(MLPBody(5, (8,)), n_tasks=2)
    >>> net(torch.zeros(4, 5)).shape
    torch.Size([4, 2])
    """

    def __init__(self, body, n_tasks):
        super().__init__()
        if not hasattr(body, "out_features"):
            raise TypeError(
                f"The body module {type(body).__name__} must expose the width of "
                "its output as the attribute `out_features`."
            )
        self.body = body
        self.heads = nn.Linear(body.out_features, n_tasks)
        self.body_frozen = False
        self.frozen_layers = 0

    def forward(self, X):
        return self.heads(self.body(X))

    def body_layers(self):
        """The body's layers that hold weights, in order (Linear, BatchNorm, ... of your body)."""
        return [m for m in self.body.modules()
                if not list(m.children()) and any(True for _ in m.parameters(recurse=False))]

    def freeze_body(self, n_layers=None):
        """Keep the body (or its first ``n_layers`` weighted layers) as pretrained.

        Frozen layers get no gradient and stay in eval mode (BatchNorm
        statistics, dropout) even when the training loop calls ``train()``.
        """
        layers = self.body_layers()
        n_layers = len(layers) if n_layers is None else min(int(n_layers), len(layers))
        self.body_frozen = n_layers == len(layers)
        self.frozen_layers = n_layers
        for layer in self._frozen_modules():
            for param in layer.parameters():
                param.requires_grad_(False)
            layer.eval()
        return self

    def _frozen_modules(self):
        if self.body_frozen:
            return [self.body]
        layers = self.body_layers()[:self.frozen_layers]
        if not layers:
            return []
        # A BatchNorm right after the last frozen layer normalises its outputs:
        # its statistics belong to the frozen part too.
        modules = list(self.body.modules())
        follower = modules.index(layers[-1]) + 1
        if follower < len(modules) and isinstance(modules[follower],
                                                  nn.modules.batchnorm._BatchNorm):
            layers.append(modules[follower])
        return layers

    def train(self, mode=True):
        super().train(mode)
        for module in self._frozen_modules():
            module.eval()
        return self


def pointwise_loss(diff, kind):
    """The loss of each prediction error: squared, absolute or Huber's (delta 1, as torch's).

    One home for the single network's :class:`MaskedLoss` and a stack's members.
    """
    if kind == "mse":
        return diff * diff
    if kind == "l1":
        return diff.abs()
    absolute = diff.abs()
    return torch.where(absolute < 1.0, 0.5 * diff * diff, absolute - 0.5)


# The targets are standardised inside the network, so an epoch whose mean error is
# beyond this many standard deviations has blown up: float32 (7 significant digits)
# cannot even resolve the target's spread at that magnitude, and Adam's steps of the
# learning rate's size would take forever to come back. The squared error overflows
# to inf long before (at 1e19), the absolute error only at 3e38, so without this
# limit an absolute-error training on unscaled inputs would return a useless model.
DIVERGED_ERROR = 1e7


def has_diverged(loss, kind):
    """Whether an epoch's mean loss marks a blow-up.

    Not finite, or errors beyond :data:`DIVERGED_ERROR` standard deviations
    (squared for ``"mse"``). One home for the single network and a stack's members.

    >>> has_diverged(float("nan"), "l1"), has_diverged(3e19, "l1"), has_diverged(0.4, "mse")
    (True, True, False)
    """
    limit = DIVERGED_ERROR ** 2 if kind == "mse" else DIVERGED_ERROR
    return not math.isfinite(loss) or abs(loss) > limit


def pointwise_loss_gradient(diff, kind):
    """The derivative of :func:`pointwise_loss` by the error, as autograd takes it (0 at 0)."""
    if kind == "mse":
        return 2 * diff
    if kind == "l1":
        return diff.sign()
    return diff.clamp(-1.0, 1.0)


class MaskedLoss(nn.Module):
    """A regression loss per task (MSE, L1 or Huber), then a weighted mean over tasks.

    In multitask training a row has labels for some tasks only: source rows
    have no target label and vice versa. Missing labels are NaN and are left
    out of their task's mean (``masked=True``). A phase whose labels are all
    present uses the plain, cheaper path. Shapes must match exactly: a
    ``(B, 1)`` prediction against a ``(B,)`` target would broadcast silently in
    ``MSELoss`` (pytorch #16045).

    Parameters
    ----------
    tasks : slice or None
        Output columns trained in this phase (``y_true`` has one column per
        task); None means all outputs. A slice, not a list, so that selecting
        the columns is a view rather than a gather in every batch.
    task_weights : sequence of float or None
        Weight of each trained task's loss; None weighs them equally.
    masked : bool, default=False
        Whether ``y_true`` may contain NaN for missing labels.
    kind : {"mse", "l1", "huber"}, default="mse"
        The loss of one label: squared error, absolute error, or Huber's
        (squared below 1, absolute above, on the standardised target).
    weighted : bool, default=False
        The last column of ``y_true`` is each row's weight (``sample_weight``):
        each task's loss is the weighted mean over its labelled rows.

    Examples
    --------
    >>> import torch
    >>> loss = MaskedLoss(masked=True)
    >>> float(loss(torch.tensor([[1.0, 0.0]]), torch.tensor([[3.0, float("nan")]])))
    4.0
    >>> float(MaskedLoss(tasks=slice(1, 2))(torch.tensor([[1.0, 0.0]]), torch.tensor([[2.0]])))
    4.0
    >>> float(MaskedLoss(kind="l1")(torch.tensor([[1.0]]), torch.tensor([[3.0]])))
    2.0
    >>> weighted = MaskedLoss(weighted=True)   # rows weighted 3 and 1
    >>> float(weighted(torch.tensor([[0.0], [0.0]]), torch.tensor([[1.0, 3.0], [3.0, 1.0]])))
    3.0
    """

    _PLAIN = {"mse": nn.functional.mse_loss, "l1": nn.functional.l1_loss,
              "huber": nn.functional.huber_loss}

    def __init__(self, tasks=None, task_weights=None, masked=False, kind="mse", weighted=False):
        super().__init__()
        self.tasks = tasks
        self.task_weights = None if task_weights is None else torch.as_tensor(
            task_weights, dtype=torch.float32)
        self.masked = masked
        self.kind = kind
        self.weighted = weighted

    def _elementwise(self, diff):
        return pointwise_loss(diff, self.kind)

    def forward(self, y_pred, y_true):
        if self.tasks is not None:
            y_pred = y_pred[:, self.tasks]
        row_weights = None
        if self.weighted:
            y_true, row_weights = y_true[:, :-1], y_true[:, -1:]
        if y_pred.shape != y_true.shape:
            raise ValueError(
                f"Prediction shape {tuple(y_pred.shape)} does not match target "
                f"shape {tuple(y_true.shape)}."
            )
        if row_weights is not None:
            observed = ~torch.isnan(y_true)
            diff = torch.where(observed, y_pred - torch.nan_to_num(y_true), 0.0)
            mass = (row_weights * observed).sum(dim=0)
            per_task = (self._elementwise(diff) * row_weights).sum(dim=0) / mass.clamp(min=1e-12)
            return self._over_tasks(per_task, mass > 0)
        if not self.masked:
            if self.task_weights is None:
                # equal weights: the mean over tasks of per-task means is the plain loss
                return self._PLAIN[self.kind](y_pred, y_true)
            per_task = self._elementwise(y_pred - y_true).mean(dim=0)
            weights = self.task_weights.to(per_task.device)
            return (weights * per_task).sum() / weights.sum()
        observed = ~torch.isnan(y_true)
        diff = torch.where(observed, y_pred - torch.nan_to_num(y_true), 0.0)
        counts = observed.sum(dim=0)
        per_task = self._elementwise(diff).sum(dim=0) / counts.clamp(min=1)
        return self._over_tasks(per_task, counts > 0)

    def _over_tasks(self, per_task, present):
        weights = (torch.ones_like(per_task) if self.task_weights is None
                   else self.task_weights.to(per_task.device))
        # A task absent from the batch must not dilute the others.
        weights = weights * present
        return (weights * per_task).sum() / weights.sum().clamp(min=1e-12)
