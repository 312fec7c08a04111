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
# # 10 · Ingest the weekly charts
#
# Reads every weekly Spotify Top 200 file of the chosen markets (and of the Global chart, which
# defines "international" repertoire), in both export formats (legacy spotifycharts.com and
# current charts.spotify.com), checks each file against its contract, and writes one typed table.
# Rows with bad values are **quarantined with their reason**, never dropped silently; missing
# weeks are **listed, never filled**. World Bank covariates (population, GDP per person, internet
# use) are joined by ISO code.
#
# A chart week runs Friday to Thursday: `week_start` is the Friday, `week_end` the Thursday.

# %% tags=["parameters"]
markets = "all"
reference_chart = "global"
start = "2016-12-23"
end = "2020-07-24"
max_rank = 200
max_quarantine_share = 0.01
warehouse = "none"
warehouse_table = "chart_weekly"
warehouse_url_env = "MUSICMARKETS_WAREHOUSE_URL"

# %%
from musicmarkets import config, contracts, io
from musicmarkets.sources import charts, covariates
from musicmarkets.sources import warehouse as facts_db

paths = config.paths()

# %% [markdown]
# ## Read and validate
# A file that cannot be read as a chart stops the stage with an error naming the file, row and
# field. Rows with bad values, rows of unknown market codes and weeks delivered twice go to the
# quarantine with their reason.

# %%
wanted = None if markets == "all" else [*markets, reference_chart]
table, quarantine, read_stats = charts.read_charts(
    paths.charts_legacy, paths.charts_current, markets=wanted, start=start, end=end
)
if warehouse != "none":  # stream facts from SQL (connection string from the environment)
    engine = facts_db.engine_for(warehouse, warehouse_url_env, paths.raw / "warehouse.duckdb")
    table, quarantine, read_stats = facts_db.add_to_charts(
        table, quarantine, read_stats, engine, warehouse_table, wanted, start, end
    )

# %%
known = set(covariates.read_country_codes(paths.covariates_raw)["market"]) | {reference_chart}
table, quarantine = contracts.quarantine_rows(
    table, quarantine, ~table["market"].isin(known), "unknown market code"
)
contracts.check_charts(table, max_rank=max_rank)
contracts.check_quarantine_share(read_stats["rows_read"], len(quarantine), max_quarantine_share)
read_stats | {"rows_quarantined": len(quarantine)}

# %%
quarantine.groupby("reason").size()

# %% [markdown]
# ## Coverage and gaps
# Weeks each market has, and the weeks missing inside its own span.

# %%
coverage = contracts.coverage(table)
gaps = contracts.find_gaps(table)
coverage

# %% tags=["nbval-check-output"]
gaps[["market", "week_start"]].to_string(index=False)

# %% [markdown]
# ## Covariates

# %%
countries = sorted(set(table["market"]) - {reference_chart})
cov = covariates.read_covariates(paths.covariates_raw, countries)
cov[cov["year"] == cov["year"].max() - 1]

# %%
io.write_parquet(table, paths.interim / "charts.parquet")
io.write_parquet(quarantine, paths.interim / "quarantine.parquet")
io.write_parquet(cov, paths.interim / "covariates.parquet")
io.write_parquet(coverage, paths.interim / "coverage.parquet")
io.write_parquet(gaps, paths.interim / "gaps.parquet")
io.write_json(
    {
        **read_stats,
        "rows_quarantined": len(quarantine),
        **contracts.rows_per_market_week(table),
        "markets": int(table["market"].nunique()),
        "weeks": int(table["week_start"].nunique()),
        "missing_weeks": len(gaps),
        "first_week": table["week_start"].min().date().isoformat(),
        "last_week": table["week_start"].max().date().isoformat(),
    },
    paths.metrics / "ingest.json",
)

# %% [markdown]
# ## Versions

# %%
# %load_ext watermark
# %watermark -v -p musicmarkets,pandas,pyarrow
