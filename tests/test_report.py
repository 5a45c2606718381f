"""The study report: planning answers recovered from curves with known laws."""

import json
import re
import warnings

import numpy as np
import pytest

from sim2real_sklearn import ScalingCurveResult
from sim2real_sklearn.scaling import write_report

SOURCE = np.array([30, 100, 300, 1000])
TARGET = np.array([20, 40, 80, 160])


def direct(m):
    return 2.0 * m ** -0.5 + 0.05


def transfer(n, m):
    return (1.0 * n ** -0.3 + 0.08) * (m / 160.0) ** -0.3


def grid_result(n_trials=12, seed=0):
    rng = np.random.default_rng(seed)
    errors = np.empty((len(SOURCE) + 1, len(TARGET), n_trials))
    errors[0] = direct(TARGET)[:, None]
    errors[1:] = transfer(SOURCE[:, None], TARGET[None, :])[..., None]
    errors *= 1 + 0.01 * rng.normal(size=errors.shape)
    return ScalingCurveResult(source_sizes=SOURCE, target_sizes=TARGET, errors=errors,
                              n_source_dropped=np.zeros(n_trials),
                              n_target_train=np.full(n_trials, 160),
                              random_state=0)


def test_report_answers_follow_the_known_laws(tmp_path):
    report = write_report(grid_result(), tmp_path)
    on_disk = json.loads((tmp_path / "report.json").read_text())
    plan = report["planning"]
    # transfer at 1000 rows: 1000**-0.3 + 0.08 = 0.2059; direct learning reaches it at
    # m = (2 / (0.2059 - 0.05))**2 = 164.6 experiments
    expected = (2.0 / (1000 ** -0.3 + 0.08 - 0.05)) ** 2
    eq = plan["equivalent_experimental_samples"]
    assert eq["value"] == pytest.approx(expected, rel=0.1)
    assert eq["interval"][0] <= eq["value"] <= eq["interval"][1]
    on_disk_eq = on_disk["planning"]["equivalent_experimental_samples"]
    assert on_disk_eq["value"] == pytest.approx(eq["value"])
    assert plan["baseline_mae"]["mean"] == pytest.approx(direct(160), rel=0.02)
    # below the fitted transfer gap, no amount of simulation reaches the target: null in JSON
    assert on_disk["planning"]["n_required"][-1]["source_size"] is None
    assert "experiments" in report["summary"]
    assert (tmp_path / "scaling_curve.png").stat().st_size > 10_000


def test_baseline_law_needs_the_grid():
    result = grid_result()
    no_grid = ScalingCurveResult(source_sizes=SOURCE, target_sizes=None,
                                 errors=result._errors[:, -1:, :], n_source_dropped=np.zeros(12),
                                 n_target_train=np.full(12, 160), random_state=0)
    with pytest.raises(ValueError, match="target_sizes"):
        no_grid.fit_baseline_law()


def test_report_records_the_laws_warnings_and_leaves_size_zero_to_the_baseline(tmp_path):
    # Three source sizes and size 0 (direct learning): the law sees the three
    # only, and says they cannot separate its exponent from its floor.
    sizes = np.array([0, 100, 300, 1000])
    # Row 0 is the baseline, the next rows follow the sizes: size 0 is direct learning too.
    mean = np.r_[0.6, 0.6, 2.0 * sizes[1:] ** -0.3 + 0.1]
    noise = 1 + 0.01 * np.random.default_rng(0).normal(size=(5, 1, 12))
    result = ScalingCurveResult(source_sizes=sizes, target_sizes=None,
                                errors=mean[:, None, None] * noise,
                                n_source_dropped=np.zeros(12), n_target_train=np.full(12, 40),
                                random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the law's diagnostics go to the report, not the console
        report = write_report(result, tmp_path)
    assert report["power_law"]["sizes"] == [100.0, 300.0, 1000.0]
    assert any("cannot be told apart" in w for w in report["warnings"])
    assert report["planning"]["baseline_mae"]["mean"] == pytest.approx(0.6, rel=0.01)


# -- honest answers: what the printed summary may and may not say -------------------

def study(sizes, means, baseline, *, n_trials=10, fit_cv=0.12, trial_cv=0.1, seed=0,
          scoring="neg_mean_absolute_error"):
    """A result whose per-size means are exactly ``means`` (and ``baseline``), with trial noise.

    The noise is what real studies show: a trial effect shared by every size
    of a trial (same split, nested subsets) and a per-fit scatter.
    """
    rng = np.random.default_rng(seed)
    means = np.r_[baseline, means]
    noise = np.exp(rng.normal(0, trial_cv, (1, n_trials))
                   + rng.normal(0, fit_cv, (means.size, n_trials)))
    errors = means[:, None] * noise
    errors *= (means / errors.mean(axis=1))[:, None]
    return ScalingCurveResult(source_sizes=sizes, target_sizes=None, errors=errors[:, None, :],
                              n_source_dropped=np.zeros(n_trials),
                              n_target_train=np.full(n_trials, 250), random_state=0,
                              scoring=scoring)


def quiet_report(result, tmp_path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every diagnostic goes to the report, none to the console
        return write_report(result, tmp_path, **kwargs)


def printed_sizes(summary):
    """Every number printed except factors ('85x'), percentages and p-values."""
    numbers = re.findall(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)(?![\d.,]*(?:x|%|e-))", summary)
    return [float(n.replace(",", "")) for n in numbers]


def assert_no_zero_width_interval(summary):
    for low, high in re.findall(r"CI (\S+) to (\S+?)[,;)]", summary):
        assert low != high, summary


def assert_nothing_beyond(summary, limit):
    assert max(printed_sizes(summary)) <= limit, summary


def test_a_curve_that_goes_up_and_down_gives_no_planning_numbers(tmp_path):
    # MD vs measured Tg of 315 polymers: 27.5, 30.8, 25.6 at sizes 30, 100, 250, 10 trials.
    result = study(np.array([30, 100, 250]), np.array([27.5, 30.8, 25.6]), 28.0)
    report = quiet_report(result, tmp_path)
    summary = report["summary"]
    assert report["scaling_detected"] is False
    assert summary.startswith("no scaling detected between 30 and 250 source rows")
    assert "source rows needed" not in summary and "transfer beats" not in summary
    assert all(row["source_size"] is None and row["extrapolation_factor"] is None
               for row in report["planning"]["n_required"])
    assert report["planning"]["gain_of_next_decade"]["value"] is None
    assert "1,957" not in summary
    assert_nothing_beyond(summary, 10 * 250)
    assert_no_zero_width_interval(summary)
    # the law's line is drawn, but its equation is not offered as a law of scaling
    assert "describes no scaling" in summary


def test_alpha_on_its_lower_bound_is_not_an_estimate(tmp_path):
    # The same study with groups: a curve that does not fall puts alpha on its
    # bound (a flat law), with refits all there.
    result = study(np.array([30, 100, 250]), np.array([26.2, 26.4, 26.5]), 27.0, fit_cv=0.05)
    report = quiet_report(result, tmp_path)
    law, summary = report["power_law"], report["summary"]
    assert law["alpha"]["status"] == "not_identified" and law["alpha"]["at_bound"]
    assert "scaling strength alpha: at its bound (0.0001), not identified" in summary
    assert "0.0001 (90% CI 0.0001 to 0.0001)" not in summary
    # a flat law cannot tell its level D + C apart
    assert law["C"]["status"] == "not_identified"
    assert "transfer beats direct learning from about 0" not in summary
    assert_no_zero_width_interval(summary)
    assert_nothing_beyond(summary, 10 * 250)


def test_a_gap_on_its_bound_in_every_refit_is_not_an_interval(tmp_path):
    # A pure power law (no floor): C sits on 0 in the refits; the error keeps falling.
    sizes = np.array([50, 200, 800])
    result = study(sizes, 1.36 * sizes**-0.156, 0.84, fit_cv=0.03)
    report = quiet_report(result, tmp_path)
    law, summary = report["power_law"], report["summary"]
    assert report["scaling_detected"] is True
    assert law["C"]["status"] == "not_identified" and law["C"]["at_bound_share"] > 0.5
    assert "transfer gap C: at its bound (0), not identified" in summary
    assert "transfer gap C = 0 (90% CI 0 to 0)" not in summary
    assert_no_zero_width_interval(summary)
    # sizes needed beyond 10x the largest size are not printed, only how far the law puts them
    plan = report["planning"]
    far = [row for row in plan["n_required"] if row["reach"] == "beyond_limit"]
    assert far and all(row["source_size"] is None and row["extrapolation_factor"] > 10
                       and row["law_value"] > 8000 for row in far)
    assert "beyond the 10x limit of extrapolation" in summary
    assert_nothing_beyond(summary, 10 * 800)


def test_an_answer_within_the_limit_says_how_far_it_extrapolates(tmp_path):
    sizes = np.array([50, 200, 800])
    result = study(sizes, 1.36 * sizes**-0.156, 0.84, fit_cv=0.03)
    plan = quiet_report(result, tmp_path, extrapolation_limit=100)["planning"]
    row = plan["n_required"][1]
    assert row["reach"] == "extrapolation" and 10 < row["extrapolation_factor"] <= 100
    assert row["source_size"] == pytest.approx(row["extrapolation_factor"] * 800)
    summary = quiet_report(result, tmp_path, extrapolation_limit=100)["summary"]
    assert f"{row['source_size']:,.0f} rows" in summary
    assert f"an extrapolation to {row['extrapolation_factor']:.0f}x the largest size" in summary


def test_rising_errors_say_that_transfer_hurts_and_from_where(tmp_path):
    sizes = np.array([30, 100, 300, 1000])
    result = study(sizes, np.array([0.30, 0.33, 0.37, 0.42]), 0.34, fit_cv=0.05)
    report = quiet_report(result, tmp_path)
    summary = report["summary"]
    assert report["scaling_detected"] is False
    assert report["power_law"]["scaling_test"]["error_rises"]
    hurts = report["planning"]["transfer_hurts"]
    assert hurts["lowest_error_at"] == 30
    # the means cross 0.34 between 100 (0.33) and 300 (0.37), in log-log
    expected = np.exp(np.log(100) + np.log(0.34 / 0.33) / np.log(0.37 / 0.33) * np.log(3))
    assert hurts["worse_than_baseline_from"] == pytest.approx(expected, rel=1e-6)
    assert summary.startswith("transfer hurts: the MAE rises by")
    assert f"worse than direct learning from about {expected:,.0f} source rows" in summary
    assert "gain" not in summary and "would lower" not in summary


def test_break_even_inside_the_measured_sizes_comes_from_the_means(tmp_path):
    sizes = np.array([100, 300, 1000, 3000, 10000])
    means = 2 * sizes**-0.4 + 0.05
    baseline = float(np.sqrt(means[1] * means[2]))  # between 300 and 1000
    report = quiet_report(study(sizes, means, baseline, fit_cv=0.05, n_trials=12), tmp_path)
    cross = report["planning"]["transfer_beats_baseline_from"]
    assert cross["method"] == "measured" and cross["reach"] == "inside"
    assert 300 < cross["source_size"] < 1000
    assert cross["interval"][0] <= cross["source_size"] <= cross["interval"][1]
    assert "read from the measured means" in report["summary"]


def test_every_warning_is_printed_with_the_number_of_trials(tmp_path):
    result = study(np.array([30, 100, 250]), np.array([27.5, 30.8, 25.6]), 28.0, n_trials=6)
    report = quiet_report(result, tmp_path)
    on_disk = json.loads((tmp_path / "report.json").read_text())
    assert len(on_disk["warnings"]) >= 3 and all(isinstance(w, str) for w in on_disk["warnings"])
    for warning in on_disk["warnings"]:
        assert warning in report["summary"]
    assert "6 trials each" in report["summary"]
    assert any("only 6 trials" in w for w in on_disk["warnings"])


@pytest.mark.parametrize("case", ["falls", "flat", "rises", "grid"])
def test_report_json_contract(tmp_path, case):
    sizes = np.array([30, 100, 300, 1000])
    result = {"falls": study(sizes, 2 * sizes**-0.4 + 0.05, 0.4),
              "flat": study(sizes, np.full(4, 0.3), 0.4),
              "rises": study(sizes, np.array([0.30, 0.33, 0.37, 0.42]), 0.34, fit_cv=0.05),
              "grid": grid_result()}[case]
    quiet_report(result, tmp_path)
    report = json.loads((tmp_path / "report.json").read_text())
    assert isinstance(report["scaling_detected"], bool)
    answers = [v for v in report["planning"].values() if isinstance(v, dict)]
    answers += report["planning"]["n_required"]
    assert len(answers) >= 6
    for answer in answers:
        factor = answer["extrapolation_factor"]
        assert factor is None or isinstance(factor, float), answer
    for warning in report["warnings"]:
        assert isinstance(warning, str) and warning in report["summary"]
    assert_no_zero_width_interval(report["summary"])


def test_an_rmse_study_is_fitted_and_printed_as_rmse(tmp_path):
    sizes = np.array([100, 300, 1000, 3000])
    result = study(sizes, 2 * sizes**-0.4 + 0.05, 0.4, scoring="neg_root_mean_squared_error")
    report = quiet_report(result, tmp_path)
    assert report["power_law"]["equation"].startswith("RMSE = ")
    assert "fitted law: RMSE = " in report["summary"]
    assert "mean RMSE with 3,000" in report["summary"]
    assert "MAE" not in report["summary"]


def test_the_advice_is_in_the_report_and_says_when_the_source_is_too_small(tmp_path):
    sizes = np.array([100, 300, 1000])
    result = study(sizes, 2 * sizes**-0.4, 0.4, fit_cv=0.05, n_trials=12)  # no floor
    report = quiet_report(result, tmp_path, source_rows=1000, advice_fits=24)
    advice = report["advice"]
    assert advice["n_fits"] == 24 and advice["recommended"]["n_fits"] <= 24
    assert advice["gap_identifiable"] is False
    assert "next study (24 more fits)" in report["summary"]
    assert "too small to identify the transfer gap C" in report["summary"]
    larger = quiet_report(result, tmp_path, source_rows=100_000, advice_fits=24)["advice"]
    assert max(larger["recommended"]["new_sizes"]) == 100_000


def test_allocation_of_a_budget_in_the_report(tmp_path):
    report = quiet_report(grid_result(), tmp_path, budget=5000, cost_source=1, cost_target=20)
    plan = report["allocation"]
    assert plan["source_size"] + 20 * plan["target_size"] == pytest.approx(5000)
    assert plan["source_reach"] in ("inside", "extrapolation", "beyond_limit")
    assert "best split of a budget of 5,000" in report["summary"]
    with pytest.raises(ValueError, match="two-way study"):
        write_report(study(SOURCE, transfer(SOURCE, 160), 0.3), tmp_path / "x", budget=10)


@pytest.mark.parametrize("kwargs, match", [
    ({"extrapolation_limit": 0.5}, "'extrapolation_limit' parameter of write_report"),
    ({"advice_fits": 0}, "'advice_fits' parameter of write_report"),
    ({"source_rows": -3}, "'source_rows' parameter of write_report"),
])
def test_report_options_are_checked_before_any_file_is_written(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        write_report(grid_result(), tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()
