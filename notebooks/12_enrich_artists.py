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
# # 12 · Enrich artists and tracks from external APIs
#
# MusicBrainz (artist country: local vs international repertoire), Last.fm (artist tags: a genre
# where iTunes has none), the World Bank API (fresh covariates) and the Spotify Web API (track
# metadata). Every answer lands in a response cache (`data/external/api_cache`, a DVC output), so
# re-runs read the cache and need no network. With `online: false` (the default) only the cache
# is used; a service without credentials or cached answers is skipped and the report says so.
# Credentials come from the environment only: `LASTFM_API_KEY`, `SPOTIFY_CLIENT_ID`,
# `SPOTIFY_CLIENT_SECRET`.

# %% tags=["parameters"]
online = False
top_artists = 200

# %%
import pandas as pd

from musicmarkets import config, io
from musicmarkets.apis import enrich

paths = config.paths()
charts = pd.read_parquet(paths.interim / "charts.parquet")
cov = pd.read_parquet(paths.interim / "covariates.parquet")
artists, track_ids = enrich.top_items(charts, top_artists)
tables, status = enrich.enrich(
    artists, track_ids, sorted(cov["iso3"].unique()), paths.api_cache, online
)
pd.DataFrame(status).T

# %%
enrich.ensure_cache_dir(paths.api_cache)
io.write_parquet(tables["artists"], paths.interim / "artists.parquet")
io.write_parquet(
    tables.get("worldbank", enrich.EMPTY["worldbank"]), paths.interim / "worldbank_api.parquet"
)
io.write_parquet(tables.get("tracks", enrich.EMPTY["tracks"]), paths.interim / "api_tracks.parquet")
io.write_json(status, paths.metrics / "enrich.json")

# %%
# %load_ext watermark
# %watermark -v -p musicmarkets,requests
