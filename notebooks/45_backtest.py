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
# # 45 · Rolling-origin backtest against simple baselines
#
# Origins are `spacing` weeks apart, the last one `horizon` weeks before the latest week, so
# the held-out weeks span calm and shocked periods alike. At each origin the production model is refitted on the weeks up to that origin only, and
# forecasts the next `horizon` weeks; so do two baselines: the seasonal naive forecast (each
# market's value 52 weeks earlier, with intervals from its past errors) and scikit-learn's
# gradient boosting on the same features (market, time, yearly Fourier terms, year-end weeks,
# last year's value), one model per quantile. Scores on the log streams-per-person scale: CRPS
# (lower is better), MAPE on streams, and how often the 50% and 90% intervals held the truth.

# %% tags=["parameters"]
seed = 20170106
markets = "all"
reference_chart = "global"
origins = 4
spacing = 26
horizon = 13
sampler = {
    "draws": 3000,
    "tune": 1000,
    "chains": 4,
    "target_accept": 0.95,
    "nuts_sampler": "nutpie",
}
model = {
    "fourier_order": 3,
    "ar1": True,
    "changepoint_weeks": 52,
    "changepoint_range": 0.8,
    "holidays": True,
    "shock_start": "2020-03-13",
    "shock_end": "2020-05-29",
    "covariates": ["log_gdp_per_capita", "internet_share", "log_population"],
    "region_level": "sub_region",
    "likelihood": "student_t",
}
parameterization = {"level": "centred", "trend": "centred", "season": "centred"}
gates = {"r_hat_max": 1.01, "ess_min": 400, "divergences_max": 0, "bfmi_min": 0.3}
priors = {
    "level_mu_mean": 0.0,
    "level_mu_sd": 2.0,
    "level_sigma": 1.0,
    "region_sigma": 0.5,
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
    "noise_sigma": 0.2,
    "nu_alpha": 2.0,
    "nu_beta": 0.1,
}

# %%
import numpy as np
import pandas as pd

from musicmarkets import baselines, config, diagnostics, io, sampling, validation
from musicmarkets.models import consumption, forecast

paths = config.paths()
structure = consumption.Structure.from_dict(model)
market_week = pd.read_parquet(paths.processed / "market_week.parquet")
covariates = pd.read_parquet(paths.interim / "covariates.parquet")
regions = covariates.drop_duplicates("market").set_index("market")[structure.region_level].to_dict()
modelled = consumption.markets_to_model(market_week, markets, reference_chart)
panel = market_week[market_week["market"].isin(modelled) & market_week["streams_per_capita"].gt(0)]
panel = panel.assign(y=np.log(panel["streams_per_capita"]))
last = panel["week_start"].max()
cut = [last - pd.Timedelta(weeks=horizon + spacing * k) for k in range(origins - 1, -1, -1)]
cut

# %%
levels = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
rows, fits = [], []
for i, origin in enumerate(cut):
    train = panel[panel["week_start"] <= origin]
    test = panel[
        (panel["week_start"] > origin)
        & (panel["week_start"] <= origin + pd.Timedelta(weeks=horizon))
    ]
    test = test[test["market"].isin(set(train["market"]))].reset_index(drop=True)
    present = [m for m in modelled if m in set(train["market"])]  # India starts in 2019
    data = consumption.prepare(train, present, structure, regions)
    pm_model = consumption.build_model(
        data,
        consumption.Priors.from_dict(priors),
        parameterization,
        structure.ar1,
        likelihood=structure.likelihood,
    )
    tree, timing = sampling.fit(pm_model, sampling.SamplerConfig.from_dict(sampler), seed + i)
    tree = consumption.annotate(tree, data)
    conv = diagnostics.convergence(tree)
    failed = diagnostics.check_gates(conv, diagnostics.Gates.from_dict(gates))
    fits.append({"origin": str(origin.date()), **conv, **timing, "gates_failed": failed})
    sim = forecast.simulate(
        tree, horizon, structure.changepoint_weeks, priors["changepoint_sigma"], seed + i
    )
    pop = dict(zip(data.markets, data.population, strict=True))
    week_pos = {w: j for j, w in enumerate(sim.weeks)}
    samples = np.stack(
        [
            np.log(sim.streams[:, sim.markets.index(m), week_pos[w]] / pop[m])
            for m, w in zip(test["market"], test["week_start"], strict=True)
        ],
        axis=1,
    )
    naive = baselines.seasonal_naive(train, test, levels)
    gbm = baselines.gbm_quantiles(train, test, data.markets, seed)
    frame = test[["market", "week_start", "y"]].assign(
        origin=origin,
        model_median=np.median(samples, axis=0),
        model_crps=validation.crps_samples(samples, test["y"].to_numpy()),
        model_in50=validation.interval_hits(*np.quantile(samples, [0.25, 0.75], axis=0), test["y"]),
        model_in90=validation.interval_hits(*np.quantile(samples, [0.05, 0.95], axis=0), test["y"]),
    )
    for name, q in (("naive", naive), ("gbm", gbm)):
        frame[f"{name}_median"] = q[2]
        frame[f"{name}_crps"] = validation.crps_quantiles(q, levels, test["y"].to_numpy())
        frame[f"{name}_in50"] = validation.interval_hits(q[1], q[3], test["y"])
        frame[f"{name}_in90"] = validation.interval_hits(q[0], q[4], test["y"])
    rows.append(frame)
scored = pd.concat(rows, ignore_index=True)
pd.DataFrame(fits)


# %%
def summary(frame: pd.DataFrame) -> pd.DataFrame:
    y = frame["y"].to_numpy()
    out = []
    for name in ("model", "naive", "gbm"):
        out.append(
            {
                "method": name,
                "n": len(frame),
                "crps": float(frame[f"{name}_crps"].mean()),
                "mape": float(
                    np.mean(np.abs(np.exp(frame[f"{name}_median"]) - np.exp(y)) / np.exp(y))
                ),
                "coverage_50": float(frame[f"{name}_in50"].mean()),
                "coverage_90": float(frame[f"{name}_in90"].mean()),
            }
        )
    return pd.DataFrame(out)


overall = summary(scored)
by_origin = {
    str(o.date()): summary(f).to_dict(orient="records") for o, f in scored.groupby("origin")
}
overall

# %%
cov90 = overall.set_index("method").loc["model", "coverage_90"]
io.write_parquet(scored, paths.processed / "backtest.parquet")
io.write_json(
    {
        "origins": [str(o.date()) for o in cut],
        "horizon_weeks": horizon,
        "scores": overall.to_dict(orient="records"),
        "by_origin": by_origin,
        "model_coverage_90": float(cov90),
        "coverage_90_in_target": bool(0.85 <= cov90 <= 0.95),
        "model_best_crps": bool(overall.loc[overall["crps"].idxmin(), "method"] == "model"),
        "fits": fits,
        # the scores are published, so each refit must pass the production fit's gates too
        "gates_failed": [f"refit at {f['origin']}: {g}" for f in fits for g in f["gates_failed"]],
    },
    paths.metrics / "backtest.json",
)
