"""Hierarchical models of shares of streams per market over time.

*One share* (local repertoire, hit concentration): logistic-normal with AR(1) residuals::

    logit(s[m, t]) ~ Normal(a[m] + b[m] * t + phi * (logit(s[m, t-1]) - mean[m, t-1]), sigma[m])

*Genre mix*: a logistic-normal composition over the ``top`` genres plus "Other", written as
additive log-ratios against "Other"::

    log(s[m, t, k] / s[m, t, Other]) ~ Normal(a[m, k] + b[m, k] * t, sigma[k])

``a`` and ``b`` are partially pooled across markets (non-centred). Time ``t`` is in years, 0 at
the panel's latest week. A shift is reported in share points: the model's share at the latest
week minus its share at the market's first week, draw by draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm

from musicmarkets.config import ParamsBlock

OTHER = "Other"


@dataclass(frozen=True)
class ShareSettings(ParamsBlock):
    """``shares`` block of params.yaml."""

    genres_top: int = 5
    floor: float = 0.002  # shares below this are set to it before the log-ratio
    block = "shares"


@dataclass(frozen=True)
class ShareData:
    markets: list[str]
    market_idx: np.ndarray
    week_start: np.ndarray
    t: np.ndarray
    y: np.ndarray  # logit share (1-d) or log-ratios (obs, k)
    prev_idx: np.ndarray
    first_t: np.ndarray  # per market
    categories: list[str]  # genres (log-ratio components); empty for one share


def _index(df: pd.DataFrame, markets: list[str]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    df = df[df["market"].isin(markets)].sort_values(["market", "week_start"], ignore_index=True)
    order = [m for m in markets if m in set(df["market"])]
    df["market_idx"] = df["market"].map({m: i for i, m in enumerate(order)})
    end = df["week_start"].max()
    t = ((df["week_start"] - end).dt.days / 365.25).to_numpy()
    prev = np.full(len(df), -1, dtype="int64")
    same = df["market_idx"].to_numpy()[1:] == df["market_idx"].to_numpy()[:-1]
    step = (df["week_start"].to_numpy()[1:] - df["week_start"].to_numpy()[:-1]) == np.timedelta64(
        7, "D"
    )
    linked = np.flatnonzero(same & step) + 1
    prev[linked] = linked - 1
    return df, t, prev


def prepare_share(panel: pd.DataFrame, column: str, markets: list[str], floor: float) -> ShareData:
    """One share column of the market-week panel (weeks where it is known)."""
    df = panel.dropna(subset=[column])
    df, t, prev = _index(df, markets)
    if df.empty:
        raise ValueError(f"no market-week has a value of {column!r} for {markets}")
    s = df[column].clip(floor, 1 - floor).to_numpy(dtype=float)
    order = list(dict.fromkeys(df["market"]))
    idx = df["market_idx"].to_numpy()
    return ShareData(
        order,
        idx,
        df["week_start"].to_numpy(),
        t,
        np.log(s / (1 - s)),
        prev,
        np.array([t[idx == i].min() for i in range(len(order))]),
        [],
    )


def top_genres(shares: pd.DataFrame, top: int) -> list[str]:
    """The ``top`` genres by mean share over market-weeks (every market weighs the same)."""
    mean = (
        shares.groupby(["market", "genre"], observed=True)["share"].mean().groupby("genre").mean()
    )
    return mean.sort_values(ascending=False).index[:top].tolist()


def prepare_genres(shares: pd.DataFrame, markets: list[str], top: int, floor: float) -> ShareData:
    """Genre composition per market-week: ``top`` genres and Other, as log-ratios to Other."""
    genres = top_genres(shares[shares["market"].isin(markets)], top)
    wide = shares.pivot_table(
        index=["market", "week_start"],
        columns="genre",
        values="share",
        fill_value=0.0,
        observed=True,
    )
    comp = wide.reindex(columns=genres, fill_value=0.0)
    comp[OTHER] = (1.0 - comp.sum(axis=1)).clip(lower=0.0)
    comp = comp.clip(lower=floor)
    comp = comp.div(comp.sum(axis=1), axis=0)
    df = comp.reset_index()
    df, t, prev = _index(df, markets)
    if df.empty:
        raise ValueError(f"no genre shares for {markets}")
    y = np.log(df[genres].to_numpy() / df[[OTHER]].to_numpy())
    order = list(dict.fromkeys(df["market"]))
    idx = df["market_idx"].to_numpy()
    return ShareData(
        order,
        idx,
        df["week_start"].to_numpy(),
        t,
        y,
        prev,
        np.array([t[idx == i].min() for i in range(len(order))]),
        genres,
    )


def build_share_model(d: ShareData) -> pm.Model:
    """Hierarchical logistic-normal trend model of one share with AR(1) residuals."""
    coords = {"market": d.markets, "obs": np.arange(len(d.y))}
    with pm.Model(coords=coords) as model:
        idx = pm.Data("market_idx", d.market_idx, dims="obs")
        t = pm.Data("t", d.t, dims="obs")
        a_mu = pm.Normal("a_mu", 0.0, 2.0)
        a_sigma = pm.HalfNormal("a_sigma", 1.5)
        b_mu = pm.Normal("b_mu", 0.0, 0.5)
        b_sigma = pm.HalfNormal("b_sigma", 0.5)
        a = pm.Deterministic(
            "a", a_mu + a_sigma * pm.Normal("z_a", 0, 1, dims="market"), dims="market"
        )
        b = pm.Deterministic(
            "b", b_mu + b_sigma * pm.Normal("z_b", 0, 1, dims="market"), dims="market"
        )
        sigma = pm.HalfNormal("sigma", 0.5, dims="market")
        phi = pm.Uniform("phi", -0.99, 0.99)
        mean = a[idx] + b[idx] * t
        has_prev = (d.prev_idx >= 0).astype(float)
        prev = np.maximum(d.prev_idx, 0)
        y = pm.Data("y_logit", d.y, dims="obs")
        mu = mean + phi * has_prev * (y[prev] - mean[prev])
        pm.Normal("y", mu, sigma[idx], observed=d.y, dims="obs")
    return model


def build_genre_model(d: ShareData) -> pm.Model:
    """Hierarchical logistic-normal model of the genre composition (log-ratios to Other)."""
    coords = {"market": d.markets, "genre": d.categories, "obs": np.arange(len(d.y))}
    with pm.Model(coords=coords) as model:
        idx = pm.Data("market_idx", d.market_idx, dims="obs")
        t = pm.Data("t", d.t, dims="obs")
        a_mu = pm.Normal("a_mu", 0.0, 2.0, dims="genre")
        a_sigma = pm.HalfNormal("a_sigma", 1.5, dims="genre")
        b_mu = pm.Normal("b_mu", 0.0, 0.5, dims="genre")
        b_sigma = pm.HalfNormal("b_sigma", 0.5, dims="genre")
        a = pm.Deterministic(
            "a",
            a_mu + a_sigma * pm.Normal("z_a", 0, 1, dims=("market", "genre")),
            dims=("market", "genre"),
        )
        b = pm.Deterministic(
            "b",
            b_mu + b_sigma * pm.Normal("z_b", 0, 1, dims=("market", "genre")),
            dims=("market", "genre"),
        )
        sigma = pm.HalfNormal("sigma", 1.0, dims="genre")
        phi = pm.Uniform("phi", -0.99, 0.99, dims="genre")
        mean = a[idx] + b[idx] * t[:, None]
        has_prev = (d.prev_idx >= 0).astype(float)[:, None]
        prev = np.maximum(d.prev_idx, 0)
        y = pm.Data("y_alr", d.y, dims=("obs", "genre"))
        mu = mean + phi * has_prev * (y[prev] - mean[prev])
        pm.Normal("y", mu, sigma, observed=d.y, dims=("obs", "genre"))
    return model


def _draws(posterior: Any, name: str) -> np.ndarray:
    """(chain*draw, ...) array of a posterior variable (zero-size dimensions allowed)."""
    da = posterior[name].transpose("chain", "draw", ...)
    arr = da.to_numpy()
    return arr.reshape(arr.shape[0] * arr.shape[1], *arr.shape[2:])


def share_shift(posterior: Any, d: ShareData, interval: float = 0.9) -> pd.DataFrame:
    """Per market: modelled share at its first and latest week and the shift in points."""
    a, b = _draws(posterior, "a"), _draws(posterior, "b")
    start = 1 / (1 + np.exp(-(a + b * d.first_t[None, :])))
    end = 1 / (1 + np.exp(-a))
    return _shift_table(d.markets, None, start, end, interval)


def genre_shift(posterior: Any, d: ShareData, interval: float = 0.9) -> pd.DataFrame:
    """Per market and genre (Other included): modelled share first vs latest week, in points."""
    a, b = _draws(posterior, "a"), _draws(posterior, "b")  # (sample, market, genre)

    def softmax(z: np.ndarray) -> np.ndarray:
        full = np.concatenate([z, np.zeros(z.shape[:-1] + (1,))], axis=-1)
        full = np.exp(full - full.max(axis=-1, keepdims=True))
        return full / full.sum(axis=-1, keepdims=True)

    start = softmax(a + b * d.first_t[None, :, None])
    end = softmax(a)
    frames = [
        _shift_table(d.markets, g, start[:, :, k], end[:, :, k], interval)
        for k, g in enumerate([*d.categories, OTHER])
    ]
    return pd.concat(frames, ignore_index=True)


def _shift_table(
    markets: list[str], category: str | None, start: np.ndarray, end: np.ndarray, interval: float
) -> pd.DataFrame:
    lo, hi = (1 - interval) / 2, (1 + interval) / 2
    shift = 100 * (end - start)  # share points
    out = pd.DataFrame(
        {
            "market": markets,
            "share_start": np.median(start, axis=0),
            "share_end": np.median(end, axis=0),
            "end_low": np.quantile(end, lo, axis=0),
            "end_high": np.quantile(end, hi, axis=0),
            "shift_pts": np.median(shift, axis=0),
            "shift_low": np.quantile(shift, lo, axis=0),
            "shift_high": np.quantile(shift, hi, axis=0),
            "p_up": (shift > 0).mean(axis=0),
        }
    )
    if category is not None:
        out.insert(1, "genre", category)
    return out
