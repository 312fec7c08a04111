"""Weekly stream facts from a SQL warehouse through SQLAlchemy.

A DuckDB file is the embedded default; PostgreSQL (whose SQL Redshift speaks) serves real
deployments. The connection string comes from the environment variable named in params.yaml
(``ingest.warehouse_url_env``), never from a file in the repository. The facts table has one row
per market, chart week and rank::

    market TEXT, week_start DATE, week_end DATE, rank INTEGER, track_id TEXT,
    track_name TEXT, artist TEXT, streams BIGINT, label TEXT

Rows pass the same contract as chart files: bad values are quarantined with their reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from musicmarkets.contracts import parse_counts
from musicmarkets.sources.charts import (
    AUDIO_FEATURES,
    CORE_COLUMNS,
    QUARANTINE_COLUMNS,
    TIDY_COLUMNS,
)

KINDS = ("none", "duckdb", "postgresql")
FACT_COLUMNS = [*CORE_COLUMNS, "label"]


def engine_for(kind: str, url_env: str, default_duckdb: Path) -> sa.Engine:
    """An engine for ``kind``; the URL is read from the environment variable ``url_env``.

    DuckDB falls back to the embedded file ``default_duckdb``; PostgreSQL has no default.
    """
    if kind not in KINDS or kind == "none":
        raise ValueError(f"warehouse must be one of {KINDS[1:]}, got {kind!r}")
    url = os.environ.get(url_env)
    if kind == "duckdb":
        return sa.create_engine(url or f"duckdb:///{default_duckdb}")
    if not url:
        raise KeyError(
            f"set {url_env} to the PostgreSQL connection string (postgresql+psycopg://...)"
        )
    return sa.create_engine(url)


def describe(engine: sa.Engine) -> str:
    """The engine's URL with its password hidden (safe for logs and reports)."""
    return engine.url.render_as_string(hide_password=True)


def write_facts(engine: sa.Engine, facts: pd.DataFrame, table: str, replace: bool = False) -> int:
    """Load chart rows into the facts table (used to stage data and by the tests)."""
    rows = facts[FACT_COLUMNS].copy()
    for col in ("week_start", "week_end"):
        rows[col] = pd.to_datetime(rows[col]).dt.date
    rows.to_sql(
        table, engine, if_exists="replace" if replace else "append", index=False, chunksize=10_000
    )
    return len(rows)


def read_facts(
    engine: sa.Engine,
    table: str,
    markets: list[str] | None,
    start: str,
    end: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accepted rows (tidy chart columns) and quarantined rows of the weeks in [start, end]."""
    facts = sa.table(table, *(sa.column(c) for c in FACT_COLUMNS))
    query = sa.select(facts).where(
        facts.c.week_start >= sa.bindparam("start", pd.Timestamp(start).date(), type_=sa.Date),
        facts.c.week_start <= sa.bindparam("end", pd.Timestamp(end).date(), type_=sa.Date),
    )
    if markets is not None:
        query = query.where(facts.c.market.in_(markets))
    with engine.connect() as conn:
        raw = pd.read_sql(query.order_by(facts.c.market, facts.c.week_start, facts.c.rank), conn)
    rank, rank_problem = parse_counts(raw["rank"].astype(str), "rank")
    streams, streams_problem = parse_counts(raw["streams"].astype(str), "streams")
    problem = rank_problem.fillna(streams_problem)
    dup = raw.duplicated(["market", "week_start", "rank"]) & problem.isna()
    problem[dup] = "rank appears twice in the market-week"
    rows = raw.assign(
        week_start=pd.to_datetime(raw["week_start"]),
        week_end=pd.to_datetime(raw["week_end"]),
        rank=rank,
        streams=streams,
    )
    bad = problem.notna()
    quarantine = rows.loc[bad].assign(
        file=f"{describe(engine)} table {table}",
        line=pd.NA,
        rank=raw.loc[bad, "rank"].astype(str),
        streams=raw.loc[bad, "streams"].astype(str),
        reason=problem[bad],
    )[QUARANTINE_COLUMNS]
    good = rows.loc[~bad].copy()
    good[AUDIO_FEATURES] = np.nan
    good["genre"] = pd.Series(pd.NA, index=good.index, dtype="string")
    good["source_format"] = "warehouse"
    good["rank"] = good["rank"].astype("int64")
    good["streams"] = good["streams"].astype("int64")
    for col in ("track_id", "track_name", "artist", "label"):
        good[col] = good[col].astype("string")
    return good[TIDY_COLUMNS].reset_index(drop=True), quarantine.reset_index(drop=True)


def add_to_charts(
    table: pd.DataFrame,
    quarantine: pd.DataFrame,
    stats: dict,
    engine: sa.Engine,
    facts_table: str,
    markets: list[str] | None,
    start: str,
    end: str,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The chart table, quarantine and read statistics with the warehouse's facts added."""
    from musicmarkets.contracts import add_source

    facts, facts_quarantine = read_facts(engine, facts_table, markets, start, end)
    table, quarantine = add_source(table, quarantine, facts, facts_quarantine, "the warehouse")
    stats = stats | {
        "warehouse": describe(engine),
        "rows_read": stats["rows_read"] + len(facts) + len(facts_quarantine),
    }
    return table, quarantine, stats
