"""What each member of a stack sees at each step: its batch order, and its rows gathered.

A stack (:mod:`._stacked`) trains each member on its own rows in its own
order, as it would alone: :class:`MemberBatches` draws every member's
batches epoch by epoch (``_TensorBatches``' shuffling and cuts),
:class:`MemberRows` gathers a step's rows of every member at once, and
:func:`padded` lays the members' targets out as one tensor.
"""

import numpy as np
import torch

from ._training import _batch_bounds


class MemberBatches:
    """Each member's mini-batches, epoch by epoch, as ``_TensorBatches`` would draw them alone.

    Every epoch each member shuffles its rows with its own generator (seeded
    with its seed) and cuts them into batches (a last batch of one row joins
    the one before). Step ``s`` of the stack gathers every member's batch
    ``s``: ``index`` (members, width), padded with the member's own rows
    where ``mask`` is 0, which happens only when members have different
    numbers of rows; ``active`` (members,) says who has a batch at all.
    """

    def __init__(self, members, batch_size):
        self.rows = [torch.as_tensor(np.asarray(m.rows), dtype=torch.long) for m in members]
        self.generators = [torch.Generator().manual_seed(int(m.seed)) for m in members]
        self.bounds = [_batch_bounds(len(r), batch_size) for r in self.rows]
        self.steps = [len(b) for b in self.bounds]
        self.n_rows = torch.tensor([len(r) for r in self.rows], dtype=torch.float32)
        self.equal = len({len(r) for r in self.rows}) == 1
        if not self.equal:
            self._layout()

    def _layout(self):
        """Where each slot of each step reads its member's shuffled order (the same every epoch).

        ``position`` (members, steps, width) indexes the member's order (0 for a
        padding slot, any of its own rows, masked out); ``mask`` is 1 on real slots.
        """
        M, S = len(self.rows), max(self.steps)
        spans = np.zeros((M, S, 2), dtype=np.int64)
        for m, bounds in enumerate(self.bounds):
            spans[m, :len(bounds)] = bounds
        sizes = spans[..., 1] - spans[..., 0]
        self.widths = sizes.max(axis=0)
        slot = np.arange(self.widths.max())
        real = slot < sizes[..., None]
        position = np.where(real, spans[..., :1] + slot, 0)
        self.position = torch.as_tensor(position)
        self.mask = torch.as_tensor(real, dtype=torch.float32)
        self.counts = self.mask.sum(dim=2)
        self.active = sizes > 0

    def epoch(self, device):
        orders = [rows[torch.randperm(len(rows), generator=g)]
                  for rows, g in zip(self.rows, self.generators)]
        M = len(orders)
        if self.equal:  # the common case: one slice of a (members, rows) order per step
            order = torch.stack(orders).to(device)
            active = np.ones(M, dtype=bool)
            for start, stop in self.bounds[0]:
                yield (order[:, start:stop], None, active,
                       torch.full((M,), float(stop - start), device=device))
            return
        padded = torch.zeros(M, max(len(o) for o in orders), dtype=torch.long)
        for m, order in enumerate(orders):
            padded[m, :len(order)] = order
        index = torch.gather(padded, 1, self.position.view(M, -1)).view(self.position.shape)
        index, mask, counts = index.to(device), self.mask.to(device), self.counts.to(device)
        for step, width in enumerate(self.widths):
            yield (index[:, step, :width], mask[:, step, :width], self.active[:, step],
                   counts[:, step])


class MemberRows:
    """``data[m, index[m]]`` for every member ``m`` of ``index`` (members, width).

    One ``index_select`` over the members' rows laid end to end: a third of
    the time of indexing by two index tensors (54 against 18 us a step for
    8 members' batches of 190 features), which a step pays for its inputs and targets.
    """

    def __init__(self, data):
        self.shape = data.shape[2:]
        self.flat = data.reshape(-1, *self.shape)  # a view of the contiguous stacks
        self.offsets = torch.arange(data.shape[0], device=data.device)[:, None] * data.shape[1]

    def __call__(self, index):
        rows = (index + self.offsets).view(-1)
        return self.flat.index_select(0, rows).view(*index.shape, *self.shape)


def padded(tensors, device):
    """Tensors of shape (rows_i, ...) stacked as (n, max rows, ...), padded with NaN."""
    if tensors[0] is None:
        return None
    n_rows = max(len(t) for t in tensors)
    out = torch.full((len(tensors), n_rows, *tensors[0].shape[1:]), float("nan"))
    for i, t in enumerate(tensors):
        out[i, :len(t)] = t
    return out.to(device)
