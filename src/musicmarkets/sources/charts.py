"""Weekly Top 200 charts in either Spotify export format, as one tidy table plus a quarantine.

Week definition used throughout the project: a chart week runs **Friday to Thursday**;
``week_start`` is the Friday and ``week_end`` the Thursday (inclusive). The legacy
spotifycharts.com files name the week ``<Friday>--<next Friday>``; the current charts.spotify.com
exports name the Thursday it ends on. Both map onto the same weeks.

Verdicts: a file that cannot be read as a chart (unreadable, empty, unknown header, bad name) is
*rejected* with a ChartFileError naming the file, row and field. A row with a bad value
(non-numeric or negative streams, a duplicate rank, a bad track link) or a week that another
file already delivered is *quarantined* with its reason. Everything else is *accepted*.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from musicmarkets.sources import charts_current, charts_legacy
from musicmarkets.sources.chart_types import (  # noqa: F401  (re-exported for callers)
    AUDIO_FEATURES,
    CORE_COLUMNS,
    QUARANTINE_COLUMNS,
    TIDY_COLUMNS,
    ChartFile,
    rows_frame,
)

PARALLEL_MIN_FILES = 200  # below this, starting worker processes costs more than it saves
CHUNKS_PER_WORKER = 4  # contiguous slices per worker: even load, few large pandas batches


def read_files(files: list[ChartFile]) -> pd.DataFrame:
    """Rows of the files in either format, in file order, with a ``problem`` column.

    Each format's files are parsed one by one and then typed and checked as one batch.
    """
    parts = []
    for fmt, module in (("legacy", charts_legacy), ("current", charts_current)):
        where = np.array([i for i, f in enumerate(files) if f.source_format == fmt], dtype=int)
        if len(where):
            rows = module.read_files([files[i] for i in where])
            rows["_file"] = where[rows["_file"].to_numpy()]
            parts.append(rows)
    rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    if len(parts) > 1:
        rows = rows.sort_values("_file", kind="stable", ignore_index=True)
    return rows.drop(columns="_file")


def _read_all(files: list[ChartFile]) -> pd.DataFrame:
    # Files are independent: parse them in worker processes (the per-file cost is pandas work
    # that holds the GIL, so threads do not help); each worker reads contiguous slices, so
    # the result keeps the file order.
    workers = min(os.cpu_count() or 1, max(1, len(files) // PARALLEL_MIN_FILES))
    if workers == 1:
        return read_files(files)
    size = -(-len(files) // (workers * CHUNKS_PER_WORKER))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    # forkserver, not fork: the caller (a Jupyter kernel, a test runner) may hold threads; the
    # server imports the readers once, so workers start as forks of it rather than cold
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return pd.concat(pool.map(read_files, chunks), ignore_index=True)


def read_file(file: ChartFile) -> pd.DataFrame:
    """Rows of one file in either format (with a ``problem`` column)."""
    return read_files([file])


def discover(
    legacy_root: Path | None, current_root: Path | None, markets: list[str] | None = None
) -> list[ChartFile]:
    """Chart files of both formats (a missing folder contributes none)."""

    files: list[ChartFile] = []
    if legacy_root is not None and legacy_root.is_dir():
        files += charts_legacy.discover(legacy_root, markets)
    if current_root is not None and current_root.is_dir():
        files += charts_current.discover(current_root, markets)
    return files


def read_charts(
    legacy_root: Path | None,
    current_root: Path | None = None,
    markets: list[str] | None = None,
    start: date | str | None = None,
    end: date | str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Accepted chart rows, quarantined rows (with reasons) and read statistics.

    Files whose week starts in [start, end] are read; ``markets=None`` reads every market found.
    A market-week delivered by two files keeps the first file (legacy before current, then by
    name) and quarantines the other's rows.
    """
    start_d = pd.Timestamp(start).date() if start else date.min
    end_d = pd.Timestamp(end).date() if end else date.max
    files = [
        f for f in discover(legacy_root, current_root, markets) if start_d <= f.week_start <= end_d
    ]
    if not files:
        raise FileNotFoundError(f"no chart files for markets={markets} in {start}..{end}")
    rows = _read_all(files)
    first_file = rows.groupby(["market", "week_start"], sort=False)["file"].transform("first")
    again = (rows["file"] != first_file) & rows["problem"].isna()
    rows.loc[again, "problem"] = "week already delivered by " + first_file[again].map(
        lambda p: Path(p).name
    )
    bad = rows["problem"].notna()
    accepted = rows.loc[~bad, TIDY_COLUMNS].copy()
    accepted["rank"] = accepted["rank"].astype("int64")
    accepted["streams"] = accepted["streams"].astype("int64")
    accepted["genre"] = accepted["genre"].astype("string")
    accepted = accepted.sort_values(["market", "week_start", "rank"], ignore_index=True)
    quarantine = (
        rows.loc[bad]
        .rename(columns={"problem": "reason"})
        .assign(rank=lambda d: d["rank_raw"], streams=lambda d: d["streams_raw"])[
            QUARANTINE_COLUMNS
        ]
        .reset_index(drop=True)
    )
    stats = {
        "files": len(files),
        "files_legacy": sum(f.source_format == "legacy" for f in files),
        "files_current": sum(f.source_format == "current" for f in files),
        "files_with_features": sum(f.features is not None for f in files),
        "rows_read": len(rows),
        "rows": len(accepted),
        "rows_quarantined": len(quarantine),
        "feature_id_mismatches": int(rows["feature_mismatch"].sum()),
    }
    return accepted, quarantine, stats
