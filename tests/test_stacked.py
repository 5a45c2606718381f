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


def test_a_stack_refuses_members_of_unequal_size():
    members = [Member(state=network(0).state_dict(), rows=np.arange(50), seed=0),
               Member(state=network(1).state_dict(), rows=np.arange(51), seed=1)]
    with pytest.raises(ValueError, match="as many rows"):
        train_stacked(members, X, Y, Recipe(epochs=1, batch_size=32), tasks=slice(1, 2))
