"""The study report: planning answers recovered from curves with known laws."""

import json
import warnings

import numpy as np
import pytest

from sim2real_sklearn.scaling import write_report
from sim2real_sklearn import ScalingCurveResult

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
                              n_source_dropped=np.zeros(n_trials), n_target_train=np.full(n_trials, 160),
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
    assert on_disk["planning"]["equivalent_experimental_samples"]["value"] == pytest.approx(eq["value"])
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
