"""Cold `dvc repro` per stage and the no-op re-run, on the embedded default data.

Runs in a temporary copy of the project (the repository's own outputs are untouched), or with
``--in-place`` in this checkout (every stage forced, so its outputs are refreshed as a cold run
would leave them), and writes benchmarks/results/pipeline.json.
Usage: python benchmarks/bench_pipeline.py [--in-place]
"""

from __future__ import annotations

import json
import os
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
    ".venv",
    ".git",
    "cache",
    "tmp",
    "__pycache__",
    "*.parquet",
    "*.nc",
    "*.ipynb",
    "index.html",
    "artifacts",
)


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def run_all(root: Path, env: dict[str, str], force: bool) -> tuple[dict, list, dict]:
    """Each stage in file order (the run order), then three no-op runs."""
    stages = {}
    order = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    for stage in order:
        cmd = ["dvc", "repro", "--single-item", *(["--force"] if force else []), stage]
        stages[stage] = round(timed(cmd, root, env), 1)
        print(f"{stage}: {stages[stage]} s", flush=True)
    noop = [round(timed(["dvc", "repro"], root, env), 2) for _ in range(3)]
    print(f"no-op: {noop} s", flush=True)
    return stages, noop, json.loads((root / "reports/metrics/fit.json").read_text())


def main() -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if "--in-place" in sys.argv:
        stages, noop, fit = run_all(REPO, env, force=True)
        write(stages, noop, fit)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(REPO, root, ignore=IGNORE)
        for cmd in (
            ["git", "init", "-q"],
            ["git", "add", "-A"],
            [
                "git",
                "-c",
                "user.name=b",
                "-c",
                "user.email=b@example.invalid",
                "commit",
                "-qm",
                "b",
            ],
        ):
            subprocess.run(cmd, cwd=root, check=True, capture_output=True)
        stages, noop, fit = run_all(root, env, force=False)
    write(stages, noop, fit)


def write(stages: dict, noop: list, fit: dict) -> None:
    result = {
        "machine": describe(),
        "what": "cold dvc repro per stage (seconds, incl. kernel start) and no-op dvc repro, default data",
        "stage_seconds": stages,
        "cold_total_seconds": round(sum(stages.values()), 1),
        "noop_seconds": noop,
        "fit_gates_passed": fit["gates_passed"],
        "fit_wall_seconds": round(fit["wall_seconds"], 1),
    }
    out = REPO / "benchmarks/results/pipeline.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
