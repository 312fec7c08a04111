"""Hierarchical model of weekly chart consumption per capita across markets.

For market m and week t (time in years from the panel's centre, ``x_t`` yearly Fourier terms)::

    mu[m, t]   = level[m] + trend[m] * t + season[m, :] @ x_t
    y[m, t]    = log(top-200 streams per capita)
    y[m, t]    ~ StudentT(nu, mu[m, t] + phi * (y[m, t-1] - mu[m, t-1]), sigma[m])

``level``, ``trend`` and ``season`` are partially pooled across markets (normal populations with
learned spread); the AR(1) term absorbs week-to-week persistence so that the trend's interval is
not overconfident; the Student-t likelihood keeps release-week spikes and holidays from dragging
the trend. The AR term is used only where the previous week of the same market was observed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm

from musicmarkets.config import ParamsBlock

PARAMETERIZATIONS = ("centred", "non_centred")


@dataclass(frozen=True)
class Priors(ParamsBlock):
    """Prior scales, declared in params.yaml (``fit.priors``), on the log-per-capita scale."""

    level_mu_mean: float = 0.0
    level_mu_sd: float = 2.0
    level_sigma: float = 1.0
    trend_mu_sd: float = 0.5
    trend_sigma: float = 0.3
    season_sd: float = 0.2
    season_sigma: float = 0.1
    noise_sigma: float = 0.2
    nu_alpha: float = 2.0
    nu_beta: float = 0.1
    block = "prior"

    def validate(self) -> None:
        for f in fields(self):
            if f.name != "level_mu_mean" and not getattr(self, f.name) > 0:
                raise ValueError(f"prior {f.name} must be > 0, got {getattr(self, f.name)}")


@dataclass(frozen=True)
class ModelData:
    """Arrays the model is built from, in long format (one row per observed market-week)."""

    markets: list[str]
    market_idx: np.ndarray
    week_start: np.ndarray
    t: np.ndarray
    fourier: np.ndarray
    y: np.ndarray
    prev_idx: np.ndarray
    origin: pd.Timestamp

    @property
    def n_obs(self) -> int:
        return len(self.y)


def fourier_terms(dates: pd.DatetimeIndex | pd.Series, order: int) -> np.ndarray:
    """Yearly Fourier basis (sin, cos pairs) of day-of-year, shape (n, 2 * order)."""
    doy = pd.DatetimeIndex(dates).day_of_year.to_numpy(dtype=float)
    angle = 2 * np.pi * doy / 365.25
    cols = []
    for k in range(1, order + 1):
        cols += [np.sin(k * angle), np.cos(k * angle)]
    return np.column_stack(cols) if cols else np.zeros((len(doy), 0))


def markets_to_model(panel: pd.DataFrame, markets: str | list[str], reference: str) -> list[str]:
    """``"all"``: every country in the panel (not the reference chart); else the given list."""
    if markets == "all":
        return sorted(set(panel["market"]) - {reference})
    return list(markets)


def prepare(panel: pd.DataFrame, markets: list[str], fourier_order: int) -> ModelData:
    """Model arrays from the market-week panel for the given markets (rows with a population)."""
    missing = sorted(set(markets) - set(panel["market"]))
    if missing:
        raise ValueError(f"markets {missing} are not in the panel")
    df = panel[panel["market"].isin(markets) & panel["streams_per_capita"].gt(0)].copy()
    if df.empty:
        raise ValueError("no market-week with a positive streams per capita to model")
    df = df.sort_values(["market", "week_start"], ignore_index=True)
    order = [m for m in markets if m in set(df["market"])]
    df["market_idx"] = df["market"].map({m: i for i, m in enumerate(order)})
    weeks = df["week_start"]
    origin = weeks.min() + (weeks.max() - weeks.min()) / 2
    t = ((weeks - origin).dt.days / 365.25).to_numpy()
    prev = np.full(len(df), -1, dtype="int64")
    same_market = df["market_idx"].to_numpy()[1:] == df["market_idx"].to_numpy()[:-1]
    one_week = (weeks.to_numpy()[1:] - weeks.to_numpy()[:-1]) == np.timedelta64(7, "D")
    linked = np.flatnonzero(same_market & one_week) + 1
    prev[linked] = linked - 1
    return ModelData(
        markets=order,
        market_idx=df["market_idx"].to_numpy(dtype="int64"),
        week_start=weeks.to_numpy(),
        t=t,
        fourier=fourier_terms(weeks, fourier_order),
        y=np.log(df["streams_per_capita"].to_numpy()),
        prev_idx=prev,
        origin=pd.Timestamp(origin),
    )


COMPONENTS = ("level", "trend", "season")


def parameterization_of(value: str | dict[str, str]) -> dict[str, str]:
    """One form for every pooled component, or a dict naming the form of each."""
    form = dict.fromkeys(COMPONENTS, value) if isinstance(value, str) else dict(value)
    if set(form) != set(COMPONENTS):
        raise ValueError(f"parameterization needs exactly {COMPONENTS}, got {sorted(form)}")
    bad = {k: v for k, v in form.items() if v not in PARAMETERIZATIONS}
    if bad:
        raise ValueError(f"parameterization must be one of {PARAMETERIZATIONS}, got {bad}")
    return form


def _pooled(name: str, mu: Any, sigma: Any, dims: tuple[str, ...], form: str) -> Any:
    """A partially pooled vector: centred ``Normal(mu, sigma)`` or non-centred ``mu + sigma * z``."""
    if form == "centred":
        return pm.Normal(name, mu, sigma, dims=dims)
    z = pm.Normal(f"z_{name}", 0.0, 1.0, dims=dims)
    return pm.Deterministic(name, mu + sigma * z, dims=dims)


def build_model(
    data: ModelData,
    priors: Priors,
    parameterization: str | dict[str, str] = "centred",
    ar1: bool = True,
) -> pm.Model:
    """The hierarchical consumption model (see the module docstring).

    ``parameterization`` is ``"centred"``, ``"non_centred"`` or a dict giving the form of
    ``level``, ``trend`` and ``season`` separately: choose it by diagnostics
    (benchmarks/bench_samplers.py compares them).
    """
    form = parameterization_of(parameterization)
    n_f = data.fourier.shape[1]
    coords = {
        "market": data.markets,
        "fourier": [f"{fn}{k}" for k in range(1, n_f // 2 + 1) for fn in ("sin", "cos")],
        "obs": np.arange(data.n_obs),
    }
    p = priors
    with pm.Model(coords=coords) as model:
        market_idx = pm.Data("market_idx", data.market_idx, dims="obs")
        t = pm.Data("t", data.t, dims="obs")
        x = pm.Data("fourier_x", data.fourier, dims=("obs", "fourier"))
        has_prev = pm.Data("has_prev", (data.prev_idx >= 0).astype("float64"), dims="obs")
        prev_idx = pm.Data("prev_idx", np.maximum(data.prev_idx, 0), dims="obs")

        level_mu = pm.Normal("level_mu", p.level_mu_mean, p.level_mu_sd)
        level_sigma = pm.HalfNormal("level_sigma", p.level_sigma)
        trend_mu = pm.Normal("trend_mu", 0.0, p.trend_mu_sd)
        trend_sigma = pm.HalfNormal("trend_sigma", p.trend_sigma)
        season_mu = pm.Normal("season_mu", 0.0, p.season_sd, dims="fourier")
        season_sigma = pm.HalfNormal("season_sigma", p.season_sigma)
        level = _pooled("level_market", level_mu, level_sigma, ("market",), form["level"])
        trend = _pooled("trend_market", trend_mu, trend_sigma, ("market",), form["trend"])
        season = _pooled(
            "season_market", season_mu, season_sigma, ("market", "fourier"), form["season"]
        )
        sigma = pm.HalfNormal("sigma_market", p.noise_sigma, dims="market")
        nu = pm.Gamma("nu", p.nu_alpha, p.nu_beta)

        mu = level[market_idx] + trend[market_idx] * t + (season[market_idx] * x).sum(axis=-1)
        y_obs = pm.Data("y_log", data.y, dims="obs")
        if ar1:
            phi = pm.Uniform("phi", -0.99, 0.99)
            mu = mu + phi * has_prev * (y_obs[prev_idx] - mu[prev_idx])
        pm.StudentT("y", nu=nu, mu=mu, sigma=sigma[market_idx], observed=data.y, dims="obs")
    return model


def annotate(tree: Any, data: ModelData) -> Any:
    """Attach what reports need to read a fit without the panel: each observation's week and
    market code, and the time origin (so ``t`` can be turned back into dates)."""
    const = tree["constant_data"].to_dataset()
    const["week_start"] = ("obs", data.week_start.astype("datetime64[ns]"))
    const["market_code"] = ("obs", np.asarray(data.markets)[data.market_idx].astype(str))
    const.attrs["time_origin"] = data.origin.isoformat()
    tree["constant_data"] = const
    return tree


def structural_mean(posterior: Any, constant: Any) -> np.ndarray:
    """Posterior draws of level + trend + season per observation, shape (chain*draw, obs).

    ``posterior`` and ``constant`` are xarray Datasets of a fitted model's posterior and
    constant_data groups.
    """
    idx = constant["market_idx"].to_numpy()
    t = constant["t"].to_numpy()
    x = constant["fourier_x"].to_numpy()
    stack = {
        k: posterior[k].stack(sample=("chain", "draw")).transpose("sample", ...).to_numpy()
        for k in ("level_market", "trend_market", "season_market")
    }
    return (
        stack["level_market"][:, idx]
        + stack["trend_market"][:, idx] * t
        + np.einsum("sof,of->so", stack["season_market"][:, idx, :], x)
    )
