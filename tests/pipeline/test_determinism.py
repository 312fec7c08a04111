"""Same inputs and params, same bytes: two clean runs of the small configuration, one after
the other in two copies, of every stage that writes data/ (and what those stages read).

A file of its own, so that pytest-xdist (``--dist loadfile``) runs it beside the shared
pipeline run of test_pipeline.py instead of after it."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import copy_project, run
from tests.pipeline.small import DATA_STAGES, small_project

pytestmark = pytest.mark.slow


def test_same_inputs_and_params_give_the_same_outputs(tmp_path):
    """Two clean runs in two places of every stage that writes data/ (and what they read):
    byte-identical data, identical posterior summaries."""
    import arviz as az

    root = small_project(tmp_path / "first")
    run(["dvc", "repro", *DATA_STAGES], root)
    again = copy_project(tmp_path / "again", source=root)
    run(["dvc", "repro", *DATA_STAGES], again)
    data = sorted(p.relative_to(again) for p in (again / "data").rglob("*.parquet"))
    assert len(data) >= 10
    differ = [str(rel) for rel in data if (root / rel).read_bytes() != (again / rel).read_bytes()]
    assert not differ, (
        f"{len(differ)} of {len(data)} data files differ: "
        + "; ".join(_where_frames_differ(root / rel, again / rel) for rel in differ[:5])
        + "; posteriors: "
        + "; ".join(_where_posteriors_differ(root, again))
    )
    first = az.summary(az.from_netcdf(root / "models/consumption.nc"))
    second = az.summary(az.from_netcdf(again / "models/consumption.nc"))
    pd.testing.assert_frame_equal(first, second)


def _where_frames_differ(a, b) -> str:
    """Which columns of two parquet files differ, and by how much at most (for the message)."""
    x, y = pd.read_parquet(a), pd.read_parquet(b)
    if x.shape != y.shape or list(x.columns) != list(y.columns):
        return f"{a.name}: shape {x.shape} vs {y.shape}"
    cols = []
    for c in x.columns:
        if x[c].equals(y[c]):
            continue
        if pd.api.types.is_numeric_dtype(x[c]):
            cols.append(f"{c} (max |diff| {(x[c] - y[c]).abs().max():.3g})")
        else:
            cols.append(c)
    return f"{a.name}: {', '.join(cols) or 'same values, other bytes'}"


def _where_posteriors_differ(a, b) -> list[str]:
    """Per model file, the largest difference of any posterior variable between two runs."""
    import numpy as np
    import xarray as xr

    out = []
    for rel in sorted(p.relative_to(a) for p in (a / "models").rglob("*.nc")):
        first, second = xr.open_datatree(a / rel), xr.open_datatree(b / rel)
        for node in first.subtree:
            if node.name != "posterior":
                continue
            x, y = node.to_dataset(), second[node.path].to_dataset()
            worst = max(  # zero-size variables (e.g. no changepoint) hold nothing to compare
                (
                    float(np.nanmax(np.abs(x[v].to_numpy() - y[v].to_numpy())))
                    for v in x
                    if x[v].size
                ),
                default=0.0,
            )
            out.append(f"{rel}{node.path}: {worst:.3g}")
    return out
