"""The DVC graph knows its code: every package file a stage's notebook runs (its `musicmarkets`
imports, module- and function-level, followed through the package) is a dep of that stage, as a
file or a folder above it. Otherwise editing that file would leave the stage's outputs stale
while `dvc repro` says the pipeline is up to date."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "musicmarkets"


def module_path(name: str) -> Path | None:
    """The file of a `musicmarkets...` module (a module file or a package's __init__)."""
    parts = name.split(".")
    if parts[0] != "musicmarkets":
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """Every `musicmarkets` module a file imports, anywhere in it; `from pkg import name`
    counts `pkg.name` when that is a module, else `pkg`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if module_path(sub) else node.module)
    return {m for m in found if m.split(".")[0] == "musicmarkets"}


def files_run_by(notebook: Path) -> set[Path]:
    """The package files a notebook runs: its imports, their imports, and so on, with the
    `__init__.py` of every package on the way (Python runs it on import)."""
    seen: set[Path] = set()
    todo = [notebook]
    while todo:
        for name in imported_modules(todo.pop()):
            parts = name.split(".")
            for k in range(1, len(parts) + 1):
                path = module_path(".".join(parts[:k]))
                if path and path not in seen:
                    seen.add(path)
                    todo.append(path)
    return seen


def stages() -> dict[str, dict]:
    """dvc.yaml's stages; a foreach stage is checked through its `do` block."""
    raw = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    return {name: spec.get("do", spec) for name, spec in raw.items()}


def undeclared(spec: dict) -> list[str]:
    notebooks = re.findall(r"notebooks/\S+\.py", spec["cmd"])
    deps = [ROOT / d for d in spec.get("deps", []) if isinstance(d, str)]
    missing = []
    for notebook in notebooks:
        for path in sorted(files_run_by(ROOT / notebook)):
            if path.name == "__init__.py" and path.stat().st_size == 0:
                continue  # an empty package marker runs nothing
            if not any(path == d or d in path.parents for d in deps):
                missing.append(str(path.relative_to(PACKAGE)))
    return missing


def test_the_walk_follows_imports_inside_functions(tmp_path):
    nb = tmp_path / "nb.py"
    nb.write_text("def f():\n    from musicmarkets.models import forecast\n")
    found = {p.relative_to(PACKAGE).as_posix() for p in files_run_by(nb)}
    # forecast imports consumption: the walk follows it
    assert {"models/forecast.py", "models/consumption.py"} <= found


@pytest.mark.parametrize("stage", sorted(stages()))
def test_every_package_file_a_stage_runs_is_a_dep(stage):
    assert undeclared(stages()[stage]) == [], f"dvc.yaml stage {stage!r} does not declare these"


def upstream(graph: dict[str, dict], targets: tuple[str, ...]) -> set[str]:
    """The stages ``targets`` need, themselves included: a stage is upstream of another when
    one of its outs is (or holds) one of the other's deps."""
    outs = {
        name: [o if isinstance(o, str) else next(iter(o)) for o in spec.get("outs", [])]
        for name, spec in graph.items()
    }
    need, todo = set(), list(targets)
    while todo:
        name = todo.pop()
        if name in need:
            continue
        need.add(name)
        for dep in (d for d in graph[name].get("deps", []) if isinstance(d, str)):
            todo += [
                other
                for other, written in outs.items()
                if any(dep == o or dep.startswith(o.rstrip("/") + "/") for o in written)
            ]
    return need


def test_the_determinism_check_runs_every_stage_that_writes_data():
    """`tests/pipeline/test_determinism.py` compares two clean runs of ``DATA_STAGES`` and what
    they read: every stage with an out under data/ is among them, or left out by name with
    the reason."""
    from tests.pipeline.small import DATA_STAGES, DATA_STAGES_LEFT_OUT

    graph = stages()
    writers = {
        name
        for name, spec in graph.items()
        for o in spec.get("outs", [])
        if (o if isinstance(o, str) else next(iter(o))).startswith("data/")
    }
    run = upstream(graph, DATA_STAGES)
    assert writers - run - set(DATA_STAGES_LEFT_OUT) == set()
    assert {"ingest", "panel", "fit", "shares"} <= run  # the walk follows deps to their writers
    assert "backtest" not in run and "report" not in run
