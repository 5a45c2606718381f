"""Adam over a stack of networks, and the learning-rate schedules of its steps.

Each member of a :class:`~._stacked.StackedMLP` is the same training as alone:
its own Adam moments and step count (members that take every step together
share one fused call), the single-model path's learning-rate schedules read
per step, and :class:`~._sparse.LazyAdam` for a sparse first layer.
"""

import numpy as np
import torch

from ._sparse import LazyAdam, fused_adam


class MemberAdam:
    """Adam over stacked weights, one optimiser per member.

    Each member's slice of each stacked tensor is a parameter of its own with
    its own step count, updated by torch's fused Adam kernel: the update
    ``torch.optim.Adam(fused=True)`` gives one network alone. A member that
    sits out a step (its rows ran out before the others', or its body is
    frozen) is left out of that step, moments and step count included.
    A sparse first layer is updated by :class:`~._sparse.LazyAdam` instead.
    """

    def __init__(self, stack, recipe, kinds=None):
        M = stack.n_members
        n_body = len(stack.weights) - 1
        self.tensors = []  # (stacked tensor, is_body)
        for i, (W, b) in enumerate(zip(stack.weights, stack.biases)):
            if i < n_body and i < recipe.frozen_layers:
                W.requires_grad_(False)
                b.requires_grad_(False)
                continue
            for p in (W, b):
                if p.requires_grad:
                    self.tensors.append((p, i < n_body))
        exp_avgs = [torch.zeros_like(p) for p, _ in self.tensors]
        exp_avg_sqs = [torch.zeros_like(p) for p, _ in self.tensors]
        # Neighbouring members of one kind (the same steps per epoch, both frozen
        # or not) take every step together: one slice of the stacked tensors and
        # one step count serve the run, so an Adam step is a few fused calls
        # whatever the number of members (Adam is element-wise: the same update).
        kinds = [None] * M if kinds is None else list(kinds)
        self.runs = list(_runs(kinds))
        # per run and part ("body", "heads"): its parameters, moments and step counts
        self.parts = [{part: [(k, p.detach()[a:b], exp_avgs[k][a:b], exp_avg_sqs[k][a:b],
                               torch.zeros((), dtype=torch.float32))
                              for k, (p, is_body) in enumerate(self.tensors)
                              if is_body == (part == "body")]
                       for part in ("body", "heads")} for a, b in self.runs]
        self.recipe = recipe
        body = [p for p, is_body in self.tensors if is_body]
        self.anchors = (body, [p.detach().clone() for p in body]) if recipe.l2sp > 0 else None
        self.lazy = None
        if stack.sparse and recipe.frozen_layers == 0:
            first = stack.first_rows()
            self.lazy = LazyAdam(first, M, first.detach().clone() if recipe.l2sp > 0 else None,
                                 runs=self.runs)

    def step(self, stack, active, frozen, factors):
        """One step of the ``active`` members (bool, (M,)), with lr multipliers ``factors`` (M,)."""
        recipe = self.recipe
        if self.anchors is not None:
            # L2-SP (Li et al., ICML 2018), as the single-model path adds it to the gradients
            params, initial = self.anchors
            grads = [p.grad for p in params]
            torch._foreach_add_(grads, torch._foreach_sub(params, initial), alpha=recipe.l2sp)
        grads = [p.grad for p, _ in self.tensors]
        calls = {}
        for r, (a, b) in enumerate(self.runs):
            if not active[a]:
                continue
            for part in ("heads",) if frozen[a] else ("body", "heads"):
                lr = recipe.lr * factors[a] * (recipe.body_lr_ratio if part == "body" else 1.0)
                entry = calls.setdefault(lr, ([], [], [], [], []))
                for k, param, avg, sq, count in self.parts[r][part]:
                    entry[0].append(param)
                    entry[1].append(grads[k][a:b])
                    entry[2].append(avg)
                    entry[3].append(sq)
                    entry[4].append(count)
        for lr, (params, grad_list, avgs, sqs, steps) in calls.items():
            fused_adam(params, grad_list, avgs, sqs, steps, lr=lr, weight_decay=recipe.weight_decay)
        if self.lazy is not None and stack.touched is not None:
            batch, gathered, grad = stack.touched
            if grad is None:  # autograd's
                gathered, grad = gathered.detach(), gathered.grad
            lrs = recipe.lr * recipe.body_lr_ratio * np.asarray(factors)
            self.lazy.step(batch, gathered, grad, active & ~frozen, lrs,
                           weight_decay=recipe.weight_decay, l2sp=recipe.l2sp)
            stack.touched = None


def _runs(kinds):
    """``(start, stop)`` of each run of equal neighbours in ``kinds``."""
    start = 0
    for i in range(1, len(kinds) + 1):
        if i == len(kinds) or kinds[i] != kinds[start]:
            yield start, i
            start = i


def schedule_factor(schedule, epoch, step, steps_per_epoch, epochs):
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
