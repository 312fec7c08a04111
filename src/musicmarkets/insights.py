"""Quantities people ask for, computed from posterior draws (never from point estimates)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from musicmarkets.models.consumption import _stack, fitted_mean, lockdown_curve, structural_mean


def _bounds(interval: float) -> tuple[float, float]:
    if not 0 < interval < 1:
        raise ValueError(f"interval must be in (0, 1), got {interval}")
    return (1 - interval) / 2, (1 + interval) / 2


def _draws(posterior: Any, name: str) -> np.ndarray:
    """(chain*draw, ...) array of a posterior variable (zero-size dimensions allowed)."""
    da = posterior[name].transpose("chain", "draw", ...)
    arr = da.to_numpy()
    return arr.reshape(arr.shape[0] * arr.shape[1], *arr.shape[2:])


def growth_table(posterior: Any, names: dict[str, str] | None, interval: float) -> pd.DataFrame:
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


def yoy_growth(tree: Any, weeks: int, interval: float, seed: int | None = None) -> pd.DataFrame:
    """Per market: growth of the model's smoothed streams per person (level, trend, season,
    year-end weeks, lockdown and the carry-over of the previous week; each week's own noise
    excluded, see `consumption.fitted_mean`) over its latest ``weeks`` observed
    weeks against the same calendar weeks a year earlier, with its interval; beside it the same
    ratio of the observed weeks, which an analyst can check against the charts. A market
    without those weeks a year earlier gets no figure and a ``reason``; ``launch_year`` marks a
    market whose weeks a year earlier lie in its first half year of charts (the figure then
    includes its launch ramp).

    With a ``seed``, the headline is also checked against the charts: ``observed_yoy_low`` and
    ``observed_yoy_high`` bound the posterior predictive distribution of the *observed* ratio
    (each week's noise drawn again), and where the charts' own ratio lies outside that range by
    more than ``validation.MCSE_MARGIN`` Monte Carlo errors the model's figure does not hold:
    ``holds`` is False, ``yoy_*`` are left empty (no headline) and ``reason`` says why; the
    model's figure stays in ``model_yoy_*`` for the technical report."""
    from musicmarkets.validation import MCSE_MARGIN, interval_mcse

    post = tree["posterior"].to_dataset()
    const = tree["constant_data"].to_dataset()
    fitted = fitted_mean(post, const)  # (sample, obs), log scale
    mu = np.exp(fitted)
    observed = np.exp(const["y_log"].to_numpy())
    idx = const["market_idx"].to_numpy()
    week = pd.to_datetime(const["week_start"].to_numpy())
    lo, hi = _bounds(interval)
    chains = int(post.sizes["chain"])
    replicated = None
    if seed is not None:  # the observed weeks drawn again: the fitted value plus the week's noise
        rng = np.random.default_rng(seed)
        sigma = _draws(post, "sigma_market")[:, idx]
        if "nu" in post:
            noise = rng.standard_t(_draws(post, "nu")[:, None], size=fitted.shape)
        else:
            noise = rng.standard_normal(fitted.shape)
        replicated = np.exp(fitted + noise * sigma)
    rows = []
    for i, market in enumerate(_markets(post)):
        mine = np.flatnonzero(idx == i)
        mine = mine[np.argsort(week[mine], kind="stable")]
        recent = mine[-weeks:]
        by_week = dict(zip(week[mine], mine, strict=True))
        earlier = [by_week.get(w - pd.Timedelta(weeks=52)) for w in week[recent]]
        row = {"market": market, "weeks": weeks, "recent_to": week[recent[-1]]}
        if len(recent) < weeks or any(e is None for e in earlier):
            first = week[mine[0]]
            rows.append(
                row
                | {
                    "reason": f"data start {first.day} {first:%b %Y} (the first full chart week"
                    " the model uses): no same weeks a year earlier to compare"
                }
            )
            continue
        earlier = np.asarray(earlier)
        # the weeks a year earlier in the market's first half year of charts: its launch ramp
        row["launch_year"] = bool(week[earlier[0]] - week[mine[0]] < pd.Timedelta(weeks=26))
        ratio = mu[:, recent].mean(axis=1) / mu[:, earlier].mean(axis=1) - 1
        obs = float(observed[recent].mean() / observed[earlier].mean() - 1)
        row |= {
            "yoy_median": float(np.median(ratio)),
            "yoy_low": float(np.quantile(ratio, lo)),
            "yoy_high": float(np.quantile(ratio, hi)),
            "p_yoy_up": float((ratio > 0).mean()),
            "observed_yoy": obs,
            "reason": "",
        }
        row |= {f"model_{k}": row[k] for k in ("yoy_median", "yoy_low", "yoy_high")}
        if replicated is not None:
            rep = replicated[:, recent].mean(axis=1) / replicated[:, earlier].mean(axis=1) - 1
            low, high = float(np.quantile(rep, lo)), float(np.quantile(rep, hi))
            mcse = interval_mcse(rep, interval, chains)
            holds = low - MCSE_MARGIN * mcse <= obs <= high + MCSE_MARGIN * mcse
            row |= {
                "observed_yoy_low": low,
                "observed_yoy_high": high,
                "observed_yoy_mcse": mcse,
                "holds": holds,
            }
            if not holds:
                row |= {k: np.nan for k in ("yoy_median", "yoy_low", "yoy_high", "p_yoy_up")}
                row["reason"] = (
                    f"the model's figure ({row['model_yoy_median']:+.0%}) does not match the "
                    f"charts' own {obs:+.0%}: the model allows {low:+.0%} to {high:+.0%} for it"
                )
        rows.append(row)
    columns = ["market", "weeks", "recent_to", "yoy_median", "yoy_low", "yoy_high", "p_yoy_up"]
    columns += ["observed_yoy", "reason", "model_yoy_median", "model_yoy_low", "model_yoy_high"]
    columns += ["launch_year"]
    if seed is not None:
        columns += ["observed_yoy_low", "observed_yoy_high", "observed_yoy_mcse", "holds"]
    # every column even when no market has a year of history, so readers can test for NaN
    return pd.DataFrame(rows).reindex(columns=columns)


def yoy_failures(yoy: pd.DataFrame) -> list[str]:
    """One line per market whose year-on-year headline the charts contradict (``holds`` False
    in ``yoy_growth``'s checked table): that headline is withheld from every page."""
    if "holds" not in yoy:
        return []
    bad = yoy[yoy["holds"].eq(False)]
    return [
        f"{r.market} growth over a year: charts {r.observed_yoy:+.1%} outside "
        f"{r.observed_yoy_low:+.1%} to {r.observed_yoy_high:+.1%} (model {r.model_yoy_median:+.1%})"
        for r in bad.itertuples()
    ]


def sensitivity_growth(
    main: Any, other: Any, names: dict[str, str] | None, interval: float
) -> pd.DataFrame:
    """Per market, the growth headline (``yoy_growth``, 13 weeks) and the momentum (the trend
    slope per year at the last week, ``growth_table``) of two fits side by side: ``main`` (the
    production fit) and ``other`` (the same model on fewer weeks), each with its own latest
    weeks. Columns ``*_main`` and ``*_other`` (``reason_*``: why a growth figure is missing);
    a market absent from a fit has NaN there."""
    parts = []
    for tree, tag in ((main, "main"), (other, "other")):
        yoy = yoy_growth(tree, 13, interval).set_index("market")
        mom = growth_table(tree["posterior"].to_dataset(), None, interval).set_index("market")
        part = pd.DataFrame(
            {
                "recent_to": yoy["recent_to"],
                "yoy_median": yoy["yoy_median"],
                "yoy_low": yoy["yoy_low"],
                "yoy_high": yoy["yoy_high"],
                "observed_yoy": yoy["observed_yoy"],
                "reason": yoy["reason"],
                "momentum_median": mom["growth_median"],
                "momentum_low": mom["growth_low"],
                "momentum_high": mom["growth_high"],
            }
        )
        parts.append(part.add_suffix(f"_{tag}"))
    table = parts[0].join(parts[1], how="outer").reset_index(names="market")
    if names:
        table.insert(1, "name", table["market"].map(names).fillna(table["market"].str.upper()))
    return table


def trend_bands(tree: Any, interval: float) -> pd.DataFrame:
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


def regions_of(tree: Any) -> dict[str, str]:
    """Each modelled market's region, paired in the model's own market order (the order of
    the posterior's ``market`` coordinate, which need not be sorted)."""
    markets = tree["posterior"]["market"].to_numpy().astype(str)
    regions = tree["constant_data"]["market_region"].to_numpy().astype(str)
    return dict(zip(markets, regions, strict=True))


def _markets(posterior: Any) -> list[str]:
    return [str(m) for m in posterior["market"].to_numpy()]


def market_weights(posterior: Any, constant: Any) -> np.ndarray:
    """(sample, market) share of each market in all markets' streams today (the model's level
    times population), the weights that turn market growth into all-market growth."""
    level = _draws(posterior, "level_market")
    streams = np.exp(level) * constant["population"].to_numpy()[None, :]
    return streams / streams.sum(axis=1, keepdims=True)


def faster_than_all(posterior: Any, constant: Any, interval: float) -> pd.DataFrame:
    """P(a market's per-capita growth today exceeds the growth of all markets together).

    All-market growth in each draw is the stream-weighted mean of the markets' slopes (the
    derivative of the log of summed streams), so it carries its own uncertainty.
    """
    slope = _draws(posterior, "trend_market")
    overall = (market_weights(posterior, constant) * slope).sum(axis=1)
    lo, hi = _bounds(interval)
    diff = np.expm1(slope) - np.expm1(overall)[:, None]
    return pd.DataFrame(
        {
            "market": _markets(posterior),
            "p_faster_than_all": (slope > overall[:, None]).mean(axis=0),
            "gap_median": np.median(diff, axis=0),
            "gap_low": np.quantile(diff, lo, axis=0),
            "gap_high": np.quantile(diff, hi, axis=0),
            "all_growth_median": float(np.median(np.expm1(overall))),
            "all_growth_low": float(np.quantile(np.expm1(overall), lo)),
            "all_growth_high": float(np.quantile(np.expm1(overall), hi)),
        }
    )


def rank_distribution(posterior: Any) -> pd.DataFrame:
    """P(market has growth rank k), k = 1 (fastest) .. number of markets; rows sum to 1."""
    slope = _draws(posterior, "trend_market")
    ranks = (-slope).argsort(axis=1).argsort(axis=1) + 1
    n = slope.shape[1]
    probs = np.stack([(ranks == k).mean(axis=0) for k in range(1, n + 1)], axis=1)
    return pd.DataFrame(
        probs, index=pd.Index(_markets(posterior), name="market"), columns=list(range(1, n + 1))
    )


def opportunity_table(posterior: Any, interval: float) -> pd.DataFrame:
    """Consumption today against what the market's covariates predict (GDP per person,
    internet use, population): ``gap`` < 0 means the market streams less than markets like it,
    room to grow. Empty when the model has no covariates."""
    if "level_expected" not in posterior:
        return pd.DataFrame(columns=["market", "gap_median", "gap_low", "gap_high", "p_below"])
    gap = _draws(posterior, "level_latest") - _draws(posterior, "level_expected")
    rel = np.expm1(gap)
    lo, hi = _bounds(interval)
    out = pd.DataFrame(
        {
            "market": _markets(posterior),
            "gap_median": np.median(rel, axis=0),
            "gap_low": np.quantile(rel, lo, axis=0),
            "gap_high": np.quantile(rel, hi, axis=0),
            "p_below": (gap < 0).mean(axis=0),
        }
    )
    return out.sort_values("gap_median", ignore_index=True)


def slope_at(posterior: Any, constant: Any, t: float) -> np.ndarray:
    """(sample, market) slope of the trend at time ``t`` (years; 0 = latest week)."""
    slope = _draws(posterior, "trend_market")
    cps = constant["changepoint_t"].to_numpy()
    delta = _draws(posterior, "delta")  # (sample, market, changepoint)
    return slope + delta[:, :, cps > t].sum(axis=-1)


def momentum_path(tree: Any, interval: float) -> pd.DataFrame:
    """Per market and observed week, the momentum (``exp(slope) - 1`` per year, the slope of
    the trend that week: constant between changepoints) with its interval: how each market's
    trend bent over the weeks, for one small-multiple chart."""
    post = tree["posterior"].to_dataset()
    const = tree["constant_data"].to_dataset()
    cps = np.sort(const["changepoint_t"].to_numpy())
    markets = _markets(post)
    idx = const["market_idx"].to_numpy()
    t = const["t"].to_numpy()
    weeks = pd.to_datetime(const["week_start"].to_numpy())
    # one slope per segment between changepoints (the last one runs to the latest week)
    probe = np.concatenate([cps - 1e-9, [0.0]]) if len(cps) else np.array([0.0])
    slopes = np.expm1(np.stack([slope_at(post, const, float(x)) for x in probe], axis=-1))
    lo, hi = _bounds(interval)
    q = np.quantile(slopes, [0.5, lo, hi], axis=0)  # (3, market, segment)
    segment = np.searchsorted(cps, t, side="right")  # weeks after changepoint j: segment j + 1
    return (
        pd.DataFrame(
            {
                "market": np.asarray(markets)[idx],
                "week_start": weeks,
                "momentum_median": q[0][idx, segment],
                "momentum_low": q[1][idx, segment],
                "momentum_high": q[2][idx, segment],
            }
        )
        .sort_values(["market", "week_start"])
        .reset_index(drop=True)
    )


def trend_change_table(posterior: Any, constant: Any, threshold: float) -> pd.DataFrame:
    """Did a market's growth rate change at the latest changepoint? ``flag`` is ``accelerated``
    / ``slowed`` when the posterior probability of that direction is at least ``threshold``,
    else empty. ``since`` is the date of that changepoint. ``growth_first`` is the momentum of
    the first stretch (before the first changepoint), ``p_below_first`` (``p_above_first``) the
    probability that the momentum now is lower (higher): how far the trend has bent over the
    whole history; ``flag_first`` is ``slowed`` / ``picked up`` when that probability is at
    least ``threshold``."""
    now = _draws(posterior, "trend_market")
    cps = constant["changepoint_t"].to_numpy()
    markets = _markets(posterior)
    if len(cps) == 0:
        before = now
        since = pd.NaT
    else:
        before = slope_at(posterior, constant, float(cps[-1]) - 1e-9)
        origin = pd.Timestamp(constant.attrs.get("time_origin", "NaT"))
        since = origin + pd.Timedelta(days=float(cps[-1]) * 365.25)
    # the first segment's slope: the momentum of the market's first stretch of charts
    first = slope_at(posterior, constant, float(cps[0]) - 1e-9) if len(cps) else now
    change = np.expm1(now) - np.expm1(before)
    p_up = (now > before).mean(axis=0)
    p_down = (now < before).mean(axis=0)
    flag = np.where(p_up >= threshold, "accelerated", np.where(p_down >= threshold, "slowed", ""))
    below, above = (now < first).mean(axis=0), (now > first).mean(axis=0)
    flag_first = np.where(
        below >= threshold, "slowed", np.where(above >= threshold, "picked up", "")
    )
    return pd.DataFrame(
        {
            "market": markets,
            "since": since,
            "growth_before": np.median(np.expm1(before), axis=0),
            "growth_now": np.median(np.expm1(now), axis=0),
            "change_median": np.median(change, axis=0),
            "p_accelerated": p_up,
            "p_slowed": p_down,
            "flag": flag,
            "growth_first": np.median(np.expm1(first), axis=0),
            "p_below_first": below,
            "p_above_first": above,
            "flag_first": flag_first,
        }
    )


def history_totals(panel: pd.DataFrame, region_of: dict[str, str]) -> pd.DataFrame:
    """Observed weekly streams per market, per region and for all markets, in the ``key``
    layout of the forecasts; a total is kept only for weeks where every member was observed."""
    p = panel[panel["market"].isin(region_of)][["market", "week_start", "streams"]]
    frames = [p.rename(columns={"market": "key"})]
    groups = {r: [m for m, g in region_of.items() if g == r] for r in set(region_of.values())}
    groups["all"] = list(region_of)
    for key, members in groups.items():
        sub = p[p["market"].isin(members)].groupby("week_start")
        agg = sub["streams"].agg(["sum", "size"])
        agg = agg[agg["size"] == len(members)]
        frames.append(
            pd.DataFrame({"key": key, "week_start": agg.index, "streams": agg["sum"].to_numpy()})
        )
    return pd.concat(frames, ignore_index=True)


def last_weeks_total(history: pd.DataFrame, key: str, weeks: int = 52) -> float:
    """Observed streams of ``key`` (a market, region or "all") in its latest ``weeks`` weeks of
    ``history`` (`history_totals`' layout); NaN unless those weeks are consecutive and complete."""
    h = history[history["key"] == key].sort_values("week_start").tail(weeks)
    whole = len(h) == weeks and h["week_start"].iloc[-1] - h["week_start"].iloc[0] == pd.Timedelta(
        weeks=weeks - 1
    )
    return float(h["streams"].sum()) if whole else float("nan")


def market_order(table: pd.DataFrame) -> list[str]:
    """The one order of markets every chart and table of a report uses: the league table's,
    by median growth rank (ties: higher momentum first)."""
    t = table.sort_values(["rank_median", "growth_median"], ascending=[True, False])
    return list(t["market"])


def in_market_order(
    frame: pd.DataFrame, order: list[str] | None, column: str = "market"
) -> pd.DataFrame:
    """``frame``'s rows with ``column`` in ``order`` (rows of one market keep their order;
    markets not in ``order`` follow, as they came); ``frame`` itself where ``order`` is None."""
    if order is None or frame.empty:
        return frame
    position = {m: i for i, m in enumerate(order)}
    key = frame[column].map(lambda m: position.get(m, len(order)))
    return frame.assign(_pos=key.to_numpy()).sort_values("_pos", kind="stable").drop(columns="_pos")


def lockdown_left(posterior: Any) -> float | None:
    """The share of the 2020 lockdown's dip that a fit counts as not yet recovered at its latest
    week (t = 0): the posterior median of the lockdown curve there. None for a fit without the
    estimated lockdown (data that end before it, or a fit made before it was estimated)."""
    if "shock_onset" not in posterior or "shock_recovery" not in posterior:
        return None
    onset = _stack(posterior, "shock_onset")
    recovery = _stack(posterior, "shock_recovery")
    return float(np.median(lockdown_curve(np.zeros_like(onset), onset, recovery)))
