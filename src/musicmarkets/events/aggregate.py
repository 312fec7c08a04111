"""Stream reports -> market x week panel and track x market x week table, on DuckDB or Spark.

One SQL text, run by either engine; only three expressions differ between the dialects (days
between dates, adding days to a date, the 128-bit-safe cast). A chart week runs Friday to
Thursday, as in the chart files: week_start is the Friday on or before the date (1970-01-02 was a
Friday).

Outputs (Parquet):
- track_week: market, week_start, track_id, streams, days, rank (1 = most streamed; ties broken
  by track_id, so both engines rank identically);
- market_week: market, week_start, week_end, days, tracks, streams, top200_streams (the chart
  files' measure), top10_share (of all streams), listeners and premium_share when the report
  has those columns;
- quarantine: every rejected row with its reason.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from musicmarkets.events.schema import check_columns

EPOCH_FRIDAY = "DATE '1970-01-02'"

DIALECTS = {
    "duckdb": {
        "days": "date_diff('day', {a}, {b})",
        "add_days": "CAST({d} + CAST({n} AS INTEGER) AS DATE)",
    },
    "spark": {
        "days": "datediff({b}, {a})",
        "add_days": "date_add({d}, CAST({n} AS INT))",
    },
}

_CHECKED = """
SELECT *,
  CASE
    WHEN date IS NULL THEN 'date missing'
    WHEN market IS NULL OR length(market) <> 2 OR lower(market) <> market
      THEN 'market not a lower-case 2-letter code'
    WHEN track_id IS NULL OR track_id = '' THEN 'track_id missing'
    WHEN streams IS NULL THEN 'streams missing'
    WHEN streams < 0 THEN 'streams negative'
  END AS reason
FROM events
"""

_TRACK_WEEK = """
WITH valid AS (
  SELECT market, {week_start} AS week_start, date, track_id, streams
  FROM ({checked}) c WHERE reason IS NULL
),
tw AS (
  SELECT market, week_start, track_id,
         CAST(SUM(streams) AS BIGINT) AS streams,
         CAST(COUNT(DISTINCT date) AS BIGINT) AS days
  FROM valid GROUP BY market, week_start, track_id
)
SELECT market, week_start, track_id, streams, days,
       CAST(ROW_NUMBER() OVER (PARTITION BY market, week_start
                               ORDER BY streams DESC, track_id) AS BIGINT) AS rank
FROM tw
"""

_MARKET_WEEK = """
WITH valid AS (
  SELECT * , {week_start} AS week_start
  FROM ({checked}) c WHERE reason IS NULL
),
wk AS (
  SELECT market, week_start,
         CAST(COUNT(DISTINCT date) AS BIGINT) AS days,
         {listeners} AS listeners,
         {premium} AS premium_streams
  FROM valid GROUP BY market, week_start
),
ranked AS ({track_week}),
mk AS (
  SELECT market, week_start,
         CAST(COUNT(*) AS BIGINT) AS tracks,
         CAST(SUM(streams) AS BIGINT) AS streams,
         CAST(SUM(CASE WHEN rank <= 200 THEN streams ELSE 0 END) AS BIGINT) AS top200_streams,
         CAST(SUM(CASE WHEN rank <= 10 THEN streams ELSE 0 END) AS BIGINT) AS top10_streams
  FROM ranked GROUP BY market, week_start
)
SELECT mk.market, mk.week_start, {week_end} AS week_end, wk.days, mk.tracks, mk.streams,
       mk.top200_streams,
       CAST(mk.top10_streams AS DOUBLE) / CAST(mk.streams AS DOUBLE) AS top10_share,
       wk.listeners,
       CAST(wk.premium_streams AS DOUBLE) / CAST(mk.streams AS DOUBLE) AS premium_share
FROM mk JOIN wk ON mk.market = wk.market AND mk.week_start = wk.week_start
"""

_QUARANTINE = "SELECT * FROM ({checked}) c WHERE reason IS NOT NULL"


def queries(dialect: str, optional: list[str]) -> dict[str, str]:
    """The three queries in one engine's dialect, for the optional columns present."""
    d = DIALECTS[dialect]
    days = d["days"].format(a=EPOCH_FRIDAY, b="date")
    week_start = d["add_days"].format(d=EPOCH_FRIDAY, n=f"7 * floor({days} / 7)")
    week_end = d["add_days"].format(d="mk.week_start", n="6")
    listeners = (
        "CAST(COUNT(DISTINCT listener_id) AS BIGINT)"
        if "listener_id" in optional
        else "CAST(NULL AS BIGINT)"
    )
    premium = (
        "CAST(SUM(CASE WHEN product_tier = 'premium' THEN streams ELSE 0 END) AS BIGINT)"
        if "product_tier" in optional
        else "CAST(NULL AS BIGINT)"
    )
    track_week = _TRACK_WEEK.format(week_start=week_start, checked=_CHECKED)
    return {
        "track_week": track_week,
        "market_week": _MARKET_WEEK.format(
            week_start=week_start,
            checked=_CHECKED,
            listeners=listeners,
            premium=premium,
            track_week=track_week,
            week_end=week_end,
        ),
        "quarantine": _QUARANTINE.format(checked=_CHECKED),
    }


@dataclass(frozen=True)
class Result:
    market_week: Path
    track_week: Path
    quarantine: Path
    rows_in: int
    rows_rejected: int


def _s3_filesystem():
    from pyarrow import fs

    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    return fs.S3FileSystem(
        endpoint_override=endpoint,
        region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        scheme="http" if endpoint and endpoint.startswith("http://") else "https",
    )


def _dataset(source: str):
    """A pyarrow dataset over a folder or s3:// prefix (hive partitions discovered)."""
    import pyarrow.dataset as ds

    if source.startswith("s3://"):
        return ds.dataset(
            source.removeprefix("s3://"),
            filesystem=_s3_filesystem(),
            format="parquet",
            partitioning="hive",
        )
    if not Path(source).exists():
        raise FileNotFoundError(f"stream reports: {source} does not exist")
    return ds.dataset(source, format="parquet", partitioning="hive")


def aggregate_duckdb(
    source: str, out: Path, memory_limit: str = "2GB", threads: int | None = None
) -> Result:
    """Run the queries on DuckDB, streaming from Parquet to Parquet (memory bounded)."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as spill:
        con = duckdb.connect()
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{spill}'")
        con.execute("SET preserve_insertion_order = false")
        try:
            con.execute("SET enable_progress_bar = false")
        except duckdb.Error:  # inside Jupyter without ipywidgets the bar is off and locked
            pass
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if source.startswith("s3://"):  # through pyarrow's S3 client: no DuckDB extension needed
            con.register("events_arrow", _dataset(source))
            con.execute("CREATE VIEW events AS SELECT * FROM events_arrow")
        else:  # DuckDB's own Parquet reader: streams row groups, spills beyond the cap
            if not Path(source).is_dir():
                raise FileNotFoundError(f"stream reports: {source} is not a folder")
            pattern = str(Path(source).resolve() / "**" / "*.parquet").replace("'", "''")
            con.execute(
                "CREATE VIEW events AS SELECT * FROM read_parquet("
                f"'{pattern}', hive_partitioning = true, union_by_name = true)"
            )
        names = [r[0] for r in con.execute("DESCRIBE events").fetchall()]
        optional = check_columns(names, source)
        q = queries("duckdb", optional)
        paths = {}
        for name in ("track_week", "market_week", "quarantine"):
            paths[name] = out / f"{name}.parquet"
            tmp = out / f".{name}.parquet.tmp"
            con.execute(f"COPY ({q[name]}) TO '{tmp}' (FORMAT parquet)")
            tmp.replace(paths[name])
        rows_in = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        con.close()
    rejected = pq.ParquetFile(paths["quarantine"]).metadata.num_rows
    return Result(paths["market_week"], paths["track_week"], paths["quarantine"], rows_in, rejected)


def spark_session(master: str = "local[2]", memory: str = "2g"):
    """A local Spark session (on a cluster, spark-submit supplies its own)."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName("musicmarkets-events")
        .config("spark.driver.memory", memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


def aggregate_spark(source: str, out: Path, spark=None) -> Result:
    """Run the same queries on Spark; `source` may be a folder, or s3:// on a cluster (EMR)."""
    own = spark is None
    spark = spark or spark_session()
    out.mkdir(parents=True, exist_ok=True)
    try:
        reader = spark.read.option("mergeSchema", "true")
        frame = reader.parquet(source if "://" in source else str(Path(source).resolve()))
        optional = check_columns(frame.columns, source)
        frame.createOrReplaceTempView("events")
        q = queries("spark", optional)
        paths = {}
        for name in ("track_week", "market_week", "quarantine"):
            paths[name] = out / f"{name}.parquet"
            tmp = out / f".{name}.spark"
            spark.sql(q[name]).write.mode("overwrite").parquet(str(tmp.resolve()))
            if paths[name].exists():
                _remove(paths[name])
            tmp.replace(paths[name])  # a folder of part files: pandas and DuckDB read it as one
        rows_in = frame.count()
    finally:
        if own:
            spark.stop()
    rejected = len(pd.read_parquet(paths["quarantine"]))
    return Result(paths["market_week"], paths["track_week"], paths["quarantine"], rows_in, rejected)


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def aggregate(source: str, out: Path, engine: str = "duckdb", **options) -> Result:
    """Aggregate with the engine params.yaml names (`events.engine`: duckdb or spark)."""
    if engine == "duckdb":
        return aggregate_duckdb(source, out, **options)
    if engine == "spark":
        return aggregate_spark(source, out, **options)
    raise ValueError(f"events.engine must be 'duckdb' or 'spark', got {engine!r}")


def read_sorted(path: Path, keys: list[str]) -> pd.DataFrame:
    """An output table in a canonical row order and dtypes, for comparing engines."""
    frame = pd.read_parquet(path)
    for col in ("week_start", "week_end", "date"):
        if col in frame:
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[s]")
    return frame.sort_values(keys).reset_index(drop=True)
