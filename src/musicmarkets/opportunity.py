"""Does a market's opportunity gap hold up? Leave-one-market-out predictions of its level.

The consumption model pools each market's level around what its covariates predict:
``level[m] ~ Normal(level_mu + x[m] . beta, level_sigma)``. A market's *gap* (its level
against that prediction) is only worth a headline when the relation between covariates and
levels would have predicted the market without it. For each market ``m`` and each posterior
draw, the other markets' levels are regressed on their covariates (the same priors: Normal
``level_mu_mean``/``level_mu_sd`` for the intercept, Normal(0, ``beta_sd``) for each slope, the
draw's ``level_sigma`` as the noise; conjugate, so exact for that draw) and ``m``'s level is
predicted with its predictive noise. This two-stage version treats the other markets' fitted
levels as data; a refit of the whole model without ``m`` would carry their uncertainty further.

A gap *holds* when every left-out market's own level falls inside its 90% predictive interval
(the covariates predict markets they did not see) and the sign of the market's gap is the same
with ``beta_sd`` halved and doubled.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

SENSITIVITY = (0.5, 1.0, 2.0)  # beta_sd multipliers


def _draws(posterior: Any, name: str) -> np.ndarray:
    da = posterior[name].transpose("chain", "draw", ...)
    arr = da.to_numpy()
    return arr.reshape(arr.shape[0] * arr.shape[1], *arr.shape[2:])


def covariates_of(constant: Any, markets: list[str]) -> pd.DataFrame:
    """(market, covariate) raw covariates the model used, in the model's market order (empty
    without covariates)."""
    names = [k for k in constant.data_vars if str(k).startswith("covariate_")]
    return pd.DataFrame(
        {str(k).removeprefix("covariate_"): constant[k].to_numpy() for k in names}, index=markets
    )


def predict_left_out(
    levels: np.ndarray,
    x: np.ndarray,
    noise_sd: np.ndarray,
    left_out: int,
    prior_mean: float,
    intercept_sd: float,
    beta_sd: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Per draw, one predictive draw of market ``left_out``'s level from the others.

    ``levels`` (sample, market), ``x`` (market, covariate) raw, ``noise_sd`` (sample,). The
    covariates are standardised over the markets kept, as the model standardises them."""
    keep = np.arange(levels.shape[1]) != left_out
    mean, sd = x[keep].mean(axis=0), x[keep].std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    design = np.column_stack([np.ones(keep.sum()), (x[keep] - mean) / sd])
    target = np.concatenate([[1.0], (x[left_out] - mean) / sd])
    prior_prec = np.diag([intercept_sd**-2] + [beta_sd**-2] * x.shape[1])
    prior_mu = np.concatenate([[prior_mean], np.zeros(x.shape[1])])
    out = np.empty(levels.shape[0])
    for s in range(levels.shape[0]):
        prec = prior_prec + design.T @ design / noise_sd[s] ** 2
        cov = np.linalg.inv(prec)
        mu = cov @ (prior_prec @ prior_mu + design.T @ levels[s, keep] / noise_sd[s] ** 2)
        var = target @ cov @ target + noise_sd[s] ** 2
        out[s] = target @ mu + rng.normal() * np.sqrt(var)
    return out


def leave_one_market_out(
    posterior: Any,
    constant: Any,
    priors: dict[str, float],
    interval: float,
    seed: int = 0,
    max_draws: int = 1000,
) -> pd.DataFrame:
    """Per market and ``beta_sd`` multiplier: the market's level against its prediction from
    the other markets (``gap`` in relative terms, median and interval) and whether its level
    lies inside the predictive interval. Empty when the model has no covariates."""
    if "level_latest" not in posterior:
        return pd.DataFrame()
    x = covariates_of(constant, [str(m) for m in posterior["market"].to_numpy()])
    if x.empty:
        return pd.DataFrame()
    rng = np.random.default_rng(seed)
    levels = _draws(posterior, "level_latest")
    sigma = _draws(posterior, "level_sigma")
    pick = np.sort(rng.choice(len(levels), min(max_draws, len(levels)), replace=False))
    levels, sigma = levels[pick], sigma[pick]
    lo, hi = (1 - interval) / 2, (1 + interval) / 2
    rows = []
    for scale in SENSITIVITY:
        for m, market in enumerate(x.index):
            pred = predict_left_out(
                levels,
                x.to_numpy(dtype=float),
                sigma,
                m,
                priors["level_mu_mean"],
                priors["level_mu_sd"],
                priors["beta_sd"] * scale,
                rng,
            )
            diff = levels[:, m] - pred
            rows.append(
                {
                    "market": market,
                    "beta_sd_scale": scale,
                    "gap_median": float(np.expm1(np.median(diff))),
                    "gap_low": float(np.expm1(np.quantile(diff, lo))),
                    "gap_high": float(np.expm1(np.quantile(diff, hi))),
                    "inside": bool(np.quantile(diff, lo) <= 0 <= np.quantile(diff, hi)),
                }
            )
    return pd.DataFrame(rows)


def verdict(lomo: pd.DataFrame, names: dict[str, str] | None = None) -> dict[str, Any]:
    """Whether opportunity gaps may be published: every market inside its leave-one-out
    interval at the production ``beta_sd`` and each gap's sign unchanged when it is halved or
    doubled; with the reason when not."""
    if lomo.empty:
        return {"holds": False, "reason": "the model has no covariates", "outside": []}
    base = lomo[lomo["beta_sd_scale"] == 1.0].set_index("market")
    outside = sorted(base.index[~base["inside"]])
    signs = lomo.assign(sign=np.sign(lomo["gap_median"])).groupby("market")["sign"].nunique()
    flips = sorted(signs.index[signs > 1])
    label = lambda m: (names or {}).get(m, m.upper())  # noqa: E731
    reasons = []
    if outside:
        reasons.append(
            "predicted from the other markets, "
            + ", ".join(map(label, outside))
            + f" fall{'s' if len(outside) == 1 else ''} outside the 90% interval"
        )
    if flips:
        reasons.append(
            "the direction of the gap for "
            + " and ".join(
                [", ".join(map(label, flips[:-1])), label(flips[-1])]
                if len(flips) > 1
                else [label(flips[0])]
            )
            + " changes when the assumed strength of the economic links is halved or doubled"
        )
    return {"holds": not reasons, "reason": "; ".join(reasons), "outside": outside, "flips": flips}
