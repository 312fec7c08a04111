"""Reader for the legacy spotifycharts.com weekly Top 200 exports (2016-2021 format).

Layout: ``<root>/<market>/<market>_<start>--<end>.csv[.gz]`` (a disclaimer line, then
``Position,"Track Name",Artist,Streams,URL``) and, optionally, ``<root>/<market>_features/`` with
the same weeks plus Spotify audio features and an iTunes genre. A new market is a new folder.
The file name gives the week from Friday to the *next* Friday; ``week_end`` is the Thursday.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from musicmarkets.contracts import ChartFileError
from musicmarkets.sources.chart_types import AUDIO_FEATURES, ChartFile, rows_frame
from musicmarkets.sources.textfile import decode, read_table

FILE_NAME = re.compile(
    r"^(?P<market>[a-z]{2}|global)_(?P<start>\d{4}-\d{2}-\d{2})--(?P<end>\d{4}-\d{2}-\d{2})\.csv(?:\.gz)?$"
)
DISCLAIMER_PREFIX = ',,,"Note that these figures'
PLAIN_HEADER = ["Position", "Track Name", "Artist", "Streams", "URL"]
TRACK_URL = re.compile(r"^https://open\.spotify\.com/track/(?P<id>[A-Za-z0-9]{22})$")
# Feature files carry one to three leading index columns (unnamed or "index") and, for Italy, a
# trailing "release date"; only these columns are required.
FEATURES_REQUIRED = ["Position", "ID", *AUDIO_FEATURES, "genre"]


def parse_file_name(path: Path) -> tuple[str, date, date]:
    """Market and chart week (Friday start, Thursday end inclusive) from a legacy file name."""
    m = FILE_NAME.match(path.name)
    if not m:
        raise ChartFileError(
            path, None, "file name", "expected <market>_<YYYY-MM-DD>--<YYYY-MM-DD>.csv[.gz]"
        )
    try:
        start = date.fromisoformat(m["start"])
        end = date.fromisoformat(m["end"])
    except ValueError as exc:
        raise ChartFileError(path, None, "file name", f"impossible date ({exc})") from None
    if (end - start).days != 7:
        raise ChartFileError(path, None, "file name", f"week {start}--{end} is not 7 days long")
    if start.weekday() != 4:
        raise ChartFileError(path, None, "file name", f"week starts {start:%A}, not on a Friday")
    return m["market"], start, end - timedelta(days=1)


def discover(root: Path, markets: list[str] | None = None) -> list[ChartFile]:
    """List the weekly chart files under ``root``; a market is any folder of matching files."""
    files: list[ChartFile] = []
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.endswith("_features"))
    for folder in folders:
        if markets is not None and folder.name not in markets:
            continue
        feature_dir = root / f"{folder.name}_features"
        for path in sorted(folder.glob("*.csv*")):
            market, start, end = parse_file_name(path)
            if market != folder.name:
                raise ChartFileError(
                    path, None, "file name", f"market {market!r} is in folder {folder.name!r}"
                )
            feat = feature_dir / path.name
            files.append(
                ChartFile(market, start, end, path, "legacy", feat if feat.is_file() else None)
            )
    return files


def read_plain(file: ChartFile) -> pd.DataFrame:
    """Rows of one plain weekly file (features empty), with a ``problem`` column."""
    text, _ = decode(file.path)
    skip = 1 if text.startswith(DISCLAIMER_PREFIX) else 0
    df = read_table(file.path, PLAIN_HEADER, skip, text=text)
    df = df.rename(
        columns={"Position": "rank_raw", "Streams": "streams_raw", "Track Name": "track_name"}
    )
    ids = df["URL"].str.extract(TRACK_URL)["id"]
    return rows_frame(file, df, ids, df["Artist"])


def read_features(path: Path) -> pd.DataFrame:
    """Read one features file: rank, track id, audio features and genre (``none`` -> missing)."""
    df = read_table(path, FEATURES_REQUIRED, 0, exact=False)
    rank = pd.to_numeric(df["Position"], errors="coerce")
    out = pd.concat(
        [
            pd.DataFrame({"rank": rank, "feature_id": df["ID"]}),
            df[AUDIO_FEATURES].apply(pd.to_numeric, errors="coerce"),
        ],
        axis=1,
    )
    genre = df["genre"].str.strip()
    out["genre"] = genre.where(~genre.str.lower().isin(["none", "", "nan"]))
    out = out[out["rank"].notna()].drop_duplicates("rank")
    out["rank"] = out["rank"].astype("Int64")
    return out


def read_file(file: ChartFile) -> pd.DataFrame:
    """One week of one market with features joined by rank.

    Features are attached only where the features file names the same track; a disagreement is
    counted in ``feature_mismatch`` and leaves that row's features missing.
    """
    rows = read_plain(file)
    if file.features is not None:
        feats = read_features(file.features)
        rows = rows.merge(feats, on="rank", how="left")
        wrong = rows["feature_id"].notna() & (rows["feature_id"] != rows["track_id"])
        if wrong.any():
            rows.loc[wrong, [*AUDIO_FEATURES, "genre"]] = np.nan
        rows["feature_mismatch"] = wrong.to_numpy()
        rows = rows.drop(columns="feature_id")
    else:
        rows[AUDIO_FEATURES] = np.nan
        rows["genre"] = pd.NA
        rows["feature_mismatch"] = False
    rows["label"] = pd.NA
    rows["source_format"] = "legacy"
    return rows
