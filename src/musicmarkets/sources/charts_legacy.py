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

from musicmarkets.contracts import ChartFileError, to_numbers
from musicmarkets.sources.chart_types import AUDIO_FEATURES, ChartFile, rows_frame, track_ids
from musicmarkets.sources.textfile import Table, decode, frame, read_rows

FILE_NAME = re.compile(
    r"^(?P<market>[a-z]{2}|global)_(?P<start>\d{4}-\d{2}-\d{2})--(?P<end>\d{4}-\d{2}-\d{2})\.csv(?:\.gz)?$"
)
DISCLAIMER_PREFIX = ',,,"Note that these figures'
PLAIN_HEADER = ["Position", "Track Name", "Artist", "Streams", "URL"]
TRACK_URL = r"^https://open\.spotify\.com/track/(?P<id>[A-Za-z0-9]{22})$"
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


def load_plain(file: ChartFile) -> Table:
    """Records of one plain weekly file (all fields text), after the structural checks."""
    text, _ = decode(file.path)
    skip = 1 if text.startswith(DISCLAIMER_PREFIX) else 0
    return read_rows(file.path, PLAIN_HEADER, skip, text=text)


def load_features(path: Path) -> Table:
    """Records of one features file (all fields text), after the structural checks."""
    return read_rows(path, FEATURES_REQUIRED, 0, exact=False)


def type_plain(files: list[ChartFile], raw: pd.DataFrame) -> pd.DataFrame:
    """Typed rows of plain files (``raw`` from ``textfile.frame``), with ``problem``."""
    df = raw.rename(
        columns={"Position": "rank_raw", "Streams": "streams_raw", "Track Name": "track_name"}
    )
    ids = track_ids(df["URL"], TRACK_URL)
    return rows_frame(files, df, ids, df["Artist"])


def type_features(raw: pd.DataFrame) -> pd.DataFrame:
    """Rank, track id, audio features and genre (``none`` -> missing) of stacked features files."""
    rank = to_numbers(raw["Position"])
    out = pd.concat(
        [
            pd.DataFrame({"_file": raw["_file"], "rank": rank, "feature_id": raw["ID"]}),
            raw[AUDIO_FEATURES].apply(to_numbers),
        ],
        axis=1,
    )
    genre = raw["genre"].str.strip()
    out["genre"] = genre.where(~genre.str.lower().isin(["none", "", "nan"]))
    out = out[out["rank"].notna()].drop_duplicates(["_file", "rank"])
    out["rank"] = out["rank"].astype("Int64")
    return out


def read_plain(file: ChartFile) -> pd.DataFrame:
    """Rows of one plain weekly file (features empty), with a ``problem`` column."""
    return type_plain([file], frame([load_plain(file)])).drop(columns="_file")


def read_features(path: Path) -> pd.DataFrame:
    """Read one features file: rank, track id, audio features and genre (``none`` -> missing)."""
    return type_features(frame([load_features(path)], FEATURES_REQUIRED)).drop(columns="_file")


def read_files(files: list[ChartFile]) -> pd.DataFrame:
    """Weeks of legacy files with features joined by rank; ``_file`` is the position in ``files``.

    Features are attached only where the features file names the same track; a disagreement is
    counted in ``feature_mismatch`` and leaves that row's features missing.
    """
    rows = type_plain(files, frame([load_plain(f) for f in files]))
    have = [i for i, f in enumerate(files) if f.features is not None]
    if have:
        feats = type_features(
            frame([load_features(files[i].features) for i in have], FEATURES_REQUIRED)
        )
        feats["_file"] = np.asarray(have)[feats["_file"].to_numpy()]
        rows = rows.merge(feats, on=["_file", "rank"], how="left")
        wrong = rows["feature_id"].notna() & (rows["feature_id"] != rows["track_id"])
        if wrong.any():
            rows.loc[wrong, [*AUDIO_FEATURES, "genre"]] = np.nan
        rows["feature_mismatch"] = wrong.to_numpy()
        rows = rows.drop(columns="feature_id")
    else:
        rows[AUDIO_FEATURES] = np.nan
        rows["genre"] = pd.NA
        rows["feature_mismatch"] = False
    rows["genre"] = rows["genre"].astype("string")  # one missing marker, batch or not
    rows["label"] = pd.NA
    rows["source_format"] = "legacy"
    return rows


def read_file(file: ChartFile) -> pd.DataFrame:
    """One week of one market with features joined by rank (see ``read_files``)."""
    return read_files([file]).drop(columns="_file")
