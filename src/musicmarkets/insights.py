"""Quantities people ask for, computed from posterior draws (never from point estimates)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from musicmarkets.models.consumption import structural_mean

INTERVAL = 0.9  # width of the credible intervals throughout the reports


def _bounds(interval: float) -> tuple[float, float]:
    if not 0 < interval < 1:
        raise ValueError(f"interval must be in (0, 1), got {interval}")
    return (1 - interval) / 2, (1 + interval) / 2


def _draws(posterior: Any, name: str) -> np.ndarray:
    """(sample, ...) array of a posterior variable."""
    return posterior[name].stack(sample=("chain", "draw")).transpose("sample", ...).to_numpy()


def growth_table(
    posterior: Any, names: dict[str, str] | None = None, interval: float = INTERVAL
) -> pd.DataFrame:
    """Per market: yearly growth of streams per capita with its 90% interval, P(growth > 0)
    and the distribution of its growth rank (1 = fastest) across posterior draws.

    Growth is ``exp(trend) - 1``: the size-adjusted (per-capita, log-scale) yearly change.
    """
    markets = [str(m) for m in posterior["market"].to_numpy()]
    trend = _draws(posterior, "trend_market")  # (sample, market)
    growth = np.expm1(trend)
    # rank 1 = fastest in that draw
    ranks = (-trend).argsort(axis=1).argsort(axis=1) + 1
    lo, hi = _bounds(interval)
    table = pd.DataFrame(
        {
            "market": markets,
            "growth_median": np.median(growth, axis=0),
            "growth_low": np.quantile(growth, lo, axis=0),
            "growth_high": np.quantile(growth, hi, axis=0),
            "p_growing": (growth > 0).mean(axis=0),
            "rank_median": np.median(ranks, axis=0),
            "rank_low": np.quantile(ranks, lo, axis=0, method="lower"),
            "rank_high": np.quantile(ranks, hi, axis=0, method="higher"),
            "p_fastest": (ranks == 1).mean(axis=0),
        }
    )
    if names:
        table.insert(1, "name", table["market"].map(names).fillna(table["market"].str.upper()))
    return table.sort_values("growth_median", ascending=False, ignore_index=True)


def trend_bands(tree: Any, interval: float = INTERVAL) -> pd.DataFrame:
    """Per observed market-week: observed streams per capita and the posterior median and
    interval of the model's structural part (level + trend + season, without the AR noise)."""
    post = tree["posterior"].to_dataset()
    const = tree["constant_data"].to_dataset()
    mu = np.exp(structural_mean(post, const))  # (sample, obs) on the per-capita scale
    markets = np.asarray(post["market"].to_numpy()).astype(str)
    lo, hi = _bounds(interval)
    return pd.DataFrame(
        {
            "market": markets[const["market_idx"].to_numpy()],
            "week_start": pd.to_datetime(const["week_start"].to_numpy()),
            "observed": np.exp(const["y_log"].to_numpy()),
            "fit_median": np.median(mu, axis=0),
            "fit_low": np.quantile(mu, lo, axis=0),
            "fit_high": np.quantile(mu, hi, axis=0),
        }
    )
