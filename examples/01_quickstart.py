"""Quickstart: pretrain on simulations, fine-tune on experiments, measure the scaling law.

On synthetic data with a known simulation-experiment discrepancy
(:func:`~sim2real_sklearn.datasets.make_sim2real_regression`), this shows the
whole workflow in a few calls:

1. a pipeline whose scaler is fitted on the simulation rows and whose network
   is pretrained on them, then fine-tuned on the experimental rows
   (``X, y`` are always the experimental data; the simulations travel as
   ``X_source, y_source``);
2. the scaling curve: the experimental test error for growing numbers of
   simulation rows, over several random trials, with direct learning
   (no simulation) as the baseline;
3. the fitted law ``MAE(n) = D n^-alpha + C`` with 90% bootstrap intervals and
   the planning answers it gives;
4. the plot (``quickstart_scaling_curve.png`` in ``--out``).

Run::

    python examples/01_quickstart.py            # 8 trials, under a minute on 2 cores
    python examples/01_quickstart.py --quick    # smoke test, a few seconds
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.metrics import mean_absolute_error  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sim2real_sklearn import (  # noqa: E402
    FitOnSource,
    ScalingCurveDisplay,
    Sim2RealRegressor,
    make_sim2real_pipeline,
    scaling_curve,
)
from sim2real_sklearn.datasets import make_sim2real_regression  # noqa: E402

FULL = {"n_trials": 8, "pretrain_epochs": 60, "finetune_epochs": 60,
        "source_sizes": [50, 100, 200, 400, 800, 1600]}
QUICK = {"n_trials": 3, "pretrain_epochs": 5, "finetune_epochs": 10,
         "source_sizes": [50, 150, 500, 1600]}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny epochs, few trials")
    parser.add_argument("--out", default="quickstart_results", help="output folder")
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel trials")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    settings = QUICK if args.quick else FULL
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # The pipeline routes X_source to its steps through metadata routing.
    sklearn.set_config(enable_metadata_routing=True)

    # 1600 simulation rows, 80 experimental rows; the simulation misses 30% of the physics.
    X_sim, y_sim, X_exp, y_exp = make_sim2real_regression(
        n_source=1600, n_target=80, n_features=10, discrepancy=0.3, noise=0.05, random_state=0)

    model = make_sim2real_pipeline(
        FitOnSource(StandardScaler()),
        Sim2RealRegressor(hidden_layer_sizes=(64, 64),
                          pretrain_epochs=settings["pretrain_epochs"],
                          finetune_epochs=settings["finetune_epochs"], random_state=0),
    )

    # -- 1. one fit ------------------------------------------------------------
    X_train, X_test, y_train, y_test = train_test_split(X_exp, y_exp, test_size=0.25,
                                                        random_state=0)
    model.fit(X_train, y_train, X_source=X_sim, y_source=y_sim)
    transfer = mean_absolute_error(y_test, model.predict(X_test))
    direct = mean_absolute_error(y_test, sklearn.clone(model).fit(X_train, y_train).predict(X_test))
    print(f"one split: MAE {transfer:.3f} with {len(X_sim)} simulation rows, "
          f"{direct:.3f} from the {len(X_train)} experimental rows alone")

    # -- 2. the scaling curve ----------------------------------------------------
    result = scaling_curve(model, X_sim, y_sim, X_exp, y_exp,
                           source_sizes=settings["source_sizes"], n_trials=settings["n_trials"],
                           test_size=0.25, n_jobs=args.n_jobs, random_state=0)
    print("\nsource rows   mean MAE over trials")
    for size, scores in zip(result.source_sizes, result.scores):
        print(f"{size:>11d}   {np.nanmean(scores):.3f}")
    print(f"   baseline   {np.nanmean(result.baseline_scores):.3f}  (direct learning)")

    # -- 3. the law and what it says ----------------------------------------------
    law = result.fit_power_law(confidence=0.9)
    print(f"\n{law.equation()}")
    for name in ("alpha", "C"):
        low, high = getattr(law, f"{name}_interval_")
        print(f"  {name} = {getattr(law, name + '_'):.4f}  (90% CI {low:.4f} to {high:.4f})")
    largest = result.source_sizes.max()
    gain = law.gain_per_decade(largest)
    print(f"10x more simulation rows than {largest} would remove {gain:.3g} MAE")
    print(f"transfer beats direct learning from about "
          f"{law.crossover(np.nanmean(result.baseline_scores)):.0f} simulation rows")

    # -- 4. the plot ----------------------------------------------------------------
    display = ScalingCurveDisplay(source_sizes=result.source_sizes, scores=result.scores,
                                  baseline_scores=result.baseline_scores, power_law=law).plot()
    display.ax_.set_title("Synthetic data: experimental error vs. simulation rows")
    display.figure_.tight_layout()
    display.figure_.savefig(out / "quickstart_scaling_curve.png", dpi=100)
    plt.close(display.figure_)
    print(f"\nplot written to {(out / 'quickstart_scaling_curve.png').resolve()}")


if __name__ == "__main__":
    main()
