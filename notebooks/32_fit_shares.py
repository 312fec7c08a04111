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
# Three hierarchical models of shares (see `musicmarkets.models.shares`): the share of streams
# on tracks absent from the Global chart (local repertoire), the share of the top 10 tracks (hit
# concentration), and the genre mix (the top genres, the charts' labels grouped into families of
# music by `genre_families`, and Other; its weekly noise is heavy-tailed, since a release week
# moves the whole mix). Each has a trend
# that may bend every half year up to the last weeks (shrunk towards a straight line), a
# December (holiday music) shift and AR(1) residuals. *Now* is the posterior predictive mean of
# a market's last `recent_weeks` observed weeks; a *shift* runs from the same mean over its first
# weeks outside December (not a holiday baseline) to now, in share points. Each model must pass
# the same convergence gates as the consumption model; the `check_recent_fit` stage checks every
# "now" against the observed weeks.

# %% tags=["parameters"]
seed = 20170106
markets = "all"
reference_chart = "global"
genres_top = 5
genre_families = {
    "Latin": [
        "Urbano latino",
        "Latino",
        "Pop Latino",
        "Latin",
        "Latin Rap",
        "Música tropical",
        "Música Mexicana",
        "Pop in Spanish",
    ],
    "Hip-Hop/Rap": [
        "Hip-Hop/Rap",
        "Hip-Hop",
        "Rap",
        "Alternative Rap",
        "Gangsta Rap",
        "Old School Rap",
        "Dirty South",
        "Turkish Hip-Hop/Rap",
    ],
    "Dance/Electronic": [
        "Dance",
        "Electronic",
        "House",
        "Electronica",
        "Trance",
        "Dubstep",
        "Bass",
        "Hardcore",
    ],
    "Holiday": ["Holiday", "Christmas", "Christmas: R&B", "Christmas: Pop"],
    "Brazilian": [
        "Sertanejo",
        "Brazilian",
        "Baile Funk",
        "Pagode",
        "Forró",
        "Forro",
        "Axé",
        "Samba",
        "MPB",
    ],
}
floor = 0.002
changepoint_weeks = 26
priors = {
    "a_mu_sd": 2.0,
    "a_sigma": 1.5,
    "b_mu_sd": 0.5,
    "b_sigma": 0.5,
    "changepoint_sd": 0.3,
    "holiday_mu_sd": 0.3,
    "holiday_sigma": 0.2,
    "noise_sigma": 0.5,
    "phi_max": 0.99,
    "nu_alpha": 2.0,
    "nu_beta": 0.1,
}
sampler = {
    "draws": 1000,
    "tune": 1000,
    "chains": 4,
    "target_accept": 0.98,
    "nuts_sampler": "nutpie",
}
gates = {
    "r_hat_max": 1.01,
    "ess_min": 400,
    "divergences_max": 0,
    "bfmi_min": 0.3,
    "coverage_90_min": 0.8,
    "coverage_90_max": 0.97,
}
interval = 0.9
recent_weeks = 8

# %%
import pandas as pd
import xarray as xr

from musicmarkets import config, diagnostics, io, sampling
from musicmarkets.models import consumption, share_summary, shares

paths = config.paths()
market_week = pd.read_parquet(paths.processed / "market_week.parquet")
genre_shares = pd.read_parquet(paths.processed / "genre_shares.parquet")
modelled = consumption.markets_to_model(market_week, markets, reference_chart)
settings = sampling.SamplerConfig.from_dict(sampler)
limits = diagnostics.Gates.from_dict(gates)
share_priors = shares.SharePriors.from_dict(priors)
checked = ["a", "b", "h", "delta", "sigma", "phi"]

# %%
fits, tables, metrics = {}, [], {}
for measure, column in (("local_share", "local_share"), ("top10_share", "top10_share")):
    data = shares.prepare_share(market_week, column, modelled, floor, changepoint_weeks)
    model = shares.build_share_model(data, share_priors)
    tree, metrics[measure], failed = sampling.fit_checked(model, settings, seed, limits, checked)
    shift = share_summary.share_shift(tree["posterior"], data, interval, recent_weeks, seed)
    tables.append(shift.assign(measure=measure))
    fits[measure] = tree
    print(measure, "GATES FAILED: " + "; ".join(failed) if failed else "all gates passed")

# %%
genre_markets = sorted(set(genre_shares["market"]) & set(modelled))
gdata = shares.prepare_genres(
    genre_shares, genre_markets, genres_top, floor, changepoint_weeks, families=genre_families
)
gmodel = shares.build_genre_model(gdata, share_priors)
gchecked = [*checked, "sigma_other", "nu"]
tree, metrics["genre_mix"], failed = sampling.fit_checked(gmodel, settings, seed, limits, gchecked)
used = {f: labels for f, labels in genre_families.items() if f in gdata.categories}
metrics["genre_mix"] |= {"genres": gdata.categories, "markets": gdata.markets, "families": used}
gshift = share_summary.genre_shift(tree["posterior"], gdata, interval, recent_weeks, seed)
tables.append(gshift.assign(measure="genre_mix"))
fits["genre_mix"] = tree
print("genre_mix", "GATES FAILED: " + "; ".join(failed) if failed else "all gates passed")

# %%
shifts = pd.concat(tables, ignore_index=True)
now = share_summary.now_rows(shifts)
shifts.round(3)

# %%
posteriors = xr.DataTree.from_dict(
    {f"{k}/posterior": v["posterior"].to_dataset() for k, v in fits.items()}
)
io.write_netcdf(posteriors, paths.models / "shares.nc")
io.write_parquet(shifts, paths.processed / "share_shifts.parquet")
io.write_parquet(now, paths.processed / "now_shares.parquet")
metrics["gates_passed"] = all(m["gates_passed"] for m in metrics.values())
io.write_json(metrics, paths.metrics / "shares.json")

# %%
# %load_ext watermark
# %watermark -v -p musicmarkets,pymc,arviz,nutpie
