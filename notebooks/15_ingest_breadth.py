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
# # 15 · Ingest the breadth sources
#
# Two sources that reach beyond the 8-market weekly panel: the weekly #1 track of 62 regions
# through 2020 (market scale and hit intensity during the lockdowns) and the daily Top 50
# playlists of 9 countries and the Global playlist in 2023-2024 (repertoire turnover; adds Japan, South Korea, Mexico,
# Argentina). Neither measures total streaming; the report says what each can and cannot show.

# %% tags=["parameters"]
population_year = 2020

# %%
import pandas as pd

from musicmarkets import config, io
from musicmarkets.sources import breadth, covariates

paths = config.paths()
no1, no1_quarantine = breadth.read_no1(paths.no1_raw / "weekly_no1_by_region_2020.csv")
top50, top50_quarantine = breadth.read_top50(paths.top50_raw / "data")

# %%
regions = sorted(set(no1["market"]) - {"global"})
pop = covariates.read_covariates(paths.covariates_raw, regions)
pop = pop.loc[pop["year"] == population_year, ["market", "country", "population"]]
no1_scale = breadth.no1_summary(no1[no1["market"] != "global"], pop)
no1_scale.head(10)

# %% tags=["nbval-check-output"]
codes = covariates.read_country_codes(paths.covariates_raw)[["market", "country"]]
top50_summary = breadth.top50_summary(top50).merge(codes, on="market", how="left")
top50_summary[["market", "days", "distinct_tracks"]].to_string(index=False)

# %%
io.write_parquet(no1, paths.interim / "no1_weekly.parquet")
io.write_parquet(no1_scale, paths.interim / "no1_scale.parquet")
io.write_parquet(top50, paths.interim / "top50_daily.parquet")
io.write_parquet(top50_summary, paths.interim / "top50_summary.parquet")
io.write_parquet(
    pd.concat([no1_quarantine, top50_quarantine], ignore_index=True),
    paths.interim / "breadth_quarantine.parquet",
)
io.write_json(
    {
        "no1_rows": len(no1),
        "no1_regions": int(no1["market"].nunique()),
        "top50_rows": len(top50),
        "top50_markets": int(top50["market"].nunique()),
        "rows_quarantined": len(no1_quarantine) + len(top50_quarantine),
    },
    paths.metrics / "breadth.json",
)

# %%
# %load_ext watermark
# %watermark -v -p musicmarkets,pandas
