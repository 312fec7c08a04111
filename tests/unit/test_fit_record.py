"""What the fit stage records about a fit, and where each kind of fit is written."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import xarray as xr

from musicmarkets.models import fit_record
from musicmarkets.validation import PredictiveChecks


def test_a_fit_is_described_gated_and_written_where_its_stage_declares(tmp_path):
    data = SimpleNamespace(
        markets=["de", "in"],
        regions=["Europe", "Asia"],
        n_obs=300,
        partial_weeks=(("in", pd.Timestamp("2019-02-22")),),
        changepoints=np.array([-1.0, -0.5]),
    )
    draws = np.random.default_rng(0).normal([0.05, 0.3], 0.01, size=(2, 50, 2))
    posterior = xr.Dataset(
        {"trend_market": (("chain", "draw", "market"), draws)}, coords={"market": data.markets}
    )
    metrics = fit_record.describe(
        {"r_hat_max": 1.002},
        data,
        posterior,
        variant="hierarchical",
        fit_until=None,
        nuts_sampler="nutpie",
        parameterization={"level": "centred"},
    )
    assert metrics["partial_weeks_left_out"] == [["in", "2019-02-22"]]
    assert metrics["growth"]["in"]["mean"] == float(draws[..., 1].mean())
    assert list(metrics)[:2] == ["r_hat_max", "variant"]  # the sampler's diagnostics first
    checks = {"ppc_coverage_90_by_market": {"de": 0.91, "in": 0.75}, "elpd_loo": -10.0}
    gated, coverage = fit_record.gated(metrics, checks, ["R-hat 1.02 > 1.01"], (0.8, 0.97))
    assert coverage and "in" in coverage[0]
    assert gated["gates_failed"] == ["R-hat 1.02 > 1.01", *coverage]
    assert gated["gates_passed"] is False and gated["elpd_loo"] == -10.0
    ok, none = fit_record.gated(
        metrics, checks | {"ppc_coverage_90_by_market": {"de": 0.9}}, [], (0.8, 0.97)
    )
    assert none == [] and ok["gates_passed"] is True

    paths = SimpleNamespace(
        models=tmp_path / "models", metrics=tmp_path / "metrics", processed=tmp_path / "processed"
    )
    frame = pd.DataFrame({"x": [1.0]})
    pc = PredictiveChecks(metrics=checks, pointwise=frame, now=frame)
    idata = xr.DataTree(xr.Dataset({"a": ("x", [1.0])}))
    written = {
        p.relative_to(tmp_path).as_posix()
        for p in fit_record.write(paths, "hierarchical", None, idata, ok, pc)
    }
    assert written == {
        "models/loo/hierarchical.parquet",
        "processed/now_consumption.parquet",
        "models/consumption.nc",
        "metrics/fit.json",
    }
    variant = fit_record.write(paths, "pooled", None, idata, ok, pc)
    assert {p.relative_to(tmp_path).as_posix() for p in variant} == {
        "models/loo/pooled.parquet",
        "metrics/variants/pooled.json",
    }
    refit = fit_record.write(paths, "hierarchical", "2020-02-28", idata, ok, pc)
    assert {p.relative_to(tmp_path).as_posix() for p in refit} == {
        "models/sensitivity.nc",
        "metrics/sensitivity.json",
    }
