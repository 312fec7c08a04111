"""Do the production settings pass their gates for other seeds? One run per seed.

For each seed, the chosen stages' notebooks run with the production params.yaml and only
``seed`` changed (``musicmarkets run ... --set seed=N``), in a temporary copy of the project
that holds this checkout's data (the repository's own outputs are untouched). Records, per seed
and gate, whether it passed and why not: the consumption fit (convergence and per-market
coverage), each share model, every backtest refit, and the recent-weeks check when the shares
ran (against this seed's consumption fit when the fit ran too, else the checkout's own).
Writes benchmarks/results/gates.json.

Usage: python benchmarks/bench_gates.py [--seeds 1 2 3 4] [--stages fit shares backtest]
       [--out gates.json]
A gate that passes for one seed and fails for another decides nothing: the note on the
report must then say so (docs/validation.md).
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

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "cache", "tmp", "__pycache__", "artifacts", "kernel-ipc-*"
)
GATED = ("fit", "shares", "backtest", "check_recent_fit")


def gates_of(root: Path, stage: str) -> dict[str, list[str]]:
    """Gate name -> its failures (empty: passed) from a stage's metrics file."""
    metrics = root / "reports/metrics"
    if stage == "fit":
        return {"fit": json.loads((metrics / "fit.json").read_text())["gates_failed"]}
    if stage == "shares":
        shares = json.loads((metrics / "shares.json").read_text())
        return {
            f"shares:{name}": m["gates_failed"] for name, m in shares.items() if isinstance(m, dict)
        }
    if stage == "backtest":
        backtest = json.loads((metrics / "backtest.json").read_text())
        out = {f"backtest refit {f['origin']}": f["gates_failed"] for f in backtest["fits"]}
        coverage = [g for g in backtest["gates_failed"] if not g.startswith("refit at")]
        return out | {"backtest coverage": coverage}
    recent = json.loads((metrics / "recent_fit.json").read_text())
    return {"recent_fit": recent["gates_failed"]}


def figures_of(root: Path, stage: str) -> dict[str, float]:
    """The figures a gate judged, kept beside its verdict (the run's copy is deleted after)."""
    metrics = root / "reports/metrics"
    if stage == "fit":
        fit = json.loads((metrics / "fit.json").read_text())
        return {"fit r_hat_max": fit["r_hat_max"], "fit divergences": fit["divergences"]}
    if stage == "backtest":
        backtest = json.loads((metrics / "backtest.json").read_text())
        crps = {
            f"backtest crps {r['horizon']} weeks": r["crps"]
            for r in backtest["by_horizon"]
            if r["method"] == "model"
        }
        return {"backtest coverage_90 weeks 1-13": backtest["model_coverage_90"]} | crps
    return {}


def run_stage(root: Path, stage: str, seed: int, env: dict[str, str]) -> float:
    spec = yaml.safe_load((root / "dvc.yaml").read_text())["stages"][stage]
    cmd = shlex.split(spec["cmd"])
    if "common.seed" in spec.get("params", []):  # a stage without a seed reads the others' draws
        cmd += ["--set", f"seed={seed}"]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=root, env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--stages", nargs="+", default=["fit", "shares", "backtest"])
    parser.add_argument("--out", default="gates.json", help="file name in benchmarks/results/")
    args = parser.parse_args()
    stages = [s for s in GATED if s in args.stages]
    # the recent-weeks check needs the consumption fit's draws: this seed's when the fit runs,
    # else the checkout's own (production seed) fit, when it has one
    fitted = "fit" in stages or (REPO / "data/processed/now_consumption.parquet").exists()
    if "shares" in stages and fitted and "check_recent_fit" not in stages:
        stages.insert(stages.index("shares") + 1, "check_recent_fit")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(REPO, root, ignore=IGNORE)
        for seed in args.seeds:
            seconds, gates, figures = {}, {}, {}
            for stage in stages:
                seconds[stage] = round(run_stage(root, stage, seed, env), 1)
                gates |= gates_of(root, stage)
                figures |= figures_of(root, stage)
                print(f"seed {seed} {stage}: {seconds[stage]} s", flush=True)
            failed = {g: f for g, f in gates.items() if f}
            runs.append(
                {
                    "seed": seed,
                    "all_passed": not failed,
                    "gates": {g: not f for g, f in gates.items()},
                    "failures": failed,
                    "figures": figures,
                    "stage_seconds": seconds,
                }
            )
            print(f"seed {seed}: {'all gates passed' if not failed else failed}", flush=True)
    result = {
        "machine": describe(),
        "what": "production params.yaml, only the seed changed: which gates pass per seed",
        "stages": stages,
        "seeds": args.seeds,
        "passed_for_every_seed": all(r["all_passed"] for r in runs),
        "runs": runs,
    }
    out = REPO / "benchmarks/results" / args.out
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
