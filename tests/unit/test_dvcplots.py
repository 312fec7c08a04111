"""The offline `dvc plots` page and the plot data the report stages write."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from musicmarkets import dvcplots


def test_template_carries_vega_inline_and_asks_no_network():
    page = dvcplots.template_html()
    assert "{plot_divs}" in page  # where DVC puts the plots
    assert "{scripts}" not in page  # ... and no slot for its CDN <script src=...> tags
    assert not re.search(r"<script[^>]*\bsrc=", page, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref=", page, re.IGNORECASE)
    assert "default-src 'none'" in page  # the browser itself refuses any fetch
    assert "vegaEmbed" in page and len(page) > 300_000  # the libraries are in the page


def test_write_template_rewrites_only_on_change(tmp_path):
    target = dvcplots.write_template(tmp_path / "plots" / "offline.html")
    first = target.stat().st_mtime_ns
    dvcplots.write_template(target)
    assert target.stat().st_mtime_ns == first
    target.write_text("stale")
    dvcplots.write_template(target)
    assert target.read_text().startswith("<!DOCTYPE html>")


def _backtest(rng, origins=("2019-01-04", "2019-07-05"), horizon=4):
    """Scored weeks in the backtest's long layout: CRPS of each method drawn as |Normal| with a
    scale per method."""
    rows = []
    for origin in pd.to_datetime(list(origins)):
        for k in range(1, horizon + 1):
            for market in ("de", "gb"):
                for method, scale in (("model", 0.05), ("random_walk", 0.10), ("gbm", 0.10)):
                    rows.append(
                        {
                            "market": market,
                            "origin": origin,
                            "week_start": origin + pd.Timedelta(weeks=k),
                            "weeks_ahead": k,
                            "method": method,
                            "crps": abs(rng.normal(0, scale)),
                        }
                    )
    return pd.DataFrame(rows)


def test_backtest_by_horizon_averages_each_method_per_week_ahead():
    bt = _backtest(np.random.default_rng(1))
    out = dvcplots.backtest_by_horizon(bt)
    assert sorted(out["weeks_ahead"].unique()) == [1, 2, 3, 4]
    assert set(out["method"]) == {"model", "random_walk", "gbm"}
    two = bt[(bt["weeks_ahead"] == 2) & (bt["method"] == "random_walk")]
    got = out.query("weeks_ahead == 2 and method == 'random_walk'")["crps"].item()
    assert got == pytest.approx(two["crps"].mean())


def test_backtest_rows_at_their_origin_are_refused():
    bt = _backtest(np.random.default_rng(2))
    bt.loc[0, "weeks_ahead"] = 0
    with pytest.raises(ValueError, match="at or before their origin"):
        dvcplots.backtest_by_horizon(bt)


def test_forecast_band_needs_all_market_rows_and_converts_to_billions():
    weeks = pd.date_range("2020-07-31", periods=3, freq="7D")
    weekly = pd.DataFrame(
        {
            "level": ["all"] * 3 + ["market"] * 3,
            "week_start": list(weeks) * 2,
            "median": [1.6e9, 1.7e9, 1.65e9, 2e8, 2e8, 2e8],
            "low": [1.5e9, 1.55e9, 1.5e9, 1e8, 1e8, 1e8],
            "high": [1.7e9, 1.85e9, 1.8e9, 3e8, 3e8, 3e8],
        }
    )
    band = dvcplots.forecast_band(weekly, 0.9)
    assert band["median_bn"].tolist() == pytest.approx([1.6, 1.7, 1.65])
    assert (band["low_bn"] <= band["median_bn"]).all() and (
        band["median_bn"] <= band["high_bn"]
    ).all()
    with pytest.raises(ValueError, match="all-market"):
        dvcplots.forecast_band(weekly[weekly["level"] == "market"], 0.9)


def test_growth_in_per_cent_fastest_first():
    table = pd.DataFrame(
        {
            "name": ["Germany", "India", "US"],
            "growth_median": [0.12, 1.5, -0.07],
            "growth_low": [0.05, 1.2, -0.12],
            "growth_high": [0.2, 1.9, -0.01],
        }
    )
    out = dvcplots.growth_intervals(table)
    assert out["market"].tolist() == ["India", "Germany", "US"]
    assert out["growth_pct"].tolist() == pytest.approx([150, 12, -7])
