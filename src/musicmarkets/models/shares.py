"""Hierarchical models of shares of streams per market over time.

*One share* (local repertoire, hit concentration): logistic-normal with AR(1) residuals::

    mean[m, t] = a[m] + b[m] * t + sum_k delta[m, k] * min(t - c_k, 0) + h[m] * december[t]
    logit(s[m, t]) ~ Normal(mean[m, t] + phi * (logit(s[m, t-1]) - mean[m, t-1]), sigma[m])

*Genre mix*: a logistic composition over the ``top`` genres (families of chart labels, see
``group_genres``) plus "Other", written as additive log-ratios against "Other", with the same
terms per genre. The weekly noise is each category's own (``e[g] - e[Other]`` on the
log-ratios: a big week for Other moves every ratio at once), scaled per week by one Student-t
factor (a release week moves the whole mix): multivariate Student-t with scale matrix
``diag(sigma^2) + sigma_other^2``. (Student-t noise of each log-ratio on its own, with its
degrees of freedom estimated or fixed at 5, had sampled the genre model for more than 12
minutes against 3.3 for normal noise; one factor per week samples in about 13.5 minutes against
9 for normal noise, with ELPD-LOO about 1,350 higher: docs/model.md.) Slope changes summing to
zero over all six categories, and AR(1) persistence per market and genre, were tried and not
kept (R-hat 1.011 each, 500 draws).

``a``, ``b`` and ``h`` are partially pooled across markets (non-centred); the slope changes
``delta`` at changepoints ``c_k`` every ``changepoint_weeks`` up to the last weeks are shrunk
towards zero, so the trend can bend where the data bend, up to today. Time ``t`` is in years,
0 at the panel's latest week. December weeks (Christmas music) get their own shift.

What the reports publish is checked against the data (``musicmarkets.models.share_summary``):
the share *now* is the posterior predictive distribution of the mean share over a market's last
``recent_weeks`` observed weeks (noise included), and a *shift* runs from the same mean over the
market's first ``recent_weeks`` weeks outside December (a baseline that is not a holiday) to now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from musicmarkets.params import ParamsBlock

OTHER = "Other"


@dataclass(frozen=True)
class SharePriors(ParamsBlock):
    """``shares.priors`` in params.yaml, on the logit (log-ratio) scale; time in years."""

    a_mu_sd: float
    a_sigma: float
    b_mu_sd: float
    b_sigma: float
    changepoint_sd: float
    holiday_mu_sd: float
    holiday_sigma: float
    noise_sigma: float
    phi_max: float  # the AR(1) coefficient's uniform prior: -phi_max to phi_max
    nu_alpha: float  # the genre mix's weekly noise: Student-t degrees of freedom ~ Gamma
    nu_beta: float
    block = "shares.priors"
    path = "shares.priors"

    def validate(self) -> None:
        bad = [k for k, v in vars(self).items() if not v > 0]
        if bad:
            raise ValueError(f"shares.priors: {bad} must be > 0")
        if not self.phi_max < 1:
            raise ValueError(f"shares.priors: phi_max must be < 1 (stationary), not {self.phi_max}")


def december(dates: np.ndarray) -> np.ndarray:
    """1.0 for chart weeks that start in December (the holiday-music weeks)."""
    return (pd.DatetimeIndex(dates).month == 12).astype(float)


def share_changepoints(t: np.ndarray, every_weeks: int, keep_weeks: int = 8) -> np.ndarray:
    """Changepoints every ``every_weeks`` from the start up to ``keep_weeks`` before the latest
    week: nothing is frozen at the end of the history (the shrinkage prior keeps them small).
    (Counting them back from the recent window, so that one opens it, was tried: each of three
    runs with it, two also with Student-t noise and one on a busy machine, sampled the genre
    model for more than 12 minutes, against 3.3 minutes measured without it. Tried again on
    2026-12-05 with the production sampler, normal noise and a changepoint 8 weeks before the
    end, to bring Spain's last 8 weeks inside: 695 s of sampling, 1,000 divergent transitions,
    R-hat 3.4. Not kept.)"""
    step = every_weeks * 7 / 365.25
    last = t.max() - keep_weeks * 7 / 365.25
    return np.arange(t.min() + step, last, step)


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
    changepoints: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def holiday(self) -> np.ndarray:
        return december(self.week_start)

    @property
    def hinge(self) -> np.ndarray:
        return np.minimum(self.t[:, None] - self.changepoints[None, :], 0.0)


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


def prepare_share(
    panel: pd.DataFrame, column: str, markets: list[str], floor: float, changepoint_weeks: int
) -> ShareData:
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
        share_changepoints(t, changepoint_weeks),
    )


def group_genres(shares: pd.DataFrame, families: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Genre shares with the labels of one family of music summed under the family's name
    (``shares.genre_families`` in params.yaml); a label in no family keeps its own name.

    The charts' genre labels split some families by artist: Spain's Latin streams fall under
    Urbano latino, Latino and Pop Latino, and a listener moving from one of those to another
    is not a shift in what a market plays."""
    family_of: dict[str, str] = {}
    for family, labels in families.items():
        for label in labels:
            if label in family_of:
                raise ValueError(
                    f"shares.genre_families: {label!r} is in both {family_of[label]!r} "
                    f"and {family!r}"
                )
            family_of[label] = family
    genre = shares["genre"].astype(str)
    out = shares.assign(genre=genre.map(lambda g: family_of.get(g, g)))
    keys = ["market", "week_start", "genre"]
    return out.groupby(keys, as_index=False, sort=True)["share"].sum()


def top_genres(shares: pd.DataFrame, top: int) -> list[str]:
    """The ``top`` genres by mean share over market-weeks (every market weighs the same)."""
    mean = (
        shares.groupby(["market", "genre"], observed=True)["share"].mean().groupby("genre").mean()
    )
    return mean.sort_values(ascending=False).index[:top].tolist()


def prepare_genres(
    shares: pd.DataFrame,
    markets: list[str],
    top: int,
    floor: float,
    changepoint_weeks: int,
    families: Mapping[str, Sequence[str]] | None = None,
) -> ShareData:
    """Genre composition per market-week: ``top`` genres (or families of genres, see
    ``group_genres``) and Other, as log-ratios to Other."""
    if families:
        shares = group_genres(shares, families)
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
        share_changepoints(t, changepoint_weeks),
    )


def build_share_model(d: ShareData, p: SharePriors) -> pm.Model:
    """Hierarchical logistic-normal trend model of one share with AR(1) residuals."""
    coords = {
        "market": d.markets,
        "obs": np.arange(len(d.y)),
        "changepoint": np.arange(len(d.changepoints)),
    }
    with pm.Model(coords=coords) as model:
        idx = pm.Data("market_idx", d.market_idx, dims="obs")
        t = pm.Data("t", d.t, dims="obs")
        a_mu = pm.Normal("a_mu", 0.0, p.a_mu_sd)
        a_sigma = pm.HalfNormal("a_sigma", p.a_sigma)
        b_mu = pm.Normal("b_mu", 0.0, p.b_mu_sd)
        b_sigma = pm.HalfNormal("b_sigma", p.b_sigma)
        h_mu = pm.Normal("h_mu", 0.0, p.holiday_mu_sd)
        h_sigma = pm.HalfNormal("h_sigma", p.holiday_sigma)
        a = pm.Deterministic(
            "a", a_mu + a_sigma * pm.Normal("z_a", 0, 1, dims="market"), dims="market"
        )
        b = pm.Deterministic(
            "b", b_mu + b_sigma * pm.Normal("z_b", 0, 1, dims="market"), dims="market"
        )
        h = pm.Deterministic(
            "h", h_mu + h_sigma * pm.Normal("z_h", 0, 1, dims="market"), dims="market"
        )
        delta = pm.Normal("delta", 0.0, p.changepoint_sd, dims=("market", "changepoint"))
        sigma = pm.HalfNormal("sigma", p.noise_sigma, dims="market")
        phi = pm.Uniform("phi", -p.phi_max, p.phi_max)
        mean = a[idx] + b[idx] * t + h[idx] * d.holiday + (delta[idx] * d.hinge).sum(axis=-1)
        has_prev = (d.prev_idx >= 0).astype(float)
        prev = np.maximum(d.prev_idx, 0)
        y = pm.Data("y_logit", d.y, dims="obs")
        mu = mean + phi * has_prev * (y[prev] - mean[prev])
        pm.Normal("y", mu=mu, sigma=sigma[idx], observed=d.y, dims="obs")
    return model


def build_genre_model(d: ShareData, p: SharePriors) -> pm.Model:
    """Hierarchical logistic-normal model of the genre composition (log-ratios to Other)."""
    coords = {
        "market": d.markets,
        "genre": d.categories,
        "obs": np.arange(len(d.y)),
        "changepoint": np.arange(len(d.changepoints)),
    }
    with pm.Model(coords=coords) as model:
        idx = pm.Data("market_idx", d.market_idx, dims="obs")
        t = pm.Data("t", d.t, dims="obs")
        a_mu = pm.Normal("a_mu", 0.0, p.a_mu_sd, dims="genre")
        a_sigma = pm.HalfNormal("a_sigma", p.a_sigma, dims="genre")
        b_mu = pm.Normal("b_mu", 0.0, p.b_mu_sd, dims="genre")
        b_sigma = pm.HalfNormal("b_sigma", p.b_sigma, dims="genre")
        h_mu = pm.Normal("h_mu", 0.0, p.holiday_mu_sd, dims="genre")
        h_sigma = pm.HalfNormal("h_sigma", p.holiday_sigma, dims="genre")
        mg = ("market", "genre")
        a = pm.Deterministic("a", a_mu + a_sigma * pm.Normal("z_a", 0, 1, dims=mg), dims=mg)
        b = pm.Deterministic("b", b_mu + b_sigma * pm.Normal("z_b", 0, 1, dims=mg), dims=mg)
        h = pm.Deterministic("h", h_mu + h_sigma * pm.Normal("z_h", 0, 1, dims=mg), dims=mg)
        delta = pm.Normal("delta", 0.0, p.changepoint_sd, dims=("market", "genre", "changepoint"))
        # noise per market and genre: a small market's genre shares jump more from week to week
        sigma = pm.HalfNormal("sigma", p.noise_sigma, dims=("market", "genre"))
        phi = pm.Uniform("phi", -p.phi_max, p.phi_max, dims="genre")
        mean = (
            a[idx]
            + b[idx] * t[:, None]
            + h[idx] * d.holiday[:, None]
            + (delta[idx] * d.hinge[:, None, :]).sum(axis=-1)
        )
        # Other's own weekly noise moves every log-ratio at once (a big release in Other lowers
        # them all): log-ratio noise is e[g] - e[Other], covariance diag(sigma^2) + sigma_other^2
        sigma_other = pm.HalfNormal("sigma_other", p.noise_sigma, dims="market")
        # a release week moves the whole mix: the week's noise is multivariate Student-t
        nu = pm.Gamma("nu", p.nu_alpha, p.nu_beta)
        has_prev = (d.prev_idx >= 0).astype(float)[:, None]
        prev = np.maximum(d.prev_idx, 0)
        y = pm.Data("y_alr", d.y, dims=("obs", "genre"))
        mu = mean + phi * has_prev * (y[prev] - mean[prev])
        pm.CustomDist(
            "y",
            mu,
            sigma[idx],
            sigma_other[idx],
            nu,
            logp=_ratio_logp,
            random=_ratio_random,
            signature="(g),(g),(),()->(g)",
            observed=d.y,
            dims=("obs", "genre"),
        )
    return model


def _ratio_logp(value: Any, mu: Any, sigma: Any, sigma_other: Any, nu: Any) -> Any:
    """Log density of log-ratios whose noise is ``e[g] - e[Other]`` with independent normal
    ``e`` scaled by one Student-t factor per week: multivariate Student-t with ``nu`` degrees
    of freedom and scale matrix ``diag(sigma^2) + sigma_other^2`` everywhere, evaluated without
    a matrix per week. (A release week, say Taylor Swift's folklore at 36% of the US's streams,
    moves every genre's share at once; with normal noise the US's last 8 weeks fell outside
    their interval and LOO was about 1,300 lower.)

    With weights ``w = 1 / sigma^2`` and their weighted mean ``m`` of the residuals ``x``, the
    quadratic form is ``sum(w (x - m)^2) + m^2 / (1 / sum(w) + sigma_other^2)``. The textbook
    Woodbury form, ``sum(w x^2) - sigma_other^2 (sum(w x))^2 / (1 + sigma_other^2 sum(w))``,
    subtracts two numbers of size ``w`` when one genre's noise scale nears 0 (a direction the
    likelihood leaves flat, since Other's noise can take that genre's place): at a scale of 1e-6
    its gradient was off by five orders of magnitude, and a chain that wandered there in warm-up
    never came back (step size 0, all draws one point: R-hat 1.53 on one CPU, 1.006 on another
    with the same seed). This form has no such subtraction."""
    x = value - mu
    w = sigma**-2
    total = w.sum(axis=-1)
    m = (w * x).sum(axis=-1) / total
    s2 = sigma_other**2
    quad = (w * (x - m[..., None]) ** 2).sum(axis=-1) + m**2 / (1.0 / total + s2)
    logdet = 2.0 * pt.log(sigma).sum(axis=-1) + pt.log1p(s2 * total)
    k = pt.cast(x.shape[-1], "float64")
    norm = pt.gammaln((nu + k) / 2) - pt.gammaln(nu / 2) - 0.5 * k * pt.log(nu * np.pi)
    return norm - 0.5 * logdet - 0.5 * (nu + k) * pt.log1p(quad / nu)


def _ratio_random(
    mu: np.ndarray,
    sigma: np.ndarray,
    sigma_other: np.ndarray,
    nu: np.ndarray,
    rng: np.random.Generator | None = None,
    size: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Draws from ``_ratio_logp``'s distribution."""
    rng = rng if rng is not None else np.random.default_rng()
    s_o = np.asarray(sigma_other)[..., None]
    shape = np.broadcast_shapes(np.shape(mu), np.shape(sigma), s_o.shape)
    if size:
        shape = tuple(size) + shape[-1:] if len(size) < len(shape) else tuple(size)
    return mu + ratio_noise(sigma, sigma_other, nu, shape, rng)


def ratio_noise(
    sigma: np.ndarray,
    sigma_other: np.ndarray,
    nu: np.ndarray,
    shape: tuple[int, ...],
    rng: np.random.Generator,
) -> np.ndarray:
    """Draws of the genre mix's weekly noise on the log-ratios (``shape``: (..., genre)):
    ``e[g] - e[Other]`` with normal ``e``, the week's draw scaled by ``sqrt(nu / chi2(nu))``."""
    s_o = np.asarray(sigma_other)[..., None]
    other = rng.standard_normal(shape[:-1] + (1,)) * s_o
    normal = sigma * rng.standard_normal(shape) - other
    nu = np.broadcast_to(np.asarray(nu, dtype=float), shape[:-1])
    return normal * np.sqrt(nu / rng.chisquare(nu))[..., None]
