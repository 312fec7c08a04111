"""What the share models publish, read from their posteriors: the share *now* (the posterior
predictive mean of a market's last weeks, noise included), the baseline it shifts from (its
first weeks outside December) and the shift in points (``musicmarkets.models.shares`` builds
the models)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from musicmarkets import validation
from musicmarkets.models.shares import OTHER, ShareData, ratio_noise


def _draws(posterior: Any, name: str) -> np.ndarray:
    """(chain*draw, ...) array of a posterior variable (zero-size dimensions allowed)."""
    da = posterior[name].transpose("chain", "draw", ...)
    arr = da.to_numpy()
    return arr.reshape(arr.shape[0] * arr.shape[1], *arr.shape[2:])


def structural(posterior: Any, d: ShareData, rows: np.ndarray) -> np.ndarray:
    """Draws of the structural mean (no AR term, no noise) at observations ``rows``:
    (sample, n) for one share, (sample, n, genre) for the genre mix."""
    a, b, h = (_draws(posterior, k) for k in ("a", "b", "h"))
    delta = _draws(posterior, "delta")  # (sample, market, [genre,] changepoint)
    m, t, hol, hin = d.market_idx[rows], d.t[rows], d.holiday[rows], d.hinge[rows]
    if d.categories:
        cp = np.einsum("sngk,nk->sng", delta[:, m], hin) if hin.shape[1] else 0.0
        return a[:, m] + b[:, m] * t[None, :, None] + h[:, m] * hol[None, :, None] + cp
    cp = np.einsum("snk,nk->sn", delta[:, m], hin) if hin.shape[1] else 0.0
    return a[:, m] + b[:, m] * t[None, :] + h[:, m] * hol[None, :] + cp


def _to_share(z: np.ndarray, composition: bool) -> np.ndarray:
    """Logit -> share, or log-ratios to Other -> the full composition (Other last)."""
    if not composition:
        return 1 / (1 + np.exp(-z))
    full = np.concatenate([z, np.zeros(z.shape[:-1] + (1,))], axis=-1)
    full = np.exp(full - full.max(axis=-1, keepdims=True))
    return full / full.sum(axis=-1, keepdims=True)


def replicate(posterior: Any, d: ShareData, rows: np.ndarray, seed: int) -> np.ndarray:
    """Posterior predictive draws of the shares at observations ``rows`` (noise included),
    each one step ahead of the observed previous week as the likelihood states it:
    (sample, n) for one share, (sample, n, genre + Other) for the genre mix."""
    rng = np.random.default_rng(seed)
    prev = d.prev_idx[rows]
    has = prev >= 0
    mean = structural(posterior, d, rows)
    mean_prev = structural(posterior, d, np.where(has, prev, rows))
    y_prev = d.y[np.where(has, prev, rows)]
    phi, sigma = _draws(posterior, "phi"), _draws(posterior, "sigma")
    if d.categories:  # phi: (sample, genre), sigma: (sample, market, genre)
        ar = phi[:, None, :] * has[None, :, None] * (y_prev[None] - mean_prev)
        s_o = _draws(posterior, "sigma_other")[:, d.market_idx[rows]]
        nu = _draws(posterior, "nu")[:, None]
        noise = ratio_noise(sigma[:, d.market_idx[rows], :], s_o, nu, mean.shape, rng)
    else:  # phi: (sample,), sigma: (sample, market)
        ar = phi[:, None] * has[None, :] * (y_prev[None] - mean_prev)
        noise = rng.standard_normal(mean.shape) * sigma[:, d.market_idx[rows]]
    return _to_share(mean + ar + noise, bool(d.categories))


def observed_shares(d: ShareData) -> np.ndarray:
    """The observed shares the model saw (after the floor): (n,) or (n, genre + Other)."""
    return _to_share(d.y, bool(d.categories))


def recent_rows(d: ShareData, market: int, weeks: int) -> np.ndarray:
    """Observation indices of a market's last ``weeks`` observed weeks."""
    return np.flatnonzero(d.market_idx == market)[-weeks:]


def baseline_rows(d: ShareData, market: int, weeks: int) -> np.ndarray:
    """Observation indices of a market's first ``weeks`` observed weeks outside December."""
    rows = np.flatnonzero(d.market_idx == market)
    return rows[d.holiday[rows] == 0][:weeks]


def window_means(posterior: Any, d: ShareData, weeks: int, seed: int) -> list[dict[str, Any]]:
    """Per market: observed and replicated mean shares over the baseline and recent windows.

    Each entry holds ``recent``/``baseline`` draws of shape (sample,) or (sample, genre + Other),
    the observed means and the windows' first and last weeks."""
    out = []
    for i, market in enumerate(d.markets):
        rec, base = recent_rows(d, i, weeks), baseline_rows(d, i, weeks)
        both = np.concatenate([base, rec])
        rep = replicate(posterior, d, both, seed + i)
        obs = observed_shares(d)
        nb = len(base)
        out.append(
            {
                "market": market,
                "baseline": rep[:, :nb].mean(axis=1),
                "recent": rep[:, nb:].mean(axis=1),
                "observed_baseline": obs[base].mean(axis=0),
                "observed_recent": obs[rec].mean(axis=0),
                "baseline_from": pd.Timestamp(d.week_start[base[0]]),
                "baseline_to": pd.Timestamp(d.week_start[base[-1]]),
                "recent_from": pd.Timestamp(d.week_start[rec[0]]),
                "recent_to": pd.Timestamp(d.week_start[rec[-1]]),
            }
        )
    return out


def share_shift(
    posterior: Any, d: ShareData, interval: float, weeks: int, seed: int = 0
) -> pd.DataFrame:
    """Per market (and genre, Other included, for the genre mix): the share over the baseline
    weeks and now (posterior predictive means of ``weeks`` weeks) and the shift in points."""
    frames = []
    chains = int(posterior.sizes["chain"])
    for w in window_means(posterior, d, weeks, seed):
        cats = [*d.categories, OTHER] if d.categories else [None]
        for k, genre in enumerate(cats):
            base, recent = w["baseline"], w["recent"]
            obs_base, obs_recent = w["observed_baseline"], w["observed_recent"]
            if genre is not None:
                base, recent = base[:, k], recent[:, k]
                obs_base, obs_recent = obs_base[k], obs_recent[k]
            row = _shift_table([w["market"]], genre, base[:, None], recent[:, None], interval)
            row["end_mcse"] = validation.interval_mcse(recent, interval, chains)
            row["start_mcse"] = validation.interval_mcse(base, interval, chains)
            row["observed_baseline"] = float(obs_base)
            row["observed_recent"] = float(obs_recent)
            for key in ("baseline_from", "baseline_to", "recent_from", "recent_to"):
                row[key] = w[key]
            frames.append(row)
    return pd.concat(frames, ignore_index=True)


def genre_shift(
    posterior: Any, d: ShareData, interval: float, weeks: int, seed: int = 0
) -> pd.DataFrame:
    """The genre mix's shifts (``share_shift`` on a composition)."""
    return share_shift(posterior, d, interval, weeks, seed)


def _shift_table(
    markets: list[str], category: str | None, start: np.ndarray, end: np.ndarray, interval: float
) -> pd.DataFrame:
    lo, hi = (1 - interval) / 2, (1 + interval) / 2
    shift = 100 * (end - start)  # share points
    out = pd.DataFrame(
        {
            "market": markets,
            "share_start": np.median(start, axis=0),
            "start_mean": np.mean(start, axis=0),
            "start_low": np.quantile(start, lo, axis=0),
            "start_high": np.quantile(start, hi, axis=0),
            "share_end": np.median(end, axis=0),
            "end_mean": np.mean(end, axis=0),
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


def now_rows(shifts: pd.DataFrame) -> pd.DataFrame:
    """The published "now" of every share (``validation.NOW_COLUMNS``): ``measure`` is the
    market_week column, or ``genre:<name>`` for the genre mix."""
    measure = shifts["measure"].where(
        shifts["measure"] != "genre_mix", "genre:" + shifts.get("genre", pd.Series(dtype=str))
    )
    return pd.DataFrame(
        {
            "market": shifts["market"],
            "measure": measure,
            "observed_recent": shifts["observed_recent"],
            "now_mean": shifts["end_mean"],
            "now_low": shifts["end_low"],
            "now_high": shifts["end_high"],
            "now_mcse": shifts["end_mcse"],
        }
    ).reset_index(drop=True)


def start_rows(shifts: pd.DataFrame) -> pd.DataFrame:
    """The baseline every published shift starts from, checked like a "now"
    (``validation.NOW_COLUMNS``): the observed mean of the baseline weeks against the posterior
    predictive interval of the same mean. A shift whose start misses is withheld."""
    start = shifts.assign(
        observed_recent=shifts["observed_baseline"],
        end_mean=shifts["start_mean"],
        end_low=shifts["start_low"],
        end_high=shifts["start_high"],
        end_mcse=shifts["start_mcse"],
    )
    return now_rows(start)
