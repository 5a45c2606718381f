"""FF-KM or Morgan counts: which polymer representation transfers better from simulation?

The reference study (Minami et al., npj Comput. Mater. 11, 146, 2025) describes polymers by
RadonPy's force-field kernel mean descriptor (FF-KM: distributions of GAFF2 parameters over a
cyclic 10-mer, 190 features, :class:`~sim2real_sklearn.featurizers.ForceFieldKernelMean`).
This example runs the two polymer studies of the package twice, once with FF-KM and once with
Morgan count fingerprints, on the same splits with the same seeds, so every trial gives a
paired comparison:

- **refractive index** (as ``03_refractive_index.py``): 1075 RadonPy MD simulations of PI1070
  as the source, 44 measured polymers as the target; repeated 5-fold cross-validation,
  simulations of each trial's test polymers dropped from the source; the 256-128 network
  with a ``StandardScaler`` fitted on the source rows in front (as there), and again without
  it. Morgan: counts of the repeat unit (radius 2, 1024 bits, connection points as dummy
  atoms, as ``sim2real curve`` uses them).
- **Flory-Huggins chi** (as ``02_flory_huggins_chi.py``, fine-tuning only): 1206 COSMO-RS
  chi values as the source, 1190 measured ones as the target; 20% of the pairs held out per
  trial with their COSMO-RS rows; inputs are polymer features, solvent features and 1000/T,
  unscaled. Morgan: the example's 512-bit counts of the polymer's cyclic 10-mer and of the
  solvent (1025 inputs); FF-KM: 190 features of the polymer (its cyclic 10-mer built from the
  repeat unit) and 190 of the solvent (381 inputs).

FF-KM is computed with ``zero_below=1e-6`` (Gaussian tails below it would be blown up by the
scaler, see its docstring) once per distinct SMILES, through a disk cache in
``--cache`` (default ``<out>/feature_cache``): a second run skips the 5-minute featurization.
Rows that a representation cannot featurize (an atom GAFF2 cannot type) are left out of both,
so that the comparison stays paired; the script says how many.

Outputs in ``--out`` (default ``ffkm_results``): per study and preprocessing a figure with
both curves (``ffkm_vs_morgan_<study>[_unscaled].png``), the per-trial scores
(``<study>_scores.csv``) and ``summary.json`` with the table of ``examples/RESULTS.md``.

Run::

    python examples/06_ffkm_descriptor.py                 # both studies, 50 + 20 trials
    python examples/06_ffkm_descriptor.py --study chi     # one of them
    python examples/06_ffkm_descriptor.py --quick         # smoke test: tiny epochs, few rows

Needs the ``radonpy`` extra (``pip install sim2real-sklearn[radonpy]``).
"""

import argparse
import json
import sys
import time
from itertools import islice
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.model_selection import GroupShuffleSplit, RepeatedKFold  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sim2real_sklearn import (  # noqa: E402
    FitOnSource,
    ScalingCurveDisplay,
    Sim2RealRegressor,
    make_sim2real_pipeline,
    scaling_curve,
)
from sim2real_sklearn.datasets import (  # noqa: E402
    fetch_flory_huggins_chi,
    fetch_polymer_refractive_index,
)
from sim2real_sklearn.featurizers import ForceFieldKernelMean, MorganFingerprint  # noqa: E402

LABELS = {"ffkm": "FF-KM (190)", "morgan": "Morgan counts",
          "ffkm_unscaled": "FF-KM (190), no scaler", "morgan_unscaled": "Morgan counts, no scaler"}
RI = {"full": {"pretrain_epochs": 100, "finetune_epochs": 60, "repeats": 10,
               "source_sizes": [25, 50, 100, 250, 500, 1000], "n_source": None},
      "quick": {"pretrain_epochs": 3, "finetune_epochs": 3, "repeats": 1,
                "source_sizes": [10, 20, 40], "n_source": 60}}
# The reference's source sizes; the largest is capped at what every trial keeps.
CHI = {"full": {"pretrain_epochs": 100, "finetune_epochs": 60, "n_trials": 20,
                "n_pairs": None, "source_sizes": [75, 150, 300, 600, 1200]},
       "quick": {"pretrain_epochs": 2, "finetune_epochs": 2, "n_trials": 2, "n_pairs": 150,
                 "source_sizes": [20, 40, 80]}}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", choices=("refractive_index", "chi", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="tiny epochs, few rows and trials")
    parser.add_argument("--repeats", type=int, help="repeats of the refractive-index 5-fold "
                        "split (default 10: 50 trials)")
    parser.add_argument("--trials", type=int, help="chi trials (default 20)")
    parser.add_argument("--out", default="ffkm_results", help="output folder")
    parser.add_argument("--cache", help="FF-KM disk cache (default <out>/feature_cache)")
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel trials and featurizing")
    parser.add_argument("--seed", type=int, default=0, help="root of every seed")
    return parser.parse_args(argv)


# ------------------------------------------------------------------ features
def featurize_unique(featurizer, strings):
    """Rows of ``featurizer`` for ``strings``, each distinct string computed once."""
    unique, inverse = np.unique(np.asarray(strings, dtype=object).astype(str),
                                return_inverse=True)
    return featurizer.fit_transform(unique)[inverse]


def ffkm(args, cache):
    return ForceFieldKernelMean(zero_below=1e-6, errors="nan", n_jobs=args.n_jobs, memory=cache)


def morgan(fp_size, connection_points="dummy"):
    return MorganFingerprint(radius=2, fp_size=fp_size, count=True,
                             connection_points=connection_points, errors="nan")


def valid_in_all(features):
    """Rows finite in every representation: a paired comparison needs the same rows."""
    return np.logical_and.reduce([np.isfinite(X).all(axis=1) for X in features.values()])


# ------------------------------------------------------------------- studies
def refractive_index_study(args, settings, cache):
    ri = fetch_polymer_refractive_index()
    source = np.arange(len(ri.source_smiles))
    if settings["n_source"] is not None:
        source = np.random.default_rng(args.seed).choice(source, settings["n_source"],
                                                         replace=False)
    smiles = np.concatenate([ri.target_smiles, ri.source_smiles[source]])
    start = time.perf_counter()
    features = {"ffkm": featurize_unique(ffkm(args, cache), smiles),
                "morgan": featurize_unique(morgan(1024), smiles)}
    print(f"refractive index: featurized {len(smiles)} repeat units in "
          f"{time.perf_counter() - start:.0f} s", flush=True)
    n_exp = len(ri.target)
    keep = valid_in_all(features)
    keep_exp, keep_sim = keep[:n_exp], keep[n_exp:]
    dropped = {"target": int((~keep_exp).sum()), "source": int((~keep_sim).sum())}
    y_exp, y_sim = ri.target[keep_exp], ri.source_target[source][keep_sim]
    groups_exp, groups_sim = ri.groups[keep_exp], ri.source_groups[source][keep_sim]
    splits = list(RepeatedKFold(n_splits=5, n_repeats=settings["repeats"],
                                random_state=args.seed).split(y_exp))
    results = {}
    # With the scaler of 03_refractive_index.py, and without: FF-KM values are already
    # fractions in [0, 1], and a scaler fitted on few rows (direct learning, small sources)
    # divides its rare columns by a tiny spread.
    variants = [(name, X, scaled) for scaled in (True, False) for name, X in features.items()]
    for name, X, scaled in variants:
        regressor = Sim2RealRegressor(hidden_layer_sizes=(256, 128),
                                      pretrain_epochs=settings["pretrain_epochs"],
                                      finetune_epochs=settings["finetune_epochs"],
                                      random_state=args.seed)
        model = (make_sim2real_pipeline(FitOnSource(StandardScaler()), regressor) if scaled
                 else regressor)
        name = name if scaled else f"{name}_unscaled"
        start = time.perf_counter()
        results[name] = scaling_curve(
            model, X[n_exp:][keep_sim], y_sim, X[:n_exp][keep_exp], y_exp,
            source_sizes=settings["source_sizes"], cv=splits,
            source_groups=groups_sim, target_groups=groups_exp,
            n_jobs=args.n_jobs, random_state=args.seed,
        )
        print(f"  {name}: {len(splits)} trials in {time.perf_counter() - start:.0f} s",
              flush=True)
    pairs = [("ffkm", "morgan"), ("ffkm_unscaled", "morgan_unscaled")]
    return results, pairs, dropped, {"inputs": {k: int(v.shape[1]) for k, v in features.items()}}


def chi_study(args, settings, cache):
    chi = fetch_flory_huggins_chi()
    frame = pd.DataFrame(np.vstack([chi.data, chi.source_data]), columns=chi.feature_names)
    n_exp = len(chi.data)
    groups = np.concatenate([chi.groups, chi.source_groups])
    y_all = np.concatenate([chi.target, chi.source_target])
    if settings["n_pairs"] is not None:  # quick: the rows of a few pairs only
        pairs = np.random.default_rng(args.seed).choice(np.unique(chi.groups),
                                                        settings["n_pairs"], replace=False)
        rows = np.isin(groups, pairs)
        n_exp = int(rows[: len(chi.data)].sum())
        frame, groups, y_all = frame[rows].reset_index(drop=True), groups[rows], y_all[rows]
    inverse_t = frame[["inverse_temperature"]].to_numpy(dtype=float)
    start = time.perf_counter()
    ff = ffkm(args, cache)
    fp = morgan(512)
    features = {
        "ffkm": np.hstack([featurize_unique(ff, frame["polymer_repeat_unit"]),
                           featurize_unique(ff, frame["solvent_smiles"]), inverse_t]),
        "morgan": np.hstack([featurize_unique(fp, frame["polymer_smiles"]),
                             featurize_unique(fp, frame["solvent_smiles"]), inverse_t]),
    }
    print(f"chi: featurized {len(frame)} rows in {time.perf_counter() - start:.0f} s",
          flush=True)
    keep = valid_in_all(features)
    keep_exp, keep_sim = keep[:n_exp], keep[n_exp:]
    unfeaturized = sorted(set(frame["solvent_smiles"][~keep]) | set(
        frame["polymer_repeat_unit"][~keep]))
    dropped = {"target": int((~keep_exp).sum()), "source": int((~keep_sim).sum())}
    y_exp, y_sim = y_all[:n_exp][keep_exp], y_all[n_exp:][keep_sim]
    g_exp, g_sim = groups[:n_exp][keep_exp], groups[n_exp:][keep_sim]

    n_trials = settings["n_trials"]
    cv = GroupShuffleSplit(n_splits=n_trials, test_size=0.2, random_state=args.seed)
    dropped_per_trial = [np.isin(g_sim, np.unique(g_exp[test])).sum()
                         for _, test in islice(cv.split(g_exp, groups=g_exp), n_trials)]
    largest = len(g_sim) - int(max(dropped_per_trial))
    reference = settings["source_sizes"]
    sizes = sorted({s for s in reference if s < largest} | {min(reference[-1], largest)})
    results = {}
    for name, X in features.items():
        model = Sim2RealRegressor(
            hidden_layer_sizes=(256, 128), strategy="finetune",
            pretrain_epochs=settings["pretrain_epochs"], pretrain_lr=1e-3,
            pretrain_batch_size=32, finetune_epochs=settings["finetune_epochs"],
            finetune_lr=3e-4, finetune_batch_size=32, random_state=args.seed,
        )
        start = time.perf_counter()
        results[name] = scaling_curve(
            model, X[n_exp:][keep_sim].astype(np.float32), y_sim,
            X[:n_exp][keep_exp].astype(np.float32), y_exp,
            source_sizes=sizes, cv=cv, n_trials=n_trials,
            source_groups=g_sim, target_groups=g_exp,
            n_jobs=args.n_jobs, random_state=args.seed,
        )
        print(f"  {name}: {n_trials} trials in {time.perf_counter() - start:.0f} s",
              flush=True)
    return results, [("ffkm", "morgan")], dropped, {
        "inputs": {k: int(v.shape[1]) for k, v in features.items()},
        "unfeaturized_smiles": unfeaturized}


# ------------------------------------------------------------------ analysis
def bootstrap_mean_interval(values, seed, n=2000, confidence=0.9):
    rng = np.random.default_rng(seed)
    values = np.asarray(values, dtype=float)
    means = rng.choice(values, size=(n, len(values))).mean(axis=1)
    tail = (1 - confidence) / 2
    return [float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))]


def compare(results, laws, seed):
    """Per variant: the curve, its direct-learning baseline, the gain over it, the law."""
    table = {}
    for name, result in results.items():
        law = laws[name]
        largest = result.scores[-1]
        gain = result.baseline_scores - largest
        table[name] = {
            "source_sizes": result.source_sizes.tolist(),
            "mean_mae": np.nanmean(result.scores, axis=1).round(5).tolist(),
            "baseline_mae": round(float(np.nanmean(result.baseline_scores)), 5),
            "n_trials": int(result.n_trials),
            "gain_over_direct_at_largest": {
                "mean": round(float(np.nanmean(gain)), 5),
                "interval_90": [round(v, 5) for v in bootstrap_mean_interval(gain, seed)],
                "trials_better": int((gain > 0).sum()),
            },
            "power_law": law.summary(),
        }
    return table


def paired_differences(first, second, seed):
    """``first`` minus ``second`` per trial (same splits, same seeds), at each size."""
    paired = {}
    rows = [(int(size), first.scores[i], second.scores[i])
            for i, size in enumerate(first.source_sizes)]
    rows.append(("direct_learning", first.baseline_scores, second.baseline_scores))
    for size, a, b in rows:
        diff = a - b  # < 0: first better
        paired[size] = {
            "mean_diff": round(float(np.nanmean(diff)), 5),
            "interval_90": [round(v, 5) for v in bootstrap_mean_interval(diff, seed)],
            "trials_first_better": int((diff < 0).sum()),
        }
    return paired


def scores_frame(results):
    rows = []
    for name, result in results.items():
        for trial in range(result.n_trials):
            rows.append({"representation": name, "source_size": 0, "trial": trial,
                         "mae": result.baseline_scores[trial]})
            for i, size in enumerate(result.source_sizes):
                rows.append({"representation": name, "source_size": int(size), "trial": trial,
                             "mae": result.scores[i, trial]})
    return pd.DataFrame(rows)


def plot(results, laws, names, title, path):
    fig, ax = plt.subplots(figsize=(7.2, 4.6))
    for i, name in enumerate(names):
        result, color = results[name], f"C{i}"
        law = laws[name]
        ScalingCurveDisplay(
            source_sizes=result.source_sizes, scores=result.scores,
            baseline_scores=result.baseline_scores, power_law=law, score_name="MAE",
        ).plot(
            ax=ax,
            line_kw={"color": color, "label": f"{LABELS[name]}, mean (90% CI)"},
            law_kw={"color": color, "label": f"{LABELS[name]}: " + law.equation(latex=True)},
            baseline_kw={"color": color, "label": f"{LABELS[name]}, direct learning"},
        )
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def print_table(study, table, paired):
    print(f"\n== {study}: mean MAE on the experimental test rows ==")
    sizes = next(iter(table.values()))["source_sizes"]
    print("source rows      " + "  ".join(f"{s:>7d}" for s in sizes) + "   direct")
    for name, row in table.items():
        print(f"{name:<15}  " + "  ".join(f"{m:7.4f}" for m in row["mean_mae"])
              + f"  {row['baseline_mae']:7.4f}")
    for pair, rows in paired.items():
        print(f"paired {pair} (90% interval; trials the first is better):")
        for size, row in rows.items():
            low, high = row["interval_90"]
            print(f"  {size!s:>15}: {row['mean_diff']:+.4f} ({low:+.4f} to {high:+.4f}); "
                  f"{row['trials_first_better']}")


def main(argv=None):
    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    sklearn.set_config(enable_metadata_routing=True)  # the pipeline routes X_source
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = args.cache or str(out / "feature_cache")
    studies = ["refractive_index", "chi"] if args.study == "both" else [args.study]
    summary = {"command": "python examples/06_ffkm_descriptor.py " + " ".join(
        sys.argv[1:] if argv is None else argv)}
    for study in studies:
        start = time.perf_counter()
        if study == "refractive_index":
            settings = dict(RI[mode], **({"repeats": args.repeats} if args.repeats else {}))
            results, pairs, dropped, info = refractive_index_study(args, settings, cache)
            title = "Refractive index: FF-KM vs. Morgan counts (RadonPy MD source)"
        else:
            settings = dict(CHI[mode], **({"n_trials": args.trials} if args.trials else {}))
            results, pairs, dropped, info = chi_study(args, settings, cache)
            title = "Experimental chi: FF-KM vs. Morgan counts (COSMO-RS source)"
        laws = {name: result.fit_power_law(confidence=0.9) for name, result in results.items()}
        table = compare(results, laws, args.seed)
        paired = {f"{a} minus {b}": paired_differences(results[a], results[b], args.seed)
                  for a, b in pairs}
        scores_frame(results).to_csv(out / f"{study}_scores.csv", index=False)
        for a, b in pairs:
            suffix = "_unscaled" if a.endswith("_unscaled") else ""
            plot(results, laws, (a, b), title + (", no scaler" if suffix else ""),
                 out / f"ffkm_vs_morgan_{study}{suffix}.png")
        summary[study] = {"representations": table, "paired": paired,
                          "rows_left_out": dropped, "settings": settings,
                          "wall_time_s": round(time.perf_counter() - start, 1), **info}
        print_table(study, table, paired)
        if any(dropped.values()):
            print(f"rows left out of both representations (not featurizable): {dropped}")
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"\nfigures, scores and summary.json in {out.resolve()}")


if __name__ == "__main__":
    main()
