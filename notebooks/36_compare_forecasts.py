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
# # 36 · Compare the consumption model with its variants as forecasters (leave-future-out)
#
# Leave-one-out (stage `compare`) predicts a week from the weeks on both sides of it; these
# models are used to forecast, so each is also refitted on the weeks up to an origin and scored
# on the weeks after it that it has not seen: for every market, the log of the joint predictive
# density of its next `block_weeks` weeks (exact M-step-ahead leave-future-out, Bürkner, Gabry &
# Vehtari 2020), summed over markets and origins. Higher is better; differences are read by the
# same rule as for LOO. A refit that fails its convergence gates is named beside its scores.

# %% tags=["parameters"]
seed = 20170106
markets = "all"
reference_chart = "global"
names = ["pooled", "unpooled", "no_covariates", "normal"]
origins_weeks_before_end = [39, 13]
block_weeks = 13
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
    "target_accept": 0.95,
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

# %%
import pandas as pd

from musicmarkets import backtest as bt
from musicmarkets import config, io, lfo, validation
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
cut = lfo.origins(panel["week_start"].max(), origins_weeks_before_end)
cut

# %%
models = ["hierarchical", *names]
scores, fits = {m: [] for m in models}, []
for i, origin in enumerate(cut):
    for variant in models:
        print(f"origin {origin.date()}: {variant}", flush=True)
        scored, fit = lfo.refit_and_score(
            panel, modelled, origin, block_weeks, variant, setup, seed + i
        )
        scores[variant].append(scored)
        fits.append(fit)
pointwise = {m: pd.concat(s, ignore_index=True) for m, s in scores.items()}
refits = pd.DataFrame(fits)
refits[["variant", "origin", "r_hat_max", "ess_bulk_min", "divergences", "wall_seconds"]]

# %% [markdown]
# ## Scores
# `elpd_lfo`: the summed log predictive density of every market's block after every origin;
# `elpd_diff` and `diff_se`: behind the best model, with the standard error of the paired
# block differences.

# %%
table = lfo.compare(pointwise)
failed = refits[~refits["gates_passed"]]
table["refits_failed"] = table["model"].map(failed.groupby("variant").size()).fillna(0)
table["refits_failed"] = table["refits_failed"].astype(int)
verdict = validation.loo_verdict(table)
if len(failed):
    verdict += f" ({len(failed)} of {len(refits)} refits failed their gates: read with care)"
print(verdict)
table

# %%
blocks = pd.concat([p.assign(model=m) for m, p in pointwise.items()], ignore_index=True)
io.write_json(
    {
        "best": str(table.iloc[0]["model"]),
        "production": "hierarchical",
        "production_is_best": bool(table.iloc[0]["model"] == "hierarchical"),
        "verdict": verdict,
        "origins": [str(o.date()) for o in cut],
        "block_weeks": int(block_weeks),
        "models": table.to_dict(orient="records"),
        "refits": refits[
            ["variant", "origin", "r_hat_max", "ess_bulk_min", "divergences", "gates_passed"]
        ].to_dict(orient="records"),
        "blocks": blocks.assign(
            origin=blocks["origin"].dt.strftime("%Y-%m-%d"),
            first_week=blocks["first_week"].dt.strftime("%Y-%m-%d"),
        ).to_dict(orient="records"),
    },
    paths.metrics / "lfo.json",
)
