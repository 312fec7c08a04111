"""Reader for the current charts.spotify.com weekly exports (2022 onwards).

``regional-<market>-weekly-<YYYY-MM-DD>.csv[.gz]`` where the date is the Thursday the chart week
ends on; UTF-8 with a byte-order mark; header
``rank,uri,artist_names,track_name,source,peak_rank,previous_rank,weeks_on_chart,streams``.
``artist_names`` lists every credited artist (the legacy files name only the primary artist);
``source`` is the label or distributor and becomes ``label``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from musicmarkets.contracts import ChartFileError
from musicmarkets.sources.chart_types import AUDIO_FEATURES, ChartFile, rows_frame, track_ids
from musicmarkets.sources.textfile import frame, read_rows

FILE_NAME = re.compile(
    r"^regional-(?P<market>[a-z]{2}|global)-weekly-(?P<end>\d{4}-\d{2}-\d{2})\.csv(?:\.gz)?$"
)
HEADER = [
    "rank",
    "uri",
    "artist_names",
    "track_name",
    "source",
    "peak_rank",
    "previous_rank",
    "weeks_on_chart",
    "streams",
]
TRACK_URI = r"^spotify:track:(?P<id>[A-Za-z0-9]{22})$"


def parse_file_name(path: Path) -> tuple[str, date, date]:
    """Market and chart week (Friday start, Thursday end inclusive) from a current file name."""
    m = FILE_NAME.match(path.name)
    if not m:
        raise ChartFileError(
            path, None, "file name", "expected regional-<market>-weekly-<YYYY-MM-DD>.csv[.gz]"
        )
    try:
        end = date.fromisoformat(m["end"])
    except ValueError as exc:
        raise ChartFileError(path, None, "file name", f"impossible date ({exc})") from None
    if end.weekday() != 3:
        raise ChartFileError(
            path, None, "file name", f"week ends {end:%A} {end}, not on a Thursday"
        )
    return m["market"], end - timedelta(days=6), end


def discover(root: Path, markets: list[str] | None = None) -> list[ChartFile]:
    """Current-format files directly under ``root`` (the market is in each file's name)."""
    files = []
    for path in sorted(root.glob("regional-*.csv*")):
        market, start, end = parse_file_name(path)
        if markets is None or market in markets:
            files.append(ChartFile(market, start, end, path, "current"))
    return files


def read_files(files: list[ChartFile]) -> pd.DataFrame:
    """Rows of current-format files, with ``problem``; ``_file`` is the position in ``files``."""
    df = frame([read_rows(f.path, HEADER) for f in files])
    df = df.rename(columns={"rank": "rank_raw", "streams": "streams_raw"})
    ids = track_ids(df["uri"], TRACK_URI)
    rows = rows_frame(files, df, ids, df["artist_names"])
    rows[AUDIO_FEATURES] = np.nan
    rows["genre"] = pd.Series(pd.NA, index=rows.index, dtype="string")
    rows["feature_mismatch"] = False
    rows["label"] = df["source"].replace("", pd.NA).astype("string").to_numpy()
    rows["source_format"] = "current"
    return rows


def read_file(file: ChartFile) -> pd.DataFrame:
    """Rows of one current-format file, with a ``problem`` column."""
    return read_files([file]).drop(columns="_file")
