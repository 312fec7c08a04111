"""Data contracts of the tidy tables and the error that names the file, row and field."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


class ChartFileError(ValueError):
    """A raw file that cannot be accepted. The message names the file, row and field."""

    def __init__(self, path: Path | str, row: int | None, field: str | None, problem: str):
        self.path, self.row, self.field, self.problem = Path(path), row, field, problem
        where = [str(path)]
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {problem}")

    def __reduce__(self):  # raised in worker processes: rebuild from the fields, not the message
        return (type(self), (self.path, self.row, self.field, self.problem))


def to_numbers(values: pd.Series) -> pd.Series:
    """Text to float64, missing where a value is not a number (as ``pd.to_numeric`` with
    ``errors="coerce"``). Arrow's cast parses a clean column some 30 times faster; a column with
    any non-number falls back to pandas, which marks just those values missing."""
    try:
        parsed = pc.cast(pa.array(values, type=pa.string()), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    return pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index, name=values.name)


def parse_counts(values: pd.Series, field: str) -> tuple[pd.Series, pd.Series]:
    """Non-negative integers from text (quoted, with thousands separators allowed).

    Returns the parsed values (``Int64``, missing where invalid) and, per row, the reason the
    value was refused (missing where it is fine): row-level problems quarantine the row.
    """
    cleaned = values.astype(str).str.replace(",", "", regex=False).str.strip()
    num = to_numbers(cleaned)
    # beyond 2**53 a float no longer holds every integer; no chart count comes near it
    bad = num.isna() | (num < 0) | (num != num.round()) | (num > 2**53)
    reason = pd.Series(pd.NA, index=values.index, dtype="string")
    reason[bad] = [f"{field} {v!r} is not a non-negative integer" for v in values[bad]]
    return num.where(~bad).astype("Int64"), reason


class ContractError(ValueError):
    """A derived table breaks its contract (a bug upstream, not a bad raw file)."""


CHART_DTYPES = {
    "market": "string-like",
    "week_start": "datetime64",
    "week_end": "datetime64",
    "rank": "int64",
    "track_id": "string-like",
    "streams": "int64",
}


def check_charts(charts: pd.DataFrame, max_rank: int) -> None:
    """Raise ContractError listing every broken rule of the tidy chart table."""
    problems: list[str] = []
    missing = [c for c in CHART_DTYPES if c not in charts.columns]
    if missing:
        raise ContractError(f"chart table lacks columns {missing}")
    for col in ("week_start", "week_end"):
        if not pd.api.types.is_datetime64_any_dtype(charts[col]):
            problems.append(f"{col} is {charts[col].dtype}, expected datetime")
    for col in ("rank", "streams"):
        if not pd.api.types.is_integer_dtype(charts[col]):
            problems.append(f"{col} is {charts[col].dtype}, expected integer")
    if (charts["streams"] < 0).any():
        problems.append(f"{int((charts['streams'] < 0).sum())} rows with negative streams")
    out_of_range = ~charts["rank"].between(1, max_rank)
    if out_of_range.any():
        problems.append(f"{int(out_of_range.sum())} rows with rank outside 1..{max_rank}")
    dup = charts.duplicated(["market", "week_start", "rank"])
    if dup.any():
        first = charts.loc[dup].iloc[0]
        problems.append(
            f"{int(dup.sum())} duplicate (market, week_start, rank) rows, "
            f"first {first['market']} {first['week_start']:%Y-%m-%d} rank {first['rank']}"
        )
    if charts["track_id"].isna().any():
        problems.append(f"{int(charts['track_id'].isna().sum())} rows without a track id")
    bad_week = (charts["week_end"] - charts["week_start"]).dt.days != 6
    if bad_week.any():
        problems.append(f"{int(bad_week.sum())} rows whose week is not Friday..Thursday (6 days)")
    if problems:
        raise ContractError("chart table breaks its contract: " + "; ".join(problems))


def find_gaps(charts: pd.DataFrame) -> pd.DataFrame:
    """Missing chart weeks inside each market's own span (first to last week), never filled.

    Returns one row per missing week: market, week_start, and the market's first and last week.
    """
    rows = []
    for market, weeks in charts.groupby("market", observed=True)["week_start"]:
        have = pd.DatetimeIndex(weeks.unique()).sort_values()
        expected = pd.date_range(have[0], have[-1], freq="7D")
        for wk in expected.difference(have):
            rows.append(
                {"market": market, "week_start": wk, "first_week": have[0], "last_week": have[-1]}
            )
    return pd.DataFrame(rows, columns=["market", "week_start", "first_week", "last_week"])


def coverage(charts: pd.DataFrame) -> pd.DataFrame:
    """Per market: first and last week, weeks present, weeks missing inside the span, rows."""
    g = charts.groupby("market", observed=True)
    out = pd.DataFrame(
        {
            "first_week": g["week_start"].min(),
            "last_week": g["week_start"].max(),
            "weeks": g["week_start"].nunique(),
            "rows": g.size(),
        }
    )
    span = ((out["last_week"] - out["first_week"]).dt.days // 7) + 1
    out["missing_weeks"] = (span - out["weeks"]).astype("int64")
    return out.reset_index()


def quarantine_rows(
    accepted: pd.DataFrame, quarantine: pd.DataFrame, mask: pd.Series, reason: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Move the ``mask`` rows of ``accepted`` to ``quarantine`` with ``reason``."""
    moved = accepted.loc[mask]
    if moved.empty:
        return accepted, quarantine
    extra = pd.DataFrame(
        {
            "file": pd.NA,
            "line": pd.NA,
            "market": moved["market"],
            "week_start": moved["week_start"],
            "rank": moved["rank"].astype(str),
            "track_name": moved["track_name"],
            "artist": moved["artist"],
            "streams": moved["streams"].astype(str),
            "reason": reason,
        }
    )
    both = pd.concat([quarantine, extra], ignore_index=True) if len(quarantine) else extra
    return accepted.loc[~mask].reset_index(drop=True), both.reset_index(drop=True)


def check_quarantine_share(read: int, quarantined: int, limit: float) -> None:
    """Fail the stage when more than ``limit`` of the rows read were quarantined."""
    share = quarantined / read if read else 0.0
    if share > limit:
        raise ContractError(
            f"{quarantined} of {read} rows ({share:.2%}) were quarantined, more than the "
            f"{limit:.2%} that params.yaml (ingest.max_quarantine_share) allows; "
            "see data/interim/quarantine.parquet for the reasons"
        )


def add_source(
    accepted: pd.DataFrame,
    quarantine: pd.DataFrame,
    new: pd.DataFrame,
    new_quarantine: pd.DataFrame,
    source: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Append another source's accepted rows; a market-week already delivered is quarantined."""
    have = pd.MultiIndex.from_frame(accepted[["market", "week_start"]].drop_duplicates())
    again = pd.MultiIndex.from_frame(new[["market", "week_start"]]).isin(have)
    new, new_quarantine = quarantine_rows(
        new,
        new_quarantine,
        pd.Series(again, index=new.index),
        f"week already delivered before {source}",
    )
    parts = [q for q in (quarantine, new_quarantine) if len(q)]
    both_q = pd.concat(parts, ignore_index=True) if parts else quarantine
    both = pd.concat([accepted, new], ignore_index=True).sort_values(
        ["market", "week_start", "rank"], ignore_index=True
    )
    return both, both_q


def rows_per_market_week(charts: pd.DataFrame) -> dict[str, int]:
    """Fewest and most accepted rows in any market-week (200 and 200 for complete charts)."""
    n = charts.groupby(["market", "week_start"], observed=True).size()
    return {"rows_per_market_week_min": int(n.min()), "rows_per_market_week_max": int(n.max())}
