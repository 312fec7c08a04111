import pandas as pd
import pytest

from musicmarkets.contracts import ChartFileError
from musicmarkets.sources import breadth

NO1 = """region,week,position,track_name,artist,streams,url
ar,2019-12-27--2020-01-03,1,Tusa,KAROL G,2756098,https://open.spotify.com/track/7k4t7uLgtOxPwTpFmtJNTY
ar,2020-01-03--2020-01-10,1,Tusa,KAROL G,lots,https://open.spotify.com/track/7k4t7uLgtOxPwTpFmtJNTY
jp,2020-01-03--2020-01-10,1,Pretender,Official HIGE DANdism,1500000,https://open.spotify.com/track/x
"""


def test_no1_weeks_align_and_bad_rows_are_quarantined(tmp_path):
    path = tmp_path / "weekly_no1_by_region_2020.csv"
    path.write_text(NO1)
    no1, quarantine = breadth.read_no1(path)
    assert no1["market"].tolist() == ["ar", "jp"]
    assert no1.loc[0, "week_start"] == pd.Timestamp("2019-12-27") and no1.loc[
        0, "week_end"
    ] == pd.Timestamp("2020-01-02")
    assert quarantine["line"].tolist() == [3] and "streams 'lots'" in quarantine["reason"].iloc[0]


def test_real_no1_and_top50_sets(repo):
    no1, q1 = breadth.read_no1(
        repo / "data/raw/spotify_weekly_no1_62regions_2020/weekly_no1_by_region_2020.csv"
    )
    assert len(no1) == 2424 and no1["market"].nunique() == 62 and q1.empty
    top50, q2 = breadth.read_top50(
        repo / "data/raw/spotify_daily_top50_playlists_10markets_2023_2024/data"
    )
    assert len(top50) == 278_000 and set(top50["market"]) >= {"jp", "kr", "mx", "ar"} and q2.empty
    summary = breadth.top50_summary(top50).set_index("market")
    assert (summary["days"] == 556).all() and summary.loc[
        "jp", "median_days_in_top50"
    ] > summary.loc["us", "median_days_in_top50"]


def test_no1_scale_per_million_people():
    no1 = pd.DataFrame({"market": ["ar", "ar", "jp"], "streams": [2_000_000, 4_000_000, 1_000_000]})
    pop = pd.DataFrame(
        {"market": ["ar", "jp"], "country": ["Argentina", "Japan"], "population": [40e6, 125e6]}
    )
    out = breadth.no1_summary(no1, pop).set_index("market")
    assert out.loc["ar", "no1_streams_per_million"] == pytest.approx(3_000_000 / 40)
    assert out.index[0] == "ar"


def test_unknown_playlist_market_is_rejected(tmp_path):
    (tmp_path / "spotify-streaming-top-50-narnia.csv").write_text(
        "date,position,song,artist,popularity\n"
    )
    with pytest.raises(ChartFileError, match="unknown playlist market 'narnia'"):
        breadth.read_top50(tmp_path)
