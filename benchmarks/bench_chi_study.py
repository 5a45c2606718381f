"""The chi scaling study at paper scale: trials per minute and MAE, package against plain torch.

Protocol (issue 7, the reference study's chi task): source = COSMO-RS chi
(1206 rows), target = experimental chi (1190 rows); features = Morgan count
fingerprints, 512 bits each, of the polymer (cyclic 10-mer) and the solvent,
plus 1000/T; each trial splits the experimental data by polymer-solvent pair
(20% of pairs for test) and draws one random permutation of the source whose
prefixes give the sizes 75, 150, 300, 600, 1200, plus direct learning (no
source); MLP 1025-256-128-1, Adam, pretraining 100 epochs at batch 32 and
lr 1e-3, fine-tuning 60 epochs at lr 3e-4; MAE on the test pairs.

- **plain torch loop**: what the study looks like written by hand with a
  ``DataLoader`` over a ``TensorDataset`` and torch's default threads, one
  trial after another; timed on ``--baseline-trials`` trials and extrapolated.
- **package**: ``scaling_curve`` with ``Sim2RealRegressor``, features computed
  once per study, ``n_jobs=2`` (one torch thread per worker).

    python benchmarks/bench_chi_study.py                  # 10 trials, all three runs
    python benchmarks/bench_chi_study.py --trials 100 --configs "batched, sparse"
    python benchmarks/bench_chi_study.py --quick          # 2 trials, few epochs: a smoke test

Runs (``--configs``), paired on the same splits and seeds:

- **per cell, dense**: one fit per cell, dense inputs (the package before issue 14);
- **batched, dense**: the trials of a size trained as one stack of networks;
- **batched, sparse**: stacked, and the fingerprints read as sparse rows
  (lazy Adam on the first layer's rows);
- **batched, sparse, new workers**: the same, on worker processes started for
  it. The runs before it share joblib's workers, as the studies of one
  session do; a one-off study also pays each worker's start (imports, numba's
  kernels, torch's optimizer module on first use: seconds of a one-minute run;
  the first run, per cell, starts the workers too, a few seconds of minutes).

Each run prints its dense-equivalent arithmetic per second (:func:`dense_flops`)
divided by the matmul rate measured in the same process times the cores
used: a figure for how close the study gets to what the machine can do.
It is not free of the machine: little of a stacked sparse step is matrix
products at the matmul rate. On the AVX-512 host of 2026-12-08 (matmul
160-185 GFLOP/s a thread) a step of a stack of 8 took 2.2-2.5 ms: the first
layer's lazy Adam 0.45-0.6 (torch's arithmetic, two divisions and a square
root per weight, then cache bandwidth), its forward 0.2, the second layer's
products 0.38 (131 GFLOP/s, against 172 for one matmul of the same size),
the dense layers' Adam 0.23, and about 0.45 ms a step whatever the members
(Python and the dispatch of some forty small operations). So a host whose
matmul is twice as fast reads a lower ratio (0.82-0.92 at 49-90 GFLOP/s a
thread, 0.74-0.79 at 150-190). The memory copy rate is printed beside it. The
rate is measured before and after each run and the row uses their mean (a
shared host's speed drifts over a run of minutes); the median over the whole
run is printed beside it.
"""

import argparse
import os
import resource
import time

import numpy as np

from sim2real_sklearn._workers import stop_workers  # also the command line's: kills the pool

SIZES = [75, 150, 300, 600, 1200]
# Mean MAE over 6 trials of the plain torch implementation, as measured in issue 7.
REFERENCE_MAE = {0: 0.273, 75: 0.272, 150: 0.228, 300: 0.219, 600: 0.200, 1200: 0.182}


def chi_features():
    """Features of every experimental and computed row, computed once for the study."""
    from sim2real_sklearn.datasets import fetch_flory_huggins_chi
    from sim2real_sklearn.featurizers import MorganFingerprint

    chi = fetch_flory_huggins_chi()
    fingerprint = MorganFingerprint(radius=2, fp_size=512, count=True)

    def features(data):
        # columns: polymer_smiles, polymer_repeat_unit, solvent_smiles, temperature, 1000/T
        polymer = fingerprint.transform(list(data[:, 0]))
        solvent = fingerprint.transform(list(data[:, 2]))
        return np.hstack([polymer, solvent, data[:, 4:5].astype(float)]).astype(np.float64)

    return (features(chi.source_data), np.asarray(chi.source_target, dtype=float),
            features(chi.data), np.asarray(chi.target, dtype=float), np.asarray(chi.groups))


def splits(groups, n_trials, seed):
    from sklearn.model_selection import GroupShuffleSplit

    return list(GroupShuffleSplit(n_splits=n_trials, test_size=0.2, random_state=seed)
                .split(np.zeros(len(groups)), groups=groups))


def plain_torch_trial(X_sim, y_sim, X_exp, y_exp, train, test, seed, epochs=(100, 60)):
    """One trial written by hand with DataLoader: every size, then direct learning."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X_sim))
    t = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731

    def train_net(net, X, y, epochs, lr):
        loader = DataLoader(TensorDataset(t(X), t(y)[:, None]), batch_size=32, shuffle=True)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        for _ in range(epochs):
            for xb, yb in loader:
                opt.zero_grad()
                nn.functional.mse_loss(net(xb), yb).backward()
                opt.step()

    errors = {}
    for n in [0] + SIZES:
        torch.manual_seed(seed)
        net = nn.Sequential(nn.Linear(X_exp.shape[1], 256), nn.ReLU(), nn.Linear(256, 128),
                            nn.ReLU(), nn.Linear(128, 1))
        mean, std = (y_sim[order[:n]].mean(), y_sim[order[:n]].std()) if n else (
            y_exp[train].mean(), y_exp[train].std())
        if n:
            train_net(net, X_sim[order[:n]], (y_sim[order[:n]] - mean) / std, epochs[0], 1e-3)
        train_net(net, X_exp[train], (y_exp[train] - mean) / std, epochs[1], 3e-4)
        with torch.no_grad():
            pred = net(t(X_exp[test])).numpy().ravel() * std + mean
        errors[n] = float(np.abs(pred - y_exp[test]).mean())
    return errors


CONFIGS = {  # name: (batch_trials, sparse_input, new_workers)
    "per cell, dense": (False, False, False),
    "batched, dense": (True, False, False),
    "batched, sparse": (True, True, False),
    # The same study again on workers started for it: what a one-off study (the command
    # line, a script) pays on top, each worker importing torch and loading numba's kernels.
    "batched, sparse, new workers": (True, True, True),
}


def package_study(X_sim, y_sim, X_exp, y_exp, groups, n_trials, seed, epochs=(100, 60), n_jobs=2,
                  batch_trials=True, sparse_input="auto"):
    from sklearn.model_selection import GroupShuffleSplit

    from sim2real_sklearn import Sim2RealRegressor, scaling_curve

    model = Sim2RealRegressor((256, 128), pretrain_epochs=epochs[0], finetune_epochs=epochs[1],
                              pretrain_lr=1e-3, finetune_lr=3e-4, pretrain_batch_size=32,
                              finetune_batch_size=32, sparse_input=sparse_input,
                              random_state=seed)
    return scaling_curve(
        model, X_sim, y_sim, X_exp, y_exp, source_sizes=SIZES, n_trials=n_trials,
        cv=GroupShuffleSplit(n_splits=n_trials, test_size=0.2, random_state=seed),
        target_groups=groups, n_jobs=n_jobs, random_state=seed, verbose=0,
        batch_trials=batch_trials,
    )


def dense_flops(n_features, groups, n_trials, seed, epochs, widths=(256, 128)):
    """The dense-equivalent arithmetic of the study: what a dense implementation must compute.

    Per training row: the forward pass (2 multiply-adds counted as 2 flops per
    weight), the weight gradients (2 per weight) and the input gradients of
    every layer but the first (2 per weight); per predicted row, the forward
    pass. Training rows: each cell's source rows times the pretraining
    epochs, and its target training rows times the fine-tuning epochs.
    """
    sizes = [n_features, *widths, 1]
    weights = [a * b for a, b in zip(sizes, sizes[1:])]
    train_row = 2 * sum(weights) * 2 + 2 * sum(weights[1:])
    predict_row = 2 * sum(weights)
    total = 0.0
    for train, test in splits(groups, n_trials, seed):
        for n_source in [0] + SIZES:
            total += train_row * (n_source * epochs[0] + len(train) * epochs[1])
            total += predict_row * len(test)
    return total


def matmul_rate(n=1024, repeats=10):
    """Single-thread float32 matmul rate (flop/s) of this machine, measured now."""
    import torch

    from sim2real_sklearn._torch_threads import torch_threads

    a, b = torch.randn(n, n), torch.randn(n, n)
    with torch_threads(1):
        a @ b
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        return 2 * n**3 * repeats / (time.perf_counter() - start)


def copy_rate(megabytes=64, repeats=5):
    """Bytes per second read and written by one thread copying an array far larger than cache."""
    a = np.ones(megabytes * 2**20 // 4, dtype=np.float32)
    b = np.empty_like(a)
    np.copyto(b, a)
    start = time.perf_counter()
    for _ in range(repeats):
        np.copyto(b, a)
    return 2 * a.nbytes * repeats / (time.perf_counter() - start)


def peak_memory_mb():
    # Workers count in RUSAGE_CHILDREN only once they have exited: stop the pool first.
    stop_workers()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--baseline-trials", type=int, default=1,
                        help="trials of the plain loop to time (it takes minutes each)")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    epochs = (5, 3) if args.quick else (100, 60)
    n_trials = 2 if args.quick else args.trials

    start = time.perf_counter()
    X_sim, y_sim, X_exp, y_exp, groups = chi_features()
    featurize_s = time.perf_counter() - start
    print(f"features: source {X_sim.shape}, target {X_exp.shape} in {featurize_s:.1f} s (once); "
          f"{np.count_nonzero(X_sim) / X_sim.size:.1%} non-zeros")
    rate = matmul_rate()
    flops = dense_flops(X_sim.shape[1], groups, n_trials, args.seed, epochs)
    # The sparse first layer's lazy Adam is bound by its divisions and by cache bandwidth,
    # not by products: on a host whose matmul is fast the ratio to the matmul rate falls.
    print(f"memory copy measured here: {copy_rate() / 1e9:.0f} GB/s on one thread "
          f"(64 MB read and written)")
    print(f"matmul rate measured here: {rate / 1e9:.0f} GFLOP/s on one thread; "
          f"the study's dense-equivalent arithmetic: {flops / 1e12:.2f} TFLOP "
          f"({flops / n_trials / 1e12:.2f} per trial)")

    # The host's speed drifts over a run of several minutes (shared machines: the same
    # fit varies up to 1.5x): each row's ratio uses the matmul rate measured just
    # before and just after it, so that a slow spell counts against both or neither.
    rates = [rate]
    plain = []
    start = time.perf_counter()
    for k, (train, test) in enumerate(splits(groups, args.baseline_trials, args.seed + 1)):
        plain.append(plain_torch_trial(X_sim, y_sim, X_exp, y_exp, train, test, seed=k,
                                       epochs=epochs))
    plain_s = (time.perf_counter() - start) / max(args.baseline_trials, 1)
    rates.append(matmul_rate())
    plain_flops = flops / n_trials  # about the same work per trial

    results, times = {}, {}
    for name in args.configs:
        batch_trials, sparse_input, new_workers = CONFIGS[name]
        if new_workers:
            stop_workers()
        start = time.perf_counter()
        results[name] = package_study(X_sim, y_sim, X_exp, y_exp, groups, n_trials, args.seed,
                                      epochs, args.n_jobs, batch_trials, sparse_input)
        times[name] = time.perf_counter() - start
        rates.append(matmul_rate())
        print(f"{name}: {times[name] / n_trials:.1f} s per trial", flush=True)
    own, children = peak_memory_mb()

    cores = args.n_jobs
    print(f"\nchi study, {n_trials} trials, {epochs[0]} + {epochs[1]} epochs, n_jobs={cores}, "
          f"{os.cpu_count()} cores")
    print(f"{'run':<40}{'s/trial':>9}{'100 trials':>12}{'GFLOP/s':>9}{'matmul':>8}"
          f"{'/(matmul x cores)':>19}")
    rows = [("plain torch loop (1 thread)", plain_s, plain_flops / plain_s, 1)]
    rows += [(f"package, {name}", times[name] / n_trials, flops / times[name], cores)
             for name in args.configs]
    for i, (label, per_trial, achieved, used) in enumerate(rows):
        near = (rates[i] + rates[i + 1]) / 2  # measured just before and just after the row
        print(f"{label:<40}{per_trial:>9.1f}{100 * per_trial / 60:>10.1f} m{achieved / 1e9:>9.0f}"
              f"{near / 1e9:>8.0f}{achieved / (near * used):>19.2f}")
    print(f"matmul GFLOP/s measured through the run: {[round(r / 1e9) for r in rates]}; "
          f"against their median each ratio is "
          + ", ".join(f"{achieved / (np.median(rates) * used):.2f}"
                      for _, _, achieved, used in rows))
    print(f"peak memory: parent {own:.0f} MB, largest worker {children:.0f} MB")

    print(f"\nmean MAE on experimental test pairs ({n_trials} trials, paired: the same splits "
          f"and seeds; plain loop: {args.baseline_trials} trial(s))")
    header = f"{'source size':>11}{'issue ref':>10}{'plain':>8}"
    widths = {name: max(18, len(name) + 2) for name in args.configs}
    header += "".join(f"{name:>{widths[name]}}" for name in args.configs)
    print(header)
    for i, size in enumerate([0] + SIZES):
        plain_mean = np.mean([p[size] for p in plain]) if plain else float("nan")
        line = f"{size:>11}{REFERENCE_MAE[size]:>10.3f}{plain_mean:>8.3f}"
        for name in args.configs:
            scores = (results[name].baseline_scores if size == 0
                      else results[name].scores[i - 1])
            line += f"{np.nanmean(scores):>{widths[name]}.4f}"
        print(line)
    reference = args.configs[0]
    for name in args.configs[1:]:
        diff = np.concatenate([
            (results[name].baseline_scores - results[reference].baseline_scores).ravel(),
            (results[name].scores - results[reference].scores).ravel()])
        print(f"{name} - {reference}: mean paired difference {np.nanmean(diff):+.4f} "
              f"(+/- {np.nanstd(diff, ddof=1) / np.sqrt(np.isfinite(diff).sum()):.4f} s.e.) over "
              f"{np.isfinite(diff).sum()} cells; largest {np.nanmax(np.abs(diff)):.4f}")


if __name__ == "__main__":
    main()
