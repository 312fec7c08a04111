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
# # 38 · Check every published "now" against the observed weeks
#
# The reports say where each market stands *now*: streams per person, the local-repertoire
# share, the hit concentration, the genre mix. Each "now" is the posterior predictive
# distribution of the mean over a market's last `recent_weeks` observed weeks (noise
# included), written by the `fit` and `shares` stages. This stage puts them in one table,
# `data/processed/now.parquet`, and applies the `recent_fit` gate: the observed mean of those
# same weeks must lie inside its interval, for every market and measure; a miss names both
# and stamps every report DRAFT. Each bound is estimated from a finite number of posterior
# draws, so a miss must clear it by more than twice its Monte Carlo error (`now_mcse`): then
# another seed or machine gives the same verdict. Observed values that close to a bound are
# listed as `at_the_edge` in the metrics, inside or out.
#
# The growth headline (the latest 13 weeks against the same weeks a year earlier) is checked
# the same way: the charts' own ratio must lie inside the range the model allows for it with each
# week's noise drawn again. A headline that misses is withheld from every page (the reason is
# stated there, and the model's figure stays in the technical report):
# `data/processed/yoy.parquet`, `headlines_withheld` in the metrics.
#
# Every share shift starts from a baseline (a market's first weeks outside December), and that
# start is checked the same way against the observed mean of those weeks: a shift whose start
# misses is withheld from every page (`shifts_withheld` in the metrics).

# %% tags=["parameters"]
interval = 0.9
seed = 20170106

# %%
import pandas as pd
import xarray as xr

from musicmarkets import check_plots, config, insights, io, plots, validation
from musicmarkets.models import share_summary

paths = config.paths()
parts = [
    pd.read_parquet(paths.processed / "now_consumption.parquet"),
    pd.read_parquet(paths.processed / "now_shares.parquet"),
]
now = pd.concat(parts, ignore_index=True)[validation.NOW_COLUMNS]
failed = validation.recent_fit_failures(now)
edges = validation.recent_fit_edges(now)
print("recent_fit GATE FAILED:\n" + "\n".join(failed) if failed else "recent_fit: every now holds")
print("at the edge (within Monte Carlo error of a bound):\n" + "\n".join(edges) if edges else "")

# %%
starts = share_summary.start_rows(pd.read_parquet(paths.processed / "share_shifts.parquet"))
shifts_withheld = validation.recent_fit_failures(starts)
print(
    "share shifts withheld (their start misses the observed weeks):\n" + "\n".join(shifts_withheld)
    if shifts_withheld
    else "every share shift starts where the observed weeks are"
)

# %%
tree = xr.open_datatree(paths.models / "consumption.nc")
yoy = insights.yoy_growth(tree, 13, interval, seed)
withheld = insights.yoy_failures(yoy)
print(
    "growth headlines withheld:\n" + "\n".join(withheld)
    if withheld
    else "every growth headline holds"
)
yoy.round(4)

# %%
plots.set_style()
ax = check_plots.recent_fit(now, interval=interval)

# %%
io.write_parquet(now, paths.processed / "now.parquet")
io.write_parquet(yoy, paths.processed / "yoy.parquet")
io.write_json(
    {
        "interval": interval,
        "checked": len(now),
        "outside": len(failed),
        "gates_passed": not failed,
        "gates_failed": failed,
        "mcse_margin": validation.MCSE_MARGIN,
        "at_the_edge": edges,
        "outside_keys": now.loc[validation.outside(now), ["market", "measure"]].values.tolist(),
        "headlines_checked": int(yoy["holds"].notna().sum()),
        "headlines_withheld": withheld,
        "shifts_checked": len(starts),
        "shifts_withheld": shifts_withheld,
        "shifts_withheld_keys": starts.loc[
            validation.outside(starts), ["market", "measure"]
        ].values.tolist(),
    },
    paths.metrics / "recent_fit.json",
)
now.round(4)

# %%
# %load_ext watermark
# %watermark -v -p musicmarkets,pandas
