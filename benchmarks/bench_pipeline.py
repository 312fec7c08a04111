"""The pipeline's run time on the embedded default data, written to benchmarks/results/pipeline.json.

``--fresh`` (the newcomer's run, the figure the README states): clones the committed HEAD into
a temporary folder, points PyTensor's and numba's compile caches at empty folders, and times
`make repro` there from nothing (the environment created by the Makefile, every stage cold).
Each line of its log is time-stamped, so the record splits the run into the environment, each
stage's notebook time (the runner's own figure), the time DVC and the runner's start-up take
around each stage, and the time after the last stage. It then times a warm no-op `dvc repro`
and `make repro`, and a re-run after a params change that touches only the partner pages, and
records which gates failed. ``--keep`` leaves the folder for inspection.

Without ``--fresh``: each stage with `dvc repro --single-item`, warm caches, in a temporary
copy of the working tree, or with ``--in-place`` in this checkout (every stage forced).
Each mode replaces only its own section of pipeline.json.
Usage: python benchmarks/bench_pipeline.py [--fresh [--keep] | --in-place]
"""

from __future__ import annotations

import json
import os
import re
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


RUNNING = re.compile(r"Running stage '([^']+)'")
STARTED = re.compile(r"stage (\S+): running ")
DONE = re.compile(r"stage (\S+): done in (\d+) s")
PAGE = re.compile(r"stage (\S+): (\w+)=(\S+) in ([\d.]+) s")


def stamped(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> list[tuple[float, str]]:
    """Run ``cmd``; every output line with the seconds since the start (also written to ``log``)."""
    lines = []
    start = time.perf_counter()
    with (
        log.open("w", encoding="utf-8") as out,
        subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as proc,
    ):
        assert proc.stdout is not None
        for line in proc.stdout:
            at = time.perf_counter() - start
            lines.append((at, line.rstrip("\n")))
            out.write(f"{at:9.1f} {line}")
        code = proc.wait()
    lines.append((time.perf_counter() - start, ""))
    if code:
        tail = "\n".join(text for _, text in lines[-40:])
        raise SystemExit(f"{' '.join(cmd)} failed ({code}); last lines:\n{tail}")
    return lines


def split_run(lines: list[tuple[float, str]]) -> dict:
    """Environment, per-stage notebook time and the time around stages, from a stamped log."""
    dvc_start: dict[str, float] = {}
    run_start: dict[str, float] = {}
    done_at: dict[str, float] = {}
    notebook: dict[str, float] = {}
    pages: dict[str, float] = {}
    for at, text in lines:
        if m := RUNNING.search(text):
            dvc_start[m[1]] = at
        elif m := STARTED.search(text):
            run_start.setdefault(m[1], at)
        elif m := DONE.search(text):
            done_at[m[1]] = at
            notebook[m[1]] = notebook.get(m[1], 0.0) + float(m[2])
        elif m := PAGE.search(text):
            pages[m[3]] = float(m[4])
    order = sorted(dvc_start, key=dvc_start.get)
    total = lines[-1][0]
    stages = {}
    for i, name in enumerate(order):
        end = dvc_start[order[i + 1]] if i + 1 < len(order) else None
        wall = (end if end is not None else done_at.get(name, total)) - dvc_start[name]
        nb = notebook.get(name)
        stages[name] = {
            "wall": round(wall, 1),
            "notebook": nb,
            # DVC's checks before the runner starts, the runner's imports and kernel start, and
            # after the notebook: output hashing, lock write and the next stage's checks
            "around": round(wall - nb, 1) if nb is not None else None,
            "before_runner": round(run_start[name] - dvc_start[name], 1)
            if name in run_start
            else None,
        }
    env_seconds = dvc_start[order[0]] if order else total
    last_done = max(done_at.values()) if done_at else total
    return {
        "total_seconds": round(total, 1),
        "environment_seconds": round(env_seconds, 1),
        "notebook_seconds": round(sum(v for v in notebook.values()), 1),
        "around_stages_seconds": round(
            sum(s["around"] for s in stages.values() if s["around"] is not None), 1
        ),
        "after_last_stage_seconds": round(total - last_done, 1),
        "stages": stages,
        "partner_pages_seconds": pages,
    }


def gates_failed(root: Path) -> dict[str, list[str]]:
    out = {}
    for path in sorted((root / "reports/metrics").glob("*.json")):
        failed = json.loads(path.read_text()).get("gates_failed") or []
        if failed:
            out[path.stem] = failed
    return out


def fresh(keep: bool) -> dict:
    """The newcomer's run: a clone of HEAD, empty compile caches, `make repro` from nothing."""
    tmp = Path(tempfile.mkdtemp(prefix="musicmarkets-fresh-"))
    root = tmp / "project"
    subprocess.run(["git", "clone", "-q", str(REPO), str(root)], check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    own_venv = str(REPO / ".venv")
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if own_venv not in p)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env |= {
        "PATH": path,
        "PYTENSOR_FLAGS": f"base_compiledir={tmp / 'pytensor'}",
        "NUMBA_CACHE_DIR": str(tmp / "numba"),
    }
    print(f"fresh clone of {commit} in {root}", flush=True)
    cold = split_run(stamped(["make", "repro"], root, env, tmp / "make-repro.log"))
    print(f"make repro: {cold['total_seconds']} s", flush=True)
    venv_bin = str(root / ".venv" / "bin")
    warm_env = env | {"PATH": venv_bin + os.pathsep + path}
    noop_dvc = [round(timed(["dvc", "repro"], root, warm_env), 2) for _ in range(3)]
    noop_make = [round(timed(["make", "repro"], root, warm_env), 2) for _ in range(3)]
    params = root / "params.yaml"
    text = params.read_text()
    pages = "partner_markets: [br, de, es, fr, gb, in, it, us]"
    if pages not in text:
        raise SystemExit(f"params.yaml has no line {pages!r} to change")
    params.write_text(text.replace(pages, "partner_markets: [br, de, es, fr, gb, in, it]"))
    report_only = split_run(stamped(["dvc", "repro"], root, warm_env, tmp / "report-only.log"))
    result = {
        "commit": commit,
        "what": (
            "git clone of HEAD, empty PyTensor and numba caches, `make repro` from nothing "
            "(environment included); then warm no-op runs and a re-run after a params change "
            "that touches only the partner pages (report.partner_markets one market shorter)"
        ),
        "cold": cold,
        "noop_dvc_repro_seconds": noop_dvc,
        "noop_make_repro_seconds": noop_make,
        "report_only_rerun_seconds": report_only["total_seconds"],
        "report_only_stages": list(report_only["stages"]),
        "gates_failed": gates_failed(root),
    }
    if keep:
        print(f"kept {tmp}", flush=True)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def main() -> None:
    if "--fresh" in sys.argv:
        record("fresh", fresh("--keep" in sys.argv))
        return
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if "--in-place" in sys.argv:
        stages, noop, fit = run_all(REPO, env, force=True)
        record("warm_in_place", warm(stages, noop, fit))
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
    record("warm_copy", warm(stages, noop, fit))


def warm(stages: dict, noop: list, fit: dict) -> dict:
    return {
        "what": "dvc repro per stage (seconds, incl. kernel start), warm compile caches, and "
        "no-op dvc repro, default data",
        "stage_seconds": stages,
        "cold_total_seconds": round(sum(stages.values()), 1),
        "noop_seconds": noop,
        "fit_gates_passed": fit["gates_passed"],
        "fit_wall_seconds": round(fit["wall_seconds"], 1),
    }


def record(section: str, result: dict) -> None:
    """Replace one section of pipeline.json (the others stay), with the machine it ran on."""
    out = REPO / "benchmarks/results/pipeline.json"
    data = json.loads(out.read_text()) if out.exists() else {}
    if "stage_seconds" in data:  # the single-section layout of earlier runs
        data = {"warm_in_place": data}
    data[section] = {"machine": describe(), **result}
    out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)} [{section}]")


if __name__ == "__main__":
    main()
