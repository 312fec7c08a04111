"""Does the production fit pass its gates when markets carry a gap of years?

In a temporary copy of the project, the 52 weekly 2023 charts of Germany and the United States
(`data/raw/spotify_weekly_top200_2023_de_us/`, a second data vintage kept out of the default
run) are added as the README's "Adding a market, or new weeks" says: copied into
`data/raw/spotify_weekly_top200_current_format_sample/`, with `common.end` widened to the end of
2023. The pipeline then runs from the ingest to the chosen stages with the production
params.yaml: Germany and the US carry a gap of about 2.5 years, the other markets stop in July
2020. Records each gate's verdict and figures, the panel's shape and each market's weeks in
benchmarks/results/gap_years.json (the repository's own outputs are untouched).

Usage: python benchmarks/bench_gap_years.py [--stages fit] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
VINTAGE = "data/raw/spotify_weekly_top200_2023_de_us"
CURRENT = "data/raw/spotify_weekly_top200_current_format_sample"
UPSTREAM = ("ingest", "enrich", "breadth", "panel")
IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "cache", "tmp", "__pycache__", "artifacts", "kernel-ipc-*"
)


def add_vintage(root: Path) -> int:
    """Copy the 2023 files into the current-format folder, as a user adds weeks; the count."""
    added = 0
    for market in ("de", "us"):
        for path in sorted((root / VINTAGE / market).glob("*.csv.gz")):
            target = root / CURRENT / path.name
            if not target.exists():  # the first week of each is already in the sample
                shutil.copyfile(path, target)
                added += 1
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["common"]["end"] = "2023-12-29"
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return added


def run_stage(root: Path, stage: str, env: dict[str, str], seed: int | None) -> float:
    spec = yaml.safe_load((root / "dvc.yaml").read_text())["stages"][stage]
    cmd = shlex.split(spec["cmd"])
    if seed is not None and "common.seed" in spec.get("params", []):
        cmd += ["--set", f"seed={seed}"]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=root, env=env, check=True)
    return time.perf_counter() - start


def panel_shape(root: Path) -> dict[str, object]:
    """Market-weeks, and each modelled market's first and last week and its longest gap."""
    panel = pd.read_parquet(root / "data/processed/market_week.parquet")
    panel = panel[panel["market"] != "global"]
    markets = {}
    for market, rows in panel.groupby("market"):
        weeks = rows["week_start"].sort_values()
        gap = int(weeks.diff().dt.days.max() // 7) - 1 if len(weeks) > 1 else 0
        markets[str(market)] = {
            "first": str(weeks.iloc[0].date()),
            "last": str(weeks.iloc[-1].date()),
            "weeks": len(weeks),
            "longest_gap_weeks": gap,
        }
    return {"market_weeks": len(panel), "markets": markets}


def fit_record(root: Path) -> dict[str, object]:
    fit = json.loads((root / "reports/metrics/fit.json").read_text())
    keys = ("r_hat_max", "ess_bulk_min", "divergences", "bfmi_min", "sampling_seconds")
    return {k: fit.get(k) for k in keys} | {
        "gates_passed": not fit["gates_failed"],
        "gates_failed": fit["gates_failed"],
        "ppc_coverage_90_by_market": fit.get("ppc_coverage_90_by_market"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", nargs="+", default=["fit"])
    parser.add_argument("--seed", type=int, default=None, help="default: params.yaml's")
    parser.add_argument("--out", default="gap_years.json", help="file name in benchmarks/results/")
    args = parser.parse_args()
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    seconds, records = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(REPO, root, ignore=IGNORE)
        added = add_vintage(root)
        for stage in (*UPSTREAM, *args.stages):
            seconds[stage] = round(run_stage(root, stage, env, args.seed), 1)
            print(f"{stage}: {seconds[stage]} s", flush=True)
        shape = panel_shape(root)
        if "fit" in args.stages:
            records["fit"] = fit_record(root)
        if "shares" in args.stages:
            shares = json.loads((root / "reports/metrics/shares.json").read_text())
            records |= {
                f"shares:{k}": {"gates_passed": not v["gates_failed"], **v}
                for k, v in shares.items()
                if isinstance(v, dict) and "gates_failed" in v
            }
    result = {
        "machine": describe(),
        "what": (
            "the production fit on a panel with markets that carry a gap of years: Germany's and "
            "the US's 2023 charts added as the README says, common.end 2023-12-29"
        ),
        "files_added": added,
        "seed": args.seed,
        "market_weeks": shape["market_weeks"],
        "all_passed": all(r["gates_passed"] for r in records.values()),
        "stage_seconds": seconds,
        "results": [{"gate": k, **v} for k, v in records.items()],
        "markets": shape["markets"],
    }
    out = REPO / "benchmarks/results" / args.out
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
