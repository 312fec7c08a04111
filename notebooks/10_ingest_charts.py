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
# defines "international" repertoire), checks each file against its contract, and writes one typed
# table. Missing weeks are **listed, never filled**. World Bank covariates (population, GDP per
# person, internet use) are joined by ISO code.
#
# A chart week runs Friday to Thursday: `week_start` is the Friday, `week_end` the Thursday.

# %% tags=["parameters"]
markets = ["br", "de", "es", "fr", "gb", "in", "it", "us"]
reference_chart = "global"
start = "2016-12-23"
end = "2020-07-24"
max_rank = 200

# %%
from musicmarkets import config, contracts, io
from musicmarkets.sources import charts_legacy, covariates

paths = config.paths()

# %% [markdown]
# ## Read and validate
# A file that cannot be parsed stops the stage with an error naming the file, row and field.

# %%
charts, read_stats = charts_legacy.read_charts(
    paths.charts_legacy, markets=[*markets, reference_chart], start=start, end=end
)
contracts.check_charts(charts, max_rank=max_rank)
read_stats

# %% [markdown]
# ## Coverage and gaps
# Weeks each market has, and the weeks missing inside its own span.

# %%
coverage = contracts.coverage(charts)
gaps = contracts.find_gaps(charts)
coverage

# %% tags=["nbval-check-output"]
gaps[["market", "week_start"]].to_string(index=False)

# %% [markdown]
# ## Covariates

# %%
cov = covariates.read_covariates(paths.covariates_raw, markets)
cov[cov["year"] == cov["year"].max() - 1]

# %%
io.write_parquet(charts, paths.interim / "charts.parquet")
io.write_parquet(cov, paths.interim / "covariates.parquet")
io.write_parquet(coverage, paths.interim / "coverage.parquet")
io.write_parquet(gaps, paths.interim / "gaps.parquet")
io.write_json(
    {
        **read_stats,
        "markets": int(charts["market"].nunique()),
        "weeks": int(charts["week_start"].nunique()),
        "missing_weeks": len(gaps),
        "first_week": charts["week_start"].min().date().isoformat(),
        "last_week": charts["week_start"].max().date().isoformat(),
    },
    paths.metrics / "ingest.json",
)

# %% [markdown]
# ## Versions

# %%
# %load_ext watermark
# %watermark -v -p musicmarkets,pandas,pyarrow
