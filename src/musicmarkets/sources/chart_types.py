"""What every chart reader shares: the column sets, one chart file, and the typing of a file's
rows with the reason a row is quarantined. The format readers (`charts_legacy`,
`charts_current`) and the dispatcher (`charts`) import from here, never from each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

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
    file: ChartFile, df: pd.DataFrame, track_ids: pd.Series, artist: pd.Series
) -> pd.DataFrame:
    """Typed rows of one file with a ``problem`` column (missing = row accepted)."""
    rank, rank_problem = parse_counts(df["rank_raw"], "rank")
    streams, streams_problem = parse_counts(df["streams_raw"], "streams")
    problem = rank_problem.fillna(streams_problem)
    problem[track_ids.isna() & problem.isna()] = "track link is not a Spotify track"
    dup = rank.notna() & rank.duplicated(keep="first")
    problem[dup & problem.isna()] = [
        f"rank {r} appears twice in the file" for r in rank[dup & problem.isna()]
    ]
    out = pd.DataFrame(
        {
            "market": file.market,
            "week_start": pd.Timestamp(file.week_start),
            "week_end": pd.Timestamp(file.week_end),
            "rank": rank,
            "track_id": track_ids.astype("string"),
            "track_name": df["track_name"].astype("string"),
            "artist": artist.astype("string"),
            "streams": streams,
            "rank_raw": df["rank_raw"],
            "streams_raw": df["streams_raw"],
            "line": df["_line"].to_numpy(),
            "file": str(file.path),
            "problem": problem,
        }
    )
    return out
