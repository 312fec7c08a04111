"""Prior predictive check of the consumption model: what its priors expect before any data.

Parameters are drawn from the production model's priors (params.yaml), and for each draw the
weekly log streams per person of every observed market-week are simulated from the model's own
generative story (``consumption.simulate_observations``: the AR(1) residual run forward week by
week, Student-t or normal noise), so nothing observed leaks in. Two summaries:

- per market and week, the central interval of the simulated weeks, to draw over the observed
  weeks (a band that misses them, or spans absurd values, shows a prior to revisit);
- per market, where the observed *typical week* (the median of its weeks) falls among the
  simulated typical weeks: its percentile. A percentile below 1 or above 99 means the priors
  all but rule out what was observed (a prior-data conflict, Gabry et al. 2019).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from musicmarkets.models.consumption import simulate_observations

if TYPE_CHECKING:
    import pymc as pm

    from musicmarkets.models.design import ModelData

CONFLICT = (1.0, 99.0)  # percentiles outside these: the priors all but rule out the data


def simulate(
    data: ModelData, model: pm.Model, draws: int, seed: int, likelihood: str
) -> np.ndarray:
    """(draw, obs) log streams per person simulated from parameters drawn from the priors."""
    import pymc as pm

    rng = np.random.default_rng(seed)
    # the parameters only: the weeks are simulated below, so the likelihood's graph (the mean
    # on the whole market x week grid) is never compiled (about 25 s from a cold cache)
    params = [v.name for v in model.free_RVs + model.deterministics]
    prior = pm.sample_prior_predictive(
        draws=draws,
        model=model,
        random_seed=seed,
        var_names=params,
        compile_kwargs={"mode": "FAST_COMPILE"},  # a few hundred draws: compiling C costs more
    )["prior"]
    prior = prior.to_dataset() if hasattr(prior, "to_dataset") else prior
    return np.stack(
        [
            simulate_observations(prior.isel(draw=[d]), data, rng, likelihood=likelihood)
            for d in range(draws)
        ]
    )


def summarise(
    sims: np.ndarray, data: ModelData, interval: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The weekly bands and the per-market check, both on the streams-per-person scale.

    ``weekly``: market, week_start, observed, prior_low, prior_median, prior_high.
    ``markets``: market, observed_typical (median week), prior_low, prior_median, prior_high
    (central ``interval`` of the simulated typical weeks), percentile (of the observed typical
    week among the simulated ones) and conflict (outside ``CONFLICT``)."""
    if sims.shape[1] != data.n_obs:
        raise ValueError(f"{sims.shape[1]} simulated weeks for {data.n_obs} observed ones")
    lo, hi = (1 - interval) / 2, (1 + interval) / 2
    markets = np.asarray(data.markets)[data.market_idx]
    band = np.quantile(sims, [lo, 0.5, hi], axis=0)
    weekly = pd.DataFrame(
        {
            "market": markets,
            "week_start": pd.to_datetime(data.week_start),
            "observed": np.exp(data.y),
            "prior_low": np.exp(band[0]),
            "prior_median": np.exp(band[1]),
            "prior_high": np.exp(band[2]),
        }
    )
    rows = []
    for i, market in enumerate(data.markets):
        own = data.market_idx == i
        typical = np.median(sims[:, own], axis=1)  # one typical week per prior draw
        observed = float(np.median(data.y[own]))
        percentile = 100.0 * float(np.mean(typical < observed))
        q = np.quantile(typical, [lo, 0.5, hi])
        rows.append(
            {
                "market": market,
                "observed_typical": float(np.exp(observed)),
                "prior_low": float(np.exp(q[0])),
                "prior_median": float(np.exp(q[1])),
                "prior_high": float(np.exp(q[2])),
                "percentile": percentile,
                "conflict": not CONFLICT[0] <= percentile <= CONFLICT[1],
            }
        )
    return weekly, pd.DataFrame(rows)


def metrics(markets: pd.DataFrame, draws: int, interval: float) -> dict:
    """``reports/metrics/prior_check.json``: the per-market check and the markets in conflict."""
    return {
        "draws": draws,
        "interval": interval,
        "conflict_percentiles": list(CONFLICT),
        "markets": markets.set_index("market").drop(columns="conflict").to_dict("index"),
        "conflicts": markets.loc[markets["conflict"], "market"].tolist(),
    }
