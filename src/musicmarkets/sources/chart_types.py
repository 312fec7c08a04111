"""What every chart reader shares: the column sets, one chart file, and the typing of a file's
rows with the reason a row is quarantined. The format readers (`charts_legacy`,
`charts_current`) and the dispatcher (`charts`) import from here, never from each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from musicmarkets.contracts import parse_counts

AUDIO_FEATURES = [
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "time_signature",
    "duration_ms",
]
# what every chart source delivers; readers add the features, genre and format where known
CORE_COLUMNS = [
    "market",
    "week_start",
    "week_end",
    "rank",
    "track_id",
    "track_name",
    "artist",
    "streams",
]
TIDY_COLUMNS = [*CORE_COLUMNS, *AUDIO_FEATURES, "genre", "label", "source_format"]
QUARANTINE_COLUMNS = [
    "file",
    "line",
    "market",
    "week_start",
    "rank",
    "track_name",
    "artist",
    "streams",
    "reason",
]


@dataclass(frozen=True)
class ChartFile:
    """One weekly chart file of one market (and, for legacy files, its features companion)."""

    market: str
    week_start: date
    week_end: date
    path: Path
    source_format: str
    features: Path | None = None


def rows_frame(
    files: list[ChartFile], df: pd.DataFrame, track_ids: pd.Series, artist: pd.Series
) -> pd.DataFrame:
    """Typed rows of several files with a ``problem`` column (missing = row accepted) and the
    ``_file`` position kept for the caller's joins.

    ``df`` holds the raw rows of every file, its ``_file`` column the position in ``files`` of
    the file each row came from; the checks run once over all rows (per-file pandas work is
    what made reading slow), and a rank counts as repeated only within its own file.
    """
    rank, rank_problem = parse_counts(df["rank_raw"], "rank")
    streams, streams_problem = parse_counts(df["streams_raw"], "streams")
    problem = rank_problem.fillna(streams_problem)
    problem[track_ids.isna() & problem.isna()] = "track link is not a Spotify track"
    where = df["_file"].to_numpy()
    dup = rank.notna() & pd.DataFrame({"file": where, "rank": rank}).duplicated(keep="first")
    problem[dup & problem.isna()] = [
        f"rank {r} appears twice in the file" for r in rank[dup & problem.isna()]
    ]

    def per_file(values: list) -> np.ndarray:
        return np.asarray(values, dtype=object)[where]

    out = pd.DataFrame(
        {
            "market": per_file([f.market for f in files]),
            "week_start": pd.DatetimeIndex([pd.Timestamp(f.week_start) for f in files])[where],
            "week_end": pd.DatetimeIndex([pd.Timestamp(f.week_end) for f in files])[where],
            "rank": rank,
            "track_id": track_ids.astype("string"),
            "track_name": df["track_name"].astype("string"),
            "artist": artist.astype("string"),
            "streams": streams,
            "rank_raw": df["rank_raw"],
            "streams_raw": df["streams_raw"],
            "line": df["_line"].to_numpy(),
            "file": per_file([str(f.path) for f in files]),
            "problem": problem,
            "_file": where,
        },
        index=df.index,
    )
    return out


def track_ids(links: pd.Series, pattern: str) -> pd.Series:
    """The ``id`` group of ``pattern`` in each link, missing where the link does not match
    (``Series.str.extract`` semantics, through Arrow's regex engine: a tenth of the time)."""
    found = pc.extract_regex(pa.array(links, type=pa.string()), pattern)
    return pd.Series(pd.array(pc.struct_field(found, ["id"]), dtype="str"), index=links.index)
