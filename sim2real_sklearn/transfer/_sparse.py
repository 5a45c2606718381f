"""Sparse inputs: fingerprints whose columns are mostly zero.

A Morgan count fingerprint of 1025 columns holds about 22 non-zeros per row:
a dense first layer spends 98% of its multiply-adds on zeros, and Adam
rewrites all of its weights at every step although a batch of 32 rows
touches about one column in five. Read as sparse, the first layer of a batch

- gathers the rows of its weight (one per input column) that the batch
  touches, and multiplies the batch's *compact* matrix (rows by touched
  columns) with them: a small dense product instead of a wide one;
- gets the gradient of those weight rows only (autograd on the gathered
  rows, a leaf of their own);
- is updated by *lazy* Adam: the moments and weights of the touched rows
  move, the others wait for a batch that has their column (TensorFlow
  Addons' ``LazyAdam``; bias correction by the global step). Dense Adam
  would also move every untouched row along its old momentum; on the chi
  study the two give the same error within trial noise
  (``benchmarks/bench_chi_study.py`` measures both).

Lazy Adam is memory-bound: with torch alone it gathers the touched rows of
the weight and both moments, updates them with the fused kernel and scatters
them back (six passes over scattered rows, about a third of a stacked step on
chi). With numba installed (``pip install "sim2real_sklearn[fast]"``) one
compiled loop updates the rows in place instead (:func:`adam_rows`, torch's
fused-kernel arithmetic element by element): a stack of eight chi networks
trains about 1.4x faster. The two paths agree to float32 round-off, not bit
for bit (torch's vectorised kernel uses fused multiply-adds).

Rows are stored *packed*: an array of shape ``(rows, K, 2)`` holding, for
each row, its column indices and values (``K`` the largest number of
non-zeros in a row; shorter rows padded with value 0). The single-model path
(``MLPBody``, a stack of one) and the stacked path (``StackedMLP``) run the
same functions, so a study's batched trials equal their fits alone.
"""

import numpy as np
import scipy.sparse
import torch
from torch.optim.adam import adam as _adam

# A wide input whose share of non-zeros is at most this is read as sparse
# (sparse_input="auto"); below MIN_COLUMNS columns the dense product is fast anyway.
DENSITY = 0.1
MIN_COLUMNS = 512
BETAS, EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults, as the dense weights'


def fused_adam(params, grads, exp_avgs, exp_avg_sqs, steps, *, lr, weight_decay):
    """One step of ``torch.optim.Adam(fused=True)`` on lists of tensors of one device and dtype.

    The stacks' optimisers (:class:`LazyAdam`, ``_stacked_adam.MemberAdam``)
    call this at every step. It calls the fused kernel itself: torch's
    functional ``adam`` spends about as long again grouping the tensors by
    device and dtype, which a stack's tensors share (0.1 ms of a 1.3 ms step).
    Where the kernel is missing, the functional path: the same update.

    Every tensor must be contiguous: the CPU kernel (and torch's functional
    ``adam(fused=True)`` around it) walks each tensor's storage as if it were,
    so a strided view (a column slice, a transposed weight) would be updated
    in the wrong places and the memory beside it overwritten (measured with
    torch 2.13). Hence the check, which costs microseconds of a step.
    """
    if not params:
        return
    for name, tensors in (("params", params), ("grads", grads), ("exp_avgs", exp_avgs),
                          ("exp_avg_sqs", exp_avg_sqs)):
        for i, t in enumerate(tensors):
            if not t.is_contiguous():
                raise ValueError(f"fused_adam: {name}[{i}] of shape {tuple(t.shape)} is not "
                                 f"contiguous (strides {t.stride()}); the fused kernel would "
                                 f"write past it. Pass contiguous slices.")
    if _FUSED_KERNEL is None:
        _adam(params, grads, exp_avgs, exp_avg_sqs, [], steps, fused=True, amsgrad=False,
              beta1=BETAS[0], beta2=BETAS[1], lr=lr, weight_decay=weight_decay, eps=EPS,
              maximize=False)
        return
    torch._foreach_add_(steps, 1)  # as torch's _fused_adam does before the kernel
    _FUSED_KERNEL(params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False, lr=lr,
                  beta1=BETAS[0], beta2=BETAS[1], weight_decay=weight_decay, eps=EPS,
                  maximize=False, grad_scale=None, found_inf=None)


_FUSED_KERNEL = getattr(torch, "_fused_adam_", None)


def reads_as_sparse(X, sparse_input):
    """Whether the regressor reads ``X`` as sparse rows (``sparse_input`` True, False or "auto").

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((10, 600)); X[:, :5] = 1.0
    >>> bool(reads_as_sparse(X, "auto")), bool(reads_as_sparse(X, False))
    (True, False)
    >>> bool(reads_as_sparse(np.ones((10, 600)), "auto")), bool(reads_as_sparse(X[:, :100], "auto"))
    (False, False)
    """
    if sparse_input is False:
        return False
    if sparse_input is True:
        return True
    if scipy.sparse.issparse(X):
        return X.shape[1] >= MIN_COLUMNS and X.nnz <= DENSITY * X.shape[0] * X.shape[1]
    X = np.asarray(X)
    return X.ndim == 2 and X.shape[1] >= MIN_COLUMNS and np.count_nonzero(X) <= DENSITY * X.size


def pack_rows(X):
    """Rows as ``(rows, K, 2)`` float32: the column indices and values of their non-zeros.

    Examples
    --------
    >>> packed = pack_rows(np.array([[0.0, 2.0, 0.0], [3.0, 0.0, 4.0]]))
    >>> packed[..., 0].tolist(), packed[..., 1].tolist()
    ([[1.0, 0.0], [0.0, 2.0]], [[2.0, 0.0], [3.0, 4.0]])
    """
    X = scipy.sparse.csr_matrix(X, dtype=np.float32)
    X.sum_duplicates()
    X.eliminate_zeros()
    if X.shape[1] >= 2**24:
        raise ValueError(f"sparse inputs are limited to 2**24 columns, got {X.shape[1]}.")
    counts = np.diff(X.indptr)
    width = max(1, int(counts.max()) if len(counts) else 1)
    packed = np.zeros((X.shape[0], width, 2), dtype=np.float32)
    slot = np.arange(X.nnz) - np.repeat(X.indptr[:-1], counts)
    rows = np.repeat(np.arange(X.shape[0]), counts)
    packed[rows, slot, 0] = X.indices  # exact in float32 below 2**24 columns
    packed[rows, slot, 1] = X.data
    return packed


def pack_many(arrays, device="cpu"):
    """Several row sets packed into one tensor ``(sets, rows, K, 2)``, padded with empty rows."""
    packed = [pack_rows(a) for a in arrays]
    n_rows = max(len(p) for p in packed)
    width = max(p.shape[1] for p in packed)
    out = np.zeros((len(packed), n_rows, width, 2), dtype=np.float32)
    for i, p in enumerate(packed):
        out[i, :len(p), :p.shape[1]] = p
    return torch.as_tensor(out, device=device)


def adam_rows(weight, exp_avg, exp_avg_sq, rows, grad, slot_member, step_size, bias2_sqrt,
              beta1, beta2, eps, weight_decay):
    """Adam on the rows ``rows`` of ``weight`` and its moments, in place; compiled by numba.

    Slot ``i`` updates row ``rows[i]`` with gradient ``grad[i]`` as member
    ``slot_member[i]`` (-1: a padding slot or a member that sits out the
    step, skipped), whose ``step_size`` is ``lr / (1 - beta1**step)`` and
    ``bias2_sqrt`` is ``sqrt(1 - beta2**step)``. Element by element the
    arithmetic of torch's CPU fused Adam (``FusedAdamKernel.cpp``, the
    original mode, float32): the same update as the gather, fused kernel and
    scatter of :meth:`LazyAdam.step`'s torch path, to round-off. A slot's
    row must not appear in another real slot (the rows of a batch are
    distinct per member, and members own distinct rows).
    """
    one = np.float32(1.0)
    lerp_weight = one - beta1  # exp_avg.lerp_(grad, 1 - beta1), the small-weight branch
    for i in range(rows.shape[0]):
        m = slot_member[i]
        if m < 0:
            continue
        r = rows[i]
        size, bias2 = step_size[m], bias2_sqrt[m]
        for j in range(weight.shape[1]):
            p = weight[r, j]
            g = grad[i, j] + p * weight_decay
            a = exp_avg[r, j]
            a = a + lerp_weight * (g - a)
            exp_avg[r, j] = a
            s = exp_avg_sq[r, j] * beta2
            s = s + (one - beta2) * g * g
            exp_avg_sq[r, j] = s
            weight[r, j] = p - size * a / (np.sqrt(s) / bias2 + eps)


def rows_kernel():
    """:func:`adam_rows` compiled by numba, or None where numba is missing (torch path).

    Compiled once per process (cached on disk by numba); ``error_model="numpy"``
    lets the inner loop vectorise (no zero-division check per element).
    """
    global _ROWS_KERNEL
    if _ROWS_KERNEL is _UNSET:
        try:
            import numba
        except ImportError:
            _ROWS_KERNEL = None
        else:
            _ROWS_KERNEL = numba.njit(cache=True, nogil=True, error_model="numpy")(adam_rows)
    return _ROWS_KERNEL


_UNSET = object()
_ROWS_KERNEL = _UNSET


class CompactBatch:
    """A batch of packed rows as a dense matrix over the columns it touches.

    For ``packed`` of shape ``(members, batch, K, 2)``: ``rows`` (members,
    U) are the touched rows of the stacked first-layer weight, flat over
    ``members * n_columns`` (member ``m``'s column ``c`` at ``m * n_columns +
    c``), each member's in increasing order; member ``m``'s first
    ``counts[m]`` slots are real, the others point at ``padding_row``. ``X``
    (members, batch, U) holds the values, so that ``X @ weight[rows]`` is the
    first layer's product.

    Parameters
    ----------
    packed : Tensor of shape (members, batch, K, 2)
    n_columns : int
        Input columns of one member.
    row_mask : Tensor of shape (members, batch) or None
        0 for padding rows of the batch: they touch nothing.
    padding_row : int, default=0
        The row that unused slots point at (a spare row of the weight's
        storage in a stack, so that writing the slots back changes nothing real).

    Examples
    --------
    >>> x = torch.tensor([[0.0, 0.0, 5.0], [1.0, 0.0, 0.0]])       # 2 rows, 3 columns
    >>> batch = CompactBatch(torch.as_tensor(pack_rows(x))[None], 3)
    >>> batch.rows.tolist(), batch.X.tolist()
    ([[0, 2]], [[[0.0, 5.0], [1.0, 0.0]]])
    """

    def __init__(self, packed, n_columns, row_mask=None, padding_row=0):
        columns, values = packed[..., 0].long(), packed[..., 1]
        if row_mask is not None:
            values = values * row_mask[..., None]
        members, batch, width = columns.shape
        used = values != 0
        # Which columns each member's batch touches, as a (members, columns) map: a
        # cumulative sum then numbers them, in order (no sort, unlike torch.unique).
        touched = torch.zeros(members, n_columns + 1, dtype=torch.int32, device=columns.device)
        touched.scatter_(1, torch.where(used, columns, n_columns).view(members, -1), 1)
        touched = touched[:, :n_columns]
        slot_of = torch.cumsum(touched, dim=1, dtype=torch.int32) - 1
        self.counts = touched.sum(dim=1)
        size = max(1, int(self.counts.max()))  # a host read; cheap on the CPU
        member, column = torch.nonzero(touched, as_tuple=True)
        slot = slot_of[member, column].long()
        self.rows = torch.full((members, size), padding_row, dtype=torch.long,
                               device=columns.device)
        self.rows[member, slot] = member * n_columns + column
        self.X = torch.zeros(members, batch, size, device=values.device)
        m, b, k = torch.nonzero(used, as_tuple=True)
        self.X[m, b, slot_of[m, columns[m, b, k]].long()] = values[m, b, k]


class LazyAdam:
    """Adam on the touched rows of first-layer weights, one optimiser state per member.

    ``weight`` is ``(rows, outputs)``: the stacked first layers of a stack
    (``members * columns`` rows and a spare one for padding slots), or the
    transposed weight of one ``Linear`` (a view: the update writes through
    it). Each step moves the touched rows with torch's fused Adam kernel,
    each member with its own step count, as ``torch.optim.Adam`` would move a
    weight whose other rows have no gradient.

    Parameters
    ----------
    weight : Tensor of shape (rows, outputs)
        Updated in place.
    n_members : int, default=1
    anchors : Tensor or None
        The starting weight, for L2-SP.
    """

    def __init__(self, weight, n_members=1, anchors=None, runs=None):
        self.weight = weight
        self.exp_avg = torch.zeros(weight.shape, dtype=weight.dtype, device=weight.device)
        self.exp_avg_sq = torch.zeros_like(self.exp_avg)
        self.anchors = anchors
        # Runs of neighbouring members that take every step together (a stack's,
        # whose unused slots all point at its spare row): each run is updated as
        # one slab, its members' unused slots included. Their gradient is zero and
        # so are the spare row's weight and moments, so Adam leaves them at zero.
        self.runs = runs
        # Adam's step count of each run, or of each member without runs.
        self.steps = [torch.zeros((), dtype=torch.float32)
                      for _ in (range(n_members) if runs is None else runs)]

    @torch.no_grad()
    def step(self, batch, gathered, grad, active, lrs, *, weight_decay=0.0, l2sp=0.0):
        """Move the touched rows of ``batch`` (a :class:`CompactBatch`) of the ``active`` members.

        ``gathered`` and ``grad`` (members, U, outputs) are the rows gathered
        for the batch and their gradient; ``active`` (members,) of bool;
        ``lrs`` each member's learning rate.
        """
        rows = batch.rows.view(-1)
        shape = gathered.shape
        if l2sp and self.anchors is not None:
            grad = grad + l2sp * (gathered - self.anchors.index_select(0, rows).view(shape))
        kernel = rows_kernel() if self.weight.device.type == "cpu" else None
        if kernel is not None:
            self._step_in_place(kernel, batch, grad, active, lrs, weight_decay)
            return
        avgs = self.exp_avg.index_select(0, rows).view(shape)
        sqs = self.exp_avg_sq.index_select(0, rows).view(shape)
        by_lr = {}
        for lr, items in self._slabs(batch, active, lrs, (gathered, grad, avgs, sqs)):
            for values, item in zip(by_lr.setdefault(lr, ([], [], [], [], [])), items):
                values.append(item)
        for lr, (p, g, a, s, steps) in by_lr.items():
            fused_adam(p, g, a, s, steps, lr=lr, weight_decay=weight_decay)
        # Unused slots point at a spare row (or at rows nobody moved): writing them back
        # is harmless.
        self.weight.index_copy_(0, rows, gathered.reshape(-1, shape[-1]))
        self.exp_avg.index_copy_(0, rows, avgs.view(-1, shape[-1]))
        self.exp_avg_sq.index_copy_(0, rows, sqs.view(-1, shape[-1]))

    def _step_in_place(self, kernel, batch, grad, active, lrs, weight_decay):
        """The same step by :func:`adam_rows`: the touched rows move where they are stored."""
        members, width = batch.rows.shape
        counts = batch.counts.cpu().numpy()
        moving = np.zeros(members, dtype=bool)
        step_size = np.zeros(members, dtype=np.float32)
        bias2_sqrt = np.ones(members, dtype=np.float32)
        groups = ([(a, b, steps) for (a, b), steps in zip(self.runs, self.steps)]
                  if self.runs is not None else
                  [(m, m + 1, steps) for m, steps in enumerate(self.steps)])
        for a, b, steps in groups:
            if not active[a]:
                continue
            steps += 1  # a step even for a batch of empty rows, as dense Adam's
            t = float(steps)
            # as torch's kernel: in double, then float32 for the arithmetic
            step_size[a:b] = float(lrs[a]) / (1 - BETAS[0] ** t)
            bias2_sqrt[a:b] = np.sqrt(1 - BETAS[1] ** t)
            moving[a:b] = True
        slot_member = np.where(moving[:, None] & (np.arange(width) < counts[:, None]),
                               np.arange(members)[:, None], -1).reshape(-1)
        kernel(self.weight.detach().numpy(), self.exp_avg.numpy(), self.exp_avg_sq.numpy(),
               batch.rows.reshape(-1).numpy(),
               grad.detach().reshape(members * width, -1).contiguous().numpy(), slot_member,
               step_size, bias2_sqrt, np.float32(BETAS[0]), np.float32(BETAS[1]),
               np.float32(EPS), np.float32(weight_decay))

    def _slabs(self, batch, active, lrs, tensors):
        """``(lr, (weights, gradient, moments..., step count))`` of each slab Adam moves.

        ``tensors`` are shaped (members, U, outputs): a run's members as one
        slab, or without runs each member's real slots.
        """
        if self.runs is not None:
            for (a, b), steps in zip(self.runs, self.steps):
                if active[a]:
                    yield float(lrs[a]), (*(t[a:b] for t in tensors), steps)
            return
        for m, count in enumerate(batch.counts.tolist()):
            if not active[m]:
                continue
            if not count:  # a batch of empty rows: a step all the same, as dense Adam's
                self.steps[m] += 1
                continue
            yield float(lrs[m]), (*(t[m, :count] for t in tensors), self.steps[m])
