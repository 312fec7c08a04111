"""Checks that need the data stages only: same inputs and params give the same bytes (two
clean runs, one after the other in two copies, of every stage that writes data/ and what those
stages read), an interrupted fit, the S3 remote and the Spark engine. They share the first of
those runs (``data_run``).

A file of its own, so that pytest-xdist (``--dist loadfile``) runs it beside the full small
pipeline run of test_pipeline.py instead of after it."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import yaml

from tests.conftest import copy_project, run
from tests.pipeline.small import DATA_STAGES, restored, small_project

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data_run(tmp_path_factory):
    """A clean run of ``DATA_STAGES`` in the small configuration; the checks that change it put
    it back (``restored``), so it stays the clean run the same-bytes check compares."""
    root = small_project(tmp_path_factory.mktemp("data") / "first")
    run(["dvc", "repro", *DATA_STAGES], root)
    return root


def test_same_inputs_and_params_give_the_same_outputs(data_run, tmp_path):
    """Two clean runs in two places of every stage that writes data/ (and what they read):
    byte-identical data and model files (the sampler's time stamps are not written), identical
    posterior summaries."""
    import arviz as az

    root = data_run
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
    fits = sorted(p.relative_to(again) for p in (again / "models").rglob("*.nc"))
    assert fits, "no model file written"
    moved = [str(r) for r in fits if (root / r).read_bytes() != (again / r).read_bytes()]
    assert not moved, f"model files differ: {moved}; " + "; ".join(
        _where_posteriors_differ(root, again)
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


def test_interrupted_fit_leaves_nothing_dvc_accepts_and_a_rerun_completes(data_run, tmp_path):
    import os
    import signal
    import subprocess
    import time

    from tests.conftest import tool_env

    root = data_run
    with restored(root, DATA_STAGES):
        params = yaml.safe_load((root / "params.yaml").read_text())
        params["fit"]["priors"]["trend_sigma"] = 0.2
        (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        log = (tmp_path / "repro.log").open("w")
        proc = subprocess.Popen(
            ["dvc", "repro", "fit"],
            cwd=root,
            env=tool_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while (
            "Running stage 'fit'" not in (tmp_path / "repro.log").read_text()
            and time.monotonic() < deadline
        ):
            time.sleep(0.5)
        time.sleep(6)  # inside the fit: compiling or sampling
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        status = run(["dvc", "status", "fit"], root).stdout
        assert "fit:" in status and "up to date" not in status  # DVC does not take the fit as done
        rerun = run(["dvc", "repro", "fit"], root)
        assert "Running stage 'fit'" in rerun.stdout
        assert "up to date" in run(["dvc", "status", "fit"], root).stdout
        assert not [p for p in root.rglob(".*.tmp") if ".dvc" not in p.parts]


def test_dvc_remote_on_s3_push_wipe_pull(data_run):
    """The team set-up: an S3 remote (here a real S3-compatible server on 127.0.0.1), credentials
    from the environment only. Push, wipe the cache and the outputs, pull: the same bytes."""
    import os

    from tests.s3server import DUMMY_ENV, s3_server

    root = data_run
    outs = [
        "data/interim/charts.parquet",
        "data/processed/market_week.parquet",
        "models/consumption.nc",
    ]
    before = {o: (root / o).read_bytes() for o in outs}
    with s3_server("musicmarkets-dvc") as endpoint:
        env = {**os.environ, **DUMMY_ENV}
        run(["dvc", "remote", "add", "-f", "-d", "team", "s3://musicmarkets-dvc/cache"], root)
        run(["dvc", "remote", "modify", "--local", "team", "endpointurl", endpoint], root)
        # the copy's dvc.lock also lists the stages this run left out: move what it ran
        pushed = run(["dvc", "push", "--with-deps", *DATA_STAGES], root, env=env)
        assert "pushed" in pushed.stdout
        shutil.rmtree(root / ".dvc" / "cache")
        for o in outs:
            (root / o).unlink()
        run(["dvc", "pull", "--with-deps", *DATA_STAGES], root, env=env)
    assert {o: (root / o).read_bytes() for o in outs} == before
    assert "up to date" in run(["dvc", "status", "--with-deps", *DATA_STAGES], root).stdout
    config = (root / ".dvc" / "config").read_text()
    assert "testing-secret" not in config and "127.0.0.1" not in config  # endpoint: local config
    (root / ".dvc" / "config.local").unlink()  # the server is gone: forget the remote
    run(["dvc", "remote", "remove", "team"], root)


def test_events_engine_switch_gives_the_same_panel_on_spark(data_run):
    """`events.engine: spark` re-runs only the aggregation, and the tables it writes are the
    DuckDB run's, byte for byte (both are sorted and written the same way)."""
    pytest.importorskip("pyspark")
    root = data_run
    outs = ["data/processed/events_market_week.parquet", "data/processed/events_track_week.parquet"]
    before = {o: (root / o).read_bytes() for o in outs}
    metrics = json.loads((root / "reports/metrics/events.json").read_text())
    assert metrics["engine"] == "duckdb" and metrics["matches_simulated_totals"] is True
    with restored(root, DATA_STAGES):
        exp = run(["dvc", "exp", "run", "-S", "events.engine=spark", "events"], root)
        assert "Running stage 'events'" in exp.stdout
        assert (
            "Running stage 'fit'" not in exp.stdout
            and "Running stage 'events_simulate'" not in exp.stdout
        )
        assert json.loads((root / "reports/metrics/events.json").read_text())["engine"] == "spark"
        assert {o: (root / o).read_bytes() for o in outs} == before
