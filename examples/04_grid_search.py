"""Tune the fine-tuning with GridSearchCV, pretraining only once.

Pretraining on the simulations is the expensive part, and it does not depend
on the fine-tuning settings (``finetune_lr``, ``finetune_epochs``). With
``memory=`` the regressor caches it on disk, keyed on the source rows as they
reach it, the pretraining settings and the seed: a 3-fold grid search over
4 fine-tuning candidates runs 12 fits plus the refit, but pretrains once.
The scaler is fitted on the source (``FitOnSource``), so every fold hands the
regressor the same source rows and hits the same cache entry.

The example then uses the whole ``GridSearchCV`` as the estimator of a
scaling curve: each trial tunes the fine-tuning on its own experimental train
part (nested: the test part is never seen by the search), and the cache
shares the pretraining of each (source size, trial) between its candidates.

The counts printed are measured, not assumed: cache entries on disk and the
``pretrain_from_cache_`` flag of the refitted model. The process exits with
an error if pretraining ran more than once in the grid search.

Run::

    python examples/04_grid_search.py           # under a minute on 2 cores
    python examples/04_grid_search.py --quick   # smoke test
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import sklearn
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.preprocessing import StandardScaler

from sim2real_sklearn import FitOnSource, Sim2RealRegressor, make_sim2real_pipeline, scaling_curve
from sim2real_sklearn.datasets import make_sim2real_regression

FULL = {"pretrain_epochs": 60, "epochs": [30, 90], "n_trials": 4,
        "source_sizes": [100, 400, 1600]}
QUICK = {"pretrain_epochs": 3, "epochs": [2, 4], "n_trials": 2,
         "source_sizes": [100, 400]}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny epochs, 2 trials")
    parser.add_argument("--out", default="grid_search_results", help="output folder")
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel trials")
    return parser.parse_args(argv)


def pretraining_runs(cache_dir):
    """Distinct pretrainings stored by joblib.Memory: one folder per argument hash."""
    return sum(1 for _ in Path(cache_dir).rglob("pretrain_body/*/output.pkl"))


def main(argv=None):
    args = parse_args(argv)
    settings = QUICK if args.quick else FULL
    sklearn.set_config(enable_metadata_routing=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    X_sim, y_sim, X_exp, y_exp = make_sim2real_regression(
        n_source=1600, n_target=80, n_features=10, discrepancy=0.3, random_state=0)

    with tempfile.TemporaryDirectory() as cache_dir:
        model = make_sim2real_pipeline(
            FitOnSource(StandardScaler()),
            Sim2RealRegressor(hidden_layer_sizes=(64, 64),
                              pretrain_epochs=settings["pretrain_epochs"],
                              memory=cache_dir, random_state=0),
        )
        grid = {"sim2realregressor__finetune_lr": [3e-4, 1e-3],
                "sim2realregressor__finetune_epochs": settings["epochs"]}
        search = GridSearchCV(model, grid, cv=KFold(3, shuffle=True, random_state=0),
                              scoring="neg_mean_absolute_error")

        # -- 1. one grid search: 4 candidates x 3 folds + refit, one pretraining --
        # A 1-tuple keeps the source whole whatever its length (see the README's FAQ).
        search.fit(X_exp, y_exp, X_source=(X_sim,), y_source=(y_sim,))
        n_fits = len(search.cv_results_["params"]) * search.n_splits_ + 1
        n_pretrained = pretraining_runs(cache_dir)
        refit_from_cache = search.best_estimator_[-1].pretrain_from_cache_
        print(f"grid search: {n_fits} fits, {n_pretrained} pretraining run(s); "
              f"refit loaded its pretraining from the cache: {refit_from_cache}")
        print(f"best: {search.best_params_}, CV MAE {-search.best_score_:.3f}")
        if n_pretrained != 1 or not refit_from_cache:
            raise SystemExit("pretraining was not cached: it ran more than once")

        # -- 2. the grid search as the estimator of a scaling curve --
        # scaling_curve clones `search` per (size, trial) and routes the source
        # through GridSearchCV to the pipeline.
        result = scaling_curve(search, X_sim, y_sim, X_exp, y_exp,
                               source_sizes=settings["source_sizes"],
                               n_trials=settings["n_trials"], test_size=0.25,
                               n_jobs=args.n_jobs, random_state=0)
        n_cells = len(settings["source_sizes"]) * settings["n_trials"]
        n_curve_pretrained = pretraining_runs(cache_dir) - n_pretrained
        print(f"scaling curve with a tuned model in every trial: {n_cells} transfer cells, "
              f"{n_curve_pretrained} pretraining runs (one per cell, shared by "
              f"{len(search.cv_results_['params'])} candidates x 3 folds + refit)")
        if n_curve_pretrained != n_cells:
            raise SystemExit(f"expected {n_cells} pretraining runs, found {n_curve_pretrained}")
        for size, scores in zip(result.source_sizes, result.scores):
            print(f"  {size:>5d} simulation rows: MAE {np.nanmean(scores):.3f}")
        print(f"  direct learning: MAE {np.nanmean(result.baseline_scores):.3f}")

    summary = {"grid_search_fits": n_fits, "grid_search_pretraining_runs": n_pretrained,
               "refit_pretrain_from_cache": bool(refit_from_cache),
               "best_params": search.best_params_,
               "scaling_curve_cells": n_cells, "scaling_curve_pretraining_runs": n_curve_pretrained,
               "source_sizes": result.source_sizes.tolist(),
               "mean_mae": np.nanmean(result.scores, axis=1).round(4).tolist(),
               "baseline_mae": round(float(np.nanmean(result.baseline_scores)), 4)}
    (out / "grid_search_summary.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
