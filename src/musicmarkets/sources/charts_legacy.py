"""Reader for the legacy spotifycharts.com weekly Top 200 exports (2016-2021 format).

Layout: ``<root>/<market>/<market>_<start>--<end>.csv.gz`` (plain chart: a disclaimer line, then
``Position,"Track Name",Artist,Streams,URL``) and, optionally, ``<root>/<market>_features/`` with
the same weeks plus Spotify audio features and an iTunes genre.

Week definition used throughout the project: a chart week runs Friday to Thursday;
``week_start`` is the Friday and ``week_end`` the Thursday (inclusive). The legacy file name gives
the *next* Friday as its end, so ``week_end = end - 1 day``.
"""

from __future__ import annotations

import gzip
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from musicmarkets.contracts import ChartFileError

FILE_NAME = re.compile(
    r"^(?P<market>[a-z]{2}|global)_(?P<start>\d{4}-\d{2}-\d{2})--(?P<end>\d{4}-\d{2}-\d{2})\.csv(?:\.gz)?$"
)
DISCLAIMER_PREFIX = ',,,"Note that these figures'
PLAIN_HEADER = ["Position", "Track Name", "Artist", "Streams", "URL"]
TRACK_URL = re.compile(r"^https://open\.spotify\.com/track/(?P<id>[A-Za-z0-9]{22})$")
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
# Feature files carry one to three leading index columns (unnamed or "index") and, for Italy, a
# trailing "release date"; only these columns are required.
FEATURES_REQUIRED = ["Position", "Track Name", "Artist", "Streams", "ID", *AUDIO_FEATURES, "genre"]
PARALLEL_MIN_FILES = 200  # below this, starting worker processes costs more than it saves
TIDY_COLUMNS = [
    "market",
    "week_start",
    "week_end",
    "rank",
    "track_id",
    "track_name",
    "artist",
    "streams",
    *AUDIO_FEATURES,
    "genre",
    "source_format",
]


@dataclass(frozen=True)
class ChartFile:
    """One weekly chart file of one market, with its optional features companion."""

    market: str
    week_start: date
    week_end: date
    path: Path
    features: Path | None = None


def parse_file_name(path: Path) -> tuple[str, date, date]:
    """Market and chart week (Friday start, Thursday end inclusive) from a legacy file name."""
    m = FILE_NAME.match(path.name)
    if not m:
        raise ChartFileError(
            path, None, "file name", "expected <market>_<YYYY-MM-DD>--<YYYY-MM-DD>.csv[.gz]"
        )
    start = date.fromisoformat(m["start"])
    end = date.fromisoformat(m["end"])
    if (end - start).days != 7:
        raise ChartFileError(path, None, "file name", f"week {start}--{end} is not 7 days long")
    return m["market"], start, end - timedelta(days=1)


def discover(root: Path, markets: list[str] | None = None) -> list[ChartFile]:
    """List the weekly chart files under ``root``; a market is any folder of matching files."""
    files: list[ChartFile] = []
    for folder in sorted(
        p for p in root.iterdir() if p.is_dir() and not p.name.endswith("_features")
    ):
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
            files.append(ChartFile(market, start, end, path, feat if feat.is_file() else None))
    return files


def _read_text_frame(
    path: Path, header: list[str], skip: int, *, exact: bool = True
) -> pd.DataFrame:
    try:
        df = pd.read_csv(
            path,
            skiprows=skip,
            dtype=str,
            keep_default_na=False,
            compression="infer",
            encoding="utf-8",
        )
    except (OSError, EOFError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ChartFileError(path, None, None, f"cannot be parsed: {exc}") from exc
    except pd.errors.EmptyDataError as exc:
        raise ChartFileError(path, None, None, "file is empty") from exc
    cols = list(df.columns)
    if exact and cols != header:
        raise ChartFileError(path, skip + 1, "header", f"expected {header}, found {cols}")
    absent = [c for c in header if c not in cols]
    if absent:
        raise ChartFileError(path, skip + 1, "header", f"lacks columns {absent}; found {cols}")
    if df.empty:
        raise ChartFileError(path, None, None, "file has a header but no rows")
    return df


def _first_line(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            return fh.readline()
    except (OSError, EOFError) as exc:
        raise ChartFileError(path, None, None, f"cannot be read: {exc}") from exc


def _integers(values: pd.Series, path: Path, field: str, first_row: int) -> np.ndarray:
    cleaned = values.str.replace(",", "", regex=False).str.strip()
    num = pd.to_numeric(cleaned, errors="coerce")
    bad = num.isna() | (num < 0) | (num != np.floor(num))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ChartFileError(
            path, first_row + i, field, f"{values.iloc[i]!r} is not a non-negative integer"
        )
    return num.to_numpy(dtype="int64")


def read_plain(file: ChartFile) -> pd.DataFrame:
    """Read one plain weekly file into the tidy columns (features left empty)."""
    path = file.path
    skip = 1 if _first_line(path).startswith(DISCLAIMER_PREFIX) else 0
    df = _read_text_frame(path, PLAIN_HEADER, skip)
    first_row = skip + 2  # 1-based line number of the first data row
    rank = _integers(df["Position"], path, "Position", first_row)
    streams = _integers(df["Streams"], path, "Streams", first_row)
    ids = df["URL"].str.extract(TRACK_URL)["id"]
    if ids.isna().any():
        i = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise ChartFileError(
            path, first_row + i, "URL", f"{df['URL'].iloc[i]!r} is not a track URL"
        )
    dup = pd.Series(rank).duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise ChartFileError(path, first_row + i, "Position", f"rank {rank[i]} appears twice")
    return pd.DataFrame(
        {
            "market": file.market,
            "week_start": pd.Timestamp(file.week_start),
            "week_end": pd.Timestamp(file.week_end),
            "rank": rank,
            "track_id": ids.to_numpy(),
            "track_name": df["Track Name"].to_numpy(),
            "artist": df["Artist"].to_numpy(),
            "streams": streams,
        }
    )


def read_features(path: Path) -> pd.DataFrame:
    """Read one features file: rank, track id, audio features and genre (``none`` -> missing)."""
    df = _read_text_frame(path, FEATURES_REQUIRED, 0, exact=False)
    out = pd.DataFrame(
        {"rank": _integers(df["Position"], path, "Position", 2), "feature_id": df["ID"]}
    )
    for col in AUDIO_FEATURES:
        out[col] = pd.to_numeric(df[col].replace("", np.nan), errors="coerce")
    genre = df["genre"].str.strip()
    out["genre"] = genre.where(~genre.str.lower().isin(["none", "", "nan"]))
    return out


def read_file(file: ChartFile) -> tuple[pd.DataFrame, int]:
    """One week of one market with features joined by rank.

    Returns the tidy frame and the number of rows whose features file disagreed on the track id
    (their features are left missing rather than attached to the wrong track).
    """
    plain = read_plain(file)
    mismatched = 0
    if file.features is not None:
        feats = read_features(file.features)
        plain = plain.merge(feats, on="rank", how="left", validate="one_to_one")
        wrong = plain["feature_id"].notna() & (plain["feature_id"] != plain["track_id"])
        mismatched = int(wrong.sum())
        if mismatched:
            plain.loc[wrong, [*AUDIO_FEATURES, "genre"]] = np.nan
        plain = plain.drop(columns="feature_id")
    else:
        for col in AUDIO_FEATURES:
            plain[col] = np.nan
        plain["genre"] = pd.Series(pd.NA, index=plain.index, dtype="string")
    plain["source_format"] = "legacy"
    return plain[TIDY_COLUMNS], mismatched


def read_charts(
    root: Path,
    markets: list[str] | None = None,
    start: date | str | None = None,
    end: date | str | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read every legacy weekly file under ``root`` whose week starts in [start, end].

    Returns the tidy chart table (sorted by market, week, rank) and read statistics.
    """
    start_d = pd.Timestamp(start).date() if start else date.min
    end_d = pd.Timestamp(end).date() if end else date.max
    files = [f for f in discover(root, markets) if start_d <= f.week_start <= end_d]
    if not files:
        raise FileNotFoundError(
            f"no chart files under {root} for markets={markets} in {start}..{end}"
        )
    # Files are independent: parse them in worker processes (the per-file cost is pandas work
    # that holds the GIL, so threads do not help); results keep the file order.
    workers = min(os.cpu_count() or 1, max(1, len(files) // PARALLEL_MIN_FILES))
    if workers > 1:
        # forkserver, not fork: the caller (a Jupyter kernel, a test runner) may hold threads
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = list(pool.map(read_file, files, chunksize=64))
    else:
        results = [read_file(f) for f in files]
    charts = pd.concat([frame for frame, _ in results], ignore_index=True)
    mismatched = sum(bad for _, bad in results)
    charts["genre"] = charts["genre"].astype("string")
    charts = charts.sort_values(["market", "week_start", "rank"], ignore_index=True)
    stats = {
        "files": len(files),
        "files_with_features": sum(f.features is not None for f in files),
        "rows": len(charts),
        "feature_id_mismatches": mismatched,
    }
    return charts, stats
