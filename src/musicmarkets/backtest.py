"""Rolling-origin backtest: origins, one scoring rule for every method, summaries.

Every method (the model and each baseline) is turned into quantiles at the same levels
(``baselines.LEVELS``; the model's from its posterior predictive samples) and scored by the same
rule: CRPS approximated as twice the mean pinball loss over those levels, and whether the 50% and
90% central intervals held the observed value. Scores are on the log streams-per-person scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from musicmarkets.baselines import LEVELS
from musicmarkets.validation import crps_quantiles

if TYPE_CHECKING:  # the model stack is imported where a refit runs, not with the scoring
    from musicmarkets.diagnostics import Gates
    from musicmarkets.models.consumption import Priors, Structure
    from musicmarkets.sampling import SamplerConfig

SCORED_COLUMNS = [
    "origin",
    "market",
    "week_start",
    "weeks_ahead",
    "y",
    "method",
    "median",
    "crps",
    "in50",
    "in90",
]


def origins(last: pd.Timestamp, count: int, spacing: int, horizon: int) -> list[pd.Timestamp]:
    """``count`` origins ``spacing`` weeks apart, the last ``horizon`` weeks before ``last``
    (so every origin's whole horizon is observed)."""
    end = last - pd.Timedelta(weeks=horizon)
    return [end - pd.Timedelta(weeks=spacing * k) for k in range(count - 1, -1, -1)]


def sample_quantiles(samples: np.ndarray, levels: np.ndarray = LEVELS) -> np.ndarray:
    """(level, n) quantiles of (sample, n) draws."""
    return np.quantile(samples, levels, axis=0)


def score(
    targets: pd.DataFrame, method: str, quantiles: np.ndarray, levels: np.ndarray = LEVELS
) -> pd.DataFrame:
    """One row per target week (``targets``: origin, market, week_start, weeks_ahead, y) for
    ``method``, whose forecasts are ``quantiles`` (level, target)."""
    q = np.asarray(quantiles, dtype=float)
    if q.shape != (len(levels), len(targets)):
        raise ValueError(
            f"{method}: quantiles of shape {q.shape}, expected {(len(levels), len(targets))}"
        )
    if not np.isfinite(q).all():
        raise ValueError(f"{method}: forecasts hold missing values")
    at = {round(float(level), 2): i for i, level in enumerate(levels)}
    y = targets["y"].to_numpy(float)
    out = targets[["origin", "market", "week_start", "weeks_ahead", "y"]].copy()
    out["method"] = method
    out["median"] = q[at[0.5]]
    out["crps"] = crps_quantiles(q, levels, y)
    out["in50"] = (y >= q[at[0.25]]) & (y <= q[at[0.75]])
    out["in90"] = (y >= q[at[0.05]]) & (y <= q[at[0.95]])
    return out[SCORED_COLUMNS]


def by_horizon(scored: pd.DataFrame, horizons: list[int]) -> pd.DataFrame:
    """Per method and horizon (weeks ahead, exactly): mean CRPS, interval coverage, count."""
    s = scored[scored["weeks_ahead"].isin(horizons)]
    out = (
        s.groupby(["method", "weeks_ahead"], sort=False)
        .agg(
            crps=("crps", "mean"),
            coverage_50=("in50", "mean"),
            coverage_90=("in90", "mean"),
            n=("crps", "size"),
        )
        .reset_index()
        .rename(columns={"weeks_ahead": "horizon"})
    )
    return out.sort_values(["horizon", "crps"], ignore_index=True)


def by_market(scored: pd.DataFrame, horizons: list[int]) -> pd.DataFrame:
    """Per method, market and horizon: mean CRPS and count."""
    s = scored[scored["weeks_ahead"].isin(horizons)]
    return (
        s.groupby(["method", "market", "weeks_ahead"], sort=False)
        .agg(crps=("crps", "mean"), n=("crps", "size"))
        .reset_index()
        .rename(columns={"weeks_ahead": "horizon"})
    )


def against_best_baseline(
    scored: pd.DataFrame, horizons: list[int], *, interval: float
) -> pd.DataFrame:
    """Per horizon: the baseline with the lowest mean CRPS, and the model's paired difference to
    it (model minus baseline; below zero = the model is better), averaged over markets within an
    origin, with a t interval over origins."""
    rows = []
    for h in horizons:
        s = scored[scored["weeks_ahead"] == h]
        if s.empty:
            continue
        means = s.groupby("method")["crps"].mean()
        base = means.drop("model").idxmin()
        per_origin = s.pivot_table(index="origin", columns="method", values="crps", aggfunc="mean")
        diff = (per_origin["model"] - per_origin[base]).to_numpy()
        n = len(diff)
        # one origin gives no interval: the difference itself stands for both ends
        half = (
            stats.t.ppf((1 + interval) / 2, n - 1) * diff.std(ddof=1) / np.sqrt(n) if n > 1 else 0.0
        )
        rows.append(
            {
                "horizon": h,
                "best_baseline": base,
                "model_crps": float(means["model"]),
                "baseline_crps": float(means[base]),
                "diff_mean": float(diff.mean()),
                "diff_low": float(diff.mean() - half),
                "diff_high": float(diff.mean() + half),
                "origins": n,
                "model_no_worse": bool(means["model"] <= means[base]),
            }
        )
    return pd.DataFrame(rows)


def coverage_gate(coverage: float, weeks: int, low: float, high: float) -> list[str]:
    """The backtest's calibration gate: the model's 90% intervals held ``coverage`` of the
    held-out weeks 1-``weeks`` ahead; outside ``low``..``high`` it fails, named for people."""
    if low <= coverage <= high:
        return []
    return [
        f"90% intervals held {coverage:.0%} of held-out weeks 1-{weeks} ahead "
        f"(needs {low:.0%} to {high:.0%})"
    ]


def verdict(paired: pd.DataFrame) -> str:
    """One sentence per horizon for people: does the model beat the best simple forecaster?"""
    parts = []
    for r in paired.itertuples():
        if r.diff_high < 0:
            word = "better than"
        elif r.diff_low > 0:
            word = "worse than"
        elif r.model_no_worse:
            word = "no worse than (within noise)"
        else:
            word = "slightly worse than (within noise)"
        parts.append(f"{r.horizon} weeks ahead: {word} {r.best_baseline.replace('_', ' ')}")
    return "; ".join(parts)


@dataclass(frozen=True)
class Summary:
    """What the backtest stage shows and records: scores by horizon, the paired difference to
    the best baseline, and ``metrics`` (``backtest.json``, its gates included)."""

    by_horizon: pd.DataFrame
    paired: pd.DataFrame
    metrics: dict[str, Any]


def summarise(
    scored: pd.DataFrame,
    fits: list[dict[str, Any]],
    cut: list[pd.Timestamp],
    horizon: int,
    horizons: list[int],
    gate_weeks: int,
    coverage_90: tuple[float, float],
    interval: float,
    methods: list[str],
) -> Summary:
    """Score every method by horizon and against the best baseline, and gate the published
    scores: each refit must pass the production fit's gates, and the model's 90% intervals
    must hold ``coverage_90`` (low, high) of the held-out weeks 1-``gate_weeks`` ahead."""
    table = by_horizon(scored, horizons)
    paired = against_best_baseline(scored, horizons, interval=interval)
    near = scored[(scored["method"] == "model") & (scored["weeks_ahead"] <= gate_weeks)]
    cov90 = float(near["in90"].mean())
    low, high = coverage_90
    failed = [f"refit at {f['origin']}: {g}" for f in fits for g in f["gates_failed"]]
    failed += coverage_gate(cov90, gate_weeks, low, high)
    metrics = {
        "origins": [str(o.date()) for o in cut],
        "horizon_weeks": horizon,
        "horizons": list(horizons),
        "methods": methods,
        "scoring": "CRPS from quantiles 0.05-0.95 (twice the mean pinball loss), log scale",
        "by_horizon": table.to_dict(orient="records"),
        "by_market": by_market(scored, horizons).to_dict(orient="records"),
        "against_best_baseline": paired.to_dict(orient="records"),
        "verdict": verdict(paired),
        "gate_weeks": gate_weeks,
        "model_coverage_90": cov90,
        "model_coverage_90_n": int(len(near)),
        "coverage_90_range": [low, high],
        "coverage_90_in_target": bool(low <= cov90 <= high),
        "fits": fits,
        "gates_failed": failed,
    }
    return Summary(table, paired, metrics)


@dataclass(frozen=True)
class RefitSetup:
    """The production model's settings, shared by every refit of the backtest: built once
    from the stage's parameters (params.yaml's ``backtest`` block and the ``fit`` keys it
    names) and the covariates table that places each market in its region."""

    structure: Structure
    regions: dict[str, str]  # market -> region at the structure's level
    priors: Priors
    parameterization: dict[str, str]
    sampler: dict[str, Any]  # as in params.yaml: recorded in each refit's model file
    gates: Gates

    @property
    def settings(self) -> SamplerConfig:
        from musicmarkets.sampling import SamplerConfig

        return SamplerConfig.from_dict(self.sampler)

    @classmethod
    def from_params(
        cls,
        *,
        model: dict[str, Any],
        priors: dict[str, Any],
        parameterization: dict[str, str],
        sampler: dict[str, Any],
        gates: dict[str, Any],
        covariates: pd.DataFrame,
    ) -> RefitSetup:
        from musicmarkets import diagnostics
        from musicmarkets.models import consumption

        structure = consumption.Structure.from_dict(model)
        setup = cls(
            structure=structure,
            regions=consumption.regions_from(covariates, structure),
            priors=consumption.Priors.from_dict(priors),
            parameterization=dict(parameterization),
            sampler=dict(sampler),
            gates=diagnostics.Gates.from_dict(gates),
        )
        setup.settings  # noqa: B018  (validates the sampler settings now, not at the first refit)
        return setup


def log_panel(market_week: pd.DataFrame, modelled: list[str]) -> pd.DataFrame:
    """The modelled markets' weeks with streams, and ``y``: their log streams per person (what
    every refit is fitted to and scored on)."""
    keep = market_week["market"].isin(modelled) & market_week["streams_per_capita"].gt(0)
    panel = market_week[keep]
    return panel.assign(y=np.log(panel["streams_per_capita"]))


def training_weeks(
    panel: pd.DataFrame, modelled: list[str], origin: pd.Timestamp, min_weeks: int = 26
) -> tuple[pd.DataFrame, list[str]]:
    """The weeks up to ``origin`` of the markets with at least ``min_weeks`` weeks by then, and
    those markets (in ``modelled`` order)."""
    train = panel[panel["week_start"] <= origin]
    weeks_by_market = train.groupby("market")["week_start"].size()
    present = [m for m in modelled if weeks_by_market.get(m, 0) >= min_weeks]
    return train[train["market"].isin(present)], present


def refit(
    train: pd.DataFrame,
    present: list[str],
    setup: RefitSetup,
    seed: int,
    variant: str = "hierarchical",
) -> tuple[Any, Any, dict[str, Any]]:
    """``variant`` of the consumption model fitted to ``train`` with the production settings and
    judged by the production gates: its data, its annotated model file (a DataTree) and its
    convergence record."""
    from musicmarkets import sampling
    from musicmarkets.models import consumption

    data, pm_model = consumption.set_up(
        train,
        present,
        setup.structure,
        setup.regions,
        setup.priors,
        setup.parameterization,
        variant=variant,
    )
    tree, conv, _ = sampling.fit_checked(pm_model, setup.settings, seed, setup.gates)
    tree = consumption.annotate(
        tree, data, setup.structure, setup.priors, setup.sampler | {"seed": seed}
    )
    return data, tree, conv


def refit_origin(
    panel: pd.DataFrame,
    modelled: list[str],
    origin: pd.Timestamp,
    horizon: int,
    setup: RefitSetup,
    seed: int,
    baseline_seed: int,
    min_weeks: int = 26,
    damping_years: float | None = None,
) -> tuple[list[pd.DataFrame], dict[str, Any]]:
    """One origin of the backtest: the production model refitted on the weeks up to ``origin``
    (markets with at least ``min_weeks`` weeks by then), judged by the production gates, and its
    forecast of the next ``horizon`` weeks scored beside every baseline's by one rule.

    ``panel`` holds ``y`` (log streams per person); ``setup`` the production settings. ``seed`` draws the refit and its forecast, ``baseline_seed`` the gradient
    boosting. Returns the scored rows (model first) and the refit's convergence record."""
    from musicmarkets import baselines
    from musicmarkets.models import forecast

    train, present = training_weeks(panel, modelled, origin, min_weeks)
    test = panel[
        (panel["week_start"] > origin)
        & (panel["week_start"] <= origin + pd.Timedelta(weeks=horizon))
        & panel["market"].isin(present)
    ].reset_index(drop=True)
    test = test.assign(
        origin=origin,
        weeks_ahead=((test["week_start"] - origin) / pd.Timedelta(weeks=1)).astype(int),
    )
    data, tree, conv = refit(train, present, setup, seed)
    # the refit's own changepoint settings; the forecast stage's damping of the latest slope
    sim = forecast.simulate(tree, horizon, seed, damping_years=damping_years)
    pop = dict(zip(data.markets, data.population, strict=True))
    week_pos = {w: j for j, w in enumerate(sim.weeks)}
    samples = np.stack(
        [
            np.log(sim.streams[:, sim.markets.index(m), week_pos[w]] / pop[m])
            for m, w in zip(test["market"], test["week_start"], strict=True)
        ],
        axis=1,
    )
    rows = [score(test, "model", sample_quantiles(samples))]
    for name, method in baselines.BASELINES.items():
        rows.append(score(test, name, method(train, test)))
    rows.append(score(test, "gbm", baselines.gbm(train, test, present, baseline_seed)))
    return rows, {"origin": str(origin.date()), **conv}
