"""The simple forecasters the backtest holds the model against, each as quantile forecasts of
log streams per person at the same levels (``LEVELS``), so that one scoring rule serves all.

- ``random_walk``: the market's last value; the spread of its past weekly changes around their
  mean, times sqrt(weeks ahead).
- ``drift``: the last value plus the market's average weekly change so far, times the weeks
  ahead; the random walk's spread widened for the slope's uncertainty.
- ``seasonal_naive``: the market's value in the same week one year before the target (no
  growth carried forward); the spread of its past year-on-year changes around their mean.
  Without a value a year earlier, the last value (random walk).
- ``ets``: exponential smoothing (statsmodels' ``ETSModel``, additive errors), the simple and
  the damped-trend form, chosen per market by AICc; Gaussian prediction intervals.
- ``arima``: statsmodels' ``ARIMA`` with a drift term, orders (0,1,1) and (1,1,0) chosen per
  market by AICc; Gaussian prediction intervals.
- ``gbm``: scikit-learn's gradient boosting, one model per quantile level, trained directly for
  several weeks ahead on the market, the target week's season and year-end weeks, the value at
  the forecast origin (last value), the value a year before the target, and the weeks ahead.

``ets`` and ``arima`` have no yearly seasonality (52-week seasonal forms need several full
years per market); the seasonal naive forecast is the seasonal baseline.

``history`` and ``targets`` are long tables (market, week_start, y); ``targets`` may hold
any weeks after each market's last history week. Each function returns (level, target).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

LEVELS = np.round(np.arange(1, 20) / 20, 2)  # 0.05, 0.10, ..., 0.95: evenly spaced (CRPS)
WEEK = pd.Timedelta(weeks=1)
MIN_ERRORS = 8  # fewer year-on-year changes than this: the seasonal naive falls back
GBM_STEPS = (1, 2, 4, 8, 13, 26, 39, 52)  # weeks ahead the gradient boosting learns from


def _series(history: pd.DataFrame, market: str) -> pd.Series:
    s = history[history["market"] == market].set_index("week_start")["y"].sort_index()
    return s.astype(float)


def _steps(last: pd.Timestamp, weeks: pd.Series) -> np.ndarray:
    return np.round((pd.DatetimeIndex(weeks) - last) / WEEK).astype(int)


def _changes(s: pd.Series, weeks: int) -> np.ndarray:
    """Past changes over exactly ``weeks`` weeks (pairs across a gap of other length excluded)."""
    before = s.shift(weeks, freq="7D").reindex(s.index)
    return (s - before).dropna().to_numpy()


def _change_quantiles(s: pd.Series, weeks: int, levels: np.ndarray, scale: float = 1.0):
    """Spread of a forecast ``weeks`` ahead: quantiles of the market's one-week changes around
    their mean, times sqrt(weeks) (and ``scale``), the random walk's textbook interval
    (Hyndman & Athanasopoulos, FPP3 5.5). Overlapping past ``weeks``-week changes of one short
    series would understate it."""
    one = _changes(s, 1)
    if len(one) < 2:
        return np.zeros(len(levels))
    return np.quantile(one - one.mean(), levels) * np.sqrt(weeks) * scale


def _per_market(
    history: pd.DataFrame, targets: pd.DataFrame, levels: np.ndarray, one
) -> np.ndarray:
    out = np.full((len(levels), len(targets)), np.nan)
    for market, rows in targets.groupby("market", sort=False).groups.items():
        s = _series(history, market)
        pos = targets.index.get_indexer(rows)
        out[:, pos] = one(s, targets.loc[rows, "week_start"], levels)
    return out


def random_walk(history: pd.DataFrame, targets: pd.DataFrame, levels=LEVELS) -> np.ndarray:
    def one(s, weeks, levels):
        steps = _steps(s.index[-1], weeks)
        return np.stack([s.iloc[-1] + _change_quantiles(s, h, levels) for h in steps], axis=1)

    return _per_market(history, targets.reset_index(drop=True), levels, one)


def drift(history: pd.DataFrame, targets: pd.DataFrame, levels=LEVELS) -> np.ndarray:
    def one(s, weeks, levels):
        span = max((s.index[-1] - s.index[0]) / WEEK, 1.0)
        slope = (s.iloc[-1] - s.iloc[0]) / span
        steps = _steps(s.index[-1], weeks)
        # the slope's own uncertainty widens the interval: sqrt(h (1 + h / T))
        return np.stack(
            [
                s.iloc[-1] + slope * h + _change_quantiles(s, h, levels, np.sqrt(1 + h / span))
                for h in steps
            ],
            axis=1,
        )

    return _per_market(history, targets.reset_index(drop=True), levels, one)


def seasonal_naive(history: pd.DataFrame, targets: pd.DataFrame, levels=LEVELS) -> np.ndarray:
    def one(s, weeks, levels):
        yearly = _changes(s, 52)
        cols = []
        for week, h in zip(weeks, _steps(s.index[-1], weeks), strict=True):
            base = s.get(week - 52 * WEEK)
            if base is None or np.isnan(base) or len(yearly) < MIN_ERRORS:
                cols.append(s.iloc[-1] + _change_quantiles(s, h, levels))
            else:
                cols.append(base + np.quantile(yearly - yearly.mean(), levels))
        return np.stack(cols, axis=1)

    return _per_market(history, targets.reset_index(drop=True), levels, one)


def _gaussian(mean: np.ndarray, var: np.ndarray, levels: np.ndarray) -> np.ndarray:
    z = stats.norm.ppf(levels)[:, None]
    return np.asarray(mean)[None, :] + z * np.sqrt(np.maximum(np.asarray(var), 0.0))[None, :]


def _state_space(history: pd.DataFrame, targets: pd.DataFrame, levels, fits) -> np.ndarray:
    """Fit each candidate of ``fits`` (callables s -> (aicc, forecast(steps) -> mean, var)) per
    market, keep the lowest AICc, and turn its forecasts into Gaussian quantiles."""

    def one(s, weeks, levels):
        steps = _steps(s.index[-1], weeks)
        best = None
        values = pd.Series(s.to_numpy())  # consecutive observations (a gap is not filled)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for fit in fits:
                try:
                    aicc, predict = fit(values)
                except (ValueError, np.linalg.LinAlgError):
                    continue
                if np.isfinite(aicc) and (best is None or aicc < best[0]):
                    best = (aicc, predict)
            if best is None:  # too short to fit anything: the random walk
                return np.stack([s.iloc[-1] + _change_quantiles(s, h, levels) for h in steps], 1)
            mean, var = best[1](int(steps.max()))
        return _gaussian(mean[steps - 1], var[steps - 1], levels)

    return _per_market(history, targets.reset_index(drop=True), levels, one)


def ets(history: pd.DataFrame, targets: pd.DataFrame, levels=LEVELS) -> np.ndarray:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    def form(trend, damped):
        def fit(values):
            r = ETSModel(values, error="add", trend=trend, damped_trend=damped).fit(disp=False)

            def predict(steps):
                p = r.get_prediction(start=len(values), end=len(values) + steps - 1)
                return np.asarray(p.predicted_mean), np.asarray(p.forecast_variance)

            return r.aicc, predict

        return fit

    return _state_space(history, targets, levels, [form(None, False), form("add", True)])


def arima(history: pd.DataFrame, targets: pd.DataFrame, levels=LEVELS) -> np.ndarray:
    from statsmodels.tsa.arima.model import ARIMA

    def order(p, q):
        def fit(values):
            r = ARIMA(values, order=(p, 1, q), trend="t").fit()

            def predict(steps):
                f = r.get_forecast(steps)
                return np.asarray(f.predicted_mean), np.asarray(f.var_pred_mean)

            return r.aicc, predict

        return fit

    return _state_space(history, targets, levels, [order(0, 1), order(1, 0)])


def _gbm_rows(s: pd.Series, market: str, origins, weeks) -> pd.DataFrame:
    """Feature rows of targets ``weeks`` forecast from ``origins`` (both aligned) in market ``s``."""
    origins, weeks = pd.DatetimeIndex(origins), pd.DatetimeIndex(weeks)
    lag = s.reindex(weeks - 52 * WEEK).to_numpy(dtype=float, copy=True)
    lag[(weeks - 52 * WEEK) > origins] = np.nan  # not known at the origin
    return pd.DataFrame(
        {
            "market": market,
            "week_start": weeks,
            "last": s.reindex(origins).to_numpy(dtype=float),
            "lag52": lag,
            "ahead": ((weeks - origins) / WEEK).to_numpy(float),
        }
    )


def gbm_features(frame: pd.DataFrame, markets: list[str]) -> np.ndarray:
    """Market (one-hot), the target week's yearly Fourier terms (order 3) and year-end weeks,
    the last value at the origin, the value a year before the target, the weeks ahead."""
    from musicmarkets.models.consumption import fourier_terms, holiday_weeks

    weeks = pd.DatetimeIndex(frame["week_start"])
    onehot = (frame["market"].to_numpy()[:, None] == np.asarray(markets)[None, :]).astype(float)
    return np.column_stack(
        [
            onehot,
            fourier_terms(weeks, 3),
            holiday_weeks(weeks),
            frame[["last", "lag52", "ahead"]].to_numpy(float),
        ]
    )


def gbm(
    history: pd.DataFrame, targets: pd.DataFrame, markets: list[str], seed: int, levels=LEVELS
) -> np.ndarray:
    """Direct multi-week gradient boosting (scikit-learn), one model per quantile level,
    trained on every (origin, origin + h) pair of the history for h in ``GBM_STEPS``."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    targets = targets.reset_index(drop=True)
    train = []
    for market in markets:
        s = _series(history, market)
        for h in GBM_STEPS:
            ahead = s.index + h * WEEK
            keep = ahead.isin(s.index)
            rows = _gbm_rows(s, market, s.index[keep], ahead[keep])
            train.append(rows.assign(y=s.reindex(ahead[keep]).to_numpy(float)))
    fit_rows = pd.concat(train, ignore_index=True)
    parts, position = [], []
    for market, idx in targets.groupby("market", sort=False).indices.items():
        s = _series(history, market)
        weeks = targets.loc[idx, "week_start"]
        parts.append(_gbm_rows(s, market, [s.index[-1]] * len(idx), weeks))
        position.append(idx)
    test_rows = pd.concat(parts, ignore_index=True)
    position = np.concatenate(position)
    x_train, x_test = gbm_features(fit_rows, markets), gbm_features(test_rows, markets)
    known = ~np.all(np.isnan(x_train), axis=0)  # e.g. last year's value in a first-year history
    x_train, x_test = x_train[:, known], x_test[:, known]
    out = np.empty((len(levels), len(targets)))
    for i, level in enumerate(levels):
        model = HistGradientBoostingRegressor(
            loss="quantile",
            quantile=float(level),
            max_iter=100,
            learning_rate=0.1,
            early_stopping=False,
            random_state=seed,
        )
        model.fit(x_train, fit_rows["y"].to_numpy())
        out[i, position] = model.predict(x_test)
    return np.sort(out, axis=0)  # quantile crossing repaired


BASELINES = {
    "random_walk": random_walk,
    "drift": drift,
    "seasonal_naive": seasonal_naive,
    "ets": ets,
    "arima": arima,
}
