# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 52 · Aggregate stream reports to weekly tables (DuckDB or Spark)
#
# The same SQL on the engine `events.engine` names: DuckDB (embedded, out of core, memory
# capped at `events.duckdb_memory`) or Spark (`events.spark_master`; on a cluster such as EMR,
# `yarn`). Outputs: the market x week panel, the track x market x week table with weekly
# ranks, and the rows refused with their reason.

# %% tags=["parameters"]
engine = "duckdb"
source = "data/events/simulated"
duckdb_memory = "2GB"
spark_master = "local[2]"

# %%
import shutil
import time

import pandas as pd

from musicmarkets import config, io
from musicmarkets.events import aggregate, generate

paths = config.paths()
where = source if "://" in source else str(paths.root / source)
options = (
    {"memory_limit": duckdb_memory}
    if engine == "duckdb"
    else {"spark": aggregate.spark_session(spark_master)}
)
staging = paths.root / "data" / "events" / f".aggregate-{engine}"
start = time.perf_counter()
result = aggregate.aggregate(where, staging, engine=engine, **options)
seconds = time.perf_counter() - start
if engine == "spark":
    options["spark"].stop()
print(f"{engine}: {result.rows_in:,} rows in {seconds:.1f} s, {result.rows_rejected:,} refused")

# %% [markdown]
# Outputs go to their DVC paths as single Parquet files (Spark writes folders of parts).

# %%
market_week = aggregate.read_sorted(result.market_week, ["market", "week_start"])
track_week = aggregate.read_sorted(result.track_week, ["market", "week_start", "rank"])
refused = pd.read_parquet(result.quarantine)
refused = refused.sort_values([c for c in ("market", "date", "track_id") if c in refused])
io.write_parquet(market_week, paths.processed / "events_market_week.parquet")
io.write_parquet(track_week, paths.processed / "events_track_week.parquet")
io.write_parquet(refused.reset_index(drop=True), paths.interim / "events_quarantine.parquet")
shutil.rmtree(staging)
market_week.head(10)

# %% [markdown]
# When the source is the simulated one, its exact totals are known: the panel must match them.

# %%
truth_file = paths.root / "data" / "events" / "simulated_truth.parquet"
checked = None
if source == "data/events/simulated" and truth_file.exists():
    checked = generate.matches_totals(pd.read_parquet(truth_file), market_week)
    assert checked, "the aggregated panel does not reproduce the simulated totals"
io.write_json(
    {
        "engine": engine,
        "rows_in": int(result.rows_in),
        "rows_refused": int(result.rows_rejected),
        "markets": int(market_week["market"].nunique()),
        "weeks": int(market_week["week_start"].nunique()),
        "seconds": round(seconds, 2),
        "rows_per_second": round(result.rows_in / seconds),
        "matches_simulated_totals": checked,
    },
    paths.metrics / "events.json",
)
