import arviz as az
import numpy as np
import pandas as pd
import pytest

from musicmarkets import insights


def posterior(trends: list[float], sd: float = 0.02, seed: int = 0):
    rng = np.random.default_rng(seed)
    draws = np.asarray(trends)[None, None, :] + rng.normal(0, sd, size=(2, 500, len(trends)))
    tree = az.from_dict(
        {"posterior": {"trend_market": draws}},
        dims={"trend_market": ["market"]},
        coords={"market": ["aa", "bb", "cc"]},
    )
    return tree["posterior"].to_dataset()


def test_growth_table_orders_and_quantifies():
    table = insights.growth_table(posterior([0.1, 0.5, -0.2]), {"bb": "Bee"}, 0.9)
    assert table["market"].tolist() == ["bb", "aa", "cc"]
    assert table.loc[0, "name"] == "Bee" and table.loc[1, "name"] == "AA"
    assert table.loc[0, "growth_median"] == pytest.approx(np.expm1(0.5), abs=0.01)
    assert table.loc[0, "p_fastest"] == pytest.approx(1.0)
    assert table.loc[2, "p_growing"] == pytest.approx(0.0)
    assert (table["growth_low"] < table["growth_median"]).all()
    assert (table["growth_median"] < table["growth_high"]).all()


def test_overlapping_markets_share_rank_uncertainty():
    table = insights.growth_table(posterior([0.3, 0.3, -1.0], sd=0.1), None, 0.9)
    top2 = table.iloc[:2]
    assert (top2["rank_low"] == 1).all() and (top2["rank_high"] == 2).all()
    assert 0.3 < top2["p_fastest"].iloc[0] < 0.7


def test_interval_width_is_validated():
    with pytest.raises(ValueError):
        insights.growth_table(posterior([0.1, 0.2, 0.3]), None, interval=1.5)


def test_regions_follow_the_models_market_order_not_the_sorted_one():
    """common.markets: [us, gb] fits markets in that order: the US must keep its own region."""
    import xarray as xr

    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset(coords={"market": ["us", "gb"]}),
            "constant_data": xr.Dataset(
                {"market_region": ("market", ["Northern America", "Northern Europe"])},
                coords={"market": ["us", "gb"]},
            ),
        }
    )
    assert insights.regions_of(tree) == {"us": "Northern America", "gb": "Northern Europe"}


def test_one_market_order_for_every_chart_and_table():
    """The league table's order (median rank, then momentum) sorts any frame by market,
    keeping each market's rows in their order and markets it does not name at the end."""

    table = pd.DataFrame(
        {
            "market": ["aa", "bb", "cc"],
            "rank_median": [2.0, 1.0, 2.0],
            "growth_median": [0.1, 0.3, 0.2],
        }
    )
    order = insights.market_order(table)
    assert order == ["bb", "cc", "aa"]
    frame = pd.DataFrame({"market": ["aa", "zz", "cc", "aa", "bb"], "x": [1, 2, 3, 4, 5]})
    out = insights.in_market_order(frame, order)
    assert out["market"].tolist() == ["bb", "cc", "aa", "aa", "zz"]
    assert out["x"].tolist() == [5, 3, 1, 4, 2]
    assert insights.in_market_order(frame, None) is frame


def test_the_lockdown_dip_left_at_the_latest_week_is_read_from_the_fit():
    """Onset 0.3 years before the latest week and a recovery time of 0.3 years: exp(-1) of the
    dip is left; a fit without the estimated lockdown has no such figure."""
    rng = np.random.default_rng(1)
    onset = -0.3 + rng.normal(0, 0.01, size=(2, 400))
    tree = az.from_dict(
        {"posterior": {"shock_onset": onset, "shock_recovery": np.full((2, 400), 0.3)}}
    )
    left = insights.lockdown_left(tree["posterior"].to_dataset())
    assert left == pytest.approx(np.exp(-1.0), abs=0.01)
    assert insights.lockdown_left(posterior([0.1, 0.2, 0.3])) is None
