"""Convergence gates (R-hat, ESS, divergences, E-BFMI) as flat metrics a reader can grep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import arviz as az
import numpy as np

from musicmarkets.params import ParamsBlock


@dataclass(frozen=True)
class Gates(ParamsBlock):
    """Thresholds a fit must meet before its numbers are published."""

    r_hat_max: float
    ess_min: float
    divergences_max: int
    bfmi_min: float
    coverage_90_min: float  # each market's weeks inside its 90% predictive interval
    coverage_90_max: float
    block = "gate"
    path = "fit.gates"


def convergence(idata: Any, var_names: list[str] | None = None) -> dict[str, float | int]:
    """Worst-case R-hat, bulk/tail ESS over all scalar parameters, divergences, min E-BFMI."""
    summary = az.summary(idata, var_names=var_names, kind="diagnostics")
    diverging = idata["sample_stats"]["diverging"].to_numpy()
    bfmi = az.bfmi(idata)["energy"].to_numpy()  # one value per chain
    return {
        "r_hat_max": float(summary["r_hat"].max()),
        "ess_bulk_min": float(summary["ess_bulk"].min()),
        "ess_tail_min": float(summary["ess_tail"].min()),
        "divergences": int(diverging.sum()),
        "bfmi_min": float(np.min(bfmi)),
        "parameters": int(len(summary)),
        "chains": int(diverging.shape[0]),
        "draws": int(diverging.shape[1]),
    }


def check_gates(metrics: dict[str, Any], gates: Gates) -> list[str]:
    """Human-readable list of failed gates (empty when the fit passes)."""
    failed = []
    if not metrics["r_hat_max"] <= gates.r_hat_max:
        failed.append(f"R-hat {metrics['r_hat_max']:.3f} > {gates.r_hat_max}")
    for key, label in (("ess_bulk_min", "bulk ESS"), ("ess_tail_min", "tail ESS")):
        if not metrics[key] >= gates.ess_min:
            failed.append(f"{label} {metrics[key]:.0f} < {gates.ess_min:.0f}")
    if metrics["divergences"] > gates.divergences_max:
        failed.append(f"{metrics['divergences']} divergent transitions")
    if not metrics["bfmi_min"] > gates.bfmi_min:
        failed.append(f"E-BFMI {metrics['bfmi_min']:.2f} <= {gates.bfmi_min}")
    return failed
