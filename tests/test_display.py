"""Plots a user makes of a scaling curve, its groups and its two-way grid."""

import types
import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sim2real_sklearn import (  # noqa: E402  # noqa: E402
    GridScalingCurveDisplay,
    GroupScalingCurveDisplay,
    PowerLaw,
    PowerLawWarning,
    ScalingCurveDisplay,
    ScalingCurveResult,
    TwoWayPowerLaw,
)

SIZES = np.array([50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000])
TARGET_SIZES = np.array([20, 50, 100, 200, 400])
N_TRIALS = 20


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def make_result(with_law=True):
    """A stand-in for a scaling-curve result, with realistic numbers."""
    rng = np.random.default_rng(0)
    noise = lambda *shape: np.exp(rng.normal(0, 0.1, shape))  # noqa: E731
    scores = (1.5 * SIZES**-0.4 + 0.15)[:, None] * noise(SIZES.size, N_TRIALS)
    grid = 2 * (0.1 + SIZES[:, None] ** -0.5) * TARGET_SIZES[None, :] ** -0.3
    groups = {
        name: (scale * SIZES**-0.3 + 0.1)[:, None] * noise(SIZES.size, N_TRIALS)
        for name, scale in [("aromatic", 1.0), ("aliphatic", 2.0), ("fluorinated", 1.5)]
    }
    result = types.SimpleNamespace(
        source_sizes=SIZES,
        scores=scores,
        baseline_scores=0.42 * noise(N_TRIALS),
        target_sizes=TARGET_SIZES,
        grid_scores=grid[..., None] * noise(SIZES.size, TARGET_SIZES.size, N_TRIALS),
        grid_baseline_scores=(1.1 * TARGET_SIZES**-0.3)[:, None]
        * noise(TARGET_SIZES.size, N_TRIALS),
        group_scores=groups,
        group_baseline_scores={name: 0.5 * noise(N_TRIALS) for name in groups},
        random_state=0,
    )
    if with_law:
        result.fit_power_law = lambda confidence=0.9: PowerLaw(
            confidence=confidence, n_bootstrap=100, random_state=0
        ).fit(SIZES, scores)
        # The result's own rules for the per-group and the two-way laws.
        for name in ("fit_group_laws", "fit_two_way_law"):
            setattr(result, name, types.MethodType(getattr(ScalingCurveResult, name), result))
    return result


def study_result(random_state, sizes=SIZES):
    """A real ScalingCurveResult with groups and a two-way grid."""
    rng = np.random.default_rng(1)
    # Size 0 (direct learning) gets the error of a one-row source: finite, off the curve.
    n, m = np.maximum(sizes, 1)[:, None, None], TARGET_SIZES[None, :, None]
    noise = lambda *shape: np.exp(rng.normal(0, 0.1, shape))  # noqa: E731
    errors = np.empty((sizes.size + 1, TARGET_SIZES.size, N_TRIALS))
    errors[0] = 1.1 * TARGET_SIZES[:, None] ** -0.3 * noise(TARGET_SIZES.size, N_TRIALS)
    errors[1:] = 2 * (0.1 + n**-0.5) * m**-0.3 * noise(sizes.size, TARGET_SIZES.size, N_TRIALS)
    group_errors = np.stack([errors * scale * noise(*errors.shape) for scale in (0.8, 1.3)])
    return ScalingCurveResult(
        source_sizes=sizes, target_sizes=TARGET_SIZES, errors=errors,
        groups=["aromatic", "aliphatic"], group_errors=group_errors,
        n_source_dropped=np.zeros(N_TRIALS), n_target_train=np.full(N_TRIALS, 400),
        random_state=random_state,
    )


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


# -- the scaling curve --------------------------------------------------------


def test_curve_with_law_and_baseline():
    result = make_result()
    display = ScalingCurveDisplay.from_result(result, n_bootstrap=200)
    ax = display.ax_
    assert display.figure_ is ax.figure
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert len(display.lines_) == 3
    assert display.lines_ == [display.mean_line_, display.law_line_, display.baseline_line_]
    texts = legend_texts(ax)
    assert display.power_law.equation(latex=True) in texts
    assert any("Direct learning" in t for t in texts)
    assert display.law_line_.get_linestyle() == "--"
    # The mean line is the mean over trials; the law line is the fitted law.
    np.testing.assert_allclose(display.mean_line_.get_ydata(), result.scores.mean(axis=1))
    x, y = display.law_line_.get_data()
    np.testing.assert_allclose(y, display.power_law.predict(x))
    # A band around the mean and one around the baseline.
    assert len(display.fill_between_) == 2
    assert display.baseline_line_.get_ydata()[0] == pytest.approx(result.baseline_scores.mean())


def test_curve_without_law_or_baseline():
    result = make_result(with_law=False)
    display = ScalingCurveDisplay(source_sizes=result.source_sizes, scores=result.scores).plot()
    assert len(display.lines_) == 1
    assert display.law_line_ is None and display.baseline_line_ is None
    assert legend_texts(display.ax_) == ["Transfer, mean (90% CI)"]
    assert display.ax_.get_xscale() == display.ax_.get_yscale() == "log"


def test_from_result_without_fitting_the_law():
    display = ScalingCurveDisplay.from_result(make_result(with_law=False), fit_law=False)
    assert display.power_law is None
    assert len(display.lines_) == 2  # mean and baseline


def test_plot_draws_on_the_given_axes_and_can_replot():
    result = make_result()
    fig, (left, right) = plt.subplots(1, 2)
    display = ScalingCurveDisplay.from_result(result, ax=left)
    assert display.ax_ is left and display.figure_ is fig
    display.plot(ax=right, show_law_band=True)
    assert display.ax_ is right
    assert len(display.lines_) == 3
    assert len(display.fill_between_) == 3  # mean, law, baseline


def test_confidence_sets_band_width_and_legend():
    result = make_result(with_law=False)
    widths = {}
    for confidence in (0.5, 0.95):
        display = ScalingCurveDisplay(
            source_sizes=result.source_sizes, scores=result.scores, confidence=confidence
        ).plot(n_bootstrap=300)
        path = display.fill_between_[0].get_paths()[0].vertices
        widths[confidence] = np.ptp(path[:, 1])
        assert f"{confidence:.0%} CI" in legend_texts(display.ax_)[0]
    assert widths[0.95] > widths[0.5]


def test_narrow_error_range_still_has_labelled_ticks():
    # Errors spanning less than a decade: matplotlib alone labels no y tick.
    display = ScalingCurveDisplay.from_result(make_result())
    display.figure_.canvas.draw()
    labels = [t.get_text() for t in display.ax_.yaxis.get_ticklabels(which="both") if t.get_text()]
    assert len(labels) >= 3
    assert "0.2" in labels and "0.3" in labels


def test_size_zero_is_refused_on_a_log_axis():
    result = make_result(with_law=False)
    with pytest.raises(ValueError, match="source_sizes must be finite and > 0"):
        ScalingCurveDisplay(source_sizes=np.r_[0, SIZES[1:]], scores=result.scores).plot()


def test_scores_must_match_sizes():
    with pytest.raises(ValueError, match="scores must have shape"):
        ScalingCurveDisplay(source_sizes=SIZES, scores=np.ones((3, 5))).plot()


def test_from_estimator_forwards_to_scaling_curve(monkeypatch):
    import sim2real_sklearn.scaling._curve as module
    received = {}

    def fake_scaling_curve(estimator, X_sim, y_sim, X_exp, y_exp, **kwargs):
        received.update(estimator=estimator, X_sim=X_sim, kwargs=kwargs)
        return make_result()

    monkeypatch.setattr(module, "scaling_curve", fake_scaling_curve)
    display = ScalingCurveDisplay.from_estimator(
        "estimator", "X_sim", "y_sim", "X_exp", "y_exp",
        source_sizes=[100, 1000], n_trials=5, random_state=0,
        confidence=0.8, plot_kw={"show_law_band": True},
    )
    assert received["estimator"] == "estimator" and received["X_sim"] == "X_sim"
    assert received["kwargs"] == {"source_sizes": [100, 1000], "n_trials": 5, "random_state": 0}
    assert display.confidence == 0.8
    assert len(display.lines_) == 3


@pytest.mark.parametrize(
    "display_class", [ScalingCurveDisplay, GroupScalingCurveDisplay, GridScalingCurveDisplay]
)
def test_without_matplotlib_no_study_is_run_and_no_law_fitted(monkeypatch, display_class):
    import sim2real_sklearn.scaling._curve as curve_module
    import sim2real_sklearn.scaling._plot as plot_module

    def no_matplotlib(caller_name):
        raise ImportError(f"{caller_name} requires matplotlib.")

    work = []
    monkeypatch.setattr(plot_module, "check_matplotlib_support", no_matplotlib)
    monkeypatch.setattr(curve_module, "scaling_curve", lambda *args, **kwargs: work.append("study"))
    name = display_class.__name__
    with pytest.raises(ImportError, match=f"{name}.from_estimator requires matplotlib"):
        display_class.from_estimator("estimator", "X_sim", "y_sim", "X_exp", "y_exp")
    result = make_result()
    for method in ("fit_power_law", "fit_group_laws", "fit_two_way_law"):
        setattr(result, method, lambda *args, **kwargs: work.append("law"))
    with pytest.raises(ImportError, match=f"{name}.from_result requires matplotlib"):
        display_class.from_result(result, fit_law=True)
    assert work == []


# -- one seed for every law a display draws -------------------------------------


def test_every_law_a_display_draws_is_the_results_law_with_its_seed():
    def drawn_laws(result):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PowerLawWarning)
            curve = ScalingCurveDisplay.from_result(result)
            groups = GroupScalingCurveDisplay.from_result(result, fit_law=True, n_bootstrap=50)
            grid = GridScalingCurveDisplay.from_result(result, n_bootstrap=50)
            expected = [result.fit_power_law(), *result.fit_group_laws(n_bootstrap=50).values(),
                        result.fit_two_way_law(n_bootstrap=50)]
        drawn = [curve.power_law, *groups.power_laws.values(), grid.two_way_law]
        for law, same in zip(drawn, expected):
            np.testing.assert_array_equal(law.bootstrap_params_, same.bootstrap_params_)
        return drawn

    seven, eight = drawn_laws(study_result(7)), drawn_laws(study_result(8))
    for law, other in zip(seven, eight):
        assert law.random_state == 7 and other.random_state == 8
        assert not np.array_equal(law.bootstrap_params_, other.bootstrap_params_)


def test_size_zero_of_a_result_is_the_baseline_not_a_point_of_the_curve():
    result = study_result(0, sizes=np.r_[0, SIZES])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PowerLawWarning)
        curve = ScalingCurveDisplay.from_result(result, n_bootstrap=50)
        groups = GroupScalingCurveDisplay.from_result(result, fit_law=True, n_bootstrap=50)
        grid = GridScalingCurveDisplay.from_result(result, n_bootstrap=50)
    np.testing.assert_array_equal(curve.mean_line_.get_xdata(), SIZES)
    np.testing.assert_allclose(curve.mean_line_.get_ydata(), result.scores[1:].mean(axis=1))
    assert curve.baseline_line_.get_ydata()[0] == pytest.approx(result.baseline_scores.mean())
    np.testing.assert_array_equal(curve.power_law.sizes_, SIZES)
    np.testing.assert_array_equal(groups.group_lines_["aromatic"].get_xdata(), SIZES)
    np.testing.assert_array_equal(grid.curve_lines_[0].get_xdata(), SIZES)


# -- one curve per group ------------------------------------------------------


def test_group_curves_one_line_per_group():
    result = make_result()
    display = GroupScalingCurveDisplay.from_result(result)
    assert list(display.group_lines_) == ["aromatic", "aliphatic", "fluorinated"]
    assert len(display.lines_) == 4  # three groups and the baseline
    texts = legend_texts(display.ax_)
    assert texts[:3] == ["aromatic", "aliphatic", "fluorinated"]
    assert display.ax_.get_xscale() == display.ax_.get_yscale() == "log"
    colors = {line.get_color() for line in display.group_lines_.values()}
    assert len(colors) == 3
    np.testing.assert_allclose(
        display.group_lines_["aliphatic"].get_ydata(), result.group_scores["aliphatic"].mean(axis=1)
    )


def test_group_curves_with_laws_and_per_group_baselines():
    result = make_result()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PowerLawWarning)
        display = GroupScalingCurveDisplay.from_result(
            result, fit_law=True, per_group_baseline=True, show_band=True, n_bootstrap=100
        )
    # three means, three laws, three per-group baselines
    assert len(display.lines_) == 9
    assert len(display.fill_between_) == 3
    texts = legend_texts(display.ax_)
    assert any(t.startswith("aromatic (") and "alpha" in t for t in texts)
    assert "Direct learning, per group (dotted)" in texts


def test_group_display_needs_group_scores():
    result = make_result()
    result.group_scores = None
    with pytest.raises(ValueError, match="no group_scores"):
        GroupScalingCurveDisplay.from_result(result)


# -- the two-way grid ---------------------------------------------------------


@pytest.mark.parametrize(
    "versus, n_curves, xlabel",
    [("source", TARGET_SIZES.size, "Computed"), ("target", SIZES.size, "Experimental")],
)
def test_grid_curves(versus, n_curves, xlabel):
    result = make_result()
    display = GridScalingCurveDisplay.from_result(result, versus=versus, n_bootstrap=100)
    assert len(display.curve_lines_) == n_curves
    assert display.ax_.get_xlabel().startswith(xlabel)
    assert display.ax_.get_xscale() == display.ax_.get_yscale() == "log"
    assert isinstance(display.two_way_law, TwoWayPowerLaw)
    law_lines = [line for line in display.lines_ if line.get_linestyle() == "--"]
    assert len(law_lines) == n_curves
    texts = legend_texts(display.ax_)
    assert display.two_way_law.equation(latex=True) in texts
    # Baseline: a level per experimental size, or one curve against it.
    n_baselines = len(display.lines_) - 2 * n_curves
    assert n_baselines == (TARGET_SIZES.size if versus == "source" else 1)
    first = display.curve_lines_[0].get_ydata()
    first_curve = result.grid_scores[:, 0] if versus == "source" else result.grid_scores[0]
    expected = first_curve.mean(axis=-1)
    np.testing.assert_allclose(first, expected)


def test_grid_without_law_or_baseline():
    result = make_result()
    display = GridScalingCurveDisplay(
        source_sizes=result.source_sizes,
        target_sizes=result.target_sizes,
        grid_scores=result.grid_scores,
    ).plot(show_band=False)
    assert len(display.lines_) == TARGET_SIZES.size
    assert display.fill_between_ == []


def test_grid_errors():
    result = make_result()
    with pytest.raises(ValueError, match="versus must be 'source' or 'target'"):
        GridScalingCurveDisplay.from_result(result, fit_law=False, versus="m")
    result.grid_scores = None
    with pytest.raises(ValueError, match="no grid_scores"):
        GridScalingCurveDisplay.from_result(result)


def test_style_keywords_override_defaults():
    result = make_result()
    display = ScalingCurveDisplay.from_result(
        result,
        line_kw={"color": "black", "label": "fine-tuned"},
        law_kw={"color": "green"},
        baseline_kw={"linestyle": "-."},
    )
    assert display.mean_line_.get_color() == "black"
    assert display.law_line_.get_color() == "green"
    assert display.baseline_line_.get_linestyle() == "-."
    assert legend_texts(display.ax_)[0] == "fine-tuned"


def test_a_narrow_error_range_still_gets_several_labelled_ticks():
    import matplotlib

    matplotlib.use("Agg")
    from sim2real_sklearn import ScalingCurveDisplay

    sizes = np.array([75, 150, 300, 600, 941])
    scores = np.linspace(0.22, 0.20, 5)[:, None] + np.random.default_rng(0).normal(0, 0.005, (5, 8))
    display = ScalingCurveDisplay(source_sizes=sizes, scores=scores,
                                  baseline_scores=np.full(8, 0.225)).plot()
    display.figure_.canvas.draw()
    labels = [t.get_text() for t in display.ax_.get_yticklabels() if t.get_text()]
    low, high = display.ax_.get_ylim()
    labels = [t for t in labels if low <= float(t) <= high]
    assert len(labels) >= 3, labels


# -- the law's residuals, the error's name, a law without scaling ----------------------


def test_residual_panel_shows_the_means_over_the_law():
    display = ScalingCurveDisplay.from_result(make_result(), show_residuals=True)
    panel, law = display.residual_ax_, display.power_law
    assert panel.figure is display.figure_ and panel.get_shared_x_axes().joined(panel, display.ax_)
    (points,) = [c for c in panel.containers]  # one errorbar series
    x, y = points.lines[0].get_data()
    np.testing.assert_array_equal(x, law.sizes_)
    np.testing.assert_allclose(y, 100 * law.residuals_ / law.predict(law.sizes_))
    assert panel.get_xlabel().startswith("Computed") and display.ax_.get_xlabel() == ""
    assert [t.get_text() for t in panel.texts] == [
        f"lack of fit: p = {law.lack_of_fit_p_value_:.2g}"]
    assert ScalingCurveDisplay.from_result(make_result()).residual_ax_ is None


def test_residuals_need_a_law():
    result = make_result(with_law=False)
    with pytest.raises(ValueError, match="show_residuals=True needs a fitted power_law"):
        ScalingCurveDisplay(source_sizes=result.source_sizes, scores=result.scores).plot(
            show_residuals=True)


def test_axis_and_equation_name_the_error_the_study_measured():
    result = study_result(0)
    result.scoring = "neg_root_mean_squared_error"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PowerLawWarning)
        curve = ScalingCurveDisplay.from_result(result, n_bootstrap=50)
        grid = GridScalingCurveDisplay.from_result(result, n_bootstrap=50)
    for display in (curve, grid):
        assert display.ax_.get_ylabel() == "RMSE on experimental test data"
        assert any(t.startswith("RMSE = $") for t in legend_texts(display.ax_))
    assert curve.power_law.equation().startswith("RMSE = ")
    assert ScalingCurveDisplay.from_result(result, score_name="loss").ax_.get_ylabel().startswith(
        "loss")


def test_a_law_without_scaling_is_drawn_without_its_equation():
    flat = np.full(SIZES.size, 0.3)[:, None] * np.exp(
        np.random.default_rng(0).normal(0, 0.1, (SIZES.size, N_TRIALS)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PowerLawWarning)
        law = PowerLaw(n_bootstrap=50, random_state=0).fit(SIZES, flat)
    assert not law.scaling_detected_
    display = ScalingCurveDisplay(source_sizes=SIZES, scores=flat, power_law=law).plot()
    assert "Fitted law (no scaling detected)" in legend_texts(display.ax_)
    assert not any("n^" in t for t in legend_texts(display.ax_))
