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

Where a revision's model file is in no cache or remote at hand (a run on another machine, say),
the comparison reads what git keeps of each run instead, and says so (``python -m
musicmarkets.compare REV_A REV_B --metrics`` asks for that directly): each market's growth as
``reports/metrics/fit.json`` records it, every gate's verdict, and whether the stages ran the
same code, params and data at both revisions (their ``dvc.lock`` entries).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass, replace
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


def compare_revisions(
    rev_a: str, rev_b: str, root: Path, z_max: float = 4.0
) -> Comparison | MetricsComparison:
    """Compare the two revisions' model files; where one is in no cache or remote at hand (a
    run on another machine, say), compare the metrics git keeps instead (``compare_metrics``),
    and say so."""
    from dvc.exceptions import DvcException

    try:
        a, b = load_model(rev_a, root), load_model(rev_b, root)
    except DvcException as err:
        result = compare_metrics(rev_a, rev_b, root, z_max)
        note = (
            f"The model files are not at hand ({type(err).__name__}): compared the metrics git "
            "keeps instead."
        )
        return replace(result, note=note)
    return compare_summaries(summary(a), summary(b), z_max)


# metrics files that carry a gate verdict, and the stage that writes each
GATED = {"fit": "fit", "shares": "shares", "backtest": "backtest", "recent_fit": "check_recent_fit"}


def read_at(rev: str, root: Path, path: str) -> str | None:
    """A git-tracked file as of ``rev`` (``workspace``: the working copy); None where absent."""
    if rev == WORKSPACE:
        f = root / path
        return f.read_text() if f.exists() else None
    out = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True, text=True, check=False
    )
    return out.stdout if out.returncode == 0 else None


def growth_summary(fit: dict[str, Any]) -> pd.DataFrame:
    """Each market's growth as ``fit.json`` records it (posterior mean and sd), with the Monte
    Carlo error of the mean approximated as ``sd / sqrt(ess_bulk_min)``: the smallest bulk ESS
    over the fit's gated parameters (the model file's own MCSE per quantity is not in git)."""
    ess = float(fit["ess_bulk_min"])
    rows = {
        f"growth[{m}]": {"mean": g["mean"], "sd": g["sd"], "mcse_mean": g["sd"] / np.sqrt(ess)}
        for m, g in fit["growth"].items()
    }
    return pd.DataFrame.from_dict(rows, orient="index").astype(float)


def lock_stages(rev: str, root: Path) -> dict[str, Any]:
    """``dvc.lock``'s stages as of ``rev`` (empty where there is no lock file)."""
    import yaml

    text = read_at(rev, root, "dvc.lock")
    if text is None:
        return {}
    return (yaml.safe_load(text) or {}).get("stages") or {}


def stage_inputs(stages: dict[str, Any], stage: str) -> str | None:
    """A stage's deps and params as ``dvc.lock`` records them (hashes of code, data and params);
    None for a stage the lock file does not hold."""
    entry = stages.get(stage)
    if entry is None:
        return None
    deps = sorted((d["path"], d.get("md5") or d.get("hash")) for d in entry.get("deps", []))
    return json.dumps({"deps": deps, "params": entry.get("params")}, sort_keys=True)


def passed(metrics: dict[str, Any] | None) -> bool | None:
    """A metrics file's gate verdict: ``gates_passed``, else no ``gates_failed``; None if absent."""
    if metrics is None:
        return None
    if "gates_passed" in metrics:
        return bool(metrics["gates_passed"])
    return not metrics.get("gates_failed")


@dataclass(frozen=True)
class MetricsComparison:
    growth: Comparison
    verdicts: dict[str, tuple[bool | None, bool | None]]  # gate -> (passed at A, passed at B)
    same_inputs: dict[str, bool]  # gate -> its stage ran the same code, params and data at both
    note: str = ""

    @property
    def agree(self) -> bool:
        return self.growth.agree and all(a == b for a, b in self.verdicts.values())

    @property
    def agree_where_inputs_match(self) -> bool:
        """The answers of the stages that ran the same inputs at both revisions agree: what two
        machines must give (elsewhere the inputs explain a difference)."""
        growth = self.growth.agree or not self.same_inputs.get("fit", False)
        same = [g for g, s in self.same_inputs.items() if s]
        return growth and all(self.verdicts[g][0] == self.verdicts[g][1] for g in same)

    def text(self, top: int = 15) -> str:
        word = {True: "passed", False: "failed", None: "absent"}
        lines = [self.note] if self.note else []
        lines.append(self.growth.text(top).replace("quantities", "growth figures", 1))
        for name, (a, b) in self.verdicts.items():
            same = "same verdict" if a == b else "VERDICTS DIFFER"
            lines.append(f"gates {name}: {word[a]} / {word[b]} ({same})")
        for gate, same in self.same_inputs.items():
            lines.append(
                f"stage {GATED.get(gate, gate)}: "
                + ("same code, params and data at both" if same else "inputs differ")
            )
        same = [GATED.get(g, g) for g, s in self.same_inputs.items() if s]
        other = [GATED.get(g, g) for g, s in self.same_inputs.items() if not s]
        if self.agree:
            lines.append("AGREE")
        elif self.agree_where_inputs_match and same and other:
            lines.append(
                f"DIFFER only where the stages ran other inputs ({', '.join(other)}); "
                f"where they ran the same ({', '.join(same)}): AGREE"
            )
        else:
            lines.append("DIFFER")
        return "\n".join(lines)


def compare_metrics(
    rev_a: str, rev_b: str, root: Path, z_max: float = 4.0, names: tuple[str, ...] = tuple(GATED)
) -> MetricsComparison:
    """Compare two revisions by their git-tracked metrics: each market's growth within Monte
    Carlo error, and every gate's verdict."""
    metrics = {}
    for rev in (rev_a, rev_b):
        found = {}
        for name in names:
            text = read_at(rev, root, f"reports/metrics/{name}.json")
            found[name] = json.loads(text) if text is not None else None
        if found.get("fit") is None:
            raise ValueError(f"no reports/metrics/fit.json at {rev}")
        metrics[rev] = found
    growth = compare_summaries(
        growth_summary(metrics[rev_a]["fit"]), growth_summary(metrics[rev_b]["fit"]), z_max
    )
    verdicts = {name: tuple(passed(metrics[r][name]) for r in (rev_a, rev_b)) for name in names}
    locks = [lock_stages(r, root) for r in (rev_a, rev_b)]
    same = {}
    for name in names:
        a, b = (stage_inputs(lock, GATED.get(name, name)) for lock in locks)
        if a is not None and b is not None:
            same[name] = a == b
    return MetricsComparison(growth, verdicts, same)


def main(argv: list[str] | None = None) -> int:
    """``python -m musicmarkets.compare REV_A REV_B [--metrics]``: exit 0 AGREE, 3 DIFFER."""
    import argparse

    from musicmarkets import config

    ap = argparse.ArgumentParser(prog="python -m musicmarkets.compare", description=__doc__)
    ap.add_argument("rev_a", help="git revision (or 'workspace')")
    ap.add_argument("rev_b", help="git revision (or 'workspace')")
    ap.add_argument("--z-max", type=float, default=4.0, help="bound in MCSE units (default 4)")
    ap.add_argument("--top", type=int, default=15, help="how many moved quantities to list")
    ap.add_argument(
        "--metrics",
        action="store_true",
        help="compare the git-tracked metrics (growth, gate verdicts) instead of the model files",
    )
    args = ap.parse_args(argv)
    run = compare_metrics if args.metrics else compare_revisions
    result = run(args.rev_a, args.rev_b, config.repo_root(), args.z_max)
    print(result.text(args.top))
    return 0 if result.agree else 3


if __name__ == "__main__":
    raise SystemExit(main())
