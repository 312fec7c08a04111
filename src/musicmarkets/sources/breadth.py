"""The two breadth sources: weekly #1 tracks of 62 regions (2020) and daily Top 50 playlists of
9 countries and the Global playlist (2023-2024). What they can measure, and what they cannot, is in ``CAN_MEASURE``."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from musicmarkets.contracts import ChartFileError, parse_counts
from musicmarkets.sources.textfile import read_table

CAN_MEASURE = {
    "weekly Top 200 (8 markets, 2016-2020)": (
        "weekly streams of the 200 most-streamed tracks per market: hit consumption, concentration, "
        "local vs international repertoire",
        "total streaming in a market (tracks outside the Top 200 are not counted)",
    ),
    "weekly #1 tracks (62 regions, 2020)": (
        "the streams of each region's most-streamed track per week: relative market scale and "
        "hit intensity across many markets, through the 2020 lockdowns",
        "anything below rank 1; total or per-genre consumption",
    ),
    "daily Top 50 playlists (9 countries and Global, 2023-2024)": (
        "which tracks are in each market's Top 50 each day, their rank and popularity index: "
        "repertoire turnover and hit longevity, including Japan, South Korea, Mexico, Argentina",
        "stream volumes (the playlists carry no stream counts)",
    ),
}

WEEK = re.compile(r"^(\d{4}-\d{2}-\d{2})--(\d{4}-\d{2}-\d{2})$")
NO1_HEADER = ["region", "week", "position", "track_name", "artist", "streams", "url"]
TOP50_HEADER = ["date", "position", "song", "artist", "popularity"]
TOP50_MARKETS = {
    "argentina": "ar",
    "france": "fr",
    "italy": "it",
    "japan": "jp",
    "mexico": "mx",
    "south-korea": "kr",
    "spain": "es",
    "uk": "gb",
    "usa": "us",
    "world": "global",
}


def _quarantine(df: pd.DataFrame, bad: pd.Series, reason: pd.Series, path: Path) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file": str(path),
            "line": df.loc[bad, "_line"],
            "market": df.loc[bad, "market"],
            "week_start": pd.NaT,
            "rank": df.loc[bad, "position"].astype(str),
            "track_name": df.loc[bad, "track_name"],
            "artist": df.loc[bad, "artist"],
            "streams": df.loc[bad, "streams"].astype(str) if "streams" in df else pd.NA,
            "reason": reason[bad],
        }
    ).reset_index(drop=True)


def read_no1(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weekly #1 track per region: region, Friday-Thursday week, track, artist, streams."""
    df = read_table(path, NO1_HEADER).rename(columns={"region": "market"})
    weeks = df["week"].str.extract(WEEK)
    streams, reason = parse_counts(df["streams"], "streams")
    reason = reason.fillna(
        pd.Series(["chart week is not <start>--<end>"] * len(df), index=df.index).where(
            weeks[0].isna()
        )
    )
    bad = reason.notna()
    out = pd.DataFrame(
        {
            "market": df.loc[~bad, "market"].str.lower(),
            "week_start": pd.to_datetime(weeks.loc[~bad, 0]),
            "week_end": pd.to_datetime(weeks.loc[~bad, 1]) - pd.Timedelta(days=1),
            "track_name": df.loc[~bad, "track_name"],
            "artist": df.loc[~bad, "artist"],
            "streams": streams[~bad].astype("int64"),
        }
    ).reset_index(drop=True)
    return out, _quarantine(df, bad, reason, path)


def read_top50(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily Top 50 playlist entries of every market file in ``folder``: date, rank, popularity."""
    frames, quarantined = [], []
    for path in sorted(folder.glob("spotify-streaming-top-50-*.csv*")):
        name = path.name.removeprefix("spotify-streaming-top-50-").split(".")[0]
        if name not in TOP50_MARKETS:
            raise ChartFileError(path, None, "file name", f"unknown playlist market {name!r}")
        df = read_table(path, TOP50_HEADER, exact=False).rename(columns={"song": "track_name"})
        df["market"] = TOP50_MARKETS[name]
        rank, reason = parse_counts(df["position"], "position")
        popularity, pop_reason = parse_counts(df["popularity"], "popularity")
        date = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="coerce")
        reason = reason.fillna(pop_reason)
        reason[date.isna() & reason.isna()] = "date is not YYYY-MM-DD"
        bad = reason.notna()
        quarantined.append(_quarantine(df, bad, reason, path))
        frames.append(
            pd.DataFrame(
                {
                    "market": df.loc[~bad, "market"],
                    "date": date[~bad],
                    "rank": rank[~bad].astype("int64"),
                    "track_name": df.loc[~bad, "track_name"],
                    "artist": df.loc[~bad, "artist"],
                    "popularity": popularity[~bad].astype("int64"),
                }
            )
        )
    if not frames:
        raise FileNotFoundError(f"no Top 50 playlist files in {folder}")
    return pd.concat(frames, ignore_index=True), pd.concat(quarantined, ignore_index=True)


def top50_summary(top50: pd.DataFrame) -> pd.DataFrame:
    """Per market: days covered, distinct tracks, and median days a track stays in the Top 50."""
    g = top50.groupby("market")
    days_on = top50.groupby(["market", "track_name", "artist"]).size().groupby("market").median()
    return pd.DataFrame(
        {
            "first_day": g["date"].min(),
            "last_day": g["date"].max(),
            "days": g["date"].nunique(),
            "distinct_tracks": top50.drop_duplicates(["market", "track_name", "artist"])
            .groupby("market")
            .size(),
            "median_days_in_top50": days_on,
        }
    ).reset_index()


def no1_summary(no1: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Per region: weeks, median weekly streams of the #1 track, and per million people."""
    g = no1.groupby("market")
    out = pd.DataFrame(
        {"weeks": g.size(), "median_no1_streams": g["streams"].median()}
    ).reset_index()
    out = out.merge(population, on="market", how="left")
    out["no1_streams_per_million"] = out["median_no1_streams"] / (out["population"] / 1e6)
    return out.sort_values("no1_streams_per_million", ascending=False, ignore_index=True)
