"""Evidence suite: which transfer strategy pays off on which pair; does ``strategy="auto"`` find it?

For every pair (public data: Flory-Huggins chi, polymer refractive index; a
synthetic family with discrepancy 0.1, 0.3, 0.6 and 1.0, the last an
uninformative source) and every candidate (fixed strategies, recipe variants,
``auto``), the same trials: each trial splits the experimental rows (by
polymer or pair where rows share one, dropping the source rows of the test
groups), fits every candidate with the whole remaining source, and scores the
mean absolute error on the test part. Direct learning (no source) is fitted
on the same splits with the same seeds, so every comparison is paired.

Printed per pair: mean MAE, its ratio to direct learning, wins over direct
learning out of the trials, and the mean fit time; for ``auto``, how often
each strategy was chosen; the fit-time ratio of ``auto`` to a plain fine-tune
whose pretraining is cached (both read the same pretraining cache).

    python benchmarks/bench_transfer_suite.py                     # every pair, 10 trials
    python benchmarks/bench_transfer_suite.py --pairs chi ri --trials 20
    python benchmarks/bench_transfer_suite.py --candidates direct finetune auto --quick
    python benchmarks/bench_transfer_suite.py --json suite.json   # also write the numbers
"""

import argparse
import json
import sys
import tempfile
import time
import warnings
from collections import Counter

import numpy as np
import sklearn
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit
from sklearn.preprocessing import StandardScaler

from sim2real_sklearn import FitOnSource, Sim2RealRegressor, make_sim2real_pipeline, scaling_curve
from sim2real_sklearn.datasets import make_sim2real_regression

# Regressor settings of each candidate on top of the pair's network.
CANDIDATES = {
    "direct": {},  # read from the baseline of every run
    "finetune": {"strategy": "finetune"},
    "finetune_lr3e-4": {"strategy": "finetune", "finetune_lr": 3e-4},
    "freeze": {"strategy": "freeze"},
    "multitask": {"strategy": "multitask"},
    "auto": {"strategy": "auto"},
    # recipe variants of fine-tuning
    "ft_lr1e-3": {"strategy": "finetune", "finetune_lr": 1e-3},
    "ft_l1": {"strategy": "finetune", "loss": "l1"},
    "ft_mse": {"strategy": "finetune", "loss": "mse"},
    "ft_huber": {"strategy": "finetune", "loss": "huber"},
    "ft_l1_lr1e-3": {"strategy": "finetune", "loss": "l1", "finetune_lr": 1e-3},
    "ft_cosine_lr1e-3": {"strategy": "finetune", "finetune_lr": 1e-3,
                         "finetune_lr_schedule": "cosine"},
    "ft_body0.1_lr1e-3": {"strategy": "finetune", "finetune_lr": 1e-3, "body_lr_ratio": 0.1},
    "ft_l2sp_lr1e-3": {"strategy": "finetune", "finetune_lr": 1e-3, "l2sp": 1.0},
    "ft_100ep_l1_lr1e-3": {"strategy": "finetune", "loss": "l1", "finetune_lr": 1e-3,
                           "finetune_epochs": 100},
    "ft_body0.3": {"strategy": "finetune", "finetune_lr": 1e-3, "body_lr_ratio": 0.3},
    "ft_cosine": {"strategy": "finetune", "finetune_lr": 1e-3, "finetune_lr_schedule": "cosine"},
    "ft_body0.3_cosine": {"strategy": "finetune", "finetune_lr": 1e-3, "body_lr_ratio": 0.3,
                          "finetune_lr_schedule": "cosine"},
    "ft_l2sp0.1": {"strategy": "finetune", "finetune_lr": 1e-3, "l2sp": 0.1},
    "auto_lr3e-4": {"strategy": "auto", "finetune_lr": 3e-4},
    "ft_200ep_lr1e-3": {"strategy": "finetune", "finetune_lr": 1e-3, "finetune_epochs": 200},
    "ft_200ep_lr1e-3_cos": {"strategy": "finetune", "finetune_lr": 1e-3, "finetune_epochs": 200,
                            "finetune_lr_schedule": "cosine"},
    "ft_200ep_lr3e-3_cos": {"strategy": "finetune", "finetune_lr": 3e-3, "finetune_epochs": 200,
                            "finetune_lr_schedule": "cosine"},
    "ft_200ep_l1_lr1e-3_cos": {"strategy": "finetune", "loss": "l1", "finetune_lr": 1e-3,
                               "finetune_epochs": 200, "finetune_lr_schedule": "cosine"},
}
DEFAULT_CANDIDATES = ("direct", "finetune", "freeze", "multitask", "auto")


# -- the pairs ------------------------------------------------------------------------


def synthetic_pair(discrepancy, seed):
    X_sim, y_sim, X_exp, y_exp = make_sim2real_regression(
        n_source=2000, n_target=150, n_features=20, discrepancy=discrepancy, noise=0.05,
        random_state=seed)
    return {"name": f"synthetic d={discrepancy}", "X_sim": X_sim, "y_sim": y_sim, "X_exp": X_exp,
            "y_exp": y_exp, "groups": None, "scale": True}


def refractive_index_pair(seed):
    from rdkit.Chem import Descriptors

    from sim2real_sklearn.datasets import fetch_polymer_refractive_index
    from sim2real_sklearn.featurizers import RDKitDescriptors

    ri = fetch_polymer_refractive_index()
    names = [name for name, _ in Descriptors._descList if name != "Ipc"]
    featurizer = RDKitDescriptors(names, connection_points="hydrogen", n_jobs=2)
    X_all = featurizer.fit_transform(np.concatenate([ri.target_smiles, ri.source_smiles]))
    n = len(ri.target)
    return {"name": "refractive index (PI1070 MD -> 44 measured)", "X_sim": X_all[n:],
            "y_sim": ri.source_target, "X_exp": X_all[:n], "y_exp": ri.target,
            "groups": (ri.source_groups, ri.groups), "scale": True, "test_size": 0.2}


def chi_pair(seed):
    import pandas as pd
    from sklearn.compose import ColumnTransformer

    from sim2real_sklearn.datasets import fetch_flory_huggins_chi
    from sim2real_sklearn.featurizers import MorganFingerprint

    chi = fetch_flory_huggins_chi()
    fingerprint = MorganFingerprint(radius=2, fp_size=512, count=True)
    features = ColumnTransformer([
        ("polymer", fingerprint, "polymer_smiles"),
        ("solvent", fingerprint, "solvent_smiles"),
        ("inverse_temperature", "passthrough", ["inverse_temperature"]),
    ])
    rows = pd.DataFrame(np.vstack([chi.data, chi.source_data]), columns=chi.feature_names)
    X = features.fit_transform(rows).astype(np.float64)
    n = len(chi.data)
    return {"name": "Flory-Huggins chi (COSMO-RS -> experiment)", "X_sim": X[n:],
            "y_sim": chi.source_target, "X_exp": X[:n], "y_exp": chi.target,
            "groups": (chi.source_groups, chi.groups), "scale": False}


def load_pairs(names, seed):
    """The pairs one by one (each featurized when its turn comes)."""
    for name in names:
        if name == "synthetic":
            yield from (synthetic_pair(d, seed) for d in (0.1, 0.3, 0.6, 1.0))
        elif name == "ri":
            yield refractive_index_pair(seed)
        elif name == "chi":
            yield chi_pair(seed)
        else:
            raise SystemExit(f"unknown pair {name!r}: use synthetic, ri or chi")


# -- one candidate on one pair ------------------------------------------------------------


def model_for(pair, params, epochs, memory):
    regressor = Sim2RealRegressor(hidden_layer_sizes=(256, 128), memory=memory,
                                  **{**epochs, **params})
    if pair["scale"]:
        return make_sim2real_pipeline(FitOnSource(StandardScaler()), regressor)
    return make_sim2real_pipeline(regressor)


def run_candidate(pair, name, n_trials, epochs, seed, n_jobs, memory, batch_trials=True):
    """Scores of one candidate: (transfer errors, direct errors, fit times, chosen strategies)."""
    test_size = pair.get("test_size", 0.2)
    kwargs = dict(n_trials=n_trials, random_state=seed, n_jobs=n_jobs, return_times=True,
                  test_size=test_size, batch_trials=batch_trials)
    n_source = len(pair["y_sim"])
    if pair["groups"] is not None:
        source_groups, target_groups = pair["groups"]
        kwargs.update(source_groups=source_groups, target_groups=target_groups,
                      cv=GroupShuffleSplit(n_splits=n_trials, test_size=test_size,
                                           random_state=seed))
        # The whole source left in every trial once its test groups are dropped.
        splits = kwargs["cv"].split(pair["X_exp"], groups=target_groups)
        n_source -= max(int(np.isin(source_groups, np.unique(target_groups[test])).sum())
                        for _, test in splits)
    else:
        kwargs["cv"] = ShuffleSplit(n_splits=n_trials, test_size=test_size, random_state=seed)
    params = CANDIDATES["finetune" if name == "direct" else name]
    model = model_for(pair, params, epochs, memory)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = scaling_curve(model, pair["X_sim"], pair["y_sim"], pair["X_exp"], pair["y_exp"],
                               source_sizes=[n_source], **kwargs)
    chosen = None
    if result.strategies is not None and name == "auto":
        counts = Counter(result.strategies[0])
        chosen = ", ".join(f"{k} {v}" for k, v in counts.most_common())
    return {"errors": result.scores[0], "direct": result.baseline_scores,
            "fit_times": result.fit_times[0], "direct_fit_times": result.baseline_fit_times,
            "n_source": n_source, "chosen": chosen}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", nargs="+", default=["synthetic", "ri", "chi"])
    parser.add_argument("--candidates", nargs="+", default=list(DEFAULT_CANDIDATES),
                        choices=list(CANDIDATES))
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="few epochs, 3 trials (smoke test)")
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args(argv)
    sklearn.set_config(enable_metadata_routing=True)
    epochs = ({"pretrain_epochs": 5, "finetune_epochs": 5} if args.quick
              else {"pretrain_epochs": 100, "finetune_epochs": 60})
    n_trials = 3 if args.quick else args.trials
    report = {"trials": n_trials, "epochs": epochs, "pairs": {}}
    for pair in load_pairs(args.pairs, args.seed):
        memory = tempfile.mkdtemp(prefix="suite-pretraining-")  # shared by every candidate
        rows = {}
        # Fill the pretraining cache first, so that every candidate's fit time
        # (fine-tuning's included) is measured with its pretraining cached.
        run_candidate(pair, "finetune", n_trials, epochs, args.seed, args.n_jobs, memory)
        order = sorted(args.candidates, key=lambda c: (c != "finetune", c))
        for name in order:
            start = time.perf_counter()
            rows[name] = run_candidate(pair, name, n_trials, epochs, args.seed, args.n_jobs, memory)
            rows[name]["wall"] = time.perf_counter() - start
        direct = rows[order[0]]["direct"]
        print(f"\n## {pair['name']}: {len(pair['y_exp'])} experimental rows, "
              f"{rows[order[0]]['n_source']} source rows, {n_trials} paired trials")
        print(f"{'candidate':<22}{'mean MAE':>10}{'/ direct':>10}{'wins':>8}{'fit s':>8}"
              f"{'own direct':>12}  chosen")
        summary = {}
        for name in args.candidates:
            errors = direct if name == "direct" else rows[name]["errors"]
            times = (rows[order[0]]["direct_fit_times"] if name == "direct"
                     else rows[name]["fit_times"])
            wins = int((errors < direct).sum()) if name != "direct" else 0
            chosen = rows[name].get("chosen") if name == "auto" else None
            summary[name] = {"mean_mae": float(np.mean(errors)),
                             "ratio_to_direct": float(np.mean(errors) / np.mean(direct)),
                             "wins": wins, "mean_fit_seconds": float(np.mean(times)),
                             "chosen": chosen,
                             "trial_mae": [float(e) for e in errors]}  # for paired analyses
            # Direct learning with this candidate's own fine-tuning settings.
            own = np.mean(rows[name]["direct"]) if name != "direct" else np.mean(direct)
            summary[name]["own_direct_mae"] = float(own)
            print(f"{name:<22}{np.mean(errors):>10.4g}{np.mean(errors) / np.mean(direct):>10.3f}"
                  f"{wins:>5}/{n_trials:<2}{np.mean(times):>8.2f}{own:>12.4g}  {chosen or ''}")
        if "auto" in rows:
            # The cost of auto against a plain fine-tune, both one fit per cell reading the
            # same cached pretraining (a batched study stacks the fine-tunes' trials and
            # pretrains them in the stack, which is another comparison).
            plain = run_candidate(pair, "finetune", n_trials, epochs, args.seed, args.n_jobs,
                                  memory, batch_trials=False)
            ratio = np.mean(rows["auto"]["fit_times"]) / np.mean(plain["fit_times"])
            summary["auto_fit_cost_vs_cached_finetune"] = float(ratio)
            print(f"auto's fit time / a fine-tune with cached pretraining (one fit per cell, "
                  f"{np.mean(plain['fit_times']):.2f} s): {ratio:.2f}x")
        report["pairs"][pair["name"]] = summary
        sys.stdout.flush()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
