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
# # 32 · Where consumption is shifting: local repertoire, hit concentration, genre mix
#
# Three hierarchical logistic-normal models (see `musicmarkets.models.shares`): the share of
# streams on tracks absent from the Global chart (local repertoire), the share of the top 10
# tracks (hit concentration), and the genre mix (the top genres and Other). Each reports the
# shift in share points from a market's first week to its latest, with intervals; each must pass
# the same convergence gates as the consumption model.

# %% tags=["parameters"]
seed = 20170106
markets = "all"
reference_chart = "global"
genres_top = 5
floor = 0.002
sampler = {
    "draws": 1000,
    "tune": 1000,
    "chains": 4,
    "target_accept": 0.95,
    "nuts_sampler": "nutpie",
}
gates = {"r_hat_max": 1.01, "ess_min": 400, "divergences_max": 0, "bfmi_min": 0.3}
interval = 0.9

# %%
import pandas as pd
import xarray as xr

from musicmarkets import config, diagnostics, io, sampling
from musicmarkets.models import consumption, shares

paths = config.paths()
market_week = pd.read_parquet(paths.processed / "market_week.parquet")
genre_shares = pd.read_parquet(paths.processed / "genre_shares.parquet")
modelled = consumption.markets_to_model(market_week, markets, reference_chart)
settings = sampling.SamplerConfig.from_dict(sampler)
limits = diagnostics.Gates.from_dict(gates)

# %%
fits, tables, metrics = {}, [], {}
for measure, column in (("local_share", "local_share"), ("top10_share", "top10_share")):
    data = shares.prepare_share(market_week, column, modelled, floor)
    tree, timing = sampling.fit(shares.build_share_model(data), settings, seed)
    conv = diagnostics.convergence(tree, var_names=["a", "b", "sigma", "phi"])
    failed = diagnostics.check_gates(conv, limits)
    metrics[measure] = conv | timing | {"gates_passed": not failed, "gates_failed": failed}
    tables.append(shares.share_shift(tree["posterior"], data, interval).assign(measure=measure))
    fits[measure] = tree
    print(measure, "GATES FAILED: " + "; ".join(failed) if failed else "all gates passed")

# %%
genre_markets = sorted(set(genre_shares["market"]) & set(modelled))
gdata = shares.prepare_genres(genre_shares, genre_markets, genres_top, floor)
tree, timing = sampling.fit(shares.build_genre_model(gdata), settings, seed)
conv = diagnostics.convergence(tree, var_names=["a", "b", "sigma", "phi"])
failed = diagnostics.check_gates(conv, limits)
metrics["genre_mix"] = (
    conv
    | timing
    | {
        "gates_passed": not failed,
        "gates_failed": failed,
        "genres": gdata.categories,
        "markets": gdata.markets,
    }
)
tables.append(shares.genre_shift(tree["posterior"], gdata, interval).assign(measure="genre_mix"))
fits["genre_mix"] = tree
print("genre_mix", "GATES FAILED: " + "; ".join(failed) if failed else "all gates passed")

# %%
shifts = pd.concat(tables, ignore_index=True)
shifts.round(3)

# %%
posteriors = xr.DataTree.from_dict(
    {f"{k}/posterior": v["posterior"].to_dataset() for k, v in fits.items()}
)
io.write_netcdf(posteriors, paths.models / "shares.nc")
io.write_parquet(shifts, paths.processed / "share_shifts.parquet")
metrics["gates_passed"] = all(m["gates_passed"] for m in metrics.values())
io.write_json(metrics, paths.metrics / "shares.json")

# %%
# %load_ext watermark
# %watermark -v -p musicmarkets,pymc,arviz,nutpie
