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

from .._torch_threads import flush_denormals
from ._networks import (
    ACTIVATIONS,
    MLPBody,
    Sim2RealNetwork,
    has_diverged,
    pointwise_loss,
    pointwise_loss_gradient,
)
from ._sparse import CompactBatch, TouchedRows, kernels
from ._stacked_adam import MemberAdam, schedule_factor
from ._stacked_batches import MemberBatches, MemberRows, padded


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
    sparse : bool, default=False
        Inputs are packed sparse rows (:mod:`._sparse`): the first layer
        multiplies each batch's compact matrix with the weight rows it touches.

    Examples
    --------
    >>> net = Sim2RealNetwork(MLPBody(3, (8, 4)), n_tasks=2)
    >>> stack = StackedMLP([net.state_dict(), net.state_dict()], "relu", 0.0, "cpu")
    >>> x = torch.randn(5, 3)
    >>> out = stack.forward(torch.stack([x, x]))
    >>> bool(torch.allclose(out[1], net(x), atol=1e-6)), tuple(out.shape)
    (True, (2, 5, 2))
    """

    def __init__(self, states, activation, dropout, device, sparse=False):
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
        self.sparse = sparse
        # the last sparse training batch for LazyAdam: (batch, gathered weight rows or None,
        # their gradient or None: autograd's, in gathered.grad; for a TouchedRows batch the
        # layer's output gradient, from which LazyAdam sums the rows')
        self.touched = None
        for p in self.parameters():
            p.requires_grad_(True)
        if sparse:
            # The first weight gets its gradient through the gathered rows only, and is
            # stored flat with one spare row that the batches' unused slots point at.
            M, n_columns, width = self.weights[0].shape
            flat = torch.zeros(M * n_columns + 1, width, device=device)
            flat[:-1] = self.weights[0].detach().reshape(-1, width)
            self.weights[0] = flat[:-1].view(M, n_columns, width)
            self._flat_first = flat

    @property
    def n_members(self):
        return self.weights[0].shape[0]

    def parameters(self):
        return self.weights + self.biases

    def first_rows(self):
        """The sparse first layer's weight, flat: ``(members * columns + 1, outputs)``."""
        return self._flat_first

    def gather_first(self, X, row_mask=None, keep=False):
        """A packed sparse batch as dense rows over the columns it touches, and their weights.

        Returns the :class:`~._sparse.CompactBatch` and the touched rows of the
        first weight, ``(members, U, outputs)``; ``keep`` remembers both as
        ``touched``, whose gradient :class:`~._sparse.LazyAdam` applies.
        """
        flat = self.first_rows()
        batch = CompactBatch(X, self.weights[0].shape[1], row_mask, padding_row=len(flat) - 1)
        # index_select over the flat rows: a third faster than indexing by a 2-D index
        gathered = flat.index_select(0, batch.rows.view(-1)).view(*batch.rows.shape, -1)
        if keep:
            self.touched = (batch, gathered, None)
        return batch, gathered

    def touched_rows(self, X, row_mask=None):
        """A packed batch as :class:`~._sparse.TouchedRows`; None without numba or off the CPU."""
        compiled = kernels() if X.device.type == "cpu" else None
        if compiled is None:
            return None
        flat = self.first_rows()
        return TouchedRows(X, self.weights[0].shape[1], row_mask, len(flat) - 1, compiled)

    def forward(self, X, no_dropout=None, row_mask=None, train_first=False):
        """``X`` of shape (members, rows, features) to outputs (members, rows, tasks).

        Packed sparse ``X`` is (members, rows, K, 2). ``no_dropout`` (members,)
        of bool marks members whose body is in eval mode (frozen); ``row_mask``
        (members, rows) is 0 on padding rows; ``train_first`` keeps the sparse
        batch's gathered rows for :class:`~._sparse.LazyAdam`.
        """
        last = len(self.weights) - 1
        h = X
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            if i == 0 and self.sparse:
                batch, gathered = self.gather_first(X, row_mask, keep=train_first)
                if train_first:
                    gathered.requires_grad_(True)
                h = torch.baddbmm(b, batch.X, gathered)
            else:
                h = _affine(h, W, b)
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


def _affine(h, W, b):
    """Every member's ``h @ W + b``: ``h`` (members, rows, in), ``W`` (members, in, out).

    A layer of one output (a single-task head) is a product and a sum over
    its inputs: a batched matrix product of one column costs about as much as
    one of a hundred (45 against 19 us for 8 members' batches of 32 rows and
    128 inputs). The same numbers to float32 round-off.
    """
    if W.shape[2] == 1:
        return (h * W.transpose(1, 2)).sum(dim=2, keepdim=True).add_(b)
    return torch.baddbmm(b, h, W)


def _layer_order(name):
    # body.layers.<i> first, in order, then heads
    if name.startswith("body."):
        return (0, int(name.split(".")[-1]))
    return (1, 0)


def _member_loss(pred, target, row_mask, kind, task_weights, weighted=False, complete=False):
    """Each member's loss, shaped (members,): MaskedLoss's per-task means, weighted over tasks.

    ``row_mask`` (members, rows) is 0 on padding rows; NaN targets are missing
    labels; with ``weighted`` the last column of ``target`` is each row's weight.
    ``complete`` says there is no missing label, no row weight and no task
    weight: the same means with fewer operations (the common fine-tuning stack).
    """
    if complete:
        diff = pred - target
        err = pointwise_loss(diff, kind)
        if row_mask is None:
            per_task = err.sum(dim=1) / err.shape[1]
        else:  # a member that sits out the step has no row: its loss is 0
            per_task = ((err * row_mask[..., None]).sum(dim=1)
                        / row_mask.sum(dim=1, keepdim=True).clamp(min=1))
        return per_task.sum(dim=1) / per_task.shape[1]
    row_weights = None
    if weighted:
        target, row_weights = target[..., :-1], target[..., -1:]
    observed = ~torch.isnan(target)
    if row_mask is not None:
        observed &= row_mask[..., None] > 0
    diff = torch.where(observed, pred - torch.nan_to_num(target), 0.0)
    err = pointwise_loss(diff, kind)
    if row_weights is not None:
        counts = (observed * row_weights).sum(dim=1)  # (members, tasks): the weight mass
        per_task = (err * row_weights).sum(dim=1) / counts.clamp(min=1e-12)
    else:
        counts = observed.sum(dim=1)  # (members, tasks)
        per_task = err.sum(dim=1) / counts.clamp(min=1)
    weights = (torch.ones_like(per_task) if task_weights is None
               else task_weights.expand_as(per_task))
    weights = weights * (counts > 0)
    return (weights * per_task).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-12)


@flush_denormals()
def train_stacked(members, X, Y, recipe, *, activation="relu", dropout=0.0, tasks,
                  task_weights=None, device="cpu", snapshot_epochs=(), sparse=False,
                  weighted=False):
    """Train every member on its rows with ``recipe``; return their final states and histories.

    Parameters
    ----------
    members : list of Member
        Same architecture (their ``state``). Members may have different
        numbers of rows: one with fewer rows sits out the last steps of each
        epoch, as it would take fewer steps alone.
    X : Tensor of shape (n_rows, n_features) or (n_members, n_rows, n_features)
        Inputs shared by every member, or each member's own (a trial's rows,
        in its own scaling); members' ``rows`` index the rows. Packed sparse
        rows (``sparse=True``) have two more dimensions, ``(K, 2)``, instead
        of ``n_features``.
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
    sparse : bool, default=False
        ``X`` holds packed sparse rows (:mod:`._sparse`).
    weighted : bool, default=False
        The last column of the targets is each row's weight (``sample_weight``).

    Returns
    -------
    states : list of dict
        Each member's final (or best) weights as a ``state_dict``.
    histories : list of list of dict
        Per epoch ``train_loss`` (and ``valid_loss``), as ``_train_phase`` gives them.
    snapshots : dict of int to list of dict
        Only when ``snapshot_epochs`` are given: the members' weights after each of them.
    """
    frozen = np.array([m.frozen for m in members])
    if frozen.any() and recipe.weight_decay > 0:
        raise ValueError("a frozen member needs a stack without weight decay")
    stack = StackedMLP([m.state for m in members], activation, dropout, device, sparse=sparse)
    batches = MemberBatches(members, recipe.batch_size)
    optimizer = MemberAdam(stack, recipe, kinds=list(zip(batches.steps, frozen)))
    M = len(members)
    frozen_tensor = torch.as_tensor(frozen, device=device)
    Ys = padded([Y if m.targets is None else m.targets for m in members], device)
    # no missing label on any member's rows, no row or task weight: the loss's short path
    complete = task_weights is None and not weighted and not any(
        bool(torch.isnan(Ys[m][torch.as_tensor(np.asarray(member.rows))]).any())
        for m, member in enumerate(members))
    # a batch's rows of each member's own inputs, or of the inputs every member shares
    rows_of_X = MemberRows(X) if X.dim() == (4 if sparse else 3) else X.__getitem__
    rows_of_Y = MemberRows(Ys)
    kinds = [m.loss or recipe.loss for m in members]
    weights = None if task_weights is None else torch.as_tensor(
        task_weights, dtype=torch.float32, device=device)[None]
    histories = [[] for _ in members]
    snapshots = {}
    stopped = np.zeros(M, dtype=bool)
    best = [(np.inf, None, 0) for _ in members]  # (loss, state, misses)
    by_epoch = recipe.lr_schedule != "onecycle"  # constant or cosine: one factor per epoch
    # The common stack (ReLU layers, no dropout, every label present, one loss)
    # takes its gradients from _step_by_hand, the rest from autograd.
    by_hand = complete and activation == "relu" and dropout == 0 and len(set(kinds)) == 1
    for epoch in range(recipe.epochs):
        stack.training = True
        total = torch.zeros(M, device=device)
        for step, (index, mask, active, counts) in enumerate(batches.epoch(device)):
            if step == 0 or not by_epoch:
                factors = [schedule_factor(recipe.lr_schedule, epoch, step, n_steps,
                                            recipe.epochs) for n_steps in batches.steps]
            for p in stack.parameters():
                p.grad = None
            inputs, targets = rows_of_X(index), rows_of_Y(index)
            if by_hand:
                loss = _step_by_hand(stack, inputs, targets, mask, kinds[0], tasks)
            else:
                pred = stack.forward(inputs, frozen_tensor, mask, train_first=True)[..., tasks]
                loss = _losses(pred, targets, mask, kinds, weights, weighted, complete)
                loss.sum().backward()
            optimizer.step(stack, active, frozen, factors)
            total += loss.detach() * counts
        train_loss = (total / batches.n_rows).cpu().numpy()  # one sync per epoch
        diverged = [m for m, (loss, kind) in enumerate(zip(train_loss.tolist(), kinds))
                    if has_diverged(loss, kind)]
        if diverged:
            raise FloatingPointError(
                f"members {diverged} of the stack diverged at epoch {epoch + 1} (loss "
                f"{train_loss[diverged[0]]:.3g}); train them alone to see which setting to "
                "change.")
        valid_loss = _valid_losses(stack, members, kinds, rows_of_X, rows_of_Y, tasks, weights,
                                   device, weighted)
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


@torch.no_grad()
def _step_by_hand(stack, X, target, row_mask, kind, tasks):
    """Forward and backward pass of a ReLU stack without autograd; returns the losses.

    The same products as autograd's (``bmm`` of a layer's inputs and the
    output gradient for a weight, a sum over rows for a bias), so the same
    gradients to float32 round-off, set as the stacked tensors' ``.grad``.
    For networks of a few hundred units the graph's bookkeeping costs about
    as much as the arithmetic: this path makes a stack's step about 1.4x faster.
    Only the losses' short path (``complete``: no missing label, no weight).
    """
    inputs = [X]  # each layer's input
    weights = list(stack.weights)
    touched = stack.touched_rows(X, row_mask) if stack.sparse else None
    if stack.sparse and touched is None:  # the batch's touched weight rows, as in forward()
        batch, weights[0] = stack.gather_first(X, row_mask, keep=True)
        inputs[0] = batch.X
    last = len(weights) - 1
    h = inputs[0]
    for i, (W, b) in enumerate(zip(weights, stack.biases)):
        if i == 0 and touched is not None:  # compiled loops over the non-zeros
            h = touched.forward(stack.first_rows(), b)
        else:
            h = _affine(h, W, b)
        if i < last:
            h = h.clamp_(min=0)
            inputs.append(h)
    pred = h[..., tasks]
    # Each member's loss is a mean over its rows and the tasks (as _member_loss's short
    # path); its derivative by the prediction is the pointwise one times the mean's weight.
    diff = pred - target
    err = pointwise_loss(diff, kind)
    grad = pointwise_loss_gradient(diff, kind)
    if row_mask is None:
        scale = 1.0 / (pred.shape[1] * pred.shape[2])
        loss = err.sum(dim=(1, 2)) * scale
        grad = grad.mul_(scale)
    else:
        counts = row_mask.sum(dim=1, keepdim=True).clamp(min=1)
        scale = (row_mask / (counts * pred.shape[2]))[..., None]
        loss = (err * scale).sum(dim=(1, 2))
        grad = grad.mul_(scale)
    if pred.shape[2] != h.shape[2]:  # outputs not trained get no gradient
        full = torch.zeros_like(h)
        full[..., tasks] = grad
        grad = full
    # (by the biases: a sparse first weight is trained through its gathered rows only)
    trainable = [b.requires_grad for b in stack.biases]
    for i in range(last, -1, -1):
        W, b = weights[i], stack.biases[i]
        if trainable[i]:
            if i == 0 and touched is not None:  # lazy Adam sums the rows' gradient itself
                stack.touched = (touched, None, grad)
            elif W.shape[2] == 1:  # (members, 1, in) holds the same numbers as (members, in, 1)
                W.grad = torch.bmm(grad.transpose(1, 2), inputs[i]).view(W.shape)
            else:
                W.grad = torch.bmm(inputs[i].transpose(1, 2), grad)
            b.grad = grad.sum(dim=1, keepdim=True)
        if not any(trainable[:i]):
            break  # the layers below are frozen: no gradient to pass down
        # one output: each row's gradient is its output's times the weights (an outer product)
        grad = grad * W.transpose(1, 2) if W.shape[2] == 1 else torch.bmm(grad, W.transpose(1, 2))
        # ReLU's gradient, by the kernel autograd uses (a comparison and a product cost 3x)
        grad = torch.ops.aten.threshold_backward(grad, inputs[i], 0.0)
    return loss


def _losses(pred, target, row_mask, kinds, weights, weighted=False, complete=False):
    """Each member's loss with its own kind."""
    if len(set(kinds)) == 1:
        return _member_loss(pred, target, row_mask, kinds[0], weights, weighted, complete)
    by_kind = {kind: _member_loss(pred, target, row_mask, kind, weights, weighted, complete)
               for kind in set(kinds)}
    return torch.stack([by_kind[kind][m] for m, kind in enumerate(kinds)])


@torch.no_grad()
def _valid_losses(stack, members, kinds, rows_of_X, rows_of_Y, tasks, weights, device, weighted):
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
    index, mask = index.to(device), mask.to(device)
    pred = stack.forward(rows_of_X(index), row_mask=mask)[..., tasks]
    return _losses(pred, rows_of_Y(index), mask, kinds, weights, weighted).cpu().numpy()


@torch.no_grad()
def predict_stacked(states, X_rows, activation, device="cpu", sparse=False):
    """Each member's outputs on its own rows: ``X_rows`` (members, rows, features), or packed."""
    stack = StackedMLP(states, activation, 0.0, device, sparse=sparse)
    stack.training = False
    return stack.forward(X_rows.to(device))


def network_from_state(state, body_params, n_features_in, n_tasks):
    """A :class:`Sim2RealNetwork` holding one member's weights."""
    with torch.random.fork_rng(devices=[]):
        network = Sim2RealNetwork(MLPBody(n_features_in, **body_params), n_tasks=n_tasks)
    network.load_state_dict(state)
    return network
