"""Why did the forecast change between two revisions? One factor swapped at a time.

The project at ``REV_A`` is checked out into a temporary git worktree; then, one factor at a
time, the files of that factor are taken from ``REV_B`` and the pipeline is reproduced up to the
forecast (``dvc repro forecast``, sharing this repository's DVC cache, so unchanged stages are
restored instead of re-run). The change of each market's forecast is split into:

- ``data``: the raw inputs (``data/raw``),
- ``params``: ``params.yaml``,
- ``code``: the package, the notebooks and the pipeline definition (``src``, ``notebooks``,
  ``dvc.yaml``),
- ``interaction``: what is left when all three change together (``REV_B`` itself).

Effects are differences of posterior-median forecasts (streams over the first ``horizon``
weeks); they add up to the total change by construction.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

FACTORS = {
    "data": ["data/raw"],
    "params": ["params.yaml"],
    "code": ["src", "notebooks", "dvc.yaml"],
}
TOTALS = "data/processed/forecast_totals.parquet"


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed in {cwd.name}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc.stdout


def _forecast_at(
    root: Path, rev_a: str, rev_b: str, factors: list[str], work: Path
) -> pd.DataFrame:
    """Forecast totals of ``rev_a`` with the files of ``factors`` taken from ``rev_b``."""
    tree = work / ("a" if not factors else "+".join(factors))
    _run(["git", "worktree", "add", "--detach", "--force", str(tree), rev_a], root)
    try:
        for factor in factors:
            for path in FACTORS[factor]:
                listed = _run(["git", "ls-tree", "--name-only", rev_b, path], root).strip()
                if listed:
                    _run(["git", "checkout", rev_b, "--", path], tree)
        _run(["dvc", "config", "--local", "cache.dir", str(root / ".dvc" / "cache")], tree)
        env = dict(os.environ)
        env["PYTHONPATH"] = str(tree / "src") + os.pathsep + env.get("PYTHONPATH", "")
        env["MUSICMARKETS_ROOT"] = str(tree)
        _run(["dvc", "repro", "forecast"], tree, env)
        return pd.read_parquet(tree / TOTALS)
    finally:
        _run(["git", "worktree", "remove", "--force", str(tree)], root)


def attribute(root: Path, rev_a: str, rev_b: str, horizon: int | None = None) -> pd.DataFrame:
    """Per market (and region, all): forecast at A and B and the change split by factor."""
    # HEAD, HEAD~1 ... mean something else inside a worktree: pin both to commits first
    rev_a = _run(["git", "rev-parse", "--verify", f"{rev_a}^{{commit}}"], root).strip()
    rev_b = _run(["git", "rev-parse", "--verify", f"{rev_b}^{{commit}}"], root).strip()
    work = Path(tempfile.mkdtemp(prefix="why-"))
    try:
        runs = {"a": _forecast_at(root, rev_a, rev_b, [], work)}
        for factor in FACTORS:
            runs[factor] = _forecast_at(root, rev_a, rev_b, [factor], work)
        runs["b"] = _forecast_at(root, rev_a, rev_b, list(FACTORS), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    h = horizon or int(runs["a"]["horizon_weeks"].min())
    value = {
        k: r[r["horizon_weeks"] == h].set_index(["level", "key", "name"])["streams_median"]
        for k, r in runs.items()
    }
    keys = value["a"].index.intersection(value["b"].index)
    out = pd.DataFrame(
        {"forecast_a": value["a"].reindex(keys), "forecast_b": value["b"].reindex(keys)}
    )
    for factor in FACTORS:
        out[factor] = value[factor].reindex(keys) - out["forecast_a"]
    out["interaction"] = out["forecast_b"] - out["forecast_a"] - out[list(FACTORS)].sum(axis=1)
    out["change"] = out["forecast_b"] - out["forecast_a"]
    out.insert(0, "horizon_weeks", h)
    return out.reset_index()
