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
# # 45 · Rolling-origin backtest against the simplest forecasters
#
# At `origins` forecast origins, `spacing` weeks apart (the last one `horizon` weeks before the
# latest week, so every forecast's whole year is observed), the production model is refitted on
# the weeks up to the origin only and forecasts the next `horizon` weeks. So do six baselines
# (`musicmarkets.baselines`): the random walk (last value), drift, the seasonal naive forecast
# (same week last year, no growth carried forward), exponential smoothing (ETS) and ARIMA
# (statsmodels, chosen per market by AICc) and gradient boosting with the last value and the
# value a year earlier among its features. Every method is scored by one rule on the same
# quantiles (`musicmarkets.backtest`): CRPS on the log streams-per-person scale (lower is
# better) and how often the 50% and 90% intervals held the truth, at 1, 4, 13, 26 and 52 weeks
# ahead; the model's difference to the best baseline is paired by origin.
#
# Choices tuned on these origins make the model's scores optimistic: the year-end weeks, the
# AR(1) term, the priors and `target_accept` were chosen while looking at earlier backtests, the
# refits' non-centred geometry (a sampling choice, not a change of model) on these origins, and
# the damped trend's time constant (`damping_years`, the forecast stage's) among 0.25, 0.5 and
# 1 year on these origins (52-week CRPS 0.117 undamped, 0.075 at 0.5 years), and the last
# changepoint a year before the latest week rather than half a year (`changepoint_last_weeks`,
# checked here: 13-week CRPS 0.077 -> 0.067, weeks 1-13 coverage 84.1% -> 85.3%).

# %% tags=["parameters"]
seed = 20170106
markets = "all"
reference_chart = "global"
origins = 8
spacing = 8
horizon = 52
horizons = [1, 4, 13, 26, 52]
damping_years = 0.5
interval = 0.9
gate_weeks = 13
coverage_90_min = 0.85
coverage_90_max = 0.95
sampler = {
    "draws": 3000,
    "tune": 1000,
    "chains": 4,
    "target_accept": 0.98,
    "nuts_sampler": "nutpie",
}
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
parameterization = {"level": "centred", "trend": "non_centred", "season": "non_centred"}
gates = {
    "r_hat_max": 1.01,
    "ess_min": 400,
    "divergences_max": 0,
    "bfmi_min": 0.3,
    "coverage_90_min": 0.8,
    "coverage_90_max": 0.97,
}
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

# %%
import pandas as pd
from IPython.display import display

from musicmarkets import backtest as bt
from musicmarkets import baselines, config, io
from musicmarkets.models import consumption

paths = config.paths()
market_week = pd.read_parquet(paths.processed / "market_week.parquet")
covariates = pd.read_parquet(paths.interim / "covariates.parquet")
modelled = consumption.markets_to_model(market_week, markets, reference_chart)
panel = bt.log_panel(market_week, modelled)
setup = bt.RefitSetup.from_params(
    model=model,
    priors=priors,
    parameterization=parameterization,
    sampler=sampler,
    gates=gates,
    covariates=covariates,
)
cut = bt.origins(panel["week_start"].max(), origins, spacing, horizon)
cut

# %% [markdown]
# A market enters an origin's refit only with at least 26 weeks of data by then (India, whose
# charts start in February 2019, enters the later origins).

# %%
rows, fits = [], []
for i, origin in enumerate(cut):
    print(f"refit {i + 1} of {len(cut)} at {origin.date()}", flush=True)
    scored_rows, fit = bt.refit_origin(
        panel, modelled, origin, horizon, setup, seed + i, seed, damping_years=damping_years
    )
    rows += scored_rows
    fits.append(fit)
scored = pd.concat(rows, ignore_index=True)
pd.DataFrame(fits)[["origin", "r_hat_max", "ess_bulk_min", "divergences", "wall_seconds"]]

# %% [markdown]
# ## Scores by weeks ahead
# Mean CRPS (lower is better) and interval coverage per method at each horizon, and the model's
# paired difference to the best baseline at that horizon (below zero: the model is better),
# with a 90% interval over origins.

# %%
# the scores are published, so each refit must pass the production fit's gates too, and the
# model's 90% intervals must hold about 90% of the held-out weeks 1-gate_weeks ahead
summary = bt.summarise(
    scored,
    fits,
    cut,
    horizon,
    horizons,
    gate_weeks,
    (coverage_90_min, coverage_90_max),
    interval,
    methods=["model", *baselines.BASELINES, "gbm"],
)
display(summary.by_horizon.round(3))
summary.paired.round(3)

# %%
print(summary.metrics["verdict"])
print("gates failed:", summary.metrics["gates_failed"] or "none")
io.write_parquet(scored, paths.processed / "backtest.parquet")
io.write_json(summary.metrics, paths.metrics / "backtest.json")

# %%
# %load_ext watermark
# %watermark -v -p musicmarkets,pymc,nutpie,statsmodels,sklearn
