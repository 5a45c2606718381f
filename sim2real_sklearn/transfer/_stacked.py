"""Many small networks trained as one: the members of a selection, an ensemble or a study.

A scaling study, ``strategy="auto"`` and a deep ensemble all train many
copies of one small MLP, each on its own rows with its own seed. One at a
time, most of the time goes to per-step overhead. Stacked, member ``m``'s
weights are slice ``m`` of tensors shaped ``(members, in, out)``, one batched
matrix product (``torch.baddbmm``) runs every member's layer at once, and one
Adam step updates them all.

It is the same training as one member alone: the same initial weights, the
same batch order (each member shuffles its own rows with its own seeded
generator, as ``_TensorBatches`` does), the same per-member loss (every
member's mean loss is summed, so each gradient is its own), and the same Adam
(element-wise, so one Adam over stacked tensors is one independent optimiser
per member; torch's fused kernel, as the single-model path). Only
floating-point round-off differs, because a batched matrix product sums in
another order.

Members of one stack share the architecture (an :class:`MLPBody` without
BatchNorm: its running statistics are per-member state that the stack would
mix), the number of training rows, and the training settings (:class:`Recipe`);
they differ in their rows, initial weights and seed.
"""

from dataclasses import dataclass

import numpy as np
import torch

from ._networks import ACTIVATIONS, MLPBody, Sim2RealNetwork
from ._training import _batch_bounds

_BETAS, _EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults, as the single-model path


@dataclass
class Member:
    """One network of a stack: where it starts and what it sees.

    Attributes
    ----------
    state : dict of str to Tensor
        Initial ``state_dict`` of a :class:`Sim2RealNetwork` with an :class:`MLPBody`.
    rows : ndarray of int
        Training rows (indices into the stack's ``X`` and ``Y``); every member
        of a stack has as many.
    seed : int
        Seed of the member's batch order (as ``iterator_train__seed``).
    valid_rows : ndarray of int or None
        Rows scored after every epoch (``valid_loss``) for early stopping.
    targets : Tensor of shape (n_rows, n_trained_tasks) or None
        The member's own scaled targets (its target scaling), instead of the stack's ``Y``.
    loss : {"mse", "l1", "huber"} or None
        The member's own loss, instead of the recipe's.
    frozen : bool
        Keep the whole body as it starts (strategy ``"freeze"``): no update,
        no dropout. Only in a stack without weight decay, which would move
        a body that Adam otherwise leaves still.
    """

    state: dict
    rows: np.ndarray
    seed: int
    valid_rows: object = None
    targets: object = None
    loss: object = None
    frozen: bool = False


@dataclass(frozen=True)
class Recipe:
    """How every member of a stack trains (the settings of ``_train_phase``)."""

    epochs: int
    batch_size: int
    lr: float = 1e-3
    weight_decay: float = 0.0
    body_lr_ratio: float = 1.0
    frozen_layers: int = 0
    l2sp: float = 0.0
    loss: str = "mse"
    lr_schedule: str = "constant"
    patience: object = None


def can_stack(network):
    """Whether a network has the architecture a stack trains (an MLP body without BatchNorm)."""
    body = getattr(network, "body", None)
    return isinstance(body, MLPBody) and not any(
        isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in body.modules())


class StackedMLP:
    """The stacked weights of ``M`` :class:`Sim2RealNetwork` members, and their forward pass.

    Parameters
    ----------
    states : list of dict
        One ``state_dict`` per member (all of the same MLP architecture).
    activation : str
        Key of ``ACTIVATIONS``.
    dropout : float
        Dropout after each hidden layer (independent masks per member).
    device : str

    Examples
    --------
    >>> net = Sim2RealNetwork(MLPBody(3, (8, 4)), n_tasks=2)
    >>> stack = StackedMLP([net.state_dict(), net.state_dict()], "relu", 0.0, "cpu")
    >>> x = torch.randn(5, 3)
    >>> out = stack.forward(torch.stack([x, x]))
    >>> bool(torch.allclose(out[1], net(x), atol=1e-6)), tuple(out.shape)
    (True, (2, 5, 2))
    """

    def __init__(self, states, activation, dropout, device):
        names = sorted({k[:-len(".weight")] for k in states[0] if k.endswith(".weight")},
                       key=_layer_order)
        # Weights as (members, in, out), ready for baddbmm; biases as (members, 1, out).
        self.weights = [torch.stack([s[f"{n}.weight"].T for s in states]).to(device).contiguous()
                        for n in names]
        self.biases = [torch.stack([s[f"{n}.bias"][None] for s in states]).to(device).contiguous()
                       for n in names]
        self.names = names
        self.activation = ACTIVATIONS[activation]()
        self.dropout = dropout
        self.training = True
        for p in self.parameters():
            p.requires_grad_(True)

    @property
    def n_members(self):
        return self.weights[0].shape[0]

    def parameters(self):
        return self.weights + self.biases

    def forward(self, X, no_dropout=None):
        """``X`` of shape (members, rows, features) to outputs (members, rows, tasks).

        ``no_dropout`` (members,) of bool marks members whose body is in eval mode (frozen).
        """
        h = X
        last = len(self.weights) - 1
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, h, W)
            if i < last:
                h = self.activation(h)
                if self.dropout > 0 and self.training:
                    dropped = torch.nn.functional.dropout(h, self.dropout, training=True)
                    h = dropped if no_dropout is None else torch.where(
                        no_dropout.view(-1, 1, 1), h, dropped)
        return h

    def member_state(self, m):
        """Member ``m``'s weights as a ``state_dict`` of a :class:`Sim2RealNetwork`."""
        state = {}
        for name, W, b in zip(self.names, self.weights, self.biases):
            state[f"{name}.weight"] = W[m].detach().T.contiguous().cpu()
            state[f"{name}.bias"] = b[m, 0].detach().clone().cpu()
        return state


def _layer_order(name):
    # body.layers.<i> first, in order, then heads
    if name.startswith("body."):
        return (0, int(name.split(".")[-1]))
    return (1, 0)


def _optimizer(stack, recipe):
    """torch's fused Adam over the stacked tensors, body and heads in their own groups."""
    n_body = len(stack.weights) - 1
    body, heads = [], []
    for i, (W, b) in enumerate(zip(stack.weights, stack.biases)):
        if i < n_body and i < recipe.frozen_layers:
            W.requires_grad_(False)
            b.requires_grad_(False)
            continue
        (body if i < n_body else heads).extend([W, b])
    groups = [{"params": heads, "lr": recipe.lr}]
    if body:
        groups.insert(0, {"params": body, "lr": recipe.lr * recipe.body_lr_ratio})
    optimizer = torch.optim.Adam(groups, lr=recipe.lr, weight_decay=recipe.weight_decay,
                                 fused=True)
    anchors = None
    if recipe.l2sp > 0 and body:
        anchors = (body, [p.detach().clone() for p in body])
    return optimizer, anchors


def _member_loss(pred, target, row_mask, kind, task_weights):
    """Each member's loss, shaped (members,): MaskedLoss's per-task means, weighted over tasks.

    ``row_mask`` (members, rows) is 0 on padding rows; NaN targets are missing labels.
    """
    observed = ~torch.isnan(target)
    if row_mask is not None:
        observed &= row_mask[..., None] > 0
    diff = torch.where(observed, pred - torch.nan_to_num(target), 0.0)
    if kind == "mse":
        err = diff * diff
    elif kind == "l1":
        err = diff.abs()
    else:
        absolute = diff.abs()
        err = torch.where(absolute < 1.0, 0.5 * diff * diff, absolute - 0.5)
    counts = observed.sum(dim=1)  # (members, tasks)
    per_task = err.sum(dim=1) / counts.clamp(min=1)
    weights = torch.ones_like(per_task) if task_weights is None else task_weights.expand_as(per_task)
    weights = weights * (counts > 0)
    return (weights * per_task).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-12)


def _schedule_factor(schedule, epoch, step, steps_per_epoch, epochs):
    """The learning-rate multiplier of a step (cosine by epoch, one-cycle by step), as skorch's."""
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return 0.5 * (1 + np.cos(np.pi * epoch / epochs))
    total = max(1, epochs * steps_per_epoch)
    t = epoch * steps_per_epoch + step
    warm = 0.3 * total - 1
    start, peak, end = 1 / 25, 1.0, 1 / 25 / 1e4
    if t <= warm:
        return start + (peak - start) * (1 - np.cos(np.pi * t / warm)) / 2
    return end + (peak - end) * (1 + np.cos(np.pi * (t - warm) / (total - 1 - warm))) / 2


def train_stacked(members, X, Y, recipe, *, activation="relu", dropout=0.0, tasks,
                  task_weights=None, device="cpu", snapshot_epochs=()):
    """Train every member on its rows with ``recipe``; return their final states and histories.

    Parameters
    ----------
    members : list of Member
        Same architecture (their ``state``), as many rows each.
    X : Tensor of shape (n_rows, n_features) or (n_members, n_rows, n_features)
        Inputs shared by every member, or each member's own (a trial's rows,
        in its own scaling); members' ``rows`` index the rows.
    Y : Tensor of shape (n_rows, n_trained_tasks)
        Scaled targets of the trained outputs ``tasks``; NaN marks a missing label.
    recipe : Recipe
        With ``patience`` and members' ``valid_rows``: a member whose
        validation loss has not improved for ``patience`` epochs gets back its
        best weights (skorch's ``EarlyStopping``: improvement by 1e-4
        relative); training ends when every member has stopped.
    tasks : slice
        The network outputs trained (as ``MaskedLoss.tasks``).
    snapshot_epochs : sequence of int
        Also keep every member's weights after these epochs (1-based): the
        same trajectory, read at several lengths of training.

    Returns
    -------
    states : list of dict
        Each member's final (or best) weights as a ``state_dict``.
    histories : list of list of dict
        Per epoch ``train_loss`` (and ``valid_loss``), as ``_train_phase`` gives them.
    snapshots : dict of int to list of dict
        Only when ``snapshot_epochs`` are given: the members' weights after each of them.
    """
    n_rows = {len(m.rows) for m in members}
    if len(n_rows) != 1:
        raise ValueError(f"every member of a stack trains on as many rows; got {sorted(n_rows)}")
    frozen = torch.tensor([m.frozen for m in members], device=device)
    if frozen.any() and recipe.weight_decay > 0:
        raise ValueError("a frozen member needs a stack without weight decay")
    stack = StackedMLP([m.state for m in members], activation, dropout, device)
    optimizer, anchors = _optimizer(stack, recipe)
    M = len(members)
    body_params = [p for p in stack.weights[:-1] + stack.biases[:-1] if p.requires_grad]
    body_mask = (~frozen).float().view(M, 1, 1)
    Ys = torch.stack([Y if m.targets is None else m.targets.to(device) for m in members])
    member_index = torch.arange(M, device=device)[:, None]
    own_inputs = X.dim() == 3  # (members, rows, features): each member's own data
    kinds = [m.loss or recipe.loss for m in members]
    weights = None if task_weights is None else torch.as_tensor(
        task_weights, dtype=torch.float32, device=device)[None]
    generators = [torch.Generator().manual_seed(int(m.seed)) for m in members]
    rows = torch.as_tensor(np.stack([np.asarray(m.rows) for m in members]), dtype=torch.long)
    bounds = _batch_bounds(rows.shape[1], recipe.batch_size)
    histories = [[] for _ in members]
    snapshots = {}
    stopped = np.zeros(M, dtype=bool)
    best = [(np.inf, None, 0) for _ in members]  # (loss, state, misses)
    for epoch in range(recipe.epochs):
        order = torch.stack([rows[m][torch.randperm(rows.shape[1], generator=g)]
                             for m, g in enumerate(generators)]).to(device)
        stack.training = True
        total = torch.zeros(M, device=device)
        for step, (start, stop) in enumerate(bounds):
            index = order[:, start:stop]
            for group in optimizer.param_groups:
                group["lr"] = group.setdefault("initial_lr", group["lr"]) * _schedule_factor(
                    recipe.lr_schedule, epoch, step, len(bounds), recipe.epochs)
            optimizer.zero_grad(set_to_none=True)
            inputs = X[member_index, index] if own_inputs else X[index]
            pred = stack.forward(inputs, frozen)[..., tasks]
            loss = _losses(pred, Ys[member_index, index], None, kinds, weights)
            loss.sum().backward()
            if frozen.any():  # no gradient, so Adam's moments stay 0 and the body still
                for p in body_params:
                    p.grad.mul_(body_mask)
            if anchors is not None:
                params, initial = anchors
                grads = [p.grad for p in params]
                torch._foreach_add_(grads, torch._foreach_sub(params, initial), alpha=recipe.l2sp)
            optimizer.step()
            total += loss.detach() * (stop - start)
        train_loss = (total / rows.shape[1]).cpu().numpy()  # one sync per epoch
        if not np.isfinite(train_loss).all():
            diverged = np.flatnonzero(~np.isfinite(train_loss)).tolist()
            raise FloatingPointError(
                f"members {diverged} of the stack diverged at epoch {epoch + 1} (loss "
                f"{train_loss[diverged[0]]}); train them alone to see which setting to change.")
        valid_loss = _valid_losses(stack, members, kinds, X, Ys, tasks, weights, device)
        for m in range(M):
            if stopped[m]:
                continue
            record = {"epoch": epoch + 1, "train_loss": float(train_loss[m])}
            if valid_loss is not None:
                record["valid_loss"] = float(valid_loss[m])
            histories[m].append(record)
            if recipe.patience is not None and valid_loss is not None:
                best_loss, state, misses = best[m]
                if valid_loss[m] < best_loss * (1 - 1e-4):
                    best[m] = (float(valid_loss[m]), stack.member_state(m), 0)
                elif misses + 1 >= recipe.patience:
                    stopped[m] = True  # it trains on with the others; its best state is kept
                else:
                    best[m] = (best_loss, state, misses + 1)
        if epoch + 1 in snapshot_epochs:
            snapshots[epoch + 1] = [stack.member_state(m) for m in range(M)]
        if stopped.all():
            break
    states = [best[m][1] if best[m][1] is not None else stack.member_state(m) for m in range(M)]
    if snapshot_epochs:
        return states, histories, snapshots
    return states, histories


def _losses(pred, target, row_mask, kinds, weights):
    """Each member's loss with its own kind."""
    if len(set(kinds)) == 1:
        return _member_loss(pred, target, row_mask, kinds[0], weights)
    by_kind = {kind: _member_loss(pred, target, row_mask, kind, weights) for kind in set(kinds)}
    return torch.stack([by_kind[kind][m] for m, kind in enumerate(kinds)])


@torch.no_grad()
def _valid_losses(stack, members, kinds, X, Ys, tasks, weights, device):
    if all(m.valid_rows is None for m in members):
        return None
    width = max(len(m.valid_rows) for m in members if m.valid_rows is not None)
    index = torch.zeros(len(members), width, dtype=torch.long)
    mask = torch.zeros(len(members), width)
    for i, m in enumerate(members):
        if m.valid_rows is not None:
            index[i, :len(m.valid_rows)] = torch.as_tensor(np.asarray(m.valid_rows))
            mask[i, :len(m.valid_rows)] = 1.0
    stack.training = False
    index = index.to(device)
    member_index = torch.arange(len(members), device=device)[:, None]
    pred = stack.forward(X[member_index, index] if X.dim() == 3 else X[index])[..., tasks]
    target = Ys[torch.arange(len(members), device=device)[:, None], index]
    return _losses(pred, target, mask.to(device), kinds, weights).cpu().numpy()


@torch.no_grad()
def predict_stacked(states, X_rows, activation, device="cpu"):
    """Each member's outputs on its own rows: ``X_rows`` (members, rows, features)."""
    stack = StackedMLP(states, activation, 0.0, device)
    stack.training = False
    return stack.forward(X_rows.to(device))


def network_from_state(state, body_params, n_features_in, n_tasks):
    """A :class:`Sim2RealNetwork` holding one member's weights."""
    with torch.random.fork_rng(devices=[]):
        network = Sim2RealNetwork(MLPBody(n_features_in, **body_params), n_tasks=n_tasks)
    network.load_state_dict(state)
    return network
