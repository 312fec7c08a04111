"""What a fitted model's file carries beside its posterior: each observation's week and market,
the time origin, regions, changepoints and populations, and the model's own specification and
sampler settings, so that the forecast, the backtest and the event generator read the fit's
settings from the file instead of from params.yaml again."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import numpy as np

from musicmarkets.models.design import ModelData
from musicmarkets.models.specification import Priors, Structure


def annotate(
    tree: Any,
    data: ModelData,
    structure: Structure | None = None,
    priors: Priors | None = None,
    sampler: dict[str, Any] | None = None,
) -> Any:
    """Attach what reports need to read a fit without the panel: each observation's week and
    market code, the time origin (so ``t`` can be turned back into dates), the regions, the
    changepoints and each market's latest population; and the model's specification (its
    ``Structure`` and ``Priors``, as JSON attributes), which ``spec`` reads back, so that the
    forecast, the backtest and the event generator take the fit's own settings; and the
    sampler settings it was drawn with (``sampler_settings`` reads them back)."""
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
    if sampler is not None:
        const.attrs["model_sampler"] = json.dumps(sampler, sort_keys=True)
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


def sampler_settings(tree: Any) -> dict[str, Any]:
    """The sampler settings a fit was drawn with (written by ``annotate``); {} where the file
    carries none."""
    text = tree["constant_data"].attrs.get("model_sampler")
    return json.loads(text) if text else {}
