"""Import time per stage: what each stage pays before its notebook does any work.

For every stage of dvc.yaml: the runner's own imports (``musicmarkets.cli`` and the notebook
runner, in the `musicmarkets run` process) and the imports of the stage notebook's code cells
(every top-level ``import``/``from`` line, in the kernel), each timed in a fresh interpreter,
best of three, so that one stage's imports never warm another's. ``-X importtime`` names the
heaviest top-level packages of each. Writes benchmarks/results/imports.json.
Usage: python benchmarks/bench_imports.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
IMPORT = re.compile(r"^(import \S.*|from \S+ import .*)$")
RUNNER = "import musicmarkets.cli, musicmarkets.notebook"


def notebook_imports(path: Path) -> str:
    """The notebook's top-level import lines (parenthesised lists joined), in order."""
    lines, out, pending = path.read_text(encoding="utf-8").splitlines(), [], ""
    for line in lines:
        if pending:
            pending += " " + line.strip()
            if ")" in line:
                out.append(pending.replace("( ", "(").replace(", )", ")"))
                pending = ""
        elif IMPORT.match(line) and "__future__" not in line:
            if line.rstrip().endswith("("):
                pending = line.rstrip()
            else:
                out.append(line.split("#")[0].rstrip())
    return "\n".join(dict.fromkeys(out))


def timed_import(code: str) -> tuple[float, dict[str, float]]:
    """Seconds to run ``code`` in a fresh interpreter (best of 3), and the cumulative import
    time of the heaviest top-level packages (from ``-X importtime``, first run)."""
    best, top = float("inf"), {}
    for i in range(3):
        proc = subprocess.run(
            [sys.executable, *(["-X", "importtime"] if i == 0 else []), "-c", timing(code)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        best = min(best, float(proc.stdout.strip().splitlines()[-1]))
        if i == 0:
            for row in proc.stderr.splitlines():
                parts = row.split("|")
                top_level = parts[2].startswith(" ") and not parts[2].startswith("  ")
                if len(parts) == 3 and top_level and parts[1].strip().isdigit():
                    name = parts[2].strip()
                    top[name] = top.get(name, 0.0) + int(parts[1]) / 1e6
    heaviest = dict(sorted(top.items(), key=lambda kv: -kv[1])[:5])
    return best, {k: round(v, 2) for k, v in heaviest.items()}


def timing(code: str) -> str:
    body = "\n".join("    " + line for line in code.splitlines()) or "    pass"
    return f"import time\nt = time.perf_counter()\nif True:\n{body}\nprint(time.perf_counter() - t)"


def main() -> None:
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    runner_s, runner_top = timed_import(RUNNER)
    print(f"runner: {runner_s:.2f} s {runner_top}", flush=True)
    result: dict[str, object] = {"runner": {"seconds": round(runner_s, 2), "heaviest": runner_top}}
    per_stage = {}
    for name, stage in stages.items():
        cmd = stage.get("cmd") or stage.get("do", {}).get("cmd", "")  # a foreach stage: its do
        if isinstance(cmd, list) or "notebooks/" not in cmd:
            continue
        notebook = REPO / next(w for w in cmd.split() if w.startswith("notebooks/"))
        seconds, top = timed_import(notebook_imports(notebook))
        per_stage[name] = {"notebook": notebook.name, "seconds": round(seconds, 2), "heaviest": top}
        print(f"{name}: {seconds:.2f} s {top}", flush=True)
    result["stages"] = per_stage
    result["what"] = (
        "seconds to import, in a fresh interpreter, best of 3: the `musicmarkets run` runner, and "
        "each stage notebook's import lines (its kernel's imports); heaviest: cumulative seconds "
        "of the top-level packages under -X importtime"
    )
    out = REPO / "benchmarks/results/imports.json"
    out.write_text(json.dumps({"machine": describe(), **result}, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
