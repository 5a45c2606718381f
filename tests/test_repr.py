"""What a notebook shows: a study's result as a table, and estimators that link to their docs."""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_html_repr

import sim2real_sklearn
from sim2real_sklearn import ScalingCurveResult

ROOT = Path(__file__).resolve().parents[1]
SIZES = np.array([100, 300, 1000, 3000, 10000])


def result(n_trials=12, *, transfer=None, seed=0, **kwargs):
    """A study whose transfer error falls as 2 n^-0.4 + 0.05, with trial noise."""
    rng = np.random.default_rng(seed)
    curve = 2 * SIZES ** -0.4 + 0.05 if transfer is None else transfer
    noise = np.exp(rng.normal(0, 0.1, (1, n_trials)) + rng.normal(0, 0.05, (6, n_trials)))
    errors = np.r_[0.6, curve][:, None] * noise
    return ScalingCurveResult(source_sizes=SIZES, target_sizes=None, errors=errors[:, None, :],
                              n_source_dropped=[0] * n_trials, n_target_train=[40] * n_trials,
                              random_state=0, **kwargs)


def rows(html):
    """The table's rows as lists of cell texts."""
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)
            if "<td" in row]


def test_the_table_shows_each_size_its_mean_spread_and_trials_with_the_baseline_first():
    res = result()
    table = rows(res._repr_html_())
    assert [row[0] for row in table] == ["0 (direct learning)", "100", "300", "1,000", "3,000",
                                         "10,000"]
    assert table[0][1] == f"{res.baseline_scores.mean():.4g}"
    assert table[-1][1] == f"{res.scores[-1].mean():.4g}"
    assert table[-1][2] == f"{res.scores[-1].std(ddof=1):.2g}"
    assert all(row[3] == "12" for row in table)
    assert "mean MAE" in res._repr_html_()


def test_failed_trials_are_left_out_of_the_mean_and_counted():
    res = result()
    res.scores[1, :3] = np.nan  # three fits of the 300-row size failed
    row = rows(res._repr_html_())[2]
    assert row[1] == f"{np.nanmean(res.scores[1]):.4g}" and row[3] == "9 of 12 finished"


def test_a_clean_law_is_summarised_in_one_line_as_fit_power_law_gives_it():
    res = result()
    law = res.fit_power_law(n_bootstrap=200)
    html = res._repr_html_()
    assert f"<code>{law.equation()}</code>" in html
    low, high = law.alpha_interval_
    assert f"alpha {law.alpha_:.3g} (90% CI {low:.3g} to {high:.3g})" in html


def test_no_law_number_when_the_fit_warns_and_the_reason_instead():
    # 4 trials: PowerLaw warns that its intervals are too narrow to trust
    html = result(n_trials=4)._repr_html_()
    assert "n^-" not in html and "No scaling law shown: its fit warns" in html
    assert "The intervals come from resampling only 4 trials" in html  # the first warning


def test_no_law_number_without_scaling():
    flat = np.full(len(SIZES), 0.3)  # the error does not fall with the source
    html = result(transfer=flat)._repr_html_()
    assert "n^-" not in html and "No scaling law" in html


def test_scores_that_grow_with_quality_get_no_law():
    res = result(scoring="r2", greater_is_better=True)
    html = res._repr_html_()
    assert "mean r2" in html and "n^-" not in html and "grow with quality" in html


def test_the_repr_never_warns_in_the_notebook():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result(n_trials=4)._repr_html_()


def test_strategies_are_counted_per_size_when_recorded():
    strategies = np.full((6, 1, 12), "finetune", dtype=object)
    strategies[-1, 0, :3] = "freeze"
    table = rows(result(strategies=strategies)._repr_html_())
    assert table[-1][-1] == "finetune 9, freeze 3" and table[1][-1] == "finetune 12"
    assert table[0][-1] == ""  # direct learning uses no strategy
    assert "strategy used" not in result()._repr_html_()  # not recorded: no column


def test_text_is_escaped():
    strategies = np.full((6, 1, 12), "<script>x</script>", dtype=object)
    html = result(strategies=strategies, scoring="make_scorer(<lambda>)",
                  greater_is_better=True)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;lambda&gt;" in html


def test_a_grid_study_says_which_experimental_size_the_table_is_at():
    m = np.array([20, 40, 80])
    errors = np.ones((3, 3, 5)) * np.array([1.0, 0.8, 0.6])[None, :, None]
    res = ScalingCurveResult(source_sizes=[100, 1000], target_sizes=m, errors=errors,
                             n_source_dropped=[0] * 5, n_target_train=[80] * 5, random_state=0)
    assert "at 80 experimental training rows" in res._repr_html_()


# -- the "?" link of the estimators' HTML repr ----------------------------------------------

DOCS = "https://sim2real-sklearn.github.io/sim2real-sklearn/"


def estimators():
    from sim2real_sklearn import (
        CompositionFeaturizer,
        FitOnSource,
        ForceFieldKernelMean,
        MorganFingerprint,
        PowerLaw,
        RDKitDescriptors,
        ScalingCurve,
        Sim2RealRegressor,
        TwoWayPowerLaw,
    )

    return [Sim2RealRegressor(), FitOnSource(StandardScaler()), PowerLaw(), TwoWayPowerLaw(),
            MorganFingerprint(), RDKitDescriptors(), CompositionFeaturizer(),
            ForceFieldKernelMean(), ScalingCurve(Sim2RealRegressor())]


def documented_pages():
    """The API pages the docs generate: each autosummary entry under its module."""
    text = (ROOT / "docs" / "api" / "index.rst").read_text()
    pages = set()
    for module, block in re.findall(r"\.\. currentmodule:: (\S+)\n(.*?)(?=\.\. currentmodule::|\Z)",
                                    text, flags=re.S):
        pages |= {f"{module}.{name}" for name in re.findall(r"^    (\w+)$", block, flags=re.M)}
    return pages


@pytest.mark.parametrize("estimator", estimators(), ids=lambda e: type(e).__name__)
def test_the_help_link_opens_the_api_page_of_the_class(estimator):
    name = type(estimator).__name__
    public_module = getattr(sim2real_sklearn, name).__module__.split("._")[0]
    page = f"{public_module}.{name}"
    assert estimator._get_doc_link() == f"{DOCS}api/generated/{page}.html"
    assert page in documented_pages()  # the docs build that page
    assert f'href="{DOCS}api/generated/{page}.html"' in estimator_html_repr(estimator)


def test_every_public_name_has_a_page_in_the_api_reference():
    pages = documented_pages()
    missing = [name for name in sim2real_sklearn.__all__
               if not any(page.endswith(f".{name}") for page in pages)]
    assert not missing, f"add to docs/api/index.rst: {missing}"
