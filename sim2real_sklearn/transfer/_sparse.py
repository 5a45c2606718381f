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

With torch alone, lazy Adam gathers the touched rows of the weight and both
moments, updates them with the fused kernel and scatters them back (six
passes over scattered rows, about a third of a stacked step on chi). With
numba installed (``pip install "sim2real_sklearn[fast]"``) one
compiled loop updates the rows in place instead (:func:`adam_rows`, torch's
fused-kernel arithmetic element by element): a stack of eight chi networks
trains about 1.4x faster. The two paths agree to float32 round-off, not bit
for bit (torch's vectorised kernel uses fused multiply-adds). With numba a
stack's first layer also skips the compact matrix (:class:`TouchedRows`):
compiled loops over the non-zeros compute its output, and the touched rows'
gradient inside :func:`adam_rows`, row by row as it updates them; the
compact products (a batch of 32 chi rows touches about 210 columns, 22 of
them per row) spent 90% of their multiply-adds on zeros to get them.

Rows are stored *packed*: an array of shape ``(rows, K, 2)`` holding, for
each row, its column indices and values (``K`` the largest number of
non-zeros in a row; shorter rows padded with value 0). The single-model path
(``MLPBody``, a stack of one) and the stacked path (``StackedMLP``) run the
same functions, so a study's batched trials equal their fits alone.
"""

from types import SimpleNamespace

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


def adam_rows(weight, exp_avg, exp_avg_sq, rows, counts, grad, moving, step_size, bias2_sqrt,
              beta1, beta2, eps, weight_decay, l2sp, anchors, packed, mask, slots):
    """Adam on the touched rows of ``weight`` and its moments, in place; compiled by numba.

    Member ``m`` (a row of ``rows``, (members, U)) updates rows
    ``rows[m, :counts[m]]`` when ``moving[m]``, with its ``step_size`` ``lr /
    (1 - beta1**step)`` and ``bias2_sqrt`` ``sqrt(1 - beta2**step)``. Element
    by element the arithmetic of torch's CPU fused Adam (``FusedAdamKernel.cpp``,
    the original mode, float32), after L2-SP's pull ``l2sp * (w - anchor)``
    when ``anchors`` has rows: the same update as the gather, fused kernel and
    scatter of :meth:`LazyAdam.step`'s torch path, to round-off. A row must
    not appear twice (the rows of a batch are distinct per member, and
    members own distinct rows).

    ``grad`` is the touched rows' gradient (members, U, outputs); or, when
    ``slots`` has members (a :class:`TouchedRows` batch: ``packed``, ``mask``,
    ``slots``), the first layer's *output* gradient (members, batch, outputs),
    from which each member's rows' gradient is summed here, non-zero by
    non-zero, into a buffer that stays in cache: summing the gradient where
    it is used saves writing and reading it back (a fifth of the first
    layer's time on chi).

    What bounds it is arithmetic more than memory: on a stack of 8 chi
    networks it takes 0.42 ms with one batch's rows in cache and 0.46 ms
    cycling over 40 batches, and the update of a cached row costs 0.61 ns a
    weight with torch's two divisions and square root against 0.30 ns
    without them (AVX-512 host of 2026-12-08). Moments stored in bfloat16
    (a third fewer bytes) made a stack's training slower, not faster.
    """
    one = np.float32(1.0)
    lerp_weight = one - beta1  # exp_avg.lerp_(grad, 1 - beta1), the small-weight branch
    width = weight.shape[1]
    from_output = slots.shape[0] > 0
    pulled = anchors.shape[0] > 0
    buffer = np.zeros((rows.shape[1] if from_output else 0, width), np.float32)
    for m in range(rows.shape[0]):
        if not moving[m]:
            continue
        size, bias2 = step_size[m], bias2_sqrt[m]
        if from_output:  # the touched rows' gradient: value times the output's, per non-zero
            buffer[:counts[m]] = 0.0
            for b in range(slots.shape[1]):
                for k in range(slots.shape[2]):
                    s = slots[m, b, k]
                    if s < 0:
                        continue
                    v = packed[m, b, k, 1] * mask[m, b]
                    for j in range(width):
                        buffer[s, j] += v * grad[m, b, j]
            rows_grad = buffer
        else:
            rows_grad = grad[m]
        for i in range(counts[m]):
            r = rows[m, i]
            for j in range(width):
                p = weight[r, j]
                g = rows_grad[i, j]
                if pulled:
                    g = g + l2sp * (p - anchors[r, j])
                g = g + p * weight_decay
                a = exp_avg[r, j]
                a = a + lerp_weight * (g - a)
                exp_avg[r, j] = a
                s = exp_avg_sq[r, j] * beta2
                s = s + (one - beta2) * g * g
                exp_avg_sq[r, j] = s
                weight[r, j] = p - size * a / (np.sqrt(s) / bias2 + eps)


def touched_rows(packed, mask, n_columns, padding_row):
    """Each member's touched rows of a packed batch, and where each non-zero reads; numba.

    ``packed`` (members, batch, K, 2) and ``mask`` (members, batch), 0 on
    padding rows. Returns ``rows`` (members, U): member ``m``'s touched
    columns ``c`` as flat rows ``m * n_columns + c``, in increasing order,
    then ``padding_row``; ``counts`` (members,) of real slots; ``slots``
    (members, batch, K): the slot of each non-zero in its member's ``rows``,
    -1 for a zero (padding) entry. The same rows as :class:`CompactBatch`'s.
    """
    M, B, K = packed.shape[0], packed.shape[1], packed.shape[2]
    slot_of = np.full((M, n_columns), -1, np.int32)
    for m in range(M):
        for b in range(B):
            for k in range(K):
                if packed[m, b, k, 1] * mask[m, b] != 0:
                    slot_of[m, int(packed[m, b, k, 0])] = 0
    counts = np.zeros(M, np.int64)
    for m in range(M):
        for c in range(n_columns):  # number the touched columns in order
            if slot_of[m, c] == 0:
                slot_of[m, c] = counts[m]
                counts[m] += 1
    rows = np.full((M, max(1, counts.max())), padding_row, np.int64)
    for m in range(M):
        for c in range(n_columns):
            if slot_of[m, c] >= 0:
                rows[m, slot_of[m, c]] = m * n_columns + c
    slots = np.full((M, B, K), -1, np.int32)
    for m in range(M):
        for b in range(B):
            for k in range(K):
                if packed[m, b, k, 1] * mask[m, b] != 0:
                    slots[m, b, k] = slot_of[m, int(packed[m, b, k, 0])]
    return rows, counts, slots


def first_layer_forward(weight, bias, packed, mask, rows, slots, out):
    """``out = bias + X @ W`` of a stack's sparse first layer, over the non-zeros only; numba.

    ``weight`` the flat rows (members * columns + 1, outputs), ``bias``
    (members, 1, outputs), ``out`` (members, batch, outputs), written.
    """
    M, B, K = slots.shape
    for m in range(M):
        for b in range(B):
            for j in range(weight.shape[1]):
                out[m, b, j] = bias[m, 0, j]
            for k in range(K):
                s = slots[m, b, k]
                if s < 0:
                    continue
                v = packed[m, b, k, 1] * mask[m, b]
                r = rows[m, s]
                for j in range(weight.shape[1]):
                    out[m, b, j] += v * weight[r, j]


def kernels():
    """The compiled loops of this module, or None where numba is missing (torch path).

    A namespace of :func:`adam_rows`, :func:`touched_rows` and
    :func:`first_layer_forward` compiled by numba, once per process (cached
    on disk by numba). ``error_model="numpy"`` lets the inner loops vectorise
    (no zero-division check per element); ``fastmath={"contract"}`` lets them
    fuse a multiply and an add, as torch's vectorised kernels do (about 1.4x
    faster loops over the non-zeros; round-off only, nothing else of fast math).
    """
    global _KERNELS
    if _KERNELS is _UNSET:
        try:
            import numba
        except ImportError:
            _KERNELS = None
        else:
            compile = numba.njit(cache=True, nogil=True, error_model="numpy",
                                 fastmath={"contract"})
            _KERNELS = SimpleNamespace(**{f.__name__: compile(f) for f in (
                adam_rows, touched_rows, first_layer_forward)})
    return _KERNELS


_UNSET = object()
_KERNELS = _UNSET
# adam_rows' arguments of a batch whose touched rows' gradient is given (not a TouchedRows),
# and of a step without L2-SP: empty, so that no step allocates them
_NO_ANCHORS = np.zeros((0, 0), np.float32)
_NO_PACKED = np.zeros((0, 0, 0, 2), np.float32)
_NO_MASK = np.zeros((0, 0), np.float32)
_NO_SLOTS = np.zeros((0, 0, 0), np.int32)


class TouchedRows:
    """A stack's sparse first layer on a packed batch by compiled loops over its non-zeros.

    The same product as :class:`CompactBatch` (``X @ weight[rows]``, the
    same ``rows`` and ``counts`` for :class:`LazyAdam`), without the compact
    matrix: a batch of 32 chi rows touches about 210 columns but holds 22
    non-zeros a row, so the compact products multiply zeros 9 times in 10.
    The touched rows' gradient (``X.T @ grad``) is summed by
    :func:`adam_rows` itself, from the layer's output gradient, row by row
    as it updates them. Four times faster on a stack of eight chi networks
    (0.45 against 1.9 ms a step for the indexing, the forward product and the
    weight gradient). Made by :meth:`~._stacked.StackedMLP.touched_rows` when
    numba is installed.

    Parameters
    ----------
    packed : Tensor of shape (members, batch, K, 2), on the CPU
    n_columns : int
    row_mask : Tensor of shape (members, batch) or None
    padding_row : int
    compiled : namespace from :func:`kernels`
    """

    def __init__(self, packed, n_columns, row_mask, padding_row, compiled):
        self._packed = packed.contiguous().numpy()
        self._mask = (np.ones(self._packed.shape[:2], dtype=np.float32) if row_mask is None
                      else row_mask.to(torch.float32).contiguous().numpy())
        self._compiled = compiled
        rows, counts, self._slots = compiled.touched_rows(self._packed, self._mask, n_columns,
                                                          padding_row)
        self.rows, self.counts = torch.from_numpy(rows), torch.from_numpy(counts)

    def forward(self, weight, bias):
        """The layer's output before its activation, (members, batch, outputs)."""
        out = np.empty((*self._packed.shape[:2], weight.shape[1]), dtype=np.float32)
        self._compiled.first_layer_forward(weight.detach().numpy(),
                                           bias.detach().contiguous().numpy(), self._packed,
                                           self._mask, self.rows.numpy(), self._slots, out)
        return torch.from_numpy(out)


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
        """Move the touched rows of ``batch`` of the ``active`` members.

        ``batch`` is a :class:`CompactBatch` or :class:`TouchedRows`;
        ``gathered`` and ``grad`` (members, U, outputs) are the rows gathered
        for the batch (None: gathered here if needed) and their gradient, or,
        for :class:`TouchedRows`, ``grad`` is the layer's output gradient
        (members, batch, outputs), which :func:`adam_rows` turns into theirs;
        ``active`` (members,) of bool; ``lrs`` each member's learning rate.
        """
        compiled = kernels() if self.weight.device.type == "cpu" else None
        if compiled is not None:  # in place, L2-SP included
            self._step_in_place(compiled.adam_rows, batch, grad, active, lrs, weight_decay, l2sp)
            return
        rows = batch.rows.view(-1)
        shape = grad.shape
        if gathered is None:
            gathered = self.weight.index_select(0, rows).view(shape)
        if l2sp and self.anchors is not None:
            grad = grad + l2sp * (gathered - self.anchors.index_select(0, rows).view(shape))
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

    def _step_in_place(self, kernel, batch, grad, active, lrs, weight_decay, l2sp):
        """The same step by :func:`adam_rows`: the touched rows move where they are stored."""
        members = batch.rows.shape[0]
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
        anchors = self.anchors.numpy() if l2sp and self.anchors is not None else _NO_ANCHORS
        if isinstance(batch, TouchedRows):  # grad is the layer's output gradient
            packed, mask, slots = batch._packed, batch._mask, batch._slots
        else:
            packed, mask, slots = _NO_PACKED, _NO_MASK, _NO_SLOTS
        kernel(self.weight.detach().numpy(), self.exp_avg.numpy(), self.exp_avg_sq.numpy(),
               batch.rows.numpy(), batch.counts.numpy(), grad.detach().contiguous().numpy(),
               moving, step_size, bias2_sqrt, np.float32(BETAS[0]), np.float32(BETAS[1]),
               np.float32(EPS), np.float32(weight_decay), np.float32(l2sp), anchors,
               packed, mask, slots)

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
