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
# # 31 · What the priors expect: a prior predictive check of the consumption model
#
# Before any data, the production model's priors (params.yaml `fit.priors`) still say what
# weekly Top 200 streams per person look like. Here parameters are drawn from those priors and
# the observed market-weeks are simulated from the model's own story (trend, seasonality,
# year-end weeks, lockdown, launch, AR(1) residuals, Student-t noise; nothing observed enters).
# The simulated weeks should span every market's data without piling onto absurd values; a
# market whose typical observed week sits below the 1st or above the 99th percentile of the
# simulated ones would be a prior that all but rules out its data (a prior-data conflict). The
# technical report draws the bands over the observed weeks.

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
interval = 0.9
prior_draws = 500

# %%
import pandas as pd

from musicmarkets import config, io
from musicmarkets.models import consumption, prior_check

paths = config.paths()
structure = consumption.Structure.from_dict(model)
market_week = pd.read_parquet(paths.processed / "market_week.parquet")
covariates = pd.read_parquet(paths.interim / "covariates.parquet")
modelled = consumption.markets_to_model(market_week, markets, reference_chart)
data, pm_model = consumption.set_up(
    market_week,
    modelled,
    structure,
    consumption.regions_from(covariates, structure),
    consumption.Priors.from_dict(priors),
    parameterization,
)
sims = prior_check.simulate(data, pm_model, prior_draws, seed, structure.likelihood)
weekly, by_market = prior_check.summarise(sims, data, interval)
by_market.round(4)

# %%
check = prior_check.metrics(by_market, prior_draws, interval)
io.write_parquet(weekly, paths.processed / "prior_predictive.parquet")
io.write_json(check, paths.metrics / "prior_check.json")
print(
    "prior-data conflict in: " + ", ".join(check["conflicts"])
    if check["conflicts"]
    else "no prior-data conflict"
)
