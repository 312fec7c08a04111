import numpy as np
import pandas as pd
import pytest

from musicmarkets import panel
from musicmarkets.sources import charts as chart_reader
from musicmarkets.sources import covariates


@pytest.fixture(scope="module")
def inputs(legacy_fixture, repo):
    charts = chart_reader.read_charts(legacy_fixture)[0]
    cov = covariates.read_covariates(repo / "data/raw/country_covariates_worldbank", ["de"])
    return charts, cov


def test_one_row_per_market_week_with_totals(inputs):
    charts, cov = inputs
    mw = panel.market_week(charts, cov)
    assert len(mw) == charts.groupby(["market", "week_start"]).ngroups
    row = mw[(mw["market"] == "de") & (mw["week_start"] == "2017-05-12")].iloc[0]
    week = charts[(charts["market"] == "de") & (charts["week_start"] == "2017-05-12")]
    assert row["streams"] == week["streams"].sum()
    assert row["top10_share"] == pytest.approx(
        week.nsmallest(10, "rank")["streams"].sum() / week["streams"].sum()
    )
    pop = cov.set_index(["market", "year"]).loc[("de", 2017), "population"]
    assert row["streams_per_capita"] == pytest.approx(week["streams"].sum() / pop)


def test_local_share_counts_tracks_absent_from_the_global_chart(inputs):
    charts, cov = inputs
    mw = panel.market_week(charts, cov).set_index(["market", "week_start"])
    wk = pd.Timestamp("2017-05-12")
    de = charts[(charts["market"] == "de") & (charts["week_start"] == wk)]
    glob = set(charts[(charts["market"] == "global") & (charts["week_start"] == wk)]["track_id"])
    expected = de.loc[~de["track_id"].isin(glob), "streams"].sum() / de["streams"].sum()
    assert mw.loc[("de", wk), "local_share"] == pytest.approx(expected)
    assert 0 < expected < 1
    # the Global chart lacks 2017-06-02 in this excerpt: no share rather than a made-up one
    assert np.isnan(mw.loc[("de", pd.Timestamp("2017-06-02")), "local_share"])
    assert mw.loc["global", "local_share"].isna().all()


def test_genre_shares_sum_to_one_per_market_week(inputs):
    charts, _ = inputs
    shares = panel.genre_shares(charts, min_known_share=0.5)
    sums = shares.groupby(["market", "week_start"])["share"].sum()
    np.testing.assert_allclose(sums, 1.0)


def test_genre_shares_skip_weeks_without_labels(inputs):
    charts, _ = inputs
    unlabeled = charts.assign(genre=pd.Series(pd.NA, index=charts.index, dtype="string"))
    assert panel.genre_shares(unlabeled, min_known_share=0.5).empty


def test_world_bank_api_values_take_precedence(inputs):
    _, cov = inputs
    api = pd.DataFrame(
        {
            "iso3": ["DEU", "DEU"],
            "year": [2017, 2018],
            "indicator": ["SP.POP.TOTL", "XX.OTHER"],
            "value": [1.0, 9.0],
        }
    )
    out = panel.refresh_covariates(cov, api).set_index("year")
    assert out.loc[2017, "population"] == 1.0
    assert out.loc[2018, "population"] == cov.set_index("year").loc[2018, "population"]
    pd.testing.assert_frame_equal(panel.refresh_covariates(cov, api.iloc[:0]), cov)


def test_local_share_by_artist_country(inputs):
    charts, _ = inputs
    de = charts[(charts["market"] == "de") & (charts["week_start"] == "2017-05-12")]
    artists = pd.DataFrame({"artist": de["artist"].unique()})
    artists["mb_country"] = ["de" if i % 2 == 0 else "us" for i in range(len(artists))]
    out = panel.local_share_by_artist_country(de, artists).iloc[0]
    local = de[
        de["artist"].map(dict(zip(artists["artist"], artists["mb_country"], strict=True))) == "de"
    ]
    assert out["artist_country_known_share"] == pytest.approx(1.0)
    assert out["local_share_mb"] == pytest.approx(local["streams"].sum() / de["streams"].sum())
    half_known = artists.assign(mb_country=artists["mb_country"].where(artists.index < 3))
    assert np.isnan(panel.local_share_by_artist_country(de, half_known)["local_share_mb"].iloc[0])
    assert panel.local_share_by_artist_country(de, artists[["artist"]]).empty
