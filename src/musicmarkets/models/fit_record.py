"""What the fit stage records about a fit of the consumption model, and where: the production
fit (``fit.json``, the model file, the pointwise LOO and the "now" of streams per person), a
variant's (``variants/<name>.json`` and its pointwise LOO, for the ``compare`` stage) or the
refit on fewer weeks (``sensitivity.json`` and its model file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from musicmarkets import io, validation
from musicmarkets.models.design import ModelData


def describe(
    metrics: dict[str, Any],
    data: ModelData,
    posterior: Any,
    *,
    variant: str,
    fit_until: str | None,
    nuts_sampler: str,
    parameterization: dict[str, str],
) -> dict[str, Any]:
    """``metrics`` (the sampler's diagnostics) with what was fitted: the variant, the weeks,
    the markets and regions, the partial weeks left out (never filled), and each market's
    growth as posterior mean and sd, so that ``dvc metrics diff`` shows how they move."""
    trend = posterior["trend_market"]
    return metrics | {
        "variant": variant,
        "fit_until": None if fit_until is None else str(pd.Timestamp(fit_until).date()),
        "markets": len(data.markets),
        "regions": len(data.regions),
        "observations": data.n_obs,
        "nuts_sampler": nuts_sampler,
        "parameterization": parameterization,
        "partial_weeks_left_out": [[m, str(pd.Timestamp(w).date())] for m, w in data.partial_weeks],
        "changepoints": len(data.changepoints),
        "growth": {
            str(m): {
                "mean": float(trend.sel(market=m).mean()),
                "sd": float(trend.sel(market=m).std()),
            }
            for m in data.markets
        },
    }


def gated(
    metrics: dict[str, Any],
    checks: dict[str, Any],
    failed: list[str],
    coverage_90: tuple[float, float],
) -> tuple[dict[str, Any], list[str]]:
    """``metrics`` with the predictive checks' figures and every gate: the convergence gates
    that ``failed`` and each market's 90% predictive coverage within ``coverage_90``;
    also the coverage failures alone."""
    by_market = checks["ppc_coverage_90_by_market"]
    coverage_failed = validation.coverage_failures(by_market, *coverage_90)
    out = metrics | checks
    out["gates_failed"] = failed + coverage_failed
    out["gates_passed"] = not out["gates_failed"]
    return out, coverage_failed


def write(
    paths: Any,
    variant: str,
    fit_until: str | None,
    idata: Any,
    metrics: dict[str, Any],
    checks: validation.PredictiveChecks,
) -> list[Path]:
    """Write a fit where its stage declares it (``paths``: ``config.paths()``)."""
    if fit_until is not None:  # other weeks than the variants': no LOO comparison with them
        return [
            io.write_netcdf(idata, paths.models / "sensitivity.nc"),
            io.write_json(metrics, paths.metrics / "sensitivity.json"),
        ]
    loo = io.write_parquet(checks.pointwise, paths.models / "loo" / f"{variant}.parquet")
    if variant == "hierarchical":
        return [
            loo,
            io.write_parquet(checks.now, paths.processed / "now_consumption.parquet"),
            io.write_netcdf(idata, paths.models / "consumption.nc"),
            io.write_json(metrics, paths.metrics / "fit.json"),
        ]
    return [loo, io.write_json(metrics, paths.metrics / "variants" / f"{variant}.json")]
