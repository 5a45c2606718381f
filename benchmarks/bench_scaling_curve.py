"""Speed and memory of scaling_curve.

Three questions, each answered against a named baseline:

1. Parallel speed-up: ``n_jobs=2`` against ``n_jobs=1`` on a 4-size, 8-trial
   curve (40 fits with the baselines) of Sim2RealRegressor fits of a few
   tenths of a second each. Target: 1.7x or better on 2 cores. The workers
   are started (and torch imported in them) once before timing, as they are
   in any real study that runs more than one curve; the cold start is shown
   apart.
2. Overhead: ``scaling_curve(n_jobs=1)`` against a bare loop of exactly the
   same fits (same splits, subsets and seeds). Target: 1.1x or less.
3. Memory: a 40 000 x 256 simulation array (82 MB) handed whole to every job.
   joblib memory-maps it to the workers (the default) against copying it to
   each (``max_nbytes=None``); peak resident memory of the parent and of the
   workers (``resource.getrusage``), each scenario in a fresh process.

Run: ``python benchmarks/bench_scaling_curve.py`` (about 2 minutes on 2 cores;
``--quick`` for a smoke run).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
from sklearn.base import clone
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import ShuffleSplit

from sim2real_sklearn import scaling_curve
from sim2real_sklearn._testing import RidgeTransfer
from sim2real_sklearn.scaling._study import trial_seeds as _trial_seeds


def make_data(n_source, n_target, n_features, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=n_features) / np.sqrt(n_features)
    X_sim = rng.normal(size=(n_source, n_features))
    X_exp = rng.normal(size=(n_target, n_features))
    y_sim = np.tanh(X_sim @ w) + 0.1 * X_sim[:, 0] ** 2
    y_exp = np.tanh(X_exp @ w) + 0.3 * X_exp[:, 1] + 0.05 * rng.normal(size=n_target)
    return X_sim, y_sim, X_exp, y_exp


def regressor(quick):
    from sim2real_sklearn import Sim2RealRegressor

    return Sim2RealRegressor(hidden_layer_sizes=(64, 32), pretrain_epochs=2 if quick else 30,
                             finetune_epochs=2 if quick else 120, pretrain_batch_size=128,
                             finetune_batch_size=32, random_state=0)


def bare_loop(estimator, X_sim, y_sim, X_exp, y_exp, sizes, n_trials, random_state):
    """The same fits as scaling_curve(n_jobs=1), written as a plain loop."""
    errors = np.empty((len(sizes) + 1, n_trials))
    for k in range(n_trials):
        seed_split, seed_source, _, seed_estimator = _trial_seeds(random_state, k)
        train, test = next(ShuffleSplit(1, test_size=0.2, random_state=seed_split).split(X_exp))
        order = np.random.default_rng(seed_source).permutation(len(X_sim))
        for s, n in enumerate([0, *sizes]):
            model = clone(estimator).set_params(random_state=seed_estimator)
            source = {} if n == 0 else {"X_source": X_sim[order[:n]],
                                        "y_source": y_sim[order[:n]]}
            model.fit(X_exp[train], y_exp[train], **source)
            errors[s, k] = mean_absolute_error(y_exp[test], model.predict(X_exp[test]))
    return errors


def _spin(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def machine_ceiling(n_tasks=8, n=2_000_000):
    """Speed-up of n_jobs=2 on pure-Python busy work: what the machine allows now."""
    from joblib import Parallel, delayed

    Parallel(n_jobs=2)(delayed(_spin)(10) for _ in range(2))  # start the workers
    t1, _ = timed(lambda: [_spin(n) for _ in range(n_tasks)])
    t2, _ = timed(Parallel(n_jobs=2), (delayed(_spin)(n) for _ in range(n_tasks)))
    return t1, t2


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    out = function(*args, **kwargs)
    return time.perf_counter() - start, out


def speed(quick):
    X_sim, y_sim, X_exp, y_exp = make_data(4000, 200, 32)
    sizes, n_trials = [500, 1000, 2000, 4000], 2 if quick else 8
    options = dict(source_sizes=sizes, n_trials=n_trials, random_state=0, return_times=True)
    est = regressor(quick)
    load = os.getloadavg()
    clone(est).fit(X_exp, y_exp, X_source=X_sim[:500], y_source=y_sim[:500])  # warm torch up
    cold, _ = timed(scaling_curve, est, X_sim, y_sim, X_exp, y_exp, n_jobs=2,
                    **{**options, "n_trials": 1})
    t_loop, loop_errors = timed(bare_loop, est, X_sim, y_sim, X_exp, y_exp, sizes, n_trials, 0)
    t_serial, serial = timed(scaling_curve, est, X_sim, y_sim, X_exp, y_exp, n_jobs=1,
                             **options)
    t_parallel, parallel = timed(scaling_curve, est, X_sim, y_sim, X_exp, y_exp, n_jobs=2,
                                 **options)
    assert np.array_equal(serial.scores, parallel.scores), "n_jobs changed the numbers"
    assert np.allclose(loop_errors[1:], serial.scores), "the bare loop is not the same study"
    ceiling_serial, ceiling_parallel = machine_ceiling()
    n_fits = (len(sizes) + 1) * n_trials
    mean_fit = np.concatenate([serial.fit_times.ravel(), serial.baseline_fit_times]).mean()
    print(f"\nload average before the runs: {load[0]:.1f} on {os.cpu_count()} CPUs; the "
          "last two rows show the speed-up the machine itself allowed meanwhile")
    print(f"{n_fits} fits ({len(sizes)} sizes + baseline x {n_trials} trials), "
          f"mean fit {mean_fit:.2f} s; cold start of 2 workers (1 trial): {cold:.1f} s")
    rows = [
        ("bare loop of the same fits", "baseline A", t_loop, 1.0),
        ("scaling_curve n_jobs=1", "vs A (target <= 1.10)", t_serial, t_serial / t_loop),
        ("scaling_curve n_jobs=1", "baseline B", t_serial, 1.0),
        ("scaling_curve n_jobs=2", "speed-up vs B (target >= 1.7)", t_parallel,
         t_serial / t_parallel),
        ("pure-Python loop n_jobs=1", "baseline C", ceiling_serial, 1.0),
        ("pure-Python loop n_jobs=2", "machine ceiling vs C", ceiling_parallel,
         ceiling_serial / ceiling_parallel),
    ]
    print(f"{'run':<28}{'compared':<32}{'seconds':>9}{'ratio':>8}")
    for name, what, seconds, ratio in rows:
        print(f"{name:<28}{what:<32}{seconds:>9.2f}{ratio:>8.2f}")


def memory_scenario(max_nbytes):
    """Run in a fresh process: print peak RSS (MB) of the parent and of the workers."""
    import joblib
    from joblib.externals.loky import get_reusable_executor

    X_sim, y_sim, X_exp, y_exp = make_data(40_000, 300, 256)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    settings = {} if max_nbytes == "default" else {"max_nbytes": None}
    start = time.perf_counter()
    with joblib.parallel_config(**settings):
        scaling_curve(RidgeTransfer(), X_sim, y_sim, X_exp, y_exp, n_jobs=2,
                      source_sizes=[5000, 10_000, 20_000, 40_000], n_trials=4, random_state=0)
    seconds = time.perf_counter() - start
    get_reusable_executor().shutdown(wait=True)  # reap workers: RUSAGE_CHILDREN sees them
    kb = 1024.0
    print(json.dumps({
        "parent_before_mb": before / kb,
        "parent_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / kb,
        "worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / kb,
        "seconds": seconds,
        "array_mb": X_sim.nbytes / 2**20,
    }))


def memory():
    results = {}
    for mode in ("default", "copy"):
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-scenario",
                              mode], capture_output=True, text=True, check=True)
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    base = results["copy"]
    print(f"\nmemory: X_sim {base['array_mb']:.0f} MB given whole to 20 jobs on 2 workers "
          "(peak RSS, MB)")
    print(f"{'run':<40}{'parent before':>14}{'parent':>9}{'worker':>9}{'ratio':>8}"
          f"{'seconds':>9}")
    for mode, name in [("copy", "copied to workers (max_nbytes=None)"),
                       ("default", "memory-mapped (joblib default)")]:
        r = results[mode]
        print(f"{name:<40}{r['parent_before_mb']:>14.0f}{r['parent_mb']:>9.0f}"
              f"{r['worker_mb']:>9.0f}"
              f"{r['worker_mb'] / base['worker_mb']:>8.2f}{r['seconds']:>9.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--memory-scenario", choices=["default", "copy"])
    args = parser.parse_args()
    if args.memory_scenario:
        memory_scenario(args.memory_scenario)
    else:
        speed(args.quick)
        memory()
