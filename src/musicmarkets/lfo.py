"""Leave-future-out (LFO) scores of the consumption model and its variants.

These models forecast, so beside leave-one-out (which predicts a week from the weeks on both
sides of it) they are scored as a forecaster is used: each model is refitted on the weeks up to
an origin and scored on the weeks after it that it has not seen. The score of one market's block
of ``M`` weeks after an origin is the exact M-step-ahead log predictive density of Bürkner, Gabry
& Vehtari (2020, "Approximate leave-future-out cross-validation for Bayesian time series
models"), from exact refits::

    lpd = log (1/S) sum_s prod_j p(y_j | y_{j-1}, theta_s)

over the refit's posterior draws ``theta_s``; ``p(y_j | y_{j-1}, theta)`` is the model's own
likelihood of week ``j`` given the observed week before it (the structural mean carried on along
the latest slope, the AR(1) term, the Student-t or normal noise), so the product is the joint
density of the whole block. Slope changes after the origin are not drawn (the forecast stage
draws them one changepoint spacing, a year, after its origin; a block is shorter than that).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from musicmarkets.models.consumption import _stack, fourier_terms, holiday_weeks, mean_at


def block_log_density(tree: Any, future: pd.DataFrame) -> pd.DataFrame:
    """Per market of ``future`` (columns ``market``, ``week_start``, ``y``: log streams per
    person in the weeks after the fit's latest week), the log predictive density of all its
    weeks together under the fitted model ``tree`` (a model file's DataTree, as `annotate`
    writes it). Returns ``market, first_week, weeks, lpd``."""
    post = tree["posterior"].to_dataset()
    const = tree["constant_data"].to_dataset()
    markets = [str(m) for m in post["market"].to_numpy()]
    unknown = sorted(set(future["market"]) - set(markets))
    if unknown:
        raise ValueError(f"markets {unknown} are not in the fitted model")
    idx = const["market_idx"].to_numpy()
    t = const["t"].to_numpy()
    y = const["y_log"].to_numpy()
    weeks_obs = pd.to_datetime(const["week_start"].to_numpy())
    origin = weeks_obs.max()
    if (pd.to_datetime(future["week_start"]) <= origin).any():
        raise ValueError(f"future weeks must come after the fit's latest week {origin.date()}")
    cps = const["changepoint_t"].to_numpy()
    launch_t = const["launch_t"].to_numpy() if "launch_t" in const else None
    order = const["fourier_x"].shape[1] // 2
    phi = _stack(post, "phi") if "phi" in post else np.zeros((1, 1))
    phi = phi.reshape(phi.shape[0], -1)
    sigma = _stack(post, "sigma_market")
    nu = _stack(post, "nu") if "nu" in post else None
    n_s = sigma.shape[0]
    rows = []
    for market, block in future.sort_values("week_start").groupby("market", sort=True):
        m = markets.index(str(market))
        mine = np.flatnonzero(idx == m)
        last = mine[np.argmax(t[mine])]
        dates = pd.DatetimeIndex(
            [weeks_obs[last], *pd.to_datetime(block["week_start"])]
        )  # the market's latest fitted week, then the block
        tt = np.concatenate([[t[last]], (dates[1:] - origin).days / 365.25])
        k = np.full(len(dates), m)
        mu = mean_at(
            post,
            k,
            tt,
            fourier_terms(dates, order),
            cps,
            holiday_weeks(dates),
            np.zeros(len(dates)),  # a fit made before the lockdown knows nothing of it
            launch_t,
        )  # (sample, 1 + weeks)
        obs = np.concatenate([[y[last]], block["y"].to_numpy(dtype=float)])
        linked = np.diff(dates.to_numpy()) == np.timedelta64(7, "D")
        p = phi[:, m if phi.shape[1] > 1 else 0][:, None]
        loc = mu[:, 1:] + p * linked[None, :] * (obs[None, :-1] - mu[:, :-1])
        scale = sigma[:, m][:, None]
        if nu is not None:
            ll = stats.t.logpdf(obs[None, 1:], nu[:, None], loc=loc, scale=scale)
        else:
            ll = stats.norm.logpdf(obs[None, 1:], loc=loc, scale=scale)
        lpd = float(special.logsumexp(ll.sum(axis=1)) - np.log(n_s))
        rows.append(
            {"market": str(market), "first_week": dates[1], "weeks": len(block), "lpd": lpd}
        )
    return pd.DataFrame(rows)


def origins(last: pd.Timestamp, weeks_before_end: list[int]) -> list[pd.Timestamp]:
    """The refit origins, each ``weeks_before_end`` weeks before the panel's latest week."""
    if any(w <= 0 for w in weeks_before_end):
        raise ValueError(f"origins must lie before the latest week, got {weeks_before_end}")
    return sorted(pd.Timestamp(last) - pd.Timedelta(weeks=int(w)) for w in weeks_before_end)


def future_block(
    panel: pd.DataFrame, markets: list[str], origin: pd.Timestamp, block_weeks: int
) -> pd.DataFrame:
    """The observed weeks of ``markets`` in the ``block_weeks`` weeks after ``origin``."""
    end = origin + pd.Timedelta(weeks=block_weeks)
    keep = panel["market"].isin(markets) & panel["week_start"].gt(origin)
    keep &= panel["week_start"].le(end)
    return panel.loc[keep, ["market", "week_start", "y"]].reset_index(drop=True)


def compare(pointwise: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Models ranked by their summed block scores (``elpd_lfo``) on the same market-blocks,
    best first; ``elpd_diff`` and its standard error against the best from the paired block
    differences, as for LOO (`validation.compare_elpd`)."""
    from musicmarkets import validation

    scored = {n: p.rename(columns={"lpd": "elpd_lfo"}) for n, p in pointwise.items()}
    table = validation.compare_elpd(scored, "elpd_lfo", ("origin", "market"))
    table["blocks"] = len(next(iter(pointwise.values())))
    return table


def refit_and_score(
    panel: pd.DataFrame,
    modelled: list[str],
    origin: pd.Timestamp,
    block_weeks: int,
    variant: str,
    setup: Any,
    seed: int,
    min_weeks: int = 26,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One exact refit: ``variant`` of the consumption model on the weeks up to ``origin``
    (markets with at least ``min_weeks`` weeks by then), judged by the production gates, and
    each market's block of the next ``block_weeks`` weeks scored (`block_log_density`).

    ``panel`` holds ``y`` (log streams per person); ``setup`` the production settings
    (`backtest.RefitSetup`). Returns the scores (``origin, market, first_week, weeks, lpd``)
    and the refit's convergence record."""
    from musicmarkets import backtest

    train, present = backtest.training_weeks(panel, modelled, origin, min_weeks)
    _, tree, conv = backtest.refit(train, present, setup, seed, variant)
    future = future_block(panel, present, origin, block_weeks)
    scores = block_log_density(tree, future).assign(origin=origin)
    record = {"variant": variant, "origin": str(origin.date()), **conv}
    return scores[["origin", "market", "first_week", "weeks", "lpd"]], record
