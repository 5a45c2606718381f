"""The sim2real command as a chemist meets it: the demo, a study on CSV files, clear errors."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim2real_sklearn.cli import main

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
FAST = ["--trials", "2", "--pretrain-epochs", "3", "--finetune-epochs", "3", "--hidden", "16"]


def test_demo_quick_writes_plot_scores_and_report(tmp_path, capsys):
    assert main(["demo", "--quick", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert (tmp_path / "scaling_curve.png").stat().st_size > 10_000
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert set(scores.columns) >= {"source_size", "trial", "error"}
    assert report["power_law"]["alpha"]["value"] > 0
    assert "baseline_mae" in report["planning"]
    out = capsys.readouterr().out
    assert "fitted law: MAE =" in out and "direct learning" in out


def write_polymers(folder, n_source=60, n_target=30, bad_rows=()):
    rng = np.random.default_rng(0)
    units = ["*CC*", "*CC(*)C", "*CC(*)c1ccccc1", "*CC(*)Cl", "*CC(*)C#N", "*OCC*", "*CC(*)O",
             "*CC(*)(C)C(=O)OC", "*C(F)(F)C(F)(F)*", "*CC(*)C(=O)O"]
    def table(n):
        smiles = rng.choice(units, size=n)
        y = np.array([len(s) for s in smiles]) / 10 + rng.normal(0, 0.05, n)
        return pd.DataFrame({"smiles": smiles, "value": y, "polymer": smiles})
    source, target = table(n_source), table(n_target)
    for row in bad_rows:
        target.loc[row, "smiles"] = "C1CC(*"
    source.to_csv(folder / "sim.csv", index=False)
    target.to_csv(folder / "exp.csv", index=False)
    return folder / "sim.csv", folder / "exp.csv"


def curve(tmp_path, sim, exp, *extra):
    return main(["curve", "--source", str(sim), "--target", str(exp), "--smiles-col", "smiles",
                 "--y-col", "value", "--out", str(tmp_path / "out"), "--sizes", "5", "10", "40",
                 *FAST, *extra])


def test_curve_on_csv_files_with_groups(tmp_path, capsys):
    sim, exp = write_polymers(tmp_path)
    # trials hold out 2 of the 10 polymers; their source rows go too (leakage guard)
    assert curve(tmp_path, sim, exp, "--group-col", "polymer") == 0
    from sim2real_sklearn import ScalingCurveResult
    result = ScalingCurveResult.load(tmp_path / "out" / "scaling_curve_result.npz")
    assert (np.asarray(result.n_source_dropped) > 0).all()
    # 58 source rows asked, fewer are left once a trial's test polymers are dropped
    assert curve(tmp_path, sim, exp, "--group-col", "polymer", "--sizes", "4", "8", "58",
                 "--overwrite") == 2
    assert "available source rows" in capsys.readouterr().err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["study"]["n_target_rows"] == 30
    assert report["study"]["group_col"] == "polymer"
    assert len(pd.read_csv(tmp_path / "out" / "scores.csv")) >= 2 * 2


def test_missing_column_is_named_with_the_columns_that_exist(tmp_path, capsys):
    sim, exp = write_polymers(tmp_path)
    assert main(["curve", "--source", str(sim), "--target", str(exp), "--smiles-col", "SMILES",
                 "--y-col", "value", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "column 'SMILES' not found" in err and "smiles, value, polymer" in err


def test_invalid_smiles_are_counted_and_listed_then_dropped_on_request(tmp_path, capsys):
    sim, exp = write_polymers(tmp_path, bad_rows=(3, 17))
    assert curve(tmp_path, sim, exp) == 2
    err = capsys.readouterr().err
    # file line numbers: header is line 1, so rows 3 and 17 are lines 5 and 19
    assert "2 invalid row(s)" in err and "row 19" in err
    assert "row 5: smiles='C1CC(*' is not valid" in err
    assert curve(tmp_path, sim, exp, "--drop-invalid") == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert sorted(report["study"]["dropped_rows"]["target"]) == ["19", "5"]
    assert report["study"]["n_target_rows"] == 28


def test_empty_file_and_wrong_delimiter(tmp_path, capsys):
    sim, exp = write_polymers(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert main(["curve", "--source", str(empty), "--target", str(exp), "--smiles-col", "smiles",
                 "--y-col", "value", "--out", str(tmp_path / "o")]) == 2
    assert "is empty" in capsys.readouterr().err
    semi = tmp_path / "semi.csv"
    pd.read_csv(exp).to_csv(semi, sep=";", index=False)
    assert main(["curve", "--source", str(sim), "--target", str(semi), "--smiles-col", "smiles",
                 "--y-col", "value", "--out", str(tmp_path / "o")]) == 2
    assert "use --delimiter" in capsys.readouterr().err


def test_sizes_too_large_or_too_few(tmp_path, capsys):
    sim, exp = write_polymers(tmp_path)
    args = ["curve", "--source", str(sim), "--target", str(exp), "--smiles-col", "smiles",
            "--y-col", "value", "--out", str(tmp_path / "o"), "--sizes"]
    assert main(args + ["10", "20", "500"]) == 2
    assert "asks for 500 source rows but the source has 60" in capsys.readouterr().err
    assert main(args + ["10", "20"]) == 2
    assert "at least 3 different source sizes" in capsys.readouterr().err


def test_non_numeric_property_values_are_listed(tmp_path, capsys):
    sim, exp = write_polymers(tmp_path)
    table = pd.read_csv(exp)
    table["value"] = table["value"].astype(object)
    table.loc[4, "value"] = "about 3"
    table.loc[7, "value"] = None
    table.to_csv(exp, index=False)
    assert curve(tmp_path, sim, exp) == 2
    err = capsys.readouterr().err
    assert "row 6: value='about 3' is not a number" in err and "row 9: value is missing" in err


@pytest.mark.skipif(not (SHARED / "chi_experimental.csv").exists(), reason="shared data not here")
def test_curve_on_the_public_chi_files_with_pair_features_and_temperature(tmp_path):
    assert main(["curve", "--source", str(SHARED / "chi_cosmo_rs.csv"),
                 "--target", str(SHARED / "chi_experimental.csv"), "--smiles-col", "ps_pair",
                 "--featurizer", "pair", "--extra-cols", "temp", "--y-col", "chi",
                 "--group-col", "ps_pair", "--sizes", "50", "100", "400",
                 "--out", str(tmp_path / "chi"),
                 *FAST]) == 0
    report = json.loads((tmp_path / "chi" / "report.json").read_text())
    assert report["study"]["n_target_rows"] == 1190
    assert report["study"]["n_source_rows"] == 1206


def test_summary_prints_the_verdict_the_advice_and_every_warning(tmp_path, capsys):
    sim, exp = write_polymers(tmp_path)
    assert curve(tmp_path, sim, exp, "--extrapolation-limit", "5", "--advice-fits", "7") == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert isinstance(report["scaling_detected"], bool)
    summary = out[out.index("\ndone in"):].splitlines()[2:]
    assert summary == report["summary"].splitlines()
    first = summary[0]
    if report["scaling_detected"]:
        assert first.startswith("scaling detected: the MAE falls by")
    else:
        assert first.startswith(("no scaling detected between 5 and 40", "transfer hurts"))
        assert "source rows needed" not in out
    assert report["planning"]["extrapolation_limit"] == 5
    assert "2 trials each" in out and "next study (7 more fits)" in out
    assert report["warnings"] and all(w in out for w in report["warnings"])
    for row in report["planning"]["n_required"]:
        factor = row["extrapolation_factor"]
        assert factor is None or factor <= 5 or row["source_size"] is None


@pytest.mark.parametrize("option, value", [("--extrapolation-limit", "0.5"),
                                           ("--extrapolation-limit", "nan"),
                                           ("--advice-fits", "0")])
def test_report_options_are_refused_before_any_work(tmp_path, capsys, option, value):
    sim, exp = write_polymers(tmp_path)
    with pytest.raises(SystemExit) as stop:
        curve(tmp_path, sim, exp, option, value)
    assert stop.value.code == 2
    assert f"argument {option}" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# -- featurizer options a polymer dataset needs ------------------------------------------------

def with_end_markers(path, marked):
    """The same CSV with the repeat units' ends written as [Ce] and [Th] instead of *."""
    table = pd.read_csv(path)
    table["smiles"] = [s.replace("*", "[Ce]", 1).replace("*", "[Th]", 1) for s in table["smiles"]]
    table.to_csv(marked, index=False)
    return marked


def test_placeholders_read_ce_and_th_ends_as_connection_points(tmp_path):
    sim, exp = write_polymers(tmp_path)
    assert curve(tmp_path, sim, exp) == 0
    starred = pd.read_csv(tmp_path / "out" / "scores.csv")
    sim_ce = with_end_markers(sim, tmp_path / "sim_ce.csv")
    exp_ce = with_end_markers(exp, tmp_path / "exp_ce.csv")
    assert "[Ce]CC[Th]" in set(pd.read_csv(exp_ce)["smiles"])
    assert main(["curve", "--source", str(sim_ce), "--target", str(exp_ce), "--smiles-col",
                 "smiles", "--y-col", "value", "--out", str(tmp_path / "ce"), "--sizes", "5",
                 "10", "40", *FAST, "--placeholders", "Ce", "Th"]) == 0
    report = json.loads((tmp_path / "ce" / "report.json").read_text())
    assert "placeholders=('Ce', 'Th')" in report["study"]["featurizer"]
    # the same molecules, so the same features and the very same study
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "ce" / "scores.csv")["error"],
                                  starred["error"])


def test_strategy_auto_runs_and_is_recorded(tmp_path):
    sim, exp = write_polymers(tmp_path)
    assert curve(tmp_path, sim, exp, "--strategy", "auto") == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    study = report["study"]
    assert study["strategy"] == "auto"
    # what auto chose in each trial, counted at the largest size
    counts = report["strategies"]["at_largest_size"]["counts"]
    assert sum(counts.values()) == 2 and set(counts) <= {"finetune", "freeze", "none"}
    assert study["epochs"] == [int(FAST[FAST.index("--pretrain-epochs") + 1]),
                               int(FAST[FAST.index("--finetune-epochs") + 1])]


def test_unknown_strategy_is_refused_with_the_choices(tmp_path, capsys):
    sim, exp = write_polymers(tmp_path)
    with pytest.raises(SystemExit):
        curve(tmp_path, sim, exp, "--strategy", "best")
    assert "choose from" in capsys.readouterr().err


def test_ring_and_fingerprint_options_reach_the_featurizer(tmp_path):
    sim, exp = write_polymers(tmp_path)
    assert curve(tmp_path, sim, exp, "--connection-points", "cyclic", "--n-repeat-units", "4",
                 "--fp-size", "64", "--radius", "3") == 0
    featurizer = json.loads((tmp_path / "out" / "report.json").read_text())["study"]["featurizer"]
    for text in ("connection_points='cyclic'", "n_repeat_units=4", "fp_size=64", "radius=3"):
        assert text in featurizer


def test_a_pair_passes_the_options_to_its_component_featurizer(tmp_path):
    rng = np.random.default_rng(0)
    polymers = ["[Ce]CC[Th]", "[Ce]CC([Th])C", "[Ce]CC([Th])c1ccccc1", "[Ce]OCC[Th]"]
    solvents = ["CCO", "c1ccccc1", "ClC(Cl)Cl", "CC(C)=O"]
    for name, n in (("sim", 40), ("exp", 20)):
        pairs = [f"{p}_{s}" for p, s in zip(rng.choice(polymers, n), rng.choice(solvents, n))]
        pd.DataFrame({"pair": pairs, "chi": [len(p) / 20 for p in pairs]}).to_csv(
            tmp_path / f"{name}.csv", index=False)
    assert main(["curve", "--source", str(tmp_path / "sim.csv"), "--target",
                 str(tmp_path / "exp.csv"), "--smiles-col", "pair", "--featurizer", "pair",
                 "--y-col", "chi", "--out", str(tmp_path / "out"), "--sizes", "5", "10", "40",
                 *FAST, "--placeholders", "Ce", "Th", "--fp-size", "32"]) == 0
    featurizer = json.loads((tmp_path / "out" / "report.json").read_text())["study"]["featurizer"]
    assert featurizer.startswith("PairFeaturizer(") and "fp_size=32" in featurizer
    assert "placeholders=('Ce', 'Th')" in featurizer


@pytest.mark.parametrize("options, message", [
    (["--featurizer", "descriptors", "--fp-size", "64"],
     "--fp-size is an option of --featurizer morgan, pair, not of descriptors"),
    (["--placeholders", "Ce", "Xx"], "--placeholders must be element symbols such as Ce Th"),
    (["--n-repeat-units", "4"], "--n-repeat-units sets the ring of --connection-points cyclic"),
])
def test_featurizer_options_are_checked_before_any_file_is_read(tmp_path, capsys, options,
                                                                 message):
    missing = tmp_path / "no_such.csv"  # were the files read first, this would be the error
    assert main(["curve", "--source", str(missing), "--target", str(missing), "--smiles-col",
                 "smiles", "--y-col", "value", "--out", str(tmp_path / "out"), *options]) == 2
    err = capsys.readouterr().err
    assert message in err and "no such file" not in err


def test_options_for_other_inputs_are_refused(tmp_path, capsys):
    missing = tmp_path / "no_such.csv"
    assert main(["curve", "--source", str(missing), "--target", str(missing), "--formula-col",
                 "formula", "--y-col", "value", "--out", str(tmp_path / "out"),
                 "--placeholders", "Ce", "Th"]) == 2
    assert "not of composition" in capsys.readouterr().err


def test_connection_point_choices_are_the_featurizers_modes():
    from sim2real_sklearn.cli import _CONNECTION_POINTS
    from sim2real_sklearn.featurizers import CONNECTION_POINT_MODES

    assert _CONNECTION_POINTS == CONNECTION_POINT_MODES


def test_strategy_choices_are_the_regressors():
    from sim2real_sklearn.cli import _STRATEGIES
    from sim2real_sklearn.transfer._regressor import STRATEGIES

    assert sorted(_STRATEGIES) == sorted(STRATEGIES)
