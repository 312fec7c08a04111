"""Posterior comparison: Monte Carlo noise agrees, a real shift is reported in sd units."""

import numpy as np
import xarray as xr

from musicmarkets import compare


def posterior(mean_trend, seed, draws=1000):
    rng = np.random.default_rng(seed)
    trend = rng.normal(mean_trend, 0.1, size=(4, draws, len(mean_trend)))
    return xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset(
                {
                    "trend_market": (("chain", "draw", "market"), trend),
                    "phi": (("chain", "draw"), rng.normal(0.6, 0.05, size=(4, draws))),
                },
                coords={"market": ["de", "gb", "it"]},
            )
        }
    )


def test_two_draws_of_the_same_posterior_agree():
    a = compare.summary(posterior([0.1, 0.2, 0.3], seed=1))
    b = compare.summary(posterior([0.1, 0.2, 0.3], seed=2))
    result = compare.compare_summaries(a, b)
    assert result.agree and len(result.table) == 4
    assert "AGREE" in result.text()


def test_a_moved_quantity_is_listed_in_posterior_sd():
    a = compare.summary(posterior([0.1, 0.2, 0.3], seed=1))
    b = compare.summary(posterior([0.1, 0.25, 0.3], seed=2))  # gb moved by half an sd
    result = compare.compare_summaries(a, b)
    assert not result.agree
    moved = result.moved.set_index("quantity")
    assert list(moved.index) == ["trend_market[gb]"]
    assert abs(moved.loc["trend_market[gb]", "shift_sd"] - 0.5) < 0.05
    assert "DIFFER" in result.text() and "trend_market[gb]" in result.text()
