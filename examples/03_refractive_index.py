"""Polymer refractive index: 1075 MD simulations for 44 measured polymers.

Source (simulation): refractive indices of the RadonPy PI1070 polymers computed
by all-atom molecular dynamics. Target (experiment): the measured refractive
index of 44 polymers, 38 of which are also among the simulated ones.

What this example shows:

- RDKit descriptors of the repeat units (connection points capped with
  hydrogens), computed once for every SMILES before the study;
- a pipeline whose scaler is fitted on the simulation rows
  (``FitOnSource(StandardScaler())``) in front of the Sim2Real network;
- a target of 44 rows is too small for one split: the scaling curve runs over
  repeated 5-fold cross-validation (``RepeatedKFold``: every polymer is tested
  once per repeat, each trial trains on about 35);
- the leakage guard by polymer: in every trial the simulations of the test
  polymers are removed from the source (same polymer in another notation
  counts as the same group, see ``fetch_polymer_refractive_index``);
- the fitted law, and direct learning and predicting the training mean as
  the baselines to beat.

Outputs in ``--out`` (default ``refractive_index_results``): ``report.json``,
``scores.csv`` and ``scaling_curve.png`` (via ``write_report``) and
``summary.json``.

Run::

    python examples/03_refractive_index.py               # 5-fold x 10 repeats: 50 trials
    python examples/03_refractive_index.py --repeats 20  # 100 trials, as the reference study
    python examples/03_refractive_index.py --quick       # smoke test on 250 simulations
"""

import argparse
import json
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from rdkit.Chem import Descriptors  # noqa: E402
from sklearn.model_selection import RepeatedKFold  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sim2real_sklearn import (  # noqa: E402
    FitOnSource,
    Sim2RealRegressor,
    make_sim2real_pipeline,
    scaling_curve,
)
from sim2real_sklearn.datasets import fetch_polymer_refractive_index  # noqa: E402
from sim2real_sklearn.featurizers import RDKitDescriptors  # noqa: E402
from sim2real_sklearn.scaling import write_report  # noqa: E402

FULL = {"pretrain_epochs": 100, "finetune_epochs": 60,
        "source_sizes": [25, 50, 100, 250, 500, 1000], "n_source": None}
# Quick: a random 250 of the simulations (featurizing all of them takes ~10 s).
QUICK = {"pretrain_epochs": 3, "finetune_epochs": 5,
         "source_sizes": [25, 50, 100, 200], "n_source": 250}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny epochs, 1 repeat, 250 simulations")
    parser.add_argument("--repeats", type=int, default=10, help="repeats of the 5-fold split")
    parser.add_argument("--out", default="refractive_index_results", help="output folder")
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel trials")
    parser.add_argument("--seed", type=int, default=0, help="root of every seed")
    return parser.parse_args(argv)


def descriptors():
    # Ipc reaches 1e21 on large repeat units: one column would dominate the scaling.
    names = [name for name, _ in Descriptors._descList if name != "Ipc"]
    return RDKitDescriptors(names, connection_points="hydrogen", n_jobs=2)


def main(argv=None):
    args = parse_args(argv)
    settings = QUICK if args.quick else FULL
    repeats = 1 if args.quick else args.repeats
    sklearn.set_config(enable_metadata_routing=True)  # the pipeline routes X_source
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    ri = fetch_polymer_refractive_index()
    source = np.arange(len(ri.source_smiles))
    if settings["n_source"] is not None:
        source = np.random.default_rng(args.seed).choice(source, settings["n_source"],
                                                         replace=False)
    # Featurize every SMILES once; the trials only index rows.
    start = time.perf_counter()
    smiles = np.concatenate([ri.target_smiles, ri.source_smiles[source]])
    X_all = descriptors().fit_transform(smiles)
    X_exp, X_sim = X_all[: len(ri.target)], X_all[len(ri.target):]
    print(f"{X_all.shape[1]} descriptors of {len(X_all)} repeat units in "
          f"{time.perf_counter() - start:.1f} s; {len(X_exp)} experimental, {len(X_sim)} simulated")

    model = make_sim2real_pipeline(
        FitOnSource(StandardScaler()),
        Sim2RealRegressor(hidden_layer_sizes=(256, 128),
                          pretrain_epochs=settings["pretrain_epochs"],
                          finetune_epochs=settings["finetune_epochs"], random_state=args.seed),
    )
    # Every polymer is one row of X_exp, so plain k-fold splits by polymer; the
    # splits are listed up front so the baseline below uses the very same ones.
    splits = list(RepeatedKFold(n_splits=5, n_repeats=repeats,
                                random_state=args.seed).split(X_exp))
    start = time.perf_counter()
    result = scaling_curve(
        model, X_sim, ri.source_target[source], X_exp, ri.target,
        source_sizes=settings["source_sizes"], cv=splits,
        source_groups=ri.source_groups[source], target_groups=ri.groups,
        n_jobs=args.n_jobs, random_state=args.seed,
    )
    wall_time = time.perf_counter() - start

    # The floor any model must beat: predict the training part's mean.
    mean_mae = np.mean([np.abs(ri.target[test] - ri.target[train].mean()).mean()
                        for train, test in splits])
    report = write_report(result, out, title="Polymer refractive index (RadonPy source)",
                          extra={"predict_training_mean_mae": float(mean_mae)})
    law = result.fit_power_law(confidence=0.9)
    summary = {
        "source_sizes": result.source_sizes.tolist(),
        "mean_mae": np.nanmean(result.scores, axis=1).round(5).tolist(),
        "baseline_mae": round(float(np.nanmean(result.baseline_scores)), 5),
        "predict_training_mean_mae": round(float(mean_mae), 5),
        "n_trials": int(result.n_trials),
        "n_source_dropped": [int(result.n_source_dropped.min()),
                             int(result.n_source_dropped.max())],
        "power_law": law.summary(),
        "wall_time_s": round(wall_time, 1),
        "settings": settings,
        "command": "python examples/03_refractive_index.py " + " ".join(
            sys.argv[1:] if argv is None else argv),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))

    print(f"\n{result.n_trials} trials (5-fold x {repeats}) in {wall_time:.0f} s")
    print("source rows   " + "  ".join(f"{s:>7d}" for s in result.source_sizes))
    print("mean MAE      " + "  ".join(f"{m:7.4f}" for m in summary["mean_mae"]))
    print(f"direct learning {summary['baseline_mae']:.4f}; "
          f"predicting the training mean {mean_mae:.4f}")
    print(report["summary"])
    print(f"\nreport in {out.resolve()}")


if __name__ == "__main__":
    main()
