"""Model checks that do not depend on one model: predictive checks, LOO, scores, baselines.

CRPS (continuous ranked probability score) of a forecast from samples uses the energy form
``E|X - y| - E|X - X'| / 2``; for quantile forecasts (the gradient-boosting baseline) it is the
mean pinball loss over the quantile levels times 2, the standard quantile approximation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm

LOO_K_BAD = 0.7  # Pareto k above this: the LOO estimate of that week is unreliable


NOW_COLUMNS = [
    "market",
    "measure",
    "observed_recent",
    "now_mean",
    "now_low",
    "now_high",
    "now_mcse",
]
MCSE_MARGIN = 2.0  # a miss must clear the interval's bounds by this many Monte Carlo errors


@dataclass(frozen=True)
class PredictiveChecks:
    metrics: dict[str, Any]
    pointwise: pd.DataFrame
    now: pd.DataFrame  # NOW_COLUMNS: the recent-weeks check of streams per person


def interval_mcse(draws: np.ndarray, interval: float, chains: int = 1) -> float:
    """Monte Carlo standard error of an equal-tailed interval's bounds (the larger of the two):
    how far the bounds computed from these draws may lie from the bounds of the distribution
    itself. ``draws`` are chain-major (``chains`` blocks of equal length)."""
    draws = np.asarray(draws, dtype=float).reshape(chains, -1)
    lo, hi = (1 - interval) / 2, (1 + interval) / 2
    return float(max(az.mcse(draws, method="quantile", prob=q) for q in (lo, hi)))


def recent_window(
    replicated: np.ndarray,
    observed: np.ndarray,
    labels: pd.DataFrame,
    measure: str,
    weeks: int,
    *,
    interval: float,
    chains: int = 1,
) -> pd.DataFrame:
    """Per market: the observed mean of its last ``weeks`` observed weeks against the posterior
    predictive distribution of that same mean (``replicated``: (sample, obs) on the scale of
    ``observed``, noise included; samples chain-major in ``chains`` blocks). Rows in
    ``NOW_COLUMNS``; ``now_mcse`` is the Monte Carlo error of the interval's bounds."""
    lo, hi = (1 - interval) / 2, (1 + interval) / 2
    week = pd.to_datetime(labels["week_start"]).to_numpy()
    market = labels["market"].to_numpy()
    rows = []
    for m in dict.fromkeys(market):
        idx = np.flatnonzero(market == m)
        idx = idx[np.argsort(week[idx], kind="stable")][-weeks:]
        draws = replicated[:, idx].mean(axis=1)
        rows.append(
            {
                "market": str(m),
                "measure": measure,
                "observed_recent": float(observed[idx].mean()),
                "now_mean": float(draws.mean()),
                "now_low": float(np.quantile(draws, lo)),
                "now_high": float(np.quantile(draws, hi)),
                "now_mcse": interval_mcse(draws, interval, chains),
            }
        )
    return pd.DataFrame(rows, columns=NOW_COLUMNS)


def recent_fit_failures(now: pd.DataFrame, margin: float = MCSE_MARGIN) -> list[str]:
    """The ``recent_fit`` gate: every observed recent mean must lie inside its interval.
    One line per miss, naming market and measure. A bound is an estimate from a finite number
    of draws: an observed value counts as outside only when it clears the bound by more than
    ``margin`` Monte Carlo errors (``now_mcse``), so that another seed or machine gives the
    same verdict; values nearer the bound than that are listed by ``recent_fit_edges``."""
    out = []
    for r in now[outside(now, margin)].itertuples():
        out.append(
            f"{r.market} {r.measure}: observed {r.observed_recent:.5g} outside "
            f"{r.now_low:.5g} to {r.now_high:.5g}"
        )
    return out


def outside(now: pd.DataFrame, margin: float = MCSE_MARGIN) -> pd.Series:
    """Per row of a ``NOW_COLUMNS`` table: does the observed value clear its interval by more
    than ``margin`` Monte Carlo errors (``recent_fit_failures`` names these rows)?"""
    tol = margin * now.get("now_mcse", pd.Series(0.0, index=now.index)).fillna(0.0)
    obs = now["observed_recent"]
    return ~((now["now_low"] - tol <= obs) & (obs <= now["now_high"] + tol))


def recent_fit_edges(now: pd.DataFrame, margin: float = MCSE_MARGIN) -> list[str]:
    """Observed values within ``margin`` Monte Carlo errors of a bound, inside or out: the
    checks whose verdict another seed could change. Reported beside the gate, never hidden."""
    out = []
    for r in now.itertuples():
        tol = margin * float(getattr(r, "now_mcse", 0.0) or 0.0)
        gap = min(abs(r.observed_recent - r.now_low), abs(r.observed_recent - r.now_high))
        if gap <= tol:
            out.append(
                f"{r.market} {r.measure}: observed {r.observed_recent:.4g} within Monte Carlo "
                f"error of the interval {r.now_low:.4g} to {r.now_high:.4g} "
                f"(error {r.now_mcse:.2g})"
            )
    return out


def coverage_failures(by_market: dict[str, float], low: float, high: float) -> list[str]:
    """Per-market calibration gate: each market's share of weeks inside the 90% predictive
    interval must lie in [low, high]."""
    return [
        f"{m}: 90% predictive intervals held {c:.0%} of its weeks (needs {low:.0%} to {high:.0%})"
        for m, c in by_market.items()
        if not low <= c <= high
    ]


def predictive_checks(
    idata: Any,
    model: pm.Model,
    seed: int,
    labels: pd.DataFrame | None = None,
    *,
    recent_weeks: int,
    interval: float,
) -> PredictiveChecks:
    """Posterior predictive interval coverage, LOO (ELPD, Pareto k) and LOO-PIT per
    observation (``labels``: market and week_start of each, in observation order). Adds
    ``log_likelihood`` and ``posterior_predictive`` to ``idata`` only for the computation (they
    are dropped before returning: they would multiply the file size). Call it before
    ``consumption.annotate``: PyMC rewrites the constant data group."""
    with model:
        pm.compute_log_likelihood(idata, progressbar=False)
        pm.sample_posterior_predictive(
            idata, extend_inferencedata=True, random_seed=seed, progressbar=False
        )
    y = idata["observed_data"]["y"].to_numpy()
    pp = idata["posterior_predictive"]["y"].stack(sample=("chain", "draw")).transpose("sample", ...)
    pp = pp.to_numpy()
    lo50, hi50, lo90, hi90 = np.quantile(pp, [0.25, 0.75, 0.05, 0.95], axis=0)
    loo = az.loo(idata)
    pit = np.asarray(az.loo_pit(idata)["y"].to_numpy())
    k = np.asarray(loo.pareto_k.to_numpy())
    if labels is None:
        labels = pd.DataFrame({"market": "", "week_start": pd.NaT}, index=range(len(y)))
    point = pd.DataFrame(
        {
            "market": labels["market"].to_numpy(),
            "week_start": pd.to_datetime(labels["week_start"].to_numpy()),
            "elpd_loo": np.asarray(loo.elpd_i.to_numpy()),
            "pareto_k": k,
            "loo_pit": pit,
            "in50": (y >= lo50) & (y <= hi50),
            "in90": (y >= lo90) & (y <= hi90),
        }
    )
    ks = _ks_uniform(pit)
    by_market = point.groupby("market", sort=False)["in90"].mean()
    chains = int(idata["posterior_predictive"].sizes["chain"])
    now = recent_window(
        np.exp(pp),
        np.exp(y),
        point,
        "streams_per_capita",
        recent_weeks,
        interval=interval,
        chains=chains,
    )
    metrics = {
        "elpd_loo": float(loo.elpd),
        "elpd_loo_se": float(loo.se),
        "p_loo": float(loo.p),
        "pareto_k_max": float(np.nanmax(k)),
        "pareto_k_bad": int((k > LOO_K_BAD).sum()),
        "ppc_coverage_50": float(point["in50"].mean()),
        "ppc_coverage_90": float(point["in90"].mean()),
        "ppc_coverage_90_by_market": {str(m): float(c) for m, c in by_market.items()},
        "loo_pit_ks": ks,
    }
    for group in ("log_likelihood", "posterior_predictive"):
        if group in idata.children:
            del idata[group]
    return PredictiveChecks(metrics, point, now)


def _ks_uniform(u: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance of values in [0, 1] from the uniform distribution."""
    u = np.sort(np.asarray(u, dtype=float))
    n = len(u)
    if n == 0:
        return float("nan")
    grid = np.arange(1, n + 1) / n
    return float(max(np.max(grid - u), np.max(u - (grid - 1 / n))))


def compare_elpd(
    pointwise: dict[str, pd.DataFrame], score: str, keys: tuple[str, ...]
) -> pd.DataFrame:
    """Rank models by the sum of their pointwise log predictive densities ``score`` over the
    same units (rows identified by ``keys``), best first.

    ``elpd_diff`` and its standard error are against the best model, computed from the
    pointwise differences (``se = sqrt(n * var(diff))``) as in Vehtari, Gelman & Gabry (2017).
    """
    keys = list(keys)
    names = list(pointwise)
    base = pointwise[names[0]][keys]
    for name in names[1:]:
        if not pointwise[name][keys].equals(base):
            raise ValueError(f"model {name!r} was scored on other observations than {names[0]!r}")
    elpd = {n: p[score].to_numpy() for n, p in pointwise.items()}
    totals = {n: float(v.sum()) for n, v in elpd.items()}
    best = max(totals, key=totals.get)
    rows = []
    for n in sorted(totals, key=totals.get, reverse=True):
        diff = elpd[best] - elpd[n]
        rows.append(
            {
                "model": n,
                score: totals[n],
                f"{score}_se": float(np.sqrt(len(elpd[n]) * np.var(elpd[n]))),
                "elpd_diff": float(diff.sum()),
                "diff_se": float(np.sqrt(len(diff) * np.var(diff))),
            }
        )
    out = pd.DataFrame(rows)
    # pseudo-BMA weights (no bootstrap): exp(elpd) normalised, a rough guide beside the diffs
    w = np.exp(out[score] - out[score].max())
    out["weight"] = w / w.sum()
    return out


def compare_loo(pointwise: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Rank models by ELPD-LOO from their pointwise values on the same observations
    (`compare_elpd`), with each model's count of weeks whose Pareto k is above 0.7."""
    out = compare_elpd(pointwise, "elpd_loo", ("market", "week_start"))
    bad = {n: int((p["pareto_k"] > LOO_K_BAD).sum()) for n, p in pointwise.items()}
    out.insert(5, "pareto_k_bad", out["model"].map(bad))
    return out


ELPD_SMALL = 4.0  # below this ELPD difference two models predict about equally well
ELPD_SE_RATIO = 2.0  # above it, a difference this many standard errors from zero is clear


def loo_difference(elpd_diff: float, diff_se: float) -> str:
    """How to read an ELPD-LOO difference from the best model: ``"similar"`` when it is under
    4 (Sivula, Magnusson & Vehtari 2020: the normal approximation behind its standard error is
    poorly calibrated there, and the two models make nearly the same predictions), else
    ``"clear"`` beyond 2 standard errors, else ``"within noise"``."""
    if abs(elpd_diff) < ELPD_SMALL:
        return "similar"
    return "clear" if abs(elpd_diff) > ELPD_SE_RATIO * diff_se else "within noise"


def loo_verdict(table: pd.DataFrame, production: str = "hierarchical") -> str:
    """The LOO comparison in words, by `loo_difference`'s rule: ``table`` as `compare_loo`
    gives it (best first, ``elpd_diff`` and ``diff_se`` against the best)."""
    best = table.iloc[0]
    reading = {
        "clear": "a clear difference",
        "within noise": "within noise: the two predict about equally well",
        "similar": "under 4: the two predict about equally well",
    }
    if best["model"] == production:
        if len(table) < 2:
            return "the production model is the only one compared"
        second = table.iloc[1]
        how = loo_difference(second["elpd_diff"], second["diff_se"])
        return (
            f"the production model scores highest; the next, {second['model']}, is behind by "
            f"{abs(second['elpd_diff']):.1f} (se {second['diff_se']:.1f}), {reading[how]}"
        )
    mine = table.set_index("model").loc[production]
    how = loo_difference(mine["elpd_diff"], mine["diff_se"])
    return (
        f"{best['model']} scores higher than the production model by {abs(mine['elpd_diff']):.1f} "
        f"(se {mine['diff_se']:.1f}), {reading[how]}"
        + (": review the model choice" if how == "clear" else "")
    )


def crps_samples(samples: np.ndarray, y: np.ndarray) -> np.ndarray:
    """CRPS of each forecast column from its samples: ``samples`` (sample, n), ``y`` (n,)."""
    x = np.sort(np.asarray(samples, dtype=float), axis=0)
    m = x.shape[0]
    term1 = np.abs(x - y[None, :]).mean(axis=0)
    # E|X - X'| from sorted samples: 2 / m^2 * sum_i (2i - m - 1) x_(i)
    i = np.arange(1, m + 1)[:, None]
    term2 = (2 * i - m - 1) * x
    return term1 - term2.sum(axis=0) / m**2


def crps_quantiles(quantiles: np.ndarray, levels: np.ndarray, y: np.ndarray) -> np.ndarray:
    """CRPS approximated from quantile forecasts: 2 x mean pinball loss over ``levels``.
    ``quantiles`` is (level, n)."""
    q = np.asarray(quantiles, dtype=float)
    tau = np.asarray(levels, dtype=float)[:, None]
    diff = y[None, :] - q
    pinball = np.maximum(tau * diff, (tau - 1) * diff)
    return 2 * pinball.mean(axis=0)


def interval_hits(low: np.ndarray, high: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (y >= low) & (y <= high)


def rank_statistic(draws: np.ndarray, truth: float) -> int:
    """SBC rank: how many posterior draws fall below the true value."""
    return int((np.asarray(draws) < truth).sum())


def chi2_uniform_pvalue(ranks: np.ndarray, n_draws: int, bins: int) -> float:
    """p-value of a chi-square test that SBC ranks (0..n_draws) are uniform over ``bins``."""
    from scipy import stats

    counts, _ = np.histogram(ranks, bins=bins, range=(0, n_draws + 1))
    return float(stats.chisquare(counts).pvalue)
