"""Compare the posteriors of two runs: do they agree within Monte Carlo error, and what moved?

``musicmarkets compare REV_A REV_B`` reads ``models/consumption.nc`` as it was at two git
revisions (through DVC, from the local cache or the remote; ``workspace`` is the working copy)
and, for every scalar quantity (each market's growth and level, the population parameters ...):

- ``shift_sd``: the difference of the posterior means in units of run A's posterior sd, the
  reviewer's measure of how far a quantity moved;
- ``z_mcse``: the same difference in units of its Monte Carlo standard error
  (``sqrt(mcse_a^2 + mcse_b^2)``); two runs of the same model and data differ only by Monte Carlo
  noise, so ``|z_mcse|`` beyond ``z_max`` (default 4, a Bonferroni-safe bound for a few hundred
  quantities) says the posteriors differ.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pandas as pd

QUANTITIES = (
    "trend_market",
    "level_market",
    "trend_mu",
    "trend_sigma",
    "level_mu",
    "level_sigma",
    "beta",
    "phi",
    "nu",
    "holiday_market",
    "shock_market",
)
WORKSPACE = "workspace"


@dataclass(frozen=True)
class Comparison:
    table: pd.DataFrame  # one row per scalar quantity
    z_max: float

    @property
    def agree(self) -> bool:
        return bool((self.table["z_mcse"].abs() <= self.z_max).all())

    @property
    def moved(self) -> pd.DataFrame:
        t = self.table[self.table["z_mcse"].abs() > self.z_max]
        return t.reindex(t["shift_sd"].abs().sort_values(ascending=False).index)

    def text(self, top: int = 15) -> str:
        n = len(self.table)
        if self.agree:
            worst = self.table["z_mcse"].abs().max()
            return (
                f"AGREE: all {n} quantities within Monte Carlo error "
                f"(largest |difference| = {worst:.1f} MCSE, bound {self.z_max:g})."
            )
        lines = [
            f"DIFFER: {len(self.moved)} of {n} quantities moved beyond Monte Carlo error "
            f"(|difference| > {self.z_max:g} MCSE); largest shifts in posterior sd of A:"
        ]
        for r in self.moved.head(top).itertuples():
            lines.append(
                f"  {r.quantity:<32} {r.mean_a:>9.4f} -> {r.mean_b:>9.4f}  "
                f"shift {r.shift_sd:+.2f} sd  ({r.z_mcse:+.1f} MCSE)"
            )
        return "\n".join(lines)


def summary(tree: Any, names: tuple[str, ...] = QUANTITIES) -> pd.DataFrame:
    """Mean, sd and MCSE of the mean for every scalar element of the named variables."""
    post = tree["posterior"] if "posterior" in getattr(tree, "children", {}) else tree
    present = [n for n in names if n in post]
    s = az.summary(tree, var_names=present, kind="all")
    return s[["mean", "sd", "mcse_mean"]].astype(float)


def compare_summaries(a: pd.DataFrame, b: pd.DataFrame, z_max: float = 4.0) -> Comparison:
    """Compare two ``summary`` tables on the quantities they share."""
    common = a.index.intersection(b.index)
    if common.empty:
        raise ValueError("the two runs share no quantity to compare")
    a, b = a.loc[common], b.loc[common]
    diff = b["mean"] - a["mean"]
    mcse = np.sqrt(a["mcse_mean"] ** 2 + b["mcse_mean"] ** 2)
    table = pd.DataFrame(
        {
            "quantity": common,
            "mean_a": a["mean"].to_numpy(),
            "mean_b": b["mean"].to_numpy(),
            "sd_a": a["sd"].to_numpy(),
            "shift_sd": (diff / a["sd"].where(a["sd"] > 0)).to_numpy(),
            "z_mcse": (diff / mcse.where(mcse > 0)).fillna(0.0).to_numpy(),
        }
    )
    return Comparison(table, z_max)


def load_model(rev: str, root: Path, path: str = "models/consumption.nc") -> Any:
    """The model file as of git revision ``rev`` (``workspace``: the working copy)."""
    if rev == WORKSPACE:
        return az.from_netcdf(root / path)
    import dvc.api

    with dvc.api.open(path, repo=str(root), rev=rev, mode="rb") as fh:
        data = fh.read()
    with tempfile.NamedTemporaryFile(suffix=".nc") as tmp:
        tmp.write(data)
        tmp.flush()
        tree = az.from_netcdf(tmp.name)
        return tree.load() if hasattr(tree, "load") else tree


def compare_revisions(rev_a: str, rev_b: str, root: Path, z_max: float = 4.0) -> Comparison:
    return compare_summaries(
        summary(load_model(rev_a, root)), summary(load_model(rev_b, root)), z_max
    )
