from datetime import date
from pathlib import Path

import pytest

from musicmarkets.contracts import ChartFileError
from musicmarkets.sources import charts, charts_current


@pytest.fixture(scope="module")
def current_dir(repo):
    return repo / "data/raw/spotify_weekly_top200_current_format_sample"


def test_thursday_in_the_name_maps_to_the_friday_to_thursday_week():
    market, start, end = charts_current.parse_file_name(
        Path("regional-us-weekly-2023-01-05.csv.gz")
    )
    assert (market, start, end) == ("us", date(2022, 12, 30), date(2023, 1, 5))
    with pytest.raises(ChartFileError, match="not on a Thursday"):
        charts_current.parse_file_name(Path("regional-us-weekly-2023-01-06.csv.gz"))


def test_real_samples_with_bom_quoted_streams_and_labels(current_dir):
    table, quarantine, stats = charts.read_charts(None, current_dir)
    assert stats["files_current"] == 2 and stats["rows"] == 400 and quarantine.empty
    us = table[table["market"] == "us"]
    assert us["rank"].tolist() == list(range(1, 201)) and us["streams"].is_monotonic_decreasing
    assert us["label"].notna().all() and us["track_id"].str.len().eq(22).all()
    assert set(table["source_format"]) == {"current"}
    assert (table["week_start"] == "2022-12-30").all() and (table["week_end"] == "2023-01-05").all()


def test_unknown_header_is_rejected(tmp_path, current_dir):
    bad = tmp_path / "regional-de-weekly-2023-01-05.csv"
    bad.write_text("position,uri,artists,track,streams\n1,x,y,z,5\n")
    with pytest.raises(
        ChartFileError, match=r"regional-de-weekly-2023-01-05.csv, row 1, field 'header'"
    ):
        charts.read_charts(None, tmp_path)


def test_the_2023_vintage_reads_as_a_user_adds_it(tmp_path, repo):
    """The 2023 German and US charts, dropped into a current-format folder: 52 weeks each,
    Friday to Thursday, and Germany's eight weeks of 199 rows read as they are (no rank is made
    up for the missing row; PROVENANCE.md lists them)."""
    import shutil

    vintage = repo / "data/raw/spotify_weekly_top200_2023_de_us"
    for market in ("de", "us"):
        for path in (vintage / market).glob("*.csv.gz"):
            shutil.copyfile(path, tmp_path / path.name)
    table, quarantine, stats = charts.read_charts(None, tmp_path)
    assert stats["files_current"] == 104 and quarantine.empty
    weeks = table.groupby("market")["week_start"].nunique()
    assert weeks.to_dict() == {"de": 52, "us": 52}
    assert (table["week_start"].dt.dayofweek == 4).all()  # Fridays
    rows = table.groupby(["market", "week_start"]).size()
    short = rows[rows < 200]
    assert len(short) == 8 and set(short) == {199}
    assert set(short.index.get_level_values("market")) == {"de"}
    assert str(short.index.get_level_values("week_start").min().date()) == "2023-01-06"
