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

# %% tags=["parameters"]
interval = 0.9

# %%
import pandas as pd

from musicmarkets import config, io, plots, validation

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
plots.set_style()
ax = plots.recent_fit(now, interval=interval)

# %%
io.write_parquet(now, paths.processed / "now.parquet")
io.write_json(
    {
        "interval": interval,
        "checked": len(now),
        "outside": len(failed),
        "gates_passed": not failed,
        "gates_failed": failed,
        "mcse_margin": validation.MCSE_MARGIN,
        "at_the_edge": edges,
    },
    paths.metrics / "recent_fit.json",
)
now.round(4)

# %%
# %load_ext watermark
# %watermark -v -p musicmarkets,pandas
