"""Scores and comparisons checked against closed forms and constructed cases."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from musicmarkets import validation


def crps_normal(mu, sigma, y):
    z = (y - mu) / sigma
    return sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))


def test_crps_from_samples_matches_the_normal_closed_form():
    rng = np.random.default_rng(0)
    y = np.array([-1.0, 0.0, 0.3, 2.5])
    samples = rng.normal(0.0, 1.0, size=(40_000, 1)).repeat(4, axis=1)
    np.testing.assert_allclose(validation.crps_samples(samples, y), crps_normal(0, 1, y), atol=0.01)


def test_crps_from_quantiles_approximates_the_closed_form():
    levels = np.linspace(0.01, 0.99, 99)
    y = np.array([-1.0, 0.2, 1.7])
    q = stats.norm.ppf(levels)[:, None].repeat(3, axis=1)
    np.testing.assert_allclose(
        validation.crps_quantiles(q, levels, y), crps_normal(0, 1, y), rtol=0.05
    )


def test_compare_loo_ranks_and_uses_pointwise_differences():
    rng = np.random.default_rng(1)
    base = pd.DataFrame(
        {"market": ["a"] * 100, "week_start": pd.date_range("2020-01-03", periods=100, freq="7D")}
    )
    good = base.assign(elpd_loo=rng.normal(1.0, 0.3, 100), pareto_k=0.1)
    bad = base.assign(elpd_loo=good["elpd_loo"] - rng.normal(0.2, 0.1, 100), pareto_k=0.9)
    table = validation.compare_loo({"bad": bad, "good": good})
    assert table["model"].tolist() == ["good", "bad"]
    diff = good["elpd_loo"] - bad["elpd_loo"]
    row = table.set_index("model").loc["bad"]
    assert row["elpd_diff"] == pytest.approx(diff.sum())
    assert row["diff_se"] == pytest.approx(np.sqrt(100 * diff.var(ddof=0)))
    assert row["pareto_k_bad"] == 100
    with pytest.raises(ValueError, match="other observations"):
        validation.compare_loo({"good": good, "short": bad.iloc[:50]})


@pytest.mark.parametrize(
    ("diff", "se", "reading"),
    [
        (0.7, 0.3, "similar"),  # 2.3 standard errors, but under 4: nearly the same predictions
        (3.9, 0.1, "similar"),
        (7.7, 7.6, "within noise"),
        (124.0, 20.0, "clear"),
        (-9.0, 4.0, "clear"),
    ],
)
def test_loo_difference_reads_small_differences_as_similar(diff, se, reading):
    assert validation.loo_difference(diff, se) == reading


def test_ks_distance_and_sbc_uniformity_test():
    rng = np.random.default_rng(3)
    assert validation._ks_uniform(rng.uniform(size=5000)) < 0.03
    assert validation._ks_uniform(rng.uniform(size=5000) ** 2) > 0.1
    assert validation.chi2_uniform_pvalue(rng.integers(0, 100, 2000), 99, 10) > 0.001
    assert validation.chi2_uniform_pvalue(np.full(200, 50), 99, 10) < 1e-6


def test_loo_verdict_applies_the_same_rule_when_the_production_model_leads():
    table = pd.DataFrame(
        {
            "model": ["hierarchical", "no_covariates", "pooled"],
            "elpd_diff": [0.0, -0.9, -40.0],
            "diff_se": [0.0, 0.4, 9.0],
        }
    )
    text = validation.loo_verdict(table)
    assert "scores highest" in text and "no_covariates" in text
    assert "about equally well" in text  # 0.9 apart: under 4
    behind = table.assign(model=["pooled", "no_covariates", "hierarchical"])
    assert "clear difference: review the model choice" in validation.loo_verdict(behind)
