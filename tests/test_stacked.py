"""Many networks trained as one stack: each member is the same training as alone."""

import numpy as np
import pytest
import torch

from sim2real_sklearn._torch_threads import torch_threads
from sim2real_sklearn.transfer._networks import MLPBody, Sim2RealNetwork
from sim2real_sklearn.transfer._stacked import Member, Recipe, predict_stacked, train_stacked
from sim2real_sklearn.transfer._training import _train_phase

RNG = np.random.default_rng(0)
N, F = 120, 12
X = torch.tensor(RNG.normal(size=(N, F)), dtype=torch.float32)
Y = torch.tensor(RNG.normal(size=(N, 1)), dtype=torch.float32)


def network(seed, freeze=None):
    torch.manual_seed(seed)
    net = Sim2RealNetwork(MLPBody(F, (32, 16)), n_tasks=2)
    if freeze is not None:
        net.freeze_body(None if freeze == "all" else freeze)
    return net


def alone(seed, rows, targets, recipe, loss, freeze=None):
    settings = dict(epochs=recipe.epochs, lr=recipe.lr, batch_size=recipe.batch_size,
                    weight_decay=recipe.weight_decay, early_stopping=False,
                    validation_fraction=0.1, n_iter_no_change=10, lr_schedule=recipe.lr_schedule,
                    loss=loss, body_lr_ratio=recipe.body_lr_ratio, l2sp=recipe.l2sp)
    net, history = _train_phase(network(seed, freeze), X[rows], targets[rows], tasks=slice(1, 2),
                                settings=settings, seed=100 + seed, device="cpu")
    return [h["train_loss"] for h in history], net.module_.state_dict()


RECIPES = {
    "plain": Recipe(epochs=4, batch_size=32),
    "recipe": Recipe(epochs=4, batch_size=32, lr=3e-3, weight_decay=1e-3, body_lr_ratio=0.3,
                     l2sp=0.5, lr_schedule="onecycle", loss="huber"),
    "partly frozen": Recipe(epochs=4, batch_size=16, frozen_layers=1, lr_schedule="cosine"),
}


@pytest.mark.parametrize("name", RECIPES)
def test_each_member_trains_as_it_would_alone(name):
    recipe = RECIPES[name]
    freeze = 1 if recipe.frozen_layers else None
    members, expected = [], []
    with torch_threads(1):
        for seed in range(3):
            rows = np.sort(RNG.choice(N, 90, replace=False))
            members.append(Member(state=network(seed).state_dict(), rows=rows, seed=100 + seed))
            expected.append(alone(seed, rows, Y, recipe, recipe.loss, freeze))
        states, histories = train_stacked(members, X, Y, recipe, tasks=slice(1, 2))
    for (losses, state), got_state, history in zip(expected, states, histories):
        # the first epochs' losses equal to float32 round-off, and so the weights
        np.testing.assert_allclose([h["train_loss"] for h in history], losses, rtol=1e-5)
        for key in state:
            np.testing.assert_allclose(got_state[key].numpy(), state[key].numpy(), atol=1e-5)


def test_members_of_other_strategies_share_a_stack():
    # fine-tuned, frozen (whole body), and with another loss and target scaling
    recipe = Recipe(epochs=4, batch_size=32)
    specs = [(0, None, "mse", Y), (1, "all", "mse", 3 * Y + 1), (2, None, "l1", 3 * Y + 1)]
    members, expected = [], []
    with torch_threads(1):
        for seed, freeze, loss, targets in specs:
            rows = np.sort(RNG.choice(N, 90, replace=False))
            members.append(Member(state=network(seed).state_dict(), rows=rows, seed=100 + seed,
                                  targets=targets, loss=loss, frozen=freeze == "all"))
            expected.append(alone(seed, rows, targets, recipe, loss, freeze))
        states, histories = train_stacked(members, X, Y, recipe, tasks=slice(1, 2))
    for (losses, state), got_state, history in zip(expected, states, histories):
        np.testing.assert_allclose([h["train_loss"] for h in history], losses, rtol=1e-5)
        for key in state:
            np.testing.assert_allclose(got_state[key].numpy(), state[key].numpy(), atol=1e-5)
    # the frozen member's body is exactly as it started
    start = network(1).state_dict()
    assert all(torch.equal(states[1][k], start[k]) for k in start if k.startswith("body."))


def test_snapshots_are_the_same_trajectory_read_earlier():
    recipe = Recipe(epochs=6, batch_size=32)
    rows = np.arange(90)
    members = [Member(state=network(0).state_dict(), rows=rows, seed=100)]
    _, _, snapshots = train_stacked(members, X, Y, recipe, tasks=slice(1, 2), snapshot_epochs=(3,))
    shorter, _ = train_stacked(members, X, Y, Recipe(epochs=3, batch_size=32), tasks=slice(1, 2))
    for key in shorter[0]:
        np.testing.assert_allclose(snapshots[3][0][key].numpy(), shorter[0][key].numpy(),
                                   atol=1e-6)


@pytest.mark.parametrize("loss", ["l1", "mse"])
def test_the_stack_names_the_member_that_diverged(loss):
    # Member 1's targets are off by 1e9 (unscaled): its epoch's loss is far beyond
    # the 1e7 standard deviations has_diverged allows; member 0's is not.
    members = [Member(state=network(s).state_dict(), rows=np.arange(90), seed=s,
                      targets=Y * scale, loss=loss) for s, scale in enumerate([1.0, 1e9])]
    with pytest.raises(FloatingPointError,
                       match=r"^members \[1\] of the stack diverged at epoch 1 \(loss "
                             r"[0-9.]+e\+[0-9]+\); train them alone"):
        train_stacked(members, X, Y, Recipe(epochs=3, batch_size=32), tasks=slice(1, 2))
    # Targets off by 1e5 train on: a large loss is not a diverged one.
    members[1].targets = Y * 1e5
    _, histories = train_stacked(members, X, Y, Recipe(epochs=3, batch_size=32, loss="l1"),
                                 tasks=slice(1, 2))
    assert len(histories[1]) == 3 and np.isfinite(histories[1][-1]["train_loss"])


def test_early_stopping_gives_each_member_its_best_weights():
    recipe = Recipe(epochs=40, batch_size=32, lr=3e-2, patience=3)
    members = [Member(state=network(s).state_dict(), rows=np.arange(80), seed=s,
                      valid_rows=np.arange(80, 120)) for s in range(2)]
    states, histories = train_stacked(members, X, Y, recipe, tasks=slice(1, 2))
    for state, history in zip(states, histories):
        assert len(history) < 40  # stopped
        best = min(h["valid_loss"] for h in history)
        out = predict_stacked([state], X[80:][None], "relu")[0, :, 1:]
        assert float(((out - Y[80:]) ** 2).mean()) == pytest.approx(best, rel=1e-4)


@pytest.mark.parametrize("schedule", ["constant", "onecycle"])
def test_members_with_fewer_rows_train_as_alone(schedule):
    # a group split gives each trial its own number of training rows: 70 rows take 3
    # steps per epoch, 90 rows 3 (the last of 26), 41 rows 2 (the last of 9, then 1 joins)
    recipe = Recipe(epochs=4, batch_size=32, lr=3e-3, lr_schedule=schedule, l2sp=0.1)
    members, expected = [], []
    with torch_threads(1):
        for seed, n in enumerate([90, 70, 41]):
            rows = np.sort(RNG.choice(N, n, replace=False))
            members.append(Member(state=network(seed).state_dict(), rows=rows, seed=100 + seed))
            expected.append(alone(seed, rows, Y, recipe, "mse"))
        states, histories = train_stacked(members, X, Y, recipe, tasks=slice(1, 2))
    for (losses, state), got_state, history in zip(expected, states, histories):
        np.testing.assert_allclose([h["train_loss"] for h in history], losses, rtol=1e-5)
        for key in state:
            np.testing.assert_allclose(got_state[key].numpy(), state[key].numpy(), atol=1e-5)


# -- sparse inputs: the same arithmetic in a stack and alone ---------------------------


def sparse_problem(n=150, columns=200, seed=0):
    import scipy.sparse

    from sim2real_sklearn.transfer._sparse import pack_rows

    X_sparse = scipy.sparse.random(n, columns, density=0.04, random_state=seed, format="csr",
                                   dtype=np.float32)
    y = X_sparse @ np.random.default_rng(seed).normal(size=columns)
    Y_sparse = torch.tensor(((y - y.mean()) / y.std())[:, None], dtype=torch.float32)
    return X_sparse, torch.as_tensor(pack_rows(X_sparse)), Y_sparse


def numba_kernels():
    """The compiled loops of the sparse path; the test is skipped where numba is missing."""
    from sim2real_sklearn.transfer import _sparse

    compiled = _sparse.kernels()
    if compiled is None:
        pytest.skip("numba is not installed (pip install 'sim2real_sklearn[fast]')")
    return compiled


def sparse_network(seed, columns):
    torch.manual_seed(seed)
    return Sim2RealNetwork(MLPBody(columns, (32, 16)), n_tasks=1)


@pytest.mark.parametrize("recipe", [
    Recipe(epochs=3, batch_size=32, lr=3e-3),
    Recipe(epochs=3, batch_size=16, lr=3e-3, weight_decay=1e-3, body_lr_ratio=0.3, l2sp=0.5,
           lr_schedule="cosine"),
], ids=["plain", "recipe"])
@pytest.mark.parametrize("lazy_adam", ["compiled", "torch"])
def test_sparse_members_train_as_alone(recipe, lazy_adam, monkeypatch):
    # both ways of updating the touched rows: in place (numba) and gathered (torch only)
    from sim2real_sklearn.transfer import _sparse

    if lazy_adam == "compiled":
        numba_kernels()
    if lazy_adam == "torch":
        monkeypatch.setattr(_sparse, "_KERNELS", None)
    X_sparse, packed, Y_sparse = sparse_problem()
    settings = dict(epochs=recipe.epochs, lr=recipe.lr, batch_size=recipe.batch_size,
                    weight_decay=recipe.weight_decay, early_stopping=False,
                    validation_fraction=0.1, n_iter_no_change=10, lr_schedule=recipe.lr_schedule,
                    body_lr_ratio=recipe.body_lr_ratio, l2sp=recipe.l2sp)
    members, expected = [], []
    with torch_threads(1):
        for seed, n in enumerate([150, 120]):
            rows = np.arange(n)
            members.append(Member(state=sparse_network(seed, 200).state_dict(), rows=rows,
                                  seed=10 + seed))
            net, history = _train_phase(sparse_network(seed, 200), packed[rows], Y_sparse[rows],
                                        tasks=slice(0, 1), settings=settings, seed=10 + seed,
                                        device="cpu")
            expected.append(([h["train_loss"] for h in history], net.module_.state_dict()))
        states, histories = train_stacked(members, packed, Y_sparse, recipe, tasks=slice(0, 1),
                                          sparse=True)
    for (losses, state), got_state, history in zip(expected, states, histories):
        np.testing.assert_allclose([h["train_loss"] for h in history], losses, rtol=1e-5)
        for key in state:
            np.testing.assert_allclose(got_state[key].numpy(), state[key].numpy(), atol=1e-5)


def test_sparse_first_layer_computes_the_dense_product():
    X_sparse, packed, _ = sparse_problem(n=40)
    net = sparse_network(0, 200).eval()
    with torch.no_grad():
        dense = net(torch.as_tensor(X_sparse.toarray()))
        sparse = net(packed)
    np.testing.assert_allclose(sparse.numpy(), dense.numpy(), atol=1e-5)


def test_lazy_adam_moves_only_the_touched_rows():
    # the first layer's weight rows of columns no training row holds stay as they started
    from sim2real_sklearn.transfer._sparse import pack_rows

    X_sparse, _, Y_sparse = sparse_problem()
    X_sparse = X_sparse.tolil()
    X_sparse[:, :20] = 0.0  # columns no row holds
    packed = torch.as_tensor(pack_rows(X_sparse))
    untouched = np.arange(20)
    start = sparse_network(0, 200)
    before = start.body.layers[0].weight.detach().clone()
    settings = dict(epochs=2, lr=1e-2, batch_size=32, weight_decay=0.0, early_stopping=False,
                    validation_fraction=0.1, n_iter_no_change=10)
    _train_phase(start, packed, Y_sparse, tasks=slice(0, 1), settings=settings, seed=0,
                 device="cpu")
    after = start.body.layers[0].weight.detach()
    assert torch.equal(after[:, untouched], before[:, untouched])
    touched = np.setdiff1d(np.arange(200), untouched)
    assert (after[:, touched] != before[:, touched]).any(dim=0).all()


@pytest.mark.parametrize("kind", ["mse", "l1", "huber"])
@pytest.mark.parametrize("padded", [False, True])
def test_gradients_by_hand_equal_autograd(kind, padded):
    from sim2real_sklearn.transfer._stacked import StackedMLP, _losses, _step_by_hand

    states = [network(seed).state_dict() for seed in range(3)]
    index = torch.as_tensor(RNG.choice(N, size=(3, 20)))
    mask = None
    if padded:  # the last member has 12 real rows, as in a stack of unequal members
        mask = torch.ones(3, 20)
        mask[2, 12:] = 0
    targets = 3 * Y[index]
    grads = []
    for by_hand in (False, True):
        stack = StackedMLP(states, "relu", 0.0, "cpu")
        stack.weights[0].requires_grad_(False)  # a frozen first layer gets no gradient
        stack.biases[0].requires_grad_(False)
        if by_hand:
            loss = _step_by_hand(stack, X[index], targets, mask, kind, slice(1, 2))
        else:
            loss = _losses(stack.forward(X[index], row_mask=mask)[..., 1:2], targets, mask,
                           [kind] * 3, None, complete=True)
            loss.sum().backward()
        grads.append((loss.detach(), [None if p.grad is None else p.grad.clone()
                                      for p in stack.parameters()]))
    (auto_loss, auto_grads), (hand_loss, hand_grads) = grads
    torch.testing.assert_close(hand_loss, auto_loss)
    n_layers = len(stack.weights)  # parameters(): the weights, then the biases
    assert hand_grads[0] is None and hand_grads[n_layers] is None
    for got, expected in zip(hand_grads, auto_grads):
        if expected is not None:
            assert got.abs().max() > 0
            torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_the_fused_kernel_called_directly_is_torchs_adam(monkeypatch):
    # The stacks call torch's fused Adam kernel without the functional wrapper; where
    # the kernel is missing they fall back to the wrapper. Both must be torch's Adam.
    from sim2real_sklearn.transfer import _sparse

    def run():
        torch.manual_seed(0)
        weights = [torch.randn(5, 3), torch.randn(4)]
        reference = [w.clone().requires_grad_(True) for w in weights]
        optimiser = torch.optim.Adam(reference, lr=0.01, weight_decay=0.1, fused=True)
        avgs, sqs = [torch.zeros_like(w) for w in weights], [torch.zeros_like(w) for w in weights]
        steps = [torch.zeros(()) for _ in weights]
        for k in range(3):
            grads = [torch.full_like(w, k + 1.0) * torch.randn_like(w) for w in weights]
            for r, g in zip(reference, grads):
                r.grad = g.clone()
            optimiser.step()
            _sparse.fused_adam(weights, grads, avgs, sqs, steps, lr=0.01, weight_decay=0.1)
        for w, r in zip(weights, reference):
            torch.testing.assert_close(w, r.detach(), rtol=0, atol=0)
        assert [float(s) for s in steps] == [3.0, 3.0]

    run()
    monkeypatch.setattr(_sparse, "_FUSED_KERNEL", None)
    run()


def test_fused_adam_refuses_a_strided_view_instead_of_writing_past_it():
    # torch's CPU kernel walks a strided view's storage as if it were contiguous: a
    # column slice would be updated in the wrong places, its neighbours overwritten.
    from sim2real_sklearn.transfer._sparse import fused_adam

    storage = torch.randn(3, 8)
    before = storage.clone()
    weight, moment = storage[:, :4], storage[:, 4:]  # views with a row stride of 8
    with pytest.raises(ValueError, match=r"params\[0\] of shape \(3, 4\) is not contiguous"):
        fused_adam([weight], [torch.ones(3, 4)], [moment], [torch.zeros(3, 4)],
                   [torch.zeros(())], lr=0.1, weight_decay=0.0)
    torch.testing.assert_close(storage, before, rtol=0, atol=0)  # nothing was written


@pytest.mark.parametrize("stacked", [True, False], ids=["a stack's rows", "one transposed weight"])
def test_rows_updated_in_place_equal_the_gathered_torch_update(stacked, monkeypatch):
    # numba's loop (torch's fused-kernel arithmetic, element by element) against the
    # gather, fused kernel and scatter of the torch path: members with their own
    # learning rates, one sitting out a step, padding slots, weight decay and L2-SP.
    from sim2real_sklearn.transfer import _sparse

    kernels = numba_kernels()
    rng = np.random.default_rng(3)
    members, columns, outputs = (3, 40, 16) if stacked else (1, 40, 16)
    X_rows = rng.poisson(0.15, size=(6, members, 8, columns)).astype(np.float32)
    X_rows[:, :, :, 30:] = 0.0  # columns no row holds: their rows must not move
    start = torch.randn(columns, outputs) if not stacked else torch.randn(
        members * columns + 1, outputs)
    if stacked:
        start[-1] = 0.0  # the spare row that padding slots point at

    def train(kernel):
        monkeypatch.setattr(_sparse, "_KERNELS", kernel)
        if stacked:
            weight = start.clone()
            lazy = _sparse.LazyAdam(weight, members, anchors=start.clone(), runs=[(0, 2), (2, 3)])
        else:  # the single-model path: a transposed view of a Linear's weight
            linear = start.t().contiguous()
            weight = linear.t()
            lazy = _sparse.LazyAdam(weight, anchors=weight.clone())
        for step, x in enumerate(X_rows):
            packed = _sparse.pack_many(list(x))
            batch = _sparse.CompactBatch(packed, columns,
                                         padding_row=len(weight) - 1 if stacked else 0)
            gathered = weight.index_select(0, batch.rows.view(-1)).view(
                *batch.rows.shape, outputs)
            # the first layer's weight gradient: zero on padding slots, as in training
            grad = torch.bmm(batch.X.transpose(1, 2), torch.as_tensor(output_grads[step]))
            active = np.ones(members, dtype=bool)
            if stacked and step == 2:
                active[2] = False
            lazy.step(batch, gathered, grad, active, np.array([1e-2, 1e-2, 3e-3]),
                      weight_decay=1e-3, l2sp=0.1)
        return weight.clone(), lazy.exp_avg.clone(), lazy.exp_avg_sq.clone(), lazy.steps

    output_grads = rng.normal(size=(len(X_rows), members, 8, outputs)).astype(np.float32)
    compiled, reference = train(kernels), train(None)
    for got, want in zip(compiled[:3], reference[:3]):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    assert [float(s) for s in compiled[3]] == [float(s) for s in reference[3]]
    moved = (compiled[0] != start).any(dim=1)
    assert moved.any()
    held = np.arange(30, columns)  # rows of columns no batch touched
    rows = np.concatenate([held + m * columns for m in range(members)])
    assert not moved[rows].any()


@pytest.mark.parametrize("padded", [False, True])
def test_compiled_sparse_layer_equals_the_compact_products(padded):
    # TouchedRows (numba loops over the non-zeros) against CompactBatch (dense products
    # over the touched columns): the same rows for lazy Adam, the same layer output and
    # weight gradient; padding rows of a member with fewer rows touch nothing.
    from sim2real_sklearn.transfer import _sparse

    compiled = numba_kernels()
    rng = np.random.default_rng(5)
    members, batch, columns, outputs = 3, 16, 60, 8
    x = rng.poisson(0.1, size=(members, batch, columns)).astype(np.float32)
    x[1, 3] = 0.0  # an empty row
    packed = _sparse.pack_many(list(x))
    mask = None
    if padded:
        mask = torch.ones(members, batch)
        mask[2, 10:] = 0
        x[2, :10, 7], x[2, 10:, 7] = 0.0, 5.0  # a column only padding rows hold: not touched
        packed = _sparse.pack_many(list(x))
    weight = torch.randn(members * columns + 1, outputs)
    weight[-1] = 0.0
    bias = torch.randn(members, 1, outputs)
    padding = len(weight) - 1
    loops = _sparse.TouchedRows(packed, columns, mask, padding, compiled)
    compact = _sparse.CompactBatch(packed, columns, mask, padding_row=padding)
    assert torch.equal(loops.rows, compact.rows)
    assert torch.equal(loops.counts.long(), compact.counts.long())
    if padded:
        assert 2 * columns + 7 not in loops.rows[2].tolist()
    gathered = weight[compact.rows.view(-1)].view(*compact.rows.shape, outputs)
    torch.testing.assert_close(loops.forward(weight, bias),
                               torch.baddbmm(bias, compact.X, gathered), rtol=1e-5, atol=1e-5)
    expected = torch.baddbmm(bias, torch.as_tensor(x), weight[:-1].view(members, columns, -1))
    real = slice(None) if mask is None else mask.bool()
    torch.testing.assert_close(loops.forward(weight, bias)[real], expected[real],
                               rtol=1e-5, atol=1e-5)  # the dense product on real rows
    # Lazy Adam from the layer's output gradient (the rows' gradient summed inside the
    # compiled loop) against the same step from the compact product's weight gradient;
    # one member sits the step out, L2-SP and weight decay on.
    grad = torch.randn(members, batch, outputs)
    active, lrs = np.array([True, False, True]), np.array([1e-2, 1e-2, 3e-3])
    moved = []
    for given, grad_of in ((loops, grad), (compact, torch.bmm(compact.X.transpose(1, 2), grad))):
        lazy = _sparse.LazyAdam(weight.clone(), members, anchors=weight.clone() + 0.5)
        lazy.step(given, None, grad_of, active, lrs, weight_decay=1e-3, l2sp=0.1)
        moved.append((lazy.weight, lazy.exp_avg, lazy.exp_avg_sq))
    for got, want in zip(*moved):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    changed = (moved[0][0] != weight).any(dim=1)
    touched = loops.rows[loops.rows != padding]
    assert changed[touched[touched // columns != 1]].all()  # the active members' rows moved
    assert not changed[touched[touched // columns == 1]].any()  # the resting member's did not
    assert changed.sum() == int(loops.counts[[0, 2]].sum())  # and nothing else
