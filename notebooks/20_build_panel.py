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
# # 20 · Build the market × week panel
#
# One row per market and chart week: total Top 200 streams, streams per person, the share of
# streams in the Top 10 (hit concentration), the share of streams on tracks absent from that
# week's Global chart (a proxy for local repertoire), the share by artists from the market itself
# (MusicBrainz, where the enrichment covers it), and genre shares where genre labels exist.

# %% tags=["parameters"]
reference_chart = "global"
top_n = 10
min_genre_known_share = 0.5

# %%
import pandas as pd

from musicmarkets import config, io, panel

paths = config.paths()
charts = pd.read_parquet(paths.interim / "charts.parquet")
cov = pd.read_parquet(paths.interim / "covariates.parquet")
# values fetched from the World Bank API (enrich stage) take precedence over the embedded files
cov = panel.refresh_covariates(cov, pd.read_parquet(paths.interim / "worldbank_api.parquet"))
artists = pd.read_parquet(paths.interim / "artists.parquet")

# %%
market_week = panel.market_week(charts, cov, reference=reference_chart, top_n=top_n)
genres = panel.genre_shares(charts, min_known_share=min_genre_known_share)
# local repertoire by artist country (MusicBrainz), where the enrichment covers the streams
by_country = panel.local_share_by_artist_country(charts, artists)
market_week = market_week.merge(by_country, on=["market", "week_start"], how="left")
market_week.groupby("market")[
    ["streams", "streams_per_capita", "top10_share", "local_share"]
].mean()

# %% tags=["nbval-check-output"]
market_week.groupby("market").size().to_string()

# %%
io.write_parquet(market_week, paths.processed / "market_week.parquet")
io.write_parquet(genres, paths.processed / "genre_shares.parquet")
io.write_json(
    {
        "rows": len(market_week),
        "markets": int(market_week["market"].nunique()),
        "genre_rows": len(genres),
        "local_share_missing": int(market_week["local_share"].isna().sum()),
        "local_share_mb_weeks": int(market_week["local_share_mb"].notna().sum()),
    },
    paths.metrics / "panel.json",
)

# %%
# %load_ext watermark
# %watermark -v -p musicmarkets,pandas
