"""Hierarchical model of weekly chart consumption per capita across markets.

Time ``t`` is in years and is 0 at the panel's latest week, so that ``level`` is today's
consumption and ``slope`` today's growth rate. For market m in region r(m)::

    y[m, t]   = log(top-200 streams per capita)
    mu[m, t]  = level[m] + trend[m](t) + season[m, :] @ fourier(t)
                + holiday[m, :] @ holiday_weeks(t) + shock[m] * lockdown(t) - launch[m](t)
    trend[m](t) = slope[m] * t + sum_j delta[m, j] * min(t - s_j, 0)        (changepoints s_j < 0)
    lockdown(t) = sigmoid((t - onset) / half_week) * exp(-max(t - onset, 0) / recovery)
    launch[m](t) = gap[m] * exp(-(t - launched[m]) / settle)     (markets launched in the data)
    y[m, t]   ~ StudentT(nu, mu[m, t] + phi[m] * (y[m, t-1] - mu[m, t-1]), sigma[m])

so the slope before changepoint ``s_j`` is ``slope[m] + delta[m, j] + ...`` (the deltas of every
later changepoint). Changepoints are counted back from the latest week (the last one
``changepoint_last_weeks`` before it), so today's slope rests on the latest weeks, not on a
stretch frozen years earlier; their deltas are shrunk towards zero. The 2020 lockdown is an
intervention whose onset (prior: ``shock_start``), size per market and recovery time are
estimated; it enters a fit only when the data reach its prior onset (a backtest refit before it
knows nothing of it). A market that launched inside the data (``launches``) starts below its
trend by ``gap[m]`` and closes the gap with time constant ``settle``; weeks that start before its
launch date are partial and are left out of the fit. Pooling (the ``hierarchical`` variant): ``level[m] = level_mu + beta @ x[m] +
e[m]`` with ``x[m]`` the market's standardised covariates (log GDP per person, internet use, log
population); ``slope[m]`` is pooled within its region and regions within the world (the region
layer sits on growth, where neighbours share a market's stage of adoption; on the level the
covariates already do that job and a region layer made the 8-market posterior a funnel); changepoint deltas, seasonality, holiday and lockdown effects are pooled across markets.
Regions are UN M49 sub-regions (or regions) from the country-codes file. A changepoint outside a
market's own weeks is switched off for it (its data cannot inform it).

Variants, compared by ELPD-LOO (`compare` stage): ``pooled`` (every market shares slope,
changepoints, seasonality, holiday and shock; each keeps its own level), ``unpooled`` (every
market on its own, fixed-scale priors, no covariates), ``no_covariates`` and ``normal``
(Gaussian likelihood). The AR(1) term is used only where the previous week of the same market
was observed; the Student-t likelihood keeps release-week spikes from dragging the trend.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from musicmarkets.config import ParamsBlock

if TYPE_CHECKING:
    import pymc as pm

PARAMETERIZATIONS = ("centred", "non_centred")
VARIANTS = ("hierarchical", "pooled", "unpooled", "no_covariates", "normal")
LIKELIHOODS = ("student_t", "normal")
COVARIATES = {
    "log_gdp_per_capita": lambda d: np.log(d["gdp_per_capita"]),
    "internet_share": lambda d: d["internet_users_pct"] / 100.0,
    "log_population": lambda d: np.log(d["population"]),
}


@dataclass(frozen=True)
class Priors(ParamsBlock):
    """Prior scales, declared in params.yaml (``fit.priors``), on the log-per-capita scale."""

    level_mu_mean: float
    level_mu_sd: float
    level_sigma: float
    beta_sd: float
    trend_mu_sd: float
    trend_sigma: float
    changepoint_sd: float
    changepoint_sigma: float
    season_sd: float
    season_sigma: float
    holiday_sd: float
    holiday_sigma: float
    shock_sd: float
    shock_sigma: float
    shock_onset_sd_weeks: float
    shock_recovery_weeks: float  # median of a log-normal prior
    shock_recovery_sd: float
    launch_sd: float
    launch_settle_weeks: float  # median of a log-normal prior
    launch_settle_sd: float
    noise_sigma: float
    nu_alpha: float
    nu_beta: float
    phi_mu_mean: float  # AR(1) persistence, pooled on the atanh scale
    phi_mu_sd: float
    phi_sigma: float
    block = "prior"
    path = "fit.priors"

    def validate(self) -> None:
        for f in fields(self):
            if f.name not in ("level_mu_mean", "phi_mu_mean") and not getattr(self, f.name) > 0:
                raise ValueError(f"prior {f.name} must be > 0, got {getattr(self, f.name)}")


@dataclass(frozen=True)
class Structure(ParamsBlock):
    """The model's terms (``fit.model`` in params.yaml)."""

    fourier_order: int
    ar1: bool
    changepoint_weeks: int
    changepoint_last_weeks: int
    holidays: bool
    shock_start: str | None
    launches: dict[str, str] | None
    covariates: tuple[str, ...]
    region_level: str
    likelihood: str
    block = "model"
    path = "fit.model"

    def __post_init__(self) -> None:
        object.__setattr__(self, "covariates", tuple(self.covariates))

    def validate(self) -> None:
        unknown = sorted(set(self.covariates) - set(COVARIATES))
        if unknown:
            raise ValueError(f"unknown covariates {unknown}; known: {sorted(COVARIATES)}")
        if self.region_level not in ("sub_region", "region"):
            raise ValueError(
                f"region_level must be sub_region or region, got {self.region_level!r}"
            )
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        if self.changepoint_weeks < 1 or self.changepoint_last_weeks < 1:
            raise ValueError("changepoint_weeks and changepoint_last_weeks must be >= 1")
        for market, day in (self.launches or {}).items():
            try:
                pd.Timestamp(day)
            except ValueError as err:
                raise ValueError(f"launches.{market}: {day!r} is not a date") from err
        if self.fourier_order < 0:
            raise ValueError("fourier_order must be >= 0")


@dataclass(frozen=True)
class ModelData:
    """Arrays the model is built from, in long format (one row per observed market-week)."""

    markets: list[str]
    regions: list[str]
    market_region: np.ndarray  # region index of each market
    covariate_names: list[str]
    x: np.ndarray  # (market, covariate), standardised across the markets modelled
    x_raw: pd.DataFrame  # the same before standardising, for readers
    market_idx: np.ndarray
    week_start: np.ndarray
    t: np.ndarray
    fourier: np.ndarray
    holiday: np.ndarray  # (obs, holiday): indicators of HOLIDAYS
    shock: np.ndarray  # 1.0 for weeks at or after the lockdown's prior onset
    changepoints: np.ndarray  # in years, on the t scale
    changepoint_mask: np.ndarray  # (market, changepoint): 1 where the market has data on both sides
    y: np.ndarray
    prev_idx: np.ndarray
    origin: pd.Timestamp
    population: np.ndarray  # latest population of each market
    shock_onset_t: float = np.nan  # the lockdown's prior onset on the t scale
    launch_t: np.ndarray | None = None  # (market,) launch date on the t scale, NaN: none
    partial_weeks: tuple[tuple[str, pd.Timestamp], ...] = ()  # left out: before the launch

    @property
    def n_obs(self) -> int:
        return len(self.y)

    @property
    def has_shock(self) -> bool:
        return bool(self.shock.any())

    @property
    def has_holiday(self) -> bool:
        return bool(self.holiday.any())

    @property
    def launched(self) -> list[int]:
        """Indices of the markets with a launch term."""
        if self.launch_t is None:
            return []
        return [int(i) for i in np.flatnonzero(np.isfinite(self.launch_t))]


def fourier_terms(dates: pd.DatetimeIndex | pd.Series, order: int) -> np.ndarray:
    """Yearly Fourier basis (sin, cos pairs) of day-of-year, shape (n, 2 * order)."""
    doy = pd.DatetimeIndex(dates).day_of_year.to_numpy(dtype=float)
    angle = 2 * np.pi * doy / 365.25
    cols = []
    for k in range(1, order + 1):
        cols += [np.sin(k * angle), np.cos(k * angle)]
    return np.column_stack(cols) if cols else np.zeros((len(doy), 0))


def _days_to_christmas(dates: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """Days from each week's start to the nearest 25 December (negative: after it)."""
    d = pd.DatetimeIndex(dates)
    days = np.full(len(d), np.inf)
    for offset in (-1, 0, 1):  # the nearest of last year's, this year's and next year's
        xmas = pd.to_datetime({"year": d.year + offset, "month": 12, "day": 25})
        delta = (xmas.to_numpy() - d.to_numpy()) / np.timedelta64(1, "D")
        days = np.where(np.abs(delta) < np.abs(days), delta, days)
    return days


HOLIDAYS = ("run_up", "christmas", "new_year")


def holiday_weeks(dates: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """(n, 3) indicators of the year-end weeks, in the order of ``HOLIDAYS``: the three chart
    weeks before the Christmas week (December's seasonal music), the week holding 25 December,
    and the week after it (New Year). A yearly Fourier series is too smooth for these: on the
    8 default markets the model with the Christmas week alone left residuals of +0.05 to +0.19
    (log scale) in the three weeks before it."""
    days = _days_to_christmas(dates)
    return np.column_stack(
        [(days >= 7) & (days < 28), (days >= 0) & (days < 7), (days >= -7) & (days < 0)]
    ).astype(float)


WEEK = 7 / 365.25  # one week on the t scale (years)


def changepoint_grid(t: np.ndarray, every_weeks: int, last_weeks: int) -> np.ndarray:
    """Candidate changepoints counted back from the latest week: the last ``last_weeks`` before
    it, then one every ``every_weeks``, none within ``every_weeks / 2`` of the first week."""
    step, latest = every_weeks * WEEK, t.max() - last_weeks * WEEK
    n = int(np.floor((latest - t.min() - step / 2) / step + 1e-9)) + 1
    return np.sort(latest - step * np.arange(max(n, 0)))


def lockdown_curve(t: Any, onset: Any, recovery: Any, xp: Any = np) -> Any:
    """The lockdown's shape: 0 before ``onset``, 1 at it (a half-week logistic step, so that the
    onset has a gradient), then an exponential return with time constant ``recovery``."""
    after = xp.maximum(t - onset, 0.0)
    step = 1.0 / (1.0 + xp.exp(-(t - onset) / (0.5 * WEEK)))
    return step * xp.exp(-after / recovery)


def launch_curve(t: Any, launched: Any, settle: Any, xp: Any = np) -> Any:
    """A launch market's shortfall below its trend, 1 at launch, decaying with ``settle``."""
    return xp.exp(-xp.maximum(t - launched, 0.0) / settle)


def hinge(t: np.ndarray, changepoints: np.ndarray) -> np.ndarray:
    """(n, K) matrix of min(t - s_k, 0): the piecewise-linear trend's design (zero after s_k)."""
    return np.minimum(np.asarray(t)[:, None] - np.asarray(changepoints)[None, :], 0.0)


@dataclass(frozen=True)
class WeekGrid:
    """The model's designs per calendar week (each a function of the week alone) and where
    each observation sits on the market x week grid, flattened market-major."""

    t: np.ndarray  # (week,)
    fourier: np.ndarray  # (week, fourier)
    hinge: np.ndarray  # (week, changepoint)
    holiday: np.ndarray  # (week, holiday)
    cell: np.ndarray  # (obs,) market_idx * n_weeks + week index
    prev_cell: np.ndarray  # (obs,) the cell of the previous observation (own cell if none)


def week_grid(data: ModelData) -> WeekGrid:
    """The calendar weeks of ``data`` with their designs, and each observation's grid cell."""
    weeks, first, week_idx = np.unique(data.week_start, return_index=True, return_inverse=True)
    cell = data.market_idx * len(weeks) + week_idx
    return WeekGrid(
        t=data.t[first],
        fourier=data.fourier[first],
        hinge=hinge(data.t[first], data.changepoints),
        holiday=data.holiday[first],
        cell=cell,
        prev_cell=np.where(data.prev_idx >= 0, cell[np.maximum(data.prev_idx, 0)], cell),
    )


def markets_to_model(panel: pd.DataFrame, markets: str | list[str], reference: str) -> list[str]:
    """``"all"``: every country in the panel (not the reference chart); else the given list."""
    if markets == "all":
        return sorted(set(panel["market"]) - {reference})
    return list(markets)


def market_covariates(
    panel: pd.DataFrame, markets: list[str], names: tuple[str, ...]
) -> pd.DataFrame:
    """Per market, the mean over its modelled weeks of each named covariate."""
    rows = panel[panel["market"].isin(markets)]
    table = pd.DataFrame({n: COVARIATES[n](rows) for n in names}, index=rows.index)
    table["market"] = rows["market"]
    out = table.groupby("market").mean().reindex(markets)
    if out.isna().any().any():
        missing = out.columns[out.isna().any()].tolist()
        raise ValueError(f"covariates {missing} are missing for some of {markets}")
    return out


def prepare(
    panel: pd.DataFrame,
    markets: list[str],
    structure: Structure,
    regions: dict[str, str] | None = None,
) -> ModelData:
    """Model arrays from the market-week panel for the given markets (rows with a population).

    ``regions`` maps market to region name (default: one region, ``all``).
    """
    missing = sorted(set(markets) - set(panel["market"]))
    if missing:
        raise ValueError(f"markets {missing} are not in the panel")
    df = panel[panel["market"].isin(markets) & panel["streams_per_capita"].gt(0)].copy()
    if df.empty:
        raise ValueError("no market-week with a positive streams per capita to model")
    launches = {m: pd.Timestamp(d) for m, d in (structure.launches or {}).items() if m in markets}
    partial = pd.Series(False, index=df.index)
    for market, day in launches.items():
        partial |= df["market"].eq(market) & df["week_start"].lt(day)
    partial_weeks = tuple(
        zip(df.loc[partial, "market"], df.loc[partial, "week_start"], strict=True)
    )
    df = df[~partial].sort_values(["market", "week_start"], ignore_index=True)
    order = [m for m in markets if m in set(df["market"])]
    df["market_idx"] = df["market"].map({m: i for i, m in enumerate(order)})
    weeks = df["week_start"]
    origin = weeks.max()
    t = ((weeks - origin).dt.days / 365.25).to_numpy()
    prev = np.full(len(df), -1, dtype="int64")
    same_market = df["market_idx"].to_numpy()[1:] == df["market_idx"].to_numpy()[:-1]
    one_week = (weeks.to_numpy()[1:] - weeks.to_numpy()[:-1]) == np.timedelta64(7, "D")
    linked = np.flatnonzero(same_market & one_week) + 1
    prev[linked] = linked - 1

    region_of = {m: (regions or {}).get(m, "all") for m in order}
    region_names = sorted(set(region_of.values()))
    if structure.covariates and {"gdp_per_capita", "internet_users_pct", "population"} <= set(df):
        raw = market_covariates(df, order, structure.covariates)
    else:
        raw = pd.DataFrame(index=pd.Index(order, name="market"))
    x = raw.to_numpy(dtype=float)
    if x.shape[1]:
        sd = x.std(axis=0)
        x = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    changepoints = changepoint_grid(
        t, structure.changepoint_weeks, structure.changepoint_last_weeks
    )
    idx = df["market_idx"].to_numpy()
    first = np.array([t[idx == i].min() for i in range(len(order))])
    last = np.array([t[idx == i].max() for i in range(len(order))])
    # a changepoint before a market's first week (or after its last) is not identified by it
    mask = (changepoints[None, :] > first[:, None]) & (changepoints[None, :] < last[:, None])
    population = (
        df.groupby("market")["population"].last().reindex(order).to_numpy(dtype=float)
        if "population" in df
        else np.ones(len(order))
    )
    to_t = lambda day: (pd.Timestamp(day) - origin).days / 365.25  # noqa: E731
    launch_t = np.array([to_t(launches[m]) if m in launches else np.nan for m in order])
    onset = pd.Timestamp(structure.shock_start) if structure.shock_start else None
    shock = (weeks >= onset).to_numpy(dtype=float) if onset is not None else np.zeros(len(df))
    return ModelData(
        markets=order,
        regions=region_names,
        market_region=np.array([region_names.index(region_of[m]) for m in order], dtype="int64"),
        covariate_names=list(raw.columns),
        x=x,
        x_raw=raw,
        market_idx=df["market_idx"].to_numpy(dtype="int64"),
        week_start=weeks.to_numpy(),
        t=t,
        fourier=fourier_terms(weeks, structure.fourier_order),
        holiday=holiday_weeks(weeks) if structure.holidays else np.zeros((len(df), len(HOLIDAYS))),
        shock=shock,
        changepoints=changepoints,
        changepoint_mask=mask.astype(float),
        y=np.log(df["streams_per_capita"].to_numpy()),
        prev_idx=prev,
        origin=pd.Timestamp(origin),
        population=population,
        shock_onset_t=to_t(onset) if onset is not None else np.nan,
        launch_t=launch_t,
        partial_weeks=partial_weeks,
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
    import pymc as pm

    if form == "centred":
        return pm.Normal(name, mu, sigma, dims=dims)
    z = pm.Normal(f"z_{name}", 0.0, 1.0, dims=dims)
    return pm.Deterministic(name, mu + sigma * z, dims=dims)


def _shared(name: str, mu: Any, n_markets: int, dims: tuple[str, ...]) -> Any:
    """Every market takes the population value (the ``pooled`` variant)."""
    import pymc as pm
    import pytensor.tensor as pt

    value = pt.broadcast_to(mu, (n_markets, *pt.as_tensor(mu).shape))
    return pm.Deterministic(name, value, dims=dims)


def build_model(
    data: ModelData,
    priors: Priors,
    parameterization: str | dict[str, str] = "centred",
    ar1: bool = True,
    variant: str = "hierarchical",
    likelihood: str = "student_t",
) -> pm.Model:
    """The consumption model (see the module docstring) for one of ``VARIANTS``.

    ``parameterization`` is ``"centred"``, ``"non_centred"`` or a dict giving the form of
    ``level``, ``trend`` and ``season`` separately: choose it by diagnostics
    (benchmarks/bench_samplers.py compares them). The ``normal`` variant overrides
    ``likelihood``.
    """
    import pymc as pm
    import pytensor.tensor as pt

    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if variant == "normal":
        likelihood = "normal"
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
    form = parameterization_of(parameterization)
    n_m, n_f = len(data.markets), data.fourier.shape[1]
    use_cov = variant in ("hierarchical", "normal", "pooled") and data.x.shape[1] > 0
    coords = {
        "market": data.markets,
        "region": data.regions,
        "covariate": data.covariate_names if use_cov else [],
        "fourier": [f"{fn}{k}" for k in range(1, n_f // 2 + 1) for fn in ("sin", "cos")],
        "holiday": list(HOLIDAYS),
        "changepoint": np.round(data.changepoints, 4),
        "obs": np.arange(data.n_obs),
    }
    if data.launched:
        coords["launch"] = [data.markets[i] for i in data.launched]
    p = priors
    with pm.Model(coords=coords) as model:
        # per observation, for readers of the fit (forecasts, reports)
        market_idx = pm.Data("market_idx", data.market_idx, dims="obs")
        pm.Data("t", data.t, dims="obs")
        pm.Data("fourier_x", data.fourier, dims=("obs", "fourier"))
        pm.Data("hinge_x", hinge(data.t, data.changepoints), dims=("obs", "changepoint"))
        has_prev = pm.Data("has_prev", (data.prev_idx >= 0).astype("float64"), dims="obs")
        prev_idx = pm.Data("prev_idx", np.maximum(data.prev_idx, 0), dims="obs")

        # level: region + covariates + market deviation
        level_mu = pm.Normal("level_mu", p.level_mu_mean, p.level_mu_sd)
        if variant == "unpooled":
            level = pm.Normal("level_market", level_mu, p.level_mu_sd, dims="market")
        else:
            base = level_mu + np.zeros(n_m)
            if use_cov:
                beta = pm.Normal("beta", 0.0, p.beta_sd, dims="covariate")
                base = base + pm.math.dot(data.x, beta)
                pm.Deterministic(
                    "level_expected", level_mu + pm.math.dot(data.x, beta), dims="market"
                )
            level_sigma = pm.HalfNormal("level_sigma", p.level_sigma)
            level = _pooled("level_market", base, level_sigma, ("market",), form["level"])

        # trend: slope pooled region -> market, changepoint deltas pooled across markets
        if variant == "unpooled":
            slope = pm.Normal("trend_market", 0.0, p.trend_mu_sd, dims="market")
            z_delta = pm.Normal("z_delta", 0.0, 1.0, dims=("market", "changepoint"))
            delta = pm.Deterministic(
                "delta",
                p.changepoint_sd * z_delta * data.changepoint_mask,
                dims=("market", "changepoint"),
            )
            season = pm.Normal("season_market", 0.0, p.season_sd, dims=("market", "fourier"))
            holiday = pm.Normal("holiday_market", 0.0, p.holiday_sd, dims=("market", "holiday"))
            shock = pm.Normal("shock_market", 0.0, p.shock_sd, dims="market")
        else:
            trend_mu = pm.Normal("trend_mu", 0.0, p.trend_mu_sd)
            delta_mu = pm.Normal("delta_mu", 0.0, p.changepoint_sd, dims="changepoint")
            season_mu = pm.Normal("season_mu", 0.0, p.season_sd, dims="fourier")
            holiday_mu = pm.Normal("holiday_mu", 0.0, p.holiday_sd, dims="holiday")
            shock_mu = pm.Normal("shock_mu", 0.0, p.shock_sd)
            if variant == "pooled":
                slope = _shared("trend_market", trend_mu, n_m, ("market",))
                delta = pm.Deterministic(
                    "delta", delta_mu * data.changepoint_mask, dims=("market", "changepoint")
                )
                season = _shared("season_market", season_mu, n_m, ("market", "fourier"))
                holiday = _shared("holiday_market", holiday_mu, n_m, ("market", "holiday"))
                shock = _shared("shock_market", shock_mu, n_m, ("market",))
            else:
                trend_sigma = pm.HalfNormal("trend_sigma", p.trend_sigma)
                if len(data.regions) > 1:
                    z_tr = pm.Normal("z_trend_region", 0.0, 1.0, dims="region")
                    trend_region = pm.Deterministic(
                        "trend_region", trend_mu + trend_sigma * z_tr, dims="region"
                    )
                    trend_base = trend_region[data.market_region]
                else:
                    trend_base = trend_mu
                slope = _pooled("trend_market", trend_base, trend_sigma, ("market",), form["trend"])
                # centred with a fixed spread (as Prophet's changepoint scale): the deltas are
                # well informed by half a year of weeks each, and a learned spread made a funnel
                delta_raw = pm.Normal(
                    "delta_raw", delta_mu, p.changepoint_sigma, dims=("market", "changepoint")
                )
                delta = pm.Deterministic(
                    "delta", delta_raw * data.changepoint_mask, dims=("market", "changepoint")
                )
                season_sigma = pm.HalfNormal("season_sigma", p.season_sigma)
                season = _pooled(
                    "season_market", season_mu, season_sigma, ("market", "fourier"), form["season"]
                )
                hol_sigma = pm.HalfNormal("holiday_sigma", p.holiday_sigma)
                holiday = _pooled(
                    "holiday_market", holiday_mu, hol_sigma, ("market", "holiday"), "non_centred"
                )
                shock_sigma = pm.HalfNormal("shock_sigma", p.shock_sigma)
                shock = _pooled("shock_market", shock_mu, shock_sigma, ("market",), "non_centred")
        # the slope before the first changepoint: where each market started
        pm.Deterministic("trend_start", slope + delta.sum(axis=-1), dims="market")

        # the structural mean on the market x week grid: every term is a product of a
        # (market, k) parameter matrix with a (k, week) design, whose gradient is another
        # product; the observations are then read off the grid in one gather (indexing the
        # parameters per observation instead made the gradient a scatter per term, which took
        # half of each gradient evaluation)
        grid = week_grid(data)
        grid_mu = (
            level[:, None]
            + slope[:, None] * grid.t[None, :]
            + pt.dot(delta, grid.hinge.T)
            + pt.dot(season, grid.fourier.T)
        )
        if data.has_holiday:
            pm.Data("holiday_x", data.holiday, dims=("obs", "holiday"))
            grid_mu = grid_mu + pt.dot(holiday, grid.holiday.T)
        if data.has_shock:
            pm.Data("shock_x", data.shock, dims="obs")
            onset = pm.Normal("shock_onset", data.shock_onset_t, p.shock_onset_sd_weeks * WEEK)
            recovery = pm.LogNormal(
                "shock_recovery", np.log(p.shock_recovery_weeks * WEEK), p.shock_recovery_sd
            )
            curve = lockdown_curve(grid.t, onset, recovery, xp=pt)
            grid_mu = grid_mu + shock[:, None] * curve[None, :]
        if data.launched:
            gap = pm.HalfNormal("launch_gap", p.launch_sd, dims="launch")
            settle = pm.LogNormal(
                "launch_settle", np.log(p.launch_settle_weeks * WEEK), p.launch_settle_sd
            )
            launched = data.launch_t[data.launched]
            curves = launch_curve(grid.t[None, :], launched[:, None], settle, xp=pt)
            pick = np.zeros((n_m, len(data.launched)))
            pick[data.launched, np.arange(len(data.launched))] = 1.0
            grid_mu = grid_mu - pt.dot(pick, gap[:, None] * curves)
        flat_mu = grid_mu.reshape((-1,))
        mu = flat_mu[grid.cell]
        sigma = pm.HalfNormal("sigma_market", p.noise_sigma, dims="market")
        y_obs = pm.Data("y_log", data.y, dims="obs")
        if ar1:
            # persistence differs by market (Brazil's residuals keep 0.6 of their value after
            # 4 weeks, Spain's 0.2): one coefficient each, pooled on the atanh scale (prior
            # centre tanh(1) = 0.76). Left free, or pooled loosely (sd 0.25-0.5), India's short
            # series (80 weeks) drifted towards a random walk (phi 0.97-0.98) that absorbed its
            # trend, whose chains then disagreed (R-hat 1.012-1.016); a spread of 0.1 on the
            # atanh scale still lets the coefficients range from 0.57 to 0.96
            phi_mu = pm.Normal("phi_mu", p.phi_mu_mean, p.phi_mu_sd)
            phi_sigma = pm.HalfNormal("phi_sigma", p.phi_sigma)
            # non-centred: a market with few weeks (India at an early backtest origin) is
            # barely informed, and its centred coefficient made a funnel (divergences)
            z_phi = pm.Normal("z_phi", 0.0, 1.0, dims="market")
            phi_raw = phi_mu + phi_sigma * z_phi
            phi = pm.Deterministic("phi", 0.99 * pt.tanh(phi_raw), dims="market")
            mu = mu + phi[market_idx] * has_prev * (y_obs[prev_idx] - flat_mu[grid.prev_cell])
        if likelihood == "student_t":
            nu = pm.Gamma("nu", p.nu_alpha, p.nu_beta)
            pm.StudentT("y", nu=nu, mu=mu, sigma=sigma[market_idx], observed=y_obs, dims="obs")
        else:
            pm.Normal("y", mu=mu, sigma=sigma[market_idx], observed=y_obs, dims="obs")
    return model


def annotate(
    tree: Any, data: ModelData, structure: Structure | None = None, priors: Priors | None = None
) -> Any:
    """Attach what reports need to read a fit without the panel: each observation's week and
    market code, the time origin (so ``t`` can be turned back into dates), the regions, the
    changepoints and each market's latest population; and the model's specification (its
    ``Structure`` and ``Priors``, as JSON attributes), which ``spec`` reads back, so that the
    forecast, the backtest and the event generator take the fit's own settings."""
    const = tree["constant_data"].to_dataset()
    const["week_start"] = ("obs", data.week_start.astype("datetime64[ns]"))
    const["market_code"] = ("obs", np.asarray(data.markets)[data.market_idx].astype(str))
    const["market_region"] = ("market", np.asarray(data.regions)[data.market_region].astype(str))
    const["population"] = ("market", data.population)
    const["changepoint_t"] = ("changepoint", data.changepoints)
    const["launch_t"] = (
        "market",
        data.launch_t if data.launch_t is not None else np.full(len(data.markets), np.nan),
    )
    if "holiday_x" not in const:
        const["holiday_x"] = (("obs", "holiday"), data.holiday)
    if "shock_x" not in const:
        const["shock_x"] = ("obs", np.zeros(data.n_obs))
    for name in data.covariate_names:
        const[f"covariate_{name}"] = ("market", data.x_raw[name].to_numpy(dtype=float))
    const.attrs["time_origin"] = data.origin.isoformat()
    for name, block in (("structure", structure), ("priors", priors)):
        if block is not None:
            const.attrs[f"model_{name}"] = json.dumps(asdict(block), sort_keys=True)
    tree["constant_data"] = const
    return tree


def spec(tree: Any) -> tuple[Structure, Priors]:
    """The ``Structure`` and ``Priors`` a fit was made with (written by ``annotate``)."""
    attrs = tree["constant_data"].attrs
    missing = [k for k in ("model_structure", "model_priors") if k not in attrs]
    if missing:
        raise ValueError(
            f"the model file carries no {' or '.join(missing)}: it predates the model "
            "specification in the file; re-run the fit stage (dvc repro fit)"
        )
    return (
        Structure.from_dict(json.loads(attrs["model_structure"])),
        Priors.from_dict(json.loads(attrs["model_priors"])),
    )


def _stack(posterior: Any, name: str) -> np.ndarray:
    """(chain*draw, ...) array of a posterior variable (zero-size dimensions allowed)."""
    da = posterior[name].transpose("chain", "draw", ...)
    arr = da.to_numpy()
    return arr.reshape(arr.shape[0] * arr.shape[1], *arr.shape[2:])


def mean_at(
    posterior: Any,
    market_idx: np.ndarray,
    t: np.ndarray,
    fourier: np.ndarray,
    changepoints: np.ndarray,
    holiday: np.ndarray | None = None,
    shock: np.ndarray | None = None,
    launch_t: np.ndarray | None = None,
) -> np.ndarray:
    """Posterior draws of the structural mean (no AR noise) at any market-times, (sample, n).

    The lockdown and launch curves are evaluated at ``t`` from their estimated onset, recovery
    and settling times (``shock`` is then only read by fits made before these were estimated,
    as a 0/1 window); ``launch_t`` gives each market's launch on the t scale (NaN: none)."""
    s = {
        k: _stack(posterior, k) for k in ("level_market", "trend_market", "delta", "season_market")
    }
    mu = (
        s["level_market"][:, market_idx]
        + s["trend_market"][:, market_idx] * t
        + np.einsum("snk,nk->sn", s["delta"][:, market_idx, :], hinge(t, changepoints))
        + np.einsum("snf,nf->sn", s["season_market"][:, market_idx, :], fourier)
    )
    if holiday is not None and "holiday_market" in posterior:
        hol = _stack(posterior, "holiday_market")[:, market_idx]  # (sample, n, holiday)
        if hol.ndim == 2:  # fits made before the year-end weeks were split: one column
            hol = hol[..., None]
        mu = mu + np.einsum("snk,nk->sn", hol, np.asarray(holiday).reshape(len(market_idx), -1))
    if "shock_onset" in posterior:
        onset = _stack(posterior, "shock_onset")[:, None]
        recovery = _stack(posterior, "shock_recovery")[:, None]
        curve = lockdown_curve(np.asarray(t)[None, :], onset, recovery)
        mu = mu + _stack(posterior, "shock_market")[:, market_idx] * curve
    elif shock is not None and "shock_market" in posterior:
        mu = mu + _stack(posterior, "shock_market")[:, market_idx] * shock
    if "launch_gap" in posterior and launch_t is not None:
        markets = [str(m) for m in posterior["market"].to_numpy()]
        gap = np.zeros((mu.shape[0], len(markets)))
        for j, m in enumerate(str(x) for x in posterior["launch"].to_numpy()):
            gap[:, markets.index(m)] = _stack(posterior, "launch_gap")[:, j]
        start = np.asarray(launch_t, dtype=float)[market_idx]
        has = np.isfinite(start)
        settle = _stack(posterior, "launch_settle")[:, None]
        curve = launch_curve(np.asarray(t)[None, has], start[None, has], settle)
        mu[:, has] = mu[:, has] - gap[:, market_idx[has]] * curve
    return mu


def structural_mean(posterior: Any, constant: Any) -> np.ndarray:
    """Posterior draws of level + trend + season (+ holiday, shock) per observation,
    shape (chain*draw, obs). ``posterior`` and ``constant`` are xarray Datasets of a fitted
    model's posterior and constant_data groups."""
    get = lambda k: constant[k].to_numpy() if k in constant else None  # noqa: E731
    cps = (
        constant["changepoint_t"].to_numpy()
        if "changepoint_t" in constant
        else (np.asarray(posterior["changepoint"].to_numpy(), dtype=float))
    )
    return mean_at(
        posterior,
        constant["market_idx"].to_numpy(),
        constant["t"].to_numpy(),
        constant["fourier_x"].to_numpy(),
        cps,
        get("holiday_x"),
        get("shock_x"),
        get("launch_t"),
    )


def fitted_mean(posterior: Any, constant: Any) -> np.ndarray:
    """Posterior draws of the model's one-step fitted value per observation, (chain*draw, obs):
    the structural mean plus the AR(1) carry-over of the previous week's residual. This is the
    model's smoothed level: the week's own innovation (the noise) is excluded, the persistence the
    model estimated is kept. Without an AR(1) term it is the structural mean."""
    mu = structural_mean(posterior, constant)
    if "phi" not in posterior or "prev_idx" not in constant:
        return mu
    phi = _stack(posterior, "phi")
    phi = phi[:, None] if phi.ndim == 1 else phi[:, constant["market_idx"].to_numpy()]
    prev = constant["prev_idx"].to_numpy().astype(int)
    has = constant["has_prev"].to_numpy()
    y = constant["y_log"].to_numpy()
    return mu + phi * has * (y[prev][None, :] - mu[:, prev])


def simulate_observations(
    params: Any, data: ModelData, rng: np.random.Generator, likelihood: str = "student_t"
) -> np.ndarray:
    """Log streams per capita simulated from the model's generative story for one parameter
    set (``params``: a Dataset shaped like a posterior with one chain and one draw), in the
    observation order of ``data``: the AR(1) residual runs forward week by week per market."""
    mu = mean_at(
        params,
        data.market_idx,
        data.t,
        data.fourier,
        data.changepoints,
        data.holiday,
        data.shock,
        data.launch_t,
    )[0]
    one = lambda k: params[k].to_numpy().reshape(-1) if k in params else None  # noqa: E731
    sigma = one("sigma_market")[data.market_idx]
    phi = (
        np.broadcast_to(one("phi"), (len(data.markets),))[data.market_idx]
        if "phi" in params
        else np.zeros(data.n_obs)
    )
    if likelihood == "student_t":
        noise = rng.standard_t(float(one("nu")[0]), size=data.n_obs) * sigma
    else:
        noise = rng.standard_normal(data.n_obs) * sigma
    y = np.empty(data.n_obs)
    for i in range(data.n_obs):  # observations are sorted by market, then week
        prev = data.prev_idx[i]
        ar = phi[i] * (y[prev] - mu[prev]) if prev >= 0 else 0.0
        y[i] = mu[i] + ar + noise[i]
    return y
