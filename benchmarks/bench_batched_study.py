"""A dense-input scaling study: trials trained as stacks against one fit per cell.

The shape of the reference study's polymer descriptor: 190 dense columns, a
190-256-128-1 MLP, batch 32, Adam; synthetic data (``make_sim2real_regression``)
so that it runs anywhere. The same study runs twice in this process, paired
(same splits, seeds and cells), with ``n_jobs=2``:

- **one fit per cell** (``batch_trials=False``): the baseline;
- **batched trials** (``batch_trials=True``): the trials of a size trained as
  one stack of networks.

It prints the wall time of each, their ratio, the largest difference of any
cell's error (float32 round-off only), and each run's dense arithmetic per
second divided by the matmul rate measured here times the cores used.

    python benchmarks/bench_batched_study.py            # 16 trials, about 3 minutes on 2 cores
    python benchmarks/bench_batched_study.py --quick    # a smoke run

Goal (issue 14): batched at least 3x faster than one fit per cell.
"""

import argparse
import time

import numpy as np

SIZES = [100, 300, 1000, 3000]


def study(batch_trials, data, n_trials, epochs, n_jobs):
    from sim2real_sklearn import Sim2RealRegressor, scaling_curve

    model = Sim2RealRegressor((256, 128), pretrain_epochs=epochs[0], finetune_epochs=epochs[1],
                              random_state=0)
    return scaling_curve(model, *data, source_sizes=SIZES, n_trials=n_trials, test_size=0.25,
                         n_jobs=n_jobs, random_state=0, batch_trials=batch_trials)


def dense_flops(n_features, n_train, n_test, n_trials, epochs, widths=(256, 128)):
    """Training: forward, weight gradients and input gradients but the first layer's."""
    sizes = [n_features, *widths, 1]
    weights = [a * b for a, b in zip(sizes, sizes[1:])]
    train_row = 4 * sum(weights) + 2 * sum(weights[1:])
    per_trial = sum(train_row * (n * epochs[0] + n_train * epochs[1]) + 2 * sum(weights) * n_test
                    for n in [0] + SIZES)
    return per_trial * n_trials


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    from bench_chi_study import matmul_rate

    from sim2real_sklearn.datasets import make_sim2real_regression

    epochs = (2, 2) if args.quick else (30, 60)
    n_trials = 2 if args.quick else args.trials
    data = make_sim2real_regression(n_source=3000, n_target=200, n_features=190,
                                    discrepancy=0.3, random_state=0)
    rate = matmul_rate()
    flops = dense_flops(190, 150, 50, n_trials, epochs)
    study(True, data, 2, (1, 1), args.n_jobs)  # start the workers and import torch in them
    times, results = {}, {}
    for name, batch in (("one fit per cell", False), ("batched trials", True)):
        start = time.perf_counter()
        results[name] = study(batch, data, n_trials, epochs, args.n_jobs)
        times[name] = time.perf_counter() - start
    print(f"dense study: 190 features, MLP 256-128, batch 32, {epochs[0]} + {epochs[1]} epochs, "
          f"sizes {SIZES} + direct learning, {n_trials} trials, n_jobs={args.n_jobs}; "
          f"matmul {rate / 1e9:.0f} GFLOP/s per thread")
    print(f"{'run':<20}{'seconds':>9}{'x baseline':>12}{'GFLOP/s':>9}{'/(matmul x cores)':>19}")
    for name, seconds in times.items():
        achieved = flops / seconds
        print(f"{name:<20}{seconds:>9.1f}{times['one fit per cell'] / seconds:>12.2f}"
              f"{achieved / 1e9:>9.1f}{achieved / (rate * args.n_jobs):>19.2f}")
    a, b = results["one fit per cell"], results["batched trials"]
    diff = max(np.abs(a.scores - b.scores).max(),
               np.abs(a.baseline_scores - b.baseline_scores).max())
    print(f"largest difference of a cell's MAE between the runs: {diff:.2e} "
          f"(mean MAE {a.scores.mean():.4f})")


if __name__ == "__main__":
    main()
