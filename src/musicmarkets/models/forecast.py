"""Forecasts from a fitted consumption model, draw by draw, so that every sum is coherent.

For each posterior draw and market the structural mean is carried forward (today's slope,
seasonality, the year-end weeks, the lockdown's estimated recovery and a launch market's
closing gap, each draw with its own onset, recovery and settling times), new slope
changes are drawn at the model's changepoint rate and from its changepoint prior (the trend may
bend again, as it did in the past: the next change anywhere within one spacing of the origin,
then one per spacing), and the AR(1) residual is simulated from the last observed week with the
model's Student-t (or normal) noise.
A future slope change, like a past one in the model, is a part shared by every market
(``changepoint_sd``: a change in how the whole streaming market moves) plus a market's own part
(``changepoint_sigma``), at dates common to all markets; so regional and all-market totals carry
the common shocks. Totals are sums of the market draws, never sums of quantiles.
The spacing and the two scales are read from the model file (``consumption.spec``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from musicmarkets.models.consumption import _stack, fourier_terms, holiday_weeks, mean_at, spec

WEEK = 7 / 365.25


@dataclass(frozen=True)
class ForecastDraws:
    """Simulated weekly streams (not per capita) per draw, market and future week."""

    markets: list[str]
    regions: list[str]  # region of each market
    weeks: pd.DatetimeIndex  # future chart weeks (Friday starts)
    streams: np.ndarray  # (sample, market, week)
    last_observed: pd.Series  # last observed week per market

    def total(self, markets: list[str] | None = None) -> np.ndarray:
        """(sample, week) sum over the given markets (default: all)."""
        keep = [self.markets.index(m) for m in (markets or self.markets)]
        return self.streams[:, keep, :].sum(axis=1)


def simulate(
    tree: Any,
    horizon: int,
    seed: int,
    max_draws: int | None = 2000,
    shock_persists: bool = True,
    random_phase: bool = True,
    *,
    changepoint_weeks: int | None = None,
    changepoint_sd: float | None = None,
    changepoint_sigma: float | None = None,
    damping_years: float | None = None,
) -> ForecastDraws:
    """Simulate ``horizon`` weeks after the panel's latest week for every market.

    ``changepoint_weeks`` (the spacing of slope changes), ``changepoint_sd`` (the spread of
    their part shared by all markets) and ``changepoint_sigma`` (a market's own part): the
    model file's own settings unless given.

    ``shock_persists`` (fits with a fixed 0/1 lockdown window only): a market whose latest week
    lies inside the window keeps the shock over the horizon; fits that estimate the lockdown's
    recovery carry their recovery curve forward instead.
    ``random_phase``: the next slope change falls anywhere within one changepoint spacing of the
    origin (uniform per draw and market), then one per spacing; otherwise exactly one spacing on.
    ``damping_years``: the latest slope fades over the horizon with this time constant (a damped
    trend: ``slope * T * (1 - exp(-t / T))`` in place of ``slope * t``); None: carried on
    undamped.
    """
    if None in (changepoint_weeks, changepoint_sd, changepoint_sigma):
        structure, priors = spec(tree)
        changepoint_weeks = changepoint_weeks or structure.changepoint_weeks
        changepoint_sd = priors.changepoint_sd if changepoint_sd is None else changepoint_sd
        if changepoint_sigma is None:
            changepoint_sigma = priors.changepoint_sigma
    rng = np.random.default_rng(seed)
    post = tree["posterior"].to_dataset()
    const = tree["constant_data"].to_dataset()
    n_total = post.sizes["chain"] * post.sizes["draw"]
    pick = np.arange(n_total)
    if max_draws and n_total > max_draws:
        pick = np.sort(rng.choice(n_total, max_draws, replace=False))
    markets = [str(m) for m in post["market"].to_numpy()]
    idx = const["market_idx"].to_numpy()
    t = const["t"].to_numpy()
    weeks_obs = pd.to_datetime(const["week_start"].to_numpy())
    y = const["y_log"].to_numpy()
    cps = const["changepoint_t"].to_numpy()
    hol = const["holiday_x"].to_numpy()
    shock = const["shock_x"].to_numpy()
    launch_t = const["launch_t"].to_numpy() if "launch_t" in const else None
    fourier_order = const["fourier_x"].shape[1] // 2
    end = weeks_obs.max()
    weeks = pd.DatetimeIndex([end + pd.Timedelta(days=7 * h) for h in range(1, horizon + 1)])
    t_future = np.arange(1, horizon + 1) * WEEK

    # residual of each market's last observed week: the AR(1) starting point
    last = np.array([np.flatnonzero(idx == i)[np.argmax(t[idx == i])] for i in range(len(markets))])
    mu_last = mean_at(
        post,
        idx[last],
        t[last],
        const["fourier_x"].to_numpy()[last],
        cps,
        hol[last],
        shock[last],
        launch_t,
    )[pick]
    resid = y[last][None, :] - mu_last  # (sample, market)
    gap_weeks = np.round(-t[last] / WEEK).astype(int)  # weeks between a market's last and the end

    n_s, n_m = len(pick), len(markets)
    f_idx = np.repeat(np.arange(n_m), horizon)
    f_t = np.tile(t_future, n_m)
    f_dates = pd.DatetimeIndex(np.tile(weeks.to_numpy(), n_m))
    shock_future = np.repeat(shock[last] if shock_persists else np.zeros(n_m), horizon)
    mu = mean_at(
        post,
        f_idx,
        f_t,
        fourier_terms(f_dates, fourier_order),
        cps,
        holiday_weeks(f_dates),
        shock_future,
        launch_t,
    )[pick].reshape(n_s, n_m, horizon)
    if damping_years:  # the latest slope fades: a slope learned from the past is not forever
        slope = _stack(post, "trend_market")[pick]  # (sample, market): the slope after the end
        lost = t_future - damping_years * (1.0 - np.exp(-t_future / damping_years))
        mu -= slope[:, :, None] * lost[None, None, :]
    # the trend may change again: slope changes at the model's spacing, as in the past, on dates
    # common to every market; each change a shared part plus the market's own
    step = changepoint_weeks * WEEK
    n_cp = int(np.floor(horizon * WEEK / step + 1e-9)) + (1 if random_phase else 0)
    if n_cp:
        first = (
            rng.uniform(0.0, step, size=(n_s, 1, 1)) if random_phase else np.full((1, 1, 1), step)
        )
        at = first + step * np.arange(n_cp)[None, None, :]  # (sample | 1, 1, change)
        shared = rng.normal(0.0, changepoint_sd, size=(n_s, 1, n_cp))
        d = shared + rng.normal(0.0, changepoint_sigma, size=(n_s, n_m, n_cp))
        ramp = np.maximum(t_future[None, None, None, :] - at[..., None], 0.0)
        mu += np.einsum("smk,smkh->smh", d, np.broadcast_to(ramp, (n_s, n_m, n_cp, horizon)))

    phi = _stack(post, "phi")[pick] if "phi" in post else np.zeros(n_s)
    phi = phi.reshape(n_s, -1)  # (sample, market); one column for a model with a shared phi
    sigma = _stack(post, "sigma_market")[pick]  # (sample, market)
    nu = _stack(post, "nu")[pick] if "nu" in post else None

    def weekly_noise() -> np.ndarray:
        return (
            rng.standard_t(nu[:, None], size=(n_s, n_m))
            if nu is not None
            else rng.standard_normal((n_s, n_m))
        )

    # a market whose data end before the panel's last week: its residual runs on over the
    # weeks it has not reported, persistence and fresh noise alike, so its interval widens
    for g in range(int(gap_weeks.max(initial=0))):
        resid = np.where(gap_weeks[None, :] > g, phi * resid + sigma * weekly_noise(), resid)
    out = np.empty((n_s, n_m, horizon))
    for h in range(horizon):
        resid = phi * resid + sigma * weekly_noise()
        out[:, :, h] = mu[:, :, h] + resid
    population = const["population"].to_numpy()
    streams = np.exp(out) * population[None, :, None]
    regions = [str(r) for r in const["market_region"].to_numpy()]
    last_obs = pd.Series(weeks_obs[last], index=markets, name="last_observed")
    return ForecastDraws(markets, regions, weeks, streams, last_obs)


def _quantiles(draws: np.ndarray, interval: float) -> dict[str, np.ndarray]:
    lo, hi = (1 - interval) / 2, (1 + interval) / 2
    return {
        "median": np.median(draws, axis=0),
        "low50": np.quantile(draws, 0.25, axis=0),
        "high50": np.quantile(draws, 0.75, axis=0),
        "low": np.quantile(draws, lo, axis=0),
        "high": np.quantile(draws, hi, axis=0),
    }


def forecast_groups(
    f: ForecastDraws, names: dict[str, str]
) -> list[tuple[str, str, str, list[str]]]:
    """(level, key, name, members) for each market, each region of two or more markets (a
    region of one market would repeat it) and all markets together."""
    groups = [("market", m, names.get(m, m.upper()), [m]) for m in f.markets]
    for region in sorted(set(f.regions)):
        members = [m for m, r in zip(f.markets, f.regions, strict=True) if r == region]
        if len(members) > 1:
            groups.append(("region", region, region, members))
    groups.append(("all", "all", "All markets", f.markets))
    return groups


def series(f: ForecastDraws, names: dict[str, str], interval: float) -> pd.DataFrame:
    """Weekly forecast bands for each market, each region and all markets together."""
    groups = forecast_groups(f, names)
    frames = []
    for level, key, name, members in groups:
        q = _quantiles(f.total(members), interval)
        frames.append(
            pd.DataFrame({"level": level, "key": key, "name": name, "week_start": f.weeks, **q})
        )
    return pd.concat(frames, ignore_index=True)


def horizon_totals(
    f: ForecastDraws,
    panel: pd.DataFrame,
    horizons: list[int],
    names: dict[str, str],
    interval: float,
) -> pd.DataFrame:
    """Streams in the next h weeks per market, region and all, with the change against the
    same weeks a year earlier where they were observed (the panel's streams)."""
    obs = panel.pivot_table(index="week_start", columns="market", values="streams")
    rows = []
    groups = forecast_groups(f, names)
    lo, hi = (1 - interval) / 2, (1 + interval) / 2
    for h in horizons:
        if h > len(f.weeks):
            raise ValueError(f"horizon {h} exceeds the simulated {len(f.weeks)} weeks")
        year_ago = f.weeks[:h] - pd.Timedelta(days=364)
        for level, key, name, members in groups:
            total = f.total(members)[:, :h].sum(axis=1)
            base = obs.reindex(index=year_ago, columns=members)
            complete = bool(base.notna().all().all())
            change = total / base.to_numpy().sum() - 1 if complete else np.full_like(total, np.nan)
            rows.append(
                {
                    "horizon_weeks": h,
                    "level": level,
                    "key": key,
                    "name": name,
                    "streams_median": float(np.median(total)),
                    "streams_low": float(np.quantile(total, lo)),
                    "streams_high": float(np.quantile(total, hi)),
                    "yoy_median": float(np.median(change)) if complete else np.nan,
                    "yoy_low": float(np.quantile(change, lo)) if complete else np.nan,
                    "yoy_high": float(np.quantile(change, hi)) if complete else np.nan,
                }
            )
    return pd.DataFrame(rows)


LEDGER_COLUMNS = ["run_id", "origin", "market", "week_start", "q05", "q25", "q50", "q75", "q95"]
LEDGER_LEVELS = np.array([0.05, 0.25, 0.5, 0.75, 0.95])


def ledger_entries(f: ForecastDraws, run_id: str) -> pd.DataFrame:
    """This run's market forecasts as ledger rows (weekly streams at five quantile levels)."""
    q = np.quantile(f.streams, LEDGER_LEVELS, axis=0)  # (level, market, week)
    rows = []
    for i, m in enumerate(f.markets):
        rows.append(
            pd.DataFrame(
                {
                    "run_id": run_id,
                    "origin": f.weeks[0] - pd.Timedelta(days=7),
                    "market": m,
                    "week_start": f.weeks,
                    **{f"q{int(lv * 100):02d}": q[k, i] for k, lv in enumerate(LEDGER_LEVELS)},
                }
            )
        )
    return pd.concat(rows, ignore_index=True)[LEDGER_COLUMNS]


def update_ledger(ledger: pd.DataFrame | None, entries: pd.DataFrame) -> pd.DataFrame:
    """Add this run's rows to the ledger: one forecast per data vintage (origin); a later run
    on the same data replaces the earlier one, so nothing is counted twice."""
    if ledger is None or ledger.empty:
        return entries.reset_index(drop=True)
    kept = ledger[ledger["origin"] != entries["origin"].iloc[0]]
    out = pd.concat([kept, entries], ignore_index=True)
    return out.sort_values(["origin", "run_id", "market", "week_start"], ignore_index=True)


def score_ledger(
    ledger: pd.DataFrame, panel: pd.DataFrame, current_origin: pd.Timestamp
) -> pd.DataFrame:
    """Earlier forecasts against the weeks that have since arrived: per run and market, the
    weeks scored, CRPS on log streams (from the quantiles), median absolute % error and the share
    of weeks inside the 50% and 90% intervals."""
    from musicmarkets.validation import crps_quantiles

    cols = ["run_id", "origin", "market", "weeks", "crps", "mape", "coverage_50", "coverage_90"]
    past = ledger[ledger["origin"] < current_origin]
    obs = panel[["market", "week_start", "streams"]]
    joined = past.merge(obs, on=["market", "week_start"], how="inner")
    if joined.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for (run, origin, market), g in joined.groupby(["run_id", "origin", "market"]):
        y = np.log(g["streams"].to_numpy(dtype=float))
        q = np.log(g[["q05", "q25", "q50", "q75", "q95"]].to_numpy(dtype=float).T)
        rows.append(
            {
                "run_id": run,
                "origin": origin,
                "market": market,
                "weeks": len(g),
                "crps": float(crps_quantiles(q, LEDGER_LEVELS, y).mean()),
                "mape": float(np.mean(np.abs(g["q50"] - g["streams"]) / g["streams"])),
                "coverage_50": float(
                    np.mean((g["streams"] >= g["q25"]) & (g["streams"] <= g["q75"]))
                ),
                "coverage_90": float(
                    np.mean((g["streams"] >= g["q05"]) & (g["streams"] <= g["q95"]))
                ),
            }
        )
    return pd.DataFrame(rows, columns=cols)
