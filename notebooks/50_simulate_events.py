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
# # 50 · Simulate daily stream reports from the fitted model
#
# Event-level reports (track x market x day) shaped like the real thing, at any scale: weekly
# Top 200 streams per market from one posterior predictive draw of the consumption model, track
# popularity following the rank-stream curve of the chart files, drifting week to week, split
# into days (and premium / free rows). The generative story is in
# `musicmarkets.events.generate`. They are the default source of the *events* stages and the
# data of the scale benchmarks; a team with real reports points `events.source` at them.

# %% tags=["parameters"]
seed = 20170106
simulate = {"rows": 1000000, "weeks": 13, "global_fraction": 0.5, "tiers": True}
damping_years = 0.5

# %%
import shutil

import pandas as pd
import xarray as xr

from musicmarkets import config, io
from musicmarkets.events import generate

paths = config.paths()
out = paths.root / "data" / "events" / "simulated"
tree = xr.open_datatree(paths.models / "consumption.nc")  # no ArviZ import: 3-4 s less
charts = pd.read_parquet(
    paths.interim / "charts.parquet", columns=["market", "week_start", "rank", "streams"]
)
curve = generate.fit_rank_curve(charts)
top200 = generate.weekly_top200(tree, simulate["weeks"], seed, damping_years)
print(f"rank-stream curve: share(r) ~ r^-{curve.exponent:.3f} (fitted on ranks 1-{curve.ranks})")

# %%
staging = out.with_name(out.name + ".tmp")
shutil.rmtree(staging, ignore_errors=True)
truth = generate.generate(
    top200,
    curve,
    staging,
    rows=simulate["rows"],
    seed=seed,
    global_fraction=simulate["global_fraction"],
    tiers=simulate["tiers"],
)
shutil.rmtree(out, ignore_errors=True)
staging.replace(out)
io.write_parquet(truth, out.with_name("simulated_truth.parquet"))
print(f"{truth['rows'].sum():,} rows in {len(truth)} market-weeks")
truth.groupby("market")[["rows", "streams"]].sum()
