"""The same scaling curve on a Dask cluster, with the same numbers.

``scaling_curve`` runs one joblib job per (source size, trial) cell, so any
joblib backend can carry them: here a ``distributed.LocalCluster`` of two
worker processes, selected with ``joblib.parallel_config(backend="dask")``.
On a real cluster, replace the ``LocalCluster`` by the scheduler's address
(``distributed.Client("tcp://scheduler:8786")``) or by a dask-jobqueue
cluster (SLURM, PBS); the study code does not change.

Every cell's seeds are derived from ``random_state`` and the cell alone, and
each worker trains with one torch thread, so the cluster reproduces the
local run exactly: the example runs the curve both ways, prints both tables
and checks that every score is identical (bit for bit).

Run::

    python examples/05_dask_cluster.py            # 6 trials, under a minute on 2 cores
    python examples/05_dask_cluster.py --quick    # smoke test
"""

import argparse
import json
import logging
import time
from pathlib import Path

import joblib
import numpy as np
import sklearn
from distributed import Client, LocalCluster
from sklearn.preprocessing import StandardScaler

from sim2real_sklearn import FitOnSource, Sim2RealRegressor, make_sim2real_pipeline, scaling_curve
from sim2real_sklearn.datasets import make_sim2real_regression

FULL = {"pretrain_epochs": 60, "finetune_epochs": 60, "n_trials": 6,
        "source_sizes": [50, 200, 800, 1600]}
QUICK = {"pretrain_epochs": 3, "finetune_epochs": 5, "n_trials": 2,
         "source_sizes": [50, 400]}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny epochs, 2 trials")
    parser.add_argument("--out", default="dask_results", help="output folder")
    parser.add_argument("--n-workers", type=int, default=2, help="Dask worker processes")
    return parser.parse_args(argv)


def table(name, result):
    """One line per size: the score of every trial, in full precision."""
    rows = [("baseline", result.baseline_scores)] + list(zip(result.source_sizes, result.scores))
    return [f"{name} {size}: " + " ".join(f"{s:.10f}" for s in scores) for size, scores in rows]


def main(argv=None):
    args = parse_args(argv)
    settings = QUICK if args.quick else FULL
    sklearn.set_config(enable_metadata_routing=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    X_sim, y_sim, X_exp, y_exp = make_sim2real_regression(
        n_source=1600, n_target=80, n_features=10, discrepancy=0.3, random_state=0)
    model = make_sim2real_pipeline(
        FitOnSource(StandardScaler()),
        Sim2RealRegressor(hidden_layer_sizes=(64, 64), pretrain_epochs=settings["pretrain_epochs"],
                          finetune_epochs=settings["finetune_epochs"]),
    )
    options = {"source_sizes": settings["source_sizes"], "n_trials": settings["n_trials"],
               "test_size": 0.25, "random_state": 0}

    start = time.perf_counter()
    local = scaling_curve(model, X_sim, y_sim, X_exp, y_exp, n_jobs=1, **options)
    local_time = time.perf_counter() - start

    # One thread per worker process: parallel trials, not parallel matrix products.
    cluster = LocalCluster(n_workers=args.n_workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    with cluster, Client(cluster) as client:
        print(f"Dask cluster: {len(client.scheduler_info()['workers'])} workers")
        start = time.perf_counter()
        with joblib.parallel_config(backend="dask"):
            on_dask = scaling_curve(model, X_sim, y_sim, X_exp, y_exp, **options)
        dask_time = time.perf_counter() - start

    print(f"local (one process): {local_time:.1f} s; Dask ({args.n_workers} workers): "
          f"{dask_time:.1f} s, including shipping the data and starting torch in the workers")
    for line in table("local", local) + table("dask", on_dask):
        print(line)
    identical = (np.array_equal(local.scores, on_dask.scores, equal_nan=True)
                 and np.array_equal(local.baseline_scores, on_dask.baseline_scores, equal_nan=True))
    print(f"identical scores: {identical}")
    (out / "dask_summary.json").write_text(json.dumps({
        "identical": bool(identical), "local_seconds": round(local_time, 1),
        "dask_seconds": round(dask_time, 1),
        "source_sizes": local.source_sizes.tolist(),
        "mean_mae": np.nanmean(local.scores, axis=1).round(4).tolist(),
        "baseline_mae": round(float(np.nanmean(local.baseline_scores)), 4)}, indent=2))
    if not identical:
        raise SystemExit("the Dask run's scores differ from the local run's")


if __name__ == "__main__":
    main()
