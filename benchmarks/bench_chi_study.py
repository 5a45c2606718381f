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

    python benchmarks/bench_chi_study.py                  # 100 trials (about 25 min here)
    python benchmarks/bench_chi_study.py --trials 10 --baseline-trials 1
    python benchmarks/bench_chi_study.py --quick          # 2 trials, few epochs: a smoke test

Goal: 100 trials in 30 minutes or less on 2 cores, with mean MAE at every size
equal to or better than the plain loop's reference numbers.
"""

import argparse
import os
import resource
import time

import numpy as np

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


def package_study(X_sim, y_sim, X_exp, y_exp, groups, n_trials, seed, epochs=(100, 60), n_jobs=2):
    from sklearn.model_selection import GroupShuffleSplit

    from sim2real_sklearn import Sim2RealRegressor, scaling_curve

    model = Sim2RealRegressor((256, 128), pretrain_epochs=epochs[0], finetune_epochs=epochs[1],
                              pretrain_lr=1e-3, finetune_lr=3e-4, pretrain_batch_size=32,
                              finetune_batch_size=32, random_state=seed)
    return scaling_curve(
        model, X_sim, y_sim, X_exp, y_exp, source_sizes=SIZES, n_trials=n_trials,
        cv=GroupShuffleSplit(n_splits=n_trials, test_size=0.2, random_state=seed),
        target_groups=groups, n_jobs=n_jobs, random_state=seed, verbose=1,
    )


def peak_memory_mb():
    # Workers count in RUSAGE_CHILDREN only once they have exited: stop the pool first.
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--baseline-trials", type=int, default=1,
                        help="trials of the plain loop to time (it takes minutes each)")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    epochs = (5, 3) if args.quick else (100, 60)
    n_trials = 2 if args.quick else args.trials

    start = time.perf_counter()
    X_sim, y_sim, X_exp, y_exp, groups = chi_features()
    featurize_s = time.perf_counter() - start
    print(f"features: source {X_sim.shape}, target {X_exp.shape} in {featurize_s:.1f} s (once)")

    plain = []
    start = time.perf_counter()
    for k, (train, test) in enumerate(splits(groups, args.baseline_trials, args.seed + 1)):
        plain.append(plain_torch_trial(X_sim, y_sim, X_exp, y_exp, train, test, seed=k,
                                       epochs=epochs))
        print(f"plain torch loop: trial {k + 1}/{args.baseline_trials} done", flush=True)
    plain_s = (time.perf_counter() - start) / max(args.baseline_trials, 1)

    start = time.perf_counter()
    result = package_study(X_sim, y_sim, X_exp, y_exp, groups, n_trials, args.seed, epochs,
                           args.n_jobs)
    package_s = time.perf_counter() - start
    own, children = peak_memory_mb()

    print(f"\nchi study, {epochs[0]} + {epochs[1]} epochs, {os.cpu_count()} cores")
    print(f"{'run':<34}{'s/trial':>9}{'trials/min':>12}{'100 trials':>12}")
    print(f"{'plain torch loop (DataLoader)':<34}{plain_s:>9.1f}{60 / plain_s:>12.2f}"
          f"{100 * plain_s / 60:>10.1f} m")
    per_trial = package_s / n_trials
    print(f"{f'package, n_jobs={args.n_jobs}':<34}{per_trial:>9.1f}{60 / per_trial:>12.2f}"
          f"{100 * per_trial / 60:>10.1f} m")
    print(f"speed-up: {plain_s / per_trial:.1f}x   peak memory: parent {own:.0f} MB, "
          f"largest worker {children:.0f} MB")

    print(f"\nmean MAE on experimental test pairs ({n_trials} package trials, "
          f"{args.baseline_trials} plain trial(s))")
    print(f"{'source size':>11}{'issue ref':>11}{'plain':>9}{'package':>9}{'90% band':>18}")
    rows = [(0, result.baseline_scores)] + list(zip(result.source_sizes, result.scores))
    for size, scores in rows:
        size = int(size)
        band = np.nanpercentile([np.nanmean(np.random.default_rng(b).choice(scores, len(scores)))
                                 for b in range(1000)], [5, 95])
        plain_mean = np.mean([p[size] for p in plain]) if plain else float("nan")
        print(f"{size:>11}{REFERENCE_MAE[size]:>11.3f}{plain_mean:>9.3f}{np.nanmean(scores):>9.3f}"
              f"{band[0]:>9.3f}-{band[1]:.3f}")


if __name__ == "__main__":
    main()
