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
# # 40 · Forecasts and insight quantities from the posterior
#
# Weekly streams 13, 26 and 52 weeks ahead per market, per UN M49 sub-region and for all
# markets, simulated draw by draw (`musicmarkets.models.forecast`): totals are sums of draws, so
# every level is coherent and carries its own uncertainty. Then the quantities the report
# states: growth and its rank distribution, the probability that a market grows faster than all
# markets together, the opportunity score (consumption against what the covariates predict) and
# a flag where the trend changed in the last year.

# %% tags=["parameters"]
seed = 20170106
horizons = [13, 26, 52]
damping_years = 0.5
interval = 0.9
clear_probability = 0.95

# %%
import numpy as np
import pandas as pd
import xarray as xr

from musicmarkets import config, insights, io
from musicmarkets.models import forecast

paths = config.paths()
tree = xr.open_datatree(paths.models / "consumption.nc")  # no ArviZ import: 3-4 s less
market_week = pd.read_parquet(paths.processed / "market_week.parquet")
cov = pd.read_parquet(paths.interim / "covariates.parquet")
names = cov.drop_duplicates("market").set_index("market")["country"].to_dict()
post = tree["posterior"].to_dataset()
const = tree["constant_data"].to_dataset()

# %%
# the fit's own changepoint settings; the latest slope fades with `damping_years`
draws = forecast.simulate(tree, max(horizons), seed, damping_years=damping_years)
weekly = forecast.series(draws, names, interval)
totals = forecast.horizon_totals(draws, market_week, horizons, names, interval)
# coherence: the all-market total is the sum of the markets in every draw
assert np.allclose(draws.total(), draws.streams.sum(axis=1))
totals.round(3)

# %% [markdown]
# ## The forecast ledger
# Every run's market forecasts are kept in `data/ledger/forecasts.parquet` (a persisted DVC
# output, keyed by a hash of the forecast). Forecasts made at an earlier origin are scored
# against the weeks that have since arrived: what we said vs what happened.

# %%
import hashlib

ledger_path = paths.root / "data" / "ledger" / "forecasts.parquet"
entries = forecast.ledger_entries(draws, "")
run_id = hashlib.sha256(
    pd.util.hash_pandas_object(entries, index=False).to_numpy().tobytes()
).hexdigest()[:12]
entries["run_id"] = run_id
ledger = forecast.update_ledger(
    pd.read_parquet(ledger_path) if ledger_path.is_file() else None, entries
)
scores = forecast.score_ledger(ledger, market_week, draws.weeks[0] - pd.Timedelta(days=7))
print(
    f"ledger: {ledger['run_id'].nunique()} forecast run(s); {len(scores)} market forecast(s) scored"
)
scores

# %%
growth = insights.growth_table(post, names, interval)
table = (
    growth.merge(insights.faster_than_all(post, const, interval), on="market")
    .merge(
        insights.opportunity_table(post, interval).rename(
            columns={
                "gap_median": "opportunity_gap",
                "gap_low": "opportunity_low",
                "gap_high": "opportunity_high",
                "p_below": "p_below_expected",
            }
        ),
        on="market",
        how="left",
    )
    .merge(insights.trend_change_table(post, const, clear_probability), on="market")
)
ranks = insights.rank_distribution(post)
table.round(3)

# %%
io.write_parquet(weekly, paths.processed / "forecast_weekly.parquet")
io.write_parquet(totals, paths.processed / "forecast_totals.parquet")
io.write_parquet(table, paths.processed / "insights.parquet")
io.write_parquet(ranks.reset_index(), paths.processed / "rank_distribution.parquet")
io.write_parquet(ledger, ledger_path)
io.write_parquet(scores, paths.processed / "ledger_scores.parquet")
longest = max(horizons)
all_52 = totals[(totals["level"] == "all") & (totals["horizon_weeks"] == longest)].iloc[0]
io.write_json(
    {
        "horizons": horizons,
        "draws": int(draws.streams.shape[0]),
        "first_forecast_week": str(draws.weeks[0].date()),
        "all_markets_next_52w_median": all_52["streams_median"],
        "all_markets_next_52w_low": all_52["streams_low"],
        "all_markets_next_52w_high": all_52["streams_high"],
        "trend_changed": table.loc[table["flag"] != "", "market"].tolist(),
        "ledger": {
            "runs": int(ledger["run_id"].nunique()),
            "scored_market_forecasts": len(scores),
            "scored_weeks": int(scores["weeks"].sum()) if len(scores) else 0,
            "coverage_90": float(
                (scores["coverage_90"] * scores["weeks"]).sum() / scores["weeks"].sum()
            )
            if len(scores)
            else None,
        },
    },
    paths.metrics / "forecast.json",
)
