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
# # 30 · Fit the hierarchical consumption model (and its variants)
#
# Weekly Top 200 streams per person, on the log scale, per market: today's level explained by
# the market's covariates, a piecewise-linear trend (slope pooled within UN M49 sub-regions,
# changepoints a year apart), yearly seasonality, year-end effects (the three weeks before the
# Christmas week, the Christmas week, the New Year week) and a 2020 lockdown
# shift, all partially pooled across markets; AR(1) residuals; a Student-t likelihood. See
# `musicmarkets.models.consumption` for the equations. The `fit` stage runs the production
# model (`variant = "hierarchical"`); the `variants@...` stages run the alternatives that the
# `compare` stage ranks by ELPD-LOO; the `sensitivity` stage refits the production model on the
# weeks up to `fit_until` only (before the 2020 lockdown), for the technical report.

# %% tags=["parameters"]
seed = 20170106
markets = "all"
reference_chart = "global"
model = {
    "fourier_order": 3,
    "ar1": True,
    "changepoint_weeks": 52,
    "changepoint_last_weeks": 52,
    "holidays": True,
    "shock_start": "2020-03-13",
    "launches": {"in": "2019-02-26"},
    "covariates": ["log_gdp_per_capita", "internet_share", "log_population"],
    "region_level": "sub_region",
    "likelihood": "student_t",
}
parameterization = {"level": "centred", "trend": "non_centred", "season": "centred"}
priors = {
    "level_mu_mean": 0.0,
    "level_mu_sd": 2.0,
    "level_sigma": 1.0,
    "beta_sd": 0.5,
    "trend_mu_sd": 0.5,
    "trend_sigma": 0.3,
    "changepoint_sd": 0.1,
    "changepoint_sigma": 0.1,
    "season_sd": 0.2,
    "season_sigma": 0.1,
    "holiday_sd": 0.2,
    "holiday_sigma": 0.1,
    "shock_sd": 0.3,
    "shock_sigma": 0.2,
    "shock_onset_sd_weeks": 1.0,
    "shock_recovery_weeks": 10.0,
    "shock_recovery_sd": 0.7,
    "launch_sd": 1.0,
    "launch_settle_weeks": 8.0,
    "launch_settle_sd": 0.7,
    "noise_sigma": 0.2,
    "nu_alpha": 2.0,
    "nu_beta": 0.1,
    "phi_mu_mean": 1.0,
    "phi_mu_sd": 0.5,
    "phi_sigma": 0.1,
}
sampler = {
    "draws": 2000,
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
recent_weeks = 8
interval = 0.9
variant = "hierarchical"
fit_until = None  # a date: fit the weeks up to it only (the sensitivity stage)

# %%
import arviz as az
import pandas as pd

from musicmarkets import config, diagnostics, sampling, validation
from musicmarkets.models import consumption, fit_record

paths = config.paths()
structure = consumption.Structure.from_dict(model)
market_week = pd.read_parquet(paths.processed / "market_week.parquet")
if fit_until is not None:
    market_week = market_week[market_week["week_start"] <= pd.Timestamp(fit_until)]
covariates = pd.read_parquet(paths.interim / "covariates.parquet")
modelled = consumption.markets_to_model(market_week, markets, reference_chart)
data, pm_model = consumption.set_up(
    market_week,
    modelled,
    structure,
    consumption.regions_from(covariates, structure),
    consumption.Priors.from_dict(priors),
    parameterization,
    variant,
)
print(
    f"variant {variant}: {len(data.markets)} markets in {len(data.regions)} regions, "
    f"{data.n_obs} market-weeks, {len(data.changepoints)} changepoints"
)
pm_model

# %%
settings = sampling.SamplerConfig.from_dict(sampler)
limits = diagnostics.Gates.from_dict(gates)
idata, metrics, failed = sampling.fit_checked(pm_model, settings, seed, limits)

# %% [markdown]
# ## Diagnostics
# The gates (R-hat, effective sample size, divergences, E-BFMI) decide whether the report may
# publish the numbers or must mark them DRAFT.

# %%
metrics = fit_record.describe(
    metrics,
    data,
    idata["posterior"],
    variant=variant,
    fit_until=fit_until,
    nuts_sampler=settings.nuts_sampler,
    parameterization=parameterization,
)
print("GATES FAILED: " + "; ".join(failed) if failed else "all gates passed")
az.summary(idata, var_names=["~season_market", "~z_", "~delta"], filter_vars="like")

# %% [markdown]
# ## Posterior predictive checks and leave-one-out cross-validation
# One-week-ahead predictive intervals should hold about 50% and 90% of the observed weeks, in
# every market (a gate: 80% to 97% per market); the LOO probability integral transform
# (LOO-PIT) should look uniform. ELPD-LOO is the score the `compare` stage ranks the variants
# by. The *now* check: each market's mean streams per person over its last weeks against the
# posterior predictive distribution of that same mean (the `check_recent_fit` stage gates it).

# %%
labels = pd.DataFrame(
    {"market": [data.markets[i] for i in data.market_idx], "week_start": data.week_start}
)
checks = validation.predictive_checks(
    idata, pm_model, seed, labels, recent_weeks=recent_weeks, interval=interval
)
idata = consumption.annotate(
    idata, data, structure, consumption.Priors.from_dict(priors), sampler | {"seed": seed}
)
metrics, coverage_failed = fit_record.gated(
    metrics, checks.metrics, failed, (limits.coverage_90_min, limits.coverage_90_max)
)
print(
    "GATES FAILED: " + "; ".join(coverage_failed) if coverage_failed else "coverage per market ok"
)
print({k: round(v, 3) if isinstance(v, float) else v for k, v in checks.metrics.items()})

# %%
fit_record.write(paths, variant, fit_until, idata, metrics, checks)

# %%
# %load_ext watermark
# %watermark -v -p musicmarkets,pymc,arviz,nutpie,pytensor
