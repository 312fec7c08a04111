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
# # 30 · Fit the hierarchical consumption model
#
# Weekly Top 200 streams per person, on the log scale, per market: a market level, a yearly trend
# and yearly seasonality, each partially pooled across markets; AR(1) residuals; a Student-t
# likelihood. See `musicmarkets.models.consumption` for the equations. Priors and sampler settings
# come from params.yaml (`fit.priors`, `fit.sampler`).

# %% tags=["parameters"]
seed = 20170106
markets = "all"
reference_chart = "global"
parameterization = {"level": "centred", "trend": "non_centred", "season": "non_centred"}
fourier_order = 3
ar1 = True
priors = {
    "level_mu_mean": 0.0,
    "level_mu_sd": 2.0,
    "level_sigma": 1.0,
    "trend_mu_sd": 0.5,
    "trend_sigma": 0.3,
    "season_sd": 0.2,
    "season_sigma": 0.1,
    "noise_sigma": 0.2,
    "nu_alpha": 2.0,
    "nu_beta": 0.1,
}
sampler = {"draws": 3000, "tune": 1500, "chains": 4, "target_accept": 0.9, "nuts_sampler": "nutpie"}
gates = {"r_hat_max": 1.01, "ess_min": 400, "divergences_max": 0, "bfmi_min": 0.3}

# %%
import arviz as az
import pandas as pd

from musicmarkets import config, diagnostics, io, sampling
from musicmarkets.models import consumption

paths = config.paths()
market_week = pd.read_parquet(paths.processed / "market_week.parquet")
modelled = consumption.markets_to_model(market_week, markets, reference_chart)
data = consumption.prepare(market_week, modelled, fourier_order)
model = consumption.build_model(data, consumption.Priors.from_dict(priors), parameterization, ar1)
model

# %%
idata, timing = sampling.fit(model, sampling.SamplerConfig.from_dict(sampler), seed)
idata = consumption.annotate(idata, data)

# %% [markdown]
# ## Diagnostics
# The gates (R-hat, effective sample size, divergences, E-BFMI) decide whether the report may
# publish the numbers or must mark them DRAFT.

# %%
metrics = diagnostics.convergence(idata)
failed = diagnostics.check_gates(metrics, diagnostics.Gates.from_dict(gates))
metrics |= {
    **timing,
    "markets": len(data.markets),
    "observations": data.n_obs,
    "gates_passed": not failed,
    "gates_failed": failed,
    "nuts_sampler": sampling.SamplerConfig.from_dict(sampler).nuts_sampler,
    "parameterization": parameterization,
}
print("GATES FAILED: " + "; ".join(failed) if failed else "all gates passed")
az.summary(idata, var_names=["~season_market", "~z_"], filter_vars="like")

# %%
io.write_netcdf(idata, paths.models / "consumption.nc")
io.write_json(metrics, paths.metrics / "fit.json")

# %%
# %load_ext watermark
# %watermark -v -p musicmarkets,pymc,arviz,nutpie,pytensor
