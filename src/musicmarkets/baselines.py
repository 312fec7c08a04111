"""Baselines the backtest compares the model with: the seasonal naive forecast and
scikit-learn gradient boosting on the same features, both as quantile forecasts."""

from __future__ import annotations

import numpy as np
import pandas as pd


def seasonal_naive(history: pd.DataFrame, targets: pd.DataFrame, levels: np.ndarray) -> np.ndarray:
    """Forecast each target week by the same market's value 52 weeks earlier (log scale),
    with quantiles from that market's past errors of the same rule (levels -> (level, n))."""
    h = history.set_index(["market", "week_start"])["y"]
    out = np.full((len(levels), len(targets)), np.nan)
    for j, (market, week) in enumerate(zip(targets["market"], targets["week_start"], strict=True)):
        past = h.loc[market]
        base = past.get(week - pd.Timedelta(weeks=52))
        if base is None:  # no value a year ago: carry the last one
            base = past.iloc[-1]
        lagged = past.shift(52, freq="7D").reindex(past.index)
        errors = (past - lagged).dropna().to_numpy()
        if len(errors) < 5:
            errors = np.diff(past.to_numpy())
        out[:, j] = base + np.quantile(errors, levels)
    return out


GBM_LEVELS = np.array([0.05, 0.25, 0.5, 0.75, 0.95])


def gbm_features(frame: pd.DataFrame, history: pd.DataFrame, markets: list[str]) -> np.ndarray:
    """Features shared by the gradient-boosting baseline and the model: market (one-hot), time
    in years, yearly Fourier terms (order 3), the year-end weeks, and last year's value."""
    from musicmarkets.models.consumption import fourier_terms, holiday_weeks

    weeks = pd.DatetimeIndex(frame["week_start"])
    onehot = (frame["market"].to_numpy()[:, None] == np.asarray(markets)[None, :]).astype(float)
    t = ((weeks - pd.Timestamp("2017-01-01")).days / 365.25).to_numpy()[:, None]
    h = history.set_index(["market", "week_start"])["y"]
    lag = np.array(
        [
            h.get((m, w - pd.Timedelta(weeks=52)), np.nan)
            for m, w in zip(frame["market"], weeks, strict=True)
        ]
    )
    return np.column_stack([onehot, t, fourier_terms(weeks, 3), holiday_weeks(weeks), lag])


def gbm_quantiles(
    history: pd.DataFrame, targets: pd.DataFrame, markets: list[str], seed: int
) -> np.ndarray:
    """scikit-learn gradient boosting, one model per quantile level, on ``gbm_features``."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    x_train = gbm_features(history, history, markets)
    x_test = gbm_features(targets, history, markets)
    keep = ~np.all(np.isnan(x_train), axis=0)  # e.g. last year's value in a first-year history
    x_train, x_test = x_train[:, keep], x_test[:, keep]
    y = history["y"].to_numpy()
    out = np.empty((len(GBM_LEVELS), len(targets)))
    for i, level in enumerate(GBM_LEVELS):
        gbm = HistGradientBoostingRegressor(
            loss="quantile",
            quantile=float(level),
            max_iter=300,
            learning_rate=0.05,
            random_state=seed,
        )
        gbm.fit(x_train, y)
        out[i] = gbm.predict(x_test)
    return np.sort(out, axis=0)  # quantile crossing repaired
