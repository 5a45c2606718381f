"""The ``sim2real`` command: scaling studies from the shell.

    sim2real demo --out demo_output
    sim2real curve --source sim.csv --target exp.csv --smiles-col smiles --y-col chi \\
                   --group-col pair --out my_study

Both write ``scaling_curve.png``, ``scores.csv`` and ``report.json`` (the law
with its intervals and the planning answers) and print a short summary.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from ._workers import start_workers, stop_workers

FEATURIZERS = ("morgan", "descriptors", "pair", "ffkm", "composition", "columns")
# Which featurizers read which input option; the first is the default.
_FEATURIZERS_OF = {"smiles_col": ("morgan", "descriptors", "pair", "ffkm"),
                   "formula_col": ("composition",),
                   "feature_cols": ("columns",)}
# The files a study writes into --out; --overwrite replaces these and nothing else.
_OUTPUT_FILES = ("scaling_curve.png", "scores.csv", "report.json", "scaling_curve_result.npz")


class InputError(ValueError):
    """Bad input files or options, explained for the person at the keyboard."""


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    # A study's workers start now and import torch while this process does the same;
    # they are stopped when it ends (about 1.5 s sooner than at the interpreter's exit).
    workers = start_workers(args.n_jobs) if hasattr(args, "n_jobs") else None
    try:
        return args.run(args, workers)
    except InputError as error:
        print(f"sim2real: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        kept = ("the finished trials are kept in --checkpoint-dir: run the same command "
                "to resume" if getattr(args, "checkpoint_dir", None) else
                "nothing was written; pass --checkpoint-dir to make a long study resumable")
        print(f"\nsim2real: interrupted; {kept}.", file=sys.stderr)
        return 130  # the shell's code for a program stopped by SIGINT
    finally:
        if workers is not None:
            stop_workers()


def _parser():
    parser = argparse.ArgumentParser(
        prog="sim2real",
        description="Sim2Real transfer learning: how the experimental error falls as the "
                    "simulation database grows.",
    )
    commands = parser.add_subparsers(dest="command")

    demo = commands.add_parser(
        "demo", help="run a scaling study on built-in synthetic data (no download)")
    demo.add_argument("--out", default="demo_output", help="output folder (default: demo_output)")
    demo.add_argument("--overwrite", action="store_true",
                      help="replace the files of an earlier study in --out")
    demo.add_argument("--quick", action="store_true", help="a small study in seconds (for CI)")
    _add_study_options(demo, trials=8, n_jobs=-1)
    demo.set_defaults(run=run_demo)

    curve = commands.add_parser("curve", help="run a scaling study on your CSV files")
    curve.add_argument("--source", required=True, help="CSV of simulation (source) data")
    curve.add_argument("--target", required=True, help="CSV of experimental (target) data")
    curve.add_argument("--smiles-col", help="column of SMILES (polymers may use * or [*])")
    curve.add_argument("--formula-col", help="column of chemical formulas (inorganic)")
    curve.add_argument("--feature-cols", help="comma-separated numeric feature columns")
    curve.add_argument("--y-col", required=True, help="property column in the target file")
    curve.add_argument("--source-y-col",
                       help="property column in the source file (default: --y-col)")
    curve.add_argument("--group-col", help="column naming the material in both files: source "
                       "rows of a test material are left out of its trial (no leakage)")
    curve.add_argument("--featurizer", choices=FEATURIZERS,
                       help="default: morgan (count fingerprint) for SMILES, composition for "
                            "formulas; pair for 'A_B' strings such as polymer_solvent")
    curve.add_argument("--extra-cols", help="comma-separated numeric columns appended to the "
                       "features, e.g. temperature")
    polymers = curve.add_argument_group(
        "polymer repeat units", "options of the SMILES featurizers (given: passed on; "
        "otherwise the featurizer's default)")
    polymers.add_argument("--placeholders", nargs="+", metavar="SYMBOL",
                          help="element symbols that mark the ends of a repeat unit instead of "
                               "*, e.g. --placeholders Ce Th")
    polymers.add_argument("--connection-points", choices=_CONNECTION_POINTS,
                          help="what connection points become: dummy atoms (default), hydrogen "
                               "caps, or a cyclic oligomer")
    polymers.add_argument("--n-repeat-units", type=_at_least(int, 2),
                          help="repeat units of the ring of --connection-points cyclic "
                               "(default 10)")
    polymers.add_argument("--fp-size", type=_at_least(int, 1),
                          help="Morgan fingerprint length (default 1024; pair: 512 per component)")
    polymers.add_argument("--radius", type=_at_least(int, 0), help="Morgan radius (default 2)")
    curve.add_argument("--delimiter", default=",", help="CSV delimiter (default ',')")
    curve.add_argument("--encoding", default="utf-8",
                       help="text encoding of the CSV files (default utf-8; e.g. latin-1)")
    curve.add_argument("--drop-invalid", action="store_true",
                       help="leave out rows with invalid SMILES/formulas or missing values "
                            "(listed in the report) instead of stopping")
    curve.add_argument("--out", required=True, help="output folder (new or empty)")
    curve.add_argument("--overwrite", action="store_true",
                       help="replace the files of an earlier study in --out (other files "
                            "there are left alone)")
    _add_study_options(curve, trials=20)
    curve.set_defaults(run=run_curve)
    return parser


def _add_study_options(parser, trials, n_jobs=1):
    parser.add_argument("--sizes", type=float, nargs="+",
                        help="source sizes: counts, or fractions of the source in (0, 1]")
    parser.add_argument("--trials", type=int, default=trials,
                        help=f"trials per size (default {trials})")
    parser.add_argument("--test-size", type=float, default=0.2,
                        help="experimental test fraction per trial (default 0.2)")
    parser.add_argument("--n-jobs", type=int, default=n_jobs,
                        help=f"parallel trials, -1 for all cores (default {n_jobs}); the numbers "
                             "do not depend on it")
    parser.add_argument("--strategy", default="finetune",
                        choices=_STRATEGIES,
                        help="how the source is used (default finetune, as Sim2RealRegressor); "
                             "auto picks per fit by an inner validation on the training rows "
                             "among these and direct learning (2-3x slower)")
    parser.add_argument("--hidden", default="256,128", help="hidden layer sizes (default 256,128)")
    parser.add_argument("--pretrain-epochs", type=int, default=100)
    parser.add_argument("--finetune-epochs", type=int, default=60)
    parser.add_argument("--checkpoint-dir", help="keep finished trials here; a re-run resumes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--extrapolation-limit", type=_at_least(float, 1), default=10.0,
                        help="planning answers beyond this many times the largest size measured "
                             "are not printed as numbers (default 10)")
    parser.add_argument("--advice-fits", type=_at_least(int, 1),
                        help="extra fits the advice for the next study may spend "
                             "(default: as many as this study)")


def _at_least(kind, minimum):
    """An argparse type: a number of ``kind`` >= ``minimum``, refused before any work."""
    def parse(text):
        value = kind(text)
        if not value >= minimum:  # NaN too
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        return value
    parse.__name__ = kind.__name__  # argparse names it in "invalid float value"
    return parse


# -- demo --

def run_demo(args, workers=None):
    from .datasets import make_sim2real_regression

    _check_output_options(args)
    # 12,800 rows and sizes from 100 give two decades: enough to see the law (45 s to 2 min on
    # 2 cores, as fast as the host's matrix products).
    n_source = 800 if args.quick else 12800
    X_sim, y_sim, X_exp, y_exp = make_sim2real_regression(
        n_source=n_source, n_target=100, n_features=20, discrepancy=0.3, noise=0.05,
        random_state=args.seed,
    )
    if args.quick:
        args.trials = min(args.trials, 3)
        args.pretrain_epochs, args.finetune_epochs = 10, 20
        args.hidden = "32"
        sizes = args.sizes or [50, 200, 800]
    else:
        sizes = args.sizes or [100, 200, 400, 800, 1600, 3200, 6400, 12800]
    print(f"synthetic study: {n_source} simulation rows, 100 experimental rows, 20 features "
          f"(make_sim2real_regression, discrepancy 0.3)")
    return _run_study(args, X_sim, y_sim, X_exp, y_exp, sizes=sizes, workers=workers,
                      title="sim2real demo (synthetic data)",
                      extra={"data": "make_sim2real_regression(n_source=%d, n_target=100, "
                                     "n_features=20, discrepancy=0.3, noise=0.05, random_state=%d)"
                                     % (n_source, args.seed)})


# -- curve on the user's files --

def run_curve(args, workers=None):
    # Every option is checked before the first file is read: a study that
    # runs for an hour must not fail at its end on a folder or a typo.
    _check_output_options(args)
    kind, input_col = _input_kind(args)
    featurizer_options = _featurizer_options(args, kind)
    y_target_col, y_source_col = args.y_col, args.source_y_col or args.y_col
    columns = ([c.strip() for c in args.feature_cols.split(",")] if kind == "columns"
               else [input_col])
    extra_cols = [c.strip() for c in args.extra_cols.split(",")] if args.extra_cols else []
    for option, names in (("--feature-cols", columns if kind == "columns" else []),
                          ("--extra-cols", extra_cols)):
        leaked = sorted({y_target_col, y_source_col} & set(names))
        if leaked:
            raise InputError(f"{option} includes the property column {leaked[0]!r} (--y-col/"
                             "--source-y-col): the model would be given the answer as an input")
    if not args.delimiter:
        raise InputError("--delimiter must be a character, such as ',' ';' or a tab")
    source = _read_table(args.source, "--source", args.delimiter, args.encoding)
    target = _read_table(args.target, "--target", args.delimiter, args.encoding)
    for table, path, option, needed in (
        (source, args.source, "--source", columns + [y_source_col]),
        (target, args.target, "--target", columns + [y_target_col]),
    ):
        for column in needed + extra_cols + ([args.group_col] if args.group_col else []):
            _check_column(table, column, path, option)

    dropped = {}
    y_sim, bad_y_sim = _numeric(source[y_source_col], y_source_col)
    y_exp, bad_y_exp = _numeric(target[y_target_col], y_target_col)
    if kind == "pair":
        for table, option in ((source, "--source"), (target, "--target")):
            values = table[input_col].astype(str)
            if not values.str.contains("_", regex=False).any():
                raise InputError(
                    f"{option}: --featurizer pair reads pairs such as 'polymer_solvent' joined "
                    f"by '_', but no value of {input_col!r} has a '_' (first: "
                    f"{values.iloc[0]!r}); for single molecules use --featurizer morgan")
    featurizer = _featurizer(kind, columns)
    if featurizer_options:  # a pair passes them to its component featurizer
        featurizer.set_params(**{("featurizer__" if kind == "pair" else "") + name: value
                                 for name, value in featurizer_options.items()})
    print(f"featurizing {len(source)} source and {len(target)} target rows "
          f"({type(featurizer).__name__})...", flush=True)
    X_sim, bad_x_sim = _features(featurizer, source, columns, kind, extra_cols)
    X_exp, bad_x_exp = _features(featurizer, target, columns, kind, extra_cols)

    keep_sim = _reject_or_drop(source, args.source, bad_x_sim, bad_y_sim, args.drop_invalid,
                               dropped, "source")
    keep_exp = _reject_or_drop(target, args.target, bad_x_exp, bad_y_exp, args.drop_invalid,
                               dropped, "target")
    X_sim, y_sim, X_exp, y_exp = X_sim[keep_sim], y_sim[keep_sim], X_exp[keep_exp], y_exp[keep_exp]
    groups = {}
    if args.group_col:
        groups = {"source_groups": source[args.group_col].astype(str).to_numpy()[keep_sim],
                  "target_groups": target[args.group_col].astype(str).to_numpy()[keep_exp]}
    sizes = args.sizes or _default_sizes(len(X_sim))
    _check_sizes_fit(sizes, len(X_sim), len(X_exp), args.test_size)
    extra = {"source_file": str(args.source), "target_file": str(args.target),
             "featurizer": repr(featurizer), "n_source_rows": int(len(X_sim)),
             "n_target_rows": int(len(X_exp)), "dropped_rows": dropped,
             "group_col": args.group_col}
    return _run_study(args, X_sim, y_sim, X_exp, y_exp, sizes=sizes, workers=workers,
                      title=f"{y_target_col}: {Path(args.target).name}", extra=extra, **groups)


def _check_output_options(args):
    """Refuse an --out or --checkpoint-dir the study could not write to, before any work."""
    out = str(args.out).strip()
    if not out:
        raise InputError("--out must name a folder for the study's files")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out: {out} is a file; name a folder (new or empty)")
    if out.is_dir() and any(out.iterdir()) and not args.overwrite:
        present = sorted(p.name for p in out.iterdir())
        raise InputError(
            f"--out: {out} is not empty "
            f"({', '.join(present[:5])}{', ...' if len(present) > 5 else ''}); "
            "choose a new folder, or pass --overwrite to replace an earlier study's files "
            f"({', '.join(_OUTPUT_FILES)}) and leave everything else there alone")
    if args.checkpoint_dir:
        checkpoint = Path(args.checkpoint_dir)
        if checkpoint.exists() and not checkpoint.is_dir():
            raise InputError(f"--checkpoint-dir: {checkpoint} is a file; name a folder")


def _read_table(path, option, delimiter, encoding="utf-8"):
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{option}: no such file: {path}")
    try:
        table = pd.read_csv(path, sep=delimiter, encoding=encoding)
    except pd.errors.EmptyDataError:
        raise InputError(f"{option}: the file {path} is empty") from None
    except pd.errors.ParserError as error:
        raise InputError(f"{option}: cannot read {path} as CSV with delimiter "
                         f"{delimiter!r}: {error}") from None
    except UnicodeDecodeError as error:
        raise InputError(
            f"{option}: {path} is not {encoding} text (byte {error.object[error.start]:#04x} at "
            f"position {error.start}); if it is a CSV in another encoding pass --encoding "
            "(e.g. --encoding latin-1), otherwise give the CSV file") from None
    except LookupError:
        raise InputError(f"--encoding: unknown text encoding {encoding!r}") from None
    if table.empty:
        raise InputError(f"{option}: the file {path} has a header but no rows")
    return table


def _check_column(table, column, path, option):
    if column in table.columns:
        return
    existing = ", ".join(map(str, table.columns[:30]))
    hint = ""
    if len(table.columns) == 1 and any(sep in str(table.columns[0]) for sep in ",;\t|"):
        hint = (" (the file has a single column: is it separated by another character, "
                "such as ',', ';' or tabs? use --delimiter)")
    raise InputError(f"{option}: column {column!r} not found in {path}; its columns are: "
                     f"{existing}{hint}")


def _input_kind(args):
    """The featurizer (given or default) and the input column; refuses a mismatched pair."""
    given = [name for name in _FEATURIZERS_OF if getattr(args, name)]
    if len(given) != 1:
        raise InputError("give exactly one of --smiles-col, --formula-col or --feature-cols")
    option = given[0]
    allowed = _FEATURIZERS_OF[option]
    if args.featurizer and args.featurizer not in allowed:
        raise InputError(
            f"--featurizer {args.featurizer} does not read --{option.replace('_', '-')}; with it "
            f"use {' or '.join(allowed)}" + ("" if args.featurizer == "columns" else
                                             " (for numeric columns use --feature-cols)"))
    column = None if option == "feature_cols" else getattr(args, option)
    return args.featurizer or allowed[0], column


# The featurizers' CONNECTION_POINT_MODES, written out: importing them would load RDKit for --help.
_CONNECTION_POINTS = ("dummy", "hydrogen", "cyclic")
# Sim2RealRegressor's strategies, spelled here so that --help does not import torch (a test
# keeps the two equal).
_STRATEGIES = ("finetune", "freeze", "multitask", "auto")
# The featurizer options of the command line, and the featurizers that read each.
_OPTION_READERS = {"placeholders": ("morgan", "descriptors", "pair", "ffkm"),
                   "connection_points": ("morgan", "descriptors", "pair"),
                   "n_repeat_units": ("morgan", "descriptors", "pair"),
                   "fp_size": ("morgan", "pair"),
                   "radius": ("morgan", "pair")}


def _featurizer_options(args, kind):
    """The featurizer options given, checked against the featurizer before any file is read."""
    options = {name: getattr(args, name) for name in _OPTION_READERS
               if getattr(args, name, None) is not None}
    for name in options:
        if kind not in _OPTION_READERS[name]:
            raise InputError(f"--{name.replace('_', '-')} is an option of --featurizer "
                             f"{', '.join(_OPTION_READERS[name])}, not of {kind}")
    if "n_repeat_units" in options and options.get("connection_points") != "cyclic":
        raise InputError("--n-repeat-units sets the ring of --connection-points cyclic; "
                         "add --connection-points cyclic")
    if "placeholders" in options:
        from .featurizers._polymers import placeholder_atomic_numbers

        options["placeholders"] = tuple(options["placeholders"])
        try:
            placeholder_atomic_numbers(options["placeholders"], "sim2real curve")
        except ValueError:
            raise InputError("--placeholders must be element symbols such as Ce Th (the atoms "
                             "that mark the ends of a repeat unit); got "
                             f"{' '.join(options['placeholders'])}") from None
    return options


def _numeric(series, column):
    """A column as floats, and its invalid rows as {row: reason} (the package's one rule)."""
    import pandas as pd

    from ._validation import invalid_rows

    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    return values, invalid_rows(series.to_numpy(dtype=object), column)


def _featurizer(kind, columns):
    from .featurizers import (
        CompositionFeaturizer,
        ForceFieldKernelMean,
        MorganFingerprint,
        PairFeaturizer,
        RDKitDescriptors,
    )

    if kind == "morgan":
        return MorganFingerprint(count=True, fp_size=1024, errors="nan")
    if kind == "pair":
        return PairFeaturizer(
            MorganFingerprint(count=True, fp_size=512), errors="nan")
    if kind == "descriptors":
        return RDKitDescriptors(errors="nan")
    if kind == "ffkm":
        # zero_below: the scaler in front of the network must not blow up Gaussian tails
        return ForceFieldKernelMean(zero_below=1e-6, errors="nan")
    if kind == "composition":
        return CompositionFeaturizer(errors="nan")
    return None


def _features(featurizer, table, columns, kind, extra_cols=()):
    """Features (computed once for the whole study) and the invalid rows, as {row: reason}."""
    bad = {}
    parts = []
    if kind == "columns":
        for column in columns:
            values, bad_rows = _numeric(table[column], column)
            for row, reason in bad_rows.items():
                bad.setdefault(row, reason)
            parts.append(values[:, None])
    else:
        strings = table[columns[0]]
        X = np.asarray(featurizer.fit_transform(strings.astype(str).tolist()), dtype=float)
        invalid = np.isnan(X).any(axis=1) | strings.isna().to_numpy()
        bad.update({int(i): f"{columns[0]}={str(strings.iloc[i])!r} is not valid"
                    for i in np.flatnonzero(invalid)})
        parts.append(np.nan_to_num(X))
    for column in extra_cols:
        values, bad_rows = _numeric(table[column], column)
        for row, reason in bad_rows.items():
            bad.setdefault(row, reason)
        parts.append(values[:, None])
    return np.hstack(parts), bad


def _reject_or_drop(table, path, bad_x, bad_y, drop, dropped, which):
    bad = {**bad_y, **bad_x}
    keep = np.ones(len(table), dtype=bool)
    if not bad:
        return keep
    rows = sorted(bad)
    listing = "; ".join(f"row {i + 2}: {bad[i]}" for i in rows[:10])  # +2: header, 1-based
    more = f" (and {len(rows) - 10} more)" if len(rows) > 10 else ""
    if not drop:
        raise InputError(f"{len(rows)} invalid row(s) in {path} (file line numbers): "
                         f"{listing}{more}. "
                         "Fix them, or pass --drop-invalid to leave them out (they are listed "
                         "in report.json).")
    print(f"leaving out {len(rows)} invalid {which} row(s) of {path}: {listing}{more}",
          file=sys.stderr)
    keep[rows] = False
    dropped[which] = {str(i + 2): bad[i] for i in rows}
    return keep


def _default_sizes(n_source):
    """Powers of two up to the source, the whole source last (fewer than 3 are refused later)."""
    top = int(np.log2(max(n_source, 1)))
    sizes = [2**k for k in range(max(top - 5, 3), top + 1) if 2**k <= n_source]
    if not sizes or sizes[-1] < n_source:
        sizes.append(n_source)
    return sizes


def _check_sizes_fit(sizes, n_source, n_target, test_size):
    # Signs first: a 0 or a negative size is not a fraction of the source either.
    if any(not s > 0 for s in sizes):
        raise InputError(f"--sizes must be positive, got {sizes}")
    if not 0 < test_size < 1:
        raise InputError(f"--test-size must be a fraction in (0, 1), got {test_size}")
    whole = all(float(s).is_integer() and s >= 1 for s in sizes)
    counts = list(sizes) if whole else [s * n_source for s in sizes]
    if len(set(counts)) < 3:
        raise InputError("--sizes needs at least 3 different source sizes to fit the law, "
                         f"got {sizes}")
    too_big = [s for s in counts if s > n_source]
    if too_big:
        raise InputError(f"--sizes asks for {int(max(too_big))} source rows but the source has "
                         f"{n_source} usable rows")
    n_train = int(n_target * (1 - test_size))
    if n_train < 5 or n_target - n_train < 2:
        raise InputError(f"the target has {n_target} usable rows: too few for a "
                         f"{test_size:.0%} test part and a training part of at least 5 rows")


# -- the study itself --

def _run_study(args, X_sim, y_sim, X_exp, y_exp, *, sizes, title, extra, workers=None,
               **groups):
    import sklearn
    from sklearn.model_selection import GroupShuffleSplit
    from sklearn.preprocessing import StandardScaler

    from .scaling import scaling_curve, write_report
    from .transfer import FitOnSource, Sim2RealRegressor, make_sim2real_pipeline

    try:
        hidden = tuple(int(h) for h in str(args.hidden).split(",") if h.strip())
    except ValueError:
        raise InputError(
            f"--hidden must be comma-separated integers, got {args.hidden!r}") from None
    if args.trials < 1:
        raise InputError(f"--trials must be at least 1, got {args.trials}")
    # All whole numbers: counts of rows; otherwise fractions of the source.
    whole = all(float(s).is_integer() and s >= 1 for s in sizes)
    sizes = [int(s) for s in sizes] if whole else [float(s) for s in sizes]
    sklearn.set_config(enable_metadata_routing=True)
    model = make_sim2real_pipeline(
        FitOnSource(StandardScaler()),
        Sim2RealRegressor(hidden, strategy=args.strategy, pretrain_epochs=args.pretrain_epochs,
                          finetune_epochs=args.finetune_epochs, random_state=args.seed),
    )
    print(f"scaling study: sizes {sizes}, {args.trials} trials, direct-learning baseline, "
          f"n_jobs={args.n_jobs}", flush=True)
    start = time.perf_counter()
    if workers is not None:
        workers()  # the study starts when they are ready (its time includes what is left)
    try:
        # With groups, a trial holds out whole materials: other rows of a test
        # material (e.g. the same pair at another temperature) would leak.
        cv = (GroupShuffleSplit(n_splits=args.trials, test_size=args.test_size)
              if groups else None)
        result = scaling_curve(
            model, X_sim, y_sim, X_exp, y_exp, source_sizes=sizes, n_trials=args.trials,
            test_size=args.test_size, cv=cv, n_jobs=args.n_jobs, verbose=1,
            random_state=args.seed, checkpoint_dir=args.checkpoint_dir, return_times=True,
            **groups,
        )
    except ValueError as error:
        raise InputError(str(error)) from None
    elapsed = time.perf_counter() - start
    report = write_report(result, args.out, title=title,
                          extra={**extra, "strategy": args.strategy,
                                 "hidden_layer_sizes": list(hidden),
                                 "epochs": [args.pretrain_epochs, args.finetune_epochs],
                                 "seconds": round(elapsed, 1),
                                 "command": " ".join(sys.argv)},
                          extrapolation_limit=args.extrapolation_limit,
                          advice_fits=args.advice_fits, source_rows=len(X_sim))
    print(f"\ndone in {elapsed:.0f} s; wrote {Path(args.out) / 'scaling_curve.png'}, "
          f"scores.csv, report.json")
    print(report["summary"])
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
