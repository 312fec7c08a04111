"""The arrays the consumption model is built from (``ModelData``, from the market-week panel)
and the terms of its mean: seasonality, holiday weeks, changepoint hinges, the lockdown and
launch curves, shared by the PyMC graph and the readers of a fitted model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from musicmarkets.models.specification import COVARIATES, Structure


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
    last_t: np.ndarray | None = None  # (market,) each market's latest week on the t scale

    @property
    def market_last_t(self) -> np.ndarray:
        """Each market's latest modelled week on the t scale (0: the panel's latest week)."""
        if self.last_t is None:
            return np.zeros(len(self.markets))
        return np.asarray(self.last_t, dtype=float)

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
        last_t=last,
    )
